//! Results on disk: CSV and JSON written whole (a uniquely named temporary
//! file, then rename), directories locked while a writer needs them alone,
//! plots drawn from result rows or read back from a results directory, the
//! HTML report of a directory, and terminal tables.

mod directory;
pub mod figures;
mod html;
mod lock;
pub mod plot;
pub mod records;
pub mod results;
pub mod sweep;
pub mod table;

pub use directory::{NO_REQUEST, Plotted, plot_directory};
pub use html::write_html_report;
pub use lock::DirLock;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tempfile::NamedTempFile;

/// A result file that could not be written, or read back.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A results file is missing something or holds something unusable;
    /// the message says where (row, column) and what.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Creating, writing or renaming failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Serialising rows failed.
    #[error("{path}: {message}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The directory a file is written in: its parent, or `.` for a bare name.
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A new temporary file next to `path` (whose parent directories are
/// created), under a name no other writer can hold: `.<name>.<random>.partial.<ext>`.
/// It keeps the extension, which plotting backends look at, and is removed
/// if dropped before [`persist`]. Hidden and marked `.partial`, so that
/// [`remove_partials`] can clear what a killed writer left.
fn temporary(path: &Path) -> Result<NamedTempFile, ReportError> {
    let dir = parent_of(path);
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(&format!("{PARTIAL}{extension}"))
        .tempfile_in(dir)
        .map_err(io_error(dir))
}

/// What marks the name of a temporary file.
const PARTIAL: &str = ".partial.";

/// Moves a finished temporary file into place, replacing `path` at once.
fn persist(temporary: NamedTempFile, path: &Path) -> Result<(), ReportError> {
    temporary
        .persist(path)
        .map(drop)
        .map_err(|e| io_error(path)(e.error))
}

/// Writes `path` whole through `write`, which gets a new temporary file:
/// a reader sees the old file or the new one, never half of it, and
/// concurrent writers of one path never share a temporary file (the last
/// rename wins). Creates parent directories.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), ReportError> {
    let mut file = temporary(path)?;
    write(file.as_file_mut()).map_err(io_error(file.path()))?;
    file.as_file().sync_all().map_err(io_error(file.path()))?;
    persist(file, path)
}

/// Writes `bytes` to `path` whole, as [`write_atomic_with`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Removes the temporary files that writers killed mid-write left in
/// `dir` (not below it). Call it only while holding the directory's
/// [`DirLock`], so that no live writer's file is taken.
pub fn remove_partials(dir: &Path) -> Result<(), ReportError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(PARTIAL) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// Writes rows as CSV with a header, whole.
pub fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<(), ReportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).map_err(|e| ReportError::Encode {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    }
    let bytes = writer.into_inner().map_err(|e| ReportError::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    write_atomic(path, &bytes)
}

/// Writes rows given as strings under `headers`, whole.
pub fn write_records(
    path: &Path,
    headers: &[String],
    rows: &[Vec<String>],
) -> Result<(), ReportError> {
    let encode = |e: csv::Error| ReportError::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(headers).map_err(encode)?;
    for row in rows {
        writer.write_record(row).map_err(encode)?;
    }
    let bytes = writer.into_inner().map_err(|e| ReportError::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    write_atomic(path, &bytes)
}

/// Writes a value as pretty JSON, whole.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ReportError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| ReportError::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.csv");
        write_csv(&path, &[(1, "a"), (2, "b")]).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1,a\n2,b\n");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.csv"]);
    }

    #[test]
    fn concurrent_writers_of_one_file_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.json");
        std::thread::scope(|scope| {
            for i in 0..8u8 {
                let path = &path;
                scope.spawn(move || {
                    for _ in 0..20 {
                        write_atomic(path, &[i; 4096]).unwrap();
                    }
                });
            }
        });
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() == 4096 && bytes.iter().all(|&b| b == bytes[0]));
        remove_partials(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn partial_files_of_killed_writers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let left = temporary(&dir.path().join("a.csv"))
            .unwrap()
            .into_temp_path();
        let left = left.keep().unwrap();
        std::fs::write(dir.path().join("a.csv"), "kept").unwrap();
        remove_partials(dir.path()).unwrap();
        assert!(!left.exists() && dir.path().join("a.csv").exists());
    }
}
