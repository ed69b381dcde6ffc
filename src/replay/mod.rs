//! The replay engine: a request stream straight into one cache, no clock, no
//! network — the fastest way to compare policies and draw miss-ratio curves.
//!
//! Every cell (policy × size) reads the source from the start, so all cells see
//! the identical stream; cells run in parallel with rayon and results come
//! back in cell order, so output does not depend on the thread count.

pub mod pipeline;
mod prepare;
mod sampled;
mod size;
mod source;

pub use prepare::{MAX_BELADY_REQUESTS, Prepared, SourceArgs, SourceError};
pub use size::{CacheSize, log_spaced};
pub use source::{DEFAULT_MAX_REQUESTS, DEFAULT_RATE, Source, StreamOptions};

use std::ops::ControlFlow;
use std::time::Instant;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::metrics::{CellResult, MissCounts};
use crate::mrc::StackDistances;
use crate::policy::parts::expiry::Lifetimes;
use crate::policy::{Policy, PolicyChoice};
use crate::request::{NEVER, Request, StreamError};
use crate::seed::Seed;
use crate::trace::TraceError;
use source::Adjuster;

/// Requests read per batch.
const BATCH: usize = 4096;

/// Why a replay could not finish.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The source could not be read.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The source has more requests than a pass may read.
    #[error("{stream}: more than {limit} requests, the most a replay reads{why}; give a shorter stream or raise the limit with --max-requests", why = if *.next_access { " while keeping each one's next access in memory for belady (8 bytes a request)" } else { "" })]
    TooManyRequests {
        /// The source, as [`Source::describe`] names it.
        stream: String,
        /// The limit passed.
        limit: u64,
        /// Whether the pass was keeping next-access positions.
        next_access: bool,
    },
    /// A sampled curve's cache would be empty at the sample's rate.
    #[error(
        "a cache of size {capacity} sampled at rate {rate} is a miniature of under one unit; sample more keys (--sample) or start the curve at a larger size (--min)"
    )]
    MiniatureTooSmall {
        /// The full-size capacity.
        capacity: u64,
        /// The sample's rate.
        rate: f64,
    },
    /// A sampled curve was asked for while the trace's TTLs are honoured.
    #[error(
        "a sampled curve (--sample) with the trace's TTLs: miniature caches do not model lifetimes; drop --sample, or give --ignore-ttl"
    )]
    SampledTtls,
    /// A policy whose memory comes in fixed pages cannot be scaled down.
    #[error(
        "policy `{policy}` cannot be sampled: its memory comes in 1 MiB slab pages, which a miniature cache does not scale; replay it unsampled"
    )]
    PagesDoNotScale {
        /// The policy.
        policy: String,
    },
}

impl From<StreamError> for ReplayError {
    fn from(e: StreamError) -> Self {
        ReplayError::Trace(e.into())
    }
}

