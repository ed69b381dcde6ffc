//! memcached's segmented LRU ("modern" mode, 1.5+): HOT, WARM and COLD
//! queues balanced by the LRU maintainer, eviction from the COLD tail.
//!
//! Follows memcached `items.c` (`do_item_alloc_pull`, `do_item_bump`,
//! `do_item_update`, `lru_pull_tail`, `lru_maintainer_juggle`, 1.6 line) and
//! `doc/new_lru.txt`. New items enter at the HOT head with the current time.
//! A hit sets FETCHED; a hit on a FETCHED item sets ACTIVE ("hit twice to be
//! active") and bumps its time, and an item turning ACTIVE in COLD moves to
//! the WARM head with the flag cleared. The maintainer's juggle takes
//! `cold_age`, the age of the COLD tail, the maximum ages
//! `hot_age × cold_age` and `warm_age × cold_age` (whole seconds, truncated)
//! and the byte limits `hot × total` and `warm × total` of the bytes in use,
//! then repeatedly pulls the HOT tail (ACTIVE → WARM head; over the limit or
//! older than its maximum age → COLD head; else stop) and, when HOT did
//! nothing, the WARM tail (ACTIVE → relinked at the WARM head, walking up to
//! five items; over the limit or too old → COLD head; else stop), until
//! nothing moves; flags are cleared on these moves, times are not. As in
//! `lru_pull_tail`, a HOT limit that rounds to 0 falls through to the WARM
//! limit (so caches holding fewer than 5 bytes let HOT use WARM's share). An insert that does not fit evicts the COLD tail; with COLD
//! empty it pushes the HOT tail down and retries; with both empty the set
//! fails (memcached's "out of memory"). Times are whole seconds of
//! `Request::time_ns`.
//!
//! Defaults: `hot` = 0.2, `warm` = 0.4 (`hot_lru_pct`, `warm_lru_pct`),
//! `hot_age` = 0.2, `warm_age` = 2.0 (`hot_max_factor`, `warm_max_factor`).
//! memcached refuses `hot + warm` above 0.8; that cross-parameter rule is not
//! enforced here.
//! Documented simplifications: one slab class — no slab classes, 1 MB pages or
//! chunk rounding, so objects share one byte budget and eviction is global;
//! no TTLs, TEMP queue or crawler. The maintainer thread runs in the
//! background in memcached; here its pass (bumps, then juggle) runs
//! synchronously after every change that can upset the limits (an insert, a
//! COLD hit moving to WARM, a delete) and before an insert evicts, so the
//! segment limits hold after every operation. A pass runs until nothing moves
//! (memcached caps one pass at 500 moves because its thread holds locks), and
//! the COLD-tail step of the juggle is omitted: bumps run at once, so COLD
//! never holds an ACTIVE item for it to rescue. `do_item_alloc_pull` gives up
//! after 10 attempts because one eviction frees a whole chunk of the right
//! class; with byte accounting an object may need several evictions, so here
//! the loop runs until the object fits or COLD and HOT are both empty.

use super::parts::list::Entries;
use super::parts::segmented::{self, Freed, Meta, Segments, Shares, Tuning};
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "memcached",
    about: "memcached's segmented LRU: HOT/WARM/COLD queues, evict from the COLD tail",
    source: "memcached items.c (1.6) and doc/new_lru.txt",
    params: &[
        ParamSpec {
            name: "hot",
            kind: ParamKind::Real {
                min: 0.01,
                max: 0.8,
            },
            default: 0.2,
            about: "HOT share of the bytes in use (hot_lru_pct)",
        },
        ParamSpec {
            name: "warm",
            kind: ParamKind::Real {
                min: 0.01,
                max: 0.8,
            },
            default: 0.4,
            about: "WARM share of the bytes in use (warm_lru_pct)",
        },
        segmented::HOT_AGE,
        segmented::WARM_AGE,
    ],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    let p = args.params;
    Box::new(Memcached::new(args.capacity, Shares::from_params(p)))
}

/// memcached's segmented LRU over one slab class.
pub struct Memcached {
    capacity: u64,
    entries: Entries<Meta>,
    segments: Segments,
    tuning: Tuning,
    /// The latest request time seen, in seconds; deletes carry no time.
    now: u32,
}

