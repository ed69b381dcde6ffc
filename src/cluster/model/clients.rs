//! The clients: where requests come from and when. An open loop draws
//! Poisson arrivals, a closed loop wakes each user a think time after its
//! last reply, and a trace at its own timing sends each request at its
//! timestamp (shifted so the first is at zero). The clients own their
//! request feed, their random streams and their time-out; the model asks
//! them for the next request and the next time to ask again.

use rand_distr::{Distribution, Exp};

use super::super::feed::Feed;
use super::super::membership::{Pool, Target};
use super::job::{AtDb, AtNode, Job, JobId, NO_USER, Phase, Read};
use super::{Event, Sim, lane};
use crate::metrics::Class;
use crate::request::Op;
use crate::request::Request;
use crate::scenario::config::Pattern;
use crate::scenario::config::{ClusterConfig, Load};
use crate::seed::{Rng, Seed};
use crate::sim::Time;
use crate::sim::dist::Sampler;
use crate::trace::TraceError;
use crate::workload::schedule::Arrivals;

/// How an open loop draws its arrivals.
enum Pacing {
    /// Not an open loop.
    None,
    /// At a constant rate: exponential gaps (per ns).
    Constant(Exp<f64>),
    /// Following a schedule.
    Scheduled(Box<Arrivals>),
}

/// The clients' state.
pub(super) struct Clients {
    feed: Feed,
    /// Open loop: when arrivals come.
    pacing: Pacing,
    arrival_rng: Rng,
    /// Closed loop: the think time between a reply and the next request.
    think: Sampler,
    think_rng: Rng,
    /// Trace timing: the next request (with its trace TTL) and the first
    /// one's timestamp.
    next_trace: Option<TracedRequest>,
    trace_origin: Time,
    /// How long a client waits for an unreachable node.
    pub timeout: Time,
}

/// A trace's request with the TTL the trace gave it (seconds, 0: none).
type TracedRequest = (Request, u32);

/// The clients' first events: when each is due.
pub(super) enum Start {
    /// The trace's first request, at zero (none for an empty trace).
    Trace(bool),
    /// The first open-loop arrival.
    Arrival(Time),
    /// Each closed-loop user's first request.
    Users(Vec<Time>),
}

/// The clients' events.
#[derive(Clone, Copy, Debug)]
pub(super) enum ClientEvent {
    /// The open loop's next arrival.
    Arrival,
    /// A closed-loop user is ready to send its next request.
    UserReady(u32),
    /// A timed trace's next request is due.
    TraceArrival,
    /// A node's answer reaches its client.
    Reply(JobId),
    /// A client gives up on a node.
    Timeout(JobId),
    /// A reader told to wait (leases) asks again.
    LeaseRetry(JobId),
}

impl ClientEvent {
    /// The job this event belongs to, if any.
    pub(super) fn job(self) -> Option<JobId> {
        match self {
            ClientEvent::Reply(id) | ClientEvent::Timeout(id) | ClientEvent::LeaseRetry(id) => {
                Some(id)
            }
            ClientEvent::Arrival | ClientEvent::UserReady(_) | ClientEvent::TraceArrival => None,
        }
    }
}

