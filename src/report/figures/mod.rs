//! Charts built from the files of a results directory, never from live
//! state: what `cachelab plot` draws. This file covers replay, miss-ratio
//! and run directories; [`sweep`] covers sweep summaries.

pub mod sweep;

use serde_json::Value;

use super::ReportError;
use super::plot::{BarChart, BarSeries, LineChart, Series, miss_ratio_curve, timeseries};
use super::results::{Table, distinct};
use crate::metrics::CellResult;
use crate::metrics::{FailureImpact, IntervalRow};
use crate::units::format_bytes;

/// The rows of `replay.csv` or `mrc.csv`.
fn cell_results(table: &Table) -> Result<Vec<CellResult>, ReportError> {
    table.require_rows()?;
    let policies = table.texts("policy")?;
    let number = |name: &str| table.numbers(name);
    let (sizes, requests, misses) = (
        number("cache_size")?,
        number("requests")?,
        number("misses")?,
    );
    let optional = |name: &str| table.optional_numbers(name);
    let (miss, byte_miss) = (optional("miss_ratio")?, optional("byte_miss_ratio")?);
    Ok((0..policies.len())
        .map(|i| CellResult {
            policy: policies[i].clone(),
            cache_size: sizes[i] as u64,
            requests: requests[i] as u64,
            misses: misses[i] as u64,
            miss_ratio: miss[i],
            byte_miss_ratio: byte_miss[i],
            expired: None,
            throughput_rps: None,
        })
        .collect())
}

/// Policy comparison from `replay.csv`: miss ratio per policy (one bar
/// each, in the order given), grouped by cache size (ascending).
pub fn replay_bars(table: &Table, sizes_are_bytes: bool) -> Result<BarChart, ReportError> {
    let rows = cell_results(table)?;
    let mut sizes: Vec<u64> = rows.iter().map(|r| r.cache_size).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let policies = distinct(&rows.iter().map(|r| r.policy.clone()).collect::<Vec<_>>());
    let series = policies
        .iter()
        .map(|policy| BarSeries {
            label: policy.clone(),
            values: sizes
                .iter()
                .map(|&size| {
                    rows.iter()
                        .find(|r| &r.policy == policy && r.cache_size == size)
                        .and_then(|r| r.miss_ratio)
                        .unwrap_or(f64::NAN)
                })
                .collect(),
            whiskers: Vec::new(),
        })
        .collect();
    let (x_label, categories) = if sizes_are_bytes {
        (
            "cache size",
            sizes.iter().map(|&s| format_bytes(s)).collect(),
        )
    } else {
        (
            "cache size (objects)",
            sizes.iter().map(ToString::to_string).collect(),
        )
    };
    Ok(BarChart {
        title: "Miss ratio by policy and cache size".into(),
        x_label: x_label.into(),
        y_label: "miss ratio".into(),
        categories,
        series,
        reference: None,
        stacked: false,
    })
}

/// The miss-ratio curve redrawn from `mrc.csv`.
pub fn mrc_curve(
    table: &Table,
    sizes_are_bytes: bool,
    title: &str,
) -> Result<LineChart, ReportError> {
    Ok(miss_ratio_curve(
        &cell_results(table)?,
        title,
        sizes_are_bytes,
    ))
}

/// The hit ratio of each interval of `drive-series.csv` against the
/// counted requests before it; an interval without a get is left out, and
/// a series without any (a run stopped before its first counted get) is
/// `None`.
pub fn drive_series(table: &Table, title: &str) -> Result<Option<LineChart>, ReportError> {
    let first = table.numbers("first_request")?;
    let ratios = table.optional_numbers("hit_ratio")?;
    let points: Vec<(f64, f64)> = first
        .iter()
        .zip(&ratios)
        .filter_map(|(&x, &y)| Some((x, y?)))
        .collect();
    if points.is_empty() {
        return Ok(None);
    }
    Ok(Some(LineChart {
        series: vec![Series::new("server", points)],
        ..LineChart::new(title, "counted requests", "hit ratio per interval")
    }))
}

/// What a title adds for a sampled `mrc.csv`: how it was sampled, at what
/// rate (`, sampled: 1% of keys (SHARDS)`); nothing for an exact one.
pub fn sampled_note(table: &Table) -> Result<String, ReportError> {
    if !table.has("sample_rate") {
        return Ok(String::new());
    }
    let rate = table
        .numbers("sample_rate")?
        .first()
        .copied()
        .unwrap_or(f64::NAN);
    Ok(format!(", sampled: {} of keys (SHARDS)", percent(rate)))
}

