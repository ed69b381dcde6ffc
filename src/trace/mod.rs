//! Request streams from trace files.
//!
//! Readers stream in constant memory: libCacheSim's oracleGeneral and lcs
//! (v1 to v8) binary formats, Twitter's cache-trace csv, CSV with
//! configurable columns, plain text (one key per line) and VMware vscsi. Any of them may be zstd-compressed; compression is detected
//! from the file's first bytes. A malformed or truncated file is an error
//! naming the file and the record, never a panic.

mod binary;
mod csv;
mod format;
mod input;
pub mod lcs;
mod lines;
pub mod record;
mod spool;
mod text;
mod twitter;
mod writer;

pub use format::{CsvColumns, TraceFormat};
pub use lcs::LcsHeader;
pub use lines::MAX_LINE_BYTES;
pub use record::{Record, RecordStream, TraceOp};
pub use spool::MAX_SPOOL_BYTES;
pub use writer::{write_lcs, write_oracle_general};

use std::path::{Path, PathBuf};

use crate::request::{RequestStream, StreamError};

/// What went wrong reading a trace: a read error of its request stream,
/// or a format that cannot be told.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be read, or a record in it is cut short or makes
    /// no sense.
    #[error(transparent)]
    Read(#[from] StreamError),
    /// The format cannot be told or is not known.
    #[error("{path}: {problem}")]
    Format {
        /// The trace file.
        path: PathBuf,
        /// What is wrong, and what is allowed.
        problem: String,
    },
}

/// A trace file and how to read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: TraceFormat,
    /// Most bytes copied from it when it is a pipe or device.
    pub max_spool_bytes: u64,
}

impl Trace {
    /// A trace at `path`, in `format` if given (`oracleGeneral`, `vscsi`,
    /// `txt`, `csv` or `csv:key=5,time=2,size=4,header=true`), else in the
    /// format its name says. A CSV trace without a key column given has its
    /// columns found from the header names now.
    pub fn new(path: &Path, format: Option<&str>) -> Result<Trace, TraceError> {
        Trace::with_spool_limit(path, format, MAX_SPOOL_BYTES)
    }

    /// A trace as [`Trace::new`], copying at most `max_spool_bytes` from a
    /// pipe or device (instead of [`MAX_SPOOL_BYTES`]).
    pub fn with_spool_limit(
        path: &Path,
        format: Option<&str>,
        max_spool_bytes: u64,
    ) -> Result<Trace, TraceError> {
        let format = match format {
            Some(text) => TraceFormat::parse(text).map_err(|problem| TraceError::Format {
                path: path.to_path_buf(),
                problem,
            })?,
            None => TraceFormat::from_path(path)?,
        };
        let format = match format {
            TraceFormat::Csv(columns) if columns.key.is_none() => TraceFormat::Csv(
                csv::columns_from_header(input::open(path, true, max_spool_bytes)?, &columns)?,
            ),
            other => other,
        };
        Ok(Trace {
            path: path.to_path_buf(),
            format,
            max_spool_bytes,
        })
    }

    /// Opens a fresh stream from the start of the file.
    pub fn open(&self) -> Result<Box<dyn RequestStream>, TraceError> {
        let input = self.input()?;
        Ok(match &self.format {
            TraceFormat::OracleGeneral { .. } => Box::new(binary::OracleGeneral::new(input)),
            TraceFormat::Vscsi => Box::new(binary::Vscsi::new(input)?),
            TraceFormat::Lcs => Box::new(record::RequestsOf::new(lcs::LcsReader::new(input)?)),
            TraceFormat::Twitter => {
                Box::new(record::RequestsOf::new(twitter::TwitterReader::new(input)))
            }
            TraceFormat::Text => Box::new(text::TextReader::new(input)),
            TraceFormat::Csv(columns) => Box::new(csv::CsvReader::new(input, columns)?),
        })
    }

    fn input(&self) -> Result<input::Input, TraceError> {
        let lines = matches!(
            self.format,
            TraceFormat::Text | TraceFormat::Csv(_) | TraceFormat::Twitter
        );
        input::open(&self.path, lines, self.max_spool_bytes)
    }

    /// Opens a fresh stream of records (requests with the trace's own
    /// operations, TTLs and tenants where the format has them).
    pub fn records(&self) -> Result<Box<dyn RecordStream>, TraceError> {
        Ok(match &self.format {
            TraceFormat::Lcs => Box::new(lcs::LcsReader::new(self.input()?)?),
            TraceFormat::Twitter => Box::new(twitter::TwitterReader::new(self.input()?)),
            _ => Box::new(record::PlainRecords::new(self.open()?)),
        })
    }

    /// Whether records may carry TTLs: Twitter's format always, lcs from
    /// version 3 (reads the header); no other format has them.
    pub fn carries_ttls(&self) -> Result<bool, TraceError> {
        Ok(match &self.format {
            TraceFormat::Twitter => true,
            TraceFormat::Lcs => self.lcs_header()?.is_some_and(|h| h.version >= 3),
            _ => false,
        })
    }

    /// The header of an lcs trace (`None` for other formats).
    pub fn lcs_header(&self) -> Result<Option<LcsHeader>, TraceError> {
        if self.format != TraceFormat::Lcs {
            return Ok(None);
        }
        LcsHeader::read(&mut self.input()?).map(Some)
    }

    /// Whether requests carry timestamps.
    pub fn has_times(&self) -> bool {
        match &self.format {
            TraceFormat::OracleGeneral { .. }
            | TraceFormat::Vscsi
            | TraceFormat::Lcs
            | TraceFormat::Twitter => true,
            TraceFormat::Text => false,
            TraceFormat::Csv(columns) => columns.time.is_some(),
        }
    }

    /// Whether requests carry the position of the next request for the same
    /// key (oracleGeneral, unless told to recompute it).
    pub fn has_next_access(&self) -> bool {
        self.format
            == TraceFormat::OracleGeneral {
                recompute_next_access: false,
            }
    }

    /// For a trace whose requests carry next accesses (oracleGeneral):
    /// the first next-access field that does not name the next request for
    /// the same key, described; `None` when all are right (or the format
    /// has no such field). Reads the whole file.
    pub fn check_next_access(&self) -> Result<Option<String>, TraceError> {
        if !self.has_next_access() {
            return Ok(None);
        }
        binary::check_next_access(input::open(&self.path, false, self.max_spool_bytes)?)
    }

    /// Whether requests carry object sizes.
    pub fn has_sizes(&self) -> bool {
        match &self.format {
            TraceFormat::OracleGeneral { .. }
            | TraceFormat::Vscsi
            | TraceFormat::Lcs
            | TraceFormat::Twitter => true,
            TraceFormat::Text => false,
            TraceFormat::Csv(columns) => columns.size.is_some(),
        }
    }
}

/// Hashes a non-numeric key (xxh3, seed 0): stable across runs and versions.
pub fn hash_key(text: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text)
}
