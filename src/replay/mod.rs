//! The replay engine: a request stream straight into one cache, no clock, no
//! network — the fastest way to compare policies and draw miss-ratio curves.
//!
//! Every cell (policy × size) reads the source from the start, so all cells see
//! the identical stream; cells run in parallel with rayon and results come
//! back in cell order, so output does not depend on the thread count.

mod size;
mod source;

pub use size::{CacheSize, log_spaced};
pub use source::{DEFAULT_RATE, Source, StreamOptions};

use std::time::Instant;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::mrc::StackDistances;
use crate::policy::PolicyChoice;
use crate::request::{NEVER, Request};
use crate::seed::Seed;
use crate::trace::TraceError;
use source::Adjuster;

/// Requests read per batch.
const BATCH: usize = 4096;

/// What a pre-pass over the stream learns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// Number of requests.
    pub requests: u64,
    /// Number of distinct keys.
    pub objects: u64,
    /// Sum of each distinct object's first-seen size (in cache units).
    pub working_set: u64,
    /// Largest object size seen (in cache units).
    pub largest: u64,
    /// Each request's next-access position, when asked for.
    pub next_access: Option<Vec<u64>>,
}

/// Reads the whole stream once: working set, and Belady's next-access
/// positions when `want_next_access`.
pub fn profile(
    source: &Source,
    options: &StreamOptions,
    want_next_access: bool,
) -> Result<Profile, TraceError> {
    let mut stream = source.open()?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut last_seen: FxHashMap<u64, u64> = FxHashMap::default();
    let mut next_access = want_next_access.then(Vec::new);
    let mut profile = Profile::default();
    loop {
        batch.clear();
        if stream.next_batch(&mut batch, BATCH)? == 0 {
            break;
        }
        for req in &batch {
            let size = if options.ignore_size {
                1
            } else {
                u64::from(req.size)
            };
            let position = profile.requests;
            match last_seen.insert(req.key, position) {
                Some(previous) => {
                    if let Some(next) = next_access.as_mut() {
                        next[previous as usize] = position;
                    }
                }
                None => {
                    profile.objects += 1;
                    profile.working_set += size;
                }
            }
            if let Some(next) = next_access.as_mut() {
                next.push(NEVER);
            }
            profile.largest = profile.largest.max(size);
            profile.requests += 1;
        }
    }
    profile.next_access = next_access;
    Ok(profile)
}

/// One policy at one size.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The policy.
    pub policy: PolicyChoice,
    /// Capacity in cache units.
    pub capacity: u64,
}

/// The outcome of one cell: a row of `replay.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CellResult {
    /// Policy label (name plus non-default parameters).
    pub policy: String,
    /// Capacity in bytes, or objects with --ignore-size.
    pub cache_size: u64,
    /// Requests counted (after the warm-up).
    pub requests: u64,
    /// Misses among them.
    pub misses: u64,
    /// misses / requests; `None` (an empty field) when no request was
    /// counted: no data, not a perfect cache.
    pub miss_ratio: Option<f64>,
    /// Bytes missed / bytes requested; `None` when no byte was counted.
    pub byte_miss_ratio: Option<f64>,
    /// Requests processed per second of wall time, warm-up and reading
    /// included, when measured in this process. A wall-clock figure: it
    /// differs between runs, so it stays out of the CSV and goes to
    /// `run.json` instead.
    #[serde(skip)]
    pub throughput_rps: Option<f64>,
}

impl CellResult {
    fn new(policy: String, cache_size: u64, counts: Counts, processed: u64, seconds: f64) -> Self {
        CellResult {
            policy,
            cache_size,
            requests: counts.requests,
            misses: counts.misses,
            miss_ratio: ratio(counts.misses, counts.requests),
            byte_miss_ratio: ratio(counts.byte_misses, counts.bytes),
            throughput_rps: (seconds > 0.0).then(|| processed as f64 / seconds),
        }
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    requests: u64,
    misses: u64,
    bytes: u64,
    byte_misses: u64,
}

/// Everything a replay needs besides the cells.
pub struct Replay<'a> {
    /// The stream.
    pub source: &'a Source,
    /// Adjustments and warm-up.
    pub options: &'a StreamOptions,
    /// Next-access positions for Belady when the source lacks them.
    pub next_access: Option<&'a [u64]>,
    /// Seed for the policies' own randomness.
    pub seed: Seed,
}

