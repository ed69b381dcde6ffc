//! What each cache tier measured, for runs with `[[tiers]]`: lookups (only
//! those that reached the tier), hits, hit ratio and byte hit ratio over
//! them, stale reads, and the load the tier takes. The local tiers count
//! their own lookups; the shared tier's row is what they passed on, so the
//! tiers' hits add up to the run's hits and their stale reads to its stale
//! reads, and the overall figures keep their definitions.

use serde::{Deserialize, Serialize};

/// A local tier's counts, by issue time after the warm-up (evictions by
/// event time, as the nodes' are).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierCounts {
    /// Gets that looked in the tier.
    pub lookups: u64,
    /// Those that hit.
    pub hits: u64,
    /// Bytes of the gets that looked.
    pub lookup_bytes: u64,
    /// Bytes of those that hit.
    pub hit_bytes: u64,
    /// Hits that returned a value older than the database's.
    pub stale_reads: u64,
    /// Objects evicted from the tier's caches.
    pub evictions: u64,
    /// Time the gets spent at the tier (ns): a round trip to it for each
    /// lookup in a tier of `[[tiers]]`; for the shared tier, the rest of
    /// the gets' latency.
    pub time_ns: u64,
}

impl TierCounts {
    /// The counts the tiers above passed on from `total` (the run's gets,
    /// with their bytes, hits, stale reads and latency): what reached the
    /// next tier, and the time the gets spent beyond the tiers above.
    pub fn passed_on(total: TierCounts, above: &[TierCounts]) -> TierCounts {
        let hits: u64 = above.iter().map(|t| t.hits).sum();
        let hit_bytes: u64 = above.iter().map(|t| t.hit_bytes).sum();
        let stale: u64 = above.iter().map(|t| t.stale_reads).sum();
        let time: u64 = above.iter().map(|t| t.time_ns).sum();
        TierCounts {
            lookups: total.lookups - hits,
            hits: total.hits - hits,
            lookup_bytes: total.lookup_bytes - hit_bytes,
            hit_bytes: total.hit_bytes - hit_bytes,
            stale_reads: total.stale_reads - stale,
            evictions: total.evictions,
            // A get still in flight at the end has its lookups counted
            // but not its latency: never below zero.
            time_ns: total.time_ns.saturating_sub(time),
        }
    }
}

/// One tier's figures: summary.json's `tiers` section and a row of
/// `tiers.csv`, the local tiers in lookup order, the shared tier last.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TierSummary {
    /// `local-0`, `local-1`, …, or `shared`.
    pub tier: String,
    /// `local` or `shared`.
    pub placement: String,
    /// The eviction policy of its caches, as the scenario names it.
    pub policy: String,
    /// Caches in the tier: local caches, or the routed nodes at the start.
    pub caches: u32,
    /// Gets that reached the tier.
    pub lookups: u64,
    /// Those that hit.
    pub hits: u64,
    /// hits / lookups; no data when none reached it.
    pub hit_ratio: Option<f64>,
    /// Hit bytes / looked-up bytes; no data when none reached it.
    pub byte_hit_ratio: Option<f64>,
    /// Hits that returned a stale value.
    pub stale_reads: u64,
    /// Stale reads over the tier's hits; no data without hits.
    pub stale_hit_share: Option<f64>,
    /// Lookups per simulated second after the warm-up: the tier's load.
    pub lookups_per_s: f64,
    /// Objects evicted from the tier's caches after the warm-up.
    pub evictions: u64,
    /// The share of the gets' latency spent at the tier: its lookups'
    /// round trips for a tier of `[[tiers]]`; for the shared tier, the rest
    /// (at `[nodes]` and behind them: the database, retries, and with
    /// `[app]` the application tier). The shares add up to 1; no data
    /// without a completed get.
    pub latency_share: Option<f64>,
}

impl TierSummary {
    /// The row of tier `tier` from its counts over `measured_s` seconds;
    /// `latency_ns` is the latency of all the gets, which its time shares.
    pub fn new(
        tier: String,
        placement: &str,
        policy: &str,
        caches: u32,
        counts: TierCounts,
        measured_s: f64,
        latency_ns: u64,
    ) -> TierSummary {
        let share = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        TierSummary {
            tier,
            placement: placement.to_string(),
            policy: policy.to_string(),
            caches,
            lookups: counts.lookups,
            hits: counts.hits,
            hit_ratio: share(counts.hits, counts.lookups),
            byte_hit_ratio: share(counts.hit_bytes, counts.lookup_bytes),
            stale_reads: counts.stale_reads,
            stale_hit_share: share(counts.stale_reads, counts.hits),
            lookups_per_s: if measured_s > 0.0 {
                counts.lookups as f64 / measured_s
            } else {
                0.0
            },
            evictions: counts.evictions,
            latency_share: share(counts.time_ns, latency_ns),
        }
    }
}

/// One interval of one tier: a row of `tiers-timeseries.csv` (tidy: one row
/// per interval and tier, the tiers in lookup order and `shared` last;
/// warm-up intervals included), so that a reader sees where the load went
/// over time, as when an edge fails and its shield takes its gets.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TierIntervalRow {
    /// End of the interval, simulated seconds.
    pub time_s: f64,
    /// The tier's name (`shared`: `[nodes]`).
    pub tier: String,
    /// Gets that looked in the tier in the interval.
    pub lookups: u64,
    /// Those that hit.
    pub hits: u64,
    /// hits / lookups; empty when none reached it.
    pub hit_ratio: Option<f64>,
    /// Hit bytes / looked-up bytes; empty when none reached it.
    pub byte_hit_ratio: Option<f64>,
    /// Lookups per simulated second: the tier's load.
    pub lookups_per_s: f64,
    /// Hits that returned a stale value.
    pub stale_reads: u64,
    /// Objects evicted from the tier's caches.
    pub evictions: u64,
    /// Database queries per second, on the `shared` row (the last tier's
    /// misses go there); empty on the others.
    pub db_rps: Option<f64>,
}

