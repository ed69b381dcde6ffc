//! Charts of a sweep summary (`sweep-summary.csv`): bars per value of a
//! categorical axis (such as `nodes.policy`), a line against a numeric,
//! size or duration axis, and heatmaps over two axes (small multiples of
//! them over any further axes). Whiskers and
//! intervals are the file's 95% confidence intervals, shown when a cell has
//! more than one replication.

use super::super::ReportError;
use super::super::plot::{BarChart, BarSeries, Heatmap, LineChart, Series};
use super::super::results::{Estimate, Metric, Sweep, distinct};
use crate::units::{parse_bytes, parse_duration};

/// Metrics of bar and line panels when none is chosen: hit ratio, database
/// load and p99 latency.
pub const PANEL_METRICS: [&str; 3] = ["hit_ratio", "db_rps", "latency_all_p99_ns"];

/// Metrics of heatmaps when none is chosen.
pub const HEATMAP_METRICS: [&str; 2] = ["hit_ratio", "db_rps"];

/// The axis values as positions on a number line and the unit they are
/// in, if every value is a number, a byte size or a duration (as seconds).
pub fn axis_positions(values: &[String]) -> Option<(Vec<f64>, &'static str)> {
    let all = |parse: &dyn Fn(&str) -> Option<f64>| -> Option<Vec<f64>> {
        values.iter().map(|v| parse(v.trim())).collect()
    };
    if let Some(numbers) = all(&|v| v.parse::<f64>().ok().filter(|x| x.is_finite())) {
        return Some((numbers, ""));
    }
    if let Some(bytes) = all(&|v| parse_bytes(v).map(|b| b as f64)) {
        return Some((bytes, "bytes"));
    }
    all(&|v| parse_duration(v).map(|ns| ns as f64 / 1e9)).map(|s| (s, "s"))
}

fn whiskers_wanted(sweep: &Sweep) -> Result<bool, ReportError> {
    Ok(sweep.replications()? > 1)
}

/// Bars of each metric per value of `axis`, one panel per metric. When the
/// sweep has a second axis, each value of it is a series (bars side by
/// side, legend beside the plot).
pub fn sweep_bars(
    sweep: &Sweep,
    axis: &str,
    metrics: &[Metric],
) -> Result<Vec<BarChart>, ReportError> {
    let keys = sweep.table.texts(axis)?;
    let categories = distinct(&keys);
    let other = sweep.axes.iter().find(|a| a.as_str() != axis);
    let groups = match other {
        Some(other) => sweep.table.texts(other)?,
        None => vec![String::new(); keys.len()],
    };
    let whiskers = whiskers_wanted(sweep)?;
    let replications = sweep.describe_replications()?;
    metrics
        .iter()
        .map(|metric| {
            let estimates = sweep.estimates(metric)?;
            let cell = |category: &str, group: &str| -> Option<Estimate> {
                (0..keys.len())
                    .find(|&i| keys[i] == category && groups[i] == group)
                    .and_then(|i| estimates[i])
            };
            let series = distinct(&groups)
                .into_iter()
                .map(|group| {
                    let cells: Vec<Option<Estimate>> =
                        categories.iter().map(|c| cell(c, &group)).collect();
                    BarSeries {
                        label: match other {
                            Some(other) => format!("{other}={group}"),
                            None => metric.label.clone(),
                        },
                        values: cells
                            .iter()
                            .map(|e| e.map_or(f64::NAN, |e| e.mean))
                            .collect(),
                        whiskers: if whiskers {
                            cells
                                .iter()
                                .map(|e| e.map_or((f64::NAN, f64::NAN), |e| (e.low, e.high)))
                                .collect()
                        } else {
                            Vec::new()
                        },
                    }
                })
                .collect();
            Ok(BarChart {
                title: format!("{} by {axis} ({replications})", metric.title()),
                x_label: axis.to_string(),
                y_label: metric.label.clone(),
                categories: categories.clone(),
                series,
                reference: None,
                stacked: false,
            })
        })
        .collect()
}

