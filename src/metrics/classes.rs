//! Per request class: the same figures as the run's totals, restricted to
//! the requests of one class (hits, byte hits, latency, database queries,
//! stale reads), after the warm-up and per interval. Kept only for runs
//! with `[[workload.classes]]`; counted at the very calls that count the
//! totals, with the same warm-up rule, so each figure's classes sum to
//! its total exactly. A class's database queries are those its requests
//! caused: their reads, writes, read-through fetches and write-behind
//! flushes. Each latency is recorded once, in its class's histograms; the
//! run's are their sum.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::recorder::{Class, Counts, latency_summary, share};
use super::runs::RunHistogram;
use super::summary::LatencySummary;
use crate::sim::Time;

/// One class's tallies.
struct Tally {
    totals: Counts,
    interval: Counts,
    /// Latencies of its writes and failures; all of its requests' are
    /// these + hits + misses (see [`Tally::all`]).
    others: RunHistogram,
    hits: RunHistogram,
    misses: RunHistogram,
    interval_latency: RunHistogram,
    /// Database queries its requests caused, since the start.
    db_queries: u64,
    db_at_warmup_end: u64,
    db_at_last_tick: u64,
}

impl Tally {
    /// Latencies of all its requests after the warm-up: the sum of its
    /// parts, exact since they share their bounds.
    fn all(&self) -> Histogram<u64> {
        let mut all = self.others.snapshot().into_owned();
        for part in [&self.hits, &self.misses] {
            all.add(part.snapshot().as_ref())
                .expect("histograms of the same bounds");
        }
        all
    }
}

/// The per-class part of a run's recorder.
pub struct ClassRecorder {
    names: Vec<String>,
    shares: Vec<f64>,
    tallies: Vec<Tally>,
    rows: Vec<ClassIntervalRow>,
}

/// One class's figures after the warm-up: the `classes` list of
/// `summary.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassSummary {
    /// The class's name.
    pub name: String,
    /// Its configured share of the requests.
    pub share: f64,
    /// Its requests issued after the warm-up that completed.
    pub requests: u64,
    /// Its gets whose outcome is known (as the run's `gets`).
    pub gets: u64,
    /// Its gets served from a cache.
    pub hits: u64,
    /// Its gets not served from a cache.
    pub misses: u64,
    /// hits / gets; `None` without a measured get.
    pub hit_ratio: Option<f64>,
    /// Bytes of its hits / bytes of its gets; `None` without a measured get.
    pub byte_hit_ratio: Option<f64>,
    /// Its requests that failed.
    pub errors: u64,
    /// Database queries its requests caused.
    pub db_queries: u64,
    /// Those per simulated second.
    pub db_rps: f64,
    /// Its hits that returned a stale value.
    pub stale_reads: u64,
    /// stale reads / gets; `None` without a measured get.
    pub stale_read_ratio: Option<f64>,
    /// Latency of all its requests.
    pub latency_all: LatencySummary,
    /// Latency of its gets that hit.
    pub latency_hits: LatencySummary,
    /// Latency of its gets that missed.
    pub latency_misses: LatencySummary,
}

/// One row of `classes.csv`: a class's figures, flat.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassRow {
    /// The class's name.
    pub class: String,
    /// Its configured share of the requests.
    pub share: f64,
    /// Its share of the measured requests.
    pub request_share: Option<f64>,
    /// As [`ClassSummary`].
    pub requests: u64,
    /// As [`ClassSummary`].
    pub gets: u64,
    /// As [`ClassSummary`].
    pub hits: u64,
    /// As [`ClassSummary`].
    pub misses: u64,
    /// As [`ClassSummary`].
    pub hit_ratio: Option<f64>,
    /// As [`ClassSummary`].
    pub byte_hit_ratio: Option<f64>,
    /// As [`ClassSummary`].
    pub errors: u64,
    /// As [`ClassSummary`].
    pub db_queries: u64,
    /// As [`ClassSummary`].
    pub db_rps: f64,
    /// Its share of the database queries.
    pub db_share: Option<f64>,
    /// As [`ClassSummary`].
    pub stale_reads: u64,
    /// Mean latency of all its requests.
    pub latency_all_mean_ns: Option<f64>,
    /// Median latency of all its requests.
    pub latency_all_p50_ns: Option<u64>,
    /// 99th percentile of all its requests.
    pub latency_all_p99_ns: Option<u64>,
    /// 99.9th percentile of all its requests.
    pub latency_all_p999_ns: Option<u64>,
    /// Median latency of its hits.
    pub latency_hits_p50_ns: Option<u64>,
    /// 99th percentile of its hits.
    pub latency_hits_p99_ns: Option<u64>,
    /// Median latency of its misses.
    pub latency_misses_p50_ns: Option<u64>,
    /// 99th percentile of its misses.
    pub latency_misses_p99_ns: Option<u64>,
}

