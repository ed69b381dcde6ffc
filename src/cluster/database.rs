//! The database: a number of connections, a service-time distribution, a
//! FIFO queue with an optional bound (beyond it queries fail), and network
//! latency. It keeps cumulative load counters for utilisation and queue length.

use std::collections::VecDeque;

use crate::metrics::recorder::DbLoad;
use crate::seed::{Rng, Seed};
use crate::sim::Time;
use crate::sim::dist::Sampler;

/// What happened to an arriving query.
pub enum Admission {
    /// It started at once and will take this long.
    Started(Time),
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
}

impl Database {
    /// An idle database.
    pub fn new(
        connections: u32,
        limit: Option<u64>,
        service: Sampler,
        latency: Sampler,
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
            Admission::Started(self.service.sample(&mut self.rng))
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
