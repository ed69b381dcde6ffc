//! Plain-text tables for the terminal, and the policy registry as text
//! and as the README's Markdown table.

use crate::metrics::CellResult;
use crate::policy::{POLICIES, ParamKind, ParamSpec};
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
        let params: Vec<String> = spec
            .params
            .iter()
            .map(|p| format!("`{}={}`", p.name, param_default(p)))
            .collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            spec.name,
            spec.about,
            if params.is_empty() {
                "—".to_string()
            } else {
                params.join(", ")
            },
            spec.source
        ));
    }
    out
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
        out.push_str(&format!("{:<18} {}\n", spec.name, spec.about));
        out.push_str(&format!("{:<18} source: {}\n", "", spec.source));
        for p in spec.params {
            let default = match p.kind {
                ParamKind::Bool => (p.default != 0.0).to_string(),
                _ => p.default.to_string(),
            };
            out.push_str(&format!(
                "{:<18} {}={} — {}\n",
                "", p.name, default, p.about
            ));
        }
    }
    out
}
