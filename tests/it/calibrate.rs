//! `calibrate` against real servers: in a cache far above the working set
//! both sides miss each key once and agree exactly; in small ones (Zipf,
//! about 5% and 10% of the keys held) each Redis model lands within 0.005
//! of the server; throttled, `allkeys-lru` with ten samples is exact LRU
//! within 0.005; memcached's slab model lands within 0.01 on mixed sizes
//! and follows the server when the size mix shifts and pages stay put; the
//! files it writes parse; bad options say what is wrong. Runs are 200 000
//! requests in batches of 100, about a second each, on private servers
//! stopped by their guards.

use cachelab::drive::Tally;
use cachelab::drive::calibrate::model::{self, Capacity, Clock};
use cachelab::drive::calibrate::{CalibrateConfig, Calibration, calibrate};
use cachelab::drive::{DriveOptions, Program, SpawnConfig};
use cachelab::policy::PolicyChoice;
use cachelab::replay::{Prepared, SourceArgs};

use crate::common::cachelab;
use crate::drive::available;

/// A Zipf stream of 100-byte objects.
fn zipf(spec: &str) -> SourceArgs {
    SourceArgs {
        workload: Some(format!("zipf:{spec}")),
        object_size: "100".to_string(),
        seed: 42,
        ..SourceArgs::default()
    }
}

/// Calibrates `program` with `policy` at `maxmemory` over `repeat` runs,
/// or `None` when the server is not installed (and nothing requires it).
fn run(
    program: Program,
    policy: Option<&str>,
    maxmemory: u64,
    source: &SourceArgs,
    repeat: u32,
) -> Option<Calibration> {
    if !available(program) {
        return None;
    }
    let config = CalibrateConfig {
        spawn: SpawnConfig {
            program,
            maxmemory: Some(maxmemory),
            policy: policy.map(String::from),
            samples: None,
        },
        options: DriveOptions {
            connections: 1,
            pipeline: 100,
            ..DriveOptions::default()
        },
        repeat,
        tolerance: 0.005,
        intervals: 10,
    };
    let calibration = calibrate(source, &config).unwrap();
    eprintln!("{}", calibration.text());
    Some(calibration)
}

#[test]
fn a_big_cache_has_compulsory_misses_only_on_both_sides() {
    let source = zipf("alpha=0.9,keys=5000,requests=20000");
    let prepared = Prepared::new(&source, true, false).unwrap();
    let distinct = prepared.profile.unwrap().objects;
    for program in [Program::RedisServer, Program::Memcached] {
        let Some(c) = run(program, None, 64 << 20, &source, 1) else {
            continue;
        };
        let run = &c.runs[0];
        assert_eq!(run.server.total, run.model.total, "{program:?}");
        assert_eq!(run.server.intervals, run.model.intervals, "{program:?}");
        assert_eq!((run.server.evictions, run.model.evictions), (0, 0));
        // Every key was kept (a key missed twice in one batch is one fill).
        assert_eq!(run.keys_held, distinct, "{program:?}");
        assert_eq!(c.difference.mean, 0.0);
        assert!(c.within_tolerance);
        assert!(run.memory.bytes_per_key > 100.0, "{:?}", run.memory);
    }
}

/// 2 MiB of Redis holds about 4 900 of these 100 000 keys (5%).
const SMALL: &str = "alpha=1.0,keys=100000,requests=200000";

#[test]
fn every_redis_model_is_within_half_a_point_of_the_server_in_a_small_cache() {
    // Measured here over 3 runs at 90 000-180 000 requests/s, the model
    // given the keys held while evicting, server − model: lru +0.0008
    // [-0.0044, +0.0059] (it read 0.0055-0.0077 high when it sampled
    // uniformly), lfu -0.0004 [-0.0025, +0.0018], random -0.0012
    // [-0.0045, +0.0021].
    for (policy, model) in [
        ("allkeys-lru", "redis_lru"),
        ("allkeys-lfu", "redis_lfu"),
        ("allkeys-random", "redis_random"),
    ] {
        let Some(c) = run(Program::RedisServer, Some(policy), 2 << 20, &zipf(SMALL), 3) else {
            return;
        };
        assert_eq!(c.model, model);
        let d = c.difference.mean;
        assert!(d.abs() <= 0.005, "{policy}: server − model {d:+.4}");
        let run = &c.runs[0];
        assert!(run.server.evictions > 50_000 && run.model.evictions > 50_000);
        // The key count the model is given is what 2 MiB holds by the
        // memory model, within a few percent.
        let predicted = run.memory.keys_in(2 << 20) as f64;
        let held = run.keys_held as f64;
        assert!(
            (held / predicted - 1.0).abs() < 0.05,
            "{held} vs {predicted}"
        );
    }
}

