//! Near caches (`[[tiers]]`) against numbers derived independently: a local
//! LRU in front of a shared LRU gives the hits of two plain LRUs replayed in
//! this file on the same request stream; a TTL-only near cache in front of
//! an always-fresh shared tier has MECHANICS §6's TTL-only stale share and
//! non-reset TTL hit ratio; broadcast invalidation without loss or delay
//! leaves no local stale read, and with every message lost is TTL-only to
//! the count; bad entries are refused naming the field.

use std::collections::{BTreeMap, HashMap};

use crate::common::{self, run_scenario as run};

use cachelab::cluster::{Audit, RunOutput};
use cachelab::metrics::tiers::TierSummary;
use cachelab::request::{Request, RequestStream};
use cachelab::scenario;
use cachelab::seed::Seed;
use cachelab::workload::{SizeLaw, Workload};

fn tiers(out: &RunOutput) -> &[TierSummary] {
    out.summary.tiers.as_deref().expect("a tiers section")
}

/// A plain LRU over byte sizes, written here, independent of the crate's:
/// last-use stamps in a map, the oldest evicted until the newcomer fits; an
/// object larger than the capacity is not admitted.
pub(crate) struct PlainLru {
    capacity: u64,
    used: u64,
    clock: u64,
    entries: HashMap<u64, (u64, u32)>,
    by_use: BTreeMap<u64, u64>,
}

impl PlainLru {
    pub(crate) fn new(capacity: u64) -> PlainLru {
        PlainLru {
            capacity,
            used: 0,
            clock: 0,
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
        }
    }

    pub(crate) fn get(&mut self, key: u64) -> bool {
        self.clock += 1;
        let Some(entry) = self.entries.get_mut(&key) else {
            return false;
        };
        self.by_use.remove(&entry.0);
        entry.0 = self.clock;
        self.by_use.insert(self.clock, key);
        true
    }

    pub(crate) fn insert(&mut self, key: u64, size: u32) {
        let size64 = u64::from(size);
        if size64 > self.capacity {
            return;
        }
        while self.used + size64 > self.capacity {
            let (_, oldest) = self.by_use.pop_first().unwrap();
            let (_, s) = self.entries.remove(&oldest).unwrap();
            self.used -= u64::from(s);
        }
        self.clock += 1;
        self.entries.insert(key, (self.clock, size));
        self.by_use.insert(self.clock, key);
        self.used += size64;
    }
}

/// A near cache in front of `cluster::SERIAL`'s one node, filled by every
/// answer: one user with no think time and fixed delays, so requests are
/// strictly one after another and each miss's fill reaches the node before
/// the next request. Run for 20 s.
fn serial_near() -> String {
    format!(
        "{}\n    [[tiers]]\n    capacity = \"1MiB\"\n    invalidation = \"none\"\n",
        crate::cluster::SERIAL
    )
}

/// The cluster's request stream, `gets` long.
pub(crate) fn serial_requests(gets: u64) -> Vec<Request> {
    let workload = Workload::parse(
        &format!("zipf:alpha=0.9,keys=20000,requests={gets}"),
        SizeLaw::parse("lognormal:median=2KiB,sigma=1").unwrap(),
    )
    .unwrap();
    let mut stream = workload.stream(Seed(42).derive("workload"));
    let mut out = Vec::new();
    while stream.next_batch(&mut out, 8192).unwrap() > 0 {}
    out
}

#[test]
fn a_local_lru_in_front_of_a_shared_lru_gives_the_hits_of_two_plain_lrus() {
    for (local, fill) in [(1u64 << 20, true), (256 << 10, true), (1 << 20, false)] {
        let out = run(
            &serial_near(),
            &[
                "duration=20s",
                &format!("tiers.0.capacity={local}"),
                &format!("tiers.0.fill={fill}"),
            ],
        );
        let t = tiers(&out);
        let gets = out.summary.gets;
        assert!(gets > 20_000, "{gets} gets");
        // The replay: the near cache, then the shared one; a near miss that
        // hits the shared cache fills the near one; a miss fills both.
        let (mut near, mut shared) = (PlainLru::new(local), PlainLru::new(8 << 20));
        let (mut near_hits, mut shared_hits) = (0u64, 0u64);
        for r in serial_requests(gets) {
            if near.get(r.key) {
                near_hits += 1;
                continue;
            }
            if shared.get(r.key) {
                shared_hits += 1;
            } else {
                shared.insert(r.key, r.size);
            }
            if fill {
                near.insert(r.key, r.size);
            }
        }
        println!(
            "local {local} fill {fill}: near hits {near_hits}, shared hits {shared_hits} of {gets} gets"
        );
        assert_eq!(t[0].lookups, gets, "local {local}: every get looks locally");
        assert_eq!(t[0].hits, near_hits, "local {local} fill {fill}: near hits");
        assert_eq!(t[1].lookups, gets - near_hits, "shared lookups");
        assert_eq!(
            t[1].hits, shared_hits,
            "local {local} fill {fill}: shared hits"
        );
        assert_eq!(out.summary.hits, near_hits + shared_hits);
        if !fill {
            assert_eq!(near_hits, 0, "a tier nothing fills never hits");
        } else {
            assert!(near_hits > gets / 10, "{near_hits} near hits of {gets}");
        }
    }
}

