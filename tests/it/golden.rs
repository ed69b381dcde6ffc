//! Golden miss counts: every policy on the shared trace and on a seeded Zipf
//! stream, as one table (`tests/golden/misses.csv`). Any change in a policy's
//! behaviour shows up here. After a deliberate change, re-bless with
//! `CACHELAB_BLESS=1 cargo test --release --test it golden::` and explain the
//! change in the commit.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use cachelab::policy::{POLICIES, PolicyChoice};
use cachelab::replay::{CacheSize, Cell, Replay, Source, StreamOptions, profile};
use cachelab::seed::Seed;
use cachelab::trace::Trace;
use cachelab::workload::{SizeLaw, Workload};

/// (policy, stream, cache size).
pub(crate) type Key = (String, String, u64);

/// Policies behind admission filters, measured with the registry's.
const FILTERED: [&str; 4] = [
    "lru+bloom",
    "lru+size:c=65536",
    "lru+adaptsize",
    "s3fifo+bloom",
];

fn table_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/misses.csv")
}

fn streams() -> Vec<(&'static str, Source, StreamOptions, Vec<CacheSize>)> {
    let trace = Source::Trace(
        Trace::new(
            &common::traces_dir().join("cloudPhysicsIO.oracleGeneral.bin"),
            None,
        )
        .unwrap(),
    );
    let zipf = Source::Workload {
        workload: Workload::parse(
            "zipf:alpha=1.0,keys=10000,requests=200000",
            SizeLaw::parse("lognormal:median=1KiB,sigma=1").unwrap(),
        )
        .unwrap(),
        seed: Seed(2024),
    };
    let fractions = vec![CacheSize::Fraction(0.01), CacheSize::Fraction(0.1)];
    let objects = StreamOptions {
        ignore_size: true,
        ..StreamOptions::default()
    };
    let timed = StreamOptions {
        rate: Some(1000.0),
        ..StreamOptions::default()
    };
    vec![
        (
            "cloudPhysicsIO-bytes",
            trace.clone(),
            StreamOptions::default(),
            fractions.clone(),
        ),
        ("cloudPhysicsIO-objects", trace, objects, fractions.clone()),
        ("zipf1.0-bytes", zipf, timed, fractions),
    ]
}

fn measure() -> BTreeMap<Key, u64> {
    let mut table = BTreeMap::new();
    for (name, source, options, sizes) in streams() {
        let profile = profile(&source, &options, true).unwrap();
        let replay = Replay {
            source: &source,
            options: &options,
            next_access: profile.next_access.as_deref(),
            seed: Seed(1),
        };
        let names = POLICIES.iter().map(|spec| spec.name).chain(FILTERED);
        let cells: Vec<Cell> = names
            .flat_map(|name| {
                sizes.iter().map(move |s| Cell {
                    policy: PolicyChoice::parse(name).unwrap(),
                    capacity: s.resolve(profile.working_set, options.ignore_size).unwrap(),
                })
            })
            .collect();
        for result in replay.run_cells(&cells, 1, &|_| {}).unwrap() {
            table.insert(
                (result.policy, name.to_string(), result.cache_size),
                result.misses,
            );
        }
    }
    table
}

/// The golden table as stored: misses by (policy, stream, cache size).
pub(crate) fn read_table() -> BTreeMap<Key, u64> {
    let Ok(mut reader) = csv::Reader::from_path(table_path()) else {
        return BTreeMap::new();
    };
    reader
        .deserialize::<(String, String, u64, u64)>()
        .map(|row| {
            let (policy, stream, size, misses) = row.unwrap();
            ((policy, stream, size), misses)
        })
        .collect()
}

#[test]
fn miss_counts_match_the_golden_table() {
    let measured = measure();
    if std::env::var_os("CACHELAB_BLESS").is_some() {
        let mut writer = csv::Writer::from_path(table_path()).unwrap();
        writer
            .write_record(["policy", "stream", "cache_size", "misses"])
            .unwrap();
        for ((policy, stream, size), misses) in &measured {
            writer.serialize((policy, stream, size, misses)).unwrap();
        }
        writer.flush().unwrap();
        return;
    }
    let golden = read_table();
    let mut problems = Vec::new();
    for (key, misses) in &measured {
        match golden.get(key) {
            None => problems.push(format!("{key:?}: no golden row (measured {misses})")),
            Some(expected) if expected != misses => {
                problems.push(format!("{key:?}: {misses} misses, golden {expected}"));
            }
            Some(_) => {}
        }
    }
    for key in golden.keys().filter(|k| !measured.contains_key(*k)) {
        problems.push(format!(
            "{key:?}: golden row for a policy or size no longer measured"
        ));
    }
    assert!(
        problems.is_empty(),
        "golden miss counts differ (re-bless with CACHELAB_BLESS=1 if intended):\n{}",
        problems.join("\n")
    );
}
