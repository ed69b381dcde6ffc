//! TinyLFU's frequency estimate (Einziger, Friedman & Manes, "TinyLFU: A
//! Highly Efficient Cache Admission Policy", ACM TOS 2017): a count-min
//! sketch of 4-bit counters, depth 4, behind a [`Doorkeeper`], aged by
//! halving every counter (and clearing the doorkeeper) once a sample of
//! 10 × the cache's entries has been counted.
//!
//! The layout follows Caffeine's `FrequencySketch`: 16 counters per 64-bit
//! word, a power-of-two number of words (at least one per entry), and the
//! four counters of a key in four different nibbles. The sample is the
//! paper's: it counts every recorded access, including first occurrences
//! the doorkeeper absorbs, and restarts from half of itself after a reset.
//! (Caffeine counts only increments that changed a counter and subtracts
//! the halving's truncation error; with a doorkeeper that way, a stream of
//! one-hit wonders never completes a sample and the doorkeeper fills up.)
//!
//! With capacities in bytes the number of entries is not known up front, so
//! the sketch is sized from the resident count and grows with it, as
//! Caffeine's `ensureCapacity` does for weighted caches: the table is rebuilt
//! (forgetting all counts) only when it must double; between rebuilds the
//! sample size follows the largest resident count seen.
//!
//! [`FrequencySketch`] is Caffeine's production variant of the same
//! counters, for the policies that follow Caffeine's cache rather than the
//! paper: no doorkeeper, lazily sized, and Caffeine's sample accounting.
//!
//! Keys are hashed with a fixed mixer, so estimates are the same run after run.

use super::doorkeeper::Doorkeeper;
use super::hash_key;

/// Keeps the low three bits of every nibble: a word's counters halved after `>> 1`.
const RESET_MASK: u64 = 0x7777_7777_7777_7777;

/// The lowest bit of every nibble: a word's odd counters.
const ONE_MASK: u64 = 0x1111_1111_1111_1111;

/// The largest value of a 4-bit counter.
const MAX_COUNT: u64 = 15;

/// One multiplier per depth (from FNV-1a, CityHash and Murmur3, as Caffeine's).
const SEEDS: [u64; 4] = [
    0xc3a5_c85c_97cb_3127,
    0xb492_b66f_be98_f273,
    0x9ae1_6a3b_2f90_404f,
    0xcbf2_9ce4_8422_2325,
];

/// The fewest words a sketch has, so that a tiny cache's keys do not all collide.
const MIN_WORDS: usize = 8;

/// A count-min sketch of 4-bit counters, depth 4, over pre-hashed keys.
#[derive(Clone, Debug)]
pub struct CountMin4 {
    table: Vec<u64>,
    mask: u64,
}

impl CountMin4 {
    /// An all-zero sketch with at least one word (16 counters) per entry.
    pub fn for_entries(entries: usize) -> Self {
        let words = entries.next_power_of_two().max(MIN_WORDS);
        CountMin4 {
            table: vec![0; words],
            mask: words as u64 - 1,
        }
    }

    /// Number of 64-bit words (of 16 counters each).
    pub fn words(&self) -> usize {
        self.table.len()
    }

    /// The word and bit shift of a hash's counter at `depth`.
    #[inline]
    fn counter(&self, hash: u64, depth: usize) -> (usize, u32) {
        let mixed = hash.wrapping_mul(SEEDS[depth]);
        let word = (mixed.wrapping_add(mixed >> 32) >> 16) & self.mask;
        let nibble = ((hash & 3) << 2) as u32 + depth as u32;
        (word as usize, nibble << 2)
    }

    /// Adds one to the key's four counters, each saturating at 15; returns
    /// whether any counter changed.
    #[inline]
    pub fn increment(&mut self, hash: u64) -> bool {
        let mut added = false;
        for depth in 0..4 {
            let (word, shift) = self.counter(hash, depth);
            if (self.table[word] >> shift) & MAX_COUNT != MAX_COUNT {
                self.table[word] += 1 << shift;
                added = true;
            }
        }
        added
    }

