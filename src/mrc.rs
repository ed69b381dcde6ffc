//! One-pass LRU miss-ratio curves from stack distances (Mattson et al. 1970).
//!
//! LRU has the stack property: a cache of size C holds exactly the most
//! recently used objects whose sizes add up to at most C. So a request hits
//! in every cache at least as large as its *stack distance*: the total size
//! of the distinct objects used since the last request for the same key,
//! its own size included. Distances are kept in a Fenwick tree over
//! access positions (each object's size at its latest position); positions
//! are renumbered when the tree fills, so it stays at about twice the number
//! of distinct objects and each request costs O(log n).
//!
//! The curve is exact when every object keeps one size and fits in the
//! smallest cache: then it equals replaying LRU at each size (a test checks
//! this). When an object's size changes, the stack takes the latest size,
//! where a cache that hit would keep the old one.

use rustc_hash::FxHashMap;

use crate::request::Request;

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

/// Stack-distance calculator for LRU over sizes.
pub struct StackDistances {
    /// Fenwick tree of sizes by position.
    tree: Vec<u64>,
    /// Size at each position (0 = no object there).
    size_at: Vec<u32>,
    /// Key at each position.
    key_at: Vec<u64>,
    /// Each key's latest position.
    position: FxHashMap<u64, u32>,
    /// Next free position.
    next: usize,
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
            tree: vec![0; capacity + 1],
            size_at: vec![0; capacity],
            key_at: vec![0; capacity],
            position: FxHashMap::default(),
            next: 0,
            sizes: sorted,
            bucket_hits: vec![0; buckets],
            bucket_bytes: vec![0; buckets],
            requests: 0,
            bytes: 0,
        }
    }

    fn add(&mut self, position: usize, delta: i64) {
        let mut i = position + 1;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Sum of sizes at positions 0..=position.
    fn prefix(&self, position: usize) -> u64 {
        let mut i = position + 1;
        let mut sum = 0u64;
        while i > 0 {
            sum = sum.wrapping_add(self.tree[i]);
            i &= i - 1;
        }
        sum
    }

    /// Renumbers live positions to 0..live and resizes the tree to twice that.
    fn compact(&mut self) {
        let live = self.position.len();
        let capacity = (2 * live).max(1024);
        let mut size_at = vec![0u32; capacity];
        let mut key_at = vec![0u64; capacity];
        let mut n = 0;
        for old in 0..self.next {
            if self.size_at[old] != 0 {
                size_at[n] = self.size_at[old];
                key_at[n] = self.key_at[old];
                *self.position.get_mut(&key_at[n]).expect("live key") = n as u32;
                n += 1;
            }
        }
        // Linear-time Fenwick construction.
        let mut tree = vec![0u64; capacity + 1];
        for i in 1..=capacity {
            tree[i] = tree[i].wrapping_add(u64::from(size_at[i - 1]));
            let parent = i + (i & i.wrapping_neg());
            if parent <= capacity {
                tree[parent] = tree[parent].wrapping_add(tree[i]);
            }
        }
        self.tree = tree;
        self.size_at = size_at;
        self.key_at = key_at;
        self.next = n;
    }

    /// Processes one request; it is counted in the curve when `counted`.
    #[inline]
    pub fn access(&mut self, req: &Request, counted: bool) {
        if self.next == self.size_at.len() {
            self.compact();
        }
        let current = self.next;
        let distance = match self.position.get(&req.key) {
            Some(&old) => {
                let old = old as usize;
                let between = self.prefix(current - 1) - self.prefix(old);
                let old_size = self.size_at[old];
                self.add(old, -i64::from(old_size));
                self.size_at[old] = 0;
                Some(between + u64::from(req.size))
            }
            None => None,
        };
        self.add(current, i64::from(req.size));
        self.size_at[current] = req.size;
        self.key_at[current] = req.key;
        self.position.insert(req.key, current as u32);
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
