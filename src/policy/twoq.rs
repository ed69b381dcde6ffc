//! 2Q: a FIFO probation queue, a ghost queue, and an LRU for proven objects.
//!
//! The full version of Johnson & Shasha, "2Q: A Low Overhead High Performance
//! Buffer Management Replacement Algorithm", VLDB 1994 (Fig. 3). A new object
//! enters the FIFO A1in; a hit there changes nothing. When space is needed and
//! A1in holds more than Kin, its oldest object is evicted and its key is
//! remembered in the ghost FIFO A1out (at most Kout); otherwise the LRU object
//! of Am is evicted and forgotten. A miss on a key remembered in A1out proves
//! reuse at a long distance: the object enters Am, the LRU list where hits
//! move objects to the head. Parameters: `kin` = 0.25 and `kout` = 0.5 of the
//! capacity, the paper's recommended values.
//!
//! Sizes are generalised to bytes as libCacheSim's `TwoQ.c` does: Kin and
//! Kout are fractions of the capacity in bytes (rounded down), A1in is
//! "over Kin" when its bytes exceed Kin, and A1out is bounded by the bytes of
//! the objects it remembers (a ghost larger than Kout is not kept). Unlike
//! libCacheSim, Am has no separate limit of capacity − Kin: as in the paper it
//! takes whatever A1in leaves. Deviations: residents are evicted only while
//! the new object does not fit; when Am is empty, A1in gives up its oldest
//! object even if it is within Kin (with unit sizes this happens only when
//! the whole cache is A1in, which the paper's rule also evicts from); an
//! invalidation forgets a resident object and leaves A1out alone.

use super::parts::list::{Entries, List, Slab};
use super::parts::room::evict_until_fits;
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "twoq",
    about: "2Q: FIFO probation, ghost queue of evicted keys, LRU for re-referenced objects",
    source: "Johnson & Shasha, VLDB 1994 (full version)",
    params: &[
        ParamSpec {
            name: "kin",
            kind: ParamKind::Real { min: 0.0, max: 1.0 },
            default: 0.25,
            about: "share of the capacity A1in may hold before it is evicted from",
        },
        ParamSpec {
            name: "kout",
            kind: ParamKind::Real { min: 0.0, max: 4.0 },
            default: 0.5,
            about: "bytes of evicted objects remembered by A1out, as a share of the capacity",
        },
    ],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(TwoQ::new(
        args.capacity,
        args.params.real("kin"),
        args.params.real("kout"),
    ))
}

/// Which queue a node is linked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Where {
    A1in,
    Am,
    A1out,
}

/// 2Q, full version.
pub struct TwoQ {
    capacity: u64,
    kin: u64,
    kout: u64,
    entries: Entries<Where>,
    a1in: List,
    am: List,
    a1out: List,
}

impl TwoQ {
    /// An empty 2Q cache of `capacity` units; `kin` and `kout` are the
    /// shares of the capacity given to A1in and remembered by A1out.
    pub fn new(capacity: u64, kin: f64, kout: f64) -> Self {
        TwoQ {
            capacity,
            kin: (capacity as f64 * kin) as u64,
            kout: (capacity as f64 * kout) as u64,
            entries: Entries::default(),
            a1in: List::default(),
            am: List::default(),
            a1out: List::default(),
        }
    }

    /// The list `place` and the node storage, borrowed together.
    fn split(&mut self, place: Where) -> (&mut List, &mut Slab<Where>) {
        let list = match place {
            Where::A1in => &mut self.a1in,
            Where::Am => &mut self.am,
            Where::A1out => &mut self.a1out,
        };
        (list, self.entries.slab_mut())
    }

    /// The paper's reclaimfor: evicts one object.
    fn reclaim(&mut self, evicted: &mut Vec<u64>) {
        let slab = self.entries.slab_mut();
        if self.a1in.bytes() > self.kin || self.am.is_empty() {
            let victim = self.a1in.pop_tail(slab).expect("A1in holds the cache");
            self.a1out.push_head(slab, victim);
            self.entries.node_mut(victim).meta = Where::A1out;
            evicted.push(self.entries.node(victim).key);
            while self.a1out.bytes() > self.kout {
                let ghost = self
                    .a1out
                    .pop_tail(self.entries.slab_mut())
                    .expect("A1out over Kout");
                self.entries.remove(ghost);
            }
        } else {
            // Am's objects were referenced more than once; their keys
            // are not remembered.
            let victim = self.am.pop_tail(slab).expect("Am is not empty");
            evicted.push(self.entries.remove(victim).0);
        }
    }
}

