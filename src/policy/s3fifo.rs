//! S3-FIFO: a small FIFO that filters one-hit wonders, a main FIFO with
//! reinsertion, and a ghost FIFO that remembers what the small queue evicted.
//!
//! Yang, Zhang, Qiu, Yue & Vinayak, "FIFO queues are all you need for cache
//! eviction", SOSP 2023, as implemented in libCacheSim's current `S3FIFO.c`
//! (not the original `S3FIFOv0.c`). Each object has a 2-bit frequency,
//! capped at 3, which starts at 0 and is reset to 0 when the object moves
//! from the small to the main queue (libCacheSim re-creates the object
//! there). A new object enters the small queue, or the main queue if its
//! key is in the ghost (the ghost entry is then removed). Eviction takes
//! from the main queue when it holds more than its share or the small queue
//! is empty, else from the small queue: the small queue's oldest object
//! moves to the main queue if its frequency is at least `threshold`, else it
//! is evicted and its key enters the ghost; the main queue's oldest object
//! is reinserted at the head with its frequency decremented while that is
//! nonzero, else evicted. Moving objects into the main queue evicts nothing
//! by itself; the main queue may overshoot its share until the next
//! eviction trims it.
//!
//! Defaults (the paper's and libCacheSim's): `small=0.1` of the capacity,
//! `ghost=0.9` of the capacity (counted, like the queues, in bytes of the
//! objects the keys stood for), `threshold=2`. Sizes are bytes throughout, as
//! in libCacheSim. Points where `S3FIFO.c` is followed in detail: until the
//! first eviction, a new object goes to the main queue once the small queue
//! is full; the ghost entry is removed on a ghost hit; removing a key also
//! forgets its ghost entry.
//!
//! The ghost keeps whole keys packed with their sizes (see
//! [`crate::policy::parts::ghost`]): about 18 bytes per ghost instead of a
//! full node. It kept 32-bit fingerprints once, and on libCacheSim's test
//! trace two keys (24618679 and 39788900) shared one: 65,536 miss bytes
//! more at 512 MiB and one miss (69,816 against 69,815) and 69,632 bytes
//! more at 640 MiB. With whole keys it matches libCacheSim's table at all
//! eight sizes.
//!
//! Deviations, and why:
//! - The ghost is looked up when the object is inserted, not during the
//!   lookup that missed: in cache-aside the insert comes after the database
//!   answers, and libCacheSim's "last lookup hit the ghost" flag would be
//!   stale by then.
//! - libCacheSim refuses any object at least as large as the small queue.
//!   Here an object that fits in the free space is always admitted (the
//!   contract of [`Policy`]), into the main queue when it is larger than the
//!   small queue; an object larger than the small queue that would need
//!   evictions is still refused; and an object exactly the small queue's
//!   size is admitted into it (with `>=`, a unit-size cache whose small
//!   queue holds one object would admit nothing).
//! - The small queue holds at least one unit, so caches smaller than ten
//!   objects still have a filter (libCacheSim's would be empty and admit
//!   nothing once full).

use super::parts::ghost::GhostFifo;
use super::parts::list::{Entries, List};
use super::parts::room::evict_until_fits;
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "s3fifo",
    about: "small FIFO filter, main FIFO with reinsertion, ghost FIFO",
    source: "Yang et al., SOSP 2023; libCacheSim S3FIFO.c",
    params: PARAMS,
    needs_future: false,
    build,
};

/// The parameters of S3-FIFO, shared with `s3fifo_v0`.
pub(super) const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "small",
        kind: ParamKind::Real { min: 0.0, max: 1.0 },
        default: 0.1,
        about: "share of the capacity for the small FIFO",
    },
    ParamSpec {
        name: "ghost",
        kind: ParamKind::Real {
            min: 0.0,
            max: 10.0,
        },
        default: 0.9,
        about: "ghost FIFO size as a share of the capacity",
    },
    ParamSpec {
        name: "threshold",
        kind: ParamKind::Int { min: 1, max: 3 },
        default: 2.0,
        about: "frequency at which a small-queue object moves to main",
    },
];

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    let p = args.params;
    Box::new(S3Fifo::new(
        args.capacity,
        p.real("small"),
        p.real("ghost"),
        p.int("threshold") as u8,
    ))
}

