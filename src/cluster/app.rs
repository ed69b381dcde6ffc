//! Application servers as plain state, with no clock but the one they are
//! given: which server a request goes to, which process's thread takes it,
//! whose CPU work runs on which core, and the connection pools. The model
//! (`model/app.rs`) asks it and moves requests along.
//!
//! - A server's requests wait in one FIFO queue for a free thread of any
//!   of its processes (the process with the most free threads takes the
//!   next one). gunicorn's workers each accept on their own, so a busy
//!   worker can hold a request another could have served at once; one
//!   queue per server is the kinder model, and the one queueing formulas
//!   describe.
//! - Each process runs one thread's CPU work at a time (CPython's GIL) in
//!   the order they became ready, and a server runs at most `cores` such
//!   bursts at once; a process that finishes a burst and has more work
//!   queues again behind the processes already waiting for a core. Bursts
//!   are not preempted: CPython hands the GIL over every 5 ms of CPU, far
//!   longer than the bursts modelled here, and the order of service changes
//!   no mean of a work-conserving queue.
//! - Waiting for the cache or the database holds a thread but no CPU.
//! - Each process has its own pool of connections to the cache and to the
//!   database (redis-py's and SQLAlchemy's pools are per process); a thread
//!   without a free connection waits for one, first come first served.

use std::collections::VecDeque;

use rand::RngExt;

use crate::scenario::config::{AppConfig, Balance};
use crate::seed::Rng;

/// A pool of connections, limited or not, and who waits for one.
#[derive(Clone, Debug)]
pub struct Pool {
    /// Free connections (`None`: no limit).
    free: Option<u32>,
    /// The pool's size (`None`: no limit).
    size: Option<u32>,
    /// Requests waiting for a connection, first come first served.
    waiting: VecDeque<u32>,
}

impl Pool {
    /// A pool of `size` connections (`None`: no limit).
    pub fn new(size: Option<u32>) -> Pool {
        Pool {
            free: size,
            size,
            waiting: VecDeque::new(),
        }
    }

    /// `request` asks for a connection: true if it has one now, false if
    /// it waits in line.
    pub fn acquire(&mut self, request: u32) -> bool {
        match &mut self.free {
            None => true,
            Some(0) => {
                self.waiting.push_back(request);
                false
            }
            Some(free) => {
                *free -= 1;
                true
            }
        }
    }

    /// A connection comes back: the request first in line gets it (and is
    /// returned), or it is free again.
    pub fn release(&mut self) -> Option<u32> {
        let free = self.free.as_mut()?;
        match self.waiting.pop_front() {
            Some(next) => Some(next),
            None => {
                *free += 1;
                None
            }
        }
    }

    /// Connections in use and requests waiting, to check the pool's bounds.
    pub fn occupancy(&self) -> (Option<(u32, u32)>, usize) {
        let used = self.size.zip(self.free).map(|(s, f)| (s - f.min(s), s));
        (used, self.waiting.len())
    }
}

/// One worker process.
#[derive(Clone, Debug)]
pub struct Process {
    /// Threads not serving a request.
    pub free_threads: u32,
    /// Requests whose CPU work is ready, waiting for the GIL.
    ready: VecDeque<u32>,
    /// The request whose CPU work runs now.
    running: Option<u32>,
    /// Waiting in its server's line for a core.
    queued: bool,
    /// Connections to the cache.
    pub cache: Pool,
    /// Connections to the database.
    pub db: Pool,
}

/// One application server.
#[derive(Clone, Debug)]
pub struct Server {
    /// Requests waiting for a thread.
    waiting: VecDeque<u32>,
    /// Requests at the server: waiting or holding a thread.
    pub outstanding: u32,
    /// Cores not running a burst.
    cores_free: u32,
    /// Processes (global indices) with ready work, waiting for a core.
    core_line: VecDeque<u32>,
    /// Core-nanoseconds of CPU work started since the counting began.
    pub busy_ns: u128,
}

/// The application tier's servers and processes.
pub struct AppTier {
    /// The servers.
    pub servers: Vec<Server>,
    /// Every process, server by server: server s has
    /// `s * per_server .. (s + 1) * per_server`.
    pub processes: Vec<Process>,
    per_server: u32,
    threads: u32,
    cores: u32,
    balance: Balance,
    next_server: u32,
    rng: Rng,
}

