//! The units of work of `cachelab run`: one per sweep cell and replication,
//! each with its own results directory, written so that a finished unit can
//! be recognised (and skipped) when a run starts again.

use std::path::{Path, PathBuf};

use super::replay::AppError;
use crate::cluster::RunOutput;
use crate::metrics::Summary;
use crate::report;
use crate::scenario::{Plan, Scenario};
use crate::seed::Seed;

/// One simulation to run: a sweep cell at one replication.
#[derive(Clone, Debug)]
pub struct Unit {
    /// Index of the cell in the plan.
    pub cell: usize,
    /// The scenario, its seed set for this replication.
    pub scenario: Scenario,
    /// Where its results go.
    pub dir: PathBuf,
}

/// A directory name for a cell label (`nodes.count=4,nodes.policy=lru`):
/// path separators and spaces replaced.
pub fn cell_dir_name(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// The seed of replication `r` of a scenario seeded `seed`: the seed itself
/// for replication 0, then seeds derived by label. Every cell of a sweep uses
/// the same seeds, so cells compare on identical request streams.
pub fn replication_seed(seed: u64, r: u32) -> u64 {
    if r == 0 {
        seed
    } else {
        Seed(seed).derive(&format!("replication-{r}")).0
    }
}

/// Every unit of `plan` with `replications` each, under `root`.
pub fn units(plan: &Plan, replications: u32, root: &Path) -> Vec<Unit> {
    let single_cell = plan.runs.len() == 1;
    let mut units = Vec::new();
    for (cell, scenario) in plan.runs.iter().enumerate() {
        let cell_dir = if single_cell {
            root.to_path_buf()
        } else {
            root.join(cell_dir_name(&scenario.label))
        };
        for r in 0..replications {
            let mut scenario = scenario.clone();
            scenario.file.seed = replication_seed(scenario.file.seed, r);
            let dir = if replications == 1 {
                cell_dir.clone()
            } else {
                cell_dir.join(format!("rep-{r}"))
            };
            units.push(Unit {
                cell,
                scenario,
                dir,
            });
        }
    }
    units
}

/// The resolved scenario file of a unit, as written to `scenario.toml`.
pub fn resolved(scenario: &Scenario) -> String {
    format!(
        "# Resolved scenario `{}`, run `{}`: every default filled in.\n# Written by cachelab {}; `cachelab run` on this file reproduces the run.\n{}",
        scenario.name,
        scenario.label,
        env!("CARGO_PKG_VERSION"),
        scenario.resolved_toml()
    )
}

/// The summary of a unit finished earlier with the same scenario, if any.
/// Every file is written whole and `report.html` last, so its presence means
/// the unit is complete; the stored scenario must match the one asked for.
pub fn finished(unit: &Unit) -> Option<Summary> {
    if !unit.dir.join("report.html").exists() {
        return None;
    }
    let stored = std::fs::read_to_string(unit.dir.join("scenario.toml")).ok()?;
    if stored != resolved(&unit.scenario) {
        return None;
    }
    let json = std::fs::read(unit.dir.join("summary.json")).ok()?;
    serde_json::from_slice(&json).ok()
}

/// Writes a unit's results, then draws its plots from them and writes its
/// report; `report.html` comes last, as the mark of completion.
pub fn write(unit: &Unit, output: &RunOutput) -> Result<Vec<PathBuf>, AppError> {
    let dir = &unit.dir;
    let scenario = &unit.scenario;
    // A stale report must not vouch for the files being rewritten.
    let _ = std::fs::remove_file(dir.join("report.html"));
    let (headers, values) = summary_record(&output.summary);
    report::write_records(&dir.join("summary.csv"), &headers, &[values])?;
    report::write_csv(&dir.join("timeseries.csv"), &output.series)?;
    report::write_csv(&dir.join("nodes.csv"), &output.nodes)?;
    report::write_csv(&dir.join("latency.csv"), &output.latency)?;
    report::write_atomic(&dir.join("scenario.toml"), resolved(scenario).as_bytes())?;
    report::write_json(&dir.join("summary.json"), &output.summary)?;
    let mut files: Vec<PathBuf> = [
        "summary.csv",
        "timeseries.csv",
        "nodes.csv",
        "latency.csv",
        "scenario.toml",
        "summary.json",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect();
    files.extend(report::plot_directory(dir, None)?.files);
    Ok(files)
}

/// The summary as one flat CSV record: (headers, values). Numbers are
/// written in full (shortest round-trip form).
pub fn summary_record(s: &Summary) -> (Vec<String>, Vec<String>) {
    let mut fields: Vec<(String, String)> = vec![
        ("scenario".into(), s.scenario.clone()),
        ("run".into(), s.run.clone()),
        ("seed".into(), s.seed.to_string()),
    ];
    fields.extend(
        numeric_fields(s)
            .into_iter()
            .map(|(name, value)| (name, value.to_string())),
    );
    fields.into_iter().unzip()
}

/// Every numeric metric of a summary, by column name.
pub fn numeric_fields(s: &Summary) -> Vec<(String, f64)> {
    let mut fields: Vec<(String, f64)> = vec![
        ("measured_s".into(), s.measured_s),
        ("requests".into(), s.requests as f64),
        ("gets".into(), s.gets as f64),
        ("hits".into(), s.hits as f64),
        ("misses".into(), s.misses as f64),
        ("hit_ratio".into(), s.hit_ratio),
        ("byte_hit_ratio".into(), s.byte_hit_ratio),
        ("miss_ratio".into(), s.miss_ratio),
        ("timeouts".into(), s.timeouts as f64),
        ("errors".into(), s.errors as f64),
        ("db_queries".into(), s.db_queries as f64),
        ("db_rps".into(), s.db_rps),
        ("db_utilisation".into(), s.db_utilisation),
        ("db_queue_mean".into(), s.db_queue_mean),
        ("db_queue_max".into(), s.db_queue_max as f64),
        ("db_rejected".into(), s.db_rejected as f64),
        ("evictions".into(), s.evictions as f64),
        ("load_imbalance".into(), s.load_imbalance),
    ];
    for (class, l) in [
        ("all", &s.latency_all),
        ("hits", &s.latency_hits),
        ("misses", &s.latency_misses),
    ] {
        fields.push((format!("latency_{class}_mean_ns"), l.mean_ns));
        for (name, value) in [
            ("p50", l.p50_ns),
            ("p90", l.p90_ns),
            ("p99", l.p99_ns),
            ("p999", l.p999_ns),
            ("max", l.max_ns),
        ] {
            fields.push((format!("latency_{class}_{name}_ns"), value as f64));
        }
    }
    fields
}