impl Memcached {
    /// An empty cache of `capacity` bytes.
    pub fn new(capacity: u64, shares: Shares) -> Self {
        Memcached {
            capacity,
            entries: Entries::default(),
            segments: Segments::default(),
            tuning: Tuning::new(shares),
            now: 0,
        }
    }

    fn juggle(&mut self) {
        self.segments
            .juggle(&mut self.entries, &self.tuning, self.now);
    }

    /// Frees room as `do_item_alloc_pull` does; false when COLD and HOT are
    /// both empty before `size` fits.
    fn make_room(&mut self, size: u64, evicted: &mut Vec<u64>) -> bool {
        while self.segments.bytes() + size > self.capacity {
            match self
                .segments
                .free_one(&mut self.entries, &self.tuning, self.now)
            {
                Freed::Evicted(key, _) => evicted.push(key),
                Freed::Demoted => {}
                Freed::Nothing => return false,
            }
        }
        true
    }

    /// The keys of one queue, head first.
    #[cfg(test)]
    fn keys(&self, seg: super::parts::segmented::Seg) -> Vec<u64> {
        self.segments.keys(&self.entries, seg)
    }
}

impl Policy for Memcached {
    fn get(&mut self, req: &Request) -> bool {
        let Some(slot) = self.entries.find(req.key) else {
            return false;
        };
        self.now = (req.time_ns / 1_000_000_000) as u32;
        if self.segments.hit(&mut self.entries, slot, self.now) {
            self.juggle();
        }
        true
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let size = u64::from(req.size);
        if size > self.capacity {
            return false;
        }
        self.now = (req.time_ns / 1_000_000_000) as u32;
        self.juggle();
        if !self.make_room(size, evicted) {
            self.juggle();
            return false;
        }
        let slot = self.entries.add(req.key, req.size, Meta::new(0, self.now));
        self.segments.push_new(&mut self.entries, slot);
        self.juggle();
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        self.segments.unlink(&mut self.entries, slot);
        self.entries.remove(slot);
        self.juggle();
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.entries.find(key).is_some()
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy::of_lists(self.capacity, self.segments.lists())
    }

