//! Zipf's law fitted to rank-frequency counts by maximum likelihood.
//!
//! The model: each request goes to the object of rank r (1..=N, by
//! descending count) with probability r^-α / H(N, α), where H(N, α) =
//! Σ r^-α. With c_r requests at rank r and R in all, the log-likelihood
//! is L(α) = -α Σ c_r ln r - R ln H(N, α). It is concave in α (its second
//! derivative is -R times the variance of ln r under the model), so the
//! maximum is where L'(α) = R·E_α[ln r] - Σ c_r ln r crosses zero, found
//! by bisection on [0, 20]. The sums over ranks are exact up to rank
//! 10,000 and by Euler-Maclaurin above (the integral by Simpson's rule on
//! ln r, plus the end corrections), so each step costs the same for a
//! thousand objects or a billion.
//!
//! The fit's quality is the Kolmogorov-Smirnov distance between the
//! empirical and the fitted rank CDFs: the largest gap, over ranks, between
//! the share of requests going to the top r objects and the model's.
//!
//! Ranks come from the observed counts, so an object requested once ranks
//! among all the others requested once in arbitrary order; for a trace
//! drawn from Zipf(α) over keys that are nearly all seen, the estimate
//! recovers α (a test holds it to 0.02).

use serde::Serialize;

/// Ranks summed exactly; beyond, the tail is approximated.
const EXACT_RANKS: usize = 10_000;
/// Simpson panels over ln r in the tail (even).
const PANELS: usize = 400;

/// A Zipf fit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ZipfFit {
    /// The skew by maximum likelihood.
    pub alpha: f64,
    /// Ranks (distinct objects) in the fit.
    pub ranks: u64,
    /// Kolmogorov-Smirnov distance between the empirical and fitted rank CDFs.
    pub ks_distance: f64,
    /// Log-likelihood per request at the fit (natural log).
    pub log_likelihood_per_request: f64,
}

/// Σ_{r=1..n} r^-α (ln r)^k for k = 0, 1: (H, H1).
fn sums(alpha: f64, n: u64, ln_ranks: &[f64]) -> (f64, f64) {
    let mut h = 0.0;
    let mut h1 = 0.0;
    for &ln_r in ln_ranks.iter().take(n as usize) {
        let w = (-alpha * ln_r).exp();
        h += w;
        h1 += w * ln_r;
    }
    if n as usize > ln_ranks.len() {
        let (t0, t1) = tail(alpha, ln_ranks.len() as f64 + 1.0, n as f64);
        h += t0;
        h1 += t1;
    }
    (h, h1)
}

/// Σ_{r=a..=b} r^-α (ln r)^k for k = 0, 1, by Euler-Maclaurin.
fn tail(alpha: f64, a: f64, b: f64) -> (f64, f64) {
    let (la, lb) = (a.ln(), b.ln());
    let step = (lb - la) / PANELS as f64;
    // ∫ r^-α (ln r)^k dr = ∫ e^{(1-α)u} u^k du over u = ln r.
    let integrand = |u: f64| {
        let e = ((1.0 - alpha) * u).exp();
        (e, e * u)
    };
    let (mut i0, mut i1) = (0.0, 0.0);
    for p in 0..=PANELS {
        let weight = if p == 0 || p == PANELS {
            1.0
        } else if p % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let (e0, e1) = integrand(la + p as f64 * step);
        i0 += weight * e0;
        i1 += weight * e1;
    }
    i0 *= step / 3.0;
    i1 *= step / 3.0;
    // f_k(r) = r^-α (ln r)^k and f_k'(r) = r^{-α-1} (k (ln r)^{k-1} - α (ln r)^k).
    let f = |r: f64| {
        let w = r.powf(-alpha);
        (w, w * r.ln())
    };
    let df = |r: f64| {
        let w = r.powf(-alpha - 1.0);
        let l = r.ln();
        (-alpha * w, w * (1.0 - alpha * l))
    };
    let ((fa0, fa1), (fb0, fb1)) = (f(a), f(b));
    let ((da0, da1), (db0, db1)) = (df(a), df(b));
    (
        i0 + (fa0 + fb0) / 2.0 + (db0 - da0) / 12.0,
        i1 + (fa1 + fb1) / 2.0 + (db1 - da1) / 12.0,
    )
}

