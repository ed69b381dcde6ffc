//! A calibration's results: `summary.json` (every run, both sides, the
//! means, the difference's interval and the verdict), the tidy rows of
//! `calibrate.csv`, the plot of both hit-ratio series on one chart, and the
//! lines the terminal shows, the verdict first.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{CalibrateConfig, Run};
use crate::drive::{ServerInfo, Tally};
use crate::metrics::stats::{Estimate, estimate};
use crate::report::plot::{LineChart, SIZE, Series, write_figure};
use crate::report::{self, ReportError};

/// A mean over the runs with its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Mean {
    /// The mean.
    pub mean: f64,
    /// Lower end of the 95% interval (the value itself with one run).
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

impl From<Estimate> for Mean {
    fn from(e: Estimate) -> Mean {
        Mean {
            mean: e.mean,
            low: e.low,
            high: e.high,
        }
    }
}

/// Which side a row or series is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The real server.
    Server,
    /// cachelab's model of it.
    Model,
}

/// Everything `summary.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    /// The server's software, version and configuration (of the first run).
    pub server: ServerInfo,
    /// The model, as a policy label.
    pub model: String,
    /// The stream, as the first run's pre-pass described it.
    pub stream: String,
    /// Requests per batch, on both sides.
    pub pipeline: usize,
    /// Client connections of the driver.
    pub connections: usize,
    /// The memory limit the server was started with, in bytes.
    pub maxmemory: Option<u64>,
    /// Hit ratio of the server over the runs.
    pub server_hit_ratio: Mean,
    /// Hit ratio of the model.
    pub model_hit_ratio: Mean,
    /// Server minus model, run by run, over the runs.
    pub difference: Mean,
    /// The largest difference that passes.
    pub tolerance: f64,
    /// Whether the difference's interval lies within ± the tolerance.
    pub within_tolerance: bool,
    /// Every run.
    pub runs: Vec<Run>,
}

/// One row of `calibrate.csv`: one side of one run over one interval, or
/// over the whole counted stream when `interval` is empty.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CsvRow {
    /// The run, from 1.
    pub run: usize,
    /// Its seed.
    pub seed: u64,
    /// Server or model.
    pub side: Side,
    /// The interval, from 0; empty for the whole stream.
    pub interval: Option<usize>,
    /// Gets.
    pub gets: u64,
    /// Their hits.
    pub hits: u64,
    /// Hits over gets (empty without a get).
    pub hit_ratio: Option<f64>,
    /// Keys evicted over the whole run (whole-stream rows only).
    pub evictions: Option<u64>,
}

fn ratio(t: &Tally) -> Option<f64> {
    (t.gets > 0).then(|| t.hits as f64 / t.gets as f64)
}

/// The hit ratio of a tally, 0 without a get (a run always has gets).
fn value(t: &Tally) -> f64 {
    ratio(t).unwrap_or(0.0)
}

impl Calibration {
    /// The calibration of `runs`, with its means, interval and verdict.
    pub fn new(
        config: &CalibrateConfig,
        server: ServerInfo,
        model: String,
        stream: String,
        runs: Vec<Run>,
    ) -> Calibration {
        let over = |f: &dyn Fn(&Run) -> f64| -> Mean {
            estimate(&runs.iter().map(f).collect::<Vec<_>>()).into()
        };
        let server_hit_ratio = over(&|r| value(&r.server.total));
        let model_hit_ratio = over(&|r| value(&r.model.total));
        let difference = over(&|r| value(&r.server.total) - value(&r.model.total));
        let within_tolerance =
            difference.low >= -config.tolerance && difference.high <= config.tolerance;
        Calibration {
            server,
            model,
            stream,
            pipeline: config.options.pipeline,
            connections: config.options.connections,
            maxmemory: config.spawn.maxmemory,
            server_hit_ratio,
            model_hit_ratio,
            difference,
            tolerance: config.tolerance,
            within_tolerance,
            runs,
        }
    }

    /// The rows of `calibrate.csv`: per run, the server then the model,
    /// the whole stream then each interval.
    pub fn rows(&self) -> Vec<CsvRow> {
        let mut rows = Vec::new();
        for (i, run) in self.runs.iter().enumerate() {
            for (side, data) in [(Side::Server, &run.server), (Side::Model, &run.model)] {
                let row = |interval, tally: &Tally, evictions| CsvRow {
                    run: i + 1,
                    seed: run.seed,
                    side,
                    interval,
                    gets: tally.gets,
                    hits: tally.hits,
                    hit_ratio: ratio(tally),
                    evictions,
                };
                rows.push(row(None, &data.total, Some(data.evictions)));
                for (k, tally) in data.intervals.iter().enumerate() {
                    rows.push(row(Some(k), tally, None));
                }
            }
        }
        rows
    }