/// One interval of one class: a row of `classes-timeseries.csv` (tidy:
/// one row per interval and class; warm-up intervals included).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClassIntervalRow {
    /// End of the interval, simulated seconds.
    pub time_s: f64,
    /// The class's name.
    pub class: String,
    /// Its requests completed in the interval.
    pub requests: u64,
    /// Its gets whose outcome was known in the interval.
    pub gets: u64,
    /// Those that hit.
    pub hits: u64,
    /// hits / gets; empty when no get.
    pub hit_ratio: Option<f64>,
    /// Database queries its requests caused, per second.
    pub db_rps: f64,
    /// Median latency of its requests completed; empty when none.
    pub p50_ns: Option<u64>,
    /// 99th percentile; empty when none.
    pub p99_ns: Option<u64>,
    /// Its failed requests.
    pub errors: u64,
    /// Its stale reads.
    pub stale_reads: u64,
}

/// The counts of `totals` and, when `counted`, of `interval` too.
fn both(tally: &mut Tally, counted: bool, add: impl Fn(&mut Counts)) {
    add(&mut tally.interval);
    if counted {
        add(&mut tally.totals);
    }
}

impl ClassRecorder {
    /// Tallies for classes named `names` with configured `shares`, their
    /// histograms up to `highest` ns.
    pub fn new(names: Vec<String>, shares: Vec<f64>, highest: Time) -> ClassRecorder {
        let histogram = || {
            RunHistogram::new(
                Histogram::new_with_bounds(1, highest, 3).expect("valid histogram bounds"),
            )
        };
        let tallies = names
            .iter()
            .map(|_| Tally {
                totals: Counts::default(),
                interval: Counts::default(),
                others: histogram(),
                hits: histogram(),
                misses: histogram(),
                interval_latency: histogram(),
                db_queries: 0,
                db_at_warmup_end: 0,
                db_at_last_tick: 0,
            })
            .collect();
        ClassRecorder {
            names,
            shares,
            tallies,
            rows: Vec::new(),
        }
    }

    /// A get of `class` learnt its outcome (see [`super::Recorder::outcome`]).
    #[inline]
    pub fn outcome(&mut self, class: u16, counted: bool, hit: bool, size: u32) {
        both(&mut self.tallies[class as usize], counted, |c| {
            c.get(hit, size);
        });
    }

    /// A request of `class` completed with `latency`.
    #[inline]
    pub fn complete(&mut self, class: u16, counted: bool, latency: Time, outcome: Class) {
        let tally = &mut self.tallies[class as usize];
        both(tally, counted, |c| c.request(outcome == Class::Failed));
        tally.interval_latency.record(latency);
        if counted {
            match outcome {
                Class::Hit => tally.hits.record(latency),
                Class::Miss => tally.misses.record(latency),
                Class::Write | Class::Failed => tally.others.record(latency),
            }
        }
    }

    /// A hit of `class` returned a stale value.
    pub fn stale_read(&mut self, class: u16, counted: bool) {
        both(&mut self.tallies[class as usize], counted, |c| {
            c.stale_reads += 1;
        });
    }

    /// A query caused by a request of `class` reached the database.
    #[inline]
    pub fn db_query(&mut self, class: u16) {
        self.tallies[class as usize].db_queries += 1;
    }

    /// The warm-up ends now.
    pub fn warmup_over(&mut self) {
        for t in &mut self.tallies {
            t.db_at_warmup_end = t.db_queries;
        }
    }

