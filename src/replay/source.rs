//! Where a replay's requests come from, and the adjustments applied to them
//! (ignore sizes, re-time, Belady's next-access positions).

use crate::request::{NEVER, Request, RequestStream};
use crate::seed::Seed;
use crate::trace::record::{PlainRecords, RecordStream};
use crate::trace::{Trace, TraceError};
use crate::workload::Workload;

/// Requests per second given to streams without timestamps when no rate is set.
pub const DEFAULT_RATE: f64 = 10_000.0;

/// A request source that can be read from the start any number of times,
/// giving the identical stream each time.
#[derive(Clone, Debug)]
pub enum Source {
    /// A trace file.
    Trace(Trace),
    /// A synthetic workload with its seed.
    Workload {
        /// The workload.
        workload: Workload,
        /// Its seed.
        seed: Seed,
    },
}

impl Source {
    /// A fresh stream from the beginning.
    pub fn open(&self) -> Result<Box<dyn RequestStream>, TraceError> {
        match self {
            Source::Trace(trace) => trace.open(),
            Source::Workload { workload, seed } => Ok(Box::new(workload.stream(*seed))),
        }
    }

    /// A fresh stream of records from the beginning: requests with the
    /// trace's own TTLs where its format has them.
    pub fn open_records(&self) -> Result<Box<dyn RecordStream>, TraceError> {
        match self {
            Source::Trace(trace) => trace.records(),
            Source::Workload { .. } => Ok(Box::new(PlainRecords::new(self.open()?))),
        }
    }

    /// Whether requests may carry TTLs: a Twitter trace, an lcs trace of
    /// version 3 or later (reads its header).
    pub fn carries_ttls(&self) -> Result<bool, TraceError> {
        match self {
            Source::Trace(trace) => trace.carries_ttls(),
            Source::Workload { .. } => Ok(false),
        }
    }

    /// Whether requests carry their own timestamps.
    pub fn has_times(&self) -> bool {
        matches!(self, Source::Trace(t) if t.has_times())
    }

    /// Whether requests carry Belady's next-access positions.
    pub fn has_next_access(&self) -> bool {
        matches!(self, Source::Trace(t) if t.has_next_access())
    }

    /// The source as error messages name it: the trace's path, or the
    /// workload's kind.
    pub fn describe(&self) -> String {
        match self {
            Source::Trace(trace) => trace.path.display().to_string(),
            Source::Workload { .. } => format!("the workload {}", self.name()),
        }
    }

    /// A short name for result directories: the trace's file stem or the
    /// workload's kind.
    pub fn name(&self) -> String {
        match self {
            Source::Trace(trace) => {
                let name = trace
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "trace".to_string());
                name.split('.').next().unwrap_or("trace").to_string()
            }
            Source::Workload { workload, .. } => match workload.popularity {
                crate::workload::Popularity::Zipf { alpha, .. } => format!("zipf-{alpha}"),
                crate::workload::Popularity::Uniform { .. } => "uniform".to_string(),
                crate::workload::Popularity::Hotspot { .. } => "hotspot".to_string(),
                crate::workload::Popularity::Latest { alpha, .. } => format!("latest-{alpha}"),
            },
        }
    }
}

/// Most requests one pass of a replay reads unless raised (minutes of work
/// per cell).
pub const DEFAULT_MAX_REQUESTS: u64 = 10_000_000_000;

/// How requests are adjusted before a policy sees them, and how many are read.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamOptions {
    /// Give every object size 1, so capacities count objects.
    pub ignore_size: bool,
    /// Re-time requests at this many per second (also used for streams
    /// without timestamps, which otherwise get [`DEFAULT_RATE`]).
    pub rate: Option<f64>,
    /// Requests at the start that warm the cache but are not counted.
    pub warmup: u64,
    /// Most requests a pass reads; a longer stream is an error.
    pub max_requests: u64,
    /// Honour the TTLs the trace gives (a source that [`Source::carries_ttls`],
    /// unless `--ignore-ttl`): each object expires its TTL after its insert,
    /// in the requests' time.
    pub ttls: bool,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            ignore_size: false,
            rate: None,
            warmup: 0,
            max_requests: DEFAULT_MAX_REQUESTS,
            ttls: false,
        }
    }
}

impl StreamOptions {
    /// The rate requests are re-timed at for `source`, if they are.
    pub fn effective_rate(&self, source: &Source) -> Option<f64> {
        match self.rate {
            Some(rate) => Some(rate),
            None if !source.has_times() => Some(DEFAULT_RATE),
            None => None,
        }
    }
}

/// Applies the options to a batch whose first request has stream position
/// `first`.
pub(crate) struct Adjuster<'a> {
    pub ignore_size: bool,
    pub rate: Option<f64>,
    pub next_access: Option<&'a [u64]>,
}

impl Adjuster<'_> {
    #[inline]
    pub fn apply(&self, batch: &mut [Request], first: u64) {
        if !self.ignore_size && self.rate.is_none() && self.next_access.is_none() {
            return;
        }
        for (i, req) in batch.iter_mut().enumerate() {
            let position = first + i as u64;
            if self.ignore_size {
                req.size = 1;
            }
            if let Some(rate) = self.rate {
                req.time_ns = (position as f64 * 1e9 / rate) as u64;
            }
            if let Some(next) = self.next_access {
                req.next_access = next.get(position as usize).copied().unwrap_or(NEVER);
            }
        }
    }
}
