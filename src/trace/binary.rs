//! Fixed-size binary records: libCacheSim oracleGeneral and VMware vscsi.

use std::io::{Cursor, Read};

use rustc_hash::FxHashMap;

use super::TraceError;
use super::input::Input;
use crate::request::{NEVER, Op, Request, RequestStream, StreamError};

/// Reads whole fixed-size records from an input, reporting a record cut
/// short by the end of the file.
pub(super) struct Records {
    input: Input,
    record_len: usize,
    buf: Vec<u8>,
    /// Records read so far.
    pub(super) records_read: u64,
    /// Byte offset of the first record (after any header).
    start: u64,
}

impl Records {
    fn new(input: Input, record_len: usize) -> Self {
        Records::after_header(input, record_len, 0)
    }

    /// Records of `record_len` bytes that start at byte `start` of the
    /// input (the header already read), so offsets in errors are the file's.
    pub(super) fn after_header(input: Input, record_len: usize, start: u64) -> Self {
        Records {
            input,
            record_len,
            buf: Vec::new(),
            records_read: 0,
            start,
        }
    }

    /// The input's file.
    pub(super) fn path(&self) -> &std::path::Path {
        &self.input.path
    }

    /// Byte offset of record `index` in the (decompressed) file.
    pub(super) fn offset_of(&self, index: u64) -> u64 {
        self.start + index * self.record_len as u64
    }

    /// Reads up to `max` records; returns their bytes (empty at the end).
    pub(super) fn next_chunk(&mut self, max: usize) -> Result<&[u8], StreamError> {
        let want = max * self.record_len;
        self.buf.resize(want, 0);
        let mut got = 0;
        while got < want {
            match self.input.reader.read(&mut self.buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.input.io_error(e)),
            }
        }
        let whole = got / self.record_len;
        if got % self.record_len != 0 {
            let record = self.records_read + whole as u64;
            return Err(StreamError::Truncated {
                path: self.input.path.clone(),
                record,
                offset: self.offset_of(record),
                got: got % self.record_len,
                want: self.record_len,
                compressed: self.input.compressed,
            });
        }
        self.records_read += whole as u64;
        Ok(&self.buf[..got])
    }
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes[at..at + 2].try_into().expect("2 bytes"))
}

pub(super) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

pub(super) fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// libCacheSim's oracleGeneral: 24-byte little-endian records of u32 time
/// (s), u64 id, u32 size, i64 next access (1-based request index, −1 =
/// never). Zero-size records are skipped, as libCacheSim does; next
/// accesses keep counting them, which keeps their order. A next access that
/// does not point after its own record is read as never.
pub struct OracleGeneral {
    records: Records,
}

impl OracleGeneral {
    const RECORD: usize = 24;

    /// A reader over `input`.
    pub fn new(input: Input) -> Self {
        OracleGeneral {
            records: Records::new(input, Self::RECORD),
        }
    }
}

impl RequestStream for OracleGeneral {
    fn next_batch(&mut self, batch: &mut Vec<Request>, max: usize) -> Result<usize, StreamError> {
        let before = batch.len();
        loop {
            let first = self.records.records_read;
            let chunk = self.records.next_chunk(max)?;
            if chunk.is_empty() {
                return Ok(0);
            }
            for (i, record) in chunk.chunks_exact(Self::RECORD).enumerate() {
                let size = u32_at(record, 12);
                if size == 0 {
                    continue;
                }
                let index = first + i as u64;
                // A next access that is not later than the record itself
                // cannot be right; Belady's callers check the rest
                // (`check_next_access`) and recompute when it is wrong.
                let next_access = next_access(record, index).unwrap_or(NEVER);
                batch.push(Request {
                    time_ns: u64::from(u32_at(record, 0)) * 1_000_000_000,
                    key: u64_at(record, 4),
                    size,
                    op: Op::Get,
                    next_access,
                });
            }
            if batch.len() > before {
                return Ok(batch.len() - before);
            }
        }
    }
}

