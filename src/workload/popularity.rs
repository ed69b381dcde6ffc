//! Key popularity laws: Zipf (any alpha ≥ 0, including exactly 1), uniform
//! and hotspot. Sampling is O(1) per draw with O(1) state, so 10^8 keys cost
//! nothing to set up.

use rand::RngExt;
use rand_distr::Distribution;

use super::scramble;
use crate::seed::Rng;
use crate::spec::{Spec, SpecError};

/// Which keys are requested how often.
#[derive(Clone, Debug, PartialEq)]
pub enum Popularity {
    /// Key of rank i requested with probability ∝ i^-alpha.
    Zipf {
        /// Skew; 0 is uniform.
        alpha: f64,
        /// Number of distinct keys.
        keys: u64,
    },
    /// Every key equally likely.
    Uniform {
        /// Number of distinct keys.
        keys: u64,
    },
    /// A fraction `hot` of the keys receives a fraction `share` of the
    /// requests, uniformly inside each group.
    Hotspot {
        /// Number of distinct keys.
        keys: u64,
        /// Fraction of keys that are hot.
        hot: f64,
        /// Fraction of requests that go to hot keys.
        share: f64,
    },
}

/// The hot share of a hotspot law: above 0 (no hot keys at all would send
/// the hot share of requests nowhere) and at most 1.
fn hot_share(spec: &Spec) -> Result<f64, SpecError> {
    let hot = spec.real("hot", 0.2, 0.0, 1.0)?;
    if hot == 0.0 {
        return Err(spec.fail(
            "`hot` must be above 0 (a share of the keys, at most 1); for no hot spot use uniform"
                .to_string(),
        ));
    }
    Ok(hot)
}

fn allowed(kind: &str) -> &'static [&'static str] {
    match kind {
        "zipf" => &["alpha", "keys", "requests"],
        "uniform" => &["keys", "requests"],
        "hotspot" => &["keys", "hot", "share", "requests"],
        _ => &[],
    }
}

impl Popularity {
    /// Parses a workload specification; returns the law and the request count.
    pub fn parse(text: &str) -> Result<(Popularity, u64), SpecError> {
        let spec = Spec::parse(text, allowed, "zipf, uniform, hotspot")?;
        let keys = spec.count("keys")?;
        let requests = spec.count("requests")?;
        let popularity = match spec.kind {
            "zipf" => Popularity::Zipf {
                alpha: spec.real("alpha", 1.0, 0.0, 10.0)?,
                keys,
            },
            "uniform" => Popularity::Uniform { keys },
            _ => Popularity::Hotspot {
                keys,
                hot: hot_share(&spec)?,
                share: spec.real("share", 0.8, 0.0, 1.0)?,
            },
        };
        Ok((popularity, requests))
    }

    /// A sampler drawing keys from this law.
    pub(super) fn sampler(&self) -> Sampler {
        match *self {
            Popularity::Zipf { alpha, keys } if alpha > 0.0 => Sampler::Zipf(
                rand_distr::Zipf::new(keys as f64, alpha).expect("alpha ≥ 0 and keys ≥ 1"),
            ),
            Popularity::Zipf { keys, .. } | Popularity::Uniform { keys } => Sampler::Uniform(keys),
            Popularity::Hotspot { keys, hot, share } => {
                let hot_keys = ((keys as f64 * hot).round() as u64).clamp(1, keys);
                Sampler::Hotspot {
                    keys,
                    hot_keys,
                    share,
                }
            }
        }
    }
}

/// A ready-to-draw popularity law.
pub(super) enum Sampler {
    Zipf(rand_distr::Zipf<f64>),
    Uniform(u64),
    Hotspot {
        keys: u64,
        hot_keys: u64,
        share: f64,
    },
}

impl Sampler {
    /// Draws a key (a scrambled rank).
    #[inline]
    pub(super) fn sample(&self, rng: &mut Rng) -> u64 {
        let rank = match *self {
            Sampler::Zipf(ref zipf) => zipf.sample(rng) as u64,
            Sampler::Uniform(keys) => rng.random_range(1..=keys),
            Sampler::Hotspot {
                keys,
                hot_keys,
                share,
            } => {
                if hot_keys == keys || rng.random::<f64>() < share {
                    rng.random_range(1..=hot_keys)
                } else {
                    rng.random_range(hot_keys + 1..=keys)
                }
            }
        };
        scramble(rank)
    }
}
