//! Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent
//! Hash Algorithm", 2014, arXiv:1406.2294), over the sorted members as buckets.
//!
//! Bucket `b` of `n` is member `members[b]`. The loop runs the paper's linear
//! congruential generator (constants exactly as Lamping & Veach, 2014, give them) and jumps forward to
//! the next bucket at which the key would move; it takes about ln N steps and
//! no memory. Growing from n to n+1 buckets moves exactly the keys that land
//! in the new bucket, 1/(n+1) of them. The converse holds only for the *last*
//! bucket: removing the member with the largest id is minimal-disruption,
//! removing any other renumbers every bucket after it and moves far more
//! keys. Likewise a newcomer is minimal-disruption only if its id is larger
//! than every member's. Keys are mixed with splitmix64 before the loop.

use super::{NodeId, Router};
use crate::seed::mix64;

/// Jump consistent hash; bucket i is the i-th smallest member.
pub(super) struct Jump {
    members: Vec<NodeId>,
}

impl Jump {
    /// Routes over `members`, which the caller has sorted and deduplicated.
    pub(super) fn new(members: Vec<NodeId>) -> Jump {
        assert!(
            members.len() <= i32::MAX as usize,
            "jump takes at most 2^31 - 1 buckets"
        );
        Jump { members }
    }
}

impl Router for Jump {
    fn route(&self, key: u64) -> NodeId {
        self.members[bucket(mix64(key), self.members.len() as i64) as usize]
    }

    fn members(&self) -> &[NodeId] {
        &self.members
    }
}

/// The paper's `JumpConsistentHash(key, num_buckets)`: the bucket in
/// `0..buckets` that owns `key`.
fn bucket(mut key: u64, buckets: i64) -> i64 {
    let mut b = -1;
    let mut j = 0;
    while j < buckets {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs of the reference C++ code, as used by ClickHouse's test of its
    /// `jumpConsistentHash` (tests/queries/0_stateless/00580).
    #[test]
    fn bucket_matches_the_reference_implementation() {
        let cases = [
            (1, 1, 0),
            (42, 57, 43),
            (256, 1024, 520),
            (3_735_883_980, 1, 0),
            (3_735_883_980, 666, 361),
            (16_045_690_984_833_335_023, 255, 237),
        ];
        for (key, buckets, expected) in cases {
            assert_eq!(
                bucket(key, buckets),
                expected,
                "key {key}, {buckets} buckets"
            );
        }
    }

    /// Going from n to n+1 buckets, a key either stays or moves to bucket n.
    #[test]
    fn a_new_bucket_only_takes_keys() {
        for key in (0..2000).map(mix64) {
            let mut previous = bucket(key, 1);
            assert_eq!(previous, 0);
            for n in 2..=40 {
                let now = bucket(key, n);
                assert!(
                    now == previous || now == n - 1,
                    "key {key}: {previous} → {now} at {n}"
                );
                previous = now;
            }
        }
    }
}
