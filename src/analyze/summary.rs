//! The figures of an analysis, as `analysis.json` holds them.

use serde::Serialize;

use super::fit::{FitCheck, FittedWorkload};
use super::pass::{Mix, Pass};
use super::zipf::{self, ZipfFit};
use crate::trace::LcsHeader;

/// Objects requested exactly `requests` times.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrequencyRow {
    /// Requests per object.
    pub requests: u32,
    /// Objects with that many.
    pub objects: u64,
    /// Their share of all objects.
    pub share: f64,
}

/// Object sizes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sizes {
    /// Smallest size, bytes.
    pub min: f64,
    /// Largest size, bytes.
    pub max: f64,
    /// Mean over requests.
    pub mean_by_request: f64,
    /// Mean over objects (first-seen sizes).
    pub mean_by_object: f64,
    /// Median, 90th and 99th percentiles over requests.
    pub percentiles_by_request: [f64; 3],
    /// The same over objects.
    pub percentiles_by_object: [f64; 3],
    /// Requests whose size differs from their object's first-seen size.
    pub size_changes: u64,
}

/// The trace's time span and rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Time {
    /// First timestamp, seconds.
    pub start_s: f64,
    /// Last timestamp, seconds.
    pub end_s: f64,
    /// Their difference.
    pub span_s: f64,
    /// Requests over the span.
    pub mean_rate_rps: f64,
    /// The busiest interval's rate.
    pub peak_rate_rps: f64,
    /// Interval of the rate series, seconds.
    pub interval_s: u64,
}

/// Requests by a value (an operation, a TTL, a tenant).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Share {
    /// The value.
    pub value: String,
    /// Requests with it.
    pub requests: u64,
    /// Their share of all requests.
    pub share: f64,
}

/// A mix table: distinct values, the top ones, and the rest.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MixSummary {
    /// Distinct values seen (up to the table's cap).
    pub distinct: usize,
    /// The 16 most requested.
    pub top: Vec<Share>,
    /// Requests whose value came after the table was full.
    pub uncounted: u64,
}

/// Reuse distances and times of re-requests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reuse {
    /// Requests for an object seen before.
    pub rerequests: u64,
    /// Median, 90th and 99th percentile reuse distance, distinct objects.
    pub distance_percentiles: [f64; 3],
    /// Median, 90th and 99th percentile reuse time, seconds.
    pub time_percentiles_s: [f64; 3],
}

/// Everything `analyze` reports about a trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    /// The trace file.
    pub trace: String,
    /// Its format.
    pub format: String,
    /// Requests.
    pub requests: u64,
    /// Distinct objects.
    pub objects: u64,
    /// Bytes requested.
    pub request_bytes: u64,
    /// Bytes of the distinct objects (first-seen sizes): the working set.
    pub object_bytes: u64,
    /// Objects / requests: what an infinite cache still misses.
    pub compulsory_miss_ratio: f64,
    /// Object bytes / request bytes.
    pub compulsory_byte_miss_ratio: f64,
    /// Requests per object.
    pub mean_frequency: f64,
    /// Most requests to one object.
    pub max_count: u32,
    /// Objects requested exactly once.
    pub one_hit_objects: u64,
    /// Their share of objects.
    pub one_hit_share: f64,
    /// Objects by how often they are requested: 1, 2, ... 10 times.
    pub frequency: Vec<FrequencyRow>,
    /// Request counts of the 10 most requested objects.
    pub hottest: Vec<u32>,
    /// Sizes.
    pub sizes: Sizes,
    /// Time span and rate (`None` for a trace without timestamps).
    pub time: Option<Time>,
    /// Requests by the trace's operation.
    pub operations: Vec<Share>,
    /// Requests by TTL (0: none).
    pub ttls: MixSummary,
    /// Requests by tenant or client.
    pub tenants: MixSummary,
    /// Reuse distances and times.
    pub reuse: Reuse,
    /// Zipf's law fitted by maximum likelihood.
    pub zipf: Option<ZipfFit>,
    /// The workload fitted to the trace.
    pub workload: Option<FittedWorkload>,
    /// How close the fitted workload's LRU curve comes to the trace's.
    pub fit_check: Option<FitCheck>,
    /// An lcs trace's header, as its writer filled it.
    pub lcs_header: Option<LcsHeader>,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn shares(rows: impl Iterator<Item = (String, u64)>, requests: u64) -> Vec<Share> {
    rows.map(|(value, n)| Share {
        value,
        requests: n,
        share: ratio(n, requests),
    })
    .collect()
}

