//! Zipf ranks drawn as `rand_distr::Zipf` draws them, draw for draw, with
//! most of its power functions skipped.
//!
//! `rand_distr` 0.6 samples by rejection from a continuous envelope: a
//! uniform `p` gives `b = F⁻¹(p)` (the envelope's inverse CDF, one `powf`),
//! the candidate is `x = ⌊b + 1⌋`, and it is accepted when a second uniform
//! `y` falls below `ratio = x^-s · b^s` (two more `powf`; for `x = 1` the
//! ratio is exactly 1). Three `powf` per draw were a tenth of the cluster
//! simulator's time.
//!
//! Since `x - 1 ≤ b < x`, the exact ratio `(b/x)^s` is at least
//! `(1 - 1/x)^s`, which is at least `1 - max(1, s)/x` (for `s ≤ 1` because a
//! power below 1 of a number in (0, 1) is larger than the number; for
//! `s > 1` by Bernoulli's inequality). So when `y` is below that bound, less
//! a margin far wider than the rounding of the two `powf` and the product,
//! `rand_distr` accepts `x` too, and the ratio is not computed. Otherwise it
//! is, with `rand_distr`'s expressions in its order. Every draw consumes the
//! same uniforms and returns the same rank, so results keep every byte; a
//! test holds the two samplers equal over millions of draws at several
//! laws. The skipped share is `1 - max(1, s)/x` for a candidate `x`: all but
//! a few per cent of draws whose rank is above 100.

use rand::RngExt;

use crate::seed::Rng;

/// Room left below the bound for the rounding of the computed ratio (a few
/// units in the last place of a number at most 1, so about 1e-15).
const MARGIN: f64 = 1e-9;

/// A Zipf law over ranks 1..=n with exponent `s > 0`, sampled exactly as
/// `rand_distr::Zipf::<f64>::new(n, s)` samples it.
#[derive(Clone, Copy, Debug)]
pub struct Zipf {
    s: f64,
    /// The envelope's total mass.
    t: f64,
    /// `1 / (1 - s)`, or 0 for `s = 1`.
    q: f64,
    /// `max(1, s)`: the bound on the acceptance ratio is `1 - slope/x`.
    slope: f64,
}

impl Zipf {
    /// The law over `n ≥ 1` ranks with exponent `s > 0` (finite);
    /// `None` outside that range.
    pub fn new(n: f64, s: f64) -> Option<Zipf> {
        if !(n >= 1.0 && n.is_finite() && s > 0.0 && s.is_finite()) {
            return None;
        }
        let (q, t) = if s != 1.0 {
            let q = 1.0 / (1.0 - s);
            (q, (n.powf(1.0 - s) - s) * q)
        } else {
            (0.0, 1.0 + n.ln())
        };
        Some(Zipf {
            s,
            t,
            q,
            slope: s.max(1.0),
        })
    }

    /// The envelope's inverse CDF at `p`.
    #[inline]
    fn inverse_cdf(&self, p: f64) -> f64 {
        let pt = p * self.t;
        if pt <= 1.0 {
            pt
        } else if self.s != 1.0 {
            (pt * (1.0 - self.s) + self.s).powf(self.q)
        } else {
            (pt - 1.0).exp()
        }
    }

    /// Draws a rank, 1 the most popular.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        loop {
            let b = self.inverse_cdf(rng.random::<f64>());
            let x = (b + 1.0).floor();
            let y = rng.random::<f64>();
            // y < 1 = 1^-s: the ratio of the first rank is exactly 1.
            if x <= 1.0 || y < 1.0 - self.slope / x - MARGIN {
                return x as u64;
            }
            let ratio = x.powf(-self.s) * b.powf(self.s);
            if y < ratio {
                return x as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;
    use rand_distr::Distribution;

    /// Draw for draw the same ranks as `rand_distr`, and the same uniforms
    /// consumed (the generators stay in step), at skews below, at and above
    /// 1 and at key counts from 1 to 10^9.
    #[test]
    fn draws_exactly_what_rand_distr_draws() {
        for (n, s) in [
            (1e6, 0.99),
            (1e6, 1.0),
            (1e3, 0.5),
            (1e5, 1.2),
            (1e9, 0.8),
            (10.0, 2.5),
            (1.0, 0.7),
            (2.0, 0.01),
        ] {
            let ours = Zipf::new(n, s).unwrap();
            let theirs = rand_distr::Zipf::new(n, s).unwrap();
            let mut a = Seed(7).rng();
            let mut b = Seed(7).rng();
            for i in 0..400_000 {
                let x = ours.sample(&mut a);
                let y = theirs.sample(&mut b) as u64;
                assert_eq!(x, y, "draw {i} of Zipf(n={n}, s={s})");
            }
            assert_eq!(a.random::<u64>(), b.random::<u64>(), "Zipf(n={n}, s={s})");
        }
    }

    #[test]
    fn refuses_what_it_cannot_draw() {
        assert!(Zipf::new(0.5, 1.0).is_none());
        assert!(Zipf::new(10.0, 0.0).is_none());
        assert!(Zipf::new(10.0, f64::NAN).is_none());
        assert!(Zipf::new(f64::INFINITY, 2.0).is_none());
    }
}
