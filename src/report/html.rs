//! `report.html`: one self-contained page per results directory — the
//! scenario or command, the headline numbers, every plot as inline SVG and
//! the result tables — with no script, no style sheet and no address to
//! fetch, so it opens anywhere, offline.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::directory::{caption, read_json, run_title};
use super::figures::{failures_of, sweep::PANEL_METRICS};
use super::plot::short_number;
use super::results::{Metric, Sweep, Table};
use super::{NO_REQUEST, ReportError};
use crate::atomic::write_atomic;
use crate::metrics::Summary;
use crate::metrics::columns::{self, HEADLINE};

/// Text made safe for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:13px}\
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}\
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}\
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}\
figure{margin:1.5em 0}figcaption{font-weight:bold;margin-bottom:.3em}\
svg{max-width:100%;height:auto}.wide{overflow-x:auto}";

/// Plot stems in the order the report shows them; any other SVG follows,
/// by name.
const ORDER: [&str; 9] = [
    "timeseries",
    "breakdown",
    "classes",
    "latency",
    "nodes",
    "tiers",
    "tiers-timeseries",
    "policies",
    "mrc",
];

/// Writes `<dir>/report.html` from the files in `dir`: `scenario.toml` or
/// `run.json`, `summary.json` or `sweep-summary.csv` for the headline
/// numbers, every `*.svg` inline, and the tables of `drive.csv`, `summary.csv`,
/// `nodes.csv`, the failures, `replay.csv`, `mrc.csv`, `sweep-summary.csv`
/// and `sweep.csv`, whichever exist (`tiers.csv` after `nodes.csv`).
/// Returns the path written.
pub fn write_html_report(dir: &Path) -> Result<PathBuf, ReportError> {
    let summary_path = dir.join("summary.json");
    // A simulated run's summary names its scenario; `drive` writes a
    // summary of its own, shown through `drive.csv`.
    let summary = read_json(&summary_path)?.filter(|s| s.get("scenario").is_some());
    let title = run_title(dir, summary.as_ref());
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    for (file, heading) in [("scenario.toml", "Scenario"), ("run.json", "Command")] {
        if let Some(text) = read_text(&dir.join(file))? {
            let _ = write!(
                page,
                "<h2>{heading} <small>({file})</small></h2>\n<pre>{}</pre>\n",
                escape(&text)
            );
            break;
        }
    }
    let sweep_path = dir.join("sweep-summary.csv");
    let sweep = if sweep_path.exists() {
        Some(Sweep::read(&sweep_path)?)
    } else {
        None
    };
    if let Some(summary) = &summary {
        page.push_str(&run_headline(summary, &summary_path)?);
    }
    if let Some(sweep) = &sweep {
        page.push_str(&sweep_headline(sweep)?);
    }
    page.push_str(&figures(dir)?);
    page.push_str(&tables(
        dir,
        summary.as_ref(),
        &summary_path,
        sweep.as_ref(),
    )?);
    page.push_str("</body>\n</html>\n");
    let path = dir.join("report.html");
    write_atomic(&path, page.as_bytes())?;
    Ok(path)
}

