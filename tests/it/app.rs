//! The application tier (`[app]`) against numbers derived independently:
//! one thread per process is an M/M/c queue (Erlang C) and, with a fixed
//! CPU time, an M/D/1 queue (Pollaczek–Khinchine); a GIL-bound process
//! serves at most 1/E[CPU] requests per second whatever its threads, while
//! waits for the database overlap; a database pool of k connections in
//! front of a database that never queues is an M/M/k queue; and bad
//! settings are refused naming the field.

use crate::common;

use cachelab::cluster::{Audit, RunOutput};
use cachelab::metrics::app::AppSummary;
use cachelab::scenario;
use cachelab::theory::erlang_c_mean_response;

/// Runs a one-run scenario given as TOML, with overrides, counts audited
/// only (the runs are long enough for their statistics; `fuzz` audits the
/// tier after every event).
fn run(toml: &str, overrides: &[&str]) -> RunOutput {
    common::run_scenario_with(toml, overrides, Audit::Counts)
}

fn app(out: &RunOutput) -> &AppSummary {
    out.summary.app.as_ref().expect("an app section")
}

/// Requests with no cache to a database that answers at once (no service
/// time, no latency): a request's time is its queueing and its CPU work
/// (`miss_cpu`) at the tier, one server.
const CPU_ONLY: &str = r#"
    duration = "400s"
    warmup = "20s"
    [workload]
    keys = 1000
    [clients]
    rate = 320
    [cache]
    pattern = "none"
    [database]
    connections = 100000
    service_time = "0s"
    latency = "0s"
    [app]
    miss_cpu = "exp:mean=10ms"
"#;

#[test]
fn one_thread_per_process_is_an_erlang_c_queue() {
    // c processes of one thread on c cores: M/M/c with μ = 100/s.
    for (c, rho) in [(1u32, 0.5), (4, 0.8), (8, 0.9)] {
        let lambda = rho * f64::from(c) * 100.0;
        let out = run(
            CPU_ONLY,
            &[
                &format!("app.processes={c}"),
                &format!("app.cores={c}"),
                &format!("clients.rate={lambda}"),
            ],
        );
        let w = erlang_c_mean_response(lambda, 100.0, c).unwrap();
        let measured = out.summary.latency_all.mean_ns.unwrap() / 1e9;
        let queued = app(&out).queue.mean_ns.unwrap() / 1e9;
        eprintln!(
            "c {c}, ρ {rho}: mean response {:.3} ms (Erlang C {:.3} ms), queued {:.3} ms ({:.3})",
            measured * 1e3,
            w * 1e3,
            queued * 1e3,
            (w - 0.01) * 1e3
        );
        // 380 s at λ: 38 000 to 274 000 requests. The mean response's
        // standard error, with the queue's autocorrelation, is below 2% of
        // W at these loads (batch means over seeds); 5% is 2.5 of them.
        assert!(
            (measured - w).abs() < 0.05 * w,
            "c {c}, ρ {rho}: mean response {measured} s, Erlang C {w} s"
        );
        assert!(
            (queued - (w - 0.01)).abs() < 0.05 * w,
            "c {c}, ρ {rho}: mean queueing {queued} s, Erlang C {} s",
            w - 0.01
        );
    }
}

#[test]
fn a_fixed_cpu_time_is_an_m_d_1_queue() {
    // One process, one thread, CPU exactly 10 ms at ρ = 0.7: the
    // Pollaczek–Khinchine mean wait λE[S²]/(2(1 − ρ)) = ρ S / (2(1 − ρ)),
    // half of M/M/1's (Kleinrock, Queueing Systems I, 1975, eq. 5.72).
    let out = run(CPU_ONLY, &["app.miss_cpu=10ms", "clients.rate=70"]);
    let (rho, s) = (0.7, 0.010);
    let expected = rho * s / (2.0 * (1.0 - rho));
    let queued = app(&out).queue.mean_ns.unwrap() / 1e9;
    eprintln!(
        "M/D/1 ρ 0.7: queued {:.3} ms, Pollaczek–Khinchine {:.3} ms",
        queued * 1e3,
        expected * 1e3
    );
    // 26 600 requests; the mean wait's standard error is about 2% here.
    assert!(
        (queued - expected).abs() < 0.06 * expected,
        "queued {queued} s, Pollaczek–Khinchine {expected} s"
    );
}

