//! The application tier in the model (`[app]`): a request from a client
//! reaches a server the load balancer picks, waits for a thread, and the
//! thread runs cache-aside: a GET (through the process's cache pool), on a
//! miss a database read (through its database pool), then CPU work on the
//! process's GIL and a core — deserialising a hit, rendering a miss — and
//! for a miss a SET before or after it responds (`app.set`); the thread is
//! free once the SET is answered. The cache and database parts are the
//! model's own (nodes, routing, leases, time-outs, retries); the tier only
//! starts them, hears their end, and times each part of the request.
//!
//! Writes hold a thread for as long as the client's write takes and use
//! neither CPU nor pools. A SET is never coalesced with another miss's SET
//! of the same key (Flask-Caching does not), and the TTL starts when it
//! reaches the node.

use super::super::app::AppTier;
use super::*;
use crate::metrics::app::{AppMetrics, AppSummary, Part};
use crate::request::{Op, Request};
use crate::scenario::config::{AppConfig, SetOrder};

/// The application tier's events.
#[derive(Clone, Copy, Debug)]
pub(super) enum AppEvent {
    /// The CPU burst running in this process ends.
    BurstDone(u32),
    /// The answer to this request's SET reaches its thread.
    SetAnswered(u32),
    /// A request's cache answer reaches its thread (a hit the cache tier
    /// completed ahead of its arrival).
    Answer(u32, Class),
}

/// The SET a cache-aside miss owes the node it missed at.
#[derive(Clone, Copy, Debug)]
struct Fill {
    pool: Pool,
    node: u32,
    token: u64,
    version: u64,
}

/// What a request waiting for a cache connection does once it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    /// Its GET.
    Get,
    /// Its SET.
    Set,
}

/// One request at the application tier.
#[derive(Clone, Copy, Debug)]
struct Work {
    /// Its job, until the cache or database answers it.
    job: u32,
    request: Request,
    /// The process whose thread serves it ([`NONE`] while it waits).
    process: u32,
    issued: Time,
    /// The closed-loop user waiting for it.
    user: u32,
    /// Its request class (`[[workload.classes]]`; 0 without classes).
    request_class: u16,
    /// The TTL its trace gave it (seconds, 0: none), for its SET.
    ttl_s: u32,
    class: Class,
    /// The part it is in since `mark`, and the time spent in each.
    part: Part,
    mark: Time,
    spent: [Time; 4],
    /// Its CPU burst, drawn when it becomes ready.
    burst: Time,
    fill: Option<Fill>,
    responded: bool,
    /// It holds a connection to the cache, to the database.
    cache: bool,
    db: bool,
    next: Next,
}

impl Work {
    /// Moves to `part` at `now`, charging the time since the last move to
    /// the part it leaves.
    fn enter(&mut self, now: Time, part: Part) {
        self.spent[self.part as usize] += now - self.mark;
        self.mark = now;
        self.part = part;
    }
}

/// The application tier's state in the model.
pub(super) struct App {
    tier: AppTier,
    works: Vec<Work>,
    free: Vec<u32>,
    /// The work each job slot serves ([`NONE`]: none): a request's job
    /// until it is answered, a SET's job until it is served.
    link: Vec<u32>,
    hit_cpu: Sampler,
    miss_cpu: Sampler,
    cpu_rng: Rng,
    set: SetOrder,
    uses_cache: bool,
    cores: u32,
    metrics: AppMetrics,
}

impl App {
    /// The tier of `config`, if it has one.
    pub fn new(config: &ClusterConfig, seed: Seed) -> Option<Box<App>> {
        let app: &AppConfig = config.app.as_ref()?;
        Some(Box::new(App {
            tier: AppTier::new(app, seed.derive("app.balance").rng()),
            works: Vec::new(),
            free: Vec::new(),
            link: Vec::new(),
            hit_cpu: app.hit_cpu.sampler(),
            miss_cpu: app.miss_cpu.sampler(),
            cpu_rng: seed.derive("app.cpu").rng(),
            set: app.set,
            uses_cache: config.cache.pattern != Pattern::None,
            cores: app.cores,
            metrics: AppMetrics::new(config.warmup, config.duration),
        }))
    }

