//! A run's results as they are written: `summary.json` (everything, with
//! the server's counters before, after and their difference) and one CSV
//! row, and the lines printed on the terminal, leading with the answer.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::Outcome;
use super::client::{Counts, Tally};
use super::target::{Counters, Protocol, ServerInfo};
use crate::metrics::LatencyRow;
use crate::metrics::recorder::latency_rows;

/// Latency percentiles of the counted requests, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Latency {
    /// Requests measured.
    pub count: u64,
    /// Mean.
    pub mean_ns: f64,
    /// Median.
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p999_ns: u64,
    /// Largest.
    pub max_ns: u64,
}

impl Latency {
    /// The percentiles of `histogram`, or `None` when it is empty.
    pub fn of(histogram: &Histogram<u64>) -> Option<Latency> {
        (!histogram.is_empty()).then(|| Latency {
            count: histogram.len(),
            mean_ns: histogram.mean(),
            p50_ns: histogram.value_at_quantile(0.5),
            p90_ns: histogram.value_at_quantile(0.9),
            p99_ns: histogram.value_at_quantile(0.99),
            p999_ns: histogram.value_at_quantile(0.999),
            max_ns: histogram.max(),
        })
    }
}

/// The server's counters around the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServerCounters {
    /// Before the first request.
    pub before: Counters,
    /// After the last reply, when the server could still be asked.
    pub after: Option<Counters>,
    /// After minus before (memory may shrink, so signed).
    pub change: Option<BTreeMap<String, i128>>,
}

/// Everything `summary.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Whether the whole stream was driven and the counters read after it.
    pub complete: bool,
    /// Why not, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The server driven.
    pub target: String,
    /// The protocol it speaks.
    pub protocol: Protocol,
    /// Its software, version and configuration.
    pub server: ServerInfo,
    /// Client connections.
    pub connections: usize,
    /// Requests per batch.
    pub pipeline: usize,
    /// The rate requests were paced at (none: as fast as possible).
    pub rate: Option<f64>,
    /// The speed-up requests were sent at over the trace's own timestamps,
    /// if they were paced by them.
    pub trace_times: Option<f64>,
    /// Requests whose replies came back, warm-up included.
    pub driven: u64,
    /// What the requests past the warm-up did.
    pub counts: Counts,
    /// Hits over gets, none without a get.
    pub hit_ratio: Option<f64>,
    /// Latency of the counted requests.
    pub latency: Option<Latency>,
    /// The server's own counters.
    pub server_counters: ServerCounters,
    /// The keys it held during the counted requests, sampled on the
    /// driving connections; none when no sample was taken.
    pub keys_held_during_run: Option<HeldKeys>,
}

/// The keys a server held, over samples taken during a run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct HeldKeys {
    /// Samples taken.
    pub samples: usize,
    /// Their mean.
    pub mean: f64,
    /// Their median (the lower middle sample of an even count).
    pub median: u64,
    /// The fewest keys seen.
    pub min: u64,
    /// The most.
    pub max: u64,
}

impl HeldKeys {
    /// The summary of `samples`; none when there are none.
    pub fn of(samples: &[u64]) -> Option<HeldKeys> {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        let sum: u128 = sorted.iter().map(|&s| u128::from(s)).sum();
        Some(HeldKeys {
            samples: sorted.len(),
            mean: sum as f64 / sorted.len() as f64,
            median: sorted[(sorted.len() - 1) / 2],
            min,
            max,
        })
    }
}

/// The row of `drive.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The server driven.
    pub target: String,
    /// Its software.
    pub software: String,
    /// Its version.
    pub version: String,
    /// Whether the run is complete.
    pub complete: bool,
    /// Counted requests.
    pub requests: u64,
    /// Counted gets.
    pub gets: u64,
    /// Their hits.
    pub hits: u64,
    /// Their misses.
    pub misses: u64,
    /// Hits over gets (empty without a get).
    pub hit_ratio: Option<f64>,
    /// Median latency.
    pub latency_p50_ns: Option<u64>,
    /// 99th percentile latency.
    pub latency_p99_ns: Option<u64>,
    /// 99.9th percentile latency.
    pub latency_p999_ns: Option<u64>,
    /// Get hits the server counted during the run.
    pub server_hits: Option<i128>,
    /// Get misses it counted.
    pub server_misses: Option<i128>,
    /// Objects it evicted.
    pub server_evictions: Option<i128>,
}

impl Outcome {
    /// The summary of the run.
    pub fn summary(&self) -> Summary {
        let counts = self.share.counts;
        let change = self.after.as_ref().map(|after| {
            after
                .iter()
                .map(|(name, &value)| {
                    let before = self.before.get(name).copied().unwrap_or(0);
                    (name.clone(), i128::from(value) - i128::from(before))
                })
                .collect()
        });
        Summary {
            complete: self.complete(),
            message: self.problem.clone(),
            target: self.target.to_string(),
            protocol: self.target.protocol,
            server: self.server.clone(),
            connections: self.options.connections,
            pipeline: self.options.pipeline,
            rate: self.rate,
            trace_times: self.options.trace_times,
            driven: self.share.driven,
            counts,
            hit_ratio: (counts.gets > 0).then(|| counts.hits as f64 / counts.gets as f64),
            latency: Latency::of(&self.share.latency),
            server_counters: ServerCounters {
                before: self.before.clone(),
                after: self.after.clone(),
                change,
            },
            keys_held_during_run: HeldKeys::of(&self.share.held),
        }
    }
}

