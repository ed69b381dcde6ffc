//! The recorder the cluster model reports to: request completions, timeouts,
//! errors, evictions; it keeps the totals after the warm-up, the latency
//! histograms and the time series.

use std::borrow::Cow;

use hdrhistogram::Histogram;

use super::classes::{ClassIntervalRow, ClassRecorder, ClassSummary};
use super::consistency::Consistency;
use super::retries::RetryCounts;
use super::runs::RunHistogram;
use super::summary::{IntervalRow, LatencyRow, LatencySummary};
use super::tiers::{TierCounts, TierIntervalRow};
use crate::sim::Time;

/// Highest latency the histograms hold at least: one hour. A run sizes them
/// for its own length (no request can take longer than the run), so no
/// latency is ever clamped.
const MIN_RANGE_NS: u64 = 3_600 * 1_000_000_000;

/// Percentiles written to `latency.csv`.
pub const PERCENTILES: [f64; 9] = [50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.99, 100.0];

fn histogram(highest: u64) -> Histogram<u64> {
    Histogram::new_with_bounds(1, highest, 3).expect("valid histogram bounds")
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A get served from a cache.
    Hit,
    /// A get served by the database (after a miss, a timeout or a failover).
    Miss,
    /// A set or delete, acknowledged.
    Write,
    /// A request that failed (the database refused it).
    Failed,
}

/// Outcome counts over a stretch of time: the run's, and each request
/// class's (see `classes`, which also counts stale reads here).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Counts {
    pub requests: u64,
    pub gets: u64,
    pub hits: u64,
    pub get_bytes: u64,
    pub hit_bytes: u64,
    pub timeouts: u64,
    pub errors: u64,
    pub evictions: u64,
    pub stale_reads: u64,
    /// The latency of the gets answered (hits and misses), summed.
    pub get_time_ns: u64,
}

impl Counts {
    /// A get of `size` bytes, a hit or not.
    #[inline]
    pub(super) fn get(&mut self, hit: bool, size: u32) {
        self.gets += 1;
        self.get_bytes += u64::from(size);
        if hit {
            self.hits += 1;
            self.hit_bytes += u64::from(size);
        }
    }

    /// A request answered, failed or not.
    #[inline]
    pub(super) fn request(&mut self, failed: bool) {
        self.requests += 1;
        if failed {
            self.errors += 1;
        }
    }
}

/// Database load over a stretch of time, from cumulative counters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DbLoad {
    /// Queries that arrived.
    pub queries: u64,
    /// Queries refused.
    pub rejected: u64,
    /// Connection-nanoseconds busy.
    pub busy_ns: u128,
    /// Queue-length × nanoseconds.
    pub queue_ns: u128,
}

impl DbLoad {
    fn minus(self, earlier: DbLoad) -> DbLoad {
        DbLoad {
            queries: self.queries - earlier.queries,
            rejected: self.rejected - earlier.rejected,
            busy_ns: self.busy_ns - earlier.busy_ns,
            queue_ns: self.queue_ns - earlier.queue_ns,
        }
    }
}

/// Collects a run's measurements.
pub struct Recorder {
    warmup_end: Time,
    /// The longest latency the histograms hold: the run's length.
    highest: Time,
    /// Latencies of requests that were neither hits nor misses (writes,
    /// failures); "all" is hits + misses + these, summed at the end.
    others: RunHistogram,
    hits: RunHistogram,
    misses: RunHistogram,
    interval_latency: RunHistogram,
    totals: Counts,
    interval: Counts,
    rows: Vec<IntervalRow>,
    last_tick: Time,
    db_at_last_tick: DbLoad,
    db_at_warmup_end: DbLoad,
    /// Consistency events: stale reads, stale sets, leases, invalidations.
    pub consistency: Consistency,
    /// Retries, when tracked: the open interval's counts and the totals.
    retries: Option<Box<[RetryCounts; 2]>>,
    /// Per request class, when the run has classes.
    classes: Option<Box<ClassRecorder>>,
    /// Per tier and interval, when the run has `[[tiers]]`.
    tier_rows: Vec<TierIntervalRow>,
}

