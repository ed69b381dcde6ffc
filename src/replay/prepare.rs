//! A request source made ready for replay from what a user chose (a trace
//! or a workload, sizes, warm-up, rate, limits): opened, checked, profiled
//! when sizes, the warm-up or Belady need the whole stream first. Errors
//! name the flag or file and what is allowed.

use std::path::PathBuf;

use serde::Serialize;

use super::source::{DEFAULT_MAX_REQUESTS, Source, StreamOptions};
use super::{CacheSize, Profile, Replay, ReplayError, profile};
use crate::metrics::CellResult;
use crate::seed::Seed;
use crate::spec::SpecError;
use crate::trace::{MAX_SPOOL_BYTES, Trace, TraceError};
use crate::units::{format_bytes, parse_count};
use crate::workload::{SizeLaw, Workload};

/// Where requests come from and how they are adjusted, as the user gave it
/// (`run.json` records it as `source`).
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
    /// Drop the TTLs a trace gives (Twitter, lcs v3 and later), which
    /// replay otherwise honours. Recorded in `run.json` only when set.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignore_ttl: bool,
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

/// Why a source cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Neither a trace nor a workload was given, or both.
    #[error("give either --trace FILE or --workload SPEC")]
    NoSource,
    /// The trace cannot be opened or read.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// `--workload` is not a workload specification.
    #[error("--workload {0}")]
    Workload(SpecError),
    /// `--object-size` is not a size law.
    #[error("--object-size {0}")]
    ObjectSize(SpecError),
    /// `--rate` is not a positive number.
    #[error("--rate {0}: must be a positive number of requests per second")]
    Rate(f64),
    /// A workload asks for more requests than a pass may read.
    #[error("{}", too_many_requests(*.requests, *.limit, *.next_access))]
    TooManyRequests {
        /// The workload's `requests`.
        requests: u64,
        /// The limit (`--max-requests`, or its default).
        limit: u64,
        /// Whether Belady's next accesses would be kept in memory.
        next_access: bool,
    },
    /// `--warmup N%` with a share outside [0, 100).
    #[error("--warmup {0}: must be from 0% to below 100%")]
    WarmupShare(String),
    /// `--warmup` is neither a count nor a share.
    #[error("--warmup {0}: give a request count (100000) or a share (20%)")]
    WarmupCount(String),
    /// A cache size cannot be resolved against this source.
    #[error("{0}")]
    CacheSize(String),
    /// Nothing would be (or was) counted: a ratio over nothing is no data.
    #[error("{}", nothing_measured(*.warmup, *.requests))]
    NothingMeasured {
        /// The warm-up, in requests.
        warmup: u64,
        /// The stream's length, when known.
        requests: Option<u64>,
    },
    /// The pre-pass over the stream failed.
    #[error(transparent)]
    Replay(#[from] ReplayError),
}

fn too_many_requests(requests: u64, limit: u64, next_access: bool) -> String {
    if next_access {
        format!(
            "belady on a workload of {requests} requests: its next accesses take 8 bytes a request, so at most {limit} requests ({}); give fewer requests or raise the limit with --max-requests",
            format_bytes(limit.saturating_mul(8))
        )
    } else {
        format!(
            "`requests` = {requests} is above the limit of {limit:.0e} requests a replay reads (minutes of work per cell); give fewer or raise the limit with --max-requests"
        )
    }
}

fn nothing_measured(warmup: u64, requests: Option<u64>) -> String {
    let length = requests.map_or(String::new(), |n| format!(" of {n} requests"));
    if warmup > 0 {
        format!(
            "nothing measured: the warm-up of {warmup} requests covers the whole stream{length}; give a shorter --warmup"
        )
    } else {
        format!("nothing measured: the source has no requests{length}")
    }
}

/// A source ready to read, with everything a pre-pass learnt.
pub struct Prepared {
    /// The trace or workload.
    pub source: Source,
    /// How the stream is read: sizes, rate, warm-up, limit.
    pub options: StreamOptions,
    /// The pre-pass's findings, when one was needed.
    pub profile: Option<Profile>,
    /// The seed of the workload and of randomised policies.
    pub seed: Seed,
    /// The trace's first wrong next-access field, when Belady found one
    /// and its positions were recomputed.
    pub wrong_next_access: Option<String>,
}