/// Fits Zipf's law to `counts`, sorted from the largest down. `None` when
/// there are no requests.
pub fn fit(counts: &[u32]) -> Option<ZipfFit> {
    let n = counts.len() as u64;
    let requests: f64 = counts.iter().map(|&c| f64::from(c)).sum();
    if requests == 0.0 {
        return None;
    }
    debug_assert!(counts.windows(2).all(|w| w[0] >= w[1]), "sorted down");
    let weighted_ln: f64 = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| f64::from(c) * ((i + 1) as f64).ln())
        .sum();
    let ln_ranks: Vec<f64> = (1..=EXACT_RANKS.min(counts.len()))
        .map(|r| (r as f64).ln())
        .collect();
    // L'(α) = R·H1/H - Σ c ln r falls as α grows.
    let slope = |alpha: f64| {
        let (h, h1) = sums(alpha, n, &ln_ranks);
        requests * h1 / h - weighted_ln
    };
    let (mut low, mut high) = (0.0f64, 20.0f64);
    if n <= 1 || slope(low) <= 0.0 {
        high = 0.0;
    } else if slope(high) >= 0.0 {
        low = high;
    }
    while high - low > 1e-9 {
        let mid = 0.5 * (low + high);
        if slope(mid) > 0.0 {
            low = mid;
        } else {
            high = mid;
        }
    }
    let alpha = 0.5 * (low + high);
    let (h, _) = sums(alpha, n, &ln_ranks);
    let log_likelihood = -alpha * weighted_ln - requests * h.ln();
    Some(ZipfFit {
        alpha,
        ranks: n,
        ks_distance: ks_distance(counts, alpha, h, requests),
        log_likelihood_per_request: log_likelihood / requests,
    })
}

/// The largest gap between the empirical and fitted rank CDFs.
fn ks_distance(counts: &[u32], alpha: f64, h: f64, requests: f64) -> f64 {
    let (mut empirical, mut model, mut gap) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &c) in counts.iter().enumerate() {
        empirical += f64::from(c) / requests;
        model += ((i + 1) as f64).powf(-alpha) / h;
        gap = gap.max((empirical - model).abs());
    }
    gap
}

/// The count the fit expects at `rank` (1-based) among `requests`.
pub fn expected_count(fit: &ZipfFit, rank: u64, requests: u64) -> f64 {
    let ln_ranks: Vec<f64> = (1..=EXACT_RANKS.min(fit.ranks as usize))
        .map(|r| (r as f64).ln())
        .collect();
    let (h, _) = sums(fit.alpha, fit.ranks, &ln_ranks);
    requests as f64 * (rank as f64).powf(-fit.alpha) / h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_matches_an_exact_sum() {
        for alpha in [0.0, 0.5, 0.99, 1.0, 1.01, 1.5, 3.0] {
            let (a, b) = (10_001u64, 200_000u64);
            let (mut e0, mut e1) = (0.0, 0.0);
            for r in a..=b {
                let w = (r as f64).powf(-alpha);
                e0 += w;
                e1 += w * (r as f64).ln();
            }
            let (t0, t1) = tail(alpha, a as f64, b as f64);
            assert!((t0 / e0 - 1.0).abs() < 1e-9, "alpha {alpha}: {t0} vs {e0}");
            assert!((t1 / e1 - 1.0).abs() < 1e-9, "alpha {alpha}: {t1} vs {e1}");
        }
    }

    #[test]
    fn exact_zipf_counts_give_their_alpha() {
        // Counts proportional to r^-α (rounded) over 50 000 ranks.
        for alpha in [0.6, 0.9, 1.2] {
            let counts: Vec<u32> = (1..=50_000u32)
                .map(|r| (1e7 * f64::from(r).powf(-alpha)).round().max(1.0) as u32)
                .collect();
            let fit = fit(&counts).unwrap();
            assert!((fit.alpha - alpha).abs() < 0.01, "{alpha}: {fit:?}");
            assert!(fit.ks_distance < 0.01, "{fit:?}");
        }
    }

    #[test]
    fn flat_and_degenerate_counts() {
        let flat = fit(&[5; 100]).unwrap();
        assert!(flat.alpha < 1e-6, "{flat:?}");
        assert_eq!(fit(&[7]).unwrap().alpha, 0.0);
        assert_eq!(fit(&[]), None);
    }
}
