//! Plain-text tables for the terminal, and the policy registry as text
//! and as the README's Markdown table.

use crate::metrics::CellResult;
use crate::policy::{FILTERS, POLICIES, ParamKind, ParamSpec};
use crate::units::format_bytes;

/// A ratio to four places, or "no data".
fn ratio(value: Option<f64>) -> String {
    value.map_or("no data".to_string(), |r| format!("{r:.4}"))
}

/// A fixed-width table of replay results, one row per cell.
pub fn replay_table(rows: &[CellResult], sizes_are_bytes: bool) -> String {
    let header = [
        "policy",
        "cache size",
        "requests",
        "misses",
        "miss ratio",
        "byte miss",
        "M req/s",
    ];
    let body: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.policy.clone(),
                if sizes_are_bytes {
                    format_bytes(r.cache_size)
                } else {
                    format!("{} objects", r.cache_size)
                },
                r.requests.to_string(),
                r.misses.to_string(),
                ratio(r.miss_ratio),
                ratio(r.byte_miss_ratio),
                r.throughput_rps
                    .map_or("-".to_string(), |rps| format!("{:.2}", rps / 1e6)),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &body {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let line = |cells: &[&str], out: &mut String| {
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i == 0 {
                out.push_str(&format!("{cell:<w$}"));
            } else {
                out.push_str(&format!("  {cell:>w$}"));
            }
        }
        out.push('\n');
    };
    line(&header, &mut out);
    for row in &body {
        line(
            &row.iter().map(String::as_str).collect::<Vec<_>>(),
            &mut out,
        );
    }
    out
}

/// The registry as a Markdown table, for the README.
pub fn policies_markdown() -> String {
    let mut out = String::from(
        "| policy | what it does | parameters (defaults) | follows |\n|---|---|---|---|\n",
    );
    for spec in POLICIES {
        markdown_row(&mut out, spec.name, spec.about, spec.params, spec.source);
    }
    out.push_str(
        "\nAdmission filters, written after any policy: `POLICY[:params]+FILTER[:params]` \
         (`lru+bloom`, `s3fifo+adaptsize`, `lru+size:c=65536`).\n\n\
         | filter | what it does | parameters (defaults) | follows |\n|---|---|---|---|\n",
    );
    for spec in FILTERS {
        markdown_row(&mut out, spec.name, spec.about, spec.params, spec.source);
    }
    out
}

fn markdown_row(out: &mut String, name: &str, about: &str, params: &[ParamSpec], source: &str) {
    let params: Vec<String> = params
        .iter()
        .map(|p| format!("`{}={}`", p.name, param_default(p)))
        .collect();
    out.push_str(&format!(
        "| `{name}` | {about} | {} | {source} |\n",
        if params.is_empty() {
            "—".to_string()
        } else {
            params.join(", ")
        },
    ));
}

fn param_default(p: &ParamSpec) -> String {
    match p.kind {
        ParamKind::Bool => (p.default != 0.0).to_string(),
        _ => p.default.to_string(),
    }
}

/// The registry as a table: name, parameters with defaults, description, source.
pub fn policies_table() -> String {
    let mut out = String::new();
    for spec in POLICIES {
        text_entry(&mut out, spec.name, spec.about, spec.params, spec.source);
    }
    out.push_str("\nadmission filters (POLICY[:params]+FILTER[:params], e.g. lru+bloom):\n");
    for spec in FILTERS {
        text_entry(&mut out, spec.name, spec.about, spec.params, spec.source);
    }
    out
}

fn text_entry(out: &mut String, name: &str, about: &str, params: &[ParamSpec], source: &str) {
    out.push_str(&format!("{name:<18} {about}\n"));
    out.push_str(&format!("{:<18} source: {source}\n", ""));
    for p in params {
        out.push_str(&format!(
            "{:<18} {}={} — {}\n",
            "",
            p.name,
            param_default(p),
            p.about
        ));
    }
}
