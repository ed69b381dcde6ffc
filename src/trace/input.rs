//! Opening a trace file, with transparent zstd decompression.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::TraceError;
use super::lines::LineLimit;
use super::spool;
use crate::request::StreamError;

/// The zstd frame magic number, little-endian.
pub(super) const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// A trace file's bytes, decompressed if needed.
pub struct Input {
    /// The file, for error messages.
    pub path: PathBuf,
    /// Whether the file is zstd-compressed (offsets then refer to the
    /// decompressed stream).
    pub compressed: bool,
    /// The bytes.
    pub reader: Box<dyn Read + Send>,
}

impl Input {
    /// An I/O error on this input.
    pub fn io_error(&self, source: std::io::Error) -> StreamError {
        StreamError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

/// Opens `path`, decompressing it when it starts with the zstd magic number;
/// a pipe or device is spooled on its first open, up to `max_spool` bytes
/// (see [`spool`]). With
/// `lines` (text and CSV traces), a line longer than
/// [`MAX_LINE_BYTES`](super::lines::MAX_LINE_BYTES) is an error.
pub fn open(path: &Path, lines: bool, max_spool: u64) -> Result<Input, TraceError> {
    let io_error = |source| StreamError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw: Box<dyn Read + Send> = match spool::open(path, lines, max_spool)? {
        spool::Opened::File(file) => Box::new(file),
        spool::Opened::Spool(copy) => Box::new(copy),
    };
    let mut buffered = BufReader::with_capacity(1 << 20, raw);
    let compressed = buffered
        .fill_buf()
        .map_err(io_error)?
        .starts_with(&ZSTD_MAGIC);
    let reader: Box<dyn Read + Send> = match (compressed, lines) {
        (true, true) => Box::new(LineLimit::new(decompressor(buffered).map_err(io_error)?)),
        (true, false) => decompressor(buffered).map_err(io_error)?,
        (false, true) => Box::new(LineLimit::new(buffered)),
        (false, false) => Box::new(buffered),
    };
    Ok(Input {
        path: path.to_path_buf(),
        compressed,
        reader,
    })
}

#[cfg(feature = "zstd-c")]
fn decompressor(source: BufReader<Box<dyn Read + Send>>) -> std::io::Result<Box<dyn Read + Send>> {
    Ok(Box::new(BufReader::with_capacity(
        1 << 20,
        zstd::stream::read::Decoder::with_buffer(source)?,
    )))
}

#[cfg(not(feature = "zstd-c"))]
fn decompressor(source: BufReader<Box<dyn Read + Send>>) -> std::io::Result<Box<dyn Read + Send>> {
    Ok(Box::new(BufReader::with_capacity(
        1 << 20,
        Frames::new(source),
    )))
}

/// A pure-Rust zstd decoder that reads every frame of the file in turn
/// (`ruzstd`'s streaming decoder stops after the first).
#[cfg(not(feature = "zstd-c"))]
struct Frames<R: BufRead> {
    source: R,
    decoder: ruzstd::decoding::FrameDecoder,
    in_frame: bool,
}

#[cfg(not(feature = "zstd-c"))]
impl<R: BufRead> Frames<R> {
    fn new(source: R) -> Self {
        Frames {
            source,
            decoder: ruzstd::decoding::FrameDecoder::new(),
            in_frame: false,
        }
    }
}

#[cfg(not(feature = "zstd-c"))]
impl<R: BufRead> Read for Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use ruzstd::decoding::BlockDecodingStrategy;
        loop {
            if !self.in_frame {
                if self.source.fill_buf()?.is_empty() {
                    return Ok(0);
                }
                self.decoder
                    .reset(&mut self.source)
                    .map_err(std::io::Error::other)?;
                self.in_frame = true;
            }
            while self.decoder.can_collect() == 0 && !self.decoder.is_finished() {
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(std::io::Error::other)?;
            }
            let n = self.decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            if self.decoder.is_finished() {
                self.in_frame = false;
            }
        }
    }
}
