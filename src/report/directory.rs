//! `cachelab plot`: look at what a results directory holds and draw every
//! plot that applies, from its files only, then write its `report.html`.

use std::path::{Path, PathBuf};

use super::figures::{self, sweep as sweep_figures};
use super::plot::{self, Chart, SIZE, stacked_size};
use super::results::{Metric, Sweep, Table};
use super::{ReportError, write_html_report};

/// What [`plot_directory`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plotted {
    /// Files written: a PNG and an SVG per plot, then `report.html`.
    pub files: Vec<PathBuf>,
    /// Plots that did not apply, and why.
    pub notes: Vec<String>,
}

/// The caption of a plot in the report, from the stem of its file.
pub fn caption(stem: &str) -> String {
    match stem {
        "timeseries" => "Time series: hit ratio, database load and p99 latency".into(),
        "classes" => "Per request class: hit ratio, database load and p99 latency over time".into(),
        "latency" => "Latency by percentile: all requests, hits and misses".into(),
        "nodes" => "Per node: load share and hit ratio".into(),
        "tiers-timeseries" => "Per tier: hit ratio and load over time".into(),
        "policies" => "Policy comparison".into(),
        "mrc" => "Miss-ratio curve".into(),
        "drive" => "A real server's hit ratio over the stream".into(),
        _ => {
            if let Some(metric) = stem.strip_prefix("heatmap-") {
                format!(
                    "Heatmap of {} over the two sweep axes",
                    Metric::named(metric).label
                )
            } else if let Some(axis) = stem.strip_prefix("sweep-") {
                format!("Metrics against the sweep axis {axis}")
            } else {
                stem.to_string()
            }
        }
    }
}

/// A file name stem without dots (`nodes.count` → `nodes_count`), since
/// the extension of a stem is replaced when a plot is written.
fn stem_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

struct Writer<'a> {
    dir: &'a Path,
    out: Plotted,
}

impl Writer<'_> {
    fn figure<C: Chart>(
        &mut self,
        stem: &str,
        charts: &[C],
        size: (u32, u32),
    ) -> Result<(), ReportError> {
        let path = self.dir.join(stem);
        plot::write_figure(charts, &path, size)?;
        self.out.files.push(path.with_extension("png"));
        self.out.files.push(path.with_extension("svg"));
        Ok(())
    }
}

/// The files a results directory is recognised by; a directory with none
/// of them is not one, and `plot` says so. One with any of them gets its
/// report, whatever it holds to draw.
const RESULT_FILES: [&str; 7] = [
    "replay.csv",
    SERIES_FILE,
    "mrc.csv",
    "timeseries.csv",
    "latency.csv",
    "nodes.csv",
    "sweep-summary.csv",
];

/// `drive`'s hit-ratio series over the counted stream.
pub const SERIES_FILE: &str = "drive-series.csv";

/// What a run whose measured window saw no request completed has: said in
/// notes, the terminal summary and the report.
pub const NO_REQUEST: &str = "no request completed in the measured window";

/// The most heatmaps drawn as small multiples in one figure; a sweep with
/// more combinations of its further axes gets the first ones, and a note.
const MAX_PANELS: usize = 16;

/// Whether sizes in `replay.csv`/`mrc.csv` are bytes: `run.json` says so
/// (`size_unit`; a record older than that field only tells when
/// `--ignore-size` made them object counts).
fn sizes_are_bytes(dir: &Path) -> Result<bool, ReportError> {
    let Some(record) = read_json(&dir.join("run.json"))? else {
        return Ok(true);
    };
    if let Some(unit) = record
        .pointer("/size_unit")
        .and_then(serde_json::Value::as_str)
    {
        return Ok(unit != "objects");
    }
    let ignore = record
        .pointer("/source/ignore_size")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    Ok(!ignore)
}

