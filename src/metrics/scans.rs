//! What the scans (YCSB E's multi-gets) did, per scan: the run's hit
//! ratio counts each key of a scan as a get, as a cache's own counters do,
//! and its latency counts a scan as one request; this says how many keys
//! and nodes a scan took, how many database reads it caused, and how often
//! a whole scan was served from the cache, which is what the user who
//! waits for the scan sees.

use serde::{Deserialize, Serialize};

/// Counts over the scans issued after the warm-up and answered.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScanCounts {
    /// Scans answered.
    pub scans: u64,
    /// Their keys.
    pub keys: u64,
    /// Their keys that hit at their node and reached the client. Every
    /// other key (a miss, a key of a timed-out part, a key that routes to
    /// no node) was one database read.
    pub key_hits: u64,
    /// Their parts: one per node that owns some of a scan's keys.
    pub parts: u64,
    /// Scans whose every key hit.
    pub whole_hits: u64,
    /// Scans with a database read that failed.
    pub failed: u64,
}

/// The `scans` section of `summary.json` (only for workloads with scans).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanSummary {
    /// Scans issued after the warm-up and answered.
    pub scans: u64,
    /// Keys per scan, mean.
    pub keys_per_scan: Option<f64>,
    /// Nodes a scan's multi-get went to, mean.
    pub nodes_per_scan: Option<f64>,
    /// Database reads per scan, mean.
    pub database_reads_per_scan: Option<f64>,
    /// The share of scans' keys that hit.
    pub key_hit_ratio: Option<f64>,
    /// The share of scans whose every key hit: answered by the cache alone.
    pub whole_scan_hit_ratio: Option<f64>,
    /// Scans with a failed database read.
    pub failed: u64,
}

impl ScanSummary {
    /// The summary of `counts` (means are `None` without a scan).
    pub fn new(counts: ScanCounts) -> ScanSummary {
        let per_scan = |n: u64| (counts.scans > 0).then(|| n as f64 / counts.scans as f64);
        ScanSummary {
            scans: counts.scans,
            keys_per_scan: per_scan(counts.keys),
            nodes_per_scan: per_scan(counts.parts),
            database_reads_per_scan: per_scan(counts.keys - counts.key_hits),
            key_hit_ratio: (counts.keys > 0).then(|| counts.key_hits as f64 / counts.keys as f64),
            whole_scan_hit_ratio: per_scan(counts.whole_hits),
            failed: counts.failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_are_per_scan_and_the_key_ratio_per_key() {
        let s = ScanSummary::new(ScanCounts {
            scans: 4,
            keys: 40,
            key_hits: 30,
            parts: 6,
            whole_hits: 1,
            failed: 0,
        });
        assert_eq!(s.keys_per_scan, Some(10.0));
        assert_eq!(s.nodes_per_scan, Some(1.5));
        assert_eq!(s.database_reads_per_scan, Some(2.5));
        assert_eq!(s.key_hit_ratio, Some(0.75));
        assert_eq!(s.whole_scan_hit_ratio, Some(0.25));
        let none = ScanSummary::new(ScanCounts::default());
        assert_eq!((none.keys_per_scan, none.key_hit_ratio), (None, None));
    }
}
