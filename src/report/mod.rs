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
mod run_record;
pub mod sweep;
pub mod table;

pub use directory::{NO_REQUEST, Plotted, SERIES_FILE, plot_directory};
pub use html::write_html_report;
pub use lock::DirLock;
pub use run_record::RunRecord;

pub use crate::atomic::{remove_partials, write_atomic};

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::atomic::WriteError;

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

impl From<WriteError> for ReportError {
    fn from(e: WriteError) -> Self {
        ReportError::Io {
            path: e.path,
            source: e.source,
        }
    }
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
    Ok(write_atomic(path, &bytes)?)
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
    Ok(write_atomic(path, &bytes)?)
}

/// Writes a value as pretty JSON, whole.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ReportError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| ReportError::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(write_atomic(path, &bytes)?)
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
