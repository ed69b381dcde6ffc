//! The doorkeeper: a Bloom filter that absorbs the first occurrence of each
//! key before TinyLFU's counters see it (Einziger, Friedman & Manes,
//! "TinyLFU: A Highly Efficient Cache Admission Policy", ACM TOS 2017,
//! section 3.4.2). Most keys of a long-tailed stream occur once per sample
//! period, so keeping them out of the counting sketch makes it more accurate
//! for the keys that matter.
//!
//! Sized as the Caffeine simulator's membership filter: 3 expected insertions
//! per counted entry at a 1% false-positive rate, that is about 9.6 bits per
//! expected insertion and 7 probes. All 7 probes of a key fall in one 64-bit
//! word (a blocked Bloom filter), so a lookup touches one word; the price is
//! a slightly higher false-positive rate than an unblocked filter's.

/// Bits per expected insertion for a 1% false-positive rate: -ln(0.01) / ln(2)^2.
const BITS_PER_INSERTION: f64 = 9.585;

/// Expected insertions per entry the sketch counts for.
const INSERTIONS_PER_ENTRY: usize = 3;

/// Bit probes per key: -log2(0.01), rounded up.
const PROBES: u32 = 7;

/// A blocked Bloom filter over pre-hashed keys.
#[derive(Clone, Debug)]
pub struct Doorkeeper {
    words: Vec<u64>,
    mask: u64,
}

impl Doorkeeper {
    /// An empty filter for a sketch counting `entries` entries.
    pub fn for_entries(entries: usize) -> Self {
        Doorkeeper::for_insertions(entries.max(1) * INSERTIONS_PER_ENTRY)
    }

    /// An empty filter with a 1% false-positive rate after `insertions`
    /// distinct keys (a little more: the filter is blocked).
    pub fn for_insertions(insertions: usize) -> Self {
        let insertions = insertions.max(1);
        let bits = (insertions as f64 * BITS_PER_INSERTION).ceil() as usize;
        let words = bits.div_ceil(64).next_power_of_two();
        Doorkeeper {
            words: vec![0; words],
            mask: words as u64 - 1,
        }
    }

    /// The word a hash lands in and the bits it sets there.
    #[inline]
    fn probe(&self, hash: u64) -> (usize, u64) {
        let word = (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) & self.mask;
        let spread = (hash ^ (hash >> 31)).wrapping_mul(0xd6e8_feb8_6659_fd93);
        let mut bits = 0u64;
        for i in 0..PROBES {
            bits |= 1 << ((spread >> (58 - 6 * i)) & 63);
        }
        (word as usize, bits)
    }

    /// Adds a hashed key; returns true when it was (probably) absent before.
    #[inline]
    pub fn insert(&mut self, hash: u64) -> bool {
        let (word, bits) = self.probe(hash);
        let absent = self.words[word] & bits != bits;
        self.words[word] |= bits;
        absent
    }

    /// True when the hashed key was (probably) added since the last clear.
    #[inline]
    pub fn contains(&self, hash: u64) -> bool {
        let (word, bits) = self.probe(hash);
        self.words[word] & bits == bits
    }

    /// Forgets every key.
    pub fn clear(&mut self) {
        self.words.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_insert_reports_absent_then_present_until_clear() {
        let mut door = Doorkeeper::for_entries(100);
        assert!(!door.contains(42));
        assert!(door.insert(42), "first occurrence is new");
        assert!(!door.insert(42), "second occurrence is known");
        assert!(door.contains(42));
        door.clear();
        assert!(!door.contains(42));
        assert!(door.words.iter().all(|&w| w == 0), "clear leaves bits set");
    }

    #[test]
    fn false_positive_rate_is_near_one_percent() {
        let entries = 1000;
        let mut door = Doorkeeper::for_entries(entries);
        let mix = |k: u64| crate::workload::scramble(k);
        for k in 0..(3 * entries as u64) {
            door.insert(mix(k));
        }
        let trials = 100_000u64;
        let false_positives = (1_000_000..1_000_000 + trials)
            .filter(|&k| door.contains(mix(k)))
            .count();
        let rate = false_positives as f64 / trials as f64;
        assert!(rate < 0.03, "false-positive rate {rate}");
    }
}
