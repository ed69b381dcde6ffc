//! The units of work of `cachelab run`: one per sweep cell and replication,
//! each with its own results directory, written so that a finished unit can
//! be recognised (and skipped) when a run starts again.

use std::path::{Path, PathBuf};

use super::replay::AppError;
use crate::cluster::RunOutput;
use crate::metrics::Summary;
use crate::metrics::classes::class_rows;
use crate::report::sweep::SweepIndex;
use crate::report::{self, DirLock, records};
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

/// The longest file name most file systems take, in bytes.
pub const NAME_MAX: usize = 255;

/// A directory name for a cell label (`nodes.count=4,nodes.policy=lru`):
/// path separators, spaces and control characters replaced. A name longer
/// than [`NAME_MAX`] bytes keeps its start and ends in `~` and a hash of
/// the whole label, so distinct labels keep distinct names, the same label
/// always gets the same one, and every name fits.
pub fn cell_dir_name(label: &str) -> String {
    let name: String = label
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if name.len() <= NAME_MAX {
        return name;
    }
    let hash = format!("~{:016x}", xxhash_rust::xxh3::xxh3_64(label.as_bytes()));
    let mut end = NAME_MAX - hash.len();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{hash}", &name[..end])
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
            scenario.set_seed(replication_seed(scenario.file.seed, r));
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

/// Checks, before anything is simulated, that results can be written:
/// `root` is a directory (made if missing) that takes new files, no two
/// units share a directory, and the directories of `mine` (the units this
/// process runs) can be made. Errors name the path and say what is wrong.
pub fn prepare_output(root: &Path, all: &[Unit], mine: &[&Unit]) -> Result<(), AppError> {
    let fail = |path: &Path, what: &str| AppError::Input(format!("{}: {what}", path.display()));
    if root.exists() && !root.is_dir() {
        return Err(fail(
            root,
            "not a directory (a file of that name is there); the output must be a directory",
        ));
    }
    std::fs::create_dir_all(root)
        .map_err(|e| fail(root, &format!("cannot create the output directory: {e}")))?;
    tempfile::Builder::new()
        .prefix(".cachelab-probe.")
        .tempfile_in(root)
        .map_err(|e| fail(root, &format!("the output directory is not writable: {e}")))?;
    let mut seen: std::collections::BTreeMap<&Path, &Unit> = std::collections::BTreeMap::new();
    for unit in all {
        if let Some(other) = seen.insert(&unit.dir, unit) {
            return Err(fail(
                &unit.dir,
                &format!(
                    "cells `{}` and `{}` would share this directory; make their values differ in more than spaces and slashes",
                    other.scenario.label, unit.scenario.label
                ),
            ));
        }
    }
    for unit in mine {
        std::fs::create_dir_all(&unit.dir).map_err(|e| {
            fail(
                &unit.dir,
                &format!("cannot create the unit's directory: {e}"),
            )
        })?;
    }
    Ok(())
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
/// The check holds the unit's shared lock, so no writer is halfway through
/// the unit meanwhile.
pub fn finished(unit: &Unit) -> Result<Option<Summary>, AppError> {
    if !unit.dir.join("report.html").exists() {
        return Ok(None);
    }
    let _lock = DirLock::shared(&unit.dir)?;
    Ok(finished_locked(unit))
}

/// [`finished`], for a caller that holds the unit's lock.
fn finished_locked(unit: &Unit) -> Option<Summary> {
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

/// The files only a run with request classes writes.
const CLASS_FILES: [&str; 2] = ["classes.csv", "classes-timeseries.csv"];

/// The files only a run with `[[tiers]]` writes.
const TIER_FILES: [&str; 2] = ["tiers.csv", "tiers-timeseries.csv"];

/// The file only a run with a tier of nodes of its own above `[nodes]`
/// writes.
const TIER_NODES_FILE: &str = "tier-nodes.csv";

/// Writes a unit's results, then draws its plots from them and writes its
/// report; `report.html` comes last, as the mark of completion. Holds the
/// unit's exclusive lock throughout, so two processes never mix their
/// files in one unit; if another one finished the same unit meanwhile,
/// its identical files stay. Returns the files of the unit.
pub fn write(unit: &Unit, output: &RunOutput) -> Result<Vec<PathBuf>, AppError> {
    let dir = &unit.dir;
    let _lock = DirLock::exclusive(dir)?;
    let names = [
        "summary.csv",
        "timeseries.csv",
        "nodes.csv",
        "latency.csv",
        "scenario.toml",
        "summary.json",
    ];
    let mut files: Vec<PathBuf> = names.iter().map(|f| dir.join(f)).collect();
    if let Some(summary) = finished_locked(unit) {
        if summary.classes.is_some() {
            files.extend(CLASS_FILES.iter().map(|f| dir.join(f)));
        }
        if summary.tiers.is_some() {
            files.extend(TIER_FILES.iter().map(|f| dir.join(f)));
        }
        if dir.join(TIER_NODES_FILE).is_file() {
            files.push(dir.join(TIER_NODES_FILE));
        }
        files.push(dir.join("report.html"));
        return Ok(files);
    }
    report::remove_partials(dir)?;
    let scenario = &unit.scenario;
    // A stale report must not vouch for the files being rewritten.
    remove_if_present(&dir.join("report.html"))?;
    report::write_records(
        &dir.join("summary.csv"),
        &records::summary_headers(),
        &[records::summary_values(&output.summary)],
    )?;
    report::write_csv(&dir.join("timeseries.csv"), &output.series)?;
    report::write_csv(&dir.join("nodes.csv"), &output.nodes)?;
    report::write_csv(&dir.join("latency.csv"), &output.latency)?;
    report::write_atomic(&dir.join("scenario.toml"), resolved(scenario).as_bytes())?;
    report::write_json(&dir.join("summary.json"), &output.summary)?;
    if let Some(classes) = &output.summary.classes {
        report::write_csv(&dir.join("classes.csv"), &class_rows(classes))?;
        report::write_csv(&dir.join("classes-timeseries.csv"), &output.classes)?;
        files.extend(CLASS_FILES.iter().map(|f| dir.join(f)));
    } else {
        // Left by an earlier run with classes, they would describe another run.
        for name in CLASS_FILES {
            remove_if_present(&dir.join(name))?;
        }
    }
    if let Some(tiers) = &output.summary.tiers {
        report::write_csv(&dir.join("tiers.csv"), tiers)?;
        report::write_csv(&dir.join("tiers-timeseries.csv"), &output.tiers)?;
        files.extend(TIER_FILES.iter().map(|f| dir.join(f)));
    } else {
        for name in TIER_FILES {
            remove_if_present(&dir.join(name))?;
        }
    }
    if output.tier_nodes.is_empty() {
        remove_if_present(&dir.join(TIER_NODES_FILE))?;
    } else {
        report::write_csv(&dir.join(TIER_NODES_FILE), &output.tier_nodes)?;
        files.push(dir.join(TIER_NODES_FILE));
    }
    files.extend(report::plot_directory(dir, None)?.files);
    Ok(files)
}

/// Removes a file; one that is not there is fine.
pub fn remove_if_present(path: &Path) -> Result<(), AppError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(AppError::Input(format!(
            "{}: cannot remove: {e}",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// The sweep index of `units` under `root`.
pub fn sweep_index(
    name: &str,
    axes: &[String],
    replications: u32,
    units: &[Unit],
    root: &Path,
) -> SweepIndex {
    let mut index = SweepIndex::new(name, axes, replications);
    for unit in units {
        let values = unit.scenario.cell.iter().map(|(_, v)| v.clone()).collect();
        index.add_unit(unit.cell, &unit.scenario.label, values, &unit.dir, root);
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_get_short_distinct_stable_names() {
        assert_eq!(
            cell_dir_name("nodes.policy=lru, x/y"),
            "nodes.policy=lru,_x_y"
        );
        let a = format!("name={}a", "é".repeat(200));
        let b = format!("name={}b", "é".repeat(200));
        let (na, nb) = (cell_dir_name(&a), cell_dir_name(&b));
        assert!(na.len() <= NAME_MAX && nb.len() <= NAME_MAX);
        assert!(na.starts_with("name=éé") && na.contains('~'));
        assert_ne!(na, nb, "labels that share a long start keep apart");
        assert_eq!(na, cell_dir_name(&a), "the same label, the same name");
    }
}
