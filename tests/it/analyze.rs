//! `cachelab analyze`: the shared trace's exact numbers in every encoding,
//! a known workload recovered from a trace written from it, the fitted
//! workload as a valid scenario, lcs and Twitter traces (compressed too),
//! and hostile input that must fail cleanly.

use std::path::{Path, PathBuf};

use cachelab::analyze::{self, Options, Report};
use cachelab::request::{Request, RequestStream};
use cachelab::seed::Seed;
use cachelab::trace::{Record, Trace, TraceOp, write_lcs};
use cachelab::workload::{SizeLaw, Workload};

use crate::common::{cachelab, traces_dir};

fn analyse(path: &Path, format: Option<&str>) -> Report {
    let trace = Trace::new(path, format).unwrap();
    analyze::analyze(&trace, &Options::default()).unwrap()
}

/// The numbers `../shared/traces/README.md` gives for the sample trace.
fn assert_shared_trace_numbers(report: &Report) {
    let a = &report.analysis;
    assert_eq!(a.requests, 113_872);
    assert_eq!(a.objects, 48_974);
    assert_eq!(a.compulsory_miss_ratio, 48_974.0 / 113_872.0);
    assert_eq!(a.one_hit_objects, 21_049);
    assert_eq!(a.max_count, 1_630);
    assert_eq!(a.object_bytes, 2_029_769_728);
    let time = a.time.as_ref().unwrap();
    assert_eq!((time.start_s, time.end_s), (5_633_898.0, 5_641_098.0));
    assert_eq!((a.sizes.min, a.sizes.max), (512.0, 69_632.0));
    assert_eq!(
        report.counts.iter().map(|&c| u64::from(c)).sum::<u64>(),
        a.requests
    );
}

#[test]
fn the_shared_trace_in_oracle_general() {
    let report = analyse(&traces_dir().join("cloudPhysicsIO.oracleGeneral.bin"), None);
    assert_shared_trace_numbers(&report);
    let a = &report.analysis;
    assert_eq!(a.request_bytes, 4_368_040_448);
    assert_eq!(
        a.sizes.size_changes, 0,
        "oracleGeneral fixes each object's size"
    );
    let zipf = a.zipf.unwrap();
    // A block trace, weakly skewed (libCacheSim's log-log slope says 0.55).
    assert!((0.4..0.8).contains(&zipf.alpha), "{zipf:?}");
    let check = a.fit_check.as_ref().unwrap();
    assert_eq!(check.sizes.len(), 40);
    assert!(check.mean_abs_difference < 0.2, "{check:?}");
    // The largest cache holds every object: only compulsory misses remain
    // (up to the curve's reading inside a histogram bin).
    let last = *check.trace_miss_ratio.last().unwrap();
    assert!((last - a.compulsory_miss_ratio).abs() < 1e-4, "{last}");
}

#[test]
fn the_shared_trace_in_csv_keeps_its_operations() {
    let report = analyse(&traces_dir().join("cloudPhysicsIO.csv"), None);
    assert_shared_trace_numbers(&report);
    let a = &report.analysis;
    assert_eq!(a.request_bytes, 4_205_978_112);
    let ops: Vec<(&str, u64)> = a
        .operations
        .iter()
        .map(|s| (s.value.as_str(), s.requests))
        .collect();
    assert_eq!(ops, [("get", 46_974), ("set", 66_898)]);
    let workload = a.workload.as_ref().unwrap();
    assert!((workload.set - 66_898.0 / 113_872.0).abs() < 1e-6);
    assert!((workload.get + workload.set + workload.delete - 1.0).abs() < 1e-12);
}

/// A Zipf stream with log-normal sizes at `rate` requests per second, as records.
fn zipf_records(alpha: f64, keys: u64, requests: u64, rate: f64) -> Vec<Record> {
    let workload = Workload::parse(
        &format!("zipf:alpha={alpha},keys={keys},requests={requests}"),
        SizeLaw::parse("lognormal:median=4096,sigma=0.8").unwrap(),
    )
    .unwrap();
    let mut requests_out: Vec<Request> = Vec::new();
    let mut stream = workload.stream(Seed(5));
    while stream.next_batch(&mut requests_out, 8192).unwrap() > 0 {}
    requests_out
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            Record::plain(Request {
                time_ns: (i as f64 / rate * 1e9) as u64,
                ..r
            })
        })
        .collect()
}

