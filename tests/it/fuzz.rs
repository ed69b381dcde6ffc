//! Fuzzing the scenario path, as `cachelab run` takes it: well-typed random
//! scenarios over the whole schema, and mutations of the bundled scenarios.
//! Each case is loaded with `scenario::load`, then either refused with an
//! error that names a field, or every run of it is simulated — without a
//! panic, within a time limit — to an output that `cachelab::check` passes.
//!
//! CI runs a few hundred cases from a fixed seed, so every run sees the same
//! cases; `CACHELAB_FUZZ_CASES=N` runs N cases of each fuzzer and
//! `CACHELAB_FUZZ_SEED=S` another seed. A failure is shrunk, and its
//! scenario printed as TOML; keep it as a regression test below.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use cachelab::check::check;
use cachelab::cluster::routing::SCHEMES;
use cachelab::cluster::{Audit, RunOutput, simulate_audited};
use cachelab::policy::{POLICIES, ParamKind, PolicySpec};
use cachelab::scenario::config::FailureAction;
use cachelab::scenario::{self, Scenario};
use cachelab::sim::dist::Dist;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use toml::{Table, Value};

/// Cases per fuzzer in CI.
const CASES: u32 = 500;

/// Longest a run may take before it counts as a hang.
const RUN_LIMIT: Duration = Duration::from_secs(20);

/// Sweep cells simulated per case (all are validated).
const MAX_CELLS: usize = 4;

// ---------------------------------------------------------------- the property

/// What became of one case.
#[derive(Default)]
struct Tally {
    /// Refusals by the first field their message names.
    refused: BTreeMap<String, u64>,
    runs: u64,
    skipped: BTreeMap<&'static str, u64>,
    /// Runs in which each kind of event happened: what the cases reach.
    seen: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn saw(&mut self, output: &RunOutput) {
        let s = &output.summary;
        let k = &s.consistency;
        let r = s.retries.clone().unwrap_or_default();
        for (what, happened) in [
            ("retries", r.retries > 0),
            ("db time-outs", r.db_timeouts > 0),
            ("budget refusals", r.budget_denied > 0),
            ("breaker fast failures", r.fast_failed > 0),
            ("hits", s.hits > 0),
            ("evictions", s.evictions > 0),
            ("timeouts", s.timeouts > 0),
            ("errors", s.errors > 0),
            ("db_rejected", s.db_rejected > 0),
            ("failure events", !s.failures.is_empty()),
            ("stale reads", k.stale_reads > 0),
            ("stale sets", k.stale_sets > 0),
            ("lease waits", k.lease_waits > 0),
            ("lease refused sets", k.lease_refused_sets > 0),
            ("invalidations lost", k.invalidations_lost > 0),
            ("writes lost", k.writes_lost > 0),
            ("near hits", s.tiers.as_ref().is_some_and(|t| t[0].hits > 0)),
            (
                "request classes",
                s.classes.as_ref().is_some_and(|c| c.len() > 1),
            ),
        ] {
            *self.seen.entry(what).or_default() += u64::from(happened);
        }
    }
}

/// Loads `text` as a scenario file and judges it: refused with an error that
/// names a field, or every run (up to [`MAX_CELLS`]) simulated to a sound
/// output. `Err` says what went wrong.
/// Runs past what a test case may cost are skipped ([`over_budget`]).
fn judge(text: &str, tally: &mut Tally) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("fuzz.toml");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    let plan = catch_unwind(|| scenario::load(&path, &[], None))
        .map_err(|panic| format!("load panicked: {}", panic_message(&*panic)))?;
    let plan = match plan {
        Ok(plan) => plan,
        Err(e) => {
            let field = named_field(&e.message)
                .ok_or_else(|| format!("the error names no field: {}", e.message))?;
            *tally.refused.entry(field).or_default() += 1;
            return Ok(());
        }
    };
    for run in plan.runs.iter().take(MAX_CELLS) {
        if let Some(reason) = over_budget(run) {
            *tally.skipped.entry(reason).or_default() += 1;
            continue;
        }
        let output = simulate_bounded(run).map_err(|e| format!("run `{}`: {e}", run.label))?;
        let violations = check(run, &output);
        if !violations.is_empty() {
            let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
            return Err(format!("run `{}`:\n  {}", run.label, list.join("\n  ")));
        }
        tally.runs += 1;
        tally.saw(&output);
    }
    Ok(())
}

/// Simulates `scenario` on its own thread: a panic or a run longer than
/// [`RUN_LIMIT`] is an error.
fn simulate_bounded(scenario: &Scenario) -> Result<RunOutput, String> {
    let (tx, rx) = mpsc::channel();
    let scenario = scenario.clone();
    std::thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(|| {
            simulate_audited(&scenario.cluster, Audit::EveryEvent, &mut |_| {})
        }));
        let _ = tx.send(result.map_err(|panic| panic_message(&*panic)));
    });
    match rx.recv_timeout(RUN_LIMIT) {
        Ok(Ok(Ok(output))) => Ok(output),
        Ok(Ok(Err(e))) => Err(format!("simulate failed: {e}")),
        Ok(Err(message)) => Err(format!("panicked: {message}")),
        Err(_) => Err(format!("no result within {RUN_LIMIT:?}: a hang")),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(ToString::to_string))
        .unwrap_or_else(|| "(not a string)".to_string())
}