impl Replay<'_> {
    fn adjuster(&self, wants_next_access: bool) -> Adjuster<'_> {
        Adjuster {
            ignore_size: self.options.ignore_size,
            rate: self.options.effective_rate(self.source),
            next_access: if wants_next_access {
                self.next_access
            } else {
                None
            },
        }
    }

    /// Streams every request through `visit(batch, counted_from)`: requests
    /// of the batch from index `counted_from` on are past the warm-up.
    fn for_each_batch(
        &self,
        wants_next_access: bool,
        mut visit: impl FnMut(&[Request], usize),
    ) -> Result<u64, TraceError> {
        let adjuster = self.adjuster(wants_next_access);
        let mut stream = self.source.open()?;
        let mut batch = Vec::with_capacity(BATCH);
        let mut position = 0u64;
        loop {
            batch.clear();
            let n = stream.next_batch(&mut batch, BATCH)?;
            if n == 0 {
                return Ok(position);
            }
            adjuster.apply(&mut batch, position);
            let warm_end = self.options.warmup.saturating_sub(position).min(n as u64) as usize;
            visit(&batch, warm_end);
            position += n as u64;
        }
    }

    /// Runs one cell.
    pub fn run_cell(&self, cell: &Cell) -> Result<CellResult, TraceError> {
        let started = Instant::now();
        let mut policy = cell.policy.build(cell.capacity, self.seed);
        let mut counts = Counts::default();
        let mut evicted = Vec::new();
        let wants_next_access = cell.policy.spec.needs_future;
        let processed = self.for_each_batch(wants_next_access, |batch, counted_from| {
            for (i, req) in batch.iter().enumerate() {
                let hit = policy.get(req);
                if !hit {
                    policy.insert(req, &mut evicted);
                    evicted.clear();
                }
                if i >= counted_from {
                    counts.requests += 1;
                    counts.bytes += u64::from(req.size);
                    if !hit {
                        counts.misses += 1;
                        counts.byte_misses += u64::from(req.size);
                    }
                }
            }
        })?;
        let seconds = started.elapsed().as_secs_f64();
        Ok(CellResult::new(
            cell.policy.label.clone(),
            cell.capacity,
            counts,
            processed,
            seconds,
        ))
    }

    /// Runs every cell in parallel; results in cell order. `done` is called
    /// after each cell (from worker threads) for progress reporting.
    pub fn run_cells(
        &self,
        cells: &[Cell],
        done: &(dyn Fn(&CellResult) + Sync),
    ) -> Result<Vec<CellResult>, TraceError> {
        cells
            .par_iter()
            .map(|cell| {
                let result = self.run_cell(cell)?;
                done(&result);
                Ok(result)
            })
            .collect()
    }

    /// LRU at every size in one pass over the stream (stack distances).
    pub fn lru_curve(&self, capacities: &[u64]) -> Result<Vec<CellResult>, TraceError> {
        let started = Instant::now();
        let mut distances = StackDistances::new(capacities);
        let processed = self.for_each_batch(false, |batch, counted_from| {
            distances.access_batch(batch, counted_from)
        })?;
        let seconds = started.elapsed().as_secs_f64();
        let curve = distances.curve();
        Ok(curve
            .sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| {
                let counts = Counts {
                    requests: curve.requests,
                    misses: curve.requests - curve.hits[i],
                    bytes: curve.bytes,
                    byte_misses: curve.bytes - curve.byte_hits[i],
                };
                CellResult::new("lru".to_string(), size, counts, processed, seconds)
            })
            .collect())
    }
}
