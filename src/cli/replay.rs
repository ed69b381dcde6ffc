//! `cachelab replay`, and what it shares with `cachelab mrc`.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::metrics::CellResult;
use crate::policy::{PolicyChoice, PolicyError};
use crate::replay::{
    self, CacheSize, Cell, Prepared, Replay, ReplayError, SourceArgs, SourceError,
};
use crate::report::{self, ReportError, table};
use crate::trace::TraceError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// An argument is not usable; the message says which and what is allowed.
    #[error("{0}")]
    Input(String),
    /// A trace could not be read.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// A replay's source could not be made ready.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A result could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A scenario file is not usable.
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
    /// A replay could not finish.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// `mrc`'s own flags are not usable.
    #[error(transparent)]
    Mrc(#[from] super::mrc::MrcError),
    /// A simulation could not finish.
    #[error(transparent)]
    Simulation(#[from] crate::cluster::SimError),
    /// A real server could not be driven.
    #[error(transparent)]
    Drive(#[from] crate::drive::DriveError),
    /// A calibration could not be done.
    #[error(transparent)]
    Calibrate(#[from] crate::drive::calibrate::CalibrateError),
    /// A drive stopped early; what it measured is written, marked partial.
    #[error("{text}the run stopped early: its partial results (\"complete\": false) are in {dir}")]
    Partial {
        /// The partial results as printed.
        text: String,
        /// Where they are.
        dir: String,
    },
}

impl From<crate::atomic::WriteError> for AppError {
    fn from(e: crate::atomic::WriteError) -> Self {
        AppError::Report(e.into())
    }
}

impl From<PolicyError> for AppError {
    fn from(e: PolicyError) -> Self {
        AppError::Input(e.to_string())
    }
}

/// Writes `run.json` of a `command` run with `args` into `dir`.
pub(super) fn write_run_record<T: Serialize>(
    prepared: &Prepared,
    dir: &Path,
    command: &'static str,
    args: &T,
    source: &SourceArgs,
    rows: &[CellResult],
) -> Result<(), AppError> {
    let run = report::RunRecord::new(
        command,
        args,
        source,
        prepared.options.warmup,
        prepared.profile.as_ref(),
        rows,
    )
    .with_size_unit(prepared.counts_objects());
    Ok(report::write_json(&dir.join("run.json"), &run)?)
}

/// The policies of the `--policy` arguments, each a comma-separated list
/// ([`split_policy_list`]).
pub(super) fn parse_policies(list: &[String]) -> Result<Vec<PolicyChoice>, AppError> {
    if list.is_empty() {
        return Err(AppError::Input("give at least one --policy".into()));
    }
    Ok(list
        .iter()
        .flat_map(|arg| split_policy_list(arg))
        .map(PolicyChoice::parse)
        .collect::<Result<_, _>>()?)
}

/// `lru,s3fifo:small=0.2,ghost=0.8,lru+adaptsize:interval=1000,iterations=5`
/// cut into its policies. A comma separates parameters as well as policies,
/// so a piece of the form `name=value` (no `:` or `+` before its `=`)
/// continues the policy before it; any other piece starts a policy.
fn split_policy_list(list: &str) -> Vec<&str> {
    let continues = |piece: &str| {
        piece
            .split_once('=')
            .is_some_and(|(name, _)| !name.contains([':', '+']))
    };
    let mut policies: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, _) in list.match_indices(',') {
        let next = &list[i + 1..];
        let piece = next.split(',').next().unwrap_or_default();
        if !continues(piece) {
            policies.push(&list[start..i]);
            start = i + 1;
        }
    }
    policies.push(&list[start..]);
    policies
}

fn parse_sizes(list: &[String]) -> Result<Vec<CacheSize>, AppError> {
    list.iter()
        .map(|s| CacheSize::parse(s).map_err(AppError::Input))
        .collect()
}

pub(super) fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, AppError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| AppError::Input(format!("--jobs: {e}")))
}

