//! The cluster model: clients issue requests; routing picks a node; nodes
//! serve gets, fills and deletes; misses go to the database (by the client in
//! cache-aside, by the node in read-through); failures change what is
//! reachable, and clients learn of it after a detection delay.
//!
//! The model is made of components, each with its own state, its own
//! family of events and its own handlers:
//! - `clients.rs`: the feed, arrivals, think times, replies, time-outs and
//!   lease retries, and each request's outcome;
//! - `tier.rs`: the cache tier: routing and membership, the main and gutter
//!   nodes, their queues and services, what a node does with each job;
//! - `db.rs`: the database's queue, service and answers;
//! - `consistency.rs`: versions, writes under each write policy,
//!   invalidations, copies and their acknowledgements, leases' state,
//!   write-behind flushes and consistency checks;
//! - `faults.rs`: the failure plan as it unfolds and what a failure does;
//! - `retry.rs`: time-outs, retries, the budget and the breaker of the
//!   clients' database reads;
//! - `scan.rs`: scans as multi-gets, one part per node, and their keys'
//!   database reads.
//!
//! A job's life (`job.rs`) is an enum of its phases. This file holds the
//! engine's side: the state that binds the components, the event loop, its
//! dispatch, the job slots, and the warm-up's end and the interval ticks;
//! `audit.rs` holds the self-checks.

mod app;
mod audit;
mod clients;
mod consistency;
mod db;
mod faults;
mod job;
mod near;
mod retry;
mod scan;
mod tier;

use super::database::contention::Usl;
use super::database::{Admission, Database};
use super::membership::{Membership, Pool, Target};
use super::node::{LeaseAnswer, Node, NodeConfig};
use super::versions::Versions;
use crate::metrics::{Class, FailureEvent, Recorder};
use crate::scenario::config::{ClusterConfig, LeaseConfig, Pattern, WritePolicy};
use crate::seed::{Rng, Seed};
use crate::sim::dist::Sampler;
use crate::sim::{EventQueue, Time};
use crate::trace::TraceError;
use clients::ClientEvent;
use consistency::WriteEvent;
use db::DbEvent;
use faults::FaultEvent;
use job::{AtDb, AtNode, Job, JobId, NO_USER, NONE, Phase, Read};
use retry::RetryEvent;
use tier::NodeEvent;

/// The events of the model: a closed set, one family per component.
#[derive(Clone, Copy, Debug)]
enum Event {
    Client(ClientEvent),
    Node(NodeEvent),
    Db(DbEvent),
    Fault(FaultEvent),
    Write(WriteEvent),
    Retry(RetryEvent),
    App(app::AppEvent),
    Near(near::NearEvent),
    WarmupEnd,
    Tick,
}

impl Event {
    /// The job this event belongs to, if any.
    fn job(&self) -> Option<JobId> {
        match *self {
            Event::Client(e) => e.job(),
            Event::Node(e) => Some(e.job()),
            Event::Db(e) => e.job(),
            Event::Write(e) => e.job(),
            Event::Retry(e) => Some(e.job()),
            Event::Near(e) => e.job(),
            Event::Fault(_) | Event::App(_) | Event::WarmupEnd | Event::Tick => None,
        }
    }
}

/// The event queue's lanes: streams of events each scheduled a fixed delay
/// after the current time when the scenario's delay is fixed (any other
/// event goes to the queue's heap; the order is the same either way).
mod lane {
    /// The next open-loop arrival.
    pub const ARRIVAL: usize = 0;
    /// A request or copy reaching a node, one network latency on.
    pub const NODE_ARRIVE: usize = 1;
    /// The end of a node's service.
    pub const NODE_DONE: usize = 2;
    /// A node's answer reaching its client.
    pub const NODE_REPLY: usize = 3;
    /// A query reaching the database.
    pub const DB_ARRIVE: usize = 4;
    /// The database's answer reaching its client.
    pub const DB_REPLY: usize = 5;
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
    /// The cache tier: routing, membership, the nodes.
    tier: tier::Tier<'a>,
    database: Database,
    /// Versions, invalidations, leases, write-behind and checks.
    consistency: consistency::Consistency,
    clients: clients::Clients,
    /// The recorder of measurements.
    pub recorder: Recorder,
    warmup_end: Time,
    end: Time,
    interval: Time,
    /// When the open interval closes (the next tick).
    next_tick: Time,
    /// The failure plan as it unfolds.
    faults: faults::Faults,
    /// Requests issued (all, warm-up included).
    pub issued: u64,
    /// Checks of every invariant after every event, when on.
    audit: Option<audit::Audit>,
    /// Time-outs, retries and the breaker of database reads, when on.
    retry: Option<Box<retry::Retry>>,
    /// The application servers, when on.
    app: Option<Box<app::App>>,
    /// The local tiers in front of the shared one, when on.
    near: Option<Box<near::Near>>,
    /// The scans in flight.
    scans: scan::Scans,
}