/// Every name of the schema: sections and fields.
fn field_names() -> &'static Vec<String> {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let file: scenario::ScenarioFile = toml::from_str("[workload]").unwrap();
        let mut names = vec![
            "name",
            "ttl",
            "queue_limit",
            "trace",
            "trace_format",
            "failures",
            "at",
            "action",
            "node",
            "factor",
            "random_failures",
            "mtbf",
            "mttr",
            "sweep",
            "contention",
            "sigma",
            "kappa",
            "retry",
            "app",
            "servers",
            "processes",
            "threads",
            "cores",
            "balance",
            "hit_cpu",
            "miss_cpu",
            "cache_pool",
            "db_pool",
            "tiers",
        ];
        let table = Table::try_from(&file).unwrap();
        let mut out: Vec<String> = names.drain(..).map(String::from).collect();
        for (section, value) in &table {
            out.push(section.clone());
            if let Value::Table(fields) = value {
                out.extend(fields.keys().cloned());
            }
        }
        out
    })
}

/// The first field of the schema an error message names; for an error of
/// the TOML reader, which quotes the line, the key on that line.
fn named_field(message: &str) -> Option<String> {
    let names = field_names();
    let known = |word: &str| {
        let first = word.split(['.', '[']).next().unwrap_or_default();
        names.iter().any(|f| f == first)
    };
    if message.contains("TOML parse error at line") {
        let quoted = message
            .lines()
            .find_map(|l| l.split_once(" | "))
            .map(|(_, l)| l);
        let key = quoted
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim());
        return Some(match key {
            Some(key) if known(key) => format!("{key} (as read)"),
            _ => "line".to_string(),
        });
    }
    message
        .split(|c: char| c.is_whitespace() || "`:=(),".contains(c))
        .find(|word| known(word))
        .map(|word| word.split('[').next().unwrap_or_default().to_string())
}

/// Most simulated requests, time-series rows or failure events a case may
/// cost, and the longest time value it may hold (validation allows ten
/// years; a test case may not spend that long).
const MAX_WORK: f64 = 2e5;
const MAX_TIME_NS: u64 = 1_000_000 * 1_000_000_000;

fn over_budget(s: &Scenario) -> Option<&'static str> {
    let f = &s.file;
    let duration_s = f.duration.0 as f64 / 1e9;
    let rate = match &s.cluster.clients.load {
        cachelab::scenario::config::Load::Open { rate } => *rate,
        cachelab::scenario::config::Load::Scheduled { schedule } => schedule.peak(),
        cachelab::scenario::config::Load::Closed { .. } => {
            f64::from(f.clients.users) / (dist_mean(&f.clients.think_time).max(1e3) / 1e9)
        }
    };
    let nodes = f64::from(f.nodes.count) + f.failures.len() as f64;
    let failures = f.random_failures.as_ref().map_or(0.0, |r| {
        nodes * f.duration.0 as f64 / (r.mtbf.0.min(r.mttr.0).max(1) as f64)
    });
    let slow = f
        .failures
        .iter()
        .filter_map(|e| e.factor)
        .fold(1.0, f64::max);
    let attempts = f.retry.as_ref().map_or(1.0, |r| f64::from(r.max_attempts));
    let work = [
        rate * duration_s * attempts,
        f.duration.0 as f64 / f.interval.0 as f64,
        failures,
        f64::from(f.clients.users),
        f64::from(f.nodes.concurrency),
        f64::from(f.cache.gutter_nodes),
        f.replication.hot_keys as f64,
        f64::from(f.routing.vnodes) * nodes,
    ];
    if work.iter().any(|&w| w > MAX_WORK) {
        return Some("budget: more work than a test case may cost");
    }
    let dists = [
        &f.clients.think_time,
        &f.nodes.service_time,
        &f.nodes.latency,
        &f.database.service_time,
        &f.database.latency,
        &f.consistency.invalidation_delay,
    ]
    .into_iter()
    .chain(f.app.iter().flat_map(|a| [&a.hit_cpu, &a.miss_cpu]))
    .collect::<Vec<_>>();
    let times = [
        f.duration.0,
        f.clients.timeout.0,
        f.cache.ttl.map_or(0, |t| t.0),
        f.cache.detection_delay.0,
        f.cache.gutter_ttl.0,
        f.consistency.write_behind_delay.0,
        f.consistency.lease_interval.0,
        f.consistency.lease_retry.0,
        f.replication.warm_up.0,
        f.replication.hold_off.0,
        f.database.timeout.map_or(0, |t| t.0),
        f.retry
            .as_ref()
            .map_or(0, |r| r.cap.0.max(r.breaker_cool_down.0)),
    ];
    let longest = dists.iter().map(|d| dist_max(d)).chain(times).max();
    if longest > Some(MAX_TIME_NS) || slow > 1e6 {
        return Some("budget: times or slow factors too long for a test case");
    }
    None
}

fn dist_mean(d: &Dist) -> f64 {
    match *d {
        Dist::Fixed(t) | Dist::Exponential { mean: t } | Dist::LogNormal { mean: t, .. } => {
            t as f64
        }
        Dist::Uniform { min, max } => (min as f64 + max as f64) / 2.0,
    }
}

fn dist_max(d: &Dist) -> u64 {
    match *d {
        Dist::Fixed(t) | Dist::Exponential { mean: t } => t,
        Dist::LogNormal { mean, sd } => mean.max(sd),
        Dist::Uniform { min, max } => min.max(max),
    }
}