#[test]
fn a_local_tiers_latency_share_is_its_round_trip_over_the_mean_latency() {
    // Every get looks in the near cache once, for a 1 ms round trip; its
    // share of the gets' latency is then 1 ms over their mean latency, as
    // the latency histograms measure it, and the shared tier has the rest.
    let out = run(&serial_near(), &["duration=20s", "tiers.0.latency=1ms"]);
    let t = tiers(&out);
    let mean_ns = out.summary.latency_all.mean_ns.unwrap();
    assert_eq!(out.summary.latency_all.count, out.summary.gets);
    let (local, shared) = (t[0].latency_share.unwrap(), t[1].latency_share.unwrap());
    let expected = 1e6 / mean_ns;
    println!("local share {local:.4} (1 ms over a mean of {mean_ns:.0} ns: {expected:.4})");
    assert!(
        (local - expected).abs() < 2e-3 * expected,
        "{local} vs {expected}"
    );
    assert!(local > 0.05 && local < 0.95, "{local}");
    assert!((local + shared - 1.0).abs() < 1e-9, "{local} + {shared}");
    // Without a round trip the tier takes no time.
    let free = run(&serial_near(), &["duration=20s"]);
    assert_eq!(tiers(&free)[0].latency_share, Some(0.0));
}

/// Uniform keys read at λ = 1/s and written at μ = 0.1/s each, Poisson; no
/// latency anywhere, so the shared tier, invalidated at once on each write,
/// always holds the committed version or nothing. The near cache in front
/// is a non-reset TTL cache of infinite capacity.
const TTL_ONLY: &str = r#"
    duration = "2000s"
    warmup = "100s"
    [workload]
    popularity = "uniform"
    keys = 100
    object_size = "100B"
    get = 0.9090909090909091
    set = 0.0909090909090909
    [clients]
    rate = 110
    [nodes]
    count = 1
    capacity = "1GiB"
    service_time = "0s"
    latency = "0s"
    [database]
    service_time = "0s"
    latency = "0s"
    connections = 1000
    [consistency]
    write_policy = "invalidate"
    invalidation_delay = "0s"
    [[tiers]]
    capacity = "1GiB"
    ttl = "5s"
    invalidation = "ttl"
"#;

#[test]
fn a_ttl_only_near_cache_has_the_ttl_formulas_hit_ratio_and_stale_share() {
    let out = common::run_scenario_with(TTL_ONLY, &[], Audit::Counts);
    let t = tiers(&out);
    let (lambda, mu, ttl) = (1.0f64, 0.1f64, 5.0f64);
    // Non-reset TTL: h = λT/(1+λT); TTL-only stale share of all reads:
    // s = λ(T − (1−e^{−μT})/μ)/(1+λT) (MECHANICS §6.1).
    let hit = lambda * ttl / (1.0 + lambda * ttl);
    let stale = lambda * (ttl - (1.0 - (-mu * ttl).exp()) / mu) / (1.0 + lambda * ttl);
    let gets = out.summary.gets as f64;
    let near_hit = t[0].hit_ratio.unwrap();
    let near_stale = t[0].stale_reads as f64 / gets;
    assert!(gets > 150_000.0, "{gets} gets");
    assert!(
        (near_hit - hit).abs() < 0.003,
        "near hit ratio {near_hit:.4}, formula {hit:.4}"
    );
    assert!(
        (near_stale - stale).abs() < 0.004,
        "near stale share {near_stale:.4}, formula {stale:.4}"
    );
    assert_eq!(t[1].stale_reads, 0, "the shared tier is always fresh");
    assert_eq!(out.summary.consistency.stale_reads, t[0].stale_reads);
    println!(
        "TTL-only near cache: hit {near_hit:.4} (formula {hit:.4}), stale {near_stale:.4} (formula {stale:.4})"
    );
}

#[test]
fn broadcast_without_loss_leaves_no_stale_copy_and_with_all_lost_is_ttl_only() {
    let ttl_only = common::run_scenario_with(TTL_ONLY, &["duration=600s"], Audit::Counts);
    let broadcast = |loss: &str| {
        common::run_scenario_with(
            TTL_ONLY,
            &[
                "duration=600s",
                "tiers.0.invalidation=broadcast",
                &format!("tiers.0.loss={loss}"),
            ],
            Audit::Counts,
        )
    };
    let kept = broadcast("0");
    let t = tiers(&kept);
    assert!(tiers(&ttl_only)[0].stale_reads > 1000);
    assert_eq!(t[0].stale_reads, 0, "every copy dropped at the commit");
    assert_eq!(kept.summary.consistency.stale_reads, 0);
    // Dropped copies miss: fewer near hits than TTL-only, more shared load.
    assert!(t[0].hits < tiers(&ttl_only)[0].hits);
    let lost = broadcast("1");
    assert_eq!(
        tiers(&lost),
        tiers(&ttl_only),
        "every message lost: TTL-only"
    );
    assert_eq!(lost.summary.hits, ttl_only.summary.hits);
    assert_eq!(
        lost.summary.consistency.stale_reads,
        ttl_only.summary.consistency.stale_reads
    );
}

