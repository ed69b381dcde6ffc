//! The conformance suite: every registered policy, the same contract.
//!
//! Each check loops over the registry and names the offending policy, so a new
//! policy is covered by adding its registry line.

use std::collections::BTreeMap;

use cachelab::policy::{Bound, POLICIES, Policy, PolicyChoice, PolicySpec};
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

/// The policies every check here runs over: the whole registry, with no
/// exceptions (`registry::` checks that none creep in).
pub(crate) fn suite() -> impl Iterator<Item = &'static PolicySpec> {
    POLICIES.iter()
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
///
/// A policy bounded by slab pages ([`Bound::SlabPages`]) keeps the same
/// contract except for the capacity: it may hold more than its capacity
/// (every class gets a first page) and evict while there is room in other
/// classes; its own `check_invariants` checks its pages.
fn drive(name: &str, policy: &mut dyn Policy, requests: &[Request], check_every: usize) -> Trace {
    drive_checked(name, policy, requests, check_every, false)
}

/// [`drive`], where `may_refuse` allows an admission filter to refuse an
/// object that would fit (everything else in the contract still holds).
fn drive_checked(
    name: &str,
    policy: &mut dyn Policy,
    requests: &[Request],
    check_every: usize,
    may_refuse: bool,
) -> Trace {
    let capacity = policy.capacity();
    let sized = policy.bound() == Bound::Sizes;
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
            let free = capacity.saturating_sub(used);
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
            if sized && u64::from(req.size) > capacity {
                assert!(
                    !admitted,
                    "{name}: admitted an object larger than the capacity"
                );
            }
            if sized && u64::from(req.size) <= free && !may_refuse {
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
            !sized || policy.used() <= capacity,
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
    for spec in suite() {
        for capacity in [1, 7, 100] {
            let mut policy = build(spec.name, capacity);
            drive(spec.name, policy.as_mut(), &requests, 1);
        }
    }
}

#[test]
fn every_policy_keeps_the_contract_with_sizes() {
    let requests = stream(30_000, 2_000, "lognormal:median=1000,sigma=1", 12);
    for spec in suite() {
        for capacity in [5_000, 200_000] {
            let mut policy = build(spec.name, capacity);
            drive(spec.name, policy.as_mut(), &requests, 1);
        }
    }
}

/// Filtered policies: every filter in front of a few policies of each kind.
fn filtered_suite() -> Vec<String> {
    let mut names = Vec::new();
    for filter in cachelab::policy::FILTERS {
        for policy in ["lru", "s3fifo", "wtinylfu", "arc", "random", "belady"] {
            names.push(format!("{policy}+{}", filter.name));
        }
    }
    // Short windows and intervals, so that generations and re-tunings happen.
    names.extend([
        "lru+bloom:window=0.05".into(),
        "s3fifo+adaptsize:interval=500".into(),
    ]);
    names
}

#[test]
fn every_filtered_policy_keeps_the_contract_but_may_refuse() {
    let unit = stream(30_000, 2_000, "1", 11);
    let sized = stream(30_000, 2_000, "lognormal:median=1000,sigma=1", 12);
    for name in filtered_suite() {
        for (requests, capacity) in [(&unit, 7), (&unit, 100), (&sized, 5_000), (&sized, 200_000)] {
            let run = || {
                let mut policy = build(&name, capacity);
                drive_checked(&name, policy.as_mut(), requests, 7, true)
            };
            let first = run();
            assert_eq!(first, run(), "{name}: two runs differ");
        }
    }
}

#[test]
fn every_policy_refuses_objects_larger_than_the_capacity() {
    for spec in suite() {
        let mut policy = build(spec.name, 100);
        let mut evicted = Vec::new();
        if policy.bound() == Bound::SlabPages {
            slab_pages_refuse_what_no_chunk_holds(spec.name, policy.as_mut());
            continue;
        }
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

/// A slab allocator stores what its largest chunk (512 KiB) holds, under
/// any capacity but 0 (every class gets a first page), and nothing larger.
fn slab_pages_refuse_what_no_chunk_holds(name: &str, policy: &mut dyn Policy) {
    let mut evicted = Vec::new();
    assert!(policy.insert(&Request::get(1, 101), &mut evicted), "{name}");
    assert!(
        policy.insert(&Request::get(2, 500_000), &mut evicted),
        "{name}"
    );
    assert!(
        !policy.insert(&Request::get(3, 524_288), &mut evicted),
        "{name}: stored an item larger than 512 KiB"
    );
    assert!(evicted.is_empty() && !policy.contains(3), "{name}");
    let mut empty = build(name, 0);
    assert!(
        !empty.insert(&Request::get(4, 1), &mut evicted),
        "{name}: admitted into capacity 0"
    );
}

#[test]
fn every_policy_is_deterministic() {
    let requests = stream(20_000, 1_000, "lognormal:median=1000,sigma=1", 13);
    for spec in suite() {
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
            requests
                .iter()
                .filter(|req| policy.access(req, &mut evicted))
                .count()
        };
        let optimal = hits("belady");
        // Belady bounds caches that hold at most the capacity; a slab
        // allocator's first pages hold more.
        let sized = |spec: &&PolicySpec| build(spec.name, 1).bound() == Bound::Sizes;
        for spec in suite().filter(sized) {
            let h = hits(spec.name);
            assert!(
                h <= optimal,
                "{} has {h} hits > belady's {optimal} at capacity {capacity}",
                spec.name
            );
        }
    }
}

// Every trace reader, the same contract: on any bytes, requests or an error
// that names the file, never a panic or a hang. Small valid traces of each
// format (and zstd-wrapped) are mutated byte by byte.

use cachelab::request::StreamError;
use cachelab::trace::TraceError;
use proptest::prelude::*;
use proptest::sample::Index;

/// The encodings under test, by the file name that tells the format.
const FUZZ_FORMATS: &[&str] = &[
    "t.oracleGeneral.bin",
    "t.vscsi",
    "t2.vscsi",
    "t.csv",
    "t.txt",
    "t.oracleGeneral.zst",
    "t.vscsi.zst",
    "t.csv.zst",
    "t.txt.zst",
];

/// A valid trace of `keys` in the format `name` tells (`t2.vscsi`: version 2).
fn encode(name: &str, keys: &[(u64, u32)]) -> Vec<u8> {
    let name_plain = name.strip_suffix(".zst").unwrap_or(name);
    let plain = name_plain.strip_suffix(".bin").unwrap_or(name_plain);
    let mut out = Vec::new();
    if plain == "t.csv" {
        out.extend_from_slice(b"time,key,size,op\n");
    }
    for (i, &(key, size)) in keys.iter().enumerate() {
        let next = keys[i + 1..]
            .iter()
            .position(|&(k, _)| k == key)
            .map_or(-1, |p| (i + p + 2) as i64);
        match plain {
            "t.oracleGeneral" => {
                out.extend_from_slice(&(i as u32).to_le_bytes());
                out.extend_from_slice(&key.to_le_bytes());
                out.extend_from_slice(&size.to_le_bytes());
                out.extend_from_slice(&next.to_le_bytes());
            }
            "t.vscsi" => {
                out.extend_from_slice(&(i as u32).to_le_bytes());
                out.extend_from_slice(&size.to_le_bytes());
                out.extend_from_slice(&1u32.to_le_bytes());
                out.extend_from_slice(&0x28u16.to_le_bytes());
                out.extend_from_slice(&0x0100u16.to_le_bytes());
                out.extend_from_slice(&key.to_le_bytes());
                out.extend_from_slice(&(i as u64 * 1000).to_le_bytes());
            }
            "t2.vscsi" => {
                out.extend_from_slice(&0x2au16.to_le_bytes());
                out.extend_from_slice(&0x0200u16.to_le_bytes());
                out.extend_from_slice(&(i as u32).to_le_bytes());
                out.extend_from_slice(&size.to_le_bytes());
                out.extend_from_slice(&1u32.to_le_bytes());
                out.extend_from_slice(&key.to_le_bytes());
                out.extend_from_slice(&(i as u64 * 1000).to_le_bytes());
                out.extend_from_slice(&7u64.to_le_bytes());
            }
            "t.csv" => {
                let op = ["get", "set", "delete"][i % 3];
                out.extend_from_slice(format!("{i},{key},{size},{op}\n").as_bytes());
            }
            "t.txt" => out.extend_from_slice(format!("{key}\n").as_bytes()),
            other => panic!("no encoder for {other}"),
        }
    }
    if name.ends_with(".zst") {
        ruzstd::encoding::compress_to_vec(&out[..], ruzstd::encoding::CompressionLevel::Fastest)
    } else {
        out
    }
}

/// One change to a file's bytes.
#[derive(Clone, Debug)]
enum Mutation {
    /// Flip one bit.
    Flip(Index, u8),
    /// Set one byte.
    Set(Index, u8),
    /// Cut the file at a point.
    Truncate(Index),
    /// Insert bytes at a point.
    Insert(Index, Vec<u8>),
    /// Copy a stretch of the file to another point.
    Duplicate(Index, u8, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 0u8..8).prop_map(|(i, bit)| Mutation::Flip(i, bit)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        2 => (any::<Index>(), prop::collection::vec(
            prop_oneof![Just(b'\n'), Just(b','), Just(0u8), Just(0xff), any::<u8>()], 1..40))
            .prop_map(|(i, bytes)| Mutation::Insert(i, bytes)),
        1 => (any::<Index>(), any::<u8>(), any::<Index>())
            .prop_map(|(from, len, to)| Mutation::Duplicate(from, len, to)),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let at = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len + 1) };
    match mutation {
        Mutation::Flip(i, bit) if !bytes.is_empty() => {
            let i = i.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        Mutation::Set(i, b) if !bytes.is_empty() => {
            let i = i.index(bytes.len());
            bytes[i] = *b;
        }
        Mutation::Truncate(i) => bytes.truncate(at(i, bytes.len())),
        Mutation::Insert(i, new) => {
            let i = at(i, bytes.len());
            bytes.splice(i..i, new.iter().copied());
        }
        Mutation::Duplicate(from, len, to) if !bytes.is_empty() => {
            let from = from.index(bytes.len());
            let end = (from + *len as usize).min(bytes.len());
            let piece = bytes[from..end].to_vec();
            let to = at(to, bytes.len());
            bytes.splice(to..to, piece);
        }
        _ => {}
    }
}

/// Reads `bytes` as the trace `name` and checks the contract; returns the
/// requests read, or the error's message.
fn read_mutated(dir: &std::path::Path, name: &str, bytes: &[u8]) -> Result<u64, String> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let check = |error: TraceError| -> String {
        let message = error.to_string();
        assert!(
            message.contains(path.to_str().unwrap()),
            "an error that does not name the file: {message}"
        );
        if matches!(
            error,
            TraceError::Read(StreamError::Truncated { .. } | StreamError::Malformed { .. })
        ) {
            assert!(
                message.contains("offset")
                    || message.contains("line")
                    || message.contains("header"),
                "an error that does not say where: {message}"
            );
        }
        message
    };
    // The CSV header names the columns, or (`t.csv.zst`) columns are given.
    let format = name
        .ends_with(".csv.zst")
        .then_some("csv:key=2,time=1,size=3,op=4,header=true");
    let trace = cachelab::trace::Trace::new(&path, format).map_err(check)?;
    // Belady's check of next-access fields reads the same bytes its own way.
    trace.check_next_access().map_err(check)?;
    let mut stream = trace.open().map_err(check)?;
    let mut batch = Vec::new();
    let mut requests = 0u64;
    // Each request takes at least two bytes of the decompressed file, and a
    // zstd frame of the sizes here expands at most a few hundred times.
    let most = 1_000 * (bytes.len() as u64 + 1);
    for _ in 0..=most {
        batch.clear();
        let n = stream
            .next_batch(&mut batch, 64)
            .map_err(|e| check(e.into()))?;
        assert_eq!(n, batch.len(), "next_batch counts what it appends");
        if n == 0 {
            return Ok(requests);
        }
        requests += n as u64;
        assert!(
            requests <= most,
            "{requests} requests from {} bytes",
            bytes.len()
        );
    }
    panic!("a reader of {} bytes never ends", bytes.len());
}

/// Cases of the mutation fuzzer: `CACHELAB_FUZZ_CASES`, else `default`.
fn fuzz_cases(default: u32) -> u32 {
    std::env::var("CACHELAB_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fuzz_trace_readers(cases: u32) {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let case = (
        0..FUZZ_FORMATS.len(),
        prop::collection::vec((0u64..20, 1u32..5000), 0..40),
        prop::collection::vec(mutation(), 0..6),
    );
    runner
        .run(&case, |(format, keys, mutations)| {
            let name = FUZZ_FORMATS[format];
            let mut bytes = encode(name, &keys);
            if mutations.is_empty() {
                let read = read_mutated(dir.path(), name, &bytes);
                prop_assert_eq!(read, Ok(keys.len() as u64), "{} unmutated", name);
            }
            for m in &mutations {
                apply(&mut bytes, m);
            }
            let _ = read_mutated(dir.path(), name, &bytes);
            Ok(())
        })
        .unwrap();
}

#[test]
fn every_trace_reader_survives_mutated_bytes() {
    fuzz_trace_readers(fuzz_cases(400));
}

/// Thousands of cases, on demand: `cargo test --release --test it conformance::
/// -- --ignored` (or set `CACHELAB_FUZZ_CASES`).
#[test]
#[ignore]
fn every_trace_reader_survives_many_mutated_bytes() {
    fuzz_trace_readers(fuzz_cases(20_000));
}