impl Recorder {
    /// A recorder whose totals start counting at `warmup_end`, for a run
    /// of `length` simulated time.
    pub fn new(warmup_end: Time, length: Time) -> Self {
        let highest = length.max(MIN_RANGE_NS);
        Recorder {
            warmup_end,
            highest,
            others: RunHistogram::new(histogram(highest)),
            hits: RunHistogram::new(histogram(highest)),
            misses: RunHistogram::new(histogram(highest)),
            interval_latency: RunHistogram::new(histogram(highest)),
            totals: Counts::default(),
            interval: Counts::default(),
            rows: Vec::new(),
            last_tick: 0,
            db_at_last_tick: DbLoad::default(),
            db_at_warmup_end: DbLoad::default(),
            consistency: Consistency::new(warmup_end),
            retries: None,
            classes: None,
            tier_rows: Vec::new(),
        }
    }

    /// Keeps every figure per request class too, for classes named `names`
    /// with configured `shares`.
    pub fn track_classes(&mut self, names: Vec<String>, shares: Vec<f64>) {
        self.classes = Some(Box::new(ClassRecorder::new(names, shares, self.highest)));
    }

    /// A query caused by a request of `class` reached the database.
    #[inline]
    pub fn db_query(&mut self, class: u16) {
        if let Some(classes) = &mut self.classes {
            classes.db_query(class);
        }
    }

    /// Each class's figures after the warm-up, when tracked.
    pub fn class_summaries(&self, end: Time) -> Option<Vec<ClassSummary>> {
        let span = end.saturating_sub(self.warmup_end).max(1);
        Some(self.classes.as_ref()?.summaries(span as f64 / 1e9))
    }

    /// The per-class time series, when tracked (empty otherwise).
    pub fn class_rows(&self) -> &[ClassIntervalRow] {
        self.classes.as_ref().map_or(&[], |c| c.rows())
    }

    /// Counts retries and time-outs of database reads, and adds their
    /// columns to the time series.
    pub fn track_retries(&mut self) {
        self.retries = Some(Box::default());
    }

    /// Adds to the retry counts of the open interval, and to the totals
    /// for a request issued at `issued` after the warm-up.
    #[inline]
    pub fn retry(&mut self, issued: Time, add: impl Fn(&mut RetryCounts)) {
        let counted = issued >= self.warmup_end;
        if let Some(tally) = &mut self.retries {
            add(&mut tally[0]);
            if counted {
                add(&mut tally[1]);
            }
        }
    }

    /// The retry totals after the warm-up, when tracked.
    pub fn retry_totals(&self) -> Option<RetryCounts> {
        self.retries.as_ref().map(|t| t[1])
    }

    /// A get issued at `issued` learnt whether the cache had its object
    /// (`hit`), or went to the database without asking a cache (a miss).
    /// Counted when the outcome is known, not when the request completes,
    /// so that gets still waiting for an overloaded database at the end of
    /// the run do not bias the hit ratio.
    #[inline]
    pub fn outcome(&mut self, class: u16, issued: Time, hit: bool, size: u32) {
        let counted = issued >= self.warmup_end;
        if let Some(classes) = &mut self.classes {
            classes.outcome(class, counted, hit, size);
        }
        self.interval.get(hit, size);
        if counted {
            self.totals.get(hit, size);
        }
    }

    /// The latency of the gets after the warm-up that were answered, summed
    /// (ns).
    pub fn get_latency_ns(&self) -> u64 {
        self.totals.get_time_ns
    }

    /// The gets after the warm-up and their bytes, with the hits and theirs.
    pub fn get_totals(&self) -> (u64, u64, u64, u64) {
        let t = &self.totals;
        (t.gets, t.get_bytes, t.hits, t.hit_bytes)
    }

