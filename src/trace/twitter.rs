//! Twitter's cache traces (Yang, Yue and Rashmi, "A large scale analysis of
//! hundreds of in-memory cache clusters at Twitter", OSDI 2020; format as
//! the `twitter/cache-trace` README gives it): one request per line, no
//! header, seven comma-separated fields:
//!
//! `timestamp,anonymized key,key size,value size,client id,operation,TTL`
//!
//! - the timestamp is in seconds;
//! - the key is a string, always hashed to a u64 with xxh3 (seed 0, as
//!   [`hash_key`](super::hash_key)), even when it looks like a number, so
//!   that `7` and `07` stay two keys; the same key text gives the same u64
//!   in every run and version;
//! - the object's size is key size + value size, as libCacheSim counts it;
//!   a request of size 0 is skipped, as the other readers do;
//! - the client id becomes the record's tenant;
//! - the operation is one of get, gets, set, add, replace, cas, append,
//!   prepend, delete, incr, decr (memcached's), kept as the trace names it
//!   and mapped to get, set or delete for the cache ([`TraceOp::op`]);
//! - the TTL is in seconds, 0 for none.
//!
//! A line that does not fit is an error naming the file, the line and its
//! byte offset.

use super::hash_key;
use super::input::Input;
use super::record::{Record, RecordStream, TraceOp};
use crate::request::{NEVER, Request, StreamError};

/// Fields on a line.
const FIELDS: usize = 7;

/// Reads a Twitter cache trace line by line.
pub struct TwitterReader {
    reader: csv::Reader<Box<dyn std::io::Read + Send>>,
    path: std::path::PathBuf,
    line: csv::ByteRecord,
}

impl TwitterReader {
    /// A reader over `input`.
    pub fn new(input: Input) -> Self {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input.reader);
        TwitterReader {
            reader,
            path: input.path,
            line: csv::ByteRecord::new(),
        }
    }

    fn malformed(&self, problem: String) -> StreamError {
        let location = self.line.position().map_or_else(
            || "a line".to_string(),
            |p| format!("line {} (byte offset {})", p.line(), p.byte()),
        );
        StreamError::Malformed {
            path: self.path.clone(),
            location,
            problem,
        }
    }
}

/// A field as a whole number, or what is wrong with it.
fn number<T: std::str::FromStr>(field: &[u8], name: &str) -> Result<T, String> {
    std::str::from_utf8(field)
        .ok()
        .and_then(|t| t.trim().parse::<T>().ok())
        .ok_or_else(|| {
            format!(
                "{name} `{}` is not a whole number in range",
                String::from_utf8_lossy(field)
            )
        })
}

/// One line's fields as a record (`None` when its size is 0).
fn parse(line: &csv::ByteRecord) -> Result<Option<Record>, String> {
    if line.len() != FIELDS {
        return Err(format!(
            "{} fields, where a Twitter trace line has {FIELDS}: timestamp, key, key size, value size, client id, operation, TTL",
            line.len()
        ));
    }
    let field = |i: usize| line.get(i).unwrap_or_default();
    let seconds: u64 = number(field(0), "timestamp")?;
    let key = field(1);
    if key.is_empty() {
        return Err("empty key".to_string());
    }
    let key_size: u32 = number(field(2), "key size")?;
    let value_size: u32 = number(field(3), "value size")?;
    let size = key_size
        .checked_add(value_size)
        .ok_or_else(|| format!("key size {key_size} + value size {value_size} is 4 GiB or more"))?;
    let client: u32 = number(field(4), "client id")?;
    let op_text = field(5).trim_ascii().to_ascii_lowercase();
    let trace_op = TraceOp::from_name(&op_text).ok_or_else(|| {
        format!(
            "operation `{}` is not one of get, gets, set, add, replace, cas, append, prepend, delete, incr, decr",
            String::from_utf8_lossy(&op_text)
        )
    })?;
    let ttl_s: u32 = number(field(6), "TTL")?;
    if size == 0 {
        return Ok(None);
    }
    Ok(Some(Record {
        request: Request {
            time_ns: seconds.saturating_mul(1_000_000_000),
            key: hash_key(key),
            size,
            op: trace_op.op(),
            next_access: NEVER,
        },
        trace_op,
        ttl_s,
        tenant: client,
    }))
}

impl RecordStream for TwitterReader {
    fn next_records(&mut self, out: &mut Vec<Record>, max: usize) -> Result<usize, StreamError> {
        let mut added = 0;
        while added < max {
            let more =
                self.reader
                    .read_byte_record(&mut self.line)
                    .map_err(|e| match e.into_kind() {
                        csv::ErrorKind::Io(source) => StreamError::Io {
                            path: self.path.clone(),
                            source,
                        },
                        kind => self.malformed(format!("{kind:?}")),
                    })?;
            if !more {
                break;
            }
            match parse(&self.line) {
                Ok(Some(record)) => {
                    out.push(record);
                    added += 1;
                }
                Ok(None) => {}
                Err(problem) => return Err(self.malformed(problem)),
            }
        }
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Op;

    fn read(text: &str) -> Result<Vec<Record>, String> {
        let mut reader = TwitterReader::new(Input {
            path: "c52.twitter".into(),
            compressed: false,
            reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        });
        let mut out = Vec::new();
        while reader
            .next_records(&mut out, 2)
            .map_err(|e| e.to_string())?
            > 0
        {}
        Ok(out)
    }

    #[test]
    fn lines_become_records() {
        let records = read(
            "0,q:abc,5,100,7,get,0\n1,q:abc,5,120,7,set,3600\n1,07,2,10,8,cas,60\n2,7,1,0,8,delete,0\n",
        )
        .unwrap();
        assert_eq!(records.len(), 4);
        let r = &records[1];
        assert_eq!(r.request.time_ns, 1_000_000_000);
        assert_eq!(r.request.key, hash_key(b"q:abc"));
        assert_eq!(r.request.size, 125);
        assert_eq!((r.request.op, r.trace_op.name()), (Op::Set, "set"));
        assert_eq!((r.ttl_s, r.tenant), (3600, 7));
        assert_eq!(records[0].request.key, records[1].request.key);
        assert_eq!(records[2].request.op, Op::Set);
        assert_eq!(records[2].trace_op.name(), "cas");
        assert_ne!(records[2].request.key, records[3].request.key, "07 and 7");
        assert_eq!(records[3].request.op, Op::Delete);
    }

    #[test]
    fn malformed_lines_are_named_by_line_and_offset() {
        let good = "0,a,1,1,1,get,0\n";
        for (bad, says) in [
            ("1,b,1,1,1,frob,0\n", "operation `frob`"),
            ("1,b,1,1,1,get\n", "6 fields"),
            ("x,b,1,1,1,get,0\n", "timestamp `x`"),
            ("1,b,1,-4,1,get,0\n", "value size `-4`"),
            ("1,,1,1,1,get,0\n", "empty key"),
            ("1,b,4294967295,1,1,get,0\n", "4 GiB"),
            ("1,b,1,1,1,get,1e9\n", "TTL"),
        ] {
            let error = read(&format!("{good}{bad}")).unwrap_err();
            assert!(
                error.contains("c52.twitter: line 2 (byte offset 16)") && error.contains(says),
                "{bad:?}: {error}"
            );
        }
    }
}
