//! Rendezvous hashing, or highest random weight (Thaler & Ravishankar, "Using
//! Name-Based Mappings to Increase Hit Rates", IEEE/ACM ToN 1998).
//!
//! Each key goes to the member with the largest weight `w(key, member)`.
//! Removing a member moves exactly its keys (each to its second choice);
//! adding one moves to it exactly the keys it now wins, ≈ 1/(N+1). The price
//! is O(N) work per lookup, fine for the tens of nodes a cache tier has. The
//! weight is splitmix64 of the mixed key XOR a per-member salt (xxh3 of the
//! member id), precomputed at build time; ties, which need two members with
//! equal salts, go to the larger id.

use super::{NodeId, Router};
use crate::seed::mix64;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Seed of the per-member salt hash, fixed so routes are stable across runs.
const SALT_SEED: u64 = 0x7265_6e64_657a_766f;

/// Highest random weight over the members.
pub(super) struct Rendezvous {
    members: Vec<NodeId>,
    /// `(salt, member)` for every member, in member order.
    salted: Vec<(u64, NodeId)>,
}

impl Rendezvous {
    /// Routes over `members`, which the caller has sorted and deduplicated.
    pub(super) fn new(members: Vec<NodeId>) -> Rendezvous {
        let salted = members
            .iter()
            .map(|&m| (xxh3_64_with_seed(&m.to_le_bytes(), SALT_SEED), m))
            .collect();
        Rendezvous { members, salted }
    }
}

impl Router for Rendezvous {
    fn route(&self, key: u64) -> NodeId {
        let k = mix64(key);
        let (_, winner) = self
            .salted
            .iter()
            .map(|&(salt, m)| (mix64(k ^ salt), m))
            .max()
            .expect("a router has members");
        winner
    }

    fn members(&self) -> &[NodeId] {
        &self.members
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member's weight for a key does not depend on the other members, so
    /// the owner among a subset is the best-weighted member of that subset.
    #[test]
    fn owner_is_the_best_member_of_any_subset() {
        let all = Rendezvous::new(vec![1, 2, 3, 4, 5]);
        let odd = Rendezvous::new(vec![1, 3, 5]);
        for key in 0..5000 {
            let k = mix64(key);
            let weight = |m: NodeId| {
                let (salt, _) = all.salted[(m - 1) as usize];
                mix64(k ^ salt)
            };
            let best_odd = [1, 3, 5].into_iter().max_by_key(|&m| weight(m)).unwrap();
            assert_eq!(odd.route(key), best_odd, "key {key}");
            if odd.members.contains(&all.route(key)) {
                assert_eq!(odd.route(key), all.route(key), "key {key}");
            }
        }
    }
}
