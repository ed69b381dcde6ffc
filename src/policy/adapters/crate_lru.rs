//! The `lru` crate's `LruCache` behind the policy trait, so users can see the
//! library they deploy on their own workload.
//!
//! `lru` 0.19 bounds entries by count only; here it runs unbounded and the
//! adapter evicts from its LRU end until the new object fits in bytes. It must
//! give exactly the hits of cachelab's own `lru` (a test checks this). Fixed
//! hasher (Fx), so it is deterministic. No parameters.

use lru::LruCache;
use rustc_hash::FxBuildHasher;

use crate::policy::parts::room::make_room;
use crate::policy::registry::{BuildArgs, PolicySpec};
use crate::policy::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "crate_lru",
    about: "the `lru` crate (0.19), byte-bounded by an adapter",
    source: "crates.io/crates/lru",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(CrateLru {
        capacity: args.capacity,
        used: 0,
        cache: LruCache::unbounded_with_hasher(FxBuildHasher),
    })
}

/// `lru::LruCache` with byte accounting.
pub struct CrateLru {
    capacity: u64,
    used: u64,
    cache: LruCache<u64, u32, FxBuildHasher>,
}

impl Policy for CrateLru {
    fn get(&mut self, req: &Request) -> bool {
        self.cache.get(&req.key).is_some()
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let admitted = make_room(self, req.size, evicted, |lru, evicted| {
            let (key, size) = lru.cache.pop_lru().expect("over capacity");
            lru.used -= u64::from(size);
            evicted.push(key);
        });
        if admitted {
            self.cache.put(req.key, req.size);
            self.used += u64::from(req.size);
        }
        admitted
    }

    fn remove(&mut self, key: u64) -> bool {
        match self.cache.pop(&key) {
            Some(size) => {
                self.used -= u64::from(size);
                true
            }
            None => false,
        }
    }

    fn contains(&self, key: u64) -> bool {
        self.cache.contains(&key)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.cache.len(),
            used: self.used,
            capacity: self.capacity,
        }
    }

    fn check_invariants(&self) {
        let sum: u64 = self.cache.iter().map(|(_, &size)| u64::from(size)).sum();
        assert_eq!(sum, self.used, "used bytes");
        assert!(self.used <= self.capacity, "over capacity");
    }
}
