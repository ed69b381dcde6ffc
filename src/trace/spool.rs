//! Non-seekable inputs (a pipe, `/dev/stdin`, a named FIFO, a character
//! device) are read once into an unnamed temporary file, and every later
//! open of the same input reads that copy. So every replay cell, the
//! pre-pass and a CSV header look-up all see the identical bytes, where
//! re-opening a pipe would give the next cell whatever is left (nothing) and
//! re-opening a FIFO would wait for a writer that is gone.
//!
//! The copy is bounded ([`MAX_SPOOL_BYTES`] unless raised) so an endless
//! device fails instead of filling the disk, and a binary trace is never
//! read from a character device other than a terminal: `/dev/zero` would
//! pass for an endless run of valid records. The temporary file has no name
//! (`tempfile::tempfile`), so the system deletes it when the process ends,
//! however it ends.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::TraceError;
use super::lines::LineLimit;
use crate::request::StreamError;

/// Most bytes copied from one non-seekable input unless raised (16 GiB).
pub const MAX_SPOOL_BYTES: u64 = 16 << 30;

/// One input spooled, known by the (device, inode) of what its path names,
/// so `/dev/stdin` and `/proc/self/fd/0` are one input.
struct Spooled {
    id: (u64, u64),
    copy: Arc<File>,
}

/// Inputs spooled so far.
static SPOOLS: Mutex<Vec<Spooled>> = Mutex::new(Vec::new());

/// How to read a path: directly, or through its spooled copy.
pub enum Opened {
    /// A regular file, opened.
    File(File),
    /// The spooled copy of a non-seekable input.
    Spool(SpoolReader),
}

/// Opens `path`; a non-seekable input is spooled on its first open, up to
/// `max_bytes`. When `lines` is set, the copy also checks that no line is
/// longer than a text or CSV trace allows, so an endless line fails at once;
/// otherwise (binary records) a character device is refused.
pub fn open(path: &Path, lines: bool, max_bytes: u64) -> Result<Opened, TraceError> {
    let io_error = |source| StreamError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Looked up before opening: opening a FIFO waits for a writer, and the
    // writer of a spooled one is gone.
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    if metadata.is_file() {
        return Ok(Opened::File(File::open(path).map_err(io_error)?));
    }
    let id = (metadata.dev(), metadata.ino());
    // Held while spooling, so that two cells opening the input at once
    // wait for one copy instead of each taking half of the pipe.
    let mut spools = SPOOLS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(spooled) = spools.iter().find(|s| s.id == id) {
        return Ok(Opened::Spool(SpoolReader::new(spooled.copy.clone())));
    }
    let file = File::open(path).map_err(io_error)?;
    if !lines && metadata.file_type().is_char_device() && !file.is_terminal() {
        return Err(TraceError::Format {
            path: path.to_path_buf(),
            problem: "refused at byte offset 0: a character device (not a file, pipe or terminal), which may never end (as /dev/zero) and would pass for endless valid records; write the trace to a file and give that".to_string(),
        });
    }
    let spool = Arc::new(copy(path, file, lines, max_bytes)?);
    spools.push(Spooled {
        id,
        copy: spool.clone(),
    });
    Ok(Opened::Spool(SpoolReader::new(spool)))
}

/// Copies all of `source` into a new temporary file, failing past `max_bytes`.
fn copy(path: &Path, source: File, lines: bool, max_bytes: u64) -> Result<File, TraceError> {
    let io_error = |source| StreamError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut spool = tempfile::tempfile().map_err(io_error)?;
    let mut limited = source.take(max_bytes.saturating_add(1));
    let copied = if lines {
        // A zstd stream is checked line by line only once decompressed.
        let mut head = [0u8; 4];
        let got = read_full(&mut limited, &mut head).map_err(io_error)?;
        spool.write_all(&head[..got]).map_err(io_error)?;
        let rest = if head[..got] == super::input::ZSTD_MAGIC {
            std::io::copy(&mut limited, &mut spool)
        } else {
            let mut checked = LineLimit::continuing(&mut limited, &head[..got]);
            std::io::copy(&mut checked, &mut spool)
        };
        rest.map_err(io_error)? + got as u64
    } else {
        std::io::copy(&mut limited, &mut spool).map_err(io_error)?
    };
    if copied > max_bytes {
        return Err(TraceError::Format {
            path: path.to_path_buf(),
            problem: format!(
                "not a regular file, and longer than the {} cachelab copies from a pipe or device; write it to a file and give that, or raise the limit with --max-spool",
                crate::units::format_bytes(max_bytes)
            ),
        });
    }
    Ok(spool)
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads a spooled copy from its start, with its own position (so readers
/// in parallel do not disturb each other).
pub struct SpoolReader {
    file: Arc<File>,
    offset: u64,
}

impl SpoolReader {
    fn new(file: Arc<File>) -> Self {
        SpoolReader { file, offset: 0 }
    }
}

impl Read for SpoolReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}