/// 3.2 MB of Redis holds about 10 400 of these 100 000 keys (10%).
const TEN_PERCENT: u64 = 3_216_456;

#[test]
fn every_redis_model_is_within_half_a_point_of_the_server_at_a_tenth_of_the_keys() {
    // Measured here over 3 runs, unthrottled (90 000-180 000 requests/s),
    // the model given the keys held while evicting: lru +0.0005 [-0.0006,
    // +0.0016], lfu -0.0000 [-0.0015, +0.0014], random +0.0000 [-0.0022,
    // +0.0023].
    for (policy, model) in [
        ("allkeys-lru", "redis_lru"),
        ("allkeys-lfu", "redis_lfu"),
        ("allkeys-random", "redis_random"),
    ] {
        let Some(c) = run(
            Program::RedisServer,
            Some(policy),
            TEN_PERCENT,
            &zipf(SMALL),
            3,
        ) else {
            return;
        };
        assert_eq!(c.model, model);
        let d = c.difference.mean;
        assert!(d.abs() <= 0.005, "{policy}: server − model {d:+.4}");
        assert!(c.runs[0].keys_held > 9_000, "{}", c.runs[0].keys_held);
    }
}

#[test]
fn a_throttled_small_cache_is_modelled_with_the_keys_it_held_while_evicting() {
    // 1.19 MB of Redis, about 0.9 MB of it taken before the first key,
    // paced at 2 000 requests/s: the clients' buffers (a batch of 100 SETs
    // is 15 KB, some 70 keys' worth) take memory from the keys and give it
    // back, so the count moves during the run (about 620 while it evicted)
    // and ends lower still (about 530, after another connection asked for
    // the counters). Given the count at the end, every model read 0.01 to
    // 0.02 below the server; given the mean while it evicted, measured
    // here over 3 runs each: random −0.0038, lru −0.0016, lfu −0.0022.
    // One 30 s run per policy (mostly waiting), so the bounds allow its
    // noise (one run's difference varies by about 0.004).
    let source = SourceArgs {
        rate: Some(2000.0),
        ..zipf("alpha=1.0,keys=100000,requests=60000")
    };
    let mut differences = Vec::new();
    let mut at_the_end = Vec::new();
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        let Some(c) = run(Program::RedisServer, Some(policy), 1_190_000, &source, 1) else {
            return;
        };
        let r = &c.runs[0];
        let held = r.keys_held_during_run.expect("a full server was sampled");
        assert!(held.samples > 300, "{held:?}");
        assert_eq!(r.capacity, Capacity::Keys(held.mean.round() as u64));
        assert!(
            held.mean > 1.05 * r.keys_held as f64,
            "{held:?} vs {}",
            r.keys_held
        );
        let d = c.difference.mean;
        assert!(d.abs() <= 0.012, "{policy}: server − model {d:+.4}");
        differences.push(d);
        let prepared = Prepared::new(&source, true, false).unwrap();
        let clock = Clock {
            phase_ns: r.clock_phase_ns,
            rate: None,
        };
        let choice = PolicyChoice::parse(&c.model).unwrap();
        let ended = model::run(
            &choice,
            Capacity::Keys(r.keys_held),
            &prepared.replay(),
            100,
            u64::MAX,
            clock,
        )
        .unwrap();
        at_the_end.push(hit_ratio(r.server.total) - hit_ratio(ended.total));
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    eprintln!("server − model: {differences:?}; given the count at the end: {at_the_end:?}");
    assert!(mean(&differences).abs() <= 0.006, "{differences:?}");
    assert!(mean(&at_the_end) >= 0.008, "{at_the_end:?}");
}

