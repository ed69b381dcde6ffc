//! Consistent-hash ring with virtual nodes, after ketama (libketama, and
//! twemproxy's `nc_ketama.c`; Karger et al., STOC 1997, for the idea).
//!
//! Every member puts `vnodes` points (default 160, ketama's count) on a
//! 64-bit circle; a key belongs to the member of the first point at or after
//! the key's hash, wrapping past the top. Point `i` of member `m` is
//! xxh3(`m`, `i`), so a member's points depend only on its own id: adding or
//! removing a member leaves everyone else's points in place and moves only
//! the keys on the arcs it gains or loses, ≈ 1/N. A member's share is a sum
//! of `vnodes` arcs, so shares vary with relative sd ≈ 1/√vnodes (≈ 7.9 %
//! at 160). Lookup is a binary search over the sorted points.
//!
//! Deviations from ketama: points are xxh3 of the binary (id, index) rather
//! than four 32-bit words of MD5("name-i"), keys are hashed with splitmix64
//! rather than the pool's key hash, and points are 64-bit; none changes the
//! mechanics, and MD5 would slow building for nothing.

use super::{NodeId, Router};
use crate::seed::mix64;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Seed of the point hash, fixed so the ring is stable across runs.
const POINT_SEED: u64 = 0x6b65_7461_6d61_7269;

/// The ring: points sorted ascending, and the owner of each point alongside
/// (two arrays, so the binary search touches only the points).
pub(super) struct Ring {
    members: Vec<NodeId>,
    points: Vec<u64>,
    owners: Vec<NodeId>,
    /// An index over the points by the top `bits` bits of a hash: entry
    /// `j` is the first point at or above `j << (64 - bits)`, and a last
    /// entry holds the point count. A hash's successor lies between its
    /// bucket's entry and the next one, so a lookup scans a bucket of about
    /// one point instead of binary-searching them all (the same point
    /// either way).
    buckets: Vec<u32>,
    bits: u32,
}

impl Ring {
    /// Places `vnodes` points for each of `members`, which the caller has
    /// sorted and deduplicated.
    pub(super) fn new(members: Vec<NodeId>, vnodes: u32) -> Ring {
        assert!(vnodes > 0, "a ring needs at least one point per member");
        let mut ring: Vec<(u64, NodeId)> = members
            .iter()
            .flat_map(|&m| (0..vnodes).map(move |i| (point(m, i), m)))
            .collect();
        // Equal points (a 2^-64 event per pair) are ordered by member, so the
        // ring still depends on the member set only.
        ring.sort_unstable();
        let (points, owners): (Vec<u64>, Vec<NodeId>) = ring.into_iter().unzip();
        // About one point per bucket, at most 2^16 buckets.
        let bits = points
            .len()
            .next_power_of_two()
            .trailing_zeros()
            .clamp(1, 16);
        let buckets = (0..=1u64 << bits)
            .map(|j| {
                if j < 1 << bits {
                    let start = j << (64 - bits);
                    points.partition_point(|&p| p < start) as u32
                } else {
                    points.len() as u32
                }
            })
            .collect();
        Ring {
            members,
            points,
            owners,
            buckets,
            bits,
        }
    }

    /// The owner of the first point at or after `hash`, wrapping.
    fn owner_of(&self, hash: u64) -> NodeId {
        let j = (hash >> (64 - self.bits)) as usize;
        let (from, to) = (self.buckets[j] as usize, self.buckets[j + 1] as usize);
        let i = from + self.points[from..to].partition_point(|&p| p < hash);
        let i = if i == self.points.len() { 0 } else { i };
        self.owners[i]
    }
}

/// Position of point `index` of `member` on the circle.
fn point(member: NodeId, index: u32) -> u64 {
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&member.to_le_bytes());
    bytes[4..].copy_from_slice(&index.to_le_bytes());
    xxh3_64_with_seed(&bytes, POINT_SEED)
}

impl Router for Ring {
    fn route(&self, key: u64) -> NodeId {
        self.owner_of(mix64(key))
    }

    fn members(&self) -> &[NodeId] {
        &self.members
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_goes_to_the_first_point_at_or_after_its_hash_wrapping() {
        let ring = Ring::new(vec![4, 8, 15], 3);
        assert_eq!(ring.points.len(), 9);
        assert!(ring.points.is_sorted());
        let naive = |hash: u64| {
            let mut by_position: Vec<(u64, NodeId)> = [4, 8, 15]
                .into_iter()
                .flat_map(|m| (0..3).map(move |i| (point(m, i), m)))
                .collect();
            by_position.sort_unstable();
            by_position
                .iter()
                .find(|&&(p, _)| p >= hash)
                .unwrap_or(&by_position[0])
                .1
        };
        for key in 0..5000 {
            assert_eq!(ring.route(key), naive(mix64(key)), "key {key}");
        }
        // A hash exactly on a point belongs to that point, one past it to the
        // next point, and one past the last point wraps to the first.
        let last = ring.points.len() - 1;
        for i in 0..last {
            assert_eq!(ring.owner_of(ring.points[i]), ring.owners[i]);
            assert_eq!(ring.owner_of(ring.points[i] + 1), ring.owners[i + 1]);
        }
        assert_eq!(ring.owner_of(0), ring.owners[0]);
        assert_eq!(ring.owner_of(ring.points[last]), ring.owners[last]);
        assert_eq!(ring.owner_of(ring.points[last] + 1), ring.owners[0]);
    }

    /// The bucket index finds the point a search over all points finds,
    /// for hashes at, just below and just above every point and every
    /// bucket's edge, and at the ends of the hash space.
    #[test]
    fn the_bucket_index_finds_the_successor_a_full_search_finds() {
        for (members, vnodes) in [(vec![1], 1), (vec![3, 5], 7), (vec![0, 1, 2, 3], 160)] {
            let ring = Ring::new(members, vnodes);
            let full = |hash: u64| {
                let i = ring.points.partition_point(|&p| p < hash);
                ring.owners[if i == ring.points.len() { 0 } else { i }]
            };
            let edges = (0..1u64 << ring.bits).map(|j| j << (64 - ring.bits));
            let probes = ring.points.iter().copied().chain(edges);
            for at in probes.chain([0, u64::MAX]) {
                for hash in [at.wrapping_sub(1), at, at.wrapping_add(1)] {
                    assert_eq!(ring.owner_of(hash), full(hash), "hash {hash:#x}");
                }
            }
        }
    }

    #[test]
    fn a_members_points_depend_only_on_its_own_id() {
        let big = Ring::new(vec![1, 2, 3, 99], 160);
        let small = Ring::new(vec![3, 42], 160);
        let points_of = |ring: &Ring, m: NodeId| -> Vec<u64> {
            ring.points
                .iter()
                .zip(&ring.owners)
                .filter(|&(_, &o)| o == m)
                .map(|(&p, _)| p)
                .collect()
        };
        assert_eq!(points_of(&big, 3), points_of(&small, 3));
        assert_eq!(points_of(&big, 3).len(), 160);
        assert_ne!(points_of(&big, 3), points_of(&big, 2));
    }
}
