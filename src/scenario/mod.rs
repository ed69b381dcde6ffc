//! Scenario files: what a run simulates. TOML, one file per question, every
//! field defaulted and documented (`docs/scenario.md`), unknown fields and
//! bad values rejected with the field and what is allowed.
//!
//! Reading goes: file → TOML table → `--set` overrides → sweep cells → serde
//! structs ([`file::ScenarioFile`]) → validation into [`Scenario`], once;
//! nothing downstream validates again.

pub mod file;
mod overrides;
mod validate;
pub mod values;

use std::path::{Path, PathBuf};

pub use file::ScenarioFile;
pub use overrides::apply_override;
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

/// Reads a scenario file, applies overrides and an optional seed, and
/// expands its sweep.
pub fn load(path: &Path, overrides: &[Override], seed: Option<u64>) -> Result<Plan, ScenarioError> {
    let fail = |message: String| ScenarioError {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    // Checked as written first, so errors point at the file's own lines.
    toml::from_str::<ScenarioFile>(&text).map_err(|e| fail(e.to_string()))?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| fail(e.to_string()))?;
    for o in overrides {
        apply_override(&mut table, o).map_err(&fail)?;
    }
    if let Some(seed) = seed {
        table.insert("seed".into(), toml::Value::Integer(seed as i64));
    }
    let axes = overrides::take_sweep(&mut table).map_err(&fail)?;
    let name = match table.get("name") {
        Some(toml::Value::String(name)) => name.clone(),
        _ => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".to_string()),
    };
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let cells = overrides::cells(&axes);
    let mut runs = Vec::with_capacity(cells.len());
    for cell in cells {
        let mut cell_table = table.clone();
        for o in &cell {
            apply_override(&mut cell_table, o).map_err(&fail)?;
        }
        let label = if cell.is_empty() {
            "base".to_string()
        } else {
            cell.iter()
                .map(Override::label)
                .collect::<Vec<_>>()
                .join(",")
        };
        let changed = !cell.is_empty() || !overrides.is_empty() || seed.is_some();
        let file: ScenarioFile = if changed {
            let text = toml::to_string(&cell_table).map_err(|e| fail(e.to_string()))?;
            toml::from_str(&text)
                .map_err(|e| fail(format!("with the overrides of run `{label}`: {e}")))?
        } else {
            toml::from_str(&text).map_err(|e| fail(e.to_string()))?
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
