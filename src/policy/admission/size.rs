//! Probabilistic size admission: admit an object of size s with probability
//! e^(−s/c), so that small objects nearly always get in and objects much
//! larger than c rarely do (Berger, Sitaraman & Harchol-Balter, "AdaptSize:
//! Orchestrating the Hot Object Memory Cache in a Content Delivery
//! Network", NSDI 2017, §3; libCacheSim's `sizeProbabilistic` admission,
//! whose exponent 1e-6 is our default c = 10^6).
//!
//! Each miss draws once from the filter's own generator, seeded from the
//! run's seed, so a run repeats exactly. A c of 1e300 admits everything
//! (e^(−s/c) rounds to 1): the bare policy.

use super::{Admission, Uniform};
use crate::policy::registry::{BuildArgs, ParamKind, ParamSpec};
use crate::request::Request;

/// Registry entry.
pub const SPEC: super::FilterSpec = super::FilterSpec {
    name: "size",
    about: "admit with probability e^(-size/c)",
    source: "Berger et al., NSDI 2017 (AdaptSize, §3); libCacheSim sizeProbabilistic.c",
    params: &[ParamSpec {
        name: "c",
        kind: ParamKind::Real {
            min: 1e-3,
            max: 1e300,
        },
        default: 1e6,
        about: "size scale in cache units: objects of size c are admitted with probability 1/e",
    }],
    build,
};

fn build(args: &BuildArgs) -> Box<dyn super::Admission> {
    Box::new(SizeAdmission::new(args.params.real("c"), args.seed.rng()))
}

/// Admits an object of size s with probability e^(−s/c).
pub struct SizeAdmission<R> {
    c: f64,
    draws: R,
}

impl<R: Uniform> SizeAdmission<R> {
    /// Admission at scale `c`, drawing from `draws`.
    pub fn new(c: f64, draws: R) -> Self {
        assert!(c > 0.0, "size admission needs c > 0, got {c}");
        SizeAdmission { c, draws }
    }
}

/// The probability of admitting an object of `size` at scale `c`.
#[inline]
pub(super) fn admit_probability(size: u32, c: f64) -> f64 {
    (-f64::from(size) / c).exp()
}

impl<R: Uniform> Admission for SizeAdmission<R> {
    #[inline]
    fn admit(&mut self, req: &Request) -> bool {
        self.draws.next_unit() < admit_probability(req.size, self.c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays a fixed list of draws.
    struct Draws(Vec<f64>);

    impl Uniform for Draws {
        fn next_unit(&mut self) -> f64 {
            self.0.remove(0)
        }
    }

    #[test]
    fn admits_exactly_when_the_draw_is_under_the_probability() {
        // Size 100 at c = 100: probability e^-1 = 0.3679.
        let mut filter = SizeAdmission::new(100.0, Draws(vec![0.36, 0.37, 0.0, 0.99]));
        let req = Request::get(1, 100);
        let decisions: Vec<bool> = (0..4).map(|_| filter.admit(&req)).collect();
        assert_eq!(decisions, [true, false, true, false]);
    }

    #[test]
    fn an_infinite_scale_admits_everything() {
        assert_eq!(admit_probability(u32::MAX, 1e300), 1.0);
    }
}
