//! ARC: Adaptive Replacement Cache, balancing recency against frequency.
//!
//! Follows Megiddo & Modha, "ARC: A Self-Tuning, Low Overhead Replacement
//! Cache", USENIX FAST 2003 (Fig. 4). Resident objects seen once recently live
//! in the LRU list T1, those seen at least twice in the LRU list T2; the ghost
//! lists B1 and B2 remember the keys recently evicted from T1 and T2. A miss
//! that hits B1 says T1 was too small and grows the target size `p` of T1; a
//! miss that hits B2 shrinks it; either way the object enters T2. REPLACE
//! evicts from T1 when T1 exceeds `p` (or equals it on a B2 hit), otherwise
//! from T2. No parameters (`p` starts at 0 and adapts).
//!
//! Sizes are generalised to bytes as libCacheSim's `ARC.c` does: T1, T2, B1,
//! B2 and `p` are measured in bytes, the paper's "|T1| + |B1| = c" test of
//! case IV becomes "T1 + B1 + the incoming size > c", and the directory
//! (T1 + T2 + B1 + B2) is kept within twice the capacity in bytes. `p` is a
//! real number, as in libCacheSim. Deviations, each identical to the paper
//! when every size is 1: (1) the adaptation step is `max(B2/B1, 1)` (or
//! `max(B1/B2, 1)`) times the size of the requested object, where libCacheSim
//! adds `max(B2/B1, 1)` bytes, which barely moves `p` when objects are large;
//! (2) residents are evicted only while the new object does not fit (the
//! paper's cache is always full once warm; ours may have room after
//! invalidations), and the ghost lists are trimmed separately so the bounds
//! T1 + B1 ≤ c and T1 + T2 + B1 + B2 ≤ 2c hold after every insert; (3) an
//! invalidation forgets a resident object entirely, and leaves ghosts alone.

use super::parts::adaptive::{Directory, Where};
use super::parts::room::evict_until_fits;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "arc",
    about: "adaptive replacement cache: recency and frequency lists tuned by ghost hits",
    source: "Megiddo & Modha, FAST 2003",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Arc::new(args.capacity))
}

/// Adaptive Replacement Cache.
pub struct Arc {
    capacity: u64,
    /// Target size of T1 in bytes, in `0..=capacity`.
    p: f64,
    /// T1 and T2 in LRU order (head most recent), B1 and B2.
    lists: Directory<Where>,
}

impl Arc {
    /// An empty ARC cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Arc {
            capacity,
            p: 0.0,
            lists: Directory::default(),
        }
    }

    /// The paper's REPLACE: demotes the LRU object of T1 or T2 to its ghost
    /// list and reports it evicted. `hit_in_b2` is whether the request that
    /// triggered it hit B2.
    fn replace(&mut self, hit_in_b2: bool, evicted: &mut Vec<u64>) {
        let lists = &mut self.lists;
        let t1 = lists.t1.bytes() as f64;
        let from_t1 = !lists.t1.is_empty() && (t1 > self.p || (hit_in_b2 && t1 == self.p))
            || lists.t2.is_empty();
        let (from, to, place) = if from_t1 {
            (&mut lists.t1, &mut lists.b1, Where::B1)
        } else {
            (&mut lists.t2, &mut lists.b2, Where::B2)
        };
        let slab = lists.entries.slab_mut();
        let victim = from.pop_tail(slab).expect("REPLACE on an empty cache");
        to.push_head(slab, victim);
        let node = lists.entries.node_mut(victim);
        node.meta = place;
        evicted.push(node.key);
    }

    /// One eviction on a miss in all four lists (case IV), on the way to
    /// room for `size` bytes.
    fn evict_for_new(&mut self, size: u64, evicted: &mut Vec<u64>) {
        let lists = &mut self.lists;
        if lists.t1.bytes() + lists.b1.bytes() + size > self.capacity {
            if lists.b1.is_empty() {
                // T1 alone fills the cache: drop its LRU object without
                // remembering it.
                let victim = lists
                    .t1
                    .pop_tail(lists.entries.slab_mut())
                    .expect("T1 holds the cache");
                evicted.push(lists.entries.remove(victim).0);
            } else {
                lists.drop_ghost(Where::B1);
                self.replace(false, evicted);
            }
        } else {
            if lists.directory_bytes() + size > 2 * self.capacity && !lists.b2.is_empty() {
                lists.drop_ghost(Where::B2);
            }
            self.replace(false, evicted);
        }
    }
}

