//! Shared tiers above `[nodes]` (`[[tiers]]` entries with `nodes`: a CDN's
//! edges routed by region, a mid-tier routed by key) against numbers
//! derived independently: with one user and one node per tier the tiers
//! give the hits of plain LRUs chained in this file; E edges each taking a
//! uniform share of a Zipf stream each have Che's hit ratio of one edge's
//! capacity, and with fully regional keys the edges together have Che's
//! hit ratio of their whole capacity; the shield's load, counted at its
//! nodes, is the edges' misses; runs repeat; bad entries name the field.

use crate::common::{self, run_scenario as run};
use crate::tiers::{PlainLru, serial_requests};

use cachelab::cluster::{Audit, RunOutput};
use cachelab::metrics::tiers::TierSummary;
use cachelab::scenario;
use cachelab::theory::{che_lru_hit_ratio, zipf_probabilities};

fn tiers(out: &RunOutput) -> &[TierSummary] {
    out.summary.tiers.as_deref().expect("a tiers section")
}

/// One shared tier of its own over `cluster::SERIAL`'s node: `routing`,
/// one node of 1 MiB, filled by every answer.
fn serial_entry(routing: &str) -> String {
    format!(
        "    [[tiers]]\n    placement = \"shared\"\n    nodes = 1\n    routing = \"{routing}\"\n    capacity = \"1MiB\"\n    invalidation = \"none\"\n"
    )
}

/// The hits of each tier of a chain of plain LRUs of `capacities` (the
/// last one is `[nodes]`, filled by every miss) over `gets` requests, the
/// upper tiers filled by the answers that passed them where `fill` says.
fn chained_hits(capacities: &[u64], fill: &[bool], gets: u64) -> Vec<u64> {
    let mut caches: Vec<PlainLru> = capacities.iter().map(|&c| PlainLru::new(c)).collect();
    let mut hits = vec![0; caches.len()];
    let last = caches.len() - 1;
    for r in serial_requests(gets) {
        let found = caches.iter_mut().position(|c| c.get(r.key));
        let passed = found.unwrap_or(caches.len());
        if let Some(t) = found {
            hits[t] += 1;
        } else {
            caches[last].insert(r.key, r.size);
        }
        for t in 0..passed.min(last) {
            if fill[t] {
                caches[t].insert(r.key, r.size);
            }
        }
    }
    hits
}

/// A stack: its entries, the overrides, the capacities of its tiers
/// (`[nodes]`'s last) and whether each upper tier is filled.
type Case = (String, Vec<String>, Vec<u64>, Vec<bool>);

#[test]
fn one_node_per_tier_gives_the_hits_of_chained_plain_lrus() {
    let edge = serial_entry("region");
    let mid = serial_entry("hash");
    let cases: [Case; 4] = [
        (edge.clone(), vec![], vec![1 << 20, 8 << 20], vec![true]),
        (
            edge.clone(),
            vec!["tiers.0.fill=false".into()],
            vec![1 << 20, 8 << 20],
            vec![false],
        ),
        (
            format!("{edge}{mid}"),
            vec!["tiers.0.capacity=262144".into()],
            vec![256 << 10, 1 << 20, 8 << 20],
            vec![true, true],
        ),
        (
            format!("{edge}{mid}"),
            vec![
                "tiers.0.capacity=262144".into(),
                "tiers.1.fill=false".into(),
            ],
            vec![256 << 10, 1 << 20, 8 << 20],
            vec![true, false],
        ),
    ];
    for (entries, overrides, capacities, fill) in cases {
        let toml = format!("{}\n{entries}", crate::cluster::SERIAL);
        let mut set: Vec<&str> = vec!["duration=20s"];
        set.extend(overrides.iter().map(String::as_str));
        let out = run(&toml, &set);
        let t = tiers(&out);
        // The upper tiers count a get when it looks; the run's totals, and
        // so `[nodes]`'s row, when its outcome is known: the user's last
        // get may still be on its way to `[nodes]` at the end.
        let looked = t[0].lookups;
        let gets = out.summary.gets;
        assert!(gets > 20_000, "{gets} gets");
        assert!(looked - gets <= 1, "{looked} looked, {gets} gets");
        let expected = chained_hits(&capacities, &fill, looked);
        println!("{overrides:?}: tiers' hits {expected:?} of {looked} gets");
        assert_eq!(t.len(), capacities.len());
        let mut reached = looked;
        for (i, row) in t.iter().enumerate() {
            let in_flight = if i + 1 == t.len() { looked - gets } else { 0 };
            assert_eq!(
                row.lookups + in_flight,
                reached,
                "{overrides:?}: lookups at tier {i}"
            );
            assert!(
                expected[i] - row.hits <= in_flight,
                "{overrides:?}: {} hits at tier {i}, replay {}",
                row.hits,
                expected[i]
            );
            reached -= row.hits;
        }
        for (i, filled) in fill.iter().enumerate() {
            assert_eq!(expected[i] > 0, *filled, "tier {i} hits iff it is filled");
        }
    }
}

