//! No back-edges between modules: a module of the library uses only its own
//! layer and the layers below it. The test reads every `src/**/*.rs`,
//! collects the `crate::<module>` paths outside comments, literals and
//! `#[cfg(test)]` code, and names each file that reaches upwards.

use std::path::{Path, PathBuf};

/// The layers, bottom first, each with why it sits there. A module may use
/// the modules of its own layer and of the layers below.
const LAYERS: &[(&[&str], &str)] = &[
    (
        &["units", "seed", "suggest", "spec", "atomic", "fault"],
        "utilities and vocabulary that know nothing of caches: sizes, seeds, names, spec strings, whole-file writes, failure kinds",
    ),
    (
        &["request"],
        "the request and the stream trait that every source produces and every engine reads",
    ),
    (
        &["trace", "workload"],
        "request sources: trace files and synthetic generators",
    ),
    (
        &["policy"],
        "eviction policies, shown requests, counting nothing",
    ),
    (
        &["sim"],
        "the discrete-event engine and its distributions, which know no cache",
    ),
    (
        &["metrics"],
        "what runs measure, as rows and summaries the engines fill in",
    ),
    (
        &["replay", "mrc", "theory"],
        "single-cache engines and the analytical models, producing metrics rows",
    ),
    (
        &["report"],
        "results on disk: CSV, JSON, plots and tables drawn from metrics rows",
    ),
    (
        &["analyze"],
        "a trace characterised and a workload fitted to it, checked with the LRU curve and written as results",
    ),
    (
        &["drive"],
        "real servers driven with a replay's stream, measured from outside",
    ),
    (
        &["scenario"],
        "the scenario file turned into validated, typed configuration",
    ),
    (&["cluster"], "the modelled cache tier, run from a scenario"),
    (
        &["check"],
        "the output checker, which observes a run's outputs against its scenario from outside",
    ),
    (&["cli"], "the commands: parse, call the library, print"),
];

/// The layer of a top-level module, or `None` when the table lacks it.
fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(modules, _)| modules.contains(&module))
}

/// One `crate::<to>` path in `file` (at `line`), used by module `from`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    file: String,
    line: usize,
    from: String,
    to: String,
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The source with comments and string and character literals blanked out
/// (newlines kept, so offsets keep their line), so that a `crate::` in a doc
/// link or a message is not taken for a use.
fn code_only(text: &str) -> Vec<char> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = chars.clone();
    let blank = |out: &mut Vec<char>, from: usize, to: usize| {
        for c in &mut out[from..to.min(chars.len())] {
            if *c != '\n' {
                *c = ' ';
            }
        }
    };
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let next = chars.get(i + 1).copied();
        let after_ident = i > 0 && ident(chars[i - 1]);
        if chars[i] == '/' && next == Some('/') {
            let end = chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if chars[i] == '/' && next == Some('*') {
            let (mut depth, mut j) = (1, i + 2);
            while j < chars.len() && depth > 0 {
                if chars[j] == '/' && chars.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 1;
                } else if chars[j] == '*' && chars.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 1;
                }
                j += 1;
            }
            blank(&mut out, i, j);
            i = j;
        } else if chars[i] == 'r' && !after_ident && matches!(next, Some('"' | '#')) {
            let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                i += 1;
                continue;
            }
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let mut j = i + 2 + hashes;
            while j < chars.len() && !chars[j..].starts_with(&close) {
                j += 1;
            }
            blank(&mut out, i, j + close.len());
            i = j + close.len();
        } else if chars[i] == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            blank(&mut out, i, j + 1);
            i = j + 1;
        } else if chars[i] == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '\'' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            blank(&mut out, i, j + 1);
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// `code` with every item under `#[cfg(test)]` blanked out: up to the end
/// of its `;`, or of the braces that open first.
fn without_tests(mut code: Vec<char>) -> Vec<char> {
    let marker: Vec<char> = "#[cfg(test)]".chars().collect();
    let mut i = 0;
    while i + marker.len() <= code.len() {
        if !code[i..].starts_with(&marker) {
            i += 1;
            continue;
        }
        let mut j = i + marker.len();
        while j < code.len() && !matches!(code[j], '{' | ';') {
            j += 1;
        }
        if j < code.len() && code[j] == '{' {
            let mut depth = 0;
            while j < code.len() {
                match code[j] {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                j += 1;
            }
        }
        let end = (j + 1).min(code.len());
        for c in &mut code[i..end] {
            if *c != '\n' {
                *c = ' ';
            }
        }
        i = j;
    }
    code
}

/// The top-level modules `code` names after `crate::`, with the line of
/// each: `crate::trace::Trace` and each name of `crate::{trace, units::x}`.
fn crate_paths(code: &[char]) -> Vec<(usize, String)> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let word = |from: usize| -> String {
        code[from..]
            .iter()
            .skip_while(|c| c.is_whitespace())
            .take_while(|&&c| ident(c))
            .collect()
    };
    let marker: Vec<char> = "crate::".chars().collect();
    let mut found = Vec::new();
    for i in 0..code.len() {
        if !code[i..].starts_with(&marker) || (i > 0 && (ident(code[i - 1]) || code[i - 1] == '$'))
        {
            continue;
        }
        let line = 1 + code[..i].iter().filter(|&&c| c == '\n').count();
        let mut j = i + marker.len();
        while code.get(j).is_some_and(|c| c.is_whitespace()) {
            j += 1;
        }
        if code.get(j) != Some(&'{') {
            found.push((line, word(j)));
            continue;
        }
        // A group: the first name of each comma-separated entry at depth 1.
        let mut depth = 0;
        let mut expect_name = true;
        while j < code.len() {
            match code[j] {
                '{' => {
                    depth += 1;
                    expect_name = depth == 1;
                }
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ',' if depth == 1 => expect_name = true,
                c if expect_name && ident(c) => {
                    found.push((line, word(j)));
                    expect_name = false;
                }
                _ => {}
            }
            j += 1;
        }
    }
    found
}

