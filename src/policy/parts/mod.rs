//! Machinery several policies share: slab-backed intrusive lists with a key
//! index, and a dense key set for uniform sampling.

pub mod dense;
pub mod list;
