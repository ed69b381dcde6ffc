//! `cachelab drive`: a replay's stream sent to a real server, its results
//! written as the other commands write theirs.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::replay::{AppError, Outcome};
use crate::drive::calibrate::MAX_INTERVALS;
use crate::drive::{self, DriveError, DriveOptions, Program, SpawnConfig, Spawned, Target};
use crate::replay::{Prepared, SourceArgs};
use crate::report;
use crate::report::SERIES_FILE;

/// `cachelab drive` arguments.
#[derive(Clone, Debug, Serialize)]
pub struct DriveArgs {
    /// The server, `redis://HOST:PORT` or `memcached://HOST:PORT`.
    pub target: Option<String>,
    /// A private server to start instead: `redis-server`, `valkey-server`
    /// or `memcached`.
    pub spawn: Option<String>,
    /// Memory limit of the spawned server, in bytes.
    pub maxmemory: Option<u64>,
    /// Redis eviction policy of the spawned server.
    pub policy: Option<String>,
    /// Redis `maxmemory-samples` of the spawned server.
    pub samples: Option<u32>,
    /// Client connections.
    pub connections: usize,
    /// Requests per batch.
    pub pipeline: usize,
    /// Send requests at the trace's own timestamps, sped up this many
    /// times (`None`: as fast as possible, or at `--rate`).
    pub trace_times: Option<f64>,
    /// Intervals of the counted stream in the hit-ratio series.
    pub intervals: u64,
    /// Output directory (default `results/drive/<source>`).
    pub out: Option<PathBuf>,
}

/// Where the stream goes: a server given, or one to start.
enum Server {
    Given(Target),
    Spawn(SpawnConfig),
}

impl DriveArgs {
    /// The server, with the options that only a spawned one takes refused
    /// for a given one.
    fn server(&self) -> Result<Server, DriveError> {
        match (&self.target, &self.spawn) {
            (Some(target), None) => {
                if self.maxmemory.is_some() || self.policy.is_some() || self.samples.is_some() {
                    return Err(DriveError::Input(
                        "--maxmemory, --policy and --maxmemory-samples configure a --spawn server; a --target server keeps its own configuration".into(),
                    ));
                }
                Ok(Server::Given(Target::parse(target)?))
            }
            (None, Some(program)) => Ok(Server::Spawn(SpawnConfig {
                program: Program::parse(program)?,
                maxmemory: self.maxmemory,
                policy: self.policy.clone(),
                samples: self.samples,
            })),
            _ => Err(DriveError::Input(
                "give either --target redis://HOST:PORT | memcached://HOST:PORT, or --spawn redis-server | valkey-server | memcached".into(),
            )),
        }
    }
}

/// Drives a server with the source's stream; writes `summary.json`,
/// `drive.csv`, `latency.csv`, `drive-series.csv` (the hit ratio over the
/// stream), `run.json`, their plots and `report.html`. A run that stopped early is written too,
/// marked `"complete": false`, and returned as an error.
pub fn drive(source_args: &SourceArgs, args: &DriveArgs) -> Result<Outcome, AppError> {
    let options = DriveOptions {
        connections: args.connections,
        pipeline: args.pipeline,
        trace_times: args.trace_times,
    };
    options.check()?;
    if !(1..=MAX_INTERVALS).contains(&args.intervals) {
        return Err(DriveError::Input(format!(
            "--intervals {}: must be from 1 to {MAX_INTERVALS}",
            args.intervals
        ))
        .into());
    }
    let server = args.server()?;
    // The pre-pass counts the stream and refuses one above --max-requests
    // before anything is sent.
    let prepared = Prepared::new(source_args, true, false)?;
    // The guard stops a spawned server however this function ends.
    let (target, spawned) = match server {
        Server::Given(target) => (target, None),
        Server::Spawn(config) => {
            let spawned = Spawned::start(&config)?;
            (spawned.target.clone(), Some(spawned))
        }
    };
    let counted = prepared
        .profile
        .as_ref()
        .map_or(0, |p| p.requests - prepared.options.warmup);
    let interval = counted.div_ceil(args.intervals).max(1);
    let outcome = drive::drive_in_intervals(&target, &prepared.replay(), options, interval);
    drop(spawned);
    let outcome = outcome?;
    let summary = outcome.summary();
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results/drive").join(prepared.source.name()));
    let mut files = vec![
        dir.join("summary.json"),
        dir.join("drive.csv"),
        dir.join("latency.csv"),
        dir.join(SERIES_FILE),
        dir.join("run.json"),
    ];
    report::write_json(&files[0], &summary)?;
    report::write_csv(&files[1], &[summary.row()])?;
    report::write_csv(&files[2], &outcome.latency_rows())?;
    report::write_csv(&files[3], &outcome.series_rows(interval))?;
    let run = report::RunRecord::new(
        "drive",
        args,
        source_args,
        prepared.options.warmup,
        prepared.profile.as_ref(),
        &[],
    )
    .with_elapsed(outcome.elapsed.as_secs_f64(), outcome.share.driven);
    report::write_json(&files[4], &run)?;
    files.extend(report::plot_directory(&dir, None)?.files);
    let text = format!("{}{}\n", summary.text(), prepared.stream_line());
    if !summary.complete {
        return Err(AppError::Partial {
            text,
            dir: dir.display().to_string(),
        });
    }
    Ok(Outcome {
        text,
        files,
        rows: Vec::new(),
    })
}
