//! The README's policy and column tables are generated from the registry
//! and the column table; these keep them in step (re-generate with `CACHELAB_BLESS=1 cargo test --release --test it readme::`).

use std::path::PathBuf;
use std::sync::Mutex;

/// Both generated sections are rewritten when blessing: one at a time, so
/// neither test reads the other's half-written file.
static README: Mutex<()> = Mutex::new(());

/// Checks that README.md's section between `<!-- NAME:start -->` and
/// `<!-- NAME:end -->` is `generated` (rewrites it with `CACHELAB_BLESS`).
fn generated_section(name: &str, generated: &str) {
    let _one_at_a_time = README.lock().unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = (
        format!("<!-- {name}:start -->\n"),
        format!("<!-- {name}:end -->"),
    );
    let from = readme.find(&start).expect("start marker") + start.len();
    let to = readme.find(&end).expect("end marker");
    if std::env::var_os("CACHELAB_BLESS").is_some() {
        let blessed = format!("{}{generated}{}", &readme[..from], &readme[to..]);
        std::fs::write(&path, blessed).unwrap();
        return;
    }
    assert_eq!(&readme[from..to], generated, "README {name} table is stale");
}

#[test]
fn readme_policy_table_matches_the_registry() {
    generated_section("policies", &cachelab::cli::policies_markdown());
}

#[test]
fn readme_lists_the_metric_columns() {
    generated_section("columns", &cachelab::metrics::columns::markdown());
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
