//! GDSF: GreedyDual-Size with frequency. An object's priority is
//! L + frequency × 10^6 / size, where the cache age L is the priority of the
//! last object evicted; the lowest priority leaves first, so small, popular
//! objects stay and large or stale ones go.
//!
//! Cherkasova, "Improving WWW proxies performance with Greedy-Dual-Size-
//! Frequency caching policy", HP Labs HPL-98-69R1, 1998, and Arlitt et al.,
//! SIGMETRICS PER 2000, with the cost of every object 1 (hit-ratio
//! optimisation, as in libCacheSim), checked against libCacheSim's
//! `cpp/GDSF.cpp` (develop, 2025), whose exact rules are followed:
//! - the frequency starts at 1 on insert and grows by 1 on each hit; a hit
//!   recomputes the priority with the current L;
//! - priorities are `f64` computed as libCacheSim does (L + f × 1e6 / size,
//!   in that order of operations), and equal priorities leave in the order
//!   they were last set (oldest first);
//! - the new object is inserted first and the cache then evicts the lowest
//!   priority until it fits, so a new object whose priority is the lowest
//!   evicts itself: it is then not admitted (the objects evicted before it
//!   stay evicted), and L still becomes its priority.
//!
//! No parameters.

use super::parts::list::Entries;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "gdsf",
    about: "GreedyDual-Size-Frequency: evict the lowest age + frequency / size",
    source: "Cherkasova, HP Labs 1998; Arlitt et al., SIGMETRICS PER 2000; libCacheSim GDSF.cpp",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Gdsf::new(args.capacity))
}

/// Scale of frequency / size in the priority (libCacheSim's).
const SCALE: f64 = 1.0e6;

/// Children per heap node: a 4-ary heap is shallower than a binary one and
/// its children share a cache line.
const ARITY: usize = 4;

/// Where an object stands in the priority order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    /// The priority's bits: priorities are non-negative (or +inf for an
    /// object of size 0), where bit order is numeric order.
    priority: u64,
    /// When the priority was set, to break ties oldest first.
    set_at: u64,
}

/// One heap element: a rank and the object's slot.
#[derive(Clone, Copy, Debug)]
struct Ranked {
    rank: Rank,
    slot: u32,
}

/// Per object: its frequency and its position in the heap.
#[derive(Clone, Copy, Debug)]
struct Meta {
    frequency: u32,
    position: u32,
}

/// GreedyDual-Size-Frequency.
pub struct Gdsf {
    capacity: u64,
    used: u64,
    entries: Entries<Meta>,
    /// Every resident object in a min-heap by rank, positions kept in `Meta`.
    heap: Vec<Ranked>,
    /// The cache age L: the priority of the last object evicted.
    age: f64,
    /// Operations so far, the clock of `Rank::set_at`.
    clock: u64,
}

impl Gdsf {
    /// An empty GDSF cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Gdsf {
            capacity,
            used: 0,
            entries: Entries::default(),
            heap: Vec::new(),
            age: 0.0,
            clock: 0,
        }
    }

    /// The rank, set now, of an object of `frequency` and `size`.
    fn rank(&mut self, frequency: u32, size: u32) -> Rank {
        self.clock += 1;
        let priority = self.age + f64::from(frequency) * SCALE / f64::from(size);
        Rank {
            priority: priority.to_bits(),
            set_at: self.clock,
        }
    }

    /// Stores `item` at heap position `at` and tells its object.
    #[inline]
    fn place(&mut self, at: usize, item: Ranked) {
        self.heap[at] = item;
        self.entries.node_mut(item.slot).meta.position = at as u32;
    }

    /// Moves the element at `at` towards the root while it ranks below its
    /// parent.
    fn sift_up(&mut self, mut at: usize) {
        let item = self.heap[at];
        while at > 0 {
            let parent = (at - 1) / ARITY;
            if self.heap[parent].rank <= item.rank {
                break;
            }
            self.place(at, self.heap[parent]);
            at = parent;
        }
        self.place(at, item);
    }

    /// Moves the element at `at` towards the leaves while a child ranks
    /// below it.
    fn sift_down(&mut self, mut at: usize) {
        let item = self.heap[at];
        loop {
            let first = at * ARITY + 1;
            let children = first..(first + ARITY).min(self.heap.len());
            let Some(lowest) = children.min_by_key(|&c| self.heap[c].rank) else {
                break;
            };
            if self.heap[lowest].rank >= item.rank {
                break;
            }
            self.place(at, self.heap[lowest]);
            at = lowest;
        }
        self.place(at, item);
    }

    /// Takes the element at `at` out of the heap.
    fn remove_at(&mut self, at: usize) -> Ranked {
        let removed = self.heap[at];
        let last = self.heap.pop().expect("removing from an empty heap");
        if at < self.heap.len() {
            self.place(at, last);
            self.sift_down(at);
            self.sift_up(self.entries.node(last.slot).meta.position as usize);
        }
        removed
    }

    /// Evicts the lowest-ranked object, whose priority becomes the age;
    /// returns its key.
    fn evict_one(&mut self) -> u64 {
        let lowest = self.remove_at(0);
        self.age = f64::from_bits(lowest.rank.priority);
        let (key, size) = self.entries.remove(lowest.slot);
        self.used -= u64::from(size);
        key
    }
}