/// The edges between different top-level modules in the file `path`
/// (shown as `shown`) whose module is `from`.
fn edges_of(shown: &str, from: &str, text: &str) -> Vec<Edge> {
    crate_paths(&without_tests(code_only(text)))
        .into_iter()
        .filter(|(_, to)| to != from && to != "self")
        .map(|(line, to)| Edge {
            file: shown.to_string(),
            line,
            from: from.to_string(),
            to,
        })
        .collect()
}

/// Every edge between top-level modules of the library.
fn library_edges() -> Vec<Edge> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges = Vec::new();
    for path in rust_files(&src) {
        let relative = path.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap();
        let module = first.as_os_str().to_string_lossy();
        let module = module.trim_end_matches(".rs");
        if module == "lib" || module == "main" {
            continue;
        }
        let shown = format!("src/{}", relative.display());
        edges.extend(edges_of(
            &shown,
            module,
            &std::fs::read_to_string(&path).unwrap(),
        ));
    }
    edges
}

/// The upward edges among `edges`, each described; unknown modules too.
fn violations(edges: &[Edge]) -> Vec<String> {
    let mut problems = Vec::new();
    for edge in edges {
        let (Some(from), Some(to)) = (layer_of(&edge.from), layer_of(&edge.to)) else {
            problems.push(format!(
                "{}:{}: `{}` or `{}` is in no layer of LAYERS; add it where it belongs",
                edge.file, edge.line, edge.from, edge.to
            ));
            continue;
        };
        if to > from {
            problems.push(format!(
                "{}:{}: {} ({}) uses crate::{}, a layer above it ({})",
                edge.file, edge.line, edge.from, LAYERS[from].1, edge.to, LAYERS[to].1
            ));
        }
    }
    problems
}

#[test]
fn no_module_uses_a_layer_above_it() {
    let edges = library_edges();
    let problems = violations(&edges);
    assert!(problems.is_empty(), "back-edges:\n{}", problems.join("\n"));
}

#[test]
fn every_module_of_the_library_has_a_layer() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let module = name.trim_end_matches(".rs");
        if module != "lib" && module != "main" {
            assert!(
                layer_of(module).is_some(),
                "src/{name} is in no layer of LAYERS"
            );
        }
    }
}

#[test]
fn the_scan_sees_uses_and_skips_comments_literals_and_tests() {
    let text = r##"
//! Links to [`crate::cli`] do not count.
use crate::{request::Request, units};
use crate::report::table;
/* crate::cli */
const A: &str = "crate::cli";
const B: &str = r#"crate::cli"#;
const C: char = '{';
fn f<'a>(x: &'a str) -> &'a str { crate::sim::now(); x }
#[cfg(test)]
mod tests {
    use crate::cli;
}
#[cfg(test)]
use crate::cluster::Thing;
"##;
    let edges = edges_of("src/policy/x.rs", "policy", text);
    let found: Vec<(usize, &str)> = edges.iter().map(|e| (e.line, e.to.as_str())).collect();
    assert_eq!(
        found,
        [(3, "request"), (3, "units"), (4, "report"), (9, "sim")]
    );
    let problems = violations(&edges);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("src/policy/x.rs:4: policy ("));
    assert!(problems[0].contains("uses crate::report"));
    assert!(problems[1].contains("uses crate::sim"));
}