fn cases() -> u32 {
    std::env::var("CACHELAB_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES)
}

fn seed() -> u64 {
    std::env::var("CACHELAB_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(13)
}

/// Runs `judge` over `cases()` cases of `strategy`, rendered to TOML by
/// `render`; prints the tally, and on failure the shrunk scenario.
fn fuzz<S: Strategy>(name: &str, strategy: S, render: fn(&S::Value) -> String) {
    let config = Config {
        cases: cases(),
        rng_seed: RngSeed::Fixed(seed()),
        failure_persistence: None,
        max_shrink_time: 120_000,
        ..Config::default()
    };
    let tally = Mutex::new(Tally::default());
    let started = Instant::now();
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |case| {
        let text = render(&case);
        judge(&text, &mut tally.lock().unwrap())
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- scenario ---\n{text}---")))
    });
    let t = tally.into_inner().unwrap();
    eprintln!(
        "{name}: {} cases in {:.1} s (seed {}): {} runs checked, in which {:?}; skipped {:?}; refused, by field: {:?}",
        cases(),
        started.elapsed().as_secs_f64(),
        seed(),
        t.runs,
        t.seen,
        t.skipped,
        t.refused
    );
    if let Err(e) = result {
        panic!("{name} (seed {}): {e}", seed());
    }
}

// ---------------------------------------------------------------- generator

type Field = (&'static str, BoxedStrategy<Value>);

/// A table of `fields`, each present or left to its default.
fn section(fields: Vec<Field>) -> BoxedStrategy<Table> {
    fields
        .into_iter()
        .map(|(name, values)| {
            prop::option::weighted(0.6, values)
                .prop_map(move |v| v.map(|v| (name.to_string(), v)))
                .boxed()
        })
        .collect::<Vec<_>>()
        .prop_map(|fields| fields.into_iter().flatten().collect())
        .boxed()
}

/// Mostly `valid`, now and then one of `invalid` (which validation refuses).
fn or_invalid(valid: BoxedStrategy<Value>, invalid: Vec<Value>) -> BoxedStrategy<Value> {
    prop_oneof![12 => valid, 1 => select(invalid)].boxed()
}

fn int(range: std::ops::RangeInclusive<i64>) -> BoxedStrategy<Value> {
    range.prop_map(Value::Integer).boxed()
}

fn real(range: std::ops::Range<f64>) -> BoxedStrategy<Value> {
    range.prop_map(Value::Float).boxed()
}

fn word(options: &'static [&'static str]) -> BoxedStrategy<Value> {
    select(options)
        .prop_map(|s| Value::String(s.into()))
        .boxed()
}

fn flag() -> BoxedStrategy<Value> {
    any::<bool>().prop_map(Value::Boolean).boxed()
}

fn string(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

/// `ns` nanoseconds written in one of several units.
fn in_unit(ns: u64, unit: u8) -> String {
    match unit {
        0 => format!("{ns}ns"),
        1 => format!("{}us", ns as f64 / 1e3),
        2 => format!("{}ms", ns as f64 / 1e6),
        _ => format!("{}s", ns as f64 / 1e9),
    }
}

/// A duration from `lo` to `hi` nanoseconds.
fn duration_text(lo: u64, hi: u64) -> BoxedStrategy<String> {
    (lo..=hi, 0..4u8)
        .prop_map(|(ns, unit)| in_unit(ns, unit))
        .boxed()
}

fn duration(lo: u64, hi: u64) -> BoxedStrategy<Value> {
    duration_text(lo, hi).prop_map(Value::String).boxed()
}

/// A distribution of durations of every kind, its parameters from `lo` to `hi` ns.
fn dist(lo: u64, hi: u64) -> BoxedStrategy<Value> {
    let d = move || duration_text(lo, hi);
    let ordered = (lo..=hi, lo..=hi, 0..4u8, 0..4u8).prop_map(|(a, b, ua, ub)| {
        let (min, max) = (a.min(b), a.max(b));
        format!("uniform:min={},max={}", in_unit(min, ua), in_unit(max, ub))
    });
    prop_oneof![
        d(),
        d().prop_map(|v| format!("fixed:value={v}")),
        d().prop_map(|m| format!("exp:mean={m}")),
        (d(), d()).prop_map(|(m, s)| format!("lognormal:mean={m},sd={s}")),
        ordered,
    ]
    .prop_map(Value::String)
    .boxed()
}

const MS: u64 = 1_000_000;

/// A registered policy, with some of its parameters set anywhere in (and
/// now and then just outside) their range.
fn policy() -> BoxedStrategy<Value> {
    let specs: Vec<&'static PolicySpec> = POLICIES.iter().collect();
    (
        select(specs),
        prop::collection::vec((any::<bool>(), -0.05..1.05f64), 8),
    )
        .prop_map(|(spec, draws)| {
            let params: Vec<String> = spec
                .params
                .iter()
                .zip(draws)
                .filter(|(_, (set, _))| *set)
                .map(|(p, (_, u))| {
                    let value = match p.kind {
                        ParamKind::Real { min, max } => format!("{}", min + u * (max - min)),
                        ParamKind::Int { min, max } => {
                            let span = (max - min) as f64 + 1.0;
                            format!(
                                "{}",
                                (min as f64 + (u * span).floor()).min(max as f64 + 1.0)
                            )
                        }
                        ParamKind::Bool => (u < 0.5).to_string(),
                    };
                    format!("{}={value}", p.name)
                })
                .collect();
            if params.is_empty() {
                string(spec.name)
            } else {
                string(format!("{}:{}", spec.name, params.join(",")))
            }
        })
        .boxed()
}

fn bytes(lo: u64, hi: u64) -> BoxedStrategy<Value> {
    prop_oneof![
        (lo..=hi).prop_map(|b| Value::Integer(b as i64)),
        (lo..=hi).prop_map(|b| string(format!("{b}B"))),
        (lo.div_ceil(1000)..=hi / 1000).prop_map(|k| string(format!("{k}KB"))),
        (lo.div_ceil(1024)..=hi / 1024).prop_map(|k| string(format!("{k}KiB"))),
    ]
    .boxed()
}

fn object_size() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => (1..=4096u32).prop_map(|b| string(b.to_string())),
        2 => bytes(1, 4096).prop_filter("object sizes are strings", Value::is_str),
        1 => (1..4096u32, 0.1..2.0f64)
            .prop_map(|(m, s)| string(format!("lognormal:median={m}B,sigma={s}"))),
        1 => (1..4096u32, 0.5..3.0f64)
            .prop_map(|(m, s)| string(format!("pareto:scale={m}B,shape={s}"))),
    ]
    .boxed()
}

