//! Spatial sampling of a request stream: SHARDS (Waldspurger, Park, Garthwaite
//! & Ahmad, "Efficient MRC Construction with SHARDS", FAST 2015, §3).
//!
//! A key is in the sample when a hash of it falls under a threshold T, so
//! the sample holds a fraction R = T / 2^64 of the keys and *every* request
//! to each of them: the reuse pattern of a sampled key is the one it has in
//! the whole stream. A cache of size C over the whole stream then behaves
//! like a cache of size R · C over the sample (the "miniature cache" of
//! Waldspurger et al., "Cache Modeling and Optimization using Miniature
//! Simulations", ATC 2017), for LRU's stack distances and for any other
//! policy alike.
//!
//! Two ways to pick T:
//! - fixed rate: T = R · 2^64 for a given R;
//! - fixed size: at most `keys` distinct keys, the sample's memory bound.
//!   T is set one past the `keys`-th smallest hash of the stream's distinct
//!   keys, found in a first pass that keeps only those `keys` hashes. The
//!   published SHARDS-max lowers T during its one pass and rescales its
//!   histogram as it goes; finding the final T first gives the same sample
//!   as that one pass ends with, exactly, and lets every policy (not only
//!   LRU's histogram) run on it.

use std::collections::BinaryHeap;

use rustc_hash::FxHashSet;

use crate::seed::mix64;

/// How a sample is asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampling {
    /// Keep this fraction of the keys, in (0, 1].
    Rate(f64),
    /// Keep at most this many distinct keys.
    Keys(u64),
}

/// A resolved sample: which keys it keeps, and at what rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Keys whose [`sample_hash`] is below this are kept.
    threshold: u64,
    /// Every key is kept (T would be 2^64, one past `u64::MAX`).
    all: bool,
    /// R, as asked for or as the threshold gives it.
    rate: f64,
}

/// 2^64 as a float, the hash space's size.
const SPACE: f64 = 18_446_744_073_709_551_616.0;

impl Sample {
    /// The sample that keeps a fraction `rate` of the keys, in (0, 1].
    pub fn at_rate(rate: f64) -> Sample {
        if rate >= 1.0 {
            return Sample::everything();
        }
        // `rate` < 1, so the product is below 2^64 and the cast is exact
        // up to rounding.
        Sample {
            threshold: (rate * SPACE) as u64,
            all: false,
            rate,
        }
    }

    /// The sample that keeps every key.
    pub fn everything() -> Sample {
        Sample {
            threshold: u64::MAX,
            all: true,
            rate: 1.0,
        }
    }

    /// Whether `key` is in the sample.
    #[inline]
    pub fn keeps(&self, key: u64) -> bool {
        self.all || sample_hash(key) < self.threshold
    }

    /// The fraction of the key space kept, R = T / 2^64.
    pub fn rate(&self) -> f64 {
        self.rate
    }
}

/// The hash that decides sampling: splitmix64 twice, with a salt, so that
/// it is independent of the `mix64(key)` that hash tables here use to
/// place keys (a sample on the same hash would crowd their buckets).
#[inline]
pub fn sample_hash(key: u64) -> u64 {
    mix64(mix64(key) ^ 0x5348_4152_4453_2015)
}

/// The smallest hashes of distinct keys seen so far, at most `limit` of
/// them: the first pass of a fixed-size sample.
pub struct SmallestHashes {
    limit: usize,
    /// The kept hashes, largest on top.
    heap: BinaryHeap<u64>,
    /// The same hashes, to see a key again without counting it twice.
    members: FxHashSet<u64>,
}

impl SmallestHashes {
    /// Keeps at most `limit` hashes (at least one).
    pub fn new(limit: u64) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX).max(1);
        SmallestHashes {
            limit,
            heap: BinaryHeap::new(),
            members: FxHashSet::default(),
        }
    }

    /// Sees one request's key.
    #[inline]
    pub fn see(&mut self, key: u64) {
        let hash = sample_hash(key);
        let full = self.heap.len() == self.limit;
        if full && self.heap.peek().is_some_and(|&top| hash >= top) {
            return;
        }
        if !self.members.insert(hash) {
            return;
        }
        self.heap.push(hash);
        if self.heap.len() > self.limit
            && let Some(dropped) = self.heap.pop()
        {
            self.members.remove(&dropped);
        }
    }

    /// The sample of the kept keys: every key when fewer than `limit`
    /// distinct keys were seen, else those with a hash up to the largest
    /// kept one.
    pub fn sample(&self) -> Sample {
        match self.heap.peek() {
            Some(&largest) if self.heap.len() == self.limit && largest < u64::MAX => Sample {
                threshold: largest + 1,
                all: false,
                rate: (largest as f64 + 1.0) / SPACE,
            },
            _ => Sample::everything(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_keeps_that_share_of_the_keys() {
        let sample = Sample::at_rate(0.01);
        let kept = (0..1_000_000u64).filter(|&k| sample.keeps(k)).count();
        // Binomial(10^6, 0.01): sd ≈ 99.5; 5 sd either side.
        assert!((9_500..=10_500).contains(&kept), "kept {kept}");
        assert!((sample.rate() - 0.01).abs() < 1e-12);
        assert_eq!(Sample::at_rate(1.0).rate(), 1.0);
        assert!(Sample::at_rate(1.0).keeps(u64::MAX));
    }

    #[test]
    fn a_fixed_size_keeps_exactly_that_many_distinct_keys() {
        let mut smallest = SmallestHashes::new(1000);
        // Each key twice, in two orders: repeats must not count.
        for k in (0..50_000u64).chain((0..50_000).rev()) {
            smallest.see(k);
        }
        let sample = smallest.sample();
        let kept = (0..50_000u64).filter(|&k| sample.keeps(k)).count();
        assert_eq!(kept, 1000);
        assert!((sample.rate() - 0.02).abs() < 0.004, "{}", sample.rate());
    }

    #[test]
    fn fewer_keys_than_the_limit_keep_everything() {
        let mut smallest = SmallestHashes::new(100);
        for k in 0..99u64 {
            smallest.see(k);
        }
        assert_eq!(smallest.sample(), Sample::everything());
    }
}
