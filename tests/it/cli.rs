//! The command line end to end on the shared trace, in every encoding it
//! comes in, and on broken inputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{self, cachelab};

fn trace(name: &str) -> String {
    common::traces_dir()
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs a replay and returns the rows of its CSV as (policy, size, misses, miss ratio, byte miss ratio).
fn replay_rows(args: &[&str], out: &Path) -> Vec<(String, u64, u64, String, String)> {
    let mut all = vec!["replay", "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = cachelab(&all);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut reader = csv::Reader::from_path(out.join("replay.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "policy",
            "cache_size",
            "requests",
            "misses",
            "miss_ratio",
            "byte_miss_ratio",
        ]
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[1].parse().unwrap(),
                r[3].parse().unwrap(),
                r[4].to_string(),
                r[5].to_string(),
            )
        })
        .collect()
}

fn compressed_copy(source: &str, dir: &Path) -> PathBuf {
    let name = Path::new(source)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
        + ".zst";
    let path = dir.join(name);
    let data = std::fs::read(source).unwrap();
    let packed =
        ruzstd::encoding::compress_to_vec(&data[..], ruzstd::encoding::CompressionLevel::Fastest);
    std::fs::write(&path, packed).unwrap();
    path
}

#[test]
fn every_encoding_gives_the_same_miss_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let policies = "lru,fifo,clock,s3fifo,belady";
    let run = |file: &str, extra: &[&str], out: &str| {
        let mut args = vec!["--trace", file, "--policy", policies, "--size", "1%,10%"];
        args.extend_from_slice(extra);
        replay_rows(&args, &dir.path().join(out))
    };
    // Object mode: every encoding has the same keys in the same order.
    let reference = run(
        &trace("cloudPhysicsIO.oracleGeneral.bin"),
        &["--ignore-size"],
        "og",
    );
    assert_eq!(reference.len(), 10);
    let zst = compressed_copy(&trace("cloudPhysicsIO.oracleGeneral.bin"), dir.path());
    for (file, out) in [
        (trace("cloudPhysicsIO.vscsi"), "vscsi"),
        (trace("cloudPhysicsIO.csv"), "csv"),
        (trace("cloudPhysicsIO.txt"), "txt"),
        (zst.to_string_lossy().into_owned(), "zst"),
    ] {
        // Timing differs (the txt file has none), so compare with a fixed rate.
        let rows = run(&file, &["--ignore-size"], out);
        assert_eq!(rows, reference, "{file}");
    }
    // Byte mode: vscsi and csv carry the same sizes row for row.
    let vscsi = run(&trace("cloudPhysicsIO.vscsi"), &[], "vscsi-bytes");
    let csv = run(&trace("cloudPhysicsIO.csv"), &[], "csv-bytes");
    assert_eq!(vscsi, csv);
    // Cold misses: 48 974 of 113 872 requests at best (the trace's README).
    assert!(reference.iter().all(|r| r.2 >= 48_974));
}

