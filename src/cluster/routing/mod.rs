//! Routing: which cache node owns a key.
//!
//! A [`Router`] maps a `u64` key to one of the live nodes it was built over.
//! Five schemes, one file each: [`Scheme::Modulo`] (the baseline that remaps
//! almost everything when the node count changes), a ketama-like consistent-hash
//! [`Scheme::Ring`], rendezvous hashing ([`Scheme::Rendezvous`]), jump
//! consistent hash ([`Scheme::Jump`]) and Maglev ([`Scheme::Maglev`]); the tests
//! below measure what each moves when a node joins or leaves. Keys may be
//! sequential (trace block numbers), so every scheme mixes the key first.
//! A router depends only on the set of members, never on the order it was
//! given them, and never on process state: the same members route every key
//! the same way in every run.

mod jump;
mod maglev;
mod modulo;
mod rendezvous;
mod ring;

/// The identity of a cache node.
pub type NodeId = u32;

pub use crate::scenario::scheme::{
    DEFAULT_MAGLEV_TABLE, DEFAULT_VNODES, MAX_MAGLEV_TABLE, SCHEMES, Scheme, SchemeSpec,
};

/// Maps keys to the members it was built over.
///
/// Contract, checked for every scheme by the tests below: `route` returns one
/// of `members()`, is a pure function of the key and the member set (not of
/// the order the members were given), and spreads keys evenly.
pub trait Router: Send + Sync {
    /// The member that owns `key`.
    fn route(&self, key: u64) -> NodeId;

    /// The members, sorted ascending, without duplicates.
    fn members(&self) -> &[NodeId];
}

/// Builds `scheme` over the live nodes `members`, given in any order.
///
/// Panics if `members` is empty or holds a duplicate, or if the scheme's
/// parameters are invalid ([`Scheme::validate`], and a Maglev table smaller
/// than the member count): the caller validates its input first.
pub fn build(scheme: &Scheme, members: &[NodeId]) -> Box<dyn Router> {
    if let Err(e) = scheme.validate() {
        panic!("invalid routing scheme: {e}");
    }
    let mut sorted = members.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert!(!sorted.is_empty(), "a router needs at least one member");
    assert_eq!(
        sorted.len(),
        members.len(),
        "duplicate member in {members:?}"
    );
    match *scheme {
        Scheme::Modulo => Box::new(modulo::Modulo::new(sorted)),
        Scheme::Ring { vnodes } => Box::new(ring::Ring::new(sorted, vnodes)),
        Scheme::Rendezvous => Box::new(rendezvous::Rendezvous::new(sorted)),
        Scheme::Jump => Box::new(jump::Jump::new(sorted)),
        Scheme::Maglev { table_size } => Box::new(maglev::Maglev::new(sorted, table_size)),
    }
}

