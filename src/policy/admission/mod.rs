//! Admission filters: a rule in front of any policy that decides, on a
//! miss, whether the object is inserted at all. The miss still counts; a
//! refused object is simply not cached. `lru+bloom`, `s3fifo+adaptsize`,
//! `lru+size:c=65536`: the grammar is `POLICY[:params][+FILTER[:params]]`,
//! parsed with the policy ([`super::PolicyChoice`]).
//!
//! A filter composes by wrapping: [`Filtered`] is itself a [`Policy`], so
//! replay, miss-ratio curves (exact and sampled) and cluster nodes run a
//! filtered policy without knowing it. The split follows libCacheSim's
//! `cache_get_base`: every lookup is shown to the filter
//! ([`Admission::observe`], after the policy's own lookup), and on a miss
//! the filter is asked before the policy makes room ([`Admission::admit`],
//! before the too-large check, as libCacheSim's `can_insert` does).

mod adaptsize;
mod bloom;
mod size;

pub use adaptsize::AdaptSize;
pub use bloom::SecondHit;
pub use size::SizeAdmission;

use rand::RngExt;

use super::registry::{BuildArgs, ParamSpec};
use super::{Bound, Occupancy, Policy};
use crate::request::Request;

/// An admission rule. It stores what it needs to decide and counts nothing.
pub trait Admission: Send {
    /// Sees a lookup of `req` (hit or miss), after the policy's own lookup.
    #[inline]
    fn observe(&mut self, _req: &Request) {}

    /// On a miss of `req`: true when the object should be inserted.
    fn admit(&mut self, req: &Request) -> bool;
}

/// A source of uniform draws in [0, 1) for a randomised filter. The
/// registry builds filters on the run's [`crate::seed::Rng`]; a test may
/// give another generator (libCacheSim's, to reproduce its numbers).
pub trait Uniform: Send {
    /// The next draw, in [0, 1).
    fn next_unit(&mut self) -> f64;
}

impl Uniform for crate::seed::Rng {
    #[inline]
    fn next_unit(&mut self) -> f64 {
        self.random::<f64>()
    }
}

/// A registered admission filter.
pub struct FilterSpec {
    /// The one name used everywhere: `lru+NAME`.
    pub name: &'static str,
    /// One line saying what the filter does.
    pub about: &'static str,
    /// The paper or source code it follows.
    pub source: &'static str,
    /// The parameters it accepts.
    pub params: &'static [ParamSpec],
    /// Builds a fresh filter for a cache of `args.capacity` units.
    pub build: fn(&BuildArgs) -> Box<dyn Admission>,
}

impl std::fmt::Debug for FilterSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilterSpec")
            .field("name", &self.name)
            .finish()
    }
}

impl PartialEq for FilterSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// Every admission filter cachelab knows, in the order they are listed.
pub static FILTERS: &[FilterSpec] = &[bloom::SPEC, size::SPEC, adaptsize::SPEC];

/// The registered filter called `name`.
pub fn find_filter(name: &str) -> Option<&'static FilterSpec> {
    FILTERS.iter().find(|spec| spec.name == name)
}

/// A policy behind an admission filter.
pub struct Filtered {
    policy: Box<dyn Policy>,
    filter: Box<dyn Admission>,
}

impl Filtered {
    /// `policy` admitting only what `filter` lets through.
    pub fn new(policy: Box<dyn Policy>, filter: Box<dyn Admission>) -> Self {
        Filtered { policy, filter }
    }
}

impl Policy for Filtered {
    #[inline]
    fn get(&mut self, req: &Request) -> bool {
        let hit = self.policy.get(req);
        self.filter.observe(req);
        hit
    }

    #[inline]
    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        self.filter.admit(req) && self.policy.insert(req, evicted)
    }

    #[inline]
    fn insert_expiring(
        &mut self,
        req: &Request,
        expires_ns: Option<u64>,
        evicted: &mut Vec<u64>,
    ) -> bool {
        self.filter.admit(req) && self.policy.insert_expiring(req, expires_ns, evicted)
    }

    fn remove(&mut self, key: u64) -> bool {
        self.policy.remove(key)
    }

    fn contains(&self, key: u64) -> bool {
        self.policy.contains(key)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        self.policy.occupancy()
    }

    fn bound(&self) -> Bound {
        self.policy.bound()
    }

    fn check_invariants(&self) {
        self.policy.check_invariants();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Admits every other miss, to watch the wrapper.
    struct EveryOther(bool);

    impl Admission for EveryOther {
        fn admit(&mut self, _req: &Request) -> bool {
            self.0 = !self.0;
            self.0
        }
    }

    #[test]
    fn a_refused_miss_leaves_the_policy_untouched() {
        let lru = super::super::PolicyChoice::parse("lru")
            .unwrap()
            .build(10, crate::seed::Seed(0));
        let mut cache = Filtered::new(lru, Box::new(EveryOther(false)));
        let mut evicted = Vec::new();
        assert!(
            cache.insert(&Request::get(1, 1), &mut evicted),
            "first miss admitted"
        );
        assert!(
            !cache.insert(&Request::get(2, 1), &mut evicted),
            "second refused"
        );
        assert!(cache.contains(1) && !cache.contains(2));
        assert_eq!(cache.occupancy().used, 1);
        assert!(cache.get(&Request::get(1, 1)));
        cache.check_invariants();
    }
}