/// The shared sample trace, when this machine has it.
fn sample_trace() -> Option<PathBuf> {
    [
        std::env::var_os("CACHELAB_TRACES").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces")),
        Some(PathBuf::from("/work/shared/traces")),
    ]
    .into_iter()
    .flatten()
    .map(|dir| dir.join("cloudPhysicsIO.oracleGeneral.bin"))
    .find(|p| p.exists())
}

fn workload() -> BoxedStrategy<Table> {
    let trace = sample_trace().map_or("missing.oracleGeneral.bin".into(), |p| {
        p.display().to_string()
    });
    let mix = (0.0..0.3f64, 0.0..0.2f64);
    (
        section(vec![
            (
                "popularity",
                prop_oneof![
                    8 => word(&["zipf", "uniform", "hotspot"]),
                    1 => Just(string("trace")),
                ]
                .boxed(),
            ),
            (
                "alpha",
                or_invalid(real(0.0..3.0), vec![Value::Float(11.0)]),
            ),
            ("keys", or_invalid(int(1..=5000), vec![Value::Integer(0)])),
            ("hot", or_invalid(real(0.0..1.0), vec![Value::Float(1.5)])),
            ("share", real(0.0..1.0)),
            ("object_size", object_size()),
            ("trace_timing", word(&["own", "clients"])),
            ("trace_format", word(&["oracleGeneral", "oracle"])),
        ]),
        prop::option::weighted(0.5, mix),
        classes(),
    )
        .prop_map(move |(mut t, mix, classes)| {
            if t.get("popularity").and_then(Value::as_str) == Some("trace") {
                t.insert("trace".into(), string(trace.clone()));
            }
            if let Some((set, delete)) = mix {
                t.insert("get".into(), Value::Float(1.0 - set - delete));
                t.insert("set".into(), Value::Float(set));
                t.insert("delete".into(), Value::Float(delete));
            }
            if let Some(classes) = classes {
                t.insert("classes".into(), classes);
            }
            t
        })
        .boxed()
}

/// Now and then 1 to 3 request classes, their shares summing to 1 (or
/// their own rates), some requesting the first class's keys.
fn classes() -> BoxedStrategy<Option<Value>> {
    let one = (
        section(vec![
            (
                "popularity",
                or_invalid(
                    word(&["zipf", "uniform", "hotspot"]),
                    vec![string("latest")],
                ),
            ),
            ("alpha", real(0.0..2.0)),
            ("keys", or_invalid(int(1..=3000), vec![Value::Integer(0)])),
            ("hot", real(0.01..1.0)),
            ("hot_share", real(0.0..1.0)),
            ("object_size", object_size()),
            ("ttl", duration(1_000_000, 5_000_000_000)),
        ]),
        1.0..4.0f64,
        prop::option::weighted(0.5, 0.0..0.3f64),
        prop::bool::weighted(0.2),
    );
    prop::option::weighted(
        0.25,
        (prop::collection::vec(one, 1..=3), prop::bool::weighted(0.2)),
    )
    .prop_map(|classes| {
        let (list, rates) = classes?;
        let total: f64 = list.iter().map(|(_, w, _, _)| w).sum();
        let tables = list
            .into_iter()
            .enumerate()
            .map(|(i, (mut t, weight, set, shared))| {
                t.insert("name".into(), string(format!("c{i}")));
                if rates {
                    t.insert("rate".into(), Value::Float(weight * 500.0));
                } else {
                    t.insert("share".into(), Value::Float(weight / total));
                }
                if let Some(set) = set {
                    t.insert("get".into(), Value::Float(1.0 - set));
                    t.insert("set".into(), Value::Float(set));
                    t.insert("delete".into(), Value::Float(0.0));
                }
                if shared && i > 0 {
                    t.remove("keys");
                    t.remove("object_size");
                    t.insert("keys_of".into(), string("c0"));
                }
                Value::Table(t)
            })
            .collect();
        Some(Value::Array(tables))
    })
    .boxed()
}

fn clients() -> BoxedStrategy<Table> {
    section(vec![
        ("mode", word(&["open", "closed"])),
        (
            "rate",
            or_invalid(real(1.0..5000.0), vec![Value::Float(0.0)]),
        ),
        ("users", or_invalid(int(1..=16), vec![Value::Integer(0)])),
        ("think_time", dist(0, 20 * MS)),
        ("timeout", duration(MS, 200 * MS)),
    ])
}

fn cache() -> BoxedStrategy<Table> {
    section(vec![
        ("pattern", word(&["cache-aside", "read-through", "none"])),
        (
            "ttl",
            or_invalid(duration(MS, 1000 * MS), vec![string("0s")]),
        ),
        ("coalesce", flag()),
        ("on_failure", word(&["database", "rehash", "gutter"])),
        ("detection_delay", duration(0, 500 * MS)),
        ("gutter_nodes", int(0..=3)),
        ("gutter_ttl", duration(MS, 1000 * MS)),
    ])
}

fn nodes() -> BoxedStrategy<Table> {
    section(vec![
        ("count", or_invalid(int(1..=6), vec![Value::Integer(0)])),
        ("policy", policy()),
        (
            "capacity",
            or_invalid(bytes(1, 200_000), vec![Value::Integer(0)]),
        ),
        ("service_time", dist(0, MS)),
        (
            "concurrency",
            or_invalid(int(1..=8), vec![Value::Integer(0)]),
        ),
        ("latency", dist(0, MS)),
    ])
}

