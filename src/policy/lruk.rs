//! LRU-K with K = 2: evict the object whose second most recent uncorrelated
//! reference is the oldest; references within a correlated-reference period
//! of the last one count as one.
//!
//! O'Neil, O'Neil & Weikum, "The LRU-K page replacement algorithm for
//! database disk buffering", SIGMOD 1993, section 2.1 and its pseudo-code,
//! with K = 2 (the paper's recommended case: each further K costs a
//! timestamp per object and adapts more slowly). Time counts requests
//! ([`Policy::get`] calls). Per object: `HIST(p,1)` (its last uncorrelated
//! reference), `HIST(p,2)` (the one before, 0 when there is none: an
//! infinite backward 2-distance) and `LAST(p)` (its last reference). A hit
//! more than `crp` requests after `LAST(p)` is uncorrelated: `HIST(p,2)`
//! becomes `HIST(p,1)` shifted by the correlated period that ended, which
//! for K = 2 is `LAST(p)`, and `HIST(p,1)` becomes now; a hit within `crp`
//! only moves `LAST(p)`. The victim is the resident with the smallest
//! `(HIST(p,2), HIST(p,1))` among those past their correlated period (so
//! objects seen once go first, oldest first); when every resident is within
//! its period, the smallest of all goes (the paper leaves this case open).
//! An evicted object's history is kept while its last reference is within
//! `rip` requests (the retained-information period); a miss on it makes
//! `HIST(p,2)` its old `HIST(p,1)`.
//!
//! Defaults: `crp=0` (every reference counts, the LRU-2 of the paper's
//! experiments) and `rip=1000000` requests; the paper leaves both to tuning
//! (a transaction's length, and the Five-Minute Rule). Sizes are bytes:
//! victims leave until the new object fits. libCacheSim's test table has no
//! LRU-K row; the unit tests below work small cases by hand.
//!
//! Speed: about 1 M requests/s on the replay bench, under the 2 M of issue
//! 12, because every uncorrelated hit moves the object in a B-tree; memory
//! about 250 bytes per cached object with the default `rip`, which keeps
//! the histories of evicted objects.

use std::collections::BTreeSet;

use super::parts::list::{Entries, List};
use super::parts::room::make_room;
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "lruk",
    about: "LRU-2: evict the oldest second-to-last uncorrelated reference, history kept after eviction",
    source: "O'Neil, O'Neil & Weikum, SIGMOD 1993",
    params: &[
        ParamSpec {
            name: "crp",
            kind: ParamKind::Int {
                min: 0,
                max: 1 << 40,
            },
            default: 0.0,
            about: "correlated-reference period, in requests",
        },
        ParamSpec {
            name: "rip",
            kind: ParamKind::Int {
                min: 0,
                max: 1 << 40,
            },
            default: 1_000_000.0,
            about: "retained-information period of evicted objects' history, in requests",
        },
    ],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    let p = args.params;
    Box::new(LruK::new(args.capacity, p.int("crp"), p.int("rip")))
}

/// An object's reference history.
#[derive(Clone, Copy, Debug)]
struct History {
    /// `HIST(p,1)`: its last uncorrelated reference.
    first: u64,
    /// `HIST(p,2)`: the one before; 0 when there is none.
    second: u64,
    /// `LAST(p)`: its last reference.
    last: u64,
    resident: bool,
}

/// LRU-2 with a correlated-reference and a retained-information period.
pub struct LruK {
    capacity: u64,
    used: u64,
    residents: usize,
    crp: u64,
    rip: u64,
    /// Requests seen; histories start at 1, so 0 means none.
    now: u64,
    /// Residents and retained histories.
    entries: Entries<History>,
    /// Residents by `(HIST(p,2), HIST(p,1), slot)`.
    order: BTreeSet<(u64, u64, u32)>,
    /// Retained histories, the most recently evicted at the head.
    retained: List,
}

