//! W-TinyLFU: a small LRU window in front of a segmented LRU, with TinyLFU
//! deciding whether what leaves the window may displace the main space's
//! victim.
//!
//! Einziger, Friedman & Manes, "TinyLFU: A Highly Efficient Cache Admission
//! Policy", ACM Transactions on Storage 13(4), 2017, section 4 (W-TinyLFU),
//! with the details of Caffeine's `BoundedLocalCache` (static window, no hill
//! climbing). New objects enter the window (an LRU, `window=0.01` of the
//! capacity). Objects pushed out of the window become candidates at the
//! most-recent end of the main space's probation segment. While the cache
//! is over capacity, the oldest probation object (the victim) and the
//! oldest remaining candidate are compared by their TinyLFU estimates: the
//! candidate is admitted, and the victim evicted, only when the candidate's
//! estimate is strictly higher; otherwise the candidate is evicted. When the
//! candidates run out, further candidates come from the window's LRU end;
//! when probation runs out, victims come from the protected segment, then
//! the window. A hit in probation promotes the object to the protected
//! segment (`protected=0.8` of the main space), whose least recently used
//! objects are demoted back to probation's most-recent end when it
//! overflows; hits elsewhere move the object to the most-recent end of its
//! segment. Sizes are bytes and the segment limits are byte limits, as in
//! Caffeine's weighted caches: the window gets capacity − ⌊(1 − window) ×
//! capacity⌋ (at least one unit for any positive share), the protected
//! segment ⌊protected × the rest⌋.
//!
//! The estimate (see [`crate::policy::parts::sketch`]) counts every `get`,
//! hit or miss, in a 4-bit count-min sketch of depth 4 behind a doorkeeper
//! Bloom filter, halved (and the doorkeeper cleared) after a sample of 10 ×
//! the cache's entries. With byte capacities the number of entries is not
//! known up front, so the sketch is sized from the resident count after each
//! insert and grows with it, as Caffeine's `ensureCapacity` does.
//!
//! Deviations, and why: Caffeine admits a candidate with an estimate of at
//! least 6 with probability 1/128 even when it loses (a defence against
//! hash flooding); the paper's rule, admit iff strictly more frequent, is
//! kept, so runs depend on no random stream. The doorkeeper is the paper's;
//! Caffeine's production cache has none. A probation object too large for
//! the protected segment stays in probation on a hit, as in Caffeine.

use super::parts::list::{Entries, List};
use super::parts::sketch::TinyLfu;
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "wtinylfu",
    about: "LRU window + segmented LRU main, TinyLFU admission (count-min sketch + doorkeeper)",
    source: "Einziger, Friedman & Manes, ACM TOS 2017; Caffeine",
    params: &[
        ParamSpec {
            name: "window",
            kind: ParamKind::Real { min: 0.0, max: 1.0 },
            default: 0.01,
            about: "share of the capacity for the LRU window",
        },
        ParamSpec {
            name: "protected",
            kind: ParamKind::Real { min: 0.0, max: 1.0 },
            default: 0.8,
            about: "share of the main space for the protected segment",
        },
    ],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(WTinyLfu::new(
        args.capacity,
        args.params.real("window"),
        args.params.real("protected"),
    ))
}

/// Which segment an object is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment {
    Window,
    Probation,
    Protected,
}

/// W-TinyLFU.
pub struct WTinyLfu {
    capacity: u64,
    window_capacity: u64,
    protected_capacity: u64,
    entries: Entries<Segment>,
    /// Each segment: head most recently used, tail least.
    window: List,
    probation: List,
    protected: List,
    sketch: TinyLfu,
}

impl WTinyLfu {
    /// An empty W-TinyLFU cache of `capacity` units: `window` of it for the
    /// window, `protected` of the rest for the protected segment.
    pub fn new(capacity: u64, window: f64, protected: f64) -> Self {
        let main = (capacity as f64 * (1.0 - window)) as u64;
        let window_capacity = capacity - main.min(capacity);
        WTinyLfu {
            capacity,
            window_capacity,
            protected_capacity: ((capacity - window_capacity) as f64 * protected) as u64,
            entries: Entries::default(),
            window: List::default(),
            probation: List::default(),
            protected: List::default(),
            sketch: TinyLfu::new(),
        }
    }

    /// A hit in probation: promote to protected (unless too large for it),
    /// demoting protected's least recently used objects while it overflows.
    fn on_probation_hit(&mut self, slot: u32) {
        let slab = self.entries.slab_mut();
        if u64::from(slab.get(slot).size) > self.protected_capacity {
            self.probation.move_to_head(slab, slot);
            return;
        }
        self.probation.unlink(slab, slot);
        self.protected.push_head(slab, slot);
        slab.get_mut(slot).meta = Segment::Protected;
        while self.protected.bytes() > self.protected_capacity {
            let demoted = self
                .protected
                .pop_tail(slab)
                .expect("protected overflows while empty");
            self.probation.push_head(slab, demoted);
            slab.get_mut(demoted).meta = Segment::Probation;
        }
    }

