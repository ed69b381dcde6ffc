//! Scenario files: every bundled scenario runs end to end; bad files get
//! errors that name the field and say what is allowed; overrides and sweeps.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cachelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(args)
        .output()
        .expect("cachelab runs")
}

fn bundled() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bundled_scenario_runs_end_to_end() {
    let files = bundled();
    assert!(files.len() >= 5, "{files:?}");
    let dir = tempfile::tempdir().unwrap();
    let mut hashes = std::collections::BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("# "),
            "{file:?} must open with a comment saying which question it answers"
        );
        let out = dir.path().join(file.file_stem().unwrap());
        let output = cachelab(&[
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            output.status.success(),
            "{file:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summaries: Vec<PathBuf> = walk(&out)
            .into_iter()
            .filter(|p| p.ends_with("summary.json"))
            .collect();
        assert!(!summaries.is_empty(), "{file:?} wrote no summary");
        for path in walk(&out) {
            let name = path.file_name().unwrap().to_str().unwrap();
            if RESULT_FILES.contains(&name) {
                let relative = path.strip_prefix(dir.path()).unwrap();
                let bytes = std::fs::read(&path).unwrap();
                hashes.insert(
                    relative.to_string_lossy().replace('\\', "/"),
                    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes)),
                );
            }
        }
        for (i, summary) in summaries.into_iter().enumerate() {
            let json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
            assert!(json["requests"].as_u64().unwrap() > 0, "{summary:?}");
            let run_dir = summary.parent().unwrap();
            for name in [
                "summary.csv",
                "timeseries.csv",
                "nodes.csv",
                "latency.csv",
                "scenario.toml",
            ] {
                assert!(run_dir.join(name).exists(), "{run_dir:?} lacks {name}");
            }
            if i > 0 {
                continue; // rerunning one run of a sweep is enough
            }
            // The resolved scenario runs again to the same summary.
            let again = dir.path().join("again");
            let output = cachelab(&[
                "run",
                run_dir.join("scenario.toml").to_str().unwrap(),
                "--out",
                again.to_str().unwrap(),
            ]);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let a: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
            let b: serde_json::Value =
                serde_json::from_slice(&std::fs::read(again.join("summary.json")).unwrap())
                    .unwrap();
            for key in ["requests", "hits", "db_queries", "latency_all"] {
                assert_eq!(
                    a[key], b[key],
                    "{summary:?}: {key} differs when rerun from scenario.toml"
                );
            }
        }
    }
    check_result_hashes(&hashes);
}

/// The result files whose bytes must not change unless on purpose.
const RESULT_FILES: [&str; 7] = [
    "summary.json",
    "summary.csv",
    "timeseries.csv",
    "nodes.csv",
    "latency.csv",
    "sweep.csv",
    "sweep-summary.csv",
];

