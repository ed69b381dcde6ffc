//! The conformance suite: every registered policy, the same contract.
//!
//! Each check loops over the registry and names the offending policy, so a new
//! policy is covered by adding its registry line.

use std::collections::BTreeMap;

use cachelab::policy::{POLICIES, Policy, PolicyChoice};
use cachelab::request::{Request, annotate_next_access};
use cachelab::seed::Seed;
use cachelab::workload::{SizeLaw, Workload};

/// A seeded Zipf stream with Belady's next-access positions filled in.
fn stream(requests: u64, keys: u64, sizes: &str, seed: u64) -> Vec<Request> {
    let workload = Workload::parse(
        &format!("zipf:alpha=0.9,keys={keys},requests={requests}"),
        SizeLaw::parse(sizes).unwrap(),
    )
    .unwrap();
    let mut out = Vec::new();
    let mut s = workload.stream(Seed(seed));
    use cachelab::request::RequestStream;
    while s.next_batch(&mut out, 4096).unwrap() > 0 {}
    for (i, r) in out.iter_mut().enumerate() {
        r.time_ns = i as u64 * 1_000_000; // 1000 requests per second
    }
    annotate_next_access(&mut out);
    out
}

fn build(name: &str, capacity: u64) -> Box<dyn Policy> {
    PolicyChoice::parse(name).unwrap().build(capacity, Seed(1))
}

/// What a run did, for comparing runs.
#[derive(Debug, PartialEq)]
struct Trace {
    hits: u64,
    evictions: Vec<u64>,
}

/// Drives `policy` with get-then-insert-on-miss plus occasional removes,
/// checking the contract against a shadow model after every operation.
fn drive(name: &str, policy: &mut dyn Policy, requests: &[Request], check_every: usize) -> Trace {
    let capacity = policy.capacity();
    let mut shadow: BTreeMap<u64, u32> = BTreeMap::new();
    let mut used: u64 = 0;
    let mut evicted = Vec::new();
    let mut trace = Trace {
        hits: 0,
        evictions: Vec::new(),
    };
    for (i, req) in requests.iter().enumerate() {
        let resident = shadow.contains_key(&req.key);
        assert_eq!(
            policy.contains(req.key),
            resident,
            "{name}: contains({}) at request {i}",
            req.key
        );
        if i % 23 == 7 {
            // An invalidation instead of a read.
            assert_eq!(
                policy.remove(req.key),
                resident,
                "{name}: remove({}) at request {i}",
                req.key
            );
            if let Some(size) = shadow.remove(&req.key) {
                used -= u64::from(size);
            }
            assert!(
                !policy.contains(req.key),
                "{name}: {} resident after remove",
                req.key
            );
        } else if policy.get(req) {
            assert!(
                resident,
                "{name}: hit on absent key {} at request {i}",
                req.key
            );
            trace.hits += 1;
        } else {
            assert!(
                !resident,
                "{name}: miss on resident key {} at request {i}",
                req.key
            );
            let free = capacity - used;
            evicted.clear();
            let admitted = policy.insert(req, &mut evicted);
            for &victim in &evicted {
                let size = shadow.remove(&victim).unwrap_or_else(|| {
                    panic!("{name}: evicted {victim}, which was not resident (request {i})")
                });
                used -= u64::from(size);
                assert!(
                    !policy.contains(victim),
                    "{name}: evicted {victim} still resident"
                );
            }
            trace.evictions.extend_from_slice(&evicted);
            if u64::from(req.size) > capacity {
                assert!(
                    !admitted,
                    "{name}: admitted an object larger than the capacity"
                );
            }
            if u64::from(req.size) <= free {
                assert!(
                    admitted,
                    "{name}: refused an object that fits in the free space (request {i})"
                );
                assert!(
                    evicted.is_empty(),
                    "{name}: evicted {evicted:?} although the object fit (request {i})"
                );
            }
            assert_eq!(
                policy.contains(req.key),
                admitted,
                "{name}: admitted={admitted} but contains disagrees"
            );
            if admitted {
                shadow.insert(req.key, req.size);
                used += u64::from(req.size);
                assert!(
                    policy.get(req),
                    "{name}: no hit right after inserting {}",
                    req.key
                );
            }
        }
        assert!(
            policy.used() <= capacity,
            "{name}: used {} > capacity {capacity}",
            policy.used()
        );
        assert_eq!(
            policy.used(),
            used,
            "{name}: byte accounting at request {i}"
        );
        assert_eq!(
            policy.len(),
            shadow.len(),
            "{name}: object count at request {i}"
        );
        if i % check_every == 0 {
            policy.check_invariants();
        }
    }
    policy.check_invariants();
    trace
}

#[test]
fn every_policy_keeps_the_contract_with_unit_sizes() {
    let requests = stream(30_000, 2_000, "1", 11);
    for spec in POLICIES {
        for capacity in [1, 7, 100] {
            let mut policy = build(spec.name, capacity);
            drive(spec.name, policy.as_mut(), &requests, 1);
        }
    }
}

#[test]
fn every_policy_keeps_the_contract_with_sizes() {
    let requests = stream(30_000, 2_000, "lognormal:median=1000,sigma=1", 12);
    for spec in POLICIES {
        for capacity in [5_000, 200_000] {
            let mut policy = build(spec.name, capacity);
            drive(spec.name, policy.as_mut(), &requests, 1);
        }
    }
}

#[test]
fn every_policy_refuses_objects_larger_than_the_capacity() {
    for spec in POLICIES {
        let mut policy = build(spec.name, 100);
        let mut evicted = Vec::new();
        assert!(
            policy.insert(&Request::get(1, 60), &mut evicted),
            "{}",
            spec.name
        );
        assert!(
            !policy.insert(&Request::get(2, 101), &mut evicted),
            "{}: admitted 101 > 100",
            spec.name
        );
        assert!(
            evicted.is_empty(),
            "{}: evicted {evicted:?} for a refused object",
            spec.name
        );
        assert!(!policy.contains(2) && policy.contains(1), "{}", spec.name);
        let mut empty = build(spec.name, 0);
        assert!(
            !empty.insert(&Request::get(3, 1), &mut evicted),
            "{}: admitted into capacity 0",
            spec.name
        );
    }
}

#[test]
fn every_policy_is_deterministic() {
    let requests = stream(20_000, 1_000, "lognormal:median=1000,sigma=1", 13);
    for spec in POLICIES {
        let run = || {
            let mut policy = build(spec.name, 50_000);
            drive(spec.name, policy.as_mut(), &requests, 1000)
        };
        assert_eq!(run(), run(), "{}: two runs differ", spec.name);
    }
}

#[test]
fn no_policy_beats_belady_with_unit_sizes() {
    for (alpha_seed, capacity) in [(21, 10), (22, 100), (23, 400)] {
        let requests = stream(50_000, 2_000, "1", alpha_seed);
        let hits = |name: &str| {
            let mut policy = build(name, capacity);
            let mut evicted = Vec::new();
            let mut hits = 0u64;
            for req in &requests {
                if policy.get(req) {
                    hits += 1;
                } else {
                    policy.insert(req, &mut evicted);
                }
            }
            hits
        };
        let optimal = hits("belady");
        for spec in POLICIES {
            let h = hits(spec.name);
            assert!(
                h <= optimal,
                "{} has {h} hits > belady's {optimal} at capacity {capacity}",
                spec.name
            );
        }
    }
}
