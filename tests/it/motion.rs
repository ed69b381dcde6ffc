//! Popularity that moves (drift, flash crowds, YCSB's latest with inserts
//! and churn) and the YCSB presets, each against a consequence known in
//! advance: a rotating hot set favours LRU over in-cache LFU, more so as it
//! rotates faster; a crowd takes its share and dents the hit ratio when it
//! arrives; the newest keys are the most requested; a deleted key is never
//! asked for again; a preset's measured mix is the published one.

use std::collections::HashMap;

use crate::common::{self, run_scenario as run};

use cachelab::request::Op;
use cachelab::scenario;
use cachelab::seed::Seed;
use cachelab::workload::{FlashCrowd, Motion, Popularity, SizeLaw, Workload, scramble};

/// Hit ratio of `policy` with room for `capacity` objects on `spec`, after
/// the first quarter of the stream.
fn hit_ratio(policy: &str, capacity: u64, spec: &str) -> f64 {
    let requests = common::requests(spec, "1", 1);
    let warmup = requests.len() / 4;
    common::hits(policy, capacity, &requests, warmup) as f64 / (requests.len() - warmup) as f64
}

#[test]
fn a_rotating_hot_set_makes_lru_beat_in_cache_lfu_more_as_it_rotates_faster() {
    // In-cache LFU keeps the keys that were hot before a rotation (their
    // counts are high) while the new hot keys start at 1 and are evicted
    // first, so it recovers only slowly; LRU forgets the old hot set within
    // one cache turnover. Without drift LFU beats LRU on Zipf; the first
    // rotation at 250 000 requests leaves LFU behind for the last 150 000 of
    // the 300 000 measured, one at 150 000 for the last 250 000, and one
    // every 20 000 for nearly all: LRU − LFU grows as the period shrinks.
    // 100 000 keys, so 19 rotations of 2000 never bring the old hot set back.
    let base = "zipf:alpha=0.9,keys=100000,requests=400000";
    let gap = |drift: &str| {
        let spec = format!("{base}{drift}");
        let (lru, lfu) = (hit_ratio("lru", 1000, &spec), hit_ratio("lfu", 1000, &spec));
        eprintln!("{drift:>30}: lru {lru:.4} lfu {lfu:.4}");
        lru - lfu
    };
    let gaps = [
        gap(""),
        gap(",period=250000,shift=2000"),
        gap(",period=150000,shift=2000"),
        gap(",period=20000,shift=2000"),
    ];
    assert!(
        gaps[0] < 0.0,
        "stationary: LFU should win, LRU − LFU = {:.4}",
        gaps[0]
    );
    assert!(
        gaps[3] > 0.0,
        "fast rotation: LRU should win, LRU − LFU = {:.4}",
        gaps[3]
    );
    assert!(
        gaps.windows(2).all(|w| w[0] < w[1]),
        "LRU − LFU should grow as the period shrinks (none, 250k, 150k, 20k): {gaps:.4?}"
    );
}

#[test]
fn a_replacement_drift_costs_hits_in_proportion_to_its_share() {
    // Each period a share of the ranks gets keys never seen: LRU's hit
    // ratio falls as the share grows.
    let base = "zipf:alpha=0.9,keys=20000,requests=400000,period=20000";
    let ratios: Vec<f64> = [0.05, 0.2, 0.8]
        .iter()
        .map(|r| hit_ratio("lru", 1000, &format!("{base},replace={r}")))
        .collect();
    eprintln!("replace 0.05, 0.2, 0.8: {ratios:?}");
    assert!(ratios[0] > ratios[1] && ratios[1] > ratios[2], "{ratios:?}");
}

#[test]
fn crowd_keys_get_their_share_while_the_crowd_lasts() {
    let keys = 10_000;
    let crowd = FlashCrowd {
        at: 1_000_000,
        length: 1_000_000,
        keys: 50,
        share: 0.3,
    };
    let workload = Workload {
        motion: Motion {
            drift: None,
            crowds: vec![crowd],
        },
        ..Workload::still(
            Popularity::Zipf { alpha: 0.99, keys },
            SizeLaw::Fixed(1),
            u64::MAX,
        )
    };
    // The crowd keys are the 50 coldest ranks.
    let crowd_keys: Vec<u64> = (keys - 49..=keys).map(scramble).collect();
    let mut stream = workload.stream(Seed(11));
    let n = 100_000u64;
    let mut count = |from: u64| {
        (0..n)
            .filter(|i| crowd_keys.contains(&stream.key_at(from + i * 10)))
            .count() as f64
    };
    let (before, during, after) = (count(0), count(1_000_000), count(2_000_000));
    // The base law alone sends about 50 / H(10000, 0.99) / 10000^0.99 ≈ 5e-4
    // of requests to these keys; the crowd adds 0.3 (binomial sd 0.0015).
    let share = during / n as f64;
    assert!(
        (share - 0.3).abs() < 4.0 * (0.3f64 * 0.7 / n as f64).sqrt() + 1e-3,
        "{share}"
    );
    assert!(
        before / (n as f64) < 0.002 && after / (n as f64) < 0.002,
        "{before} {after}"
    );
}

