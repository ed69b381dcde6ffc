//! `drive` against real servers started for each test on a free loopback
//! port (and stopped by the guard, whatever the test does): the counts a
//! driver takes from the replies against the server's own, compulsory
//! misses only in a cache far above the working set, evictions in a tiny
//! one, the pipeline's batches, and the failures (nothing listening, a
//! server killed midway, an error reply).
//!
//! A test skips, saying why, only when its server is not installed and
//! neither `CI` nor `CACHELAB_REQUIRE_SERVERS` is set; `.ci/run` installs
//! the servers and sets the latter.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use cachelab::drive::{self, DriveOptions, Outcome, Program, SpawnConfig, Spawned, Target};
use cachelab::replay::{Replay, Source, StreamOptions, profile};
use cachelab::seed::Seed;
use cachelab::trace::Trace;
use cachelab::workload::{SizeLaw, Workload};

/// Whether `binary` is an executable file in a directory of `PATH`.
fn installed(binary: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(binary).is_file()))
}

/// Whether `program` is installed; when it is not, says so on standard
/// error, or fails the test when CI or `CACHELAB_REQUIRE_SERVERS=1`
/// requires it.
pub(crate) fn available(program: Program) -> bool {
    let binary = program.binary();
    if installed(binary) {
        return true;
    }
    let required = std::env::var_os("CI").is_some()
        || std::env::var_os("CACHELAB_REQUIRE_SERVERS").is_some_and(|v| v == "1");
    assert!(
        !required,
        "{binary} is not installed, and CI or CACHELAB_REQUIRE_SERVERS=1 requires it (.ci/run installs it)"
    );
    eprintln!("skipped: {binary} is not installed (apt-get install {binary})");
    false
}

/// A private server, or `None` (printed) when it is not installed and
/// nothing requires it.
fn server(program: Program, maxmemory: Option<u64>, policy: Option<&str>) -> Option<Spawned> {
    if !available(program) {
        return None;
    }
    let config = SpawnConfig {
        program,
        maxmemory,
        policy: policy.map(String::from),
        samples: None,
    };
    Some(Spawned::start(&config).unwrap())
}

/// A workload source and stream options with no warm-up.
fn workload(spec: &str, size: &str) -> (Source, StreamOptions) {
    let workload = Workload::parse(spec, SizeLaw::parse(size).unwrap()).unwrap();
    (
        Source::Workload {
            workload,
            seed: Seed(42),
        },
        StreamOptions::default(),
    )
}

/// Drives `target` with the source at the given connections and pipeline.
fn run(
    target: &Target,
    source: &Source,
    options: &StreamOptions,
    connections: usize,
    pipeline: usize,
) -> Outcome {
    let replay = Replay {
        source,
        options,
        next_access: None,
        seed: Seed(1),
    };
    let options = DriveOptions {
        connections,
        pipeline,
        ..DriveOptions::default()
    };
    drive::drive(target, &replay, options).unwrap()
}

/// The server's change in a counter of its own.
fn change(outcome: &Outcome, name: &str) -> i128 {
    let summary = outcome.summary();
    summary.server_counters.change.as_ref().unwrap()[name]
}

/// Checks that the driver's hits and misses are the server's, exactly.
fn counts_agree(outcome: &Outcome) {
    assert!(outcome.complete(), "{:?}", outcome.problem);
    let [hits, misses, _] = outcome.target.protocol.counter_names();
    let counts = outcome.share.counts;
    assert_eq!(i128::from(counts.hits), change(outcome, hits));
    assert_eq!(i128::from(counts.misses), change(outcome, misses));
}

const PROGRAMS: [Program; 2] = [Program::RedisServer, Program::Memcached];

#[test]
fn a_big_cache_misses_each_key_once_and_the_counts_are_the_servers() {
    let (source, options) = workload("zipf:alpha=0.9,keys=5000,requests=20000", "100");
    let distinct = profile(&source, &options, false).unwrap().objects;
    for program in PROGRAMS {
        let Some(server) = server(program, Some(64 << 20), None) else {
            continue;
        };
        let outcome = run(&server.target, &source, &options, 1, 1);
        counts_agree(&outcome);
        let counts = outcome.share.counts;
        assert_eq!(counts.requests, 20_000);
        assert_eq!(
            counts.misses, distinct,
            "{program:?}: compulsory misses only"
        );
        assert_eq!(counts.fills, distinct);
        let [_, _, evictions] = outcome.target.protocol.counter_names();
        assert_eq!(change(&outcome, evictions), 0);
        let held = match program {
            Program::Memcached => "curr_items",
            _ => "keys",
        };
        assert_eq!(change(&outcome, held), i128::from(distinct));
        let summary = outcome.summary();
        assert!(summary.complete);
        assert!(!summary.server.version.is_empty());
        assert_eq!(summary.latency.unwrap().count, 20_000);
    }
}

