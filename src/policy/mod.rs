//! Eviction policies: one trait, one file per policy, and a registry.
//!
//! A policy stores metadata only (key, size, a few bits per object) and counts
//! nothing: hits, misses and evictions belong to the caller. The split of a
//! request into [`Policy::get`] then, on a miss, [`Policy::insert`] follows
//! libCacheSim, because in cache-aside the insert happens only after the
//! database has answered.

pub mod parts;
mod registry;

mod arc;
mod belady;
mod clock;
mod crate_lru;
mod crate_moka;
mod crate_quick_cache;
mod fifo;
mod lfu;
mod lirs;
mod lru;
mod memcached;
mod random;
mod redis_lfu;
mod redis_lru;
mod s3fifo;
mod sieve;
mod twoq;
mod wtinylfu;

pub use registry::{
    POLICIES, ParamKind, ParamSpec, Params, PolicyChoice, PolicyError, PolicySpec, find_policy,
};

use crate::request::Request;

/// An eviction policy over objects with sizes, bounded by a capacity in the
/// same units as the sizes (bytes, or objects when every size is 1).
///
/// Contract, checked by the conformance suite for every registered policy:
/// - the sum of resident sizes never exceeds [`Policy::capacity`];
/// - an object larger than the capacity is never admitted;
/// - an object that fits in the free space is admitted, and a `get` right
///   after its insert hits;
/// - every key pushed to `evicted` was resident and no longer is;
/// - the same requests give the same evictions, run after run.
pub trait Policy: Send {
    /// Looks `req.key` up. On a hit, records the access and returns true.
    /// On a miss returns false; the policy may record the miss in its history
    /// (a frequency sketch), but admits nothing.
    fn get(&mut self, req: &Request) -> bool;

    /// Inserts `req.key`, which the caller guarantees is not resident, with
    /// size `req.size`. Evicts as needed, pushing each evicted key onto
    /// `evicted`. Returns false when the object was not admitted (too large,
    /// or refused by an admission rule); it is then not resident.
    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool;

    /// Removes `key` if resident (an invalidation); returns whether it was.
    fn remove(&mut self, key: u64) -> bool;

    /// True when `key` is resident; changes no state.
    fn contains(&self, key: u64) -> bool;

    /// Number of resident objects.
    fn len(&self) -> usize;

    /// True when nothing is resident.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sum of the sizes of the resident objects.
    fn used(&self) -> u64;

    /// The capacity the policy was built with.
    fn capacity(&self) -> u64;

    /// Recomputes the policy's bookkeeping from scratch and panics, naming the
    /// broken invariant, if it disagrees with the incremental state.
    fn check_invariants(&self);
}