/// Bits of the metadata byte holding the frequency.
const FREQ_MASK: u8 = 0b0011;
/// The largest frequency (2 bits).
const MAX_FREQ: u8 = 3;
/// Metadata bit set for objects in the main queue.
const IN_MAIN: u8 = 0b100;

/// S3-FIFO.
pub struct S3Fifo {
    capacity: u64,
    small_capacity: u64,
    main_capacity: u64,
    threshold: u8,
    /// Per object: frequency (2 bits) and whether it is in the main queue.
    entries: Entries<u8>,
    small: List,
    main: List,
    ghost: GhostFifo,
    has_evicted: bool,
    /// Until the first eviction, new objects go to the main queue once the
    /// small queue is full (`S3FIFO.c`); false for the 2023 variant.
    fills_main_first: bool,
}

impl S3Fifo {
    /// An empty S3-FIFO cache of `capacity` units: the small queue gets
    /// `small` of it (at least one unit), the ghost remembers `ghost` × the
    /// capacity, and an object seen `threshold` times in the small queue
    /// moves to the main queue.
    pub fn new(capacity: u64, small: f64, ghost: f64, threshold: u8) -> Self {
        assert!(
            (1..=MAX_FREQ).contains(&threshold),
            "threshold {threshold} outside 1..=3"
        );
        let small_capacity = ((capacity as f64 * small) as u64).max(1).min(capacity);
        S3Fifo {
            capacity,
            small_capacity,
            main_capacity: capacity - small_capacity,
            threshold,
            entries: Entries::default(),
            small: List::default(),
            main: List::default(),
            ghost: GhostFifo::new((capacity as f64 * ghost) as u64),
            has_evicted: false,
            fills_main_first: true,
        }
    }

    /// The 2023 variant (`s3fifo_v0`, libCacheSim's `S3FIFOv0.c`): as
    /// [`S3Fifo::new`], but new objects enter the small queue even before the
    /// first eviction, however full it is.
    pub fn v0(capacity: u64, small: f64, ghost: f64, threshold: u8) -> Self {
        S3Fifo {
            fills_main_first: false,
            ..S3Fifo::new(capacity, small, ghost, threshold)
        }
    }

    /// One eviction: from the main queue if it is over its share or the
    /// small queue is empty, else from the small queue.
    fn evict(&mut self, evicted: &mut Vec<u64>) {
        self.has_evicted = true;
        if self.main.bytes() > self.main_capacity || self.small.is_empty() {
            self.evict_main(evicted);
        } else {
            self.evict_small(evicted);
        }
    }

    /// Takes objects off the small queue's tail until one is evicted (its key
    /// goes to the ghost) or the queue is empty; objects seen at least
    /// `threshold` times move to the main queue instead.
    fn evict_small(&mut self, evicted: &mut Vec<u64>) {
        while let Some(slot) = self.small.pop_tail(self.entries.slab_mut()) {
            let node = self.entries.node_mut(slot);
            if node.meta & FREQ_MASK >= self.threshold {
                node.meta = IN_MAIN;
                self.main.push_head(self.entries.slab_mut(), slot);
            } else {
                let (key, size) = self.entries.remove(slot);
                self.ghost.insert(key, size);
                evicted.push(key);
                return;
            }
        }
    }

    /// Takes objects off the main queue's tail, reinserting those with a
    /// nonzero frequency (decremented), until one is evicted.
    fn evict_main(&mut self, evicted: &mut Vec<u64>) {
        loop {
            let slot = self.main.tail().expect("evicting from an empty main queue");
            let meta = &mut self.entries.node_mut(slot).meta;
            if *meta & FREQ_MASK == 0 {
                self.main.unlink(self.entries.slab_mut(), slot);
                evicted.push(self.entries.remove(slot).0);
                return;
            }
            *meta -= 1;
            self.main.move_to_head(self.entries.slab_mut(), slot);
        }
    }
}

