//! `cachelab mrc`: miss ratio against cache size, exact (LRU in one pass,
//! the others one replay per size) or from a spatial sample of the stream.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::replay::{AppError, Outcome, parse_policies, run_with_progress, write_run_record};
use crate::metrics::{CellResult, SampledResult};
use crate::mrc::Sampling;
use crate::replay::{CacheSize, Prepared, Replay, SourceArgs, log_spaced};
use crate::report::{self, table};

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
    /// Sample this share of the keys (`0.01` or `1%`) instead of replaying
    /// every request.
    pub sample: Option<String>,
    /// Sample at most this many distinct keys instead.
    pub sample_keys: Option<u64>,
    /// Output directory (default `results/mrc/<source>`).
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    pub jobs: Option<usize>,
}

/// Why `mrc`'s own flags are not usable.
#[derive(Debug, thiserror::Error)]
pub enum MrcError {
    /// `--points` is out of range.
    #[error("--points {0}: must be from 1 to {MAX_POINTS}")]
    Points(usize),
    /// A size flag does not parse.
    #[error("--{flag} {value}: {message}")]
    Size {
        /// The flag, without its dashes.
        flag: &'static str,
        /// What was given.
        value: String,
        /// Why it is refused and what is allowed.
        message: String,
    },
    /// `--min` resolves above `--max`.
    #[error("--min {min} is above --max {max}")]
    MinAboveMax {
        /// `--min` as given.
        min: String,
        /// `--max` as given.
        max: String,
    },
    /// `--sample` is not a share of the keys.
    #[error("--sample {0}: give the share of keys to sample, above 0 and at most 1, as 0.01 or 1%")]
    Rate(String),
    /// `--sample-keys` is zero.
    #[error("--sample-keys 0: give the most distinct keys to sample, at least 1")]
    NoKeys,
    /// Both samplings were asked for.
    #[error("--sample and --sample-keys: give one or the other")]
    BothSamplings,
}

impl MrcArgs {
    /// The sampling the flags ask for, if any.
    fn sampling(&self) -> Result<Option<Sampling>, MrcError> {
        match (&self.sample, self.sample_keys) {
            (Some(_), Some(_)) => Err(MrcError::BothSamplings),
            (Some(rate), None) => parse_rate(rate).map(|r| Some(Sampling::Rate(r))),
            (None, Some(0)) => Err(MrcError::NoKeys),
            (None, Some(keys)) => Ok(Some(Sampling::Keys(keys))),
            (None, None) => Ok(None),
        }
    }
}

/// A share of the keys: `0.01` or `1%`, above 0 and at most 1.
fn parse_rate(text: &str) -> Result<f64, MrcError> {
    let trimmed = text.trim();
    let value = match trimmed.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => trimmed.parse::<f64>(),
    };
    match value {
        Ok(rate) if rate > 0.0 && rate <= 1.0 => Ok(rate),
        _ => Err(MrcError::Rate(text.to_string())),
    }
}

fn parse_size(flag: &'static str, value: &str) -> Result<CacheSize, MrcError> {
    CacheSize::parse(value).map_err(|message| MrcError::Size {
        flag,
        value: value.to_string(),
        message,
    })
}

/// Miss ratio against cache size for each policy: LRU in one pass from stack
/// distances, the others one replay per size, or every policy on a spatial
/// sample when asked. Writes `mrc.csv`, then the curve (`mrc.png`,
/// `mrc.svg`) and `report.html` drawn from it.
pub fn mrc(
    source_args: &SourceArgs,
    args: &MrcArgs,
    show_progress: bool,
) -> Result<Outcome, AppError> {
    let policies = parse_policies(&args.policies)?;
    let explicit = args
        .sizes
        .iter()
        .map(|s| parse_size("size", s))
        .collect::<Result<Vec<_>, _>>()?;
    let (min, max) = (parse_size("min", &args.min)?, parse_size("max", &args.max)?);
    if explicit.is_empty() && !(1..=MAX_POINTS).contains(&args.points) {
        return Err(MrcError::Points(args.points).into());
    }
    let sampling = args.sampling()?;
    let needs_profile = explicit.iter().any(CacheSize::is_fraction)
        || (explicit.is_empty() && (min.is_fraction() || max.is_fraction()));
    let wants_future = policies.iter().any(|p| p.spec.needs_future);
    let prepared = Prepared::new(source_args, needs_profile, wants_future)?;
    let capacities = if explicit.is_empty() {
        let range = prepared.resolve_sizes(&[min, max])?;
        if range[0] > range[1] {
            return Err(MrcError::MinAboveMax {
                min: args.min.clone(),
                max: args.max.clone(),
            }
            .into());
        }
        log_spaced(range[0], range[1], args.points)
    } else {
        let mut sizes = prepared.resolve_sizes(&explicit)?;
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    };
    let replay = prepared.replay();
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results/mrc").join(prepared.source.name()));
    let csv = dir.join("mrc.csv");
    let rows = match sampling {
        None => {
            let rows = replay.curves(&policies, &capacities, |cells| {
                run_with_progress(&replay, cells, args.jobs, "mrc", 1, show_progress)
            })?;
            prepared.check_measured(&rows)?;
            report::write_csv(&csv, &rows)?;
            rows
        }
        Some(sampling) => {
            let sampled = sampled_rows(
                &replay,
                &policies,
                &capacities,
                sampling,
                args.jobs,
                show_progress,
            )?;
            let rows: Vec<CellResult> = sampled.iter().map(SampledResult::as_cell).collect();
            prepared.check_measured(&rows)?;
            report::write_csv(&csv, &sampled)?;
            rows
        }
    };
    let bytes = !prepared.counts_objects();
    write_run_record(&prepared, &dir, "mrc", args, source_args, &rows)?;
    let plotted = report::plot_directory(&dir, None)?;
    let text = format!(
        "{}\n{}",
        prepared.describe(),
        table::replay_table(&rows, bytes)
    );
    Ok(Outcome {
        text,
        files: [vec![csv, dir.join("run.json")], plotted.files].concat(),
        rows,
    })
}

/// Every policy's curve from one sampled pass, with a spinner while the
/// stream is read.
fn sampled_rows(
    replay: &Replay,
    policies: &[crate::policy::PolicyChoice],
    capacities: &[u64],
    sampling: Sampling,
    jobs: Option<usize>,
    show_progress: bool,
) -> Result<Vec<SampledResult>, AppError> {
    let sample = replay.resolve_sample(sampling)?;
    let bar = if show_progress {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} {spinner} {msg}, {elapsed}")
            .expect("valid template"),
    );
    bar.set_prefix(format!(
        "mrc, sampling {:.4}% of the keys",
        sample.rate() * 100.0
    ));
    let progress = |read: u64| bar.set_message(format!("{:.1} M requests read", read as f64 / 1e6));
    let rows = super::replay::thread_pool(jobs)?
        .install(|| replay.sampled_curves(policies, capacities, sample, sampling, &progress))?;
    bar.finish_and_clear();
    Ok(rows)
}
