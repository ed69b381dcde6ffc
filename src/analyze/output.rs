//! An analysis on disk and on the terminal: `analysis.json`, tidy CSVs
//! (one observation per row), `workload.toml`, and plots drawn from the
//! same rows: rank-frequency with the fitted line, request rate over time,
//! size CDFs, reuse-distance and reuse-time CDFs, and the two miss-ratio
//! curves of the fit check. Every file is written whole.

use std::path::{Path, PathBuf};

use plotters::prelude::SeriesLabelPosition;

use super::Report;
use super::hist::LogHistogram;
use super::zipf;
use crate::replay::log_spaced;
use crate::report::plot::{LineChart, SIZE, Series, stacked_size, write_figure};
use crate::report::{ReportError, write_atomic, write_json, write_records};

/// Ranks shown in `rank_frequency.csv` and its plot (log-spaced).
const RANK_POINTS: usize = 400;

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(ToString::to_string).collect()
}

/// (rank, observed count, fitted count) at log-spaced ranks.
fn rank_rows(report: &Report) -> Vec<(u64, u32, f64)> {
    let n = report.counts.len() as u64;
    let Some(fit) = report.analysis.zipf else {
        return Vec::new();
    };
    log_spaced(1, n.max(1), RANK_POINTS)
        .into_iter()
        .filter(|&r| r >= 1 && r <= n)
        .map(|r| {
            let fitted = zipf::expected_count(&fit, r, report.analysis.requests);
            (r, report.counts[r as usize - 1], fitted)
        })
        .collect()
}

fn cdf_rows(name: &str, h: &LogHistogram, rows: &mut Vec<Vec<String>>) {
    for (value, share) in h.cdf() {
        rows.push(vec![name.to_string(), value.to_string(), share.to_string()]);
    }
}

