//! The requests clients issue: keys, sizes and operations from a synthetic
//! workload (with the scenario's operation mix) or from a trace file.
//!
//! A stationary workload with gets, sets and deletes only is drawn as it
//! always was ([`Feed::Synthetic`]); one whose popularity moves, or whose
//! mix has inserts, read-modify-writes or scans, takes each request's
//! simulated time ([`Feed::Moving`]). There an insert (YCSB's) is a set of a key the
//! `latest` law has just created: a database write, with the write policy's
//! cache effect, like any set. A read-modify-write is a get, and the set of
//! the same key is the feed's next request (issued at the next arrival or
//! by the next user ready): two requests, each with its own latency. A
//! scan (YCSB E) is one request whose keys [`Feed::take_scan`] hands over:
//! the gets of consecutive key numbers from a drawn start.
//!
//! With request classes ([`Feed::Classes`]) each request first picks its
//! class by share, then draws a key from that class's stream and an
//! operation from its mix. The first class draws from the streams a lone
//! `[workload]` would, so one class is the same run as no classes; the
//! others from streams labelled by their names.

use rand::RngExt;

use crate::request::{Op, Request, RequestStream};
use crate::scenario::KeySource;
use crate::seed::{Rng, Seed};
use crate::sim::Time;
use crate::trace::{Record, RecordStream, TraceError};
use crate::workload::ScanMix;
use crate::workload::{Mixture, WorkloadStream};

/// An endless (synthetic) or finite (trace) supply of requests.
pub enum Feed {
    /// Synthetic keys with operations drawn from the mix.
    Synthetic {
        /// The key stream.
        stream: Box<WorkloadStream>,
        /// Shares of get, set, delete.
        mix: [f64; 3],
        /// Draws the operation.
        rng: Rng,
    },
    /// Synthetic keys whose popularity depends on the time, or with
    /// inserts, read-modify-writes or scans in the mix.
    Moving {
        /// The key stream.
        stream: Box<WorkloadStream>,
        /// Cumulative shares of get, set, delete, insert (rmw: the rest).
        bounds: [f64; 4],
        /// Draws the operation.
        rng: Rng,
        /// The set of a read-modify-write whose get was the last request.
        pending: Option<Request>,
        /// Scans, when the mix has them.
        scans: Option<Box<Scans>>,
    },
    /// Request classes, each with its own stationary stream and mix.
    Classes {
        /// The classes' streams, picked by share, in file order.
        mixture: Box<Mixture>,
        /// Each class's shares of get, set and delete.
        mixes: Box<[[f64; 3]]>,
        /// Draws the operation.
        rng: Rng,
        /// The class of the request returned last.
        last: u16,
    },
    /// A trace read in batches.
    Trace {
        /// The reader.
        stream: Box<dyn RequestStream>,
        /// Requests read ahead.
        batch: Vec<Request>,
        /// Next position in `batch`.
        next: usize,
    },
    /// A trace whose TTLs are honoured, read in batches of records.
    TraceTtls {
        /// The reader.
        stream: Box<dyn RecordStream>,
        /// Records read ahead.
        batch: Vec<Record>,
        /// Next position in `batch`.
        next: usize,
    },
}

/// The scans of a feed: where their share starts among the draws, their
/// length law and its own random stream, and the keys of the scan the
/// last request started.
pub struct Scans {
    /// A draw at or above this is a scan (1 − the scans' share).
    from: f64,
    config: ScanMix,
    rng: Rng,
    keys: Vec<Request>,
}

/// An operation drawn from the shares of get, set and delete `mix`.
#[inline]
fn draw_op(mix: &[f64; 3], rng: &mut Rng) -> Op {
    let u: f64 = rng.random();
    if u < mix[0] {
        Op::Get
    } else if u < mix[0] + mix[1] {
        Op::Set
    } else {
        Op::Delete
    }
}

