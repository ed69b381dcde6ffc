//! Trace TTLs: replay honours them (lazy expiry, and `+expire`'s
//! TTL-aware eviction) against a hand-worked trace and an independent
//! naive model; TTL-less replays keep their columns and numbers; cluster
//! runs fed by a TTL-carrying trace expire entries by their requests' TTLs.

use std::path::Path;

use cachelab::cli::{ReplayArgs, SourceArgs, replay};
use cachelab::metrics::CellResult;
use cachelab::request::{NEVER, Request};
use cachelab::trace::{Record, TraceOp, write_lcs};

/// A Twitter trace line: `time,key,key size,value size,client,op,ttl`,
/// every object of size 1 (a 1-byte key, no value).
fn line(time_s: u64, key: &str, ttl_s: u32) -> String {
    format!("{time_s},{key},1,0,1,get,{ttl_s}\n")
}

fn replay_rows(
    trace: &Path,
    policies: &[&str],
    sizes: &[&str],
    ignore_ttl: bool,
) -> Vec<CellResult> {
    replay_pipelined(trace, policies, sizes, ignore_ttl, 1)
}

/// [`replay_rows`] by a client sending `pipeline` requests at a time.
fn replay_pipelined(
    trace: &Path,
    policies: &[&str],
    sizes: &[&str],
    ignore_ttl: bool,
    pipeline: usize,
) -> Vec<CellResult> {
    let out = trace.with_extension("out");
    let source = SourceArgs {
        trace: Some(trace.to_path_buf()),
        ignore_ttl,
        object_size: "1".to_string(),
        seed: 42,
        ..SourceArgs::default()
    };
    let args = ReplayArgs {
        policies: policies.iter().map(ToString::to_string).collect(),
        sizes: sizes.iter().map(ToString::to_string).collect(),
        out: Some(out),
        jobs: Some(1),
        pipeline,
    };
    replay(&source, &args, false).unwrap().rows
}

#[test]
fn a_hand_worked_trace_expires_lazily_and_expire_first_keeps_the_live_object() {
    // A two-object LRU. B never expires; A lives 5 s from its insert.
    //   t=0  B  miss, insert               [B A] are listed least recent first
    //   t=1  A  miss, insert (dies at 6)   [B A]
    //   t=2  A  hit                        [B A]
    //   t=6  A  dead at exactly 6: a miss and an expiry (both ways, nothing
    //           needed room); refilled, now dies at 11   [B A]
    //   t=7  D  miss (dies at 8); nothing has expired: B is evicted [A D]
    //   t=9  C  miss, room needed. Lazy: LRU evicts A, which is alive (D,
    //           dead, is the more recent) [D C]. +expire: D has expired,
    //           so D leaves and A stays [A C].
    //   t=10 A  lazy: miss. +expire: hit.
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("hand.twitter");
    let text: String = [
        line(0, "B", 0),
        line(1, "A", 5),
        line(2, "A", 5),
        line(6, "A", 5),
        line(7, "D", 1),
        line(9, "C", 0),
        line(10, "A", 5),
    ]
    .concat();
    std::fs::write(&trace, text).unwrap();
    let rows = replay_rows(&trace, &["lru", "lru+expire"], &["2"], false);
    let counts: Vec<(&str, u64, u64, Option<u64>)> = rows
        .iter()
        .map(|r| (r.policy.as_str(), r.requests, r.misses, r.expired))
        .collect();
    assert_eq!(
        counts,
        [("lru", 7, 6, Some(1)), ("lru+expire", 7, 5, Some(1))]
    );
    // With the TTLs dropped nothing dies: t=6 hits, t=7 evicts B, t=9
    // evicts A, t=10 misses: B, A, D, C, A. No expiry column.
    let ignored = replay_rows(&trace, &["lru", "lru+expire"], &["2"], true);
    for row in &ignored {
        assert_eq!((row.misses, row.expired), (5, None), "{}", row.policy);
    }
    let header = std::fs::read_to_string(dir.path().join("hand.out/replay.csv")).unwrap();
    assert!(
        header.starts_with("policy,cache_size,requests,misses,miss_ratio,byte_miss_ratio\n"),
        "{header}"
    );
}

