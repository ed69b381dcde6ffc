//! `cachelab replay`, `cachelab mrc` and `cachelab policies`.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::metrics::CellResult;
use crate::policy::{PolicyChoice, PolicyError};
use crate::replay::{
    self, CacheSize, Cell, DEFAULT_MAX_REQUESTS, Profile, Replay, ReplayError, Source,
    StreamOptions, log_spaced, profile,
};
use crate::report::{self, ReportError, table};
use crate::seed::Seed;
use crate::spec::SpecError;
use crate::trace::{MAX_SPOOL_BYTES, Trace, TraceError};
use crate::workload::{SizeLaw, Workload};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// An argument is not usable; the message says which and what is allowed.
    #[error("{0}")]
    Input(String),
    /// A trace could not be read.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// A result could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A scenario file is not usable.
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
    /// A replay could not finish.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// A simulation could not finish.
    #[error(transparent)]
    Simulation(#[from] crate::cluster::SimError),
    /// A real server could not be driven.
    #[error(transparent)]
    Drive(#[from] crate::drive::DriveError),
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

impl From<SpecError> for AppError {
    fn from(e: SpecError) -> Self {
        AppError::Input(e.to_string())
    }
}

/// Where requests come from and how they are adjusted, as typed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SourceArgs {
    /// A trace file.
    pub trace: Option<PathBuf>,
    /// Its format, when the file name does not tell.
    pub format: Option<String>,
    /// A synthetic workload (`zipf:alpha=1,keys=1e6,requests=1e7`).
    pub workload: Option<String>,
    /// Object sizes of the synthetic workload.
    pub object_size: String,
    /// Count objects instead of bytes.
    pub ignore_size: bool,
    /// Requests (`100000`) or share of the stream (`20%`) not counted.
    pub warmup: Option<String>,
    /// Re-time requests at this rate (requests per second).
    pub rate: Option<f64>,
    /// Seed of the workload and of randomised policies.
    pub seed: u64,
    /// Most requests a pass reads, when raised or lowered from the default
    /// ([`DEFAULT_MAX_REQUESTS`], or [`MAX_BELADY_REQUESTS`] while Belady's
    /// next accesses are kept in memory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_requests: Option<u64>,
    /// Most bytes copied from a trace that is a pipe or device, when not
    /// [`MAX_SPOOL_BYTES`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_spool: Option<u64>,
}

/// Most requests whose next accesses Belady's pre-pass keeps in memory
/// (8 bytes each) unless `--max-requests` says otherwise.
pub const MAX_BELADY_REQUESTS: u64 = 1 << 30;

/// A source ready to read, with everything a pre-pass learnt.
pub(super) struct Prepared {
    pub(super) source: Source,
    pub(super) options: StreamOptions,
    pub(super) profile: Option<Profile>,
    seed: Seed,
    /// The trace's first wrong next-access field, when Belady found one
    /// and its positions were recomputed.
    wrong_next_access: Option<String>,
}

impl Prepared {
    pub(super) fn new(
        args: &SourceArgs,
        need_profile: bool,
        need_next_access: bool,
    ) -> Result<Prepared, AppError> {
        let seed = Seed(args.seed);
        let source = match (&args.trace, &args.workload) {
            (Some(path), None) => Source::Trace(Trace::with_spool_limit(
                path,
                args.format.as_deref(),
                args.max_spool.unwrap_or(MAX_SPOOL_BYTES),
            )?),
            (None, Some(spec)) => Source::Workload {
                workload: Workload::parse(spec, SizeLaw::parse(&args.object_size)?)?,
                seed: seed.derive("workload"),
            },
            _ => {
                return Err(AppError::Input(
                    "give either --trace FILE or --workload SPEC".into(),
                ));
            }
        };
        if let Some(rate) = args.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(AppError::Input(format!(
                "--rate {rate}: must be a positive number of requests per second"
            )));
        }
        let warmup_percent = args
            .warmup
            .as_deref()
            .and_then(|w| w.trim().strip_suffix('%'));
        // Belady trusts a trace's own next accesses only once they are
        // checked against the trace; wrong ones are recomputed.
        let wrong_next_access = match &source {
            Source::Trace(trace) if need_next_access => trace.check_next_access()?,
            _ => None,
        };
        let need_next_access =
            need_next_access && (!source.has_next_access() || wrong_next_access.is_some());
        let max_requests = args.max_requests.unwrap_or(if need_next_access {
            MAX_BELADY_REQUESTS
        } else {
            DEFAULT_MAX_REQUESTS
        });
        if let Source::Workload { workload, .. } = &source
            && workload.requests > max_requests
        {
            return Err(AppError::Input(if need_next_access {
                format!(
                    "belady on a workload of {} requests: its next accesses take 8 bytes a request, so at most {max_requests} requests ({}); give fewer requests or raise the limit with --max-requests",
                    workload.requests,
                    crate::units::format_bytes(max_requests.saturating_mul(8))
                )
            } else {
                format!(
                    "`requests` = {} is above the limit of {max_requests:.0e} requests a replay reads (minutes of work per cell); give fewer or raise the limit with --max-requests",
                    workload.requests
                )
            }));
        }
        let mut options = StreamOptions {
            ignore_size: args.ignore_size,
            rate: args.rate,
            warmup: 0,
            max_requests,
        };
        let profile = if need_profile || need_next_access || warmup_percent.is_some() {
            Some(profile(&source, &options, need_next_access)?)
        } else {
            None
        };
        options.warmup = match (&args.warmup, warmup_percent) {
            (None, _) => 0,
            (Some(_), Some(percent)) => {
                let share: f64 = percent
                    .trim()
                    .parse()
                    .ok()
                    .filter(|p| (0.0..100.0).contains(p))
                    .ok_or_else(|| {
                        AppError::Input(format!(
                            "--warmup {percent}%: must be from 0% to below 100%"
                        ))
                    })?;
                let requests = profile.as_ref().map_or(0, |p| p.requests);
                (share / 100.0 * requests as f64).floor() as u64
            }
            (Some(count), None) => crate::units::parse_count(count).ok_or_else(|| {
                AppError::Input(format!(
                    "--warmup {count}: give a request count (100000) or a share (20%)"
                ))
            })?,
        };
        if let Some(p) = &profile
            && options.warmup >= p.requests
        {
            return Err(nothing_measured(options.warmup, Some(p.requests)));
        }
        Ok(Prepared {
            source,
            options,
            profile,
            seed,
            wrong_next_access,
        })
    }

    /// Refuses results of cells that counted no request: a ratio over
    /// nothing is no data, not a perfect cache.
    fn check_measured(&self, rows: &[CellResult]) -> Result<(), AppError> {
        if rows.iter().all(|r| r.requests > 0) {
            return Ok(());
        }
        Err(nothing_measured(
            self.options.warmup,
            self.profile.as_ref().map(|p| p.requests),
        ))
    }

    pub(super) fn replay(&self) -> Replay<'_> {
        Replay {
            source: &self.source,
            options: &self.options,
            next_access: self.profile.as_ref().and_then(|p| p.next_access.as_deref()),
            seed: self.seed,
        }
    }

    fn resolve_sizes(&self, sizes: &[CacheSize]) -> Result<Vec<u64>, AppError> {
        let working_set = self.profile.as_ref().map_or(0, |p| p.working_set);
        sizes
            .iter()
            .map(|s| {
                s.resolve(working_set, self.options.ignore_size)
                    .map_err(AppError::Input)
            })
            .collect()
    }

    /// Whether capacities count objects: sizes ignored, or every object of
    /// size 1 (a trace without sizes, a workload of unit objects).
    fn counts_objects(&self) -> bool {
        self.options.ignore_size
            || match &self.source {
                Source::Trace(trace) => !trace.has_sizes(),
                Source::Workload { workload, .. } => workload.sizes == SizeLaw::Fixed(1),
            }
    }

    /// Writes `run.json` of a `command` run with `args` into `dir`.
    fn write_run_record<T: Serialize>(
        &self,
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
            self.options.warmup,
            self.profile.as_ref(),
            rows,
        );
        Ok(report::write_json(&dir.join("run.json"), &run)?)
    }

    /// The source, what its pre-pass learnt and the warm-up, on one line.
    pub(super) fn stream_line(&self) -> String {
        let unit = if self.counts_objects() {
            "objects"
        } else {
            "bytes"
        };
        let mut text = format!("source: {}", self.source.name());
        if let Some(p) = &self.profile {
            text.push_str(&format!(
                ", {} requests, {} objects, working set {} {unit}",
                p.requests, p.objects, p.working_set
            ));
        }
        if self.options.warmup > 0 {
            text.push_str(&format!(", warm-up {} requests", self.options.warmup));
        }
        text
    }

    fn summary(&self) -> String {
        let mut text = self.stream_line();
        if let Some(rate) = self.options.effective_rate(&self.source) {
            text.push_str(&format!(", timed at {rate} requests/s"));
        }
        if let Some(problem) = &self.wrong_next_access {
            text.push_str(&format!(
                "\nthe trace's next-access fields are wrong ({problem}); belady uses next accesses recomputed from the trace"
            ));
        }
        text
    }
}

