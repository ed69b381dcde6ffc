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

use std::ops::ControlFlow;

use super::CalibrateError;
use crate::drive::Tally;
use crate::drive::spawn::Program;
use crate::drive::target::ServerInfo;
use crate::policy::PolicyChoice;
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
    let mut evicted = Vec::new();
    let mut batch: Vec<(Request, bool)> = Vec::with_capacity(pipeline);
    let mut position = 0u64;
    let mut counted = 0u64;
    let mut fills = Fills::default();
    let mut flush = |batch: &mut Vec<(Request, bool)>, out: &mut ModelRun| {
        for (request, counts) in batch.iter() {
            match request.op {
                Op::Get => {
                    let hit = policy.get(request);
                    if !hit {
                        fills.missed(request);
                    }
                    if *counts {
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
                    policy.insert(request, &mut evicted);
                }
                Op::Delete => {
                    policy.remove(request.key);
                }
            }
            counted += u64::from(*counts);
        }
        for request in fills.drain() {
            if !policy.contains(request.key) {
                policy.insert(&request, &mut evicted);
            }
        }
        out.evictions += evicted.len() as u64;
        evicted.clear();
        batch.clear();
    };
    replay.visit_batches(|requests, counted_from| {
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
            batch.push((request, i >= counted_from));
            if batch.len() == pipeline {
                flush(&mut batch, &mut out);
            }
        }
        ControlFlow::Continue(())
    })?;
    flush(&mut batch, &mut out);
    Ok(out)
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
