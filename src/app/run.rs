//! `cachelab run` and `cachelab validate`: scenario files through the cluster
//! simulator, results on disk.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::replay::{AppError, thread_pool};
use crate::cluster::{RunOutput, simulate};
use crate::metrics::Summary;
use crate::report::{self, plot};
use crate::scenario::{self, Override, Plan, Scenario};
use crate::units::format_duration;

/// `cachelab run` arguments.
#[derive(Clone, Debug, Default)]
pub struct RunArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// `--set path=value` overrides.
    pub overrides: Vec<String>,
    /// Seed replacing the scenario's.
    pub seed: Option<u64>,
    /// Output directory (default `results/<scenario>`).
    pub out: Option<PathBuf>,
    /// Worker threads for sweeps (default: all cores).
    pub jobs: Option<usize>,
}

fn plan(args: &RunArgs) -> Result<Plan, AppError> {
    let overrides = args
        .overrides
        .iter()
        .map(|o| Override::parse(o).map_err(AppError::Input))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(scenario::load(&args.file, &overrides, args.seed)?)
}

/// Checks a scenario file (and its sweep cells) without running it.
pub fn validate(args: &RunArgs) -> Result<String, AppError> {
    let plan = plan(args)?;
    let mut text = format!(
        "{}: valid, {} run(s)\n",
        args.file.display(),
        plan.runs.len()
    );
    for run in &plan.runs {
        text.push_str(&format!("  {}: {}\n", run.label, describe(run)));
    }
    Ok(text)
}

fn describe(s: &Scenario) -> String {
    let f = &s.file;
    let cache = match f.cache.pattern {
        scenario::file::Pattern::None => "no cache".to_string(),
        pattern => format!(
            "{} nodes × {} ({}), {}",
            f.nodes.count,
            crate::units::format_bytes(f.nodes.capacity.0),
            s.policy.label,
            if pattern == scenario::file::Pattern::CacheAside {
                "cache-aside"
            } else {
                "read-through"
            }
        ),
    };
    format!(
        "{cache}, {}, {} simulated",
        match f.clients.mode {
            scenario::file::ClientMode::Open => format!("open loop at {} req/s", f.clients.rate),
            scenario::file::ClientMode::Closed => format!("closed loop, {} users", f.clients.users),
        },
        format_duration(f.duration.0)
    )
}

/// Runs every run of the scenario (sweep cells in parallel), writes the
/// results, and returns the terminal summary.
pub fn run(args: &RunArgs, show_progress: bool) -> Result<super::Outcome, AppError> {
    let plan = plan(args)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&plan.name));
    let single = plan.runs.len() == 1;
    let bar = if show_progress {
        ProgressBar::new(1000)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {percent}% of simulated time, {msg} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(plan.name.clone());
    let done = Mutex::new(vec![0.0f64; plan.runs.len()]);
    let report_progress = |index: usize, fraction: f64| {
        let mut done = done.lock().expect("progress lock");
        done[index] = fraction;
        let mean = done.iter().sum::<f64>() / done.len() as f64;
        bar.set_position((mean * 1000.0) as u64);
    };
    let outputs: Vec<RunOutput> = thread_pool(args.jobs)?.install(|| {
        plan.runs
            .par_iter()
            .enumerate()
            .map(|(i, scenario)| {
                let output = simulate(scenario, &mut |f| report_progress(i, f))?;
                report_progress(i, 1.0);
                bar.set_message(format!(
                    "{}: {:.1} M events/s,",
                    scenario.label,
                    output.summary.events_per_wall_s / 1e6
                ));
                Ok(output)
            })
            .collect::<Result<_, AppError>>()
    })?;
    bar.finish_and_clear();
    let mut files = Vec::new();
    for (scenario, output) in plan.runs.iter().zip(&outputs) {
        let run_dir = if single {
            dir.clone()
        } else {
            dir.join(&scenario.label)
        };
        files.extend(write_run(&run_dir, scenario, output)?);
    }
    if !single {
        let path = dir.join("summary.csv");
        write_summary_csv(&path, &plan, &outputs)?;
        files.push(path);
    }
    let mut text = String::new();
    for (scenario, output) in plan.runs.iter().zip(&outputs) {
        text.push_str(&terminal_summary(scenario, &output.summary));
    }
    Ok(super::Outcome {
        text,
        files,
        rows: Vec::new(),
    })
}

fn write_run(
    dir: &Path,
    scenario: &Scenario,
    output: &RunOutput,
) -> Result<Vec<PathBuf>, AppError> {
    let files = [
        dir.join("summary.json"),
        dir.join("summary.csv"),
        dir.join("timeseries.csv"),
        dir.join("nodes.csv"),
        dir.join("latency.csv"),
        dir.join("scenario.toml"),
    ];
    report::write_json(&files[0], &output.summary)?;
    let (headers, values) = summary_record(&output.summary);
    report::write_records(&files[1], &headers, &[values])?;
    report::write_csv(&files[2], &output.series)?;
    report::write_csv(&files[3], &output.nodes)?;
    report::write_csv(&files[4], &output.latency)?;
    let resolved = format!(
        "# Resolved scenario `{}`, run `{}`: every default filled in.\n# Written by cachelab {}; `cachelab run` on this file reproduces the run.\n{}",
        scenario.name,
        scenario.label,
        env!("CARGO_PKG_VERSION"),
        scenario.resolved_toml()
    );
    report::write_atomic(&files[5], resolved.as_bytes())?;
    let title = format!("{} [{}]", scenario.name, scenario.label);
    let charts = plot::timeseries(&output.series, &output.summary.failures, &title);
    plot::write_figure(&charts, &dir.join("timeseries"), (900, 1050))?;
    let mut files = files.to_vec();
    files.extend([dir.join("timeseries.png"), dir.join("timeseries.svg")]);
    Ok(files)
}