fn routing() -> BoxedStrategy<Table> {
    let schemes: Vec<&'static str> = SCHEMES.iter().map(|s| s.name).collect();
    section(vec![
        (
            "scheme",
            or_invalid(
                select(schemes).prop_map(string).boxed(),
                vec![string("ketama")],
            ),
        ),
        ("vnodes", or_invalid(int(1..=200), vec![Value::Integer(0)])),
        (
            "maglev_table",
            or_invalid(
                select(vec![5, 7, 11, 13, 101, 1009, 65537])
                    .prop_map(Value::Integer)
                    .boxed(),
                [1, 2, 3, 4, 100].map(Value::Integer).to_vec(),
            ),
        ),
    ])
}

fn database() -> BoxedStrategy<Table> {
    section(vec![
        (
            "connections",
            or_invalid(int(1..=32), vec![Value::Integer(0)]),
        ),
        ("service_time", dist(0, 5 * MS)),
        ("queue_limit", int(0..=50)),
        ("latency", dist(0, MS)),
        ("timeout", duration(0, 20 * MS)),
        ("contention", contention()),
    ])
}

/// `database.contention`, now and then out of range.
fn contention() -> BoxedStrategy<Value> {
    let sigma = or_invalid(real(0.0..0.99), vec![Value::Float(1.0)]);
    let kappa = or_invalid(real(0.0..0.2), vec![Value::Float(-0.1)]);
    (sigma, kappa)
        .prop_map(|(sigma, kappa)| {
            let mut t = Table::new();
            t.insert("sigma".into(), sigma);
            t.insert("kappa".into(), kappa);
            Value::Table(t)
        })
        .boxed()
}

/// `[retry]`: attempts, backoff, jitter, budget and breaker (now and then
/// out of range); absent (retries off) about half the time.
fn retry() -> BoxedStrategy<Option<Table>> {
    let fields = section(vec![
        (
            "max_attempts",
            or_invalid(int(1..=5), vec![Value::Integer(0)]),
        ),
        ("backoff", word(&["constant", "exponential"])),
        ("base", duration(0, 5 * MS)),
        ("cap", duration(0, 50 * MS)),
        ("jitter", word(&["none", "full", "equal", "decorrelated"])),
        ("budget", flag()),
        ("budget_ratio", real(0.0..1.0)),
        ("budget_tokens", real(0.0..20.0)),
        ("breaker", flag()),
        ("breaker_failures", int(0..=5)),
        ("breaker_cool_down", duration(0, 20 * MS)),
        ("breaker_probes", int(0..=3)),
    ]);
    prop::option::weighted(0.5, fields).boxed()
}

/// `[app]`: servers, processes, threads, cores, CPU costs, the balancer,
/// the SET's order and pools (now and then out of range); absent about
/// half the time.
fn app() -> BoxedStrategy<Option<Table>> {
    let fields = section(vec![
        ("servers", or_invalid(int(1..=3), vec![Value::Integer(0)])),
        ("processes", int(1..=3)),
        ("threads", or_invalid(int(1..=8), vec![Value::Integer(0)])),
        ("cores", int(1..=2)),
        (
            "balance",
            word(&["round_robin", "random", "least_outstanding"]),
        ),
        ("hit_cpu", dist(0, MS)),
        ("miss_cpu", dist(0, 5 * MS)),
        ("set", word(&["before_respond", "after_respond"])),
        (
            "cache_pool",
            or_invalid(int(1..=4), vec![Value::Integer(0)]),
        ),
        ("db_pool", int(1..=4)),
    ]);
    prop::option::weighted(0.5, fields).boxed()
}

/// `[[tiers]]`: one or two near caches (now and then a shared entry, or
/// settings out of range or that do not go together); absent most of the
/// time.
fn tiers() -> BoxedStrategy<Option<Vec<Table>>> {
    let entry = section(vec![
        ("placement", word(&["local", "local", "local", "shared"])),
        ("policy", policy()),
        (
            "capacity",
            or_invalid(bytes(1 << 10, 1 << 20), vec![string("0B")]),
        ),
        ("ttl", duration(MS, 2000 * MS)),
        ("fill", flag()),
        ("latency", duration(0, MS)),
        ("invalidation", word(&["ttl", "broadcast", "none"])),
        ("delay", dist(0, 10 * MS)),
        ("loss", or_invalid(real(0.0..1.0), vec![Value::Float(1.5)])),
    ]);
    prop::option::weighted(0.3, prop::collection::vec(entry, 1..=2)).boxed()
}

fn consistency() -> BoxedStrategy<Table> {
    section(vec![
        (
            "write_policy",
            word(&[
                "invalidate",
                "update",
                "write-through",
                "write-behind",
                "ttl-only",
            ]),
        ),
        ("invalidation_delay", dist(0, 50 * MS)),
        (
            "invalidation_loss",
            or_invalid(real(0.0..1.0), vec![Value::Float(-0.1)]),
        ),
        ("write_behind_delay", duration(0, 500 * MS)),
        ("leases", flag()),
        (
            "lease_interval",
            or_invalid(duration(MS, 500 * MS), vec![string("0s")]),
        ),
        ("lease_retry", duration(MS, 100 * MS)),
        ("lease_stale", flag()),
    ])
}

fn replication() -> BoxedStrategy<Table> {
    section(vec![
        (
            "copies",
            or_invalid(int(1..=4), vec![Value::Integer(0), Value::Integer(9)]),
        ),
        ("hot_keys", int(0..=50)),
        ("hot_copies", int(1..=4)),
        ("warm_up", duration(0, 300 * MS)),
        ("hold_off", duration(0, 300 * MS)),
        ("sync", flag()),
    ])
}

/// A failure: when (in thousandths of the run), what, which node (in
/// thousandths of the nodes; 950 and above: one past the last), what factor.
type Failure = (u64, FailureAction, Option<u64>, Option<f64>);