#[test]
fn a_tiny_cache_evicts_and_pipelined_connections_still_agree() {
    let (source, options) = workload("uniform:keys=50000,requests=30000", "200");
    for program in PROGRAMS {
        let Some(server) = server(program, Some(2 << 20), None) else {
            continue;
        };
        let outcome = run(&server.target, &source, &options, 2, 50);
        counts_agree(&outcome);
        let [_, _, evictions] = outcome.target.protocol.counter_names();
        assert!(change(&outcome, evictions) > 0, "{program:?} did not evict");
        if program == Program::RedisServer {
            assert_eq!(outcome.server.config["maxmemory"], "2097152");
            assert_eq!(outcome.server.config["maxmemory-policy"], "allkeys-lru");
        } else {
            assert_eq!(outcome.server.config["maxbytes"], "2097152");
        }
    }
}

#[test]
fn a_batch_sends_its_gets_then_one_fill_per_distinct_missed_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ops.csv");
    // Batches of 4: [1 2 1 3] all miss (fills 1 2 3); [1 del-2 2 set-4]:
    // 1 hits, 2 misses after its delete (fill 2); [4 2] both hit.
    std::fs::write(
        &path,
        "key,size,op\n1,10,get\n2,10,get\n1,10,get\n3,10,get\n1,10,get\n2,10,delete\n2,10,get\n4,10,set\n4,10,get\n2,10,get\n",
    )
    .unwrap();
    let source = Source::Trace(Trace::new(&path, None).unwrap());
    let options = StreamOptions::default();
    for program in PROGRAMS {
        // (pipeline, hits, misses): one at a time, the second 1 of the
        // first batch hits; in a batch it cannot, its fill not yet sent.
        for (pipeline, hits, misses) in [(4, 3, 5), (1, 4, 4)] {
            let Some(server) = server(program, None, None) else {
                continue;
            };
            let outcome = run(&server.target, &source, &options, 1, pipeline);
            counts_agree(&outcome);
            let c = outcome.share.counts;
            assert_eq!(
                (
                    c.requests, c.gets, c.hits, c.misses, c.fills, c.sets, c.deletes
                ),
                (10, 8, hits, misses, 4, 1, 1),
                "{program:?}, pipeline {pipeline}"
            );
        }
    }
}

#[test]
fn nothing_listening_is_an_error_naming_the_target() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (source, options) = workload("uniform:keys=10,requests=10", "1");
    for protocol in [drive::Protocol::Redis, drive::Protocol::Memcached] {
        let target = Target::loopback(protocol, port);
        let replay = Replay {
            source: &source,
            options: &options,
            next_access: None,
            seed: Seed(1),
        };
        let options = DriveOptions {
            connections: 1,
            pipeline: 1,
            ..DriveOptions::default()
        };
        let Err(error) = drive::drive(&target, &replay, options) else {
            panic!("{target}: drove a server that is not there");
        };
        let message = error.to_string();
        assert!(message.contains(&target.to_string()), "{message}");
        assert!(message.contains("cannot connect"), "{message}");
    }
}

#[test]
fn a_server_killed_midway_leaves_a_result_marked_partial() {
    // 4000 requests paced at 4000/s: a second of driving, killed at 0.3 s.
    let (source, mut options) = workload("uniform:keys=1000,requests=4000", "10");
    options.rate = Some(4000.0);
    for program in PROGRAMS {
        let Some(mut server) = server(program, None, None) else {
            continue;
        };
        let target = server.target.clone();
        let outcome = std::thread::scope(|scope| {
            let driving = scope.spawn(|| run(&target, &source, &options, 1, 1));
            std::thread::sleep(Duration::from_millis(300));
            server.stop();
            driving.join().unwrap()
        });
        assert!(!outcome.complete(), "{program:?}");
        let message = outcome.problem.clone().unwrap();
        assert!(message.contains(&target.to_string()), "{message}");
        assert!(
            outcome.share.driven > 0 && outcome.share.driven < 4000,
            "{message}"
        );
        assert!(outcome.after.is_none());
        let summary = serde_json::to_value(outcome.summary()).unwrap();
        assert_eq!(summary["complete"], false);
        assert_eq!(summary["message"], message.as_str());
        // Paced: latencies run from each request's due time, which a
        // healthy loopback server meets within milliseconds.
        assert!(outcome.share.latency.value_at_quantile(0.5) < 50_000_000);
    }
}

