//! Machinery several policies share: slab-backed intrusive lists with a key
//! index, O(1) frequency buckets, a dense key set for uniform sampling,
//! Redis's eviction pool and its expires dict, a ghost FIFO of evicted keys,
//! TinyLFU's frequency sketch with its doorkeeper (and Caffeine's without),
//! the evict-until-it-fits loop, and helpers for unit tests.

pub mod adaptive;
pub mod buckets;
pub mod dense;
pub mod doorkeeper;
pub mod expiry;
pub mod ghost;
pub mod list;
pub mod queue;
pub mod redis_dict;
pub mod redis_pool;
pub mod redis_volatile;
pub mod room;
pub mod segmented;
pub mod sketch;
pub mod slab_automove;
#[cfg(test)]
pub mod testing;

/// A key's 64-bit hash for sketches and fingerprints, fixed (no per-process
/// seed) so that runs repeat.
#[inline]
pub fn hash_key(key: u64) -> u64 {
    crate::seed::mix64(key)
}