#[test]
fn allkeys_lru_with_ten_samples_is_exact_lru_when_throttled() {
    // Redis's own claim for `maxmemory-samples 10` ("very close to true
    // LRU", redis.conf), checked on the server itself: throttled to 2 000
    // requests/s, the LRU clock's one-second ticks carry idle times, and
    // ten samples with the eviction pool's memory pick nearly the oldest
    // key. Against exact LRU given the keys the server held while it
    // evicted, measured by hand over 3 runs of 60 000 requests at 10% of
    // the keys: +0.0033, +0.0043, +0.0028. Here 2 runs of 40 000 at 5%
    // (20 s each, mostly waiting); measured: -0.0002, -0.0007.
    let source = SourceArgs {
        rate: Some(2000.0),
        ..zipf("alpha=1.0,keys=100000,requests=40000")
    };
    if !available(Program::RedisServer) {
        return;
    }
    let config = CalibrateConfig {
        spawn: SpawnConfig {
            program: Program::RedisServer,
            maxmemory: Some(2 << 20),
            policy: Some("allkeys-lru".into()),
            samples: Some(10),
        },
        options: DriveOptions {
            connections: 1,
            pipeline: 100,
            ..DriveOptions::default()
        },
        repeat: 2,
        tolerance: 0.005,
        intervals: 10,
    };
    let c = calibrate(&source, &config).unwrap();
    eprintln!("{}", c.text());
    let lru = PolicyChoice::parse("lru").unwrap();
    let mut differences = Vec::new();
    for r in &c.runs {
        let prepared = Prepared::new(
            &SourceArgs {
                seed: r.seed,
                ..source.clone()
            },
            true,
            false,
        )
        .unwrap();
        let exact = model::run(
            &lru,
            r.capacity,
            &prepared.replay(),
            100,
            u64::MAX,
            Clock::default(),
        )
        .unwrap();
        assert!(
            exact.evictions > 5_000,
            "{}: the cache must turn over",
            exact.evictions
        );
        differences.push(hit_ratio(r.server.total) - hit_ratio(exact.total));
    }
    let mean = differences.iter().sum::<f64>() / differences.len() as f64;
    eprintln!("server − exact LRU: {differences:?}");
    assert!(mean.abs() <= 0.005, "{differences:?}");
}

fn hit_ratio(tally: Tally) -> f64 {
    tally.hits as f64 / tally.gets as f64
}

/// The hit ratio of `policy` given `-m` bytes on the stream of `source`,
/// replayed as calibrate's model replays it (batches of 100, the probe
/// first).
fn modelled(policy: &str, bytes: u64, source: &SourceArgs) -> f64 {
    let prepared = Prepared::new(source, true, false).unwrap();
    let choice = PolicyChoice::parse(policy).unwrap();
    let run = model::run(
        &choice,
        Capacity::Bytes(bytes),
        &prepared.replay(),
        100,
        u64::MAX,
        Clock::default(),
    )
    .unwrap();
    hit_ratio(run.total)
}

#[test]
fn the_slab_model_is_within_a_point_of_memcached_on_mixed_sizes() {
    // Measured here over 3 runs (seeds 42-44), server − model: lognormal
    // median 300 B under 16 MiB +0.0000 [-0.0000, +0.0001] (hit ratio
    // 0.775, evictions 23 721 vs 23 731); median 1 KB, sigma 1, under 8
    // MiB, where some 30 classes each take a first page past -m, +0.0002
    // [-0.0005, +0.0009] (0.625). The byte-budget `memcached` policy
    // counting value bytes is off on both: high where the values fill -m,
    // low where the first pages hold four times -m.
    for (sizes, alpha, megabytes) in [
        ("lognormal:median=300,sigma=0.7", "1.0", 16),
        ("lognormal:median=1000,sigma=1", "0.9", 8),
    ] {
        let source = SourceArgs {
            object_size: sizes.to_string(),
            ..zipf(&format!("alpha={alpha},keys=100000,requests=200000"))
        };
        let bytes = megabytes << 20;
        let Some(c) = run(Program::Memcached, None, bytes, &source, 2) else {
            return;
        };
        assert_eq!(c.model, "memcached_slabs");
        let d = c.difference.mean;
        assert!(d.abs() <= 0.01, "{sizes}: server − model {d:+.4}");
        let run = &c.runs[0];
        let (server, model) = (run.server.evictions as f64, run.model.evictions as f64);
        assert!(
            server > 20_000.0 && (model / server - 1.0).abs() < 0.02,
            "{sizes}: evictions {server} vs {model}"
        );
        let values_only = modelled("memcached", bytes, &source);
        let server = hit_ratio(run.server.total);
        eprintln!("{sizes}: server {server:.4}, byte budget of values {values_only:.4}");
        assert!(
            (values_only - server).abs() > 0.02,
            "{sizes}: a byte budget of values reads {values_only:.4}, the server {server:.4}"
        );
    }
}

