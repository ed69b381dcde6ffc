//! Scenario files: every bundled scenario runs end to end; bad files get
//! errors that name the field and say what is allowed; overrides and sweeps.

use std::path::{Path, PathBuf};

use crate::common::{cachelab, files_below};

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
        let summaries: Vec<PathBuf> = files_below(&out)
            .into_iter()
            .filter(|p| p.ends_with("summary.json"))
            .collect();
        assert!(!summaries.is_empty(), "{file:?} wrote no summary");
        for path in files_below(&out) {
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
            // Every result byte is the same (a sweep cell's rerun is a
            // single run: only its label differs).
            for name in ["timeseries.csv", "nodes.csv", "latency.csv"] {
                assert!(
                    std::fs::read(run_dir.join(name)).unwrap()
                        == std::fs::read(again.join(name)).unwrap(),
                    "{run_dir:?}: {name} differs when rerun from scenario.toml"
                );
            }
            let mut a: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
            let mut b: serde_json::Value =
                serde_json::from_slice(&std::fs::read(again.join("summary.json")).unwrap())
                    .unwrap();
            a["run"] = serde_json::Value::Null;
            b["run"] = serde_json::Value::Null;
            assert_eq!(a, b, "{summary:?} differs when rerun from scenario.toml");
            let _ = std::fs::remove_dir_all(&again);
        }
    }
    check_result_hashes(&hashes);
}