/// `edges` LRU edges of 250 one-byte objects over one large shield, no
/// latency anywhere but the database's: Zipf(0.8) over 10 000 keys.
const EDGES: &str = r#"
    duration = "300s"
    warmup = "100s"
    [workload]
    alpha = 0.8
    keys = 10000
    object_size = "1B"
    [clients]
    rate = 5000
    [nodes]
    count = 1
    capacity = "1MiB"
    latency = "0s"
    service_time = "0s"
    [database]
    service_time = "100us"
    latency = "20us"
    [[tiers]]
    placement = "shared"
    name = "edge"
    nodes = 4
    routing = "region"
    capacity = "250B"
    invalidation = "none"
    [[tiers]]
    placement = "shared"
"#;

fn edges(regional: f64) -> RunOutput {
    common::run_scenario_with(
        EDGES,
        &[&format!("tiers.0.regional={regional}")],
        Audit::Counts,
    )
}

#[test]
fn edges_have_ches_hit_ratio_of_one_edge_or_of_all_with_regional_keys() {
    let q = zipf_probabilities(10_000, 0.8);
    // Each of 4 edges takes a uniform quarter of an independent Zipf
    // stream: its own stream is the same Zipf, so it is one LRU of 250.
    // With fully regional keys each edge sees only its home keys, with
    // their whole traffic: the edges are one LRU of 1000 sharded by key.
    let (one, all) = (che_lru_hit_ratio(&q, 250), che_lru_hit_ratio(&q, 1000));
    let mut ratios = Vec::new();
    for regional in [0.0, 0.5, 1.0] {
        let out = edges(regional);
        let t = tiers(&out);
        assert_eq!((t[0].tier.as_str(), t[0].caches), ("edge", 4));
        let h = t[0].hit_ratio.unwrap();
        println!(
            "regional {regional}: edge hit ratio {h:.4} (Che: one edge {one:.4}, all {all:.4})"
        );
        // The shield's load, counted at its node, is the edges' misses.
        let shield_gets: u64 = out.nodes.iter().map(|n| n.gets).sum();
        assert_eq!(shield_gets, t[0].lookups - t[0].hits, "regional {regional}");
        assert_eq!(t[1].lookups, shield_gets);
        ratios.push(h);
    }
    assert!(out_of(ratios[0], one) < 0.005, "{} vs Che {one}", ratios[0]);
    assert!(out_of(ratios[2], all) < 0.005, "{} vs Che {all}", ratios[2]);
    assert!(ratios[0] < ratios[1] && ratios[1] < ratios[2], "{ratios:?}");
}

fn out_of(a: f64, b: f64) -> f64 {
    (a - b).abs()
}