    fn link(&mut self, job: u32, work: u32) {
        let slot = job as usize;
        if self.link.len() <= slot {
            self.link.resize(slot + 1, NONE);
        }
        self.link[slot] = work;
    }

    /// The work `job` serves, unlinked from it.
    fn take(&mut self, job: u32) -> Option<u32> {
        let work = self.link.get_mut(job as usize)?;
        (*work != NONE).then(|| std::mem::replace(work, NONE))
    }

    fn linked(&self, job: u32) -> Option<u32> {
        self.link.get(job as usize).copied().filter(|&w| w != NONE)
    }

    /// The `app` section of the summary, over `measured_ns` after the
    /// warm-up.
    pub fn summary(&self, measured_ns: Time) -> AppSummary {
        let busy: Vec<u128> = self.tier.servers.iter().map(|s| s.busy_ns).collect();
        self.metrics.summary(&busy, self.cores, measured_ns)
    }

    /// The warm-up is over: CPU time counts from now.
    pub fn warmup_over(&mut self) {
        self.tier.reset_busy();
    }

    /// What is broken in the tier's bounds, if anything.
    pub fn check(&self) -> Option<String> {
        let outstanding: u64 = self
            .tier
            .servers
            .iter()
            .map(|s| u64::from(s.outstanding))
            .sum();
        let works = (self.works.len() - self.free.len()) as u64;
        if outstanding != works {
            return Some(format!(
                "app: {works} requests at the tier, servers count {outstanding}"
            ));
        }
        self.tier.check()
    }
}

