//! `cachelab plot` and the plot kinds behind it: each kind renders from
//! small fixture CSVs to a non-empty PNG and an SVG naming its axes; the
//! command writes the plots a directory calls for and a self-contained
//! `report.html`; bad files get errors naming them.

use std::path::{Path, PathBuf};

use cachelab::report::figures::{self, sweep};
use cachelab::report::plot::{self, Chart};
use cachelab::report::results::{Sweep, Table};

use crate::common::cachelab;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const REPLAY: &str = "policy,cache_size,requests,misses,miss_ratio,byte_miss_ratio,throughput_rps
lru,1048576,1000,700,0.7,0.7,1000000
s3fifo,1048576,1000,600,0.6,0.6,1000000
lru,67108864,1000,300,0.3,0.3,1000000
s3fifo,67108864,1000,250,0.25,0.25,1000000
";

const LATENCY: &str = "class,percentile,latency_ns
all,50,200000
all,90,5000000
all,99,100000000
all,99.9,110000000
all,100,160000000
hits,50,200000
hits,90,210000
hits,99,230000
hits,99.9,250000
hits,100,300000
misses,50,3000000
misses,90,90000000
misses,99,100000000
misses,99.9,120000000
misses,100,160000000
";

const NODES: &str = "node,requests,gets,hits,hit_ratio,evictions,bytes_used,objects,load_share
0,900,800,600,0.75,10,1000,10,0.9
1,1100,1000,800,0.8,12,1000,10,1.1
";

const TIMESERIES: &str = "time_s,requests,gets,hits,hit_ratio,db_rps,db_utilisation,db_queue_mean,db_rejected,timeouts,errors,evictions,p50_ns,p99_ns,nodes_up
1,100,90,70,0.78,40,0.2,0,0,0,0,0,200000,9000000,2
2,100,90,60,0.67,60,0.3,0,0,0,0,0,200000,12000000,1
";

/// A sweep summary over `axes` with one row per cell of `cells`, hit
/// ratios rising along the cells, and `replications` per cell.
fn sweep_summary(axes: &[&str], cells: &[&[&str]], replications: u32) -> String {
    let metrics = ["hit_ratio", "db_rps", "latency_all_p99_ns"];
    let mut header: Vec<String> = axes.iter().map(ToString::to_string).collect();
    header.push("replications".into());
    for m in metrics {
        for s in ["mean", "ci_low", "ci_high"] {
            header.push(format!("{m}_{s}"));
        }
    }
    let mut text = header.join(",") + "\n";
    for (i, cell) in cells.iter().enumerate() {
        let hit = 0.5 + 0.05 * i as f64;
        let mut row: Vec<String> = cell.iter().map(ToString::to_string).collect();
        row.push(replications.to_string());
        for value in [hit, 1000.0 * (1.0 - hit), 2e7 * (1.0 - hit)] {
            let half = if replications > 1 { 0.02 * value } else { 0.0 };
            row.extend([value, value - half, value + half].map(|v| v.to_string()));
        }
        text += &(row.join(",") + "\n");
    }
    text
}

/// Renders `charts` to `<dir>/<stem>.png/.svg` and checks both files: a
/// PNG signature with some content, and every `labels` text in the SVG.
fn renders<C: Chart>(dir: &Path, stem: &str, charts: &[C], labels: &[&str]) {
    let path = dir.join(stem);
    plot::write_figure(charts, &path, plot::stacked_size(charts.len())).unwrap();
    let png = std::fs::read(path.with_extension("png")).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 5000,
        "{stem}.png is {} bytes",
        png.len()
    );
    let svg = std::fs::read_to_string(path.with_extension("svg")).unwrap();
    for label in labels {
        assert!(svg.contains(label), "{stem}.svg lacks the text {label:?}");
    }
}

