//! `cachelab analyze` speed and memory per object: the pass over a
//! 10-million-request Zipf(1.0) oracleGeneral trace of 10^6 keys (the
//! replay bench's file), one thread, reading included; then the whole
//! analysis (the pass, the Zipf fit and the fitted workload's check); then
//! the fit check alone and its stream's draws alone.
//!
//! `cargo bench --bench analyze`. The trace is generated once into
//! `target/bench-data/`.

// allow-unwrap-in-tests does not reach benches; a bench that cannot set up should stop loudly.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Instant;

use cachelab::analyze::{self, Options, pass_over};
use cachelab::request::{RequestStream, annotate_next_access};
use cachelab::seed::Seed;
use cachelab::trace::{Trace, write_oracle_general};
use cachelab::workload::{SizeLaw, Workload};

#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

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
            r.time_ns = i as u64 * 100_000;
        }
        annotate_next_access(&mut requests);
        write_oracle_general(&path, &requests).unwrap();
    }
    path
}

/// Nanoseconds this thread has run on a CPU (Linux schedstat), so the
/// rate can be given per CPU second as well as per wall second on a busy
/// machine; `None` where the file is missing.
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn main() {
    let trace = Trace::new(&trace_file(), None).unwrap();
    let (mut best, mut best_cpu) = (0.0f64, 0.0f64);
    let mut per_object = (0.0, 0.0);
    for _ in 0..3 {
        let before = counting::live();
        counting::reset_peak();
        let started = Instant::now();
        let cpu_before = cpu_ns();
        let pass = pass_over(trace.records().unwrap().as_mut()).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        if let (Some(a), Some(b)) = (cpu_before, cpu_ns()) {
            best_cpu = best_cpu.max(pass.requests() as f64 / ((b - a) as f64 / 1e9));
        }
        let objects = pass.objects() as f64;
        best = best.max(pass.requests() as f64 / seconds);
        per_object = (
            counting::live().saturating_sub(before) as f64 / objects,
            counting::peak().saturating_sub(before) as f64 / objects,
        );
    }
    println!(
        "analyze pass: {REQUESTS} requests, best of 3: {:.2} M requests/s ({:.2} M per CPU second); heap per object: {:.1} bytes held, {:.1} at peak",
        best / 1e6,
        best_cpu / 1e6,
        per_object.0,
        per_object.1
    );
    let started = Instant::now();
    let report = analyze::analyze(&trace, &Options::default()).unwrap();
    let a = &report.analysis;
    println!(
        "whole analysis: {:.2} s (pass {:.2} s); alpha {:.4}, fit check mean |difference| {:.4}",
        started.elapsed().as_secs_f64(),
        report.pass_seconds,
        a.zipf.map_or(f64::NAN, |z| z.alpha),
        a.fit_check
            .as_ref()
            .map_or(f64::NAN, |c| c.mean_abs_difference)
    );
    // The fit check alone, and the fitted stream's draws alone: what the
    // check's LRU stack costs is the difference.
    let fitted = a.workload.as_ref().unwrap();
    let started = Instant::now();
    analyze::fit::check(&report.pass, fitted, &Options::default()).unwrap();
    let check = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut stream = fitted.workload().unwrap().stream(Seed(1));
    let (mut batch, mut drawn, mut checksum) = (Vec::with_capacity(8192), 0u64, 0u64);
    while stream.next_batch(&mut batch, 8192).unwrap() > 0 {
        drawn += batch.len() as u64;
        checksum = batch.drain(..).fold(checksum, |c, r| c ^ r.key);
    }
    println!(
        "fit check: {check:.2} s, of which drawing its {drawn} requests {:.2} s (checksum {checksum})",
        started.elapsed().as_secs_f64()
    );
}