/// The fraction of `keys` whose owner differs between `before` and `after`
/// (the keys a membership change remaps). Panics if `keys` is empty.
pub fn moved_fraction(before: &dyn Router, after: &dyn Router, keys: &[u64]) -> f64 {
    assert!(!keys.is_empty(), "moved_fraction needs keys");
    let moved = keys
        .iter()
        .filter(|&&key| before.route(key) != after.route(key))
        .count();
    moved as f64 / keys.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: u64 = 200_000;
    const N: usize = 10;

    /// Sparse, unordered node ids, so no scheme can get away with treating
    /// ids as indices.
    fn ten_members() -> Vec<NodeId> {
        vec![907, 12, 455, 3, 78, 1001, 230, 666, 41, 519]
    }

    /// Sequential keys, as trace block numbers are.
    fn keys() -> Vec<u64> {
        (0..KEYS).collect()
    }

    fn without(members: &[NodeId], gone: NodeId) -> Vec<NodeId> {
        members.iter().copied().filter(|&m| m != gone).collect()
    }

    /// Keys per member, in the order of `router.members()`.
    fn shares(router: &dyn Router, keys: &[u64]) -> Vec<f64> {
        let members = router.members();
        let mut counts = vec![0u64; members.len()];
        for &key in keys {
            let node = router.route(key);
            counts[members.binary_search(&node).unwrap()] += 1;
        }
        counts
            .iter()
            .map(|&c| c as f64 / keys.len() as f64)
            .collect()
    }

    /// Relative standard deviation and worst relative deviation from the mean.
    fn spread(shares: &[f64]) -> (f64, f64) {
        let mean = 1.0 / shares.len() as f64;
        let var = shares.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / shares.len() as f64;
        let worst = shares
            .iter()
            .map(|s| (s - mean).abs() / mean)
            .fold(0.0, f64::max);
        (var.sqrt() / mean, worst)
    }

    /// Keys that change owner although their owner in `before` is still a
    /// member of `after` (none for a minimal-disruption removal).
    fn collateral(before: &dyn Router, after: &dyn Router, keys: &[u64]) -> usize {
        keys.iter()
            .filter(|&&k| {
                let owner = before.route(k);
                after.members().contains(&owner) && after.route(k) != owner
            })
            .count()
    }

    fn moved_count(before: &dyn Router, after: &dyn Router, keys: &[u64]) -> usize {
        keys.iter()
            .filter(|&&k| before.route(k) != after.route(k))
            .count()
    }

    #[test]
    fn parse_knows_every_registered_name_and_lists_them_on_error() {
        for spec in SCHEMES {
            let scheme = Scheme::parse(spec.name).unwrap();
            assert_eq!(scheme, spec.default, "{}", spec.name);
            assert_eq!(scheme.name(), spec.name);
            assert_eq!(scheme.validate(), Ok(()), "{}", spec.name);
        }
        let err = Scheme::parse("ketama").unwrap_err();
        for spec in SCHEMES {
            assert!(err.contains(spec.name), "{err} misses {}", spec.name);
        }
    }

    #[test]
    fn validate_rejects_zero_vnodes_and_composite_or_huge_tables() {
        assert!(Scheme::Ring { vnodes: 0 }.validate().is_err());
        assert!(Scheme::Ring { vnodes: 1 }.validate().is_ok());
        for bad in [0, 1, 4, 65_536, 65_535, MAX_MAGLEV_TABLE + 2] {
            let scheme = Scheme::Maglev { table_size: bad };
            assert!(scheme.validate().is_err(), "{bad}");
        }
        for good in [2, 7, 251, 65_537, MAX_MAGLEV_TABLE] {
            let scheme = Scheme::Maglev { table_size: good };
            assert!(scheme.validate().is_ok(), "{good}");
        }
    }

    #[test]
    #[should_panic(expected = "duplicate member")]
    fn build_refuses_duplicate_members() {
        build(&Scheme::Jump, &[1, 2, 1]);
    }

    #[test]
    fn every_scheme_routes_to_members_only_whatever_their_order() {
        let members = ten_members();
        let mut reversed = members.clone();
        reversed.reverse();
        let mut sorted = members.clone();
        sorted.sort_unstable();
        for spec in SCHEMES {
            let a = build(&spec.default, &members);
            let b = build(&spec.default, &reversed);
            let c = build(&spec.default, &sorted);
            assert_eq!(a.members(), &sorted[..], "{}", spec.name);
            for key in (0..20_000).chain([u64::MAX, u64::MAX - 1, 1 << 63]) {
                let node = a.route(key);
                assert!(sorted.contains(&node), "{}: key {key} → {node}", spec.name);
                assert_eq!(node, a.route(key), "{}: not deterministic", spec.name);
                assert_eq!(node, b.route(key), "{}: depends on order", spec.name);
                assert_eq!(node, c.route(key), "{}: depends on order", spec.name);
            }
        }
    }

    #[test]
    fn a_single_member_owns_every_key() {
        for spec in SCHEMES {
            let router = build(&spec.default, &[77]);
            assert!((0..1000).all(|k| router.route(k) == 77), "{}", spec.name);
        }
    }

    /// Removing one of N = 10 nodes moves ≈ 1/N of
    /// the keys for the consistent schemes, (N−1)/N for modulo. Jump can only
    /// lose its last bucket, so every scheme loses the largest id here.
    #[test]
    fn removing_the_last_node_moves_its_share_only() {
        let members = ten_members();
        let keys = keys();
        let last = *members.iter().max().unwrap();
        let after_members = without(&members, last);
        let ideal = 1.0 / N as f64;
        for spec in SCHEMES {
            let before = build(&spec.default, &members);
            let after = build(&spec.default, &after_members);
            let moved = moved_fraction(&*before, &*after, &keys);
            let extra = collateral(&*before, &*after, &keys) as f64 / keys.len() as f64;
            match spec.default {
                Scheme::Modulo => {
                    let expected = (N - 1) as f64 / N as f64;
                    assert!((moved - expected).abs() < 0.005, "modulo moved {moved}");
                }
                Scheme::Maglev { .. } => {
                    // The lost node held ⌊M/N⌋ or ⌈M/N⌉ slots; its keys all
                    // move (≈ 1/N up to sampling noise), plus a few others.
                    assert!(
                        (0.98 * ideal..1.5 * ideal).contains(&moved),
                        "maglev moved {moved}"
                    );
                    assert!(
                        extra > 0.0 && extra < 0.2 * ideal,
                        "maglev collateral {extra}"
                    );
                }
                Scheme::Ring { .. } | Scheme::Rendezvous | Scheme::Jump => {
                    // A ring member's share has relative sd ≈ 1/√160 ≈ 8 %:
                    // hold it to 3 sd; the others to 10 %.
                    let ring = matches!(spec.default, Scheme::Ring { .. });
                    let tolerance = if ring { 0.25 } else { 0.10 };
                    let rel = (moved - ideal).abs() / ideal;
                    assert!(rel < tolerance, "{} moved {moved}", spec.name);
                    assert_eq!(extra, 0.0, "{} moved keys of live nodes", spec.name);
                }
            }
        }
    }

    /// Jump's buckets are the sorted members: losing the smallest renumbers
    /// every bucket, and a key stays only if its bucket index falls by
    /// exactly one, which jump does only for keys of the dropped last bucket
    /// landing in the new last one: about 1 − 1/(N(N−1)) of the keys move.
    #[test]
    fn jump_is_not_minimal_when_a_member_other_than_the_last_leaves() {
        let members = ten_members();
        let keys = keys();
        let first = *members.iter().min().unwrap();
        let before = build(&Scheme::Jump, &members);
        let after = build(&Scheme::Jump, &without(&members, first));
        let moved = moved_fraction(&*before, &*after, &keys);
        assert!(moved > 0.8, "jump moved only {moved}");
    }

    /// Ring, rendezvous and Maglev may lose any member, not just the last;
    /// ring and rendezvous then move exactly the lost member's keys, Maglev
    /// those plus a few more.
    #[test]
    fn removing_any_node_moves_its_keys_and_only_those_for_ring_and_rendezvous() {
        let members = ten_members();
        let keys: Vec<u64> = (0..50_000).collect();
        for spec in SCHEMES {
            if matches!(spec.default, Scheme::Modulo | Scheme::Jump) {
                continue;
            }
            let before = build(&spec.default, &members);
            for &gone in &members {
                let after = build(&spec.default, &without(&members, gone));
                let owned = keys.iter().filter(|&&k| before.route(k) == gone).count();
                let moved = moved_count(&*before, &*after, &keys);
                let extra = collateral(&*before, &*after, &keys);
                assert_eq!(moved, owned + extra, "{} lost {gone}", spec.name);
                if matches!(spec.default, Scheme::Maglev { .. }) {
                    assert!(
                        extra < keys.len() / 50,
                        "maglev lost {gone}: collateral {extra}"
                    );
                } else {
                    assert_eq!(extra, 0, "{} lost {gone}", spec.name);
                }
            }
        }
    }

    /// Oracle 11, growth: a new node takes ≈ 1/(N+1) of the keys, all from
    /// the others; modulo remaps N/(N+1). Newcomers have ids larger than any
    /// member, so each is jump's new last bucket. A ring newcomer's share
    /// has relative sd ≈ 1/√160 ≈ 8 %, so one newcomer is held to 3 sd
    /// (25 %) and the mean over eight newcomers to 10 %.
    #[test]
    fn adding_a_node_moves_one_in_n_plus_one_keys_to_it() {
        let members = ten_members();
        let keys = keys();
        let newcomers: Vec<NodeId> = (0..8).map(|i| 2000 + 37 * i).collect();
        let ideal = 1.0 / (N + 1) as f64;
        for spec in SCHEMES {
            let before = build(&spec.default, &members);
            let mut total = 0.0;
            for &newcomer in &newcomers {
                let mut grown = members.clone();
                grown.push(newcomer);
                let after = build(&spec.default, &grown);
                let moved = moved_fraction(&*before, &*after, &keys);
                total += moved;
                let to_others = keys
                    .iter()
                    .filter(|&&k| before.route(k) != after.route(k) && after.route(k) != newcomer)
                    .count();
                let rel = (moved - ideal).abs() / ideal;
                let name = spec.name;
                match spec.default {
                    Scheme::Modulo => {
                        let expected = N as f64 / (N + 1) as f64;
                        assert!((moved - expected).abs() < 0.005, "modulo moved {moved}");
                    }
                    Scheme::Maglev { .. } => {
                        let plausible = 0.98 * ideal..1.5 * ideal;
                        assert!(
                            plausible.contains(&moved),
                            "maglev +{newcomer} moved {moved}"
                        );
                    }
                    Scheme::Ring { .. } => {
                        assert!(rel < 0.25, "ring +{newcomer} moved {moved}");
                        assert_eq!(
                            to_others, 0,
                            "ring +{newcomer} moved keys between old nodes"
                        );
                    }
                    Scheme::Rendezvous | Scheme::Jump => {
                        assert!(rel < 0.10, "{name} +{newcomer} moved {moved}");
                        assert_eq!(
                            to_others, 0,
                            "{name} +{newcomer} moved keys between old nodes"
                        );
                    }
                }
            }
            if let Scheme::Ring { .. } = spec.default {
                let mean = total / newcomers.len() as f64;
                assert!(
                    (mean - ideal).abs() / ideal < 0.10,
                    "ring mean moved {mean}"
                );
            }
        }
    }

    /// Per-node shares of 200k keys over N = 10. Ring: a member's share is a
    /// sum of 160 arcs, relative sd ≈ 1/√160 ≈ 0.079 (oracle 12). The others
    /// are balanced up to sampling noise (≈ 0.7 % relative sd per node here).
    #[test]
    fn keys_spread_evenly_over_members() {
        let members = ten_members();
        let keys = keys();
        for spec in SCHEMES {
            let router = build(&spec.default, &members);
            let (sd, worst) = spread(&shares(&*router, &keys));
            if let Scheme::Ring { .. } = spec.default {
                assert!((0.03..0.12).contains(&sd), "ring relative sd {sd}");
            } else {
                assert!(
                    sd < 0.02 && worst < 0.04,
                    "{}: sd {sd}, worst {worst}",
                    spec.name
                );
            }
        }
    }
}
