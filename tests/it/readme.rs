//! The README's policy table is generated from the registry; this keeps it
//! in step (re-generate with `CACHELAB_BLESS=1 cargo test --release --test it readme::`).

use std::path::PathBuf;
use std::sync::Mutex;

/// Both tests rewrite README.md when blessing: one at a time, so neither
/// reads the other's half-written file.
static README: Mutex<()> = Mutex::new(());

#[test]
fn readme_policy_table_matches_the_registry() {
    let _one_at_a_time = README.lock().unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = ("<!-- policies:start -->\n", "<!-- policies:end -->");
    let from = readme.find(start).expect("start marker") + start.len();
    let to = readme.find(end).expect("end marker");
    let table = cachelab::cli::policies_markdown();
    if std::env::var_os("CACHELAB_BLESS").is_some() {
        std::fs::write(
            &path,
            format!("{}{}{}", &readme[..from], table, &readme[to..]),
        )
        .unwrap();
        return;
    }
    assert_eq!(&readme[from..to], table, "README policy table is stale");
}

#[test]
fn readme_lists_the_metric_columns() {
    let _one_at_a_time = README.lock().unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = ("<!-- columns:start -->\n", "<!-- columns:end -->");
    let from = readme.find(start).expect("start marker") + start.len();
    let to = readme.find(end).expect("end marker");
    let table = cachelab::metrics::columns::markdown();
    if std::env::var_os("CACHELAB_BLESS").is_some() {
        std::fs::write(
            &path,
            format!("{}{}{}", &readme[..from], table, &readme[to..]),
        )
        .unwrap();
        return;
    }
    assert_eq!(&readme[from..to], table, "README column table is stale");
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