fn failures() -> BoxedStrategy<Vec<Failure>> {
    let actions: Vec<FailureAction> = FailureAction::ALL.to_vec();
    prop::collection::vec(
        (
            0..1000u64,
            select(actions),
            prop::option::weighted(0.95, 0..1000u64),
            prop::option::weighted(0.5, 0.0..20.0f64),
        ),
        0..4,
    )
    .prop_map(|entries| {
        // A well-typed entry has a factor with slow only, and a node except with add.
        entries
            .into_iter()
            .map(|(at, action, node, factor)| {
                let node = if action.takes_node() { node } else { None };
                let factor = action.takes_factor().then(|| factor.unwrap_or(2.0));
                (at, action, node, factor)
            })
            .collect()
    })
    .boxed()
}

/// The `[[failures]]` entries of a run of `duration` ns over `nodes` nodes.
fn failure_entries(entries: Vec<Failure>, duration: u64, nodes: u64) -> Value {
    let entries = entries
        .into_iter()
        .map(|(at, action, node, factor)| {
            let mut e = Table::new();
            e.insert("at".into(), string(format!("{}ns", duration * at / 1000)));
            e.insert("action".into(), string(action.name()));
            if let Some(node) = node {
                let id = if node < 950 {
                    nodes * node / 950
                } else {
                    nodes
                };
                e.insert("node".into(), Value::Integer(id as i64));
            }
            if let Some(factor) = factor {
                e.insert("factor".into(), Value::Float(factor));
            }
            Value::Table(e)
        })
        .collect();
    Value::Array(entries)
}

/// The axes a small sweep may take, with the values it picks from.
fn axes() -> Vec<(&'static str, Vec<Value>)> {
    let words = |list: &[&str]| list.iter().map(|&w| string(w)).collect::<Vec<_>>();
    vec![
        ("nodes.count", (1..=4).map(Value::Integer).collect()),
        (
            "nodes.policy",
            words(&[
                "lru",
                "s3fifo",
                "wtinylfu",
                "lirs",
                "memcached",
                "redis_lfu",
                "crate_moka",
            ]),
        ),
        ("nodes.capacity", words(&["2KB", "64KB", "1MB"])),
        (
            "cache.pattern",
            words(&["cache-aside", "read-through", "none"]),
        ),
        ("cache.on_failure", words(&["database", "rehash", "gutter"])),
        (
            "consistency.write_policy",
            words(&[
                "invalidate",
                "update",
                "write-through",
                "write-behind",
                "ttl-only",
            ]),
        ),
        (
            "routing.scheme",
            words(&["modulo", "ring", "jump", "maglev"]),
        ),
        (
            "workload.alpha",
            vec![Value::Float(0.0), Value::Float(0.8), Value::Float(1.3)],
        ),
        ("clients.mode", words(&["open", "closed"])),
        ("replication.copies", (1..=3).map(Value::Integer).collect()),
        (
            "consistency.leases",
            vec![Value::Boolean(true), Value::Boolean(false)],
        ),
        ("seed", vec![Value::Integer(1), Value::Integer(2)]),
    ]
}

fn sweep() -> BoxedStrategy<Table> {
    let count = axes().len();
    prop::collection::vec(
        (
            0..count,
            prop::collection::vec(any::<prop::sample::Index>(), 1..=3),
        ),
        0..=2,
    )
    .prop_map(|picks| {
        let axes = axes();
        picks
            .into_iter()
            .map(|(axis, picks)| {
                let (path, values) = &axes[axis];
                let chosen: Vec<Value> = picks.iter().map(|i| i.get(values).clone()).collect();
                (path.to_string(), Value::Array(chosen))
            })
            .collect()
    })
    .boxed()
}

/// The run's clock: duration, warm-up (thousandths of it) and interval
/// (a fraction of it), and the random failures' means.
type Clock = (
    u64,
    Option<u64>,
    Option<u64>,
    Option<(u64, u64)>,
    Option<u64>,
);

fn clock() -> BoxedStrategy<Clock> {
    (
        MS..=500 * MS,
        prop::option::weighted(0.4, 0..1005u64),
        prop::option::weighted(0.7, 1..=200u64),
        prop::option::weighted(0.2, (5 * MS..=500 * MS, MS..=200 * MS)),
        prop::option::weighted(0.5, 0..=i64::MAX as u64),
    )
        .boxed()
}

/// A whole scenario file as a TOML table.
fn scenario_table() -> impl Strategy<Value = Table> {
    (
        clock(),
        workload(),
        clients(),
        cache(),
        nodes(),
        routing(),
        database(),
        consistency(),
        replication(),
        failures(),
        (sweep(), retry(), app(), tiers()),
    )
        .prop_map(
            |(
                clock,
                workload,
                clients,
                cache,
                nodes,
                routing,
                database,
                k,
                r,
                f,
                (sweep, retry, app, tiers),
            )| {
                let (duration, warmup, divisor, random, seed) = clock;
                let mut t = Table::new();
                t.insert("duration".into(), string(format!("{duration}ns")));
                if let Some(w) = warmup {
                    t.insert(
                        "warmup".into(),
                        string(format!("{}ns", duration * w / 1000)),
                    );
                }
                if let Some(d) = divisor {
                    t.insert("interval".into(), string(format!("{}ns", duration / d)));
                }
                if let Some(seed) = seed {
                    t.insert("seed".into(), Value::Integer(seed as i64));
                    t.insert("name".into(), string(format!("fuzz-{seed}")));
                }
                // The [workload] table is always written: without one the file
                // fails to read (issue 13, L-list).
                t.insert("workload".into(), Value::Table(workload));
                for (name, section) in [
                    ("clients", clients),
                    ("cache", cache),
                    ("nodes", nodes),
                    ("routing", routing),
                    ("database", database),
                    ("consistency", k),
                    ("replication", r),
                    ("sweep", sweep),
                ] {
                    if !section.is_empty() {
                        t.insert(name.into(), Value::Table(section));
                    }
                }
                let count = t
                    .get("nodes")
                    .and_then(|n| n.get("count"))
                    .and_then(Value::as_integer)
                    .unwrap_or(4);
                if !f.is_empty() {
                    let entries = failure_entries(f, duration, count.max(0) as u64);
                    t.insert("failures".into(), entries);
                }
                if let Some((mtbf, mttr)) = random {
                    let mut e = Table::new();
                    e.insert("mtbf".into(), string(format!("{mtbf}ns")));
                    e.insert("mttr".into(), string(format!("{mttr}ns")));
                    t.insert("random_failures".into(), Value::Table(e));
                }
                if let Some(retry) = retry {
                    t.insert("retry".into(), Value::Table(retry));
                }
                if let Some(app) = app {
                    t.insert("app".into(), Value::Table(app));
                }
                if let Some(tiers) = tiers {
                    t.insert(
                        "tiers".into(),
                        Value::Array(tiers.into_iter().map(Value::Table).collect()),
                    );
                }
                t
            },
        )
}