/// The next-access field of the oracleGeneral record at `index`, as the
/// 0-based index of the record of the next request for the same key
/// ([`NEVER`] for −1 and `i64::MAX`); `None` when it does not point after
/// the record itself.
#[inline]
fn next_access(record: &[u8], index: u64) -> Option<u64> {
    decode_next_access(u64_at(record, 16) as i64, index)
}

/// A next-access field (1-based request index, −1 or `i64::MAX` for never)
/// of the record at `index`, as a 0-based index or [`NEVER`]; `None` when
/// it does not point after the record itself.
#[inline]
pub(super) fn decode_next_access(field: i64, index: u64) -> Option<u64> {
    match field {
        -1 | i64::MAX => Some(NEVER),
        n if n >= 1 && n as u64 - 1 > index => Some(n as u64 - 1),
        _ => None,
    }
}

/// Checks the next-access fields of an oracleGeneral trace against the
/// trace itself: each must name the record of the next request for the same
/// key (zero-size records are skipped but keep their index, as the field
/// counts them), or be −1 when there is none. Returns the first wrong
/// field, described, or `None` when every field is right.
pub fn check_next_access(input: Input) -> Result<Option<String>, TraceError> {
    let mut records = Records::new(input, OracleGeneral::RECORD);
    // key → (record index of its latest request, the record that request names next)
    let mut claims: FxHashMap<u64, (u64, u64)> = FxHashMap::default();
    let raw = |record: &[u8]| u64_at(record, 16) as i64;
    loop {
        let first = records.records_read;
        let chunk = records.next_chunk(4096)?;
        if chunk.is_empty() {
            break;
        }
        for (i, record) in chunk.chunks_exact(OracleGeneral::RECORD).enumerate() {
            let index = first + i as u64;
            if u32_at(record, 12) == 0 {
                continue;
            }
            let Some(claimed) = next_access(record, index) else {
                return Ok(Some(format!(
                    "record {index}: next access {} does not point after the record",
                    raw(record)
                )));
            };
            let key = u64_at(record, 4);
            if let Some((previous, expected)) = claims.insert(key, (index, claimed))
                && expected != index
            {
                return Ok(Some(format!(
                    "record {previous}: next access {} but key {key} is next requested by record {index}",
                    describe_next(expected)
                )));
            }
        }
    }
    let dangling = claims
        .into_iter()
        .filter(|&(_, (_, claimed))| claimed != NEVER)
        .min_by_key(|&(_, (index, _))| index);
    Ok(dangling.map(|(key, (index, claimed))| {
        format!(
            "record {index}: next access {} but key {key} is never requested again",
            describe_next(claimed)
        )
    }))
}

/// A next access as the field writes it (1-based, −1 for never).
fn describe_next(next: u64) -> String {
    if next == NEVER {
        "-1 (never)".to_string()
    } else {
        (next + 1).to_string()
    }
}

/// The layout of a vscsi file, told from the version field.
#[derive(Clone, Copy, Debug, PartialEq)]
enum VscsiVersion {
    /// 32-byte records: sn, len, nSG, cmd, ver, lbn, ts.
    V1,
    /// 40-byte records: cmd, ver, sn, len, nSG, lbn, ts, rt.
    V2,
}

/// VMware vscsi traces (versions 1 and 2): the object is the starting LBN,
/// the size the transfer length, the time the microsecond timestamp.
pub struct Vscsi {
    records: Records,
    version: VscsiVersion,
}

impl Vscsi {
    /// A reader over `input`; reads the first record to tell the version.
    pub fn new(mut input: Input) -> Result<Self, TraceError> {
        let mut head = Vec::with_capacity(32);
        (&mut input.reader)
            .take(32)
            .read_to_end(&mut head)
            .map_err(|e| input.io_error(e))?;
        let version = if head.is_empty() || (head.len() >= 16 && u16_at(&head, 14) >> 8 == 1) {
            VscsiVersion::V1
        } else if head.len() >= 4 && u16_at(&head, 2) >> 8 == 2 {
            VscsiVersion::V2
        } else {
            return Err(TraceError::Format {
                path: input.path.clone(),
                problem: "not a vscsi trace: the first record's version field is neither 1 nor 2"
                    .to_string(),
            });
        };
        let rest = std::mem::replace(&mut input.reader, Box::new(std::io::empty()));
        input.reader = Box::new(Cursor::new(head).chain(rest));
        let record_len = match version {
            VscsiVersion::V1 => 32,
            VscsiVersion::V2 => 40,
        };
        Ok(Vscsi {
            records: Records::new(input, record_len),
            version,
        })
    }
}

