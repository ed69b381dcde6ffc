//! The order of a workload's keys in its table, which is what a scan reads
//! along: key numbers n, n + 1, … (see `workload::scan`).
//!
//! YCSB's default request distribution is scrambled: its
//! `ScrambledZipfianGenerator` draws a Zipf item and returns
//! `min + fnvhash64(item) % itemcount`, and its `CoreWorkload` with the
//! default `insertorder=hashed` names record `keynum` by a hash of it
//! (`buildKeyName`), so the records next to a popular one in key order
//! have unrelated popularity, and a scan that starts at a hot record reads
//! mostly cold ones (brianfrankcooper/YCSB, `core/.../generator/
//! ScrambledZipfianGenerator.java`, `core/.../workloads/CoreWorkload.java`,
//! `doTransactionScan`: a start key from the request distribution, then
//! `db.scan(table, startkey, len, …)`).
//!
//! [`ScanOrder::Scrambled`] does the same with a true bijection: the key of
//! popularity rank r (1-based, as the law draws it) has key number
//! 1 + π(r − 1), π a keyed permutation of [0, N) for the law's N `keys`.
//! YCSB's hash modulo N is not a bijection (two ranks can hash to one item
//! and some items are never drawn), which changes the popularity law it
//! claims to follow; a permutation keeps every key's rate the law's and
//! only moves keys in the table. π is a balanced Feistel network (M. Luby
//! and C. Rackoff, "How to construct pseudorandom permutations from
//! pseudorandom functions", SIAM J. Computing 17(2), 1988) over the
//! smallest even number of bits that covers N, its round function the
//! splitmix64 finaliser of the half and a round key, with cycle-walking
//! down to [0, N) (J. Black and P. Rogaway, "Ciphers with arbitrary finite
//! domains", CT-RSA 2002, §3): apply the network again until the value
//! falls below N. The domain is under 4N, so a draw takes fewer than 4
//! passes on average; the state is the round keys, O(1) however many keys,
//! drawn from the workload's seed (label `table`).
//!
//! Keys inserted under a stationary law (numbers above N) and under
//! `latest` (creation indices above N) keep their numbers: they follow the
//! initial keys in creation order, where YCSB's hashed insert order would
//! scatter them. [`ScanOrder::Ranked`] is the identity: key number = rank
//! (the creation index under `latest`), so a scan from a hot key reads the
//! next-hottest keys, as YCSB with `insertorder=ordered` and an unscrambled
//! `zipfian` would.

use rand::RngExt;

use crate::seed::{Seed, mix64};

/// How a scan workload lays its keys out in key-number order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOrder {
    /// Key number = popularity rank (creation index under `latest`).
    Ranked,
    /// Key number = a keyed permutation of the rank, as YCSB's scrambled
    /// zipfian with hashed keys: neighbours have unrelated popularity.
    Scrambled,
}

/// Rounds of the Feistel network.
const ROUNDS: usize = 6;

/// A keyed bijection of [0, n) (see the module's comment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permutation {
    n: u64,
    /// Bits in each half of the network's block.
    half: u32,
    keys: [u64; ROUNDS],
}

impl Permutation {
    /// A permutation of [0, `n`) keyed from `seed`.
    pub fn new(n: u64, seed: Seed) -> Permutation {
        let bits = u64::BITS - n.saturating_sub(1).leading_zeros();
        let mut rng = seed.rng();
        Permutation {
            n,
            half: bits.div_ceil(2),
            keys: std::array::from_fn(|_| rng.random()),
        }
    }

    /// The image of `x`, which must be below `n`.
    #[inline]
    pub fn apply(&self, x: u64) -> u64 {
        debug_assert!(x < self.n, "{x} outside [0, {})", self.n);
        let mut y = self.network(x);
        while y >= self.n {
            y = self.network(y);
        }
        y
    }

    /// One pass of the network over the block of 2 · `half` bits.
    #[inline]
    fn network(&self, x: u64) -> u64 {
        // `half` is at most 32, so neither shift overflows.
        let mask = (1u64 << self.half) - 1;
        let (mut left, mut right) = (x >> self.half, x & mask);
        for key in self.keys {
            (left, right) = (right, left ^ (mix64(right ^ key) & mask));
        }
        (left << self.half) | right
    }
}

/// The table order of a workload's first `n` key numbers: which number the
/// key of each number's rank takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Table(Permutation);

impl Table {
    /// The order `order` over `keys` initial keys, keyed from `seed`
    /// (none for the identity).
    pub(super) fn new(order: ScanOrder, keys: u64, seed: Seed) -> Option<Table> {
        match order {
            ScanOrder::Ranked => None,
            ScanOrder::Scrambled => Some(Table(Permutation::new(keys, seed))),
        }
    }