fn render_table(table: &Table) -> String {
    toml::to_string(table).expect("a table renders")
}

#[test]
fn generated_scenarios_are_refused_with_a_field_or_run_soundly() {
    fuzz("generated", scenario_table(), render_table);
}

// ---------------------------------------------------------------- mutations

/// The bundled scenarios, shrunk so that a case runs in milliseconds: at
/// most 1 s simulated (the warm-up, the interval and the failures' times
/// scaled with it), at most 5 000 requests/s, two values per sweep axis, and
/// trace paths made absolute (the mutated file is written elsewhere).
fn bundled() -> &'static Vec<(String, Table)> {
    static BUNDLED: OnceLock<Vec<(String, Table)>> = OnceLock::new();
    BUNDLED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| {
                let mut table: Table = toml::from_str(&std::fs::read_to_string(&path).unwrap())
                    .unwrap_or_else(|e| panic!("{path:?}: {e}"));
                shrink(&mut table, &dir);
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                (name, table)
            })
            .collect()
    })
}

fn shrink(t: &mut Table, dir: &Path) {
    let ns = |v: Option<&Value>, default: u64| {
        v.and_then(Value::as_str)
            .and_then(cachelab::units::parse_duration)
            .unwrap_or(default)
    };
    let duration = ns(t.get("duration"), 60 * 1_000_000_000);
    let short = duration.min(1_000_000_000);
    let scale = |value: u64| {
        string(format!(
            "{}ns",
            (u128::from(value) * u128::from(short) / u128::from(duration))
        ))
    };
    t.insert("duration".into(), string(format!("{short}ns")));
    let warmup = ns(t.get("warmup"), 0);
    t.insert("warmup".into(), scale(warmup));
    let interval = ns(t.get("interval"), 1_000_000_000);
    t.insert("interval".into(), scale(interval));
    if let Some(Value::Array(failures)) = t.get_mut("failures") {
        for f in failures.iter_mut().filter_map(Value::as_table_mut) {
            let at = ns(f.get("at"), 0);
            f.insert("at".into(), scale(at));
        }
    }
    let clients = t.entry("clients").or_insert(Value::Table(Table::new()));
    if let Some(c) = clients.as_table_mut() {
        let rate = c.get("rate").and_then(Value::as_float).unwrap_or(10_000.0);
        c.insert("rate".into(), Value::Float(rate.min(5_000.0)));
    }
    if let Some(Value::Table(sweep)) = t.get_mut("sweep") {
        for (_, values) in sweep.iter_mut() {
            if let Value::Array(values) = values {
                values.truncate(2);
            }
        }
    }
    let trace = t.get_mut("workload").and_then(|w| w.get_mut("trace"));
    if let Some(Value::String(path)) = trace {
        *path = dir.join(&*path).display().to_string();
    }
}

/// One step of a path into a TOML value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    At(usize),
}

