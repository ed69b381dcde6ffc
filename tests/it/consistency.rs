//! Writes, invalidations, stale reads and leases against the formulas of
//! MECHANICS.md §6.1 and the races of §5.2.

use crate::common::{self, run_scenario as run};

use cachelab::cluster::RunOutput;

/// Uniform keys, an infinite cache, no delays anywhere: per key, reads at
/// λ = 1/s and writes at μ = 0.1/s, TTL 5 s (MECHANICS §6.3's first row).
const ZERO_DELAY: &str = r#"
    duration = "1000s"
    warmup = "50s"
    [workload]
    popularity = "uniform"
    keys = 1000
    object_size = "1B"
    get = 0.9090909090909091
    set = 0.0909090909090909
    [clients]
    rate = 1100
    [cache]
    ttl = "5s"
    [nodes]
    count = 1
    capacity = "1GiB"
    service_time = "0s"
    latency = "0s"
    [database]
    service_time = "0s"
    latency = "0s"
    [consistency]
    invalidation_delay = "0s"
"#;

#[test]
fn delete_on_write_with_ttl_matches_the_model() {
    let s = run(ZERO_DELAY, &[]).summary;
    let hit_ratio = s.hit_ratio.unwrap();
    let (lambda, mu, t) = (1.0f64, 0.1f64, 5.0f64);
    let w = (1.0 - (-mu * t).exp()) / mu;
    let model = lambda * w / (1.0 + lambda * w);
    assert!(
        (hit_ratio - model).abs() < 0.002,
        "hit ratio {hit_ratio:.4}, model {model:.4}"
    );
    // With no delays, a delete reaches the cache at the commit: nothing stale.
    assert_eq!(s.consistency.stale_reads, 0);
    assert_eq!(s.consistency.consistent_1s, Some(1.0));
}

#[test]
fn ttl_only_serves_the_predicted_share_of_stale_reads() {
    let s = run(ZERO_DELAY, &["consistency.write_policy=ttl-only"]).summary;
    let (lambda, mu, t) = (1.0f64, 0.1f64, 5.0f64);
    let hit = lambda * t / (1.0 + lambda * t);
    let stale = lambda * (t - (1.0 - (-mu * t).exp()) / mu) / (1.0 + lambda * t);
    assert!(
        (s.hit_ratio.unwrap() - hit).abs() < 0.002,
        "hit ratio {:?}, model {hit:.4}",
        s.hit_ratio
    );
    let measured = s.consistency.stale_read_ratio.unwrap();
    assert!(
        (measured - stale).abs() < 0.002,
        "stale reads {measured:.4}, model {stale:.4}"
    );
    // A stale value is at most one TTL old, usually a version or so behind.
    assert!(
        s.consistency.staleness_max_ms <= 5000.0 + 1.0,
        "{}",
        s.consistency.staleness_max_ms
    );
    assert!(s.consistency.version_lag_mean >= 1.0);
    // No invalidations: after a write, the cache is consistent only once
    // the TTL has run out.
    assert_eq!(s.consistency.invalidations, 0);
    assert!(s.consistency.consistent_1s.unwrap() < 0.95);
    assert_eq!(s.consistency.consistent_10s, Some(1.0));
}

#[test]
fn write_through_without_delays_serves_nothing_stale() {
    let s = run(ZERO_DELAY, &["consistency.write_policy=write-through"]).summary;
    assert!(s.consistency.writes > 50_000);
    assert_eq!(s.consistency.stale_reads, 0);
    assert_eq!(s.consistency.stale_entries_at_end, 0);
}

/// Cache-aside with delete-on-write and a 200 ms gap between a fill's
/// database read and its arrival at the node (100 ms each way), writes at
/// μ = 1/s per key, deletes reaching the node at once.
const STALE_SET: &str = r#"
    duration = "300s"
    warmup = "20s"
    [workload]
    popularity = "uniform"
    keys = 100
    object_size = "1B"
    get = 0.9090909090909091
    set = 0.0909090909090909
    [clients]
    rate = 1100
    [nodes]
    count = 1
    capacity = "1GiB"
    service_time = "0s"
    latency = "100ms"
    [database]
    service_time = "0s"
    latency = "100ms"
    [consistency]
    invalidation_delay = "0s"
"#;

