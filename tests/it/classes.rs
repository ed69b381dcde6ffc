//! Request classes against numbers derived independently: one class is the
//! run without classes, byte for byte; each class gets its share of the
//! requests within a binomial band; per-class figures sum exactly to the
//! totals (the output checker, over runs that exercise every path); a tiny
//! and a huge key space get the hit ratios Che's approximation gives each;
//! a class's TTL changes that class alone; bad classes are refused naming
//! the field.

use crate::common;

use cachelab::check::check;
use cachelab::cluster::{Audit, RunOutput, simulate_audited};
use cachelab::metrics::ClassSummary;
use cachelab::scenario::config::Load;
use cachelab::scenario::{self, KeySource, Override};
use cachelab::theory::{che_characteristic_time, zipf_probabilities};

/// Loads a one-run scenario from TOML text with overrides.
fn load(toml: &str, overrides: &[&str]) -> Result<scenario::Scenario, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.toml");
    std::fs::write(&path, toml).unwrap();
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|o| Override::parse(o).unwrap())
        .collect();
    let mut plan = scenario::load(&path, &overrides, None).map_err(|e| e.message)?;
    assert_eq!(plan.runs.len(), 1);
    Ok(plan.runs.remove(0))
}

/// Runs it, checked from outside by the output checker.
fn run(toml: &str, overrides: &[&str], audit: Audit) -> RunOutput {
    let scenario = load(toml, overrides).unwrap_or_else(|e| panic!("{e}"));
    let out = simulate_audited(&scenario.cluster, audit, &mut |_| {}).unwrap();
    let violations = check(&scenario, &out);
    assert!(violations.is_empty(), "{violations:?}");
    out
}

fn class<'a>(out: &'a RunOutput, name: &str) -> &'a ClassSummary {
    let classes = out.summary.classes.as_ref().expect("a classes section");
    classes.iter().find(|c| c.name == name).unwrap()
}

/// A cluster with writes, a TTL, lost invalidations (stale reads), a
/// warm-up that is not a whole number of intervals, and a node crash.
const BUSY: &str = r#"
    duration = "6s"
    warmup = "1.5s"
    [workload]
    keys = 3000
    alpha = 0.9
    object_size = "lognormal:median=2KiB,sigma=0.5"
    get = 0.9
    set = 0.08
    delete = 0.02
    [clients]
    rate = 4000
    [cache]
    ttl = "2s"
    [nodes]
    count = 3
    capacity = "2MiB"
    [consistency]
    invalidation_loss = 0.2
    [[failures]]
    at = "3s"
    action = "crash"
    node = 1
"#;

#[test]
fn one_class_gives_the_bytes_of_no_classes() {
    let alone = run(BUSY, &[], Audit::Counts);
    let one = format!("{BUSY}\n    [[workload.classes]]\n    name = \"all\"\n    share = 1.0\n");
    for overrides in [&[][..], &["cache.pattern=read-through"][..]] {
        let alone = if overrides.is_empty() {
            alone.clone()
        } else {
            run(BUSY, overrides, Audit::Counts)
        };
        let classed = run(&one, overrides, Audit::Counts);
        let c = class(&classed, "all");
        assert_eq!(c.requests, classed.summary.requests);
        let mut summary = serde_json::to_value(&classed.summary).unwrap();
        summary.as_object_mut().unwrap().remove("classes");
        assert_eq!(summary, serde_json::to_value(&alone.summary).unwrap());
        assert_eq!(classed.series, alone.series);
        assert_eq!(classed.nodes, alone.nodes);
        assert_eq!(classed.latency, alone.latency);
        assert!(alone.summary.classes.is_none() && alone.classes.is_empty());
    }
}

/// Three classes with their own keys, sizes, mixes and TTLs.
const THREE: &str = r#"
    duration = "8s"
    warmup = "1s"
    [workload]
    keys = 2000
    [clients]
    rate = 5000
    [nodes]
    count = 2
    capacity = "4MiB"
    [[workload.classes]]
    name = "a"
    share = 0.5
    [[workload.classes]]
    name = "b"
    share = 0.3
    popularity = "uniform"
    keys = 500
    object_size = "512B"
    get = 0.8
    set = 0.2
    ttl = "1s"
    [[workload.classes]]
    name = "c"
    share = 0.2
    popularity = "hotspot"
    hot = 0.1
    hot_share = 0.9
    keys = 10000
    get = 0.95
    delete = 0.05
