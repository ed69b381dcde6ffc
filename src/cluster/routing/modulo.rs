//! Modulo routing: member `mix(key) mod N` of the sorted members.
//!
//! The textbook baseline (and what naive client libraries do):
//! perfectly balanced, but when N changes almost every key changes owner,
//! (N−1)/N on a removal and N/(N+1) on an addition, so a cluster change
//! empties the cache tier. The key is mixed with splitmix64 first, so that
//! sequential keys do not stripe across the nodes in lockstep.

use super::{NodeId, Router};
use crate::seed::mix64;

/// `mix64(key) % N` over the sorted members.
pub(super) struct Modulo {
    members: Vec<NodeId>,
}

impl Modulo {
    /// Routes over `members`, which the caller has sorted and deduplicated.
    pub(super) fn new(members: Vec<NodeId>) -> Modulo {
        Modulo { members }
    }
}

impl Router for Modulo {
    fn route(&self, key: u64) -> NodeId {
        self.members[(mix64(key) % self.members.len() as u64) as usize]
    }

    fn members(&self) -> &[NodeId] {
        &self.members
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_is_the_mixed_key_modulo_the_member_count() {
        let router = Modulo::new(vec![2, 5, 9]);
        for key in 0..100 {
            let expected = [2, 5, 9][(mix64(key) % 3) as usize];
            assert_eq!(router.route(key), expected, "key {key}");
        }
    }
}
