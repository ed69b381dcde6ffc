//! Cache on second hit: admit an object only when it was requested before
//! within a window, remembered in Bloom filters — Akamai's rule against
//! one-hit wonders (Maggs & Sitaraman, "Algorithmic Nuggets in Content
//! Delivery", SIGCOMM CCR 2015, §3.2; libCacheSim's `bloomfilter`
//! admission, which keeps an exact, never-reset table instead).
//!
//! As in the paper, the filter is reset by generations so it never fills:
//! misses are remembered in the current Bloom filter, a key counts as seen
//! when the current or the previous generation holds it, and when the
//! current generation has remembered `window` cache capacities of object
//! sizes (`window × capacity` units) it becomes the previous one and a fresh
//! filter starts. A key is therefore remembered for one to two windows of
//! first-seen traffic. A seen key that misses is admitted and carried into
//! the current generation. Measured in capacities, the window scales with
//! the cache, so a SHARDS miniature (a fraction R of the keys, R times the
//! capacity) keeps the same window in stream terms.
//!
//! The filters are the crate's blocked Bloom filter (`parts::doorkeeper`,
//! also W-TinyLFU's): one 64-bit word per lookup, a fixed hash, sized for a
//! 1% false-positive rate. A generation is sized for a number of keys (at
//! first the window in objects, at most 65 536); when it reaches them before
//! its window it ends early and the next one is twice as large, so the
//! false-positive rate stays near its design whatever the object sizes.

use super::Admission;
use crate::policy::parts::doorkeeper::Doorkeeper;
use crate::policy::parts::hash_key;
use crate::policy::registry::{BuildArgs, ParamKind, ParamSpec};
use crate::request::Request;

/// Registry entry.
pub const SPEC: super::FilterSpec = super::FilterSpec {
    name: "bloom",
    about: "cache on second hit: admit keys already missed within a window (two Bloom generations)",
    source: "Maggs & Sitaraman, SIGCOMM CCR 2015 (Akamai); libCacheSim bloomfilter.c",
    params: &[ParamSpec {
        name: "window",
        kind: ParamKind::Real {
            min: 0.01,
            max: 1000.0,
        },
        default: 1.0,
        about: "cache capacities of missed objects a generation remembers",
    }],
    build,
};

/// The most keys the first generation is sized for.
const FIRST_DESIGN_MAX: u64 = 1 << 16;

fn build(args: &BuildArgs) -> Box<dyn Admission> {
    Box::new(SecondHit::new(args.capacity, args.params.real("window")))
}

/// Admits a key on its second miss within the window.
pub struct SecondHit {
    current: Doorkeeper,
    previous: Doorkeeper,
    /// Units of remembered objects after which a generation ends.
    window_units: u64,
    /// Units remembered by the current generation.
    units: u64,
    /// Keys remembered by the current generation.
    keys: u64,
    /// Keys the current generation was sized for.
    design: u64,
}

impl SecondHit {
    /// A filter for a cache of `capacity` units whose generations end after
    /// `window` capacities of remembered objects.
    pub fn new(capacity: u64, window: f64) -> Self {
        let window_units = ((capacity as f64 * window).ceil() as u64).max(1);
        let design = window_units.clamp(64, FIRST_DESIGN_MAX);
        SecondHit {
            current: Doorkeeper::for_insertions(design as usize),
            previous: Doorkeeper::for_insertions(1),
            window_units,
            units: 0,
            keys: 0,
            design,
        }
    }

    fn remember(&mut self, hash: u64, size: u32) {
        self.current.insert(hash);
        self.keys += 1;
        self.units += u64::from(size);
        if self.keys >= self.design {
            self.design *= 2;
            self.rotate();
        } else if self.units >= self.window_units {
            self.rotate();
        }
    }

    fn rotate(&mut self) {
        let fresh = Doorkeeper::for_insertions(self.design as usize);
        self.previous = std::mem::replace(&mut self.current, fresh);
        self.units = 0;
        self.keys = 0;
    }
}

impl Admission for SecondHit {
    #[inline]
    fn admit(&mut self, req: &Request) -> bool {
        let hash = hash_key(req.key);
        if self.current.contains(hash) {
            return true;
        }
        let seen = self.previous.contains(hash);
        self.remember(hash, req.size);
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decisions(filter: &mut SecondHit, keys: &[u64]) -> Vec<bool> {
        keys.iter()
            .map(|&k| filter.admit(&Request::get(k, 1)))
            .collect()
    }

    #[test]
    fn admits_exactly_the_keys_missed_before() {
        // A window far larger than the stream: only first sightings refused.
        let mut filter = SecondHit::new(1000, 1.0);
        let got = decisions(&mut filter, &[1, 2, 1, 3, 2, 4, 1]);
        assert_eq!(got, [false, false, true, false, true, false, true]);
    }

    #[test]
    fn generations_forget_after_two_windows() {
        // Capacity 2, window 1: a generation ends after 2 remembered units.
        // 1, 2 fill generation A, which becomes the previous one. 3 starts
        // B; 1 is found in A, admitted and carried into B, which is full:
        // B becomes the previous one and A is gone, so 2 is new again,
        // while 3 (in B) is admitted.
        let mut filter = SecondHit::new(2, 1.0);
        let got = decisions(&mut filter, &[1, 2, 3, 1, 2, 3]);
        assert_eq!(got, [false, false, false, true, false, true]);
    }

    #[test]
    fn a_generation_full_of_keys_ends_early_and_doubles() {
        // Window of a million units, but the first design holds 64 keys.
        let mut filter = SecondHit::new(1_000_000, 1.0);
        filter.design = 64;
        for key in 0..64 {
            assert!(!filter.admit(&Request::get(key, 1)));
        }
        assert_eq!(
            (filter.design, filter.keys),
            (128, 0),
            "rotated and doubled"
        );
        assert!(
            filter.admit(&Request::get(0, 1)),
            "the previous generation still holds 0"
        );
    }
}
