//! Machinery several policies share: slab-backed intrusive lists with a key
//! index, a dense key set for uniform sampling, and helpers for unit tests.

pub mod dense;
pub mod list;
#[cfg(test)]
pub mod testing;