fn mix(table: &Mix, requests: u64) -> MixSummary {
    let ranked = table.ranked();
    MixSummary {
        distinct: ranked.len(),
        top: shares(
            ranked.iter().take(16).map(|&(v, n)| (v.to_string(), n)),
            requests,
        ),
        uncounted: table.other,
    }
}

const PERCENTILES: [f64; 3] = [0.5, 0.9, 0.99];

fn percentiles(h: &super::hist::LogHistogram) -> [f64; 3] {
    PERCENTILES.map(|q| h.quantile(q))
}

impl Analysis {
    /// The figures of a finished pass; `counts` are its objects' request
    /// counts, largest first. The trace, format, workload and fit check
    /// are left for the caller.
    pub fn of(pass: &Pass, counts: &[u32], timed: bool) -> Analysis {
        let requests = pass.requests();
        let objects = pass.objects();
        let mut frequency: Vec<FrequencyRow> = (1..=10)
            .map(|k| FrequencyRow {
                requests: k,
                objects: 0,
                share: 0.0,
            })
            .collect();
        for &c in counts.iter().rev().take_while(|&&c| c <= 10) {
            frequency[c as usize - 1].objects += 1;
        }
        for row in &mut frequency {
            row.share = ratio(row.objects, objects);
        }
        let time = pass.first_ns.filter(|_| timed).map(|first| {
            let span_s = (pass.last_ns - first) as f64 / 1e9;
            let peak = pass.rate.counts.iter().copied().max().unwrap_or(0);
            Time {
                start_s: first as f64 / 1e9,
                end_s: pass.last_ns as f64 / 1e9,
                span_s,
                mean_rate_rps: if span_s > 0.0 {
                    requests as f64 / span_s
                } else {
                    0.0
                },
                peak_rate_rps: peak as f64 / pass.rate.interval_s as f64,
                interval_s: pass.rate.interval_s,
            }
        });
        Analysis {
            trace: String::new(),
            format: String::new(),
            requests,
            objects,
            request_bytes: pass.request_bytes,
            object_bytes: pass.object_bytes,
            compulsory_miss_ratio: ratio(objects, requests),
            compulsory_byte_miss_ratio: ratio(pass.object_bytes, pass.request_bytes),
            mean_frequency: ratio(requests, objects),
            max_count: counts.first().copied().unwrap_or(0),
            one_hit_objects: frequency[0].objects,
            one_hit_share: frequency[0].share,
            frequency,
            hottest: counts.iter().take(10).copied().collect(),
            sizes: Sizes {
                min: f64::from(pass.size_range.0.min(pass.size_range.1)),
                max: f64::from(pass.size_range.1),
                mean_by_request: ratio(pass.request_bytes, requests),
                mean_by_object: ratio(pass.object_bytes, objects),
                percentiles_by_request: percentiles(&pass.sizes_by_request),
                percentiles_by_object: percentiles(&pass.sizes_by_object),
                size_changes: pass.size_changes,
            },
            time,
            operations: shares(
                pass.op_mix()
                    .into_iter()
                    .map(|(op, n)| (op.name().to_string(), n)),
                requests,
            ),
            ttls: mix(&pass.ttls, requests),
            tenants: mix(&pass.tenants, requests),
            reuse: Reuse {
                rerequests: pass.reuse_distance.total(),
                distance_percentiles: percentiles(&pass.reuse_distance),
                time_percentiles_s: percentiles(&pass.reuse_time),
            },
            zipf: zipf::fit(counts),
            workload: None,
            fit_check: None,
            lcs_header: None,
        }
    }
}
