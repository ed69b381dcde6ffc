//! Scans (YCSB E) as multi-gets: the preset's mix, the lengths, which
//! nodes a scan reaches, its latency as its slowest part, the per-key
//! counts, determinism, and the refusals.

use cachelab::check::check;
use cachelab::cluster::routing::build;
use cachelab::cluster::{Audit, RunOutput, simulate_audited};
use cachelab::scenario::{self, KeySource};
use cachelab::seed::Seed;
use cachelab::theory::{che_lru_hit_ratio, scan_key_probabilities, zipf_probabilities};
use cachelab::workload::scramble;

use crate::common::{cachelab, files_below, run_scenario};

/// Runs `toml` (counting audit only: scans make long runs) and checks the
/// output from outside.
fn run_checked(toml: &str, overrides: &[&str]) -> RunOutput {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, toml).unwrap();
    let overrides: Vec<_> = overrides
        .iter()
        .map(|o| scenario::Override::parse(o).unwrap())
        .collect();
    let plan = scenario::load(&path, &overrides, None).unwrap_or_else(|e| panic!("{e}"));
    let output = simulate_audited(&plan.runs[0].cluster, Audit::Counts, &mut |_| {}).unwrap();
    assert_eq!(check(&plan.runs[0], &output), []);
    output
}

/// YCSB E over 1000 keys that all fit, with a database fast enough that
/// every scan is answered within the run.
const E: &str = r#"
    duration = "20s"
    warmup = "0s"
    [workload]
    preset = "ycsb-e"
    [clients]
    rate = 5000
    [nodes]
    count = 2
    capacity = "2MiB"
    [database]
    connections = 64
    service_time = "100us"
"#;

/// The plan of `toml` (with `overrides`), for the test's own oracle.
fn plan_of(toml: &str, overrides: &[&str]) -> scenario::Plan {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, toml).unwrap();
    let overrides: Vec<_> = overrides
        .iter()
        .map(|o| scenario::Override::parse(o).unwrap())
        .collect();
    scenario::load(&path, &overrides, None).unwrap_or_else(|e| panic!("{e}"))
}

/// The probability that a scan of the run starts at each key number
/// (0-based): Zipf(`alpha`) over the ranks, each rank at the number the
/// run's workload gives it.
fn start_probabilities(plan: &scenario::Plan, alpha: f64) -> Vec<f64> {
    let cluster = &plan.runs[0].cluster;
    let KeySource::Synthetic(workload) = &cluster.workload.keys else {
        panic!("a synthetic workload");
    };
    let keys = workload.popularity.keys();
    let seed = Seed(cluster.seed).derive("workload");
    let mut start = vec![0.0; keys as usize];
    for (rank, q) in (1..).zip(zipf_probabilities(keys as usize, alpha)) {
        start[workload.key_number(seed, rank) as usize - 1] = q;
    }
    start
}

/// The mean length of a scan from a start drawn from `start` (by key
/// number), uniform 1..=`max` keys, clipped at the last key.
fn clipped_mean(start: &[f64], max: u64) -> f64 {
    let keys = start.len() as u64;
    (1..=keys)
        .zip(start)
        .map(|(n, p)| {
            let room = keys - n + 1;
            let mean: f64 = (1..=max).map(|l| l.min(room) as f64).sum::<f64>() / max as f64;
            p * mean
        })
        .sum()
}

#[test]
fn ycsb_e_is_95_percent_scans_of_uniform_length_and_5_percent_inserts() {
    let s = run_checked(E, &[]).summary;
    let n = s.requests as f64;
    let inserts = s.consistency.writes as f64 / n;
    let band = 4.0 * (0.05 * 0.95 / n).sqrt();
    assert!((inserts - 0.05).abs() < band, "inserts {inserts} ± {band}");
    // Every get is a key of a scan: the mean scan reads (100 + 1) / 2
    // keys. Inserts add keys after the last within the first 0.4 s, so a
    // scan from near the end of the first 1000 runs on into them.
    let scans = (s.requests - s.consistency.writes) as f64;
    let mean = s.gets as f64 / scans;
    let band = 5.0 * ((100.0f64 * 100.0 - 1.0) / 12.0 / scans).sqrt();
    assert!((mean - 50.5).abs() < band, "{mean} vs 50.5 ± {band}");
}