/// SCSI opcodes of writes (WRITE 6/10/12/16); everything else reads.
fn scsi_op(cmd: u16) -> Op {
    match cmd {
        0x0a | 0x2a | 0xaa | 0x8a => Op::Set,
        _ => Op::Get,
    }
}

impl RequestStream for Vscsi {
    fn next_batch(&mut self, batch: &mut Vec<Request>, max: usize) -> Result<usize, StreamError> {
        let before = batch.len();
        let version = self.version;
        loop {
            let chunk = self.records.next_chunk(max)?;
            if chunk.is_empty() {
                return Ok(0);
            }
            let record_len = if version == VscsiVersion::V1 { 32 } else { 40 };
            for record in chunk.chunks_exact(record_len) {
                let (size, cmd, lbn, ts) = match version {
                    VscsiVersion::V1 => (
                        u32_at(record, 4),
                        u16_at(record, 12),
                        u64_at(record, 16),
                        u64_at(record, 24),
                    ),
                    VscsiVersion::V2 => (
                        u32_at(record, 8),
                        u16_at(record, 0),
                        u64_at(record, 16),
                        u64_at(record, 24),
                    ),
                };
                if size == 0 {
                    continue;
                }
                batch.push(Request {
                    time_ns: ts.saturating_mul(1000),
                    key: lbn,
                    size,
                    op: scsi_op(cmd),
                    next_access: NEVER,
                });
            }
            if batch.len() > before {
                return Ok(batch.len() - before);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// oracleGeneral records of (key, size, next-access field).
    fn oracle(records: &[(u64, u32, i64)]) -> Input {
        let mut bytes = Vec::new();
        for (i, &(key, size, next)) in records.iter().enumerate() {
            bytes.extend_from_slice(&(i as u32).to_le_bytes());
            bytes.extend_from_slice(&key.to_le_bytes());
            bytes.extend_from_slice(&size.to_le_bytes());
            bytes.extend_from_slice(&next.to_le_bytes());
        }
        Input {
            path: "t.oracleGeneral".into(),
            compressed: false,
            reader: Box::new(Cursor::new(bytes)),
        }
    }

    #[test]
    fn next_accesses_are_checked_against_the_trace() {
        // Key 1 at records 0 and 2 (1-based 1 and 3); the zero-size record 1
        // is skipped but keeps its index.
        let right = [(1, 10, 3), (9, 0, -1), (1, 10, -1), (2, 10, -1)];
        assert_eq!(check_next_access(oracle(&right)).unwrap(), None);
        // Record 0 says never, but key 1 comes back at record 2.
        let never = [(1, 10, -1), (9, 0, -1), (1, 10, -1)];
        let problem = check_next_access(oracle(&never)).unwrap().unwrap();
        assert!(
            problem.contains("record 0") && problem.contains("record 2"),
            "{problem}"
        );
        // Record 1 points at itself (1-based 2): not after the record.
        let past = [(1, 10, -1), (2, 10, 2)];
        let problem = check_next_access(oracle(&past)).unwrap().unwrap();
        assert!(problem.contains("record 1"), "{problem}");
        // Record 0 names a later record, but key 1 never comes back.
        let dangling = [(1, 10, 2), (2, 10, -1)];
        let problem = check_next_access(oracle(&dangling)).unwrap().unwrap();
        assert!(problem.contains("never requested again"), "{problem}");
    }

    #[test]
    fn a_next_access_not_after_its_record_reads_as_never() {
        let mut reader = OracleGeneral::new(oracle(&[(1, 10, 1), (1, 10, -5), (2, 10, 9)]));
        let mut batch = Vec::new();
        reader.next_batch(&mut batch, 10).unwrap();
        let next: Vec<u64> = batch.iter().map(|r| r.next_access).collect();
        assert_eq!(next, [NEVER, NEVER, 8]);
    }
}