const CROWD: &str = r#"
    duration = "40s"
    interval = "500ms"
    [workload]
    alpha = 0.9
    keys = 100000
    object_size = "1KiB"
    [[workload.flash_crowds]]
    at = "20s"
    length = "10s"
    keys = 5000
    share = 0.5
    [clients]
    rate = 10000
    [nodes]
    count = 2
    capacity = "10MiB"
"#;

#[test]
fn a_flash_crowd_dents_the_hit_ratio_when_it_arrives_and_it_recovers() {
    let out = run(CROWD, &[]);
    let hr = |from, to| common::mean_between(&out.series, from, to, |r| r.hit_ratio.unwrap());
    let before = hr(15.0, 20.0);
    let arrival = hr(20.0, 20.5);
    let late = hr(27.0, 30.0);
    eprintln!(
        "hit ratio before {before:.4}, first 0.5 s of the crowd {arrival:.4}, its last 3 s {late:.4}"
    );
    // 5000 crowd keys missed once each within the first interval, at
    // 5000 crowd requests per second.
    assert!(arrival < before - 0.1, "no dip: {before:.4} → {arrival:.4}");
    // Cached, the crowd keys are hotter than any: the ratio comes back
    // above where it was.
    assert!(late > before, "no recovery: {before:.4} → {late:.4}");
}

/// The key index of each key of a `latest` stream (initial keys 1..=keys,
/// then one per insert, in order), and the reads with their recency rank.
fn recency_ranks(spec: &str, keys: u64) -> (Vec<u64>, u64) {
    let requests = common::requests(spec, "1", 5);
    let mut index: HashMap<u64, u64> = (1..=keys).map(|i| (scramble(i), i)).collect();
    let mut created = keys;
    let mut ranks = Vec::new();
    for r in &requests {
        if r.op == Op::Set {
            created += 1;
            assert_eq!(r.key, scramble(created), "inserts create keys in order");
            index.insert(r.key, created);
        } else {
            ranks.push(created - index[&r.key] + 1);
        }
    }
    (ranks, created - keys)
}

#[test]
fn under_latest_the_newest_keys_are_the_most_requested() {
    let (ranks, inserts) = recency_ranks(
        "latest:alpha=0.99,keys=1000,requests=200000,insert=0.05",
        1000,
    );
    let reads = ranks.len() as f64;
    assert!(
        (inserts as f64 / 200_000.0 - 0.05).abs() < 0.002,
        "{inserts}"
    );
    let mut by_rank = [0u64; 101];
    for &r in ranks.iter().filter(|&&r| r <= 100) {
        by_rank[r as usize] += 1;
    }
    // Rank-frequency by age falls as a power of the rank: a least-squares
    // fit of log count on log rank over ranks 1..=100 gives −alpha.
    let points: Vec<(f64, f64)> = (1..=100)
        .map(|r| ((r as f64).ln(), (by_rank[r] as f64).ln()))
        .collect();
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / 100.0, b + y / 100.0));
    let slope = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum::<f64>()
        / points.iter().map(|(x, _)| (x - mx).powi(2)).sum::<f64>();
    eprintln!(
        "rank 1 share {:.4}, fitted slope {slope:.3}",
        by_rank[1] as f64 / reads
    );
    assert!(by_rank[1] > by_rank[2] && by_rank[2] > by_rank[10] && by_rank[10] > by_rank[100]);
    assert!((slope + 0.99).abs() < 0.08, "slope {slope:.3}");
}

#[test]
fn with_churn_deleted_keys_are_never_requested_again() {
    let keys = 500;
    let (ranks, inserts) = recency_ranks(
        "latest:alpha=0.5,keys=500,requests=100000,insert=0.1,churn=true",
        keys,
    );
    assert!(inserts > 9_000, "{inserts}");
    // Only the newest `keys` keys exist: no read reaches further back.
    let deepest = ranks.iter().max().copied().unwrap_or(0);
    assert!(deepest <= keys, "a read of the {deepest}-th newest key");
    // Without churn the same stream reads keys long deleted above.
    let (ranks, _) = recency_ranks("latest:alpha=0.5,keys=500,requests=100000,insert=0.1", keys);
    assert!(ranks.iter().any(|&r| r > keys));
}

/// A YCSB preset's scenario, 20 s at 5000 requests/s, with `extra` lines in
/// `[workload]`.
fn ycsb(preset: &str, extra: &str) -> String {
    format!(
        r#"
        duration = "20s"
        [workload]
        preset = "{preset}"
        {extra}
        [clients]
        rate = 5000
        [nodes]
        count = 2
        capacity = "200KiB"
        "#
    )
}