/// A JSON file, or none if it does not exist.
pub(super) fn read_json(path: &Path) -> Result<Option<serde_json::Value>, ReportError> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| ReportError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// Draws every plot that applies to the files in `dir` (not below it),
/// as PNG and SVG next to them, then writes `report.html`:
///
/// - `replay.csv`: miss ratio per policy, grouped by cache size (`policies`);
/// - `mrc.csv`: the miss-ratio curve (`mrc`);
/// - `timeseries.csv`: hit ratio, database load and p99 over time, with the
///   failures of `summary.json` marked (`timeseries`);
/// - `classes-timeseries.csv`: hit ratio, database load and p99 over
///   time, one line per request class (`classes`);
/// - `latency.csv`: latency against percentile (`latency`);
/// - `nodes.csv`: load share and hit ratio per node (`nodes`);
/// - `tiers.csv`: hit ratio, byte hit ratio and load per tier (`tiers`);
/// - `tiers-timeseries.csv`: hit ratio and load over time, one line per
///   tier (`tiers-timeseries`);
/// - `sweep-summary.csv`: with `nodes.policy` among at most two axes, bars
///   per policy (`policies`); with one other axis, a line against it if its
///   values are numbers, sizes or durations, else bars (`sweep-<axis>`);
///   with two axes, heatmaps (`heatmap-<metric>`); with more, the same
///   heatmaps of the first two axes as small multiples, one per
///   combination of the values of the others.
///
/// What does not apply is a note, never an error: only a directory with
/// none of these files is one.
///
/// `metric` (a summary column such as `hit_ratio` or `db_rps_mean`)
/// replaces the default metrics of sweep plots; it needs a sweep summary.
pub fn plot_directory(dir: &Path, metric: Option<&str>) -> Result<Plotted, ReportError> {
    if !dir.is_dir() {
        return Err(ReportError::Read {
            path: dir.to_path_buf(),
            message: "not a directory".into(),
        });
    }
    let mut w = Writer {
        dir,
        out: Plotted::default(),
    };
    // An empty file (nodes.csv of a run without cache nodes) has nothing to plot.
    let file = |name: &str| {
        Some(dir.join(name)).filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
    };
    if let Some(path) = file("replay.csv") {
        let chart = figures::replay_bars(&Table::read(&path)?, sizes_are_bytes(dir)?)?;
        w.figure("policies", &[chart], SIZE)?;
    }
    if let Some(path) = file("mrc.csv") {
        let table = Table::read(&path)?;
        let title = format!(
            "Miss-ratio curve: {}{}",
            source_name(dir),
            figures::sampled_note(&table)?
        );
        let chart = figures::mrc_curve(&table, sizes_are_bytes(dir)?, &title)?;
        w.figure("mrc", &[chart], SIZE)?;
    }
    if let Some(path) = file("timeseries.csv") {
        let summary_path = dir.join("summary.json");
        let summary = read_json(&summary_path)?;
        let failures = match &summary {
            Some(s) => figures::failures_of(s, &summary_path)?,
            None => Vec::new(),
        };
        let charts = figures::timeseries_charts(
            &Table::read(&path)?,
            &failures,
            &run_title(dir, summary.as_ref()),
        )?;
        let height = 350 * charts.len() as u32;
        w.figure("timeseries", &charts, (900, height))?;
        let breakdown = summary
            .as_ref()
            .and_then(|s| figures::app_breakdown(s, &run_title(dir, Some(s))));
        if let Some(chart) = breakdown {
            w.figure("breakdown", &[chart], SIZE)?;
        }
    }
    if let Some(path) = file("classes-timeseries.csv") {
        let charts = figures::class_charts(&Table::read(&path)?)?;
        w.figure("classes", &charts, stacked_size(charts.len()))?;
    }
    if let Some(path) = file("tiers-timeseries.csv") {
        let charts = figures::tier_charts(&Table::read(&path)?)?;
        w.figure("tiers-timeseries", &charts, stacked_size(charts.len()))?;
    }
    if let Some(path) = file(SERIES_FILE) {
        let title = format!("Hit ratio over the stream: {}", source_name(dir));
        match figures::drive_series(&Table::read(&path)?, &title)? {
            Some(chart) => w.figure("drive", &[chart], SIZE)?,
            None => w.out.notes.push(format!(
                "{}: no counted get; no hit-ratio plot",
                path.display()
            )),
        }
    }
    if let Some(path) = file("latency.csv") {
        match figures::latency_curve(&Table::read(&path)?)? {
            Some(curve) => w.figure("latency", &[curve], SIZE)?,
            None => w
                .out
                .notes
                .push(format!("{}: {NO_REQUEST}; no latency plot", path.display())),
        }
    }
    if let Some(path) = file("nodes.csv") {
        w.figure(
            "nodes",
            &figures::node_bars(&Table::read(&path)?)?,
            stacked_size(2),
        )?;
    }
    if let Some(path) = file("tiers.csv") {
        w.figure(
            "tiers",
            &figures::tier_bars(&Table::read(&path)?)?,
            stacked_size(2),
        )?;
    }
    match file("sweep-summary.csv") {
        Some(path) => plot_sweep(&mut w, &Sweep::read(&path)?, metric)?,
        None if metric.is_some() => {
            return Err(ReportError::Read {
                path: dir.to_path_buf(),
                message:
                    "--metric chooses what sweep plots show, and there is no sweep-summary.csv here"
                        .into(),
            });
        }
        None => {}
    }
    let results = RESULT_FILES.iter().any(|name| dir.join(name).exists());
    if !results {
        return Err(ReportError::Read {
            path: dir.to_path_buf(),
            message: format!("nothing to plot: none of {}", RESULT_FILES.join(", ")),
        });
    }
    let mut out = w.out;
    out.files.push(write_html_report(dir)?);
    Ok(out)
}

