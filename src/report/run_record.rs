//! `run.json` of a replay or mrc run: what it takes to reproduce the result
//! (program, version, command, arguments, source and what its pre-pass
//! learnt), and the wall-clock speed of each cell, kept out of the CSV.

use serde::Serialize;

use crate::metrics::CellResult;
use crate::replay::Profile;

/// What `run.json` records so a result can be reproduced.
#[derive(Serialize)]
pub struct RunRecord<'a, A: Serialize, S: Serialize> {
    program: &'static str,
    version: &'static str,
    command: &'static str,
    arguments: &'a A,
    source: &'a S,
    warmup_requests: u64,
    requests: Option<u64>,
    objects: Option<u64>,
    working_set: Option<u64>,
    /// What cache sizes and working sets count: `bytes` or `objects` (a
    /// stream without sizes, unit sizes, or `--ignore-size`).
    #[serde(skip_serializing_if = "Option::is_none")]
    size_unit: Option<&'static str>,
    /// Wall-clock speed per cell: the one part of a result that is not
    /// reproducible, kept apart from the CSV.
    wall_clock: WallClock,
}

/// Timings of this run, which differ between runs.
#[derive(Serialize)]
struct WallClock {
    note: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cells: Vec<CellTiming>,
    /// A run without cells (a real server driven): how long it took.
    #[serde(skip_serializing_if = "Option::is_none")]
    elapsed_seconds: Option<f64>,
    /// And the requests per second that makes.
    #[serde(skip_serializing_if = "Option::is_none")]
    requests_per_second: Option<f64>,
}

/// One cell's speed.
#[derive(Serialize)]
struct CellTiming {
    policy: String,
    cache_size: u64,
    throughput_rps: Option<f64>,
}

impl<'a, A: Serialize, S: Serialize> RunRecord<'a, A, S> {
    /// The record of `command` run with `arguments` on `source`, with the
    /// warm-up it applied, its pre-pass (if any) and its result rows.
    pub fn new(
        command: &'static str,
        arguments: &'a A,
        source: &'a S,
        warmup_requests: u64,
        profile: Option<&Profile>,
        rows: &[CellResult],
    ) -> Self {
        RunRecord {
            program: "cachelab",
            version: env!("CARGO_PKG_VERSION"),
            command,
            arguments,
            source,
            warmup_requests,
            requests: profile.map(|p| p.requests),
            objects: profile.map(|p| p.objects),
            working_set: profile.map(|p| p.working_set),
            size_unit: None,
            wall_clock: WallClock {
                note: "wall-clock measurements of this run: not reproducible, unlike the CSV",
                cells: rows
                    .iter()
                    .map(|r| CellTiming {
                        policy: r.policy.clone(),
                        cache_size: r.cache_size,
                        throughput_rps: r.throughput_rps,
                    })
                    .collect(),
                elapsed_seconds: None,
                requests_per_second: None,
            },
        }
    }

    /// The record saying whether its sizes count objects rather than bytes.
    pub fn with_size_unit(mut self, objects: bool) -> Self {
        self.size_unit = Some(if objects { "objects" } else { "bytes" });
        self
    }

    /// The record with the wall-clock time of a run that sent `requests`
    /// in `seconds`.
    pub fn with_elapsed(mut self, seconds: f64, requests: u64) -> Self {
        self.wall_clock.elapsed_seconds = Some(seconds);
        self.wall_clock.requests_per_second = (seconds > 0.0).then(|| requests as f64 / seconds);
        self
    }
}