fn nothing_measured(warmup: u64, requests: Option<u64>) -> AppError {
    let length = requests.map_or(String::new(), |n| format!(" of {n} requests"));
    AppError::Input(if warmup > 0 {
        format!(
            "nothing measured: the warm-up of {warmup} requests covers the whole stream{length}; give a shorter --warmup"
        )
    } else {
        format!("nothing measured: the source has no requests{length}")
    })
}

fn parse_policies(list: &[String]) -> Result<Vec<PolicyChoice>, AppError> {
    if list.is_empty() {
        return Err(AppError::Input("give at least one --policy".into()));
    }
    Ok(list
        .iter()
        .map(|p| PolicyChoice::parse(p))
        .collect::<Result<_, _>>()?)
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
fn run_with_progress(
    replay: &Replay,
    cells: &[Cell],
    jobs: Option<usize>,
    what: &str,
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
    let rows = thread_pool(jobs)?.install(|| replay.run_cells(cells, &done))?;
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
}

/// Replays the source through every policy at every size.
pub fn replay(
    source_args: &SourceArgs,
    args: &ReplayArgs,
    show_progress: bool,
) -> Result<Outcome, AppError> {
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
        show_progress,
    )?;
    prepared.check_measured(&rows)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results/replay").join(prepared.source.name()));
    let csv = dir.join("replay.csv");
    report::write_csv(&csv, &rows)?;
    prepared.write_run_record(&dir, "replay", args, source_args, &rows)?;
    let plotted = report::plot_directory(&dir, None)?;
    let text = format!(
        "{}\n{}",
        prepared.summary(),
        table::replay_table(&rows, !prepared.counts_objects())
    );
    Ok(Outcome {
        text,
        files: [vec![csv, dir.join("run.json")], plotted.files].concat(),
        rows,
    })
}