/// Runs cells on `jobs` threads, with a progress bar on the terminal when
/// `show_progress` (cells done, the last cell's speed, time left).
pub(super) fn run_with_progress(
    replay: &Replay,
    cells: &[Cell],
    jobs: Option<usize>,
    what: &str,
    pipeline: usize,
    show_progress: bool,
) -> Result<Vec<CellResult>, AppError> {
    let bar = if show_progress {
        ProgressBar::new(cells.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} cells, {msg}, eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    let done = |r: &CellResult| {
        bar.set_message(format!(
            "{} at {:.1} M req/s",
            r.policy,
            r.throughput_rps.unwrap_or(0.0) / 1e6
        ));
        bar.inc(1);
    };
    let rows = thread_pool(jobs)?.install(|| replay.run_cells(cells, pipeline, &done))?;
    bar.finish_and_clear();
    Ok(rows)
}

/// What a command produced.
pub struct Outcome {
    /// Text for the terminal.
    pub text: String,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// The result rows.
    pub rows: Vec<CellResult>,
}

/// `cachelab replay` arguments.
#[derive(Clone, Debug, Serialize)]
pub struct ReplayArgs {
    /// Policies, each `name[:param=value,...]`.
    pub policies: Vec<String>,
    /// Cache sizes.
    pub sizes: Vec<String>,
    /// Output directory (default `results/replay/<source>`).
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    pub jobs: Option<usize>,
    /// Requests a client sends together, the fills of their misses after
    /// them (1: each miss filled at once); see [`replay::pipeline`].
    pub pipeline: usize,
}

/// Replays the source through every policy at every size.
pub fn replay(
    source_args: &SourceArgs,
    args: &ReplayArgs,
    show_progress: bool,
) -> Result<Outcome, AppError> {
    replay::pipeline::check_pipeline(args.pipeline).map_err(AppError::Input)?;
    let policies = parse_policies(&args.policies)?;
    let sizes = parse_sizes(&args.sizes)?;
    if sizes.is_empty() {
        return Err(AppError::Input("give at least one --size".into()));
    }
    let wants_future = policies.iter().any(|p| p.spec.needs_future);
    let prepared = Prepared::new(
        source_args,
        sizes.iter().any(CacheSize::is_fraction),
        wants_future,
    )?;
    let capacities = prepared.resolve_sizes(&sizes)?;
    let cells = replay::grid(&policies.iter().collect::<Vec<_>>(), &capacities);
    let rows = run_with_progress(
        &prepared.replay(),
        &cells,
        args.jobs,
        "replay",
        args.pipeline,
        show_progress,
    )?;
    prepared.check_measured(&rows)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results/replay").join(prepared.source.name()));
    let csv = dir.join("replay.csv");
    report::write_csv(&csv, &rows)?;
    write_run_record(&prepared, &dir, "replay", args, source_args, &rows)?;
    let plotted = report::plot_directory(&dir, None)?;
    let batches = if args.pipeline > 1 {
        format!(
            "pipelined: batches of {} gets, then one fill per distinct missed key\n",
            args.pipeline
        )
    } else {
        String::new()
    };
    let text = format!(
        "{}\n{batches}{}",
        prepared.describe(),
        table::replay_table(&rows, !prepared.counts_objects())
    );
    Ok(Outcome {
        text,
        files: [vec![csv, dir.join("run.json")], plotted.files].concat(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comma_separates_policies_unless_a_parameter_follows() {
        assert_eq!(split_policy_list("lru"), ["lru"]);
        assert_eq!(
            split_policy_list("lru,fifo,s3fifo"),
            ["lru", "fifo", "s3fifo"]
        );
        assert_eq!(
            split_policy_list("s3fifo:small=0.2,ghost=0.8,lru+size:c=1e+6,arc"),
            ["s3fifo:small=0.2,ghost=0.8", "lru+size:c=1e+6", "arc"]
        );
        assert_eq!(
            split_policy_list("lru+adaptsize:interval=1000,iterations=5"),
            ["lru+adaptsize:interval=1000,iterations=5"]
        );
        // A parameter-like first piece has nothing to continue: it stays a
        // policy name, and the parse reports it.
        assert_eq!(split_policy_list("small=0.2,lru"), ["small=0.2", "lru"]);
    }

    #[test]
    fn repeated_and_listed_policies_parse_alike() {
        let labels = |args: &[&str]| -> Vec<String> {
            let args: Vec<String> = args.iter().map(ToString::to_string).collect();
            let policies = parse_policies(&args).unwrap();
            policies.into_iter().map(|p| p.label).collect()
        };
        let listed =
            labels(&["lru,s3fifo:small=0.2,ghost=0.5,lru+adaptsize:interval=1000,iterations=5"]);
        let repeated = labels(&[
            "lru",
            "s3fifo:small=0.2,ghost=0.5",
            "lru+adaptsize:interval=1000,iterations=5",
        ]);
        assert_eq!(listed, repeated);
        assert_eq!(
            listed,
            [
                "lru",
                "s3fifo:small=0.2,ghost=0.5",
                "lru+adaptsize:interval=1000,iterations=5"
            ]
        );
    }
}
