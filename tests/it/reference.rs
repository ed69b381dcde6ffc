//! `results/reference/` holds the result directories the README shows.
//! They must be what the current code writes: each CSV in them has the
//! columns the binary writes today, and `cachelab plot` redraws their
//! plots from them (regenerate a directory with the command in its
//! `run.json`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{cachelab, files_below};

fn header(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().next().unwrap_or_default().to_string()
}

/// The header of each CSV kind, as the current binary writes it on a small
/// stream.
fn written_headers(dir: &Path) -> BTreeMap<String, String> {
    let workload = "zipf:alpha=0.9,keys=1000,requests=10000";
    let commands: [&[&str]; 2] = [
        &["mrc", "--workload", workload, "--points", "2"],
        &["replay", "--workload", workload, "--size", "10%"],
    ];
    let mut headers = BTreeMap::new();
    for (i, args) in commands.iter().enumerate() {
        let out = dir.join(i.to_string());
        let mut all = args.to_vec();
        all.extend_from_slice(&["--out", out.to_str().unwrap()]);
        let output = cachelab(&all);
        assert!(output.status.success(), "{args:?}: {output:?}");
        for file in files_below(&out) {
            if file.extension().is_some_and(|e| e == "csv") {
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                headers.insert(name, header(&file));
            }
        }
    }
    headers
}

#[test]
fn reference_csvs_have_the_columns_the_code_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/reference");
    let scratch = tempfile::tempdir().unwrap();
    let written = written_headers(scratch.path());
    let mut checked = 0;
    for file in files_below(&root) {
        if file.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        let name = file.file_name().unwrap().to_string_lossy();
        let expected = written.get(name.as_ref()).unwrap_or_else(|| {
            panic!(
                "{}: no command here writes a {name} to compare it with; add one to written_headers",
                file.display()
            )
        });
        assert_eq!(
            &header(&file),
            expected,
            "{}: columns differ from what cachelab writes today; regenerate it with the command in its run.json",
            file.display()
        );
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} reference CSVs found");
}

#[test]
fn reference_plots_redraw_from_their_csvs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/reference");
    let scratch = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let has_csv = files_below(&dir)
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "csv"));
        if !has_csv {
            continue; // a scenario's pictures only, drawn by `cachelab run`
        }
        let copy = scratch.path().join(dir.file_name().unwrap());
        std::fs::create_dir(&copy).unwrap();
        let mut plots = Vec::new();
        for file in files_below(&dir) {
            let name = file.file_name().unwrap();
            if file.extension().is_some_and(|e| e == "png" || e == "svg") {
                plots.push(name.to_owned());
            } else {
                std::fs::copy(&file, copy.join(name)).unwrap();
            }
        }
        let output = cachelab(&["plot", copy.to_str().unwrap()]);
        assert!(output.status.success(), "{}: {output:?}", dir.display());
        for plot in plots {
            assert!(
                copy.join(&plot).exists(),
                "{}: `cachelab plot` did not redraw {}",
                dir.display(),
                plot.to_string_lossy()
            );
        }
    }
}
