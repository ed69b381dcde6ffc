//! Load that changes over time (`clients.rate` as a schedule, spikes): a
//! flat schedule runs exactly as its number, the model issues what the
//! schedule offers, the time series carries the offered load, and every
//! bad schedule is refused naming its field.

use cachelab::check::check;
use cachelab::cluster::{Audit, simulate_audited};
use cachelab::report::write_csv;
use cachelab::scenario;

use crate::common::run_scenario;

const BASE: &str = "duration = \"20s\"\ninterval = \"1s\"\n[workload]\nkeys = 5000\nobject_size = \"1KiB\"\n[nodes]\ncount = 2\ncapacity = \"1MiB\"\n";

fn with_clients(clients: &str) -> String {
    format!("{BASE}[clients]\n{clients}\n")
}

/// `timeseries.csv` of a run, as written.
fn series_csv(output: &cachelab::cluster::RunOutput) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timeseries.csv");
    write_csv(&path, &output.series).unwrap();
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn a_flat_schedule_runs_exactly_as_its_number() {
    let plain = run_scenario(&with_clients("rate = 2000"), &[]);
    for flat in [
        "rate = [[0, 2000], [\"10s\", 2000]]",
        "rate = { diurnal = { mean = 2000, amplitude = 0, period = \"5s\" } }",
        "rate = { mmpp = { low = 2000, high = 2000, mean_burst = \"1s\", mean_gap = \"1s\" } }",
        "rate = 2000\n[[clients.spikes]]\nat = \"5s\"\nlength = \"2s\"\nmultiplier = 1",
    ] {
        let run = run_scenario(&with_clients(flat), &[]);
        // As summary.json holds it (without the wall-clock speeds).
        assert_eq!(
            serde_json::to_string(&run.summary).unwrap(),
            serde_json::to_string(&plain.summary).unwrap(),
            "{flat}"
        );
        assert_eq!(run.nodes, plain.nodes, "{flat}");
        assert_eq!(run.latency, plain.latency, "{flat}");
        assert_eq!(series_csv(&run), series_csv(&plain), "{flat}");
        assert!(!series_csv(&run).contains("offered_rps"));
    }
}

#[test]
fn the_model_issues_what_the_schedule_offers_and_reports_it() {
    // 500/s rising to 4000/s over 10 s, then a 4 s spike at twice that.
    let text = with_clients(
        "rate = [[0, 500], [\"10s\", 4000]]\n[[clients.spikes]]\nat = \"14s\"\nlength = \"4s\"\nmultiplier = 2\nramp = \"1s\"",
    );
    let run = run_scenario(&text, &[]);
    let csv = series_csv(&run);
    assert!(csv.starts_with("time_s,offered_rps,"), "{csv}");
    let offered: Vec<f64> = run.series.iter().map(|r| r.offered_rps.unwrap()).collect();
    // The first second averages 500 → 850; seconds 15 to 17 hold the spike.
    assert!((offered[0] - 675.0).abs() < 1e-6, "{offered:?}");
    assert!((offered[15] - 8000.0).abs() < 1e-6, "{offered:?}");
    assert!((offered[19] - 4000.0).abs() < 1e-6, "{offered:?}");
    // Requests completed per interval follow the offered load within
    // their Poisson band (completions lag arrivals by well under a second).
    for (r, rps) in run.series.iter().zip(&offered).skip(1) {
        let mean = rps * 1.0;
        assert!(
            (r.requests as f64 - mean).abs() < 4.0 * mean.sqrt() + 10.0,
            "t={} s: {} requests, {mean} offered",
            r.time_s,
            r.requests
        );
    }
    // The checker knows the column.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, &text).unwrap();
    let plan = scenario::load(&path, &[], None).unwrap();
    let output = simulate_audited(&plan.runs[0].cluster, Audit::Counts, &mut |_| {}).unwrap();
    assert_eq!(check(&plan.runs[0], &output), []);
    let mut broken = output.clone();
    broken.series[3].offered_rps = None;
    assert!(!check(&plan.runs[0], &broken).is_empty());
}