impl Prepared {
    /// Opens the source `args` name and reads it once first when
    /// `need_profile` (fractional sizes), a warm-up share or
    /// `need_next_access` (Belady) asks for it.
    pub fn new(
        args: &SourceArgs,
        need_profile: bool,
        need_next_access: bool,
    ) -> Result<Prepared, SourceError> {
        let seed = Seed(args.seed);
        let source = open(args, seed)?;
        if let Some(rate) = args.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(SourceError::Rate(rate));
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
            return Err(SourceError::TooManyRequests {
                requests: workload.requests,
                limit: max_requests,
                next_access: need_next_access,
            });
        }
        let mut options = StreamOptions {
            ignore_size: args.ignore_size,
            rate: args.rate,
            warmup: 0,
            max_requests,
            ttls: !args.ignore_ttl && source.carries_ttls()?,
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
                    .ok_or_else(|| SourceError::WarmupShare(format!("{percent}%")))?;
                let requests = profile.as_ref().map_or(0, |p| p.requests);
                (share / 100.0 * requests as f64).floor() as u64
            }
            (Some(count), None) => {
                parse_count(count).ok_or_else(|| SourceError::WarmupCount(count.clone()))?
            }
        };
        if let Some(p) = &profile
            && options.warmup >= p.requests
        {
            return Err(SourceError::NothingMeasured {
                warmup: options.warmup,
                requests: Some(p.requests),
            });
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
    pub fn check_measured(&self, rows: &[CellResult]) -> Result<(), SourceError> {
        if rows.iter().all(|r| r.requests > 0) {
            return Ok(());
        }
        Err(SourceError::NothingMeasured {
            warmup: self.options.warmup,
            requests: self.profile.as_ref().map(|p| p.requests),
        })
    }

    /// The replay of this source: every cell reads it from the start.
    pub fn replay(&self) -> Replay<'_> {
        Replay {
            source: &self.source,
            options: &self.options,
            next_access: self.profile.as_ref().and_then(|p| p.next_access.as_deref()),
            seed: self.seed,
        }
    }

    /// The sizes in cache units, fractions of this source's working set.
    pub fn resolve_sizes(&self, sizes: &[CacheSize]) -> Result<Vec<u64>, SourceError> {
        let working_set = self.profile.as_ref().map_or(0, |p| p.working_set);
        sizes
            .iter()
            .map(|s| {
                s.resolve(working_set, self.options.ignore_size)
                    .map_err(SourceError::CacheSize)
            })
            .collect()
    }

    /// Whether capacities count objects: sizes ignored, or every object of
    /// size 1 (a trace without sizes, a workload of unit objects).
    pub fn counts_objects(&self) -> bool {
        self.options.ignore_size
            || match &self.source {
                Source::Trace(trace) => !trace.has_sizes(),
                Source::Workload { workload, .. } => workload.sizes == SizeLaw::Fixed(1),
            }
    }

    /// One line on the source for the terminal (its length, working set,
    /// warm-up and timing), and a second when its next accesses were wrong.
    pub fn describe(&self) -> String {
        let mut text = self.stream_line();
        if let Some(rate) = self.options.effective_rate(&self.source) {
            text.push_str(&format!(", timed at {rate} requests/s"));
        }
        if self.options.ttls {
            text.push_str(", the trace's TTLs honoured (--ignore-ttl drops them)");
        }
        if let Some(problem) = &self.wrong_next_access {
            text.push_str(&format!(
                "\nthe trace's next-access fields are wrong ({problem}); belady uses next accesses recomputed from the trace"
            ));
        }
        text
    }

    /// The source, what its pre-pass learnt and the warm-up, on one line.
    pub fn stream_line(&self) -> String {
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
}

/// The trace or the workload `args` name (exactly one of them).
fn open(args: &SourceArgs, seed: Seed) -> Result<Source, SourceError> {
    match (&args.trace, &args.workload) {
        (Some(path), None) => Ok(Source::Trace(Trace::with_spool_limit(
            path,
            args.format.as_deref(),
            args.max_spool.unwrap_or(MAX_SPOOL_BYTES),
        )?)),
        (None, Some(spec)) => {
            let sizes = SizeLaw::parse(&args.object_size).map_err(SourceError::ObjectSize)?;
            Ok(Source::Workload {
                workload: Workload::parse(spec, sizes).map_err(SourceError::Workload)?,
                seed: seed.derive("workload"),
            })
        }
        _ => Err(SourceError::NoSource),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(spec: &str) -> SourceArgs {
        SourceArgs {
            workload: Some(spec.to_string()),
            object_size: "1".to_string(),
            ..SourceArgs::default()
        }
    }

    fn error(args: &SourceArgs) -> String {
        match Prepared::new(args, false, false) {
            Ok(_) => panic!("{args:?} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn each_refusal_names_its_flag_and_what_is_allowed() {
        let ok = workload("zipf:keys=10,requests=100");
        assert!(error(&SourceArgs::default()).contains("--trace FILE or --workload SPEC"));
        assert!(
            error(&workload("zipf:keys=10,requests=100,colour=red")).starts_with("--workload `")
        );
        let sizes = SourceArgs {
            object_size: "lognormal:sigma=1".to_string(),
            ..ok.clone()
        };
        assert!(error(&sizes).starts_with("--object-size `"));
        let rate = SourceArgs {
            rate: Some(-1.0),
            ..ok.clone()
        };
        assert!(error(&rate).contains("--rate -1: must be a positive number"));
        for (warmup, says) in [
            ("100%", "from 0% to below 100%"),
            ("many", "a request count"),
        ] {
            let args = SourceArgs {
                warmup: Some(warmup.to_string()),
                ..ok.clone()
            };
            let e = error(&args);
            assert!(
                e.starts_with(&format!("--warmup {warmup}: ")) && e.contains(says),
                "{e}"
            );
        }
        let long = SourceArgs {
            max_requests: Some(10),
            ..ok.clone()
        };
        assert!(error(&long).contains("raise the limit with --max-requests"));
        let all = SourceArgs {
            warmup: Some("100".to_string()),
            ..ok
        };
        let prepared = Prepared::new(&all, true, false);
        assert!(matches!(
            prepared,
            Err(SourceError::NothingMeasured {
                warmup: 100,
                requests: Some(100)
            })
        ));
    }
}