#[test]
fn the_same_seed_gives_the_same_tiers_and_another_seed_other_regions() {
    let short = ["duration=40s", "warmup=10s", "tiers.0.regional=0.5"];
    let once = common::run_scenario_with(EDGES, &short, Audit::Counts);
    let again = common::run_scenario_with(EDGES, &short, Audit::Counts);
    let json = |o: &RunOutput| serde_json::to_string(&o.summary).unwrap();
    assert_eq!(json(&once), json(&again));
    let mut other = short.to_vec();
    other.push("seed=7");
    let moved = common::run_scenario_with(EDGES, &other, Audit::Counts);
    assert_ne!(tiers(&moved), tiers(&once));
}

#[test]
fn bad_shared_tiers_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let edge = "[[tiers]]\nplacement = \"shared\"\nnodes = 4\nrouting = \"region\"\ncapacity = \"1MiB\"\ninvalidation = \"none\"\n";
    let last = "[[tiers]]\nplacement = \"shared\"\n";
    let with = |extra: &str| format!("{edge}{extra}");
    for (entries, expected) in [
        (
            edge.replace("nodes = 4", "nodes = 0"),
            "tiers[0].nodes = 0: a shared tier of its own has from 1 to 4096 nodes",
        ),
        (
            edge.replace("nodes = 4", "nodes = 5000"),
            "tiers[0].nodes = 5000",
        ),
        (
            format!("{last}{edge}"),
            "tiers[0].placement = \"shared\": the routed nodes are the last tier",
        ),
        (
            edge.replace("routing = \"region\"\n", ""),
            "tiers[0].routing: required with nodes",
        ),
        (edge.replace("\"region\"", "\"anycast\""), "routing"),
        (with("regional = 1.5\n"), "tiers[0].regional = 1.5"),
        (
            edge.replace("\"region\"", "\"hash\"") + "regional = 0.5\n",
            "tiers[0].regional: only with routing = \"region\"",
        ),
        (
            format!("{edge}{edge}"),
            "tiers[1].routing = \"region\": tiers[0] is routed by region already",
        ),
        (
            format!("{edge}[[tiers]]\ncapacity = \"1MiB\"\nttl = \"1s\"\n"),
            "tiers[1].placement = \"local\": a local tier is in process",
        ),
        (
            "[[tiers]]\ncapacity = \"1MiB\"\nttl = \"1s\"\nnodes = 2\n".into(),
            "tiers[0].nodes: only for a shared tier with nodes of its own",
        ),
        (
            "[[tiers]]\ncapacity = \"1MiB\"\nttl = \"1s\"\nregional = 0.5\n".into(),
            "tiers[0].regional: only for a shared tier",
        ),
        (
            format!("[app]\nservers = 2\n{edge}"),
            "tiers[0].nodes: a shared tier of its own is reached by the clients directly",
        ),
        (
            edge.replace("capacity = \"1MiB\"\n", ""),
            "tiers[0].capacity: required",
        ),
        (
            format!("{}{last}name = \"x\"\n", with("name = \"edge\"\n")),
            "tiers[1].name: the shared tier is configured by [nodes]",
        ),
        (
            format!(
                "{}{}",
                with("name = \"e\"\n"),
                edge.replace("\"region\"", "\"hash\"") + "name = \"e\"\n"
            ),
            "tiers[1].name = \"e\": names must be non-empty and distinct",
        ),
        (with("name = \"shared\"\n"), "tiers[0].name = \"shared\""),
    ] {
        std::fs::write(&path, &entries).unwrap();
        let message = match scenario::load(&path, &[], None) {
            Ok(_) => panic!("{entries}: accepted"),
            Err(e) => e.to_string(),
        };
        assert!(
            message.contains(expected),
            "{entries}: `{message}` does not say `{expected}`"
        );
    }
}