#[test]
fn bad_schedules_name_the_field_and_what_is_allowed() {
    let cases: &[(&str, &[&str])] = &[
        ("rate = [[0, -5]]", &["clients.rate point 1", "from 0"]),
        ("rate = []", &["clients.rate = []", "at least one point"]),
        (
            "rate = [[\"6h\", 100], [\"1h\", 200]]",
            &["point 2 at 1h comes before point 1 at 6h", "time order"],
        ),
        ("rate = [[0, 0], [\"1s\", 0]]", &["rate is 0 throughout"]),
        ("rate = [[0, 1e12]]", &["clients.rate point 1", "1e9"]),
        (
            "rate = { diurnal = { mean = 100, amplitude = 1, period = \"1h\" } }",
            &["clients.rate.diurnal.amplitude = 1", "not including"],
        ),
        (
            "rate = { diurnal = { mean = -1, amplitude = 0.5, period = \"1h\" } }",
            &["clients.rate.diurnal.mean = -1", "above zero"],
        ),
        (
            "rate = { diurnal = { mean = 100, amplitude = 0.5, period = \"0s\" } }",
            &["clients.rate.diurnal.period", "above zero"],
        ),
        (
            "rate = { diurnal = { mean = 100, amplitude = 0.5, period = \"1ns\" } }",
            &["clients.rate.diurnal.period = 1ns", "periods", "lengthen"],
        ),
        (
            "rate = { diurnal = { mean = 100, amplitude = 0.5, period = \"1h\", colour = 1 } }",
            &["colour"],
        ),
        (
            "rate = { sine = { mean = 100 } }",
            &["sine", "diurnal", "mmpp"],
        ),
        (
            "rate = { mmpp = { low = 900, high = 100, mean_burst = \"1s\", mean_gap = \"1s\" } }",
            &["clients.rate.mmpp", "low = 900 is above high = 100"],
        ),
        (
            "rate = { mmpp = { low = 1, high = 100, mean_burst = \"1ns\", mean_gap = \"1ns\" } }",
            &["clients.rate.mmpp", "bursts", "at most"],
        ),
        (
            "rate = { mmpp = { low = 1, high = 100, mean_burst = \"0s\", mean_gap = \"1s\" } }",
            &["mean_burst and mean_gap must be above zero"],
        ),
        (
            "rate = 100\n[[clients.spikes]]\nat = \"1s\"\nlength = \"2s\"\nmultiplier = 3\nramp = \"2s\"",
            &["clients.spikes (at 1s)", "more than half of length"],
        ),
        (
            "rate = 100\n[[clients.spikes]]\nat = \"1s\"\nlength = \"2s\"\nmultiplier = -3",
            &["clients.spikes (at 1s)", "multiplier = -3"],
        ),
        (
            "rate = 100\n[[clients.spikes]]\nat = \"1s\"\nlength = \"0s\"\nmultiplier = 3",
            &["clients.spikes (at 1s)", "length must be above zero"],
        ),
        (
            "rate = 100\n[[clients.spikes]]\nat = \"5s\"\nlength = \"2s\"\nmultiplier = 3\n[[clients.spikes]]\nat = \"4s\"\nlength = \"2s\"\nmultiplier = 2",
            &["the spike at 5s overlaps the one at 4s", "may not overlap"],
        ),
        (
            "mode = \"closed\"\nrate = [[0, 100], [\"1s\", 200]]",
            &["clients.rate, clients.spikes", "open-loop"],
        ),
    ];
    for (clients, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, with_clients(clients)).unwrap();
        let message = match scenario::load(&path, &[], None) {
            Ok(_) => panic!("{clients}: accepted"),
            Err(e) => e.to_string(),
        };
        for part in *expected {
            assert!(
                message.contains(part),
                "{clients}: `{message}` lacks `{part}`"
            );
        }
    }
}
