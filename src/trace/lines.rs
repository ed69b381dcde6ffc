//! A bound on line length for text and CSV traces, so one endless line (a
//! trace of `/dev/zero`) is an error naming the line and its offset instead
//! of a buffer that grows until memory runs out.

use std::io::Read;

/// Longest line a text or CSV trace may have, in bytes (1 MiB).
pub const MAX_LINE_BYTES: u64 = 1 << 20;

/// Passes bytes through, failing once a line grows past [`MAX_LINE_BYTES`].
pub struct LineLimit<R> {
    inner: R,
    /// 1-based number of the line being read.
    line: u64,
    /// Byte offset where that line starts.
    line_start: u64,
    /// Bytes passed so far.
    offset: u64,
}

impl<R: Read> LineLimit<R> {
    /// Checks `inner` from its first byte.
    pub fn new(inner: R) -> Self {
        LineLimit {
            inner,
            line: 1,
            line_start: 0,
            offset: 0,
        }
    }

    /// Checks `inner`, whose bytes follow `head` (already read elsewhere).
    pub fn continuing(inner: R, head: &[u8]) -> Self {
        let mut limit = LineLimit::new(inner);
        limit.observe(head);
        limit
    }

    fn observe(&mut self, chunk: &[u8]) {
        if let Some(last) = memchr::memrchr(b'\n', chunk) {
            self.line += memchr::memchr_iter(b'\n', chunk).count() as u64;
            self.line_start = self.offset + last as u64 + 1;
        }
        self.offset += chunk.len() as u64;
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.observe(&buf[..n]);
        if self.offset - self.line_start > MAX_LINE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "line {} (starting at byte offset {}) is longer than {} bytes, the most a text or CSV trace line may have",
                    self.line, self.line_start, MAX_LINE_BYTES
                ),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_across_reads_and_stops_an_endless_one() {
        let mut text = b"1\n22\n".to_vec();
        text.extend(std::iter::repeat_n(b'7', MAX_LINE_BYTES as usize + 1));
        let mut reader = LineLimit::new(&text[..]);
        let mut sink = Vec::new();
        let error = reader.read_to_end(&mut sink).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("line 3") && message.contains("offset 5"),
            "{message}"
        );

        let fine = b"1\n".repeat(1000);
        let mut sink = Vec::new();
        LineLimit::new(&fine[..]).read_to_end(&mut sink).unwrap();
        assert_eq!(sink, fine);
    }
}