impl AppTier {
    /// The tier `config` describes, idle; `rng` draws random balancing.
    pub fn new(config: &AppConfig, rng: Rng) -> AppTier {
        let server = Server {
            waiting: VecDeque::new(),
            outstanding: 0,
            cores_free: config.cores,
            core_line: VecDeque::new(),
            busy_ns: 0,
        };
        let process = Process {
            free_threads: config.threads,
            ready: VecDeque::new(),
            running: None,
            queued: false,
            cache: Pool::new(config.cache_pool),
            db: Pool::new(config.db_pool),
        };
        AppTier {
            servers: vec![server; config.servers as usize],
            processes: vec![process; (config.servers * config.processes) as usize],
            per_server: config.processes,
            threads: config.threads,
            cores: config.cores,
            balance: config.balance,
            next_server: 0,
            rng,
        }
    }

    /// The server process `process` runs on.
    pub fn server_of(&self, process: u32) -> u32 {
        process / self.per_server
    }

    /// The load balancer picks a server for a new request.
    pub fn pick_server(&mut self) -> u32 {
        let n = self.servers.len() as u32;
        match self.balance {
            Balance::RoundRobin => {
                let s = self.next_server;
                self.next_server = (s + 1) % n;
                s
            }
            Balance::Random => self.rng.random_range(0..n),
            Balance::LeastOutstanding => {
                // Ties go round robin, as nginx's least_conn does.
                let start = self.next_server;
                let s = (start..start + n)
                    .map(|s| s % n)
                    .min_by_key(|&s| self.servers[s as usize].outstanding)
                    .expect("at least one server");
                self.next_server = (s + 1) % n;
                s
            }
        }
    }

    /// `request` reaches `server`: the process whose thread takes it now,
    /// or `None` when every thread is busy and it waits in line.
    pub fn arrive(&mut self, server: u32, request: u32) -> Option<u32> {
        self.servers[server as usize].outstanding += 1;
        let first = server * self.per_server;
        let best = (first..first + self.per_server)
            .max_by_key(|&p| (self.processes[p as usize].free_threads, u32::MAX - p))
            .expect("at least one process");
        if self.processes[best as usize].free_threads == 0 {
            self.servers[server as usize].waiting.push_back(request);
            return None;
        }
        self.processes[best as usize].free_threads -= 1;
        Some(best)
    }

    /// A thread of `process` is done with its request: the request first
    /// in its server's line takes the thread (and is returned), or the
    /// thread is free.
    pub fn leave(&mut self, process: u32) -> Option<u32> {
        let s = self.server_of(process) as usize;
        let server = &mut self.servers[s];
        server.outstanding -= 1;
        let next = server.waiting.pop_front();
        if next.is_none() {
            self.processes[process as usize].free_threads += 1;
        }
        next
    }

    /// `request`'s CPU work is ready in `process`: whether it starts now
    /// (its process was idle and a core free).
    pub fn ready(&mut self, process: u32, request: u32) -> bool {
        self.processes[process as usize].ready.push_back(request);
        let p = &self.processes[process as usize];
        if p.running.is_some() || p.queued {
            return false;
        }
        self.wants_core(process);
        self.take_core(self.server_of(process)) == Some(process)
    }

    /// The request whose burst runs in `process`.
    pub fn running(&self, process: u32) -> Option<u32> {
        self.processes[process as usize].running
    }

    /// Adds a burst's CPU time to its server's busy time.
    pub fn count_busy(&mut self, process: u32, ns: u64) {
        let s = self.server_of(process) as usize;
        self.servers[s].busy_ns += u128::from(ns);
    }

    /// The burst running in `process` is over: returns the process whose
    /// burst starts on the freed core, if any (it may be `process` again).
    pub fn burst_done(&mut self, process: u32) -> Option<u32> {
        let server = self.server_of(process);
        self.processes[process as usize].running = None;
        self.servers[server as usize].cores_free += 1;
        if !self.processes[process as usize].ready.is_empty() {
            self.wants_core(process);
        }
        self.take_core(server)
    }

    /// Puts `process` in its server's line for a core.
    fn wants_core(&mut self, process: u32) {
        self.processes[process as usize].queued = true;
        let server = self.server_of(process) as usize;
        self.servers[server].core_line.push_back(process);
    }

    /// Gives a free core of `server` to the first process in line, whose
    /// first ready request starts its burst: that process.
    fn take_core(&mut self, server: u32) -> Option<u32> {
        let s = &mut self.servers[server as usize];
        if s.cores_free == 0 {
            return None;
        }
        let process = s.core_line.pop_front()?;
        s.cores_free -= 1;
        let p = &mut self.processes[process as usize];
        p.queued = false;
        p.running = Some(p.ready.pop_front().expect("a queued process has work"));
        Some(process)
    }

    /// Forgets the CPU time counted so far (at the end of the warm-up).
    pub fn reset_busy(&mut self) {
        for s in &mut self.servers {
            s.busy_ns = 0;
        }
    }

