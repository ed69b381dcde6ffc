//! Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software
//! Network Load Balancer", NSDI 2016, §3.4).
//!
//! Each member has a preference list, a permutation of the `M` slots of a
//! lookup table: `offset + j·skip (mod M)` with `offset = h1(id) mod M` and
//! `skip = h2(id) mod (M−1) + 1`; `M` prime makes every such list a full
//! permutation. Members take turns claiming their next preferred free slot
//! until the table is full, so each member gets ⌊M/N⌋ or ⌈M/N⌉ slots; a key
//! goes to `table[mix(key) mod M]`, one memory access. Membership changes are
//! near-minimal, not minimal: a removal moves the lost member's keys plus a
//! few slots whose fill order shifted (Envoy's docs report up to about double;
//! our routing tests measure a few percent extra at N = 10). Defaults: `M` =
//! 65 537 as in Envoy, which keeps the imbalance under 1 % while `M` > 100·N.
//! Deviation: `h1`, `h2` are xxh3 of the member id with two seeds, where the
//! paper hashes backend names.

use super::{NodeId, Router};
use crate::seed::mix64;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Seeds of the two member hashes, fixed so tables are stable across runs.
const OFFSET_SEED: u64 = 0x6d61_676c_6576_6f66;
const SKIP_SEED: u64 = 0x6d61_676c_6576_736b;

/// A filled Maglev lookup table.
pub(super) struct Maglev {
    members: Vec<NodeId>,
    table: Vec<NodeId>,
}

impl Maglev {
    /// Fills a table of `table_size` slots (a prime, at least the member
    /// count) for `members`, which the caller has sorted and deduplicated.
    pub(super) fn new(members: Vec<NodeId>, table_size: u64) -> Maglev {
        assert!(
            table_size >= members.len() as u64,
            "maglev table of {table_size} slots is smaller than {} members",
            members.len()
        );
        let preferences: Vec<(u64, u64)> = members
            .iter()
            .map(|&m| {
                let bytes = m.to_le_bytes();
                let offset = xxh3_64_with_seed(&bytes, OFFSET_SEED) % table_size;
                let skip = xxh3_64_with_seed(&bytes, SKIP_SEED) % (table_size - 1) + 1;
                (offset, skip)
            })
            .collect();
        let table = fill(&preferences, table_size)
            .into_iter()
            .map(|i| members[i as usize])
            .collect();
        Maglev { members, table }
    }
}

/// The paper's Pseudocode 1: members, given as `(offset, skip)`, take turns
/// claiming their next preferred free slot until all `size` slots are taken.
/// Returns each slot's member index.
fn fill(preferences: &[(u64, u64)], size: u64) -> Vec<u32> {
    const FREE: u32 = u32::MAX;
    let mut table = vec![FREE; size as usize];
    // The slot each member looks at next: offset + next·skip (mod size).
    let mut cursor: Vec<u64> = preferences.iter().map(|&(offset, _)| offset).collect();
    let mut filled = 0;
    loop {
        for (i, &(_, skip)) in preferences.iter().enumerate() {
            while table[cursor[i] as usize] != FREE {
                cursor[i] = (cursor[i] + skip) % size;
            }
            table[cursor[i] as usize] = i as u32;
            cursor[i] = (cursor[i] + skip) % size;
            filled += 1;
            if filled == size {
                return table;
            }
        }
    }
}

impl Router for Maglev {
    fn route(&self, key: u64) -> NodeId {
        self.table[(mix64(key) % self.table.len() as u64) as usize]
    }

    fn members(&self) -> &[NodeId] {
        &self.members
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's Table 1: three backends, M = 7, with (offset, skip) of
    /// B0 = (3, 4), B1 = (0, 2), B2 = (3, 1). B0 takes 3, B1 takes 0, B2
    /// finds 3 taken and takes 4; B0 takes 1 (its list is 3 0 4 1 ...), B1
    /// takes 2, B2 takes 5; B0 skips 5 and 2 and takes 6.
    #[test]
    fn fill_reproduces_the_papers_example() {
        assert_eq!(fill(&[(3, 4), (0, 2), (3, 1)], 7), [1, 0, 1, 0, 2, 2, 0]);
        // Without B1, slot 6 changes hands although B0 is still there: the
        // extra disruption that makes Maglev near-minimal only.
        assert_eq!(fill(&[(3, 4), (3, 1)], 7), [0, 0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn every_member_gets_floor_or_ceiling_of_m_over_n_slots() {
        for n in [1u32, 3, 10, 64] {
            let members: Vec<NodeId> = (0..n).map(|i| i * 7 + 1).collect();
            let maglev = Maglev::new(members.clone(), 65_537);
            let floor = 65_537 / u64::from(n);
            for m in members {
                let slots = maglev.table.iter().filter(|&&o| o == m).count() as u64;
                assert!(
                    slots == floor || slots == floor + 1,
                    "n {n}: member {m} has {slots}"
                );
            }
        }
    }
}
