//! The database: a number of connections, a service-time distribution, a
//! FIFO queue with an optional bound (beyond it queries fail), and network
//! latency. It keeps cumulative load counters for utilisation and queue length.
//! By default each query in service takes its drawn service time; with
//! contention ([`contention`]) the queries in service share the database and
//! slow each other down as the Universal Scalability Law says.

pub mod contention;

use std::collections::VecDeque;

use contention::{Shared, Usl};

use crate::metrics::recorder::DbLoad;
use crate::seed::{Rng, Seed};
use crate::sim::Time;
use crate::sim::dist::Sampler;

/// What happened to an arriving query.
pub enum Admission {
    /// It started at once and will take this long.
    Started(Time),
    /// It started at once, sharing the database: the next completion of
    /// the shared service changed.
    Shared,
    /// It waits for a connection.
    Queued,
    /// The queue was full: it fails.
    Rejected,
}

/// The database model.
pub struct Database {
    /// Connections (queries served at once).
    pub connections: u32,
    busy: u32,
    queue: VecDeque<u32>,
    limit: Option<u64>,
    service: Sampler,
    rng: Rng,
    latency: Sampler,
    net: Rng,
    load: DbLoad,
    last_change: Time,
    queue_max: u64,
    /// With contention: the queries in service, sharing it.
    shared: Option<Shared>,
}

impl Database {
    /// An idle database; with `contention`, its queries in service share it.
    pub fn new(
        connections: u32,
        limit: Option<u64>,
        service: Sampler,
        latency: Sampler,
        contention: Option<Usl>,
        seed: Seed,
    ) -> Database {
        Database {
            connections,
            busy: 0,
            queue: VecDeque::new(),
            limit,
            service,
            rng: seed.derive("service").rng(),
            latency,
            net: seed.derive("network").rng(),
            load: DbLoad::default(),
            last_change: 0,
            queue_max: 0,
            shared: contention.map(Shared::new),
        }
    }

    fn integrate(&mut self, now: Time) {
        let dt = u128::from(now - self.last_change);
        self.load.busy_ns += u128::from(self.busy) * dt;
        self.load.queue_ns += self.queue.len() as u128 * dt;
        self.last_change = now;
    }

    /// One one-way network latency.
    #[inline]
    pub fn network_latency(&mut self) -> Time {
        self.latency.sample(&mut self.net)
    }

    /// A query arrives.
    pub fn arrive(&mut self, now: Time, job: u32) -> Admission {
        self.integrate(now);
        self.load.queries += 1;
        if self.busy < self.connections {
            self.busy += 1;
            let work = self.service.sample(&mut self.rng);
            match &mut self.shared {
                None => Admission::Started(work),
                Some(shared) => {
                    shared.admit(now, job, work);
                    Admission::Shared
                }
            }
        } else if self
            .limit
            .is_none_or(|limit| (self.queue.len() as u64) < limit)
        {
            self.queue.push_back(job);
            self.queue_max = self.queue_max.max(self.queue.len() as u64);
            Admission::Queued
        } else {
            self.load.rejected += 1;
            Admission::Rejected
        }
    }

    /// A query finished; returns the next one to start and its service time.
    pub fn finish(&mut self, now: Time) -> Option<(u32, Time)> {
        self.integrate(now);
        match self.queue.pop_front() {
            Some(job) => Some((job, self.service.sample(&mut self.rng))),
            None => {
                self.busy -= 1;
                None
            }
        }
    }

    /// With contention: when the next query in service finishes and the
    /// generation its event carries (none when idle or without contention).
    pub fn next_shared(&self, now: Time) -> Option<(Time, u32)> {
        self.shared.as_ref()?.next_completion(now)
    }

    /// With contention: whether a completion event of `generation` is due.
    pub fn shared_current(&self, generation: u32) -> bool {
        self.shared.as_ref().is_some_and(|s| s.current(generation))
    }

    /// With contention: the next query in service finishes now; the first
    /// waiting query, if any, takes its connection. Returns the finished job.
    pub fn finish_shared(&mut self, now: Time) -> Option<u32> {
        self.integrate(now);
        let shared = self.shared.as_mut()?;
        let done = shared.complete(now)?;
        match self.queue.pop_front() {
            Some(next) => {
                let work = self.service.sample(&mut self.rng);
                shared.admit(now, next, work);
            }
            None => self.busy -= 1,
        }
        Some(done)
    }

    /// With contention: the jobs in service (empty without).
    pub fn sharing(&self) -> impl Iterator<Item = u32> + '_ {
        self.shared.iter().flat_map(Shared::jobs)
    }

    /// With contention: queries in service as the shared service counts
    /// them (equal to the busy connections).
    pub fn shared_len(&self) -> Option<usize> {
        self.shared.as_ref().map(Shared::in_service)
    }

    /// Cumulative load up to `now`.
    pub fn load(&mut self, now: Time) -> DbLoad {
        self.integrate(now);
        self.load
    }

    /// Most queries waiting at once since the last reset.
    pub fn queue_max(&self) -> u64 {
        self.queue_max
    }

    /// Queries in service, queries waiting, and connections.
    pub fn occupancy(&self) -> (u32, usize, u32) {
        (self.busy, self.queue.len(), self.connections)
    }

    /// The bound of the queue, if any.
    pub fn queue_limit(&self) -> Option<u64> {
        self.limit
    }

    /// The jobs waiting for a connection, oldest first.
    pub fn queued(&self) -> impl Iterator<Item = u32> + '_ {
        self.queue.iter().copied()
    }

    /// Restarts the queue maximum (at the end of the warm-up).
    pub fn reset_queue_max(&mut self) {
        self.queue_max = self.queue.len() as u64;
    }
}
