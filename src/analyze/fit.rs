//! A synthetic workload fitted to a trace, and how close it comes.
//!
//! The workload: Zipf popularity with the fitted alpha over as many keys as
//! the trace has objects; object sizes log-normal with the median and
//! sigma of ln(size) over the objects' first-seen sizes (or fixed when all
//! objects have one size); the trace's get/set/delete shares; and, for a
//! timed trace, its mean rate over its span. The check replays as many
//! requests of that workload (seeded) through the same pass and compares
//! the two LRU miss-ratio curves (miss ratio by requests against cache
//! size in bytes) at log-spaced sizes from 0.1% to 100% of the trace's
//! object bytes: the mean absolute difference is the fit's error.
//!
//! A trace with several busy tenants is fitted as request classes, one per
//! tenant ([`super::classes`]), and the check draws from their mixture.
//! What the workload does not carry: correlation between popularity and
//! size, popularity that changes over time, bursts, and (without classes)
//! TTLs (the TTL and tenant mixes are in `analysis.json`).

use serde::Serialize;

use super::classes::FittedClasses;
use super::curve::StackDistances;
use super::pass::Pass;
use super::summary::Time;
use super::zipf::ZipfFit;
use super::{AnalyzeError, Options};
use crate::replay::log_spaced;
use crate::request::{Op, RequestStream};
use crate::workload::{SizeLaw, Workload};

/// The fitted workload, as a scenario's `[workload]` (and `[clients]`
/// rate) would give it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FittedWorkload {
    /// Zipf skew.
    pub alpha: f64,
    /// Distinct keys.
    pub keys: u64,
    /// Object sizes, as `object_size` is written.
    pub object_size: String,
    /// Share of gets.
    pub get: f64,
    /// Share of sets.
    pub set: f64,
    /// Share of deletes.
    pub delete: f64,
    /// Requests.
    pub requests: u64,
    /// The trace's mean rate, requests per second (timed traces).
    pub rate_rps: Option<f64>,
    /// The trace's span, seconds (timed traces).
    pub duration_s: Option<f64>,
    /// Request classes fitted to the trace's tenants, when it has several
    /// ([`super::classes`]); the fit check then draws from them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<FittedClasses>,
}

/// The fitted workload's LRU curve against the trace's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FitCheck {
    /// Cache sizes, bytes.
    pub sizes: Vec<u64>,
    /// The trace's LRU miss ratio at each.
    pub trace_miss_ratio: Vec<f64>,
    /// The fitted workload's.
    pub fitted_miss_ratio: Vec<f64>,
    /// Mean of |trace − fitted| over the sizes.
    pub mean_abs_difference: f64,
    /// Largest |trace − fitted|.
    pub max_abs_difference: f64,
}

/// A log-normal (or fixed) size law fitted to `objects` objects whose
/// ln(size) sum and sum of squares are `ln_size`, written as `object_size`.
pub(super) fn size_law(objects: u64, ln_size: (f64, f64)) -> String {
    let n = objects.max(1) as f64;
    let (sum, squares) = ln_size;
    let mean = sum / n;
    let sigma = (squares / n - mean * mean).max(0.0).sqrt();
    // Written to four places: a sigma that rounds to zero (one size, up to
    // the sum of squares' rounding) is a fixed size.
    if sigma < 0.5e-4 {
        return format!("{}", mean.exp().round().max(1.0));
    }
    format!(
        "lognormal:median={},sigma={sigma:.4}",
        mean.exp().round().max(1.0)
    )
}

impl FittedWorkload {
    /// The workload fitted to a pass and its Zipf fit.
    pub fn of(pass: &Pass, zipf: Option<&ZipfFit>, time: &Option<Time>) -> FittedWorkload {
        let share = |op: Op| {
            let n: u64 = pass
                .op_mix()
                .iter()
                .filter(|(trace_op, _)| trace_op.op() == op)
                .map(|&(_, n)| n)
                .sum();
            if pass.requests() == 0 {
                0.0
            } else {
                (n as f64 / pass.requests() as f64 * 1e6).round() / 1e6
            }
        };
        let (set, delete) = (share(Op::Set), share(Op::Delete));
        let timed = time.as_ref().filter(|t| t.span_s > 0.0);
        FittedWorkload {
            alpha: zipf
                .map_or(0.0, |z| (z.alpha * 1e4).round() / 1e4)
                .min(10.0),
            keys: pass.objects().max(1),
            object_size: size_law(pass.objects(), pass.ln_size),
            classes: None,
            get: 1.0 - set - delete,
            set,
            delete,
            requests: pass.requests(),
            rate_rps: timed.map(|t| t.mean_rate_rps),
            duration_s: timed.map(|t| t.span_s),
        }
    }

