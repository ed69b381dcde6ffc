//! The cluster model: clients issue requests; routing picks a node; nodes
//! serve gets, fills and deletes; misses go to the database (by the client in
//! cache-aside, by the node in read-through); failures change what is
//! reachable, and clients learn of it after a detection delay.
//!
//! This file holds the state, the event loop and its dispatch. Components
//! with their own state: the clients (`clients.rs`: the feed, arrivals,
//! think times, time-outs) and the faults (`faults.rs`: the failure plan as
//! it unfolds, and what happened); the database and the nodes are in the
//! parent module. The paths of reads are in `requests.rs`, writes and
//! invalidations in `writes.rs`, what a failure does in `failures.rs`, and
//! the self-checks in `audit.rs`.

mod audit;
mod clients;
mod failures;
mod faults;
mod job;
mod requests;
mod writes;

use rustc_hash::FxHashSet;

use super::database::{Admission, Database};
use super::membership::{Membership, Pool, Target};
use super::node::{LeaseAnswer, Node, NodeConfig};
use super::versions::Versions;
use crate::metrics::{Class, FailureEvent, Happening, Recorder};
use crate::request::{Op, Request};
use crate::scenario::KeySource;
use crate::scenario::config::{ClusterConfig, FailureAction, LeaseConfig, Pattern, WritePolicy};
use crate::seed::{Rng, Seed};
use crate::sim::dist::Sampler;
use crate::sim::{EventQueue, Time};
use crate::trace::TraceError;
use job::{AtDb, AtNode, Job, JobId, NO_USER, NONE, Phase, Read};

/// The events of the model: a closed set.
#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival,
    UserReady(u32),
    TraceArrival,
    NodeArrive(JobId),
    NodeDone(JobId, u32),
    ClientReply(JobId),
    ClientTimeout(JobId),
    DbArrive(JobId),
    DbDone(JobId),
    DbReply(JobId),
    Failure(u32),
    RandomCrash(u32),
    RandomRecover(u32),
    Detected(u32),
    LeaseRetry(JobId),
    Flush(JobId),
    WriteCheck(u32),
    Ack(JobId),
    WarmupEnd,
    Tick,
}

impl Event {
    /// The job this event belongs to, if any.
    fn job(&self) -> Option<JobId> {
        match *self {
            Event::NodeArrive(id)
            | Event::NodeDone(id, _)
            | Event::ClientReply(id)
            | Event::ClientTimeout(id)
            | Event::DbArrive(id)
            | Event::DbDone(id)
            | Event::DbReply(id)
            | Event::LeaseRetry(id)
            | Event::Flush(id)
            | Event::Ack(id) => Some(id),
            _ => None,
        }
    }
}

/// Delays after a commit at which the cache is checked for copies older
/// than the write (Facebook's consistency probes).
pub const CHECK_DELAYS_S: [u64; 4] = [1, 10, 60, 300];

/// The simulation state.
pub struct Sim<'a> {
    config: &'a ClusterConfig,
    queue: EventQueue<Event>,
    jobs: Vec<Job>,
    /// Each slot's generation: odd while a job holds it (see [`JobId`]).
    generations: Vec<u32>,
    free_jobs: Vec<u32>,
    /// Requests answered (each exactly once).
    answered: u64,
    /// Broken invariants of the model, as found (a run with any fails).
    violations: Vec<String>,
    nodes: Vec<Node>,
    gutter: Vec<Node>,
    main_config: NodeConfig<'a>,
    node_seed: Seed,
    membership: Membership,
    database: Database,
    clients: clients::Clients,
    /// The recorder of measurements.
    pub recorder: Recorder,
    pattern: Pattern,
    coalesce: bool,
    warmup_end: Time,
    end: Time,
    interval: Time,
    /// The failure plan as it unfolds.
    faults: faults::Faults,
    /// Requests issued (all, warm-up included).
    pub issued: u64,
    next_ticket: u32,
    versions: Versions,
    write_policy: WritePolicy,
    invalidation_delay: Sampler,
    invalidation_loss: f64,
    invalidation_rng: Rng,
    flush_delay: Time,
    leases: Option<LeaseConfig>,
    next_token: u64,
    /// Warm-up of nodes that come back empty, and its hold-off (0: none).
    warm_up: Time,
    hold_off: Time,
    /// Writes wait for every copy.
    sync_copies: bool,
    /// Pending consistency checks: (key, version written, delay index).
    checks: Vec<(u64, u64, u8)>,
    free_checks: Vec<u32>,
    /// Checks of every invariant after every event, when on.
    audit: Option<audit::Audit>,
}

