//! One-pass LRU miss-ratio curves from stack distances (Mattson et al. 1970).
//!
//! LRU has the stack property: a cache of size C holds exactly the most
//! recently used objects whose sizes add up to at most C. So a request hits
//! in every cache at least as large as its *stack distance*: the total size
//! of the distinct objects used since the last request for the same key,
//! its own size included. Each object's size sits at the position of its
//! latest access; sums over positions come from blocks of 32 positions plus a
//! Fenwick tree over block totals (small enough to stay in cache, which makes
//! it several times faster than a Fenwick tree over positions). Positions are
//! renumbered when the array fills, so it stays at about three times the
//! number of distinct objects; each request costs O(log n).
//!
//! The pass has to track every distinct object, so it is bound by memory
//! latency, not by arithmetic: keys live in an open-addressing table of their
//! own, and a batch of requests is walked with software prefetches running a
//! few requests ahead (the key's table slot, then its old position).
//!
//! The curve is exact when every object keeps one size and fits in the
//! smallest cache: then it equals replaying LRU at each size (a test checks
//! this). When an object's size changes, the stack takes the latest size,
//! where a cache that hit would keep the old one.
//!
//! [`sample`] draws a spatial sample of the stream (SHARDS), on which the
//! same pass, or any policy's miniature cache, gives a curve at a fraction
//! of the cost.

mod sample;

pub use sample::{Sample, Sampling, SmallestHashes, sample_hash};

use crate::request::Request;
use crate::seed::mix64;

/// Hits and bytes hit per cache size, accumulated over a stream.
#[derive(Clone, Debug, PartialEq)]
pub struct LruCurve {
    /// The cache sizes, ascending.
    pub sizes: Vec<u64>,
    /// Requests counted (after the warm-up).
    pub requests: u64,
    /// Bytes requested (after the warm-up).
    pub bytes: u64,
    /// Hits at each size.
    pub hits: Vec<u64>,
    /// Bytes hit at each size.
    pub byte_hits: Vec<u64>,
}

/// Positions per block of [`PositionSums`].
const BLOCK: usize = 32;

/// Sizes by position with prefix sums: per-position sizes in blocks of
/// [`BLOCK`], and a Fenwick tree over the block totals.
struct PositionSums {
    size_at: Vec<u32>,
    /// Fenwick tree (1-based) of block totals.
    blocks: Vec<u64>,
}

impl PositionSums {
    /// Room for `capacity` positions holding `sizes` (the rest empty).
    fn new(capacity: usize, sizes: &[u32]) -> Self {
        let mut size_at = vec![0u32; capacity];
        size_at[..sizes.len()].copy_from_slice(sizes);
        let block_count = capacity.div_ceil(BLOCK);
        let mut blocks = vec![0u64; block_count + 1];
        for (b, chunk) in size_at.chunks(BLOCK).enumerate() {
            blocks[b + 1] = chunk.iter().map(|&s| u64::from(s)).sum();
        }
        // Linear-time Fenwick construction.
        for i in 1..=block_count {
            let parent = i + (i & i.wrapping_neg());
            if parent <= block_count {
                blocks[parent] += blocks[i];
            }
        }
        PositionSums { size_at, blocks }
    }

    fn capacity(&self) -> usize {
        self.size_at.len()
    }

    fn get(&self, position: usize) -> u32 {
        self.size_at[position]
    }

    /// Asks the CPU to start loading the block a prefix at `position` reads.
    #[inline]
    fn prefetch(&self, position: usize) {
        if let Some(size) = self.size_at.get(position) {
            prefetch(size);
        }
    }