    /// What is broken in the tier's own bounds, if anything: threads, cores
    /// and pools never over-used, lines only when nothing is free.
    pub fn check(&self) -> Option<String> {
        for (i, s) in self.servers.iter().enumerate() {
            let range = i as u32 * self.per_server..(i as u32 + 1) * self.per_server;
            let procs = &self.processes[range.start as usize..range.end as usize];
            let busy_threads: u32 = procs.iter().map(|p| self.threads - p.free_threads).sum();
            if s.outstanding as usize != busy_threads as usize + s.waiting.len() {
                return Some(format!(
                    "app server {i}: {} outstanding, {busy_threads} threads busy, {} waiting",
                    s.outstanding,
                    s.waiting.len()
                ));
            }
            if !s.waiting.is_empty() && procs.iter().any(|p| p.free_threads > 0) {
                return Some(format!(
                    "app server {i}: requests wait beside a free thread"
                ));
            }
            let running = procs.iter().filter(|p| p.running.is_some()).count() as u32;
            if running + s.cores_free != self.cores {
                return Some(format!(
                    "app server {i}: {running} bursts running, {} cores free of {}",
                    s.cores_free, self.cores
                ));
            }
            if !s.core_line.is_empty() && s.cores_free > 0 {
                return Some(format!("app server {i}: processes wait beside a free core"));
            }
            for p in procs {
                for pool in [&p.cache, &p.db] {
                    if let (Some((used, size)), waiting) = pool.occupancy()
                        && waiting > 0
                        && used < size
                    {
                        return Some(format!(
                            "app server {i}: {waiting} wait for a connection, {used} of {size} in use"
                        ));
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::app::SetOrder;
    use crate::seed::Seed;
    use crate::sim::dist::Dist;

    fn tier(processes: u32, threads: u32, cores: u32) -> AppTier {
        let config = AppConfig {
            servers: 1,
            processes,
            threads,
            cores,
            balance: Balance::RoundRobin,
            hit_cpu: Dist::Fixed(0),
            miss_cpu: Dist::Fixed(0),
            set: SetOrder::BeforeRespond,
            cache_pool: Some(1),
            db_pool: None,
        };
        AppTier::new(&config, Seed(1).derive("app").rng())
    }

    #[test]
    fn threads_of_one_process_take_turns_on_its_gil() {
        // One process, two threads, two cores: the second burst waits for
        // the first although a core is free (the GIL), then runs.
        let mut t = tier(1, 2, 2);
        assert_eq!(t.arrive(0, 10), Some(0));
        assert_eq!(t.arrive(0, 11), Some(0));
        assert_eq!(t.arrive(0, 12), None, "both threads busy: 12 waits");
        assert!(t.ready(0, 10));
        assert!(!t.ready(0, 11), "10 holds the GIL");
        assert_eq!(t.burst_done(0), Some(0));
        assert_eq!(t.running(0), Some(11));
        assert_eq!(t.check(), None);
        assert_eq!(t.leave(0), Some(12), "12 takes the freed thread");
        assert_eq!(t.burst_done(0), None);
        assert_eq!(t.check(), None);
    }

    #[test]
    fn processes_share_the_cores_in_turn() {
        // Two processes, one core: process 1 waits for the core; when
        // process 0 finishes a burst with more work, process 1 goes first.
        let mut t = tier(2, 2, 1);
        assert_eq!(t.arrive(0, 1), Some(0));
        assert_eq!(
            t.arrive(0, 2),
            Some(1),
            "the process with more free threads"
        );
        assert_eq!(t.arrive(0, 3), Some(0));
        assert!(t.ready(0, 1));
        assert!(!t.ready(1, 2), "no core free");
        assert!(!t.ready(0, 3));
        assert_eq!(t.burst_done(0), Some(1));
        assert_eq!(t.running(1), Some(2));
        assert_eq!(t.burst_done(1), Some(0));
        assert_eq!(t.running(0), Some(3));
        assert_eq!(t.check(), None);
    }

    #[test]
    fn a_pool_hands_its_connection_to_the_first_in_line() {
        let mut p = Pool::new(Some(1));
        assert!(p.acquire(1));
        assert!(!p.acquire(2));
        assert!(!p.acquire(3));
        assert_eq!(p.release(), Some(2));
        assert_eq!(p.release(), Some(3));
        assert_eq!(p.release(), None);
        assert!(p.acquire(4));
        let mut unlimited = Pool::new(None);
        assert!(unlimited.acquire(1) && unlimited.acquire(2));
        assert_eq!(unlimited.release(), None);
    }
}