fn read_text(path: &Path) -> Result<Option<String>, ReportError> {
    if !path.exists() {
        return Ok(None);
    }
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|source| ReportError::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// How a figure without data reads in the report.
const NO_DATA: &str = "no data";

/// The headline numbers of a run: the [`HEADLINE`] columns of its
/// `summary.json`, "no data" where the window had none.
fn run_headline(summary: &Value, path: &Path) -> Result<String, ReportError> {
    let summary: Summary =
        serde_json::from_value(summary.clone()).map_err(|e| ReportError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let mut html = String::from(
        "<h2>Headline numbers <small>(summary.json, after the warm-up)</small></h2>\n",
    );
    if summary.latency_all.count == 0 {
        let _ = writeln!(
            html,
            "<p><strong>Empty window: {NO_REQUEST}</strong>, so there is no hit ratio and no latency to report (the files leave them empty). A longer duration, a shorter warm-up or a higher request rate gives the window requests.</p>"
        );
    }
    let body: Vec<Vec<String>> = HEADLINE
        .iter()
        .filter_map(|name| columns::column(name))
        .map(|c| {
            let (unit, scale) = c.display_unit();
            let value = (c.value)(&summary).map_or(NO_DATA.to_string(), |v| {
                format!("{} {unit}", short_number(v * scale))
                    .trim_end()
                    .to_string()
            });
            vec![c.label.to_string(), value]
        })
        .collect();
    html.push_str(&html_table(&["measure".into(), "value".into()], &body));
    Ok(html)
}

fn sweep_headline(sweep: &Sweep) -> Result<String, ReportError> {
    let hit = sweep.metric("hit_ratio")?;
    let estimates = sweep.estimates(&hit)?;
    let cell = |i: usize| -> String {
        sweep
            .axes
            .iter()
            .map(|a| {
                let col = sweep
                    .table
                    .headers()
                    .iter()
                    .position(|h| h == a)
                    .unwrap_or(0);
                format!("{a}={}", sweep.table.rows()[i][col])
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Cells without data take no part in the best and the worst.
    let means: Vec<(usize, f64)> = estimates
        .iter()
        .enumerate()
        .filter_map(|(i, e)| Some((i, e.as_ref()?.mean)))
        .collect();
    let extreme = |better: fn(f64, f64) -> bool| {
        means
            .iter()
            .copied()
            .reduce(|best, next| if better(next.1, best.1) { next } else { best })
            .map_or(NO_DATA.to_string(), |(i, mean)| {
                format!("{} ({})", short_number(mean), cell(i))
            })
    };
    let body = vec![
        vec!["sweep axes".into(), sweep.axes.join(", ")],
        vec!["cells".into(), estimates.len().to_string()],
        vec![
            "replications per cell".into(),
            sweep.replications()?.to_string(),
        ],
        vec!["highest hit ratio".into(), extreme(|a, b| a > b)],
        vec!["lowest hit ratio".into(), extreme(|a, b| a < b)],
    ];
    Ok(format!(
        "<h2>Headline numbers <small>(sweep-summary.csv)</small></h2>\n{}",
        html_table(&["measure".into(), "value".into()], &body)
    ))
}

/// An SVG file's markup, ready to sit inside HTML: no XML prolog, no
/// namespace declarations (HTML does not need them, and they are the only
/// addresses plotters writes).
fn inline_svg(markup: &str) -> String {
    let start = markup.find("<svg").unwrap_or(0);
    let mut svg = markup[start..].to_string();
    while let Some(at) = svg.find(" xmlns") {
        let Some(open) = svg[at..].find('"') else {
            break;
        };
        let Some(close) = svg[at + open + 1..].find('"') else {
            break;
        };
        svg.replace_range(at..at + open + close + 2, "");
    }
    svg
}

fn figures(dir: &Path) -> Result<String, ReportError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut stems: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .filter_map(|name| name.strip_suffix(".svg").map(str::to_string))
        .collect();
    let rank = |stem: &String| ORDER.iter().position(|o| o == stem).unwrap_or(ORDER.len());
    stems.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    if stems.is_empty() {
        return Ok(String::new());
    }
    let mut html = String::from("<h2>Plots</h2>\n");
    for stem in stems {
        let path = dir.join(format!("{stem}.svg"));
        let markup = read_text(&path)?.unwrap_or_default();
        let _ = write!(
            html,
            "<figure id=\"{}\">\n<figcaption>{} <small>({}.svg, .png)</small></figcaption>\n{}\n</figure>\n",
            escape(&stem),
            escape(&caption(&stem)),
            escape(&stem),
            inline_svg(&markup)
        );
    }
    Ok(html)
}

/// A CSV field as shown: an empty one is a figure without data.
fn or_no_data(field: &str) -> String {
    if field.is_empty() {
        NO_DATA.to_string()
    } else {
        field.to_string()
    }
}

fn html_table(headers: &[String], rows: &[Vec<String>]) -> String {
    let mut html = String::from("<div class=\"wide\"><table>\n<tr>");
    for h in headers {
        let _ = write!(html, "<th>{}</th>", escape(h));
    }
    html.push_str("</tr>\n");
    for row in rows {
        html.push_str("<tr>");
        for cell in row {
            let _ = write!(html, "<td>{}</td>", escape(cell));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table></div>\n");
    html
}

fn section(title: &str, file: &str, table: &str) -> String {
    format!(
        "<h2>{} <small>({})</small></h2>\n{table}",
        escape(title),
        escape(file)
    )
}

/// A table read whole, one-row tables turned on their side.
fn csv_section(dir: &Path, file: &str, title: &str) -> Result<String, ReportError> {
    let path = dir.join(file);
    if !std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
        return Ok(String::new()); // absent, or empty (a run without cache nodes)
    }
    let table = Table::read(&path)?;
    let html = if table.rows().len() == 1 {
        let rows: Vec<Vec<String>> = table
            .headers()
            .iter()
            .zip(&table.rows()[0])
            .map(|(h, v)| vec![h.clone(), or_no_data(v)])
            .collect();
        html_table(&["column".into(), "value".into()], &rows)
    } else {
        html_table(table.headers(), table.rows())
    };
    Ok(section(title, file, &html))
}

fn tables(
    dir: &Path,
    summary: Option<&Value>,
    summary_path: &Path,
    sweep: Option<&Sweep>,
) -> Result<String, ReportError> {
    let mut html = String::new();
    html.push_str(&csv_section(dir, "drive.csv", "Real server")?);
    html.push_str(&csv_section(dir, "summary.csv", "Summary")?);
    html.push_str(&csv_section(dir, "classes.csv", "Request classes")?);
    html.push_str(&csv_section(dir, "nodes.csv", "Nodes")?);
    html.push_str(&csv_section(dir, "tiers.csv", "Tiers")?);
    html.push_str(&csv_section(
        dir,
        "tier-nodes.csv",
        "Nodes of the tiers above [nodes]",
    )?);
    if let Some(summary) = summary {
        let failures = failures_of(summary, summary_path)?;
        if !failures.is_empty() {
            let optional = |v: Option<f64>| v.map_or("—".to_string(), short_number);
            let headers = [
                "time (s)",
                "action",
                "node",
                "keys moved",
                "db queries/s before",
                "db peak",
                "db raised (s)",
                "hit ratio before",
                "hit ratio min",
                "back to 90% after (s)",
            ]
            .map(String::from);
            let rows: Vec<Vec<String>> = failures
                .iter()
                .map(|f| {
                    vec![
                        short_number(f.time_s),
                        f.action.clone(),
                        f.node.map_or("—".to_string(), |n| n.to_string()),
                        optional(f.keys_moved),
                        short_number(f.db_rps_before),
                        short_number(f.db_rps_peak),
                        short_number(f.db_raised_s),
                        short_number(f.hit_ratio_before),
                        short_number(f.hit_ratio_min),
                        optional(f.recovery_90_s),
                    ]
                })
                .collect();
            html.push_str(&section(
                "Failures",
                "summary.json",
                &html_table(&headers, &rows),
            ));
        }
    }
    html.push_str(&csv_section(dir, "replay.csv", "Replay results")?);
    html.push_str(&csv_section(dir, "mrc.csv", "Miss-ratio curve points")?);
    if let Some(sweep) = sweep {
        html.push_str(&section(
            "Sweep cells",
            "sweep-summary.csv",
            &sweep_table(sweep)?,
        ));
    }
    let runs = dir.join("sweep.csv");
    if runs.exists() {
        html.push_str(&section(
            "Sweep runs",
            "sweep.csv",
            &runs_table(&Table::read(&runs)?)?,
        ));
    }
    Ok(html)
}

/// The sweep summary with its axes and the main metrics as
/// "mean [low, high]".
fn sweep_table(sweep: &Sweep) -> Result<String, ReportError> {
    let metrics: Vec<Metric> = PANEL_METRICS
        .iter()
        .map(|m| sweep.metric(m))
        .collect::<Result<_, _>>()?;
    let mut headers = sweep.axes.clone();
    headers.push("replications".into());
    headers.extend(metrics.iter().map(|m| format!("{} [95% CI]", m.label)));
    let estimates = metrics
        .iter()
        .map(|m| sweep.estimates(m))
        .collect::<Result<Vec<_>, _>>()?;
    let mut keep = Vec::new();
    for name in sweep
        .axes
        .iter()
        .chain(std::iter::once(&"replications".to_string()))
    {
        keep.push(sweep.table.column(name)?);
    }
    let rows = sweep
        .table
        .rows()
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut cells: Vec<String> = keep.iter().map(|&c| row[c].clone()).collect();
            cells.extend(estimates.iter().map(|e| {
                e[i].map_or(NO_DATA.to_string(), |e| {
                    format!(
                        "{} [{}, {}]",
                        short_number(e.mean),
                        short_number(e.low),
                        short_number(e.high)
                    )
                })
            }));
            cells
        })
        .collect::<Vec<_>>();
    Ok(html_table(&headers, &rows))
}

/// `sweep.csv` with the axes, the replication, the seed and the main metrics.
fn runs_table(table: &Table) -> Result<String, ReportError> {
    let axes_end = table.column("replication")?;
    let mut names: Vec<String> = table.headers()[..=axes_end].to_vec();
    names.extend(
        [
            "seed",
            "hit_ratio",
            "db_rps",
            "latency_all_p99_ns",
            "timeouts",
            "errors",
        ]
        .into_iter()
        .filter(|n| table.has(n))
        .map(String::from),
    );
    let columns = names
        .iter()
        .map(|n| table.column(n))
        .collect::<Result<Vec<_>, _>>()?;
    let rows: Vec<Vec<String>> = table
        .rows()
        .iter()
        .map(|row| columns.iter().map(|&c| or_no_data(&row[c])).collect())
        .collect();
    Ok(html_table(&names, &rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;"
        );
    }

    #[test]
    fn svg_loses_prolog_and_namespaces() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"10\" xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" height=\"5\"><text>x</text></svg>";
        assert_eq!(
            inline_svg(svg),
            "<svg width=\"10\" height=\"5\"><text>x</text></svg>"
        );
    }
}
