//! Analytical models of caches under the independent reference model (IRM:
//! each request is key i with probability q_i, independently), used as test
//! oracles and to check simulations against: Che, Tung & Wang's LRU
//! approximation (IEEE JSAC 2002), the FIFO/Random fixed point (Gelenbe
//! 1973; Martina, Garetto & Leonardi, INFOCOM 2014), the static optimum and
//! Erlang C.

/// Zipf(alpha) probabilities of ranks 1..=n: q_i = i^-alpha / H(n, alpha).
pub fn zipf_probabilities(n: usize, alpha: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=n).map(|i| (i as f64).powf(-alpha)).collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|w| w / total).collect()
}

/// The share of the key reads of scans (YCSB E) that go to each key
/// number, for scans that start at number s (0-based) with probability
/// `start[s]` and read uniform 1 to `max` consecutive numbers, clipped at
/// the last: number p is read by a scan with probability
/// q_p = Σ_{s ≤ p} start[s] · P(length > p − s) = Σ start[s] (max − (p − s)) / max,
/// normalised to sum to 1. Each scan reads a key at most once and scans
/// start independently, so a key's reads are Bernoulli over scans, and
/// the IRM models above apply to these shares approximately (the reads of
/// neighbours come together).
pub fn scan_key_probabilities(start: &[f64], max: usize) -> Vec<f64> {
    let reads: Vec<f64> = (0..start.len())
        .map(|p| {
            (p.saturating_sub(max - 1)..=p)
                .map(|s| start[s] * (max - (p - s)) as f64 / max as f64)
                .sum()
        })
        .collect();
    let total: f64 = reads.iter().sum();
    reads.into_iter().map(|q| q / total).collect()
}

/// Finds t with f(t) = target for an increasing f, by bisection on [0, ∞).
fn solve_increasing(f: impl Fn(f64) -> f64, target: f64) -> f64 {
    let mut high = 1.0;
    while f(high) < target {
        high *= 2.0;
        assert!(
            high.is_finite(),
            "no solution: target {target} out of reach"
        );
    }
    let mut low = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if f(mid) < target {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

/// LRU hit ratio for a cache of `capacity` objects by Che's approximation
/// (Che, Tung & Wang, IEEE JSAC 2002): the characteristic time T solves
/// Σ (1 − e^{−q_i T}) = C, and the hit ratio is Σ q_i (1 − e^{−q_i T}).
pub fn che_lru_hit_ratio(probabilities: &[f64], capacity: usize) -> f64 {
    if capacity >= probabilities.len() {
        return 1.0;
    }
    let t = che_characteristic_time(probabilities, capacity);
    probabilities
        .iter()
        .map(|q| q * (1.0 - (-q * t).exp()))
        .sum()
}

/// Che's characteristic time T of an LRU cache of `capacity` objects
/// (fewer than there are keys): the solution of Σ (1 − e^{−q_i T}) = C. A
/// key of probability q is in the cache with probability 1 − e^{−q T}, so
/// the hit ratio of any group of keys (a request class) follows from it.
pub fn che_characteristic_time(probabilities: &[f64], capacity: usize) -> f64 {
    let occupancy = |t: f64| {
        probabilities
            .iter()
            .map(|q| 1.0 - (-q * t).exp())
            .sum::<f64>()
    };
    solve_increasing(occupancy, capacity as f64)
}

/// FIFO (and Random) hit ratio for a cache of `capacity` objects (Gelenbe
/// 1973; Martina, Garetto & Leonardi, INFOCOM 2014): T solves
/// Σ q_i T / (1 + q_i T) = C, and the hit ratio is Σ q_i · q_i T / (1 + q_i T).
pub fn fifo_hit_ratio(probabilities: &[f64], capacity: usize) -> f64 {
    if capacity >= probabilities.len() {
        return 1.0;
    }
    let occupancy = |t: f64| {
        probabilities
            .iter()
            .map(|q| q * t / (1.0 + q * t))
            .sum::<f64>()
    };
    let t = solve_increasing(occupancy, capacity as f64);
    probabilities
        .iter()
        .map(|q| q * (q * t) / (1.0 + q * t))
        .sum()
}

/// The best hit ratio any online policy can reach under IRM: keep the
/// `capacity` most popular objects.
pub fn static_optimum_hit_ratio(probabilities: &[f64], capacity: usize) -> f64 {
    let mut sorted = probabilities.to_vec();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    sorted.iter().take(capacity).sum()
}

/// Mean response time (waiting plus service) of an M/M/c queue with
/// arrival rate `lambda` and `c` servers of service rate `mu` each, by the
/// Erlang C formula; `None` when the queue is unstable (λ ≥ cμ).
pub fn erlang_c_mean_response(lambda: f64, mu: f64, c: u32) -> Option<f64> {
    let offered = lambda / mu; // c·ρ
    let rho = offered / f64::from(c);
    if rho >= 1.0 {
        return None;
    }
    // Terms a^k / k! computed incrementally to stay finite for large c.
    let mut term = 1.0;
    let mut below = 0.0;
    for k in 0..c {
        below += term;
        term *= offered / f64::from(k + 1);
    }
    let top = term / (1.0 - rho);
    let waiting = top / (below + top);
    Some(1.0 / mu + waiting / (f64::from(c) * mu - lambda))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_validation_table() {
        // The formulas' values at N = 10^4 Zipf keys, computed independently
        // (and matched by direct simulation within 2·10^-3).
        let q = zipf_probabilities(10_000, 0.8);
        assert!((che_lru_hit_ratio(&q, 1000) - 0.4367).abs() < 5e-5);
        assert!((fifo_hit_ratio(&q, 1000) - 0.3942).abs() < 5e-5);
        assert!((static_optimum_hit_ratio(&q, 1000) - 0.5706).abs() < 5e-5);
        let q = zipf_probabilities(10_000, 1.2);
        assert!((che_lru_hit_ratio(&q, 10) - 0.3433).abs() < 5e-5);
        assert!((fifo_hit_ratio(&q, 100) - 0.6033).abs() < 5e-5);
    }

    #[test]
    fn erlang_c_matches_the_published_figures() {
        // Erlang C's mean response for c = 16 servers, 1/μ = 2 ms.
        let mu = 500.0;
        for (rho, expected_ms) in [
            (0.5, 2.00),
            (0.8, 2.19),
            (0.9, 2.74),
            (0.95, 3.95),
            (0.99, 13.9),
        ] {
            let w = erlang_c_mean_response(rho * 16.0 * mu, mu, 16).unwrap() * 1e3;
            assert!(
                (w - expected_ms).abs() < 0.01 * expected_ms.max(1.0),
                "ρ {rho}: {w} ms"
            );
        }
        assert_eq!(erlang_c_mean_response(8000.0, mu, 16), None);
        // One server: M/M/1, W = 1/(μ − λ).
        let w = erlang_c_mean_response(300.0, 500.0, 1).unwrap();
        assert!((w - 1.0 / 200.0).abs() < 1e-12);
    }

    #[test]
    fn uniform_popularity_gives_the_cache_fraction() {
        let q = zipf_probabilities(1000, 0.0);
        for ratio in [
            che_lru_hit_ratio(&q, 250),
            fifo_hit_ratio(&q, 250),
            static_optimum_hit_ratio(&q, 250),
        ] {
            assert!((ratio - 0.25).abs() < 1e-9, "{ratio}");
        }
    }
}