impl LruK {
    /// An empty LRU-2 cache of `capacity` units with a correlated-reference
    /// period of `crp` and a retained-information period of `rip` requests.
    pub fn new(capacity: u64, crp: u64, rip: u64) -> Self {
        LruK {
            capacity,
            used: 0,
            residents: 0,
            crp,
            rip,
            now: 0,
            entries: Entries::default(),
            order: BTreeSet::new(),
            retained: List::default(),
        }
    }

    /// Evicts the victim; returns its key. Its history is retained.
    fn evict_one(&mut self) -> u64 {
        let (now, crp) = (self.now, self.crp);
        let entries = &self.entries;
        let victim = self
            .order
            .iter()
            .find(|&&(_, _, slot)| now - entries.node(slot).meta.last > crp)
            .or_else(|| self.order.first())
            .copied()
            .expect("evicting from an empty lruk");
        self.order.remove(&victim);
        let slot = victim.2;
        let node = self.entries.node_mut(slot);
        node.meta.resident = false;
        let (key, size) = (node.key, u64::from(node.size));
        self.used -= size;
        self.residents -= 1;
        self.retained.push_head(self.entries.slab_mut(), slot);
        key
    }

    /// Forgets retained histories whose last reference is more than `rip`
    /// requests old, from the longest evicted; one evicted later but older
    /// waits its turn (a miss ignores it: it is expired, see `insert`).
    fn forget_expired(&mut self) {
        while let Some(slot) = self.retained.tail() {
            if self.now - self.entries.node(slot).meta.last <= self.rip {
                return;
            }
            self.retained.unlink(self.entries.slab_mut(), slot);
            self.entries.remove(slot);
        }
    }
}