#[test]
fn without_inserts_scans_are_clipped_where_the_order_puts_their_starts() {
    // A ranked Zipf starts near number 1, far from the end; the scrambled
    // order puts some hot starts among the last 99 numbers.
    let toml = E.replace(
        "preset = \"ycsb-e\"",
        "preset = \"ycsb-e\"\nscan = 1.0\nget = 0.0",
    );
    let mut means = Vec::new();
    for order in ["scrambled", "ranked"] {
        let set = format!("workload.scan_order={order}");
        let s = run_checked(&toml, &[&set]).summary;
        let want = clipped_mean(&start_probabilities(&plan_of(&toml, &[&set]), 0.99), 100);
        let mean = s.gets as f64 / s.requests as f64;
        let band = 5.0 * ((100.0f64 * 100.0 - 1.0) / 12.0 / s.requests as f64).sqrt();
        assert!(
            (mean - want).abs() < band,
            "{order}: {mean} vs {want} ± {band}"
        );
        means.push(mean);
    }
    // Expected 49.69 scrambled and 50.26 ranked; each mean has a standard
    // error under 0.1.
    assert!(means[1] - means[0] > 0.3, "{means:?}");
}

/// Scans only (uniform 1 to 20 keys) over 10 000 keys of 1 KiB, on one LRU
/// node that holds 1000 of them, and a database fast enough that fills
/// follow misses closely.
const ONE_NODE: &str = r#"
    duration = "24s"
    warmup = "4s"
    [workload]
    keys = 10000
    object_size = "1KiB"
    get = 0.0
    scan = 1.0
    max_scan_length = 20
    [clients]
    rate = 5000
    [nodes]
    count = 1
    capacity = "1000KiB"
    [database]
    connections = 256
    service_time = "100us"
"#;

#[test]
fn scrambled_scans_hit_less_than_ranked_ones_as_che_predicts() {
    let hit_ratio = |order: &str| {
        let toml = ONE_NODE.replace(
            "max_scan_length = 20",
            &format!("max_scan_length = 20\nscan_order = \"{order}\""),
        );
        let s = run_checked(&toml, &[]).summary;
        let che = che_lru_hit_ratio(
            &scan_key_probabilities(&start_probabilities(&plan_of(&toml, &[]), 0.99), 20),
            1000,
        );
        (s.hits as f64 / s.gets as f64, che)
    };
    let (scrambled, che_scrambled) = hit_ratio("scrambled");
    let (ranked, che_ranked) = hit_ratio("ranked");
    // Measured 0.384 against Che's 0.383 scrambled, 0.664 against 0.663
    // ranked.
    assert!(ranked - scrambled > 0.2, "{ranked} vs {scrambled}");
    assert!(
        (scrambled - che_scrambled).abs() < 0.01,
        "{scrambled} vs Che {che_scrambled}"
    );
    assert!(
        (ranked - che_ranked).abs() < 0.01,
        "{ranked} vs Che {che_ranked}"
    );
}

#[test]
fn without_clipping_the_mean_length_is_half_of_max_plus_one() {
    let toml = E.replace(
        "preset = \"ycsb-e\"",
        "scan = 1.0\nget = 0.0\nkeys = 10000000\nmax_scan_length = 20",
    );
    let s = run_checked(&toml, &["duration=5s"]).summary;
    let mean = s.gets as f64 / s.requests as f64;
    let band = 5.0 * ((20.0f64 * 20.0 - 1.0) / 12.0 / s.requests as f64).sqrt();
    assert!((mean - 10.5).abs() < band, "{mean} ± {band}");
}

/// One scan of the 20 keys 1..=20 (a start of rank 1 under Zipf(10), drawn
/// with probability 0.999, at number 1 in the ranked order; any other
/// start reads fewer than 20 keys), over 4 nodes.
const ONE_SCAN: &str = r#"
    duration = "15ms"
    warmup = "0s"
    [workload]
    alpha = 10.0
    keys = 20
    get = 0.0
    scan = 1.0
    scan_length = "fixed"
    max_scan_length = 20
    scan_order = "ranked"
    [clients]
    mode = "closed"
    users = 1
    think_time = "10ms"
    [nodes]
    count = 4
    [database]
    connections = 64
    service_time = "100us"
"#;