/// One interval of the counted stream: a row of `drive-series.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SeriesRow {
    /// The interval's number, from 0.
    pub interval: u64,
    /// Its first counted request's position among the counted requests.
    pub first_request: u64,
    /// Gets in it.
    pub gets: u64,
    /// Their hits.
    pub hits: u64,
    /// `hits / gets`; empty when the interval has no get.
    pub hit_ratio: Option<f64>,
}

impl Outcome {
    /// `latency.csv`, as a cluster run writes it: all counted requests,
    /// the gets that hit and those that missed (empty where a class has no
    /// request).
    pub fn latency_rows(&self) -> Vec<LatencyRow> {
        let share = &self.share;
        latency_rows(&share.latency, &share.hit_latency, &share.miss_latency)
    }

    /// `drive-series.csv`: the hit ratio of each `interval` counted
    /// requests, as [`super::drive_in_intervals`] tallied them.
    pub fn series_rows(&self, interval: u64) -> Vec<SeriesRow> {
        (0u64..)
            .zip(&self.share.intervals)
            .map(|(i, &Tally { gets, hits })| SeriesRow {
                interval: i,
                first_request: i * interval,
                gets,
                hits,
                hit_ratio: (gets > 0).then(|| hits as f64 / gets as f64),
            })
            .collect()
    }
}

impl Summary {
    /// The server's change in its own get hits, get misses and evictions.
    pub fn server_changes(&self) -> [Option<i128>; 3] {
        self.protocol.counter_names().map(|name| {
            self.server_counters
                .change
                .as_ref()
                .and_then(|c| c.get(name).copied())
        })
    }

    /// The row of `drive.csv`.
    pub fn row(&self) -> Row {
        let [server_hits, server_misses, server_evictions] = self.server_changes();
        Row {
            target: self.target.clone(),
            software: self.server.software.clone(),
            version: self.server.version.clone(),
            complete: self.complete,
            requests: self.counts.requests,
            gets: self.counts.gets,
            hits: self.counts.hits,
            misses: self.counts.misses,
            hit_ratio: self.hit_ratio,
            latency_p50_ns: self.latency.map(|l| l.p50_ns),
            latency_p99_ns: self.latency.map(|l| l.p99_ns),
            latency_p999_ns: self.latency.map(|l| l.p999_ns),
            server_hits,
            server_misses,
            server_evictions,
        }
    }

    /// What the terminal shows, the answer first: hit ratio, latency, the
    /// server's counters, then what was driven and how.
    pub fn text(&self) -> String {
        let mut lines = Vec::new();
        if let Some(message) = &self.message {
            lines.push(format!("PARTIAL RESULT: {message}"));
        }
        let ratio = self
            .hit_ratio
            .map_or("no gets".to_string(), |r| format!("{r:.4}"));
        let c = &self.counts;
        lines.push(format!(
            "hit ratio {ratio} ({} hits, {} misses of {} gets)",
            c.hits, c.misses, c.gets
        ));
        if let Some(l) = &self.latency {
            let us = |ns: u64| ns as f64 / 1e3;
            lines.push(format!(
                "latency p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
                us(l.p50_ns),
                us(l.p99_ns),
                us(l.p999_ns),
                us(l.max_ns)
            ));
        }
        let names = self.protocol.counter_names();
        let shown = |v: Option<i128>| v.map_or("unknown".to_string(), |v| v.to_string());
        let [hits, misses, evictions] = self.server_changes();
        // The server counts every request driven, warm-up included.
        let warmup = if self.driven > c.requests {
            format!(
                " over all {} requests driven, warm-up included",
                self.driven
            )
        } else {
            String::new()
        };
        lines.push(format!(
            "server counted {} {}, {} {}, {} {}{warmup}",
            shown(hits),
            names[0],
            shown(misses),
            names[1],
            shown(evictions),
            names[2]
        ));
        if let Some(held) = &self.keys_held_during_run {
            lines.push(format!(
                "server held {:.0} keys while it evicted (mean of {} samples, median {}, {}–{})",
                held.mean, held.samples, held.median, held.min, held.max
            ));
        }
        let config: Vec<String> = self
            .server
            .config
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        lines.push(format!(
            "server {} {} at {} ({})",
            self.server.software,
            self.server.version,
            self.target,
            config.join(", ")
        ));
        let pacing = self.rate.map_or("as fast as possible".to_string(), |r| {
            format!("paced at {r} requests/s")
        });
        lines.push(format!(
            "driven: {} requests ({} counted, {} fills) on {} connection(s), pipeline {}, {pacing}",
            self.driven, c.requests, c.fills, self.connections, self.pipeline
        ));
        lines.join("\n") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_keys_are_summarised_over_their_samples() {
        assert_eq!(HeldKeys::of(&[]), None);
        let held = HeldKeys::of(&[600, 77, 640, 640]).unwrap();
        assert_eq!((held.samples, held.min, held.max), (4, 77, 640));
        assert_eq!((held.mean, held.median), (489.25, 600));
    }
}
