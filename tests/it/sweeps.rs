//! Sweeps: replications with confidence intervals, shards merged into the
//! same bytes as one run, interrupted sweeps resumed without recomputing
//! finished runs, and comparisons.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cachelab(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(args)
        .output()
        .expect("cachelab runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A small two-axis sweep: 2 policies × 2 capacities.
const SWEEP: &str = r#"
    duration = "3s"
    warmup = "1s"
    [workload]
    keys = 20000
    object_size = "1KiB"
    [clients]
    rate = 5000
    [nodes]
    count = 2
    [sweep]
    "nodes.policy" = ["lru", "s3fifo"]
    "nodes.capacity" = ["1MiB", "4MiB"]
"#;

fn scenario_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("sweep.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn shards_merged_equal_one_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SWEEP);
    let file = file.to_str().unwrap();
    let whole = dir.path().join("whole");
    cachelab(&[
        "sweep",
        file,
        "--replications",
        "2",
        "--out",
        whole.to_str().unwrap(),
    ]);
    let mut pieces = Vec::new();
    for i in 0..3 {
        let piece = dir.path().join(format!("piece{i}"));
        let shard = format!("{i}/3");
        let output = cachelab(&[
            "sweep",
            file,
            "--replications",
            "2",
            "--shard",
            &shard,
            "--out",
            piece.to_str().unwrap(),
        ]);
        assert!(String::from_utf8_lossy(&output.stdout).contains("cachelab merge"));
        assert!(
            !piece.join("sweep.csv").exists(),
            "a shard writes no sweep tables"
        );
        pieces.push(piece.to_string_lossy().into_owned());
    }
    let merged = dir.path().join("merged");
    let mut args = vec!["merge", merged.to_str().unwrap()];
    args.extend(pieces.iter().map(String::as_str));
    cachelab(&args);
    let (a, b) = (tree(&whole), tree(&merged));
    assert_eq!(a.len(), b.len());
    assert!(a.len() > 8 * 4, "{} files", a.len());
    for ((pa, ba), (pb, bb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{pa:?} differs between one run and merged shards");
    }
    // The tables: 4 cells × 2 replications, and per cell a mean with an interval.
    let sweep = std::fs::read_to_string(whole.join("sweep.csv")).unwrap();
    assert_eq!(sweep.lines().count(), 1 + 8);
    assert!(
        sweep
            .lines()
            .next()
            .unwrap()
            .starts_with("nodes.policy,nodes.capacity,replication,scenario")
    );
    let mut summary = csv::Reader::from_path(whole.join("sweep-summary.csv")).unwrap();
    let headers = summary.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = summary.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    for row in &rows {
        let value = |name: &str| row[col(name)].parse::<f64>().unwrap();
        assert_eq!(value("replications"), 2.0);
        assert!(
            value("hit_ratio_ci_low") < value("hit_ratio_mean")
                && value("hit_ratio_mean") < value("hit_ratio_ci_high")
        );
    }
    // More memory, more hits, for each policy.
    let hit = |cap: &str, policy: &str| {
        rows.iter()
            .find(|r| &r[col("nodes.capacity")] == cap && &r[col("nodes.policy")] == policy)
            .map(|r| r[col("hit_ratio_mean")].parse::<f64>().unwrap())
            .unwrap()
    };
    assert!(hit("4MiB", "lru") > hit("1MiB", "lru"));
    assert!(hit("4MiB", "s3fifo") > hit("1MiB", "s3fifo"));
}

#[test]
fn an_interrupted_sweep_resumes_without_recomputing_finished_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SWEEP);
    let file = file.to_str().unwrap();
    let out = dir.path().join("out");
    let out_str = out.to_str().unwrap();
    cachelab(&["sweep", file, "--out", out_str]);
    let before = tree(&out);
    // Interrupt: one run lost its summary (killed before its last write),
    // another is half written (a partial file left behind).
    let lost = out.join("nodes.policy=lru,nodes.capacity=1MiB");
    std::fs::remove_file(lost.join("summary.json")).unwrap();
    let half = out.join("nodes.policy=s3fifo,nodes.capacity=4MiB");
    std::fs::remove_file(half.join("summary.json")).unwrap();
    std::fs::write(half.join("timeseries.csv"), "time_s,requ").unwrap();
    // Mark the untouched runs: a recomputed run would rewrite its files.
    let untouched = out.join("nodes.policy=s3fifo,nodes.capacity=1MiB/nodes.csv");
    let mtime = std::fs::metadata(&untouched).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let output = cachelab(&["sweep", file, "--out", out_str]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("2 run(s) already finished"), "{text}");
    assert_eq!(
        std::fs::metadata(&untouched).unwrap().modified().unwrap(),
        mtime,
        "a finished run was recomputed"
    );
    assert_eq!(
        tree(&out),
        before,
        "resumed results differ from the uninterrupted ones"
    );
    // A changed scenario is not taken as finished.
    let output = cachelab(&[
        "sweep",
        file,
        "--out",
        out_str,
        "--set",
        "clients.rate=4000",
    ]);
    assert!(!String::from_utf8_lossy(&output.stdout).contains("already finished"));
}

