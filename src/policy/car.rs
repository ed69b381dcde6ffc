//! CAR: Clock with Adaptive Replacement — ARC's adaptation on two CLOCKs.
//!
//! Follows Bansal & Modha, "CAR: Clock with Adaptive Replacement", USENIX
//! FAST 2004 (Fig. 2). Resident objects live in two clocks: T1 (seen once
//! recently) and T2 (seen at least twice); a hit only sets the object's
//! reference bit, so a hit costs no list operation. The ghost LRU lists B1
//! and B2 remember keys recently evicted from T1 and T2. REPLACE turns the
//! hand of T1 while T1 holds at least `max(1, p)`, otherwise the hand of T2:
//! an unreferenced object under the hand is demoted to the head of its ghost
//! list (evicted); a referenced one has its bit cleared and goes to the tail
//! of T2. On a miss the cache first makes room, then trims the ghost lists
//! (|T1| + |B1| ≤ c, |T1| + |T2| + |B1| + |B2| ≤ 2c), then: a new key enters
//! the tail of T1; a key found in B1 grows `p` by `max(1, |B2|/|B1|)`, one
//! found in B2 shrinks it by `max(1, |B1|/|B2|)`, and either enters the tail
//! of T2. No parameters (`p` starts at 0 and adapts).
//!
//! Sizes are generalised to bytes as cachelab's ARC does, each step identical
//! to the paper when every size is 1: list sizes and `p` are in bytes, the
//! adaptation step is the paper's ratio times the size of the requested
//! object, residents are demoted only while the new object does not fit,
//! and the two directory bounds are restored by trimming the ghost lists'
//! LRU ends after the insert (the paper drops one ghost on each miss of a
//! full cache, which is the same thing when sizes are 1).
//!
//! libCacheSim's `CAR.c` differs in three ways, which its unit test's miss
//! counts reflect (`tests/it/libcachesim.rs` says by how much; with
//! `libcachesim=true` this file follows `CAR.c` and matches that test
//! exactly at every size):
//! it adapts `p` by `max(1, B2/B1)` *bytes* (an integer ratio of byte
//! counts), so `p` barely leaves 0 and T1 is nearly always the one replaced;
//! it adapts before REPLACE rather than after; and its B2 trimming sits
//! behind a condition that can never hold (`T1 + B1 ≥ c`, else `T1 + B1 > c`),
//! so B2 is never trimmed.

use super::parts::list::{Entries, List, Slab};
use super::parts::room::evict_until_fits;
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "car",
    about: "clock with adaptive replacement: ARC's tuning on two clocks, hits set a bit",
    source: "Bansal & Modha, FAST 2004; libCacheSim CAR.c with libcachesim=true",
    params: &[ParamSpec {
        name: "libcachesim",
        kind: ParamKind::Bool,
        default: 0.0,
        about: "reproduce libCacheSim's CAR.c exactly (p adapts by about a byte; B2 never trimmed)",
    }],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    let mut car = Car::new(args.capacity);
    car.libcachesim = args.params.flag("libcachesim");
    Box::new(car)
}

/// Which of the four lists a node is linked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Where {
    T1,
    T2,
    B1,
    B2,
}

/// A node's list and, for residents, its reference bit.
#[derive(Clone, Copy, Debug)]
struct Meta {
    place: Where,
    referenced: bool,
}

/// Clock with Adaptive Replacement.
///
/// The clocks are lists whose tail is under the hand (the oldest) and
/// whose head is just behind it (the newest): "the tail of T2" of the
/// paper is this list's head.
pub struct Car {
    capacity: u64,
    /// Target size of T1 in bytes, in `0..=capacity`.
    p: f64,
    entries: Entries<Meta>,
    t1: List,
    t2: List,
    b1: List,
    b2: List,
    /// Follow libCacheSim's `CAR.c` rather than the paper.
    libcachesim: bool,
}

