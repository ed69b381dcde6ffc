//! cachelab's model of a server, fed the stream the server was fed, the way
//! the driver fed it: which policy models which server configuration, and
//! a replay with the driver's batch semantics.
//!
//! A batch of `pipeline` requests is looked up first (a get's hit or miss
//! as the server answers a pipeline, before any fill), then one insert for
//! each distinct key that missed, in the order of first misses: the batch
//! rule of [`crate::replay::pipeline`], which the driver's fills follow too.
//! Connections are modelled as one
//! sequence of batches: with several, the server interleaves them in an
//! order no model can know. The model's capacity is the key count the
//! server held (Redis: every object then counts 1), or memcached's `-m`
//! bytes (the slab model: objects keep their sizes, as the driver stores
//! them: a value of the object's size under the key `cachelab:<n>`).
//!
//! TTLs, when the stream honours them, go as the driver sends them: a set
//! carries its own TTL from its own time, a fill the TTL of its key's first
//! miss in the batch from the batch's last request (when the server has
//! answered the batch), and a set or delete ends the key's old lifetime.
//! An expired key leaves when it is looked up (Redis's `expireIfNeeded`,
//! memcached's lazy check) or, with `+expire`, when an insert needs room
//! (close to Redis's active expire cycle, which frees expired keys before
//! eviction has to).

use std::ops::ControlFlow;

use super::CalibrateError;
use crate::drive::Tally;
use crate::drive::spawn::Program;
use crate::drive::target::ServerInfo;
use crate::policy::PolicyChoice;
use crate::policy::parts::expiry::Lifetimes;
use crate::replay::pipeline::Fills;
use crate::replay::{Replay, ReplayError};
use crate::request::{Op, Request};

/// The policy that models `program` with `policy` (Redis's
/// `maxmemory-policy`) as the server reports its configuration, with the
/// server's own parameters (`maxmemory-samples`, the LFU factors).
pub fn model_of(program: Program, server: &ServerInfo) -> Result<PolicyChoice, CalibrateError> {
    let config = |name: &str| server.config.get(name).cloned().unwrap_or_default();
    let text = match program {
        Program::Memcached => "memcached_slabs".to_string(),
        Program::RedisServer | Program::ValkeyServer => {
            let samples = config("maxmemory-samples");
            let policy = config("maxmemory-policy");
            match policy.as_str() {
                "allkeys-lru" => format!("redis_lru:samples={samples}"),
                "volatile-lru" => format!("redis_volatile_lru:samples={samples}"),
                "allkeys-lfu" | "volatile-lfu" => format!(
                    "{}:samples={samples},log_factor={},decay_minutes={}",
                    if policy == "allkeys-lfu" {
                        "redis_lfu"
                    } else {
                        "redis_volatile_lfu"
                    },
                    config("lfu-log-factor"),
                    config("lfu-decay-time")
                ),
                "allkeys-random" => "redis_random".to_string(),
                "volatile-random" => "redis_volatile_random".to_string(),
                "volatile-ttl" => format!("redis_volatile_ttl:samples={samples}"),
                other => {
                    return Err(CalibrateError::NoModel(format!(
                        "--policy {other}: cachelab models allkeys-lru, allkeys-lfu, allkeys-random (redis_lru, redis_lfu, redis_random) and volatile-lru, volatile-lfu, volatile-random, volatile-ttl (redis_volatile_*)"
                    )));
                }
            }
        }
    };
    PolicyChoice::parse(&text).map_err(|e| CalibrateError::NoModel(format!("{text}: {e}")))
}

/// How the model's clock runs: where in its second the server's run began,
/// and the pace of an unpaced run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Clock {
    /// Nanoseconds past the wall clock's whole second at the first request:
    /// Redis's LRU clock ticks when the wall clock's second does, so the
    /// model's first tick comes `1 s − phase` into the run, as the server's did.
    pub phase_ns: u64,
    /// Requests per second the server was driven at, when unpaced; `None`
    /// keeps the stream's own (paced) times.
    pub rate: Option<f64>,
}

/// The capacity the model is given.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    /// Objects, each counting 1: the keys the server held at the end.
    Keys(u64),
    /// Bytes of memory (memcached's `-m`), objects counting their sizes.
    Bytes(u64),
}

/// What the model did to the counted requests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelRun {
    /// Gets and hits overall.
    pub total: Tally,
    /// Gets and hits per interval, as the driver tallies them.
    pub intervals: Vec<Tally>,
    /// Objects evicted, warm-up included (as the server counts them).
    pub evictions: u64,
    /// Residents with a TTL at the end (Redis's `expires=` of `db0`),
    /// expired ones that no lookup removed included.
    pub held_with_ttl: u64,
}

