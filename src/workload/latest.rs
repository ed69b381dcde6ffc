//! YCSB's `latest` popularity: a Zipf law over recency, the newest key the
//! most requested, while inserts keep creating keys (B. F. Cooper et al.,
//! "Benchmarking cloud serving systems with YCSB", SoCC 2010, §4.1, and
//! `SkewedLatestGenerator` in YCSB's core: rank r, drawn from a Zipf over
//! the keys created so far, names the r-th newest key).
//!
//! Keys are created in order: the first `keys` at the start (indices
//! 1..=keys), then one per insert. Without churn every key created stays
//! (the Zipf is over all of them, so its support grows); with churn each
//! insert also deletes the oldest key, so exactly the newest `keys` exist
//! and a deleted key is never requested again.

use super::popularity::{Popularity, Sampler};
use super::scramble;
use crate::seed::Rng;

/// The key space of a `latest` law as inserts change it.
#[derive(Debug)]
pub(super) struct Recency {
    alpha: f64,
    /// Keys that exist at once with churn (none: they all stay).
    window: Option<u64>,
    /// Index of the newest key (keys created so far).
    created: u64,
    /// Keys the sampler draws ranks over.
    support: u64,
    sampler: Sampler,
}

impl Recency {
    /// `keys` keys to start with, Zipf(`alpha`) over recency.
    pub(super) fn new(alpha: f64, keys: u64, churn: bool) -> Recency {
        Recency {
            alpha,
            window: churn.then_some(keys),
            created: keys,
            support: keys,
            sampler: Popularity::Zipf { alpha, keys }.sampler(),
        }
    }

    /// The number (creation index) of the next read's key: the r-th
    /// newest, r drawn from the Zipf.
    #[inline]
    pub(super) fn number(&mut self, rng: &mut Rng) -> u64 {
        let live = self.window.unwrap_or(self.created);
        if live != self.support {
            self.support = live;
            self.sampler = Popularity::Zipf {
                alpha: self.alpha,
                keys: live,
            }
            .sampler();
        }
        let rank = self.sampler.rank(rng);
        self.created - rank + 1
    }

    /// The number of the newest key.
    pub(super) fn newest(&self) -> u64 {
        self.created
    }

    /// Creates a key (deleting the oldest, with churn) and returns it.
    pub(super) fn insert(&mut self) -> u64 {
        self.created = self.created.saturating_add(1);
        scramble(self.created)
    }

    /// Index of the oldest key that still exists (1 without churn).
    #[cfg(test)]
    fn oldest(&self) -> u64 {
        self.window.map_or(1, |w| self.created - w + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;

    #[test]
    fn the_newest_key_is_the_most_requested() {
        let mut recency = Recency::new(0.99, 100, false);
        let mut rng = Seed(3).rng();
        let newest = recency.insert();
        let draws: Vec<u64> = (0..10_000)
            .map(|_| scramble(recency.number(&mut rng)))
            .collect();
        let count = |k: u64| draws.iter().filter(|&&d| d == k).count();
        // Rank 1 of Zipf(0.99) over 101 keys has about 19 % of the draws.
        assert!(count(newest) > 1_500, "{}", count(newest));
        assert!(count(newest) > count(scramble(100)));
        assert!(count(scramble(100)) > count(scramble(1)));
    }

    #[test]
    fn with_churn_a_deleted_key_is_never_drawn() {
        let mut recency = Recency::new(0.0, 10, true);
        let mut rng = Seed(4).rng();
        for _ in 0..5 {
            recency.insert();
        }
        assert_eq!(recency.oldest(), 6);
        let gone: Vec<u64> = (1..6).map(scramble).collect();
        assert!((0..2_000).all(|_| !gone.contains(&scramble(recency.number(&mut rng)))));
    }
}
