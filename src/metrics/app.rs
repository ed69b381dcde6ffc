//! What the application tier measured: each server's CPU utilisation, and
//! each request's latency split into the time it queued (for a thread, the
//! GIL, a core or a pooled connection), ran on a CPU, waited for the cache
//! and waited for the database. The four parts of a request add up to its
//! latency. Only runs with `[app]` have it (summary.json's `app` section).

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::recorder::{Class, latency_summary};
use super::runs::RunHistogram;
use super::summary::LatencySummary;
use crate::sim::Time;

/// The parts of a request's time at the application tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Waiting for a thread, the GIL, a core or a connection.
    Queue = 0,
    /// Running on a CPU.
    Cpu = 1,
    /// Waiting for the cache.
    Cache = 2,
    /// Waiting for the database.
    Database = 3,
}

/// The parts' names, in [`Part`]'s order, as summary.json and the plot
/// write them.
pub const PARTS: [&str; 4] = ["queue", "cpu", "cache", "database"];

/// The breakdown's classes, as summary.json and the plot write them.
const CLASSES: [&str; 3] = ["all", "hits", "misses"];

/// Collects the application tier's measurements after the warm-up.
pub struct AppMetrics {
    warmup_end: Time,
    /// One histogram per part, over all requests.
    parts: [RunHistogram; 4],
    /// Sum of each part's time, per class (all, hits, misses).
    sums: [[u128; 4]; 3],
    counts: [u64; 3],
}

impl AppMetrics {
    /// Measurements of requests issued from `warmup_end` on, in a run of
    /// `length`.
    pub fn new(warmup_end: Time, length: Time) -> AppMetrics {
        let highest = length.max(3_600 * 1_000_000_000);
        let histogram = || Histogram::new_with_bounds(1, highest, 3).expect("valid bounds");
        AppMetrics {
            warmup_end,
            parts: std::array::from_fn(|_| RunHistogram::new(histogram())),
            sums: [[0; 4]; 3],
            counts: [0; 3],
        }
    }

    /// A request issued at `issued` was answered, having spent `spent`
    /// (indexed by [`Part`]) at the tier.
    pub fn answered(&mut self, issued: Time, class: Class, spent: &[Time; 4]) {
        if issued < self.warmup_end {
            return;
        }
        self.add(0, spent);
        match class {
            Class::Hit => self.add(1, spent),
            Class::Miss => self.add(2, spent),
            Class::Write | Class::Failed => {}
        }
        for (h, &t) in self.parts.iter_mut().zip(spent) {
            h.record(t);
        }
    }

    fn add(&mut self, class: usize, spent: &[Time; 4]) {
        self.counts[class] += 1;
        for (sum, &t) in self.sums[class].iter_mut().zip(spent) {
            *sum += u128::from(t);
        }
    }

    /// The `app` section of summary.json: `busy_ns` is each server's
    /// core-nanoseconds of CPU work over `measured_ns` with `cores` each.
    pub fn summary(&self, busy_ns: &[u128], cores: u32, measured_ns: Time) -> AppSummary {
        let capacity = f64::from(cores) * measured_ns.max(1) as f64;
        let utilisation: Vec<f64> = busy_ns.iter().map(|&b| b as f64 / capacity).collect();
        let [queue, cpu, cache, database] =
            [0, 1, 2, 3].map(|p| latency_summary(&self.parts[p].snapshot()));
        AppSummary {
            utilisation_mean: utilisation.iter().sum::<f64>() / utilisation.len().max(1) as f64,
            utilisation,
            queue,
            cpu,
            cache,
            database,
            breakdown: (0..3)
                .map(|c| {
                    let mean = |p: usize| {
                        (self.counts[c] > 0).then(|| self.sums[c][p] as f64 / self.counts[c] as f64)
                    };
                    Breakdown {
                        class: CLASSES[c].into(),
                        count: self.counts[c],
                        queue_mean_ns: mean(0),
                        cpu_mean_ns: mean(1),
                        cache_mean_ns: mean(2),
                        database_mean_ns: mean(3),
                    }
                })
                .collect(),
        }
    }
}

/// The mean parts of one class of requests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// `all`, `hits` or `misses`.
    pub class: String,
    /// Requests of the class answered.
    pub count: u64,
    /// Mean time queued; `None` without a request.
    pub queue_mean_ns: Option<f64>,
    /// Mean CPU time; `None` without a request.
    pub cpu_mean_ns: Option<f64>,
    /// Mean time waiting for the cache; `None` without a request.
    pub cache_mean_ns: Option<f64>,
    /// Mean time waiting for the database; `None` without a request.
    pub database_mean_ns: Option<f64>,
}

/// The `app` section of summary.json.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AppSummary {
    /// Each server's CPU utilisation: CPU time over cores × measured time.
    pub utilisation: Vec<f64>,
    /// Their mean.
    pub utilisation_mean: f64,
    /// Time queued (for a thread, the GIL, a core, a connection).
    pub queue: LatencySummary,
    /// CPU time.
    pub cpu: LatencySummary,
    /// Time waiting for the cache.
    pub cache: LatencySummary,
    /// Time waiting for the database.
    pub database: LatencySummary,
    /// The mean parts of all requests, of hits and of misses: they add up
    /// to the mean latency of the class.
    pub breakdown: Vec<Breakdown>,
}