/// Compares the hashes of every bundled scenario's result files with
/// `tests/golden/results.csv`; `CACHELAB_BLESS=1` rewrites the table (say
/// why in the commit).
fn check_result_hashes(hashes: &std::collections::BTreeMap<String, String>) {
    let table = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/results.csv");
    let mut text = String::from("file,xxh3\n");
    for (file, hash) in hashes {
        text.push_str(&format!("{file},{hash}\n"));
    }
    if std::env::var_os("CACHELAB_BLESS").is_some() {
        std::fs::write(&table, &text).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(&table).unwrap_or_default();
    let old: std::collections::BTreeMap<&str, &str> = golden
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit_once(','))
        .collect();
    let mut problems = Vec::new();
    for (file, hash) in hashes {
        match old.get(file.as_str()) {
            Some(h) if h == hash => {}
            Some(_) => problems.push(format!("{file}: bytes changed")),
            None => problems.push(format!("{file}: not in the table")),
        }
    }
    for file in old.keys() {
        if !hashes.contains_key(*file) {
            problems.push(format!("{file}: no longer written"));
        }
    }
    assert!(
        problems.is_empty(),
        "bundled scenario results differ from tests/golden/results.csv (re-bless with CACHELAB_BLESS=1 if intended):\n{}",
        problems.join("\n")
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn validate_text(text: &str, extra: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let mut args = vec!["validate", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = cachelab(&args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (output.status.success(), stderr)
}

#[test]
fn bad_scenarios_name_the_field_and_what_is_allowed() {
    let cases: &[(&str, &[&str])] = &[
        (
            "[workload]\nkeys = 10\n[nodes]\ncapasity = \"1MiB\"\n",
            &["capasity", "line 4", "capacity"],
        ),
        (
            "[workload]\nkeys = 10\n[nodes]\ncapacity = \"12 parsecs\"\n",
            &["capacity", "not a size", "MiB"],
        ),
        (
            "duration = \"60\"\n[workload]\nkeys = 10\n",
            &["duration", "not a duration", "ms"],
        ),
        (
            "duration = 60\n[workload]\nkeys = 10\n",
            &["duration", "no unit"],
        ),
        (
            "[workload]\nkeys = 10\n[nodes]\npolicy = \"lruu\"\n",
            &["nodes.policy", "unknown policy", "s3fifo"],
        ),
        (
            "[workload]\nkeys = 10\nget = 0.5\nset = 0.2\n",
            &["sum to 1"],
        ),
        (
            "[workload]\nkeys = 10\n[routing]\nscheme = \"chord\"\n",
            &["routing.scheme", "ring"],
        ),
        (
            "[workload]\nkeys = 10\n[cache]\npattern = \"write-back\"\n",
            &["pattern", "cache-aside"],
        ),
        (
            "[workload]\nkeys = 10\n[[failures]]\nat = \"5s\"\naction = \"crash\"\nnode = 9\n",
            &["failures[0]", "node 9 does not exist"],
        ),
        (
            "duration = \"10s\"\n[workload]\nkeys = 10\n[[failures]]\nat = \"50s\"\naction = \"crash\"\nnode = 0\n",
            &["after the end"],
        ),
        (
            "[workload]\nkeys = 10\n[clients]\nrate = -5\n",
            &["clients.rate", "above zero"],
        ),
        (
            "[workload]\npopularity = \"trace\"\n",
            &["workload.trace", "needs a trace file"],
        ),
        (
            "[workload]\nkeys = 10\n[database]\nservice_time = \"gamma:k=2\"\n",
            &["service_time", "lognormal"],
        ),
        (
            "[workload]\nkeys = 10\n[sweep]\n\"nodes.count\" = 3\n",
            &["line 4", "nodes.count", "expected a sequence"],
        ),
        (
            "[workload]\nkeys = 10\n[sweep]\n\"nodes.count\" = [1, 0]\n",
            &["nodes.count", "at least 1"],
        ),
    ];
    for (text, expected) in cases {
        let (ok, stderr) = validate_text(text, &[]);
        assert!(!ok, "accepted:\n{text}");
        for needle in *expected {
            assert!(
                stderr.contains(needle),
                "for\n{text}\nexpected `{needle}` in: {stderr}"
            );
        }
    }
}

#[test]
fn overrides_change_fields_and_are_checked() {
    let smoke = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/smoke.toml");
    let smoke = smoke.to_str().unwrap();
    let output = cachelab(&[
        "validate",
        smoke,
        "--set",
        "nodes.count=8",
        "--set",
        "nodes.policy=s3fifo",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("8 nodes") && stdout.contains("s3fifo"),
        "{stdout}"
    );
    let output = cachelab(&["validate", smoke, "--set", "nodes.colour=red"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("colour"));
    let output = cachelab(&["validate", smoke, "--set", "nodes.count"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("path=value"));
}

#[test]
fn reference_page_documents_every_field() {
    // Every field that appears in a resolved scenario (all defaults filled
    // in, every optional section given) is named in docs/scenario.md.
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario.md"))
            .unwrap();
    let full = r#"
        name = "x"
        [workload]
        trace = "t.oracleGeneral.bin"
        trace_format = "oracleGeneral"
        [cache]
        ttl = "1s"
        [database]
        queue_limit = 10
        [[failures]]
        at = "1s"
        action = "slow"
        node = 0
        factor = 2.0
        [random_failures]
        mtbf = "1h"
        mttr = "1min"
        [sweep]
        "nodes.count" = [1]
    "#;
    let file: cachelab::scenario::ScenarioFile = toml::from_str(full).unwrap();
    let value = toml::Value::try_from(&file).unwrap();
    let mut missing = Vec::new();
    collect_paths(&value, "", &mut missing, &docs);
    assert!(
        missing.is_empty(),
        "docs/scenario.md does not document: {missing:?}"
    );
}

fn collect_paths(value: &toml::Value, prefix: &str, missing: &mut Vec<String>, docs: &str) {
    match value {
        toml::Value::Table(table) => {
            for (key, v) in table {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                if prefix == "sweep" {
                    continue;
                }
                let is_section = v.is_table()
                    || v.as_array()
                        .is_some_and(|a| a.iter().all(toml::Value::is_table) && !a.is_empty());
                if !is_section && !docs.contains(&format!("`{path}`")) {
                    missing.push(path.clone());
                }
                collect_paths(v, &path, missing, docs);
            }
        }
        toml::Value::Array(items) => {
            for item in items {
                collect_paths(item, prefix, missing, docs);
            }
        }
        _ => {}
    }
}
