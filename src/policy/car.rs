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

use super::parts::adaptive::{Directory, Placed, Where};
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

/// A node's list and, for residents, its reference bit.
#[derive(Clone, Copy, Debug)]
struct Meta {
    place: Where,
    referenced: bool,
}

impl Placed for Meta {
    fn place(&self) -> Where {
        self.place
    }
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
    lists: Directory<Meta>,
    /// Follow libCacheSim's `CAR.c` rather than the paper.
    libcachesim: bool,
}

impl Car {
    /// An empty CAR cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Car {
            capacity,
            p: 0.0,
            lists: Directory::default(),
            libcachesim: false,
        }
    }

    /// The paper's REPLACE: turns a hand until an unreferenced object is
    /// under it, demotes that object to its ghost list and reports it
    /// evicted. Ends within two turns: each step clears a bit or evicts.
    fn replace(&mut self, evicted: &mut Vec<u64>) {
        let lists = &mut self.lists;
        loop {
            let t1 = lists.t1.bytes();
            let from_t1 =
                !lists.t1.is_empty() && (t1 as f64 >= self.p.max(1.0) || lists.t2.is_empty());
            let (clock, ghost) = if from_t1 {
                (Where::T1, Where::B1)
            } else {
                (Where::T2, Where::B2)
            };
            let (list, slab) = lists.split(clock);
            let hand = list.tail().expect("REPLACE on an empty cache");
            list.unlink(slab, hand);
            let meta = &mut lists.node_mut(hand).meta;
            let to = if meta.referenced { Where::T2 } else { ghost };
            // Second chance: a referenced object goes to T2, behind its hand.
            *meta = Meta {
                place: to,
                referenced: false,
            };
            let (list, slab) = lists.split(to);
            list.push_head(slab, hand);
            if to == ghost {
                evicted.push(lists.node(hand).key);
                return;
            }
        }
    }

    /// Adapts `p` to a hit in ghost list `hit`: `step` times the ratio of
    /// the other ghost list's bytes to this one's (at least 1; an integer
    /// ratio in libCacheSim's way), clamped to `0..=capacity`.
    fn adapt(&mut self, hit: Where, step: f64) {
        let (b1, b2) = (self.lists.b1.bytes(), self.lists.b2.bytes());
        self.p = if hit == Where::B1 {
            let ratio = if self.libcachesim {
                (b2 / b1).max(1) as f64
            } else {
                (b2 as f64 / b1 as f64).max(1.0)
            };
            (self.p + step * ratio).min(self.capacity as f64)
        } else {
            let ratio = if self.libcachesim {
                (b1 / b2).max(1) as f64
            } else {
                (b1 as f64 / b2 as f64).max(1.0)
            };
            (self.p - step * ratio).max(0.0)
        };
    }

    /// libCacheSim's `CAR.c` step by step: adapt `p` by an integer ratio of
    /// byte counts on a ghost hit (a step of one byte), then REPLACE while
    /// the object does not fit, dropping one B1 ghost after each REPLACE
    /// while T1 + B1 ≥ c, and never trimming B2.
    fn insert_as_libcachesim(&mut self, req: &Request, evicted: &mut Vec<u64>) -> Where {
        let place = match self.lists.find(req.key) {
            Some((slot, hit @ (Where::B1 | Where::B2))) => {
                self.adapt(hit, 1.0);
                self.lists.forget(slot);
                Where::T2
            }
            Some(_) => panic!("insert of resident key {}", req.key),
            None => Where::T1,
        };
        evict_until_fits(self, req.size, evicted, |car, evicted| {
            car.replace(evicted);
            let lists = &mut car.lists;
            if lists.t1.bytes() + lists.b1.bytes() >= car.capacity && !lists.b1.is_empty() {
                lists.drop_ghost(Where::B1);
            }
        });
        place
    }
}

impl Policy for Car {
    fn get(&mut self, req: &Request) -> bool {
        let Some((slot, place)) = self.lists.find(req.key) else {
            return false;
        };
        if place.resident() {
            self.lists.node_mut(slot).meta.referenced = true;
        }
        place.resident()
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let size = u64::from(req.size);
        if size > self.capacity {
            return false;
        }
        let place = if self.libcachesim {
            self.insert_as_libcachesim(req, evicted)
        } else {
            evict_until_fits(self, req.size, evicted, Car::replace);
            match self.lists.find(req.key) {
                Some((slot, hit @ (Where::B1 | Where::B2))) => {
                    self.adapt(hit, size as f64);
                    self.lists.forget(slot);
                    Where::T2
                }
                Some(_) => panic!("insert of resident key {}", req.key),
                None => Where::T1,
            }
        };
        let meta = Meta {
            place,
            referenced: false,
        };
        self.lists.push_head(req.key, req.size, meta);
        if !self.libcachesim {
            self.lists.trim_ghosts(self.capacity);
        }
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        self.lists.remove_resident(key)
    }

    fn contains(&self, key: u64) -> bool {
        self.lists.contains_resident(key)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        self.lists.occupancy(self.capacity)
    }

    fn check_invariants(&self) {
        // libCacheSim's CAR never trims B2, so its directory is unbounded.
        self.lists.check(self.capacity, !self.libcachesim);
        let slab = self.lists.entries.slab();
        for list in [&self.lists.b1, &self.lists.b2] {
            for slot in list.iter(slab) {
                assert!(!slab.get(slot).meta.referenced, "a ghost is referenced");
            }
        }
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
    use crate::policy::parts::list::List;
    use crate::policy::parts::testing::{hit_ratio, unit_stream};

    fn keys(car: &Car, list: &List) -> Vec<u64> {
        list.iter(car.lists.entries.slab())
            .map(|s| car.lists.node(s).key)
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
        assert_eq!(keys(&car, &car.lists.t1), [3, 2, 1]);
        // 4 misses on a full cache: the hand of T1 finds 1 referenced, so
        // 1 goes to T2 with its bit cleared; 2 is unreferenced: to B1.
        access(&mut car, [4], &mut evicted);
        assert_eq!(evicted, [2]);
        assert_eq!(keys(&car, &car.lists.t1), [4, 3]);
        assert_eq!(keys(&car, &car.lists.t2), [1]);
        assert_eq!(keys(&car, &car.lists.b1), [2]);
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
        assert_eq!(keys(&car, &car.lists.t2), [2, 1]);
        assert_eq!(keys(&car, &car.lists.t1), [4]);
        assert_eq!(keys(&car, &car.lists.b1), [3]);
        // |T1| = 1 ≥ max(1, p = 1): the next miss still turns T1's hand.
        evicted.clear();
        access(&mut car, [5], &mut evicted);
        assert_eq!(evicted, [4]);
        assert_eq!(keys(&car, &car.lists.b1), [4, 3]);
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
        assert_eq!(keys(&car, &car.lists.b2), [1]);
        assert_eq!(keys(&car, &car.lists.t2), [2]);
        // 4 evicts 3 (T1's hand) to B1; then 3 again: a B1 hit, p = 1.
        access(&mut car, [4, 3], &mut evicted);
        assert_eq!(car.p, 1.0);
        // 1 comes back from B2: p falls by max(1, |B1|/|B2|) to 0.
        access(&mut car, [1], &mut evicted);
        assert_eq!(car.p, 0.0);
        assert!(keys(&car, &car.lists.t2).contains(&1));
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
