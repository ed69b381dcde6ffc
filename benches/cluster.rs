//! Speed and memory of the cluster simulator: a 4-node cache-aside cluster
//! with a database, Zipf(0.99) keys, open loop, one thread. Prints events/s,
//! simulated requests/s, and the peak heap at two run lengths (memory must
//! not grow with the number of requests simulated). Then the same 20 s with
//! popularity that moves (a drift, a flash crowd, YCSB's latest with
//! inserts) and with request classes against the stationary law (these
//! alternating): the moving laws and the classes should cost at most 10 %
//! of simulated requests/s. Last, the same 20 s without and with an application tier
//! (`[app]`: 8 servers × 4 processes × 16 threads, pools of 8
//! connections), alternating, since the tier should cost at most 30 %;
//! and with that tier plus one local near cache per server (`[[tiers]]`,
//! 16 MiB LRU, 1 s TTL), which together should cost at most 30 % against
//! the clients talking to the cache.
//!
//! First of all, the floor under the engine: the same requests drawn,
//! routed and looked up in four LRUs of the same size with no event in
//! between (a get, and an insert on a miss). What the cluster run takes
//! beyond that is the engine's own cost (events, queues, latencies,
//! metrics); the floor bounds how fast any engine could simulate this
//! workload with these draws and this policy (drawn for the stationary
//! law and for three request classes).
//!
//! `cargo bench --bench cluster` runs every section; `cargo bench --bench
//! cluster -- classes app` only those named (`floor`, `length`, `moving`,
//! `classes`, `app`).

// allow-unwrap-in-tests does not reach benches; a bench that cannot set up should stop loudly.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use std::time::Instant;

use cachelab::cluster::routing;
use cachelab::cluster::simulate;
use cachelab::scenario::{self, KeySource, Override};
use cachelab::seed::Seed;
use cachelab::workload::Mixture;

#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const SCENARIO: &str = r#"
    interval = "1s"
    [workload]
    alpha = 0.99
    keys = 1000000
    object_size = "1KiB"
    [clients]
    rate = 100000
    [nodes]
    count = 4
    capacity = "64MiB"
    [database]
    connections = 128
"#;

/// The bench's sections, in order; `cargo bench --bench cluster -- NAME`
/// runs only those named (all without a name).
const SECTIONS: [&str; 5] = ["floor", "length", "moving", "classes", "app"];

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| SECTIONS.contains(&a.as_str()))
        .collect();
    let wanted = |section: &str| named.is_empty() || named.iter().any(|n| n == section);
    println!(
        "4 nodes × 64 MiB LRU, cache-aside, Zipf(0.99) over 10^6 keys, 100 000 requests/s open loop, one thread; database 128 connections, 3 ms mean"
    );
    if wanted("floor") {
        floor(&path, "the stationary law", &[]);
        floor(&path, "three classes", &[THREE_CLASSES]);
    }
    if wanted("length") {
        run_lengths(&path);
    }
    if wanted("moving") {
        moving(&path);
    }
    if wanted("classes") {
        classes(&path);
    }
    if wanted("app") {
        app(dir.path(), &path);
    }
}

/// Prints events/s, requests/s and the peak heap of 20 s and 80 s runs.
fn run_lengths(path: &Path) {
    println!(
        "{:>10} {:>12} {:>10} {:>14} {:>12} {:>14}",
        "simulated", "requests", "hit ratio", "M events/s", "M req/s", "peak heap MiB"
    );
    for seconds in [20, 80] {
        let set = Override::parse(&format!("duration={seconds}s")).unwrap();
        let plan = scenario::load(path, &[set], None).unwrap();
        let before = counting::live();
        counting::reset_peak();
        let out = simulate(&plan.runs[0].cluster, &mut |_| {}).unwrap();
        let peak = counting::peak() - before;
        println!(
            "{:>9}s {:>12} {:>10.4} {:>14.2} {:>12.2} {:>14.1}",
            seconds,
            out.summary.requests,
            out.summary.hit_ratio.unwrap_or(f64::NAN),
            out.summary.events_per_wall_s / 1e6,
            out.summary.requests_per_wall_s / 1e6,
            peak as f64 / f64::from(1 << 20),
        );
    }
}