/// Writes every file of the analysis into `dir`; returns them.
pub fn write(report: &Report, dir: &Path, name: &str) -> Result<Vec<PathBuf>, ReportError> {
    let a = &report.analysis;
    let pass = &report.pass;
    let mut files = Vec::new();
    let mut put = |file: &str| {
        let path = dir.join(file);
        files.push(path.clone());
        path
    };
    write_json(&put("analysis.json"), a)?;
    let summary = [
        ("requests", a.requests.to_string()),
        ("objects", a.objects.to_string()),
        ("request_bytes", a.request_bytes.to_string()),
        ("object_bytes", a.object_bytes.to_string()),
        ("compulsory_miss_ratio", a.compulsory_miss_ratio.to_string()),
        (
            "compulsory_byte_miss_ratio",
            a.compulsory_byte_miss_ratio.to_string(),
        ),
        ("one_hit_objects", a.one_hit_objects.to_string()),
        ("one_hit_share", a.one_hit_share.to_string()),
        ("mean_frequency", a.mean_frequency.to_string()),
        ("max_count", a.max_count.to_string()),
        (
            "zipf_alpha",
            a.zipf.map_or(String::new(), |z| z.alpha.to_string()),
        ),
        (
            "zipf_ks_distance",
            a.zipf.map_or(String::new(), |z| z.ks_distance.to_string()),
        ),
        (
            "fit_mrc_mean_abs_difference",
            a.fit_check
                .as_ref()
                .map_or(String::new(), |c| c.mean_abs_difference.to_string()),
        ),
    ];
    let rows: Vec<Vec<String>> = summary
        .iter()
        .map(|(k, v)| vec![k.to_string(), v.clone()])
        .collect();
    write_records(&put("summary.csv"), &headers(&["metric", "value"]), &rows)?;

    let mut frequency: Vec<(u32, u64)> = Vec::new();
    for &c in report.counts.iter().rev() {
        match frequency.last_mut() {
            Some((count, objects)) if *count == c => *objects += 1,
            _ => frequency.push((c, 1)),
        }
    }
    let rows: Vec<Vec<String>> = frequency
        .iter()
        .map(|(c, o)| vec![c.to_string(), o.to_string()])
        .collect();
    write_records(
        &put("frequency.csv"),
        &headers(&["requests_per_object", "objects"]),
        &rows,
    )?;

    let ranks = rank_rows(report);
    let rows: Vec<Vec<String>> = ranks
        .iter()
        .map(|(r, c, f)| vec![r.to_string(), c.to_string(), f.to_string()])
        .collect();
    write_records(
        &put("rank_frequency.csv"),
        &headers(&["rank", "requests", "zipf_fitted"]),
        &rows,
    )?;

    let mut rows = Vec::new();
    cdf_rows("requests", &pass.sizes_by_request, &mut rows);
    cdf_rows("objects", &pass.sizes_by_object, &mut rows);
    write_records(
        &put("sizes.csv"),
        &headers(&["weight", "size_bytes", "cdf"]),
        &rows,
    )?;

    let mut rows = Vec::new();
    cdf_rows("distance_objects", &pass.reuse_distance, &mut rows);
    cdf_rows("time_s", &pass.reuse_time, &mut rows);
    write_records(
        &put("reuse.csv"),
        &headers(&["measure", "value", "cdf"]),
        &rows,
    )?;

    let interval = pass.rate.interval_s;
    let rate: Vec<(f64, f64)> = if a.time.is_some() {
        pass.rate
            .counts
            .iter()
            .enumerate()
            .map(|(i, &n)| ((i as u64 * interval) as f64, n as f64 / interval as f64))
            .collect()
    } else {
        Vec::new()
    };
    let rows: Vec<Vec<String>> = rate
        .iter()
        .map(|(t, r)| vec![t.to_string(), interval.to_string(), r.to_string()])
        .collect();
    write_records(
        &put("rate.csv"),
        &headers(&["time_s", "interval_s", "requests_per_s"]),
        &rows,
    )?;

    let mut rows = Vec::new();
    for (kind, list) in [
        ("operation", &a.operations),
        ("ttl_s", &a.ttls.top),
        ("tenant", &a.tenants.top),
    ] {
        for s in list {
            rows.push(vec![
                kind.to_string(),
                s.value.clone(),
                s.requests.to_string(),
                s.share.to_string(),
            ]);
        }
    }
    write_records(
        &put("mix.csv"),
        &headers(&["kind", "value", "requests", "share"]),
        &rows,
    )?;

    if let (Some(check), Some(workload)) = (&a.fit_check, &a.workload) {
        let mut rows = Vec::new();
        for (i, size) in check.sizes.iter().enumerate() {
            rows.push(vec![
                "trace".to_string(),
                size.to_string(),
                check.trace_miss_ratio[i].to_string(),
            ]);
            rows.push(vec![
                "fitted".to_string(),
                size.to_string(),
                check.fitted_miss_ratio[i].to_string(),
            ]);
        }
        write_records(
            &put("mrc_fit.csv"),
            &headers(&["source", "cache_bytes", "lru_miss_ratio"]),
            &rows,
        )?;
        if let Some(classes) = &workload.classes {
            write_records(
                &put("fit_classes.csv"),
                &headers(&[
                    "class",
                    "tenant",
                    "share",
                    "requests",
                    "keys",
                    "alpha",
                    "ks_distance",
                    "object_size",
                    "get",
                    "set",
                    "delete",
                    "ttl_s",
                    "ttl_share",
                ]),
                &classes.classes.iter().map(class_row).collect::<Vec<_>>(),
            )?;
        }
        let toml = workload.scenario_toml(name, a.zipf.as_ref(), check);
        let path = put("workload.toml");
        write_atomic(&path, toml.as_bytes())?;
    }
    files.extend(plots(report, &ranks, &rate, dir)?);
    Ok(files)
}

/// One fitted class as a row of `fit_classes.csv`.
fn class_row(c: &crate::analyze::classes::FittedClass) -> Vec<String> {
    let optional = |v: Option<u32>| v.map_or(String::new(), |v| v.to_string());
    vec![
        c.name.clone(),
        optional(c.tenant),
        c.share.to_string(),
        c.requests.to_string(),
        c.keys.to_string(),
        c.alpha.to_string(),
        c.ks_distance.to_string(),
        c.object_size.clone(),
        c.get.to_string(),
        c.set.to_string(),
        c.delete.to_string(),
        optional(c.ttl_s),
        c.ttl_share.to_string(),
    ]
}

fn line_chart(title: &str, x: &str, y: &str, log_x: bool, log_y: bool) -> LineChart {
    let mut chart = LineChart::new(title, x, y);
    chart.log_x = log_x;
    chart.log_y = log_y;
    chart
}

