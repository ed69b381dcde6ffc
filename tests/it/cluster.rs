//! The cluster simulator against queueing theory, cache theory, the replay
//! engine, and itself (determinism).

use crate::common::{self, run_scenario as run};

use cachelab::replay::{Cell, Replay, Source, StreamOptions};
use cachelab::seed::Seed;
use cachelab::theory::{che_lru_hit_ratio, erlang_c_mean_response, zipf_probabilities};
use cachelab::workload::{SizeLaw, Workload};

#[test]
fn database_alone_is_an_mmc_queue() {
    // No cache, Poisson arrivals, exponential service, no network delay: the
    // mean response time is Erlang C's.
    for (rho, duration) in [(0.5, "200s"), (0.9, "300s")] {
        let (c, mean_ms) = (16u32, 2.0);
        let rate = rho * f64::from(c) * 1e3 / mean_ms;
        let toml = format!(
            r#"
            duration = "{duration}"
            warmup = "10s"
            [workload]
            keys = 1000
            [clients]
            rate = {rate}
            [cache]
            pattern = "none"
            [database]
            connections = {c}
            service_time = "exp:mean={mean_ms}ms"
            latency = "0s"
            "#
        );
        let out = run(&toml, &[]);
        let simulated = out.summary.latency_all.mean_ns.unwrap() / 1e9;
        let theory = erlang_c_mean_response(rate, 1e3 / mean_ms, c).unwrap();
        assert!(
            (simulated / theory - 1.0).abs() < 0.02,
            "ρ {rho}: simulated mean response {simulated:.6} s, Erlang C {theory:.6} s"
        );
        assert!(
            (out.summary.db_utilisation - rho).abs() < 0.01,
            "utilisation {}",
            out.summary.db_utilisation
        );
        assert_eq!(out.summary.hits, 0);
    }
}

/// One user, no think time, fixed delays: requests reach the node in the
/// order they are issued, fills included, so the node sees the replay stream.
pub(crate) const SERIAL: &str = r#"
    duration = "30s"
    [workload]
    alpha = 0.9
    keys = 20000
    object_size = "lognormal:median=2KiB,sigma=1"
    [clients]
    mode = "closed"
    users = 1
    think_time = "0s"
    [nodes]
    count = 1
    capacity = "8MiB"
    concurrency = 1
    service_time = "5us"
    latency = "50us"
    [database]
    service_time = "200us"
    latency = "50us"
"#;

#[test]
fn one_node_gives_the_hits_of_replay() {
    // Policies that read no clock (Redis and memcached do, so their
    // timing differs between the two engines).
    for policy in [
        "lru",
        "s3fifo",
        "wtinylfu",
        "arc",
        "lru+bloom",
        "s3fifo+bloom:window=0.5",
    ] {
        let out = run(SERIAL, &[&format!("nodes.policy={policy}")]);
        let s = &out.summary;
        assert!(s.gets > 10_000, "{} gets", s.gets);
        let workload = Workload::parse(
            &format!("zipf:alpha=0.9,keys=20000,requests={}", s.gets),
            SizeLaw::parse("lognormal:median=2KiB,sigma=1").unwrap(),
        )
        .unwrap();
        let source = Source::Workload {
            workload,
            seed: Seed(42).derive("workload"),
        };
        let options = StreamOptions {
            rate: Some(1e9),
            ..StreamOptions::default()
        };
        let replay = Replay {
            source: &source,
            options: &options,
            next_access: None,
            seed: Seed(42),
        };
        let cell = Cell {
            policy: cachelab::policy::PolicyChoice::parse(policy).unwrap(),
            capacity: 8 << 20,
        };
        let replayed = replay.run_cell(&cell, 1).unwrap();
        assert_eq!(
            s.hits,
            replayed.requests - replayed.misses,
            "{policy}: cluster vs replay hits"
        );
    }
}

