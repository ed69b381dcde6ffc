//! Means and 95% confidence intervals over replications (Student's t).

/// Two-sided 95% quantiles of Student's t for 1 to 30 degrees of freedom.
const T_975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// The t quantile for a two-sided 95% interval with `df` degrees of freedom.
pub fn t_975(df: usize) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T_975[df - 1],
        // Between 30 and infinity the quantile falls from 2.042 to 1.960.
        _ => 1.960 + 2.45 / df as f64,
    }
}

/// A sample mean with its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The mean.
    pub mean: f64,
    /// Lower end of the 95% interval (the mean when there is one value).
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

impl Estimate {
    /// Half the interval's width.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// The mean of `values` and its 95% interval, assuming independent
/// replications; with one value the interval is the value itself.
pub fn estimate(values: &[f64]) -> Estimate {
    let n = values.len();
    assert!(n > 0, "an estimate needs values");
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Estimate {
            mean,
            low: mean,
            high: mean,
        };
    }
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    let half = t_975(n - 1) * (variance / n as f64).sqrt();
    Estimate {
        mean,
        low: mean - half,
        high: mean + half,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn the_interval_covers_the_true_mean_95_percent_of_the_time() {
        let normal = Normal::new(10.0, 3.0).unwrap();
        for replications in [3, 5, 10] {
            let mut rng = Seed(replications as u64).rng();
            let trials = 4000;
            let covered = (0..trials)
                .filter(|_| {
                    let values: Vec<f64> =
                        (0..replications).map(|_| normal.sample(&mut rng)).collect();
                    let e = estimate(&values);
                    e.low <= 10.0 && 10.0 <= e.high
                })
                .count();
            let coverage = covered as f64 / f64::from(trials);
            assert!(
                (0.935..=0.965).contains(&coverage),
                "{replications} replications: coverage {coverage}"
            );
        }
    }

    #[test]
    fn one_value_has_no_spread() {
        let e = estimate(&[4.0]);
        assert_eq!((e.mean, e.low, e.high), (4.0, 4.0, 4.0));
        let e = estimate(&[1.0, 3.0]);
        assert_eq!(e.mean, 2.0);
        assert!((e.half_width() - 12.706 * (2.0f64 / 2.0).sqrt()).abs() < 1e-9);
    }
}