/// `EDGES` with every region fully regional and the given failures of the
/// edge tier's nodes, as `[[failures]]` entries `(at, action, node)`.
fn edges_failing(failures: &[(&str, &str, u32)], extra: &[&str]) -> RunOutput {
    let entries: String = failures
        .iter()
        .map(|(at, action, node)| {
            format!(
                "    [[failures]]\n    at = \"{at}\"\n    action = \"{action}\"\n    node = {node}\n    tier = \"edge\"\n"
            )
        })
        .collect();
    let mut set = vec!["tiers.0.regional=1"];
    set.extend_from_slice(extra);
    common::run_scenario_with(&format!("{EDGES}{entries}"), &set, Audit::Counts)
}

#[test]
fn every_edge_down_from_the_start_is_the_same_run_without_edges() {
    // With all four edges down, every get goes past them (no lookup, no
    // latency, no fill) to the shield: the run is the shield alone, to the
    // byte, since the region draws have a stream of their own.
    let down: Vec<(&str, &str, u32)> = (0..4).map(|n| ("0s", "crash", n)).collect();
    let out = edges_failing(&down, &["duration=60s", "warmup=10s"]);
    let t = tiers(&out);
    assert_eq!((t[0].lookups, t[0].hits), (0, 0), "{:?}", t[0]);
    let without = EDGES.split("    [[tiers]]").next().unwrap();
    let alone = common::run_scenario_with(without, &["duration=60s", "warmup=10s"], Audit::Counts);
    let s = (&out.summary, &alone.summary);
    assert_eq!((s.0.gets, s.0.hits), (s.1.gets, s.1.hits));
    assert_eq!(s.0.db_queries, s.1.db_queries);
    assert_eq!(t[1].lookups, s.1.gets);
    let failures = &out.summary.failures;
    assert_eq!(failures.len(), 4);
    assert!(
        failures
            .iter()
            .all(|f| f.tier.as_deref() == Some("edge") && f.action == "crash"),
        "{failures:?}"
    );
}

#[test]
fn a_crashed_edge_sends_its_region_to_the_next_edge_and_comes_back_empty() {
    let steady = edges_failing(&[], &[]);
    let crashed = edges_failing(&[("150s", "crash", 1), ("200s", "recover", 1)], &[]);
    // A blip: down for a millisecond, so only the loss of its contents
    // shows.
    let emptied = edges_failing(&[("150s", "crash", 1), ("150.001s", "recover", 1)], &[]);
    let (a, b, c) = (tiers(&steady), tiers(&crashed), tiers(&emptied));
    let hit = |t: &[TierSummary]| t[0].hit_ratio.unwrap();
    println!(
        "edge hit ratio: steady {:.4}, edge 1 down 50 s {:.4}, emptied {:.4}",
        hit(a),
        hit(b),
        hit(c)
    );
    for (out, t) in [(&crashed, b), (&emptied, c)] {
        // The region's users went to another edge: every get still looked
        // in the edge tier, and the shield saw exactly the edges' misses.
        let in_flight = t[0].lookups - out.summary.gets;
        assert!(
            in_flight <= 5,
            "{} lookups, {} gets",
            t[0].lookups,
            out.summary.gets
        );
        let shield_gets: u64 = out.nodes.iter().map(|n| n.gets).sum();
        assert_eq!(shield_gets, t[0].lookups - t[0].hits);
        let f = &out.summary.failures;
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(
            (f[0].action.as_str(), f[0].node, f[0].tier.as_deref()),
            ("crash", Some(1), Some("edge"))
        );
        assert_eq!(f[1].action, "recover");
    }
    // Node by node: the rows add up to the tier's, and while edge 1 was
    // down (a quarter of the measured time) edge 2 took its region's load.
    for (out, t) in [(&steady, a), (&crashed, b)] {
        let rows = &out.tier_nodes;
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r.tier == "edge"));
        assert_eq!(rows.iter().map(|r| r.lookups).sum::<u64>(), t[0].lookups);
        assert_eq!(rows.iter().map(|r| r.hits).sum::<u64>(), t[0].hits);
        assert_eq!(
            rows.iter().map(|r| r.evictions).sum::<u64>(),
            t[0].evictions
        );
    }
    let (before, during) = (&steady.tier_nodes, &crashed.tier_nodes);
    let moved = before[1].lookups - during[1].lookups;
    println!(
        "edge 1: {} lookups steady, {} with 50 s down; edge 2: {} and {}",
        before[1].lookups, during[1].lookups, before[2].lookups, during[2].lookups
    );
    assert!(out_of(moved as f64, before[1].lookups as f64 / 4.0) < 0.02 * before[1].lookups as f64);
    assert_eq!(during[2].lookups - before[2].lookups, moved);
    assert_eq!(
        (during[0].lookups, during[3].lookups),
        (before[0].lookups, before[3].lookups)
    );
    // A quarter of the keys lose their edge copy; while it is down their
    // users share edge 2 with its own, whose capacity does not grow.
    assert!(hit(b) < hit(a) - 0.01, "{} vs {}", hit(b), hit(a));
    // Coming back empty costs the region's warm copies once.
    assert!(hit(c) < hit(a), "{} vs {}", hit(c), hit(a));
    assert!(hit(b) < hit(c), "{} vs {}", hit(b), hit(c));
    assert!(crashed.summary.db_queries >= steady.summary.db_queries);
}