impl Clients {
    /// The clients of `config`, their streams derived from `seed`.
    pub fn new(config: &ClusterConfig, seed: Seed) -> Result<Clients, TraceError> {
        let (pacing, think) = match &config.clients.load {
            Load::Open { rate } => (
                Pacing::Constant(Exp::new(rate / 1e9).expect("validated: rate > 0")),
                Sampler::Fixed(0),
            ),
            Load::Scheduled { schedule } => (
                Pacing::Scheduled(Box::new(Arrivals::new(
                    schedule,
                    seed.derive("arrivals"),
                    config.duration,
                ))),
                Sampler::Fixed(0),
            ),
            Load::Closed { think, .. } => (Pacing::None, think.sampler()),
        };
        Ok(Clients {
            feed: Feed::new(
                &config.workload.keys,
                config.workload.op_mix,
                config.workload.scan,
                seed,
                config.workload.trace_ttls,
            )?,
            pacing,
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
            self.next_trace = self.feed.next(0)?.map(|r| (r, self.feed.ttl_s()));
            if let Some((first, _)) = self.next_trace {
                self.trace_origin = first.time_ns;
            }
            return Ok(Start::Trace(self.next_trace.is_some()));
        }
        Ok(match config.clients.load {
            Load::Open { .. } | Load::Scheduled { .. } => Start::Arrival(self.next_arrival(0)),
            Load::Closed { users, .. } => Start::Users((0..users).map(|_| self.think()).collect()),
        })
    }

    /// The next request of the feed, issued at `now`, with its class and
    /// the TTL its trace gave it (seconds, 0: none; none when a trace is
    /// over).
    pub fn next_request(&mut self, now: Time) -> Result<Option<(Request, u16, u32)>, TraceError> {
        Ok(self
            .feed
            .next(now)?
            .map(|r| (r, self.feed.class(), self.feed.ttl_s())))
    }

    /// Swaps the keys of the scan the request [`Clients::next_request`]
    /// returned last starts into `keys` (false when it is not a scan; see
    /// [`Feed::take_scan`]).
    #[inline]
    pub fn take_scan(&mut self, keys: &mut Vec<Request>) -> bool {
        self.feed.take_scan(keys)
    }

    /// Open loop: when the arrival after one at `now` comes (a schedule's
    /// with none left before the end: the end, when nothing is issued).
    pub fn next_arrival(&mut self, now: Time) -> Time {
        match &mut self.pacing {
            Pacing::Constant(gaps) => now + gaps.sample(&mut self.arrival_rng).round() as Time,
            Pacing::Scheduled(arrivals) => arrivals.next_time(),
            Pacing::None => panic!("arrivals of clients that are not an open loop"),
        }
    }

    /// Closed loop: one think time.
    pub fn think(&mut self) -> Time {
        self.think.sample(&mut self.think_rng)
    }

    /// Trace timing: the request due now with its trace TTL, and when the
    /// one after it is due (never before `now`).
    pub fn trace_arrival(
        &mut self,
        now: Time,
    ) -> Result<(Option<TracedRequest>, Option<Time>), TraceError> {
        let due = self.next_trace.take();
        self.next_trace = self.feed.next(now)?.map(|r| (r, self.feed.ttl_s()));
        let next = self
            .next_trace
            .map(|(next, _)| next.time_ns.saturating_sub(self.trace_origin).max(now));
        Ok((due, next))
    }
}

impl Sim<'_> {
    /// The offered load, requests per second, over each interval of the
    /// time series, when the clients follow a schedule: its mean rate over
    /// the interval (an MMPP's along the path its arrivals followed).
    pub fn offered_rps(&self) -> Option<Vec<f64>> {
        let config = self.config;
        let Load::Scheduled { schedule } = &config.clients.load else {
            return None;
        };
        let seed = Seed(config.seed).derive("arrivals");
        Some(schedule.offered_per_interval(seed, config.interval, config.duration))
    }

    /// A client event: an arrival, a user ready for its next request, an
    /// answer, a time-out, or a lease's retry.
    pub(super) fn on_client(&mut self, now: Time, event: ClientEvent) -> Result<(), TraceError> {
        match event {
            ClientEvent::Arrival => {
                let next = self.clients.next_arrival(now);
                self.queue
                    .schedule_in(lane::ARRIVAL, next, Event::Client(ClientEvent::Arrival));
                if let Some((request, class, ttl_s)) = self.clients.next_request(now)? {
                    self.issue(now, request, NO_USER, class, ttl_s);
                }
            }
            ClientEvent::UserReady(user) => {
                if let Some((request, class, ttl_s)) = self.clients.next_request(now)? {
                    self.issue(now, request, user, class, ttl_s);
                }
            }
            ClientEvent::TraceArrival => {
                let (due, next) = self.clients.trace_arrival(now)?;
                if let Some((request, ttl_s)) = due {
                    self.issue(now, request, NO_USER, 0, ttl_s);
                }
                if let Some(at) = next {
                    self.queue
                        .schedule(at, Event::Client(ClientEvent::TraceArrival));
                }
            }
            ClientEvent::Reply(id) => self.client_reply(now, id.slot),
            ClientEvent::Timeout(id) => self.client_timeout(now, id.slot),
            ClientEvent::LeaseRetry(id) => self.retry_get(now, id.slot),
        }
        Ok(())
    }