#[test]
fn a_scan_reaches_the_nodes_routing_gives_its_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, ONE_SCAN).unwrap();
    let plan = scenario::load(&path, &[], None).unwrap();
    let out = simulate_audited(&plan.runs[0].cluster, Audit::EveryEvent, &mut |_| {}).unwrap();
    assert_eq!(out.summary.requests, 1);
    assert_eq!(out.summary.gets, 20, "the scan starts at key number 1");
    let router = build(&plan.runs[0].cluster.routing, &[0, 1, 2, 3]);
    let mut expected = [0u64; 4];
    for number in 1..=20 {
        expected[router.route(scramble(number)) as usize] += 1;
    }
    let got: Vec<u64> = out.nodes.iter().map(|n| n.gets).collect();
    assert_eq!(got, expected);
    assert!(
        expected.iter().filter(|&&k| k > 0).count() > 1,
        "the keys span nodes"
    );
    // Cold: every key missed, was read from the database and set.
    assert_eq!(out.summary.hits, 0);
    assert_eq!(out.summary.db_queries, 20);
    // Per scan: its 20 keys, the nodes that own some, a read for each key.
    let scans = out.summary.scans.expect("a workload with scans");
    let nodes = expected.iter().filter(|&&k| k > 0).count() as f64;
    assert_eq!(scans.scans, 1);
    assert_eq!(scans.keys_per_scan, Some(20.0));
    assert_eq!(scans.nodes_per_scan, Some(nodes));
    assert_eq!(scans.database_reads_per_scan, Some(20.0));
    assert_eq!(scans.key_hit_ratio, Some(0.0));
    assert_eq!(scans.whole_scan_hit_ratio, Some(0.0));
}

/// Closed loop, one user, fixed delays, every key cached after the
/// warm-up: each part takes latency + service + latency.
const WARM: &str = r#"
    duration = "4s"
    warmup = "2s"
    [workload]
    alpha = 0.0
    keys = 50
    object_size = "100B"
    get = 0.0
    scan = 1.0
    scan_length = "fixed"
    max_scan_length = 10
    [clients]
    mode = "closed"
    users = 1
    think_time = "1ms"
    [nodes]
    count = 4
    capacity = "1MiB"
    service_time = "20us"
    latency = "100us"
"#;

#[test]
fn an_all_hit_scan_takes_exactly_one_round_trip_and_one_service() {
    let out = run_scenario(WARM, &[]);
    let s = &out.summary;
    assert!(s.requests > 1000, "{}", s.requests);
    assert_eq!(s.hits, s.gets, "every key cached after the warm-up");
    let l = &s.latency_all;
    // 100 + 20 + 100 µs, within the histogram's 3 significant digits.
    for at in [l.p50_ns, l.max_ns] {
        let at = at.unwrap() as f64;
        assert!((at / 220_000.0 - 1.0).abs() < 1e-3, "{at}");
    }
    // Every scan answered by the cache alone; the one user's last scan may
    // be under way at the end.
    let scans = s.scans.as_ref().unwrap();
    assert!(scans.scans + 1 >= s.requests && scans.scans <= s.requests);
    assert_eq!(scans.whole_scan_hit_ratio, Some(1.0));
    assert_eq!(scans.database_reads_per_scan, Some(0.0));
    // Uniform starts over 50 keys, clipped at the last: (41 · 10 + 9 + 8
    // + … + 1) / 50 = 9.1 keys per scan.
    let keys = scans.keys_per_scan.unwrap();
    assert!((keys - 9.1).abs() < 0.2, "{keys}");
    let nodes = scans.nodes_per_scan.unwrap();
    assert!(
        nodes > 2.0 && nodes <= 4.0,
        "9 of 50 keys over 4 nodes: {nodes}"
    );
}

#[test]
fn a_scan_is_as_slow_as_its_slowest_part() {
    // Node 0 serves 10 times slower: a scan that reaches it takes
    // 100 + 200 + 100 µs, whatever its other parts take.
    let toml =
        format!("{WARM}\n[[failures]]\nat = \"0s\"\naction = \"slow\"\nnode = 0\nfactor = 10.0\n");
    let out = run_scenario(&toml, &[]);
    let l = &out.summary.latency_all;
    let max = l.max_ns.unwrap() as f64;
    assert!((max / 400_000.0 - 1.0).abs() < 1e-3, "{max}");
    // A run of 10 of the 50 keys over 4 nodes nearly always reaches node 0.
    let p50 = l.p50_ns.unwrap() as f64;
    assert!((p50 / 400_000.0 - 1.0).abs() < 1e-3, "{p50}");
    assert_eq!(out.summary.hits, out.summary.gets);
}