#[test]
fn truncated_trace_names_file_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::fs::read(trace("cloudPhysicsIO.oracleGeneral.bin")).unwrap();
    let cut = dir.path().join("cut.oracleGeneral.bin");
    std::fs::write(&cut, &data[..1000]).unwrap(); // 41 records and 16 bytes
    let out = dir.path().join("out");
    let output = cachelab(&[
        "replay",
        "--trace",
        cut.to_str().unwrap(),
        "--size",
        "100",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cut.oracleGeneral.bin"), "{stderr}");
    assert!(
        stderr.contains("record 41") && stderr.contains("offset 984"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists(), "a failed run left {out:?} behind");
}

#[test]
fn malformed_csv_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "time,key,size\n1,10,100\n2,11,big\n").unwrap();
    let output = cachelab(&["replay", "--trace", path.to_str().unwrap(), "--size", "100"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.csv") && stderr.contains("line 3") && stderr.contains("big"),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_say_what_is_allowed() {
    let og = trace("cloudPhysicsIO.oracleGeneral.bin");
    for (args, expected) in [
        (vec!["--policy", "lruu"], "unknown policy `lruu`"),
        (vec!["--policy", "s3fifo:small=3"], "small"),
        (vec!["--size", "lots"], "cache size `lots`"),
        (vec!["--ignore-size", "--size", "64MiB"], "--ignore-size"),
        (vec!["--format", "parquet"], "unknown trace format"),
    ] {
        let mut all = vec!["replay", "--trace", og.as_str(), "--size", "10%"];
        all.extend_from_slice(&args);
        let output = cachelab(&all);
        assert!(!output.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn an_mrc_of_a_stream_counted_in_objects_says_objects() {
    // A workload of unit sizes counts objects without --ignore-size: the
    // record says so, and the plot's axis follows it.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mrc");
    let output = cachelab(&[
        "mrc",
        "--workload",
        "zipf:alpha=0.9,keys=2000,requests=20000",
        "--policy",
        "lru",
        "--points",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let run = std::fs::read_to_string(out.join("run.json")).unwrap();
    assert!(run.contains("\"size_unit\": \"objects\""), "{run}");
    let svg = std::fs::read_to_string(out.join("mrc.svg")).unwrap();
    assert!(svg.contains("cache size (objects)"), "axis label in bytes");
}

#[test]
fn mrc_writes_csv_and_plots_and_agrees_with_replay() {
    let dir = tempfile::tempdir().unwrap();
    let og = trace("cloudPhysicsIO.oracleGeneral.bin");
    let out = dir.path().join("mrc");
    let output = cachelab(&[
        "mrc",
        "--trace",
        &og,
        "--policy",
        "lru,fifo",
        "--size",
        "1%,5%,20%",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for file in ["mrc.csv", "mrc.png", "mrc.svg", "run.json"] {
        assert!(
            std::fs::metadata(out.join(file)).unwrap().len() > 0,
            "{file}"
        );
    }
    let svg = std::fs::read_to_string(out.join("mrc.svg")).unwrap();
    assert!(
        svg.contains("miss ratio") && svg.contains("cache size (bytes)"),
        "axis labels missing"
    );
    // The one-pass LRU curve equals LRU replays at the same sizes.
    let replayed = replay_rows(
        &[
            "--trace",
            &og,
            "--policy",
            "lru,fifo",
            "--size",
            "1%,5%,20%",
        ],
        &dir.path().join("replay"),
    );
    let mut reader = csv::Reader::from_path(out.join("mrc.csv")).unwrap();
    let curve: Vec<(String, u64, u64)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[1].parse().unwrap(),
                r[3].parse().unwrap(),
            )
        })
        .collect();
    let replayed: Vec<(String, u64, u64)> = replayed.into_iter().map(|r| (r.0, r.1, r.2)).collect();
    assert_eq!(curve, replayed);
}

/// Waits for `child` at most `seconds`, killing it and failing if it takes longer.
fn wait_bounded(mut child: std::process::Child, seconds: u64, what: &str) -> Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{what} hangs (killed after {seconds} s)");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Rows of a replay.csv without the wall-time column.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().take(6).map(str::to_string).collect())
        .collect()
}

const PIPE_ARGS: [&str; 8] = [
    "--format",
    "oracleGeneral",
    "--policy",
    "lru,fifo,s3fifo",
    "--size",
    "1%,10%",
    "--jobs",
    "2",
];

#[test]
fn a_trace_from_a_pipe_is_read_once_for_every_cell() {
    let dir = tempfile::tempdir().unwrap();
    let og = trace("cloudPhysicsIO.oracleGeneral.bin");
    let file_out = dir.path().join("file");
    let mut args = vec![
        "replay",
        "--trace",
        &og,
        "--out",
        file_out.to_str().unwrap(),
    ];
    args.extend_from_slice(&PIPE_ARGS);
    assert!(cachelab(&args).status.success());
    let expected = csv_rows(&file_out.join("replay.csv"));
    assert_eq!(expected.len(), 6);

    let pipe_out = dir.path().join("pipe");
    let mut args = vec![
        "replay",
        "--trace",
        "/dev/stdin",
        "--out",
        pipe_out.to_str().unwrap(),
    ];
    args.extend_from_slice(&PIPE_ARGS);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = std::fs::read(&og).unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        // The reader may stop early on an error; that is for the test to see.
        let _ = stdin.write_all(&data);
    });
    let output = wait_bounded(child, 120, "replay from a pipe");
    writer.join().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(csv_rows(&pipe_out.join("replay.csv")), expected);
}

/// Replays the shared oracleGeneral trace from a pipe with `--max-spool
/// limit`; returns whether it succeeded, and its error output.
fn replay_piped_with_spool_limit(limit: &str, out: &Path) -> (bool, String) {
    let mut args = vec![
        "replay",
        "--trace",
        "/dev/stdin",
        "--out",
        out.to_str().unwrap(),
        "--max-spool",
        limit,
    ];
    args.extend_from_slice(&PIPE_ARGS);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = std::fs::read(trace("cloudPhysicsIO.oracleGeneral.bin")).unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        // The reader stops early past the limit; that is for the test to see.
        let _ = stdin.write_all(&data);
    });
    let output = wait_bounded(child, 120, "replay from a pipe");
    writer.join().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_spool_limit_of_a_pipe_has_a_flag_that_its_message_names() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stderr) = replay_piped_with_spool_limit("1MiB", &dir.path().join("small"));
    assert!(!ok, "a 2.6 MiB pipe fit a 1 MiB spool");
    assert!(
        stderr
            .contains("/dev/stdin: not a regular file, and longer than the 1 MiB cachelab copies")
            && stderr.contains("raise the limit with --max-spool"),
        "{stderr}"
    );
    let (ok, stderr) = replay_piped_with_spool_limit("3MiB", &dir.path().join("raised"));
    assert!(ok, "{stderr}");
}

