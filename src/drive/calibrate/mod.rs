//! Calibration: the identical stream through a real server and through
//! cachelab's model of it, with the capacity matched, side by side.
//!
//! Each run starts a private server ([`Spawned`]), measures its memory per
//! key ([`probe`]), drives the stream through it ([`crate::drive`]) and
//! reads the keys it held at the end (Redis `INFO keyspace`, memcached
//! `curr_items`). The model ([`model::model_of`]) is then given that many
//! objects (memcached's slab model: the `-m` bytes themselves, the objects
//! at their sizes) and replays the same stream in the driver's batches, at the pace
//! the server saw (its measured rate, or `--rate`), so that Redis's
//! one-second LRU clock ticks as it did in the server. A trace's TTLs go
//! to both sides alike (sets and fills carry them; the model expires a key
//! as [`model`] says), and a `volatile-*` policy needs them: without TTLs
//! such a server can evict nothing, so calibrate refuses the pair. Runs differ in their
//! seed (the workload's and the model's); the difference of hit ratios
//! (server − model) gets a 95% interval over the runs, and the verdict is
//! whether that interval lies within ± the tolerance.

pub mod model;
pub mod probe;
mod result;

pub use probe::MemoryModel;
pub use result::{Calibration, CsvRow, Side};

use crate::drive::target::{self, Protocol};
use crate::drive::{DriveError, DriveOptions, HeldKeys, SpawnConfig, Spawned, Tally};
use crate::replay::{Prepared, ReplayError, SourceArgs, SourceError};

/// Why a calibration could not be done.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// The server could not be started or driven.
    #[error(transparent)]
    Drive(#[from] DriveError),
    /// The stream could not be made ready.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The model's replay failed.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// cachelab has no model of the server's configuration.
    #[error("no model: {0}")]
    NoModel(String),
    /// The memory per key could not be measured.
    #[error("--spawn {program}: {message}")]
    Probe {
        /// The server.
        program: String,
        /// What went wrong.
        message: String,
    },
    /// A run stopped early: nothing complete to compare.
    #[error("run {run} stopped early: {message}")]
    Partial {
        /// The run, from 1.
        run: u32,
        /// Why.
        message: String,
    },
    /// An option is not usable.
    #[error("{0}")]
    Input(String),
}

/// What a calibration runs.
#[derive(Clone, Debug)]
pub struct CalibrateConfig {
    /// The server to start for each run.
    pub spawn: SpawnConfig,
    /// Connections and batch size of the driver (and of the model's batches).
    pub options: DriveOptions,
    /// Runs, each with the next seed.
    pub repeat: u32,
    /// The largest difference of hit ratios that passes.
    pub tolerance: f64,
    /// Intervals the counted stream is cut into for the series.
    pub intervals: u64,
}

/// Most runs a calibration does.
pub const MAX_REPEAT: u32 = 100;

/// Most intervals of the hit-ratio series.
pub const MAX_INTERVALS: u64 = 1000;

impl CalibrateConfig {
    /// Refuses unusable options, naming the flag.
    pub fn check(&self) -> Result<(), CalibrateError> {
        self.options.check()?;
        if !(1..=MAX_REPEAT).contains(&self.repeat) {
            return Err(CalibrateError::Input(format!(
                "--repeat {}: must be from 1 to {MAX_REPEAT}",
                self.repeat
            )));
        }
        if !(self.tolerance.is_finite() && (0.0..1.0).contains(&self.tolerance)) {
            return Err(CalibrateError::Input(format!(
                "--tolerance {}: must be a hit-ratio difference from 0 to below 1 (such as 0.005)",
                self.tolerance
            )));
        }
        if !(1..=MAX_INTERVALS).contains(&self.intervals) {
            return Err(CalibrateError::Input(format!(
                "--intervals {}: must be from 1 to {MAX_INTERVALS}",
                self.intervals
            )));
        }
        if self.spawn.maxmemory.is_none() {
            return Err(CalibrateError::Input(
                "--maxmemory is needed: a calibration compares caches that are full".into(),
            ));
        }
        Ok(())
    }
}

/// One side (server or model) of one run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SideRun {
    /// Gets and hits of the counted requests.
    pub total: Tally,
    /// The same per interval.
    pub intervals: Vec<Tally>,
    /// Keys evicted over the whole run, warm-up included.
    pub evictions: u64,
    /// Keys with a TTL held at the end (Redis's `expires=` of `db0`;
    /// memcached does not count them: 0).
    pub held_with_ttl: u64,
}

/// One run: both sides, the capacity and the pace.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Run {
    /// The seed of the workload and of the model.
    pub seed: u64,
    /// The keys the server held at the end.
    pub keys_held: u64,
    /// The keys it held during the counted requests, sampled on the
    /// driving connections (see [`crate::drive::HELD_SAMPLE_EVERY`]).
    pub keys_held_during_run: Option<HeldKeys>,
    /// The model's capacity: the keys held during the run (the mean of its
    /// samples, taken evenly in time; `keys_held` when no sample was taken)
    /// in objects, or
    /// memcached's `-m` bytes.
    pub capacity: model::Capacity,
    /// The server's memory per key.
    pub memory: MemoryModel,
    /// Requests per second the server was driven at (measured when unpaced).
    pub rate: f64,
    /// Nanoseconds past the wall clock's second at the first request.
    pub clock_phase_ns: u64,
    /// The server.
    pub server: SideRun,
    /// The model.
    pub model: SideRun,
}

