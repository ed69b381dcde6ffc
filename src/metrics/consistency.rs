//! Consistency measurements: stale reads and how stale they were, stale sets,
//! leases, invalidations, lost writes, and the share of writes after which
//! no cache served an older value within 1 s, 10 s, 1 min and 5 min.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::sim::Time;

/// What a run measured about consistency (after the warm-up).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsistencySummary {
    /// Writes committed.
    pub writes: u64,
    /// Hits that returned a version older than the database's at that moment.
    pub stale_reads: u64,
    /// Stale reads over all gets; `None` (no data) without a measured get.
    pub stale_read_ratio: Option<f64>,
    /// Median age of the stale values read (time since they became stale).
    pub staleness_p50_ms: f64,
    /// 99th percentile of that age.
    pub staleness_p99_ms: f64,
    /// Largest age.
    pub staleness_max_ms: f64,
    /// Mean versions behind, over stale reads.
    pub version_lag_mean: f64,
    /// Most versions behind.
    pub version_lag_max: u64,
    /// Fills stored in a cache (after a miss).
    pub fills: u64,
    /// Fills of a version older than the database's when stored.
    pub stale_sets: u64,
    /// Stale sets over fills.
    pub stale_set_ratio: f64,
    /// Fills refused because their lease was voided.
    pub lease_refused_sets: u64,
    /// Times a reader was told to wait for another's refill.
    pub lease_waits: u64,
    /// Readers that waited and then hit: database reads saved.
    pub lease_db_reads_saved: u64,
    /// Invalidations sent by commits.
    pub invalidations: u64,
    /// Invalidations lost on the way.
    pub invalidations_lost: u64,
    /// Write-behind writes lost with a crashed node before their flush.
    pub writes_lost: u64,
    /// Share of writes after which no cache served an older value 1 s later
    /// (none when no write was checked).
    pub consistent_1s: Option<f64>,
    /// The same 10 s after the write.
    pub consistent_10s: Option<f64>,
    /// The same 60 s after the write.
    pub consistent_60s: Option<f64>,
    /// The same 300 s after the write.
    pub consistent_300s: Option<f64>,
    /// Servable entries older than the database's version at the end.
    pub stale_entries_at_end: u64,
}

/// Counts consistency events.
pub struct Consistency {
    warmup_end: Time,
    stale_reads: u64,
    stale_age: Histogram<u64>,
    lag_sum: u64,
    lag_max: u64,
    fills: u64,
    stale_sets: u64,
    refused_sets: u64,
    lease_waits: u64,
    lease_saved: u64,
    invalidations: u64,
    invalidations_lost: u64,
    writes: u64,
    writes_lost: u64,
    /// (consistent, checked) per check delay.
    checks: [(u64, u64); 4],
    /// Stale reads in the current interval.
    pub interval_stale_reads: u64,
}

impl Consistency {
    /// Counting starts at `warmup_end`.
    pub fn new(warmup_end: Time) -> Self {
        Consistency {
            warmup_end,
            stale_reads: 0,
            stale_age: Histogram::new_with_bounds(1, 3_600 * 1_000_000_000 * 24, 3)
                .expect("valid bounds"),
            lag_sum: 0,
            lag_max: 0,
            fills: 0,
            stale_sets: 0,
            refused_sets: 0,
            lease_waits: 0,
            lease_saved: 0,
            invalidations: 0,
            invalidations_lost: 0,
            writes: 0,
            writes_lost: 0,
            checks: [(0, 0); 4],
            interval_stale_reads: 0,
        }
    }

    fn counts(&self, time: Time) -> bool {
        time >= self.warmup_end
    }

    /// A hit of a get issued at `issued` returned a value stale for `age`,
    /// `lag` versions behind.
    pub fn stale_read(&mut self, issued: Time, age: Time, lag: u64) {
        self.interval_stale_reads += 1;
        if self.counts(issued) {
            self.stale_reads += 1;
            self.stale_age.saturating_record(age.max(1));
            self.lag_sum += lag;
            self.lag_max = self.lag_max.max(lag);
        }
    }

    /// A fill reached a node at `now`: stored (a stale set or not), or refused.
    pub fn fill(&mut self, now: Time, stale: bool, refused: bool) {
        if self.counts(now) {
            self.fills += u64::from(!refused);
            self.stale_sets += u64::from(stale);
            self.refused_sets += u64::from(refused);
        }
    }

    /// A reader of a get issued at `issued` was told to wait.
    pub fn lease_wait(&mut self, issued: Time) {
        self.lease_waits += u64::from(self.counts(issued));
    }

    /// A reader that had waited hit: one database read saved.
    pub fn lease_saved(&mut self, issued: Time) {
        self.lease_saved += u64::from(self.counts(issued));
    }

    /// A commit sent an invalidation (counted if after the warm-up).
    pub fn invalidation(&mut self, counted: bool, lost: bool) {
        if counted {
            self.invalidations += 1;
            self.invalidations_lost += u64::from(lost);
        }
    }

    /// A write committed (counted if after the warm-up).
    pub fn write_committed(&mut self, counted: bool) {
        self.writes += u64::from(counted);
    }

    /// A write-behind write issued at `issued` was lost.
    pub fn write_lost(&mut self, issued: Time) {
        self.writes_lost += u64::from(self.counts(issued));
    }

    /// The check `delay` after a commit found the caches consistent or not.
    pub fn write_check(&mut self, delay: usize, consistent: bool) {
        let (ok, all) = &mut self.checks[delay];
        *ok += u64::from(consistent);
        *all += 1;
    }

    /// The totals, given the number of gets after the warm-up and the stale
    /// entries left at the end.
    pub fn summary(&self, gets: u64, stale_entries_at_end: u64) -> ConsistencySummary {
        let ratio = |part: u64, whole: u64| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        let ms = |q: f64| {
            if self.stale_age.is_empty() {
                0.0
            } else {
                self.stale_age.value_at_quantile(q) as f64 / 1e6
            }
        };
        let check = |i: usize| {
            let (ok, all) = self.checks[i];
            (all > 0).then(|| ok as f64 / all as f64)
        };
        ConsistencySummary {
            writes: self.writes,
            stale_reads: self.stale_reads,
            stale_read_ratio: (gets > 0).then(|| self.stale_reads as f64 / gets as f64),
            staleness_p50_ms: ms(0.5),
            staleness_p99_ms: ms(0.99),
            staleness_max_ms: if self.stale_age.is_empty() {
                0.0
            } else {
                self.stale_age.max() as f64 / 1e6
            },
            version_lag_mean: ratio(self.lag_sum, self.stale_reads),
            version_lag_max: self.lag_max,
            fills: self.fills,
            stale_sets: self.stale_sets,
            stale_set_ratio: ratio(self.stale_sets, self.fills),
            lease_refused_sets: self.refused_sets,
            lease_waits: self.lease_waits,
            lease_db_reads_saved: self.lease_saved,
            invalidations: self.invalidations,
            invalidations_lost: self.invalidations_lost,
            writes_lost: self.writes_lost,
            consistent_1s: check(0),
            consistent_10s: check(1),
            consistent_60s: check(2),
            consistent_300s: check(3),
            stale_entries_at_end,
        }
    }
}