    /// Sets the size at an empty position, or empties a position (size 0).
    fn set(&mut self, position: usize, size: u32) {
        let delta = i64::from(size) - i64::from(self.size_at[position]);
        self.size_at[position] = size;
        let mut i = position / BLOCK + 1;
        while i < self.blocks.len() {
            self.blocks[i] = self.blocks[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Sum of the sizes at positions 0..=position.
    fn prefix(&self, position: usize) -> u64 {
        let block = position / BLOCK;
        let mut sum: u64 = self.size_at[block * BLOCK..=position]
            .iter()
            .map(|&s| u64::from(s))
            .sum();
        let mut i = block;
        while i > 0 {
            sum += self.blocks[i];
            i &= i - 1;
        }
        sum
    }
}

/// Marks an empty slot of [`PositionIndex`].
const EMPTY: u32 = u32::MAX;

/// One slot of [`PositionIndex`].
#[derive(Clone, Copy)]
struct Slot {
    key: u64,
    position: u32,
}

/// Key → latest position, by linear probing. Keys are never removed (the
/// stack keeps every object), so no tombstones are needed.
struct PositionIndex {
    slots: Vec<Slot>,
    len: usize,
}

impl PositionIndex {
    fn new() -> Self {
        PositionIndex {
            slots: vec![
                Slot {
                    key: 0,
                    position: EMPTY
                };
                1024
            ],
            len: 0,
        }
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        mix64(key) as usize & (self.slots.len() - 1)
    }

    /// Asks the CPU to start loading `key`'s home slot.
    #[inline]
    fn prefetch(&self, key: u64) {
        prefetch(&self.slots[self.home(key)]);
    }

    /// The latest position of `key`, without changing anything.
    #[inline]
    fn get(&self, key: u64) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let slot = self.slots[i];
            if slot.position == EMPTY {
                return None;
            }
            if slot.key == key {
                return Some(slot.position);
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets `key`'s position; returns the previous one.
    #[inline]
    fn replace(&mut self, key: u64, position: u32) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let slot = &mut self.slots[i];
            if slot.position == EMPTY {
                *slot = Slot { key, position };
                self.len += 1;
                if 4 * self.len > 3 * self.slots.len() {
                    self.grow();
                }
                return None;
            }
            if slot.key == key {
                return Some(std::mem::replace(&mut slot.position, position));
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let empty = Slot {
            key: 0,
            position: EMPTY,
        };
        let doubled = vec![empty; 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, doubled);
        self.len = 0;
        for slot in old.into_iter().filter(|s| s.position != EMPTY) {
            self.replace(slot.key, slot.position);
        }
    }

    /// Rewrites every position through `renumber`.
    fn renumber(&mut self, renumber: &[u32]) {
        for slot in self.slots.iter_mut().filter(|s| s.position != EMPTY) {
            slot.position = renumber[slot.position as usize];
        }
    }
}

/// Hints the CPU to load `value`'s cache line; no effect on results.
#[inline]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: prefetching never faults and reads nothing observable; the
        // pointer comes from a reference, and SSE is baseline on x86_64.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Stack-distance calculator for LRU over sizes.
pub struct StackDistances {
    /// Each live object's size at its latest position.
    sums: PositionSums,
    /// Each key's latest position.
    position: PositionIndex,
    /// Next free position.
    next: usize,
    /// Sum of all sizes (every position from `next` on is empty).
    total: u64,
    /// Sizes of the curve, ascending.
    sizes: Vec<u64>,
    /// Requests whose distance falls in each size bucket (last bucket: beyond all).
    bucket_hits: Vec<u64>,
    bucket_bytes: Vec<u64>,
    requests: u64,
    bytes: u64,
}

impl StackDistances {
    /// A calculator for the given cache sizes (any order; duplicates allowed).
    pub fn new(sizes: &[u64]) -> Self {
        let mut sorted = sizes.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let buckets = sorted.len() + 1;
        let capacity = 1024;
        StackDistances {
            sums: PositionSums::new(capacity, &[]),
            position: PositionIndex::new(),
            next: 0,
            total: 0,
            sizes: sorted,
            bucket_hits: vec![0; buckets],
            bucket_bytes: vec![0; buckets],
            requests: 0,
            bytes: 0,
        }
    }

    /// Renumbers live positions to 0..live and resizes to three times that,
    /// so renumbering costs a fraction of a sequential pass per request.
    fn compact(&mut self) {
        let live = self.position.len;
        let capacity = (3 * live).max(1024);
        let mut sizes = Vec::with_capacity(live);
        let mut renumber = vec![EMPTY; self.next];
        for (old, slot) in renumber.iter_mut().enumerate() {
            let size = self.sums.get(old);
            if size != 0 {
                *slot = sizes.len() as u32;
                sizes.push(size);
            }
        }
        self.position.renumber(&renumber);
        self.next = sizes.len();
        self.sums = PositionSums::new(capacity, &sizes);
    }

    /// Processes a batch of requests; those at index `counted_from` and later
    /// are counted in the curve. Prefetches run ahead of the requests.
    pub fn access_batch(&mut self, batch: &[Request], counted_from: usize) {
        const SLOT_AHEAD: usize = 16;
        const SIZE_AHEAD: usize = 8;
        for (i, req) in batch.iter().enumerate() {
            if let Some(ahead) = batch.get(i + SLOT_AHEAD) {
                self.position.prefetch(ahead.key);
            }
            if let Some(ahead) = batch.get(i + SIZE_AHEAD)
                && let Some(position) = self.position.get(ahead.key)
            {
                self.sums.prefetch(position as usize);
            }
            self.access(req, i >= counted_from);
        }
    }

    /// Processes one request; it is counted in the curve when `counted`.
    #[inline]
    pub fn access(&mut self, req: &Request, counted: bool) {
        if self.next == self.sums.capacity() {
            self.compact();
        }
        let current = self.next;
        let distance = self.position.replace(req.key, current as u32).map(|old| {
            let old = old as usize;
            // Positions after `current` are empty, so what lies strictly
            // between the two accesses is the total minus the prefix up to
            // the old position (the old size included).
            let old_size = self.sums.get(old);
            let between = self.total - self.sums.prefix(old);
            self.sums.set(old, 0);
            self.total -= u64::from(old_size);
            between + u64::from(req.size)
        });
        self.sums.set(current, req.size);
        self.total += u64::from(req.size);
        self.next += 1;
        if counted {
            let bucket = match distance {
                Some(d) => self.sizes.partition_point(|&s| s < d),
                None => self.sizes.len(),
            };
            self.bucket_hits[bucket] += 1;
            self.bucket_bytes[bucket] += u64::from(req.size);
            self.requests += 1;
            self.bytes += u64::from(req.size);
        }
    }

    /// The curve so far.
    pub fn curve(&self) -> LruCurve {
        let mut hits = Vec::with_capacity(self.sizes.len());
        let mut byte_hits = Vec::with_capacity(self.sizes.len());
        let (mut h, mut b) = (0, 0);
        for i in 0..self.sizes.len() {
            h += self.bucket_hits[i];
            b += self.bucket_bytes[i];
            hits.push(h);
            byte_hits.push(b);
        }
        LruCurve {
            sizes: self.sizes.clone(),
            requests: self.requests,
            bytes: self.bytes,
            hits,
            byte_hits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyChoice;
    use crate::request::RequestStream;
    use crate::seed::Seed;
    use crate::workload::{SizeLaw, Workload};

    #[test]
    fn hand_traced_distances() {
        // Sizes 1: a b c a → the second a has distance 3 (c, b, a).
        let mut sd = StackDistances::new(&[1, 2, 3]);
        for key in [1, 2, 3, 1] {
            sd.access(&Request::get(key, 1), true);
        }
        let curve = sd.curve();
        assert_eq!(curve.hits, [0, 0, 1]);
        assert_eq!(curve.requests, 4);
    }

    #[test]
    fn equals_lru_replay_at_every_size() {
        let workload = Workload::parse(
            "zipf:alpha=0.8,keys=3000,requests=60000",
            SizeLaw::parse("pareto:scale=10,shape=2").unwrap(),
        )
        .unwrap();
        let mut requests = Vec::new();
        let mut stream = workload.stream(Seed(9));
        while stream.next_batch(&mut requests, 4096).unwrap() > 0 {}
        let largest = requests.iter().map(|r| u64::from(r.size)).max().unwrap();
        let sizes: Vec<u64> = (1..=30).map(|i| largest + i * 1500).collect();
        let mut sd = StackDistances::new(&sizes);
        for (i, r) in requests.iter().enumerate() {
            sd.access(r, i >= 1000);
        }
        let curve = sd.curve();
        for (j, &capacity) in sizes.iter().enumerate() {
            let mut lru = PolicyChoice::parse("lru").unwrap().build(capacity, Seed(0));
            let mut evicted = Vec::new();
            let (mut hits, mut byte_hits) = (0, 0);
            for (i, r) in requests.iter().enumerate() {
                if lru.get(r) {
                    if i >= 1000 {
                        hits += 1;
                        byte_hits += u64::from(r.size);
                    }
                } else {
                    lru.insert(r, &mut evicted);
                }
            }
            assert_eq!(curve.hits[j], hits, "hits at capacity {capacity}");
            assert_eq!(
                curve.byte_hits[j], byte_hits,
                "byte hits at capacity {capacity}"
            );
        }
    }
}
