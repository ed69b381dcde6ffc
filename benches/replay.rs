//! End-to-end replay speed and memory per cached object, the numbers the
//! policy library is held to: a 10-million-request Zipf(1.0) stream over 10^6
//! keys, read from an oracleGeneral file, cache at 10% of the distinct
//! objects, one thread, reading included. Also the one-pass LRU miss-ratio
//! curve over 100 sizes against one LRU replay, and a few policies behind
//! admission filters (`lru+bloom`, ...).
//!
//! `cargo bench --bench replay [-- policy ...]`. The trace is generated once
//! into `target/bench-data/`.

// allow-unwrap-in-tests does not reach benches; a bench that cannot set up should stop loudly.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Instant;

use cachelab::mrc::Sampling;
use cachelab::policy::{Bound, POLICIES, PolicyChoice};
use cachelab::replay::{Cell, Replay, Source, StreamOptions, log_spaced, profile};
use cachelab::request::{RequestStream, annotate_next_access};
use cachelab::seed::Seed;
use cachelab::trace::{Trace, write_oracle_general};
use cachelab::workload::{SizeLaw, Workload};

#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// Admission filters on the policies they are measured on, after the registry.
const FILTERED: [&str; 4] = ["lru+bloom", "lru+size", "lru+adaptsize", "s3fifo+bloom"];

const KEYS: u64 = 1_000_000;
const REQUESTS: u64 = 10_000_000;

fn trace_file() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let path = dir.join("zipf1.0-1e6keys-1e7req.oracleGeneral.bin");
    if !path.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        eprintln!("generating {}", path.display());
        let workload = Workload::parse(
            &format!("zipf:alpha=1.0,keys={KEYS},requests={REQUESTS}"),
            SizeLaw::Fixed(1),
        )
        .unwrap();
        let mut requests = Vec::with_capacity(REQUESTS as usize);
        let mut stream = workload.stream(Seed(1));
        while stream.next_batch(&mut requests, 1 << 16).unwrap() > 0 {}
        for (i, r) in requests.iter_mut().enumerate() {
            r.time_ns = i as u64 * 100_000; // 10 000 requests per second
        }
        annotate_next_access(&mut requests);
        write_oracle_general(&path, &requests).unwrap();
    }
    path
}

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let source = Source::Trace(Trace::new(&trace_file(), None).unwrap());
    let options = StreamOptions::default();
    let objects = profile(&source, &options, false).unwrap().objects;
    let capacity = objects / 10;
    let replay = Replay {
        source: &source,
        options: &options,
        next_access: None,
        seed: Seed(1),
    };
    println!("{REQUESTS} requests, {objects} distinct objects, cache {capacity} objects (10%)");
    println!(
        "{:<18} {:>10} {:>11} {:>13} {:>11}",
        "policy", "miss ratio", "M req/s", "bytes/object", "peak/object"
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let names = POLICIES.iter().map(|s| s.name).chain(FILTERED);
    for name in names.filter(|n| wanted.is_empty() || wanted.iter().any(|w| w == n)) {
        let policy = PolicyChoice::parse(name).unwrap();
        // A slab allocator's capacity is `-m` bytes: the same 10% of the
        // objects in 96-byte chunks (a 1-byte value under a short key).
        let paged = policy.build(1, Seed(1)).bound() == Bound::SlabPages;
        let cell = Cell {
            policy,
            capacity: if paged { capacity * 96 } else { capacity },
        };
        // Best of three runs, one thread.
        let runs = if name == "crate_moka" { 1 } else { 3 };
        let results: Vec<_> = (0..runs)
            .map(|_| pool.install(|| replay.run_cell(&cell, 1)).unwrap())
            .collect();
        let best = results
            .iter()
            .filter_map(|r| r.throughput_rps)
            .fold(0.0, f64::max);
        // Memory: live heap held by the policy once the stream has passed,
        // and the peak on the way (growth reallocations included).
        let before = counting::live();
        counting::reset_peak();
        let mut policy = cell.policy.build(cell.capacity, Seed(1));
        let mut stream = source.open().unwrap();
        let mut batch = Vec::with_capacity(4096);
        let mut evicted = Vec::new();
        let mut seen = 0;
        while seen < 2_000_000 && stream.next_batch(&mut batch, 4096).unwrap() > 0 {
            for req in &batch {
                if !policy.get(req) {
                    policy.insert(req, &mut evicted);
                    evicted.clear();
                }
            }
            seen += batch.len();
            batch.clear();
        }
        drop(stream);
        let held = counting::live().saturating_sub(before);
        let objects_held = policy.len().max(1) as f64;
        let peak = counting::peak().saturating_sub(before) as f64 / objects_held;
        println!(
            "{:<18} {:>10.4} {:>11.2} {:>13.1} {:>11.1}",
            name,
            results[0].miss_ratio.unwrap_or(f64::NAN),
            best / 1e6,
            held as f64 / objects_held,
            peak
        );
    }
    if wanted.is_empty() || wanted.iter().any(|w| w == "mrc") {
        let sizes = log_spaced(objects / 1000, objects, 100);
        let started = Instant::now();
        let curve = pool.install(|| replay.lru_curve(&sizes)).unwrap();
        let curve_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let one = pool
            .install(|| {
                replay.run_cell(
                    &Cell {
                        policy: PolicyChoice::parse("lru").unwrap(),
                        capacity,
                    },
                    1,
                )
            })
            .unwrap();
        let one_seconds = started.elapsed().as_secs_f64();
        println!(
            "LRU miss-ratio curve over {} sizes: {curve_seconds:.2} s; one LRU replay: {one_seconds:.2} s (miss ratio {:.4})",
            curve.len(),
            one.miss_ratio.unwrap_or(f64::NAN)
        );
        // Issue 12's bar: 100 sizes x 6 policies from a 1% spatial sample in
        // at most twice the time of one full LRU replay, one thread.
        let policies: Vec<PolicyChoice> = ["lru", "fifo", "clock", "sieve", "s3fifo", "arc"]
            .iter()
            .map(|p| PolicyChoice::parse(p).unwrap())
            .collect();
        let sampling = Sampling::Rate(0.01);
        let started = Instant::now();
        let sampled = pool
            .install(|| {
                let sample = replay.resolve_sample(sampling)?;
                replay.sampled_curves(&policies, &sizes, sample, sampling, &|_| {})
            })
            .unwrap();
        let sampled_seconds = started.elapsed().as_secs_f64();
        println!(
            "sampled (1%) curves, {} sizes x {} policies: {sampled_seconds:.2} s = {:.2} LRU replays",
            sizes.len(),
            policies.len(),
            sampled_seconds / one_seconds
        );
        assert_eq!(sampled.len(), sizes.len() * policies.len());
    }
}