    /// The key's estimated count: the least of its four counters.
    #[inline]
    pub fn estimate(&self, hash: u64) -> u8 {
        let mut least = MAX_COUNT;
        for depth in 0..4 {
            let (word, shift) = self.counter(hash, depth);
            least = least.min((self.table[word] >> shift) & MAX_COUNT);
        }
        least as u8
    }

    /// Halves every counter, rounding down; returns how many counters were
    /// odd (the count the halving truncated by one half each).
    pub fn halve(&mut self) -> u64 {
        let mut odd = 0;
        for word in &mut self.table {
            odd += u64::from((*word & ONE_MASK).count_ones());
            *word = (*word >> 1) & RESET_MASK;
        }
        odd
    }
}

/// Samples per entry before the counters are halved.
const SAMPLE_PER_ENTRY: u64 = 10;

/// TinyLFU: a doorkeeper in front of a periodically halved count-min sketch.
#[derive(Clone, Debug)]
pub struct TinyLfu {
    sketch: CountMin4,
    doorkeeper: Doorkeeper,
    sized_for: usize,
    sample_size: u64,
    additions: u64,
}

impl Default for TinyLfu {
    fn default() -> Self {
        TinyLfu::new()
    }
}

impl TinyLfu {
    /// An empty estimator sized for no entries; grow it with
    /// [`TinyLfu::ensure_capacity`].
    pub fn new() -> Self {
        TinyLfu {
            sketch: CountMin4::for_entries(0),
            doorkeeper: Doorkeeper::for_entries(MIN_WORDS),
            sized_for: 0,
            // Caffeine's sample size for a cache of no entries.
            sample_size: SAMPLE_PER_ENTRY,
            additions: 0,
        }
    }

    /// Makes the estimator fit a cache of `entries` entries: the sample
    /// becomes 10 × the largest count seen, and the sketch and doorkeeper
    /// are rebuilt empty when the sketch has fewer words than entries.
    #[inline]
    pub fn ensure_capacity(&mut self, entries: usize) {
        if entries <= self.sized_for {
            return;
        }
        self.sized_for = entries;
        self.sample_size = SAMPLE_PER_ENTRY * entries as u64;
        if entries > self.sketch.words() {
            self.sketch = CountMin4::for_entries(entries);
            self.doorkeeper = Doorkeeper::for_entries(self.sketch.words());
            self.additions = 0;
        }
    }

    /// Counts one access to `key`. Its first occurrence since the last reset
    /// only enters the doorkeeper; later ones increment the sketch.
    #[inline]
    pub fn record(&mut self, key: u64) {
        let hash = hash_key(key);
        if !self.doorkeeper.insert(hash) {
            self.sketch.increment(hash);
        }
        self.additions += 1;
        if self.additions >= self.sample_size {
            self.reset();
        }
    }

    /// The estimated number of accesses to `key` in the recent past, 0..=15:
    /// the sketch's estimate plus one when the doorkeeper holds the key.
    #[inline]
    pub fn frequency(&self, key: u64) -> u8 {
        let hash = hash_key(key);
        let count = self.sketch.estimate(hash) + u8::from(self.doorkeeper.contains(hash));
        count.min(MAX_COUNT as u8)
    }

    /// The aging step: halve the counters and the sample, clear the doorkeeper.
    fn reset(&mut self) {
        self.sketch.halve();
        self.additions /= 2;
        self.doorkeeper.clear();
    }

    /// Number of accesses counted in the current sample.
    pub fn additions(&self) -> u64 {
        self.additions
    }

    /// Number of counted accesses that triggers the next reset.
    pub fn sample_size(&self) -> u64 {
        self.sample_size
    }
}