    /// Closes the interval ending at `time_s`, `seconds` long.
    pub fn tick(&mut self, time_s: f64, seconds: f64) {
        for (name, t) in self.names.iter().zip(&mut self.tallies) {
            let c = t.interval;
            t.interval_latency.flush();
            let h = t.interval_latency.snapshot();
            self.rows.push(ClassIntervalRow {
                time_s,
                class: name.clone(),
                requests: c.requests,
                gets: c.gets,
                hits: c.hits,
                hit_ratio: share(c.hits, c.gets),
                db_rps: (t.db_queries - t.db_at_last_tick) as f64 / seconds,
                p50_ns: (!h.is_empty()).then(|| h.value_at_quantile(0.5)),
                p99_ns: (!h.is_empty()).then(|| h.value_at_quantile(0.99)),
                errors: c.errors,
                stale_reads: c.stale_reads,
            });
            t.interval = Counts::default();
            t.interval_latency.reset();
            t.db_at_last_tick = t.db_queries;
        }
    }

    /// The sums over the classes of their histograms of all requests, hits
    /// and misses (up to `highest` ns): the run's.
    pub fn latency_totals(&self, highest: Time) -> [Histogram<u64>; 3] {
        let mut sums = [(); 3]
            .map(|()| Histogram::new_with_bounds(1, highest, 3).expect("valid histogram bounds"));
        for t in &self.tallies {
            for (sum, h) in sums.iter_mut().zip([&t.others, &t.hits, &t.misses]) {
                sum.add(h.snapshot().as_ref())
                    .expect("histograms of the same bounds");
            }
        }
        let [mut all, hits, misses] = sums;
        for part in [&hits, &misses] {
            all.add(part).expect("histograms of the same bounds");
        }
        [all, hits, misses]
    }

    /// The time series so far, interval by interval, classes in file order.
    pub fn rows(&self) -> &[ClassIntervalRow] {
        &self.rows
    }

    /// Each class's figures after the warm-up, over `measured_s` seconds.
    pub fn summaries(&self, measured_s: f64) -> Vec<ClassSummary> {
        self.names
            .iter()
            .zip(&self.shares)
            .zip(&self.tallies)
            .map(|((name, &share_of), t)| {
                let c = t.totals;
                let db_queries = t.db_queries - t.db_at_warmup_end;
                ClassSummary {
                    name: name.clone(),
                    share: share_of,
                    requests: c.requests,
                    gets: c.gets,
                    hits: c.hits,
                    misses: c.gets - c.hits,
                    hit_ratio: share(c.hits, c.gets),
                    byte_hit_ratio: share(c.hit_bytes, c.get_bytes),
                    errors: c.errors,
                    db_queries,
                    db_rps: db_queries as f64 / measured_s,
                    stale_reads: c.stale_reads,
                    stale_read_ratio: share(c.stale_reads, c.gets),
                    latency_all: latency_summary(&t.all()),
                    latency_hits: latency_summary(&t.hits.snapshot()),
                    latency_misses: latency_summary(&t.misses.snapshot()),
                }
            })
            .collect()
    }
}

/// The rows of `classes.csv`, from the summaries of every class.
pub fn class_rows(classes: &[ClassSummary]) -> Vec<ClassRow> {
    let requests: u64 = classes.iter().map(|c| c.requests).sum();
    let queries: u64 = classes.iter().map(|c| c.db_queries).sum();
    classes
        .iter()
        .map(|c| ClassRow {
            class: c.name.clone(),
            share: c.share,
            request_share: share(c.requests, requests),
            requests: c.requests,
            gets: c.gets,
            hits: c.hits,
            misses: c.misses,
            hit_ratio: c.hit_ratio,
            byte_hit_ratio: c.byte_hit_ratio,
            errors: c.errors,
            db_queries: c.db_queries,
            db_rps: c.db_rps,
            db_share: share(c.db_queries, queries),
            stale_reads: c.stale_reads,
            latency_all_mean_ns: c.latency_all.mean_ns,
            latency_all_p50_ns: c.latency_all.p50_ns,
            latency_all_p99_ns: c.latency_all.p99_ns,
            latency_all_p999_ns: c.latency_all.p999_ns,
            latency_hits_p50_ns: c.latency_hits.p50_ns,
            latency_hits_p99_ns: c.latency_hits.p99_ns,
            latency_misses_p50_ns: c.latency_misses.p50_ns,
            latency_misses_p99_ns: c.latency_misses.p99_ns,
        })
        .collect()
}