/// Prints 20 s of each moving law against the stationary one.
fn moving(path: &Path) {
    println!("\n20 s, stationary against moving popularity");
    println!(
        "{:>34} {:>10} {:>12} {:>12}",
        "workload", "hit ratio", "M req/s", "M events/s"
    );
    for (name, sets) in [
        ("stationary zipf", &[][..]),
        (
            "drift shift 1000 every 1 s",
            &["workload.drift.period=1s", "workload.drift.shift=1000"][..],
        ),
        (
            "drift replace 0.1 every 1 s",
            &["workload.drift.period=1s", "workload.drift.replace=0.1"][..],
        ),
        (
            "flash crowd 5-15 s, 1000 keys, 30%",
            &[r#"workload.flash_crowds=[{at="5s",length="10s",keys=1000,share=0.3}]"#][..],
        ),
        ("latest, no inserts", &["workload.popularity=latest"][..]),
        (
            "latest, 0.5% inserts",
            &[
                "workload.popularity=latest",
                "workload.get=0.995",
                "workload.insert=0.005",
            ][..],
        ),
        (
            "latest, 5% inserts",
            &[
                "workload.popularity=latest",
                "workload.get=0.95",
                "workload.insert=0.05",
            ][..],
        ),
    ] {
        run_for_20s(path, name, sets);
    }
}

/// Prints 20 s of the stationary law, one class, three classes, a diurnal
/// rate and a spike, alternating three times, then each one's best run against the
/// stationary law's best (this machine's speed wanders run to run by more
/// than the difference sought; the best run is the one least disturbed).
fn classes(path: &Path) {
    println!(
        "\n20 s, one stationary law at a constant rate against request classes and rates that vary (alternating runs)"
    );
    println!(
        "{:>34} {:>10} {:>12} {:>12}",
        "workload", "hit ratio", "M req/s", "M events/s"
    );
    let workloads = [
        ("stationary zipf", &[][..]),
        (
            "one class",
            &[r#"workload.classes=[{name="all",share=1.0}]"#][..],
        ),
        ("three classes, 10^6 keys in all", &[THREE_CLASSES][..]),
        (
            "diurnal rate, mean 10^5/s, ±40 %",
            &[r#"clients.rate={diurnal={mean=100000,amplitude=0.4,period="20s",phase="0s"}}"#][..],
        ),
        (
            "a 3x spike, 8-12 s, 1 s ramps",
            &[r#"clients.spikes=[{at="8s",length="4s",multiplier=3.0,ramp="1s"}]"#][..],
        ),
    ];
    let mut best = [0.0f64; 5];
    for _ in 0..3 {
        for (i, (name, sets)) in workloads.iter().enumerate() {
            best[i] = best[i].max(run_for_20s(path, name, sets));
        }
    }
    println!("best runs:");
    for (i, (name, _)) in workloads.iter().enumerate() {
        println!(
            "{:>34} {:>10} {:>12.3}   ({:+.1} % against the stationary law)",
            name,
            "",
            best[i],
            (best[i] / best[0] - 1.0) * 100.0
        );
    }
}

/// Prints 20 s without and with an application tier, and with a near
/// cache in front, alternating three times.
fn app(dir: &Path, path: &Path) {
    println!("\n20 s, without and with an application tier (alternating runs)");
    println!(
        "{:>34} {:>10} {:>12} {:>12}",
        "tier", "hit ratio", "M req/s", "M events/s"
    );
    let app = [
        "app.servers=8",
        "app.processes=4",
        "app.threads=16",
        "app.cores=4",
        "app.hit_cpu=20us",
        "app.miss_cpu=50us",
        "app.cache_pool=8",
        "app.db_pool=8",
    ];
    let near_path = dir.join("near.toml");
    std::fs::write(&near_path, format!("{SCENARIO}{NEAR_TIER}")).unwrap();
    for _ in 0..3 {
        for (name, sets) in [("clients to the cache", &[][..]), ("[app]", &app[..])] {
            run_for_20s(path, name, sets);
        }
        run_for_20s(&near_path, "[app] + a local tier", &app);
    }
}

/// Prints the floor of the run at `path` with `sets` overrides: 2 million
/// requests of its workload (a mixture of its request classes, when it has
/// them) drawn alone; drawn and routed; drawn, routed and looked up in
/// four LRUs of the nodes' capacity (inserted on a miss). Each line is M
/// requests per wall second.
fn floor(path: &Path, name: &str, sets: &[&str]) {
    let mut overrides = vec![Override::parse("duration=20s").unwrap()];
    overrides.extend(sets.iter().map(|o| Override::parse(o).unwrap()));
    let plan = scenario::load(path, &overrides, None).unwrap();
    let c = &plan.runs[0].cluster;
    let draw = || match &c.workload.keys {
        KeySource::Synthetic(workload) => {
            Mixture::new(vec![(workload.stream(Seed(c.seed)), 1.0)], Seed(1).rng())
        }
        KeySource::Classes(classes) => Mixture::new(
            classes
                .iter()
                .enumerate()
                .map(|(i, class)| (class.workload.stream(Seed(c.seed + i as u64)), class.share))
                .collect(),
            Seed(1).rng(),
        ),
        KeySource::Trace(_) => panic!("the bench's workload is synthetic"),
    };
    let members: Vec<_> = (0..c.nodes.count).collect();
    let router = routing::build(&c.routing, &members);
    const REQUESTS: u64 = 2_000_000;
    println!("floor of {name}, {REQUESTS} requests, no engine:");
    for stage in ["draw", "draw + route", "draw + route + LRU"] {
        let mut stream = draw();
        let mut nodes: Vec<_> = (0..c.nodes.count)
            .map(|i| c.nodes.policy.build(c.nodes.capacity, Seed(u64::from(i))))
            .collect();
        let mut evicted = Vec::new();
        let (mut owners, mut hits) = (0u64, 0u64);
        let start = Instant::now();
        for _ in 0..REQUESTS {
            let (_, request) = stream.next_request();
            if stage == "draw" {
                owners += request.key & 1;
                continue;
            }
            let owner = router.route(request.key);
            owners += u64::from(owner);
            if stage == "draw + route + LRU" {
                let node = &mut nodes[owner as usize];
                if node.get(&request) {
                    hits += 1;
                } else {
                    node.insert(&request, &mut evicted);
                    evicted.clear();
                }
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{stage:>34} {:>10.4} {:>12.2}   (checksum {owners})",
            hits as f64 / REQUESTS as f64,
            REQUESTS as f64 / seconds / 1e6
        );
    }
    println!();
}

/// Three request classes sharing the stationary law's 10^6 keys.
const THREE_CLASSES: &str = r#"workload.classes=[{name="a",share=0.5,keys=500000},{name="b",share=0.3,keys=400000},{name="c",share=0.2,keys=100000}]"#;

/// One near cache per application server in front of the nodes.
const NEAR_TIER: &str = r#"
    [[tiers]]
    capacity = "16MiB"
    ttl = "1s"
"#;

/// Runs the scenario at `path` for 20 s with `sets` overrides and prints
/// its line: `name`, hit ratio, M simulated requests per wall second (which
/// it returns) and M events per wall second (a workload with more misses
/// has more events per request).
fn run_for_20s(path: &Path, name: &str, sets: &[&str]) -> f64 {
    let mut overrides = vec![Override::parse("duration=20s").unwrap()];
    overrides.extend(sets.iter().map(|o| Override::parse(o).unwrap()));
    let plan = scenario::load(path, &overrides, None).unwrap();
    let out = simulate(&plan.runs[0].cluster, &mut |_| {}).unwrap();
    println!(
        "{:>34} {:>10.4} {:>12.3} {:>12.2}",
        name,
        out.summary.hit_ratio.unwrap_or(f64::NAN),
        out.summary.requests_per_wall_s / 1e6,
        out.summary.events_per_wall_s / 1e6,
    );
    out.summary.requests_per_wall_s / 1e6
}