/// The error of a pass over `source` that read past `options.max_requests`.
fn too_many(source: &Source, options: &StreamOptions, next_access: bool) -> ReplayError {
    ReplayError::TooManyRequests {
        stream: source.describe(),
        limit: options.max_requests,
        next_access,
    }
}

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
/// positions when `want_next_access`. Refuses a stream longer than
/// `options.max_requests`, before keeping more positions than that.
pub fn profile(
    source: &Source,
    options: &StreamOptions,
    want_next_access: bool,
) -> Result<Profile, ReplayError> {
    let mut stream = source.open()?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut last_seen: FxHashMap<u64, u64> = FxHashMap::default();
    let mut next_access = want_next_access.then(Vec::new);
    let mut profile = Profile::default();
    loop {
        batch.clear();
        let n = stream.next_batch(&mut batch, BATCH)?;
        if n == 0 {
            break;
        }
        if profile.requests + n as u64 > options.max_requests {
            return Err(too_many(source, options, want_next_access));
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

/// Every policy at every capacity.
pub fn grid(policies: &[&PolicyChoice], capacities: &[u64]) -> Vec<Cell> {
    policies
        .iter()
        .flat_map(|p| {
            capacities.iter().map(|&capacity| Cell {
                policy: (*p).clone(),
                capacity,
            })
        })
        .collect()
}

/// A cache-aside client in front of one policy, counting its misses:
/// each miss filled at once, or with `pipeline` > 1 the fills of a batch's
/// distinct missed keys after the batch (see [`pipeline`]). What a replay
/// cell and a sampled miniature cache both run.
pub(crate) struct Client {
    policy: Box<dyn Policy>,
    /// Requests and misses counted so far.
    pub(crate) counts: MissCounts,
    evicted: Vec<u64>,
    fills: pipeline::Fills,
    in_batch: usize,
    pipeline: usize,
    /// The residents' expiries, when the stream's TTLs are honoured
    /// ([`Client::feed_with_ttls`]).
    lifetimes: Option<Box<Lifetimes>>,
}

impl Client {
    /// A client of `policy` sending `pipeline` requests at a time.
    pub(crate) fn new(policy: Box<dyn Policy>, pipeline: usize) -> Self {
        Client {
            policy,
            counts: MissCounts::default(),
            evicted: Vec::new(),
            fills: pipeline::Fills::default(),
            in_batch: 0,
            pipeline,
            lifetimes: None,
        }
    }

    /// A client of `policy` honouring the requests' TTLs, sending
    /// `pipeline` requests at a time; expired objects leave first when
    /// `expire_first` (`+expire`).
    pub(crate) fn with_ttls(policy: Box<dyn Policy>, expire_first: bool, pipeline: usize) -> Self {
        Client {
            lifetimes: Some(Box::new(Lifetimes::new(expire_first))),
            ..Client::new(policy, pipeline)
        }
    }

    /// Sends `batch`, whose requests have the TTLs `ttls` (seconds, 0: none),
    /// counting from index `counted_from`. A resident object whose lifetime
    /// has ended is removed at its lookup, which misses and counts as an
    /// expiry ([`crate::policy::parts::expiry`]). A miss is filled at once,
    /// or with a pipeline after its batch, at the time of the batch's last
    /// request and with the TTL of the key's first miss in the batch, as
    /// `drive` sends it; the object expires its TTL after the fill. A hit
    /// leaves the expiry as it was: replay sees every request as a get (as
    /// libCacheSim's `cache_get_base` does), and a get does not restart a
    /// lifetime.
    pub(crate) fn feed_with_ttls(&mut self, batch: &[Request], ttls: &[u32], counted_from: usize) {
        let lifetimes = self.lifetimes.as_mut().expect("a client built with_ttls");
        for (i, (req, &ttl_s)) in batch.iter().zip(ttls).enumerate() {
            let expired = lifetimes.expire_if_due(self.policy.as_mut(), req.key, req.time_ns);
            let hit = self.policy.get(req);
            debug_assert!(!(hit && expired), "an expired object was removed");
            if !hit {
                if self.pipeline == 1 {
                    lifetimes.store(self.policy.as_mut(), req, ttl_s, &mut self.evicted);
                } else {
                    self.fills.missed(req, ttl_s);
                }
            }
            if i >= counted_from {
                self.counts.requests += 1;
                self.counts.bytes += u64::from(req.size);
                if !hit {
                    self.counts.misses += 1;
                    self.counts.byte_misses += u64::from(req.size);
                    self.counts.expired += u64::from(expired);
                }
            }
            if self.pipeline > 1 {
                self.in_batch += 1;
                if self.in_batch == self.pipeline {
                    self.in_batch = 0;
                    for (fill, ttl_s) in self.fills.drain() {
                        let fill = Request {
                            time_ns: req.time_ns,
                            ..fill
                        };
                        lifetimes.store(self.policy.as_mut(), &fill, ttl_s, &mut self.evicted);
                    }
                }
            }
        }
    }

    /// Sends `batch`; requests from index `counted_from` on are counted.
    pub(crate) fn feed(&mut self, batch: &[Request], counted_from: usize) {
        for (i, req) in batch.iter().enumerate() {
            let hit = self.policy.get(req);
            if !hit {
                if self.pipeline == 1 {
                    self.policy.insert(req, &mut self.evicted);
                    self.evicted.clear();
                } else {
                    self.fills.missed(req, 0);
                }
            }
            if i >= counted_from {
                self.counts.requests += 1;
                self.counts.bytes += u64::from(req.size);
                if !hit {
                    self.counts.misses += 1;
                    self.counts.byte_misses += u64::from(req.size);
                }
            }
            if self.pipeline > 1 {
                self.in_batch += 1;
                if self.in_batch == self.pipeline {
                    self.in_batch = 0;
                    for (fill, _) in self.fills.drain() {
                        self.policy.insert(&fill, &mut self.evicted);
                        self.evicted.clear();
                    }
                }
            }
        }
    }
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

    /// Streams every request, adjusted as the options say, through
    /// `visit(batch, counted_from)` until the stream ends or `visit` breaks:
    /// requests of the batch from index `counted_from` on are past the
    /// warm-up. Returns how many requests were read. This is the stream
    /// every cell sees, for engines outside this module (a real server).
    pub fn visit_batches(
        &self,
        visit: impl FnMut(&[Request], usize) -> ControlFlow<()>,
    ) -> Result<u64, ReplayError> {
        self.for_each_batch(false, visit)
    }

    /// [`Replay::visit_batches`] with each batch's TTLs beside its requests
    /// (`visit(batch, ttls, counted_from)`, seconds, 0: none) when the
    /// stream honours them ([`StreamOptions::ttls`]), and an empty `ttls`
    /// otherwise.
    pub fn visit_batches_with_ttls(
        &self,
        mut visit: impl FnMut(&[Request], &[u32], usize) -> ControlFlow<()>,
    ) -> Result<u64, ReplayError> {
        if self.options.ttls {
            self.for_each_batch_with_ttls(false, visit)
        } else {
            self.for_each_batch(false, |batch, counted_from| visit(batch, &[], counted_from))
        }
    }

    /// [`Replay::visit_batches`], with Belady's next-access positions when
    /// `wants_next_access`.
    fn for_each_batch(
        &self,
        wants_next_access: bool,
        mut visit: impl FnMut(&[Request], usize) -> ControlFlow<()>,
    ) -> Result<u64, ReplayError> {
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
            if position + n as u64 > self.options.max_requests {
                return Err(too_many(self.source, self.options, false));
            }
            adjuster.apply(&mut batch, position);
            let warm_end = self.options.warmup.saturating_sub(position).min(n as u64) as usize;
            position += n as u64;
            if visit(&batch, warm_end).is_break() {
                return Ok(position);
            }
        }
    }

    /// [`Replay::for_each_batch`] over the source's records, each batch's
    /// requests with their TTLs beside them (seconds, 0: none): the stream a
    /// replay that honours TTLs sees. A TTL-less source never comes here, so
    /// its replay keeps the 32-byte requests and their loop.
    fn for_each_batch_with_ttls(
        &self,
        wants_next_access: bool,
        mut visit: impl FnMut(&[Request], &[u32], usize) -> ControlFlow<()>,
    ) -> Result<u64, ReplayError> {
        let adjuster = self.adjuster(wants_next_access);
        let mut stream = self.source.open_records()?;
        let mut records = Vec::with_capacity(BATCH);
        let mut batch = Vec::with_capacity(BATCH);
        let mut ttls = Vec::with_capacity(BATCH);
        let mut position = 0u64;
        loop {
            records.clear();
            let n = stream.next_records(&mut records, BATCH)?;
            if n == 0 {
                return Ok(position);
            }
            if position + n as u64 > self.options.max_requests {
                return Err(too_many(self.source, self.options, false));
            }
            batch.clear();
            ttls.clear();
            batch.extend(records.iter().map(|r| r.request));
            ttls.extend(records.iter().map(|r| r.ttl_s));
            adjuster.apply(&mut batch, position);
            let warm_end = self.options.warmup.saturating_sub(position).min(n as u64) as usize;
            position += n as u64;
            if visit(&batch, &ttls, warm_end).is_break() {
                return Ok(position);
            }
        }
    }

    /// Runs one cell as a client sends its requests in batches of
    /// `pipeline` ([`pipeline`]'s rule: every request is a get; the fills of
    /// a batch's misses go in after it). With 1, each miss is filled at once.
    pub fn run_cell(&self, cell: &Cell, pipeline: usize) -> Result<CellResult, ReplayError> {
        let started = Instant::now();
        let policy = cell.policy.build(cell.capacity, self.seed);
        let wants_next_access = cell.policy.spec.needs_future;
        let (processed, counts) = if self.options.ttls {
            let mut client = Client::with_ttls(policy, cell.policy.expire_first, pipeline);
            let processed =
                self.for_each_batch_with_ttls(wants_next_access, |batch, ttls, counted_from| {
                    client.feed_with_ttls(batch, ttls, counted_from);
                    ControlFlow::Continue(())
                })?;
            (processed, client.counts)
        } else {
            let mut client = Client::new(policy, pipeline);
            let processed = self.for_each_batch(wants_next_access, |batch, counted_from| {
                client.feed(batch, counted_from);
                ControlFlow::Continue(())
            })?;
            (processed, client.counts)
        };
        let seconds = started.elapsed().as_secs_f64();
        let row = CellResult::new(
            cell.policy.label.clone(),
            cell.capacity,
            counts,
            processed,
            seconds,
        );
        Ok(if self.options.ttls {
            row.with_expired(counts.expired)
        } else {
            row
        })
    }

    /// Runs every cell in parallel, in batches of `pipeline`; results in
    /// cell order. `done` is called after each cell (from worker threads) for
    /// progress reporting.
    pub fn run_cells(
        &self,
        cells: &[Cell],
        pipeline: usize,
        done: &(dyn Fn(&CellResult) + Sync),
    ) -> Result<Vec<CellResult>, ReplayError> {
        cells
            .par_iter()
            .map(|cell| {
                let result = self.run_cell(cell, pipeline)?;
                done(&result);
                Ok(result)
            })
            .collect()
    }

    /// Miss-ratio curves of `policies` at `capacities`, rows in the order of
    /// `policies`: LRU from one pass over the stream, the others one replay
    /// per cell through `run` (which may run them in parallel, with progress).
    pub fn curves<E: From<ReplayError>>(
        &self,
        policies: &[PolicyChoice],
        capacities: &[u64],
        run: impl FnOnce(&[Cell]) -> Result<Vec<CellResult>, E>,
    ) -> Result<Vec<CellResult>, E> {
        // Stack distances know no lifetimes: with TTLs, LRU replays per cell.
        let by_stack = |p: &PolicyChoice| p.label == "lru" && !self.options.ttls;
        let lru_rows = if policies.iter().any(by_stack) {
            self.lru_curve(capacities)?
        } else {
            Vec::new()
        };
        let others: Vec<&PolicyChoice> = policies.iter().filter(|p| !by_stack(p)).collect();
        let other_rows = run(&grid(&others, capacities))?;
        let mut rows = Vec::new();
        for policy in policies {
            let source = if by_stack(policy) {
                &lru_rows
            } else {
                &other_rows
            };
            rows.extend(source.iter().filter(|r| r.policy == policy.label).cloned());
        }
        Ok(rows)
    }

    /// LRU at every size in one pass over the stream (stack distances).
    pub fn lru_curve(&self, capacities: &[u64]) -> Result<Vec<CellResult>, ReplayError> {
        let started = Instant::now();
        let mut distances = StackDistances::new(capacities);
        let processed = self.for_each_batch(false, |batch, counted_from| {
            distances.access_batch(batch, counted_from);
            ControlFlow::Continue(())
        })?;
        let seconds = started.elapsed().as_secs_f64();
        let curve = distances.curve();
        Ok(curve
            .sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| {
                let counts = MissCounts {
                    requests: curve.requests,
                    misses: curve.requests - curve.hits[i],
                    bytes: curve.bytes,
                    byte_misses: curve.bytes - curve.byte_hits[i],
                    expired: 0,
                };
                CellResult::new("lru".to_string(), size, counts, processed, seconds)
            })
            .collect())
    }
}