    /// Intervals of the series (the most any run has).
    fn interval_count(&self) -> usize {
        self.runs
            .iter()
            .flat_map(|r| [r.server.intervals.len(), r.model.intervals.len()])
            .max()
            .unwrap_or(0)
    }

    /// One side's hit ratio per interval: the mean over the runs with its
    /// interval, of the runs whose interval holds gets.
    fn series(&self, side: Side) -> Vec<Option<Estimate>> {
        (0..self.interval_count())
            .map(|k| {
                let values: Vec<f64> = self
                    .runs
                    .iter()
                    .filter_map(|r| {
                        let data = match side {
                            Side::Server => &r.server,
                            Side::Model => &r.model,
                        };
                        ratio(data.intervals.get(k)?)
                    })
                    .collect();
                (!values.is_empty()).then(|| estimate(&values))
            })
            .collect()
    }

    /// The server's name for legends and the terminal: software, version
    /// and policy.
    fn server_name(&self) -> String {
        let policy = self
            .server
            .config
            .get("maxmemory-policy")
            .map_or(String::new(), |p| format!(" {p}"));
        format!("{} {}{policy}", self.server.software, self.server.version)
    }

    /// The chart of both hit-ratio series, x the share of the counted
    /// stream at each interval's end.
    pub fn chart(&self) -> LineChart {
        let n = self.interval_count().max(1) as f64;
        let mut chart = LineChart::new(
            format!("{} vs model {}", self.server_name(), self.model),
            "counted stream (%)",
            "hit ratio per interval",
        );
        for (side, label) in [
            (Side::Server, format!("server: {}", self.server_name())),
            (Side::Model, format!("model: {}", self.model)),
        ] {
            let points: Vec<(f64, Option<Estimate>)> = self
                .series(side)
                .into_iter()
                .enumerate()
                .map(|(k, e)| ((k + 1) as f64 * 100.0 / n, e))
                .collect();
            let mut series = Series::new(
                label,
                points
                    .iter()
                    .filter_map(|&(x, e)| Some((x, e?.mean)))
                    .collect(),
            );
            if self.runs.len() > 1 {
                series.whiskers = points
                    .iter()
                    .filter_map(|&(x, e)| e.map(|e| (x, e.low, e.high)))
                    .collect();
            }
            chart.series.push(series);
        }
        chart
    }