impl Sim<'_> {
    /// An application-tier event.
    pub(super) fn on_app(&mut self, now: Time, event: AppEvent) {
        match event {
            AppEvent::BurstDone(process) => self.burst_done(now, process),
            AppEvent::SetAnswered(work) => self.set_answered(now, work),
            AppEvent::Answer(work, class) => self.app_answered(now, work, class),
        }
    }

    fn app(&mut self) -> &mut App {
        self.app.as_deref_mut().expect("the application tier is on")
    }

    /// A client's request (in `job`, for `user`) reaches the tier.
    pub(super) fn app_arrive(&mut self, now: Time, job: u32, request: Request, user: u32) {
        let Job {
            class: request_class,
            ttl_s,
            ..
        } = self.jobs[job as usize];
        let app = self.app();
        let work = Work {
            job,
            request,
            process: NONE,
            issued: now,
            user,
            request_class,
            ttl_s,
            class: Class::Failed,
            part: Part::Queue,
            mark: now,
            spent: [0; 4],
            burst: 0,
            fill: None,
            responded: false,
            cache: false,
            db: false,
            next: Next::Get,
        };
        let id = match app.free.pop() {
            Some(id) => {
                app.works[id as usize] = work;
                id
            }
            None => {
                app.works.push(work);
                (app.works.len() - 1) as u32
            }
        };
        app.link(job, id);
        let server = app.tier.pick_server();
        if let Some(process) = app.tier.arrive(server, id) {
            self.start_thread(now, id, process);
        }
    }

    /// A thread of `process` takes `work`: a get first asks for a cache
    /// connection; a write (or a get without a cache) goes at once.
    fn start_thread(&mut self, now: Time, work: u32, process: u32) {
        let app = self.app();
        let uses_cache = app.uses_cache;
        let w = &mut app.works[work as usize];
        w.process = process;
        if w.request.op == Op::Get && uses_cache {
            let (job, server) = (w.job, app.tier.server_of(process));
            if self.near_get(now, job, server) {
                return; // a near hit, or a miss that goes on after its lookups
            }
            self.cache_connection(now, work, Next::Get);
        } else {
            let w = &mut self.app().works[work as usize];
            w.enter(now, Part::Database);
            let (job, request) = (w.job, w.request);
            self.dispatch(now, job, request);
        }
    }

    /// `work` asks its process's cache pool for a connection, for `next`.
    fn cache_connection(&mut self, now: Time, work: u32, next: Next) {
        let app = self.app();
        let w = &mut app.works[work as usize];
        w.next = next;
        if app.tier.processes[w.process as usize].cache.acquire(work) {
            self.cache_go(now, work);
        }
    }

    /// `work` has a cache connection: its GET or SET goes.
    fn cache_go(&mut self, now: Time, work: u32) {
        let w = &mut self.app().works[work as usize];
        w.cache = true;
        if !w.responded {
            w.enter(now, Part::Cache);
        }
        let w = *w;
        match w.next {
            Next::Get => self.dispatch(now, w.job, w.request),
            Next::Set => {
                let fill = w.fill.expect("a SET has its value");
                let job = self.allocate_internal(Job {
                    version: fill.version,
                    class: w.request_class,
                    ttl_s: w.ttl_s,
                    ..Job::new(
                        w.request.key,
                        w.request.size,
                        w.issued,
                        Phase::Node(AtNode::Fill { token: fill.token }),
                    )
                });
                self.app().link(job, work);
                let token = fill.token;
                self.send_to_node(now, job, fill.pool, fill.node, AtNode::Fill { token });
            }
        }
    }

    /// Gives back `work`'s cache connection, to the next in line if any.
    fn release_cache(&mut self, now: Time, work: u32) {
        let app = self.app();
        let w = &mut app.works[work as usize];
        if !std::mem::take(&mut w.cache) {
            return;
        }
        if let Some(next) = app.tier.processes[w.process as usize].cache.release() {
            self.cache_go(now, next);
        }
    }

    /// Gives back `work`'s database connection, to the next in line if any.
    fn release_db(&mut self, now: Time, work: u32) {
        let app = self.app();
        let w = &mut app.works[work as usize];
        if !std::mem::take(&mut w.db) {
            return;
        }
        if let Some(next) = app.tier.processes[w.process as usize].db.release() {
            let w = &mut app.works[next as usize];
            w.db = true;
            w.enter(now, Part::Database);
            let job = w.job;
            self.database_go(now, job);
        }
    }

    /// A read of `job` is about to go to the database: a request of the
    /// tier gives back its cache connection and needs a database one.
    /// Returns whether the read goes now (false: it waits for a connection,
    /// and goes when it gets one).
    pub(super) fn app_database(&mut self, now: Time, job: u32) -> bool {
        let Some(work) = self.app().linked(job) else {
            return true;
        };
        if self.app().works[work as usize].db {
            return true; // a retry of a read that holds its connection
        }
        self.release_cache(now, work);
        let app = self.app();
        let w = &mut app.works[work as usize];
        if app.tier.processes[w.process as usize].db.acquire(work) {
            w.db = true;
            w.enter(now, Part::Database);
            true
        } else {
            w.enter(now, Part::Queue);
            false
        }
    }

    /// The request in `job` is answered by the cache or the database at
    /// `at` (now, or later for a hit the cache tier answered ahead): its
    /// thread takes over. Returns false if `job` is not the tier's.
    pub(super) fn app_complete(&mut self, at: Time, job: u32, class: Class) -> bool {
        let Some(work) = self.app.as_deref_mut().and_then(|a| a.take(job)) else {
            return false;
        };
        self.jobs[job as usize].answered = true;
        self.answered += 1;
        let j = self.jobs[job as usize];
        if let (Phase::Db(AtDb::Read { fill: Some(token) }), false) = (j.phase, j.failed) {
            self.app().works[work as usize].fill = Some(Fill {
                pool: j.pool,
                node: j.node,
                token,
                version: j.version,
            });
        }
        if at > self.queue.now() {
            // One network latency on, in the stream of the nodes' replies.
            let answer = Event::App(AppEvent::Answer(work, class));
            self.queue.schedule_in(lane::NODE_REPLY, at, answer);
        } else {
            self.app_answered(at, work, class);
        }
        true
    }

    /// The thread has its answer: it gives back its connections and its
    /// CPU work becomes ready.
    fn app_answered(&mut self, now: Time, work: u32, class: Class) {
        self.release_cache(now, work);
        self.release_db(now, work);
        let app = self.app();
        let sampler = match class {
            Class::Hit => Some(&app.hit_cpu),
            Class::Miss => Some(&app.miss_cpu),
            Class::Write | Class::Failed => None,
        };
        let burst = sampler.map_or(0, |s| s.sample(&mut app.cpu_rng));
        let w = &mut app.works[work as usize];
        w.class = class;
        w.enter(now, Part::Queue);
        if burst == 0 {
            self.cpu_done(now, work);
            return;
        }
        w.burst = burst;
        let process = w.process;
        if app.tier.ready(process, work) {
            self.start_burst(now, process);
        }
    }

    /// The burst of the request first in `process`'s line starts.
    fn start_burst(&mut self, now: Time, process: u32) {
        let counting = now >= self.warmup_end;
        let app = self.app();
        let work = app.tier.running(process).expect("a burst to start");
        let w = &mut app.works[work as usize];
        w.enter(now, Part::Cpu);
        let burst = w.burst;
        if counting {
            app.tier.count_busy(process, burst);
        }
        self.queue
            .schedule(now + burst, Event::App(AppEvent::BurstDone(process)));
    }

    fn burst_done(&mut self, now: Time, process: u32) {
        let app = self.app();
        let work = app.tier.running(process).expect("a burst ran");
        if let Some(next) = app.tier.burst_done(process) {
            self.start_burst(now, next);
        }
        self.app().works[work as usize].enter(now, Part::Queue);
        self.cpu_done(now, work);
    }

    /// The request's CPU work is done: respond, and SET a miss's value
    /// before or after.
    fn cpu_done(&mut self, now: Time, work: u32) {
        let app = self.app();
        let w = app.works[work as usize];
        match (w.fill, app.set) {
            (Some(_), SetOrder::BeforeRespond) => self.cache_connection(now, work, Next::Set),
            (Some(_), SetOrder::AfterRespond) => {
                self.respond(now, work);
                self.cache_connection(now, work, Next::Set);
            }
            (None, _) => {
                self.respond(now, work);
                self.leave(now, work);
            }
        }
    }

    /// A SET job of the tier's is over (`job` served or lost): its thread
    /// hears of it at `at`. Returns false if `job` is not the tier's.
    pub(super) fn app_set_over(&mut self, at: Time, job: u32) -> bool {
        let Some(work) = self.app.as_deref_mut().and_then(|a| a.take(job)) else {
            return false;
        };
        let answer = Event::App(AppEvent::SetAnswered(work));
        self.queue.schedule_in(lane::NODE_REPLY, at, answer);
        true
    }

    fn set_answered(&mut self, now: Time, work: u32) {
        self.release_cache(now, work);
        if !self.app().works[work as usize].responded {
            self.respond(now, work);
        }
        self.leave(now, work);
    }

    /// The client has its answer.
    fn respond(&mut self, now: Time, work: u32) {
        let app = self.app();
        let w = &mut app.works[work as usize];
        w.enter(now, Part::Queue);
        w.responded = true;
        let w = *w;
        app.metrics.answered(w.issued, w.class, &w.spent);
        self.answer_client(now, w.issued, w.user, w.request_class, w.class);
    }

    /// The thread is done with `work`: the next request in its server's
    /// line takes it.
    fn leave(&mut self, now: Time, work: u32) {
        let app = self.app();
        let process = app.works[work as usize].process;
        app.free.push(work);
        if let Some(next) = app.tier.leave(process) {
            self.start_thread(now, next, process);
        }
    }

    /// The get in `job` missed its server's near caches: it asks for a
    /// cache connection, as a get without them does at once.
    pub(super) fn app_near_missed(&mut self, now: Time, job: u32) {
        if let Some(work) = self.app().linked(job) {
            self.cache_connection(now, work, Next::Get);
        }
    }

    /// Whether `job` is a request of the tier's.
    pub(super) fn app_owns(&self, job: u32) -> bool {
        self.app.as_deref().is_some_and(|a| a.linked(job).is_some())
    }

    /// A client's retry moved its read from job `from` to job `to`.
    pub(super) fn app_moved(&mut self, from: u32, to: u32) {
        if let Some(app) = self.app.as_deref_mut()
            && let Some(work) = app.take(from)
        {
            app.link(to, work);
            app.works[work as usize].job = to;
        }
    }
}