impl Car {
    /// An empty CAR cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Car {
            capacity,
            p: 0.0,
            entries: Entries::default(),
            t1: List::default(),
            t2: List::default(),
            b1: List::default(),
            b2: List::default(),
            libcachesim: false,
        }
    }

    /// The list `place` and the node storage, borrowed together.
    fn split(&mut self, place: Where) -> (&mut List, &mut Slab<Meta>) {
        let list = match place {
            Where::T1 => &mut self.t1,
            Where::T2 => &mut self.t2,
            Where::B1 => &mut self.b1,
            Where::B2 => &mut self.b2,
        };
        (list, self.entries.slab_mut())
    }

    fn directory_bytes(&self) -> u64 {
        self.used() + self.b1.bytes() + self.b2.bytes()
    }

    /// The paper's REPLACE: turns a hand until an unreferenced object is
    /// under it, demotes that object to its ghost list and reports it
    /// evicted. Ends within two turns: each step clears a bit or evicts.
    fn replace(&mut self, evicted: &mut Vec<u64>) {
        loop {
            let t1 = self.t1.bytes();
            let from_t1 =
                !self.t1.is_empty() && (t1 as f64 >= self.p.max(1.0) || self.t2.is_empty());
            let (clock, ghost) = if from_t1 {
                (Where::T1, Where::B1)
            } else {
                (Where::T2, Where::B2)
            };
            let (list, slab) = self.split(clock);
            let hand = list.tail().expect("REPLACE on an empty cache");
            list.unlink(slab, hand);
            let meta = &mut self.entries.node_mut(hand).meta;
            if meta.referenced {
                // Second chance: into T2, behind its hand.
                *meta = Meta {
                    place: Where::T2,
                    referenced: false,
                };
                self.t2.push_head(self.entries.slab_mut(), hand);
            } else {
                meta.place = ghost;
                let (list, slab) = self.split(ghost);
                list.push_head(slab, hand);
                evicted.push(self.entries.node(hand).key);
                return;
            }
        }
    }

    /// Forgets the LRU key of ghost list `place`, which must be non-empty.
    fn drop_ghost(&mut self, place: Where) {
        let (list, slab) = self.split(place);
        let slot = list.pop_tail(slab).expect("ghost list is not empty");
        self.entries.remove(slot);
    }

    /// Unlinks and forgets the ghost in `slot`, linked in `place`.
    fn forget(&mut self, slot: u32, place: Where) {
        let (list, slab) = self.split(place);
        list.unlink(slab, slot);
        self.entries.remove(slot);
    }

    /// Links `req`'s object, unreferenced, at the newest end of `place`.
    fn add(&mut self, req: &Request, place: Where) {
        let meta = Meta {
            place,
            referenced: false,
        };
        let slot = self.entries.add(req.key, req.size, meta);
        let (list, slab) = self.split(place);
        list.push_head(slab, slot);
    }

    /// libCacheSim's `CAR.c` step by step: adapt `p` by an integer ratio of
    /// byte counts on a ghost hit, then REPLACE while the object does not
    /// fit, dropping one B1 ghost after each REPLACE while T1 + B1 ≥ c, and
    /// never trimming B2.
    fn insert_as_libcachesim(&mut self, req: &Request, evicted: &mut Vec<u64>) {
        let ghost = self
            .entries
            .find(req.key)
            .map(|slot| (slot, self.entries.node(slot).meta.place));
        let place = match ghost {
            Some((slot, hit @ (Where::B1 | Where::B2))) => {
                let (b1, b2) = (self.b1.bytes(), self.b2.bytes());
                if hit == Where::B1 {
                    self.p = (self.p + (b2 / b1).max(1) as f64).min(self.capacity as f64);
                } else {
                    self.p = (self.p - (b1 / b2).max(1) as f64).max(0.0);
                }
                self.forget(slot, hit);
                Where::T2
            }
            Some((_, Where::T1 | Where::T2)) => panic!("insert of resident key {}", req.key),
            None => Where::T1,
        };
        evict_until_fits(self, req.size, evicted, |car, evicted| {
            car.replace(evicted);
            if car.t1.bytes() + car.b1.bytes() >= car.capacity && !car.b1.is_empty() {
                car.drop_ghost(Where::B1);
            }
        });
        self.add(req, place);
    }

    /// Keeps T1 + B1 ≤ c and T1 + T2 + B1 + B2 ≤ 2c by forgetting ghosts.
    fn trim_ghosts(&mut self) {
        while self.t1.bytes() + self.b1.bytes() > self.capacity && !self.b1.is_empty() {
            self.drop_ghost(Where::B1);
        }
        while self.directory_bytes() > 2 * self.capacity && !self.b2.is_empty() {
            self.drop_ghost(Where::B2);
        }
    }
}