    /// A client issues `request` of `class` at `now` (for `user`, or
    /// [`NO_USER`]), with the TTL its trace gave it (seconds, 0: none).
    pub(super) fn issue(&mut self, now: Time, request: Request, user: u32, class: u16, ttl_s: u32) {
        if self.clients.take_scan(&mut self.scans.incoming) {
            self.issue_scan(now, user, class);
            return;
        }
        self.issued += 1;
        let by_app = self.app.is_some();
        let job = self.allocate(Job {
            // With `[app]` the tier answers the user.
            user: if by_app { NO_USER } else { user },
            class,
            ttl_s,
            ..Job::new(
                request.key,
                request.size,
                now,
                Phase::Node(AtNode::Lookup(Read::FIRST)),
            )
        });
        if by_app {
            self.app_arrive(now, job, request, user);
        } else {
            self.dispatch(now, job, request);
        }
    }

    /// The request in `job` goes to the cache (a get), or is written.
    pub(super) fn dispatch(&mut self, now: Time, job: u32, request: Request) {
        if request.op != Op::Get {
            self.issue_write(now, job);
            return;
        }
        // With `[app]` the tier looked in its server's near cache already.
        if self.app.is_none() && self.near_get(now, job, 0) {
            return;
        }
        self.shared_get(now, job);
    }

    /// The get in `job` goes to the shared tier: its node, or the database
    /// when no node can take it.
    pub(super) fn shared_get(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        match self.cache_target(j.key) {
            Target::Node(Pool::Main, id) if !self.breaker_allows(now, id, j.issued) => {
                // The node's breaker is open: straight to the database, no fill.
                self.recorder.outcome(j.class, now, false, j.size);
                self.send_to_database(now, job, AtDb::Read { fill: None });
            }
            Target::Node(pool, id) => {
                self.send_to_node(now, job, pool, id, AtNode::Lookup(Read::FIRST));
            }
            Target::Database => {
                self.recorder.outcome(j.class, now, false, j.size);
                self.send_to_database(now, job, AtDb::Read { fill: None });
            }
        }
    }

    /// A reader told to wait asks its node again.
    pub(super) fn retry_get(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        let Phase::Node(AtNode::Lookup(read)) = j.phase else {
            self.violation(|| format!("a lease retry for key {} that is not a get", j.key));
            return;
        };
        match self.cache_target(j.key) {
            Target::Node(pool, id) => {
                let again = Read {
                    wait: false,
                    ..read
                };
                self.send_to_node(now, job, pool, id, AtNode::Lookup(again));
            }
            Target::Database => {
                self.recorder.outcome(j.class, j.issued, false, j.size);
                self.send_to_database(now, job, AtDb::Read { fill: None });
            }
        }
    }

    /// Whether the clients' breaker in front of main-pool node `node` lets
    /// a get issued at `issued` through at `now` (always, without
    /// breakers); one it turns away is counted.
    fn breaker_allows(&mut self, now: Time, node: u32, issued: Time) -> bool {
        let Some(breakers) = &mut self.tier.breakers else {
            return true;
        };
        let allowed = breakers.of(node).allow(now);
        if !allowed && issued >= self.warmup_end {
            breakers.skipped += 1;
        }
        allowed
    }

    /// A get `j` sent to a node was answered (`answered`) or timed out at
    /// `now`: the node's breaker hears of it.
    fn breaker_hears(&mut self, now: Time, j: &Job, answered: bool) {
        let Some(breakers) = &mut self.tier.breakers else {
            return;
        };
        let read = matches!(
            j.phase,
            Phase::Node(AtNode::Lookup(_) | AtNode::WarmRead { .. })
        );
        if read && j.pool == Pool::Main {
            let breaker = breakers.of(j.node);
            if answered {
                breaker.success();
            } else {
                breaker.failure(now);
            }
        }
    }

