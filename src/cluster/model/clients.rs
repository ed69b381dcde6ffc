//! The clients: where requests come from and when. An open loop draws
//! Poisson arrivals, a closed loop wakes each user a think time after its
//! last reply, and a trace at its own timing sends each request at its
//! timestamp (shifted so the first is at zero). The clients own their
//! request feed, their random streams and their time-out; the model asks
//! them for the next request and the next time to ask again.

use rand_distr::{Distribution, Exp};

use super::super::feed::Feed;
use crate::request::Request;
use crate::scenario::config::{ClusterConfig, Load};
use crate::seed::{Rng, Seed};
use crate::sim::Time;
use crate::sim::dist::Sampler;
use crate::trace::TraceError;

/// The clients' state.
pub(super) struct Clients {
    feed: Feed,
    /// Open loop: the gaps between arrivals.
    arrivals: Option<Exp<f64>>,
    arrival_rng: Rng,
    /// Closed loop: the think time between a reply and the next request.
    think: Sampler,
    think_rng: Rng,
    /// Trace timing: the next request and the first one's timestamp.
    next_trace: Option<Request>,
    trace_origin: Time,
    /// How long a client waits for an unreachable node.
    pub timeout: Time,
}

/// The clients' first events: when each is due.
pub(super) enum Start {
    /// The trace's first request, at zero (none for an empty trace).
    Trace(bool),
    /// The first open-loop arrival.
    Arrival(Time),
    /// Each closed-loop user's first request.
    Users(Vec<Time>),
}

impl Clients {
    /// The clients of `config`, their streams derived from `seed`.
    pub fn new(config: &ClusterConfig, seed: Seed) -> Result<Clients, TraceError> {
        let (arrivals, think) = match &config.clients.load {
            Load::Open { rate } => (
                Some(Exp::new(rate / 1e9).expect("validated: rate > 0")),
                Sampler::Fixed(0),
            ),
            Load::Closed { think, .. } => (None, think.sampler()),
        };
        Ok(Clients {
            feed: Feed::new(&config.workload.keys, config.workload.op_mix, seed)?,
            arrivals,
            arrival_rng: seed.derive("arrivals").rng(),
            think,
            think_rng: seed.derive("think").rng(),
            next_trace: None,
            trace_origin: 0,
            timeout: config.clients.timeout,
        })
    }

    /// What starts the run.
    pub fn start(&mut self, config: &ClusterConfig) -> Result<Start, TraceError> {
        if config.workload.trace_timed {
            self.next_trace = self.feed.next()?;
            if let Some(first) = self.next_trace {
                self.trace_origin = first.time_ns;
            }
            return Ok(Start::Trace(self.next_trace.is_some()));
        }
        Ok(match config.clients.load {
            Load::Open { .. } => Start::Arrival(self.next_arrival(0)),
            Load::Closed { users, .. } => Start::Users((0..users).map(|_| self.think()).collect()),
        })
    }

    /// The next request of the feed (none when a trace is over).
    pub fn next_request(&mut self) -> Result<Option<Request>, TraceError> {
        self.feed.next()
    }

    /// Open loop: when the arrival after one at `now` comes.
    pub fn next_arrival(&mut self, now: Time) -> Time {
        let gap = self
            .arrivals
            .as_ref()
            .expect("open loop")
            .sample(&mut self.arrival_rng);
        now + gap.round() as Time
    }

    /// Closed loop: one think time.
    pub fn think(&mut self) -> Time {
        self.think.sample(&mut self.think_rng)
    }

    /// Trace timing: the request due now, and when the one after it is due
    /// (never before `now`).
    pub fn trace_arrival(
        &mut self,
        now: Time,
    ) -> Result<(Option<Request>, Option<Time>), TraceError> {
        let due = self.next_trace.take();
        self.next_trace = self.feed.next()?;
        let next = self
            .next_trace
            .map(|next| next.time_ns.saturating_sub(self.trace_origin).max(now));
        Ok((due, next))
    }
}