    /// The synthetic workload (popularity, sizes, request count).
    pub fn workload(&self) -> Result<Workload, AnalyzeError> {
        Ok(Workload::parse(
            &format!(
                "zipf:alpha={},keys={},requests={}",
                self.alpha, self.keys, self.requests
            ),
            SizeLaw::parse(&self.object_size)?,
        )?)
    }

    /// A scenario file holding this workload, commented with where it
    /// came from and how well it fits.
    pub fn scenario_toml(&self, name: &str, zipf: Option<&ZipfFit>, check: &FitCheck) -> String {
        let mut out = format!(
            "# Fitted by `cachelab analyze` to {name}: {} requests to {} objects.\n",
            self.requests, self.keys
        );
        if let Some(z) = zipf {
            out += &format!(
                "# Zipf alpha by maximum likelihood over the rank-frequency counts (KS distance {:.4}).\n",
                z.ks_distance
            );
        }
        out += &format!(
            "# Sizes: {} fitted to the objects' sizes. Its LRU miss-ratio curve is within\n# {:.4} of the trace's on average (largest gap {:.4}) over {} cache sizes.\n",
            self.object_size,
            check.mean_abs_difference,
            check.max_abs_difference,
            check.sizes.len()
        );
        out += &match &self.classes {
            None => "# Not carried: popularity changing over time, bursts, size-popularity correlation, tenants, TTLs.\n\n".to_string(),
            Some(c) => format!(
                "# One class per tenant with at least {}% of the requests (the rest as `other`), each on keys of its own\n# ({} objects are requested by more than one class). Not carried: popularity changing over time,\n# bursts, size-popularity correlation.\n\n",
                super::classes::MIN_SHARE * 100.0,
                c.shared_objects
            ),
        };
        out += &format!("name = {}\n", toml::Value::from(format!("{name}-fitted")));
        if let Some(duration) = self.duration_s {
            out += &format!("duration = \"{}s\"\n", duration.ceil().max(1.0));
        }
        out += &format!(
            "\n[workload]\npopularity = \"zipf\"\nalpha = {}\nkeys = {}\nobject_size = \"{}\"\nget = {}\nset = {}\ndelete = {}\n",
            self.alpha, self.keys, self.object_size, self.get, self.set, self.delete
        );
        if let Some(classes) = &self.classes {
            out += &classes.toml();
        }
        if let Some(rate) = self.rate_rps {
            out += &format!("\n[clients]\nrate = {:.3}\n", rate.max(0.001));
        }
        out
    }
}

/// Replays the fitted workload through an LRU stack (the curve is all the
/// check needs of it) and compares the curves.
pub fn check(
    trace: &Pass,
    workload: &FittedWorkload,
    options: &Options,
) -> Result<FitCheck, AnalyzeError> {
    let seed = options.seed.derive("analyze-fit");
    let mut stream: Box<dyn RequestStream> = match &workload.classes {
        None => Box::new(workload.workload()?.stream(seed)),
        Some(classes) => Box::new(classes.stream(workload.requests, seed)?),
    };
    let fitted = StackDistances::of(stream.as_mut())?;
    let high = trace.object_bytes.max(1);
    let sizes = log_spaced((high / 1000).max(1), high, options.mrc_points);
    let trace_miss_ratio: Vec<f64> = sizes.iter().map(|&s| trace.lru_miss_ratio(s)).collect();
    let fitted_miss_ratio: Vec<f64> = sizes.iter().map(|&s| fitted.miss_ratio(s)).collect();
    let gaps: Vec<f64> = trace_miss_ratio
        .iter()
        .zip(&fitted_miss_ratio)
        .map(|(a, b)| (a - b).abs())
        .collect();
    Ok(FitCheck {
        mean_abs_difference: gaps.iter().sum::<f64>() / gaps.len().max(1) as f64,
        max_abs_difference: gaps.iter().copied().fold(0.0, f64::max),
        sizes,
        trace_miss_ratio,
        fitted_miss_ratio,
    })
}