/// Replays `replay`'s stream through `choice` at `capacity` in batches of
/// `pipeline`, tallying per `interval` counted requests; with a capacity in
/// bytes, after the probe's stores and deletes. The
/// model's clock reads `clock.phase_ns` plus, with `clock.rate`, `i / rate`
/// seconds at request `i` (the pace the server saw), else the request's own
/// time.
pub fn run(
    choice: &PolicyChoice,
    capacity: Capacity,
    replay: &Replay,
    pipeline: usize,
    interval: u64,
    clock: Clock,
) -> Result<ModelRun, ReplayError> {
    let (units, unit_sizes) = match capacity {
        Capacity::Keys(keys) => (keys, true),
        Capacity::Bytes(bytes) => (bytes, false),
    };
    let mut policy = choice.build(units, replay.seed);
    if !unit_sizes {
        // The probe stored and deleted these before the run: in memcached
        // the pages they took stay with their classes.
        let mut evicted = Vec::new();
        let probed = super::probe::first_keys(replay)?;
        for &(key, size) in &probed {
            let request = Request {
                time_ns: clock.phase_ns,
                ..Request::get(key, size)
            };
            policy.insert(&request, &mut evicted);
        }
        for &(key, _) in &probed {
            policy.remove(key);
        }
    }
    let mut out = ModelRun::default();
    let mut lifetimes = Lifetimes::new(choice.expire_first);
    let mut evicted = Vec::new();
    let mut batch: Vec<Sent> = Vec::with_capacity(pipeline);
    let mut position = 0u64;
    let mut counted = 0u64;
    let mut fills = Fills::default();
    let mut flush = |batch: &mut Vec<Sent>, out: &mut ModelRun| {
        let Some(last) = batch.last() else {
            return;
        };
        let fill_time = last.request.time_ns;
        for sent in batch.iter() {
            let request = &sent.request;
            match request.op {
                Op::Get => {
                    lifetimes.expire_if_due(policy.as_mut(), request.key, request.time_ns);
                    let hit = policy.get(request);
                    if !hit {
                        fills.missed(request, sent.ttl_s);
                    }
                    if sent.counts {
                        let index = (counted / interval) as usize;
                        if out.intervals.len() <= index {
                            out.intervals.resize(index + 1, Tally::default());
                        }
                        for tally in [&mut out.intervals[index], &mut out.total] {
                            tally.gets += 1;
                            tally.hits += u64::from(hit);
                        }
                    }
                }
                Op::Set => {
                    policy.remove(request.key);
                    lifetimes.forget(request.key);
                    out.evictions +=
                        lifetimes.store(policy.as_mut(), request, sent.ttl_s, &mut evicted);
                }
                Op::Delete => {
                    policy.remove(request.key);
                    lifetimes.forget(request.key);
                }
            }
            counted += u64::from(sent.counts);
        }
        for (request, ttl_s) in fills.drain() {
            if !policy.contains(request.key) {
                let fill = Request {
                    time_ns: fill_time,
                    ..request
                };
                out.evictions += lifetimes.store(policy.as_mut(), &fill, ttl_s, &mut evicted);
            }
        }
        batch.clear();
    };
    replay.visit_batches_with_ttls(|requests, ttls, counted_from| {
        for (i, request) in requests.iter().enumerate() {
            let mut request = Request {
                size: if unit_sizes { 1 } else { request.size },
                ..*request
            };
            let since_start = match clock.rate {
                Some(rate) => (position as f64 * 1e9 / rate) as u64,
                None => request.time_ns,
            };
            request.time_ns = clock.phase_ns + since_start;
            position += 1;
            batch.push(Sent {
                request,
                ttl_s: ttls.get(i).copied().unwrap_or(0),
                counts: i >= counted_from,
            });
            if batch.len() == pipeline {
                flush(&mut batch, &mut out);
            }
        }
        ControlFlow::Continue(())
    })?;
    flush(&mut batch, &mut out);
    out.held_with_ttl = lifetimes.len() as u64;
    Ok(out)
}

/// A request of the batch being sent: its TTL (seconds, 0: none) and
/// whether it is past the warm-up.
struct Sent {
    request: Request,
    ttl_s: u32,
    counts: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::{Source, StreamOptions};
    use crate::seed::Seed;
    use crate::workload::{SizeLaw, Workload};