    fn check_invariants(&self) {
        self.entries.check();
        let linked = self.segments.check(&self.entries, 0);
        assert_eq!(
            linked,
            self.entries.len(),
            "every item is in exactly one queue"
        );
        assert!(self.used() <= self.capacity, "over capacity");
        self.segments.check_limits(&self.tuning);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parts::segmented::Seg;
    use rustc_hash::FxHashMap;

    const SECOND: u64 = 1_000_000_000;

    fn at(key: u64, seconds: u64) -> Request {
        Request {
            time_ns: seconds * SECOND,
            ..Request::get(key, 1)
        }
    }

    /// Ten unit items inserted at t=0 into a cache of 10.
    fn full_of_ten() -> Memcached {
        let mut mc = Memcached::new(10, Shares::default());
        let mut evicted = Vec::new();
        for key in 1..=10 {
            assert!(mc.insert(&at(key, 0), &mut evicted));
            mc.check_invariants();
        }
        assert!(evicted.is_empty());
        mc
    }

    #[test]
    fn inserts_flow_from_hot_to_cold() {
        let mc = full_of_ten();
        // With 10 bytes in use HOT may hold 10·20/100 = 2: the two newest.
        // Everything older was pushed to COLD as HOT overflowed (COLD being
        // empty at first, cold_age was 0, so early items left HOT at once).
        assert_eq!(mc.keys(Seg::Hot), [10, 9]);
        assert!(mc.keys(Seg::Warm).is_empty());
        assert_eq!(mc.keys(Seg::Cold), [8, 7, 6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn second_hit_in_cold_moves_to_warm_and_survives() {
        let mut mc = full_of_ten();
        let mut evicted = Vec::new();
        // 1 is the COLD tail. Its first hit only sets FETCHED.
        assert!(mc.get(&at(1, 0)));
        assert_eq!(mc.keys(Seg::Cold).last(), Some(&1));
        // The second hit makes it ACTIVE: it moves to the WARM head.
        assert!(mc.get(&at(1, 0)));
        assert_eq!(mc.keys(Seg::Warm), [1]);
        // 11 needs room: the COLD tail is now 2, evicted. 11 enters HOT,
        // which then holds 3 > 2 bytes, so its tail 9 drops to COLD.
        mc.insert(&at(11, 0), &mut evicted);
        assert_eq!(evicted, [2]);
        assert_eq!(mc.keys(Seg::Hot), [11, 10]);
        assert_eq!(mc.keys(Seg::Warm), [1]);
        assert_eq!(mc.keys(Seg::Cold), [9, 8, 7, 6, 5, 4, 3]);
        mc.check_invariants();
    }

    #[test]
    fn active_hot_tail_goes_to_warm() {
        let mut mc = full_of_ten();
        let mut evicted = Vec::new();
        // 9, the HOT tail, is hit twice: ACTIVE, but a hit does not move it.
        mc.get(&at(9, 0));
        mc.get(&at(9, 0));
        assert_eq!(mc.keys(Seg::Hot), [10, 9]);
        // The pass before 11 is stored finds the HOT tail ACTIVE and rescues
        // it to WARM, although HOT is within its limit. Then COLD's tail 1 is
        // evicted for 11, and HOT [11, 10] is exactly at its 2 bytes.
        mc.insert(&at(11, 0), &mut evicted);
        assert_eq!(evicted, [1]);
        assert_eq!(mc.keys(Seg::Hot), [11, 10]);
        assert_eq!(mc.keys(Seg::Warm), [9]);
        mc.check_invariants();
    }

    #[test]
    fn active_warm_tail_is_relinked_at_the_warm_head() {
        let mut mc = full_of_ten();
        let mut evicted = Vec::new();
        // 1 then 2 reach WARM by two COLD hits each: WARM is [2, 1].
        for key in [1, 1, 2, 2] {
            mc.get(&at(key, 0));
        }
        assert_eq!(mc.keys(Seg::Warm), [2, 1]);
        // 1 keeps FETCHED, so one more hit makes it ACTIVE in place.
        mc.get(&at(1, 0));
        assert_eq!(mc.keys(Seg::Warm), [2, 1]);
        // The next pass finds the WARM tail 1 ACTIVE and relinks it at the head.
        mc.insert(&at(11, 0), &mut evicted);
        assert_eq!(mc.keys(Seg::Warm), [1, 2]);
        mc.check_invariants();
    }

    #[test]
    fn hot_items_older_than_hot_age_drop_to_cold() {
        let mut mc = Memcached::new(100, Shares::default());
        let mut evicted = Vec::new();
        for key in 1..=10 {
            mc.insert(&at(key, 0), &mut evicted);
        }
        assert_eq!(mc.keys(Seg::Hot), [10, 9]);
        // At t=10 s the COLD tail (1) is 10 s old, so hot_age = 0.2·10 = 2 s:
        // 9 and 10, 10 s old, leave HOT though it is under its byte limit.
        mc.insert(&at(11, 10), &mut evicted);
        assert!(evicted.is_empty());
        assert_eq!(mc.keys(Seg::Hot), [11]);
        assert_eq!(&mc.keys(Seg::Cold)[..2], [10, 9]);
        mc.check_invariants();
    }

    #[test]
    fn set_fails_when_cold_and_hot_are_empty() {
        let mut mc = full_of_ten();
        let mut evicted = Vec::new();
        // 1..=4 are hit twice in COLD: WARM [4, 3, 2, 1], 4 of 10 bytes, at
        // its 40 % limit. HOT [10, 9], COLD [8, 7, 6, 5].
        for key in [1, 1, 2, 2, 3, 3, 4, 4] {
            mc.get(&at(key, 0));
        }
        assert_eq!(mc.keys(Seg::Warm), [4, 3, 2, 1]);
        // A 7-byte object: COLD is evicted (5..=8), then HOT's tail is pushed
        // to COLD and evicted (9, 10); with COLD and HOT empty, WARM's 4 bytes
        // leave no room for 7: memcached answers "out of memory".
        let seven = Request {
            size: 7,
            ..at(11, 0)
        };
        assert!(!mc.insert(&seven, &mut evicted));
        assert_eq!(evicted, [5, 6, 7, 8, 9, 10]);
        assert!(!mc.contains(11));
        // Only WARM's 4 bytes remain, over 40 % of 4 (1 byte): the pass after
        // the failed set pushes its tail items 1, 2, 3 down to COLD.
        assert_eq!(mc.keys(Seg::Warm), [4]);
        assert_eq!(mc.keys(Seg::Cold), [3, 2, 1]);
        // 6 bytes fit in the free space; HOT (limit 2 of 10) cannot hold it,
        // so the pass after the insert moves it straight to COLD.
        let six = Request {
            size: 6,
            ..at(12, 0)
        };
        evicted.clear();
        assert!(mc.insert(&six, &mut evicted));
        assert!(evicted.is_empty());
        assert_eq!(mc.keys(Seg::Cold), [12, 3, 2, 1]);
        mc.check_invariants();
    }

    fn zipf_requests(seconds_apart: f64) -> Vec<Request> {
        use crate::request::RequestStream;
        use crate::seed::Seed;
        use crate::workload::{SizeLaw, Workload};
        let workload = Workload::parse(
            "zipf:alpha=0.9,keys=5000,requests=100000",
            SizeLaw::parse("lognormal:median=1000,sigma=1").unwrap(),
        )
        .unwrap();
        let mut batch = Vec::new();
        let mut stream = workload.stream(Seed(3));
        while stream.next_batch(&mut batch, 4096).unwrap() > 0 {}
        for (i, r) in batch.iter_mut().enumerate() {
            r.time_ns = (i as f64 * seconds_apart * 1e9) as u64;
        }
        batch
    }

    #[test]
    fn segment_limits_hold_after_every_insert() {
        for seconds_apart in [0.001, 1.0] {
            let mut mc = Memcached::new(300_000, Shares::default());
            let mut evicted = Vec::new();
            for req in zipf_requests(seconds_apart) {
                if !mc.get(&req) {
                    mc.insert(&req, &mut evicted);
                    let used = mc.used();
                    let hot = mc.segments.list(Seg::Hot).bytes();
                    let warm = mc.segments.list(Seg::Warm).bytes();
                    assert!(hot * 100 <= used * 20, "HOT {hot} of {used}");
                    assert!(warm * 100 <= used * 40, "WARM {warm} of {used}");
                }
            }
            mc.check_invariants();
            assert!(
                !mc.keys(Seg::Warm).is_empty(),
                "the stream should fill WARM"
            );
        }
    }

    #[test]
    fn one_hit_items_never_enter_warm() {
        let mut mc = Memcached::new(300_000, Shares::default());
        let mut evicted = Vec::new();
        // Hits since each resident item's insert.
        let mut hits: FxHashMap<u64, u32> = FxHashMap::default();
        for (i, req) in zipf_requests(0.01).into_iter().enumerate() {
            if mc.get(&req) {
                *hits.get_mut(&req.key).unwrap() += 1;
            } else if mc.insert(&req, &mut evicted) {
                hits.insert(req.key, 0);
            }
            for key in evicted.drain(..) {
                hits.remove(&key);
            }
            if i % 100 == 0 {
                for key in mc.keys(Seg::Warm) {
                    assert!(
                        hits[&key] >= 2,
                        "item {key} is in WARM after {} hit(s)",
                        hits[&key]
                    );
                }
            }
        }
    }

    #[test]
    fn scan_of_one_hit_keys_does_not_evict_warm_items() {
        let mut mc = Memcached::new(100, Shares::default());
        let mut evicted = Vec::new();
        // Fill the cache with 1..=100 at t=0; 1..=20 are in COLD. Each is hit
        // twice and moves to WARM: 20 of 100 bytes, under its 40 % limit.
        for key in 1..=100 {
            mc.insert(&at(key, 0), &mut evicted);
        }
        for key in 1..=20 {
            mc.get(&at(key, 0));
            mc.get(&at(key, 0));
        }
        let mut warm = mc.keys(Seg::Warm);
        warm.sort_unstable();
        assert_eq!(warm, (1..=20).collect::<Vec<_>>());
        // A scan of 1000 keys requested once each, 1 ms apart (within the
        // first second, so no WARM item ages past warm_age). The scan flows
        // HOT → COLD → out and evicts the rest of the fill, never WARM.
        for (i, key) in (1_000..2_000).enumerate() {
            let req = Request {
                time_ns: i as u64 * 1_000_000,
                ..Request::get(key, 1)
            };
            assert!(!mc.get(&req));
            assert!(mc.insert(&req, &mut evicted));
            mc.check_invariants();
        }
        assert_eq!(evicted.len(), 1_000);
        assert!(evicted.iter().all(|&k| k > 20), "a WARM item was evicted");
        let mut warm = mc.keys(Seg::Warm);
        warm.sort_unstable();
        assert_eq!(warm, (1..=20).collect::<Vec<_>>());
    }
}