/// Requests to a database that takes 20 ms each (unlimited connections),
/// then 5 ms of CPU, at one process of a server with 4 cores.
const GIL: &str = r#"
    duration = "60s"
    warmup = "10s"
    [workload]
    keys = 1000
    [clients]
    rate = 400
    [cache]
    pattern = "none"
    [database]
    connections = 100000
    service_time = "20ms"
    latency = "0s"
    [app]
    cores = 4
    miss_cpu = "5ms"
"#;

/// Requests answered per second after the warm-up, whenever issued (an
/// overloaded tier answers requests of the warm-up long after it).
fn throughput(out: &RunOutput) -> f64 {
    common::mean_between(&out.series, 10.0, 60.0, |r| r.requests as f64)
}

#[test]
fn a_gil_bound_process_serves_at_most_one_over_its_cpu_time() {
    // The bound is 1/5 ms = 200/s, against 400/s offered: whatever the
    // threads, one process never exceeds it (counting requests answered
    // in the window: at most one burst more than the bound), and with
    // enough threads to cover the database's wait it reaches it.
    for threads in [8u32, 16, 64, 256] {
        let out = run(GIL, &[&format!("app.threads={threads}")]);
        let served = throughput(&out);
        let utilisation = app(&out).utilisation[0];
        eprintln!("1 process × {threads} threads: {served:.1}/s, CPU {utilisation:.3} of 4 cores");
        assert!(served <= 200.0 + 0.1, "{threads} threads: {served}/s");
        assert!(served > 198.0, "{threads} threads: {served}/s");
        // The process uses one core of four.
        assert!((utilisation - 0.25).abs() < 0.002, "{utilisation}");
    }
    // Four processes are not bound by one GIL: 400/s, all of it.
    let out = run(GIL, &["app.threads=64", "app.processes=4"]);
    let served = throughput(&out);
    assert!((served - 400.0).abs() < 8.0, "4 processes: {served}/s");
}

#[test]
fn waits_for_the_database_overlap_across_threads() {
    // One thread serves a request per 20 + 5 ms = 40/s; T threads of one
    // process, their CPU serialised, serve T times as many while the GIL
    // is not the bottleneck: 80/s with 2, 160/s with 4 (the GIL is then
    // 80% busy, so threads also wait for it: a little less).
    for (threads, most) in [(1u32, 40.0), (2, 80.0), (4, 160.0)] {
        let out = run(GIL, &[&format!("app.threads={threads}")]);
        let served = throughput(&out);
        eprintln!("{threads} threads: {served:.1}/s (at most {most})");
        assert!(served <= most + 0.1, "{threads} threads: {served}/s");
        assert!(served > 0.9 * most, "{threads} threads: {served}/s");
    }
}

#[test]
fn a_database_pool_queues_as_an_m_m_k_queue() {
    // One process of 64 threads and no CPU work in front of a database
    // that never queues (exponential, mean 10 ms): its pool of k = 4
    // connections is the only queue, an M/M/4 at ρ = 0.8. 64 threads are
    // never all busy in practice (P(N > 64) < 1e-5 at these numbers).
    let toml = CPU_ONLY.replace("miss_cpu = \"exp:mean=10ms\"", "threads = 64\ndb_pool = 4");
    let toml = toml.replace("service_time = \"0s\"", "service_time = \"exp:mean=10ms\"");
    let out = run(&toml, &[]);
    let w = erlang_c_mean_response(320.0, 100.0, 4).unwrap();
    let measured = out.summary.latency_all.mean_ns.unwrap() / 1e9;
    let queued = app(&out).queue.mean_ns.unwrap() / 1e9;
    eprintln!(
        "pool of 4: mean {:.3} ms (Erlang C {:.3} ms), queued for a connection {:.3} ms",
        measured * 1e3,
        w * 1e3,
        queued * 1e3
    );
    // As in the Erlang C test: 5% of W, about 2.5 standard errors.
    assert!(
        (measured - w).abs() < 0.05 * w,
        "{measured} s, Erlang C {w} s"
    );
    assert!((queued - (w - 0.01)).abs() < 0.05 * w, "{queued} s");
    let db = app(&out).database.mean_ns.unwrap() / 1e9;
    assert!((db - 0.01).abs() < 0.0005, "database part {db} s, 10 ms");
}

/// A cache in front, with SETs after a miss.
const CACHED: &str = r#"
    duration = "30s"
    warmup = "5s"
    [workload]
    keys = 1000
    alpha = 1.0
    [clients]
    rate = 300
    [cache]
    pattern = "cache-aside"
    ttl = "5s"
    [nodes]
    count = 1
    latency = "100us"
    service_time = "10us"
    [database]
    connections = 1000
    service_time = "lognormal:mean=20ms,sd=6ms"
    latency = "0s"
    [app]
    processes = 2
    threads = 16
    cores = 2
    hit_cpu = "exp:mean=1ms"
    miss_cpu = "exp:mean=3ms"
    cache_pool = 4
