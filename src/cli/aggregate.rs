//! A sweep's index (`sweep.json`) and its aggregate tables, built from the
//! units' `summary.json` files on disk — so a sweep run on one machine and
//! one run in shards and merged give the same bytes.
//!
//! - `sweep.csv`: one row per cell and replication: the axis values, the
//!   replication, then the summary columns;
//! - `sweep-summary.csv`: one row per cell: the axis values, the number of
//!   replications, then for every numeric metric its mean and 95% interval
//!   (`M_mean`, `M_ci_low`, `M_ci_high`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::replay::AppError;
use super::units::{Unit, numeric_fields, summary_record};
use crate::metrics::Summary;
use crate::metrics::stats::estimate;
use crate::report;

/// Where a sweep's units live, written by every shard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepIndex {
    /// Scenario name.
    pub name: String,
    /// Axis field paths, in order.
    pub axes: Vec<String>,
    /// Replications per cell.
    pub replications: u32,
    /// The cells, in sweep order.
    pub cells: Vec<CellIndex>,
}

/// One cell of a sweep index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellIndex {
    /// The cell's label.
    pub label: String,
    /// Its axis values, as written.
    pub values: Vec<String>,
    /// Its units' directories, relative to the sweep directory, by replication.
    pub units: Vec<PathBuf>,
}

impl SweepIndex {
    /// The index of `units` under `root`.
    pub fn new(
        name: &str,
        axes: &[String],
        replications: u32,
        units: &[Unit],
        root: &Path,
    ) -> SweepIndex {
        let mut cells: Vec<CellIndex> = Vec::new();
        for unit in units {
            if cells.len() <= unit.cell {
                cells.push(CellIndex {
                    label: unit.scenario.label.clone(),
                    values: unit.scenario.cell.iter().map(|(_, v)| v.clone()).collect(),
                    units: Vec::new(),
                });
            }
            let relative = unit
                .dir
                .strip_prefix(root)
                .unwrap_or(&unit.dir)
                .to_path_buf();
            cells[unit.cell].units.push(relative);
        }
        SweepIndex {
            name: name.to_string(),
            axes: axes.to_vec(),
            replications,
            cells,
        }
    }

    /// Reads `sweep.json` from a sweep directory. Every unit path must be
    /// relative and made of plain names, so that it stays inside the
    /// directory (a `sweep.json` from elsewhere cannot make `merge` read or
    /// write outside it).
    pub fn read(root: &Path) -> Result<SweepIndex, AppError> {
        let path = root.join("sweep.json");
        let bytes = std::fs::read(&path)
            .map_err(|e| AppError::Input(format!("{}: {e}", path.display())))?;
        let index: SweepIndex = serde_json::from_slice(&bytes)
            .map_err(|e| AppError::Input(format!("{}: {e}", path.display())))?;
        for cell in &index.cells {
            for unit in &cell.units {
                let plain = unit.components().next().is_some()
                    && unit
                        .components()
                        .all(|c| matches!(c, std::path::Component::Normal(_)));
                if !plain {
                    return Err(AppError::Input(format!(
                        "{}: cell `{}` has the unit path `{}`, which is not inside the sweep directory: unit paths are relative, made of names only (no `..`, `.`, root or drive)",
                        path.display(),
                        cell.label,
                        unit.display()
                    )));
                }
            }
        }
        Ok(index)
    }

    /// Writes `sweep.json`.
    pub fn write(&self, root: &Path) -> Result<PathBuf, AppError> {
        let path = root.join("sweep.json");
        report::write_json(&path, self)?;
        Ok(path)
    }
}

/// Reads every unit's summary; names the first one missing.
pub fn summaries(index: &SweepIndex, root: &Path) -> Result<Vec<Vec<Summary>>, AppError> {
    index
        .cells
        .iter()
        .map(|cell| {
            cell.units
                .iter()
                .map(|dir| {
                    let path = root.join(dir).join("summary.json");
                    let bytes = std::fs::read(&path).map_err(|_| {
                        AppError::Input(format!(
                            "{} is missing: cell `{}` has not run (run the remaining shards, or merge their directories)",
                            path.display(),
                            cell.label
                        ))
                    })?;
                    serde_json::from_slice(&bytes).map_err(|e| AppError::Input(format!("{}: {e}", path.display())))
                })
                .collect()
        })
        .collect()
}

/// Writes `sweep.csv` and `sweep-summary.csv` from the units on disk.
pub fn aggregate(index: &SweepIndex, root: &Path) -> Result<Vec<PathBuf>, AppError> {
    let summaries = summaries(index, root)?;
    let mut headers: Vec<String> = index.axes.clone();
    headers.push("replication".into());
    let mut rows = Vec::new();
    for (cell, runs) in index.cells.iter().zip(&summaries) {
        for (r, summary) in runs.iter().enumerate() {
            let (h, values) = summary_record(summary);
            if rows.is_empty() {
                headers.extend(h);
            }
            let mut row = cell.values.clone();
            row.push(r.to_string());
            row.extend(values);
            rows.push(row);
        }
    }
    let per_run = root.join("sweep.csv");
    report::write_records(&per_run, &headers, &rows)?;

    let mut headers: Vec<String> = index.axes.clone();
    headers.push("replications".into());
    let mut rows = Vec::new();
    for (cell, runs) in index.cells.iter().zip(&summaries) {
        let fields: Vec<Vec<(String, f64)>> = runs.iter().map(numeric_fields).collect();
        if rows.is_empty() {
            for (name, _) in &fields[0] {
                headers.extend([
                    format!("{name}_mean"),
                    format!("{name}_ci_low"),
                    format!("{name}_ci_high"),
                ]);
            }
        }
        let mut row = cell.values.clone();
        row.push(runs.len().to_string());
        for m in 0..fields[0].len() {
            let values: Vec<f64> = fields.iter().map(|f| f[m].1).collect();
            let e = estimate(&values);
            row.extend([e.mean.to_string(), e.low.to_string(), e.high.to_string()]);
        }
        rows.push(row);
    }
    let per_cell = root.join("sweep-summary.csv");
    report::write_records(&per_cell, &headers, &rows)?;
    Ok(vec![per_run, per_cell])
}
