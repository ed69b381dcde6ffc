//! CSV traces with configurable columns (1-based, as libCacheSim counts).

use super::TraceError;
use super::format::CsvColumns;
use super::input::Input;
use super::text::parse_key;
use crate::request::StreamError;
use crate::request::{NEVER, Op, Request, RequestStream};

/// Header names recognised for each field when columns are not given.
const KEY_NAMES: &[&str] = &[
    "key",
    "id",
    "obj_id",
    "object_id",
    "obj-id",
    "lbn",
    "object",
    "obj",
];
const TIME_NAMES: &[&str] = &["time", "timestamp", "ts", "clock_time"];
const SIZE_NAMES: &[&str] = &[
    "size",
    "obj_size",
    "object_size",
    "obj-size",
    "bytes",
    "len",
    "length",
];
const OP_NAMES: &[&str] = &["op", "operation", "cmd", "type"];

/// Reads a CSV trace record by record.
pub struct CsvReader {
    reader: csv::Reader<Box<dyn std::io::Read + Send>>,
    path: std::path::PathBuf,
    record: csv::ByteRecord,
    /// 0-based field indices.
    key: usize,
    time: Option<usize>,
    size: Option<usize>,
    op: Option<usize>,
    time_unit_ns: f64,
}

impl CsvReader {
    /// A reader over `input` with known columns (the key column given).
    pub fn new(input: Input, columns: &CsvColumns) -> Result<Self, TraceError> {
        let key = columns.key.ok_or_else(|| TraceError::Format {
            path: input.path.clone(),
            problem: "csv key column unknown".to_string(),
        })?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(columns.header)
            .delimiter(columns.delimiter)
            .flexible(true)
            .from_reader(input.reader);
        let zero_based = |c: Option<usize>| c.map(|c| c - 1);
        Ok(CsvReader {
            reader,
            path: input.path,
            record: csv::ByteRecord::new(),
            key: key - 1,
            time: zero_based(columns.time),
            size: zero_based(columns.size),
            op: zero_based(columns.op),
            time_unit_ns: columns.time_unit_ns,
        })
    }

    fn malformed(&self, problem: String) -> StreamError {
        let line = self.record.position().map_or(0, csv::Position::line);
        StreamError::Malformed {
            path: self.path.clone(),
            location: format!("line {line}"),
            problem,
        }
    }

    fn field(&self, column: usize, name: &str) -> Result<&[u8], StreamError> {
        self.record
            .get(column)
            .map(<[u8]>::trim_ascii)
            .ok_or_else(|| {
                self.malformed(format!(
                    "no {name} field: column {} of a record with {} fields",
                    column + 1,
                    self.record.len()
                ))
            })
    }

    fn parse_request(&self) -> Result<Option<Request>, StreamError> {
        let key_text = self.field(self.key, "key")?;
        if key_text.is_empty() {
            return Err(self.malformed("empty key".to_string()));
        }
        let time_ns = match self.time {
            Some(column) => {
                let text = self.field(column, "time")?;
                let seconds = std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok())
                    .filter(|t| t.is_finite() && *t >= 0.0)
                    .ok_or_else(|| {
                        self.malformed(format!(
                            "time `{}` is not a non-negative number",
                            String::from_utf8_lossy(text)
                        ))
                    })?;
                (seconds * self.time_unit_ns) as u64
            }
            None => 0,
        };
        let size = match self.size {
            Some(column) => {
                let text = self.field(column, "size")?;
                std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| t.parse::<u32>().ok())
                    .ok_or_else(|| {
                        self.malformed(format!(
                            "size `{}` is not a whole number of bytes below 4 GiB",
                            String::from_utf8_lossy(text)
                        ))
                    })?
            }
            None => 1,
        };
        if size == 0 {
            return Ok(None);
        }
        let op = match self.op {
            Some(column) => {
                let text = self.field(column, "op")?;
                parse_op(text).ok_or_else(|| {
                    self.malformed(format!(
                        "operation `{}` is not get, set or delete (nor a synonym)",
                        String::from_utf8_lossy(text)
                    ))
                })?
            }
            None => Op::Get,
        };
        Ok(Some(Request {
            time_ns,
            key: parse_key(key_text),
            size,
            op,
            next_access: NEVER,
        }))
    }
}

/// Operation names of memcached, Redis and SCSI traces (opcodes in hex).
fn parse_op(text: &[u8]) -> Option<Op> {
    let lower = text.to_ascii_lowercase();
    match lower.as_slice() {
        b"get" | b"gets" | b"read" | b"r" | b"28" | b"0x28" | b"08" | b"88" | b"a8" => {
            Some(Op::Get)
        }
        b"set" | b"add" | b"replace" | b"cas" | b"append" | b"prepend" | b"incr" | b"decr"
        | b"write" | b"w" | b"2a" | b"0x2a" | b"0a" | b"8a" | b"aa" => Some(Op::Set),
        b"delete" | b"del" | b"d" => Some(Op::Delete),
        _ => None,
    }
}

fn csv_error(path: &std::path::Path, error: csv::Error) -> StreamError {
    let location = error
        .position()
        .map_or_else(|| "header".to_string(), |p| format!("line {}", p.line()));
    match error.into_kind() {
        csv::ErrorKind::Io(source) => StreamError::Io {
            path: path.to_path_buf(),
            source,
        },
        kind => StreamError::Malformed {
            path: path.to_path_buf(),
            location,
            problem: format!("{kind:?}"),
        },
    }
}

/// Finds the key, time, size and op columns from the header's names
/// (columns already given are kept).
pub fn columns_from_header(input: Input, columns: &CsvColumns) -> Result<CsvColumns, TraceError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .delimiter(columns.delimiter)
        .flexible(true)
        .from_reader(input.reader);
    let path = input.path;
    let headers = reader.byte_headers().map_err(|e| csv_error(&path, e))?;
    let names: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_ascii_lowercase())
        .collect();
    let find = |wanted: &[&str]| {
        names
            .iter()
            .position(|n| wanted.contains(&n.as_str()))
            .map(|i| i + 1)
    };
    let found = CsvColumns {
        key: find(KEY_NAMES),
        time: columns.time.or_else(|| find(TIME_NAMES)),
        size: columns.size.or_else(|| find(SIZE_NAMES)),
        op: columns.op.or_else(|| find(OP_NAMES)),
        ..columns.clone()
    };
    if found.key.is_none() {
        return Err(TraceError::Format {
            path,
            problem: format!(
                "no key column among the header's [{}]; name it with --format csv:key=N (and time=N, size=N, op=N)",
                names.join(", ")
            ),
        });
    }
    Ok(found)
}

impl RequestStream for CsvReader {
    fn next_batch(&mut self, batch: &mut Vec<Request>, max: usize) -> Result<usize, StreamError> {
        let mut added = 0;
        while added < max {
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| csv_error(&self.path, e))?;
            if !more {
                break;
            }
            if let Some(request) = self.parse_request()? {
                batch.push(request);
                added += 1;
            }
        }
        Ok(added)
    }
}
