//! Admission filters (`POLICY+FILTER`) against numbers derived without
//! them: an exact "seen before" model for cache-on-second-hit, the bare
//! policy for a size filter that admits everything, the binomial law for a
//! seeded size filter, a size filter for an AdaptSize that never re-tunes;
//! errors that name the filter; the same bytes from sampled curves, a
//! cluster node and any thread count. libCacheSim's own miss counts for
//! `lru+size` and `lru+adaptsize` are in `libcachesim.rs`.

use std::collections::HashSet;

use crate::common;

use cachelab::policy::{Policy, PolicyChoice};
use cachelab::request::Request;
use cachelab::seed::Seed;

fn build(name: &str, capacity: u64, seed: u64) -> Box<dyn Policy> {
    PolicyChoice::parse(name)
        .unwrap()
        .build(capacity, Seed(seed))
}

/// Every miss's admission decision and every eviction, in order.
#[derive(Debug, PartialEq)]
struct Run {
    hits: u64,
    admitted: Vec<bool>,
    evicted: Vec<u64>,
}

fn run(policy: &mut dyn Policy, requests: &[Request]) -> Run {
    let mut out = Run {
        hits: 0,
        admitted: Vec::new(),
        evicted: Vec::new(),
    };
    for req in requests {
        if policy.get(req) {
            out.hits += 1;
        } else {
            let mut evicted = Vec::new();
            out.admitted.push(policy.insert(req, &mut evicted));
            out.evicted.extend(evicted);
        }
    }
    out
}

#[test]
fn second_hit_admits_exactly_the_keys_missed_before() {
    // A cache large enough to hold everything and a window longer than the
    // stream: the filter's only error is a Bloom false positive, so every
    // decision must equal the exact model's "this key missed before",
    // but for at most 1% false admissions of first sightings.
    let requests = common::requests("zipf:alpha=0.8,keys=20000,requests=100000", "1", 5);
    let mut cache = build("lru+bloom:window=10", 1_000_000, 1);
    let mut missed_before = HashSet::new();
    let (mut first_sightings, mut false_admissions) = (0u64, 0u64);
    for req in &requests {
        if cache.get(req) {
            continue;
        }
        let seen = !missed_before.insert(req.key);
        let admitted = cache.insert(req, &mut Vec::new());
        if seen {
            assert!(admitted, "key {} missed before but was refused", req.key);
        } else {
            first_sightings += 1;
            false_admissions += u64::from(admitted);
        }
    }
    assert!(
        first_sightings > 15_000,
        "{first_sightings} first sightings"
    );
    assert!(
        false_admissions * 100 <= first_sightings,
        "{false_admissions} of {first_sightings} first sightings admitted (Bloom design: 1%)"
    );
}

#[test]
fn second_hit_on_a_short_stream_by_hand() {
    // Keys 1 2 1 3 2 1 in a cache of 10: 1 and 2 are refused at first,
    // admitted on their second request, and 1's third request hits.
    let requests: Vec<Request> = [1, 2, 1, 3, 2, 1]
        .iter()
        .map(|&k| Request::get(k, 1))
        .collect();
    let got = run(build("lru+bloom", 10, 1).as_mut(), &requests);
    assert_eq!(got.admitted, [false, false, true, false, true]);
    assert_eq!(got.hits, 1);
}

#[test]
fn a_size_filter_with_an_infinite_scale_is_the_bare_policy() {
    let requests = common::requests(
        "zipf:alpha=0.9,keys=5000,requests=60000",
        "lognormal:median=1000,sigma=1.5",
        6,
    );
    for policy in [
        "lru",
        "s3fifo",
        "wtinylfu",
        "arc",
        "random",
        "hyperbolic",
        "redis_lru",
    ] {
        let bare = run(build(policy, 400_000, 3).as_mut(), &requests);
        let filtered = run(
            build(&format!("{policy}+size:c=1e300"), 400_000, 3).as_mut(),
            &requests,
        );
        assert_eq!(
            bare, filtered,
            "{policy}+size:c=1e300 differs from {policy}"
        );
    }
}

#[test]
fn a_seeded_size_filter_admits_at_the_rate_e_to_the_minus_size_over_c() {
    // 100 000 distinct objects of each size, each missing once: the admitted
    // count is Binomial(n, e^(-s/c)); allow 5 standard deviations.
    let n = 100_000u64;
    for (size, c) in [(100u32, 100.0f64), (500, 1000.0), (3000, 1000.0), (10, 1e6)] {
        let p = (-f64::from(size) / c).exp();
        let mut cache = build(&format!("lru+size:c={c}"), 1 << 40, 9);
        let admitted = (0..n)
            .filter(|&k| cache.insert(&Request::get(k, size), &mut Vec::new()))
            .count() as f64;
        let (mean, sd) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
        assert!(
            (admitted - mean).abs() <= 5.0 * sd.max(1.0),
            "size {size}, c {c}: admitted {admitted}, expected {mean:.0} ± {sd:.0}"
        );
    }
}