impl Policy for S3Fifo {
    #[inline]
    fn get(&mut self, req: &Request) -> bool {
        match self.entries.find(req.key) {
            Some(slot) => {
                let meta = &mut self.entries.node_mut(slot).meta;
                if *meta & FREQ_MASK < MAX_FREQ {
                    *meta += 1;
                }
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let size = u64::from(req.size);
        if size > self.capacity {
            return false;
        }
        let ghost_hit = self.ghost.remove(req.key);
        let fits_free = self.used() + size <= self.capacity;
        if !ghost_hit && !fits_free && size > self.small_capacity {
            return false;
        }
        evict_until_fits(self, req.size, evicted, Self::evict);
        let to_main = ghost_hit
            || size > self.small_capacity
            || (self.fills_main_first
                && !self.has_evicted
                && self.small.bytes() >= self.small_capacity);
        if to_main {
            let slot = self.entries.add(req.key, req.size, IN_MAIN);
            self.main.push_head(self.entries.slab_mut(), slot);
        } else {
            let slot = self.entries.add(req.key, req.size, 0);
            self.small.push_head(self.entries.slab_mut(), slot);
        }
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            self.ghost.remove(key);
            return false;
        };
        if self.entries.node(slot).meta & IN_MAIN != 0 {
            self.main.unlink(self.entries.slab_mut(), slot);
        } else {
            self.small.unlink(self.entries.slab_mut(), slot);
        }
        self.entries.remove(slot);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.entries.find(key).is_some()
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy::of_lists(self.capacity, [&self.small, &self.main])
    }

    fn check_invariants(&self) {
        let slab = self.entries.slab();
        self.entries.check();
        self.ghost.check();
        let queues = [(&self.small, 0, "small"), (&self.main, IN_MAIN, "main")];
        for (list, tag, name) in queues {
            list.check_tagged(slab, name, tag, |&meta| meta & IN_MAIN);
            for slot in list.iter(slab) {
                let node = slab.get(slot);
                assert!(
                    node.meta & !(FREQ_MASK | IN_MAIN) == 0,
                    "{} has stray metadata bits",
                    node.key
                );
            }
        }
        let queued = self.small.len() + self.main.len();
        assert_eq!(
            queued,
            self.entries.len(),
            "every entry is in exactly one queue"
        );
        assert!(self.used() <= self.capacity, "over capacity");
        for slot in self.small.iter(slab) {
            let node = slab.get(slot);
            assert!(
                u64::from(node.size) <= self.small_capacity,
                "{} is larger than the small queue",
                node.key
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 10-object cache: small queue 1, main queue 9, ghost 9.
    fn cache() -> S3Fifo {
        S3Fifo::new(10, 0.1, 0.9, 2)
    }

    fn get(c: &mut S3Fifo, key: u64) -> bool {
        c.get(&Request::get(key, 1))
    }

    /// Get, and insert on a miss; returns what was evicted.
    fn access(c: &mut S3Fifo, key: u64) -> Vec<u64> {
        let mut evicted = Vec::new();
        if !get(c, key) {
            assert!(c.insert(&Request::get(key, 1), &mut evicted));
        }
        c.check_invariants();
        evicted
    }

    impl S3Fifo {
        fn is_ghost(&self, key: u64) -> bool {
            self.ghost.contains(key)
        }
    }

    fn keys(c: &S3Fifo, list: &List) -> Vec<u64> {
        list.iter(c.entries.slab())
            .map(|s| c.entries.node(s).key)
            .collect()
    }

    /// Fills the cache so that the first eviction has happened: 1 in small,
    /// then 2..=10 in main (the small queue was full), then 11 evicts 1.
    fn warmed() -> S3Fifo {
        let mut c = cache();
        for key in 1..=10 {
            assert!(access(&mut c, key).is_empty());
        }
        assert_eq!(keys(&c, &c.small), [1]);
        assert_eq!(keys(&c, &c.main), [10, 9, 8, 7, 6, 5, 4, 3, 2]);
        assert_eq!(access(&mut c, 11), [1]);
        c
    }

    #[test]
    fn before_the_first_eviction_a_full_small_queue_sends_new_objects_to_main() {
        let c = warmed();
        // 1 was in the small queue and never hit: it left into the ghost.
        assert!(c.is_ghost(1));
        assert_eq!(keys(&c, &c.small), [11]);
    }

    #[test]
    fn one_hit_wonders_leave_from_small_into_the_ghost() {
        let mut c = warmed();
        // 12 needs room; small holds 11 (frequency 0) and main is within its
        // share, so 11 is evicted from small and remembered as a ghost.
        assert_eq!(access(&mut c, 12), [11]);
        assert!(c.is_ghost(11));
        assert_eq!(keys(&c, &c.small), [12]);
        assert!(c.is_ghost(1), "1 is still remembered");
    }

    #[test]
    fn a_ghost_hit_goes_to_main_and_leaves_the_ghost() {
        let mut c = warmed();
        // 1 is a ghost. Its return evicts 11 from small (into the ghost) and
        // enters the main queue directly.
        assert_eq!(access(&mut c, 1), [11]);
        assert_eq!(keys(&c, &c.main)[0], 1);
        assert!(!c.is_ghost(1), "a ghost hit removes the ghost entry");
        assert!(c.small.is_empty());
    }

    #[test]
    fn frequency_two_moves_from_small_to_main() {
        let mut c = warmed();
        // 11, in small, is hit twice: frequency 2 reaches the threshold.
        assert!(get(&mut c, 11));
        assert!(get(&mut c, 11));
        // 12 needs room: 11 moves to main's head (frequency reset to 0) and
        // the small queue is empty, so the next try evicts from main, where
        // 2 is the oldest and was never hit.
        assert_eq!(access(&mut c, 12), [2]);
        assert_eq!(keys(&c, &c.main)[0], 11);
        assert_eq!(c.entries.node(c.entries.find(11).unwrap()).meta, IN_MAIN);
        assert_eq!(keys(&c, &c.small), [12]);
        // Main is back at its share (9 of 9), so the next eviction takes
        // from the small queue again: 12 was never hit and leaves.
        assert_eq!(c.main.bytes(), 9);
        assert_eq!(access(&mut c, 13), [12]);
        assert!(c.is_ghost(12));
    }

    #[test]
    fn main_reinserts_hit_objects_with_a_decremented_frequency() {
        let mut c = warmed();
        // 2 and 3 are main's oldest; 2 is hit four times (capped at 3), 3 once.
        for _ in 0..4 {
            get(&mut c, 2);
        }
        get(&mut c, 3);
        assert!(get(&mut c, 11) && get(&mut c, 11));
        // 11 moves to main, which is now over its share: main evicts. 2 is
        // reinserted with frequency 2, 3 with 0, and 4 is evicted.
        assert_eq!(access(&mut c, 12), [4]);
        let main = keys(&c, &c.main);
        assert_eq!(&main[..3], [3, 2, 11]);
        let freq = |key| c.entries.node(c.entries.find(key).unwrap()).meta & FREQ_MASK;
        assert_eq!((freq(2), freq(3)), (2, 0));
    }

    #[test]
    fn objects_too_large_for_the_small_queue() {
        let mut c = S3Fifo::new(100, 0.1, 0.9, 2);
        let mut evicted = Vec::new();
        // 60 does not fit the small queue (10) but fits the free space: main.
        assert!(c.insert(&Request::get(1, 60), &mut evicted));
        assert_eq!(keys(&c, &c.main), [1]);
        // 50 would need an eviction and is larger than the small queue: refused.
        assert!(!c.insert(&Request::get(2, 50), &mut evicted));
        // 10 exactly fills the small queue and is admitted there.
        assert!(c.insert(&Request::get(3, 10), &mut evicted));
        assert_eq!(keys(&c, &c.small), [3]);
        assert!(evicted.is_empty());
        assert!(c.remove(1));
        c.check_invariants();
    }
}
