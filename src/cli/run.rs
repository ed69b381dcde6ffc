//! `cachelab run`, `cachelab validate` and `cachelab schema`: scenario files
//! through the cluster simulator, results on disk.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::replay::{AppError, thread_pool};
use super::units::{self, Unit};
use crate::cluster::simulate;
use crate::metrics::Summary;
use crate::report::sweep::{self, SweepIndex, estimate_with_data};
use crate::report::{self, DirLock};
use crate::scenario::{self, Override, Plan, Scenario};
use crate::units::format_duration;

/// `cachelab run` arguments.
#[derive(Clone, Debug)]
pub struct RunArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// `--set path=value` overrides.
    pub overrides: Vec<String>,
    /// Seed replacing the scenario's.
    pub seed: Option<u64>,
    /// Output directory (default `results/<scenario>`).
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    pub jobs: Option<usize>,
    /// Runs per sweep cell, each with its own seed.
    pub replications: u32,
    /// Run only slice `i` of `n` (0-based) of the units.
    pub shard: Option<(u32, u32)>,
    /// Refuse runs estimated to simulate more requests than this.
    pub max_requests: u64,
}

impl RunArgs {
    /// Arguments for running `file` as it is.
    pub fn new(file: PathBuf) -> RunArgs {
        RunArgs {
            file,
            overrides: Vec::new(),
            seed: None,
            out: None,
            jobs: None,
            replications: 1,
            shard: None,
            max_requests: scenario::DEFAULT_MAX_REQUESTS,
        }
    }
}

/// Parses `--shard i/n` (0 ≤ i < n).
pub fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((i, n)) if n >= 1 && i < n => Ok((i, n)),
        _ => Err(format!(
            "--shard {text}: expected i/n with 0 ≤ i < n, e.g. 0/4"
        )),
    }
}