fn cachelab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(args)
        .output()
        .expect("cachelab runs")
}

/// The rows of a CSV file, each a map from header to field.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .map(String::from)
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// `--at-trace-times`: a trace of three bursts 400 ms apart that starts at
/// t = 5 s, sped up twice, is sent over 400 ms from its first request (not
/// from time zero, and not as fast as possible), with latencies from each
/// request's due time staying small; a trace without timestamps, or one
/// also given a rate, is refused.
#[test]
fn a_trace_is_sent_at_its_own_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bursts.csv");
    let mut text = String::from("time,key,size\n");
    for (burst, at_ms) in [5000, 5400, 5800].into_iter().enumerate() {
        for i in 0..100 {
            text.push_str(&format!("{at_ms},{},10\n", burst * 100 + i));
        }
    }
    std::fs::write(&path, text).unwrap();
    let trace = Trace::new(
        &path,
        Some("csv:time=1,key=2,size=3,header=true,time-unit=ms"),
    )
    .unwrap();
    let source = Source::Trace(trace);
    let options = StreamOptions::default();
    let replay = Replay {
        source: &source,
        options: &options,
        next_access: None,
        seed: Seed(1),
    };
    let paced = DriveOptions {
        trace_times: Some(2.0),
        ..DriveOptions::default()
    };
    for program in PROGRAMS {
        let Some(server) = server(program, None, None) else {
            continue;
        };
        let outcome = drive::drive(&server.target, &replay, paced).unwrap();
        counts_agree(&outcome);
        assert_eq!(outcome.share.counts.gets, 300);
        let elapsed = outcome.elapsed.as_secs_f64();
        assert!((0.4..2.0).contains(&elapsed), "{program:?}: {elapsed} s");
        let p99 = outcome.share.latency.value_at_quantile(0.99);
        assert!(
            p99 < 100_000_000,
            "{program:?}: p99 {p99} ns from the due times"
        );
        assert_eq!(outcome.summary().trace_times, Some(2.0));
    }
    let Some(server) = server(Program::RedisServer, None, None) else {
        return;
    };
    let rated = StreamOptions {
        rate: Some(100.0),
        ..StreamOptions::default()
    };
    let no_times = Source::Workload {
        workload: Workload::parse("uniform:keys=10,requests=10", SizeLaw::parse("1").unwrap())
            .unwrap(),
        seed: Seed(1),
    };
    for (source, options, expected) in [
        (&source, &rated, "give one of the two"),
        (&no_times, &options, "has no timestamps of its own"),
    ] {
        let replay = Replay {
            source,
            options,
            next_access: None,
            seed: Seed(1),
        };
        let Err(error) = drive::drive(&server.target, &replay, paced) else {
            panic!("drove a stream it should refuse to pace");
        };
        assert!(error.to_string().contains(expected), "{error}");
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_command_writes_its_results_and_marks_an_error_reply_partial() {
    if server(Program::RedisServer, None, None).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ok");
    let output = cachelab(&[
        "drive",
        "--spawn",
        "redis-server",
        "--maxmemory",
        "64MiB",
        "--workload",
        "zipf:alpha=1,keys=1000,requests=5000",
        "--object-size",
        "64",
        "--warmup",
        "1000",
        "--pipeline",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("hit ratio 0."), "{stdout}");
    assert!(stdout.contains("keyspace_hits"), "{stdout}");
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["complete"], true);
    assert_eq!(summary["counts"]["requests"], 4000);
    assert_eq!(summary["driven"], 5000);
    assert_eq!(summary["server"]["software"], "redis");
    let csv = std::fs::read_to_string(out.join("drive.csv")).unwrap();
    assert!(csv.starts_with("target,software,version,complete,requests,"));
    let run = read_json(&out.join("run.json"));
    assert!(run["wall_clock"]["requests_per_second"].as_f64().unwrap() > 0.0);
    assert!(summary.get("wall_clock").is_none());
    // The series: 100 intervals of 40 counted requests, gets and hits
    // adding up to the summary's.
    let series = csv_rows(&out.join("drive-series.csv"));
    assert_eq!(series.len(), 100);
    assert_eq!(series[1]["first_request"], "40");
    let total = |column: &str| -> u64 {
        series
            .iter()
            .map(|r| r[column].parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(total("gets"), 4000);
    assert_eq!(serde_json::json!(total("hits")), summary["counts"]["hits"]);
    // Latency as a cluster run writes it: all, hits and misses.
    let latency = csv_rows(&out.join("latency.csv"));
    let classes: Vec<&str> = latency.iter().map(|r| r["class"].as_str()).collect();
    assert_eq!(classes.iter().filter(|&&c| c == "hits").count(), 9);
    assert_eq!(classes.iter().filter(|&&c| c == "misses").count(), 9);
    let p50 = |class: &str| -> u64 {
        latency
            .iter()
            .find(|r| r["class"] == class && r["percentile"] == "50.0")
            .unwrap()["latency_ns"]
            .parse()
            .unwrap()
    };
    assert!(p50("all") > 0 && p50("hits") > 0 && p50("misses") > 0);
    for file in ["drive.png", "drive.svg", "latency.png", "report.html"] {
        assert!(out.join(file).is_file(), "{file} not written");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Real server") && html.contains("<svg"),
        "report.html"
    );

    // noeviction with 1 MiB: Redis refuses the first fill (OOM).
    let out = dir.path().join("oom");
    let output = cachelab(&[
        "drive",
        "--spawn",
        "redis-server",
        "--maxmemory",
        "1MiB",
        "--policy",
        "noeviction",
        "--workload",
        "uniform:keys=100000,requests=20000",
        "--object-size",
        "1000",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("PARTIAL RESULT: redis://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("OOM"), "{stderr}");
    assert_eq!(read_json(&out.join("summary.json"))["complete"], false);

    let output = cachelab(&[
        "drive",
        "--target",
        "tcp://127.0.0.1:6379",
        "--workload",
        "uniform:keys=10,requests=10",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("redis://HOST:PORT (Redis or Valkey) or memcached://HOST:PORT"),
        "{stderr}"
    );
}

/// A trace's TTLs reach the server: a key filled with a TTL of 2 s hits a
/// second later and misses three seconds after that, on Redis (`SET … EX`)
/// and memcached (the set's exptime), while a key without a TTL keeps
/// hitting; with the TTLs dropped both keys hit. Two seconds leave room
/// for memcached's one-second clock.
#[test]
fn a_trace_ttl_expires_the_filled_key_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ttls.twitter");
    let text: String = [0, 1, 4]
        .iter()
        .flat_map(|t| {
            [
                format!("{t},short,4,6,1,get,2\n"),
                format!("{t},kept,4,6,1,get,0\n"),
            ]
        })
        .collect();
    std::fs::write(&path, text).unwrap();
    let source = Source::Trace(Trace::new(&path, Some("twitter")).unwrap());
    let run = |server: &Spawned, options: &StreamOptions, speedup: f64| {
        let replay = Replay {
            source: &source,
            options,
            next_access: None,
            seed: Seed(1),
        };
        let paced = DriveOptions {
            trace_times: Some(speedup),
            ..DriveOptions::default()
        };
        drive::drive(&server.target, &replay, paced).unwrap()
    };
    let honoured = StreamOptions {
        ttls: true,
        ..StreamOptions::default()
    };
    let dropped = StreamOptions::default();
    for program in PROGRAMS {
        let Some(server) = server(program, None, None) else {
            continue;
        };
        let outcome = run(&server, &honoured, 1.0);
        counts_agree(&outcome);
        let counts = outcome.share.counts;
        // short: miss, hit, miss (expired); kept: miss, hit, hit.
        assert_eq!((counts.gets, counts.hits), (6, 3), "{program:?}");
        assert_eq!(counts.fills, 3, "{program:?}");
    }
    let Some(server) = server(Program::RedisServer, None, None) else {
        return;
    };
    // Without TTLs nothing expires, so the run can go four times faster.
    let outcome = run(&server, &dropped, 4.0);
    counts_agree(&outcome);
    assert_eq!(
        (outcome.share.counts.gets, outcome.share.counts.hits),
        (6, 4)
    );
}
