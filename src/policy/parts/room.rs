//! The evict-until-it-fits loop of libCacheSim's `insert`, written once: an
//! object larger than the whole capacity is refused without evicting
//! anything; otherwise the policy's eviction step runs until the object fits.
//! Generic over the policy and its step, and always inlined, so each policy's
//! `insert` compiles to the loop it would have written by hand, with no
//! dynamic call in it.

use crate::policy::Policy;

/// Refuses an object of `size` units (false, nothing evicted) when it is
/// larger than `policy`'s capacity; otherwise runs `evict` until the object
/// fits in the free space and returns true.
///
/// `evict` is one eviction step: it evicts an object and pushes its key onto
/// `evicted`, or, as S3-FIFO's small queue may, only moves objects so that a
/// later step evicts; either way the loop must end.
#[inline(always)]
pub fn make_room<P: Policy>(
    policy: &mut P,
    size: u32,
    evicted: &mut Vec<u64>,
    evict: impl FnMut(&mut P, &mut Vec<u64>),
) -> bool {
    if u64::from(size) > policy.capacity() {
        return false;
    }
    evict_until_fits(policy, size, evicted, evict);
    true
}

/// The loop of [`make_room`] without its size check, for policies that apply
/// an admission rule between the two: runs `evict` until `size` more units
/// fit. The caller guarantees that `size` is at most the capacity.
#[inline(always)]
pub fn evict_until_fits<P: Policy>(
    policy: &mut P,
    size: u32,
    evicted: &mut Vec<u64>,
    mut evict: impl FnMut(&mut P, &mut Vec<u64>),
) {
    let size = u64::from(size);
    debug_assert!(size <= policy.capacity(), "{size} can never fit");
    while policy.used() + size > policy.capacity() {
        evict(policy, evicted);
    }
}
