//! Popularity that moves: the rank → key mapping of a stationary law made a
//! function of time, so that which keys are hot changes while the shape of
//! the law (its rank-frequency curve) does not.
//!
//! - **Drift by shift**: every `period` the ranking rotates by `shift`
//!   ranks, key index = ((rank − 1 + shift · ⌊t / period⌋) mod keys) + 1:
//!   every key climbs `shift` ranks and the `shift` hottest fall to the
//!   bottom: a working set that shifts, the case in which frequency-based
//!   policies keep stale keys with high counts (the weakness of LFU that
//!   N. Megiddo and D. S. Modha give as a motive for ARC, FAST 2003, §I).
//! - **Drift by replacement**: every `period` a share `replace` of the
//!   ranks gets a key never requested before; rank r's key changes at
//!   epoch e when ⌊replace · e + φ(r)⌋ steps, with φ(r) ∈ [0, 1) a hash of
//!   the rank, so exactly that share changes each period, at every depth
//!   of the ranking, and the mapping stays a pure function of (rank, t).
//! - **Flash crowds**: during [at, at + length) a share `share` of the
//!   requests goes, uniformly, to `keys` keys taken from the cold end of
//!   the law (the last ranks), as in the "slashdot effect" studies of flash
//!   crowds (Jung, Krishnamurthy and Rabinovich, WWW 2002).
//!
//! Time is whatever clock the caller gives: simulated nanoseconds in the
//! cluster, the request's index in replay.

use rand::RngExt;

use super::scramble;
use crate::seed::{Rng, mix64};

/// How the ranking moves over time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Drift {
    /// Every `period`, every key climbs `shift` ranks and the `shift`
    /// hottest become the coldest.
    Shift {
        /// Time between two rotations (above zero).
        period: u64,
        /// Ranks moved per rotation (at least 1).
        shift: u64,
    },
    /// Every `period`, a share `share` of the ranks gets a new key.
    Replace {
        /// Time between two replacements (above zero).
        period: u64,
        /// Share of ranks replaced each period (above 0, at most 1).
        share: f64,
    },
}

/// Salt of the per-rank phase of [`Drift::Replace`].
const PHASE_SALT: u64 = 0x6d6f_7469_6f6e_2121;

impl Drift {
    /// The key index (1-based, before scrambling) of `rank` (1..=keys) at
    /// time `t`; at time 0 it is `rank`.
    #[inline]
    pub fn index(&self, rank: u64, keys: u64, t: u64) -> u64 {
        match *self {
            Drift::Shift { period, shift } => {
                let epoch = u128::from(t / period);
                let offset = (u128::from(shift) * epoch % u128::from(keys)) as u64;
                (rank - 1 + offset) % keys + 1
            }
            Drift::Replace { period, share } => {
                let epoch = (t / period) as f64;
                let phase = (mix64(rank ^ PHASE_SALT) >> 11) as f64 / (1u64 << 53) as f64;
                let generation = (share * epoch + phase).floor() as u64;
                rank.wrapping_add(keys.wrapping_mul(generation))
            }
        }
    }
}

/// A flash crowd: for a while, a share of the requests goes to a few cold
/// keys.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlashCrowd {
    /// Start.
    pub at: u64,
    /// Length (above zero).
    pub length: u64,
    /// Number of crowd keys (at least 1).
    pub keys: u64,
    /// Share of requests that go to them (0 to 1).
    pub share: f64,
}

/// Everything that moves: a drift and flash crowds (in time order, not
/// overlapping, their keys disjoint and within the key space).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Motion {
    /// How the ranking moves, if it does.
    pub drift: Option<Drift>,
    /// Flash crowds, in time order.
    pub crowds: Vec<FlashCrowd>,
}

impl Motion {
    /// True when nothing moves.
    pub fn is_still(&self) -> bool {
        self.drift.is_none() && self.crowds.is_empty()
    }
}

/// A [`Motion`] being walked along a stream: finds the active crowd and
/// draws its keys from a stream of its own, so the base law's draws are
/// the same with and without crowds.
#[derive(Clone, Debug)]
pub(super) struct Mover {
    motion: Motion,
    /// Rank of the coldest key of each crowd (crowd j takes ranks
    /// `first[j] − keys + 1 ..= first[j]`).
    first: Vec<u64>,
    /// The next crowd that may be active (time only moves forward).
    next: usize,
    rng: Rng,
}

impl Mover {
    /// Walks `motion` over a law of `keys` keys, crowd draws from `rng`.
    pub(super) fn new(motion: Motion, keys: u64, rng: Rng) -> Mover {
        let mut cold = keys;
        let first = motion
            .crowds
            .iter()
            .map(|crowd| {
                let top = cold;
                cold = cold.saturating_sub(crowd.keys);
                top
            })
            .collect();
        Mover {
            motion,
            first,
            next: 0,
            rng,
        }
    }