#[test]
fn replications_use_distinct_seeds_and_cells_share_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SWEEP);
    let out = dir.path().join("out");
    cachelab(&[
        "sweep",
        file.to_str().unwrap(),
        "--replications",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    let mut reader = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let seed = headers.iter().position(|h| h == "seed").unwrap();
    let rep = headers.iter().position(|h| h == "replication").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let seeds_of = |r: &str| -> Vec<String> {
        rows.iter()
            .filter(|x| &x[rep] == r)
            .map(|x| x[seed].to_string())
            .collect()
    };
    for r in ["0", "1", "2"] {
        let seeds = seeds_of(r);
        assert_eq!(seeds.len(), 4);
        assert!(
            seeds.iter().all(|s| s == &seeds[0]),
            "cells of replication {r} share its seed"
        );
    }
    assert_eq!(
        seeds_of("0")[0],
        "42",
        "replication 0 keeps the scenario's seed"
    );
    assert_ne!(seeds_of("1")[0], seeds_of("2")[0]);
}

/// `cachelab compare` of `base` against it with 4 MiB nodes, with the
/// given replications: the output directory and what it printed.
fn compare_capacities(dir: &Path, base: &str, replications: &str) -> (PathBuf, String) {
    let file = scenario_file(dir, base);
    let out = dir.join("cmp");
    let output = cachelab(&[
        "compare",
        file.to_str().unwrap(),
        "--set-b",
        "nodes.capacity=4MiB",
        "--replications",
        replications,
        "--out",
        out.to_str().unwrap(),
    ]);
    (out, String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn compare_reports_differences_with_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let base = r#"
        duration = "3s"
        warmup = "1s"
        [workload]
        keys = 20000
        object_size = "1KiB"
        [clients]
        rate = 5000
        [nodes]
        count = 2
        capacity = "1MiB"
    "#;
    let (out, text) = compare_capacities(dir.path(), base, "3");
    assert!(
        text.contains("database load") && text.contains("B lowers it by") && text.contains('±'),
        "{text}"
    );
    let mut reader = csv::Reader::from_path(out.join("compare.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let hit = rows.iter().find(|r| &r[0] == "hit_ratio").unwrap();
    let (low, high): (f64, f64) = (hit[4].parse().unwrap(), hit[5].parse().unwrap());
    assert!(
        low > 0.0 && high > low,
        "more memory raises the hit ratio: [{low}, {high}]"
    );
}

#[test]
fn compare_of_empty_windows_says_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let base = r#"
        duration = "2s"
        warmup = "1s"
        [clients]
        rate = 0.01
    "#;
    let (out, text) = compare_capacities(dir.path(), base, "2");
    assert!(text.contains("hit ratio: no data"), "{text}");
    assert!(text.contains("p99 latency, all: no data"), "{text}");
    let hit = named_record(&out.join("compare.csv"), 0);
    assert_eq!(hit["metric"], "hit_ratio");
    assert_eq!(
        (hit["a_mean"].as_str(), hit["replications"].as_str()),
        ("", "0")
    );
    let db = named_record(&out.join("compare.csv"), 2);
    assert_eq!(
        (db["metric"].as_str(), db["replications"].as_str()),
        ("db_rps", "2")
    );
}

/// Runs cachelab, returning its output whether or not it succeeded.
fn cachelab_any(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(args)
        .output()
        .expect("cachelab runs")
}

fn cachelab_child(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cachelab starts")
}

fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names = |t: &[(PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ta), names(&tb), "the same files");
    for ((pa, ba), (_, bb)) in ta.iter().zip(&tb) {
        assert!(ba == bb, "{pa:?} differs between {a:?} and {b:?}");
    }
}

fn unit_reports(root: &Path) -> usize {
    std::fs::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().join("report.html").exists())
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn concurrent_shards_into_one_directory_merge_to_the_bytes_of_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SWEEP);
    let file = file.to_str().unwrap();
    let whole = dir.path().join("whole");
    let whole = whole.to_str().unwrap();
    cachelab(&["sweep", file, "--replications", "2", "--out", whole]);
    // The README's shared-directory recipe, every shard started twice at
    // once, so that writers of the same files meet.
    let shared = dir.path().join("shared");
    let shared = shared.to_str().unwrap();
    let shards: Vec<String> = (0..4).map(|i| format!("{i}/4")).collect();
    let children: Vec<_> = shards
        .iter()
        .chain(&shards)
        .map(|shard| {
            cachelab_child(&[
                "sweep",
                file,
                "--replications",
                "2",
                "--jobs",
                "1",
                "--shard",
                shard,
                "--out",
                shared,
            ])
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "a shard failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    cachelab(&["merge", shared]);
    assert_same_tree(Path::new(whole), Path::new(shared));
}

/// Six cells of about half a second each.
const SLOW_SWEEP: &str = r#"
    duration = "30s"
    warmup = "1s"
    [workload]
    keys = 20000
    object_size = "1KiB"
    [clients]
    rate = 20000
    [nodes]
    count = 2
    [sweep]
    "nodes.policy" = ["lru", "s3fifo"]
    "nodes.capacity" = ["1MiB", "2MiB", "4MiB"]
"#;

#[test]
fn a_sweep_killed_while_simulating_keeps_its_finished_units_and_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SLOW_SWEEP);
    let file = file.to_str().unwrap();
    let whole = dir.path().join("whole");
    let started = std::time::Instant::now();
    cachelab(&[
        "sweep",
        file,
        "--jobs",
        "1",
        "--out",
        whole.to_str().unwrap(),
    ]);
    let uninterrupted = started.elapsed();

    let out = dir.path().join("out");
    let out_str = out.to_str().unwrap();
    let started = std::time::Instant::now();
    let mut child = cachelab_child(&["sweep", file, "--jobs", "1", "--out", out_str]);
    while unit_reports(&out) == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep ended before a unit was seen finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let first = started.elapsed();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        first < uninterrupted / 2,
        "the first unit was written after {first:?} of a {uninterrupted:?} sweep: units are not written as they finish"
    );
    let kept = unit_reports(&out);
    assert!((1..6).contains(&kept), "{kept} units kept");
    let output = cachelab(&["sweep", file, "--jobs", "1", "--out", out_str]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(&format!("{kept} run(s) already finished")),
        "{text}"
    );
    assert_same_tree(&whole, &out);
}