#[test]
fn a_known_workload_is_recovered_from_its_trace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zipf.lcs");
    let (alpha, keys, requests, rate) = (0.8, 20_000, 1_000_000, 5_000.0);
    write_lcs(&path, 3, &zipf_records(alpha, keys, requests, rate)).unwrap();
    let report = analyse(&path, None);
    let a = &report.analysis;
    assert_eq!(a.requests, requests);
    let zipf = a.zipf.unwrap();
    // Tolerances: alpha 0.02; keys 1% (the rarest keys may go unseen);
    // median size 5% and sigma 0.05; rate 1%; miss-ratio curve 0.02.
    assert!((zipf.alpha - alpha).abs() < 0.02, "{zipf:?}");
    assert!(zipf.ks_distance < 0.02, "{zipf:?}");
    let w = a.workload.as_ref().unwrap();
    assert!(
        w.keys as f64 > 0.99 * keys as f64 && w.keys <= keys,
        "{w:?}"
    );
    let law = SizeLaw::parse(&w.object_size).unwrap();
    let SizeLaw::LogNormal { median, sigma } = law else {
        panic!("{law:?}")
    };
    assert!((median / 4096.0 - 1.0).abs() < 0.05, "{median}");
    assert!((sigma - 0.8).abs() < 0.05, "{sigma}");
    assert!((w.rate_rps.unwrap() / rate - 1.0).abs() < 0.01, "{w:?}");
    let check = a.fit_check.as_ref().unwrap();
    assert!(check.mean_abs_difference < 0.02, "{check:?}");
}