    /// Moves the window's least recently used objects to probation's
    /// most-recent end until the window fits; returns the first moved, the
    /// oldest candidate.
    fn evict_from_window(&mut self) -> Option<u32> {
        let slab = self.entries.slab_mut();
        let mut first = None;
        while self.window.bytes() > self.window_capacity {
            let slot = self
                .window
                .pop_tail(slab)
                .expect("window overflows while empty");
            self.probation.push_head(slab, slot);
            slab.get_mut(slot).meta = Segment::Probation;
            first.get_or_insert(slot);
        }
        first
    }

    /// The next object in `slot`'s segment towards its most recent end.
    #[inline]
    fn newer(&self, slot: u32) -> Option<u32> {
        List::towards_head(self.entries.slab(), slot)
    }

    /// Evicts `slot`; reports it unless it is the object being inserted.
    fn evict(&mut self, slot: u32, inserting: u32, evicted: &mut Vec<u64>) {
        self.unlink(slot);
        let key = self.entries.remove(slot).0;
        if slot != inserting {
            evicted.push(key);
        }
    }

    /// Unlinks `slot` from its segment.
    fn unlink(&mut self, slot: u32) {
        let slab = self.entries.slab_mut();
        match slab.get(slot).meta {
            Segment::Window => self.window.unlink(slab, slot),
            Segment::Probation => self.probation.unlink(slab, slot),
            Segment::Protected => self.protected.unlink(slab, slot),
        }
    }

    /// Caffeine's `evictFromMain`: while over capacity, pit the oldest
    /// candidate against the victim, walking both towards the recent end.
    fn evict_from_main(
        &mut self,
        first_candidate: Option<u32>,
        inserting: u32,
        evicted: &mut Vec<u64>,
    ) {
        let mut victim_segment = Segment::Probation;
        let mut candidates_from_window = false;
        let mut victim = self.probation.tail();
        let mut candidate = first_candidate;
        while self.used() > self.capacity {
            if candidate.is_none() && !candidates_from_window {
                candidate = self.window.tail();
                candidates_from_window = true;
            }
            match (victim, candidate) {
                (None, None) => {
                    (victim, victim_segment) = match victim_segment {
                        Segment::Probation => (self.protected.tail(), Segment::Protected),
                        Segment::Protected => (self.window.tail(), Segment::Window),
                        Segment::Window => panic!("over capacity with every segment searched"),
                    };
                }
                (None, Some(c)) => {
                    candidate = self.newer(c);
                    self.evict(c, inserting, evicted);
                }
                (Some(v), None) => {
                    victim = self.newer(v);
                    self.evict(v, inserting, evicted);
                }
                (Some(v), Some(c)) if v == c => {
                    victim = self.newer(v);
                    candidate = None;
                    self.evict(v, inserting, evicted);
                }
                (Some(v), Some(c)) => {
                    let candidate_freq = self.sketch.frequency(self.entries.node(c).key);
                    let victim_freq = self.sketch.frequency(self.entries.node(v).key);
                    if candidate_freq > victim_freq {
                        victim = self.newer(v);
                        candidate = self.newer(c);
                        self.evict(v, inserting, evicted);
                    } else {
                        candidate = self.newer(c);
                        self.evict(c, inserting, evicted);
                    }
                }
            }
        }
    }
}

impl Policy for WTinyLfu {
    #[inline]
    fn get(&mut self, req: &Request) -> bool {
        self.sketch.record(req.key);
        let Some(slot) = self.entries.find(req.key) else {
            return false;
        };
        match self.entries.node(slot).meta {
            Segment::Window => self.window.move_to_head(self.entries.slab_mut(), slot),
            Segment::Probation => self.on_probation_hit(slot),
            Segment::Protected => self.protected.move_to_head(self.entries.slab_mut(), slot),
        }
        true
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        if u64::from(req.size) > self.capacity {
            return false;
        }
        let slot = self.entries.add(req.key, req.size, Segment::Window);
        self.window.push_head(self.entries.slab_mut(), slot);
        self.sketch.ensure_capacity(self.entries.len());
        let first_candidate = self.evict_from_window();
        if self.used() > self.capacity {
            self.evict_from_main(first_candidate, slot, evicted);
        }
        self.entries.find(req.key) == Some(slot)
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        self.unlink(slot);
        self.entries.remove(slot);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.entries.find(key).is_some()
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy::of_lists(
            self.capacity,
            [&self.window, &self.probation, &self.protected],
        )
    }

