//! An output checker: every property a run's output must have, checked from
//! outside the model, as TigerBeetle's simulator checks its replicas. The
//! fuzz tests run it after every generated scenario; a violation is a bug in
//! the model or in the metrics, never in the scenario.
//!
//! Two clocks count differently, and the sums below follow them:
//! - *by issue time*: the summary's requests, gets, hits, misses, timeouts,
//!   errors, latencies, stale reads, lease waits (a request issued in the
//!   warm-up is never counted, whenever it completes);
//! - *by event time*: the summary's evictions, database load and fills, every
//!   per-node count (reset when the warm-up ends) and every time-series row
//!   (warm-up intervals included, whatever the issue time).
//!
//! So the time series adds up to the summary only without a warm-up, and the
//! event-time counts (evictions, rejected queries) add up with one too, over
//! the rows after it, when the warm-up is a whole number of intervals.

mod classes;

use std::fmt;

use crate::cluster::RunOutput;
use crate::metrics::columns::{COLUMNS, Needs};
use crate::metrics::{IntervalRow, LatencySummary, NodeRow, Summary, recorder::PERCENTILES};
use crate::scenario::Scenario;
use crate::scenario::config::Load;
use crate::scenario::file::{FailureAction, OnFailure, Pattern, WritePolicy};

/// Slack for shares and utilisations computed in floating point.
const EPSILON: f64 = 1e-9;

/// One property a run's output does not have.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// Which property (a short stable name, e.g. `hits+misses=gets`).
    pub property: &'static str,
    /// The values that break it.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.property, self.detail)
    }
}

/// Every property of `output`, the output of a run of `scenario`, that does
/// not hold; empty when the output is sound.
pub fn check(scenario: &Scenario, output: &RunOutput) -> Vec<Violation> {
    let mut c = Checker {
        scenario,
        found: Vec::new(),
    };
    c.summary(&output.summary);
    c.latency(&output.summary);
    c.latency_rows(output);
    c.consistency(&output.summary);
    c.series(&output.summary, &output.series);
    c.nodes(&output.summary, &output.nodes);
    c.failures(&output.summary);
    c.retries(&output.summary);
    c.classes(output);
    c.found
}

/// A count: its name, its column in the time series, its summary total.
type Column = (&'static str, fn(&IntervalRow) -> u64, u64);

struct Checker<'a> {
    scenario: &'a Scenario,
    found: Vec<Violation>,
}

fn share_of(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= EPSILON * a.abs().max(b.abs()).max(1.0)
}

