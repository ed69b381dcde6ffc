//! Driving a real server (Redis, Valkey, memcached) with the request stream
//! a replay reads: what the server did to the identical stream, measured
//! from outside.
//!
//! The stream comes from [`Replay`] as it does for every engine (trace or
//! workload, warm-up, `--rate`, `--max-requests`), cut into batches of
//! `pipeline` requests dealt round-robin to `connections` client threads,
//! each with its own connection (see [`client`] for what a batch sends).
//! When the stream honours its trace's TTLs (Twitter and lcs traces, unless
//! `--ignore-ttl`), a set and the fill after a miss carry the request's TTL:
//! `SET … EX t` on Redis, the set's exptime on memcached.
//! With a rate the run is open-loop: requests are due at their re-timed
//! `time_ns` whatever the server's speed, and latencies run from the due
//! time; without one each connection sends as fast as replies come back.
//! The server's counters are read before and after the run on a connection
//! of their own, so that the counts it keeps can be set against ours.
//!
//! A run that cannot start (no server, a refused connection, an error reply
//! to `INFO`) is an error. A run that stops midway (the server closes the
//! connection, answers with an error, or the stream breaks) still returns
//! what it measured, marked incomplete with the reason.

pub mod calibrate;
pub mod client;
mod memcached;
mod redis;
pub mod spawn;
mod summary;
pub mod target;

pub use client::{Counts, HELD_SAMPLE_EVERY, Tally};
pub use spawn::{Program, SpawnConfig, Spawned};
pub use summary::{HeldKeys, Latency, Row, SeriesRow, Summary};
pub use target::{Counters, Protocol, ServerInfo, Target};

use std::ops::ControlFlow;
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant, SystemTime};

use crate::replay::Replay;
use crate::replay::pipeline::check_pipeline;
use crate::request::Request;
use client::{Batch, Share};

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    /// `--target` is not one this driver speaks.
    #[error("--target `{text}`: {why}")]
    BadTarget {
        /// The target as given.
        text: String,
        /// What is wrong, and what is allowed.
        why: String,
    },
    /// The server could not be reached.
    #[error("{target}: cannot connect ({message}); is the server running and listening there?")]
    Connect {
        /// The target.
        target: String,
        /// What the connection attempt said.
        message: String,
    },
    /// The server answered the first requests (its version, configuration
    /// or counters) with an error or nonsense.
    #[error("{target}: {message}")]
    Server {
        /// The target.
        target: String,
        /// What went wrong.
        message: String,
    },
    /// A private server could not be started.
    #[error("--spawn {program}: {message}")]
    Spawn {
        /// The server.
        program: String,
        /// What went wrong.
        message: String,
    },
    /// An option is not usable.
    #[error("{0}")]
    Input(String),
}

/// How the stream is sent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DriveOptions {
    /// Client connections, each with its own thread (at least 1).
    pub connections: usize,
    /// Requests per batch on a connection (1: no pipelining).
    pub pipeline: usize,
    /// Send each request at its own timestamp in the trace, counted from
    /// the first request's, divided by this speed-up (`None`: as fast as
    /// possible, or at the stream options' rate when one is set).
    pub trace_times: Option<f64>,
}

impl Default for DriveOptions {
    /// One connection, no pipelining, no pacing of its own.
    fn default() -> Self {
        DriveOptions {
            connections: 1,
            pipeline: 1,
            trace_times: None,
        }
    }
}

/// The largest speed-up of a trace's own timestamps.
pub const MAX_SPEEDUP: f64 = 1e6;

/// Most connections a run may open.
pub const MAX_CONNECTIONS: usize = 1024;

impl DriveOptions {
    /// Refuses zero or absurd connection counts and batch sizes.
    pub fn check(&self) -> Result<(), DriveError> {
        if !(1..=MAX_CONNECTIONS).contains(&self.connections) {
            return Err(DriveError::Input(format!(
                "--connections {}: must be from 1 to {MAX_CONNECTIONS}",
                self.connections
            )));
        }
        check_pipeline(self.pipeline).map_err(DriveError::Input)?;
        match self.trace_times {
            Some(speedup) if !(speedup > 0.0 && speedup <= MAX_SPEEDUP) => Err(DriveError::Input(
                format!("--speedup {speedup}: must be above 0 and at most {MAX_SPEEDUP}"),
            )),
            _ => Ok(()),
        }
    }

    /// Refuses pacing at the trace's timestamps for a stream that has none,
    /// or that a rate re-times.
    fn check_pacing(&self, replay: &Replay) -> Result<(), DriveError> {
        if self.trace_times.is_none() {
            return Ok(());
        }
        if replay.options.rate.is_some() {
            return Err(DriveError::Input(
                "--at-trace-times sends requests at the trace's own timestamps, and --rate re-times them: give one of the two".into(),
            ));
        }
        if !replay.source.has_times() {
            return Err(DriveError::Input(format!(
                "--at-trace-times: {} has no timestamps of its own; pace it with --rate",
                replay.source.name()
            )));
        }
        Ok(())
    }
}