#[test]
fn infinite_cache_misses_only_first_requests() {
    let out = run(SERIAL, &["nodes.capacity=1TiB"]);
    let s = &out.summary;
    let workload = Workload::parse(
        &format!("zipf:alpha=0.9,keys=20000,requests={}", s.gets),
        SizeLaw::Fixed(1),
    )
    .unwrap();
    let mut stream = workload.stream(Seed(42).derive("workload"));
    let mut keys = std::collections::HashSet::new();
    for _ in 0..s.gets {
        keys.insert(stream.next_key());
    }
    assert_eq!(s.misses, keys.len() as u64);
    assert_eq!(s.hit_ratio, Some(1.0 - keys.len() as f64 / s.gets as f64));
}

#[test]
fn sharded_lru_matches_che_for_the_total_capacity() {
    let toml = r#"
        duration = "400s"
        warmup = "100s"
        [workload]
        alpha = 0.8
        keys = 10000
        object_size = "1B"
        [clients]
        rate = 5000
        [nodes]
        count = 4
        capacity = "250B"
        latency = "20us"
        [database]
        service_time = "100us"
        latency = "20us"
    "#;
    let out = run(toml, &[]);
    let che = che_lru_hit_ratio(&zipf_probabilities(10_000, 0.8), 1000);
    let h = out.summary.hit_ratio.unwrap();
    assert!(
        (h - che).abs() < 0.005,
        "4 × 250 LRU: {h:.4}, Che(1000) {che:.4}"
    );
    // Ring routing with 160 points per node spreads load within ~20%.
    assert!(
        out.summary.load_imbalance < 1.25,
        "imbalance {}",
        out.summary.load_imbalance
    );
}

#[test]
fn a_crash_multiplies_database_load_as_predicted() {
    // Uniform keys, N nodes each holding 80% of its keys: h = 0.8. With the
    // dead node's requests going to the database, the load multiplies by
    // ((1−h) + h/N) / (1−h).
    let n = 4.0;
    let toml = r#"
        duration = "60s"
        warmup = "20s"
        [workload]
        popularity = "uniform"
        keys = 20000
        object_size = "1B"
        [clients]
        rate = 20000
        [nodes]
        count = 4
        capacity = "4000B"
        [cache]
        on_failure = "database"
        detection_delay = "500ms"
        [database]
        connections = 64
        [[failures]]
        at = "30s"
        action = "crash"
        node = 2
        [[failures]]
        at = "45s"
        action = "recover"
        node = 2
    "#;
    let out = run(toml, &[]);
    let rows = &out.series;
    let mean_db = |from: f64, to: f64| common::mean_between(rows, from, to, |r| r.db_rps);
    let before = mean_db(22.0, 30.0);
    let during = mean_db(31.0, 45.0);
    let h = rows
        .iter()
        .filter(|r| r.time_s > 22.0 && r.time_s <= 30.0)
        .map(|r| r.hits as f64)
        .sum::<f64>()
        / rows
            .iter()
            .filter(|r| r.time_s > 22.0 && r.time_s <= 30.0)
            .map(|r| r.gets as f64)
            .sum::<f64>();
    assert!((h - 0.8).abs() < 0.02, "steady hit ratio {h}");
    let predicted = ((1.0 - h) + h / n) / (1.0 - h);
    let measured = during / before;
    assert!(
        (measured / predicted - 1.0).abs() < 0.05,
        "multiplier {measured:.3}, predicted {predicted:.3}"
    );
    // The crash shows in the summary; after recovery the cold node warms and
    // the hit ratio comes back to 90% of its level.
    let crash = out
        .summary
        .failures
        .iter()
        .find(|f| f.action == "crash")
        .unwrap();
    assert!(crash.db_rps_peak > 1.5 * crash.db_rps_before);
    let recover = out
        .summary
        .failures
        .iter()
        .find(|f| f.action == "detected-up")
        .unwrap();
    assert!(recover.recovery_90_s.is_some(), "{recover:?}");
    let last = mean_db(55.0, 60.0);
    assert!(
        last < 1.2 * before,
        "database load after recovery {last} vs before {before}"
    );
}

