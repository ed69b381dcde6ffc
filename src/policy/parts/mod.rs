//! Machinery several policies share: slab-backed intrusive lists with a key
//! index, a dense key set for uniform sampling, a ghost FIFO of evicted keys'
//! fingerprints, and TinyLFU's frequency sketch with its doorkeeper.

pub mod dense;
pub mod doorkeeper;
pub mod ghost;
pub mod list;
pub mod sketch;

/// A key's 64-bit hash for sketches and fingerprints: the splitmix64
/// finaliser, fixed (no per-process seed) so that runs repeat.
#[inline]
pub fn hash_key(key: u64) -> u64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
