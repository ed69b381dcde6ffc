//! The one table of a run's metric columns: every figure of a [`Summary`]
//! that `summary.csv`, `sweep.csv`, `sweep-summary.csv`, `cachelab compare`,
//! the plots and the report show, with its unit, its meaning and how to read
//! it. A writer takes its columns from [`COLUMNS`] and a reader looks a name
//! up with [`column`], so a metric is named, described and read in one place.
//!
//! A figure that needs data the measured window did not have (a ratio over
//! no get, a latency over no completed request) reads `None`: an empty CSV
//! field, `null` in JSON, "no data" on screen, never 0.

use super::Summary;

/// What a column's value needs from the measured window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Always has a value (a count, a load over the measured time).
    Nothing,
    /// A ratio over gets: no data without a measured get.
    Gets,
    /// A latency of all requests: no data without a request completed in
    /// the window.
    Requests,
    /// A latency of hits: no data without a hit completed in the window.
    Hits,
    /// A latency of misses: no data without a miss completed in the window.
    Misses,
    /// A count of the retry machinery: no data for a run without `[retry]`
    /// or `database.timeout` (it has no `retries` section).
    Retries,
    /// A ratio over the clients' database reads: no data without the
    /// retry machinery or without a read.
    Reads,
    /// The time degraded after a trigger: no data without the retry
    /// machinery, without a trigger (spikes or scheduled failures), or
    /// without a measured interval before it.
    Trigger,
}

impl Needs {
    /// Whether `summary` has what this needs: the one definition of "no
    /// data", which every column of this need follows.
    pub fn met_by(self, summary: &Summary) -> bool {
        match self {
            Needs::Nothing => true,
            Needs::Gets => summary.gets > 0,
            Needs::Requests => summary.latency_all.count > 0,
            Needs::Hits => summary.latency_hits.count > 0,
            Needs::Misses => summary.latency_misses.count > 0,
            Needs::Retries => summary.retries.is_some(),
            Needs::Reads => summary.retries.as_ref().is_some_and(|r| r.reads > 0),
            Needs::Trigger => summary
                .retries
                .as_ref()
                .is_some_and(|r| r.degraded_s.is_some()),
        }
    }
}

/// One metric column.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The column name, the same in every file (`hit_ratio`, `latency_all_p99_ns`).
    pub name: &'static str,
    /// What people call it, for labels and sentences: "hit ratio".
    pub label: &'static str,
    /// Its unit as files hold it ("" for ratios and plain counts).
    pub unit: &'static str,
    /// One line on what it measures.
    pub description: &'static str,
    /// What it needs from the window to have a value.
    pub needs: Needs,
    /// Its value in a summary; `None` is no data.
    pub value: fn(&Summary) -> Option<f64>,
}

impl Column {
    /// The unit it is shown in and the factor from the file's unit to it:
    /// nanoseconds are shown as milliseconds.
    pub fn display_unit(&self) -> (&'static str, f64) {
        match self.unit {
            "ns" => ("ms", 1e-6),
            unit => (unit, 1.0),
        }
    }

    /// Its value as a CSV field: the number in full (shortest round-trip
    /// form), or empty for no data.
    pub fn field(&self, summary: &Summary) -> String {
        (self.value)(summary).map_or_else(String::new, |v| v.to_string())
    }
}

/// The headline metrics, in the order the report and `cachelab compare`
/// show them: hit ratios, database load, latency percentiles, failures,
/// balance.
pub const HEADLINE: &[&str] = &[
    "hit_ratio",
    "byte_hit_ratio",
    "db_rps",
    "db_utilisation",
    "latency_all_p50_ns",
    "latency_all_p99_ns",
    "latency_all_p999_ns",
    "timeouts",
    "errors",
    "load_imbalance",
];

/// The column named `name`, if there is one.
pub fn column(name: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.name == name)
}

/// The column table as Markdown, for the README: name, unit, meaning, and
/// what a value needs.
pub fn markdown() -> String {
    let mut out =
        String::from("| column | unit | what it measures | no data when |\n|---|---|---|---|\n");
    for c in COLUMNS {
        let needs = match c.needs {
            Needs::Nothing => "—",
            Needs::Gets => "no get measured",
            Needs::Requests => "no request completed",
            Needs::Hits => "no hit completed",
            Needs::Misses => "no miss completed",
            Needs::Retries => "no `[retry]` nor `database.timeout`",
            Needs::Reads => "as above, or no database read",
            Needs::Trigger => "as above, or no trigger, or no measured interval before it",
        };
        let unit = if c.unit.is_empty() { "—" } else { c.unit };
        out.push_str(&format!(
            "| `{}` | {unit} | {} | {needs} |\n",
            c.name, c.description
        ));
    }
    out
}

