//! Result files read back for plots and the HTML report: CSV tables kept as
//! text, with typed access whose errors name the file, the line and the
//! column; the metrics of a sweep summary with their labels and units.

use std::path::{Path, PathBuf};

use super::ReportError;
use crate::metrics::columns;

/// A CSV file with a header, as text.
#[derive(Clone, Debug)]
pub struct Table {
    path: PathBuf,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads a whole CSV file; ragged rows and unreadable files are errors.
    pub fn read(path: &Path) -> Result<Table, ReportError> {
        let fail = |message: String| ReportError::Read {
            path: path.to_path_buf(),
            message,
        };
        let mut reader = csv::Reader::from_path(path).map_err(|e| fail(e.to_string()))?;
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| fail(e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        if headers.iter().all(String::is_empty) {
            return Err(fail("empty file: no header".into()));
        }
        let rows = reader
            .records()
            .map(|r| {
                r.map(|r| r.iter().map(str::to_string).collect())
                    .map_err(|e| fail(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Table {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Column names, in file order.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The rows, each as many fields as there are headers.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// An error about this file.
    pub fn invalid(&self, message: impl Into<String>) -> ReportError {
        ReportError::Read {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// Whether the file has this column.
    pub fn has(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h == name)
    }

    /// The index of a column, or an error listing the columns there are.
    pub fn column(&self, name: &str) -> Result<usize, ReportError> {
        self.headers.iter().position(|h| h == name).ok_or_else(|| {
            self.invalid(format!(
                "no column `{name}` (columns: {})",
                self.headers.join(", ")
            ))
        })
    }

    /// An error unless there is at least one row.
    pub fn require_rows(&self) -> Result<(), ReportError> {
        if self.rows.is_empty() {
            return Err(self.invalid("no rows below the header"));
        }
        Ok(())
    }

    /// The number in row `row` (0 = first below the header), column `col`.
    pub fn number(&self, row: usize, col: usize) -> Result<f64, ReportError> {
        let text = self.rows[row][col].trim();
        text.parse::<f64>().map_err(|_| {
            self.invalid(format!(
                "line {}, column `{}`: `{text}` is not a number",
                row + 2,
                self.headers[col]
            ))
        })
    }

    /// Every number of a column, top to bottom.
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>, ReportError> {
        let col = self.column(name)?;
        (0..self.rows.len()).map(|r| self.number(r, col)).collect()
    }

    /// Every number of a column, top to bottom; an empty field (no data)
    /// is `None`.
    pub fn optional_numbers(&self, name: &str) -> Result<Vec<Option<f64>>, ReportError> {
        let col = self.column(name)?;
        (0..self.rows.len())
            .map(|r| {
                if self.rows[r][col].trim().is_empty() {
                    Ok(None)
                } else {
                    self.number(r, col).map(Some)
                }
            })
            .collect()
    }

    /// Every field of a column, top to bottom.
    pub fn texts(&self, name: &str) -> Result<Vec<String>, ReportError> {
        let col = self.column(name)?;
        Ok(self.rows.iter().map(|r| r[col].clone()).collect())
    }
}

/// The distinct values of `values`, in order of first appearance.
pub fn distinct(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

/// A summary metric: its column name, a label with unit, and the factor
/// from the file's unit to the label's (nanoseconds are shown in ms).
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// The column name in `summary.csv` (`hit_ratio`, `latency_all_p99_ns`).
    pub name: String,
    /// Axis text with unit.
    pub label: String,
    /// Multiply file values by this for the label's unit.
    pub scale: f64,
}

impl Metric {
    /// The label without its unit, for titles: "database load".
    pub fn title(&self) -> &str {
        self.label
            .split_once(" (")
            .map_or(self.label.as_str(), |(name, _)| name)
    }

    /// The metric named `name`, labelled from the column table; a
    /// trailing `_mean` is dropped, so the names of `summary.csv` and of
    /// `sweep-summary.csv` both work. A name the table lacks is labelled by
    /// itself.
    pub fn named(name: &str) -> Metric {
        let name = name.strip_suffix("_mean").unwrap_or(name);
        let Some(column) = columns::column(name) else {
            return Metric {
                name: name.to_string(),
                label: name.replace('_', " "),
                scale: 1.0,
            };
        };
        let (unit, scale) = column.display_unit();
        let label = if unit.is_empty() {
            column.label.to_string()
        } else {
            format!("{} ({unit})", column.label)
        };
        Metric {
            name: name.to_string(),
            label,
            scale,
        }
    }
}

/// A mean and its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Mean over replications.
    pub mean: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

/// `sweep-summary.csv`: one row per cell, the axis columns first, then
/// `replications`, then `M_mean`, `M_ci_low`, `M_ci_high` per metric.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The file.
    pub table: Table,
    /// The axis columns (field paths such as `nodes.policy`), in file order.
    pub axes: Vec<String>,
}

impl Sweep {
    /// Reads a sweep summary; the axes are the columns before `replications`.
    pub fn read(path: &Path) -> Result<Sweep, ReportError> {
        let table = Table::read(path)?;
        table.require_rows()?;
        let axes = table.headers()[..table.column("replications")?].to_vec();
        if axes.is_empty() {
            return Err(table.invalid("no axis columns before `replications`"));
        }
        Ok(Sweep { table, axes })
    }

    /// The metric named `name`, if the file has its `_mean` column; the
    /// error lists the metrics there are.
    pub fn metric(&self, name: &str) -> Result<Metric, ReportError> {
        let metric = Metric::named(name);
        if self.table.has(&format!("{}_mean", metric.name)) {
            return Ok(metric);
        }
        let names: Vec<&str> = self
            .table
            .headers()
            .iter()
            .filter_map(|h| h.strip_suffix("_mean"))
            .collect();
        Err(self.table.invalid(format!(
            "no metric `{}` (metrics: {})",
            metric.name,
            names.join(", ")
        )))
    }

    /// Each cell's estimate of `metric`, in the metric's display unit;
    /// `None` for a cell without data (empty fields).
    pub fn estimates(&self, metric: &Metric) -> Result<Vec<Option<Estimate>>, ReportError> {
        let column = |suffix: &str| {
            self.table
                .optional_numbers(&format!("{}_{suffix}", metric.name))
        };
        let (mean, low, high) = (column("mean")?, column("ci_low")?, column("ci_high")?);
        Ok((0..mean.len())
            .map(|i| {
                Some(Estimate {
                    mean: mean[i]? * metric.scale,
                    low: low[i]? * metric.scale,
                    high: high[i]? * metric.scale,
                })
            })
            .collect())
    }

    /// The largest replication count of any cell.
    pub fn replications(&self) -> Result<u64, ReportError> {
        let counts = self.table.numbers("replications")?;
        Ok(counts.into_iter().fold(0.0f64, f64::max) as u64)
    }

    /// "mean of 5 runs, 95% CI" or "1 run per cell", for titles.
    pub fn describe_replications(&self) -> Result<String, ReportError> {
        Ok(match self.replications()? {
            0 | 1 => "1 run per cell".to_string(),
            n => format!("mean of {n} runs, 95% CI"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_get_labels_and_units() {
        assert_eq!(Metric::named("hit_ratio_mean").label, "hit ratio");
        assert_eq!(Metric::named("db_rps").title(), "database load");
        let p99 = Metric::named("latency_all_p99_ns");
        assert_eq!(p99.label, "p99 latency, all (ms)");
        assert_eq!(p99.scale, 1e-6);
        assert_eq!(
            Metric::named("latency_misses_p999_ns").label,
            "p99.9 latency, misses (ms)"
        );
        assert_eq!(Metric::named("timeouts").label, "time-outs");
        assert_eq!(Metric::named("no_such_metric").label, "no such metric");
    }

    #[test]
    fn plotted_metrics_are_columns_of_the_table() {
        use crate::report::figures::sweep::{HEATMAP_METRICS, PANEL_METRICS};
        for name in PANEL_METRICS.iter().chain(&HEATMAP_METRICS) {
            assert!(columns::column(name).is_some(), "plotted metric `{name}`");
        }
    }

    #[test]
    fn bad_numbers_name_the_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\n1,2\n3,x\n").unwrap();
        let table = Table::read(&path).unwrap();
        let error = table.numbers("b").unwrap_err().to_string();
        assert!(
            error.contains("t.csv") && error.contains("line 3") && error.contains("`b`"),
            "{error}"
        );
        let error = table.numbers("c").unwrap_err().to_string();
        assert!(error.contains("no column `c`"), "{error}");
        std::fs::write(&path, "a,b\n1,2,3\n").unwrap();
        assert!(Table::read(&path).is_err());
    }
}