fn cdf_points(h: &LogHistogram, shift: u64) -> Vec<(f64, f64)> {
    h.cdf()
        .into_iter()
        .map(|(v, share)| ((v + shift) as f64, share))
        .collect()
}

/// Draws the plots; returns the files.
fn plots(
    report: &Report,
    ranks: &[(u64, u32, f64)],
    rate: &[(f64, f64)],
    dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    let a = &report.analysis;
    let pass = &report.pass;
    let mut files = Vec::new();
    let mut draw = |stem: &str, charts: &[LineChart]| -> Result<(), ReportError> {
        let path = dir.join(stem);
        let size = if charts.len() > 1 {
            stacked_size(charts.len())
        } else {
            SIZE
        };
        write_figure(charts, &path, size)?;
        files.push(path.with_extension("png"));
        files.push(path.with_extension("svg"));
        Ok(())
    };
    if let Some(fit) = a.zipf {
        let mut chart = line_chart(
            "Rank-frequency, with the Zipf fit",
            "Rank (by requests)",
            "Requests",
            true,
            true,
        );
        chart.legend = SeriesLabelPosition::UpperRight;
        chart.series.push(Series::new(
            "trace",
            ranks
                .iter()
                .map(|&(r, c, _)| (r as f64, f64::from(c)))
                .collect(),
        ));
        chart.series.push(Series::new(
            format!("Zipf alpha {:.3} (KS {:.3})", fit.alpha, fit.ks_distance),
            ranks.iter().map(|&(r, _, f)| (r as f64, f)).collect(),
        ));
        draw("rank_frequency", &[chart])?;
    }
    if !rate.is_empty() {
        let mut chart = line_chart(
            &format!("Request rate ({} s intervals)", report.pass.rate.interval_s),
            "Time since the first request (s)",
            "Requests per second",
            false,
            false,
        );
        chart.series.push(Series::new("rate", rate.to_vec()));
        draw("rate", &[chart])?;
    }
    let mut sizes = line_chart(
        "Object sizes",
        "Size (bytes)",
        "Cumulative share",
        true,
        false,
    );
    sizes.series.push(Series::new(
        "by requests",
        cdf_points(&pass.sizes_by_request, 0),
    ));
    sizes.series.push(Series::new(
        "by objects",
        cdf_points(&pass.sizes_by_object, 0),
    ));
    draw("size_cdf", &[sizes])?;
    if pass.reuse_distance.total() > 0 {
        let mut distance = line_chart(
            "Reuse distance of re-requests",
            "Reuse distance + 1 (distinct objects, the LRU stack distance)",
            "Cumulative share",
            true,
            false,
        );
        distance
            .series
            .push(Series::new("distance", cdf_points(&pass.reuse_distance, 1)));
        let mut time = line_chart(
            "Reuse time of re-requests",
            "Reuse time + 1 (seconds)",
            "Cumulative share",
            true,
            false,
        );
        time.series
            .push(Series::new("time", cdf_points(&pass.reuse_time, 1)));
        draw("reuse_cdf", &[distance, time])?;
    }
    if let Some(check) = &a.fit_check {
        let mut chart = line_chart(
            &format!(
                "LRU miss ratio: trace vs fitted workload (mean gap {:.4})",
                check.mean_abs_difference
            ),
            "Cache size (bytes)",
            "Miss ratio",
            true,
            false,
        );
        chart.legend = SeriesLabelPosition::UpperRight;
        let points = |ys: &[f64]| -> Vec<(f64, f64)> {
            check
                .sizes
                .iter()
                .zip(ys)
                .map(|(&s, &y)| (s as f64, y))
                .collect()
        };
        chart
            .series
            .push(Series::new("trace", points(&check.trace_miss_ratio)));
        chart.series.push(Series::new(
            "fitted workload",
            points(&check.fitted_miss_ratio),
        ));
        draw("mrc_fit", &[chart])?;
    }
    Ok(files)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The terminal summary: the answer first, then a short table.
pub fn table(report: &Report) -> String {
    let a = &report.analysis;
    let mut out = format!(
        "{}: {} requests to {} objects; an infinite cache still misses {:.4} of requests ({:.4} of bytes).\n",
        a.trace,
        thousands(a.requests),
        thousands(a.objects),
        a.compulsory_miss_ratio,
        a.compulsory_byte_miss_ratio
    );
    if let (Some(z), Some(c)) = (a.zipf, &a.fit_check) {
        out += &format!(
            "Zipf alpha {:.4} (KS distance {:.4}); the fitted workload's LRU miss ratio is within {:.4} of the trace's on average (max {:.4}).\n",
            z.alpha, z.ks_distance, c.mean_abs_difference, c.max_abs_difference
        );
    }
    let mut rows: Vec<(String, String)> = vec![
        (
            "bytes requested / unique".into(),
            format!(
                "{} / {}",
                thousands(a.request_bytes),
                thousands(a.object_bytes)
            ),
        ),
        (
            "objects requested once, twice".into(),
            format!(
                "{} ({:.1}%), {} ({:.1}%)",
                thousands(a.one_hit_objects),
                100.0 * a.one_hit_share,
                thousands(a.frequency[1].objects),
                100.0 * a.frequency[1].share
            ),
        ),
        (
            "requests per object: mean, max".into(),
            format!(
                "{:.2}, {}",
                a.mean_frequency,
                thousands(u64::from(a.max_count))
            ),
        ),
        (
            "hottest objects' requests".into(),
            a.hottest
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        (
            "size: min, median (req / obj), max".into(),
            format!(
                "{}, {} / {}, {}",
                a.sizes.min,
                a.sizes.percentiles_by_request[0].round(),
                a.sizes.percentiles_by_object[0].round(),
                a.sizes.max
            ),
        ),
        (
            "operations".into(),
            a.operations
                .iter()
                .map(|s| format!("{} {:.1}%", s.value, 100.0 * s.share))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "TTLs (s)".into(),
            a.ttls
                .top
                .iter()
                .take(4)
                .map(|s| format!("{} {:.1}%", s.value, 100.0 * s.share))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "tenants / clients".into(),
            format!("{} distinct", a.tenants.distinct),
        ),
        (
            "reuse distance p50 / p90 / p99".into(),
            format!(
                "{:.0} / {:.0} / {:.0} objects",
                a.reuse.distance_percentiles[0],
                a.reuse.distance_percentiles[1],
                a.reuse.distance_percentiles[2]
            ),
        ),
    ];
    if let Some(t) = &a.time {
        rows.push((
            "span, mean rate, peak rate".into(),
            format!(
                "{:.0} s, {:.1} req/s, {:.1} req/s ({} s intervals)",
                t.span_s, t.mean_rate_rps, t.peak_rate_rps, t.interval_s
            ),
        ));
        rows.push((
            "reuse time p50 / p90 / p99".into(),
            format!(
                "{:.0} / {:.0} / {:.0} s",
                a.reuse.time_percentiles_s[0],
                a.reuse.time_percentiles_s[1],
                a.reuse.time_percentiles_s[2]
            ),
        ));
    }
    if let Some(w) = &a.workload {
        rows.push((
            "fitted workload".into(),
            format!(
                "zipf alpha={} keys={} object_size={} get={} set={} delete={}",
                w.alpha, w.keys, w.object_size, w.get, w.set, w.delete
            ),
        ));
        for c in w.classes.iter().flat_map(|c| &c.classes) {
            rows.push((
                format!("  class {}", c.name),
                format!(
                    "share={:.4} zipf alpha={} keys={} object_size={} get={} set={} delete={}{}",
                    c.share,
                    c.alpha,
                    c.keys,
                    c.object_size,
                    c.get,
                    c.set,
                    c.delete,
                    c.ttl_s.map_or(String::new(), |t| format!(" ttl={t}s"))
                ),
            ));
        }
    }
    if let Some(h) = &a.lcs_header {
        let s = &h.stats;
        rows.push((
            "lcs header".into(),
            format!(
                "v{}: {} requests, {} objects, {} / {} bytes, time {}..{}, read/write/delete {}/{}/{}",
                h.version,
                s.n_req,
                s.n_obj,
                s.n_req_byte,
                s.n_obj_byte,
                s.start_timestamp,
                s.end_timestamp,
                s.n_read,
                s.n_write,
                s.n_delete
            ),
        ));
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in rows {
        out += &format!("  {k:<width$}  {v}\n");
    }
    out
}
