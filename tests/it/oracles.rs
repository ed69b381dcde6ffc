//! Policies against analytical models under independent Zipf requests
//! (MECHANICS.md §6): Che's approximation for LRU, the FIFO/Random formula,
//! the static optimum as a bound.

use crate::common;

use cachelab::theory::{
    che_lru_hit_ratio, fifo_hit_ratio, static_optimum_hit_ratio, zipf_probabilities,
};

const KEYS: usize = 10_000;
const REQUESTS: usize = 2_000_000;
const WARMUP: usize = REQUESTS / 5;

fn hit_ratio(policy: &str, capacity: u64, requests: &[cachelab::request::Request]) -> f64 {
    common::hits(policy, capacity, requests, WARMUP) as f64 / (REQUESTS - WARMUP) as f64
}

fn zipf(alpha: f64, seed: u64) -> Vec<cachelab::request::Request> {
    common::requests(
        &format!("zipf:alpha={alpha},keys={KEYS},requests={REQUESTS}"),
        "1",
        seed,
    )
}

#[test]
fn lru_matches_che_and_fifo_random_match_their_formula() {
    for (alpha, seed) in [(0.8, 1), (1.0, 2), (1.2, 3)] {
        let requests = zipf(alpha, seed);
        let q = zipf_probabilities(KEYS, alpha);
        for capacity in [100usize, 1000] {
            let che = che_lru_hit_ratio(&q, capacity);
            let fifo_model = fifo_hit_ratio(&q, capacity);
            for (policy, model) in [("lru", che), ("fifo", fifo_model), ("random", fifo_model)] {
                let simulated = hit_ratio(policy, capacity as u64, &requests);
                assert!(
                    (simulated - model).abs() <= 0.002,
                    "{policy} at alpha {alpha}, capacity {capacity}: simulated {simulated:.4}, model {model:.4}"
                );
            }
        }
    }
}

#[test]
fn no_online_policy_beats_the_static_optimum() {
    let requests = zipf(0.9, 4);
    let q = zipf_probabilities(KEYS, 0.9);
    for capacity in [100usize, 1000] {
        let bound = static_optimum_hit_ratio(&q, capacity);
        // The optimum bounds caches that hold at most the capacity; a slab
        // allocator's first pages hold more.
        let sized = |s: &&cachelab::policy::PolicySpec| {
            cachelab::policy::PolicyChoice::parse(s.name)
                .unwrap()
                .build(1, cachelab::seed::Seed(1))
                .bound()
                == cachelab::policy::Bound::Sizes
        };
        for spec in cachelab::policy::POLICIES
            .iter()
            .filter(|s| s.name != "belady")
            .filter(sized)
        {
            let simulated = hit_ratio(spec.name, capacity as u64, &requests);
            // Noise at 1.6 M counted requests is about 4e-4.
            assert!(
                simulated <= bound + 0.0015,
                "{} at capacity {capacity}: {simulated:.4} above the static optimum {bound:.4}",
                spec.name
            );
        }
    }
}

#[test]
fn sharded_lru_matches_one_big_lru() {
    // Keys hashed over 4 LRU caches of C/4 behave as one LRU of C (Che).
    let requests = zipf(0.8, 5);
    let q = zipf_probabilities(KEYS, 0.8);
    let shards = 4;
    let mut caches: Vec<_> = (0..shards)
        .map(|_| {
            cachelab::policy::PolicyChoice::parse("lru")
                .unwrap()
                .build(250, cachelab::seed::Seed(0))
        })
        .collect();
    let mut evicted = Vec::new();
    let mut hits = 0;
    for (i, req) in requests.iter().enumerate() {
        let cache = &mut caches[(req.key % shards as u64) as usize];
        if cache.get(req) {
            hits += u64::from(i >= WARMUP);
        } else {
            cache.insert(req, &mut evicted);
        }
    }
    let simulated = hits as f64 / (REQUESTS - WARMUP) as f64;
    let che = che_lru_hit_ratio(&q, 1000);
    assert!(
        (simulated - che).abs() <= 0.002,
        "sharded {simulated:.4} vs Che {che:.4}"
    );
}