impl Policy for Gdsf {
    #[inline]
    fn get(&mut self, req: &Request) -> bool {
        let Some(slot) = self.entries.find(req.key) else {
            self.clock += 1;
            return false;
        };
        let node = self.entries.node(slot);
        let (meta, size) = (node.meta, node.size);
        let frequency = meta.frequency.saturating_add(1);
        let rank = self.rank(frequency, size);
        self.entries.node_mut(slot).meta.frequency = frequency;
        // The age never falls and the frequency grows: the rank only rises.
        let at = meta.position as usize;
        self.heap[at].rank = rank;
        self.sift_down(at);
        true
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let size = u64::from(req.size);
        if size > self.capacity {
            return false;
        }
        let rank = self.rank(1, req.size);
        let at = self.heap.len();
        let meta = Meta {
            frequency: 1,
            position: at as u32,
        };
        let slot = self.entries.add(req.key, req.size, meta);
        self.heap.push(Ranked { rank, slot });
        self.sift_up(at);
        self.used += size;
        while self.used > self.capacity {
            let key = self.evict_one();
            if key == req.key {
                return false;
            }
            evicted.push(key);
        }
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        self.remove_at(self.entries.node(slot).meta.position as usize);
        self.used -= u64::from(self.entries.remove(slot).1);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.entries.find(key).is_some()
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.entries.len(),
            used: self.used,
            capacity: self.capacity,
        }
    }

    fn check_invariants(&self) {
        self.entries.check();
        assert_eq!(self.heap.len(), self.entries.len(), "every entry is ranked");
        let mut bytes = 0;
        for (at, item) in self.heap.iter().enumerate() {
            let node = self.entries.node(item.slot);
            assert_eq!(node.meta.position as usize, at, "{} is lost", node.key);
            assert!(node.meta.frequency >= 1, "{} has frequency 0", node.key);
            if at > 0 {
                let parent = &self.heap[(at - 1) / ARITY];
                assert!(parent.rank < item.rank, "heap order broken at {at}");
            }
            let priority = f64::from_bits(item.rank.priority);
            assert!(
                priority >= self.age,
                "{} ranks below the age: {priority} < {}",
                node.key,
                self.age
            );
            bytes += u64::from(node.size);
        }
        assert_eq!(bytes, self.used, "byte count");
        assert!(self.used <= self.capacity, "over capacity");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(c: &mut Gdsf, key: u64, size: u32) -> (bool, Vec<u64>) {
        let mut evicted = Vec::new();
        let req = Request::get(key, size);
        if c.get(&req) {
            return (true, evicted);
        }
        let admitted = c.insert(&req, &mut evicted);
        c.check_invariants();
        (admitted, evicted)
    }

    fn priority(c: &Gdsf, key: u64) -> f64 {
        let at = c.entries.node(c.entries.find(key).unwrap()).meta.position;
        f64::from_bits(c.heap[at as usize].rank.priority)
    }

    #[test]
    fn small_and_frequent_objects_stay() {
        let mut c = Gdsf::new(10);
        // Priorities 1e6/4 = 250 000 (key 1), 1e6/2 = 500 000 (key 2).
        access(&mut c, 1, 4);
        access(&mut c, 2, 2);
        // A hit doubles 1's: 2 × 1e6/4 = 500 000, set after 2's.
        access(&mut c, 1, 4);
        assert_eq!(priority(&c, 1), 500_000.0);
        // 3 (size 5, 200 000) is inserted first, then the lowest leaves: 3
        // itself. It is not admitted, and the age becomes its priority.
        assert_eq!(access(&mut c, 3, 5), (false, vec![]));
        assert_eq!(c.age, 200_000.0);
        assert!(!c.contains(3));
        // 4 (size 1) and 5 (size 2) fit: 200 000 + 1e6 and 200 000 + 500 000.
        assert_eq!(access(&mut c, 4, 1), (true, vec![]));
        assert_eq!(access(&mut c, 5, 2), (true, vec![]));
        assert_eq!(priority(&c, 5), 700_000.0);
        // 6 (size 2, 700 000) needs room: 1 and 2 tie lowest at 500 000,
        // and 2's was set first, so 2 leaves and its priority is the age.
        assert_eq!(access(&mut c, 6, 2), (true, vec![2]));
        assert_eq!(c.age, 500_000.0);
    }

    #[test]
    fn a_hit_reprices_with_the_current_age() {
        let mut c = Gdsf::new(2);
        access(&mut c, 1, 1);
        access(&mut c, 2, 1);
        assert_eq!(access(&mut c, 3, 1), (true, vec![1]));
        assert_eq!(c.age, 1.0e6);
        // 2 was priced at age 0; its hit reprices it at 1e6 + 2e6.
        access(&mut c, 2, 1);
        assert_eq!(priority(&c, 2), 3.0e6);
        assert!(c.remove(3));
        c.check_invariants();
    }
}