#[test]
fn every_key_scanned_is_one_hit_or_one_miss_at_its_node() {
    // A cache a tenth of the keys: misses, database reads and fills.
    let toml = E
        .replace("capacity = \"2MiB\"", "capacity = \"100KiB\"")
        .replace(
            "preset = \"ycsb-e\"",
            "preset = \"ycsb-e\"\nscan_length = \"fixed\"\nmax_scan_length = 8\nkeys = 10000000",
        );
    let out = run_checked(&toml, &["duration=5s"]);
    let s = &out.summary;
    assert!(s.misses > 0 && s.hits > 0, "{} {}", s.hits, s.misses);
    assert_eq!(s.hits + s.misses, s.gets);
    let node_gets: u64 = out.nodes.iter().map(|n| n.gets).sum();
    let node_hits: u64 = out.nodes.iter().map(|n| n.hits).sum();
    assert_eq!((node_gets, node_hits), (s.gets, s.hits));
    // No scan is clipped over 10 M keys: 8 keys each, a few in flight at
    // the end looked up but not answered.
    let scans = s.requests - s.consistency.writes;
    assert!(
        s.gets >= 8 * scans && s.gets <= 8 * (scans + 100),
        "{} {scans}",
        s.gets
    );
    // Each miss is one database read and each insert one write (but for
    // the few under way at the end).
    let queries = s.misses + s.consistency.writes;
    assert!(
        s.db_queries <= queries && s.db_queries + 200 >= queries,
        "{} {queries}",
        s.db_queries
    );
    // Per scan, over the scans answered: 8 keys, a read for each miss, and
    // a whole-scan hit ratio below the keys' (a scan hits only when all 8
    // do).
    let per_scan = s.scans.as_ref().unwrap();
    assert!(
        per_scan.scans <= scans && per_scan.scans + 100 >= scans,
        "{} {scans}",
        per_scan.scans
    );
    assert_eq!(per_scan.keys_per_scan, Some(8.0));
    let keys = per_scan.key_hit_ratio.unwrap();
    let whole = per_scan.whole_scan_hit_ratio.unwrap();
    assert!((keys - s.hit_ratio.unwrap()).abs() < 0.002, "{keys}");
    let reads = per_scan.database_reads_per_scan.unwrap();
    assert!((reads - 8.0 * (1.0 - keys)).abs() < 1e-9, "{reads} {keys}");
    assert!(whole < keys && whole > 0.0, "{whole} {keys}");
}

#[test]
fn a_crashed_nodes_scan_parts_time_out_and_count_each_key_once() {
    // Node 0 crashes at 1 s and comes back at 3 s; until the clients
    // notice (1 s), parts sent to it time out and read the database.
    let toml = E
        .replace("capacity = \"2MiB\"", "capacity = \"100KiB\"")
        .replace(
            "preset = \"ycsb-e\"",
            "preset = \"ycsb-e\"\nscan_length = \"fixed\"\nmax_scan_length = 8\nkeys = 10000000",
        )
        .replace(
            "[database]",
            "[cache]\ndetection_delay = \"1s\"\n[database]",
        );
    let toml = format!(
        "{toml}\n[[failures]]\nat = \"1s\"\naction = \"crash\"\nnode = 0\n[[failures]]\nat = \"3s\"\naction = \"recover\"\nnode = 0\n"
    );
    let out = run_checked(&toml, &["duration=5s"]);
    let s = &out.summary;
    assert!(s.timeouts > 100, "{}", s.timeouts);
    assert_eq!(s.hits + s.misses, s.gets);
    // A timed-out key is a miss the client saw, never a node's get: the
    // nodes' gets are the summary's less those.
    let node_gets: u64 = out.nodes.iter().map(|n| n.gets).sum();
    let node_hits: u64 = out.nodes.iter().map(|n| n.hits).sum();
    assert_eq!(node_hits, s.hits);
    assert!(node_gets < s.gets, "{node_gets} {}", s.gets);
    // Each key of each scan once, timed out or not: 8 per scan, but for
    // the few under way at the end (measured: 4 722 parts timed out, 56
    // keys over 8 × 23 818 scans; a timed-out part counted twice would
    // add thousands).
    let scans = s.requests - s.consistency.writes;
    assert!(
        s.gets >= 8 * scans && s.gets <= 8 * (scans + 100),
        "{} {scans}",
        s.gets
    );
    let per_scan = s.scans.as_ref().unwrap();
    assert_eq!(per_scan.keys_per_scan, Some(8.0));
    assert_eq!(per_scan.failed, 0, "a timed-out part reads the database");
    let keys = per_scan.key_hit_ratio.unwrap();
    assert!((keys - s.hit_ratio.unwrap()).abs() < 0.002, "{keys}");
}