fn dir_name(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string())
}

/// What the directory's results are about, from its own files (so that the
/// same results written to two directories are the same bytes): the trace
/// or workload of `run.json`, the scenario of `sweep.json`, else the
/// directory's name.
fn source_name(dir: &Path) -> String {
    let read = |file: &str| -> Option<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(dir.join(file)).ok()?).ok()
    };
    if let Some(run) = read("run.json") {
        let source = &run["source"];
        if let Some(trace) = source["trace"].as_str() {
            let name = Path::new(trace)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            return name.unwrap_or_else(|| trace.to_string());
        }
        if let Some(workload) = source["workload"].as_str() {
            return workload.to_string();
        }
    }
    if let Some(name) = read("sweep.json").and_then(|s| s["name"].as_str().map(str::to_string)) {
        return format!("{name} (sweep)");
    }
    dir_name(dir)
}

/// "scenario [run]" from `summary.json`, else what the directory holds.
pub(super) fn run_title(dir: &Path, summary: Option<&serde_json::Value>) -> String {
    let field = |name: &str| {
        summary
            .and_then(|s| s.get(name))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    match (field("scenario"), field("run")) {
        (Some(scenario), Some(run)) => format!("{scenario} [{run}]"),
        (Some(scenario), None) => scenario,
        _ => source_name(dir),
    }
}

fn plot_sweep(w: &mut Writer<'_>, sweep: &Sweep, metric: Option<&str>) -> Result<(), ReportError> {
    let metrics = |defaults: &[&str]| -> Result<Vec<Metric>, ReportError> {
        match metric {
            Some(m) => Ok(vec![sweep.metric(m)?]),
            None => defaults.iter().map(|m| sweep.metric(m)).collect(),
        }
    };
    let panels = metrics(&sweep_figures::PANEL_METRICS)?;
    let axes = &sweep.axes;
    let policy = "nodes.policy";
    if axes.iter().any(|a| a == policy) && axes.len() <= 2 {
        let charts = sweep_figures::sweep_bars(sweep, policy, &panels)?;
        w.figure("policies", &charts, stacked_size(charts.len()))?;
    }
    match axes.len() {
        1 if axes[0] != policy => {
            let stem = format!("sweep-{}", stem_part(&axes[0]));
            let lines = panels
                .iter()
                .map(|m| sweep_figures::sweep_line(sweep, m))
                .collect::<Result<Option<Vec<_>>, _>>()?;
            match lines {
                Some(lines) => w.figure(&stem, &lines, stacked_size(lines.len()))?,
                None => {
                    let bars = sweep_figures::sweep_bars(sweep, &axes[0], &panels)?;
                    w.figure(&stem, &bars, stacked_size(bars.len()))?;
                }
            }
        }
        1 => {}
        _ => {
            for m in metrics(&sweep_figures::HEATMAP_METRICS)? {
                let mut heatmaps = sweep_figures::sweep_heatmaps(sweep, &m)?;
                if heatmaps.len() > MAX_PANELS {
                    w.out.notes.push(format!(
                        "{}: {} heatmaps of {}, one per combination of {}; the first {MAX_PANELS} are drawn",
                        sweep.table.path().display(),
                        heatmaps.len(),
                        m.name,
                        axes[2..].join(", ")
                    ));
                    heatmaps.truncate(MAX_PANELS);
                }
                let size = (SIZE.0, SIZE.1 * heatmaps.len() as u32);
                w.figure(&format!("heatmap-{}", stem_part(&m.name)), &heatmaps, size)?;
            }
        }
    }
    Ok(())
}