#[test]
fn a_fill_races_a_write_with_the_predicted_probability_and_leases_stop_it() {
    let s = run(STALE_SET, &[]).summary.consistency;
    let (mu, delta) = (1.0f64, 0.2f64);
    let p = 1.0 - (-mu * delta).exp();
    let n = s.fills as f64;
    let measured = s.stale_sets as f64 / n;
    let sd = (p * (1.0 - p) / n).sqrt();
    assert!(n > 10_000.0, "{n} fills");
    assert!(
        (measured - p).abs() < 3.0 * sd,
        "stale sets {measured:.4}, 1 − e^(−μδ) = {p:.4} ± {:.4}",
        3.0 * sd
    );
    // The stale values stay until the next write or eviction: stale reads.
    assert!(s.stale_reads > 0);
    // With leases, the delete voids the racing fill's token: none is stored.
    let leased = run(STALE_SET, &["consistency.leases=true"])
        .summary
        .consistency;
    assert_eq!(leased.stale_sets, 0);
    assert!(leased.lease_refused_sets > 0);
    assert_eq!(leased.stale_reads, 0);
}

/// One hot key read at λ = 1000/s and written once a second; a refill takes
/// 1.7 ms from the first miss (100 µs to and from the node, 250 µs to and
/// from the database, 1 ms of database service).
const HERD: &str = r#"
    duration = "120s"
    warmup = "10s"
    [workload]
    popularity = "uniform"
    keys = 1
    object_size = "1B"
    get = 0.999000999000999
    set = 0.000999000999000999
    [clients]
    rate = 1001
    [nodes]
    count = 1
    service_time = "0s"
    latency = "100us"
    [database]
    service_time = "1ms"
    latency = "250us"
    [consistency]
    invalidation_delay = "0s"
"#;

#[test]
fn leases_cut_database_reads_per_invalidation_to_one() {
    let reads_per_invalidation = |s: &cachelab::metrics::Summary| {
        (s.db_queries - s.consistency.writes) as f64 / s.consistency.invalidations as f64
    };
    let herd = run(HERD, &[]).summary;
    // Without leases: the first miss plus every read in the 1.7 ms refill
    // window, 1 + λδ ≈ 2.7.
    let without = reads_per_invalidation(&herd);
    assert!(
        (without - 2.7).abs() < 0.35,
        "without leases {without:.2} reads per invalidation"
    );
    let leased = run(HERD, &["consistency.leases=true"]).summary;
    let with = reads_per_invalidation(&leased);
    assert!(
        (1.0..1.05).contains(&with),
        "with leases {with:.3} reads per invalidation"
    );
    assert!(leased.consistency.lease_waits > 0 && leased.consistency.lease_db_reads_saved > 0);
    // Readers allowed stale values take the deleted one instead of waiting:
    // still one database read per invalidation, but stale reads.
    let stale = run(
        HERD,
        &["consistency.leases=true", "consistency.lease_stale=true"],
    )
    .summary;
    assert!((1.0..1.05).contains(&reads_per_invalidation(&stale)));
    assert!(stale.consistency.stale_reads > 0);
    assert!(stale.consistency.lease_waits < leased.consistency.lease_waits);
}

#[test]
fn write_behind_loses_unflushed_writes_when_its_node_crashes() {
    let toml = r#"
        duration = "20s"
        [workload]
        keys = 1000
        object_size = "1B"
        get = 0.5
        set = 0.5
        [clients]
        rate = 2000
        [nodes]
        count = 2
        [consistency]
        write_policy = "write-behind"
        write_behind_delay = "2s"
        [[failures]]
        at = "10s"
        action = "crash"
        node = 0
        [[failures]]
        at = "12s"
        action = "recover"
        node = 0
    "#;
    let s = run(toml, &[]).summary.consistency;
    // Node 0 held about half of the writes of the last 2 s: ~1000 lost.
    assert!(
        (700..1300).contains(&s.writes_lost),
        "{} writes lost",
        s.writes_lost
    );
    // Between acknowledgement and flush the cache is ahead of the database,
    // which is not a stale read.
    assert_eq!(s.stale_reads, 0);
}