    /// A request issued at `issued` completed at `now`: its latency goes to
    /// the histograms (totals only if it was issued after the warm-up).
    #[inline]
    pub fn complete(&mut self, request_class: u16, issued: Time, now: Time, class: Class) {
        let latency = (now - issued).clamp(1, self.highest);
        let counted = issued >= self.warmup_end;
        if let Some(classes) = &mut self.classes {
            classes.complete(request_class, counted, latency, class);
        }
        let failed = class == Class::Failed;
        self.interval.request(failed);
        if counted {
            self.totals.request(failed);
            if matches!(class, Class::Hit | Class::Miss) {
                self.totals.get_time_ns = self.totals.get_time_ns.saturating_add(latency);
            }
        }
        self.interval_latency.record(latency);
        // With classes, the run's histograms are the sum of the classes'
        // (see `latency_totals`): each latency is recorded once.
        if counted && self.classes.is_none() {
            match class {
                Class::Hit => self.hits.record(latency),
                Class::Miss => self.misses.record(latency),
                Class::Write | Class::Failed => self.others.record(latency),
            }
        }
    }

    /// A client gave up waiting for a node.
    pub fn timeout(&mut self, issued: Time) {
        self.interval.timeouts += 1;
        if issued >= self.warmup_end {
            self.totals.timeouts += 1;
        }
    }

    /// A node evicted `count` objects at `now`.
    pub fn evictions(&mut self, now: Time, count: usize) {
        self.interval.evictions += count as u64;
        if now >= self.warmup_end {
            self.totals.evictions += count as u64;
        }
    }

    /// A get of `class` issued at `issued` hit a value stale for `age`,
    /// `lag` versions behind.
    pub fn stale_read(&mut self, class: u16, issued: Time, age: Time, lag: u64) {
        if let Some(classes) = &mut self.classes {
            classes.stale_read(class, issued >= self.warmup_end);
        }
        self.consistency.stale_read(issued, age, lag);
    }

    /// A fill reached a node at `now`: stored (a stale set or not), or refused.
    pub fn fill(&mut self, now: Time, stale: bool, refused: bool) {
        self.consistency.fill(now, stale, refused);
    }

    /// A reader of a get issued at `issued` was told to wait for a lease.
    pub fn lease_wait(&mut self, issued: Time) {
        self.consistency.lease_wait(issued);
    }

    /// A reader that had waited for a lease hit.
    pub fn lease_saved(&mut self, issued: Time) {
        self.consistency.lease_saved(issued);
    }

    /// A commit sent an invalidation.
    pub fn invalidation(&mut self, counted: bool, lost: bool) {
        self.consistency.invalidation(counted, lost);
    }

    /// A write committed.
    pub fn write_committed(&mut self, counted: bool) {
        self.consistency.write_committed(counted);
    }

    /// A write-behind write issued at `issued` was lost with its node.
    pub fn write_lost(&mut self, issued: Time) {
        self.consistency.write_lost(issued);
    }

    /// A consistency check after a commit.
    pub fn write_check(&mut self, delay: usize, consistent: bool) {
        self.consistency.write_check(delay, consistent);
    }

    /// The warm-up ends now; `db` is the database's cumulative load.
    pub fn warmup_over(&mut self, db: DbLoad) {
        self.db_at_warmup_end = db;
        if let Some(classes) = &mut self.classes {
            classes.warmup_over();
        }
    }