/// A share as a short percentage: 1%, 0.25%, 0.0123%.
fn percent(share: f64) -> String {
    let p = share * 100.0;
    let text = format!("{p:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// The parts of an application-tier request, from summary.json's
/// `app.breakdown`, bottom to top.
const APP_PARTS: [(&str, &str); 4] = [
    ("queue_mean_ns", "queued"),
    ("cpu_mean_ns", "CPU"),
    ("cache_mean_ns", "cache"),
    ("database_mean_ns", "database"),
];

/// The latency breakdown of a run with an application tier: for all
/// requests, hits and misses, the mean time queued, on CPU, waiting for
/// the cache and for the database, stacked into the mean latency. None
/// when the summary has no `app` section.
pub fn app_breakdown(summary: &Value, title: &str) -> Option<BarChart> {
    let rows = summary.pointer("/app/breakdown")?.as_array()?;
    let categories: Vec<String> = rows
        .iter()
        .map(|r| r["class"].as_str().unwrap_or("?").to_string())
        .collect();
    let series = APP_PARTS
        .iter()
        .map(|(field, label)| BarSeries {
            label: (*label).to_string(),
            values: rows
                .iter()
                .map(|r| r[*field].as_f64().map_or(f64::NAN, |ns| ns / 1e6))
                .collect(),
            whiskers: Vec::new(),
        })
        .collect();
    Some(BarChart {
        title: format!("Where a request's time goes (means): {title}"),
        x_label: "requests".into(),
        y_label: "mean latency (ms)".into(),
        categories,
        series,
        reference: None,
        stacked: true,
    })
}

/// Where percentile `p` sits on a "nines" axis: 90 → 1, 99 → 2, 99.9 → 3.
fn nines(p: f64) -> f64 {
    -(1.0 - p / 100.0).log10()
}

/// Latency against percentile from `latency.csv`, one line per class
/// (all, hits, misses), on a nines percentile axis and a log latency axis.
/// The 100th percentile (the maximum) has no place on a nines axis and is
/// left out; so are zero latencies (a class with no requests) and empty
/// fields (no request in the window). None when
/// no class has a latency to show: no request completed in the measured
/// window.
pub fn latency_curve(table: &Table) -> Result<Option<LineChart>, ReportError> {
    table.require_rows()?;
    let classes = table.texts("class")?;
    let percentiles = table.numbers("percentile")?;
    let latencies = table.optional_numbers("latency_ns")?;
    let mut series: Vec<Series> = Vec::new();
    for class in distinct(&classes) {
        let points: Vec<(f64, f64)> = (0..classes.len())
            .filter(|&i| classes[i] == class && percentiles[i] < 100.0)
            .filter_map(|i| {
                Some((
                    nines(percentiles[i]),
                    latencies[i].filter(|&l| l > 0.0)? / 1e6,
                ))
            })
            .collect();
        if !points.is_empty() {
            series.push(Series::new(class, points));
        }
    }
    if series.is_empty() {
        return Ok(None);
    }
    let highest = percentiles
        .iter()
        .copied()
        .filter(|&p| p < 100.0)
        .fold(0.0f64, f64::max);
    let x_ticks = [50.0, 90.0, 99.0, 99.9, 99.99, 99.999]
        .into_iter()
        .filter(|&p| p <= highest + 1e-9)
        .map(|p| (nines(p), format!("{p}")))
        .collect();
    Ok(Some(LineChart {
        log_y: true,
        x_ticks,
        series,
        // Latency grows to the right: the upper left stays empty.
        legend: plotters::prelude::SeriesLabelPosition::UpperLeft,
        ..LineChart::new(
            "Latency by percentile (maximum not shown)",
            "percentile (%, spaced by nines)",
            "latency (ms, log scale)",
        )
    }))
}

/// Per-node bars from `nodes.csv`: load share (with the mean marked) and
/// hit ratio, one panel each.
pub fn node_bars(table: &Table) -> Result<Vec<BarChart>, ReportError> {
    table.require_rows()?;
    let nodes = table.texts("node")?;
    let panel = |title: &str, y_label: &str, values: Vec<f64>, reference: Option<f64>| BarChart {
        title: title.into(),
        x_label: "node".into(),
        y_label: y_label.into(),
        categories: nodes.clone(),
        series: vec![BarSeries {
            label: title.into(),
            values,
            whiskers: Vec::new(),
        }],
        reference,
        stacked: false,
    };
    Ok(vec![
        panel(
            "Load per node (dashed: the mean node)",
            "operations / mean per node",
            table.numbers("load_share")?,
            Some(1.0),
        ),
        panel(
            "Hit ratio per node",
            "hit ratio",
            // A node that served no get has no hit ratio (an empty field):
            // no bar, not 0.
            table
                .optional_numbers("hit_ratio")?
                .into_iter()
                .map(|ratio| ratio.unwrap_or(f64::NAN))
                .collect(),
            None,
        ),
    ])
}

/// Per-tier bars from `tiers.csv`, in lookup order: hit ratio and byte
/// hit ratio over the lookups that reached each tier, and each tier's
/// load (lookups per second), one panel each.
pub fn tier_bars(table: &Table) -> Result<Vec<BarChart>, ReportError> {
    table.require_rows()?;
    let tiers = table.texts("tier")?;
    let series = |label: &str, values: Vec<f64>| BarSeries {
        label: label.into(),
        values,
        whiskers: Vec::new(),
    };
    // A tier no get reached has no hit ratio (an empty field): no bar.
    let ratio = |name: &str| -> Result<Vec<f64>, ReportError> {
        Ok(table
            .optional_numbers(name)?
            .into_iter()
            .map(|r| r.unwrap_or(f64::NAN))
            .collect())
    };
    let panel = |title: &str, y_label: &str, series: Vec<BarSeries>| BarChart {
        title: title.into(),
        x_label: "tier, in lookup order".into(),
        y_label: y_label.into(),
        categories: tiers.clone(),
        series,
        reference: None,
        stacked: false,
    };
    Ok(vec![
        panel(
            "Hit ratio per tier (over the gets that reached it)",
            "hit ratio",
            vec![
                series("hit ratio", ratio("hit_ratio")?),
                series("byte hit ratio", ratio("byte_hit_ratio")?),
            ],
        ),
        panel(
            "Load per tier",
            "lookups / s",
            vec![series("lookups / s", table.numbers("lookups_per_s")?)],
        ),
    ])
}

/// The time-series panels redrawn from `timeseries.csv`, with the failure
/// events of `summary.json` (when given) marked.
pub fn timeseries_charts(
    table: &Table,
    failures: &[FailureImpact],
    title: &str,
) -> Result<Vec<LineChart>, ReportError> {
    table.require_rows()?;
    let column = |name: &str| table.numbers(name);
    let names = [
        "time_s",
        "requests",
        "gets",
        "hits",
        "db_rps",
        "db_utilisation",
        "db_queue_mean",
        "db_rejected",
        "timeouts",
        "errors",
        "evictions",
        "nodes_up",
    ];
    // Figures with no data in an interval are empty fields.
    let hit_ratio = table.optional_numbers("hit_ratio")?;
    let p50 = table.optional_numbers("p50_ns")?;
    let p99 = table.optional_numbers("p99_ns")?;
    // Only runs whose clients follow a schedule have the offered load.
    let offered = table.optional_numbers("offered_rps").ok();
    // Only runs with retries or database time-outs have these.
    let retry_column = |name: &str| table.optional_numbers(name).ok();
    let (goodput, attempts, retries) = (
        retry_column("goodput_rps"),
        retry_column("attempt_rps"),
        retry_column("retry_rps"),
    );
    // Results written before stale reads were measured lack the column.
    let stale_reads = table
        .numbers("stale_reads")
        .unwrap_or_else(|_| vec![0.0; table.rows().len()]);
    let columns = names.map(column);
    let mut values = Vec::with_capacity(columns.len());
    for c in columns {
        values.push(c?);
    }
    let rows: Vec<IntervalRow> = (0..table.rows().len())
        .map(|i| {
            let v = |c: usize| values[c][i];
            IntervalRow {
                time_s: v(0),
                offered_rps: offered.as_ref().and_then(|o| o[i]),
                requests: v(1) as u64,
                gets: v(2) as u64,
                hits: v(3) as u64,
                hit_ratio: hit_ratio[i],
                db_rps: v(4),
                db_utilisation: v(5),
                db_queue_mean: v(6),
                db_rejected: v(7) as u64,
                timeouts: v(8) as u64,
                errors: v(9) as u64,
                evictions: v(10) as u64,
                p50_ns: p50[i].map(|p| p as u64),
                p99_ns: p99[i].map(|p| p as u64),
                nodes_up: v(11) as u32,
                stale_reads: stale_reads[i] as u64,
                goodput_rps: goodput.as_ref().and_then(|c| c[i]),
                attempt_rps: attempts.as_ref().and_then(|c| c[i]),
                retry_rps: retries.as_ref().and_then(|c| c[i]),
                ..IntervalRow::default()
            }
        })
        .collect();
    Ok(timeseries(&rows, failures, title))
}

/// The rows of a tidy time series grouped by one column (a class, a
/// tier): each row's time and group, and the groups in order of first
/// appearance.
struct Groups {
    time: Vec<f64>,
    of_row: Vec<String>,
    names: Vec<String>,
}

impl Groups {
    /// The groups of `table` by `column`, timed by `time_s`.
    fn read(table: &Table, column: &str) -> Result<Groups, ReportError> {
        table.require_rows()?;
        let col = table.column(column)?;
        let of_row: Vec<String> = table.rows().iter().map(|r| r[col].clone()).collect();
        Ok(Groups {
            time: table.numbers("time_s")?,
            names: distinct(&of_row),
            of_row,
        })
    }

    /// One line per group of `value` at each of its rows (a row without a
    /// value is left out of its line), in a panel titled `title`.
    fn panel(&self, title: &str, y_label: &str, value: &dyn Fn(usize) -> Option<f64>) -> LineChart {
        let series = self
            .names
            .iter()
            .map(|name| {
                let points = (0..self.of_row.len())
                    .filter(|&i| &self.of_row[i] == name)
                    .filter_map(|i| Some((self.time[i], value(i)?)))
                    .collect();
                Series::new(name.clone(), points)
            })
            .collect();
        LineChart {
            series,
            legend: plotters::prelude::SeriesLabelPosition::UpperRight,
            ..LineChart::new(title, "simulated time (s)", y_label)
        }
    }
}

/// The per-class panels from `classes-timeseries.csv`: hit ratio, database
/// load and p99 latency over time, one line per class (an interval without
/// data is left out of its line).
pub fn class_charts(table: &Table) -> Result<Vec<LineChart>, ReportError> {
    let groups = Groups::read(table, "class")?;
    let hit_ratio = table.optional_numbers("hit_ratio")?;
    let db_rps = table.numbers("db_rps")?;
    let p99 = table.optional_numbers("p99_ns")?;
    Ok(vec![
        groups.panel("hit ratio by request class", "hit ratio", &|i| hit_ratio[i]),
        groups.panel("database load by request class", "queries/s", &|i| {
            Some(db_rps[i])
        }),
        groups.panel("p99 latency by request class", "ms", &|i| {
            p99[i].map(|p| p / 1e6)
        }),
    ])
}

/// The per-tier panels from `tiers-timeseries.csv`: each tier's hit ratio
/// over the gets that reached it, and its load, over time, one line per
/// tier (`shared` is `[nodes]`), so that a failed tier's load shows where
/// it went.
pub fn tier_charts(table: &Table) -> Result<Vec<LineChart>, ReportError> {
    let groups = Groups::read(table, "tier")?;
    let hit_ratio = table.optional_numbers("hit_ratio")?;
    let load = table.numbers("lookups_per_s")?;
    Ok(vec![
        groups.panel(
            "hit ratio by tier (of the gets that reached it)",
            "hit ratio",
            &|i| hit_ratio[i],
        ),
        groups.panel("load by tier", "lookups/s", &|i| Some(load[i])),
    ])
}

/// The `failures` list of a parsed `summary.json` (empty when absent).
pub fn failures_of(
    summary: &Value,
    path: &std::path::Path,
) -> Result<Vec<FailureImpact>, ReportError> {
    let invalid = |i: usize, field: &str| ReportError::Read {
        path: path.to_path_buf(),
        message: format!("failures[{i}].{field}: missing or not of the right type"),
    };
    let Some(list) = summary.get("failures") else {
        return Ok(Vec::new());
    };
    let list = list.as_array().ok_or_else(|| ReportError::Read {
        path: path.to_path_buf(),
        message: "`failures` is not a list".into(),
    })?;
    list.iter()
        .enumerate()
        .map(|(i, f)| {
            let number = |field: &str| {
                f.get(field)
                    .and_then(Value::as_f64)
                    .ok_or_else(|| invalid(i, field))
            };
            let optional = |field: &str| f.get(field).and_then(Value::as_f64);
            Ok(FailureImpact {
                time_s: number("time_s")?,
                action: f
                    .get("action")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid(i, "action"))?
                    .to_string(),
                node: f.get("node").and_then(Value::as_u64).map(|n| n as u32),
                tier: f.get("tier").and_then(Value::as_str).map(str::to_string),
                keys_moved: optional("keys_moved"),
                db_rps_before: number("db_rps_before")?,
                db_rps_peak: number("db_rps_peak")?,
                db_raised_s: number("db_raised_s")?,
                hit_ratio_before: number("hit_ratio_before")?,
                hit_ratio_min: number("hit_ratio_min")?,
                recovery_90_s: optional("recovery_90_s"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nines_place_percentiles() {
        assert!((nines(90.0) - 1.0).abs() < 1e-12);
        assert!((nines(99.9) - 3.0).abs() < 1e-9);
        assert!((nines(50.0) - std::f64::consts::LOG10_2).abs() < 1e-12);
    }
}
