//! `quick_cache`'s single-threaded `unsync::Cache` behind the policy trait.
//!
//! quick_cache (0.7) runs a CLOCK-PRO-like policy with hot and cold sections
//! and a ghost list, weighted by object size. It is used as shipped: default
//! hot and ghost allocations, a fixed hasher (Fx) for reproducibility, and a
//! lifecycle hook that reports evicted keys. The adapter refuses objects larger
//! than the capacity itself, as quick_cache would also do. No parameters.

use quick_cache::unsync::Cache;
use quick_cache::{Lifecycle, Weighter};
use rustc_hash::FxBuildHasher;

use crate::policy::registry::{BuildArgs, PolicySpec};
use crate::policy::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "crate_quick_cache",
    about: "the `quick_cache` crate (0.7, unsync), CLOCK-PRO-like, weighted",
    source: "crates.io/crates/quick_cache",
    params: &[],
    needs_future: false,
    build,
};

/// Weight = object size.
#[derive(Clone)]
struct SizeWeighter;

impl Weighter<u64, u32> for SizeWeighter {
    fn weight(&self, _key: &u64, size: &u32) -> u64 {
        u64::from(*size)
    }
}

/// Collects evicted keys into the per-request state.
#[derive(Clone)]
struct CollectEvicted;

impl Lifecycle<u64, u32> for CollectEvicted {
    type RequestState = Vec<u64>;

    fn on_evict(&self, state: &mut Vec<u64>, key: u64, _size: u32) {
        state.push(key);
    }
}

type Inner = Cache<u64, u32, SizeWeighter, FxBuildHasher, CollectEvicted>;

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    // quick_cache sizes its table from the expected item count; assume 1 KiB
    // objects when sizes are bytes (it grows as needed either way).
    let items = (args.capacity / 1024).clamp(16, 1 << 20) as usize;
    Box::new(CrateQuickCache {
        capacity: args.capacity,
        cache: Inner::with(
            items,
            args.capacity,
            SizeWeighter,
            FxBuildHasher,
            CollectEvicted,
        ),
    })
}

/// `quick_cache::unsync::Cache` with size weights.
pub struct CrateQuickCache {
    capacity: u64,
    cache: Inner,
}

impl Policy for CrateQuickCache {
    fn get(&mut self, req: &Request) -> bool {
        self.cache.get(&req.key).is_some()
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        if u64::from(req.size) > self.capacity {
            return false;
        }
        let mut state = Vec::new();
        self.cache
            .insert_with_lifecycle(req.key, req.size, &mut state);
        let admitted = !state.contains(&req.key);
        evicted.extend(state.into_iter().filter(|&k| k != req.key));
        admitted
    }

    fn remove(&mut self, key: u64) -> bool {
        self.cache.remove(&key).is_some()
    }

    fn contains(&self, key: u64) -> bool {
        self.cache.contains_key(&key)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.cache.len(),
            used: self.cache.weight(),
            capacity: self.capacity,
        }
    }

    fn check_invariants(&self) {
        let sum: u64 = self.cache.iter().map(|(_, &size)| u64::from(size)).sum();
        assert_eq!(sum, self.cache.weight(), "weight");
        assert!(self.cache.weight() <= self.capacity, "over capacity");
    }
}