    /// The rows of the interval that [`Recorder::tick`] is about to close
    /// at `now`, for a run with `[[tiers]]`: `tiers` are the tiers' names
    /// and their counts in the interval, in lookup order; the `shared` row
    /// (`[nodes]`) is what they passed on of the interval's gets, with the
    /// database's load (`db`, cumulative). Call it just before `tick`.
    pub fn tier_interval(&mut self, now: Time, db: DbLoad, tiers: &[(&str, TierCounts)]) {
        let seconds = (now - self.last_tick).max(1) as f64 / 1e9;
        let time_s = now as f64 / 1e9;
        let c = self.interval;
        let total = TierCounts {
            lookups: c.gets,
            hits: c.hits,
            lookup_bytes: c.get_bytes,
            hit_bytes: c.hit_bytes,
            stale_reads: self.consistency.interval_stale_reads,
            evictions: c.evictions,
            time_ns: 0,
        };
        let above: Vec<TierCounts> = tiers.iter().map(|&(_, counts)| counts).collect();
        let db_rps = db.minus(self.db_at_last_tick).queries as f64 / seconds;
        self.tier_rows.extend(
            tiers
                .iter()
                .map(|&(name, counts)| TierIntervalRow::new(time_s, name, counts, seconds, None))
                .chain([TierIntervalRow::new(
                    time_s,
                    "shared",
                    TierCounts::passed_on(total, &above),
                    seconds,
                    Some(db_rps),
                )]),
        );
    }

    /// The per-tier time series so far (empty without `[[tiers]]`).
    pub fn tier_rows(&self) -> &[TierIntervalRow] {
        &self.tier_rows
    }

    /// Closes the interval ending `now`.
    pub fn tick(&mut self, now: Time, db: DbLoad, connections: u32, nodes_up: u32) {
        let span = (now - self.last_tick).max(1);
        let load = db.minus(self.db_at_last_tick);
        let seconds = span as f64 / 1e9;
        let c = self.interval;
        self.interval_latency.flush();
        let interval_latency = self.interval_latency.snapshot();
        self.rows.push(IntervalRow {
            time_s: now as f64 / 1e9,
            offered_rps: None,
            requests: c.requests,
            gets: c.gets,
            hits: c.hits,
            hit_ratio: share(c.hits, c.gets),
            db_rps: load.queries as f64 / seconds,
            db_utilisation: load.busy_ns as f64 / (span as f64 * f64::from(connections)),
            db_queue_mean: load.queue_ns as f64 / span as f64,
            db_rejected: load.rejected,
            timeouts: c.timeouts,
            errors: c.errors,
            evictions: c.evictions,
            p50_ns: (!interval_latency.is_empty()).then(|| interval_latency.value_at_quantile(0.5)),
            p99_ns: (!interval_latency.is_empty())
                .then(|| interval_latency.value_at_quantile(0.99)),
            stale_reads: self.consistency.interval_stale_reads,
            nodes_up,
            ..IntervalRow::default()
        });
        if let (Some(tally), Some(row)) = (&mut self.retries, self.rows.last_mut()) {
            let r = tally[0];
            row.goodput_rps = Some((c.requests - c.errors) as f64 / seconds);
            row.attempt_rps = Some(r.attempts as f64 / seconds);
            row.retries = Some(r.retries);
            row.retry_rps = Some(r.retries as f64 / seconds);
            row.db_timeouts = Some(r.db_timeouts);
            row.fast_failed = Some(r.fast_failed);
            tally[0] = RetryCounts::default();
        }
        if let Some(classes) = &mut self.classes {
            classes.tick(now as f64 / 1e9, seconds);
        }
        self.consistency.interval_stale_reads = 0;
        self.interval = Counts::default();
        self.interval_latency.reset();
        self.last_tick = now;
        self.db_at_last_tick = db;
    }

    /// The time series so far.
    pub fn rows(&self) -> &[IntervalRow] {
        &self.rows
    }

