//! The properties of a run's per-class figures: present exactly when the
//! scenario has request classes, in its order, and summing to the totals,
//! in the summary (by issue time, as the totals) and interval by interval
//! in the time series (by event time, as its rows).

use super::{Checker, close};
use crate::cluster::RunOutput;
use crate::metrics::{ClassIntervalRow, ClassSummary, Summary};
use crate::scenario::KeySource;

/// A per-class count: its name, its value in a class, its total.
type Count = (&'static str, fn(&ClassSummary) -> u64, fn(&Summary) -> u64);

const COUNTS: [Count; 9] = [
    ("requests", |c| c.requests, |s| s.requests),
    ("gets", |c| c.gets, |s| s.gets),
    ("hits", |c| c.hits, |s| s.hits),
    ("misses", |c| c.misses, |s| s.misses),
    ("errors", |c| c.errors, |s| s.errors),
    ("db_queries", |c| c.db_queries, |s| s.db_queries),
    (
        "stale_reads",
        |c| c.stale_reads,
        |s| s.consistency.stale_reads,
    ),
    (
        "latency_all.count",
        |c| c.latency_all.count,
        |s| s.latency_all.count,
    ),
    (
        "latency_hits.count",
        |c| c.latency_hits.count,
        |s| s.latency_hits.count,
    ),
];

impl Checker<'_> {
    /// Per-class figures: one per configured class, in order, each sound,
    /// summing to the run's.
    pub(super) fn classes(&mut self, output: &RunOutput) {
        let names: Vec<String> = match &self.scenario.cluster.workload.keys {
            KeySource::Classes(classes) => classes.iter().map(|c| c.name.clone()).collect(),
            _ => Vec::new(),
        };
        let s = &output.summary;
        let Some(classes) = &s.classes else {
            self.ensure(names.is_empty(), "classes reported", || {
                format!("no classes in the summary of a run with {names:?}")
            });
            self.ensure(output.classes.is_empty(), "no class series", || {
                format!("{} class rows without classes", output.classes.len())
            });
            return;
        };
        let reported: Vec<String> = classes.iter().map(|c| c.name.clone()).collect();
        self.ensure(reported == names, "classes in file order", || {
            format!("{reported:?}, configured {names:?}")
        });
        for c in classes {
            let at = format!("classes[{}]", c.name);
            self.ensure(
                c.hits + c.misses == c.gets,
                "class hits+misses=gets",
                || format!("{at}: {} + {} != {}", c.hits, c.misses, c.gets),
            );
            self.measured_ratio("class hit_ratio", c.hit_ratio, c.hits, c.gets, &at);
        }
        for (name, of_class, total) in COUNTS {
            let sum: u64 = classes.iter().map(of_class).sum();
            self.ensure(sum == total(s), "classes sum to the total", || {
                format!("{name}: classes {sum}, total {}", total(s))
            });
        }
        self.class_series(output, names.len());
    }

    /// The class series: each interval has a row per class, and the
    /// classes' counts sum to the interval's.
    fn class_series(&mut self, output: &RunOutput, classes: usize) {
        let rows = &output.classes;
        self.ensure(
            rows.len() == output.series.len() * classes,
            "a class row per interval and class",
            || {
                format!(
                    "{} rows for {} intervals of {classes} classes",
                    rows.len(),
                    output.series.len()
                )
            },
        );
        for (row, group) in output.series.iter().zip(rows.chunks(classes.max(1))) {
            let sum = |f: fn(&ClassIntervalRow) -> u64| -> u64 { group.iter().map(f).sum() };
            let sums = [
                ("requests", sum(|r| r.requests), row.requests),
                ("gets", sum(|r| r.gets), row.gets),
                ("hits", sum(|r| r.hits), row.hits),
                ("errors", sum(|r| r.errors), row.errors),
                ("stale_reads", sum(|r| r.stale_reads), row.stale_reads),
            ];
            for (name, classes_sum, total) in sums {
                self.ensure(classes_sum == total, "class rows sum to the row", || {
                    format!(
                        "at {} s, {name}: classes {classes_sum}, row {total}",
                        row.time_s
                    )
                });
            }
            let db: f64 = group.iter().map(|r| r.db_rps).sum();
            self.ensure(close(db, row.db_rps), "class rows sum to the row", || {
                format!(
                    "at {} s, db_rps: classes {db}, row {}",
                    row.time_s, row.db_rps
                )
            });
            self.ensure(
                group.iter().all(|r| r.time_s == row.time_s),
                "class rows in time order",
                || format!("at {} s", row.time_s),
            );
        }
    }
}
