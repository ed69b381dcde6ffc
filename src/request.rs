//! The request: what a trace reader or a workload generator produces and
//! what a policy is shown.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The `next_access` of a request whose key is never requested again.
pub const NEVER: u64 = u64::MAX;

/// What a request asks of the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// Read the object (the only operation replay distinguishes).
    #[default]
    Get,
    /// Write the object.
    Set,
    /// Delete the object.
    Delete,
}

/// One request for one object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// When the request is issued, in nanoseconds from an arbitrary origin.
    pub time_ns: u64,
    /// The object's key.
    pub key: u64,
    /// The object's size in bytes (1 when sizes are ignored).
    pub size: u32,
    /// The operation.
    pub op: Op,
    /// Position in the stream of the next request for the same key, or
    /// [`NEVER`]. Only offline policies (Belady) read it.
    pub next_access: u64,
}

impl Request {
    /// A get of `key` with the given size at time zero, never requested again.
    pub fn get(key: u64, size: u32) -> Self {
        Request {
            time_ns: 0,
            key,
            size,
            op: Op::Get,
            next_access: NEVER,
        }
    }
}

/// A source of requests read in batches: a trace reader or a generator.
///
/// Batches keep the per-request cost of dynamic dispatch and error handling
/// off the replay hot loop.
pub trait RequestStream: Send {
    /// Appends up to `max` requests to `batch` and returns how many were
    /// appended; 0 means the stream has ended.
    fn next_batch(&mut self, batch: &mut Vec<Request>, max: usize) -> Result<usize, StreamError>;
}

/// What went wrong reading requests from a stream's source, naming the
/// source and where in it.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The source could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The source file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The source ends inside a record.
    #[error("{path}: truncated: record {record} at byte offset {offset}{compressed} is cut short ({got} of {want} bytes)", compressed = if *.compressed { " of the decompressed stream" } else { "" })]
    Truncated {
        /// The source file.
        path: PathBuf,
        /// Index of the incomplete record (0-based).
        record: u64,
        /// Byte offset where the record starts.
        offset: u64,
        /// Bytes present.
        got: usize,
        /// Bytes a record needs.
        want: usize,
        /// Whether offsets refer to the decompressed stream.
        compressed: bool,
    },
    /// A record does not make sense.
    #[error("{path}: {location}: {problem}")]
    Malformed {
        /// The source file.
        path: PathBuf,
        /// Where: `record 12 (byte offset 288)` or `line 7`.
        location: String,
        /// What is wrong.
        problem: String,
    },
}

/// Sets every request's `next_access` to the position of the next request for
/// the same key in `requests` (or [`NEVER`]), as an offline policy needs.
pub fn annotate_next_access(requests: &mut [Request]) {
    let mut last_seen: rustc_hash::FxHashMap<u64, usize> = rustc_hash::FxHashMap::default();
    for i in 0..requests.len() {
        requests[i].next_access = NEVER;
        if let Some(previous) = last_seen.insert(requests[i].key, i) {
            requests[previous].next_access = i as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_access_points_at_the_next_request_for_the_key() {
        let mut requests: Vec<Request> = [5, 6, 5, 7, 6, 5]
            .iter()
            .map(|&k| Request::get(k, 1))
            .collect();
        annotate_next_access(&mut requests);
        let next: Vec<u64> = requests.iter().map(|r| r.next_access).collect();
        assert_eq!(next, [2, 4, 5, NEVER, NEVER, NEVER]);
    }
}