/// Caffeine's production `FrequencySketch` (caffeine/src/main/java/com/
/// github/benmanes/caffeine/cache/FrequencySketch.java), over the layout of
/// [`CountMin4`]: no doorkeeper; nothing counted until the cache sizes it
/// with [`FrequencySketch::ensure_capacity`]; the sample counts only the
/// increments that changed a counter, and after 10 × the sized entries of
/// them every counter is halved and the sample restarts from
/// (sample − odd counters / 4) / 2, subtracting the halving's truncation.
#[derive(Clone, Debug, Default)]
pub struct FrequencySketch {
    /// None until sized.
    sketch: Option<CountMin4>,
    sample_size: u64,
    size: u64,
}

impl FrequencySketch {
    /// An unsized sketch: it estimates 0 and counts nothing.
    pub fn new() -> Self {
        FrequencySketch::default()
    }

    /// True once [`FrequencySketch::ensure_capacity`] has sized it.
    #[inline]
    pub fn is_initialized(&self) -> bool {
        self.sketch.is_some()
    }

    /// Caffeine's `ensureCapacity`: unless the table already has at least
    /// `maximum` words, rebuilds it empty with one word per entry (rounded
    /// up to a power of two, at least 8) and a sample of 10 × `maximum`
    /// (10 for 0), forgetting every count.
    #[inline]
    pub fn ensure_capacity(&mut self, maximum: u64) {
        let maximum = maximum.min(u64::from(i32::MAX as u32 >> 1));
        if self
            .sketch
            .as_ref()
            .is_some_and(|s| s.words() as u64 >= maximum)
        {
            return;
        }
        self.sketch = Some(CountMin4::for_entries(maximum as usize));
        self.sample_size = if maximum == 0 {
            SAMPLE_PER_ENTRY
        } else {
            SAMPLE_PER_ENTRY * maximum
        };
        self.size = 0;
    }

    /// Counts one access to `key` (nothing while unsized); ages the sketch
    /// when the sample is complete.
    #[inline]
    pub fn increment(&mut self, key: u64) {
        let Some(sketch) = self.sketch.as_mut() else {
            return;
        };
        if sketch.increment(hash_key(key)) {
            self.size += 1;
            if self.size == self.sample_size {
                let odd = sketch.halve();
                self.size = (self.size - odd / 4) / 2;
            }
        }
    }

    /// The estimated recent accesses to `key`, 0..=15 (0 while unsized).
    #[inline]
    pub fn frequency(&self, key: u64) -> u8 {
        self.sketch
            .as_ref()
            .map_or(0, |sketch| sketch.estimate(hash_key(key)))
    }

    /// Counted increments that trigger the next halving (0 while unsized);
    /// Caffeine's hill climber samples as many requests.
    #[inline]
    pub fn sample_size(&self) -> u64 {
        self.sample_size
    }