"#;

#[test]
fn each_class_gets_its_share_of_the_requests() {
    let out = run(THREE, &[], Audit::Counts);
    let total = out.summary.requests as f64;
    for (name, share) in [("a", 0.5), ("b", 0.3), ("c", 0.2)] {
        let c = class(&out, name);
        assert_eq!(c.share, share);
        // The requests of a class are Binomial(n, share): within 4 sd.
        let sd = (total * share * (1.0 - share)).sqrt();
        let off = c.requests as f64 - total * share;
        eprintln!(
            "{name}: {} of {total} requests, {off:+.0} ({sd:.0} sd)",
            c.requests
        );
        assert!(
            off.abs() < 4.0 * sd,
            "{name}: {} requests of {total}",
            c.requests
        );
    }
    // Class rates are shares of their sum, and the clients' rate is the sum.
    let rates = THREE
        .replace("share = 0.5", "rate = 2500")
        .replace("share = 0.3", "rate = 1500")
        .replace("share = 0.2", "rate = 1000")
        .replace("rate = 5000", "rate = 1");
    let by_rates = load(&rates, &[]).unwrap();
    let KeySource::Classes(classes) = &by_rates.cluster.workload.keys else {
        panic!("classes")
    };
    let shares: Vec<f64> = classes.iter().map(|c| c.share).collect();
    assert_eq!(shares, [0.5, 0.3, 0.2]);
    assert!(matches!(by_rates.cluster.clients.load, Load::Open { rate } if rate == 5000.0));
    assert!(by_rates.resolved_toml().contains("rate = 5000.0"));
}

#[test]
fn per_class_figures_sum_to_the_totals_on_every_path() {
    let classes = r#"
    [[workload.classes]]
    name = "hot"
    share = 0.6
    keys = 300
    ttl = "1s"
    [[workload.classes]]
    name = "cold"
    share = 0.3
    keys = 20000
    get = 0.7
    set = 0.3
    delete = 0.0
    [[workload.classes]]
    name = "same"
    share = 0.1
    keys_of = "hot"
    popularity = "uniform"
    get = 0.5
    set = 0.0
    delete = 0.5
    "#;
    let text = format!("{BUSY}{classes}");
    // The checker (run by `run`) holds every sum; these exercise its paths.
    for overrides in [
        &[][..],
        &["cache.pattern=read-through", "cache.coalesce=false"][..],
        &["consistency.write_policy=write-behind"][..],
        &["consistency.write_policy=update", "replication.copies=2"][..],
        &["consistency.leases=true", "consistency.lease_stale=true"][..],
        &[
            "cache.on_failure=gutter",
            "cache.detection_delay=100ms",
            "database.connections=2",
            "database.queue_limit=3",
        ][..],
        &["clients.mode=closed", "clients.users=50"][..],
        &["database.timeout=5ms", "retry.max_attempts=3"][..],
    ] {
        let out = run(&text, overrides, Audit::EveryEvent);
        let stale: u64 = ["hot", "cold", "same"]
            .iter()
            .map(|n| class(&out, n).stale_reads)
            .sum();
        eprintln!(
            "{overrides:?}: {} requests, {} db queries, {stale} stale reads",
            out.summary.requests, out.summary.db_queries
        );
        assert!(out.summary.requests > 0);
    }
}

