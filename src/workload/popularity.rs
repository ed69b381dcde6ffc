//! Key popularity laws: Zipf (any alpha ≥ 0, including exactly 1), uniform,
//! hotspot and YCSB's latest. Sampling is O(1) per draw with O(1) state, so
//! 10^8 keys cost nothing to set up.

use rand::RngExt;

use super::motion::{Drift, Motion};
use super::zipf::Zipf;
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
    /// YCSB's `latest`: Zipf(alpha) over recency, the newest key first;
    /// inserts create keys (see [`super::latest`]).
    Latest {
        /// Skew over recency; 0 is uniform.
        alpha: f64,
        /// Keys at the start.
        keys: u64,
        /// Each insert deletes the oldest key, so `keys` keys exist at once.
        churn: bool,
    },
}

/// A workload specification read: the law, its request count, what moves,
/// and the share of requests that insert (latest only).
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    /// The law.
    pub popularity: Popularity,
    /// Requests.
    pub requests: u64,
    /// Drift (its period counted in requests).
    pub motion: Motion,
    /// Share of requests that create a key.
    pub inserts: f64,
    /// Scans, each a run of gets (none without `scan`).
    pub scans: Option<super::ScanMix>,
    /// The keys' order for scans (ranked without scans).
    pub scan_order: super::ScanOrder,
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
        "zipf" => &[
            "alpha",
            "keys",
            "requests",
            "period",
            "shift",
            "replace",
            "scan",
            "scan_length",
            "max_scan_length",
            "scan_order",
        ],
        "uniform" => &[
            "keys",
            "requests",
            "period",
            "shift",
            "replace",
            "scan",
            "scan_length",
            "max_scan_length",
            "scan_order",
        ],
        "hotspot" => &[
            "keys",
            "hot",
            "share",
            "requests",
            "period",
            "shift",
            "replace",
            "scan",
            "scan_length",
            "max_scan_length",
            "scan_order",
        ],
        "latest" => &[
            "alpha",
            "keys",
            "requests",
            "insert",
            "churn",
            "scan",
            "scan_length",
            "max_scan_length",
            "scan_order",
        ],
        _ => &[],
    }
}

/// The drift of a specification: `period` (in requests) with `shift` (ranks)
/// or `replace` (a share), or none.
fn drift(spec: &Spec) -> Result<Option<Drift>, SpecError> {
    let given = |name| spec.get(name).is_some();
    match (given("period"), given("shift"), given("replace")) {
        (false, false, false) => Ok(None),
        (true, true, false) => Ok(Some(Drift::Shift {
            period: spec.count("period")?,
            shift: spec.count("shift")?,
        })),
        (true, false, true) => {
            let share = spec.real("replace", 0.0, 0.0, 1.0)?;
            if share == 0.0 {
                return Err(spec.fail(
                    "`replace` must be above 0 (a share of the ranks, at most 1)".to_string(),
                ));
            }
            Ok(Some(Drift::Replace {
                period: spec.count("period")?,
                share,
            }))
        }
        _ => Err(spec.fail(
            "a drift needs `period` (in requests) and one of `shift` (ranks) or `replace` (a share)"
                .to_string(),
        )),
    }
}

/// `churn=true` or `churn=false` (default false).
fn churn(spec: &Spec) -> Result<bool, SpecError> {
    match spec.get("churn") {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(spec.fail(format!("`churn` must be true or false, got `{other}`"))),
    }
}

impl Popularity {
    /// Parses a workload specification.
    pub fn parse(text: &str) -> Result<Parsed, SpecError> {
        let spec = Spec::parse(text, allowed, "zipf, uniform, hotspot, latest")?;
        let keys = spec.count("keys")?;
        let requests = spec.count("requests")?;
        let popularity = match spec.kind {
            "zipf" => Popularity::Zipf {
                alpha: spec.real("alpha", 1.0, 0.0, 10.0)?,
                keys,
            },
            "uniform" => Popularity::Uniform { keys },
            "latest" => Popularity::Latest {
                alpha: spec.real("alpha", 0.99, 0.0, 10.0)?,
                keys,
                churn: churn(&spec)?,
            },
            _ => Popularity::Hotspot {
                keys,
                hot: hot_share(&spec)?,
                share: spec.real("share", 0.8, 0.0, 1.0)?,
            },
        };
        let drift = drift(&spec)?;
        let scans = super::scan::parse(&spec)?;
        let scan_order = super::scan::order(&spec, scans.is_some())?;
        if scan_order == super::ScanOrder::Scrambled
            && matches!(popularity, Popularity::Latest { churn: true, .. })
        {
            return Err(spec.fail(
                "`scan_order=scrambled` with `churn=true` would scan the places of deleted keys; use `scan_order=ranked`"
                    .to_string(),
            ));
        }
        if scans.is_some() && drift.is_some() {
            return Err(spec.fail(
                "`scan` reads consecutive key numbers, which a drift moves; give one or the other"
                    .to_string(),
            ));
        }
        Ok(Parsed {
            popularity,
            requests,
            motion: Motion {
                drift,
                crowds: Vec::new(),
            },
            inserts: spec.real("insert", 0.0, 0.0, 1.0)?,
            scans,
            scan_order,
        })
    }

    /// Number of keys at the start.
    pub fn keys(&self) -> u64 {
        match *self {
            Popularity::Zipf { keys, .. }
            | Popularity::Uniform { keys }
            | Popularity::Hotspot { keys, .. }
            | Popularity::Latest { keys, .. } => keys,
        }
    }

    /// A sampler drawing keys from this law.
    pub(super) fn sampler(&self) -> Sampler {
        match *self {
            Popularity::Zipf { alpha, keys } | Popularity::Latest { alpha, keys, .. }
                if alpha > 0.0 =>
            {
                Sampler::Zipf(Zipf::new(keys as f64, alpha).expect("alpha > 0 and keys ≥ 1"))
            }
            Popularity::Zipf { keys, .. }
            | Popularity::Uniform { keys }
            | Popularity::Latest { keys, .. } => Sampler::Uniform(keys),
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
#[derive(Debug)]
pub(super) enum Sampler {
    Zipf(Zipf),
    Uniform(u64),
    Hotspot {
        keys: u64,
        hot_keys: u64,
        share: f64,
    },
}

impl Sampler {
    /// Draws a rank, 1 the most popular.
    #[inline]
    pub(super) fn rank(&self, rng: &mut Rng) -> u64 {
        match *self {
            Sampler::Zipf(ref zipf) => zipf.sample(rng),
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
        }
    }
}