impl Checker<'_> {
    fn ensure(&mut self, ok: bool, property: &'static str, detail: impl FnOnce() -> String) {
        if !ok {
            self.found.push(Violation {
                property,
                detail: detail(),
            });
        }
    }

    fn finite(&mut self, values: &[(&str, f64)]) {
        for &(name, value) in values {
            self.ensure(value.is_finite(), "finite", || format!("{name} = {value}"));
        }
    }

    /// A ratio `part / whole` that is no data exactly when `whole` is 0,
    /// and otherwise in [0, 1] and equal to the quotient.
    fn measured_ratio(&mut self, name: &str, value: Option<f64>, part: u64, whole: u64, at: &str) {
        match value {
            None => self.ensure(
                whole == 0,
                "a ratio is no data exactly when nothing was measured",
                || format!("{at}{name} is empty with {whole} measured"),
            ),
            Some(value) => {
                self.finite(&[(name, value)]);
                self.ratio(name, value);
                let quotient = share_of(part, whole);
                self.ensure(
                    whole > 0 && close(value, quotient),
                    "hit_ratio=hits/gets, no data when no gets",
                    || format!("{at}{name} = {value}, {part}/{whole}"),
                );
            }
        }
    }

    fn ratio(&mut self, name: &str, value: f64) {
        self.ensure((0.0..=1.0).contains(&value), "ratio in [0, 1]", || {
            format!("{name} = {value}")
        });
    }

    fn main_nodes(&self) -> usize {
        let f = &self.scenario.file;
        if f.cache.pattern == Pattern::None {
            return 0;
        }
        let added = f
            .failures
            .iter()
            .filter(|e| e.action == FailureAction::Add)
            .count();
        f.nodes.count as usize + added
    }

    fn gutter_nodes(&self) -> usize {
        let c = &self.scenario.file.cache;
        if c.pattern != Pattern::None && c.on_failure == OnFailure::Gutter {
            c.gutter_nodes as usize
        } else {
            0
        }
    }

    fn summary(&mut self, s: &Summary) {
        self.finite(&[
            ("measured_s", s.measured_s),
            ("db_rps", s.db_rps),
            ("db_utilisation", s.db_utilisation),
            ("db_queue_mean", s.db_queue_mean),
            ("load_imbalance", s.load_imbalance),
        ]);
        self.columns(s);
        self.ensure(s.hits <= s.gets, "hits<=gets", || {
            format!("hits {} > gets {}", s.hits, s.gets)
        });
        self.ensure(
            s.hits.checked_add(s.misses) == Some(s.gets),
            "hits+misses=gets",
            || format!("{} + {} != {}", s.hits, s.misses, s.gets),
        );
        if let Some(hit_ratio) = s.hit_ratio {
            let expected = share_of(s.hits, s.gets);
            self.ensure(close(hit_ratio, expected), "hit_ratio=hits/gets", || {
                format!("{hit_ratio} != {expected}")
            });
        }
        if let (Some(hit_ratio), Some(miss_ratio)) = (s.hit_ratio, s.miss_ratio) {
            self.ensure(
                close(miss_ratio, 1.0 - hit_ratio),
                "miss_ratio=1-hit_ratio",
                || format!("{miss_ratio} != 1 - {hit_ratio}"),
            );
        }
        if let Some(byte_hit_ratio) = s.byte_hit_ratio {
            self.ensure(
                (s.hits == 0) == (byte_hit_ratio == 0.0),
                "byte_hit_ratio>0 iff hits>0",
                || format!("hits {}, byte_hit_ratio {byte_hit_ratio}", s.hits),
            );
        }
        self.ensure(
            s.no_data.is_some() == (s.gets == 0 || s.requests == 0),
            "no_data note iff a figure has no data",
            || {
                format!(
                    "gets {}, requests {}, note {:?}",
                    s.gets, s.requests, s.no_data
                )
            },
        );
        self.ensure(s.errors <= s.requests, "errors<=requests", || {
            format!("errors {} > requests {}", s.errors, s.requests)
        });
        let f = &self.scenario.file;
        let measured = (f.duration.0 - f.warmup.0) as f64 / 1e9;
        self.ensure(
            close(s.measured_s, measured),
            "measured_s=duration-warmup",
            || format!("{} != {measured}", s.measured_s),
        );
        self.database(s);
        if f.cache.pattern == Pattern::None {
            self.ensure(s.hits == 0 && s.evictions == 0, "no cache, no hits", || {
                format!("hits {}, evictions {}", s.hits, s.evictions)
            });
        }
        if f.failures.is_empty() && f.random_failures.is_none() {
            self.ensure(s.timeouts == 0, "no failures, no timeouts", || {
                format!("timeouts {}", s.timeouts)
            });
        }
    }

    /// Every column of the table: a value exactly when the window has the
    /// data it needs (no data is `None`, never 0), finite, and ratios in
    /// [0, 1].
    fn columns(&mut self, s: &Summary) {
        for c in COLUMNS {
            let value = (c.value)(s);
            self.ensure(
                value.is_some() == c.needs.met_by(s),
                "a value exactly when there is data",
                || {
                    format!(
                        "{} = {value:?} with gets {}, completed requests {}",
                        c.name, s.gets, s.latency_all.count
                    )
                },
            );
            let Some(value) = value else { continue };
            self.finite(&[(c.name, value)]);
            if c.needs == Needs::Gets {
                self.ratio(c.name, value);
            }
        }
    }

    fn database(&mut self, s: &Summary) {
        self.ensure(
            (0.0..=1.0 + EPSILON).contains(&s.db_utilisation),
            "utilisation<=1",
            || format!("db_utilisation = {}", s.db_utilisation),
        );
        self.ensure(
            s.db_queue_mean >= 0.0 && s.db_queue_mean <= s.db_queue_max as f64 + EPSILON,
            "0<=db_queue_mean<=db_queue_max",
            || format!("mean {}, max {}", s.db_queue_mean, s.db_queue_max),
        );
        self.ensure(
            s.db_rejected <= s.db_queries,
            "db_rejected<=db_queries",
            || format!("{} > {}", s.db_rejected, s.db_queries),
        );
        let rps = s.db_queries as f64 / s.measured_s;
        self.ensure(close(s.db_rps, rps), "db_rps=db_queries/measured_s", || {
            format!("{} != {rps}", s.db_rps)
        });
        if self.scenario.file.database.queue_limit.is_none() {
            self.ensure(s.db_rejected == 0, "no queue limit, no rejections", || {
                format!("db_rejected {}", s.db_rejected)
            });
        }
    }

    fn latency_class(&mut self, class: &str, l: &LatencySummary) {
        if l.count == 0 {
            self.ensure(
                *l == LatencySummary::default(),
                "an empty latency class is no data (null), never 0",
                || format!("{class}: {l:?}"),
            );
            return;
        }
        let order = [l.p50_ns, l.p90_ns, l.p99_ns, l.p999_ns, l.max_ns];
        let (Some(mean), Some(order), Some(max)) = (
            l.mean_ns,
            order.into_iter().collect::<Option<Vec<u64>>>(),
            l.max_ns,
        ) else {
            self.ensure(false, "a class with requests has every figure", || {
                format!("{class}: {l:?}")
            });
            return;
        };
        self.finite(&[(class, mean)]);
        self.ensure(order.is_sorted(), "p50<=p90<=p99<=p999<=max", || {
            format!("{class}: {order:?}")
        });
        self.ensure(
            order[0] >= 1 && mean >= 1.0 && mean <= max as f64,
            "1<=mean<=max",
            || format!("{class}: {l:?}"),
        );
    }

    fn latency(&mut self, s: &Summary) {
        self.latency_class("latency_all", &s.latency_all);
        self.latency_class("latency_hits", &s.latency_hits);
        self.latency_class("latency_misses", &s.latency_misses);
        self.ensure(
            s.latency_all.count == s.requests,
            "latency_all.count=requests",
            || format!("{} != {}", s.latency_all.count, s.requests),
        );
        let classified = s.latency_hits.count + s.latency_misses.count + s.errors;
        self.ensure(
            classified <= s.requests,
            "hit+miss+failed completions<=requests",
            || format!("{classified} > {}", s.requests),
        );
        if self.scenario.cluster.workload.op_mix[0] == 1.0 {
            self.ensure(
                classified == s.requests,
                "no writes: hit+miss+failed completions=requests",
                || format!("{classified} != {}", s.requests),
            );
        }
    }

    fn latency_rows(&mut self, output: &RunOutput) {
        let s = &output.summary;
        for (class, summary) in [
            ("all", &s.latency_all),
            ("hits", &s.latency_hits),
            ("misses", &s.latency_misses),
        ] {
            let rows: Vec<_> = output.latency.iter().filter(|r| r.class == class).collect();
            let percentiles: Vec<f64> = rows.iter().map(|r| r.percentile).collect();
            self.ensure(percentiles == PERCENTILES, "latency rows per class", || {
                format!("{class}: {percentiles:?}")
            });
            let values: Vec<Option<u64>> = rows.iter().map(|r| r.latency_ns).collect();
            self.ensure(values.is_sorted(), "latency rows monotone", || {
                format!("{class}: {values:?}")
            });
            let (median, max) = (values.first().copied(), values.last().copied());
            self.ensure(
                median == Some(summary.p50_ns) && max == Some(summary.max_ns),
                "latency rows match the summary",
                || format!("{class}: rows {values:?}, summary {summary:?}"),
            );
        }
    }

    /// Retries: present exactly when on; no more attempts than the policy
    /// allows; no more retries than the budget holds.
    fn retries(&mut self, s: &Summary) {
        let c = &self.scenario.cluster;
        let on = c.retry.is_some() || c.database.timeout.is_some();
        self.ensure(
            s.retries.is_some() == on,
            "retries reported when on",
            || format!("{:?}", s.retries),
        );
        let Some(r) = &s.retries else {
            return;
        };
        let most = c.retry.map_or(1, |p| p.max_attempts);
        self.ensure(
            r.retries <= r.attempts && r.attempts <= u64::from(most) * r.reads,
            "attempts<=max_attempts*reads",
            || format!("{r:?}, max_attempts {most}"),
        );
        if let Some(budget) = c.retry.and_then(|p| p.budget) {
            let cap = budget.ratio * r.reads as f64 + budget.tokens;
            self.ensure(r.retries as f64 <= cap + 1.0, "retries<=budget", || {
                format!("{} retries, budget {cap}", r.retries)
            });
        }
        if c.retry.and_then(|p| p.breaker).is_none() {
            self.ensure(
                r.fast_failed == 0 && r.breaker_opened == 0,
                "no breaker",
                || format!("{r:?}"),
            );
        }
    }

    fn consistency(&mut self, s: &Summary) {
        let k = &s.consistency;
        let checks = [
            ("consistent_1s", k.consistent_1s, 1.0),
            ("consistent_10s", k.consistent_10s, 10.0),
            ("consistent_60s", k.consistent_60s, 60.0),
            ("consistent_300s", k.consistent_300s, 300.0),
        ];
        self.finite(&[
            ("staleness_p50_ms", k.staleness_p50_ms),
            ("staleness_p99_ms", k.staleness_p99_ms),
            ("staleness_max_ms", k.staleness_max_ms),
            ("version_lag_mean", k.version_lag_mean),
            ("stale_set_ratio", k.stale_set_ratio),
        ]);
        self.ratio("stale_set_ratio", k.stale_set_ratio);
        for (name, value, delay_s) in checks {
            if let Some(value) = value {
                self.ratio(name, value);
                self.ensure(
                    k.writes > 0 && s.measured_s >= delay_s,
                    "consistency checked only after a write, within the run",
                    || format!("{name} = {value}, writes {}", k.writes),
                );
            }
        }
        self.ensure(k.stale_reads <= s.hits, "stale_reads<=hits", || {
            format!("{} > {}", k.stale_reads, s.hits)
        });
        self.ensure(
            k.stale_read_ratio.is_some() == (s.gets > 0),
            "a value exactly when there is data",
            || {
                format!(
                    "stale_read_ratio = {:?} with gets {}",
                    k.stale_read_ratio, s.gets
                )
            },
        );
        if let Some(stale_read_ratio) = k.stale_read_ratio {
            self.finite(&[("stale_read_ratio", stale_read_ratio)]);
            self.ratio("stale_read_ratio", stale_read_ratio);
            let ratio = share_of(k.stale_reads, s.gets);
            self.ensure(
                close(stale_read_ratio, ratio),
                "stale_read_ratio=stale_reads/gets",
                || format!("{stale_read_ratio} != {ratio}"),
            );
        }
        self.ensure(k.stale_sets <= k.fills, "stale_sets<=fills", || {
            format!("{} > {}", k.stale_sets, k.fills)
        });
        let ratio = share_of(k.stale_sets, k.fills);
        self.ensure(
            close(k.stale_set_ratio, ratio),
            "stale_set_ratio=stale_sets/fills",
            || format!("{} != {ratio}", k.stale_set_ratio),
        );
        self.ensure(
            k.invalidations_lost <= k.invalidations,
            "invalidations_lost<=invalidations",
            || format!("{} > {}", k.invalidations_lost, k.invalidations),
        );
        self.ensure(
            k.lease_db_reads_saved <= k.lease_waits,
            "lease_db_reads_saved<=lease_waits",
            || format!("{} > {}", k.lease_db_reads_saved, k.lease_waits),
        );
        let ages = [k.staleness_p50_ms, k.staleness_p99_ms, k.staleness_max_ms];
        self.ensure(ages.is_sorted(), "staleness p50<=p99<=max", || {
            format!("{ages:?}")
        });
        if k.stale_reads == 0 {
            self.ensure(
                ages == [0.0; 3] && k.version_lag_mean == 0.0 && k.version_lag_max == 0,
                "no stale read, no staleness",
                || format!("{k:?}"),
            );
        } else {
            self.ensure(
                k.version_lag_mean >= 1.0 && k.version_lag_mean <= k.version_lag_max as f64,
                "1<=version_lag_mean<=version_lag_max",
                || format!("mean {}, max {}", k.version_lag_mean, k.version_lag_max),
            );
        }
        self.consistency_by_settings(s);
    }

    /// What the settings rule out: writes without a write share, leases
    /// without leases, lost writes without write-behind.
    fn consistency_by_settings(&mut self, s: &Summary) {
        let k = &s.consistency;
        let f = &self.scenario.file;
        if self.scenario.cluster.workload.op_mix[0] == 1.0 {
            self.ensure(
                k.writes == 0 && k.stale_reads == 0 && k.invalidations == 0,
                "no writes, no versions",
                || format!("{k:?}"),
            );
        }
        if !f.consistency.leases {
            self.ensure(
                k.lease_waits == 0 && k.lease_refused_sets == 0,
                "no leases, no lease waits",
                || format!("{k:?}"),
            );
        }
        if f.consistency.write_policy != WritePolicy::WriteBehind {
            self.ensure(k.writes_lost == 0, "only write-behind loses writes", || {
                format!("writes_lost {}", k.writes_lost)
            });
        }
        if f.consistency.write_policy != WritePolicy::Invalidate {
            self.ensure(k.invalidations == 0, "only invalidate invalidates", || {
                format!("invalidations {}", k.invalidations)
            });
        }
    }

    fn series(&mut self, s: &Summary, rows: &[IntervalRow]) {
        let f = &self.scenario.file;
        let (duration, interval) = (f.duration.0, f.interval.0);
        let expected = duration.div_ceil(interval);
        self.ensure(
            rows.len() as u64 == expected,
            "one row per interval",
            || format!("{} rows, expected {expected}", rows.len()),
        );
        let times: Vec<f64> = rows.iter().map(|r| r.time_s).collect();
        self.ensure(times.is_sorted(), "rows in time order", || {
            format!("{times:?}")
        });
        let last = times.last().copied().unwrap_or(0.0);
        self.ensure(
            close(last, duration as f64 / 1e9),
            "last row ends the run",
            || format!("last row at {last} s"),
        );
        let nodes = self.main_nodes() as u32;
        for (i, r) in rows.iter().enumerate() {
            self.row(i, r, nodes);
        }
        self.offered(rows);
        self.series_sums(s, rows);
    }

    /// The offered load is a column exactly when the clients follow a
    /// schedule, and lies between zero and the schedule's peak.
    fn offered(&mut self, rows: &[IntervalRow]) {
        let peak = match &self.scenario.cluster.clients.load {
            Load::Scheduled { schedule } => Some(schedule.peak()),
            _ => None,
        };
        for (i, r) in rows.iter().enumerate() {
            self.ensure(
                r.offered_rps.is_some() == peak.is_some(),
                "offered_rps exactly when the rate follows a schedule",
                || format!("row {i} (t={} s): {:?}", r.time_s, r.offered_rps),
            );
            if let (Some(offered), Some(peak)) = (r.offered_rps, peak) {
                self.ensure(
                    offered.is_finite() && (0.0..=peak * (1.0 + EPSILON)).contains(&offered),
                    "0<=offered_rps<=the schedule's peak",
                    || format!("row {i} (t={} s): {offered}, peak {peak}", r.time_s),
                );
            }
        }
    }

    fn row(&mut self, i: usize, r: &IntervalRow, nodes: u32) {
        let at = |what: &str| format!("row {i} (t={} s): {what}", r.time_s);
        self.finite(&[
            ("timeseries.time_s", r.time_s),
            ("timeseries.db_rps", r.db_rps),
            ("timeseries.db_utilisation", r.db_utilisation),
            ("timeseries.db_queue_mean", r.db_queue_mean),
        ]);
        self.ensure(r.hits <= r.gets, "hits<=gets", || {
            at(&format!("{} > {}", r.hits, r.gets))
        });
        self.measured_ratio("timeseries.hit_ratio", r.hit_ratio, r.hits, r.gets, &at(""));
        self.ensure(r.p50_ns <= r.p99_ns, "p50<=p99", || {
            at(&format!("{:?} > {:?}", r.p50_ns, r.p99_ns))
        });
        self.ensure(
            r.p50_ns.is_some() == r.p99_ns.is_some(),
            "p50 and p99 both data or neither",
            || at(&format!("{:?}, {:?}", r.p50_ns, r.p99_ns)),
        );
        self.ensure(
            (0.0..=1.0 + EPSILON).contains(&r.db_utilisation),
            "utilisation<=1",
            || at(&format!("db_utilisation = {}", r.db_utilisation)),
        );
        self.ensure(
            r.db_queue_mean >= 0.0 && r.db_rps >= 0.0,
            "db load >= 0",
            || at(&format!("{r:?}")),
        );
        self.ensure(r.nodes_up <= nodes, "nodes_up<=nodes", || {
            at(&format!("{} > {nodes}", r.nodes_up))
        });
        self.ensure(r.stale_reads <= r.hits, "stale_reads<=hits", || {
            at(&format!("{} > {}", r.stale_reads, r.hits))
        });
    }

    /// Without a warm-up every count of the summary is the sum of its
    /// column; with one, only the event-time counts are, over the rows after
    /// it (when it ends on an interval boundary), and the issue-time counts
    /// are at most the sum of all rows.
    fn series_sums(&mut self, s: &Summary, rows: &[IntervalRow]) {
        let f = &self.scenario.file;
        let (warmup, interval) = (f.warmup.0, f.interval.0);
        let sum = |column: fn(&IntervalRow) -> u64, from_s: f64| -> u64 {
            rows.iter()
                .filter(|r| r.time_s > from_s + 1e-12)
                .map(column)
                .sum()
        };
        let issue_time: [Column; 6] = [
            ("requests", |r| r.requests, s.requests),
            ("gets", |r| r.gets, s.gets),
            ("hits", |r| r.hits, s.hits),
            ("timeouts", |r| r.timeouts, s.timeouts),
            ("errors", |r| r.errors, s.errors),
            ("stale_reads", |r| r.stale_reads, s.consistency.stale_reads),
        ];
        for (name, column, total) in issue_time {
            let rows_total = sum(column, f64::NEG_INFINITY);
            if warmup == 0 {
                self.ensure(
                    rows_total == total,
                    "timeseries sums to the summary",
                    || format!("{name}: rows {rows_total}, summary {total}"),
                );
            } else {
                self.ensure(total <= rows_total, "summary <= timeseries sum", || {
                    format!("{name}: rows {rows_total}, summary {total}")
                });
            }
        }
        if warmup % interval != 0 {
            return;
        }
        let from = warmup as f64 / 1e9;
        let event_time: [Column; 2] = [
            ("evictions", |r| r.evictions, s.evictions),
            ("db_rejected", |r| r.db_rejected, s.db_rejected),
        ];
        for (name, column, total) in event_time {
            let rows_total = sum(column, from);
            self.ensure(
                rows_total == total,
                "timeseries sums to the summary",
                || format!("{name}: rows after the warm-up {rows_total}, summary {total}"),
            );
        }
    }

    fn nodes(&mut self, s: &Summary, nodes: &[NodeRow]) {
        let (main, gutter) = (self.main_nodes(), self.gutter_nodes());
        let names: Vec<String> = (0..main)
            .map(|i| i.to_string())
            .chain((0..gutter).map(|i| format!("gutter-{i}")))
            .collect();
        let got: Vec<&str> = nodes.iter().map(|n| n.node.as_str()).collect();
        self.ensure(got == names, "one row per node", || {
            format!("{got:?}, expected {names:?}")
        });
        let capacity = self.scenario.file.nodes.capacity.0;
        let mean =
            nodes.iter().take(main).map(|n| n.requests).sum::<u64>() as f64 / main.max(1) as f64;
        for n in nodes {
            self.node(n, capacity, mean);
        }
        let max_share = nodes
            .iter()
            .take(main)
            .map(|n| n.load_share)
            .fold(0.0, f64::max);
        self.ensure(
            close(s.load_imbalance, max_share),
            "load_imbalance=max load_share",
            || format!("{} != {max_share}", s.load_imbalance),
        );
        self.ensure(
            s.load_imbalance <= main.max(1) as f64 + EPSILON,
            "load_imbalance<=nodes",
            || format!("{} > {main}", s.load_imbalance),
        );
        let evictions: u64 = nodes.iter().map(|n| n.evictions).sum();
        self.ensure(
            evictions == s.evictions,
            "node evictions sum to the summary",
            || format!("nodes {evictions}, summary {}", s.evictions),
        );
        if self.scenario.file.warmup.0 == 0 {
            let hits: u64 = nodes.iter().map(|n| n.hits).sum();
            self.ensure(hits <= s.hits, "node hits <= summary hits", || {
                format!("nodes {hits}, summary {}", s.hits)
            });
        }
    }

    fn node(&mut self, n: &NodeRow, capacity: u64, mean: f64) {
        let at = |what: String| format!("node {}: {what}", n.node);
        self.finite(&[("nodes.load_share", n.load_share)]);
        self.ensure(
            n.hits <= n.gets && n.gets <= n.requests,
            "hits<=gets<=requests",
            || at(format!("{} {} {}", n.hits, n.gets, n.requests)),
        );
        self.measured_ratio(
            "nodes.hit_ratio",
            n.hit_ratio,
            n.hits,
            n.gets,
            &at(String::new()),
        );
        self.ensure(n.bytes_used <= capacity, "bytes_used<=capacity", || {
            at(format!("{} > {capacity}", n.bytes_used))
        });
        self.ensure(
            n.objects <= n.bytes_used && (n.objects == 0) == (n.bytes_used == 0),
            "objects<=bytes_used, both zero or neither",
            || at(format!("objects {}, bytes {}", n.objects, n.bytes_used)),
        );
        let share = if mean > 0.0 {
            n.requests as f64 / mean
        } else {
            0.0
        };
        self.ensure(
            close(n.load_share, share),
            "load_share=requests/mean",
            || at(format!("{} != {share}", n.load_share)),
        );
    }

    fn failures(&mut self, s: &Summary) {
        let f = &self.scenario.file;
        let duration_s = f.duration.0 as f64 / 1e9;
        let times: Vec<f64> = s.failures.iter().map(|e| e.time_s).collect();
        self.ensure(times.is_sorted(), "failure events in time order", || {
            format!("{times:?}")
        });
        let scheduled = s
            .failures
            .iter()
            .filter(|e| !e.action.starts_with("detected"))
            .count();
        let expected = f.failures.len();
        let ok = if f.random_failures.is_some() {
            scheduled >= expected
        } else {
            scheduled == expected
        };
        self.ensure(ok, "one failure event per scheduled failure", || {
            format!("{scheduled} events, {expected} scheduled")
        });
        for e in &s.failures {
            let at = |what: &str| format!("{} at {} s: {what}", e.action, e.time_s);
            self.finite(&[
                ("failures.db_rps_before", e.db_rps_before),
                ("failures.db_rps_peak", e.db_rps_peak),
                ("failures.db_raised_s", e.db_raised_s),
                ("failures.hit_ratio_before", e.hit_ratio_before),
                ("failures.hit_ratio_min", e.hit_ratio_min),
                ("failures.keys_moved", e.keys_moved.unwrap_or(0.0)),
                ("failures.recovery_90_s", e.recovery_90_s.unwrap_or(0.0)),
            ]);
            self.ratio("failures.hit_ratio_before", e.hit_ratio_before);
            self.ratio("failures.hit_ratio_min", e.hit_ratio_min);
            self.ratio("failures.keys_moved", e.keys_moved.unwrap_or(0.0));
            self.ensure(
                (0.0..=duration_s).contains(&e.time_s),
                "failure events within the run",
                || at("outside"),
            );
            self.ensure(
                e.db_rps_before >= 0.0
                    && e.db_rps_peak >= 0.0
                    && e.db_raised_s >= 0.0
                    && e.recovery_90_s.is_none_or(|r| r >= 0.0),
                "failure impacts >= 0",
                || at(&format!("{e:?}")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::simulate;
    use crate::scenario::ScenarioFile;

    const SCENARIO: &str = r#"
        duration = "2s"
        interval = "500ms"
        [workload]
        keys = 500
        object_size = "100B"
        get = 0.9
        set = 0.1
        [clients]
        rate = 2000
        [nodes]
        count = 2
        capacity = "10KB"
        [[failures]]
        at = "1s"
        action = "crash"
        node = 1
    "#;

    fn run() -> (Scenario, RunOutput) {
        let file: ScenarioFile = toml::from_str(SCENARIO).unwrap();
        let scenario = Scenario::new("t".into(), "base".into(), file, ".".as_ref()).unwrap();
        let output = simulate(&scenario.cluster, &mut |_| {}).unwrap();
        (scenario, output)
    }

    fn properties(scenario: &Scenario, output: &RunOutput) -> Vec<&'static str> {
        check(scenario, output).iter().map(|v| v.property).collect()
    }

    #[test]
    fn a_real_run_passes() {
        let (scenario, output) = run();
        assert!(output.summary.hits > 0 && output.summary.evictions > 0);
        assert_eq!(check(&scenario, &output), []);
    }

    #[test]
    fn an_empty_window_passes_as_no_data() {
        // So few requests that none is issued after the warm-up.
        let text = SCENARIO.replace("rate = 2000", "rate = 0.01");
        let file: ScenarioFile = toml::from_str(&text).unwrap();
        let scenario = Scenario::new("t".into(), "empty".into(), file, ".".as_ref()).unwrap();
        let output = simulate(&scenario.cluster, &mut |_| {}).unwrap();
        let s = &output.summary;
        assert_eq!((s.requests, s.gets), (0, 0));
        assert_eq!(
            (s.hit_ratio, s.miss_ratio, s.latency_all.p99_ns),
            (None, None, None)
        );
        assert_eq!(s.consistency.stale_read_ratio, None);
        assert!(output.latency.iter().all(|r| r.latency_ns.is_none()));
        assert_eq!(check(&scenario, &output), []);
        // A 0 where there is no data is caught.
        let mut zero = output.clone();
        zero.summary.hit_ratio = Some(0.0);
        assert_eq!(
            properties(&scenario, &zero),
            ["a value exactly when there is data"]
        );
    }

    #[test]
    fn corrupted_summaries_are_caught() {
        let (scenario, clean) = run();
        let corrupt = |change: fn(&mut RunOutput)| {
            let mut output = clean.clone();
            change(&mut output);
            properties(&scenario, &output)
        };
        // One more miss than gets: hits + misses no longer add up.
        let found = corrupt(|o| o.summary.misses += 1);
        assert_eq!(found, ["hits+misses=gets"]);
        // A NaN ratio is not finite, not a ratio, and not hits / gets.
        let found = corrupt(|o| o.summary.hit_ratio = Some(f64::NAN));
        assert!(found.contains(&"finite"), "{found:?}");
        assert!(found.contains(&"ratio in [0, 1]"), "{found:?}");
        // Percentiles out of order.
        let found = corrupt(|o| {
            o.summary.latency_all.p99_ns = o.summary.latency_all.max_ns.map(|m| m + 1);
        });
        assert!(found.contains(&"p50<=p90<=p99<=p999<=max"), "{found:?}");
        // The database busier than its connections.
        let found = corrupt(|o| o.summary.db_utilisation = 1.5);
        assert_eq!(found, ["utilisation<=1"]);
        // A node's evictions that the summary does not have.
        let found = corrupt(|o| o.nodes[0].evictions += 1);
        assert_eq!(found, ["node evictions sum to the summary"]);
        // A time-series row that loses a get.
        let found = corrupt(|o| {
            o.series[1].gets += 1;
            o.series[1].hit_ratio = Some(o.series[1].hits as f64 / o.series[1].gets as f64);
        });
        assert_eq!(found, ["timeseries sums to the summary"]);
        // A missing failure event.
        let found = corrupt(|o| o.summary.failures.clear());
        assert_eq!(found, ["one failure event per scheduled failure"]);
    }
}