#[test]
fn a_down_node_of_a_hash_tier_is_passed_over_by_its_keys() {
    // One user, strictly serial: a hash-routed tier of two nodes over
    // `[nodes]`, node 0 down all along. Its keys go straight on to
    // `[nodes]`; node 1 is a plain LRU of the keys routed to it.
    let toml = format!(
        "{}\n    [[tiers]]\n    placement = \"shared\"\n    name = \"mid\"\n    nodes = 2\n    routing = \"hash\"\n    capacity = \"1MiB\"\n    invalidation = \"none\"\n    [[failures]]\n    at = \"0s\"\n    action = \"crash\"\n    node = 0\n    tier = \"mid\"\n",
        crate::cluster::SERIAL
    );
    let out = run(&toml, &["duration=20s"]);
    let t = tiers(&out);
    let gets = out.summary.gets;
    use cachelab::cluster::routing::{self, Scheme};
    let router = routing::build(&Scheme::Jump, &[0, 1]);
    let requests = serial_requests(gets + 1);
    let mut node1 = PlainLru::new(1 << 20);
    let (mut looked, mut hits) = (Vec::new(), Vec::new());
    for r in &requests {
        if router.route(r.key) == 1 {
            let hit = node1.get(r.key);
            if !hit {
                node1.insert(r.key, r.size);
            }
            hits.push(hit);
        }
        looked.push(hits.len() as u64);
    }
    let expected_hits = |n: u64| hits[..n as usize].iter().filter(|&&h| h).count() as u64;
    // The last get may be in flight at the end (see the test above).
    let (at_end, one_more) = (looked[gets as usize - 1], looked[gets as usize]);
    println!(
        "mid tier: {} lookups, {} hits; replay {at_end}..{one_more}",
        t[0].lookups, t[0].hits
    );
    assert!((at_end..=one_more).contains(&t[0].lookups), "{:?}", t[0]);
    assert_eq!(t[0].hits, expected_hits(t[0].lookups));
    assert!(t[0].lookups < gets * 2 / 3 && t[0].lookups > gets / 3);
}

