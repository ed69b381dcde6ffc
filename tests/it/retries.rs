//! Retries, time-outs and a database that slows under load, against numbers
//! derived independently: the attempts per read of a retry policy without a
//! budget, the cap a budget puts on retries, and the Universal Scalability
//! Law's throughput curve; and the bundled metastable scenario's answer.

use crate::common;

use cachelab::cluster::{Audit, RunOutput, simulate_audited};
use cachelab::metrics::RetrySummary;
use cachelab::scenario::{self, Override};

/// Runs a one-run scenario given as TOML, with overrides, unaudited (the
/// runs here are long enough for their statistics; `fuzz` audits these
/// paths).
fn run(toml: &str, overrides: &[&str]) -> RunOutput {
    common::run_scenario_with(toml, overrides, Audit::Counts)
}

fn retries(out: &RunOutput) -> &RetrySummary {
    out.summary.retries.as_ref().expect("a retries section")
}

/// Reads straight to a database with plenty of connections (no queueing)
/// and no network latency, whose exponential service time (mean 10 ms)
/// exceeds the 10 ms time-out with probability p = e^−1 per attempt,
/// independently.
const READS: &str = r#"
    duration = "20s"
    warmup = "1s"
    [workload]
    keys = 1000
    [clients]
    rate = 2000
    [cache]
    pattern = "none"
    [database]
    connections = 1000
    service_time = "exp:mean=10ms"
    latency = "0s"
    timeout = "10ms"
    [retry]
    backoff = "constant"
    base = "1ms"
    jitter = "none"
"#;

#[test]
fn without_a_budget_retries_multiply_reads_by_the_expected_attempts() {
    let p = (-1.0f64).exp();
    for m in [1u32, 2, 3, 5] {
        let out = run(READS, &[&format!("retry.max_attempts={m}")]);
        let r = retries(&out);
        let expected = (1.0 - p.powi(m as i32)) / (1.0 - p);
        let measured = r.attempts_per_read.unwrap();
        eprintln!("max_attempts {m}: {measured:.4} attempts per read, formula {expected:.4}");
        // About 36 000 reads: the mean of attempts (sd below 1) is within
        // 0.01 at 3 standard errors.
        assert!(
            (measured - expected).abs() < 0.015,
            "max_attempts {m}: {measured:.4} attempts per read, (1 − p^m)/(1 − p) = {expected:.4}"
        );
        let share = r.db_timeouts as f64 / r.attempts as f64;
        assert!(
            (share - p).abs() < 0.01,
            "time-out share {share:.4}, p = {p:.4}"
        );
        // Every read that timed out m times failed; the rest succeeded.
        let failed = out.summary.errors as f64 / r.reads as f64;
        assert!(
            (failed - p.powi(m as i32)).abs() < 0.01,
            "failed share {failed:.4}, p^m = {:.4}",
            p.powi(m as i32)
        );
    }
}

#[test]
fn a_budget_caps_retries_at_its_ratio() {
    // A time-out of 2 ms against a 10 ms mean: p = e^−0.2 ≈ 0.82 per
    // attempt, so ten attempts without a budget mean (1 − p^10)/(1 − p) ≈ 4.8 per read.
    let settings = ["database.timeout=2ms", "retry.max_attempts=10"];
    let free = run(READS, &settings);
    let free = retries(&free);
    assert!(
        free.attempts_per_read.unwrap() > 4.0,
        "{:?}",
        free.attempts_per_read
    );
    let mut budgeted = settings.to_vec();
    budgeted.extend(["retry.budget=true", "retry.budget_ratio=0.2"]);
    let out = run(READS, &budgeted);
    let r = retries(&out);
    let cap = 0.2 * r.reads as f64 + 10.0;
    assert!(
        (r.retries as f64) <= cap + 1.0,
        "{} retries over a cap of {cap}",
        r.retries
    );
    // The budget binds: retries run at its ratio, not below.
    let ratio = r.retries as f64 / r.reads as f64;
    eprintln!(
        "budget 0.2: {ratio:.4} retries per read (without: {:.4} attempts per read)",
        free.attempts_per_read.unwrap()
    );
    assert!((0.19..=0.2 + 1e-3).contains(&ratio), "{ratio}");
    assert!(r.budget_denied > 0);
}