/// What a run measured.
pub struct Outcome {
    /// The server driven.
    pub target: Target,
    /// Its software, version and configuration.
    pub server: ServerInfo,
    /// Its counters before the run.
    pub before: Counters,
    /// Its counters after, when it could still be asked.
    pub after: Option<Counters>,
    /// The options the stream was sent with.
    pub options: DriveOptions,
    /// The rate requests were paced at, if they were.
    pub rate: Option<f64>,
    /// What the clients counted and their latencies.
    pub share: Share,
    /// Why the run stopped early; `None` when it is complete.
    pub problem: Option<String>,
    /// Wall-clock time from the first request to the last reply.
    pub elapsed: Duration,
    /// The wall-clock time of the first request (Redis's LRU clock ticks on
    /// whole seconds of it).
    pub started: SystemTime,
}

impl Outcome {
    /// Whether the whole stream was driven and the counters read after it.
    pub fn complete(&self) -> bool {
        self.problem.is_none()
    }
}

/// Drives `target` with the stream of `replay`.
pub fn drive(
    target: &Target,
    replay: &Replay,
    options: DriveOptions,
) -> Result<Outcome, DriveError> {
    drive_in_intervals(target, replay, options, u64::MAX)
}

/// [`drive`], with the gets and hits also tallied per `interval` counted
/// requests (`share.intervals[i]` covers counted requests `i × interval`
/// up to the next interval's first), as a hit-ratio series over the stream.
pub fn drive_in_intervals(
    target: &Target,
    replay: &Replay,
    options: DriveOptions,
    interval: u64,
) -> Result<Outcome, DriveError> {
    assert!(interval > 0, "an interval holds at least one request");
    options.check()?;
    options.check_pacing(replay)?;
    let server_error = |message: String| DriveError::Server {
        target: target.to_string(),
        message,
    };
    let mut stats = target::connect(target)?;
    let server = stats.info().map_err(server_error)?;
    let before = stats.counters().map_err(server_error)?;
    let mut connections = (0..options.connections)
        .map(|_| target::connect(target))
        .collect::<Result<Vec<_>, _>>()?;
    let rate = replay.options.rate;
    let paced = rate.is_some() || options.trace_times.is_some();
    let start = Instant::now();
    let started = SystemTime::now();
    let (shares, streamed) =
        std::thread::scope(|scope| {
            let mut senders = Vec::new();
            let mut clients = Vec::new();
            for connection in &mut connections {
                let (sender, batches) = sync_channel::<Batch>(4);
                senders.push(sender);
                clients.push(scope.spawn(move || {
                    client::run(connection.as_mut(), &batches, start, paced, interval)
                }));
            }
            let mut pending = Batch {
                requests: Vec::with_capacity(options.pipeline),
                ttls: Vec::new(),
                warmup: 0,
                counted_before: 0,
            };
            let mut counted = 0u64;
            // Pacing at the trace's times: each request is due its distance
            // from the first request's timestamp, over the speed-up.
            let mut origin = None;
            let retime = |request: &mut Request, origin: &mut Option<u64>| {
                if let Some(speedup) = options.trace_times {
                    let first = *origin.get_or_insert(request.time_ns);
                    let since = request.time_ns.saturating_sub(first) as f64 / speedup;
                    request.time_ns = since as u64;
                }
            };
            let mut next = 0;
            let mut deal = |batch: Batch| {
                // A client that stopped has dropped its end: the run stops.
                let sent = senders[next].send(batch).is_ok();
                next = (next + 1) % senders.len();
                sent
            };
            let streamed = replay.visit_batches_with_ttls(|batch, ttls, counted_from| {
                for (i, request) in batch.iter().enumerate() {
                    let mut request = *request;
                    retime(&mut request, &mut origin);
                    pending.requests.push(request);
                    if let Some(&ttl_s) = ttls.get(i) {
                        pending.ttls.push(ttl_s);
                    }
                    pending.warmup += usize::from(i < counted_from);
                    counted += u64::from(i >= counted_from);
                    if pending.requests.len() == options.pipeline {
                        let full = Batch {
                            requests: Vec::with_capacity(options.pipeline),
                            ttls: Vec::new(),
                            warmup: 0,
                            counted_before: counted,
                        };
                        if !deal(std::mem::replace(&mut pending, full)) {
                            return ControlFlow::Break(());
                        }
                    }
                }
                ControlFlow::Continue(())
            });
            if streamed.is_ok() && !pending.requests.is_empty() {
                deal(pending);
            }
            drop(senders);
            let shares: Vec<Share> = clients
                .into_iter()
                .map(|c| c.join().expect("a client thread does not panic"))
                .collect();
            (shares, streamed)
        });
    let elapsed = start.elapsed();
    let mut share = Share::empty();
    for other in shares {
        share.merge(other);
    }
    let mut problem = match (&share.error, streamed) {
        (Some(error), _) => Some(format!(
            "{target}: {error} (after {} requests)",
            share.driven
        )),
        (None, Err(error)) => Some(format!("reading the stream: {error}")),
        (None, Ok(_)) => None,
    };
    let after = match stats.counters() {
        Ok(counters) => Some(counters),
        Err(error) => {
            problem.get_or_insert(format!(
                "{target}: reading its counters after the run: {error}"
            ));
            None
        }
    };
    Ok(Outcome {
        target: target.clone(),
        server,
        before,
        after,
        options,
        rate,
        share,
        problem,
        elapsed,
        started,
    })
}