fn plan(args: &RunArgs) -> Result<Plan, AppError> {
    let overrides = args
        .overrides
        .iter()
        .map(|o| Override::parse(o).map_err(AppError::Input))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = scenario::load(&args.file, &overrides, args.seed)?;
    plan.check_work(&args.file, args.max_requests)?;
    Ok(plan)
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

/// `cachelab schema`: the JSON Schema of scenario files, pretty-printed, as
/// text or written whole to `out`.
pub fn schema(out: Option<&Path>) -> Result<super::Outcome, AppError> {
    let mut text =
        serde_json::to_string_pretty(&scenario::json_schema()).expect("a JSON value prints");
    text.push('\n');
    let Some(path) = out else {
        return Ok(super::Outcome {
            text,
            files: Vec::new(),
            rows: Vec::new(),
        });
    };
    report::write_atomic(path, text.as_bytes())?;
    Ok(super::Outcome {
        text: String::new(),
        files: vec![path.to_path_buf()],
        rows: Vec::new(),
    })
}

fn describe(s: &Scenario) -> String {
    let f = &s.file;
    let cache = match f.cache.pattern {
        scenario::file::Pattern::None => "no cache".to_string(),
        pattern => format!(
            "{} nodes × {} ({}), {}",
            f.nodes.count,
            crate::units::format_bytes(f.nodes.capacity.0),
            s.cluster.nodes.policy.label,
            if pattern == scenario::file::Pattern::CacheAside {
                "cache-aside"
            } else {
                "read-through"
            }
        ),
    };
    let timing = match (&s.cluster.workload.keys, f.workload.trace_timing) {
        (scenario::KeySource::Trace(t), _) if !t.has_times() => {
            ", trace timed by the clients (it has no timestamps)"
        }
        (scenario::KeySource::Trace(_), scenario::file::TraceTiming::Own) => {
            ", trace at its own timestamps"
        }
        (scenario::KeySource::Trace(_), _) => ", trace timed by the clients",
        _ => "",
    };
    format!(
        "{cache}, {}{timing}, {} simulated",
        match &s.cluster.clients.load {
            scenario::config::Load::Open { rate } => format!("open loop at {rate} req/s"),
            scenario::config::Load::Scheduled { schedule } =>
                format!("open loop on a schedule (peak {} req/s)", schedule.peak()),
            scenario::config::Load::Closed { users, .. } => format!("closed loop, {users} users"),
        },
        format_duration(f.duration.0)
    )
}

/// Runs a scenario: every sweep cell, `replications` times each (or only
/// this shard's part), in parallel; skips units finished earlier with the
/// same settings. The output is checked before anything is simulated; each
/// unit's results are written as soon as it finishes (so an interrupted
/// sweep keeps them), then the sweep index and, once all units are there,
/// the sweep tables. Returns the terminal summary.
pub fn run(args: &RunArgs, show_progress: bool) -> Result<super::Outcome, AppError> {
    if args.replications == 0 {
        return Err(AppError::Input("--replications must be at least 1".into()));
    }
    let plan = plan(args)?;
    let root = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&plan.name));
    let all = units::units(&plan, args.replications, &root);
    let mine: Vec<&Unit> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| args.shard.is_none_or(|(shard, of)| *i as u32 % of == shard))
        .map(|(_, u)| u)
        .collect();
    units::prepare_output(&root, &all, &mine)?;
    let mut done: Vec<(&Unit, Summary)> = Vec::new();
    let mut todo: Vec<&Unit> = Vec::new();
    for unit in mine.iter().copied() {
        match units::finished(unit)? {
            Some(summary) => done.push((unit, summary)),
            None => todo.push(unit),
        }
    }
    let is_sweep = all.len() > 1;
    let bar = if show_progress {
        ProgressBar::new(1000 * todo.len().max(1) as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {msg}, eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(plan.name.clone());
    let progress = Mutex::new((vec![0.0f64; todo.len()], 0usize, 0.0f64));
    let report_progress = |index: usize, fraction: f64, rate: Option<f64>| {
        let mut p = progress.lock().expect("progress lock");
        p.0[index] = fraction;
        if let Some(rate) = rate {
            p.1 += 1;
            p.2 = rate;
        }
        bar.set_position((p.0.iter().sum::<f64>() * 1000.0) as u64);
        bar.set_message(format!(
            "{}/{} runs done ({} reused), {:.2} M simulated requests/s",
            p.1,
            todo.len(),
            done.len(),
            p.2 / 1e6
        ));
    };
    // Each unit is written as it finishes and its output dropped: memory
    // stays flat in the number of cells. A sweep keeps only the report of
    // each unit in the list of files written, a single run its summary.
    let written: Vec<(Vec<PathBuf>, Option<Summary>)> = thread_pool(args.jobs)?.install(|| {
        todo.par_iter()
            .enumerate()
            .map(|(i, unit)| {
                let output =
                    simulate(&unit.scenario.cluster, &mut |f| report_progress(i, f, None))?;
                let mut files = units::write(unit, &output)?;
                report_progress(i, 1.0, Some(output.summary.requests_per_wall_s));
                if is_sweep {
                    files.retain(|f| f.ends_with("report.html"));
                    return Ok((files, None));
                }
                Ok((files, Some(output.summary)))
            })
            .collect::<Result<_, AppError>>()
    })?;
    bar.finish_and_clear();
    let mut files = Vec::new();
    let mut fresh = None;
    for (unit_files, summary) in written {
        files.extend(unit_files);
        fresh = fresh.or(summary);
    }
    let mut text = String::new();
    if !done.is_empty() {
        text.push_str(&format!(
            "{} run(s) already finished in {}: reused\n",
            done.len(),
            root.display()
        ));
    }
    if !is_sweep {
        let summary = fresh
            .or_else(|| done.pop().map(|(_, s)| s))
            .expect("a single run is either reused or run");
        text.push_str(&terminal_summary(&all[0].scenario, &summary));
        return Ok(super::Outcome {
            text,
            files,
            rows: Vec::new(),
        });
    }
    let axes: Vec<String> = plan.axes.iter().map(|(p, _)| p.clone()).collect();
    let index = units::sweep_index(&plan.name, &axes, args.replications, &all, &root);
    let _lock = DirLock::exclusive(&root)?;
    report::remove_partials(&root)?;
    files.push(index.write(&root)?);
    if args.shard.is_none() {
        files.extend(sweep::aggregate(&index, &root)?);
        files.extend(report::plot_directory(&root, None)?.files);
        text.push_str(&sweep_table(&index, &root)?);
    } else {
        text.push_str(&format!(
            "shard {}/{}: {} of {} runs; when every shard is done, `cachelab merge {}` writes the sweep tables\n",
            args.shard.map_or(0, |s| s.0),
            args.shard.map_or(1, |s| s.1),
            mine.len(),
            all.len(),
            root.display()
        ));
    }
    Ok(super::Outcome {
        text,
        files,
        rows: Vec::new(),
    })
}

/// Joins the shards of a sweep: copies the finished units of `pieces` into
/// `root` (when given) and writes the sweep tables from all units. A
/// piece's unit paths must lie inside the piece.
pub fn merge(root: &Path, pieces: &[PathBuf]) -> Result<super::Outcome, AppError> {
    let mut files = Vec::new();
    let indexes = pieces
        .iter()
        .map(|piece| SweepIndex::read(piece))
        .collect::<Result<Vec<_>, _>>()?;
    for (piece, index) in pieces.iter().zip(&indexes) {
        if same_directory(piece, root) {
            continue;
        }
        for dir in index.cells.iter().flat_map(|c| &c.units) {
            if piece.join(dir).join("report.html").exists() {
                copy_unit(&piece.join(dir), &root.join(dir))?;
            }
        }
    }
    let _lock = DirLock::exclusive(root)?;
    report::remove_partials(root)?;
    if let (false, Some(index)) = (root.join("sweep.json").exists(), indexes.first()) {
        files.push(index.write(root)?);
    }
    let index = SweepIndex::read(root)?;
    files.extend(sweep::aggregate(&index, root)?);
    files.extend(report::plot_directory(root, None)?.files);
    Ok(super::Outcome {
        text: sweep_table(&index, root)?,
        files,
        rows: Vec::new(),
    })
}

fn same_directory(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Copies a finished unit's files (not its hidden ones: lock, partial
/// files) under the destination's lock, `report.html` last: until it is
/// there, the copy does not look finished.
fn copy_unit(from: &Path, to: &Path) -> Result<(), AppError> {
    let io = |e: std::io::Error, path: &Path| AppError::Input(format!("{}: {e}", path.display()));
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(from)
        .map_err(|e| io(e, from))?
        .map(|entry| {
            let entry = entry.map_err(|e| io(e, from))?;
            let is_file = entry.file_type().map_err(|e| io(e, from))?.is_file();
            Ok(is_file.then(|| entry.file_name()))
        })
        .filter_map(Result::transpose)
        .filter(|name| {
            name.as_ref()
                .map_or(true, |n| !n.to_string_lossy().starts_with('.'))
        })
        .collect::<Result<_, AppError>>()?;
    names.sort();
    names.sort_by_key(|name| name == "report.html");
    let _lock = DirLock::exclusive(to)?;
    report::remove_partials(to)?;
    units::remove_if_present(&to.join("report.html"))?;
    for name in names {
        let path = from.join(&name);
        let bytes = std::fs::read(&path).map_err(|e| io(e, &path))?;
        report::write_atomic(&to.join(&name), &bytes)?;
    }
    Ok(())
}

/// The sweep's cells as a terminal table with 95% intervals.
fn sweep_table(index: &SweepIndex, root: &Path) -> Result<String, AppError> {
    let summaries = sweep::summaries(index, root)?;
    let mut text = format!(
        "{}: {} cells × {} replication(s); tables in {}\n{:<40} {:>18} {:>18} {:>16}\n",
        index.name,
        index.cells.len(),
        index.replications,
        root.display(),
        "cell",
        "hit ratio",
        "database q/s",
        "p99 ms"
    );
    for (cell, runs) in index.cells.iter().zip(&summaries) {
        let pick = |f: &dyn Fn(&Summary) -> Option<f64>| {
            estimate_with_data(&runs.iter().map(f).collect::<Vec<_>>())
        };
        let hit = pick(&|s| s.hit_ratio);
        let db = pick(&|s| Some(s.db_rps));
        let p99 = pick(&|s| s.latency_all.p99_ns.map(|ns| ns as f64 / 1e6));
        let pm = |e: Option<(crate::metrics::stats::Estimate, usize)>, digits: usize| match e {
            None => "no data".to_string(),
            Some((e, n)) if n > 1 => {
                format!("{:.*} ± {:.*}", digits, e.mean, digits, e.half_width())
            }
            Some((e, _)) => format!("{:.*}", digits, e.mean),
        };
        text.push_str(&format!(
            "{:<40} {:>18} {:>18} {:>16}\n",
            cell.label,
            pm(hit, 4),
            pm(db, 0),
            pm(p99, 2)
        ));
    }
    Ok(text)
}

fn terminal_summary(scenario: &Scenario, s: &Summary) -> String {
    if s.requests == 0 || s.latency_all.count == 0 {
        return format!(
            "{} [{}]: {}\n  {} ({:.1} s after the warm-up): no hit ratio or latency to report; database {:.0} queries/s, {} timeouts, {} errors\n",
            s.scenario,
            s.run,
            describe(scenario),
            report::NO_REQUEST,
            s.measured_s,
            s.db_rps,
            s.timeouts,
            s.errors,
        );
    }
    let ms = |ns: Option<u64>| ns.map_or(f64::NAN, |ns| ns as f64 / 1e6);
    let ratio = |r: Option<f64>| r.map_or("no data".to_string(), |r| format!("{r:.4}"));
    let mut text = format!(
        "{} [{}]: {}\n  hit ratio {} (bytes {}) over {} gets; {} timeouts, {} errors\n  database {:.0} queries/s, utilisation {:.1}%, mean queue {:.2}, {} rejected\n  latency all p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms; hits p99 {:.3} ms; misses p99 {:.3} ms\n  load imbalance {:.3}; {:.2} M simulated requests/s, {:.2} M events/s\n",
        s.scenario,
        s.run,
        describe(scenario),
        ratio(s.hit_ratio),
        ratio(s.byte_hit_ratio),
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
    if let Some(scans) = &s.scans {
        let mean = |m: Option<f64>| m.map_or("no".to_string(), |m| format!("{m:.2}"));
        text.push_str(&format!(
            "  scans: {}, {} keys on {} nodes and {} database reads each (means); every key hit in {} of them, {} failed\n",
            scans.scans,
            mean(scans.keys_per_scan),
            mean(scans.nodes_per_scan),
            mean(scans.database_reads_per_scan),
            scans.whole_scan_hit_ratio.map_or("none".to_string(), |r| format!("{:.1}%", 100.0 * r)),
            scans.failed,
        ));
    }
    if let Some(b) = &s.node_breakers {
        text.push_str(&format!(
            "  node breakers: opened {} times; {} gets read the database instead of a node they shut off\n",
            b.opened, b.skipped,
        ));
    }
    for f in &s.failures {
        text.push_str(&format!(
            "  at {:.1}s {}{}: database {:.0} queries/s before, at most {:.0} after, raised {:.1}s; hit ratio {:.3} before, at least {:.3} after, back to 90% {}{}\n",
            f.time_s,
            f.action,
            match (&f.tier, f.node) {
                (Some(tier), Some(n)) => format!(" {tier} node {n}"),
                (None, Some(n)) => format!(" node {n}"),
                (_, None) => String::new(),
            },
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