fn run_ok(args: &[&str]) -> String {
    let out = cachelab(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_command_writes_its_files_and_a_valid_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let trace = traces_dir().join("cloudPhysicsIO.oracleGeneral.bin");
    let out = dir.path().join("a");
    let stdout = run_ok(&[
        "analyze",
        trace.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("113,872 requests to 48,974 objects"),
        "{stdout}"
    );
    for file in [
        "analysis.json",
        "summary.csv",
        "frequency.csv",
        "rank_frequency.csv",
        "sizes.csv",
        "reuse.csv",
        "rate.csv",
        "mix.csv",
        "mrc_fit.csv",
        "workload.toml",
        "rank_frequency.png",
        "rate.svg",
        "size_cdf.png",
        "reuse_cdf.png",
        "mrc_fit.svg",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("analysis.json")).unwrap()).unwrap();
    assert_eq!(json["requests"], 113_872);
    assert_eq!(json["one_hit_objects"], 21_049);
    let frequency = std::fs::read_to_string(out.join("frequency.csv")).unwrap();
    assert!(frequency.starts_with("requests_per_object,objects\n1,21049\n"));
    let scenario = out.join("workload.toml");
    let validated = run_ok(&["validate", scenario.to_str().unwrap()]);
    assert!(!validated.is_empty());
    // Same trace and seed, same bytes.
    let again = dir.path().join("b");
    run_ok(&[
        "analyze",
        trace.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    for file in ["analysis.json", "mrc_fit.csv", "workload.toml"] {
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(again.join(file)).unwrap(),
            "{file}"
        );
    }
}

fn compressed_copy(source: &Path, dir: &Path) -> PathBuf {
    let path = dir.join(format!(
        "{}.zst",
        source.file_name().unwrap().to_string_lossy()
    ));
    let data = std::fs::read(source).unwrap();
    let packed =
        ruzstd::encoding::compress_to_vec(&data[..], ruzstd::encoding::CompressionLevel::Fastest);
    std::fs::write(&path, packed).unwrap();
    path
}

#[test]
fn lcs_traces_compressed_or_not_show_their_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.lcs");
    let records: Vec<Record> = zipf_records(1.0, 500, 20_000, 100.0)
        .into_iter()
        .enumerate()
        .map(|(i, r)| Record {
            trace_op: if i % 4 == 0 {
                TraceOp::SET
            } else {
                TraceOp::GET
            },
            request: Request {
                op: if i % 4 == 0 {
                    cachelab::request::Op::Set
                } else {
                    cachelab::request::Op::Get
                },
                ..r.request
            },
            ttl_s: if i % 2 == 0 { 300 } else { 0 },
            tenant: (i % 3) as u32,
        })
        .collect();
    write_lcs(&path, 4, &records).unwrap();
    let packed = compressed_copy(&path, dir.path());
    let plain = analyse(&path, None);
    let zst = analyse(&packed, None);
    assert_eq!(plain.analysis.requests, 20_000);
    assert_eq!(plain.counts, zst.counts);
    let header = zst.analysis.lcs_header.as_ref().unwrap();
    assert_eq!(header.version, 4);
    assert_eq!(header.stats.n_req, 20_000);
    assert_eq!(header.stats.n_obj as u64, zst.analysis.objects);
    assert_eq!(zst.analysis.tenants.distinct, 3);
    let ttls: Vec<(&str, u64)> = zst
        .analysis
        .ttls
        .top
        .iter()
        .map(|s| (s.value.as_str(), s.requests))
        .collect();
    assert_eq!(ttls, [("0", 10_000), ("300", 10_000)]);
    let w = zst.analysis.workload.as_ref().unwrap();
    assert_eq!((w.get, w.set), (0.75, 0.25));
    let stdout = run_ok(&[
        "analyze",
        packed.to_str().unwrap(),
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("lcs header") && stdout.contains("v4: 20000 requests"),
        "{stdout}"
    );
}

#[test]
fn twitter_traces_carry_operations_ttls_and_clients() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cluster.twitter");
    let mut text = String::new();
    for i in 0..3000u32 {
        let op = ["get", "get", "gets", "set", "add", "delete"][(i % 6) as usize];
        let key = format!("key:{}", i % 700);
        let ttl = if op == "get" || op == "gets" { 0 } else { 3600 };
        text += &format!(
            "{},{key},{},{},{},{op},{ttl}\n",
            i / 100,
            key.len(),
            100 + i % 7,
            i % 5
        );
    }
    std::fs::write(&path, &text).unwrap();
    let report = analyse(&path, None);
    let a = &report.analysis;
    assert_eq!((a.requests, a.objects), (3000, 700));
    let ops: Vec<(&str, u64)> = a
        .operations
        .iter()
        .map(|s| (s.value.as_str(), s.requests))
        .collect();
    assert_eq!(
        ops,
        [
            ("get", 1000),
            ("gets", 500),
            ("set", 500),
            ("add", 500),
            ("delete", 500)
        ]
    );
    assert_eq!(a.tenants.distinct, 5);
    assert_eq!(a.ttls.top[0].value, "0");
    assert_eq!(a.ttls.top[1].value, "3600");
    let w = a.workload.as_ref().unwrap();
    assert_eq!((w.set, w.delete), (0.333333, 0.166667), "{w:?}");
    // The same trace compressed, named only by --format.
    let packed = compressed_copy(&path, dir.path());
    let renamed = dir.path().join("cluster52.0.zst");
    std::fs::rename(&packed, &renamed).unwrap();
    let again = analyse(&renamed, Some("twitter"));
    assert_eq!(again.counts, report.counts);
    // A bad line is named by file, line and byte offset.
    std::fs::write(&path, format!("{text}31,k,1,1,1,peek,0\n")).unwrap();
    let out = cachelab(&[
        "analyze",
        path.to_str().unwrap(),
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let offset = text.len();
    assert!(
        stderr.contains("cluster.twitter")
            && stderr.contains(&format!("line 3001 (byte offset {offset})"))
            && stderr.contains("peek"),
        "{stderr}"
    );
}

#[test]
fn hostile_input_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    };
    // A valid lcs header followed by noise, for every version.
    let mut header = Vec::new();
    {
        let path = dir.path().join("empty.lcs");
        write_lcs(&path, 1, &[]).unwrap();
        header.extend(std::fs::read(&path).unwrap());
    }
    for (name, format) in [
        ("noise.lcs", None),
        ("noise.twitter", None),
        ("noise.oracleGeneral.bin", None),
        ("noise.csv", Some("csv:key=2,time=1,size=3")),
        ("noise.vscsi", None),
    ] {
        for length in [0, 7, 8192, 8200, 50_000] {
            let path = dir.path().join(name);
            std::fs::write(&path, noise(length)).unwrap();
            let result = Trace::new(&path, format)
                .map_err(|e| e.to_string())
                .and_then(|t| analyze::analyze(&t, &Options::default()).map_err(|e| e.to_string()));
            if let Err(message) = result {
                assert!(message.contains(name), "{name}: {message}");
            }
        }
    }
    for version in 1..=8u8 {
        let mut bytes = header.clone();
        bytes[8] = version;
        bytes.extend(noise(10_000));
        let path = dir.path().join("garbage.lcs");
        std::fs::write(&path, bytes).unwrap();
        let trace = Trace::new(&path, None).unwrap();
        if let Err(e) = analyze::analyze(&trace, &Options::default()) {
            let message = e.to_string();
            assert!(message.contains("byte offset"), "v{version}: {message}");
        }
    }
}

/// Records of several tenants, each a Zipf law on keys of its own
/// (`(tenant, share, alpha, keys, sizes, set share, ttl)`), interleaved by
/// share.
#[allow(clippy::type_complexity)]
fn tenant_records(
    tenants: &[(u32, f64, f64, u64, &str, f64, u32)],
    requests: usize,
) -> Vec<Record> {
    use rand::RngExt;
    let mut offset = 0;
    let mut streams: Vec<_> = tenants
        .iter()
        .map(|&(_, _, alpha, keys, sizes, _, _)| {
            let workload = Workload {
                key_offset: offset,
                ..Workload::parse(
                    &format!("zipf:alpha={alpha},keys={keys},requests=1"),
                    SizeLaw::parse(sizes).unwrap(),
                )
                .unwrap()
            };
            offset += keys;
            workload.stream(Seed(offset))
        })
        .collect();
    let mut rng = Seed(99).rng();
    (0..requests)
        .map(|i| {
            let mut u: f64 = rng.random();
            let t = tenants
                .iter()
                .position(|&(_, share, ..)| {
                    u -= share;
                    u < 0.0
                })
                .unwrap_or(tenants.len() - 1);
            let (tenant, _, _, _, _, set, ttl) = tenants[t];
            let request = Request {
                time_ns: i as u64 * 100_000,
                ..streams[t].next_request()
            };
            let write = rng.random::<f64>() < set;
            Record {
                request,
                trace_op: TraceOp::of(if write {
                    cachelab::request::Op::Set
                } else {
                    cachelab::request::Op::Get
                }),
                ttl_s: ttl,
                tenant,
            }
        })
        .collect()
}

#[test]
fn a_multi_tenant_trace_is_fitted_as_classes_that_fit_it_better() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenants.lcs");
    let requests = 600_000;
    let tenants = [
        (
            7,
            0.6,
            0.7,
            20_000,
            "lognormal:median=1000,sigma=0.5",
            0.0,
            0,
        ),
        (9, 0.3, 1.1, 2_000, "20000", 0.3, 300),
        (
            3,
            0.095,
            0.6,
            2_000,
            "lognormal:median=200000,sigma=0.2",
            0.0,
            0,
        ),
        // Under 1% of the requests: folded into `other`.
        (11, 0.005, 0.5, 1_000, "100", 0.0, 0),
    ];
    write_lcs(&path, 3, &tenant_records(&tenants, requests)).unwrap();
    let report = analyse(&path, None);
    let w = report.analysis.workload.as_ref().unwrap();
    let fitted = w.classes.as_ref().expect("three busy tenants make classes");
    assert_eq!(fitted.shared_objects, 0);
    let names: Vec<&str> = fitted.classes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["tenant-7", "tenant-9", "tenant-3", "other"]);
    let total: f64 = fitted.classes.iter().map(|c| c.share).sum();
    assert!((total - 1.0).abs() < 1e-12, "{total}");
    for (c, &(tenant, share, alpha, keys, sizes, set, ttl)) in fitted.classes.iter().zip(&tenants) {
        let sd = (share * (1.0 - share) / requests as f64).sqrt();
        assert!((c.share - share).abs() < 4.0 * sd, "{c:?}");
        assert_eq!(c.tenant.unwrap_or(11), tenant);
        // Tolerances: alpha 0.03, keys 2% (the rarest may go unseen); for
        // `other`, 3,000 requests to 1,000 keys, alpha 0.06 and keys 20%;
        // sizes 5%; the set share 4 sd.
        let (alpha_tolerance, seen) = if c.tenant.is_some() {
            (0.03, 0.98)
        } else {
            (0.06, 0.8)
        };
        assert!((c.alpha - alpha).abs() < alpha_tolerance, "{c:?}");
        assert!(
            c.keys as f64 > seen * keys as f64 && c.keys <= keys,
            "{c:?}"
        );
        let (want, got) = (
            SizeLaw::parse(sizes).unwrap(),
            SizeLaw::parse(&c.object_size).unwrap(),
        );
        let median = |law: &SizeLaw| match *law {
            SizeLaw::LogNormal { median, .. } => median,
            SizeLaw::Fixed(bytes) => f64::from(bytes),
            ref other => panic!("{other:?}"),
        };
        assert!((median(&got) / median(&want) - 1.0).abs() < 0.05, "{c:?}");
        let n = c.requests as f64;
        assert!(
            (c.set - set).abs() <= 4.0 * (set * (1.0 - set) / n).sqrt() + 1e-9,
            "{c:?}"
        );
        assert_eq!(c.ttl_s, (ttl > 0).then_some(ttl), "{c:?}");
    }
    // One law over all tenants misses the mix of a hot small-key tenant and
    // a cold large-object one; the classes' mixture follows the curve.
    let with_classes = report.analysis.fit_check.as_ref().unwrap();
    let single = analyze::FittedWorkload {
        classes: None,
        ..w.clone()
    };
    let without = analyze::fit::check(&report.pass, &single, &Options::default()).unwrap();
    assert!(with_classes.mean_abs_difference < 0.02, "{with_classes:?}");
    assert!(
        with_classes.mean_abs_difference < 0.5 * without.mean_abs_difference,
        "classes {} against one law {}",
        with_classes.mean_abs_difference,
        without.mean_abs_difference
    );

    // The command writes the classes, and the scenario it writes is valid
    // and holds them.
    let out = dir.path().join("out");
    let stdout = run_ok(&[
        "analyze",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stdout.contains("class tenant-9"), "{stdout}");
    let csv = std::fs::read_to_string(out.join("fit_classes.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(
        csv.lines().nth(2).unwrap().starts_with("tenant-9,9,"),
        "{csv}"
    );
    let scenario = out.join("workload.toml");
    run_ok(&["validate", scenario.to_str().unwrap()]);
    let text = std::fs::read_to_string(&scenario).unwrap();
    let parsed: toml::Value = toml::from_str(&text).unwrap();
    let classes = parsed["workload"]["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 4);
    assert_eq!(classes[1]["ttl"].as_str(), Some("300s"));
}

#[test]
fn a_single_tenant_trace_gets_no_classes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.lcs");
    let tenants = [
        (4, 0.995, 0.9, 5_000, "1000", 0.0, 0),
        (5, 0.005, 0.9, 500, "1000", 0.0, 0),
    ];
    write_lcs(&path, 3, &tenant_records(&tenants, 100_000)).unwrap();
    let report = analyse(&path, None);
    let w = report.analysis.workload.as_ref().unwrap();
    assert!(w.classes.is_none(), "{:?}", w.classes);
}