#[test]
fn a_tiny_and_a_huge_key_space_hit_as_che_predicts_for_each() {
    // One LRU node of 10 000 one-byte objects; half the requests to a
    // Zipf(0.8) over 10^4 keys, half to a Zipf(0.8) over 10^6 keys.
    let text = r#"
    duration = "30s"
    warmup = "10s"
    [workload]
    object_size = "1B"
    alpha = 0.8
    [clients]
    rate = 40000
    [nodes]
    count = 1
    capacity = "10000B"
    policy = "lru"
    concurrency = 64
    service_time = "1us"
    latency = "1us"
    [database]
    connections = 1000
    service_time = "10us"
    latency = "1us"
    [[workload.classes]]
    name = "tiny"
    share = 0.5
    keys = 10000
    [[workload.classes]]
    name = "huge"
    share = 0.5
    keys = 1000000
    "#;
    let out = run(text, &[], Audit::Counts);
    let tiny = zipf_probabilities(10_000, 0.8);
    let huge = zipf_probabilities(1_000_000, 0.8);
    let all: Vec<f64> = tiny.iter().chain(&huge).map(|p| 0.5 * p).collect();
    let t = che_characteristic_time(&all, 10_000);
    let che = |p: &[f64]| -> f64 { p.iter().map(|q| q * (1.0 - (-0.5 * q * t).exp())).sum() };
    for (name, p) in [("tiny", &tiny), ("huge", &huge)] {
        let measured = class(&out, name).hit_ratio.unwrap();
        let predicted = che(p);
        eprintln!("{name}: hit ratio {measured:.4}, Che {predicted:.4}");
        assert!(
            (measured - predicted).abs() < 0.015,
            "{name}: hit ratio {measured:.4}, Che predicts {predicted:.4}"
        );
    }
    let (tiny, huge) = (class(&out, "tiny"), class(&out, "huge"));
    assert!(tiny.hit_ratio > huge.hit_ratio);
    assert!(huge.db_queries > tiny.db_queries);
}

#[test]
fn a_class_ttl_changes_that_class_alone() {
    // Room for every key: no eviction, so one class's entries never touch
    // the other's, and only expiry tells them apart. Nodes and a database
    // that never queue, with fixed service times, so the other class's
    // extra misses do not delay this one's fills either.
    let text = r#"
    duration = "10s"
    warmup = "2s"
    [workload]
    keys = 2000
    [clients]
    rate = 5000
    [nodes]
    count = 2
    capacity = "1GiB"
    concurrency = 65536
    [database]
    connections = 100000
    service_time = "2ms"
    [[workload.classes]]
    name = "kept"
    share = 0.5
    [[workload.classes]]
    name = "expiring"
    share = 0.5
    "#;
    let forever = run(text, &[], Audit::Counts);
    let short = format!("{text}    ttl = \"500ms\"\n");
    let expiring = run(&short, &[], Audit::Counts);
    assert_eq!(forever.summary.evictions, 0);
    let (a, b) = (class(&forever, "kept"), class(&expiring, "kept"));
    assert_eq!((a.gets, a.hits, a.requests), (b.gets, b.hits, b.requests));
    let (a, b) = (class(&forever, "expiring"), class(&expiring, "expiring"));
    assert_eq!(a.gets, b.gets, "the same requests");
    assert!(
        b.hit_ratio.unwrap() < a.hit_ratio.unwrap() - 0.05,
        "{:?} with a TTL, {:?} without",
        b.hit_ratio,
        a.hit_ratio
    );
}

