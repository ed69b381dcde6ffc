//! `cachelab calibrate`: the stream through a private server and through
//! cachelab's model of it, the results written as the other commands
//! write theirs.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::replay::{AppError, Outcome};
use crate::drive::calibrate::{self, CalibrateConfig};
use crate::drive::{DriveOptions, Program, SpawnConfig};
use crate::replay::SourceArgs;
use crate::report;

/// `cachelab calibrate` arguments.
#[derive(Clone, Debug, Serialize)]
pub struct CalibrateArgs {
    /// The server to start: `redis-server`, `valkey-server` or `memcached`.
    pub spawn: String,
    /// Its memory limit, in bytes.
    pub maxmemory: Option<u64>,
    /// Its Redis eviction policy.
    pub policy: Option<String>,
    /// Redis's `maxmemory-samples` for the spawned server (the model takes
    /// the server's own).
    pub samples: Option<u32>,
    /// Client connections.
    pub connections: usize,
    /// Requests per batch.
    pub pipeline: usize,
    /// Runs, each with the next seed.
    pub repeat: u32,
    /// The largest hit-ratio difference that passes.
    pub tolerance: f64,
    /// Intervals of the hit-ratio series.
    pub intervals: u64,
    /// Output directory (default `results/calibrate/<source>`).
    pub out: Option<PathBuf>,
}

/// Calibrates; writes `summary.json`, `calibrate.csv`, the plot and
/// `run.json`.
pub fn calibrate(source_args: &SourceArgs, args: &CalibrateArgs) -> Result<Outcome, AppError> {
    let config = CalibrateConfig {
        spawn: SpawnConfig {
            program: Program::parse(&args.spawn)?,
            maxmemory: args.maxmemory,
            policy: args.policy.clone(),
            samples: args.samples,
        },
        options: DriveOptions {
            connections: args.connections,
            pipeline: args.pipeline,
            ..DriveOptions::default()
        },
        repeat: args.repeat,
        tolerance: args.tolerance,
        intervals: args.intervals,
    };
    let started = std::time::Instant::now();
    let calibration = calibrate::calibrate(source_args, &config)?;
    let elapsed = started.elapsed().as_secs_f64();
    // The first run's stream, for its name, warm-up and pre-pass.
    let prepared = crate::replay::Prepared::new(source_args, true, false)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results/calibrate").join(prepared.source.name()));
    let mut files = calibration.write(&dir)?;
    let requests: u64 = calibration.runs.iter().map(|r| r.server.total.gets).sum();
    let run = report::RunRecord::new(
        "calibrate",
        args,
        source_args,
        prepared.options.warmup,
        prepared.profile.as_ref(),
        &[],
    )
    .with_elapsed(elapsed, requests);
    let run_file = dir.join("run.json");
    report::write_json(&run_file, &run)?;
    files.push(run_file);
    Ok(Outcome {
        text: calibration.text(),
        files,
        rows: Vec::new(),
    })
}