impl Policy for TwoQ {
    fn get(&mut self, req: &Request) -> bool {
        let Some(slot) = self.entries.find(req.key) else {
            return false;
        };
        match self.entries.node(slot).meta {
            Where::Am => {
                self.am.move_to_head(self.entries.slab_mut(), slot);
                true
            }
            // A hit in A1in is likely correlated with the first reference.
            Where::A1in => true,
            Where::A1out => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        if u64::from(req.size) > self.capacity {
            return false;
        }
        let place = match self.entries.find(req.key) {
            Some(ghost) => {
                assert_eq!(
                    self.entries.node(ghost).meta,
                    Where::A1out,
                    "insert of resident key {}",
                    req.key
                );
                self.a1out.unlink(self.entries.slab_mut(), ghost);
                self.entries.remove(ghost);
                Where::Am
            }
            None => Where::A1in,
        };
        evict_until_fits(self, req.size, evicted, Self::reclaim);
        let slot = self.entries.add(req.key, req.size, place);
        let (list, slab) = self.split(place);
        list.push_head(slab, slot);
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        let place = self.entries.node(slot).meta;
        if place == Where::A1out {
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
            .is_some_and(|slot| self.entries.node(slot).meta != Where::A1out)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy::of_lists(self.capacity, [&self.a1in, &self.am])
    }

    fn check_invariants(&self) {
        self.entries.check();
        let slab = self.entries.slab();
        for (list, place, name) in [
            (&self.a1in, Where::A1in, "A1in"),
            (&self.am, Where::Am, "Am"),
            (&self.a1out, Where::A1out, "A1out"),
        ] {
            list.check_tagged(slab, name, place, |&meta| meta);
        }
        let linked = self.a1in.len() + self.am.len() + self.a1out.len();
        assert_eq!(
            linked,
            self.entries.len(),
            "every entry is in exactly one queue"
        );
        assert!(self.used() <= self.capacity, "A1in + Am over capacity");
        assert!(self.a1out.bytes() <= self.kout, "A1out over Kout");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::lru::Lru;
    use crate::policy::parts::testing::{hit_ratio, unit_stream};

    fn keys(q: &TwoQ, list: &List) -> Vec<u64> {
        list.iter(q.entries.slab())
            .map(|s| q.entries.node(s).key)
            .collect()
    }

    fn access(q: &mut TwoQ, key: u64, evicted: &mut Vec<u64>) -> bool {
        let req = Request::get(key, 1);
        let hit = q.get(&req);
        if !hit {
            q.insert(&req, evicted);
        }
        q.check_invariants();
        hit
    }

    #[test]
    fn one_hit_objects_never_reach_am() {
        // Capacity 8: Kin = 2, Kout = 4.
        let mut q = TwoQ::new(8, 0.25, 0.5);
        let mut evicted = Vec::new();
        for key in 1..=8 {
            access(&mut q, key, &mut evicted);
        }
        // Hits in A1in change nothing: 1 is still the oldest of A1in.
        assert!(access(&mut q, 1, &mut evicted));
        assert_eq!(keys(&q, &q.a1in), [8, 7, 6, 5, 4, 3, 2, 1]);
        access(&mut q, 9, &mut evicted);
        // |A1in| = 8 > Kin: 1 is evicted from A1in and remembered in A1out.
        assert_eq!(evicted, [1]);
        assert_eq!(keys(&q, &q.a1out), [1]);
        assert!(q.am.is_empty());
        for key in 10..=20 {
            access(&mut q, key, &mut evicted);
        }
        // A1out keeps the 4 most recent ghosts; nothing ever reached Am.
        assert_eq!(keys(&q, &q.a1out), [12, 11, 10, 9]);
        assert!(q.am.is_empty());
    }

    #[test]
    fn a1out_hit_goes_to_am_and_am_is_lru() {
        let mut q = TwoQ::new(8, 0.25, 0.5);
        let mut evicted = Vec::new();
        for key in 1..=9 {
            access(&mut q, key, &mut evicted);
        }
        // 1 was evicted to A1out; its return proves reuse: it enters Am.
        assert!(!access(&mut q, 1, &mut evicted));
        assert_eq!(evicted, [1, 2]);
        assert_eq!(keys(&q, &q.am), [1]);
        access(&mut q, 2, &mut evicted);
        assert_eq!(keys(&q, &q.am), [2, 1]);
        // A hit in Am moves the object to the head.
        assert!(access(&mut q, 1, &mut evicted));
        assert_eq!(keys(&q, &q.am), [1, 2]);
        // A1in holds 6 > Kin = 2, so evictions keep coming from A1in and
        // the objects in Am survive.
        evicted.clear();
        for key in 30..=35 {
            access(&mut q, key, &mut evicted);
        }
        assert_eq!(evicted, [4, 5, 6, 7, 8, 9]);
        assert!(q.contains(1) && q.contains(2));
    }

    #[test]
    fn am_is_evicted_when_a1in_is_within_kin() {
        // Capacity 4, Kin = 1, Kout = 4.
        let mut q = TwoQ::new(4, 0.25, 1.0);
        let mut evicted = Vec::new();
        // 1..=4 fill A1in; 5 and 6 push 1 and 2 out to A1out; 1, 2 and 3
        // come back from A1out into Am, each pushing out A1in's oldest.
        for key in [1, 2, 3, 4, 5, 6, 1, 2, 3] {
            access(&mut q, key, &mut evicted);
        }
        assert_eq!(evicted, [1, 2, 3, 4, 5]);
        assert_eq!(keys(&q, &q.am), [3, 2, 1]);
        assert_eq!(keys(&q, &q.a1in), [6]);
        assert_eq!(keys(&q, &q.a1out), [5, 4]);
        // 4 returns from A1out. A1in holds 1 = Kin, not more, so the LRU of
        // Am (1) is evicted, and it is not remembered in A1out.
        evicted.clear();
        assert!(!access(&mut q, 4, &mut evicted));
        assert_eq!(evicted, [1]);
        assert_eq!(keys(&q, &q.am), [4, 3, 2]);
        assert_eq!(keys(&q, &q.a1out), [5]);
    }

    #[test]
    fn scan_does_not_flush_am() {
        let mut q = TwoQ::new(20, 0.25, 0.5);
        let mut evicted = Vec::new();
        for key in 1..=10 {
            q.insert(&Request::get(key, 1), &mut evicted);
        }
        // Force 1..=5 into Am: evict them to A1out, then recall them.
        for key in [
            100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114,
        ] {
            access(&mut q, key, &mut evicted);
        }
        for key in 1..=5 {
            assert!(!access(&mut q, key, &mut evicted));
        }
        assert_eq!(keys(&q, &q.am).len(), 5);
        for key in 1000..2000 {
            access(&mut q, key, &mut evicted);
        }
        assert!((1..=5).all(|key| q.contains(key)), "Am survived the scan");
    }

    #[test]
    fn sizes_count_in_bytes() {
        let mut q = TwoQ::new(1000, 0.25, 0.5);
        let mut evicted = Vec::new();
        for key in 0..3000u64 {
            let id = crate::workload::scramble(key) % 25;
            let req = Request::get(id, 10 + (id * 37 % 200) as u32);
            q.access(&req, &mut evicted);
            q.check_invariants();
        }
        assert!(!q.am.is_empty());
    }

    #[test]
    fn beats_lru_on_zipf() {
        let requests = unit_stream("zipf:alpha=0.9,keys=2000,requests=200000", 7);
        let twoq = hit_ratio(&mut TwoQ::new(100, 0.25, 0.5), &requests);
        let lru = hit_ratio(&mut Lru::new(100), &requests);
        assert!(twoq > lru, "twoq {twoq} vs lru {lru}");
    }
}