    fn check_invariants(&self) {
        let slab = self.entries.slab();
        self.entries.check();
        let segments = [
            (&self.window, Segment::Window),
            (&self.probation, Segment::Probation),
            (&self.protected, Segment::Protected),
        ];
        for (list, segment) in segments {
            list.check_tagged(slab, &format!("{segment:?}"), segment, |&meta| meta);
        }
        let queued = self.window.len() + self.probation.len() + self.protected.len();
        assert_eq!(queued, self.entries.len(), "every entry is in one segment");
        assert!(self.used() <= self.capacity, "over capacity");
        assert!(
            self.window.bytes() <= self.window_capacity,
            "window over its share"
        );
        assert!(
            self.protected.bytes() <= self.protected_capacity,
            "protected over its share"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(c: &mut WTinyLfu, key: u64) -> Vec<u64> {
        let mut evicted = Vec::new();
        c.access(&Request::get(key, 1), &mut evicted);
        c.check_invariants();
        evicted
    }

    fn keys(c: &WTinyLfu, list: &List) -> Vec<u64> {
        list.iter(c.entries.slab())
            .map(|s| c.entries.node(s).key)
            .collect()
    }

    #[test]
    fn shares_follow_caffeine() {
        let c = WTinyLfu::new(100, 0.01, 0.8);
        assert_eq!((c.window_capacity, c.protected_capacity), (1, 79));
        let c = WTinyLfu::new(1, 0.01, 0.8);
        assert_eq!((c.window_capacity, c.protected_capacity), (1, 0));
    }

    #[test]
    fn the_more_frequent_of_candidate_and_victim_stays() {
        // Capacity 4: window 1, main 3 (protected 2).
        let mut c = WTinyLfu::new(4, 0.01, 0.8);
        for key in [1, 2, 3, 4] {
            assert!(access(&mut c, key).is_empty());
        }
        // 4 is in the window; 1, 2, 3 went to probation as it filled.
        assert_eq!(keys(&c, &c.window), [4]);
        assert_eq!(keys(&c, &c.probation), [3, 2, 1]);
        // 5 pushes 4 out of the window as the candidate; the victim is 1.
        // Both were seen once (doorkeeper only): a tie keeps the victim.
        assert_eq!(access(&mut c, 5), [4]);
        // 6 is requested three times before its insert (a slow database, say).
        // Its insert pushes 5 out of the window: 5, seen once, ties with 1
        // and is evicted.
        for _ in 0..3 {
            c.get(&Request::get(6, 1));
        }
        assert_eq!(access(&mut c, 6), [5]);
        // 7 pushes 6 out: 6 (estimate 4) beats the victim 1 (estimate 1).
        assert_eq!(access(&mut c, 7), [1]);
        assert_eq!(keys(&c, &c.probation), [6, 3, 2]);
    }

    #[test]
    fn probation_hit_promotes_and_protected_overflow_demotes() {
        let mut c = WTinyLfu::new(4, 0.01, 0.8);
        for key in [1, 2, 3, 4] {
            access(&mut c, key);
        }
        // Hits on 1, 2, 3 promote each to protected (2 objects at most):
        // the third promotion demotes 1 to probation's most-recent end.
        for key in [1, 2, 3] {
            access(&mut c, key);
        }
        assert_eq!(keys(&c, &c.protected), [3, 2]);
        assert_eq!(keys(&c, &c.probation), [1]);
        // A window hit only refreshes the window.
        access(&mut c, 4);
        assert_eq!(keys(&c, &c.window), [4]);
    }

    #[test]
    fn a_scan_does_not_flush_frequent_items() {
        let mut c = WTinyLfu::new(100, 0.01, 0.8);
        let mut lru = crate::policy::lru::Lru::new(100);
        let mut evicted = Vec::new();
        let mut both = |key: u64| {
            access(&mut c, key);
            lru.access(&Request::get(key, 1), &mut evicted);
        };
        // A hot set of 90 keys, each requested 5 times: 79 end up protected,
        // the rest in probation.
        for _ in 0..5 {
            for key in 0..90 {
                both(key);
            }
        }
        // A scan of 500 keys, each requested once. Every scan key leaves the
        // window as a candidate with an estimate of 1 and meets a hot victim
        // with a higher estimate, so the candidate is the one evicted.
        for key in 1_000..1_500 {
            both(key);
        }
        let hot = |p: &dyn Policy| (0..90).filter(|&k| p.contains(k)).count();
        assert_eq!(hot(&c), 90, "the scan flushed hot keys from W-TinyLFU");
        assert_eq!(hot(&lru), 0, "LRU keeps no hot key through the same scan");
    }

    #[test]
    fn a_new_object_can_itself_be_refused() {
        // Capacity 10: window 1. A 5-unit object overflows the window and is
        // its own candidate; seen once, it loses to an equally known victim.
        let mut c = WTinyLfu::new(10, 0.01, 0.8);
        // Sized up front, so that growing does not forget counts mid-test.
        c.sketch.ensure_capacity(100);
        let mut evicted = Vec::new();
        for key in 1..=10 {
            access(&mut c, key);
        }
        c.get(&Request::get(99, 5));
        assert!(!c.insert(&Request::get(99, 5), &mut evicted));
        assert!(!c.contains(99));
        assert!(
            !evicted.contains(&99),
            "the refused object is not reported as evicted"
        );
        // 10 was pushed out of the window and also lost; no resident object
        // had to make room.
        assert_eq!(evicted, [10]);
        c.check_invariants();
    }
}