impl<'a> Sim<'a> {
    /// A cluster at time zero, ready to run.
    pub fn new(config: &'a ClusterConfig) -> Result<Sim<'a>, TraceError> {
        let c = config;
        let seed = Seed(c.seed);
        let database = Database::new(
            c.database.connections,
            c.database.queue_limit,
            c.database.service.sampler(),
            c.database.latency.sampler(),
            c.database.contention.map(|k| Usl {
                sigma: k.sigma,
                kappa: k.kappa,
            }),
            seed.derive("database"),
        );
        let retry = retry::Retry::new(c, seed);
        let mut recorder = Recorder::new(c.warmup, c.duration);
        if retry.is_some() {
            recorder.track_retries();
        }
        if let crate::scenario::KeySource::Classes(classes) = &c.workload.keys {
            recorder.track_classes(
                classes.iter().map(|k| k.name.clone()).collect(),
                classes.iter().map(|k| k.share).collect(),
            );
        }
        Ok(Sim {
            config,
            queue: EventQueue::default(),
            jobs: Vec::new(),
            generations: Vec::new(),
            free_jobs: Vec::new(),
            answered: 0,
            violations: Vec::new(),
            tier: tier::Tier::new(c, seed)?,
            database,
            consistency: consistency::Consistency::new(c, seed),
            clients: clients::Clients::new(c, seed)?,
            recorder,
            warmup_end: c.warmup,
            end: c.duration,
            interval: c.interval,
            next_tick: 0,
            faults: faults::Faults::new(c, seed),
            issued: 0,
            audit: None,
            retry,
            app: app::App::new(c, seed),
            near: near::Near::new(c, seed),
            scans: scan::Scans::new(c.workload.scan.is_some()),
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
                    self.queue
                        .schedule(0, Event::Client(ClientEvent::TraceArrival));
                }
            }
            clients::Start::Arrival(at) => {
                self.queue.schedule(at, Event::Client(ClientEvent::Arrival));
            }
            clients::Start::Users(due) => {
                for (user, at) in due.into_iter().enumerate() {
                    self.queue
                        .schedule(at, Event::Client(ClientEvent::UserReady(user as u32)));
                }
            }
        }
        for (i, failure) in config.faults.scheduled.iter().enumerate() {
            self.queue
                .schedule(failure.at, Event::Fault(FaultEvent::Scheduled(i as u32)));
        }
        for node in 0..self.tier.nodes.len() as u32 {
            if let Some(at) = self.faults.time_to_failure() {
                self.queue
                    .schedule(at, Event::Fault(FaultEvent::Crash(node)));
            }
        }
        if self.warmup_end > 0 {
            self.queue.schedule(self.warmup_end, Event::WarmupEnd);
        }
        self.next_tick = self.interval.min(self.end);
        self.queue.schedule(self.next_tick, Event::Tick);
        Ok(())
    }

    fn handle(&mut self, now: Time, event: Event) -> Result<(), TraceError> {
        if let Some(id) = event.job()
            && !self.is_live(id)
        {
            return Ok(()); // the job ended before this event came due
        }
        match event {
            Event::Client(e) => self.on_client(now, e)?,
            Event::Node(e) => self.on_node(now, e),
            Event::Db(e) => self.on_database(now, e),
            Event::Fault(e) => self.on_fault(now, e),
            Event::Write(e) => self.on_write(now, e),
            Event::Retry(e) => self.on_retry(now, e),
            Event::App(e) => self.on_app(now, e),
            Event::Near(e) => self.on_near(now, e),
            Event::WarmupEnd => {
                if let Some(app) = &mut self.app {
                    app.warmup_over();
                }
                let load = self.database.load(now);
                self.recorder.warmup_over(load);
                self.database.reset_queue_max();
                for node in self
                    .tier
                    .nodes
                    .iter_mut()
                    .chain(self.tier.gutter.iter_mut())
                {
                    node.stats = Default::default();
                }
            }
            Event::Tick => {
                self.near_tick(now);
                let load = self.database.load(now);
                let up = self.tier.nodes.iter().filter(|n| n.reachable()).count() as u32;
                self.recorder.tick(now, load, self.database.connections, up);
                if now < self.end {
                    self.next_tick = (now + self.interval).min(self.end);
                    self.queue.schedule(self.next_tick, Event::Tick);
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
            .count() as u64
            + self.scans.in_flight;
        let mut found = self.violations.clone();
        if self.answered + in_flight != self.issued {
            found.push(format!(
                "{} requests issued, but {} answered and {in_flight} in flight",
                self.issued, self.answered
            ));
        }
        found
    }

    /// The nodes of the main pool and the gutter pool, with their names.
    pub fn nodes(&self) -> impl Iterator<Item = (String, &Node)> {
        self.tier.named()
    }

    /// The database.
    pub fn database(&mut self) -> &mut Database {
        &mut self.database
    }

    /// Every failure and membership event of the run, in time order.
    pub fn failure_events(&self) -> &[FailureEvent] {
        self.faults.happened()
    }

    /// The application tier's section of the summary, when it is on.
    pub fn app_summary(&self) -> Option<crate::metrics::app::AppSummary> {
        let measured = self.end - self.warmup_end;
        self.app.as_ref().map(|a| a.summary(measured))
    }

    /// The node breakers' section of the summary, when they are on.
    pub fn node_breaker_summary(&self) -> Option<crate::metrics::NodeBreakerSummary> {
        self.tier
            .breakers
            .as_ref()
            .map(|b| crate::metrics::NodeBreakerSummary {
                opened: b.opened(),
                skipped: b.skipped,
            })
    }

    /// The scans' section of the summary, when the workload has scans.
    pub fn scan_summary(&self) -> Option<crate::metrics::scans::ScanSummary> {
        self.scans
            .counted
            .map(crate::metrics::scans::ScanSummary::new)
    }

    /// The simulated end time.
    pub fn end(&self) -> Time {
        self.end
    }
}
