//! `cachelab mrc --sample` and `--sample-keys` (SHARDS and miniature caches)
//! on the shared trace: a sample of every key equals the exact curve, miss
//! for miss; a 10% sample lands near it for every policy; the CSV and the
//! plot say they are sampled; bad flags are refused by name.

use std::collections::HashMap;
use std::path::Path;

use crate::common::{self, cachelab};

const POLICIES: &str = "lru,fifo,clock,sieve,s3fifo,arc";

fn trace() -> String {
    common::traces_dir()
        .join("cloudPhysicsIO.oracleGeneral.bin")
        .to_string_lossy()
        .into_owned()
}

/// Runs `mrc` on the shared trace at 20 sizes from 1% to 100% with `extra`
/// flags, and returns its CSV as (headers, rows).
fn curve(out: &Path, extra: &[&str]) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let trace = trace();
    let mut args = vec![
        "mrc",
        "--trace",
        &trace,
        "--policy",
        POLICIES,
        "--points",
        "20",
        "--min",
        "1%",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = cachelab(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut reader = csv::Reader::from_path(out.join("mrc.csv")).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect();
    (headers, rows)
}

fn key(row: &HashMap<String, String>) -> (String, String) {
    (row["policy"].clone(), row["cache_size"].clone())
}

#[test]
fn sampling_every_key_equals_the_exact_curve_and_a_tenth_lands_near_it() {
    let dir = tempfile::tempdir().unwrap();
    let (exact_headers, exact) = curve(&dir.path().join("exact"), &[]);
    assert!(!exact_headers.contains(&"sample_rate".to_string()));
    let by_cell: HashMap<_, _> = exact.iter().map(|r| (key(r), r)).collect();

    // R = 1: every miniature is the full cache and R · N = N, so each row
    // is the exact one, misses and ratios alike.
    let (_, all) = curve(&dir.path().join("all"), &["--sample", "100%"]);
    assert_eq!(all.len(), exact.len());
    for row in &all {
        let exact = by_cell[&key(row)];
        for column in ["requests", "misses", "miss_ratio", "byte_miss_ratio"] {
            assert_eq!(row[column], exact[column], "{column} of {:?}", key(row));
        }
        assert_eq!(row["sampled_requests"], exact["requests"]);
        assert_eq!(row["sample_rate"].parse::<f64>().unwrap(), 1.0);
    }

    // R = 10%: 12,323 of 113,872 requests. The mean absolute error per
    // policy was 0.004-0.013 when this test was written (one sample of a
    // small trace, so it is the sample's own luck more than the method's);
    // without the SHARDS-adj correction it would be about 0.06 higher at
    // every size, and without scaling the cache far more.
    let (headers, tenth) = curve(&dir.path().join("tenth"), &["--sample", "0.1"]);
    for column in [
        "sampling",
        "sample_rate",
        "sampled_requests",
        "sampled_misses",
    ] {
        assert!(headers.contains(&column.to_string()), "{column}");
    }
    for policy in POLICIES.split(',') {
        let errors: Vec<f64> = tenth
            .iter()
            .filter(|r| r["policy"] == policy)
            .map(|r| {
                let exact: f64 = by_cell[&key(r)]["miss_ratio"].parse().unwrap();
                (r["miss_ratio"].parse::<f64>().unwrap() - exact).abs()
            })
            .collect();
        assert_eq!(errors.len(), 20, "{policy}");
        let mean = errors.iter().sum::<f64>() / errors.len() as f64;
        assert!(mean < 0.025, "{policy}: mean absolute error {mean:.4}");
    }
    let row = &tenth[0];
    assert_eq!(row["sampling"], "rate");
    assert_eq!(row["sample_rate"].parse::<f64>().unwrap(), 0.1);
    let sampled: f64 = row["sampled_requests"].parse().unwrap();
    assert!(
        (0.08..0.12).contains(&(sampled / 113_872.0)),
        "{sampled} sampled requests"
    );
    let svg = std::fs::read_to_string(dir.path().join("tenth/mrc.svg")).unwrap();
    assert!(
        svg.contains("sampled: 10% of keys (SHARDS)"),
        "the plot says so"
    );
}

#[test]
fn a_fixed_size_sample_holds_at_most_that_many_keys_and_is_thread_count_free() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    let trace = trace();
    let run = |out: &Path, jobs: &str| {
        let output = cachelab(&[
            "mrc",
            "--trace",
            &trace,
            "--policy",
            POLICIES,
            "--points",
            "12",
            "--min",
            "2%",
            "--sample-keys",
            "2000",
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
        std::fs::read(out.join("mrc.csv")).unwrap()
    };
    let two = dir.path().join("two");
    assert_eq!(
        run(&one, "1"),
        run(&two, "2"),
        "same bytes whatever the thread count"
    );
    let mut reader = csv::Reader::from_path(one.join("mrc.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let record = reader.records().next().unwrap().unwrap();
    assert_eq!(&record[at("sampling")], "keys");
    // With no miss-free cache, the largest size's misses on the sample are
    // its compulsory misses: one per sampled key, so at most 2000.
    let rate: f64 = record[at("sample_rate")].parse().unwrap();
    assert!(rate > 0.0 && rate < 0.1, "rate {rate}");
    let last = csv::Reader::from_path(one.join("mrc.csv"))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[0] == "lru")
        .last()
        .unwrap();
    let compulsory: u64 = last[at("sampled_misses")].parse().unwrap();
    assert!(
        (1900..=2000).contains(&compulsory),
        "{compulsory} distinct sampled keys"
    );
}

#[test]
fn bad_sampling_flags_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let trace = trace();
    let out = dir.path().join("out");
    for (flags, says) in [
        (&["--sample", "0"][..], "--sample 0: give the share of keys"),
        (&["--sample", "1.5"], "--sample 1.5: give the share"),
        (&["--sample", "abc"], "--sample abc"),
        (&["--sample", "NaN"], "--sample NaN"),
        (&["--sample-keys", "0"], "--sample-keys 0"),
        (
            &["--sample", "1%", "--sample-keys", "10"],
            "--sample and --sample-keys: give one or the other",
        ),
        (
            &["--sample", "0.0001", "--size", "1000"],
            "sampled at rate 0.0001 is a miniature of under",
        ),
        (&["--points", "0"], "--points 0: must be from 1 to"),
        (&["--min", "lots"], "--min lots:"),
        (
            &["--min", "50%", "--max", "10%"],
            "--min 50% is above --max 10%",
        ),
    ] {
        let mut args = vec!["mrc", "--trace", &trace, "--out", out.to_str().unwrap()];
        args.extend_from_slice(flags);
        let output = cachelab(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{flags:?} was accepted");
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{flags:?}: {stderr}");
    }
    assert!(!out.join("mrc.csv").exists(), "nothing written");
}

#[test]
fn a_slab_policy_is_refused_a_miniature() {
    // Its 1 MiB pages do not shrink with the sample: a miniature would hold
    // every sampled key in its first pages.
    let output = cachelab(&[
        "mrc",
        "--trace",
        &trace(),
        "--policy",
        "lru,memcached_slabs",
        "--sample",
        "0.1",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("policy `memcached_slabs` cannot be sampled"),
        "{stderr}"
    );
}