#[test]
fn the_size_filter_repeats_under_a_seed_and_differs_under_another() {
    let requests = common::requests(
        "zipf:alpha=0.9,keys=5000,requests=30000",
        "lognormal:median=1000,sigma=1",
        8,
    );
    let once = |seed| run(build("lru+size:c=2000", 200_000, seed).as_mut(), &requests);
    assert_eq!(once(4), once(4));
    assert_ne!(once(4).admitted, once(5).admitted);
}

#[test]
fn adaptsize_that_never_retunes_is_the_size_filter_at_its_first_c() {
    // 2000 keys of size 100 weigh 200 000 units: under 3 × a capacity of
    // 100 000, so AdaptSize never re-tunes and keeps c = 2^15. Filters draw
    // from one seed label, so both see the same draws.
    let requests = common::requests("zipf:alpha=0.9,keys=2000,requests=60000", "100", 2);
    let adapt = run(
        build("lru+adaptsize:interval=1000", 100_000, 3).as_mut(),
        &requests,
    );
    let fixed = run(build("lru+size:c=32768", 100_000, 3).as_mut(), &requests);
    assert_eq!(adapt, fixed);
    // With a working set above 3 capacities it does re-tune, and decides
    // otherwise.
    let retuned = run(
        build("lru+adaptsize:interval=1000", 50_000, 3).as_mut(),
        &requests,
    );
    let fixed = run(build("lru+size:c=32768", 50_000, 3).as_mut(), &requests);
    assert_ne!(retuned.admitted, fixed.admitted);
}

#[test]
fn filter_errors_name_the_filter_and_what_is_allowed() {
    let message = |text: &str| PolicyChoice::parse(text).unwrap_err().to_string();
    let m = message("lru+blom");
    assert!(
        m.contains("admission filter `blom`") && m.contains("did you mean `bloom`"),
        "{m}"
    );
    assert!(m.contains("bloom, size, adaptsize"), "{m}");
    let m = message("lru+size:k=3");
    assert!(
        m.contains("admission filter `size` has no parameter `k`; its parameters: c"),
        "{m}"
    );
    let m = message("lru+size:c=0");
    assert!(
        m.contains(
            "admission filter `size` parameter `c`: `0` is not allowed; expected a number from"
        ),
        "{m}"
    );
    let m = message("lru+adaptsize:interval=0");
    assert!(
        m.contains("`interval`") && m.contains("a whole number from 1"),
        "{m}"
    );
    let m = message("lru+bloom:window");
    assert!(
        m.contains("admission filter `bloom`: `window` is not of the form name=value"),
        "{m}"
    );
    let m = message("lru+bloom+size");
    assert!(m.contains("one admission filter at most"), "{m}");
    let m = message("lru:x=1+bloom");
    assert!(m.contains("policy `lru` has no parameter `x`"), "{m}");
    let m = message("lur+bloom");
    assert!(m.contains("unknown policy `lur`"), "{m}");
}

#[test]
fn labels_carry_the_filter_and_its_changed_parameters() {
    let label = |text: &str| PolicyChoice::parse(text).unwrap().label;
    assert_eq!(label("lru+bloom"), "lru+bloom");
    assert_eq!(label("lru+bloom:window=1"), "lru+bloom");
    assert_eq!(
        label("s3fifo:small=0.2+size:c=1e+4"),
        "s3fifo:small=0.2+size:c=10000"
    );
    assert_eq!(label(" s3fifo + adaptsize "), "s3fifo+adaptsize");
}

#[test]
fn a_full_sample_of_a_filtered_policy_is_its_exact_curve() {
    // `--sample 100%` runs miniatures of the full size on every key: the
    // same requests reach the same filter, so the curve must be identical.
    let trace = common::traces_dir().join("cloudPhysicsIO.oracleGeneral.bin");
    let dir = tempfile::tempdir().unwrap();
    let curve = |extra: &[&str], name: &str| {
        let out = dir.path().join(name);
        let mut args = vec![
            "mrc",
            "--trace",
            trace.to_str().unwrap(),
            "--policy",
            "lru+bloom,s3fifo+size:c=65536,lru+adaptsize",
            "--points",
            "4",
            "--min",
            "1%",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let output = common::cachelab(&args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut reader = csv::Reader::from_path(out.join("mrc.csv")).unwrap();
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].to_string(), r[1].to_string(), r[3].to_string())
            })
            .collect::<Vec<_>>()
    };
    let exact = curve(&[], "exact");
    assert_eq!(exact.len(), 12);
    assert_eq!(exact, curve(&["--sample", "100%"], "sampled"));
}

#[test]
fn a_filtered_replay_is_the_same_on_one_thread_and_two() {
    let trace = common::traces_dir().join("cloudPhysicsIO.oracleGeneral.bin");
    let dir = tempfile::tempdir().unwrap();
    let replay = |jobs: &str| {
        let out = dir.path().join(jobs);
        let output = common::cachelab(&[
            "replay",
            "--trace",
            trace.to_str().unwrap(),
            "--policy",
            "lru+bloom,lru+size:c=65536,s3fifo+adaptsize",
            "--size",
            "1%,10%",
            "--jobs",
            jobs,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read(out.join("replay.csv")).unwrap()
    };
    assert_eq!(replay("1"), replay("2"));
}
