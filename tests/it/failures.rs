//! Failure handling and cache features in the cluster simulator: failover
//! routes, partitions, slow nodes, membership changes, random failures,
//! read-through coalescing.

use crate::common::{mean_between as mean, run_scenario as run};

use cachelab::cluster::RunOutput;

/// Eight nodes, node 3 crashes at 20 s and recovers at 50 s; detection 1 s.
const CRASH: &str = r#"
    duration = "60s"
    warmup = "10s"
    [workload]
    alpha = 0.9
    keys = 50000
    object_size = "1B"
    [clients]
    rate = 10000
    [nodes]
    count = 8
    capacity = "2000B"
    [cache]
    detection_delay = "1s"
    gutter_ttl = "10s"
    [database]
    connections = 64
    [[failures]]
    at = "20s"
    action = "crash"
    node = 3
    [[failures]]
    at = "50s"
    action = "recover"
    node = 3
"#;

#[test]
fn rehash_and_gutter_take_load_off_the_database() {
    let db_during = |out: &RunOutput| mean(&out.series, 30.0, 50.0, |r| r.db_rps);
    let database = run(CRASH, &["cache.on_failure=database"]);
    let rehash = run(CRASH, &["cache.on_failure=rehash"]);
    let gutter = run(CRASH, &["cache.on_failure=gutter"]);
    assert!(
        db_during(&rehash) < 0.95 * db_during(&database),
        "rehash {} vs database {}",
        db_during(&rehash),
        db_during(&database)
    );
    assert!(
        db_during(&gutter) < 0.95 * db_during(&database),
        "gutter {} vs database {}",
        db_during(&gutter),
        db_during(&database)
    );
    // With rehash, the detection moves the dead node's keys, ≈ 1/8 of them.
    let detected = rehash
        .summary
        .failures
        .iter()
        .find(|f| f.action == "detected-down")
        .unwrap();
    let moved = detected.keys_moved.expect("rehash changes routing");
    assert!((moved - 0.125).abs() < 0.04, "moved {moved}");
    // Without rehash, routing does not change.
    let detected = database
        .summary
        .failures
        .iter()
        .find(|f| f.action == "detected-down")
        .unwrap();
    assert_eq!(detected.keys_moved, None);
    // The gutter node served and hit (Facebook: above 35% within minutes).
    let g = gutter.nodes.iter().find(|n| n.node == "gutter-0").unwrap();
    assert!(
        g.gets > 10_000 && g.hit_ratio.is_some_and(|h| h > 0.35),
        "{g:?}"
    );
    // No gutter node when the gutter is not used.
    assert!(database.nodes.iter().all(|n| !n.node.starts_with("gutter")));
}

#[test]
fn partition_keeps_contents_crash_does_not() {
    let heal = CRASH
        .replace("\"crash\"", "\"partition\"")
        .replace("\"recover\"", "\"heal\"");
    let crashed = run(CRASH, &[]);
    let healed = run(&heal, &[]);
    // Right after clients see the node again (51 s), a healed node still has
    // its contents; a recovered one starts cold.
    let after = |out: &RunOutput| {
        mean(&out.series, 51.0, 53.0, |r| {
            r.hit_ratio.expect("gets in every interval")
        })
    };
    assert!(
        after(&healed) > after(&crashed) + 0.01,
        "healed {} vs crashed {}",
        after(&healed),
        after(&crashed)
    );
    // Both cut the node off: clients time out until they notice.
    assert!(healed.summary.timeouts > 0 && crashed.summary.timeouts > 0);
}

#[test]
fn a_slow_node_raises_tail_latency() {
    let toml = r#"
        duration = "30s"
        warmup = "5s"
        [workload]
        keys = 1000
        object_size = "1B"
        [clients]
        rate = 20000
        [nodes]
        count = 4
        capacity = "1000B"
        service_time = "20us"
        [[failures]]
        at = "10s"
        action = "slow"
        node = 0
        factor = 20.0
        [[failures]]
        at = "20s"
        action = "restore"
        node = 0
    "#;
    let out = run(toml, &[]);
    let p99 = |from, to| {
        mean(&out.series, from, to, |r| {
            r.p99_ns.expect("requests in every interval") as f64
        })
    };
    assert!(
        p99(11.0, 20.0) > 2.0 * p99(5.0, 10.0),
        "slow p99 {} vs normal {}",
        p99(11.0, 20.0),
        p99(5.0, 10.0)
    );
    assert!(p99(22.0, 30.0) < 1.5 * p99(5.0, 10.0));
}