    /// Increments counted in the current sample.
    pub fn size(&self) -> u64 {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_saturate_at_fifteen() {
        let mut sketch = CountMin4::for_entries(64);
        let h = hash_key(7);
        for _ in 0..15 {
            assert!(sketch.increment(h));
        }
        assert_eq!(sketch.estimate(h), 15);
        assert!(!sketch.increment(h), "a saturated key changes no counter");
        assert_eq!(sketch.estimate(hash_key(8)), 0);
    }

    #[test]
    fn doorkeeper_absorbs_first_occurrences() {
        let mut lfu = TinyLfu::new();
        lfu.ensure_capacity(100);
        // First sight of 5: only the doorkeeper knows it; the estimate is 1.
        lfu.record(5);
        assert_eq!(lfu.sketch.estimate(hash_key(5)), 0);
        assert_eq!(lfu.frequency(5), 1);
        // Second sight: now the sketch counts it too.
        lfu.record(5);
        assert_eq!(lfu.sketch.estimate(hash_key(5)), 1);
        assert_eq!(lfu.frequency(5), 2);
        // Both accesses are part of the sample.
        assert_eq!(lfu.additions(), 2);
        // A key never seen is estimated at 0.
        assert_eq!(lfu.frequency(6), 0);
    }

    #[test]
    fn estimate_halves_after_the_sample_period() {
        let mut lfu = TinyLfu::new();
        lfu.ensure_capacity(100);
        assert_eq!(lfu.sample_size(), 1000);
        // 9 accesses to key 1: doorkeeper 1 + sketch 8.
        for _ in 0..9 {
            lfu.record(1);
        }
        assert_eq!(lfu.frequency(1), 9);
        // 990 accesses to other keys complete all but one of the sample.
        for key in 1000..1990 {
            lfu.record(key);
        }
        assert_eq!(lfu.additions(), 999);
        assert_eq!(
            lfu.frequency(1),
            9,
            "no reset before the sample is complete"
        );
        // The 1000th access resets: the sketch halves (8 -> 4), the
        // doorkeeper forgets key 1, and the sample restarts at 500.
        lfu.record(2000);
        assert_eq!(lfu.frequency(1), 4);
        assert_eq!(lfu.additions(), 500);
    }

    #[test]
    fn growing_keeps_counts_until_the_table_must_double() {
        let mut lfu = TinyLfu::new();
        lfu.ensure_capacity(100);
        lfu.record(3);
        lfu.record(3);
        // 128 words fit 120 entries: the sample grows, the counts stay.
        lfu.ensure_capacity(120);
        assert_eq!(lfu.sample_size(), 1200);
        assert_eq!(lfu.frequency(3), 2);
        // 129 entries need 256 words: rebuilt empty.
        lfu.ensure_capacity(129);
        assert_eq!(lfu.frequency(3), 0);
    }

    #[test]
    fn caffeines_sketch_counts_nothing_until_sized() {
        let mut sketch = FrequencySketch::new();
        sketch.increment(1);
        assert!(!sketch.is_initialized());
        assert_eq!((sketch.frequency(1), sketch.sample_size()), (0, 0));
        // Sized for 100 entries: 128 words, a sample of 1000 increments.
        sketch.ensure_capacity(100);
        sketch.increment(1);
        assert_eq!((sketch.frequency(1), sketch.sample_size()), (1, 1000));
        // A smaller or equal size keeps the table and its counts; a larger
        // one than the table's 128 words rebuilds it empty.
        sketch.ensure_capacity(128);
        assert_eq!((sketch.frequency(1), sketch.sample_size()), (1, 1000));
        sketch.ensure_capacity(129);
        assert_eq!((sketch.frequency(1), sketch.sample_size()), (0, 1290));
    }

    #[test]
    fn caffeines_sketch_halves_and_subtracts_the_truncation() {
        let mut sketch = FrequencySketch::new();
        sketch.ensure_capacity(10);
        assert_eq!(sketch.sample_size(), 100);
        // Key 7 saturates at 15 after 15 increments; the 16th changes no
        // counter and is not part of the sample.
        for _ in 0..16 {
            sketch.increment(7);
        }
        assert_eq!((sketch.frequency(7), sketch.size()), (15, 15));
        // Fresh keys bring the sample to 99 counted increments.
        let mut key = 1000;
        while sketch.size() < 99 {
            sketch.increment(key);
            key += 1;
        }
        // The table as the 100th increment leaves it, before the halving.
        let mut full = sketch.sketch.clone().unwrap();
        assert!(full.increment(hash_key(key)));
        let odd: u64 = full
            .table
            .iter()
            .map(|w| u64::from((w & ONE_MASK).count_ones()))
            .sum();
        sketch.increment(key);
        // The 100th completes the sample: every counter halved (15 -> 7)
        // and the sample restarts at (100 - odd / 4) / 2.
        assert_eq!(sketch.frequency(7), 7);
        assert_eq!(sketch.size(), (100 - odd / 4) / 2);
    }
}
