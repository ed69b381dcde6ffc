//! S3-FIFO as published in 2023: the variant whose numbers appear in the
//! SOSP paper and in libCacheSim before its October 2024 upgrade.
//!
//! Yang, Zhang, Qiu, Yue & Vinayak, "FIFO queues are all you need for cache
//! eviction", SOSP 2023, as implemented in libCacheSim's `S3FIFOv0.c`: the
//! algorithm of [`s3fifo`](super::s3fifo) (small FIFO, main FIFO with
//! 2-bit reinsertion, ghost FIFO; same parameters and defaults) with one
//! difference. Today's `S3FIFO.c` sends new objects to the main queue once
//! the small queue is full until the first eviction, so a cold cache fills
//! its main queue directly; the 2023 code always admits into the small
//! queue, which may then hold the whole cache until the first eviction, and
//! the first evictions sift it. The machinery is shared with `s3fifo`
//! ([`S3Fifo::v0`]), and so are its deviations from libCacheSim.
//!
//! None of them shows on libCacheSim's test trace: it matches its table at
//! all eight sizes. (When the ghost kept 32-bit fingerprints, two of the
//! trace's keys, 24618679 and 39788900, shared one, and at 512 MiB one
//! object entered the main queue as a false ghost hit: one miss and 61,440
//! bytes more.)

use super::Policy;
use super::registry::{BuildArgs, PolicySpec};
use super::s3fifo::{PARAMS, S3Fifo};

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "s3fifo_v0",
    about: "S3-FIFO as published in 2023: new objects always enter the small FIFO",
    source: "Yang et al., SOSP 2023; libCacheSim S3FIFOv0.c",
    params: PARAMS,
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    let p = args.params;
    Box::new(S3Fifo::v0(
        args.capacity,
        p.real("small"),
        p.real("ghost"),
        p.int("threshold") as u8,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;

    /// Inserts 1..=10 into a 10-object cache (small queue 1, main 9), hits
    /// 2 twice, then inserts 11 and 12; returns what each of those evicted.
    fn warm_up(mut cache: S3Fifo) -> Vec<Vec<u64>> {
        let mut evicted = Vec::new();
        for key in 1..=10 {
            assert!(cache.insert(&Request::get(key, 1), &mut evicted));
        }
        assert!(evicted.is_empty());
        assert!(cache.get(&Request::get(2, 1)) && cache.get(&Request::get(2, 1)));
        let mut out = Vec::new();
        for key in [11, 12] {
            evicted.clear();
            assert!(cache.insert(&Request::get(key, 1), &mut evicted));
            cache.check_invariants();
            out.push(evicted.clone());
        }
        out
    }

    #[test]
    fn a_cold_cache_fills_the_small_queue() {
        // The 2023 code: all ten objects are in the small queue and the main
        // queue is empty. 11 evicts the oldest, 1, never hit. For 12, 2 is
        // the oldest and was hit twice: it moves to the main queue and 3 is
        // evicted instead.
        assert_eq!(warm_up(S3Fifo::v0(10, 0.1, 0.9, 2)), [vec![1], vec![3]]);
        // Today's code put 2..=10 in the main queue once 1 filled the small
        // queue: 11 evicts 1 from the small queue, and 12 evicts 11.
        assert_eq!(warm_up(S3Fifo::new(10, 0.1, 0.9, 2)), [vec![1], vec![11]]);
    }
}
