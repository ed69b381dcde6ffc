//! The lists a policy must be on, kept complete. Adding a policy is three
//! edits (its file, one registry line, one golden row) and the README table
//! is generated; these checks name the policy and the edit that is missing.

use crate::{conformance, golden};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cachelab::policy::POLICIES;

fn policy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/policy")
}

/// Every policy file: the `.rs` files of `src/policy` and
/// `src/policy/adapters`, but not the modules that hold no policy.
fn policy_files() -> Vec<PathBuf> {
    let dir = policy_dir();
    let mut files = Vec::new();
    for folder in [dir.clone(), dir.join("adapters")] {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_str().unwrap();
            let is_policy =
                path.extension().is_some_and(|e| e == "rs") && !["mod", "registry"].contains(&stem);
            if is_policy {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn shown(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn every_policy_file_is_registered_and_every_policy_has_its_file() {
    let files = policy_files();
    let names: BTreeSet<&str> = POLICIES.iter().map(|spec| spec.name).collect();
    let mut problems = Vec::new();
    for path in &files {
        let stem = path.file_stem().unwrap().to_str().unwrap();
        if !names.contains(stem) {
            problems.push(format!(
                "{} is not registered: add `{stem}::SPEC` to POLICIES in src/policy/registry.rs",
                shown(path)
            ));
        }
        let text = std::fs::read_to_string(path).unwrap();
        if !text.starts_with("//! ") {
            problems.push(format!(
                "{} does not open with its `//!` paragraph",
                shown(path)
            ));
        }
    }
    let stems: BTreeSet<&str> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_str().unwrap())
        .collect();
    for name in names.iter().filter(|name| !stems.contains(*name)) {
        problems.push(format!(
            "policy `{name}` has no file src/policy/{name}.rs (or adapters/{name}.rs)"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_registered_policy_has_its_golden_rows() {
    let table = golden::read_table();
    let cells: BTreeSet<(&str, u64)> = table
        .keys()
        .map(|(_, stream, size)| (stream.as_str(), *size))
        .collect();
    let mut problems = Vec::new();
    for spec in POLICIES {
        for &(stream, size) in &cells {
            let key = (spec.name.to_string(), stream.to_string(), size);
            if !table.contains_key(&key) {
                problems.push(format!(
                    "policy `{}` has no row for {stream} at {size} in tests/golden/misses.csv \
                     (bless with CACHELAB_BLESS=1 cargo test --release --test it golden::)",
                    spec.name
                ));
            }
        }
    }
    assert!(!cells.is_empty(), "tests/golden/misses.csv has no rows");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_registered_policy_has_a_readme_row_and_runs_the_conformance_suite() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let (start, end) = ("<!-- policies:start -->", "<!-- policies:end -->");
    let table =
        &readme[readme.find(start).expect("start marker")..readme.find(end).expect("end marker")];
    let listed: BTreeSet<&str> = table
        .lines()
        .filter_map(|line| line.strip_prefix("| `")?.split('`').next())
        .collect();
    let covered: BTreeSet<&str> = conformance::suite().map(|spec| spec.name).collect();
    let mut problems = Vec::new();
    for spec in POLICIES {
        if !listed.contains(spec.name) {
            problems.push(format!(
                "policy `{}` has no row in the README policy table \
                 (re-generate with CACHELAB_BLESS=1 cargo test --release --test it readme::)",
                spec.name
            ));
        }
        if !covered.contains(spec.name) {
            problems.push(format!(
                "policy `{}` is left out of the conformance suite",
                spec.name
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
