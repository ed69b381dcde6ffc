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