impl TierIntervalRow {
    /// The row of tier `tier` for an interval ending at `time_s` that lasted
    /// `seconds`, from its counts.
    pub fn new(
        time_s: f64,
        tier: &str,
        counts: TierCounts,
        seconds: f64,
        db_rps: Option<f64>,
    ) -> Self {
        let share = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        TierIntervalRow {
            time_s,
            tier: tier.to_string(),
            lookups: counts.lookups,
            hits: counts.hits,
            hit_ratio: share(counts.hits, counts.lookups),
            byte_hit_ratio: share(counts.hit_bytes, counts.lookup_bytes),
            lookups_per_s: counts.lookups as f64 / seconds,
            stale_reads: counts.stale_reads,
            evictions: counts.evictions,
            db_rps,
        }
    }
}

/// One node of a tier with nodes of its own (a CDN's edge, a mid-tier's
/// node): a row of `tier-nodes.csv`, so that a reader sees how evenly the
/// tier's load spreads, and where a failed node's load went.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TierNodeRow {
    /// The tier's name.
    pub tier: String,
    /// The node's index in its tier.
    pub node: u32,
    /// Gets that looked in it, after the warm-up.
    pub lookups: u64,
    /// Those that hit.
    pub hits: u64,
    /// hits / lookups; no data when none looked.
    pub hit_ratio: Option<f64>,
    /// Hit bytes / looked-up bytes; no data when none looked.
    pub byte_hit_ratio: Option<f64>,
    /// Lookups per simulated second after the warm-up.
    pub lookups_per_s: f64,
    /// Its lookups over the mean of its tier's nodes (1: an even share).
    pub load_share: f64,
    /// Objects evicted from it after the warm-up.
    pub evictions: u64,
}

impl TierNodeRow {
    /// The rows of the nodes of tier `tier`, from their counts over
    /// `measured_s` seconds.
    pub fn rows(tier: &str, nodes: &[TierCounts], measured_s: f64) -> Vec<TierNodeRow> {
        let share = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        let mean = nodes.iter().map(|c| c.lookups as f64).sum::<f64>() / nodes.len().max(1) as f64;
        nodes
            .iter()
            .enumerate()
            .map(|(i, c)| TierNodeRow {
                tier: tier.to_string(),
                node: i as u32,
                lookups: c.lookups,
                hits: c.hits,
                hit_ratio: share(c.hits, c.lookups),
                byte_hit_ratio: share(c.hit_bytes, c.lookup_bytes),
                lookups_per_s: if measured_s > 0.0 {
                    c.lookups as f64 / measured_s
                } else {
                    0.0
                },
                load_share: if mean > 0.0 {
                    c.lookups as f64 / mean
                } else {
                    0.0
                },
                evictions: c.evictions,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_tier_gets_what_the_local_tiers_passed_on() {
        let total = TierCounts {
            lookups: 100,
            hits: 70,
            lookup_bytes: 1000,
            hit_bytes: 700,
            stale_reads: 5,
            evictions: 9,
            time_ns: 1000,
        };
        let local = TierCounts {
            lookups: 100,
            hits: 40,
            lookup_bytes: 1000,
            hit_bytes: 400,
            stale_reads: 3,
            evictions: 1,
            time_ns: 250,
        };
        let shared = TierCounts::passed_on(total, &[local]);
        // 60 gets missed locally; 30 of them hit the shared tier.
        assert_eq!((shared.lookups, shared.hits), (60, 30));
        assert_eq!((shared.lookup_bytes, shared.hit_bytes), (600, 300));
        assert_eq!((shared.stale_reads, shared.evictions), (2, 9));
        // A quarter of the gets' time was at the local tier, the rest past it.
        assert_eq!(shared.time_ns, 750);
        let row = TierSummary::new("shared".into(), "shared", "lru", 4, shared, 10.0, 1000);
        assert_eq!(row.hit_ratio, Some(0.5));
        assert_eq!(row.lookups_per_s, 6.0);
        assert_eq!(row.latency_share, Some(0.75));
        let none = TierSummary::new("shared".into(), "shared", "lru", 4, shared, 10.0, 0);
        assert_eq!(none.latency_share, None);
    }

    #[test]
    fn a_node_rows_load_share_is_its_lookups_over_its_tiers_mean() {
        let node = |lookups, hits| TierCounts {
            lookups,
            hits,
            lookup_bytes: lookups * 10,
            hit_bytes: hits * 10,
            ..TierCounts::default()
        };
        let rows = TierNodeRow::rows("edge", &[node(30, 15), node(10, 1), node(0, 0)], 2.0);
        let shares: Vec<f64> = rows.iter().map(|r| r.load_share).collect();
        assert_eq!(shares, [2.25, 0.75, 0.0]);
        assert_eq!((rows[0].hit_ratio, rows[2].hit_ratio), (Some(0.5), None));
        assert_eq!((rows[1].node, rows[1].lookups_per_s), (1, 5.0));
        assert_eq!(rows[0].byte_hit_ratio, Some(0.5));
    }
}