/// The paths of every leaf under `value`.
fn leaves(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Table(t) => {
            for (k, v) in t {
                path.push(Step::Key(k.clone()));
                leaves(v, path, out);
                path.pop();
            }
        }
        Value::Array(a) if a.iter().any(toml::Value::is_table) => {
            for (i, v) in a.iter().enumerate() {
                path.push(Step::At(i));
                leaves(v, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at_path<'v>(value: &'v mut Value, path: &[Step]) -> &'v mut Value {
    path.iter().fold(value, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::At(i) => &mut v[*i],
    })
}

/// Values a mutation puts in place of a field's: zero, negative, huge, not
/// a number, the wrong type, empty.
fn hostile() -> Vec<Value> {
    vec![
        Value::Integer(0),
        Value::Integer(-1),
        Value::Integer(i64::MAX),
        Value::Float(f64::NAN),
        Value::Float(f64::INFINITY),
        Value::Float(-0.5),
        Value::Float(1e300),
        string("0s"),
        string("-5s"),
        string("nan"),
        string("NaNms"),
        string("1e30h"),
        string("18446744073709551615ns"),
        string("5e6h"),
        string("1ns"),
        string("4e9"),
        string("1e13"),
        string(""),
        string("lru2"),
        string("x".repeat(5000)),
        Value::Boolean(true),
        Value::Array(Vec::new()),
        Value::Table(Table::new()),
    ]
}

/// How a bundled scenario is broken.
#[derive(Clone, Debug)]
enum Mutation {
    /// A field takes one of [`hostile`]'s values.
    Value(prop::sample::Index, prop::sample::Index),
    /// A field's number is multiplied by a power of ten (−9 to 12).
    Scale(prop::sample::Index, i32),
    /// A line of the text is deleted.
    DeleteLine(prop::sample::Index),
    /// A line is written twice (a table header, a key).
    DuplicateLine(prop::sample::Index),
    /// A key no section has.
    UnknownKey(prop::sample::Index),
    /// The text is cut short.
    Truncate(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    use prop::sample::Index;
    prop_oneof![
        6 => (any::<Index>(), any::<Index>()).prop_map(|(f, v)| Mutation::Value(f, v)),
        3 => (any::<Index>(), -9..=12i32).prop_map(|(f, p)| Mutation::Scale(f, p)),
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
        1 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => any::<Index>().prop_map(Mutation::UnknownKey),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutated() -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    (0..bundled().len(), prop::collection::vec(mutation(), 1..=3))
}

/// A number times `10^power`; a duration or size string keeps its unit.
fn scaled(value: &Value, power: i32) -> Value {
    let factor = 10f64.powi(power);
    match value {
        Value::Integer(i) => Value::Integer((*i as f64 * factor).clamp(-9e18, 9e18) as i64),
        Value::Float(f) => Value::Float(f * factor),
        Value::String(s) => {
            let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
            match s[..split].parse::<f64>() {
                Ok(n) if split > 0 => string(format!("{}{}", n * factor, &s[split..])),
                _ => value.clone(),
            }
        }
        other => other.clone(),
    }
}

/// The text of bundled scenario `index` with `mutations` applied: values
/// in the table first, then the text.
fn render_mutated((index, mutations): &(usize, Vec<Mutation>)) -> String {
    let (_, table) = &bundled()[*index];
    let mut root = Value::Table(table.clone());
    let mut paths = Vec::new();
    leaves(&root, &mut Vec::new(), &mut paths);
    let values = hostile();
    for m in mutations {
        match m {
            Mutation::Value(field, value) => {
                *at_path(&mut root, field.get::<Vec<Step>>(&paths)) = value.get(&values).clone();
            }
            Mutation::Scale(field, power) => {
                let v = at_path(&mut root, field.get::<Vec<Step>>(&paths));
                *v = scaled(v, *power);
            }
            _ => {}
        }
    }
    let mut lines: Vec<String> = render_table(root.as_table().unwrap())
        .lines()
        .map(String::from)
        .collect();
    for m in mutations {
        match m {
            Mutation::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i.index(lines.len()));
            }
            Mutation::DuplicateLine(i) if !lines.is_empty() => {
                let i = i.index(lines.len());
                lines.insert(i, lines[i].clone());
            }
            Mutation::UnknownKey(i) => {
                let i = i.index(lines.len() + 1);
                lines.insert(i, "capacty = 1".into());
            }
            Mutation::Truncate(i) if !lines.is_empty() => {
                let i = i.index(lines.len());
                let line = &mut lines[i];
                let cut = line
                    .char_indices()
                    .nth(line.chars().count() / 2)
                    .map_or(0, |c| c.0);
                line.truncate(cut);
            }
            _ => {}
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn mutated_bundled_scenarios_are_refused_with_a_field_or_run_soundly() {
    fuzz("mutated", mutated(), render_mutated);
}

#[test]
fn shrunk_bundled_scenarios_run_soundly() {
    for (name, table) in bundled() {
        let mut tally = Tally::default();
        judge(&render_table(table), &mut tally).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(tally.refused.is_empty(), "{name} is refused");
        assert!(tally.runs > 0, "{name} ran nothing: {:?}", tally.skipped);
    }
}

// ---------------------------------------------------------------- regressions

/// Runs a scenario given as TOML through the whole property.
fn assert_sound(text: &str) {
    let mut tally = Tally::default();
    if let Err(e) = judge(text, &mut tally) {
        panic!("{e}\n--- scenario ---\n{text}");
    }
    assert!(tally.runs > 0, "nothing ran: {:?}", tally.skipped);
}

/// D1, found by the generator: evictions by warm-up adds were missing from
/// nodes.csv.
#[test]
fn warm_up_evictions_are_counted_at_their_node() {
    assert_sound(
        r#"
        duration = "212583926ns"
        seed = 4146451233100371210
        [workload]
        keys = 2
        object_size = "1001"
        [cache]
        detection_delay = "0ns"
        [nodes]
        capacity = "2KB"
        [replication]
        copies = 3
        warm_up = "385945ns"
        [random_failures]
        mtbf = "94384786ns"
        mttr = "68933437ns"
        "#,
    );
}

/// D2, found by the generator: completions at the run's last instant were
/// in the summary but in no time-series row (the run now covers [0, end)).
#[test]
fn completions_at_the_last_instant_are_in_the_time_series() {
    assert_sound(
        r#"
        duration = "10ms"
        interval = "1ms"
        [workload]
        keys = 10
        [clients]
        mode = "closed"
        users = 3
        think_time = "1ms"
        [cache]
        pattern = "none"
        [database]
        service_time = "0ns"
        latency = "0ns"
        "#,
    );
}

/// D3, found by the generator: a closed loop whose requests take no time
/// never advanced the clock; validation now refuses it, naming the fields.
#[test]
fn a_closed_loop_of_instant_requests_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("instant.toml");
    std::fs::write(
        &path,
        r#"
        duration = "10ms"
        [workload]
        keys = 10
        [clients]
        mode = "closed"
        users = 1
        think_time = "0ns"
        [cache]
        pattern = "none"
        [database]
        service_time = "0ns"
        latency = "0ns"
        "#,
    )
    .unwrap();
    let error = scenario::load(&path, &[], None).unwrap_err().message;
    assert!(error.contains("clients.think_time"), "{error}");
}