/// Closed-loop users with no think time and no network latency against a
/// USL database with more connections than users: exactly n queries in
/// service all the time.
const USL: &str = r#"
    duration = "10s"
    warmup = "1s"
    [workload]
    keys = 1000
    [clients]
    mode = "closed"
    think_time = "0s"
    [cache]
    pattern = "none"
    [database]
    connections = 256
    service_time = "exp:mean=1ms"
    latency = "0s"
    contention = { sigma = 0.1, kappa = 0.01 }
"#;

#[test]
fn a_contended_database_follows_the_universal_scalability_law() {
    let (sigma, kappa) = (0.1, 0.01);
    let law = |n: f64| n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0));
    let mut curve = Vec::new();
    for n in [1u32, 2, 4, 9, 10, 16, 32, 64] {
        let out = run(USL, &[&format!("clients.users={n}")]);
        let s = &out.summary;
        let measured = s.requests as f64 / s.measured_s;
        // X(n) queries' worth of a 1 ms mean service at once.
        let expected = law(f64::from(n)) * 1000.0;
        // Thousands of completions per second over 9 s: within 3%.
        assert!(
            (measured / expected - 1.0).abs() < 0.03,
            "{n} users: {measured:.0} queries/s, X(n) = {expected:.0}"
        );
        curve.push((n, measured));
    }
    // The peak is at n* = sqrt(0.9 / 0.01) = 9.5: the best measured is 9 or
    // 10, and 64 users get X(64)/X(9.5) = 0.38 of it.
    let best = curve.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert!(best.0 == 9 || best.0 == 10, "{curve:?}");
    assert!(curve.last().unwrap().1 < 0.4 * best.1, "{curve:?}");
    eprintln!("USL curve (users, queries/s): {curve:?}");
}

#[test]
fn without_contention_the_database_is_unchanged() {
    // σ = κ = 0 serves as the fixed database does: the same summary.
    let plain = run(
        USL,
        &[
            "database.contention.sigma=0",
            "database.contention.kappa=0",
            "clients.users=8",
        ],
    );
    let fixed = USL.replace("contention = { sigma = 0.1, kappa = 0.01 }", "");
    let reference = run(&fixed, &["clients.users=8"]);
    let (a, b) = (&plain.summary, &reference.summary);
    assert!(
        ((a.requests as f64) / (b.requests as f64) - 1.0).abs() < 0.02,
        "{} vs {}",
        a.requests,
        b.requests
    );
}

#[test]
fn the_metastable_scenario_stays_degraded_without_a_budget_and_recovers_with_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/metastable.toml");
    let plan = scenario::load(path.as_ref(), &[], None).unwrap();
    let mut degraded = Vec::new();
    for run in &plan.runs {
        let out = simulate_audited(&run.cluster, Audit::Counts, &mut |_| {}).unwrap();
        let r = retries(&out);
        degraded.push((
            run.cluster.label.clone(),
            r.degraded_s.unwrap(),
            r.recovered.unwrap(),
        ));
    }
    let [(_, without, recovered_without), (_, with, recovered_with)] = &degraded[..] else {
        panic!("two runs expected: {degraded:?}");
    };
    assert!(!recovered_without && *without > 30.0, "{degraded:?}");
    assert!(*recovered_with && *with < 10.0, "{degraded:?}");
}

#[test]
fn with_a_breaker_instead_of_a_budget_the_metastable_scenario_recovers() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/metastable.toml");
    let overrides = [Override::parse("retry.breaker=true").unwrap()];
    let plan = scenario::load(path.as_ref(), &overrides, None).unwrap();
    // The first cell: no budget.
    let out = simulate_audited(&plan.runs[0].cluster, Audit::Counts, &mut |_| {}).unwrap();
    let r = retries(&out);
    assert!(r.breaker_opened > 0 && r.fast_failed > 0, "{r:?}");
    assert!(r.recovered.unwrap() && r.degraded_s.unwrap() < 5.0, "{r:?}");
}

