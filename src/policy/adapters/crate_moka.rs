//! `moka`'s `sync::Cache` behind the policy trait, made deterministic.
//!
//! moka (0.12) runs TinyLFU admission in front of an LRU, weighted by object
//! size. It buffers reads and writes and applies them in maintenance, which it
//! triggers by buffer fill or by wall-clock time; the adapter calls
//! `run_pending_tasks` after every insert and remove so that each eviction
//! decision sees all earlier accesses, and uses a fixed hasher (Fx). With both,
//! two runs give identical results (checked by the conformance tests). A new object
//! can be refused by TinyLFU admission; `insert` then returns false. No
//! parameters.

use std::sync::{Arc, Mutex};

use moka::notification::RemovalCause;
use moka::sync::Cache;
use rustc_hash::FxBuildHasher;

use crate::policy::registry::{BuildArgs, PolicySpec};
use crate::policy::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "crate_moka",
    about: "the `moka` crate (0.12, sync), TinyLFU admission + LRU, weighted",
    source: "crates.io/crates/moka",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&evicted);
    let cache = Cache::builder()
        .max_capacity(args.capacity)
        .weigher(|_key: &u64, size: &u32| *size)
        .eviction_listener(move |key: Arc<u64>, _size: u32, cause: RemovalCause| {
            if cause == RemovalCause::Size {
                sink.lock().expect("listener lock").push(*key);
            }
        })
        .build_with_hasher(FxBuildHasher);
    Box::new(CrateMoka {
        capacity: args.capacity,
        cache,
        evicted,
    })
}

/// `moka::sync::Cache` with size weights and synchronous maintenance.
pub struct CrateMoka {
    capacity: u64,
    cache: Cache<u64, u32, FxBuildHasher>,
    evicted: Arc<Mutex<Vec<u64>>>,
}

impl Policy for CrateMoka {
    fn get(&mut self, req: &Request) -> bool {
        self.cache.get(&req.key).is_some()
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        if u64::from(req.size) > self.capacity {
            return false;
        }
        self.cache.insert(req.key, req.size);
        self.cache.run_pending_tasks();
        let mut removed = self.evicted.lock().expect("listener lock");
        let admitted = !removed.contains(&req.key);
        evicted.extend(removed.drain(..).filter(|&k| k != req.key));
        admitted
    }

    fn remove(&mut self, key: u64) -> bool {
        let was = self.cache.remove(&key).is_some();
        self.cache.run_pending_tasks();
        was
    }

    fn contains(&self, key: u64) -> bool {
        self.cache.contains_key(&key)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.cache.entry_count() as usize,
            used: self.cache.weighted_size(),
            capacity: self.capacity,
        }
    }

    fn check_invariants(&self) {
        let sum: u64 = self.cache.iter().map(|(_, size)| u64::from(size)).sum();
        assert_eq!(sum, self.cache.weighted_size(), "weighted size");
        assert!(self.cache.weighted_size() <= self.capacity, "over capacity");
    }
}