#[test]
fn a_delayed_broadcast_bounds_staleness_by_its_delay() {
    // Each write leaves a copy stale for at most the delay: every stale
    // read is younger than it (and there are some), to the staleness
    // histogram's precision (three significant digits).
    let out = common::run_scenario_with(
        TTL_ONLY,
        &[
            "duration=400s",
            "tiers.0.invalidation=broadcast",
            "tiers.0.delay=200ms",
        ],
        Audit::Counts,
    );
    let c = &out.summary.consistency;
    assert!(tiers(&out)[0].stale_reads > 0);
    assert!(
        c.staleness_max_ms <= 200.0 * 1.001,
        "a stale read {} ms old",
        c.staleness_max_ms
    );
}

#[test]
fn near_caches_at_application_servers_are_one_per_server_and_audited() {
    // Two servers round robin, each with its own near cache: a key hot on
    // both is fetched from the shared tier once per server; the audit
    // checks every event.
    let toml = r#"
        duration = "20s"
        warmup = "2s"
        [workload]
        keys = 2000
        object_size = "1KiB"
        get = 0.95
        set = 0.05
        [clients]
        rate = 2000
        [app]
        servers = 2
        threads = 8
        hit_cpu = "100us"
        [[tiers]]
        capacity = "256KiB"
        ttl = "2s"
        latency = "20us"
        [[tiers]]
        placement = "shared"
    "#;
    let out = run(toml, &[]);
    let t = tiers(&out);
    assert_eq!(t.len(), 2);
    assert_eq!((t[0].tier.as_str(), t[0].caches), ("local-0", 2));
    assert_eq!(t[1].tier, "shared");
    assert_eq!(t[0].lookups, out.summary.gets);
    assert_eq!(t[0].hits + t[1].hits, out.summary.hits);
    assert!(t[0].hits > 0 && t[1].hits > 0, "{t:?}");
}

#[test]
fn without_tiers_the_summary_has_no_tiers_section() {
    let out = run(crate::cluster::SERIAL, &[]);
    assert!(out.summary.tiers.is_none());
}

#[test]
fn bad_tier_entries_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    for (entries, expected) in [
        ("[[tiers]]\nttl = \"1s\"\n", "tiers[0].capacity: required"),
        (
            "[[tiers]]\ncapacity = \"0B\"\nttl = \"1s\"\n",
            "tiers[0].capacity must be above zero",
        ),
        (
            "[[tiers]]\ncapacity = \"1MiB\"\n",
            "tiers[0].ttl: invalidation = \"ttl\" needs a ttl",
        ),
        (
            "[[tiers]]\ncapacity = \"1MiB\"\nttl = \"1s\"\ninvalidation = \"none\"\n",
            "tiers[0].ttl: invalidation = \"none\"",
        ),
        (
            "[[tiers]]\ncapacity = \"1MiB\"\ninvalidation = \"broadcast\"\nloss = 1.5\n",
            "tiers[0].loss = 1.5",
        ),
        (
            "[[tiers]]\ncapacity = \"1MiB\"\nttl = \"1s\"\ndelay = \"1ms\"\n",
            "tiers[0].delay: only with invalidation = \"broadcast\"",
        ),
        (
            "[[tiers]]\ncapacity = \"1MiB\"\nttl = \"1s\"\n[[tiers]]\ncapacity = \"1MiB\"\npolicy = \"nope\"\nttl = \"1s\"\n",
            "tiers[1].policy",
        ),
        (
            "[[tiers]]\ncapacity = \"1MiB\"\npolicy = \"belady\"\ninvalidation = \"none\"\n",
            "tiers[0].policy: belady needs the future",
        ),
        (
            "[[tiers]]\nplacement = \"shared\"\n[[tiers]]\ncapacity = \"1MiB\"\nttl = \"1s\"\n",
            "tiers[0].placement = \"shared\"",
        ),
        (
            "[[tiers]]\nplacement = \"shared\"\ncapacity = \"1MiB\"\n",
            "tiers[0].capacity: the shared tier is configured by [nodes]",
        ),
        ("[[tiers]]\ncapacity = \"1MiB\"\nsize = 3\n", "size"),
        (
            "[cache]\npattern = \"none\"\n[[tiers]]\ncapacity = \"1MiB\"\nttl = \"1s\"\n",
            "tiers: a near cache sits in front of the shared tier",
        ),
    ] {
        std::fs::write(&path, entries).unwrap();
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
