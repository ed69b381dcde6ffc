//! A sweep's index (`sweep.json`) and its aggregate tables, built from the
//! units' `summary.json` files on disk — so a sweep run on one machine and
//! one run in shards and merged give the same bytes.
//!
//! - `sweep.csv`: one row per cell and replication: the axis values, the
//!   replication, then the summary columns;
//! - `sweep-summary.csv`: one row per cell: the axis values, the number of
//!   replications, then for every column of [`COLUMNS`] its mean and 95%
//!   interval (`M_mean`, `M_ci_low`, `M_ci_high`) over the replications
//!   that have data for it; empty fields when none has. When some
//!   replication lacks data, `replications_with_gets` and
//!   `replications_with_requests` follow `replications` and say how many
//!   had a measured get (behind the ratios) and a completed request
//!   (behind the latencies). A sweep whose every replication has data keeps
//!   the table it always had.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ReportError;
use super::records::{summary_headers, summary_values};
use crate::metrics::Summary;
use crate::metrics::columns::{COLUMNS, Needs};
use crate::metrics::stats::{Estimate, estimate};

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
    /// An index of no unit yet.
    pub fn new(name: &str, axes: &[String], replications: u32) -> SweepIndex {
        SweepIndex {
            name: name.to_string(),
            axes: axes.to_vec(),
            replications,
            cells: Vec::new(),
        }
    }

    /// Adds the unit of cell `cell` (labelled `label`, with axis values
    /// `values`) in `dir`, recorded relative to `root`. Cells come in
    /// order: a new cell's index is the number of cells so far.
    pub fn add_unit(
        &mut self,
        cell: usize,
        label: &str,
        values: Vec<String>,
        dir: &Path,
        root: &Path,
    ) {
        if self.cells.len() <= cell {
            self.cells.push(CellIndex {
                label: label.to_string(),
                values,
                units: Vec::new(),
            });
        }
        let relative = dir.strip_prefix(root).unwrap_or(dir).to_path_buf();
        self.cells[cell].units.push(relative);
    }

    /// Reads `sweep.json` from a sweep directory. Every unit path must be
    /// relative and made of plain names, so that it stays inside the
    /// directory (a `sweep.json` from elsewhere cannot make `merge` read or
    /// write outside it).
    pub fn read(root: &Path) -> Result<SweepIndex, ReportError> {
        let path = root.join("sweep.json");
        let fail = |message: String| ReportError::Read {
            path: path.clone(),
            message,
        };
        let bytes = std::fs::read(&path).map_err(|e| fail(e.to_string()))?;
        let index: SweepIndex = serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?;
        for cell in &index.cells {
            for unit in &cell.units {
                let plain = unit.components().next().is_some()
                    && unit
                        .components()
                        .all(|c| matches!(c, std::path::Component::Normal(_)));
                if !plain {
                    return Err(fail(format!(
                        "cell `{}` has the unit path `{}`, which is not inside the sweep directory: unit paths are relative, made of names only (no `..`, `.`, root or drive)",
                        cell.label,
                        unit.display()
                    )));
                }
            }
        }
        Ok(index)
    }

    /// Writes `sweep.json`.
    pub fn write(&self, root: &Path) -> Result<PathBuf, ReportError> {
        let path = root.join("sweep.json");
        super::write_json(&path, self)?;
        Ok(path)
    }
}

/// Reads every unit's summary, by cell; names the first one missing.
pub fn summaries(index: &SweepIndex, root: &Path) -> Result<Vec<Vec<Summary>>, ReportError> {
    index
        .cells
        .iter()
        .map(|cell| {
            cell.units
                .iter()
                .map(|dir| {
                    let path = root.join(dir).join("summary.json");
                    let fail = |message: String| ReportError::Read {
                        path: path.clone(),
                        message,
                    };
                    let bytes = std::fs::read(&path).map_err(|_| {
                        fail(format!(
                            "missing: cell `{}` has not run (run the remaining shards, or merge their directories)",
                            cell.label
                        ))
                    })?;
                    serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))
                })
                .collect()
        })
        .collect()
}

/// The mean and 95% interval of `values` over the replications that have
/// data, and how many have; `None` when none has.
pub fn estimate_with_data(values: &[Option<f64>]) -> Option<(Estimate, usize)> {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    (!present.is_empty()).then(|| (estimate(&present), present.len()))
}

/// Writes `sweep.csv` and `sweep-summary.csv` from the units on disk.
pub fn aggregate(index: &SweepIndex, root: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let summaries = summaries(index, root)?;
    let mut headers: Vec<String> = index.axes.clone();
    headers.push("replication".into());
    headers.extend(summary_headers());
    let mut rows = Vec::new();
    for (cell, runs) in index.cells.iter().zip(&summaries) {
        for (r, summary) in runs.iter().enumerate() {
            let mut row = cell.values.clone();
            row.push(r.to_string());
            row.extend(summary_values(summary));
            rows.push(row);
        }
    }
    let per_run = root.join("sweep.csv");
    super::write_records(&per_run, &headers, &rows)?;
    let per_cell = root.join("sweep-summary.csv");
    let (headers, rows) = cell_table(index, &summaries);
    super::write_records(&per_cell, &headers, &rows)?;
    Ok(vec![per_run, per_cell])
}