#[test]
fn bad_tier_failures_are_refused_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let failure = |body: &str| format!("{EDGES}    [[failures]]\n    at = \"10s\"\n{body}");
    for (toml, expected) in [
        (
            failure("    action = \"crash\"\n    node = 1\n    tier = \"edges\"\n"),
            "failures[0] (Crash at 10s): tier = \"edges\" is not a [[tiers]] tier with nodes of its own (they are \"edge\")",
        ),
        (
            failure("    action = \"slow\"\n    factor = 2\n    node = 1\n    tier = \"edge\"\n"),
            "a node of tier \"edge\" can only crash or recover",
        ),
        (
            failure("    action = \"crash\"\n    node = 4\n    tier = \"edge\"\n"),
            "tier \"edge\" has no node 4 (its nodes are 0..3)",
        ),
        (
            failure("    action = \"crash\"\n    tier = \"edge\"\n"),
            "which node of tier \"edge\"? give node = N",
        ),
        (
            format!(
                "{}\n    [[tiers]]\n    name = \"near\"\n    capacity = \"1MiB\"\n    invalidation = \"none\"\n    [[failures]]\n    at = \"1s\"\n    action = \"crash\"\n    node = 0\n    tier = \"near\"\n",
                crate::cluster::SERIAL
            ),
            "tier = \"near\" is not a [[tiers]] tier with nodes of its own (there is none)",
        ),
    ] {
        std::fs::write(&path, &toml).unwrap();
        let err = scenario::load(&path, &[], None).unwrap_err().to_string();
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
    }
}

#[test]
fn the_tiers_time_series_adds_up_and_shows_the_shield_take_the_edges_load() {
    // Every edge down from 150 s to 200 s: in those intervals the edges
    // look up nothing and the shield takes every get, with the database's
    // load behind it; the rows of each tier add up to tiers.csv.
    let down: Vec<(&str, &str, u32)> = (0..4)
        .flat_map(|n| [("150s", "crash", n), ("200s", "recover", n)])
        .collect();
    let out = edges_failing(&down, &[]);
    let rows = &out.tiers;
    assert_eq!(rows.len(), 2 * out.series.len());
    let (edge, shared): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.tier == "edge");
    assert!(shared.iter().all(|r| r.tier == "shared"));
    for ((e, s), i) in edge.iter().zip(&shared).zip(&out.series) {
        assert_eq!((e.time_s, s.time_s), (i.time_s, i.time_s));
        // What the edges did not hit went on to the shield, and its
        // database column is the run's.
        assert_eq!(s.lookups + e.hits, i.gets, "at {} s", i.time_s);
        assert_eq!(s.hits + e.hits, i.hits, "at {} s", i.time_s);
        assert_eq!(s.db_rps, Some(i.db_rps));
        assert_eq!(e.db_rps, None);
    }
    // After the warm-up the rows add up to tiers.csv, but for the gets in
    // flight at its end (counted there by issue time, here by event time).
    let t = tiers(&out);
    let measured = |rows: &[&cachelab::metrics::tiers::TierIntervalRow]| -> (u64, u64) {
        let after = rows.iter().filter(|r| r.time_s > 100.0);
        after.fold((0, 0), |(l, h), r| (l + r.lookups, h + r.hits))
    };
    let (lookups, hits) = measured(&edge);
    assert!(lookups.abs_diff(t[0].lookups) <= 5 && hits.abs_diff(t[0].hits) <= 5);
    let (lookups, _) = measured(&shared);
    assert!(
        lookups.abs_diff(t[1].lookups) <= 5,
        "{lookups} vs {:?}",
        t[1]
    );
    let during = |rows: &[&cachelab::metrics::tiers::TierIntervalRow]| -> Vec<f64> {
        rows.iter()
            .filter(|r| r.time_s > 151.0 && r.time_s <= 200.0)
            .map(|r| r.lookups_per_s)
            .collect()
    };
    assert!(during(&edge).iter().all(|&l| l == 0.0));
    let before: Vec<f64> = shared
        .iter()
        .filter(|r| r.time_s > 100.0 && r.time_s <= 150.0)
        .map(|r| r.lookups_per_s)
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (before, outage) = (mean(&before), mean(&during(&shared)));
    println!("shield lookups/s: {before:.0} before, {outage:.0} with every edge down");
    // All 5000 gets a second reach it, against the edges' misses before.
    assert!((outage - 5000.0).abs() < 150.0, "{outage}");
    let edge_hit = t[0].hit_ratio.unwrap();
    assert!(
        before < 5000.0 * (1.0 - edge_hit) * 1.1,
        "{before} vs {edge_hit}"
    );
}