impl Policy for Car {
    fn get(&mut self, req: &Request) -> bool {
        let Some(slot) = self.entries.find(req.key) else {
            return false;
        };
        let meta = &mut self.entries.node_mut(slot).meta;
        match meta.place {
            Where::T1 | Where::T2 => {
                meta.referenced = true;
                true
            }
            Where::B1 | Where::B2 => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let size = u64::from(req.size);
        if size > self.capacity {
            return false;
        }
        if self.libcachesim {
            self.insert_as_libcachesim(req, evicted);
            return true;
        }
        evict_until_fits(self, req.size, evicted, Car::replace);
        let ghost = self
            .entries
            .find(req.key)
            .map(|slot| (slot, self.entries.node(slot).meta.place));
        let place = match ghost {
            Some((slot, hit @ (Where::B1 | Where::B2))) => {
                let (b1, b2) = (self.b1.bytes() as f64, self.b2.bytes() as f64);
                let step = size as f64;
                if hit == Where::B1 {
                    self.p = (self.p + step * (b2 / b1).max(1.0)).min(self.capacity as f64);
                } else {
                    self.p = (self.p - step * (b1 / b2).max(1.0)).max(0.0);
                }
                self.forget(slot, hit);
                Where::T2
            }
            Some((_, Where::T1 | Where::T2)) => panic!("insert of resident key {}", req.key),
            None => Where::T1,
        };
        self.add(req, place);
        self.trim_ghosts();
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        let place = self.entries.node(slot).meta.place;
        if matches!(place, Where::B1 | Where::B2) {
            return false;
        }
        let (list, slab) = self.split(place);
        list.unlink(slab, slot);
        self.entries.remove(slot);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.entries
            .find(key)
            .is_some_and(|slot| matches!(self.entries.node(slot).meta.place, Where::T1 | Where::T2))
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy::of_lists(self.capacity, [&self.t1, &self.t2])
    }

    fn check_invariants(&self) {
        self.entries.check();
        let slab = self.entries.slab();
        for (list, place, name) in [
            (&self.t1, Where::T1, "T1"),
            (&self.t2, Where::T2, "T2"),
            (&self.b1, Where::B1, "B1"),
            (&self.b2, Where::B2, "B2"),
        ] {
            list.check_tagged(slab, name, place, |meta| meta.place);
        }
        let linked = self.t1.len() + self.t2.len() + self.b1.len() + self.b2.len();
        assert_eq!(
            linked,
            self.entries.len(),
            "every entry is in exactly one list"
        );
        for list in [&self.b1, &self.b2] {
            for slot in list.iter(slab) {
                assert!(!slab.get(slot).meta.referenced, "a ghost is referenced");
            }
        }
        assert!(self.used() <= self.capacity, "T1 + T2 over capacity");
        assert!(
            self.libcachesim || self.t1.bytes() + self.b1.bytes() <= self.capacity,
            "T1 + B1 over capacity"
        );
        assert!(
            self.libcachesim || self.directory_bytes() <= 2 * self.capacity,
            "directory over twice the capacity"
        );
        assert!(
            (0.0..=self.capacity as f64).contains(&self.p),
            "p = {} out of range",
            self.p
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::clock::Clock;
    use crate::policy::parts::testing::{hit_ratio, unit_stream};

    fn keys(car: &Car, list: &List) -> Vec<u64> {
        list.iter(car.entries.slab())
            .map(|s| car.entries.node(s).key)
            .collect()
    }

    fn access(car: &mut Car, keys: impl IntoIterator<Item = u64>, evicted: &mut Vec<u64>) {
        for key in keys {
            car.access(&Request::get(key, 1), evicted);
            car.check_invariants();
        }
    }

    /// Worked by hand from Fig. 2 of the paper, c = 3.
    #[test]
    fn referenced_pages_move_to_t2_and_unreferenced_ones_to_b1() {
        let mut car = Car::new(3);
        let mut evicted = Vec::new();
        access(&mut car, [1, 2, 3], &mut evicted);
        // A hit only sets the bit: T1 keeps its order (newest first).
        assert!(car.get(&Request::get(1, 1)));
        assert_eq!(keys(&car, &car.t1), [3, 2, 1]);
        // 4 misses on a full cache: the hand of T1 finds 1 referenced, so
        // 1 goes to T2 with its bit cleared; 2 is unreferenced: to B1.
        access(&mut car, [4], &mut evicted);
        assert_eq!(evicted, [2]);
        assert_eq!(keys(&car, &car.t1), [4, 3]);
        assert_eq!(keys(&car, &car.t2), [1]);
        assert_eq!(keys(&car, &car.b1), [2]);
        assert_eq!(car.p, 0.0);
    }

    #[test]
    fn a_b1_hit_grows_p_after_replace_and_enters_t2() {
        let mut car = Car::new(3);
        let mut evicted = Vec::new();
        access(&mut car, [1, 2, 3], &mut evicted);
        assert!(car.get(&Request::get(1, 1)));
        access(&mut car, [4], &mut evicted);
        // T1 = [4, 3], T2 = [1], B1 = [2]. 2 misses (a ghost is no hit):
        // REPLACE first (|T1| = 2 ≥ max(1, 0): 3 goes to B1), then p grows
        // by max(1, |B2|/|B1|) = 1 and 2 enters T2.
        evicted.clear();
        access(&mut car, [2], &mut evicted);
        assert_eq!(evicted, [3]);
        assert_eq!(car.p, 1.0);
        assert_eq!(keys(&car, &car.t2), [2, 1]);
        assert_eq!(keys(&car, &car.t1), [4]);
        assert_eq!(keys(&car, &car.b1), [3]);
        // |T1| = 1 ≥ max(1, p = 1): the next miss still turns T1's hand.
        evicted.clear();
        access(&mut car, [5], &mut evicted);
        assert_eq!(evicted, [4]);
        assert_eq!(keys(&car, &car.b1), [4, 3]);
    }

    #[test]
    fn a_b2_hit_shrinks_p() {
        let mut car = Car::new(2);
        let mut evicted = Vec::new();
        access(&mut car, [1, 2, 1, 2], &mut evicted);
        // Both referenced in T1. 3: the hand moves 1 and 2 to T2 (bits
        // cleared); T1 is empty, so T2's hand evicts 1 to B2.
        access(&mut car, [3], &mut evicted);
        assert_eq!(evicted, [1]);
        assert_eq!(keys(&car, &car.b2), [1]);
        assert_eq!(keys(&car, &car.t2), [2]);
        // 4 evicts 3 (T1's hand) to B1; then 3 again: a B1 hit, p = 1.
        access(&mut car, [4, 3], &mut evicted);
        assert_eq!(car.p, 1.0);
        // 1 comes back from B2: p falls by max(1, |B1|/|B2|) to 0.
        access(&mut car, [1], &mut evicted);
        assert_eq!(car.p, 0.0);
        assert!(keys(&car, &car.t2).contains(&1));
    }

    #[test]
    fn directory_stays_within_twice_the_capacity_in_bytes() {
        let mut car = Car::new(1000);
        let mut evicted = Vec::new();
        for key in 0..5000u64 {
            let req = Request::get(key % 700, 50 + (key * 37 % 300) as u32);
            car.access(&req, &mut evicted);
            car.check_invariants();
        }
    }

    #[test]
    fn free_space_after_removal_is_used_without_eviction() {
        let mut car = Car::new(3);
        let mut evicted = Vec::new();
        access(&mut car, [1, 2, 3, 4], &mut evicted);
        assert_eq!(evicted, [1]);
        assert!(car.remove(3));
        assert!(!car.remove(1), "a ghost is not resident");
        evicted.clear();
        access(&mut car, [5], &mut evicted);
        assert!(evicted.is_empty());
    }

    #[test]
    fn scan_does_not_flush_frequent_objects() {
        let mut car = Car::new(10);
        let mut evicted = Vec::new();
        access(&mut car, (1..=5).chain(1..=5), &mut evicted);
        for key in 100..200 {
            car.access(&Request::get(key, 1), &mut evicted);
        }
        car.check_invariants();
        assert!((1..=5).all(|key| car.contains(key)), "T2 survived the scan");
    }

    #[test]
    fn beats_clock_on_zipf() {
        let requests = unit_stream("zipf:alpha=0.9,keys=2000,requests=200000", 7);
        let car = hit_ratio(&mut Car::new(100), &requests);
        let clock = hit_ratio(&mut Clock::new(100, 1), &requests);
        assert!(car > clock, "car {car} vs clock {clock}");
    }
}