#[test]
fn adding_and_removing_nodes_moves_the_expected_share_of_keys() {
    let toml = r#"
        duration = "10s"
        [workload]
        keys = 10000
        object_size = "1B"
        [clients]
        rate = 1000
        [nodes]
        count = 10
        [[failures]]
        at = "3s"
        action = "add"
        [[failures]]
        at = "6s"
        action = "remove"
        node = 4
    "#;
    for (scheme, add, remove) in [
        ("ring", 1.0 / 11.0, 1.0 / 11.0),
        ("rendezvous", 1.0 / 11.0, 1.0 / 11.0),
        ("modulo", 10.0 / 11.0, 10.0 / 11.0),
    ] {
        let out = run(toml, &[&format!("routing.scheme={scheme}")]);
        let moved = |action: &str| {
            out.summary
                .failures
                .iter()
                .find(|f| f.action == action)
                .unwrap()
                .keys_moved
                .unwrap()
        };
        // Ring shares vary by ~8% per node (1/√160): allow 25%.
        assert!(
            (moved("add") / add - 1.0).abs() < 0.25,
            "{scheme} add moved {}",
            moved("add")
        );
        assert!(
            (moved("remove") / remove - 1.0).abs() < 0.25,
            "{scheme} remove moved {}",
            moved("remove")
        );
    }
}

#[test]
fn random_failures_crash_and_recover_nodes() {
    let toml = r#"
        duration = "100s"
        [workload]
        keys = 1000
        object_size = "1B"
        [clients]
        rate = 1000
        [nodes]
        count = 4
        [random_failures]
        mtbf = "30s"
        mttr = "5s"
    "#;
    let out = run(toml, &[]);
    let crashes = out
        .summary
        .failures
        .iter()
        .filter(|f| f.action == "crash")
        .count();
    let recoveries = out
        .summary
        .failures
        .iter()
        .filter(|f| f.action == "recover")
        .count();
    // 4 nodes × 100 s / ~35 s per cycle: about 11 crashes.
    assert!((5..25).contains(&crashes), "{crashes} crashes");
    assert!(
        recoveries + 4 >= crashes,
        "{recoveries} recoveries for {crashes} crashes"
    );
    assert!(out.series.iter().any(|r| r.nodes_up < 4));
}

#[test]
fn read_through_coalesces_misses_of_a_key() {
    // Ten hot keys expiring every 100 ms under 20 000 requests/s, with a 5 ms
    // database: without coalescing every request in the refill window reads
    // the database; with it, one read per key per expiry.
    let toml = r#"
        duration = "10s"
        warmup = "1s"
        [workload]
        popularity = "uniform"
        keys = 10
        object_size = "1B"
        [clients]
        rate = 20000
        [cache]
        pattern = "read-through"
        ttl = "100ms"
        [nodes]
        count = 1
        [database]
        service_time = "5ms"
        latency = "0s"
    "#;
    let coalesced = run(toml, &["cache.coalesce=true"]).summary;
    let separate = run(toml, &["cache.coalesce=false"]).summary;
    // 10 keys × 90 expiries: about 900 reads (a little more: a read
    // takes 5 ms, so the next expiry comes slightly later).
    assert!(
        coalesced.db_queries >= 800 && coalesced.db_queries <= 1000,
        "coalesced {}",
        coalesced.db_queries
    );
    assert!(
        separate.db_queries > 10 * coalesced.db_queries,
        "separate {}",
        separate.db_queries
    );
    // The same gets miss either way: only the database work differs.
    assert!((coalesced.hit_ratio.unwrap() - separate.hit_ratio.unwrap()).abs() < 0.01);
}