#[test]
fn an_object_dies_at_exactly_its_ttl() {
    // Inserted at 10 with a TTL of 3: alive at 12, dead at 13 (memcached's
    // rule; see policy::expiry).
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("edge.twitter");
    let text = [line(10, "K", 3), line(12, "K", 3), line(13, "K", 3)].concat();
    std::fs::write(&trace, text).unwrap();
    let row = &replay_rows(&trace, &["fifo"], &["10"], false)[0];
    assert_eq!((row.misses, row.expired), (2, Some(1)));
}

/// Requests of a Zipf stream at 100 requests/s of trace time (whole
/// seconds, as lcs stores them), each with a
/// TTL drawn from `ttls` by its key (so a key keeps one TTL, as an
/// application's keys do), sizes from 1 to 100.
fn ttl_records(ttls: &[u32], seed: u64) -> Vec<Record> {
    crate::common::requests("zipf:alpha=0.9,keys=5000,requests=60000", "1", seed)
        .into_iter()
        .enumerate()
        .map(|(i, r)| Record {
            request: Request {
                time_ns: (i as u64 / 100) * 1_000_000_000,
                size: 1 + (r.key % 100) as u32,
                ..r
            },
            trace_op: TraceOp::GET,
            ttl_s: ttls[(r.key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as usize % ttls.len()],
            tenant: 0,
        })
        .collect()
}

/// Misses and expiries of a naive LRU honouring TTLs, written for this
/// test: a vector in recency order, expiry checked at each lookup, and with
/// `expire_first` the expired resident of the soonest (expiry, key) removed
/// while an insert does not fit, before the least recent is evicted.
fn naive_lru(records: &[Record], capacity: u64, expire_first: bool) -> (u64, u64) {
    // (key, size, expiry in ns or NEVER), least recent first.
    let mut cache: Vec<(u64, u64, u64)> = Vec::new();
    let (mut misses, mut expired) = (0, 0);
    for record in records {
        let req = &record.request;
        let now = req.time_ns;
        let size = u64::from(req.size);
        if let Some(i) = cache.iter().position(|e| e.0 == req.key) {
            let entry = cache.remove(i);
            if entry.2 > now {
                cache.push(entry);
                continue;
            }
            expired += 1;
        }
        misses += 1;
        if size > capacity {
            continue;
        }
        let used = |c: &Vec<(u64, u64, u64)>| c.iter().map(|e| e.1).sum::<u64>();
        while expire_first && used(&cache) + size > capacity {
            let soonest = (0..cache.len())
                .filter(|&i| cache[i].2 <= now)
                .min_by_key(|&i| (cache[i].2, cache[i].0));
            match soonest {
                Some(i) => {
                    cache.remove(i);
                }
                None => break,
            }
        }
        while used(&cache) + size > capacity {
            cache.remove(0);
        }
        let expiry = match record.ttl_s {
            0 => NEVER,
            ttl => now + u64::from(ttl) * 1_000_000_000,
        };
        cache.push((req.key, size, expiry));
    }
    (misses, expired)
}

#[test]
fn replay_with_ttls_matches_a_naive_lru_and_expire_first_never_loses_hits() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("heavy.lcs");
    // Most keys live 5 to 60 s, against a stream of 600 s: TTL-heavy.
    let records = ttl_records(&[0, 5, 20, 60], 3);
    write_lcs(&trace, 3, &records).unwrap();
    let sizes = ["2000", "10000", "40000"];
    let policies = [
        "lru",
        "lru+expire",
        "fifo",
        "fifo+expire",
        "s3fifo",
        "s3fifo+expire",
        "arc",
        "arc+expire",
        "wtinylfu",
        "wtinylfu+expire",
        "lru+bloom",
        "lru+bloom+expire",
    ];
    let rows = replay_rows(&trace, &policies, &sizes, false);
    let row = |policy: &str, size: &str| {
        rows.iter()
            .find(|r| r.policy == policy && r.cache_size.to_string() == size)
            .unwrap()
    };
    for size in sizes {
        let capacity: u64 = size.parse().unwrap();
        for (policy, expire_first) in [("lru", false), ("lru+expire", true)] {
            let r = row(policy, size);
            assert_eq!(
                (r.misses, r.expired.unwrap()),
                naive_lru(&records, capacity, expire_first),
                "{policy} at {size}"
            );
        }
        for pair in policies.chunks(2) {
            let (lazy, aware) = (row(pair[0], size), row(pair[1], size));
            assert_eq!(lazy.requests, records.len() as u64);
            for r in [lazy, aware] {
                assert!(r.expired.unwrap() <= r.misses, "{} at {size}", r.policy);
            }
            assert!(
                aware.misses <= lazy.misses,
                "{} misses {} > {} of {} at {size}",
                aware.policy,
                aware.misses,
                lazy.misses,
                lazy.policy
            );
            // In the largest cache objects live long enough to die resident,
            // and dead ones crowd live ones out: lazy expiry alone misses
            // 1312 (lru+bloom) to 1705 (fifo) more of the 60 000 requests.
            if size == "40000" {
                assert!(aware.misses + 1000 < lazy.misses, "{}", aware.policy);
            }
        }
    }
}