/// A scenario that would simulate for most of a minute (72 M requests, a
/// modest amount of work): an error about the output must come before it.
const LONG_RUN: &str = r#"
    duration = "1h"
    [workload]
    keys = 20000
    [clients]
    rate = 20000
    [nodes]
    count = 2
"#;

/// Runs cachelab and expects it to fail within 20 s; returns stderr.
fn fails_quickly(args: &[&str]) -> String {
    let mut child = cachelab_child(args);
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("{args:?} still simulating after 20 s: the output was not checked first");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_output_is_checked_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), LONG_RUN);
    let file = file.to_str().unwrap();
    let plain = dir.path().join("a-file");
    std::fs::write(&plain, "not a directory").unwrap();
    let stderr = fails_quickly(&["run", file, "--out", plain.to_str().unwrap()]);
    assert!(
        stderr.contains(plain.to_str().unwrap()) && stderr.contains("not a directory"),
        "{stderr}"
    );
    let below = plain.join("sub");
    let stderr = fails_quickly(&["run", file, "--out", below.to_str().unwrap()]);
    assert!(stderr.contains(below.to_str().unwrap()), "{stderr}");

    // Permissions hold back everyone but root.
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(locked.join("probe"), "").is_err() {
        let stderr = fails_quickly(&["run", file, "--out", locked.to_str().unwrap()]);
        assert!(
            stderr.contains(locked.to_str().unwrap()) && stderr.contains("writ"),
            "{stderr}"
        );
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn cell_labels_longer_than_a_file_name_get_short_stable_directories() {
    let dir = tempfile::tempdir().unwrap();
    let long = |c: char| c.to_string().repeat(300);
    let text = format!(
        "duration = \"2s\"\nwarmup = \"1s\"\n[workload]\nkeys = 1000\n[clients]\nrate = 1000\n[nodes]\ncount = 2\n[sweep]\nname = [\"{}\", \"{}\"]\n",
        long('a'),
        long('b')
    );
    let file = scenario_file(dir.path(), &text);
    let out = dir.path().join("out");
    let output = cachelab(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    let units: Vec<&str> = index["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["units"][0].as_str().unwrap())
        .collect();
    assert_eq!(units.len(), 2);
    assert_ne!(units[0], units[1]);
    for unit in &units {
        assert!(unit.len() <= 255, "{unit}");
        assert!(
            unit.starts_with("name=aaa") || unit.starts_with("name=bbb"),
            "{unit}"
        );
        let svg = std::fs::read_to_string(out.join(unit).join("timeseries.svg")).unwrap();
        assert!(
            !svg.contains(&long('a')) && !svg.contains(&long('b')) && svg.contains('…'),
            "a huge name is shortened in plot titles"
        );
    }
    // The same names again: the second run reuses both.
    let output = cachelab(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("2 run(s) already finished"));
}

/// A small three-axis sweep: 2 policies × 2 capacities × 2 node counts.
const THREE_AXES: &str = r#"
    duration = "2s"
    warmup = "1s"
    [workload]
    keys = 5000
    object_size = "1KiB"
    [clients]
    rate = 2000
    [sweep]
    "nodes.policy" = ["lru", "s3fifo"]
    "nodes.capacity" = ["1MiB", "4MiB"]
    "nodes.count" = [2, 4]
"#;

#[test]
fn sweeps_of_three_axes_draw_small_multiples_and_merge() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), THREE_AXES);
    let file = file.to_str().unwrap();
    let out = dir.path().join("out");
    let output = cachelab_any(&["sweep", file, "--out", out.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = std::fs::read_to_string(out.join("heatmap-hit_ratio.svg")).unwrap();
    assert!(
        svg.contains("nodes.count=2") && svg.contains("nodes.count=4"),
        "one heatmap of the first two axes per value of the third"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"heatmap-hit_ratio\""));
    let output = cachelab_any(&["merge", out.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_cell_with_an_empty_measured_window_is_a_result() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
        duration = "2s"
        warmup = "1s"
        [workload]
        keys = 1000
        [clients]
        rate = 0.01
        [nodes]
        count = 2
    "#;
    let file = scenario_file(dir.path(), text);
    let out = dir.path().join("one");
    let output = cachelab_any(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("no request completed"), "{stdout}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("no request completed"));
    // No data is null in summary.json and an empty field in the CSVs, never 0.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let note = summary["no_data"].as_str().unwrap_or_default();
    assert!(note.contains("not 0"), "{summary}");
    for pointer in [
        "/hit_ratio",
        "/miss_ratio",
        "/byte_hit_ratio",
        "/latency_all/p99_ns",
        "/consistency/stale_read_ratio",
    ] {
        assert!(
            summary.pointer(pointer).unwrap().is_null(),
            "{pointer}: {summary}"
        );
    }
    assert_eq!(summary["requests"], 0);
    let record = named_record(&out.join("summary.csv"), 0);
    for name in ["hit_ratio", "miss_ratio", "latency_all_p99_ns"] {
        assert_eq!(record[name], "", "summary.csv {name}");
    }
    assert_eq!(record["requests"], "0");
    let latency = named_record(&out.join("latency.csv"), 0);
    assert_eq!(latency["latency_ns"], "");
    assert!(stdout.contains("no hit ratio or latency"), "{stdout}");
    assert!(html.contains("no data") && !html.contains("show them as 0"));
    // In a sweep, the other cells are kept and tabulated.
    let out = dir.path().join("sweep");
    let file = scenario_file(
        dir.path(),
        &format!("{text}\n[sweep]\n\"clients.rate\" = [0.01, 2000]\n"),
    );
    let output = cachelab_any(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = std::fs::read_to_string(out.join("sweep-summary.csv")).unwrap();
    assert_eq!(rows.lines().count(), 3);
    // The empty cell is no data in both tables; the other keeps its numbers.
    let (empty, full) = (
        named_record(&out.join("sweep.csv"), 0),
        named_record(&out.join("sweep.csv"), 1),
    );
    assert_eq!(
        (
            empty["hit_ratio"].as_str(),
            empty["latency_all_p99_ns"].as_str()
        ),
        ("", "")
    );
    assert!(full["hit_ratio"].parse::<f64>().unwrap() > 0.0);
    let (empty, full) = (
        named_record(&out.join("sweep-summary.csv"), 0),
        named_record(&out.join("sweep-summary.csv"), 1),
    );
    for name in [
        "hit_ratio_mean",
        "hit_ratio_ci_low",
        "latency_all_p99_ns_mean",
    ] {
        assert_eq!(empty[name], "", "sweep-summary.csv {name}");
    }
    assert_eq!(
        (
            empty["replications_with_gets"].as_str(),
            full["replications_with_gets"].as_str()
        ),
        ("0", "1")
    );
    assert!(full["hit_ratio_mean"].parse::<f64>().unwrap() > 0.0);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("no data"));
    let plotted = std::fs::read_dir(&out)
        .unwrap()
        .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "svg"));
    assert!(plotted, "the cell with data is plotted");
}

/// Row `row` of a CSV file, by column name.
fn named_record(path: &Path, row: usize) -> std::collections::BTreeMap<String, String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let record = reader.records().nth(row).unwrap().unwrap();
    headers
        .iter()
        .zip(record.iter())
        .map(|(h, v)| (h.to_string(), v.to_string()))
        .collect()
}

#[test]
fn merge_refuses_unit_paths_outside_the_piece() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SWEEP);
    let piece = dir.path().join("piece");
    cachelab(&[
        "sweep",
        file.to_str().unwrap(),
        "--shard",
        "0/2",
        "--out",
        piece.to_str().unwrap(),
    ]);
    let index_path = piece.join("sweep.json");
    let original = std::fs::read_to_string(&index_path).unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("summary.json"), "{}").unwrap();
    std::fs::write(outside.join("report.html"), "").unwrap();
    for bad in ["../outside", outside.to_str().unwrap()] {
        let mut index: serde_json::Value = serde_json::from_str(&original).unwrap();
        index["cells"][0]["units"][0] = bad.into();
        std::fs::write(&index_path, index.to_string()).unwrap();
        let merged = dir.path().join("merged");
        let output = cachelab_any(&["merge", merged.to_str().unwrap(), piece.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{bad}: merged");
        assert!(
            stderr.contains(index_path.to_str().unwrap()) && stderr.contains(bad),
            "{stderr}"
        );
        assert!(!merged.join("summary.json").exists() && !dir.path().join("summary.json").exists());
    }
}

#[test]
fn compare_with_one_replication_claims_no_interval() {
    let dir = tempfile::tempdir().unwrap();
    let base = r#"
        duration = "2s"
        warmup = "1s"
        [workload]
        keys = 5000
        [clients]
        rate = 2000
        [nodes]
        count = 2
        capacity = "1MiB"
    "#;
    let (_, text) = compare_capacities(dir.path(), base, "1");
    assert!(
        !text.contains("95% intervals") && text.contains("no interval"),
        "{text}"
    );
}