impl<'a> Sim<'a> {
    /// A cluster at time zero, ready to run.
    pub fn new(config: &'a ClusterConfig) -> Result<Sim<'a>, TraceError> {
        let c = config;
        let seed = Seed(c.seed);
        let leases = c.consistency.leases;
        let main_config = NodeConfig {
            policy: &c.nodes.policy,
            capacity: c.nodes.capacity,
            ttl: c.cache.ttl,
            concurrency: c.nodes.concurrency,
            service: c.nodes.service.sampler(),
            latency: c.nodes.latency.sampler(),
            versions: c.workload.op_mix[0] < 1.0 || matches!(c.workload.keys, KeySource::Trace(_)),
            keep_removed: leases.is_some_and(|l| l.stale),
        };
        let gutter_config = NodeConfig {
            ttl: Some(c.cache.gutter_ttl),
            ..main_config.clone()
        };
        let node_seed = seed.derive("nodes");
        let count = c.nodes.count;
        let nodes = (0..count)
            .map(|i| Node::new(&main_config, node_seed.derive(&i.to_string())))
            .collect();
        let gutter_count = c.cache.gutter_nodes;
        let gutter_seed = seed.derive("gutter");
        let gutter = (0..gutter_count)
            .map(|i| Node::new(&gutter_config, gutter_seed.derive(&i.to_string())))
            .collect();
        let hot = hot_keys(c)?;
        let membership = Membership::new(c, count, gutter_count, hot, seed.derive("sample-keys"));
        let database = Database::new(
            c.database.connections,
            c.database.queue_limit,
            c.database.service.sampler(),
            c.database.latency.sampler(),
            seed.derive("database"),
        );
        Ok(Sim {
            config,
            queue: EventQueue::default(),
            jobs: Vec::new(),
            generations: Vec::new(),
            free_jobs: Vec::new(),
            answered: 0,
            violations: Vec::new(),
            nodes,
            gutter,
            main_config,
            node_seed,
            membership,
            database,
            clients: clients::Clients::new(c, seed)?,
            recorder: Recorder::new(c.warmup, c.duration),
            pattern: c.cache.pattern,
            coalesce: c.cache.coalesce,
            warmup_end: c.warmup,
            end: c.duration,
            interval: c.interval,
            faults: faults::Faults::new(c, seed),
            issued: 0,
            next_ticket: 0,
            versions: Versions::default(),
            write_policy: c.consistency.write_policy,
            invalidation_delay: c.consistency.invalidation_delay.sampler(),
            invalidation_loss: c.consistency.invalidation_loss,
            invalidation_rng: seed.derive("invalidations").rng(),
            flush_delay: c.consistency.write_behind_delay,
            leases,
            next_token: 0,
            warm_up: c.replication.warm_up,
            hold_off: c.replication.hold_off,
            sync_copies: c.replication.sync,
            checks: Vec::new(),
            free_checks: Vec::new(),
            audit: None,
        })
    }

    /// Runs to the scenario's end; `progress(simulated_fraction)` is called
    /// now and then.
    pub fn run(&mut self, progress: &mut dyn FnMut(f64)) -> Result<(), TraceError> {
        self.schedule_start()?;
        while let Some((now, event)) = self.queue.pop() {
            // The run covers [0, end): the last tick, at `end`, closes the
            // last interval, and nothing else at `end` happens, so the
            // totals and the time series count the same events.
            if now > self.end {
                break;
            }
            if now == self.end && !matches!(event, Event::Tick) {
                continue;
            }
            self.handle(now, event)?;
            if self.audit.is_some() {
                self.audit(now, &event);
            }
            if self.queue.processed().is_multiple_of(1 << 20) {
                progress(now as f64 / self.end as f64);
            }
        }
        Ok(())
    }

    /// Checks every invariant of the model after every event (slow: a scan
    /// of all jobs and nodes per event; for tests and fuzzers).
    pub fn audit_every_event(&mut self) {
        self.audit = Some(audit::Audit::default());
    }

    /// Events processed.
    pub fn events_processed(&self) -> u64 {
        self.queue.processed()
    }

    fn schedule_start(&mut self) -> Result<(), TraceError> {
        let config = self.config;
        match self.clients.start(config)? {
            clients::Start::Trace(any) => {
                if any {
                    self.queue.schedule(0, Event::TraceArrival);
                }
            }
            clients::Start::Arrival(at) => self.queue.schedule(at, Event::Arrival),
            clients::Start::Users(due) => {
                for (user, at) in due.into_iter().enumerate() {
                    self.queue.schedule(at, Event::UserReady(user as u32));
                }
            }
        }
        for (i, failure) in config.faults.scheduled.iter().enumerate() {
            self.queue.schedule(failure.at, Event::Failure(i as u32));
        }
        for node in 0..self.nodes.len() as u32 {
            if let Some(at) = self.faults.time_to_failure() {
                self.queue.schedule(at, Event::RandomCrash(node));
            }
        }
        if self.warmup_end > 0 {
            self.queue.schedule(self.warmup_end, Event::WarmupEnd);
        }
        self.queue
            .schedule(self.interval.min(self.end), Event::Tick);
        Ok(())
    }

    fn handle(&mut self, now: Time, event: Event) -> Result<(), TraceError> {
        if let Some(id) = event.job()
            && !self.is_live(id)
        {
            return Ok(()); // the job ended before this event came due
        }
        match event {
            Event::Arrival => {
                let next = self.clients.next_arrival(now);
                self.queue.schedule(next, Event::Arrival);
                if let Some(request) = self.clients.next_request()? {
                    self.issue(now, request, NO_USER);
                }
            }
            Event::UserReady(user) => {
                if let Some(request) = self.clients.next_request()? {
                    self.issue(now, request, user);
                }
            }
            Event::TraceArrival => {
                let (due, next) = self.clients.trace_arrival(now)?;
                if let Some(request) = due {
                    self.issue(now, request, NO_USER);
                }
                if let Some(at) = next {
                    self.queue.schedule(at, Event::TraceArrival);
                }
            }
            Event::NodeArrive(id) => self.node_arrive(now, id.slot),
            Event::NodeDone(id, ticket) => self.node_done(now, id.slot, ticket),
            Event::ClientReply(id) => self.client_reply(now, id.slot),
            Event::ClientTimeout(id) => self.client_timeout(now, id.slot),
            Event::DbArrive(id) => match self.database.arrive(now, id.slot) {
                Admission::Started(service) => {
                    self.queue.schedule(now + service, Event::DbDone(id));
                }
                Admission::Queued => {}
                Admission::Rejected => {
                    self.jobs[id.slot as usize].failed = true;
                    let latency = self.database.network_latency();
                    self.queue.schedule(now + latency, Event::DbReply(id));
                }
            },
            Event::DbDone(id) => {
                if let Some((next, service)) = self.database.finish(now) {
                    let next = self.id(next);
                    self.queue.schedule(now + service, Event::DbDone(next));
                }
                self.database_served(now, id.slot);
                let latency = self.database.network_latency();
                self.queue.schedule(now + latency, Event::DbReply(id));
            }
            Event::DbReply(id) => self.db_reply(now, id.slot),
            Event::Failure(index) => {
                let fault = self.config.faults.scheduled[index as usize];
                self.apply_failure(now, fault.action, fault.node, fault.factor);
            }
            Event::RandomCrash(node) => {
                if self.nodes[node as usize].up {
                    self.apply_failure(now, FailureAction::Crash, node, 1.0);
                }
                let delay = self.faults.time_to_repair();
                self.queue.schedule(now + delay, Event::RandomRecover(node));
            }
            Event::RandomRecover(node) => {
                if !self.nodes[node as usize].up {
                    self.apply_failure(now, FailureAction::Recover, node, 1.0);
                }
                if let Some(delay) = self.faults.time_to_failure() {
                    self.queue.schedule(now + delay, Event::RandomCrash(node));
                }
            }
            Event::Detected(node) => {
                let down = !self.nodes[node as usize].reachable();
                if down != self.membership.is_down(node) {
                    let moved = self.membership.set_down(node, down);
                    if !down && self.warm_up > 0 {
                        self.nodes[node as usize].start_warm_up(now, self.warm_up);
                    }
                    self.faults
                        .record(now, Happening::Detected { down }, Some(node), moved);
                }
            }
            Event::LeaseRetry(id) => self.retry_get(now, id.slot),
            Event::Flush(id) => self.flush(now, id.slot),
            Event::WriteCheck(check) => self.write_check(now, check),
            Event::Ack(id) => self.acknowledged(now, id.slot),
            Event::WarmupEnd => {
                let load = self.database.load(now);
                self.recorder.warmup_over(load);
                self.database.reset_queue_max();
                for node in self.nodes.iter_mut().chain(self.gutter.iter_mut()) {
                    node.stats = Default::default();
                }
            }
            Event::Tick => {
                let load = self.database.load(now);
                let up = self.nodes.iter().filter(|n| n.reachable()).count() as u32;
                self.recorder.tick(now, load, self.database.connections, up);
                if now < self.end {
                    self.queue
                        .schedule((now + self.interval).min(self.end), Event::Tick);
                }
            }
        }
        Ok(())
    }

    fn allocate(&mut self, mut job: Job) -> u32 {
        job.ticket = NONE;
        match self.free_jobs.pop() {
            Some(slot) => {
                self.jobs[slot as usize] = job;
                self.generations[slot as usize] = self.generations[slot as usize].wrapping_add(1);
                slot
            }
            None => {
                self.jobs.push(job);
                self.generations.push(1);
                (self.jobs.len() - 1) as u32
            }
        }
    }

    /// A job that answers no client: a fetch, a copy's update, an
    /// invalidation or a flush.
    fn allocate_internal(&mut self, job: Job) -> u32 {
        self.allocate(Job {
            answered: true,
            user: NO_USER,
            ..job
        })
    }

    /// The id events use for the job now in `slot`.
    fn id(&self, slot: u32) -> JobId {
        JobId {
            slot,
            generation: self.generations[slot as usize],
        }
    }

    /// True while the job `id` names still holds its slot.
    fn is_live(&self, id: JobId) -> bool {
        self.generations.get(id.slot as usize) == Some(&id.generation)
    }

    /// The slot of `id`'s job, if it is still live.
    fn live(&self, id: JobId) -> Option<u32> {
        self.is_live(id).then_some(id.slot)
    }

    /// Notes a broken invariant of the model (kept to the first few).
    fn violation(&mut self, what: impl FnOnce() -> String) {
        if self.violations.len() < 8 {
            let now = self.queue.now();
            self.violations.push(format!("at {now} ns: {}", what()));
        }
    }

    fn release(&mut self, job: u32) {
        let generation = self.generations[job as usize];
        if generation.is_multiple_of(2) {
            self.violation(|| format!("job slot {job} released twice"));
            return;
        }
        if !self.jobs[job as usize].answered {
            let key = self.jobs[job as usize].key;
            self.violation(|| format!("a request for key {key} ended without an outcome"));
        }
        self.generations[job as usize] = generation.wrapping_add(1);
        self.free_jobs.push(job);
    }

    /// What the model found broken in its own invariants after the run:
    /// every request answered exactly once or still in flight, no job slot
    /// released twice. Empty when all is well.
    pub fn violations(&self) -> Vec<String> {
        let in_flight = self
            .jobs
            .iter()
            .zip(&self.generations)
            .filter(|(j, g)| *g % 2 == 1 && !j.answered)
            .count() as u64;
        let mut found = self.violations.clone();
        if self.answered + in_flight != self.issued {
            found.push(format!(
                "{} requests issued, but {} answered and {in_flight} in flight",
                self.issued, self.answered
            ));
        }
        found
    }

    fn node_mut(&mut self, pool: Pool, id: u32) -> &mut Node {
        match pool {
            Pool::Main => &mut self.nodes[id as usize],
            Pool::Gutter => &mut self.gutter[id as usize],
        }
    }

    /// The nodes of the main pool and the gutter pool.
    pub fn nodes(&self) -> impl Iterator<Item = (String, &Node)> {
        let main = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (i.to_string(), n));
        let gutter = self
            .gutter
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("gutter-{i}"), n));
        main.chain(gutter)
    }

    /// The database.
    pub fn database(&mut self) -> &mut Database {
        &mut self.database
    }

    /// Every failure and membership event of the run, in time order.
    pub fn failure_events(&self) -> &[FailureEvent] {
        self.faults.happened()
    }

    /// The simulated end time.
    pub fn end(&self) -> Time {
        self.end
    }
}

/// The keys that get extra copies: the `hot_keys` most popular ranks of a
/// synthetic workload, or the most requested keys of a trace (one pass).
fn hot_keys(config: &ClusterConfig) -> Result<FxHashSet<u64>, TraceError> {
    let k = config.replication.hot_keys;
    if k == 0 {
        return Ok(FxHashSet::default());
    }
    match &config.workload.keys {
        KeySource::Synthetic(_) => Ok((1..=k).map(crate::workload::scramble).collect()),
        KeySource::Trace(trace) => {
            let mut counts: rustc_hash::FxHashMap<u64, u64> = rustc_hash::FxHashMap::default();
            let mut stream = trace.open()?;
            let mut batch = Vec::with_capacity(4096);
            while stream.next_batch(&mut batch, 4096)? > 0 {
                for r in &batch {
                    *counts.entry(r.key).or_default() += 1;
                }
                batch.clear();
            }
            let mut ranked: Vec<(u64, u64)> = counts.into_iter().collect();
            ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            Ok(ranked
                .into_iter()
                .take(k as usize)
                .map(|(key, _)| key)
                .collect())
        }
    }
}