#[test]
fn every_plot_kind_renders_with_its_axis_labels() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let replay = Table::read(&write(d, "replay.csv", REPLAY)).unwrap();
    let bars = figures::replay_bars(&replay, true).unwrap();
    assert_eq!(bars.categories, ["1 MiB", "64 MiB"]);
    renders(
        d,
        "policies",
        &[bars],
        &["miss ratio", "cache size", "lru", "s3fifo"],
    );

    let latency = Table::read(&write(d, "latency.csv", LATENCY)).unwrap();
    let curve = figures::latency_curve(&latency)
        .unwrap()
        .expect("latencies to draw");
    assert!(curve.log_y && curve.series.len() == 3);
    // The maximum has no place on a nines axis.
    assert!(curve.series.iter().all(|s| s.points.len() == 4));
    renders(
        d,
        "latency",
        &[curve],
        &["latency (ms, log scale)", "percentile", "99.9", "misses"],
    );

    let nodes = Table::read(&write(d, "nodes.csv", NODES)).unwrap();
    renders(
        d,
        "nodes",
        &figures::node_bars(&nodes).unwrap(),
        &["operations / mean per node", "hit ratio", "node"],
    );

    let policies = Sweep::read(&write(
        d,
        "sweep-summary.csv",
        &sweep_summary(&["nodes.policy"], &[&["lru"], &["s3fifo"], &["sieve"]], 5),
    ))
    .unwrap();
    let metrics: Vec<_> = sweep::PANEL_METRICS
        .iter()
        .map(|m| policies.metric(m).unwrap())
        .collect();
    let panels = sweep::sweep_bars(&policies, "nodes.policy", &metrics).unwrap();
    assert_eq!(panels.len(), 3);
    assert_eq!(
        panels[0].series[0].whiskers.len(),
        3,
        "5 replications: whiskers"
    );
    renders(
        d,
        "sweep-policies",
        &panels,
        &[
            "hit ratio",
            "database load (queries/s)",
            "p99 latency, all (ms)",
            "s3fifo",
        ],
    );

    let grid = sweep_summary(
        &["nodes.policy", "nodes.capacity"],
        &[
            &["lru", "1MiB"],
            &["lru", "4MiB"],
            &["s3fifo", "1MiB"],
            &["s3fifo", "4MiB"],
        ],
        1,
    );
    let grid = Sweep::read(&write(d, "sweep-summary.csv", &grid)).unwrap();
    let mut heatmaps = sweep::sweep_heatmaps(&grid, &grid.metric("db_rps_mean").unwrap()).unwrap();
    assert_eq!(heatmaps.len(), 1, "two axes, one heatmap");
    let heatmap = heatmaps.remove(0);
    assert_eq!(heatmap.values[1][1], Some(350.0)); // s3fifo, 4MiB: hit ratio 0.65
    renders(
        d,
        "heatmap",
        &[heatmap],
        &[
            "nodes.policy",
            "nodes.capacity",
            "database load (queries/s)",
            "350",
        ],
    );

    let sizes = sweep_summary(
        &["nodes.capacity"],
        &[&["1MiB"], &["16MiB"], &["256MiB"]],
        3,
    );
    let sizes = Sweep::read(&write(d, "sweep-summary.csv", &sizes)).unwrap();
    let line = sweep::sweep_line(&sizes, &sizes.metric("hit_ratio").unwrap())
        .unwrap()
        .expect("a size axis is numeric");
    assert_eq!(line.series[0].whiskers.len(), 3);
    renders(
        d,
        "sweep-line",
        &[line],
        &["nodes.capacity (bytes, log scale)", "hit ratio", "16MiB"],
    );
}