    /// A node's answer reaches its client.
    pub(super) fn client_reply(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        self.breaker_hears(now, &j, true);
        match j.phase {
            // The primary's own acknowledgement: with synchronous copies the
            // writer is answered (failed, if a copy was lost) after the last.
            Phase::Db(AtDb::NodeWrite { .. }) => self.acknowledged(now, job),
            _ if j.failed => {
                self.complete(now, job, Class::Failed);
                self.release(job);
            }
            Phase::Node(AtNode::WriteThrough | AtNode::WriteBehind) => {
                self.complete(now, job, Class::Write);
                self.release(job);
            }
            Phase::Node(AtNode::Lookup(read)) => self.got_answer(now, job, read),
            Phase::Node(AtNode::Scan { part }) => self.scan_part_answered(now, job, part),
            Phase::Node(AtNode::WarmRead { read, home }) => {
                if read.hit {
                    // A warm copy had it: answer, and add it to the warming node.
                    self.complete(now, job, Class::Hit);
                    self.send_to_node(now, job, Pool::Main, home, AtNode::WarmAdd);
                } else {
                    // No copy had it: read the database and fill the warming node.
                    self.jobs[job as usize].node = home;
                    let fill = Some(read.token);
                    self.send_to_database(now, job, AtDb::Read { fill });
                }
            }
            Phase::Node(work) => {
                self.violation(|| format!("a client got an answer to {work:?}"));
            }
            Phase::Db(work) => {
                self.violation(|| format!("a client got a node's answer to {work:?}"));
            }
        }
    }

    /// A get's answer from its node: a hit, a request to wait (leases), or a
    /// miss (read-through: the node read the database; cache-aside: the
    /// client reads it and fills the node, or first asks a warm copy when
    /// the node is warming up).
    fn got_answer(&mut self, now: Time, job: u32, read: Read) {
        let j = self.jobs[job as usize];
        if read.wait {
            let retry = self
                .consistency
                .leases
                .expect("waits come from leases")
                .retry;
            self.queue.schedule(
                now + retry,
                Event::Client(ClientEvent::LeaseRetry(self.id(job))),
            );
        } else if read.hit {
            self.complete(now, job, Class::Hit);
            self.release(job);
        } else if let Some(peer) = self.warming_peer(now, &j) {
            let warm = AtNode::WarmRead { read, home: j.node };
            self.send_to_node(now, job, Pool::Main, peer, warm);
        } else if self.tier.pattern == Pattern::ReadThrough {
            self.complete(now, job, Class::Miss);
            self.release(job);
        } else {
            let fill = Some(read.token);
            self.send_to_database(now, job, AtDb::Read { fill });
        }
    }

    /// A client gave up on a node: a get reads the database instead (and
    /// fills nothing); a write through the node fails.
    pub(super) fn client_timeout(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        self.recorder.timeout(j.issued);
        self.breaker_hears(now, &j, false);
        if let Phase::Node(AtNode::Scan { part }) = j.phase {
            self.scan_part_timed_out(now, job, part);
        } else if let Phase::Node(AtNode::Lookup(_) | AtNode::WarmRead { .. }) = j.phase {
            self.recorder.outcome(j.class, j.issued, false, j.size);
            self.send_to_database(now, job, AtDb::Read { fill: None });
        } else {
            self.complete(now, job, Class::Failed);
            self.release(job);
        }
    }

    /// The client's request is answered: record it and wake its user.
    pub(super) fn complete(&mut self, now: Time, job: u32, class: Class) {
        let j = self.jobs[job as usize];
        if j.scan != super::job::NONE {
            // A scan's database read: the scan is answered after its last.
            self.scan_answered(now, j.scan, class);
            return;
        }
        if j.answered {
            self.violation(|| format!("a request for key {} answered twice", j.key));
            return;
        }
        if j.near_missed > 0 && matches!(class, Class::Hit | Class::Miss) && !j.failed {
            self.near_fill(now, &j);
        }
        if self.app.is_some() && self.app_complete(now, job, class) {
            return; // the application tier answers the client
        }
        self.jobs[job as usize].answered = true;
        self.answered += 1;
        self.answer_client(now, j.issued, j.user, j.class, class);
    }

    /// A request of `request_class` issued at `issued` has its answer at
    /// `now`: record it and wake its user, if any.
    pub(super) fn answer_client(
        &mut self,
        now: Time,
        issued: Time,
        user: u32,
        request_class: u16,
        class: Class,
    ) {
        self.recorder.complete(request_class, issued, now, class);
        if user != NO_USER {
            let think = self.clients.think();
            self.queue
                .schedule(now + think, Event::Client(ClientEvent::UserReady(user)));
        }
    }
}
