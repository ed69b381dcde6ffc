//! Machinery several policies share: slab-backed intrusive lists with a key
//! index, a dense key set for uniform sampling, and Redis's eviction pool.

pub mod dense;
pub mod list;
pub mod redis_pool;