/// A line of `metric` against the sweep's only axis, whose values must be
/// numbers, sizes or durations (none otherwise). Ticks sit at the swept
/// values, labelled as written; the axis is logarithmic when the values
/// span a decade or more.
pub fn sweep_line(sweep: &Sweep, metric: &Metric) -> Result<Option<LineChart>, ReportError> {
    let axis = &sweep.axes[0];
    let texts = sweep.table.texts(axis)?;
    let Some((positions, unit)) = axis_positions(&texts) else {
        return Ok(None);
    };
    let (low, high) = positions
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    let log = low > 0.0 && high >= 10.0 * low;
    let place = |x: f64| if log { x.log10() } else { x };
    let estimates = sweep.estimates(metric)?;
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by(|&a, &b| positions[a].total_cmp(&positions[b]));
    let mut x_ticks: Vec<(f64, String)> = Vec::new();
    for &i in &order {
        if !x_ticks.iter().any(|(_, t)| t == &texts[i]) {
            x_ticks.push((place(positions[i]), texts[i].clone()));
        }
    }
    // Cells without data are left out of the line, not drawn as 0.
    let points: Vec<(f64, Estimate)> = order
        .iter()
        .filter_map(|&i| Some((place(positions[i]), estimates[i]?)))
        .collect();
    let mut series = Series::new(
        metric.label.clone(),
        points.iter().map(|&(x, e)| (x, e.mean)).collect(),
    );
    if whiskers_wanted(sweep)? {
        series.whiskers = points.iter().map(|&(x, e)| (x, e.low, e.high)).collect();
    }
    let mut x_label = axis.clone();
    match (unit, log) {
        ("", false) => {}
        ("", true) => x_label.push_str(" (log scale)"),
        (unit, false) => x_label.push_str(&format!(" ({unit})")),
        (unit, true) => x_label.push_str(&format!(" ({unit}, log scale)")),
    }
    Ok(Some(LineChart {
        x_ticks,
        series: vec![series],
        ..LineChart::new(
            format!(
                "{} against {axis} ({})",
                metric.title(),
                sweep.describe_replications()?
            ),
            x_label,
            metric.label.clone(),
        )
    }))
}

/// Heatmaps of `metric` over the sweep's first two axes: the first across,
/// the second up, each cell labelled with its mean. A sweep of more axes
/// gets small multiples: one heatmap per combination of the values of the
/// further axes, in order of first appearance, each titled with them.
pub fn sweep_heatmaps(sweep: &Sweep, metric: &Metric) -> Result<Vec<Heatmap>, ReportError> {
    let [across, up, further @ ..] = sweep.axes.as_slice() else {
        return Err(sweep.table.invalid(format!(
            "a heatmap needs two axes or more, not {}",
            sweep.axes.len()
        )));
    };
    let (xs, ys) = (sweep.table.texts(across)?, sweep.table.texts(up)?);
    let others = further
        .iter()
        .map(|axis| sweep.table.texts(axis))
        .collect::<Result<Vec<_>, _>>()?;
    let key = |i: usize| -> Vec<&str> { others.iter().map(|o| o[i].as_str()).collect() };
    let mut groups: Vec<Vec<&str>> = Vec::new();
    for i in 0..xs.len() {
        if !groups.contains(&key(i)) {
            groups.push(key(i));
        }
    }
    let estimates = sweep.estimates(metric)?;
    let (columns, rows) = (distinct(&xs), distinct(&ys));
    let replications = sweep.describe_replications()?;
    let heatmaps = groups
        .iter()
        .map(|group| {
            let values = rows
                .iter()
                .map(|y| {
                    columns
                        .iter()
                        .map(|x| {
                            (0..xs.len())
                                .find(|&i| &xs[i] == x && &ys[i] == y && &key(i) == group)
                                .and_then(|i| estimates[i].map(|e| e.mean))
                        })
                        .collect()
                })
                .collect();
            let mut title = format!("{} over {across} × {up}", metric.title());
            for (axis, value) in further.iter().zip(group) {
                title.push_str(&format!(", {axis}={value}"));
            }
            Heatmap {
                title: format!("{title} ({replications})"),
                x_label: across.clone(),
                y_label: up.clone(),
                value_label: metric.label.clone(),
                columns: columns.clone(),
                rows: rows.clone(),
                values,
            }
        })
        .collect();
    Ok(heatmaps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn axes_of_numbers_sizes_and_durations_have_positions() {
        assert_eq!(
            axis_positions(&strings(&["1", "2", "8"])),
            Some((vec![1.0, 2.0, 8.0], ""))
        );
        assert_eq!(
            axis_positions(&strings(&["1KiB", "2KiB"])),
            Some((vec![1024.0, 2048.0], "bytes"))
        );
        assert_eq!(
            axis_positions(&strings(&["500ms", "2s"])),
            Some((vec![0.5, 2.0], "s"))
        );
        assert_eq!(axis_positions(&strings(&["lru", "s3fifo"])), None);
    }
}