impl Feed {
    /// The feed of `source`, seeded from `seed`; `mix` is the shares of
    /// get, set, delete, insert and read-modify-write, `scan` the scans (a
    /// synthetic workload's only), and `trace_ttls` whether a trace's TTLs
    /// are honoured ([`Feed::ttl_s`]).
    pub fn new(
        source: &KeySource,
        mix: [f64; 5],
        scan: Option<ScanMix>,
        seed: Seed,
        trace_ttls: bool,
    ) -> Result<Feed, TraceError> {
        Ok(match source {
            KeySource::Synthetic(workload)
                if workload.moves() || mix[3] + mix[4] > 0.0 || scan.is_some() =>
            {
                let mut bounds = [0.0; 4];
                let mut sum = 0.0;
                for (bound, share) in bounds.iter_mut().zip(mix) {
                    sum += share;
                    *bound = sum;
                }
                Feed::Moving {
                    stream: Box::new(workload.stream(seed.derive("workload"))),
                    bounds,
                    rng: seed.derive("ops").rng(),
                    pending: None,
                    scans: scan.map(|config| {
                        Box::new(Scans {
                            from: 1.0 - config.share,
                            config,
                            rng: seed.derive("scans").rng(),
                            keys: Vec::new(),
                        })
                    }),
                }
            }
            KeySource::Synthetic(workload) => Feed::Synthetic {
                stream: Box::new(workload.stream(seed.derive("workload"))),
                mix: [mix[0], mix[1], mix[2]],
                rng: seed.derive("ops").rng(),
            },
            KeySource::Classes(list) => {
                let workload_seed = seed.derive("workload");
                let sizes = workload_seed.derive("sizes");
                let parts = list
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let own = if i == 0 {
                            workload_seed
                        } else {
                            workload_seed.derive(&format!("class:{}", c.name))
                        };
                        (c.workload.stream_sized(own, sizes), c.share)
                    })
                    .collect();
                Feed::Classes {
                    mixture: Box::new(Mixture::new(parts, seed.derive("classes").rng())),
                    mixes: list.iter().map(|c| c.mix).collect(),
                    rng: seed.derive("ops").rng(),
                    last: 0,
                }
            }
            KeySource::Trace(trace) if trace_ttls => Feed::TraceTtls {
                stream: trace.records()?,
                batch: Vec::with_capacity(4096),
                next: 0,
            },
            KeySource::Trace(trace) => Feed::Trace {
                stream: trace.open()?,
                batch: Vec::with_capacity(4096),
                next: 0,
            },
        })
    }

    /// The class of the request [`Feed::next`] returned last (0 without
    /// classes).
    #[inline]
    pub fn class(&self) -> u16 {
        match self {
            Feed::Classes { last, .. } => *last,
            _ => 0,
        }
    }

    /// The TTL the trace gave the request [`Feed::next`] returned last, in
    /// seconds (0: none given, or a feed that does not honour TTLs).
    #[inline]
    pub fn ttl_s(&self) -> u32 {
        match self {
            Feed::TraceTtls { batch, next, .. } if *next > 0 => batch[*next - 1].ttl_s,
            _ => 0,
        }
    }

    /// Swaps the keys of the scan the request [`Feed::next`] returned last
    /// starts, in order, into `keys` (its old contents are dropped, its
    /// buffer kept for the next scan's keys); false, with `keys`
    /// untouched, when it is not a scan.
    #[inline]
    pub fn take_scan(&mut self, keys: &mut Vec<Request>) -> bool {
        match self {
            Feed::Moving {
                scans: Some(scans), ..
            } if !scans.keys.is_empty() => {
                keys.clear();
                std::mem::swap(keys, &mut scans.keys);
                true
            }
            _ => false,
        }
    }

    /// The next request, issued at `now`, or `None` when a trace has ended.
    /// A scan's is its first key's get (its keys: [`Feed::take_scan`]).
    /// A trace request keeps its own time; a synthetic one has time zero.
    #[inline]
    pub fn next(&mut self, now: Time) -> Result<Option<Request>, TraceError> {
        match self {
            Feed::Synthetic { stream, mix, rng } => {
                let mut request = stream.next_request();
                if mix[0] < 1.0 {
                    request.op = draw_op(mix, rng);
                }
                Ok(Some(request))
            }
            Feed::Classes {
                mixture,
                mixes,
                rng,
                last,
            } => {
                let (class, mut request) = mixture.next_request();
                *last = class as u16;
                let mix = &mixes[class];
                if mix[0] < 1.0 {
                    request.op = draw_op(mix, rng);
                }
                Ok(Some(request))
            }
            Feed::Moving {
                stream,
                bounds,
                rng,
                pending,
                scans,
            } => {
                if let Some(set) = pending.take() {
                    return Ok(Some(set));
                }
                if bounds[0] >= 1.0 {
                    return Ok(Some(stream.request_at(now)));
                }
                let u: f64 = rng.random();
                if let Some(scans) = scans
                    && u >= scans.from
                {
                    let length = scans.config.length.draw(&mut scans.rng);
                    scans.keys.clear();
                    stream.scan(length, &mut scans.keys);
                    return Ok(Some(scans.keys[0]));
                }
                let mut request = if u >= bounds[2] && u < bounds[3] {
                    // A law whose key space cannot grow (a drift, flash
                    // crowds) has no insert; validation refuses that mix.
                    stream.insert().unwrap_or_else(|| stream.request_at(now))
                } else {
                    stream.request_at(now)
                };
                if u < bounds[0] || u >= bounds[3] {
                    request.op = Op::Get;
                    if u >= bounds[3] {
                        *pending = Some(Request {
                            op: Op::Set,
                            ..request
                        });
                    }
                } else if u < bounds[1] {
                    request.op = Op::Set;
                } else if u < bounds[2] {
                    request.op = Op::Delete;
                }
                Ok(Some(request))
            }
            Feed::Trace {
                stream,
                batch,
                next,
            } => {
                if *next == batch.len() {
                    batch.clear();
                    *next = 0;
                    if stream.next_batch(batch, 4096)? == 0 {
                        return Ok(None);
                    }
                }
                *next += 1;
                Ok(Some(batch[*next - 1]))
            }
            Feed::TraceTtls {
                stream,
                batch,
                next,
            } => {
                if *next == batch.len() {
                    batch.clear();
                    *next = 0;
                    if stream.next_records(batch, 4096)? == 0 {
                        return Ok(None);
                    }
                }
                *next += 1;
                Ok(Some(batch[*next - 1].request))
            }
        }
    }
}