#[test]
fn preset_mixes_are_the_published_ones() {
    // Share of writes among the requests: updates (A, B), inserts (D), and
    // for F the set of each read-modify-write, so 0.5 / 1.5 of requests.
    for (preset, writes) in [
        ("ycsb-a", 0.5),
        ("ycsb-b", 0.05),
        ("ycsb-c", 0.0),
        ("ycsb-d", 0.05),
        ("ycsb-f", 1.0 / 3.0),
    ] {
        let s = run(&ycsb(preset, ""), &[]).summary;
        let n = (s.gets + s.consistency.writes) as f64;
        let measured = s.consistency.writes as f64 / n;
        let band = 4.0 * (writes * (1.0 - writes) / n).sqrt() + 1e-9;
        eprintln!("{preset}: writes {measured:.4} of {n} (published {writes:.4} ± {band:.4})");
        assert!(
            (measured - writes).abs() <= band,
            "{preset}: {measured} vs {writes}"
        );
    }
}

#[test]
fn preset_fields_given_in_the_file_win() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, ycsb("ycsb-b", "keys = 5000\nget = 1.0")).unwrap();
    let plan = scenario::load(&path, &[], None).unwrap();
    let w = &plan.runs[0].file.workload;
    assert_eq!((w.keys, w.get, w.set, w.alpha), (5000, 1.0, 0.0, 0.99));
    assert_eq!(w.object_size, "1000B");
}

#[test]
fn refusals_name_the_field_the_value_and_what_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    for (text, wanted) in [
        (ycsb("ycsb-z", ""), "ycsb-z"),
        (
            "[workload]\ninsert = 0.1\nget = 0.9\n[[workload.flash_crowds]]\nat = \"1s\"\nlength = \"1s\"\nkeys = 1\nshare = 0.5\n".to_string(),
            "workload.insert = 0.1",
        ),
        (
            "[workload]\nchurn = true\n".to_string(),
            "workload.churn",
        ),
        (
            "[workload]\npopularity = \"latest\"\ndrift = { period = \"1s\", shift = 5 }\n"
                .to_string(),
            "workload.drift",
        ),
        (
            "[workload]\ndrift = { period = \"1s\" }\n".to_string(),
            "exactly one of",
        ),
        (
            "[workload]\nkeys = 10\ndrift = { period = \"1s\", shift = 10 }\n".to_string(),
            "workload.drift.shift = 10",
        ),
        (
            "[workload]\nkeys = 10\n[[workload.flash_crowds]]\nat = \"1s\"\nlength = \"1s\"\nkeys = 11\nshare = 0.5\n"
                .to_string(),
            "workload.flash_crowds[0].keys = 11",
        ),
        (
            "[[workload.flash_crowds]]\nat = \"5s\"\nlength = \"2s\"\nkeys = 1\nshare = 0.5\n[[workload.flash_crowds]]\nat = \"6s\"\nlength = \"1s\"\nkeys = 1\nshare = 0.5\n"
                .to_string(),
            "workload.flash_crowds[1].at",
        ),
    ] {
        std::fs::write(&path, &text).unwrap();
        let e = scenario::load(&path, &[], None).unwrap_err().to_string();
        assert!(e.contains(wanted), "{text}\n→ {e}");
    }
}

#[test]
fn moving_runs_are_deterministic() {
    let text = format!("{CROWD}\n[workload.drift]\nperiod = \"5s\"\nreplace = 0.2\n")
        .replace("[workload]", "[workload]\nget = 0.8\nset = 0.2");
    let a = serde_json::to_string(&run(&text, &[]).summary).unwrap();
    let b = serde_json::to_string(&run(&text, &[]).summary).unwrap();
    assert_eq!(a, b);
    let c = serde_json::to_string(&run(&text, &["seed=7"]).summary).unwrap();
    assert_ne!(a, c);
}

#[test]
fn a_shift_in_the_cluster_follows_simulated_time() {
    // Every 10 s the hottest 2000 keys turn cold: the hit ratio drops in
    // the interval after each shift and climbs back before the next.
    let text = r#"
        duration = "30s"
        [workload]
        alpha = 1.0
        keys = 100000
        object_size = "1KiB"
        drift = { period = "10s", shift = 2000 }
        [clients]
        rate = 10000
        [nodes]
        count = 2
        capacity = "4MiB"
    "#;
    let out = run(text, &[]);
    let hr = |from, to| common::mean_between(&out.series, from, to, |r| r.hit_ratio.unwrap());
    for at in [10.0, 20.0] {
        let (before, after) = (hr(at - 3.0, at), hr(at, at + 1.0));
        eprintln!("shift at {at} s: {before:.4} → {after:.4}");
        assert!(
            after < before - 0.05,
            "no drop at {at} s: {before:.4} → {after:.4}"
        );
    }
}