    #[test]
    fn a_key_missed_twice_in_a_batch_is_two_misses_and_one_fill() {
        // Keys 0, 0, 1, 0 in one batch of 4 in a cache of 10: all miss (no
        // fill lands before the batch's gets are answered), two fills.
        // With batches of 1 the repeats hit.
        let workload = Workload::parse("uniform:keys=1,requests=4", SizeLaw::Fixed(1)).unwrap();
        let source = Source::Workload {
            workload,
            seed: Seed(1),
        };
        let options = StreamOptions::default();
        let replay = Replay {
            source: &source,
            options: &options,
            next_access: None,
            seed: Seed(1),
        };
        let lru = PolicyChoice::parse("lru").unwrap();
        let batched = run(&lru, Capacity::Keys(10), &replay, 4, 2, Clock::default()).unwrap();
        assert_eq!(batched.total, Tally { gets: 4, hits: 0 });
        assert_eq!(batched.intervals, [Tally { gets: 2, hits: 0 }; 2]);
        let single = run(&lru, Capacity::Keys(10), &replay, 1, 2, Clock::default()).unwrap();
        assert_eq!(single.total, Tally { gets: 4, hits: 3 });
        assert_eq!(single.evictions, 0);
    }

    #[test]
    fn replay_with_a_pipeline_is_the_model_of_the_same_batches() {
        // One batch rule for both: on a get-only stream of unit objects,
        // `replay --pipeline B` and calibrate's model count the same hits,
        // and batches of 100 hit less than batches of 1 (repeats within a
        // batch miss).
        let workload =
            Workload::parse("zipf:alpha=1.0,keys=2000,requests=40000", SizeLaw::Fixed(1)).unwrap();
        let source = Source::Workload {
            workload,
            seed: Seed(3),
        };
        let options = StreamOptions {
            warmup: 10_000,
            ..StreamOptions::default()
        };
        let replay = Replay {
            source: &source,
            options: &options,
            next_access: None,
            seed: Seed(4),
        };
        let mut hits = Vec::new();
        for choice in ["lru", "redis_lru", "redis_random"] {
            let policy = PolicyChoice::parse(choice).unwrap();
            for pipeline in [1, 100] {
                let cell = crate::replay::Cell {
                    policy: policy.clone(),
                    capacity: 50,
                };
                let replayed = replay.run_cell(&cell, pipeline).unwrap();
                let modelled = run(
                    &policy,
                    Capacity::Keys(50),
                    &replay,
                    pipeline,
                    1000,
                    Clock::default(),
                )
                .unwrap();
                assert_eq!(
                    modelled.total.gets, replayed.requests,
                    "{choice} B={pipeline}"
                );
                assert_eq!(
                    modelled.total.hits,
                    replayed.requests - replayed.misses,
                    "{choice} B={pipeline}"
                );
                hits.push(modelled.total.hits);
            }
        }
        assert!(hits[1] < hits[0], "lru: {hits:?}");
    }

    /// Hits and keys with a TTL at the end when `lines` (a Twitter trace)
    /// are replayed by the model into an LRU of 10 objects, one request
    /// per batch at the trace's own times, its TTLs honoured or not.
    fn twitter_run(lines: &[&str], ttls: bool) -> (u64, u64) {
        let dir = tempfile::tempdir().unwrap();
        let source = twitter_source(dir.path(), lines);
        let options = StreamOptions {
            ttls,
            ..StreamOptions::default()
        };
        let replay = Replay {
            source: &source,
            options: &options,
            next_access: None,
            seed: Seed(1),
        };
        let lru = PolicyChoice::parse("lru").unwrap();
        let out = run(&lru, Capacity::Keys(10), &replay, 1, 100, Clock::default()).unwrap();
        (out.total.hits, out.held_with_ttl)
    }

    /// A Twitter trace of `lines`, written in `dir`.
    fn twitter_source(dir: &std::path::Path, lines: &[&str]) -> Source {
        let path = dir.join("t.twitter");
        std::fs::write(&path, lines.concat()).unwrap();
        Source::Trace(crate::trace::Trace::new(&path, None).unwrap())
    }