/// The summary as one flat CSV record: (headers, values).
fn summary_record(s: &Summary) -> (Vec<String>, Vec<String>) {
    let mut fields: Vec<(String, String)> = vec![
        ("scenario".into(), s.scenario.clone()),
        ("run".into(), s.run.clone()),
        ("seed".into(), s.seed.to_string()),
        ("measured_s".into(), s.measured_s.to_string()),
        ("requests".into(), s.requests.to_string()),
        ("gets".into(), s.gets.to_string()),
        ("hits".into(), s.hits.to_string()),
        ("misses".into(), s.misses.to_string()),
        ("hit_ratio".into(), s.hit_ratio.to_string()),
        ("byte_hit_ratio".into(), s.byte_hit_ratio.to_string()),
        ("miss_ratio".into(), s.miss_ratio.to_string()),
        ("timeouts".into(), s.timeouts.to_string()),
        ("errors".into(), s.errors.to_string()),
        ("db_queries".into(), s.db_queries.to_string()),
        ("db_rps".into(), s.db_rps.to_string()),
        ("db_utilisation".into(), s.db_utilisation.to_string()),
        ("db_queue_mean".into(), s.db_queue_mean.to_string()),
        ("db_queue_max".into(), s.db_queue_max.to_string()),
        ("db_rejected".into(), s.db_rejected.to_string()),
        ("evictions".into(), s.evictions.to_string()),
        ("load_imbalance".into(), s.load_imbalance.to_string()),
    ];
    for (class, l) in [
        ("all", &s.latency_all),
        ("hits", &s.latency_hits),
        ("misses", &s.latency_misses),
    ] {
        fields.push((format!("latency_{class}_mean_ns"), l.mean_ns.to_string()));
        for (name, value) in [
            ("p50", l.p50_ns),
            ("p90", l.p90_ns),
            ("p99", l.p99_ns),
            ("p999", l.p999_ns),
            ("max", l.max_ns),
        ] {
            fields.push((format!("latency_{class}_{name}_ns"), value.to_string()));
        }
    }
    fields.into_iter().unzip()
}

fn write_summary_csv(path: &Path, plan: &Plan, outputs: &[RunOutput]) -> Result<(), AppError> {
    let mut headers: Vec<String> = plan.axes.iter().map(|(p, _)| p.clone()).collect();
    let mut rows = Vec::new();
    for (scenario, output) in plan.runs.iter().zip(outputs) {
        let (h, values) = summary_record(&output.summary);
        if rows.is_empty() {
            headers.extend(h);
        }
        let mut row: Vec<String> = plan
            .axes
            .iter()
            .map(|(path, _)| axis_value(scenario, path))
            .collect();
        row.extend(values);
        rows.push(row);
    }
    Ok(report::write_records(path, &headers, &rows)?)
}

/// This run's value of a sweep axis, read back from its label.
fn axis_value(scenario: &Scenario, path: &str) -> String {
    scenario
        .label
        .split(',')
        .find_map(|part| {
            part.strip_prefix(path)
                .and_then(|rest| rest.strip_prefix('='))
        })
        .unwrap_or_default()
        .to_string()
}

fn terminal_summary(scenario: &Scenario, s: &Summary) -> String {
    let ms = |ns: u64| ns as f64 / 1e6;
    let mut text = format!(
        "{} [{}]: {}\n  hit ratio {:.4} (bytes {:.4}) over {} gets; {} timeouts, {} errors\n  database {:.0} queries/s, utilisation {:.1}%, mean queue {:.2}, {} rejected\n  latency all p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms; hits p99 {:.3} ms; misses p99 {:.3} ms\n  load imbalance {:.3}; {:.2} M simulated requests/s, {:.2} M events/s\n",
        s.scenario,
        s.run,
        describe(scenario),
        s.hit_ratio,
        s.byte_hit_ratio,
        s.gets,
        s.timeouts,
        s.errors,
        s.db_rps,
        100.0 * s.db_utilisation,
        s.db_queue_mean,
        s.db_rejected,
        ms(s.latency_all.p50_ns),
        ms(s.latency_all.p99_ns),
        ms(s.latency_all.p999_ns),
        ms(s.latency_hits.p99_ns),
        ms(s.latency_misses.p99_ns),
        s.load_imbalance,
        s.requests_per_wall_s / 1e6,
        s.events_per_wall_s / 1e6,
    );
    for f in &s.failures {
        text.push_str(&format!(
            "  at {:.1}s {}{}: database {:.0} → peak {:.0} queries/s, raised {:.1}s; hit ratio {:.3} → min {:.3}, back to 90% {}{}\n",
            f.time_s,
            f.action,
            f.node.map(|n| format!(" node {n}")).unwrap_or_default(),
            f.db_rps_before,
            f.db_rps_peak,
            f.db_raised_s,
            f.hit_ratio_before,
            f.hit_ratio_min,
            f.recovery_90_s.map_or("never".to_string(), |s| format!("after {s:.1}s")),
            f.keys_moved.map(|m| format!("; {:.1}% of keys moved", 100.0 * m)).unwrap_or_default(),
        ));
    }
    text
}