/// Most log-spaced sizes of a curve: far more than a plot can show, and
/// each is one replay per policy.
pub const MAX_POINTS: usize = 10_000;

/// `cachelab mrc` arguments.
#[derive(Clone, Debug, Serialize)]
pub struct MrcArgs {
    /// Policies, each `name[:param=value,...]`.
    pub policies: Vec<String>,
    /// Explicit cache sizes; when empty, `points` sizes from `min` to `max`.
    pub sizes: Vec<String>,
    /// Number of log-spaced sizes.
    pub points: usize,
    /// Smallest size.
    pub min: String,
    /// Largest size.
    pub max: String,
    /// Output directory (default `results/mrc/<source>`).
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    pub jobs: Option<usize>,
}

/// Miss ratio against cache size for each policy: LRU in one pass from stack
/// distances, the others one replay per size. Writes `mrc.csv`, then the
/// curve (`mrc.png`, `mrc.svg`) and `report.html` drawn from it.
pub fn mrc(
    source_args: &SourceArgs,
    args: &MrcArgs,
    show_progress: bool,
) -> Result<Outcome, AppError> {
    let policies = parse_policies(&args.policies)?;
    let explicit = parse_sizes(&args.sizes)?;
    let (min, max) = (
        CacheSize::parse(&args.min).map_err(AppError::Input)?,
        CacheSize::parse(&args.max).map_err(AppError::Input)?,
    );
    if explicit.is_empty() && !(1..=MAX_POINTS).contains(&args.points) {
        return Err(AppError::Input(format!(
            "--points {}: must be from 1 to {MAX_POINTS}",
            args.points
        )));
    }
    let needs_profile = explicit.iter().any(CacheSize::is_fraction)
        || (explicit.is_empty() && (min.is_fraction() || max.is_fraction()));
    let wants_future = policies.iter().any(|p| p.spec.needs_future);
    let prepared = Prepared::new(source_args, needs_profile, wants_future)?;
    let capacities = if explicit.is_empty() {
        let range = prepared.resolve_sizes(&[min, max])?;
        if range[0] > range[1] {
            return Err(AppError::Input(format!(
                "--min {} is above --max {}",
                args.min, args.max
            )));
        }
        log_spaced(range[0], range[1], args.points)
    } else {
        let mut sizes = prepared.resolve_sizes(&explicit)?;
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    };
    let replay = prepared.replay();
    let rows = replay.curves(&policies, &capacities, |cells| {
        run_with_progress(&replay, cells, args.jobs, "mrc", show_progress)
    })?;
    prepared.check_measured(&rows)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results/mrc").join(prepared.source.name()));
    let csv = dir.join("mrc.csv");
    report::write_csv(&csv, &rows)?;
    let bytes = !prepared.counts_objects();
    prepared.write_run_record(&dir, "mrc", args, source_args, &rows)?;
    let plotted = report::plot_directory(&dir, None)?;
    let text = format!(
        "{}\n{}",
        prepared.summary(),
        table::replay_table(&rows, bytes)
    );
    Ok(Outcome {
        text,
        files: [vec![csv, dir.join("run.json")], plotted.files].concat(),
        rows,
    })
}
