//! What a replay measures: one row per cell (policy × cache size), the rows
//! of `replay.csv` and `mrc.csv` that tables and plots read.

use serde::Serialize;

/// Requests and misses counted over the measured part of a stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MissCounts {
    /// Requests counted (after the warm-up).
    pub requests: u64,
    /// Misses among them.
    pub misses: u64,
    /// Bytes requested.
    pub bytes: u64,
    /// Bytes missed.
    pub byte_misses: u64,
}

/// The outcome of one cell: a row of `replay.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CellResult {
    /// Policy label (name plus non-default parameters).
    pub policy: String,
    /// Capacity in bytes, or objects with --ignore-size.
    pub cache_size: u64,
    /// Requests counted (after the warm-up).
    pub requests: u64,
    /// Misses among them.
    pub misses: u64,
    /// misses / requests; `None` (an empty field) when no request was
    /// counted: no data, not a perfect cache.
    pub miss_ratio: Option<f64>,
    /// Bytes missed / bytes requested; `None` when no byte was counted.
    pub byte_miss_ratio: Option<f64>,
    /// Requests processed per second of wall time, warm-up and reading
    /// included, when measured in this process. A wall-clock figure: it
    /// differs between runs, so it stays out of the CSV and goes to
    /// `run.json` instead.
    #[serde(skip)]
    pub throughput_rps: Option<f64>,
}

impl CellResult {
    /// The row of `policy` at `cache_size` from its counts, with the
    /// throughput of `processed` requests in `seconds` of wall time.
    pub fn new(
        policy: String,
        cache_size: u64,
        counts: MissCounts,
        processed: u64,
        seconds: f64,
    ) -> Self {
        CellResult {
            policy,
            cache_size,
            requests: counts.requests,
            misses: counts.misses,
            miss_ratio: ratio(counts.misses, counts.requests),
            byte_miss_ratio: ratio(counts.byte_misses, counts.bytes),
            throughput_rps: (seconds > 0.0).then(|| processed as f64 / seconds),
        }
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}