impl Policy for LruK {
    #[inline]
    fn get(&mut self, req: &Request) -> bool {
        self.now += 1;
        let now = self.now;
        let Some(slot) = self.entries.find(req.key) else {
            return false;
        };
        let h = self.entries.node(slot).meta;
        if !h.resident {
            return false;
        }
        if now - h.last > self.crp {
            self.order.remove(&(h.second, h.first, slot));
            self.order.insert((h.last, now, slot));
            self.entries.node_mut(slot).meta = History {
                first: now,
                second: h.last,
                last: now,
                resident: true,
            };
        } else {
            self.entries.node_mut(slot).meta.last = now;
        }
        true
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let admitted = make_room(self, req.size, evicted, |c, evicted| {
            evicted.push(c.evict_one());
        });
        if !admitted {
            return false;
        }
        let now = self.now;
        let second = match self.entries.find(req.key) {
            Some(slot) => {
                let h = self.entries.node(slot).meta;
                assert!(!h.resident, "insert of a resident");
                self.retained.unlink(self.entries.slab_mut(), slot);
                self.entries.remove(slot);
                if now - h.last <= self.rip { h.first } else { 0 }
            }
            None => 0,
        };
        let slot = self.entries.add(
            req.key,
            req.size,
            History {
                first: now,
                second,
                last: now,
                resident: true,
            },
        );
        self.order.insert((second, now, slot));
        self.used += u64::from(req.size);
        self.residents += 1;
        self.forget_expired();
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        let h = self.entries.node(slot).meta;
        if !h.resident {
            return false;
        }
        self.order.remove(&(h.second, h.first, slot));
        self.used -= u64::from(self.entries.remove(slot).1);
        self.residents -= 1;
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.entries
            .find(key)
            .is_some_and(|slot| self.entries.node(slot).meta.resident)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.residents,
            used: self.used,
            capacity: self.capacity,
        }
    }

    fn check_invariants(&self) {
        let slab = self.entries.slab();
        self.entries.check();
        self.retained.check(slab);
        for slot in self.retained.iter(slab) {
            assert!(!slab.get(slot).meta.resident, "a resident is retained");
        }
        let mut bytes = 0;
        for &(second, first, slot) in &self.order {
            let node = slab.get(slot);
            assert!(node.meta.resident, "{} ordered but not resident", node.key);
            assert_eq!(
                (node.meta.second, node.meta.first),
                (second, first),
                "order key of {}",
                node.key
            );
            assert!(second <= first, "HIST(p,2) after HIST(p,1)");
            assert!(node.meta.last <= self.now, "LAST(p) in the future");
            bytes += u64::from(node.size);
        }
        assert_eq!(self.order.len(), self.residents, "residents ordered");
        assert_eq!(
            self.residents + self.retained.len(),
            self.entries.len(),
            "every entry is resident or retained"
        );
        assert_eq!(bytes, self.used, "byte count");
        assert!(self.used <= self.capacity, "over capacity");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(c: &mut LruK, key: u64) -> Vec<u64> {
        let mut evicted = Vec::new();
        if !c.get(&Request::get(key, 1)) {
            assert!(c.insert(&Request::get(key, 1), &mut evicted));
        }
        c.check_invariants();
        evicted
    }

    #[test]
    fn objects_seen_once_leave_before_objects_seen_twice() {
        let mut c = LruK::new(2, 0, 100);
        // t=1, 2: 1 twice (HIST(1,2) = 1); t=3: 2 once (no HIST(2,2)).
        for key in [1, 1, 2] {
            assert!(access(&mut c, key).is_empty());
        }
        // t=4: LRU would evict 1; LRU-2 evicts 2, whose 2-distance is infinite.
        assert_eq!(access(&mut c, 3), [2]);
        // t=5: 2 misses, but its history was kept: HIST(2,2) = 3, so now 3
        // (seen once) is the victim.
        assert_eq!(access(&mut c, 2), [3]);
        // t=6: 4 is new. 1 has HIST(1,2) = 1, 2 has 3: 1 goes.
        assert_eq!(access(&mut c, 4), [1]);
    }

    #[test]
    fn references_within_the_correlated_period_count_once() {
        // With crp=1 the two references to 1 (t=1, 2) are one: 1 and 2
        // both have no HIST(p,2), and 1's HIST(p,1) is older.
        let mut c = LruK::new(2, 1, 100);
        for key in [1, 1, 2] {
            access(&mut c, key);
        }
        assert_eq!(access(&mut c, 3), [1]);
    }

    #[test]
    fn an_object_in_its_correlated_period_is_not_a_victim() {
        // crp=2, three objects: 1 at t=1 and t=3 (correlated: LAST moves
        // to 3, HIST(1,1) stays 1), 2 at t=2, 3 at t=4.
        let mut c = LruK::new(3, 2, 100);
        for key in [1, 2, 1, 3] {
            assert!(access(&mut c, key).is_empty());
        }
        // t=5: 1 has the smallest (0, 1) but was referenced 2 requests ago;
        // 2, three requests ago, is the victim.
        assert_eq!(access(&mut c, 4), [2]);
        // t=6: 1's period is over (its last reference was at t=3): it goes.
        assert_eq!(access(&mut c, 5), [1]);
    }

    #[test]
    fn when_every_resident_is_in_its_period_the_smallest_goes() {
        // crp=5: at t=3 both 1 (t=1) and 2 (t=2) are within their period.
        let mut c = LruK::new(2, 5, 100);
        access(&mut c, 1);
        access(&mut c, 2);
        assert_eq!(access(&mut c, 3), [1]);
    }

    #[test]
    fn history_is_forgotten_after_the_retained_information_period() {
        let mut c = LruK::new(1, 0, 2);
        access(&mut c, 1); // t=1
        assert_eq!(access(&mut c, 2), [1]); // t=2: 1's history kept
        assert_eq!(access(&mut c, 3), [2]); // t=3
        // t=4: 1's last reference is 3 requests old: forgotten.
        assert_eq!(access(&mut c, 4), [3]);
        assert!(c.entries.find(1).is_none());
        assert_eq!(c.retained.len(), 2);
    }

    #[test]
    fn remove_drops_the_history() {
        let mut c = LruK::new(2, 0, 100);
        access(&mut c, 1);
        access(&mut c, 2);
        assert_eq!(access(&mut c, 3), [1]);
        assert!(!c.remove(1), "1 is retained, not resident");
        assert!(c.remove(2));
        assert!(c.entries.find(2).is_none());
        c.check_invariants();
        assert_eq!(c.len(), 1);
    }
}