    /// Writes `summary.json`, `calibrate.csv` and `calibrate.png`/`.svg`
    /// into `dir`; returns the files written.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
        let files = [
            dir.join("summary.json"),
            dir.join("calibrate.csv"),
            dir.join("calibrate.png"),
            dir.join("calibrate.svg"),
        ];
        report::write_json(&files[0], self)?;
        report::write_csv(&files[1], &self.rows())?;
        write_figure(&[self.chart()], &dir.join("calibrate"), SIZE)?;
        Ok(files.to_vec())
    }

    /// What the terminal shows: the verdict, both hit ratios and their
    /// difference, evictions, the capacity and how it was matched, the
    /// pace, then the series per interval.
    pub fn text(&self) -> String {
        let runs = self.runs.len();
        let interval = |m: &Mean| {
            if runs > 1 {
                format!("{:.4} [{:.4}, {:.4}]", m.mean, m.low, m.high)
            } else {
                format!("{:.4}", m.mean)
            }
        };
        let mut lines = Vec::new();
        let verdict = if self.within_tolerance {
            "within"
        } else {
            "NOT within"
        };
        lines.push(format!(
            "verdict: the model is {verdict} ±{} of the server (the difference's {} lies {})",
            self.tolerance,
            if runs > 1 {
                "95% interval"
            } else {
                "single value"
            },
            if self.within_tolerance {
                "inside"
            } else {
                "outside"
            },
        ));
        let seeds = match (self.runs.first(), self.runs.last()) {
            (Some(first), Some(last)) if runs > 1 => format!("seeds {}–{}", first.seed, last.seed),
            (Some(first), _) => format!("seed {}", first.seed),
            _ => String::new(),
        };
        lines.push(format!(
            "hit ratio: server {} {}, model {} {} ({runs} run(s), {seeds}{})",
            self.server_name(),
            interval(&self.server_hit_ratio),
            self.model,
            interval(&self.model_hit_ratio),
            if runs > 1 {
                "; means with 95% intervals"
            } else {
                ""
            },
        ));
        lines.push(format!(
            "difference (server − model): {:+.4}{}",
            self.difference.mean,
            if runs > 1 {
                format!(
                    " [{:+.4}, {:+.4}]",
                    self.difference.low, self.difference.high
                )
            } else {
                String::new()
            }
        ));
        let mean = |f: &dyn Fn(&Run) -> f64| self.runs.iter().map(f).sum::<f64>() / runs as f64;
        lines.push(format!(
            "evictions (mean per run): server {:.0}, model {:.0}",
            mean(&|r| r.server.evictions as f64),
            mean(&|r| r.model.evictions as f64)
        ));
        let with_ttl = |r: &Run| (r.server.held_with_ttl + r.model.held_with_ttl) as f64;
        if mean(&with_ttl) > 0.0 {
            lines.push(format!(
                "keys with a TTL at the end (mean per run): server {:.0}, model {:.0}",
                mean(&|r| r.server.held_with_ttl as f64),
                mean(&|r| r.model.held_with_ttl as f64)
            ));
        }
        if let Some(first) = self.runs.first() {
            let m = &first.memory;
            let predicted = self.maxmemory.map_or(String::new(), |limit| {
                format!(": maxmemory {limit} bytes holds {} keys", m.keys_in(limit))
            });
            let given = match first.capacity {
                super::model::Capacity::Keys(_) if first.keys_held_during_run.is_some() => {
                    "the count during its run, in objects".to_string()
                }
                super::model::Capacity::Keys(_) => "the count of its run, in objects".to_string(),
                super::model::Capacity::Bytes(bytes) => {
                    format!("the server's {bytes} bytes, the objects at their sizes")
                }
            };
            let during = if self.runs.iter().all(|r| r.keys_held_during_run.is_some()) {
                let held = |r: &Run| r.keys_held_during_run.expect("every run sampled");
                format!(
                    "{:.0} keys while it evicted (mean; {}–{}, sampled every {} ms) and ",
                    mean(&|r| held(r).mean),
                    self.runs.iter().map(|r| held(r).min).min().unwrap_or(0),
                    self.runs.iter().map(|r| held(r).max).max().unwrap_or(0),
                    crate::drive::HELD_SAMPLE_EVERY.as_millis()
                )
            } else {
                String::new()
            };
            lines.push(format!(
                "capacity: the server held {during}{:.0} keys at the end (means per run); the model is given {given}",
                mean(&|r| r.keys_held as f64)
            ));
            lines.push(format!(
                "memory model: {} bytes at start, {:.1} bytes per key ({} keys probed){predicted}",
                m.bytes_at_start, m.bytes_per_key, m.probe_keys
            ));
        }
        lines.push(format!(
            "pace: {:.0} requests/s (mean per run) on {} connection(s), pipeline {}; the model's clock runs at its run's pace",
            mean(&|r| r.rate),
            self.connections,
            self.pipeline
        ));
        let server = self.series(Side::Server);
        let model = self.series(Side::Model);
        let n = server.len().max(model.len());
        if n > 1 {
            lines.push(format!(
                "per {} of the counted stream (means): server, model, difference",
                share(1, n)
            ));
            for k in 0..n {
                let get = |s: &[Option<Estimate>]| s.get(k).copied().flatten().map(|e| e.mean);
                let shown = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
                let (s, m) = (get(&server), get(&model));
                let difference = match (s, m) {
                    (Some(s), Some(m)) => format!("{:+.4}", s - m),
                    _ => "-".to_string(),
                };
                lines.push(format!(
                    "  {:>4}–{:<4}  {}  {}  {difference}",
                    share(k, n),
                    share(k + 1, n),
                    shown(s),
                    shown(m)
                ));
            }
        }
        lines.push(self.stream.clone());
        lines.join("\n") + "\n"
    }
}

/// `k / n` of the stream as a percentage.
fn share(k: usize, n: usize) -> String {
    let percent = k as f64 * 100.0 / n as f64;
    if percent.fract() == 0.0 {
        format!("{percent:.0}%")
    } else {
        format!("{percent:.1}%")
    }
}