#[test]
fn a_trace_from_a_named_fifo_with_a_share_size_does_not_hang() {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = tempfile::tempdir().unwrap();
    let og = trace("cloudPhysicsIO.oracleGeneral.bin");
    let fifo = dir.path().join("t.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let file_out = dir.path().join("file");
    let mut args = vec![
        "replay",
        "--trace",
        &og,
        "--out",
        file_out.to_str().unwrap(),
    ];
    args.extend_from_slice(&PIPE_ARGS);
    assert!(cachelab(&args).status.success());

    let fifo_out = dir.path().join("fifo");
    let mut args = vec![
        "replay",
        "--trace",
        fifo.to_str().unwrap(),
        "--out",
        fifo_out.to_str().unwrap(),
    ];
    args.extend_from_slice(&PIPE_ARGS);
    let child = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (data, path) = (std::fs::read(&og).unwrap(), fifo.clone());
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) {
            let _ = f.write_all(&data);
        }
    });
    let output = wait_bounded(child, 120, "replay from a FIFO");
    // Unblock the writer if the reader never opened the FIFO.
    // (O_NONBLOCK: opening for reading then returns at once.)
    drop(
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(0o4000)
            .open(&fifo),
    );
    writer.join().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        csv_rows(&fifo_out.join("replay.csv")),
        csv_rows(&file_out.join("replay.csv"))
    );
}

#[test]
fn a_closed_stdout_ends_quietly_and_a_full_one_is_an_error() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .arg("policies")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_bounded(child, 30, "policies into a closed pipe");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(stderr.is_empty(), "{stderr}");

    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .arg("policies")
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_bounded(child, 30, "policies into /dev/full");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("error") && stderr.contains("space") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