/// The data counts written when some replication lacks data.
const DATA_COUNTS: [(&str, Needs); 2] = [
    ("replications_with_gets", Needs::Gets),
    ("replications_with_requests", Needs::Requests),
];

/// `sweep-summary.csv` as (headers, rows).
fn cell_table(index: &SweepIndex, summaries: &[Vec<Summary>]) -> (Vec<String>, Vec<Vec<String>>) {
    let some_lack_data = summaries
        .iter()
        .flatten()
        .any(|s| DATA_COUNTS.iter().any(|&(_, needs)| !needs.met_by(s)));
    let mut headers: Vec<String> = index.axes.clone();
    headers.push("replications".into());
    if some_lack_data {
        headers.extend(DATA_COUNTS.iter().map(|(name, _)| name.to_string()));
    }
    for c in COLUMNS {
        headers.extend([
            format!("{}_mean", c.name),
            format!("{}_ci_low", c.name),
            format!("{}_ci_high", c.name),
        ]);
    }
    let mut rows = Vec::new();
    for (cell, runs) in index.cells.iter().zip(summaries) {
        let mut row = cell.values.clone();
        row.push(runs.len().to_string());
        if some_lack_data {
            for (_, needs) in DATA_COUNTS {
                let with = runs.iter().filter(|s| needs.met_by(s)).count();
                row.push(with.to_string());
            }
        }
        for c in COLUMNS {
            let values: Vec<Option<f64>> = runs.iter().map(c.value).collect();
            match estimate_with_data(&values) {
                Some((e, _)) => {
                    row.extend([e.mean.to_string(), e.low.to_string(), e.high.to_string()]);
                }
                None => row.extend([String::new(), String::new(), String::new()]),
            }
        }
        rows.push(row);
    }
    (headers, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::LatencySummary;

    fn summary(gets: u64, hit_ratio: f64) -> Summary {
        let latency = LatencySummary {
            count: gets,
            mean_ns: Some(1.0),
            p50_ns: Some(1),
            p90_ns: Some(1),
            p99_ns: Some(1),
            p999_ns: Some(1),
            max_ns: Some(1),
        };
        Summary {
            requests: gets,
            gets,
            hit_ratio: Some(hit_ratio),
            byte_hit_ratio: Some(hit_ratio),
            miss_ratio: Some(1.0 - hit_ratio),
            latency_all: latency.clone(),
            latency_hits: latency.clone(),
            latency_misses: latency,
            ..Summary::default()
        }
    }

    fn index(cells: usize) -> SweepIndex {
        let mut index = SweepIndex::new("t", &["nodes.count".to_string()], 2);
        for cell in 0..cells {
            for r in 0..2 {
                let dir = PathBuf::from(format!("{cell}/rep-{r}"));
                index.add_unit(
                    cell,
                    &cell.to_string(),
                    vec![cell.to_string()],
                    &dir,
                    Path::new(""),
                );
            }
        }
        index
    }

    fn metric_headers() -> Vec<String> {
        COLUMNS
            .iter()
            .flat_map(|c| ["mean", "ci_low", "ci_high"].map(|s| format!("{}_{s}", c.name)))
            .collect()
    }

    #[test]
    fn the_cell_table_takes_its_columns_from_the_table() {
        let runs = vec![vec![summary(10, 0.5), summary(10, 0.7)]];
        let (headers, rows) = cell_table(&index(1), &runs);
        let mut expected = vec!["nodes.count".to_string(), "replications".to_string()];
        expected.extend(metric_headers());
        assert_eq!(headers, expected);
        let at = |name: &str| &rows[0][headers.iter().position(|h| h == name).unwrap()];
        assert_eq!(at("hit_ratio_mean"), "0.6");
    }

    #[test]
    fn replications_without_data_are_left_out_and_counted() {
        // Cell 0: one replication with data, one empty window; cell 1: none.
        let runs = vec![
            vec![summary(10, 0.5), Summary::default()],
            vec![Summary::default(), Summary::default()],
        ];
        let (headers, rows) = cell_table(&index(2), &runs);
        assert_eq!(
            headers[..4],
            [
                "nodes.count",
                "replications",
                "replications_with_gets",
                "replications_with_requests"
            ]
        );
        assert_eq!(headers[4..], metric_headers());
        let at = |row: usize, name: &str| {
            rows[row][headers.iter().position(|h| h == name).unwrap()].clone()
        };
        assert_eq!(at(0, "replications"), "2");
        assert_eq!(at(0, "replications_with_gets"), "1");
        assert_eq!(
            at(0, "hit_ratio_mean"),
            "0.5",
            "the mean of the replication with data"
        );
        assert_eq!(at(0, "latency_all_p99_ns_ci_high"), "1");
        assert_eq!(at(1, "replications_with_requests"), "0");
        for name in [
            "hit_ratio_mean",
            "hit_ratio_ci_low",
            "latency_all_p99_ns_mean",
        ] {
            assert_eq!(at(1, name), "", "{name}: no data is an empty field, not 0");
        }
        assert_eq!(
            at(1, "db_rps_mean"),
            "0",
            "a load over the measured time is data"
        );
    }
}