/// A count: always a value.
macro_rules! count {
    ($name:literal, $label:literal, $unit:literal, $description:literal, $field:ident) => {
        Column {
            name: $name,
            label: $label,
            unit: $unit,
            description: $description,
            needs: Needs::Nothing,
            value: |s| Some(s.$field as f64),
        }
    };
}

/// What a latency column of a class needs: a completed request of it.
macro_rules! class_needs {
    (latency_all) => {
        Needs::Requests
    };
    (latency_hits) => {
        Needs::Hits
    };
    (latency_misses) => {
        Needs::Misses
    };
}

/// A latency statistic of one class.
macro_rules! latency {
    ($name:literal, $label:literal, $description:literal, $class:ident, $stat:ident) => {
        Column {
            name: $name,
            label: $label,
            unit: "ns",
            description: $description,
            needs: class_needs!($class),
            value: |s| s.$class.$stat.map(|v| v as f64),
        }
    };
}

/// The mean latency of one class.
macro_rules! mean_latency {
    ($name:literal, $label:literal, $description:literal, $class:ident) => {
        Column {
            name: $name,
            label: $label,
            unit: "ns",
            description: $description,
            needs: class_needs!($class),
            value: |s| s.$class.mean_ns,
        }
    };
}

/// A count of the `retries` section: no data without it.
macro_rules! retry_count {
    ($name:literal, $label:literal, $description:literal, $field:ident) => {
        Column {
            name: $name,
            label: $label,
            unit: "",
            description: $description,
            needs: Needs::Retries,
            value: |s| s.retries.as_ref().map(|r| r.$field as f64),
        }
    };
}