#[test]
fn every_kind_of_failure_is_validated_handled_and_reported() {
    // One entry of every kind the scenario format has (the list is the
    // enum's, so a new kind is covered here without an edit), on node 1 or
    // on the node `add` creates.
    use cachelab::scenario::config::FailureAction;
    let mut toml = String::from(
        "duration = \"10s\"\n[workload]\nkeys = 1000\n[clients]\nrate = 2000\n[nodes]\ncount = 3\n",
    );
    for (i, action) in FailureAction::ALL.iter().enumerate() {
        let node = if action.takes_node() {
            "node = 1\n"
        } else {
            ""
        };
        let factor = if action.takes_factor() {
            "factor = 3.0\n"
        } else {
            ""
        };
        toml += &format!(
            "[[failures]]\nat = \"{}s\"\naction = \"{action}\"\n{node}{factor}",
            i + 1
        );
    }
    let out = run(&toml, &[]);
    let reported: Vec<&str> = out
        .summary
        .failures
        .iter()
        .map(|f| f.action.as_str())
        .filter(|a| !a.starts_with("detected"))
        .collect();
    let all: Vec<&str> = FailureAction::ALL.iter().map(|a| a.name()).collect();
    assert_eq!(reported, all);
}

/// Uniform gets over four nodes; node 0 crashes at 5 s and the clients'
/// membership never learns it (detection after the run's end), so every
/// get routed to it waits out the 100 ms time-out, unless a breaker in
/// front of it turns it away.
const UNDETECTED: &str = r#"
    duration = "15s"
    warmup = "0s"
    [workload]
    popularity = "uniform"
    keys = 10000
    [clients]
    rate = 10000
    timeout = "100ms"
    [cache]
    detection_delay = "60s"
    [nodes]
    count = 4
    capacity = "64MiB"
    [database]
    connections = 256
    service_time = "1ms"
    [[failures]]
    at = "5s"
    action = "crash"
    node = 0
"#;

#[test]
fn a_node_breaker_turns_gets_away_from_a_dead_node_after_its_failures() {
    let without = run(UNDETECTED, &[]);
    let with = run(
        UNDETECTED,
        &[
            "cache.breaker=true",
            "cache.breaker_failures=5",
            "cache.breaker_cool_down=1s",
            "cache.breaker_probes=1",
        ],
    );
    assert!(without.summary.node_breakers.is_none());
    // Without a breaker, every get routed to node 0 from 5 s on times out:
    // R0 per second over the 10 s (those of the last 100 ms end after the
    // run and are not counted).
    let timeouts_without = without.summary.timeouts as f64;
    let r0 = timeouts_without / 9.9;
    assert!((2000.0..3000.0).contains(&r0), "{r0}");
    // With one, only the gets sent before the fifth time-out comes back
    // (100 ms and five gets after the crash), and then one probe per cycle
    // of cool-down and time-out (1.1 s) to the end: 8 or 9.
    let b = with.summary.node_breakers.unwrap();
    let timeouts_with = with.summary.timeouts as f64;
    let predicted = r0 * 0.1 + 5.0 + 8.5;
    assert!(
        (timeouts_with - predicted).abs() < 60.0,
        "{timeouts_with} against {predicted}"
    );
    // It opened once at the fifth time-out and again at each failed probe.
    assert!((9..=11).contains(&b.opened), "{}", b.opened);
    // Every get routed to node 0 either timed out or was turned away.
    let routed = r0 * 10.0;
    assert!(
        (timeouts_with + b.skipped as f64 - routed).abs() < 100.0,
        "{timeouts_with} + {} against {routed}",
        b.skipped
    );
    // The slow gets are what the breaker saves: without it over a sixth
    // of all gets wait 100 ms, with it far less than 1%.
    let slow = |out: &RunOutput| out.summary.timeouts as f64 / out.summary.gets as f64;
    assert!(
        slow(&without) > 0.15 && slow(&with) < 0.01,
        "{} {}",
        slow(&without),
        slow(&with)
    );
    assert!(
        with.summary.latency_all.p99_ns.unwrap() < 50_000_000,
        "{:?}",
        with.summary.latency_all.p99_ns
    );
    assert!(without.summary.latency_all.p99_ns.unwrap() > 100_000_000);
}