#[test]
fn without_ttls_expire_first_and_honouring_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // The same stream with every TTL 0, as lcs v3 (TTLs honoured, none set)
    // and as lcs v1 (no TTL field at all).
    let records = ttl_records(&[0], 4);
    let (v3, v1) = (dir.path().join("none.lcs"), dir.path().join("v1.lcs"));
    write_lcs(&v3, 3, &records).unwrap();
    write_lcs(&v1, 1, &records).unwrap();
    let policies = ["lru", "lru+expire", "s3fifo", "s3fifo+expire"];
    let honoured = replay_rows(&v3, &policies, &["5000"], false);
    let plain = replay_rows(&v1, &policies, &["5000"], false);
    for (with, without) in honoured.iter().zip(&plain) {
        assert_eq!(with.expired, Some(0));
        assert_eq!(without.expired, None, "lcs v1 carries no TTLs");
        assert_eq!(with.misses, without.misses, "{}", with.policy);
    }
    for pair in plain.chunks(2) {
        assert_eq!(pair[0].misses, pair[1].misses, "{}", pair[1].policy);
    }
    // lcs v1 and a TTL-less trace write the columns they always did.
    let csv = std::fs::read_to_string(dir.path().join("v1.out/replay.csv")).unwrap();
    assert!(csv.starts_with("policy,cache_size,requests,misses,miss_ratio,byte_miss_ratio\n"));
    let csv = std::fs::read_to_string(dir.path().join("none.out/replay.csv")).unwrap();
    assert!(
        csv.starts_with("policy,cache_size,requests,misses,miss_ratio,byte_miss_ratio,expired\n")
    );
}

#[test]
fn expire_parses_last_and_refuses_slab_pages() {
    use cachelab::policy::PolicyChoice;
    let choice = PolicyChoice::parse("lru+bloom:window=2+expire").unwrap();
    assert!(choice.expire_first && choice.filter.is_some());
    assert_eq!(choice.label, "lru+bloom:window=2+expire");
    assert!(!PolicyChoice::parse("lru+bloom").unwrap().expire_first);
    let error = |text: &str| PolicyChoice::parse(text).unwrap_err().to_string();
    assert!(error("lru+expire+bloom").contains("`+expire` comes last"));
    assert!(error("memcached_slabs+expire").contains("slab pages"));
}

#[test]
fn a_pipelined_replay_fills_at_the_end_of_its_batch_with_the_first_misses_ttl() {
    // LRU of 10, batches of 2. Fills land after their batch, at the time of
    // its last request, with the TTL of the key's first miss in it.
    //   [A@0 ttl 5, C@5]   both miss; filled at 5: A dies at 10 (not 5)
    //   [A@8, A@9]         both hit
    //   [A@10 ttl 7, A@11 ttl 9]  A dead at 10: a miss and an expiry; the
    //                      repeat misses too; one fill at 11, ttl 7: dies 18
    //   [A@17, B@18]       A hits, B misses
    //   [A@18, X@18]       A dead at 18: a miss and an expiry; X misses
    // One at a time the same trace misses at A@0, C@5, A@8 (dead at 5),
    // A@17 (dead at 13), B@18, X@18.
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("batches.twitter");
    let text: String = [
        line(0, "A", 5),
        line(5, "C", 100),
        line(8, "A", 5),
        line(9, "A", 5),
        line(10, "A", 7),
        line(11, "A", 9),
        line(17, "A", 5),
        line(18, "B", 0),
        line(18, "A", 5),
        line(18, "X", 0),
    ]
    .concat();
    std::fs::write(&trace, text).unwrap();
    let batched = &replay_pipelined(&trace, &["lru"], &["10"], false, 2)[0];
    assert_eq!((batched.requests, batched.misses), (10, 7));
    assert_eq!(batched.expired, Some(2));
    let single = &replay_pipelined(&trace, &["lru"], &["10"], false, 1)[0];
    assert_eq!((single.requests, single.misses), (10, 6));
    assert_eq!(single.expired, Some(2));
}

