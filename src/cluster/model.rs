//! The cluster model: clients issue requests; routing picks a node; nodes
//! serve gets, fills and deletes; misses go to the database (by the client in
//! cache-aside, by the node in read-through); failures change what is
//! reachable, and clients learn of it after a detection delay.

use rand_distr::{Distribution, Exp};

use super::database::{Admission, Database};
use super::feed::Feed;
use super::membership::{Membership, Pool, Target};
use super::node::{Node, NodeConfig};
use crate::metrics::{Class, FailureEvent, Recorder};
use crate::request::{Op, Request};
use crate::scenario::Scenario;
use crate::scenario::file::{ClientMode, FailureAction, OnFailure, Pattern, TraceTiming};
use crate::seed::{Rng, Seed};
use crate::sim::dist::Sampler;
use crate::sim::{EventQueue, Time};
use crate::trace::TraceError;

/// Marks a job issued by the open-loop arrival process (no user to wake).
const NO_USER: u32 = u32::MAX;

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// A get on its way to, at, or back from a node.
    Lookup,
    /// A client's database read; `fill` sets the cache afterwards.
    DbRead { fill: bool },
    /// A client's database write (set or delete).
    DbWrite,
    /// A cache-aside fill travelling to a node (no one waits for it).
    Fill,
    /// A delete travelling to a node after a write (no one waits for it).
    Invalidate,
    /// A read-through node reading the database for a key.
    Fetch,
}

/// One request in flight (or the fill or invalidation it leads to).
#[derive(Clone, Copy, Debug)]
struct Job {
    key: u64,
    size: u32,
    issued: Time,
    sent: Time,
    user: u32,
    pool: Pool,
    node: u32,
    /// Fetch: the node's epoch when the fetch started (a crash voids it).
    epoch: u32,
    /// The service in progress at a node; a crash voids it.
    ticket: u32,
    /// Fetch without coalescing: the one job waiting for it.
    parent: u32,
    phase: Phase,
    hit: bool,
    failed: bool,
}

/// No ticket, no parent.
const NONE: u32 = u32::MAX;

/// The events of the model: a closed set.
#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival,
    UserReady(u32),
    TraceArrival,
    NodeArrive(u32),
    NodeDone(u32, u32),
    ClientReply(u32),
    ClientTimeout(u32),
    DbArrive(u32),
    DbDone(u32),
    DbReply(u32),
    Failure(u32),
    RandomCrash(u32),
    RandomRecover(u32),
    Detected(u32),
    WarmupEnd,
    Tick,
}

/// The simulation state.
pub struct Sim<'a> {
    scenario: &'a Scenario,
    queue: EventQueue<Event>,
    jobs: Vec<Job>,
    free_jobs: Vec<u32>,
    nodes: Vec<Node>,
    gutter: Vec<Node>,
    main_config: NodeConfig<'a>,
    node_seed: Seed,
    membership: Membership,
    database: Database,
    feed: Feed,
    next_trace: Option<Request>,
    trace_origin: Time,
    /// The recorder of measurements.
    pub recorder: Recorder,
    pattern: Pattern,
    coalesce: bool,
    timeout: Time,
    detection: Time,
    warmup_end: Time,
    end: Time,
    interval: Time,
    arrivals: Option<Exp<f64>>,
    arrival_rng: Rng,
    think: Sampler,
    think_rng: Rng,
    failure_rng: Rng,
    /// Failure and membership events as they happened.
    pub events: Vec<FailureEvent>,
    /// Requests issued (all, warm-up included).
    pub issued: u64,
    next_ticket: u32,
}

