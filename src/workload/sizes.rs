//! Object-size laws. The size is a function of the key (drawn from a
//! generator seeded by the key), so an object has the same size every time it
//! is requested, in every run with the same seed.

use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal, Pareto};

use super::scramble;
use crate::seed::{Rng, Seed};
use crate::spec::{Spec, SpecError};
use crate::units::parse_bytes;

/// How large objects are.
#[derive(Clone, Debug, PartialEq)]
pub enum SizeLaw {
    /// Every object has this size.
    Fixed(u32),
    /// Log-normal: ln(size) ~ Normal(ln(median), sigma).
    LogNormal {
        /// Median size in bytes.
        median: f64,
        /// Standard deviation of ln(size).
        sigma: f64,
    },
    /// Pareto with minimum `scale` and tail index `shape`.
    Pareto {
        /// Smallest size in bytes.
        scale: f64,
        /// Tail index (smaller is heavier).
        shape: f64,
    },
}

fn allowed(kind: &str) -> &'static [&'static str] {
    match kind {
        "fixed" => &["size"],
        "lognormal" => &["median", "sigma"],
        "pareto" => &["scale", "shape"],
        _ => &[],
    }
}

impl SizeLaw {
    /// Parses `fixed:size=4KiB`, `4KiB` (fixed), `lognormal:median=4KiB,sigma=1`
    /// or `pareto:scale=1KiB,shape=1.5`.
    pub fn parse(text: &str) -> Result<SizeLaw, SpecError> {
        if let Some(bytes) = parse_bytes(text) {
            return fixed(bytes).ok_or_else(|| SpecError {
                spec: text.to_string(),
                problem: "size must be from 1 B to 4 GiB".into(),
            });
        }
        let spec = Spec::parse(
            text,
            allowed,
            "fixed, lognormal, pareto, or a size such as 4KiB",
        )?;
        match spec.kind {
            "fixed" => Ok(SizeLaw::Fixed(spec.object_size("size")? as u32)),
            "lognormal" => Ok(SizeLaw::LogNormal {
                median: spec.object_size("median")?,
                sigma: spec.positive("sigma")?,
            }),
            _ => Ok(SizeLaw::Pareto {
                scale: spec.object_size("scale")?,
                shape: spec.positive("shape")?,
            }),
        }
    }

    /// The size of `key` under this law.
    #[inline]
    pub fn size_of(&self, key: u64, seed: Seed) -> u32 {
        let draw = |dist: &dyn Fn(&mut Rng) -> f64| {
            let mut rng = Rng::seed_from_u64(scramble(key ^ seed.0));
            dist(&mut rng).round().clamp(1.0, f64::from(u32::MAX)) as u32
        };
        match *self {
            SizeLaw::Fixed(size) => size,
            SizeLaw::LogNormal { median, sigma } => {
                let law = LogNormal::new(median.ln(), sigma).expect("sigma > 0");
                draw(&|rng| law.sample(rng))
            }
            SizeLaw::Pareto { scale, shape } => {
                let law = Pareto::new(scale, shape).expect("scale, shape > 0");
                draw(&|rng| law.sample(rng))
            }
        }
    }
}

fn fixed(bytes: u64) -> Option<SizeLaw> {
    u32::try_from(bytes)
        .ok()
        .filter(|&b| b >= 1)
        .map(SizeLaw::Fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        assert_eq!(SizeLaw::parse("4KiB"), Ok(SizeLaw::Fixed(4096)));
        assert_eq!(SizeLaw::parse("fixed:size=10"), Ok(SizeLaw::Fixed(10)));
        assert!(matches!(
            SizeLaw::parse("lognormal:median=4KiB,sigma=1"),
            Ok(SizeLaw::LogNormal { .. })
        ));
        let err = SizeLaw::parse("lognormal:median=4KiB").unwrap_err();
        assert!(err.problem.contains("sigma"), "{err}");
        assert!(SizeLaw::parse("pareto:scale=0,shape=1").is_err());
        assert!(SizeLaw::parse("gamma:k=1").is_err());
        assert!(SizeLaw::parse("0").is_err());
    }

    #[test]
    fn size_is_a_function_of_the_key() {
        let law = SizeLaw::parse("lognormal:median=1000,sigma=1").unwrap();
        let seed = Seed(3);
        assert_eq!(law.size_of(17, seed), law.size_of(17, seed));
        let mut sizes: Vec<u32> = (0..10_001).map(|k| law.size_of(k, seed)).collect();
        sizes.sort_unstable();
        let median = f64::from(sizes[5000]);
        assert!((median / 1000.0 - 1.0).abs() < 0.05, "median {median}");
    }
}