#[test]
fn a_sampled_curve_with_ttls_is_refused_by_flag() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.twitter");
    std::fs::write(&trace, [line(0, "A", 5), line(1, "A", 5)].concat()).unwrap();
    let out = crate::common::cachelab(&[
        "mrc",
        "--trace",
        trace.to_str().unwrap(),
        "--sample",
        "0.5",
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("sampled curve (--sample) with the trace's TTLs"),
        "{stderr}"
    );
    assert!(stderr.contains("--ignore-ttl"), "{stderr}");
}

/// A one-node cluster reading `trace` at its own timestamps, with no
/// latency anywhere, so each miss is filled at the instant of its get.
fn cluster_toml(trace: &Path, capacity: &str, policy: &str, extra: &str) -> String {
    format!(
        r#"
        duration = "700s"
        [workload]
        popularity = "trace"
        trace = "{}"
        {extra}
        [clients]
        rate = 1000
        [nodes]
        count = 1
        capacity = "{capacity}"
        policy = "{policy}"
        service_time = "0s"
        latency = "0s"
        [database]
        service_time = "0s"
        latency = "0s"
        "#,
        trace.display()
    )
}

#[test]
fn a_cluster_expires_entries_by_their_requests_ttls_and_falls_back_to_cache_ttl() {
    // K has no TTL of its own, J lives 2 s:
    //   K at 0, 3, 5: with cache.ttl = 4s K dies at 4, so 5 misses;
    //                 without, 3 and 5 hit.
    //   J at 10, 11, 12: dies at 12 whatever cache.ttl says: 11 hits only.
    // With the trace's TTLs dropped, J lives as K does.
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("small.twitter");
    let text = [
        line(0, "K", 0),
        line(3, "K", 0),
        line(5, "K", 0),
        line(10, "J", 2),
        line(11, "J", 2),
        line(12, "J", 2),
    ]
    .concat();
    std::fs::write(&trace, text).unwrap();
    for (extra, hits) in [
        ("[cache]\nttl = \"4s\"", 2),
        ("", 3),
        ("trace_ttl = false\n[cache]\nttl = \"4s\"", 3),
        ("trace_ttl = false", 4),
    ] {
        let toml = cluster_toml(&trace, "1MiB", "lru", extra);
        let s = crate::common::run_scenario(&toml, &[]).summary;
        assert_eq!((s.gets, s.hits), (6, hits), "{extra:?}");
    }
}

#[test]
fn a_cluster_fed_a_ttl_trace_counts_what_replay_counts() {
    // One request a second (so the cluster's order of gets and fills is
    // replay's), 40 keys with TTLs of 0, 5, 20 and 60 s; caches of 10
    // objects (evictions and expiries both matter) and of all of them.
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("ttls.twitter");
    let records = ttl_records(&[0, 5, 20, 60], 9);
    let text: String = records
        .iter()
        .take(600)
        .enumerate()
        .map(|(i, r)| {
            line(
                i as u64,
                &format!("k{}", r.request.key % 40),
                [0, 5, 20, 60][(r.request.key % 4) as usize],
            )
        })
        .collect();
    std::fs::write(&trace, text).unwrap();
    for policy in ["lru", "lru+expire", "s3fifo", "s3fifo+expire"] {
        for capacity in [10, 1000] {
            let toml = cluster_toml(&trace, &format!("{capacity}B"), policy, "");
            let s = crate::common::run_scenario(&toml, &[]).summary;
            let rows = replay_rows(&trace, &[policy], &[&capacity.to_string()], false);
            assert_eq!(s.gets, rows[0].requests);
            assert_eq!(s.misses, rows[0].misses, "{policy} at {capacity}");
            if capacity == 1000 {
                // Nothing is evicted: every miss but the 40 first is an expiry.
                assert_eq!(rows[0].expired, Some(s.misses - 40), "{policy}");
            }
        }
    }
}