/// Every metric column of a summary, in file order (after the identity
/// columns `scenario`, `run`, `seed`).
pub const COLUMNS: &[Column] = &[
    Column {
        name: "measured_s",
        label: "measured time",
        unit: "s",
        description: "Simulated seconds counted: the duration minus the warm-up.",
        needs: Needs::Nothing,
        value: |s| Some(s.measured_s),
    },
    count!(
        "requests",
        "requests",
        "",
        "Requests issued after the warm-up that completed by the end.",
        requests
    ),
    count!(
        "gets",
        "gets",
        "",
        "Gets issued after the warm-up whose cache outcome is known by the end.",
        gets
    ),
    count!("hits", "hits", "", "Gets served from a cache.", hits),
    count!(
        "misses",
        "misses",
        "",
        "Gets not served from a cache (misses, time-outs, failovers).",
        misses
    ),
    Column {
        name: "hit_ratio",
        label: "hit ratio",
        unit: "",
        description: "hits / gets.",
        needs: Needs::Gets,
        value: |s| s.hit_ratio,
    },
    Column {
        name: "byte_hit_ratio",
        label: "byte hit ratio",
        unit: "",
        description: "Bytes of gets served from a cache / bytes of all gets.",
        needs: Needs::Gets,
        value: |s| s.byte_hit_ratio,
    },
    Column {
        name: "miss_ratio",
        label: "miss ratio",
        unit: "",
        description: "1 - hit ratio.",
        needs: Needs::Gets,
        value: |s| s.miss_ratio,
    },
    count!(
        "timeouts",
        "time-outs",
        "",
        "Requests that waited for an unreachable node until the client time-out.",
        timeouts
    ),
    count!(
        "errors",
        "errors",
        "",
        "Requests that failed (the database refused them).",
        errors
    ),
    count!(
        "db_queries",
        "database queries",
        "queries",
        "Queries that reached the database.",
        db_queries
    ),
    Column {
        name: "db_rps",
        label: "database load",
        unit: "queries/s",
        description: "Database queries per simulated second.",
        needs: Needs::Nothing,
        value: |s| Some(s.db_rps),
    },
    Column {
        name: "db_utilisation",
        label: "database utilisation",
        unit: "",
        description: "Share of connection time the database was busy.",
        needs: Needs::Nothing,
        value: |s| Some(s.db_utilisation),
    },
    Column {
        name: "db_queue_mean",
        label: "mean database queue",
        unit: "queries",
        description: "Mean number of queries waiting for a connection.",
        needs: Needs::Nothing,
        value: |s| Some(s.db_queue_mean),
    },
    count!(
        "db_queue_max",
        "largest database queue",
        "queries",
        "Most queries waiting at once.",
        db_queue_max
    ),
    count!(
        "db_rejected",
        "rejected queries",
        "queries",
        "Queries refused because the database queue was full.",
        db_rejected
    ),
    count!(
        "evictions",
        "evictions",
        "",
        "Evictions over all nodes.",
        evictions
    ),
    Column {
        name: "load_imbalance",
        label: "load imbalance (max/mean)",
        unit: "",
        description: "Largest node load over the mean node load (1 = balanced).",
        needs: Needs::Nothing,
        value: |s| Some(s.load_imbalance),
    },
    mean_latency!(
        "latency_all_mean_ns",
        "mean latency, all",
        "Mean latency of all requests.",
        latency_all
    ),
    latency!(
        "latency_all_p50_ns",
        "p50 latency, all",
        "Median latency of all requests.",
        latency_all,
        p50_ns
    ),
    latency!(
        "latency_all_p90_ns",
        "p90 latency, all",
        "90th percentile latency of all requests.",
        latency_all,
        p90_ns
    ),
    latency!(
        "latency_all_p99_ns",
        "p99 latency, all",
        "99th percentile latency of all requests.",
        latency_all,
        p99_ns
    ),
    latency!(
        "latency_all_p999_ns",
        "p99.9 latency, all",
        "99.9th percentile latency of all requests.",
        latency_all,
        p999_ns
    ),
    latency!(
        "latency_all_max_ns",
        "max latency, all",
        "Largest latency of all requests (its histogram bucket's upper bound).",
        latency_all,
        max_ns
    ),
    mean_latency!(
        "latency_hits_mean_ns",
        "mean latency, hits",
        "Mean latency of gets that hit.",
        latency_hits
    ),
    latency!(
        "latency_hits_p50_ns",
        "p50 latency, hits",
        "Median latency of gets that hit.",
        latency_hits,
        p50_ns
    ),
    latency!(
        "latency_hits_p90_ns",
        "p90 latency, hits",
        "90th percentile latency of gets that hit.",
        latency_hits,
        p90_ns
    ),
    latency!(
        "latency_hits_p99_ns",
        "p99 latency, hits",
        "99th percentile latency of gets that hit.",
        latency_hits,
        p99_ns
    ),
    latency!(
        "latency_hits_p999_ns",
        "p99.9 latency, hits",
        "99.9th percentile latency of gets that hit.",
        latency_hits,
        p999_ns
    ),
    latency!(
        "latency_hits_max_ns",
        "max latency, hits",
        "Largest latency of gets that hit.",
        latency_hits,
        max_ns
    ),
    mean_latency!(
        "latency_misses_mean_ns",
        "mean latency, misses",
        "Mean latency of gets that missed.",
        latency_misses
    ),
    latency!(
        "latency_misses_p50_ns",
        "p50 latency, misses",
        "Median latency of gets that missed.",
        latency_misses,
        p50_ns
    ),
    latency!(
        "latency_misses_p90_ns",
        "p90 latency, misses",
        "90th percentile latency of gets that missed.",
        latency_misses,
        p90_ns
    ),
    latency!(
        "latency_misses_p99_ns",
        "p99 latency, misses",
        "99th percentile latency of gets that missed.",
        latency_misses,
        p99_ns
    ),
    latency!(
        "latency_misses_p999_ns",
        "p99.9 latency, misses",
        "99.9th percentile latency of gets that missed.",
        latency_misses,
        p999_ns
    ),
    latency!(
        "latency_misses_max_ns",
        "max latency, misses",
        "Largest latency of gets that missed.",
        latency_misses,
        max_ns
    ),
    retry_count!(
        "retries",
        "retries",
        "Database reads the clients sent again after an attempt failed (timed out or refused).",
        retries
    ),
    Column {
        name: "attempts_per_read",
        label: "attempts per read",
        unit: "",
        description: "Attempts sent to the database per client read: the load retries multiply the reads by.",
        needs: Needs::Reads,
        value: |s| s.retries.as_ref().and_then(|r| r.attempts_per_read),
    },
    retry_count!(
        "db_timeouts",
        "database time-outs",
        "Attempts abandoned at `database.timeout`.",
        db_timeouts
    ),
    retry_count!(
        "budget_denied",
        "retries the budget denied",
        "Retries the retry budget refused.",
        budget_denied
    ),
    retry_count!(
        "fast_failed",
        "fast-failed attempts",
        "Attempts the open circuit breaker failed at once.",
        fast_failed
    ),
    retry_count!(
        "breaker_opened",
        "breaker openings",
        "Times the circuit breaker opened.",
        breaker_opened
    ),
    Column {
        name: "degraded_s",
        label: "time degraded after the trigger",
        unit: "s",
        description: "Seconds the goodput stayed below its threshold after the trigger ended (the run's end if it never recovered).",
        needs: Needs::Trigger,
        value: |s| s.retries.as_ref().and_then(|r| r.degraded_s),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value};

    /// Fields of a summary that are not metric columns, and why.
    const NOT_COLUMNS: [(&str, &str); 13] = [
        (
            "scenario",
            "an identity column of every record, not a metric",
        ),
        ("run", "an identity column of every record, not a metric"),
        ("seed", "an identity column of every record, not a metric"),
        ("latency_all_count", "equals `requests`"),
        (
            "latency_hits_count",
            "not a column of summary.csv so far: adding one changes every result's bytes",
        ),
        ("latency_misses_count", "as latency_hits_count"),
        ("consistency", "its own section of summary.json"),
        ("failures", "a list of events in summary.json"),
        (
            "reads",
            "of the retries section: requests' reads, `attempts_per_read`'s base",
        ),
        (
            "attempts",
            "of the retries section: `attempts_per_read` × reads",
        ),
        (
            "trigger_end_s",
            "of the retries section: a time, `degraded_s`'s origin",
        ),
        (
            "baseline_goodput_rps",
            "of the retries section: `degraded_s`'s threshold",
        ),
        (
            "recovered",
            "of the retries section: a yes or no, shown by `degraded_s`",
        ),
    ];

    /// A summary whose every number is distinct: the n-th numeric field
    /// (in serialisation order) holds n.
    fn numbered() -> (Summary, Map<String, Value>) {
        let mut json = serde_json::to_value(Summary {
            retries: Some(super::super::RetrySummary::default()),
            ..Summary::default()
        })
        .unwrap();
        let mut n = 0u64;
        let mut number = |v: &mut Value| {
            if v.is_number() || v.is_null() {
                n += 1;
                *v = Value::from(n);
            }
        };
        for (name, value) in json.as_object_mut().unwrap() {
            match value {
                Value::Object(fields) if name.starts_with("latency_") => {
                    fields.values_mut().for_each(&mut number);
                }
                // `recovered` is a yes or no, not a number.
                Value::Object(fields) if name == "retries" => fields
                    .iter_mut()
                    .filter(|(field, _)| *field != "recovered")
                    .for_each(|(_, v)| number(v)),
                other => number(other),
            }
        }
        let summary: Summary = serde_json::from_value(json.clone()).unwrap();
        let mut flat = Map::new();
        for (name, value) in json.as_object().unwrap() {
            match value {
                Value::Object(fields) if name.starts_with("latency_") => {
                    for (field, v) in fields {
                        flat.insert(format!("{name}_{field}"), v.clone());
                    }
                }
                // The retries section's columns are named by its fields alone.
                Value::Object(fields) if name == "retries" => {
                    for (field, v) in fields {
                        flat.insert(field.clone(), v.clone());
                    }
                }
                _ => {
                    flat.insert(name.clone(), value.clone());
                }
            }
        }
        (summary, flat)
    }

    #[test]
    fn the_table_covers_every_numeric_field_of_a_summary_and_reads_it() {
        let (summary, fields) = numbered();
        for (name, value) in &fields {
            if NOT_COLUMNS.iter().any(|(n, _)| n == name) {
                continue;
            }
            let column = column(name).unwrap_or_else(|| {
                panic!(
                    "summary field `{name}` has no column in COLUMNS, nor a reason in NOT_COLUMNS"
                )
            });
            assert_eq!(
                (column.value)(&summary),
                value.as_f64(),
                "column `{name}` reads another field"
            );
        }
        for c in COLUMNS {
            assert!(
                fields.contains_key(c.name),
                "column `{}` names no summary field",
                c.name
            );
            assert!(
                !c.description.is_empty() && !c.label.is_empty(),
                "{}",
                c.name
            );
        }
        let mut names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COLUMNS.len(), "column names are unique");
    }

    #[test]
    fn headline_metrics_are_columns() {
        for name in HEADLINE {
            assert!(column(name).is_some(), "headline metric `{name}`");
        }
    }

    #[test]
    fn a_value_exactly_when_there_is_data() {
        let empty = Summary::default();
        for c in COLUMNS {
            assert_eq!(
                (c.value)(&empty).is_some(),
                c.needs == Needs::Nothing,
                "{} of an empty window",
                c.name
            );
            assert_eq!(c.field(&empty).is_empty(), c.needs != Needs::Nothing);
        }
    }
}