impl Policy for Arc {
    fn get(&mut self, req: &Request) -> bool {
        let Some((slot, place)) = self.lists.find(req.key) else {
            return false;
        };
        let lists = &mut self.lists;
        match place {
            Where::T1 => {
                // A second hit: the object moves from recency to frequency.
                let slab = lists.entries.slab_mut();
                lists.t1.unlink(slab, slot);
                lists.t2.push_head(slab, slot);
                lists.node_mut(slot).meta = Where::T2;
                true
            }
            Where::T2 => {
                lists.t2.move_to_head(lists.entries.slab_mut(), slot);
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
        let place = match self.lists.find(req.key) {
            Some((slot, hit @ (Where::B1 | Where::B2))) => {
                // Cases II and III: adapt p, then forget the ghost.
                let (b1, b2) = (self.lists.b1.bytes() as f64, self.lists.b2.bytes() as f64);
                let step = size as f64;
                if hit == Where::B1 {
                    self.p = (self.p + step * (b2 / b1).max(1.0)).min(self.capacity as f64);
                } else {
                    self.p = (self.p - step * (b1 / b2).max(1.0)).max(0.0);
                }
                self.lists.forget(slot);
                evict_until_fits(self, req.size, evicted, |arc, evicted| {
                    arc.replace(hit == Where::B2, evicted);
                });
                Where::T2
            }
            Some(_) => panic!("insert of resident key {}", req.key),
            None => {
                evict_until_fits(self, req.size, evicted, |arc, evicted| {
                    arc.evict_for_new(size, evicted);
                });
                Where::T1
            }
        };
        self.lists.push_head(req.key, req.size, place);
        self.lists.trim_ghosts(self.capacity);
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
        self.lists.check(self.capacity, true);
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
    use crate::policy::lru::Lru;
    use crate::policy::parts::list::List;
    use crate::policy::parts::testing::{hit_ratio, unit_stream};

    fn keys(arc: &Arc, list: &List) -> Vec<u64> {
        list.iter(arc.lists.entries.slab())
            .map(|s| arc.lists.node(s).key)
            .collect()
    }

    fn fill(arc: &mut Arc, keys: impl IntoIterator<Item = u64>, evicted: &mut Vec<u64>) {
        for key in keys {
            assert!(arc.insert(&Request::get(key, 1), evicted));
            arc.check_invariants();
        }
    }

    #[test]
    fn second_hit_moves_to_t2_and_t1_is_evicted_first() {
        let mut arc = Arc::new(3);
        let mut evicted = Vec::new();
        fill(&mut arc, [1, 2, 3], &mut evicted);
        // 1 is hit: it leaves T1 for T2.
        assert!(arc.get(&Request::get(1, 1)));
        assert_eq!(keys(&arc, &arc.lists.t1), [3, 2]);
        assert_eq!(keys(&arc, &arc.lists.t2), [1]);
        // The cache is full; p = 0 < |T1|, so the LRU of T1 (2) goes to B1.
        fill(&mut arc, [4], &mut evicted);
        assert_eq!(evicted, [2]);
        assert_eq!(keys(&arc, &arc.lists.b1), [2]);
        assert!(!arc.contains(2));
        assert_eq!(keys(&arc, &arc.lists.t1), [4, 3]);
    }

    #[test]
    fn hit_in_b1_grows_p_and_enters_t2() {
        let mut arc = Arc::new(3);
        let mut evicted = Vec::new();
        fill(&mut arc, [1, 2, 3], &mut evicted);
        assert!(arc.get(&Request::get(1, 1)));
        fill(&mut arc, [4], &mut evicted);
        // State: T1 = [4, 3], T2 = [1], B1 = [2], p = 0.
        assert!(!arc.get(&Request::get(2, 1)), "a ghost is not a hit");
        evicted.clear();
        fill(&mut arc, [2], &mut evicted);
        // Case II: |B1| = 1 ≥ |B2| = 0, so p grows by one object to 1.
        assert_eq!(arc.p, 1.0);
        // REPLACE: |T1| = 2 > p = 1, so 3 (LRU of T1) goes to B1.
        assert_eq!(evicted, [3]);
        assert_eq!(keys(&arc, &arc.lists.t2), [2, 1]);
        assert_eq!(keys(&arc, &arc.lists.t1), [4]);
        assert_eq!(keys(&arc, &arc.lists.b1), [3]);
    }

    #[test]
    fn hit_in_b2_shrinks_p() {
        let mut arc = Arc::new(2);
        let mut evicted = Vec::new();
        fill(&mut arc, [1, 2], &mut evicted);
        assert!(arc.get(&Request::get(1, 1)));
        assert!(arc.get(&Request::get(2, 1)));
        // T2 = [2, 1], T1 empty: a new key pushes 1 (LRU of T2) to B2.
        fill(&mut arc, [3], &mut evicted);
        assert_eq!(evicted, [1]);
        assert_eq!(keys(&arc, &arc.lists.b2), [1]);
        // 3 enters B1 next, then a B1 hit raises p to 1.
        fill(&mut arc, [4], &mut evicted);
        assert_eq!(keys(&arc, &arc.lists.b1), [3]);
        fill(&mut arc, [3], &mut evicted);
        assert_eq!(arc.p, 1.0);
        // Now 1 comes back from B2: p falls by max(|B1|/|B2|, 1) = 1.
        assert_eq!(keys(&arc, &arc.lists.b2), [2, 1]);
        fill(&mut arc, [1], &mut evicted);
        assert_eq!(arc.p, 0.0);
        assert!(keys(&arc, &arc.lists.t2).contains(&1));
    }

    #[test]
    fn directory_stays_within_twice_the_capacity_in_bytes() {
        let mut arc = Arc::new(1000);
        let mut evicted = Vec::new();
        for key in 0..5000u64 {
            let req = Request::get(key % 700, 50 + (key * 37 % 300) as u32);
            arc.access(&req, &mut evicted);
            arc.check_invariants();
        }
    }

    #[test]
    fn free_space_after_removal_is_used_without_eviction() {
        let mut arc = Arc::new(3);
        let mut evicted = Vec::new();
        fill(&mut arc, [1, 2, 3, 4], &mut evicted);
        assert_eq!(evicted, [1]);
        assert!(arc.remove(3));
        assert!(!arc.remove(1), "a ghost is not resident");
        evicted.clear();
        fill(&mut arc, [5], &mut evicted);
        assert!(evicted.is_empty());
    }

    #[test]
    fn scan_does_not_flush_frequent_objects() {
        let mut arc = Arc::new(10);
        let mut evicted = Vec::new();
        // 1..=5 are each used twice: they live in T2.
        fill(&mut arc, 1..=5, &mut evicted);
        for key in 1..=5 {
            assert!(arc.get(&Request::get(key, 1)));
        }
        // A long scan of one-time keys only cycles through T1.
        for key in 100..200 {
            arc.access(&Request::get(key, 1), &mut evicted);
        }
        arc.check_invariants();
        assert!((1..=5).all(|key| arc.contains(key)), "T2 survived the scan");
    }

    #[test]
    fn beats_lru_on_zipf() {
        let requests = unit_stream("zipf:alpha=0.9,keys=2000,requests=200000", 7);
        let arc = hit_ratio(&mut Arc::new(100), &requests);
        let lru = hit_ratio(&mut Lru::new(100), &requests);
        assert!(arc > lru, "arc {arc} vs lru {lru}");
    }
}
