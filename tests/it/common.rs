//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use cachelab::cluster::{Audit, RunOutput, simulate_audited};
use cachelab::metrics::IntervalRow;
use cachelab::policy::PolicyChoice;
use cachelab::request::{Request, RequestStream};
use cachelab::scenario::{self, Override};
use cachelab::seed::Seed;
use cachelab::workload::{SizeLaw, Workload};

/// Runs the cachelab binary with `args` in the repository's directory and
/// returns what it did, success or not.
pub fn cachelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cachelab runs")
}

/// Every file below `dir` (not the directories), sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_below(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The shared sample traces: `$CACHELAB_TRACES`, else `../shared/traces`
/// next to the repository, else `/work/shared/traces`.
pub fn traces_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("CACHELAB_TRACES").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/traces")),
        Some(PathBuf::from("/work/shared/traces")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|dir| dir.join("cloudPhysicsIO.oracleGeneral.bin").exists())
        .expect("the shared traces are not in ../shared/traces nor /work/shared/traces (set CACHELAB_TRACES)")
}

/// The requests of a workload specification, with unit sizes unless given.
pub fn requests(spec: &str, sizes: &str, seed: u64) -> Vec<Request> {
    let workload = Workload::parse(spec, SizeLaw::parse(sizes).unwrap()).unwrap();
    let mut stream = workload.stream(Seed(seed));
    let mut out = Vec::new();
    while stream.next_batch(&mut out, 8192).unwrap() > 0 {}
    out
}

/// Hits of `policy` at `capacity` on `requests`, counting only requests at
/// positions ≥ `warmup`; get, then insert on a miss.
pub fn hits(policy: &str, capacity: u64, requests: &[Request], warmup: usize) -> u64 {
    let mut cache = PolicyChoice::parse(policy)
        .unwrap()
        .build(capacity, Seed(7));
    let mut evicted = Vec::new();
    let mut hits = 0;
    for (i, req) in requests.iter().enumerate() {
        if cache.get(req) {
            if i >= warmup {
                hits += 1;
            }
        } else {
            cache.insert(req, &mut evicted);
            evicted.clear();
        }
    }
    hits
}

/// Runs a one-run scenario given as TOML text, with `--set` overrides,
/// audited after every event.
pub fn run_scenario(toml: &str, overrides: &[&str]) -> RunOutput {
    run_scenario_with(toml, overrides, Audit::EveryEvent)
}

/// [`run_scenario`] with the given audit.
pub fn run_scenario_with(toml: &str, overrides: &[&str], audit: Audit) -> RunOutput {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.toml");
    std::fs::write(&path, toml).unwrap();
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|o| Override::parse(o).unwrap())
        .collect();
    let plan = scenario::load(&path, &overrides, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.runs.len(), 1);
    simulate_audited(&plan.runs[0].cluster, audit, &mut |_| {}).unwrap()
}

/// The mean of `f` over the intervals ending in (`from`, `to`].
pub fn mean_between(
    rows: &[IntervalRow],
    from: f64,
    to: f64,
    f: impl Fn(&IntervalRow) -> f64,
) -> f64 {
    let selected: Vec<f64> = rows
        .iter()
        .filter(|r| r.time_s > from && r.time_s <= to)
        .map(f)
        .collect();
    selected.iter().sum::<f64>() / selected.len() as f64
}

/// Generated sections are rewritten when blessing: one at a time, so that no
/// test reads another's half-written file.
static GENERATED: Mutex<()> = Mutex::new(());

/// Checks that the part of `file` (relative to the repository) between
/// `<!-- NAME:start -->` and `<!-- NAME:end -->` is `generated`; with
/// `CACHELAB_BLESS` set, rewrites it instead.
pub fn generated_section(file: &str, name: &str, generated: &str) {
    let _one_at_a_time = GENERATED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let (start, end) = (
        format!("<!-- {name}:start -->\n"),
        format!("<!-- {name}:end -->"),
    );
    let from = text
        .find(&start)
        .unwrap_or_else(|| panic!("{file}: no `{}` marker", start.trim_end()))
        + start.len();
    let to = text
        .find(&end)
        .unwrap_or_else(|| panic!("{file}: no `{end}` marker"));
    if std::env::var_os("CACHELAB_BLESS").is_some() {
        let blessed = format!("{}{generated}{}", &text[..from], &text[to..]);
        std::fs::write(&path, blessed).unwrap();
        return;
    }
    assert_eq!(
        &text[from..to],
        generated,
        "{file}: the {name} section is stale (re-generate with CACHELAB_BLESS=1)"
    );
}
