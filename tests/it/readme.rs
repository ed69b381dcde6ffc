//! The README's policy and column tables are generated from the registry
//! and the column table; these keep them in step (re-generate with `CACHELAB_BLESS=1 cargo test --release --test it readme::`).

use std::path::PathBuf;

use crate::common::generated_section;

#[test]
fn readme_policy_table_matches_the_registry() {
    generated_section("README.md", "policies", &cachelab::cli::policies_markdown());
}

#[test]
fn readme_lists_the_metric_columns() {
    generated_section(
        "README.md",
        "columns",
        &cachelab::metrics::columns::markdown(),
    );
}

#[test]
fn readme_gives_the_two_commands() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    assert!(readme.contains("cargo run --release -- "));
    assert!(readme.contains("cargo test --release"));
    let ci =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/run")).unwrap();
    assert!(
        ci.contains("cargo test --release"),
        ".ci/run must run the README's test command"
    );
}
