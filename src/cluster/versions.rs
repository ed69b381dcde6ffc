//! Versions of every key: what the database has committed, the latest
//! version issued (write-behind issues versions at the node, ahead of the
//! database), and when recent versions were committed, so that a stale read
//! knows how long its value has been stale.

use rustc_hash::FxHashMap;

use crate::sim::Time;

/// Commits remembered per key for staleness ages.
const HISTORY: usize = 8;

#[derive(Clone, Copy, Debug, Default)]
struct KeyVersions {
    committed: u64,
    latest: u64,
    /// (version, commit time) of the last commits, oldest first.
    history: [(u64, Time); HISTORY],
    recorded: usize,
}

/// The versions of all keys written so far (unwritten keys are at 0).
#[derive(Debug, Default)]
pub struct Versions {
    keys: FxHashMap<u64, KeyVersions>,
}

impl Versions {
    /// The version the database holds.
    #[inline]
    pub fn committed(&self, key: u64) -> u64 {
        self.keys.get(&key).map_or(0, |k| k.committed)
    }

    /// The latest version issued for `key` (at least the committed one).
    #[inline]
    pub fn latest(&self, key: u64) -> u64 {
        self.keys.get(&key).map_or(0, |k| k.latest)
    }

    /// A new version for a write of `key`.
    pub fn issue(&mut self, key: u64) -> u64 {
        let k = self.keys.entry(key).or_default();
        k.latest += 1;
        k.latest
    }

    /// The database commits `version` of `key` at `now` (a version below the
    /// committed one changes nothing).
    pub fn commit(&mut self, key: u64, version: u64, now: Time) {
        let k = self.keys.entry(key).or_default();
        if version <= k.committed {
            return;
        }
        k.committed = version;
        k.latest = k.latest.max(version);
        if k.recorded == HISTORY {
            k.history.rotate_left(1);
            k.recorded -= 1;
        }
        k.history[k.recorded] = (version, now);
        k.recorded += 1;
    }

    /// When a cached `version` of `key` became stale: the commit time of the
    /// first newer committed version (the oldest remembered one when more
    /// than the remembered commits happened since, which understates the
    /// age). `None` when `version` is current.
    pub fn stale_since(&self, key: u64, version: u64) -> Option<Time> {
        let k = self.keys.get(&key)?;
        if version >= k.committed {
            return None;
        }
        let history = &k.history[..k.recorded];
        history
            .iter()
            .find(|&&(v, _)| v > version)
            .or(history.first())
            .map(|&(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_stale_from_the_next_commit() {
        let mut v = Versions::default();
        assert_eq!(v.committed(7), 0);
        let a = v.issue(7);
        v.commit(7, a, 100);
        let b = v.issue(7);
        v.commit(7, b, 250);
        assert_eq!(v.committed(7), 2);
        // Version 0 went stale at the first commit, version 1 at the second.
        assert_eq!(v.stale_since(7, 0), Some(100));
        assert_eq!(v.stale_since(7, 1), Some(250));
        assert_eq!(v.stale_since(7, 2), None);
        // A late, older commit (a reordered flush) does not go back.
        v.commit(7, 1, 300);
        assert_eq!(v.committed(7), 2);
    }

    #[test]
    fn old_history_is_forgotten_and_ages_understate() {
        let mut v = Versions::default();
        for t in 1..=20 {
            let n = v.issue(1);
            v.commit(1, n, t * 10);
        }
        // Versions 13..=20 are remembered; version 2 became stale at 30 but
        // the oldest remembered commit is at 130.
        assert_eq!(v.stale_since(1, 2), Some(130));
        assert_eq!(v.stale_since(1, 15), Some(160));
    }
}