/// Runs the calibration: `config.repeat` runs of the stream `source`
/// names, seeds `source.seed`, `source.seed + 1`, ….
pub fn calibrate(
    source: &SourceArgs,
    config: &CalibrateConfig,
) -> Result<Calibration, CalibrateError> {
    config.check()?;
    let mut runs = Vec::new();
    let mut described = None;
    for r in 0..config.repeat {
        let args = SourceArgs {
            seed: source.seed + u64::from(r),
            ..source.clone()
        };
        let prepared = Prepared::new(&args, true, false)?;
        if let Some(policy) = volatile_without_ttls(config, &prepared) {
            return Err(CalibrateError::Input(format!(
                "--policy {policy} evicts only keys with a TTL, and this stream carries none \
                 (a --workload, a trace format without TTLs, or --ignore-ttl): once memory is \
                 full the server would refuse every write with -OOM; give an allkeys-* policy, \
                 or a trace whose requests carry TTLs (Twitter, lcs v3 and later)"
            )));
        }
        let (run, server, choice) = one_run(&prepared, config, r + 1)?;
        described.get_or_insert((server, choice.label, prepared.stream_line()));
        runs.push(run);
    }
    let (server, model, stream) = described.expect("at least one run");
    Ok(Calibration::new(config, server, model, stream, runs))
}

/// The `volatile-*` policy asked for, when the stream carries no TTLs
/// for it to evict by.
fn volatile_without_ttls<'a>(config: &'a CalibrateConfig, prepared: &Prepared) -> Option<&'a str> {
    let policy = config.spawn.policy.as_deref()?;
    (policy.starts_with("volatile-") && !prepared.options.ttls).then_some(policy)
}

/// One run on a fresh server.
fn one_run(
    prepared: &Prepared,
    config: &CalibrateConfig,
    number: u32,
) -> Result<(Run, crate::drive::ServerInfo, crate::policy::PolicyChoice), CalibrateError> {
    let program = config.spawn.program;
    let spawned = Spawned::start(&config.spawn)?;
    let replay = prepared.replay();
    let mut connection = target::connect(&spawned.target)?;
    let probe_error = |message: String| CalibrateError::Probe {
        program: program.binary().to_string(),
        message,
    };
    let server_info = connection.info().map_err(probe_error)?;
    let choice = model::model_of(program, &server_info)?;
    let memory =
        probe::measure(connection.as_mut(), program.protocol(), &replay).map_err(probe_error)?;
    let counted = prepared
        .profile
        .as_ref()
        .map_or(0, |p| p.requests - prepared.options.warmup);
    let interval = counted.div_ceil(config.intervals).max(1);
    let outcome =
        crate::drive::drive_in_intervals(&spawned.target, &replay, config.options, interval)?;
    drop(spawned);
    let partial = |message: String| CalibrateError::Partial {
        run: number,
        message,
    };
    if let Some(problem) = &outcome.problem {
        return Err(partial(problem.clone()));
    }
    let after = outcome
        .after
        .as_ref()
        .ok_or_else(|| partial("the server's counters after the run are unknown".into()))?;
    let [_, _, evictions] = program.protocol().counter_names();
    let held = match program.protocol() {
        Protocol::Redis => "keys",
        Protocol::Memcached => "curr_items",
    };
    let count = |name: &str| after.get(name).copied().unwrap_or(0);
    let keys_held = count(held);
    // The keys held at the end are counted after the run, when the
    // clients' buffers that took memory from the keys during it are gone
    // or other ones (a new connection's) are there: the model is given what
    // the server held while it served the stream.
    let keys_held_during_run = HeldKeys::of(&outcome.share.held);
    // Their mean, as the time they were held weighs them (the samples come
    // evenly in time, once the server evicts): the count moves while
    // clients' buffers take memory and give it back. A server that never
    // evicted gives no sample, and its count at the end is enough.
    let keys_in_run = keys_held_during_run.map_or(keys_held, |h| h.mean.round() as u64);
    let rate = outcome
        .rate
        .unwrap_or(outcome.share.driven as f64 / outcome.elapsed.as_secs_f64().max(1e-9));
    // Unpaced, the model's clock runs at the pace the server saw; paced,
    // the stream's times are the pace already.
    let phase_ns = outcome
        .started
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| u64::from(t.subsec_nanos()));
    let clock = model::Clock {
        phase_ns,
        rate: outcome.rate.is_none().then_some(rate),
    };
    let capacity = match (program.protocol(), config.spawn.maxmemory) {
        (Protocol::Memcached, Some(bytes)) => model::Capacity::Bytes(bytes),
        _ => model::Capacity::Keys(keys_in_run),
    };
    let modelled = model::run(
        &choice,
        capacity,
        &replay,
        config.options.pipeline,
        interval,
        clock,
    )?;
    let counts = outcome.share.counts;
    let run = Run {
        seed: prepared.seed.0,
        keys_held,
        keys_held_during_run,
        capacity,
        memory,
        rate,
        clock_phase_ns: phase_ns,
        server: SideRun {
            total: Tally {
                gets: counts.gets,
                hits: counts.hits,
            },
            intervals: outcome.share.intervals.clone(),
            evictions: count(evictions)
                .saturating_sub(outcome.before.get(evictions).copied().unwrap_or(0)),
            held_with_ttl: count("expires"),
        },
        model: SideRun {
            total: modelled.total,
            intervals: modelled.intervals,
            evictions: modelled.evictions,
            held_with_ttl: modelled.held_with_ttl,
        },
    };
    Ok((run, server_info, choice))
}