/// Runs cachelab with a time limit and returns (success, stderr).
fn bounded(args: &[&str], seconds: u64) -> (bool, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_bounded(child, seconds, &args.join(" "));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn nothing_measured_is_no_data_not_a_perfect_cache() {
    let dir = tempfile::tempdir().unwrap();
    let og = trace("cloudPhysicsIO.oracleGeneral.bin");
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    for args in [
        vec![
            "replay", "--trace", &og, "--size", "100", "--warmup", "200000",
        ],
        vec![
            "replay",
            "--trace",
            empty.to_str().unwrap(),
            "--size",
            "100",
        ],
        vec![
            "mrc", "--trace", &og, "--size", "100,1000", "--warmup", "113872",
        ],
        vec![
            "mrc", "--trace", &og, "--policy", "fifo", "--size", "100", "--warmup", "1e6",
        ],
    ] {
        let mut all = args.clone();
        all.extend_from_slice(&["--out", out]);
        let (ok, stderr) = bounded(&all, 60);
        assert!(!ok, "{args:?} reported a miss ratio");
        assert!(
            stderr.contains("nothing measured") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_replay_with_a_warm_up_longer_than_the_stream_is_no_data() {
    use cachelab::replay::{Cell, Replay, Source, StreamOptions};
    use cachelab::workload::{SizeLaw, Workload};
    let workload = Workload::parse(
        "zipf:keys=100,requests=1000",
        SizeLaw::parse("100B").unwrap(),
    )
    .unwrap();
    let source = Source::Workload {
        workload,
        seed: cachelab::seed::Seed(1),
    };
    let options = StreamOptions {
        warmup: 5000,
        ..StreamOptions::default()
    };
    let replay = Replay {
        source: &source,
        options: &options,
        next_access: None,
        seed: cachelab::seed::Seed(1),
    };
    let cell = Cell {
        policy: cachelab::policy::PolicyChoice::parse("lru").unwrap(),
        capacity: 1000,
    };
    let row = replay.run_cell(&cell, 1).unwrap();
    assert_eq!(
        (row.requests, row.miss_ratio, row.byte_miss_ratio),
        (0, None, None)
    );
    // As a file: an empty field in the CSV, null in JSON; never a miss ratio of 0.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("replay.csv");
    cachelab::report::write_csv(&csv, std::slice::from_ref(&row)).unwrap();
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let headers = reader.headers().unwrap().clone();
    let record = reader.records().next().unwrap().unwrap();
    let field = |name: &str| record[headers.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(
        (field("miss_ratio"), field("byte_miss_ratio")),
        (String::new(), String::new())
    );
    assert_eq!(field("requests"), "0");
    let json = serde_json::to_value(&row).unwrap();
    assert!(
        json["miss_ratio"].is_null() && json["byte_miss_ratio"].is_null(),
        "{json}"
    );
    // The command refuses such a stream outright (see above); so does mrc.
    let out = dir.path().join("out");
    let (ok, stderr) = bounded(
        &[
            "replay",
            "--workload",
            "zipf:keys=100,requests=1000",
            "--size",
            "10",
            "--warmup",
            "5000",
            "--out",
            out.to_str().unwrap(),
        ],
        60,
    );
    assert!(!ok && stderr.contains("nothing measured"), "{stderr}");
}

#[test]
fn inputs_that_would_exhaust_memory_or_time_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let (og, txt) = (
        trace("cloudPhysicsIO.oracleGeneral.bin"),
        trace("cloudPhysicsIO.txt"),
    );
    for (args, expected) in [
        // An endless device passes for endless valid records: refused at
        // once, not after copying the spool limit.
        (
            vec![
                "replay",
                "--trace",
                "/dev/zero",
                "--format",
                "oracleGeneral",
                "--size",
                "5",
            ],
            "/dev/zero: refused at byte offset 0: a character device",
        ),
        (
            vec![
                "mrc",
                "--trace",
                "/dev/zero",
                "--format",
                "vscsi",
                "--size",
                "5",
            ],
            "/dev/zero: refused at byte offset 0: a character device",
        ),
        // The requests limit has a flag, which the messages name.
        (
            vec![
                "replay",
                "--workload",
                "zipf:keys=10,requests=1e4",
                "--size",
                "5",
                "--max-requests",
                "1e3",
            ],
            "`requests` = 10000 is above the limit of 1e3 requests a replay reads (minutes of work per cell); give fewer or raise the limit with --max-requests",
        ),
        (
            vec![
                "replay",
                "--trace",
                &og,
                "--size",
                "5",
                "--max-requests",
                "10",
            ],
            "more than 10 requests, the most a replay reads; give a shorter stream or raise the limit with --max-requests",
        ),
        // Belady's pre-pass stops at the limit instead of keeping the next
        // access of every request of a huge trace.
        (
            vec![
                "replay",
                "--trace",
                &txt,
                "--policy",
                "belady",
                "--size",
                "5",
                "--max-requests",
                "1000",
            ],
            "cloudPhysicsIO.txt: more than 1000 requests, the most a replay reads while keeping each one's next access in memory for belady (8 bytes a request); give a shorter stream or raise the limit with --max-requests",
        ),
        (
            vec![
                "replay",
                "--workload",
                "zipf:keys=10,requests=1e13",
                "--size",
                "5",
            ],
            "`requests`",
        ),
        (
            vec![
                "replay",
                "--workload",
                "zipf:keys=10,requests=5e9",
                "--policy",
                "belady",
                "--size",
                "5",
            ],
            "so at most 1073741824 requests (8 GiB); give fewer requests or raise the limit with --max-requests",
        ),
        (
            vec![
                "mrc",
                "--workload",
                "zipf:keys=10,requests=1e3",
                "--points",
                "100000000",
            ],
            "--points",
        ),
        (
            vec![
                "replay",
                "--trace",
                "/dev/zero",
                "--format",
                "txt",
                "--size",
                "5",
            ],
            "line 1",
        ),
        (
            vec![
                "replay",
                "--trace",
                "/dev/zero",
                "--format",
                "csv:key=1",
                "--size",
                "5",
            ],
            "line 1",
        ),
        (
            vec![
                "replay",
                "--workload",
                "hotspot:keys=100,hot=0,requests=1e3",
                "--size",
                "5",
            ],
            "`hot`",
        ),
        (
            vec![
                "replay",
                "--workload",
                "zipf:keys=10,requests=1e3",
                "--size",
                "5",
                "--pipeline",
                "0",
            ],
            "--pipeline 0: must be from 1 to 100000",
        ),
    ] {
        let mut all = args.clone();
        all.extend_from_slice(&["--out", out]);
        let (ok, stderr) = bounded(&all, 60);
        assert!(!ok, "{args:?} succeeded");
        assert!(
            stderr.contains(expected) && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

/// The shared oracleGeneral trace with each record's next-access field
/// replaced by `next(index, field)`.
fn with_next_access(dir: &Path, name: &str, next: impl Fn(usize, i64) -> i64) -> String {
    let mut data = std::fs::read(trace("cloudPhysicsIO.oracleGeneral.bin")).unwrap();
    for (i, record) in data.chunks_exact_mut(24).enumerate() {
        let field = i64::from_le_bytes(record[16..24].try_into().unwrap());
        record[16..24].copy_from_slice(&next(i, field).to_le_bytes());
    }
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn belady_recomputes_next_accesses_that_are_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let run_as = |file: &str, format: &str, out: &str| {
        replay_rows(
            &[
                "--trace",
                file,
                "--format",
                format,
                "--ignore-size",
                "--policy",
                "belady,lru",
                "--size",
                "1%,10%",
            ],
            &dir.path().join(out),
        )
    };
    let run = |file: &str, out: &str| run_as(file, "oracleGeneral", out);
    let reference = run(&trace("cloudPhysicsIO.oracleGeneral.bin"), "good");
    let misses = |rows: &[(String, u64, u64, String, String)], policy: &str| -> Vec<u64> {
        rows.iter().filter(|r| r.0 == policy).map(|r| r.2).collect()
    };
    let (belady, lru) = (misses(&reference, "belady"), misses(&reference, "lru"));
    assert!(belady.iter().zip(&lru).all(|(b, l)| b < l));
    for (name, corrupt) in [
        ("never.og", &(|_, _| -1i64) as &dyn Fn(usize, i64) -> i64),
        ("past.og", &|_, _| 1),
        ("self.og", &|i, _| i as i64 + 1),
        ("shifted.og", &|i, f| {
            if i % 7 == 3 && f > 0 { f - 1 } else { f }
        }),
    ] {
        let file = with_next_access(dir.path(), name, corrupt);
        let rows = run(&file, &format!("{name}-out"));
        assert_eq!(misses(&rows, "belady"), belady, "{name}");
        assert_eq!(misses(&rows, "lru"), lru, "{name}");
    }
    // Asked to, Belady ignores the fields (here all "never") and recomputes.
    let never = dir.path().join("never.og");
    let rows = run_as(
        never.to_str().unwrap(),
        "oracleGeneral:next-access=recompute",
        "asked",
    );
    assert_eq!(misses(&rows, "belady"), belady);
}

#[test]
fn skipped_zero_size_records_do_not_shift_next_accesses() {
    // Every 5th record of a copy is preceded by a zero-size record, and the
    // next-access fields count records of the file, zero-size ones included.
    let dir = tempfile::tempdir().unwrap();
    let data = std::fs::read(trace("cloudPhysicsIO.oracleGeneral.bin")).unwrap();
    let records: Vec<&[u8]> = data.chunks_exact(24).collect();
    let inserted_before = |i: usize| i / 5 + 1; // zero-size records before record i's copy
    let mut padded = Vec::new();
    for (i, record) in records.iter().enumerate() {
        if i % 5 == 0 {
            let mut zero = record.to_vec();
            zero[12..16].copy_from_slice(&0u32.to_le_bytes());
            zero[16..24].copy_from_slice(&(-1i64).to_le_bytes());
            padded.extend_from_slice(&zero);
        }
        let mut copy = record.to_vec();
        let field = i64::from_le_bytes(record[16..24].try_into().unwrap());
        if field > 0 {
            let next = field as usize - 1;
            copy[16..24]
                .copy_from_slice(&((next + inserted_before(next) + 1) as i64).to_le_bytes());
        }
        padded.extend_from_slice(&copy);
    }
    let path = dir.path().join("padded.og");
    std::fs::write(&path, padded).unwrap();
    let args = |file: &str| -> Vec<String> {
        [
            "--trace",
            file,
            "--format",
            "oracleGeneral",
            "--ignore-size",
            "--policy",
            "belady",
            "--size",
            "1%,10%",
        ]
        .map(str::to_string)
        .to_vec()
    };
    let og = trace("cloudPhysicsIO.oracleGeneral.bin");
    let a = args(&og);
    let b = args(path.to_str().unwrap());
    let reference = replay_rows(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &dir.path().join("a"),
    );
    let padded = replay_rows(
        &b.iter().map(String::as_str).collect::<Vec<_>>(),
        &dir.path().join("b"),
    );
    assert_eq!(padded, reference);
}

#[test]
fn a_trace_without_times_is_timed_by_the_clients_in_a_cluster() {
    let txt = trace("cloudPhysicsIO.txt");
    let toml = format!(
        r#"
        duration = "20s"
        [workload]
        popularity = "trace"
        trace = "{txt}"
        [clients]
        rate = 1000
        [nodes]
        count = 1
        capacity = "1000"
        "#
    );
    let out = common::run_scenario(&toml, &[]);
    let busy = out.series.iter().filter(|r| r.requests > 0).count();
    assert!(
        busy >= 15,
        "requests in {busy} intervals: all sent at t = 0"
    );
    assert!(
        (out.summary.requests as i64 - 20_000).abs() < 1_000,
        "{}",
        out.summary.requests
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("txt.toml");
    std::fs::write(&file, &toml).unwrap();
    let output = cachelab(&["validate", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("timed by the clients"), "{stdout}");
}

#[test]
fn a_hotspot_without_hot_keys_is_refused_in_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hot0.toml");
    std::fs::write(&file, "[workload]\npopularity = \"hotspot\"\nhot = 0\n").unwrap();
    let output = cachelab(&["validate", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "hot = 0 passed validate");
    assert!(stderr.contains("workload.hot"), "{stderr}");
}

/// Issue 8: the same replay or mrc command writes the same bytes (the
/// wall-clock speed lives in run.json's `wall_clock`, apart).
#[test]
fn replay_and_mrc_results_are_byte_identical_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["replay", "mrc"] {
        let mut written = Vec::new();
        for attempt in ["a", "b"] {
            let out = dir.path().join(format!("{command}-{attempt}"));
            let output = cachelab(&[
                command,
                "--workload",
                "zipf:alpha=0.9,keys=5000,requests=50000",
                "--policy",
                "lru,s3fifo",
                "--size",
                "10%",
                "--out",
                out.to_str().unwrap(),
            ]);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            written.push(std::fs::read(out.join(format!("{command}.csv"))).unwrap());
            let run: serde_json::Value =
                serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
            assert!(
                run["wall_clock"]["cells"][0]["throughput_rps"]
                    .as_f64()
                    .unwrap()
                    > 0.0
            );
        }
        assert_eq!(written[0], written[1], "{command}.csv differs between runs");
    }
}

#[test]
fn policy_lists_keep_multi_parameter_specs_whole() {
    let dir = tempfile::tempdir().unwrap();
    let og = trace("cloudPhysicsIO.oracleGeneral.bin");
    let run = |policies: &[&str], out: &str| {
        let mut args = vec!["--trace", og.as_str(), "--size", "10%"];
        for policy in policies {
            args.extend_from_slice(&["--policy", policy]);
        }
        replay_rows(&args, &dir.path().join(out))
    };
    // Two parameters of one policy, and of one filter, on the command line.
    let listed = run(
        &["lru,s3fifo:small=0.2,ghost=0.5,lru+adaptsize:interval=1000,iterations=5"],
        "listed",
    );
    let names: Vec<&str> = listed.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "lru",
            "s3fifo:small=0.2,ghost=0.5",
            "lru+adaptsize:interval=1000,iterations=5"
        ]
    );
    // The same policies as repeated flags give the same rows.
    let repeated = run(
        &[
            "lru",
            "s3fifo:small=0.2,ghost=0.5",
            "lru+adaptsize:interval=1000,iterations=5",
        ],
        "repeated",
    );
    assert_eq!(listed, repeated);
}