#[test]
fn a_partitioned_node_returns_with_values_it_missed_invalidations_for() {
    let toml = r#"
        duration = "40s"
        warmup = "5s"
        [workload]
        popularity = "uniform"
        keys = 2000
        object_size = "1B"
        get = 0.95
        set = 0.05
        [clients]
        rate = 5000
        [cache]
        detection_delay = "1s"
        [nodes]
        count = 4
        [[failures]]
        at = "10s"
        action = "partition"
        node = 1
        [[failures]]
        at = "20s"
        action = "heal"
        node = 1
    "#;
    let out = run(toml, &[]);
    // Writes during the partition could not invalidate node 1's copies.
    let stale_after = out
        .series
        .iter()
        .filter(|r| r.time_s > 21.0)
        .map(|r| r.stale_reads)
        .sum::<u64>();
    let stale_before = out
        .series
        .iter()
        .filter(|r| r.time_s <= 10.0)
        .map(|r| r.stale_reads)
        .sum::<u64>();
    assert!(
        stale_after > 100,
        "{stale_after} stale reads after the heal"
    );
    assert!(stale_before < stale_after / 10, "{stale_before} before");
}

#[test]
fn every_feature_on_is_still_deterministic() {
    let toml = r#"
        duration = "30s"
        warmup = "5s"
        [workload]
        keys = 5000
        object_size = "lognormal:median=1KiB,sigma=1"
        get = 0.9
        set = 0.08
        delete = 0.02
        [clients]
        rate = 5000
        [cache]
        ttl = "10s"
        on_failure = "gutter"
        detection_delay = "1s"
        [nodes]
        count = 4
        capacity = "1MiB"
        latency = "lognormal:mean=200us,sd=100us"
        [database]
        service_time = "lognormal:mean=2ms,sd=2ms"
        queue_limit = 200
        [consistency]
        invalidation_delay = "exp:mean=2ms"
        invalidation_loss = 0.01
        leases = true
        [random_failures]
        mtbf = "20s"
        mttr = "3s"
    "#;
    let (a, b) = (run(toml, &[]), run(toml, &[]));
    assert!(a.summary.consistency.stale_reads > 0 && a.summary.consistency.lease_waits > 0);
    assert_eq!(
        serde_json::to_string(&a.summary).unwrap(),
        serde_json::to_string(&b.summary).unwrap()
    );
    assert_eq!(a.series, b.series);
    assert_eq!(a.nodes, b.nodes);
}

#[test]
fn replicas_take_a_dead_nodes_reads_and_all_get_invalidated() {
    let toml = r#"
        duration = "60s"
        warmup = "20s"
        [workload]
        popularity = "uniform"
        keys = 20000
        object_size = "1B"
        [clients]
        rate = 20000
        [cache]
        on_failure = "database"
        detection_delay = "500ms"
        [nodes]
        count = 4
        capacity = "20000B"
        [database]
        connections = 64
        [[failures]]
        at = "30s"
        action = "crash"
        node = 2
    "#;
    let db_after =
        |out: &RunOutput| common::mean_between(&out.series, 32.0, f64::INFINITY, |r| r.db_rps);
    let db_before = |out: &RunOutput| common::mean_between(&out.series, 22.0, 30.0, |r| r.db_rps);
    // One copy: the dead node's quarter of the keys goes to the database.
    let single = run(toml, &[]);
    assert!(db_after(&single) > 5.0 * db_before(&single).max(1.0) && db_after(&single) > 3000.0);
    // Two copies: the survivors still hold every key.
    let double = run(toml, &["replication.copies=2"]);
    assert!(
        db_after(&double) < 0.1 * db_after(&single),
        "{} vs {}",
        db_after(&double),
        db_after(&single)
    );
    // Invalidations go to every copy (here, all nodes up).
    let steady = toml.split("[[failures]]").next().unwrap();
    let writes = run(
        steady,
        &[
            "replication.copies=3",
            "workload.get=0.9",
            "workload.set=0.1",
        ],
    )
    .summary
    .consistency;
    assert_eq!(writes.invalidations, 3 * writes.writes);
}

#[test]
fn hot_key_copies_spread_the_hottest_keys() {
    let toml = r#"
        duration = "20s"
        warmup = "5s"
        [workload]
        alpha = 1.3
        keys = 100000
        object_size = "1KiB"
        [clients]
        rate = 20000
        [nodes]
        count = 8
        capacity = "8MiB"
        [routing]
        scheme = "rendezvous"
    "#;
    let plain = run(toml, &[]).summary;
    let spread = run(
        toml,
        &["replication.hot_keys=20", "replication.hot_copies=8"],
    )
    .summary;
    assert!(
        plain.load_imbalance > 1.8,
        "imbalance without hot copies {}",
        plain.load_imbalance
    );
    assert!(
        spread.load_imbalance < 0.7 * plain.load_imbalance,
        "{} vs {}",
        spread.load_imbalance,
        plain.load_imbalance
    );
}