#[test]
fn summary_csv_and_the_sweep_summary_carry_the_retry_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = common::cachelab(&[
        "run",
        "scenarios/metastable.toml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let table = |path: &std::path::Path| -> Vec<std::collections::HashMap<String, String>> {
        csv::Reader::from_path(path)
            .unwrap()
            .deserialize()
            .map(Result::unwrap)
            .collect()
    };
    // Each run's summary.csv holds its summary.json's retry figures.
    for cell in ["retry.budget=false", "retry.budget=true"] {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(cell).join("summary.json")).unwrap(),
        )
        .unwrap();
        let r = &json["retries"];
        let row = &table(&out.join(cell).join("summary.csv"))[0];
        for field in [
            "retries",
            "attempts_per_read",
            "db_timeouts",
            "budget_denied",
            "fast_failed",
            "breaker_opened",
            "degraded_s",
        ] {
            assert_eq!(
                row[field].parse::<f64>().unwrap(),
                r[field].as_f64().unwrap(),
                "{cell} {field}"
            );
        }
    }
    // The sweep's table answers the scenario's question: without a budget
    // degraded to the end (60 s after the spike), with one not at all.
    let cells = table(&out.join("sweep-summary.csv"));
    let degraded: Vec<(&str, f64)> = cells
        .iter()
        .map(|c| {
            (
                c["retry.budget"].as_str(),
                c["degraded_s_mean"].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(degraded, [("false", 60.0), ("true", 0.0)]);
    let denied: f64 = cells[1]["budget_denied_mean"].parse().unwrap();
    assert!(denied > 0.0, "the budget refused retries: {denied}");
    // A run without the retry machinery leaves the fields empty.
    let plain = dir.path().join("plain");
    let run = common::cachelab(&[
        "run",
        "scenarios/smoke.toml",
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let row = &table(&plain.join("summary.csv"))[0];
    assert_eq!(
        (row["retries"].as_str(), row["degraded_s"].as_str()),
        ("", "")
    );
}

#[test]
fn bad_retry_settings_are_refused_naming_the_field_value_and_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    for (text, wanted) in [
        (
            "[retry]\nmax_attempts = 0",
            "retry.max_attempts = 0: from 1",
        ),
        ("[retry]\nbase = \"0s\"", "retry.base must be above zero"),
        (
            "[retry]\nbase = \"1s\"\ncap = \"10ms\"",
            "retry.cap = 10ms: must be at least retry.base (1s)",
        ),
        (
            "[retry]\nbudget = true\nbudget_ratio = 2",
            "retry.budget_ratio = 2: above 0, at most 1",
        ),
        (
            "[retry]\nbreaker = true\nbreaker_probes = 0",
            "retry.breaker_probes = 0: from 1",
        ),
        ("[retry]\njitter = \"some\"", "jitter"),
        (
            "[cache]\nbreaker = true\nbreaker_failures = 0",
            "cache.breaker_failures = 0: from 1",
        ),
        (
            "[cache]\nbreaker = true\nbreaker_cool_down = \"0s\"",
            "cache.breaker_cool_down must be above zero",
        ),
        (
            "[database]\ncontention = { sigma = 1, kappa = 0 }",
            "database.contention.sigma = 1: from 0 to below 1",
        ),
        (
            "[database]\ncontention = { sigma = 0.1 }",
            "missing field `kappa`",
        ),
        (
            "[database]\ntimeout = \"0s\"",
            "database.timeout must be above zero",
        ),
    ] {
        std::fs::write(&path, format!("[workload]\nkeys = 10\n{text}\n")).unwrap();
        let error = scenario::load(&path, &[], None)
            .map(|_| ())
            .expect_err(text)
            .message;
        assert!(error.contains(wanted), "{text}: {error}");
    }
}