/// The result files whose bytes must not change unless on purpose.
const RESULT_FILES: [&str; 12] = [
    "summary.json",
    "tiers.csv",
    "tiers-timeseries.csv",
    "tier-nodes.csv",
    "classes.csv",
    "classes-timeseries.csv",
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

/// A scenario that gives every optional field and section once.
const FULL: &str = r#"
        name = "x"
        [workload]
        preset = "ycsb-a"
        insert = 0.1
        rmw = 0.1
        scan = 0.1
        scan_length = "fixed"
        max_scan_length = 50
        scan_order = "ranked"
        churn = true
        drift = { period = "1s", shift = 1, replace = 0.1 }
        trace = "t.oracleGeneral.bin"
        trace_format = "oracleGeneral"
        trace_ttl = true
        [[workload.flash_crowds]]
        at = "1s"
        length = "2s"
        keys = 10
        share = 0.5
        [[workload.classes]]
        name = "c"
        share = 1.0
        rate = 10.0
        keys_of = "d"
        popularity = "hotspot"
        alpha = 1.0
        keys = 10
        hot = 0.1
        hot_share = 0.9
        object_size = "1KiB"
        get = 0.9
        set = 0.1
        delete = 0.0
        ttl = "1s"
        [cache]
        ttl = "1s"
        [database]
        queue_limit = 10
        timeout = "50ms"
        contention = { sigma = 0.1, kappa = 0.01 }
        [retry]
        [app]
        cache_pool = 4
        db_pool = 4
        [[tiers]]
        placement = "local"
        policy = "lru"
        capacity = "1MiB"
        ttl = "1s"
        fill = true
        latency = "1us"
        invalidation = "broadcast"
        delay = "1ms"
        loss = 0.1
        [[tiers]]
        placement = "shared"
        name = "edge"
        nodes = 4
        routing = "region"
        regional = 0.5
        capacity = "1MiB"
        invalidation = "none"
        [[clients.spikes]]
        at = "1s"
        length = "2s"
        multiplier = 2.0
        ramp = "500ms"
        [[failures]]
        at = "1s"
        action = "slow"
        node = 0
        factor = 2.0
        [[failures]]
        at = "2s"
        action = "crash"
        node = 0
        tier = "edge"
        [random_failures]
        mtbf = "1h"
        mttr = "1min"
        [sweep]
        "nodes.count" = [1]
    "#;

#[test]
fn the_failure_kinds_are_the_schemas_and_documented() {
    // The schema lists the actions from the enum's serde names, so it is
    // complete by construction: `FailureAction::ALL` (which the validator,
    // the fuzzer and the failure test iterate) must equal it, in order.
    use cachelab::scenario::config::FailureAction;
    let schema = cachelab::scenario::json_schema();
    let listed: Vec<&str> = schema["definitions"]["FailureAction"]["enum"]
        .as_array()
        .expect("the schema lists the actions")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let all: Vec<&str> = FailureAction::ALL.iter().map(|a| a.name()).collect();
    assert_eq!(all, listed);
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario.md"))
            .unwrap();
    let row = docs
        .lines()
        .find(|l| l.starts_with("| `failures.action`"))
        .expect("docs/scenario.md documents failures.action");
    for name in all {
        assert!(
            row.contains(&format!("`{name}`")),
            "docs/scenario.md: failures.action lacks `{name}`"
        );
    }
}

#[test]
fn the_reference_documents_every_field() {
    // Every field that appears in a resolved scenario (all defaults filled
    // in, every optional section given) is in the reference table, from
    // which docs/scenario.md is generated.
    use cachelab::scenario::reference::SECTIONS;
    let docs: String = SECTIONS
        .iter()
        .flat_map(|s| s.fields.iter().map(move |f| format!("`{}`\n", s.path(f))))
        .collect();
    let file: cachelab::scenario::ScenarioFile = toml::from_str(FULL).unwrap();
    let value = toml::Value::try_from(&file).unwrap();
    let mut missing = Vec::new();
    collect_paths(&value, "", &mut missing, &docs);
    assert!(
        missing.is_empty(),
        "the reference (scenario::reference) does not document: {missing:?}"
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

/// Issue 13: inputs that passed `validate` and then panicked, wrapped time,
/// exhausted memory or never ended are refused up front, naming the field
/// and its limit (P1, P2, W4, W8, the memory and work bounds, S3).
#[test]
fn validation_refuses_what_would_panic_hang_or_exhaust_memory() {
    let base = "duration = \"10s\"\n";
    let cases: &[(&str, &[&str])] = &[
        // P1: no nodes exist without a cache.
        (
            "[cache]\npattern = \"none\"\n[[failures]]\nat = \"1s\"\naction = \"crash\"\nnode = 0\n",
            &["failures", "no cache nodes"],
        ),
        (
            "[cache]\npattern = \"none\"\n[random_failures]\nmtbf = \"5s\"\nmttr = \"1s\"\n",
            &["random_failures", "no cache nodes"],
        ),
        // P2: the gutter pool is routed with the same maglev table.
        (
            "[routing]\nscheme = \"maglev\"\nmaglev_table = 5\n[cache]\non_failure = \"gutter\"\ngutter_nodes = 7\n",
            &["routing.maglev_table", "gutter"],
        ),
        // W4: durations and factors that wrapped simulated time.
        (
            "[clients]\ntimeout = \"5000000000h\"\n",
            &["timeout", "87600h"],
        ),
        (
            "[nodes]\nservice_time = \"lognormal:mean=1ms,sd=9000000h\"\n",
            &["service_time", "87600h"],
        ),
        (
            "[[failures]]\nat = \"1s\"\naction = \"slow\"\nnode = 0\nfactor = 1e300\n",
            &["factor", "at most"],
        ),
        // W8: capacities a TOML integer cannot hold.
        ("[nodes]\ncapacity = \"16EiB\"\n", &["capacity", "2^63"]),
        // Fields that size memory or work.
        (
            "[clients]\nmode = \"closed\"\nusers = 4000000000\n",
            &["clients.users", "1000000"],
        ),
        (
            "[cache]\non_failure = \"gutter\"\ngutter_nodes = 1000000000\n",
            &["cache.gutter_nodes", "4096"],
        ),
        (
            "[routing]\nvnodes = 4000000000\n",
            &["routing.vnodes", "10000"],
        ),
        (
            "[replication]\nhot_keys = 100000000000\n",
            &["replication.hot_keys", "10000000"],
        ),
        (
            "[nodes]\nconcurrency = 4000000000\n",
            &["nodes.concurrency", "65536"],
        ),
        ("[clients]\nrate = 1e12\n", &["clients.rate", "at most"]),
        (
            "[random_failures]\nmtbf = \"1ns\"\nmttr = \"1ns\"\n",
            &["random_failures", "lengthen mtbf"],
        ),
        (
            "interval = \"1ns\"\n",
            &["interval", "intervals", "at most 1000000"],
        ),
        // S3: the name is a directory under results/.
        ("name = \"../../x\"\n", &["name", "plain directory name"]),
    ];
    for (extra, expected) in cases {
        let text = format!("{base}{extra}");
        let (ok, stderr) = validate_text(&text, &[]);
        assert!(!ok, "accepted:\n{text}");
        for e in *expected {
            assert!(stderr.contains(e), "{text}\n→ {stderr}\nlacks {e:?}");
        }
    }
    // The work estimate refuses a run that would take days, and a flag
    // raises the limit.
    let long = "duration = \"80000h\"\ninterval = \"1h\"\n[workload]\nkeys = 100\n";
    let (ok, stderr) = validate_text(long, &[]);
    assert!(!ok && stderr.contains("--max-requests"), "{stderr}");
    let (ok, stderr) = validate_text(
        "duration = \"2000s\"\n[workload]\nkeys = 100\n",
        &["--max-requests", "1e6"],
    );
    assert!(!ok && stderr.contains("2.000e7 requests"), "{stderr}");
    // A sweep of a million cells is refused before it is expanded.
    let (ok, stderr) = validate_text(
        &format!(
            "{base}[sweep]\n\"nodes.count\" = [{v}]\n\"workload.keys\" = [{v}]\n\"seed\" = [{w}]\n",
            v = (1..=100)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(","),
            w = (1..=100)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
        &[],
    );
    assert!(!ok && stderr.contains("more than 100000 runs"), "{stderr}");
}

/// Issue 13, L-items: an empty file is a valid scenario, seeds take the
/// whole u64 range, misspelt names get a suggestion, `--set` errors name the
/// override (not a line of an internal file), non-UTF-8 files get an offset.
#[test]
fn small_input_rough_edges_are_smooth() {
    let (ok, stderr) = validate_text("", &[]);
    assert!(
        ok,
        "an empty file is a scenario with every default: {stderr}"
    );
    let (ok, stderr) = validate_text("seed = \"18446744073709551615\"\n", &[]);
    assert!(ok, "{stderr}");
    let (ok, stderr) = validate_text("", &["--seed", "18446744073709551615"]);
    assert!(ok, "{stderr}");
    let (ok, stderr) = validate_text("seed = -1\n", &[]);
    assert!(!ok && stderr.contains("18446744073709551615"), "{stderr}");
    let (ok, stderr) = validate_text("[nodes]\ncapacty = \"1MiB\"\n", &[]);
    assert!(
        !ok && stderr.contains("did you mean `capacity`?"),
        "{stderr}"
    );
    let (ok, stderr) = validate_text("[nodes]\npolicy = \"lru2\"\n", &[]);
    assert!(!ok && stderr.contains("did you mean `lru`?"), "{stderr}");
    let (ok, stderr) = validate_text("", &["--set", "nodes.count=abc"]);
    assert!(
        !ok && stderr.contains("--set nodes.count=abc") && !stderr.contains("line"),
        "{stderr}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.toml");
    std::fs::write(&path, b"# caf\xe9\n[workload]\n").unwrap();
    let output = cachelab(&["validate", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("offset 5") && stderr.contains("line 1"),
        "{stderr}"
    );
}

/// Issue 13, W3 and W5: the resolved scenario writes durations exactly (it
/// rounded `1.0004s` to `1s`, so a changed run looked finished and the file
/// did not reproduce it), and latencies above an hour are measured, not
/// clamped to 3 601 s.
#[test]
fn resolved_files_are_exact_and_long_latencies_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.toml");
    std::fs::write(
        &path,
        "duration = \"5h\"\nwarmup = \"1.0004s\"\ninterval = \"3601s\"\n[workload]\nkeys = 10\n[clients]\nrate = 0.01\n[cache]\npattern = \"none\"\n[database]\nconnections = 1\nservice_time = \"lognormal:mean=7200s,sd=1065888ns\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = cachelab(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let resolved = std::fs::read_to_string(out.join("scenario.toml")).unwrap();
    for exact in ["\"1000.4ms\"", "\"3601s\"", "sd=1065.888us"] {
        assert!(resolved.contains(exact), "{resolved}\nlacks {exact}");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let max = summary["latency_all"]["max_ns"].as_u64().unwrap();
    assert!(max > 7_000 * 1_000_000_000, "max latency {max} ns");
}

/// `cachelab schema`'s schema, compiled by a real validator (boon, which
/// also checks it against the draft 7 meta-schema).
struct SchemaValidator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

fn schema_validator() -> SchemaValidator {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.set_default_draft(boon::Draft::V7);
    let url = "file:///cachelab.schema.json";
    compiler
        .add_resource(url, cachelab::scenario::json_schema())
        .unwrap();
    let index = match compiler.compile(url, &mut schemas) {
        Ok(index) => index,
        Err(e) => panic!("the schema does not compile: {e:#}"),
    };
    SchemaValidator { schemas, index }
}

/// The schema's complaints about a scenario text, empty when it is valid.
fn schema_errors(validator: &SchemaValidator, text: &str) -> String {
    let value: serde_json::Value = toml::from_str(text).expect("TOML");
    match validator.schemas.validate(&value, validator.index) {
        Ok(()) => String::new(),
        Err(e) => format!("{e}"),
    }
}

#[test]
fn schema_accepts_every_bundled_and_resolved_scenario() {
    let validator = schema_validator();
    for file in bundled() {
        let text = std::fs::read_to_string(&file).unwrap();
        let errors = schema_errors(&validator, &text);
        assert!(errors.is_empty(), "{file:?}: {errors}");
        // What a run writes back (every default filled in) is valid too.
        let plan = cachelab::scenario::load(&file, &[], None).unwrap();
        let resolved = plan.runs[0].resolved_toml();
        let errors = schema_errors(&validator, &resolved);
        assert!(errors.is_empty(), "{file:?} resolved: {errors}\n{resolved}");
    }
    let file: cachelab::scenario::ScenarioFile = toml::from_str(FULL).unwrap();
    let errors = schema_errors(&validator, &toml::to_string(&file).unwrap());
    assert!(errors.is_empty(), "{errors}");
    // The command prints the same schema, or writes it with --out.
    let output = cachelab(&["schema"]);
    assert!(output.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, cachelab::scenario::json_schema());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cachelab.schema.json");
    assert!(
        cachelab(&["schema", "--out", out.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(std::fs::read(&out).unwrap(), output.stdout);
}

#[test]
fn schema_lists_exactly_the_fields_the_reader_accepts() {
    // Every key of a resolved scenario (every default filled in, every
    // optional section given) is a property of the schema, and the schema
    // has no property that the reader would not take.
    let schema = cachelab::scenario::json_schema();
    let mut in_schema = std::collections::BTreeSet::new();
    schema_paths(&schema, &schema, "", &mut in_schema);
    let file: cachelab::scenario::ScenarioFile = toml::from_str(FULL).unwrap();
    let mut in_file = std::collections::BTreeSet::new();
    value_paths(&toml::Value::try_from(&file).unwrap(), "", &mut in_file);
    assert_eq!(in_schema, in_file);
    assert!(in_schema.contains("failures.factor") && in_schema.contains("sweep"));
}

/// The property paths of `node` (following `$ref`s into the definitions),
/// array items under their array's path; `sweep`'s keys are free.
fn schema_paths(
    root: &serde_json::Value,
    node: &serde_json::Value,
    prefix: &str,
    out: &mut std::collections::BTreeSet<String>,
) {
    let resolve = |node: &serde_json::Value| -> serde_json::Value {
        let reference = node
            .get("$ref")
            .or_else(|| node.get("allOf").and_then(|all| all.get(0)?.get("$ref")));
        match reference.and_then(|r| r.as_str()) {
            Some(r) => root.pointer(r.trim_start_matches('#')).unwrap().clone(),
            None => node.clone(),
        }
    };
    let node = resolve(node);
    if let Some(items) = node.get("items") {
        schema_paths(root, items, prefix, out);
    }
    let Some(properties) = node.get("properties").and_then(|p| p.as_object()) else {
        return;
    };
    for (key, property) in properties {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if key != "sweep" {
            schema_paths(root, property, &path, out);
        }
        out.insert(path);
    }
}

/// The key paths of a TOML value, array-of-tables entries under their
/// array's path; `sweep`'s keys are free.
fn value_paths(value: &toml::Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    match value {
        toml::Value::Table(table) => {
            for (key, v) in table {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                if key != "sweep" {
                    value_paths(v, &path, out);
                }
                out.insert(path);
            }
        }
        toml::Value::Array(items) => {
            for item in items {
                value_paths(item, prefix, out);
            }
        }
        _ => {}
    }
}

/// The schema and the reader agree on each case: both accept it, or both
/// refuse it.
#[test]
fn schema_refuses_what_the_reader_refuses() {
    let validator = schema_validator();
    let cases: &[(&str, bool)] = &[
        // Unknown fields, at the top, in a section, in a failure.
        ("colour = \"red\"\n", false),
        ("[nodes]\ncapasity = \"1MiB\"\n", false),
        (
            "[[failures]]\nat = \"1s\"\naction = \"crash\"\nnode = 0\nwhy = \"x\"\n",
            false,
        ),
        ("[[failures]]\naction = \"crash\"\n", false),
        // Enum values, kebab-case and lowercase as serde spells them.
        ("[cache]\npattern = \"read-through\"\n", true),
        ("[cache]\npattern = \"read_through\"\n", false),
        ("[consistency]\nwrite_policy = \"write-behind\"\n", true),
        ("[consistency]\nwrite_policy = \"Invalidate\"\n", false),
        ("[clients]\nmode = \"closed\"\n", true),
        ("[clients]\nmode = \"half-open\"\n", false),
        (
            "[[failures]]\nat = \"1s\"\naction = \"explode\"\nnode = 0\n",
            false,
        ),
        // Durations need a unit.
        (
            "duration = \"0.1h\"\nwarmup = \"1.5min\"\ninterval = \"500µs\"\n",
            true,
        ),
        ("duration = 60\n", false),
        ("duration = \"60\"\n", false),
        ("duration = \"60 parsecs\"\n", false),
        ("[cache]\nttl = \"1e3ms\"\n", true),
        // Sizes: a unit or a whole number of bytes.
        ("[nodes]\ncapacity = \"1.5 GiB\"\n", true),
        ("[nodes]\ncapacity = \"64mb\"\n", true),
        ("[nodes]\ncapacity = 1048576\n", true),
        ("[nodes]\ncapacity = -1\n", false),
        ("[nodes]\ncapacity = \"64 MiBs\"\n", false),
        // Distributions.
        ("[nodes]\nservice_time = \"exp:mean=20us\"\n", true),
        (
            "[database]\nservice_time = \"lognormal:sd=1ms, mean=2ms\"\n",
            true,
        ),
        ("[database]\nlatency = \"uniform:min=1ms,max=3ms\"\n", true),
        ("[database]\nlatency = \"fixed:value=3ms\"\n", true),
        ("[database]\nlatency = \"gamma:k=2\"\n", false),
        ("[database]\nlatency = \"lognormal:mean=5ms\"\n", false),
        ("[database]\nlatency = \"exp:mean=5\"\n", false),
        // Seeds: an integer, or a string of digits past i64.
        ("seed = 7\n", true),
        ("seed = \"18446744073709551615\"\n", true),
        ("seed = -1\n", false),
        ("seed = \"lucky\"\n", false),
        // Registry names.
        ("[nodes]\npolicy = \"s3fifo:small=0.2\"\n", true),
        ("[nodes]\npolicy = \"lfru\"\n", false),
        ("[routing]\nscheme = \"maglev\"\n", true),
        ("[routing]\nscheme = \"chord\"\n", false),
        // Object sizes.
        (
            "[workload]\nobject_size = \"pareto:scale=1KiB,shape=1.5\"\n",
            true,
        ),
        ("[workload]\nobject_size = \"zipf:alpha=1\"\n", false),
        // Sweeps: field paths to non-empty arrays.
        ("[sweep]\n\"nodes.count\" = [1, 2]\n", true),
        ("[sweep]\n\"nodes.count\" = 4\n", false),
        ("[sweep]\n\"nodes.count\" = []\n", false),
        ("[sweep]\n\"sweep.x\" = [1]\n", false),
        // Rate schedules: points, named curves, spikes.
        ("[clients]\nrate = [[0, 100], [\"1h\", 200]]\n", true),
        ("[clients]\nrate = [[0]]\n", false),
        ("[clients]\nrate = [[\"soon\", 100]]\n", false),
        (
            "[clients]\nrate = { diurnal = { mean = 10, amplitude = 0.5, period = \"1h\" } }\n",
            true,
        ),
        (
            "[clients]\nrate = { mmpp = { low = 1, high = 9, mean_burst = \"1s\", mean_gap = \"5s\" } }\n",
            true,
        ),
        ("[clients]\nrate = { sine = { mean = 10 } }\n", false),
        (
            "[clients]\nrate = { diurnal = { mean = 10, amplitude = 0.5, period = \"1h\", tilt = 1 } }\n",
            false,
        ),
        (
            "[[clients.spikes]]\nat = \"1s\"\nlength = \"2s\"\nmultiplier = 3\n",
            true,
        ),
        ("[[clients.spikes]]\nat = \"1s\"\nmultiplier = 3\n", false),
        // Types.
        ("[nodes]\ncount = \"four\"\n", false),
        ("[consistency]\nleases = \"yes\"\n", false),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut disagreements = Vec::new();
    for (i, &(text, valid)) in cases.iter().enumerate() {
        let errors = schema_errors(&validator, text);
        let path = dir.path().join(format!("case{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let read = cachelab::scenario::load(&path, &[], None);
        if errors.is_empty() != valid || read.is_ok() != valid {
            disagreements.push(format!(
                "{text:?}: expected {}; schema: {errors}; reader: {:?}",
                if valid { "valid" } else { "refused" },
                read.err().map(|e| e.message)
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