#[test]
fn bad_classes_are_refused_naming_the_field() {
    let base = |classes: &str| format!("[workload]\nkeys = 100\n{classes}");
    let entry = |body: &str| format!("[[workload.classes]]\n{body}\n");
    let two = |a: &str, b: &str| {
        base(&format!(
            "{}{}",
            entry(&format!("name = \"a\"\n{a}")),
            entry(&format!("name = \"b\"\n{b}"))
        ))
    };
    let cases: Vec<(String, &str)> = vec![
        (two("share = 0.5", "share = 0.4"), "they sum to 0.9"),
        (
            two("share = 0.5", "share = -0.5"),
            "workload.classes[1].share = -0.5",
        ),
        (two("share = 0.5", "rate = 10"), "not a mix of both"),
        (
            two("share = 0.5\nrate = 3", "rate = 3"),
            "workload.classes[0]: give `share` or `rate`, not both",
        ),
        (
            two("share = 0.5", ""),
            "workload.classes[1]: give its `share`",
        ),
        (
            base(&format!(
                "{}{}",
                entry("name = \"a\"\nshare = 0.5"),
                entry("name = \"a\"\nshare = 0.5")
            )),
            "workload.classes[1].name = \"a\": another class has this name",
        ),
        (
            two("share = 0.5", "share = 0.5\npopularity = \"latest\""),
            "workload.classes[1].popularity = \"latest\"",
        ),
        (
            two("share = 0.5", "share = 0.5\nkeys_of = \"z\""),
            "workload.classes[1].keys_of = \"z\": no class has this name",
        ),
        (
            two("share = 0.5\nkeys_of = \"b\"", "share = 0.5"),
            "workload.classes[0].keys_of = \"b\": name a class listed before",
        ),
        (
            two("share = 0.5", "share = 0.5\nkeys_of = \"a\"\nkeys = 1000"),
            "workload.classes[1].keys = 1000",
        ),
        (
            two(
                "share = 0.5",
                "share = 0.5\nkeys_of = \"a\"\nobject_size = \"1KiB\"",
            ),
            "workload.classes[1].object_size",
        ),
        (
            two("share = 0.5", "share = 0.5\nttl = \"0s\""),
            "workload.classes[1].ttl must be above zero",
        ),
        (
            two("share = 0.5", "share = 0.5\nobject_size = \"huge\""),
            "workload.classes[1].object_size",
        ),
        (
            two("share = 0.5", "share = 0.5\nget = 0.5"),
            "workload.classes[1].get + set + delete = 0.5",
        ),
        (
            two("share = 0.5", "share = 0.5\nalpha = 11"),
            "workload.classes[1].alpha = 11",
        ),
        (
            two("share = 0.5", "share = 0.5\nkeys = 0"),
            "workload.classes[1].keys must be at least 1",
        ),
        (
            two("rate = 5", "rate = 5") + "[clients]\nmode = \"closed\"\n",
            "workload.classes[*].rate",
        ),
        (
            two("share = 0.5", "share = 0.5").replace(
                "keys = 100",
                "keys = 100\ninsert = 0.1\nget = 0.9\npopularity = \"latest\"",
            ),
            "workload.insert",
        ),
        (
            two("share = 0.5", "share = 0.5") + "[workload.drift]\nperiod = \"1s\"\nshift = 3\n",
            "workload.drift",
        ),
        (
            two("share = 0.5", "share = 0.5\nunknown = 1"),
            "unknown field `unknown`",
        ),
        (
            base(
                &(0..65)
                    .map(|i| entry(&format!("name = \"c{i}\"\nshare = 0.01")))
                    .collect::<String>(),
            ),
            "65 classes; at most 64",
        ),
    ];
    for (text, expected) in cases {
        let error = load(&text, &[]).expect_err(&text);
        assert!(
            error.contains(expected),
            "expected `{expected}` in the error for\n{text}\ngot: {error}"
        );
    }
    // An empty name, set after reading.
    let error = load(
        &two("share = 0.5", "share = 0.5"),
        &["workload.classes=[{name=\"\",share=1.0}]"],
    )
    .expect_err("an empty name");
    assert!(error.contains("workload.classes[0].name = \"\""), "{error}");
}

#[test]
fn the_bundled_scenario_shows_what_the_overall_view_hides() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/web-app-classes.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let out = common::run_scenario_with(&text, &["duration=300s", "warmup=100s"], Audit::Counts);
    let (pages, api, sessions) = (
        class(&out, "pages"),
        class(&out, "api"),
        class(&out, "sessions"),
    );
    let overall = out.summary.hit_ratio.unwrap();
    eprintln!(
        "overall {overall:.3}; pages {:?}, api {:?}, sessions {:?}",
        pages.hit_ratio, api.hit_ratio, sessions.hit_ratio
    );
    // The overall ratio sits between the classes', hiding a class far below it.
    let ratios = [pages, api, sessions].map(|c| c.hit_ratio.unwrap());
    let low = ratios.iter().copied().fold(1.0, f64::min);
    assert!(low < overall - 0.1, "{ratios:?} against {overall}");
}