    /// The key of a crowd request at `t`, or `None` when this request goes
    /// to the base law (no crowd is on, or the draw says so).
    #[inline]
    pub(super) fn crowd_key(&mut self, t: u64) -> Option<u64> {
        let crowds = &self.motion.crowds;
        while self.next < crowds.len()
            && t >= crowds[self.next]
                .at
                .saturating_add(crowds[self.next].length)
        {
            self.next += 1;
        }
        let crowd = crowds.get(self.next).filter(|c| t >= c.at)?;
        if self.rng.random::<f64>() >= crowd.share {
            return None;
        }
        let offset = self.rng.random_range(0..crowd.keys);
        Some(scramble(self.first[self.next] - offset))
    }

    /// The key of base-law `rank` at `t`, over `keys` keys.
    #[inline]
    pub(super) fn key(&self, rank: u64, keys: u64, t: u64) -> u64 {
        match &self.motion.drift {
            Some(drift) => scramble(drift.index(rank, keys, t)),
            None => scramble(rank),
        }
    }

    /// The keys of crowd `j`.
    #[cfg(test)]
    fn crowd_keys(&self, j: usize) -> impl Iterator<Item = u64> + '_ {
        let crowd = self.motion.crowds[j];
        (0..crowd.keys).map(move |offset| scramble(self.first[j] - offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;

    #[test]
    fn a_shift_rotates_the_ranking() {
        let drift = Drift::Shift {
            period: 10,
            shift: 3,
        };
        // Before the first period the mapping is the identity.
        assert_eq!(drift.index(1, 10, 9), 1);
        // After it, rank 1 is index 4, and index 1 (rank 1 before) is now
        // the coldest rank but two: ranks 8, 9, 10 hold indices 1, 2, 3.
        assert_eq!(drift.index(1, 10, 10), 4);
        assert_eq!(drift.index(8, 10, 10), 1);
        assert_eq!(drift.index(10, 10, 10), 3);
        // Ten rotations of 3 over 10 keys come back to an offset of 0.
        assert_eq!(drift.index(1, 10, 100), 1);
    }

    #[test]
    fn a_shift_is_a_permutation_at_every_time() {
        let drift = Drift::Shift {
            period: 7,
            shift: 5,
        };
        for t in [0, 7, 70, 700_000] {
            let mut seen: Vec<u64> = (1..=50).map(|r| drift.index(r, 50, t)).collect();
            seen.sort_unstable();
            assert_eq!(seen, (1..=50).collect::<Vec<_>>(), "t = {t}");
        }
    }

    #[test]
    fn a_replacement_changes_its_share_of_ranks_each_period() {
        let drift = Drift::Replace {
            period: 100,
            share: 0.1,
        };
        let keys = 100_000;
        assert!((1..=keys).all(|r| drift.index(r, keys, 99) == r));
        for epoch in 1..5u64 {
            let changed = (1..=keys)
                .filter(|&r| {
                    drift.index(r, keys, epoch * 100) != drift.index(r, keys, (epoch - 1) * 100)
                })
                .count();
            // Exactly the ranks whose phase crosses an integer: 10 % ± noise.
            assert!(
                (9_500..=10_500).contains(&changed),
                "epoch {epoch}: {changed}"
            );
        }
        // A replaced rank's key was never used by any rank before.
        let new = drift.index(1, keys, 1_000_000);
        assert!(new > keys);
    }

    #[test]
    fn crowds_take_their_share_only_while_on() {
        let motion = Motion {
            drift: None,
            crowds: vec![FlashCrowd {
                at: 1_000,
                length: 1_000,
                keys: 10,
                share: 0.3,
            }],
        };
        let mut mover = Mover::new(motion, 1_000, Seed(1).rng());
        let crowd: Vec<u64> = mover.crowd_keys(0).collect();
        // The crowd keys are the ten coldest ranks.
        assert_eq!(crowd[0], scramble(1_000));
        assert_eq!(crowd[9], scramble(991));
        assert!((0..1_000).all(|t| mover.crowd_key(t).is_none()));
        let hits = (1_000..2_000)
            .filter_map(|t| mover.crowd_key(t))
            .inspect(|k| assert!(crowd.contains(k)))
            .count();
        // 1000 draws at 0.3: sd ≈ 14.5; four of them either side.
        assert!((242..=358).contains(&hits), "{hits}");
        assert!((2_000..3_000).all(|t| mover.crowd_key(t).is_none()));
    }
}