#[test]
fn runs_are_deterministic_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let scale_out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/scale-out.toml");
    let out = |name: &str, jobs: &str| {
        let out = dir.path().join(name);
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_cachelab"))
            .args([
                "run",
                scale_out.to_str().unwrap(),
                "--jobs",
                jobs,
                "--out",
                out.to_str().unwrap(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
        out
    };
    let (a, b, c) = (out("a", "1"), out("b", "2"), out("c", "2"));
    let files = |root: &std::path::Path| {
        let mut files: Vec<_> = common::files_below(root)
            .into_iter()
            .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        files.sort();
        files
    };
    assert!(files(&a).len() >= 10, "{:?}", files(&a));
    assert_eq!(files(&a), files(&b));
    for file in files(&a) {
        let bytes = std::fs::read(a.join(&file)).unwrap();
        assert_eq!(
            bytes,
            std::fs::read(b.join(&file)).unwrap(),
            "{file:?} differs between 1 and 2 threads"
        );
        assert_eq!(
            bytes,
            std::fs::read(c.join(&file)).unwrap(),
            "{file:?} differs between two runs"
        );
    }
}

#[test]
fn a_trace_drives_the_cluster_with_its_own_timestamps() {
    let trace = common::traces_dir().join("cloudPhysicsIO.oracleGeneral.bin");
    let toml = format!(
        r#"
        duration = "7201s"
        [workload]
        popularity = "trace"
        trace = "{}"
        [nodes]
        count = 2
        capacity = "256MiB"
        "#,
        trace.display()
    );
    let out = run(&toml, &[]);
    // Every request of the trace, at its own time: the trace spans 7200 s.
    assert_eq!(out.summary.requests, 113_872);
    assert!(out.summary.misses >= 48_974, "at least the cold misses");
    let busy = out.series.iter().filter(|r| r.requests > 0).count();
    assert!(
        busy > 3000,
        "requests spread over {busy} one-second intervals"
    );
    // Re-timed by the clients instead: the same requests, issued at 2000/s.
    let out = run(
        &toml,
        &[
            "workload.trace_timing=clients",
            "clients.rate=2000",
            "duration=300s",
        ],
    );
    assert!(
        (out.summary.requests as i64 - 113_872).abs() < 10,
        "{}",
        out.summary.requests
    );
    assert!(out.series.iter().filter(|r| r.requests > 0).count() < 70);
}

#[test]
fn a_full_database_queue_rejects_requests() {
    let toml = r#"
        duration = "10s"
        [workload]
        keys = 1000000
        [clients]
        rate = 5000
        [cache]
        pattern = "none"
        [database]
        connections = 4
        service_time = "2ms"
        queue_limit = 100
    "#;
    // Capacity 2000 queries/s against 5000/s: the queue fills and stays full.
    let s = run(toml, &[]).summary;
    assert!(s.db_queue_max <= 100, "queue {}", s.db_queue_max);
    let refused = s.db_rejected as f64 / s.db_queries as f64;
    assert!((refused - 0.6).abs() < 0.03, "refused share {refused}");
    // Refusals still on their way back at the end are not yet errors.
    assert!(s.errors <= s.db_rejected && s.db_rejected - s.errors < 10);
    assert!(s.db_utilisation > 0.99);
}

#[test]
fn ttl_hit_ratio_matches_the_non_reset_ttl_model() {
    // Infinite cache, Poisson requests at λ per key, entries live T from the
    // fill (hits do not extend them), no delays: h = λT / (1 + λT).
    let toml = r#"
        duration = "300s"
        warmup = "10s"
        [workload]
        popularity = "uniform"
        keys = 100
        object_size = "1B"
        [clients]
        rate = 1000
        [cache]
        ttl = "200ms"
        [nodes]
        count = 1
        capacity = "1GiB"
        service_time = "0s"
        latency = "0s"
        [database]
        service_time = "0s"
        latency = "0s"
    "#;
    let h = run(toml, &[]).summary.hit_ratio.unwrap();
    let (lambda, t) = (10.0, 0.2);
    let model = lambda * t / (1.0 + lambda * t);
    assert!(
        (h - model).abs() < 0.01,
        "TTL hit ratio {h:.4}, model {model:.4}"
    );
}
