//! Plain text traces: one key per line, no time, no size.

use std::io::{BufRead, BufReader};

use super::hash_key;
use super::input::Input;
use crate::request::{NEVER, Op, Request, RequestStream, StreamError};

/// Reads one key per line; numeric keys are taken as they are, others hashed.
/// Blank lines are skipped; the last line may lack its newline.
pub struct TextReader {
    lines: BufReader<Box<dyn std::io::Read + Send>>,
    path: std::path::PathBuf,
    line: Vec<u8>,
}

impl TextReader {
    /// A reader over `input`.
    pub fn new(input: Input) -> Self {
        TextReader {
            lines: BufReader::with_capacity(1 << 16, input.reader),
            path: input.path,
            line: Vec::new(),
        }
    }
}

/// A key from its text: the number if it is one, else a hash of the bytes.
pub fn parse_key(text: &[u8]) -> u64 {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| hash_key(text))
}

impl RequestStream for TextReader {
    fn next_batch(&mut self, batch: &mut Vec<Request>, max: usize) -> Result<usize, StreamError> {
        let mut added = 0;
        while added < max {
            self.line.clear();
            let n = self
                .lines
                .read_until(b'\n', &mut self.line)
                .map_err(|source| StreamError::Io {
                    path: self.path.clone(),
                    source,
                })?;
            if n == 0 {
                break;
            }
            let key = self.line.trim_ascii();
            if key.is_empty() {
                continue;
            }
            batch.push(Request {
                time_ns: 0,
                key: parse_key(key),
                size: 1,
                op: Op::Get,
                next_access: NEVER,
            });
            added += 1;
        }
        Ok(added)
    }
}