#[test]
fn scans_are_deterministic() {
    let toml = E.replace("capacity = \"2MiB\"", "capacity = \"200KiB\"");
    let a = serde_json::to_string(&run_checked(&toml, &["duration=3s"]).summary).unwrap();
    let b = serde_json::to_string(&run_checked(&toml, &["duration=3s"]).summary).unwrap();
    assert_eq!(a, b);
    let c = serde_json::to_string(&run_checked(&toml, &["duration=3s", "seed=9"]).summary).unwrap();
    assert_ne!(a, c);
}

#[test]
fn a_sweep_of_scans_writes_the_same_bytes_on_one_thread_and_on_two() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sweep.toml");
    let toml = E.replace("capacity = \"2MiB\"", "capacity = \"100KiB\"")
        + "[sweep]\n\"nodes.capacity\" = [\"50KiB\", \"100KiB\", \"250KiB\"]\n";
    std::fs::write(
        &path,
        toml.replace("duration = \"20s\"", "duration = \"2s\""),
    )
    .unwrap();
    let written = |jobs: &str| {
        let out = dir.path().join(format!("jobs-{jobs}"));
        let args = [
            "sweep",
            path.to_str().unwrap(),
            "--jobs",
            jobs,
            "--out",
            out.to_str().unwrap(),
        ];
        let run = cachelab(&args);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        // The tables, not the pictures (whose encoders may differ by thread).
        files_below(&out)
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "csv" || e == "json"))
            .map(|f| {
                (
                    f.strip_prefix(&out).unwrap().to_owned(),
                    std::fs::read(&f).unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let (one, two) = (written("1"), written("2"));
    assert!(one.len() >= 3 * 4, "{}", one.len());
    assert_eq!(one, two);
}

#[test]
fn refusals_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    for (text, wanted) in [
        (
            "[workload]\nscan = 1.0\nget = 0.0\nmax_scan_length = 0\n",
            "workload.max_scan_length = 0",
        ),
        (
            "[workload]\nmax_scan_length = 100001\n",
            "workload.max_scan_length = 100001",
        ),
        ("[workload]\nscan = 1.5\nget = 0.0\n", "workload.scan = 1.5"),
        (
            "[workload]\nscan = 0.5\n",
            "workload.get + set + delete + insert + rmw + scan = 1.5",
        ),
        (
            "[workload]\nscan = 1.0\nget = 0.0\nscan_length = \"zipf\"\n",
            "scan_length",
        ),
        (
            "[workload]\nscan = 1.0\nget = 0.0\n[cache]\npattern = \"read-through\"\n",
            "workload.scan = 1: scans are modelled as cache-aside multi-gets without read-through",
        ),
        (
            "[workload]\nscan = 1.0\nget = 0.0\n[consistency]\nleases = true\n",
            "without leases",
        ),
        (
            "[workload]\nscan = 1.0\nget = 0.0\n[workload.drift]\nperiod = \"1s\"\nshift = 5\n",
            "without a drift",
        ),
        (
            "[workload]\ninsert = 0.1\nget = 0.9\n[workload.drift]\nperiod = \"1s\"\nshift = 5\n",
            "workload.insert = 0.1",
        ),
        (
            "[workload]\nscan = 1.0\nget = 0.0\nscan_order = \"sorted\"\n",
            "scan_order",
        ),
        (
            "[workload]\npopularity = \"latest\"\nchurn = true\nscan = 0.9\nget = 0.0\ninsert = 0.1\n",
            "workload.scan_order = \"scrambled\": with workload.churn",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let e = scenario::load(&path, &[], None).unwrap_err().to_string();
        assert!(e.contains(wanted), "{text}\n→ {e}");
    }
}
