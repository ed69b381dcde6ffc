//! Results on disk: CSV and JSON written whole (temporary file, then rename),
//! plots drawn from result rows or read back from a results directory, the
//! HTML report of a directory, and terminal tables.

mod directory;
pub mod figures;
mod html;
pub mod plot;
pub mod results;
pub mod table;

pub use directory::{Plotted, plot_directory};
pub use html::write_html_report;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

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

/// The temporary name a file is written under before it is renamed into
/// place; it keeps the extension, which plotting backends look at.
pub fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial.{}", extension(path)))
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Moves a finished temporary file into place.
pub fn commit(temporary: &Path, path: &Path) -> Result<(), ReportError> {
    std::fs::rename(temporary, path).map_err(io_error(path))
}

/// Writes `bytes` to `path` whole: a reader sees the old file or the new one,
/// never half of it. Creates parent directories.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    let temporary = temporary_path(path);
    let mut file = std::fs::File::create(&temporary).map_err(io_error(&temporary))?;
    file.write_all(bytes).map_err(io_error(&temporary))?;
    file.sync_all().map_err(io_error(&temporary))?;
    drop(file);
    commit(&temporary, path)
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
}
