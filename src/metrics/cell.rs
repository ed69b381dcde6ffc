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
    /// Misses of objects that were resident but whose lifetime had ended
    /// (0 unless the stream's TTLs are honoured).
    pub expired: u64,
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
    /// Misses among `misses` of objects whose lifetime had ended, when the
    /// stream's TTLs are honoured; otherwise `None`, and the column is not
    /// written (a TTL-less replay keeps its columns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired: Option<u64>,
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
            expired: None,
            throughput_rps: (seconds > 0.0).then(|| processed as f64 / seconds),
        }
    }

    /// The row with its count of expired misses (a replay honouring TTLs).
    pub fn with_expired(self, expired: u64) -> Self {
        CellResult {
            expired: Some(expired),
            ..self
        }
    }
}

/// The outcome of one cell estimated from a spatial sample of the stream:
/// a row of a sampled `mrc.csv`. The first six columns mean what they mean
/// in [`CellResult`], as estimates for the whole stream; the rest say how
/// the sample was taken and what it held.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampledResult {
    /// Policy label (name plus non-default parameters).
    pub policy: String,
    /// Capacity in bytes, or objects with --ignore-size (of the full-size
    /// cache the row estimates, not of its miniature).
    pub cache_size: u64,
    /// Requests of the whole stream counted (after the warm-up).
    pub requests: u64,
    /// Misses estimated among them: `miss_ratio` × `requests`, rounded.
    pub misses: u64,
    /// The estimated miss ratio (SHARDS-adj): the sample's misses over
    /// `sample_rate` × `requests`, at most 1.
    pub miss_ratio: Option<f64>,
    /// The estimated byte miss ratio, likewise over the stream's bytes.
    pub byte_miss_ratio: Option<f64>,
    /// How the sample was asked for: `rate` (a fixed share of the keys)
    /// or `keys` (at most a number of distinct keys).
    pub sampling: &'static str,
    /// The share of the key space sampled, R.
    pub sample_rate: f64,
    /// Requests of the sample counted.
    pub sampled_requests: u64,
    /// Misses of the miniature cache (capacity × R) among them.
    pub sampled_misses: u64,
    /// Requests read per second of wall time (every cell of the pass
    /// together); kept out of the CSV like [`CellResult`]'s.
    #[serde(skip)]
    pub throughput_rps: Option<f64>,
}

impl SampledResult {
    /// The row of `policy` at `capacity` from its counts on a sample taken
    /// as `sampling` says (`rate` or `keys`) at `rate`, with the stream's
    /// counted (requests, bytes) and the pass's (requests read, seconds).
    pub fn new(
        policy: String,
        capacity: u64,
        sampling: &'static str,
        rate: f64,
        sampled: &MissCounts,
        stream: (u64, u64),
        pass: (u64, f64),
    ) -> Self {
        let (requests, bytes) = stream;
        let adjusted = |part: u64, whole: u64| {
            let expected = rate * whole as f64;
            (expected > 0.0).then(|| (part as f64 / expected).min(1.0))
        };
        let miss_ratio = adjusted(sampled.misses, requests);
        SampledResult {
            policy,
            cache_size: capacity,
            requests,
            misses: miss_ratio.map_or(0, |m| (m * requests as f64).round() as u64),
            miss_ratio,
            byte_miss_ratio: adjusted(sampled.byte_misses, bytes),
            sampling,
            sample_rate: rate,
            sampled_requests: sampled.requests,
            sampled_misses: sampled.misses,
            throughput_rps: (pass.1 > 0.0).then(|| pass.0 as f64 / pass.1),
        }
    }

    /// The row as a [`CellResult`], for tables and plots.
    pub fn as_cell(&self) -> CellResult {
        CellResult {
            policy: self.policy.clone(),
            cache_size: self.cache_size,
            requests: self.requests,
            misses: self.misses,
            miss_ratio: self.miss_ratio,
            byte_miss_ratio: self.byte_miss_ratio,
            expired: None,
            throughput_rps: self.throughput_rps,
        }
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}