"#;

#[test]
fn the_parts_of_a_request_add_up_to_its_latency() {
    for set in ["before_respond", "after_respond"] {
        let out = run(CACHED, &[&format!("app.set={set}")]);
        let a = app(&out);
        for (b, latency) in a.breakdown.iter().zip([
            &out.summary.latency_all,
            &out.summary.latency_hits,
            &out.summary.latency_misses,
        ]) {
            let parts = b.queue_mean_ns.unwrap()
                + b.cpu_mean_ns.unwrap()
                + b.cache_mean_ns.unwrap()
                + b.database_mean_ns.unwrap();
            let mean = latency.mean_ns.unwrap();
            // The histogram keeps three significant digits: 0.1%.
            assert!(
                (parts - mean).abs() < 1e-3 * mean,
                "{set} {}: parts {parts} ns, latency {mean} ns",
                b.class
            );
            assert_eq!(b.count, latency.count, "{set} {}", b.class);
        }
        let hits = &a.breakdown[1];
        let misses = &a.breakdown[2];
        // A hit's cache part is one GET (two 100 µs trips and 10 µs of
        // service) plus its wait for one of 4 connections; a hit never
        // waits for the database.
        assert_eq!(hits.database_mean_ns, Some(0.0));
        assert!(hits.cache_mean_ns.unwrap() >= 210_000.0);
        // A miss waits for the database (20 ms) and, SET before respond,
        // for a second round trip to the cache.
        let db = misses.database_mean_ns.unwrap();
        assert!((db - 20e6).abs() < 1e6, "{set}: database {db} ns");
        let cache = misses.cache_mean_ns.unwrap();
        match set {
            "before_respond" => assert!(cache >= 420_000.0, "{cache}"),
            _ => assert!((210_000.0..420_000.0).contains(&cache), "{cache}"),
        }
    }
}

#[test]
fn runs_with_the_tier_are_deterministic() {
    let a = run(CACHED, &["app.balance=random", "app.servers=3"]);
    let b = run(CACHED, &["app.balance=random", "app.servers=3"]);
    let json = |o: &RunOutput| serde_json::to_string(&o.summary).unwrap();
    assert_eq!(json(&a), json(&b));
    assert_eq!(a.series, b.series);
}

#[test]
fn the_balancer_spreads_the_load() {
    for balance in ["round_robin", "random", "least_outstanding"] {
        let out = run(
            CACHED,
            &[&format!("app.balance={balance}"), "app.servers=3"],
        );
        let u = &app(&out).utilisation;
        let mean = u.iter().sum::<f64>() / 3.0;
        eprintln!("{balance}: utilisation {u:?}");
        assert!(
            u.iter().all(|x| (x - mean).abs() < 0.1 * mean),
            "{balance}: {u:?}"
        );
    }
}

#[test]
fn bad_app_settings_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    for (setting, expected) in [
        ("threads = 0", "app.threads = 0: from 1 to 4096"),
        ("processes = 5000", "app.processes = 5000: from 1 to 4096"),
        ("cores = 0", "app.cores = 0: from 1 to 4096"),
        ("servers = 0", "app.servers = 0: from 1 to 4096"),
        (
            "servers = 4096\nprocesses = 4096\nthreads = 4096",
            "at most 4194304 threads in all",
        ),
        ("db_pool = 0", "app.db_pool = 0: from 1 to 4096"),
        ("balance = \"fastest\"", "fastest"),
        ("set = \"never\"", "never"),
        ("hit_cpu = \"exp:mean=0s\"", "hit_cpu"),
        ("gil = true", "gil"),
    ] {
        std::fs::write(&path, format!("[app]\n{setting}\n")).unwrap();
        let message = match scenario::load(&path, &[], None) {
            Ok(_) => panic!("{setting}: accepted"),
            Err(e) => e.to_string(),
        };
        assert!(
            message.contains(expected),
            "{setting}: `{message}` does not say `{expected}`"
        );
    }
    std::fs::write(
        &path,
        "[cache]\npattern = \"none\"\n[app]\ncache_pool = 2\n",
    )
    .unwrap();
    let message = scenario::load(&path, &[], None).err().unwrap().to_string();
    assert!(message.contains("app.cache_pool"), "{message}");
}
