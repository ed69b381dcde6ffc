//! `cachelab compare`: two scenarios (or one with two sets of overrides),
//! each run with the same replication seeds, and the differences of their
//! headline metrics with 95% intervals over the paired replications —
//! "S3-FIFO cuts database load by 18% ± 2%".

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::replay::{AppError, thread_pool};
use super::units::{self, Unit};
use crate::cluster::simulate;
use crate::metrics::Summary;
use crate::metrics::columns::{self, Column, HEADLINE};
use crate::metrics::stats::{Estimate, estimate};
use crate::report;
use crate::scenario::{self, Override};

/// `cachelab compare` arguments.
#[derive(Clone, Debug)]
pub struct CompareArgs {
    /// Scenario A, and B unless `set_b` makes B from A.
    pub files: Vec<PathBuf>,
    /// Overrides for A.
    pub set_a: Vec<String>,
    /// Overrides for B.
    pub set_b: Vec<String>,
    /// Paired replications.
    pub replications: u32,
    /// Output directory.
    pub out: Option<PathBuf>,
    /// Worker threads.
    pub jobs: Option<usize>,
}

fn side(
    file: &Path,
    overrides: &[String],
    label: &str,
    replications: u32,
    root: &Path,
) -> Result<(String, Vec<Unit>), AppError> {
    let overrides = overrides
        .iter()
        .map(|o| Override::parse(o).map_err(AppError::Input))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = scenario::load(file, &overrides, None)?;
    plan.check_work(file, scenario::DEFAULT_MAX_REQUESTS)?;
    if plan.runs.len() != 1 {
        return Err(AppError::Input(format!(
            "{}: compare takes scenarios without a sweep ({} has {} cells)",
            file.display(),
            plan.name,
            plan.runs.len()
        )));
    }
    let mut name = plan.name.clone();
    if !overrides.is_empty() {
        name = format!(
            "{name} [{}]",
            overrides
                .iter()
                .map(Override::label)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let units = units::units(&plan, replications, &root.join(label));
    Ok((name, units))
}

/// Runs A and B and reports their differences.
pub fn compare(args: &CompareArgs, show_progress: bool) -> Result<super::Outcome, AppError> {
    let (file_a, file_b) = match args.files.as_slice() {
        [a] if !args.set_a.is_empty() || !args.set_b.is_empty() => (a, a),
        [a, b] => (a, b),
        _ => {
            return Err(AppError::Input(
                "give two scenario files, or one file with --set-a/--set-b overrides".into(),
            ));
        }
    };
    if args.replications == 0 {
        return Err(AppError::Input("--replications must be at least 1".into()));
    }
    let stem = |p: &Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let root = args.out.clone().unwrap_or_else(|| {
        Path::new("results/compare").join(format!("{}-vs-{}", stem(file_a), stem(file_b)))
    });
    let (name_a, units_a) = side(file_a, &args.set_a, "a", args.replications, &root)?;
    let (name_b, units_b) = side(file_b, &args.set_b, "b", args.replications, &root)?;
    for side in [&units_a, &units_b] {
        units::prepare_output(&root, side, &side.iter().collect::<Vec<_>>())?;
    }
    let all: Vec<&Unit> = units_a.iter().chain(&units_b).collect();
    let bar = if show_progress {
        indicatif::ProgressBar::new(all.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let summaries: Vec<Summary> = thread_pool(args.jobs)?.install(|| {
        all.par_iter()
            .map(|unit| {
                let summary = match units::finished(unit)? {
                    Some(summary) => summary,
                    None => {
                        let output = simulate(&unit.scenario.cluster, &mut |_| {})?;
                        units::write(unit, &output)?;
                        output.summary
                    }
                };
                bar.inc(1);
                Ok(summary)
            })
            .collect::<Result<_, AppError>>()
    })?;
    bar.finish_and_clear();
    let (a, b) = summaries.split_at(units_a.len());
    let mut rows = Vec::new();
    let mut text = format!("A: {name_a}\nB: {name_b}\n");
    text.push_str(&match args.replications {
        1 => "1 replication: no interval (one needs --replications 2 or more)\n".to_string(),
        n => format!("{n} paired replications; 95% intervals over the pairs\n"),
    });
    for name in HEADLINE {
        let column = columns::column(name).expect("headline metrics are columns");
        // Pairs in which both sides have data; the others say nothing.
        let (va, vb): (Vec<f64>, Vec<f64>) = a
            .iter()
            .zip(b)
            .filter_map(|(x, y)| Some(((column.value)(x)?, (column.value)(y)?)))
            .unzip();
        let pairs = va.len();
        let interval = pairs > 1;
        if pairs == 0 {
            text.push_str(&format!("  {}: no data\n", column.label));
            let mut row = vec![column.name.to_string()];
            row.extend(std::iter::repeat_n(String::new(), 8));
            row.push("0".to_string());
            rows.push(row);
            continue;
        }
        let (ea, eb) = (estimate(&va), estimate(&vb));
        let diff = estimate(&va.iter().zip(&vb).map(|(x, y)| y - x).collect::<Vec<_>>());
        let relative: Option<Estimate> = va.iter().all(|&x| x != 0.0).then(|| {
            estimate(
                &va.iter()
                    .zip(&vb)
                    .map(|(x, y)| 100.0 * (y / x - 1.0))
                    .collect::<Vec<_>>(),
            )
        });
        text.push_str(&sentence(
            column, ea.mean, eb.mean, diff, relative, interval,
        ));
        // One pair has no interval: its bounds are left empty.
        let bound = |v: f64| {
            if interval {
                v.to_string()
            } else {
                String::new()
            }
        };
        let rel = relative.map_or([String::new(), String::new(), String::new()], |r| {
            [r.mean.to_string(), bound(r.low), bound(r.high)]
        });
        rows.push(vec![
            column.name.to_string(),
            ea.mean.to_string(),
            eb.mean.to_string(),
            diff.mean.to_string(),
            bound(diff.low),
            bound(diff.high),
            rel[0].clone(),
            rel[1].clone(),
            rel[2].clone(),
            pairs.to_string(),
        ]);
    }
    let headers: Vec<String> = [
        "metric",
        "a_mean",
        "b_mean",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
        "change_pct_mean",
        "change_pct_ci_low",
        "change_pct_ci_high",
        "replications",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let csv = root.join("compare.csv");
    report::write_records(&csv, &headers, &rows)?;
    Ok(super::Outcome {
        text,
        files: vec![csv],
        rows: Vec::new(),
    })
}

/// "database load: 1889 → 1550 queries/s, B cuts it by 17.9% ± 1.2%".
/// Values are in the column's unit and shown in its display unit.
fn sentence(
    column: &Column,
    a: f64,
    b: f64,
    diff: Estimate,
    relative: Option<Estimate>,
    interval: bool,
) -> String {
    let (unit, scale) = column.display_unit();
    let (a, b) = (a * scale, b * scale);
    let diff = Estimate {
        mean: diff.mean * scale,
        low: diff.low * scale,
        high: diff.high * scale,
    };
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    let digits = if a.abs() < 10.0 && b.abs() < 10.0 {
        4
    } else {
        1
    };
    let mut line = format!(
        "  {}: {:.*} → {:.*}{unit}",
        column.label, digits, a, digits, b
    );
    match relative {
        Some(r) if r.mean != 0.0 => {
            let verb = if r.mean < 0.0 { "lowers" } else { "raises" };
            let digits = if r.mean.abs() < 1.0 { 2 } else { 1 };
            line.push_str(&format!(", B {verb} it by {:.*}%", digits, r.mean.abs()));
            if interval {
                line.push_str(&format!(" ± {:.*}%", digits, r.half_width()));
            }
        }
        _ if diff.mean != 0.0 => {
            line.push_str(&format!(", difference {:+.*}", digits, diff.mean));
            if interval {
                line.push_str(&format!(" ± {:.*}", digits, diff.half_width()));
            }
        }
        _ => line.push_str(", no difference"),
    }
    line.push('\n');
    line
}