/// 150 000 Zipf gets over 60 000 keys of 100-byte values.
const SMALL_PHASE: (u64, u64, u32) = (60_000, 0, 100);

/// 150 000 Zipf gets over 20 000 other keys of 1000-byte values.
const LARGE_PHASE: (u64, u64, u32) = (20_000, 1_000_000, 1000);

/// A CSV trace `name` of the `phases`, each (keys, first key, value size).
fn shifting_sizes(
    dir: &std::path::Path,
    name: &str,
    phases: &[(u64, u64, u32)],
) -> std::path::PathBuf {
    use cachelab::request::RequestStream;
    use cachelab::seed::Seed;
    use cachelab::workload::{SizeLaw, Workload};
    let path = dir.join(name);
    let mut text = String::from("time,key,size,op\n");
    let mut i = 0u64;
    for &(keys, offset, size) in phases {
        let requests = 150_000;
        let workload = Workload::parse(
            &format!("zipf:alpha=1.0,keys={keys},requests={requests}"),
            SizeLaw::Fixed(size),
        )
        .unwrap();
        let mut batch = Vec::new();
        let mut stream = workload.stream(Seed(7));
        while stream.next_batch(&mut batch, 4096).unwrap() > 0 {}
        for r in batch {
            text.push_str(&format!("{i},{},{size},get\n", r.key + offset));
            i += 1;
        }
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn pages_stay_with_the_small_items_after_the_sizes_grow() {
    // 8 MiB go to 100-byte items (192-byte chunks); then the traffic moves
    // to 1000-byte items (1184-byte chunks), whose class gets one page (885
    // items) and evicts its own while the old class keeps seven pages of
    // dead items: before the automover's first 30 s are over, nothing
    // moves. Measured here, per tenth of the stream after the shift:
    // server 0.746, 0.754, 0.757, 0.757, the model within 0.0010 of each,
    // where a fresh cache given only the large items hits 0.843 (warm-up
    // included).
    let dir = tempfile::tempdir().unwrap();
    let trace = shifting_sizes(dir.path(), "shift.csv", &[SMALL_PHASE, LARGE_PHASE]);
    let source = SourceArgs {
        trace: Some(trace),
        ..SourceArgs::default()
    };
    let Some(c) = run(Program::Memcached, None, 8 << 20, &source, 1) else {
        return;
    };
    let run = &c.runs[0];
    let after: Vec<(f64, f64)> = run.server.intervals[6..]
        .iter()
        .zip(&run.model.intervals[6..])
        .map(|(&s, &m)| (hit_ratio(s), hit_ratio(m)))
        .collect();
    let fresh = SourceArgs {
        trace: Some(shifting_sizes(dir.path(), "large.csv", &[LARGE_PHASE])),
        ..SourceArgs::default()
    };
    let uncalcified = modelled("memcached_slabs", 8 << 20, &fresh);
    eprintln!("after the shift (server, model): {after:?}; a fresh cache: {uncalcified:.4}");
    for &(server, model) in &after {
        assert!((server - model).abs() <= 0.01, "{after:?}");
        assert!(
            server < uncalcified - 0.05,
            "no loss after the shift: {after:?}, fresh {uncalcified:.4}"
        );
    }
}

#[test]
fn the_command_writes_its_files_and_refuses_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let common = [
        "calibrate",
        "--spawn",
        "redis-server",
        "--maxmemory",
        "2MiB",
        "--workload",
        "zipf:alpha=1.0,keys=20000,requests=20000",
        "--object-size",
        "100",
        "--pipeline",
        "100",
    ];
    let with = |extra: &[&str]| {
        let mut args = common.to_vec();
        args.extend_from_slice(extra);
        cachelab(&args)
    };
    for (extra, says) in [
        (&["--repeat", "0"][..], "--repeat 0: must be from 1"),
        (&["--tolerance", "2"][..], "--tolerance 2: must be"),
        (&["--intervals", "0"][..], "--intervals 0: must be"),
        (
            &["--maxmemory-samples", "0"][..],
            "--maxmemory-samples 0: Redis takes 1 to 64",
        ),
    ] {
        let output = with(extra);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && stderr.contains(says),
            "{extra:?}: {stderr}"
        );
    }
    let workload = ["--workload", "zipf:keys=10,requests=10"];
    let no_limit = cachelab(&[&["calibrate", "--spawn", "redis-server"][..], &workload].concat());
    assert!(String::from_utf8_lossy(&no_limit.stderr).contains("--maxmemory is needed"));
    let nginx = cachelab(
        &[
            &["calibrate", "--spawn", "nginx", "--maxmemory", "1MiB"][..],
            &workload,
        ]
        .concat(),
    );
    let stderr = String::from_utf8_lossy(&nginx.stderr);
    assert!(
        stderr.contains("redis-server, valkey-server or memcached"),
        "{stderr}"
    );
    if !available(Program::RedisServer) {
        return;
    }
    let noeviction = with(&["--policy", "noeviction"]);
    let stderr = String::from_utf8_lossy(&noeviction.stderr);
    assert!(stderr.contains("no model: --policy noeviction"), "{stderr}");
    // volatile-lru has a model, but the workload carries no TTLs: the
    // server could evict nothing and would refuse the SETs with -OOM once
    // memory is full, so calibrate says so before it starts one.
    let volatile = with(&["--policy", "volatile-lru"]);
    let stderr = String::from_utf8_lossy(&volatile.stderr);
    assert!(
        !volatile.status.success()
            && stderr.contains("--policy volatile-lru evicts only keys with a TTL"),
        "{stderr}"
    );

    let output = with(&["--repeat", "2", "--out", out]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("verdict: the model is "), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["runs"].as_array().unwrap().len(), 2);
    assert_eq!(summary["model"], "redis_lru");
    let low = summary["difference"]["low"].as_f64().unwrap();
    let high = summary["difference"]["high"].as_f64().unwrap();
    assert!(low <= high);
    let mut csv = csv::Reader::from_path(dir.path().join("calibrate.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    // 2 runs × 2 sides × (the whole stream + 10 intervals).
    assert_eq!(rows.len(), 44);
    let headers = csv.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "run",
            "seed",
            "side",
            "interval",
            "gets",
            "hits",
            "hit_ratio",
            "evictions"
        ]
    );
    let gets: u64 = rows
        .iter()
        .filter(|r| &r[2] == "server" && !r[3].is_empty() && &r[0] == "1")
        .map(|r| r[4].parse::<u64>().unwrap())
        .sum();
    assert_eq!(gets, 20_000, "the intervals cover the stream");
    for file in ["calibrate.png", "calibrate.svg"] {
        assert!(
            std::fs::metadata(dir.path().join(file)).unwrap().len() > 1000,
            "{file}"
        );
    }
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run.json")).unwrap())
            .unwrap();
    assert_eq!(run["command"], "calibrate");
    assert!(run["wall_clock"]["elapsed_seconds"].as_f64().unwrap() > 0.0);

    // --maxmemory-samples reaches the server, and the model samples as many.
    let sampled = dir.path().join("sampled");
    let output = with(&[
        "--maxmemory-samples",
        "10",
        "--out",
        sampled.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sampled.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["model"], "redis_lru:samples=10");
    let config = summary.to_string();
    assert!(config.contains("\"maxmemory-samples\":\"10\""), "{config}");
}

/// A Twitter-format trace of `requests` gets of 20 000 keys of 100 bytes
/// with Zipf(1.0) popularity, all at time 0, where three keys in four
/// carry the TTL `ttl_s` (their fills are stored with it) and the rest
/// none.
fn volatile_trace(dir: &std::path::Path, requests: usize, ttl_s: u32) -> SourceArgs {
    use cachelab::replay::Source;
    use cachelab::seed::Seed;
    use cachelab::workload::{SizeLaw, Workload};
    let spec = format!("zipf:alpha=1.0,keys=20000,requests={requests}");
    let source = Source::Workload {
        workload: Workload::parse(&spec, SizeLaw::Fixed(100)).unwrap(),
        seed: Seed(7),
    };
    let mut stream = source.open().unwrap();
    let mut batch = Vec::new();
    let mut text = String::new();
    while stream.next_batch(&mut batch, 4096).unwrap() > 0 {
        for request in batch.drain(..) {
            let key = format!("k{}", request.key);
            let ttl = if request.key % 4 == 0 { 0 } else { ttl_s };
            text.push_str(&format!("0,{key},{},90,1,get,{ttl}\n", key.len()));
        }
    }
    let path = dir.join("volatile.twitter");
    std::fs::write(&path, text).unwrap();
    SourceArgs {
        trace: Some(path),
        seed: 42,
        ..SourceArgs::default()
    }
}

#[test]
fn the_volatile_models_follow_the_server_when_some_keys_have_no_ttl() {
    // A quarter of the keys have no TTL, so a volatile-* server never
    // evicts them: they pin about half of the memory and the keys with a
    // TTL share the rest. The models must see the same TTLs the server was
    // sent (the fills carry them) and evict only among those keys: both
    // end with the same share of their keys carrying a TTL. (The server
    // ends with more keys than it held while it evicted, once the clients'
    // buffers are gone; the model is given the count it held.)
    let dir = tempfile::tempdir().unwrap();
    let source = volatile_trace(dir.path(), 200_000, 3600);
    for (policy, model) in [
        ("volatile-lru", "redis_volatile_lru"),
        ("volatile-lfu", "redis_volatile_lfu"),
        ("volatile-random", "redis_volatile_random"),
        ("volatile-ttl", "redis_volatile_ttl"),
        ("allkeys-lru", "redis_lru"),
    ] {
        let Some(c) = run(Program::RedisServer, Some(policy), TEN_PERCENT, &source, 2) else {
            return;
        };
        assert_eq!(c.model, model);
        let d = c.difference.mean;
        assert!(d.abs() <= 0.005, "{policy}: server − model {d:+.4}");
        for r in &c.runs {
            let Capacity::Keys(capacity) = r.capacity else {
                panic!("a Redis model counts keys");
            };
            assert!(r.server.held_with_ttl > 0, "{policy}: no key with a TTL");
            let server = r.server.held_with_ttl as f64 / r.keys_held as f64;
            let modelled = r.model.held_with_ttl as f64 / capacity as f64;
            assert!(
                (server - modelled).abs() <= 0.015,
                "{policy}: share of keys with a TTL, server {server:.4}, model {modelled:.4}"
            );
        }
    }
}

#[test]
fn keys_that_expire_during_the_run_expire_in_the_model_too() {
    // TTLs of 1 s in a 4 s run paced at 50 000 requests/s: keys expire
    // while they are hot, and the server's hit ratio falls well below
    // what the model would read without the TTLs. With them the model
    // follows the server; its expiry is lazy (at the lookup), as Redis's
    // `expireIfNeeded` is, and Redis's active expire cycle, which frees
    // expired keys before eviction must, changes the hit ratio by less
    // than the tolerance. Measured here over 2 runs, server − model:
    // allkeys-lru +0.0008, volatile-lru +0.0002, volatile-ttl -0.0003; the
    // model evicts 0-4% more keys than the server. Without the TTLs the
    // model reads 0.860 (allkeys-lru) and 0.871 (volatile-lru) against the
    // server's 0.831 and 0.834.
    let dir = tempfile::tempdir().unwrap();
    let mut source = volatile_trace(dir.path(), 200_000, 1);
    source.rate = Some(50_000.0);
    for policy in ["allkeys-lru", "volatile-lru"] {
        let Some(c) = run(Program::RedisServer, Some(policy), TEN_PERCENT, &source, 2) else {
            return;
        };
        let d = c.difference.mean;
        assert!(d.abs() <= 0.005, "{policy}: server − model {d:+.4}");
        let server = c.server_hit_ratio.mean;
        let ignored = SourceArgs {
            ignore_ttl: true,
            ..source.clone()
        };
        let prepared = Prepared::new(&ignored, true, false).unwrap();
        let choice = PolicyChoice::parse(&c.model).unwrap();
        let without = model::run(
            &choice,
            c.runs[0].capacity,
            &prepared.replay(),
            100,
            u64::MAX,
            Clock::default(),
        )
        .unwrap();
        let without = hit_ratio(without.total);
        eprintln!("{policy}: the model without TTLs reads {without:.4}");
        assert!(
            without - server >= 0.01,
            "{policy}: without TTLs the model reads {without:.4}, the server {server:.4}"
        );
    }
}
