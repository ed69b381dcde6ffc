//! Eviction policies: one trait, one file per policy, and a registry.
//!
//! A policy stores metadata only (key, size, a few bits per object) and counts
//! nothing: hits, misses and evictions belong to the caller. The split of a
//! request into [`Policy::get`] then, on a miss, [`Policy::insert`] follows
//! libCacheSim, because in cache-aside the insert happens only after the
//! database has answered.

pub mod admission;
pub mod parts;
mod registry;

mod adapters;
mod arc;
mod belady;
mod car;
mod clock;
mod clockpro;
mod fifo;
mod gdsf;
mod hyperbolic;
mod lecar;
mod lfu;
mod lfuda;
mod lhd;
mod lirs;
mod lru;
mod lruk;
mod memcached;
mod memcached_slabs;
mod mq;
mod mru;
mod qdlp;
mod random;
mod redis_lfu;
mod redis_lru;
mod redis_random;
mod redis_volatile_lfu;
mod redis_volatile_lru;
mod redis_volatile_random;
mod redis_volatile_ttl;
mod s3fifo;
mod s3fifo_v0;
mod sieve;
mod slru;
mod twoq;
mod wtinylfu;
mod wtinylfu_adaptive;

pub use admission::{FILTERS, FilterSpec, find_filter};
pub use lecar::Lecar;
pub use registry::{
    BuildArgs, FilterChoice, POLICIES, ParamKind, ParamSpec, Params, PolicyChoice, PolicyError,
    PolicySpec, find_policy,
};

use crate::request::Request;
use parts::list::List;

/// An eviction policy over objects with sizes, bounded by a capacity in the
/// same units as the sizes (bytes, or objects when every size is 1).
///
/// A policy file implements the algorithm: [`Policy::get`], [`Policy::insert`]
/// (usually through [`parts::room::make_room`], the evict-until-it-fits loop),
/// [`Policy::remove`], [`Policy::contains`], [`Policy::occupancy`] and
/// [`Policy::check_invariants`]; the accessors and [`Policy::access`] come
/// with the trait.
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

    /// [`Policy::insert`] of an object that expires at `expires_ns` (on the
    /// requests' clock; `None`: never). The lifetime is the caller's to
    /// enforce (lazy expiry, `+expire`); a policy that ranks by lifetimes
    /// (Redis's `volatile-*`) reads it here, the others ignore it.
    #[inline]
    fn insert_expiring(
        &mut self,
        req: &Request,
        expires_ns: Option<u64>,
        evicted: &mut Vec<u64>,
    ) -> bool {
        let _ = expires_ns;
        self.insert(req, evicted)
    }

    /// One request of a cache that fetches on a miss: [`Policy::get`], then,
    /// on a miss, [`Policy::insert`] (pushing its evictions onto `evicted`).
    /// Returns whether it was a hit. Cache-aside callers, which insert only
    /// once the database has answered, call the two halves themselves.
    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let hit = self.get(req);
        if !hit {
            self.insert(req, evicted);
        }
        hit
    }

    /// Removes `key` if resident (an invalidation); returns whether it was.
    fn remove(&mut self, key: u64) -> bool;

    /// True when `key` is resident; changes no state.
    fn contains(&self, key: u64) -> bool;

    /// How many objects are resident, their total size and the capacity.
    fn occupancy(&self) -> Occupancy;

    /// Number of resident objects.
    #[inline]
    fn len(&self) -> usize {
        self.occupancy().len
    }

    /// True when nothing is resident.
    #[inline]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sum of the sizes of the resident objects.
    #[inline]
    fn used(&self) -> u64 {
        self.occupancy().used
    }

    /// The capacity the policy was built with.
    #[inline]
    fn capacity(&self) -> u64 {
        self.occupancy().capacity
    }

    /// What the capacity bounds: [`Bound::Sizes`] unless the policy says
    /// otherwise.
    #[inline]
    fn bound(&self) -> Bound {
        Bound::Sizes
    }

    /// Recomputes the policy's bookkeeping from scratch and panics, naming the
    /// broken invariant, if it disagrees with the incremental state.
    fn check_invariants(&self);
}

/// How a policy's capacity bounds what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// The resident objects' sizes sum to at most the capacity, and an object
    /// that fits in the free space is admitted without evictions: the
    /// contract of [`Policy`].
    Sizes,
    /// memcached's slab allocator: the capacity is `-m`, counted in 1 MiB
    /// pages of chunks; every slab class gets its first page even past it,
    /// and a store can evict in its own class while others have room. The
    /// sizes are still the objects' (value) sizes.
    SlabPages,
}

/// What a policy holds: how many objects, how many units, out of how many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occupancy {
    /// Number of resident objects.
    pub len: usize,
    /// Sum of their sizes.
    pub used: u64,
    /// The capacity the policy was built with.
    pub capacity: u64,
}

impl Occupancy {
    /// The objects linked in `lists`, which hold residents only (no ghosts),
    /// in a cache of `capacity`.
    #[inline]
    pub fn of_lists<const N: usize>(capacity: u64, lists: [&List; N]) -> Occupancy {
        Occupancy {
            len: lists.iter().map(|list| list.len()).sum(),
            used: lists.iter().map(|list| list.bytes()).sum(),
            capacity,
        }
    }
}
