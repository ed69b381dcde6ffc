//! Machinery several policies share: slab-backed intrusive lists with a key
//! index, a dense key set for uniform sampling, Redis's eviction pool, and
//! helpers for unit tests.

pub mod dense;
pub mod list;
pub mod redis_pool;
#[cfg(test)]
pub mod testing;