#[test]
fn plot_draws_what_a_directory_holds_and_a_self_contained_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "latency.csv", LATENCY);
    write(d, "nodes.csv", NODES);
    write(d, "timeseries.csv", TIMESERIES);
    write(
        d,
        "scenario.toml",
        "# a <scenario> & more\nduration = \"4s\"\n",
    );
    let output = cachelab(&["plot", d.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    for stem in ["latency", "nodes", "timeseries"] {
        for ext in ["png", "svg"] {
            let file = d.join(format!("{stem}.{ext}"));
            assert!(file.exists(), "{} not written", file.display());
            assert!(stdout.contains(&file.display().to_string()), "{stdout}");
        }
    }
    assert!(
        !d.join("policies.png").exists(),
        "no replay.csv, no policy bars"
    );
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert!(
        html.contains("&lt;scenario&gt; &amp; more"),
        "scenario.toml escaped in a <pre>"
    );
    assert_report(&html, &["timeseries", "latency", "nodes"]);
    assert!(html.contains("<td>load_share</td>") || html.contains("<th>load_share</th>"));
}

/// One inline SVG per plot, each named, and nothing fetched from anywhere.
fn assert_report(html: &str, stems: &[&str]) {
    assert_eq!(
        html.matches("<svg").count(),
        stems.len(),
        "one <svg> per plot"
    );
    for stem in stems {
        assert!(
            html.contains(&format!("id=\"{stem}\"")),
            "plot {stem} not in the report"
        );
        assert!(
            html.contains(&format!("({stem}.svg")),
            "plot {stem} not named"
        );
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the report references the network"
    );
}

#[test]
fn plot_on_sweeps_chooses_bars_heatmaps_or_lines() {
    let dir = tempfile::tempdir().unwrap();
    let two = dir.path().join("two");
    std::fs::create_dir(&two).unwrap();
    let cells: &[&[&str]] = &[
        &["lru", "1MiB"],
        &["lru", "4MiB"],
        &["sieve", "1MiB"],
        &["sieve", "4MiB"],
    ];
    write(
        &two,
        "sweep-summary.csv",
        &sweep_summary(&["nodes.policy", "nodes.capacity"], cells, 3),
    );
    let output = cachelab(&["plot", two.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let html = std::fs::read_to_string(two.join("report.html")).unwrap();
    assert_report(&html, &["policies", "heatmap-hit_ratio", "heatmap-db_rps"]);
    assert!(html.contains("Sweep cells"));

    let output = cachelab(&[
        "plot",
        two.to_str().unwrap(),
        "--metric",
        "latency_all_p99_ns",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(two.join("heatmap-latency_all_p99_ns.svg").exists());

    let one = dir.path().join("one");
    std::fs::create_dir(&one).unwrap();
    let counts: &[&[&str]] = &[&["1"], &["2"], &["4"], &["8"]];
    write(
        &one,
        "sweep-summary.csv",
        &sweep_summary(&["nodes.count"], counts, 1),
    );
    let output = cachelab(&["plot", one.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = std::fs::read_to_string(one.join("sweep-nodes_count.svg")).unwrap();
    assert!(svg.contains("nodes.count") && svg.contains("hit ratio"));

    let output = cachelab(&["plot", one.to_str().unwrap(), "--metric", "colour"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success()
            && stderr.contains("sweep-summary.csv")
            && stderr.contains("no metric `colour`"),
        "{stderr}"
    );
}

#[test]
fn plot_and_report_of_a_real_run_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("smoke");
    let output = cachelab(&[
        "run",
        "scenarios/smoke.toml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = cachelab(&["plot", out.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_report(&html, &["timeseries", "latency", "nodes"]);
    for text in [
        "Scenario",
        "Headline numbers",
        "hit ratio",
        "Failures",
        "crash",
        "Nodes",
    ] {
        assert!(html.contains(text), "report.html lacks {text:?}");
    }
}

#[test]
fn bad_files_get_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |d: &Path| {
        let output = cachelab(&["plot", d.to_str().unwrap()]);
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = run(d);
    assert!(stderr.contains("nothing to plot"), "{stderr}");
    write(d, "nodes.csv", "node,load_share,hit_ratio\n0,lots,0.5\n");
    let stderr = run(d);
    assert!(
        stderr.contains("nodes.csv") && stderr.contains("line 2") && stderr.contains("`lots`"),
        "{stderr}"
    );
    write(d, "nodes.csv", "node,hit_ratio\n0,0.5\n");
    let stderr = run(d);
    assert!(
        stderr.contains("nodes.csv") && stderr.contains("no column `load_share`"),
        "{stderr}"
    );
    std::fs::remove_file(d.join("nodes.csv")).unwrap();
    write(d, "latency.csv", "class,percentile,latency_ns\nall,50\n");
    let stderr = run(d);
    assert!(stderr.contains("latency.csv"), "{stderr}");
    std::fs::remove_file(d.join("latency.csv")).unwrap();
    write(
        d,
        "sweep-summary.csv",
        "nodes.count,hit_ratio_mean\n1,0.5\n",
    );
    let stderr = run(d);
    assert!(
        stderr.contains("sweep-summary.csv") && stderr.contains("`replications`"),
        "{stderr}"
    );
}

#[test]
fn plot_draws_sweeps_of_three_axes_as_small_multiples() {
    let dir = tempfile::tempdir().unwrap();
    let three = dir.path().join("three");
    std::fs::create_dir(&three).unwrap();
    let mut cells: Vec<Vec<&str>> = Vec::new();
    for policy in ["lru", "sieve"] {
        for capacity in ["1MiB", "4MiB"] {
            for count in ["2", "4", "8"] {
                cells.push(vec![policy, capacity, count]);
            }
        }
    }
    let cells: Vec<&[&str]> = cells.iter().map(Vec::as_slice).collect();
    write(
        &three,
        "sweep-summary.csv",
        &sweep_summary(
            &["nodes.policy", "nodes.capacity", "nodes.count"],
            &cells,
            1,
        ),
    );
    let output = cachelab(&["plot", three.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = std::fs::read_to_string(three.join("heatmap-hit_ratio.svg")).unwrap();
    for count in ["2", "4", "8"] {
        assert!(
            svg.contains(&format!("nodes.count={count}")),
            "panel {count}"
        );
    }
    let html = std::fs::read_to_string(three.join("report.html")).unwrap();
    assert_report(&html, &["heatmap-db_rps", "heatmap-hit_ratio"]);
}

#[test]
fn plot_draws_what_it_can_of_a_run_without_latencies() {
    // A run whose measured window saw no request: zero latencies everywhere.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let zeros: String = ["all", "hits", "misses"]
        .iter()
        .flat_map(|c| ["50", "99", "100"].map(|p| format!("{c},{p},0\n")))
        .collect();
    write(
        &empty,
        "latency.csv",
        &format!("class,percentile,latency_ns\n{zeros}"),
    );
    write(&empty, "nodes.csv", NODES);
    let output = cachelab(&["plot", empty.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("latency"));
    assert!(empty.join("nodes.svg").exists() && !empty.join("latency.svg").exists());
}

#[test]
fn a_run_with_an_app_tier_gets_its_latency_breakdown_stacked_and_one_without_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("app");
    // The bundled app tier at one rate: its sweep cut off, a shorter run.
    let bundled = std::fs::read_to_string("scenarios/app-tier.toml").unwrap();
    let single = bundled.split("[sweep]").next().unwrap();
    let scenario = write(dir.path(), "app.toml", single);
    let output = cachelab(&[
        "run",
        scenario.to_str().unwrap(),
        "--set",
        "clients.rate=400",
        "--set",
        "duration=20s",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let cell = out;
    let svg = std::fs::read_to_string(cell.join("breakdown.svg")).unwrap();
    for label in [
        "queued",
        "CPU",
        "cache",
        "database",
        "hits",
        "misses",
        "mean latency (ms)",
    ] {
        assert!(svg.contains(label), "breakdown.svg lacks {label:?}");
    }
    let html = std::fs::read_to_string(cell.join("report.html")).unwrap();
    assert_report(&html, &["timeseries", "breakdown", "latency", "nodes"]);
    let plain = dir.path().join("smoke");
    let output = cachelab(&[
        "run",
        "scenarios/smoke.toml",
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    assert!(!plain.join("breakdown.svg").exists());
}
