//! Scenario files: what a run simulates. TOML, one file per question, every
//! field defaulted and documented ([`reference`], generating
//! `docs/scenario.md`), unknown fields and
//! bad values rejected with the field and what is allowed.
//!
//! Reading goes: file → TOML table → `--set` overrides → sweep cells → the
//! YCSB preset's fields where the file gives none → serde structs ([`file::ScenarioFile`]) → validation into [`Scenario`], once;
//! nothing downstream validates again.

pub mod app;
mod classes;
pub mod config;
pub mod file;
mod overrides;
mod preset;
pub mod rate;
pub mod reference;
mod schema;
pub mod scheme;
pub mod tiers;
mod validate;
pub mod values;
mod workload;

use std::path::{Path, PathBuf};

pub use config::ClusterConfig;
pub use file::ScenarioFile;
pub use overrides::apply_override;
pub use schema::json_schema;
pub use validate::{KeySource, MAX_COPIES, Scenario};

/// A scenario that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ScenarioError {
    /// The scenario file.
    pub path: PathBuf,
    /// What is wrong: the field, the value, what is allowed.
    pub message: String,
}

/// One `--set path=value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// Dotted field path, e.g. `nodes.capacity`.
    pub path: String,
    /// The value as TOML (a bare word is taken as a string).
    pub value: toml::Value,
}

impl Override {
    /// Parses `nodes.count=8`, `nodes.policy=s3fifo`, `cache.ttl="300s"`.
    pub fn parse(text: &str) -> Result<Override, String> {
        let (path, value) = text
            .split_once('=')
            .ok_or_else(|| format!("--set {text}: expected path=value, e.g. nodes.count=8"))?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!(
                "--set {text}: `{path}` is not a field path such as nodes.count"
            ));
        }
        Ok(Override {
            path: path.to_string(),
            value: overrides::parse_value(value.trim()),
        })
    }

    /// The value as text: strings bare, anything else as TOML.
    pub fn value_text(&self) -> String {
        match &self.value {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// `path=value` as written in labels.
    pub fn label(&self) -> String {
        format!("{}={}", self.path, self.value_text())
    }
}

/// Every run a scenario file asks for: one, or one per sweep cell.
#[derive(Debug)]
pub struct Plan {
    /// The scenario's name (the results directory).
    pub name: String,
    /// The runs, in sweep order.
    pub runs: Vec<Scenario>,
    /// The sweep axes and their values, as written.
    pub axes: Vec<(String, Vec<toml::Value>)>,
}

/// Most runs one scenario file may ask for (sweep cells).
pub const MAX_CELLS: u64 = 100_000;

/// Longest scenario name (it names the results directory and plot titles).
const MAX_NAME: usize = 100;

/// Default limit of simulated requests per run (`--max-requests`).
pub const DEFAULT_MAX_REQUESTS: u64 = 1_000_000_000;

/// Reads a scenario file, applies overrides and an optional seed, and
/// expands its sweep.
pub fn load(path: &Path, overrides: &[Override], seed: Option<u64>) -> Result<Plan, ScenarioError> {
    let fail = |message: String| ScenarioError {
        path: path.to_path_buf(),
        message,
    };
    let text = read_text(path).map_err(&fail)?;
    // Checked as written first, so errors point at the file's own lines.
    toml::from_str::<ScenarioFile>(&text).map_err(|e| fail(toml_error(&e)))?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| fail(toml_error(&e)))?;
    for o in overrides {
        apply_override(&mut table, o).map_err(&fail)?;
    }
    if let Some(seed) = seed {
        table.insert("seed".into(), file::seed_toml(seed));
    }
    let axes = overrides::take_sweep(&mut table).map_err(&fail)?;
    let count = axes
        .iter()
        .try_fold(1u64, |n, (_, values)| n.checked_mul(values.len() as u64))
        .filter(|&n| n <= MAX_CELLS);
    if count.is_none() {
        return Err(fail(format!(
            "sweep: the axes ask for more than {MAX_CELLS} runs; split the sweep into several files"
        )));
    }
    let name = match table.get("name") {
        Some(toml::Value::String(name)) => {
            check_name(name).map_err(&fail)?;
            name.clone()
        }
        _ => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".to_string()),
    };
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let cells = overrides::cells(&axes);
    let mut runs = Vec::with_capacity(cells.len());
    for cell in cells {
        let label = if cell.is_empty() {
            "base".to_string()
        } else {
            cell.iter()
                .map(Override::label)
                .collect::<Vec<_>>()
                .join(",")
        };
        let changed =
            !cell.is_empty() || !overrides.is_empty() || seed.is_some() || preset::named(&table);
        let file: ScenarioFile = if changed {
            let mut cell_table = table.clone();
            for o in &cell {
                apply_override(&mut cell_table, o).map_err(&fail)?;
            }
            preset::expand(&mut cell_table).map_err(&fail)?;
            from_table(&cell_table).map_err(|message| {
                let culprit = overrides
                    .iter()
                    .chain(&cell)
                    .map(|o| format!("--set {}", o.label()))
                    .collect::<Vec<_>>()
                    .join(" ");
                fail(format!("run `{label}` (with {culprit}): {message}"))
            })?
        } else {
            toml::from_str(&text).map_err(|e| fail(toml_error(&e)))?
        };
        let mut scenario = Scenario::new(name.clone(), label, file, &base_dir).map_err(&fail)?;
        scenario.cell = cell
            .iter()
            .map(|o| (o.path.clone(), o.value_text()))
            .collect();
        runs.push(scenario);
    }
    Ok(Plan { name, runs, axes })
}

impl Plan {
    /// Refuses a run whose estimated work passes `max_requests` simulated
    /// requests, before anything is simulated.
    pub fn check_work(&self, path: &Path, max_requests: u64) -> Result<(), ScenarioError> {
        for run in &self.runs {
            if let Some(requests) = run.estimated_requests()
                && requests > max_requests as f64
            {
                return Err(ScenarioError {
                    path: path.to_path_buf(),
                    message: format!(
                        "run `{}` would simulate about {requests:.3e} requests ({}); the limit is {max_requests:.0e}: shorten duration, lower the load, or raise the limit with --max-requests",
                        run.label,
                        run.work_basis()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The file as text; a file that is not UTF-8 is refused with the offset
/// and line of its first bad byte.
fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!("not UTF-8 text: invalid byte at offset {at} (line {line}); scenario files are UTF-8 TOML")
    })
}

/// A TOML error as the user should read it, with a "did you mean" hint for
/// misspelt field or value names.
fn toml_error(e: &toml::de::Error) -> String {
    crate::suggest::hint_unknown(&e.to_string())
}

/// A table built from the file and overrides, as a scenario; the message
/// carries no line numbers (the table has no lines of its own).
fn from_table(table: &toml::Table) -> Result<ScenarioFile, String> {
    let text = toml::to_string(table).map_err(|e| e.to_string())?;
    toml::from_str(&text).map_err(|e| crate::suggest::hint_unknown(e.message()))
}

/// A scenario name names a directory under `results/`: one plain path
/// component, printable, at most [`MAX_NAME`] bytes.
fn check_name(name: &str) -> Result<(), String> {
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= MAX_NAME
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if plain {
        Ok(())
    } else {
        Err(format!(
            "name = {name:?}: must be a plain directory name (no / or \\, not . or .., no control characters), 1 to {MAX_NAME} bytes"
        ))
    }
}