    /// Totals after the warm-up, written into `summary`.
    pub fn fill_summary(
        &self,
        summary: &mut super::Summary,
        end: Time,
        db: DbLoad,
        connections: u32,
        db_queue_max: u64,
    ) {
        let t = self.totals;
        let span = end.saturating_sub(self.warmup_end).max(1);
        let load = db.minus(self.db_at_warmup_end);
        summary.measured_s = span as f64 / 1e9;
        summary.requests = t.requests;
        summary.gets = t.gets;
        summary.hits = t.hits;
        summary.misses = t.gets - t.hits;
        summary.hit_ratio = share(t.hits, t.gets);
        summary.miss_ratio = summary.hit_ratio.map(|h| 1.0 - h);
        summary.byte_hit_ratio = share(t.hit_bytes, t.get_bytes);
        summary.timeouts = t.timeouts;
        summary.errors = t.errors;
        summary.evictions = t.evictions;
        summary.db_queries = load.queries;
        summary.db_rps = load.queries as f64 / summary.measured_s;
        summary.db_utilisation = load.busy_ns as f64 / (span as f64 * f64::from(connections));
        summary.db_queue_mean = load.queue_ns as f64 / span as f64;
        summary.db_queue_max = db_queue_max;
        summary.db_rejected = load.rejected;
        let [all, hits, misses] = self.latency_totals();
        summary.latency_all = latency_summary(&all);
        summary.latency_hits = latency_summary(&hits);
        summary.latency_misses = latency_summary(&misses);
        summary.no_data = no_data_note(t.gets, t.requests);
    }

    /// The latency histograms of all requests, hits and misses after the
    /// warm-up: the run's own, or with classes the sum of the classes'.
    /// All requests' is the sum of the three parts (exact: they share their
    /// bounds), so each latency is recorded once.
    fn latency_totals(&self) -> [Cow<'_, Histogram<u64>>; 3] {
        match &self.classes {
            None => {
                let (hits, misses) = (self.hits.snapshot(), self.misses.snapshot());
                let mut all = self.others.snapshot().into_owned();
                for part in [&hits, &misses] {
                    all.add(part.as_ref())
                        .expect("histograms of the same bounds");
                }
                [Cow::Owned(all), hits, misses]
            }
            Some(classes) => classes.latency_totals(self.highest).map(Cow::Owned),
        }
    }

    /// `latency.csv`: every class at every percentile of [`PERCENTILES`].
    pub fn latency_rows(&self) -> Vec<LatencyRow> {
        let [all, hits, misses] = self.latency_totals();
        latency_rows(&all, &hits, &misses)
    }
}

/// The rows of `latency.csv` for the histograms of all requests, hits and
/// misses: each at every percentile of [`PERCENTILES`], empty where a
/// histogram has no request (a cluster run's and `drive`'s alike).
pub fn latency_rows(
    all: &Histogram<u64>,
    hits: &Histogram<u64>,
    misses: &Histogram<u64>,
) -> Vec<LatencyRow> {
    [("all", all), ("hits", hits), ("misses", misses)]
        .into_iter()
        .flat_map(|(class, h)| {
            PERCENTILES.map(|percentile| LatencyRow {
                class,
                percentile,
                latency_ns: (!h.is_empty()).then(|| h.value_at_percentile(percentile)),
            })
        })
        .collect()
}

/// `part / whole`, or no data when `whole` is 0.
pub(super) fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A class's latencies: no data (count 0, every figure null) when no
/// request of the class completed in the window.
pub(super) fn latency_summary(h: &Histogram<u64>) -> LatencySummary {
    if h.is_empty() {
        return LatencySummary::default();
    }
    LatencySummary {
        count: h.len(),
        mean_ns: Some(h.mean()),
        p50_ns: Some(h.value_at_quantile(0.5)),
        p90_ns: Some(h.value_at_quantile(0.9)),
        p99_ns: Some(h.value_at_quantile(0.99)),
        p999_ns: Some(h.value_at_quantile(0.999)),
        max_ns: Some(h.max()),
    }
}

/// The summary's note on figures without data, if any.
fn no_data_note(gets: u64, requests: u64) -> Option<String> {
    let why = match (gets, requests) {
        (0, 0) => {
            "no request completed and no get was measured after the warm-up: the ratios and latencies are null"
        }
        (0, _) => {
            "no get was measured after the warm-up: hit_ratio, byte_hit_ratio and miss_ratio are null"
        }
        (_, 0) => "no request completed after the warm-up: the latencies are null",
        _ => return None,
    };
    Some(format!("{why} (no data, not 0)"))
}