    #[test]
    fn replay_with_a_pipeline_and_ttls_is_the_model_of_the_same_batches() {
        // The same rule with lifetimes: fills at the batch's last request,
        // with the first miss's TTL. 30 000 gets of 300 keys, hot keys
        // first, TTLs of 1 to 40 s, ten requests a second.
        use rand::RngExt;
        let mut rng = Seed(7).rng();
        let lines: Vec<String> = (0..30_000u32)
            .map(|i| {
                let key = (rng.random_range(0.0f64..1.0).powi(3) * 300.0) as u32;
                let ttl = rng.random_range(1..=40);
                format!("{},k{key},1,9,1,get,{ttl}\n", i / 10)
            })
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let dir = tempfile::tempdir().unwrap();
        let source = twitter_source(dir.path(), &lines);
        // Unit sizes on both sides: the model counts keys.
        let options = StreamOptions {
            ttls: true,
            ignore_size: true,
            ..StreamOptions::default()
        };
        let replay = Replay {
            source: &source,
            options: &options,
            next_access: None,
            seed: Seed(2),
        };
        let mut hits = Vec::new();
        for choice in ["lru", "redis_lru", "redis_volatile_ttl"] {
            let policy = PolicyChoice::parse(choice).unwrap();
            for pipeline in [1, 50] {
                let cell = crate::replay::Cell {
                    policy: policy.clone(),
                    capacity: 40,
                };
                let replayed = replay.run_cell(&cell, pipeline).unwrap();
                let modelled = run(
                    &policy,
                    Capacity::Keys(40),
                    &replay,
                    pipeline,
                    1000,
                    Clock::default(),
                )
                .unwrap();
                assert_eq!(modelled.total.gets, 30_000, "{choice} B={pipeline}");
                assert_eq!(
                    modelled.total.hits,
                    replayed.requests - replayed.misses,
                    "{choice} B={pipeline}"
                );
                assert!(replayed.expired.is_some_and(|e| e > 20), "{replayed:?}");
                hits.push(modelled.total.hits);
            }
        }
        assert!(hits[1] < hits[0], "lru: {hits:?}");
    }

    #[test]
    fn a_filled_key_expires_its_ttl_after_the_fill() {
        // A misses at 0 s and is filled with its TTL of 5 s: it hits at
        // 4 s and has expired at 6 s (a miss, filled again for 5 s more).
        let lines = [
            "0,A,1,9,1,get,5\n",
            "4,A,1,9,1,get,5\n",
            "6,A,1,9,1,get,5\n",
        ];
        assert_eq!(twitter_run(&lines, true), (1, 1));
        // Without the TTLs it hits twice, and holds no key with a TTL.
        assert_eq!(twitter_run(&lines, false), (2, 0));
    }

    #[test]
    fn a_set_replaces_the_lifetime_of_a_resident_key() {
        // A is filled at 0 s for 5 s; a set at 3 s without a TTL ends that
        // lifetime, so A still hits at 10 s. A set with a TTL of 100 s
        // gives it that one instead.
        let get = |t: u32| format!("{t},A,1,9,1,get,5\n");
        let set = |t: u32, ttl: u32| format!("{t},A,1,9,1,set,{ttl}\n");
        let forever = [get(0), set(3, 0), get(10)];
        let forever: Vec<&str> = forever.iter().map(String::as_str).collect();
        assert_eq!(twitter_run(&forever, true), (1, 0));
        let longer = [get(0), set(3, 100), get(10)];
        let longer: Vec<&str> = longer.iter().map(String::as_str).collect();
        assert_eq!(twitter_run(&longer, true), (1, 1));
        // A delete ends it too: the get after it misses.
        let deleted = [get(0), "1,A,1,9,1,delete,0\n".to_string(), get(2)];
        let deleted: Vec<&str> = deleted.iter().map(String::as_str).collect();
        assert_eq!(twitter_run(&deleted, true), (0, 1));
    }

    #[test]
    fn each_redis_policy_has_its_model_and_the_others_are_refused() {
        let mut server = ServerInfo::default();
        for (name, value) in [
            ("maxmemory-samples", "10"),
            ("lfu-log-factor", "10"),
            ("lfu-decay-time", "1"),
        ] {
            server.config.insert(name.into(), value.into());
        }
        for (policy, model) in [
            ("allkeys-lru", "redis_lru:samples=10"),
            ("allkeys-lfu", "redis_lfu:samples=10"),
            ("allkeys-random", "redis_random"),
            ("volatile-lru", "redis_volatile_lru:samples=10"),
            ("volatile-lfu", "redis_volatile_lfu:samples=10"),
            ("volatile-random", "redis_volatile_random"),
            ("volatile-ttl", "redis_volatile_ttl:samples=10"),
        ] {
            server
                .config
                .insert("maxmemory-policy".into(), policy.into());
            let choice = model_of(Program::RedisServer, &server).unwrap();
            assert_eq!(choice.label, model, "{policy}");
        }
        server
            .config
            .insert("maxmemory-policy".into(), "noeviction".into());
        let error = model_of(Program::ValkeyServer, &server).unwrap_err();
        assert!(error.to_string().contains("--policy noeviction"), "{error}");
        let memcached = model_of(Program::Memcached, &ServerInfo::default()).unwrap();
        assert_eq!(memcached.label, "memcached_slabs");
    }
}