impl<'a> Sim<'a> {
    /// A cluster at time zero, ready to run.
    pub fn new(scenario: &'a Scenario) -> Result<Sim<'a>, TraceError> {
        let f = &scenario.file;
        let seed = Seed(f.seed);
        let main_config = NodeConfig {
            policy: &scenario.policy,
            capacity: f.nodes.capacity.0,
            ttl: f.cache.ttl.map(|d| d.0),
            concurrency: f.nodes.concurrency,
            service: f.nodes.service_time.sampler(),
            latency: f.nodes.latency.sampler(),
        };
        let gutter_config = NodeConfig {
            ttl: Some(f.cache.gutter_ttl.0),
            ..main_config.clone()
        };
        let node_seed = seed.derive("nodes");
        let uses_cache = f.cache.pattern != Pattern::None;
        let count = if uses_cache { f.nodes.count } else { 0 };
        let nodes = (0..count)
            .map(|i| Node::new(&main_config, node_seed.derive(&i.to_string())))
            .collect();
        let gutter_count = if uses_cache && f.cache.on_failure == OnFailure::Gutter {
            f.cache.gutter_nodes
        } else {
            0
        };
        let gutter_seed = seed.derive("gutter");
        let gutter = (0..gutter_count)
            .map(|i| Node::new(&gutter_config, gutter_seed.derive(&i.to_string())))
            .collect();
        let membership = Membership::new(scenario, count, gutter_count, seed.derive("sample-keys"));
        let database = Database::new(
            f.database.connections,
            f.database.queue_limit,
            f.database.service_time.sampler(),
            f.database.latency.sampler(),
            seed.derive("database"),
        );
        let arrivals = match f.clients.mode {
            ClientMode::Open => Some(Exp::new(f.clients.rate / 1e9).expect("rate > 0")),
            ClientMode::Closed => None,
        };
        Ok(Sim {
            scenario,
            queue: EventQueue::default(),
            jobs: Vec::new(),
            free_jobs: Vec::new(),
            nodes,
            gutter,
            main_config,
            node_seed,
            membership,
            database,
            feed: Feed::new(&scenario.keys, scenario.op_mix, seed)?,
            next_trace: None,
            trace_origin: 0,
            recorder: Recorder::new(f.warmup.0),
            pattern: f.cache.pattern,
            coalesce: f.cache.coalesce,
            timeout: f.clients.timeout.0,
            detection: f.cache.detection_delay.0,
            warmup_end: f.warmup.0,
            end: f.duration.0,
            interval: f.interval.0,
            arrivals,
            arrival_rng: seed.derive("arrivals").rng(),
            think: f.clients.think_time.sampler(),
            think_rng: seed.derive("think").rng(),
            failure_rng: seed.derive("random-failures").rng(),
            events: Vec::new(),
            issued: 0,
            next_ticket: 0,
        })
    }

    /// Runs to the scenario's end; `progress(simulated_fraction)` is called
    /// now and then.
    pub fn run(&mut self, progress: &mut dyn FnMut(f64)) -> Result<(), TraceError> {
        self.schedule_start()?;
        while let Some((now, event)) = self.queue.pop() {
            if now > self.end {
                break;
            }
            self.handle(now, event)?;
            if self.queue.processed().is_multiple_of(1 << 20) {
                progress(now as f64 / self.end as f64);
            }
        }
        Ok(())
    }

    /// Events processed.
    pub fn events_processed(&self) -> u64 {
        self.queue.processed()
    }

    fn schedule_start(&mut self) -> Result<(), TraceError> {
        let f = &self.scenario.file;
        let trace_timed = f.workload.trace_timing == TraceTiming::Own
            && matches!(self.scenario.keys, crate::scenario::KeySource::Trace(_));
        if trace_timed {
            self.next_trace = self.feed.next()?;
            if let Some(first) = self.next_trace {
                self.trace_origin = first.time_ns;
                self.queue.schedule(0, Event::TraceArrival);
            }
        } else {
            match f.clients.mode {
                ClientMode::Open => self.schedule_arrival(0),
                ClientMode::Closed => {
                    for user in 0..f.clients.users {
                        let delay = self.think.sample(&mut self.think_rng);
                        self.queue.schedule(delay, Event::UserReady(user));
                    }
                }
            }
        }
        for (i, failure) in f.failures.iter().enumerate() {
            self.queue.schedule(failure.at.0, Event::Failure(i as u32));
        }
        if let Some(random) = &f.random_failures {
            for node in 0..self.nodes.len() as u32 {
                let delay = exponential(random.mtbf.0, &mut self.failure_rng);
                self.queue.schedule(delay, Event::RandomCrash(node));
            }
        }
        if self.warmup_end > 0 {
            self.queue.schedule(self.warmup_end, Event::WarmupEnd);
        }
        self.queue
            .schedule(self.interval.min(self.end), Event::Tick);
        Ok(())
    }

    fn schedule_arrival(&mut self, now: Time) {
        let gap = self
            .arrivals
            .as_ref()
            .expect("open loop")
            .sample(&mut self.arrival_rng);
        self.queue
            .schedule(now + gap.round() as Time, Event::Arrival);
    }

    fn handle(&mut self, now: Time, event: Event) -> Result<(), TraceError> {
        match event {
            Event::Arrival => {
                self.schedule_arrival(now);
                if let Some(request) = self.feed.next()? {
                    self.issue(now, request, NO_USER);
                }
            }
            Event::UserReady(user) => {
                if let Some(request) = self.feed.next()? {
                    self.issue(now, request, user);
                }
            }
            Event::TraceArrival => {
                if let Some(request) = self.next_trace.take() {
                    self.issue(now, request, NO_USER);
                }
                self.next_trace = self.feed.next()?;
                if let Some(next) = self.next_trace {
                    let at = next.time_ns.saturating_sub(self.trace_origin).max(now);
                    self.queue.schedule(at, Event::TraceArrival);
                }
            }
            Event::NodeArrive(job) => self.node_arrive(now, job),
            Event::NodeDone(job, epoch) => self.node_done(now, job, epoch),
            Event::ClientReply(job) => self.client_reply(now, job),
            Event::ClientTimeout(job) => {
                let j = self.jobs[job as usize];
                self.recorder.timeout(j.issued);
                self.recorder.outcome(j.issued, false, j.size);
                self.send_to_database(now, job, Phase::DbRead { fill: false });
            }
            Event::DbArrive(job) => match self.database.arrive(now, job) {
                Admission::Started(service) => {
                    self.queue.schedule(now + service, Event::DbDone(job))
                }
                Admission::Queued => {}
                Admission::Rejected => {
                    self.jobs[job as usize].failed = true;
                    let latency = self.database.network_latency();
                    self.queue.schedule(now + latency, Event::DbReply(job));
                }
            },
            Event::DbDone(job) => {
                if let Some((next, service)) = self.database.finish(now) {
                    self.queue.schedule(now + service, Event::DbDone(next));
                }
                let latency = self.database.network_latency();
                self.queue.schedule(now + latency, Event::DbReply(job));
            }
            Event::DbReply(job) => self.db_reply(now, job),
            Event::Failure(index) => {
                let failure = self.scenario.file.failures[index as usize].clone();
                self.apply_failure(now, failure.action, failure.node, failure.factor);
            }
            Event::RandomCrash(node) => {
                if self.nodes[node as usize].up {
                    self.apply_failure(now, FailureAction::Crash, Some(node), None);
                }
                let mttr = self
                    .scenario
                    .file
                    .random_failures
                    .as_ref()
                    .expect("random failures")
                    .mttr
                    .0;
                let delay = exponential(mttr, &mut self.failure_rng);
                self.queue.schedule(now + delay, Event::RandomRecover(node));
            }
            Event::RandomRecover(node) => {
                if !self.nodes[node as usize].up {
                    self.apply_failure(now, FailureAction::Recover, Some(node), None);
                }
                let mtbf = self
                    .scenario
                    .file
                    .random_failures
                    .as_ref()
                    .expect("random failures")
                    .mtbf
                    .0;
                let delay = exponential(mtbf, &mut self.failure_rng);
                self.queue.schedule(now + delay, Event::RandomCrash(node));
            }
            Event::Detected(node) => {
                let down = !self.nodes[node as usize].reachable();
                if down != self.membership.is_down(node) {
                    let moved = self.membership.set_down(node, down);
                    let action = if down { "detected-down" } else { "detected-up" };
                    self.record_event(now, action, Some(node), moved);
                }
            }
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
            Some(id) => {
                self.jobs[id as usize] = job;
                id
            }
            None => {
                self.jobs.push(job);
                (self.jobs.len() - 1) as u32
            }
        }
    }

    fn release(&mut self, job: u32) {
        self.free_jobs.push(job);
    }

    fn node_mut(&mut self, pool: Pool, id: u32) -> &mut Node {
        match pool {
            Pool::Main => &mut self.nodes[id as usize],
            Pool::Gutter => &mut self.gutter[id as usize],
        }
    }

    fn issue(&mut self, now: Time, request: Request, user: u32) {
        self.issued += 1;
        let job = self.allocate(Job {
            key: request.key,
            size: request.size,
            issued: now,
            sent: now,
            user,
            pool: Pool::Main,
            node: 0,
            epoch: 0,
            ticket: NONE,
            parent: NONE,
            phase: Phase::Lookup,
            hit: false,
            failed: false,
        });
        if request.op != Op::Get {
            self.send_to_database(now, job, Phase::DbWrite);
            return;
        }
        let target = match self.pattern {
            Pattern::None => Target::Database,
            _ => self.membership.target(request.key),
        };
        match target {
            Target::Node(pool, id) => self.send_to_node(now, job, pool, id, Phase::Lookup),
            Target::Database => {
                self.recorder.outcome(now, false, request.size);
                self.send_to_database(now, job, Phase::DbRead { fill: false });
            }
        }
    }

    fn send_to_node(&mut self, now: Time, job: u32, pool: Pool, id: u32, phase: Phase) {
        let latency = self.node_mut(pool, id).network_latency();
        let j = &mut self.jobs[job as usize];
        j.pool = pool;
        j.node = id;
        j.phase = phase;
        j.sent = now;
        self.queue.schedule(now + latency, Event::NodeArrive(job));
    }

    fn send_to_database(&mut self, now: Time, job: u32, phase: Phase) {
        self.jobs[job as usize].phase = phase;
        let latency = self.database.network_latency();
        self.queue.schedule(now + latency, Event::DbArrive(job));
    }

    fn node_arrive(&mut self, now: Time, job: u32) {
        let Job { pool, node, .. } = self.jobs[job as usize];
        let n = self.node_mut(pool, node);
        if !n.reachable() {
            self.lost(now, job);
            return;
        }
        if n.has_free_worker() {
            self.start_service(now, pool, node, job);
        } else {
            n.queue.push_back(job);
        }
    }

    fn start_service(&mut self, now: Time, pool: Pool, node: u32, job: u32) {
        let n = self.node_mut(pool, node);
        n.in_service.push(job);
        let service = n.service_time();
        let ticket = self.next_ticket;
        self.next_ticket = self.next_ticket.wrapping_add(1) % NONE;
        self.jobs[job as usize].ticket = ticket;
        self.queue
            .schedule(now + service, Event::NodeDone(job, ticket));
    }

    fn node_done(&mut self, now: Time, job: u32, ticket: u32) {
        let j = self.jobs[job as usize];
        if j.ticket != ticket {
            return; // the node crashed or was cut off: the job was handled as lost
        }
        self.jobs[job as usize].ticket = NONE;
        let counting = now >= self.warmup_end;
        let n = self.node_mut(j.pool, j.node);
        let position = n
            .in_service
            .iter()
            .position(|&x| x == job)
            .expect("job in service");
        n.in_service.swap_remove(position);
        if let Some(next) = n.queue.pop_front() {
            self.start_service(now, j.pool, j.node, next);
        }
        match j.phase {
            Phase::Lookup => self.serve_get(now, job, counting),
            Phase::Fill => {
                let evicted = self
                    .node_mut(j.pool, j.node)
                    .store(j.key, j.size, now, counting);
                self.recorder.evictions(now, evicted);
                self.release(job);
            }
            Phase::Invalidate => {
                self.node_mut(j.pool, j.node).invalidate(j.key, counting);
                self.release(job);
            }
            Phase::DbRead { .. } | Phase::DbWrite | Phase::Fetch => {
                unreachable!("database phases never reach a node")
            }
        }
    }

    /// A node serves a get: reply on a hit (and, in cache-aside, on a miss);
    /// in read-through, read the database on a miss, once per key in flight
    /// when coalescing.
    fn serve_get(&mut self, now: Time, job: u32, counting: bool) {
        let j = self.jobs[job as usize];
        let (pattern, coalesce) = (self.pattern, self.coalesce);
        let n = self.node_mut(j.pool, j.node);
        let hit = n.lookup(j.key, j.size, now, counting);
        self.recorder.outcome(j.issued, hit, j.size);
        let n = self.node_mut(j.pool, j.node);
        if hit || pattern == Pattern::CacheAside {
            let latency = n.network_latency();
            self.jobs[job as usize].hit = hit;
            self.queue.schedule(now + latency, Event::ClientReply(job));
            return;
        }
        let epoch = n.epoch;
        let waiting = n.pending.entry(j.key).or_default();
        waiting.push(job);
        if waiting.len() == 1 || !coalesce {
            let fetch = self.allocate(Job {
                epoch,
                parent: if coalesce { NONE } else { job },
                ..j
            });
            self.send_to_database(now, fetch, Phase::Fetch);
        }
    }

    fn client_reply(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        if j.failed {
            self.complete(now, job, Class::Failed);
            self.release(job);
        } else if j.hit {
            self.complete(now, job, Class::Hit);
            self.release(job);
        } else if self.pattern == Pattern::ReadThrough {
            self.complete(now, job, Class::Miss);
            self.release(job);
        } else {
            self.send_to_database(now, job, Phase::DbRead { fill: true });
        }
    }

    /// A job sent to a node that cannot answer: the client waits until its
    /// timeout for gets; fills and invalidations are simply lost.
    fn lost(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        match j.phase {
            Phase::Lookup => {
                let at = (j.sent + self.timeout).max(now);
                self.queue.schedule(at, Event::ClientTimeout(job));
            }
            _ => self.release(job),
        }
    }

    fn db_reply(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        match j.phase {
            Phase::DbRead { fill } => {
                self.complete(now, job, if j.failed { Class::Failed } else { Class::Miss });
                match self.membership.target(j.key) {
                    Target::Node(pool, id) if fill && !j.failed => {
                        self.send_to_node(now, job, pool, id, Phase::Fill)
                    }
                    _ => self.release(job),
                }
            }
            Phase::DbWrite => {
                self.complete(
                    now,
                    job,
                    if j.failed {
                        Class::Failed
                    } else {
                        Class::Write
                    },
                );
                let target = if self.pattern == Pattern::None {
                    Target::Database
                } else {
                    self.membership.target(j.key)
                };
                match target {
                    Target::Node(pool, id) if !j.failed => {
                        self.send_to_node(now, job, pool, id, Phase::Invalidate)
                    }
                    _ => self.release(job),
                }
            }
            Phase::Fetch => {
                self.release(job);
                let counting = now >= self.warmup_end;
                let n = self.node_mut(j.pool, j.node);
                if n.epoch != j.epoch {
                    return; // the node crashed: its waiting clients timed out
                }
                let waiting = n.pending.get_mut(&j.key).expect("a fetch has waiters");
                let answered: Vec<u32> = if j.parent == NONE {
                    std::mem::take(waiting)
                } else {
                    waiting.retain(|&w| w != j.parent);
                    vec![j.parent]
                };
                if waiting.is_empty() {
                    n.pending.remove(&j.key);
                }
                if !j.failed {
                    let evicted = n.store(j.key, j.size, now, counting);
                    self.recorder.evictions(now, evicted);
                }
                for waiter in answered {
                    let latency = self.node_mut(j.pool, j.node).network_latency();
                    self.jobs[waiter as usize].failed = j.failed;
                    self.queue
                        .schedule(now + latency, Event::ClientReply(waiter));
                }
            }
            Phase::Lookup | Phase::Fill | Phase::Invalidate => {
                unreachable!("node phases never reach the database")
            }
        }
    }

    /// The client's request is answered: record it and wake its user.
    fn complete(&mut self, now: Time, job: u32, class: Class) {
        let j = self.jobs[job as usize];
        self.recorder.complete(j.issued, now, class);
        if j.user != NO_USER {
            let think = self.think.sample(&mut self.think_rng);
            self.queue.schedule(now + think, Event::UserReady(j.user));
        }
    }

    fn record_event(
        &mut self,
        now: Time,
        action: &str,
        node: Option<u32>,
        keys_moved: Option<f64>,
    ) {
        self.events.push(FailureEvent {
            time_s: now as f64 / 1e9,
            action: action.to_string(),
            node,
            keys_moved,
        });
    }

    fn apply_failure(
        &mut self,
        now: Time,
        action: FailureAction,
        node: Option<u32>,
        factor: Option<f64>,
    ) {
        let name = format!("{action:?}").to_lowercase();
        let mut moved = None;
        match action {
            FailureAction::Add => {
                let id = self.nodes.len() as u32;
                self.nodes.push(Node::new(
                    &self.main_config,
                    self.node_seed.derive(&id.to_string()),
                ));
                moved = self.membership.add(id);
                self.record_event(now, &name, Some(id), moved);
                return;
            }
            FailureAction::Remove => {
                let id = node.expect("validated");
                let lost = self.nodes[id as usize].crash();
                self.lose_all(now, lost);
                moved = self.membership.remove(id);
            }
            FailureAction::Crash | FailureAction::Partition => {
                let id = node.expect("validated");
                let n = &mut self.nodes[id as usize];
                let lost = if action == FailureAction::Crash {
                    n.crash()
                } else {
                    n.partitioned = true;
                    n.drop_work()
                };
                self.lose_all(now, lost);
                self.queue
                    .schedule(now + self.detection, Event::Detected(id));
            }
            FailureAction::Recover | FailureAction::Heal => {
                let id = node.expect("validated");
                let n = &mut self.nodes[id as usize];
                if action == FailureAction::Recover {
                    n.up = true;
                } else {
                    n.partitioned = false;
                }
                self.queue
                    .schedule(now + self.detection, Event::Detected(id));
            }
            FailureAction::Slow => {
                self.nodes[node.expect("validated") as usize].slow = factor.expect("validated")
            }
            FailureAction::Restore => self.nodes[node.expect("validated") as usize].slow = 1.0,
        }
        self.record_event(now, &name, node, moved);
    }

    fn lose_all(&mut self, now: Time, lost: Vec<u32>) {
        for job in lost {
            self.jobs[job as usize].ticket = NONE;
            self.lost(now, job);
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

    /// The simulated end time.
    pub fn end(&self) -> Time {
        self.end
    }
}

fn exponential(mean: Time, rng: &mut Rng) -> Time {
    Exp::new(1.0 / mean as f64)
        .expect("mean > 0")
        .sample(rng)
        .round() as Time
}
