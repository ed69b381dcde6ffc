//! Distributions of durations (service times, latencies, think times), as
//! users write them: `20us` (fixed), `exp:mean=20us`,
//! `lognormal:mean=5ms,sd=3ms`, `uniform:min=1ms,max=3ms`.

use std::fmt;

use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal};

use super::Time;
use crate::seed::Rng;
use crate::units::{MAX_DURATION_NS, format_duration, parse_duration};

/// The longest draw of any distribution, in ns (as a float for the cap).
const MAX_DRAW: f64 = MAX_DURATION_NS as f64;
use crate::spec::Spec;

/// A distribution of durations in nanoseconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always the same.
    Fixed(Time),
    /// Exponential with this mean.
    Exponential {
        /// Mean in ns.
        mean: Time,
    },
    /// Log-normal with this mean and standard deviation.
    LogNormal {
        /// Mean in ns.
        mean: Time,
        /// Standard deviation in ns.
        sd: Time,
    },
    /// Uniform between two bounds.
    Uniform {
        /// Lower bound in ns.
        min: Time,
        /// Upper bound in ns.
        max: Time,
    },
}

fn allowed(kind: &str) -> &'static [&'static str] {
    match kind {
        "fixed" => &["value"],
        "exp" => &["mean"],
        "lognormal" => &["mean", "sd"],
        "uniform" => &["min", "max"],
        _ => &[],
    }
}

impl Dist {
    /// Parses `20us`, `fixed:value=20us`, `exp:mean=20us`,
    /// `lognormal:mean=5ms,sd=3ms` or `uniform:min=1ms,max=3ms`.
    pub fn parse(text: &str) -> Result<Dist, String> {
        if let Some(ns) = parse_duration(text) {
            return Ok(Dist::Fixed(ns));
        }
        let spec = Spec::parse(
            text,
            allowed,
            "a duration such as 20us, exp, lognormal, uniform, fixed",
        )
        .map_err(|e| e.to_string())?;
        let duration = |name: &str| -> Result<Time, String> {
            let v = spec
                .get(name)
                .ok_or_else(|| format!("`{text}`: `{name}` is required"))?;
            parse_duration(v).ok_or_else(|| {
                format!("`{text}`: `{name}` = `{v}` is not a duration such as 5ms (at most 87600h)")
            })
        };
        let dist = match spec.kind {
            "fixed" => Dist::Fixed(duration("value")?),
            "exp" => Dist::Exponential {
                mean: duration("mean")?,
            },
            "lognormal" => Dist::LogNormal {
                mean: duration("mean")?,
                sd: duration("sd")?,
            },
            _ => Dist::Uniform {
                min: duration("min")?,
                max: duration("max")?,
            },
        };
        match dist {
            Dist::Exponential { mean: 0 } | Dist::LogNormal { mean: 0, .. } => {
                Err(format!("`{text}`: the mean must be above zero"))
            }
            Dist::Uniform { min, max } if min > max => Err(format!("`{text}`: min is above max")),
            d => Ok(d),
        }
    }

    /// The mean in nanoseconds.
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Fixed(v) => v as f64,
            Dist::Exponential { mean } | Dist::LogNormal { mean, .. } => mean as f64,
            Dist::Uniform { min, max } => (min as f64 + max as f64) / 2.0,
        }
    }

    /// A ready-to-draw sampler.
    pub fn sampler(&self) -> Sampler {
        match *self {
            Dist::Fixed(v) => Sampler::Fixed(v),
            Dist::Exponential { mean } => {
                Sampler::Exponential(Exp::new(1.0 / mean as f64).expect("mean > 0"))
            }
            Dist::LogNormal { mean: _, sd: 0 } => Sampler::Fixed(self.mean() as Time),
            Dist::LogNormal { mean, sd } => {
                let (m, s) = (mean as f64, sd as f64);
                let sigma2 = (1.0 + (s * s) / (m * m)).ln();
                let mu = m.ln() - sigma2 / 2.0;
                Sampler::LogNormal(LogNormal::new(mu, sigma2.sqrt()).expect("finite parameters"))
            }
            Dist::Uniform { min, max } => Sampler::Uniform(min, max),
        }
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Dist::Fixed(v) => write!(f, "{}", format_duration(v)),
            Dist::Exponential { mean } => write!(f, "exp:mean={}", format_duration(mean)),
            Dist::LogNormal { mean, sd } => {
                write!(
                    f,
                    "lognormal:mean={},sd={}",
                    format_duration(mean),
                    format_duration(sd)
                )
            }
            Dist::Uniform { min, max } => {
                write!(
                    f,
                    "uniform:min={},max={}",
                    format_duration(min),
                    format_duration(max)
                )
            }
        }
    }
}

/// A distribution ready to draw from.
#[derive(Clone, Debug)]
pub enum Sampler {
    /// Constant.
    Fixed(Time),
    /// Exponential (rate in 1/ns).
    Exponential(Exp<f64>),
    /// Log-normal in ns.
    LogNormal(LogNormal<f64>),
    /// Uniform on [min, max].
    Uniform(Time, Time),
}

impl Sampler {
    /// One duration.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> Time {
        match self {
            Sampler::Fixed(v) => *v,
            // Capped so that no draw, however far in the tail, can carry
            // simulated time past what `Time` holds.
            Sampler::Exponential(d) => d.sample(rng).round().min(MAX_DRAW) as Time,
            Sampler::LogNormal(d) => d.sample(rng).round().min(MAX_DRAW) as Time,
            Sampler::Uniform(min, max) => rng.random_range(*min..=*max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;

    #[test]
    fn parse_and_print_round_trip() {
        for text in [
            "20us",
            "exp:mean=20us",
            "lognormal:mean=5ms,sd=3ms",
            "uniform:min=1ms,max=3ms",
        ] {
            let d = Dist::parse(text).unwrap();
            assert_eq!(Dist::parse(&d.to_string()).unwrap(), d, "{text}");
        }
        assert!(Dist::parse("exp:mean=0s").is_err());
        assert!(
            Dist::parse("lognormal:mean=5ms")
                .unwrap_err()
                .contains("sd")
        );
        assert!(Dist::parse("gamma:k=2").unwrap_err().contains("known"));
        assert!(Dist::parse("20").is_err());
    }

    #[test]
    fn sample_means_match() {
        let mut rng = Seed(1).rng();
        for text in [
            "exp:mean=2ms",
            "lognormal:mean=5ms,sd=3ms",
            "uniform:min=1ms,max=3ms",
            "7ms",
        ] {
            let d = Dist::parse(text).unwrap();
            let s = d.sampler();
            let n = 200_000;
            let mean = (0..n).map(|_| s.sample(&mut rng) as f64).sum::<f64>() / f64::from(n);
            assert!(
                (mean / d.mean() - 1.0).abs() < 0.01,
                "{text}: {mean} vs {}",
                d.mean()
            );
        }
    }
}