    /// The key number of rank (or creation index) `rank`: permuted among
    /// the first keys, unchanged after them.
    #[inline]
    pub(super) fn number(&self, rank: u64) -> u64 {
        match rank {
            1.. if rank <= self.0.n => 1 + self.0.apply(rank - 1),
            _ => rank,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every image of [0, n) lies in it and none repeats.
    fn is_bijection(n: u64, seed: u64) -> bool {
        let p = Permutation::new(n, Seed(seed));
        let mut seen = vec![false; n as usize];
        (0..n).all(|x| {
            let y = p.apply(x);
            y < n && !std::mem::replace(&mut seen[y as usize], true)
        })
    }

    #[test]
    fn the_permutation_is_a_bijection_for_small_primes_and_powers_of_two() {
        for n in [
            1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 97, 127, 128, 1000, 1024, 4099,
        ] {
            for seed in [1, 2, 3] {
                assert!(is_bijection(n, seed), "n = {n}, seed = {seed}");
            }
        }
        assert!(is_bijection(65_537, 7));
        assert!(is_bijection(1 << 17, 7));
    }

    #[test]
    fn the_permutation_depends_on_the_seed_and_moves_most_points() {
        let (a, b) = (
            Permutation::new(1000, Seed(1)),
            Permutation::new(1000, Seed(2)),
        );
        let differ = (0..1000).filter(|&x| a.apply(x) != b.apply(x)).count();
        let fixed = (0..1000).filter(|&x| a.apply(x) == x).count();
        // A random permutation of 1000 points: about 999 differ from
        // another's images, and Poisson(1) fixed points.
        assert!(differ > 980, "{differ}");
        assert!(fixed < 8, "{fixed}");
        assert_eq!(a, Permutation::new(1000, Seed(1)));
    }

    #[test]
    fn a_huge_domain_stays_in_range() {
        let p = Permutation::new(u64::MAX, Seed(3));
        assert!((0..1000).all(|x| p.apply(x) < u64::MAX));
        let p = Permutation::new(10_000_000_000, Seed(3));
        let images: std::collections::BTreeSet<u64> = (0..10_000).map(|x| p.apply(x)).collect();
        assert_eq!(images.len(), 10_000);
        assert!(images.iter().all(|&y| y < 10_000_000_000));
    }

    /// Spearman's rank correlation of the ranks of neighbouring key
    /// numbers under `order` over `n` keys.
    fn neighbour_correlation(order: ScanOrder, n: u64) -> f64 {
        let mut rank_of = vec![0u64; n as usize + 1];
        for rank in 1..=n {
            let number = Table::new(order, n, Seed(11)).map_or(rank, |t| t.number(rank));
            rank_of[number as usize] = rank;
        }
        // The ranks of numbers 1..n − 1 and of 2..n: each a permutation
        // of ranks short of one, so Pearson's r of the ranks themselves.
        let x: Vec<f64> = (1..n).map(|k| rank_of[k as usize] as f64).collect();
        let y: Vec<f64> = (2..=n).map(|k| rank_of[k as usize] as f64).collect();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (mx, my) = (mean(&x), mean(&y));
        let cov: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let var = |v: &[f64], m: f64| v.iter().map(|a| (a - m).powi(2)).sum::<f64>();
        cov / (var(&x, mx) * var(&y, my)).sqrt()
    }

    #[test]
    fn neighbours_have_unrelated_ranks_when_scrambled_and_next_ranks_when_ranked() {
        let n = 100_000;
        let scrambled = neighbour_correlation(ScanOrder::Scrambled, n);
        // Under independence r has standard error 1/√n ≈ 0.003.
        assert!(scrambled.abs() < 4.0 / (n as f64).sqrt(), "{scrambled}");
        let ranked = neighbour_correlation(ScanOrder::Ranked, n);
        assert!(ranked > 0.999_99, "{ranked}");
    }

    #[test]
    fn a_key_read_alone_and_the_key_a_scan_starts_at_follow_one_law() {
        // Zipf(1.5) over 1000 keys: rank 1 has about 39% of the draws, rank
        // 2 about 14%, so 20 000 draws of each kind order the top keys alike
        // only when reads and scans number ranks the same way.
        for order in [ScanOrder::Scrambled, ScanOrder::Ranked] {
            let workload = crate::workload::Workload {
                scan_order: order,
                ..crate::workload::Workload::still(
                    crate::workload::Popularity::Zipf {
                        alpha: 1.5,
                        keys: 1000,
                    },
                    crate::workload::SizeLaw::Fixed(1),
                    0,
                )
            };
            let mut stream = workload.stream(Seed(8));
            let top = |keys: Vec<u64>| {
                let mut counts = std::collections::BTreeMap::new();
                for key in keys {
                    *counts.entry(key).or_insert(0u32) += 1;
                }
                let mut by_count: Vec<(u32, u64)> =
                    counts.into_iter().map(|(k, c)| (c, k)).collect();
                by_count.sort_unstable_by(|a, b| b.cmp(a));
                by_count.iter().take(3).map(|&(_, k)| k).collect::<Vec<_>>()
            };
            let reads = top((0..20_000).map(|_| stream.next_key()).collect());
            let mut out = Vec::new();
            let starts = top((0..20_000)
                .map(|_| {
                    out.clear();
                    stream.scan(1, &mut out);
                    out[0].key
                })
                .collect());
            assert_eq!(reads, starts, "{order:?}");
            let first = crate::workload::scramble(workload.key_number(Seed(8), 1));
            assert_eq!(reads[0], first, "{order:?}: rank 1's key");
        }
    }

    #[test]
    fn inserted_numbers_keep_their_place_after_the_initial_keys() {
        let table = Table::new(ScanOrder::Scrambled, 50, Seed(4)).unwrap();
        let mut first: Vec<u64> = (1..=50).map(|r| table.number(r)).collect();
        first.sort_unstable();
        assert_eq!(first, (1..=50).collect::<Vec<_>>());
        assert!((51..60).all(|r| table.number(r) == r));
        assert!(Table::new(ScanOrder::Ranked, 50, Seed(4)).is_none());
    }
}