#[test]
fn a_returning_node_warms_up_from_its_peers() {
    let toml = r#"
        duration = "80s"
        warmup = "20s"
        [workload]
        popularity = "uniform"
        keys = 20000
        object_size = "1B"
        [clients]
        rate = 20000
        [cache]
        detection_delay = "500ms"
        [nodes]
        count = 4
        capacity = "20000B"
        [database]
        connections = 64
        [replication]
        copies = 2
        [[failures]]
        at = "30s"
        action = "crash"
        node = 2
        [[failures]]
        at = "40s"
        action = "recover"
        node = 2
    "#;
    let db = |out: &RunOutput| common::mean_between(&out.series, 41.0, 50.0, |r| r.db_rps);
    let cold = run(toml, &[]);
    let warmed = run(toml, &["replication.warm_up=60s"]);
    // Without warm-up the empty node's misses read the database; with it,
    // they are read from the other copy and added to the returning node.
    assert!(db(&cold) > 300.0, "{}", db(&cold));
    assert!(
        db(&warmed) < 0.2 * db(&cold),
        "{} vs {}",
        db(&warmed),
        db(&cold)
    );
    assert!(warmed.summary.hit_ratio > cold.summary.hit_ratio);
}

#[test]
fn synchronous_replication_makes_writers_wait_for_every_copy() {
    let toml = r#"
        duration = "30s"
        warmup = "5s"
        [workload]
        popularity = "uniform"
        keys = 1000
        object_size = "1B"
        get = 0.8
        set = 0.2
        [clients]
        rate = 5000
        [nodes]
        count = 3
        latency = "lognormal:mean=500us,sd=400us"
        [database]
        service_time = "1ms"
        latency = "100us"
        [replication]
        copies = 3
        [consistency]
        write_policy = "update"
    "#;
    let write_latency = |out: &RunOutput| {
        // All requests' latency mixes reads and writes; compare means.
        out.summary.latency_all.mean_ns.unwrap()
    };
    let asynchronous = run(toml, &[]);
    let synchronous = run(toml, &["replication.sync=true"]);
    assert!(write_latency(&synchronous) > write_latency(&asynchronous) * 1.1);
    // Every write is acknowledged either way (a few are still in flight at
    // the end).
    assert_eq!(synchronous.summary.errors, 0);
    assert!(
        synchronous
            .summary
            .requests
            .abs_diff(asynchronous.summary.requests)
            < 100
    );
    // Write-through updates the other copies too; without that, nearly all
    // of the 2 000 secondary copies would be stale by the end. A few are,
    // where two updates of a key reached a copy in the wrong order.
    let through = run(
        toml,
        &[
            "consistency.write_policy=write-through",
            "replication.sync=true",
        ],
    )
    .summary;
    let stale = through.consistency.stale_entries_at_end;
    assert!(stale < 20, "{stale} stale copies at the end");
}

/// Issue 13, P3: write-through with synchronous copies when a node crashes,
/// is cut off or fails at random. A copy lost with its node used to answer
/// the writer early and free its job while other copies' acknowledgements
/// were still on their way; they then acted on whatever request reused the
/// slot (an `unreachable!` panic). Each such run now finishes, and the
/// model's own audit (every request answered exactly once) passes, or
/// `simulate` would return an error.
#[test]
fn synchronous_write_through_survives_crashes_partitions_and_random_failures() {
    let toml = r#"
        duration = "20s"
        [workload]
        keys = 2000
        get = 0.7
        set = 0.3
        [clients]
        rate = 4000
        timeout = "50ms"
        [nodes]
        count = 3
        latency = "lognormal:mean=300us,sd=200us"
        [replication]
        copies = 3
        sync = true
        [consistency]
        write_policy = "write-through"
    "#;
    let failures = |action: &str, back: &str| {
        format!(
            "{toml}\n[[failures]]\nat = \"5s\"\naction = \"{action}\"\nnode = 1\n[[failures]]\nat = \"12s\"\naction = \"{back}\"\nnode = 1\n"
        )
    };
    for scenario in [failures("crash", "recover"), failures("partition", "heal")] {
        let out = run(&scenario, &[]).summary;
        assert!(out.errors > 0, "writes to the lost copy fail");
        assert!(out.requests > 50_000);
    }
    let random = format!("{toml}\n[random_failures]\nmtbf = \"2s\"\nmttr = \"500ms\"\n");
    let out = run(&random, &[]).summary;
    assert!(out.errors > 0 && out.requests > 50_000);
}
