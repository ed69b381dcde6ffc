//! Fixed-size binary records: libCacheSim oracleGeneral and VMware vscsi.

use std::io::{Cursor, Read};

use super::TraceError;
use super::input::Input;
use crate::request::{NEVER, Op, Request, RequestStream};

/// Reads whole fixed-size records from an input, reporting a record cut
/// short by the end of the file.
struct Records {
    input: Input,
    record_len: usize,
    buf: Vec<u8>,
    records_read: u64,
}

impl Records {
    fn new(input: Input, record_len: usize) -> Self {
        Records {
            input,
            record_len,
            buf: Vec::new(),
            records_read: 0,
        }
    }

    /// Reads up to `max` records; returns their bytes (empty at the end).
    fn next_chunk(&mut self, max: usize) -> Result<&[u8], TraceError> {
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
            return Err(TraceError::Truncated {
                path: self.input.path.clone(),
                record,
                offset: record * self.record_len as u64,
                got: got % self.record_len,
                want: self.record_len,
                compressed: self.input.compressed,
            });
        }
        self.records_read += whole as u64;
        Ok(&self.buf[..got])
    }

    /// Index of the first record of the chunk just returned.
    fn chunk_start(&self, chunk_records: usize) -> u64 {
        self.records_read - chunk_records as u64
    }

    fn malformed(&self, record: u64, problem: String) -> TraceError {
        TraceError::Malformed {
            path: self.input.path.clone(),
            location: format!(
                "record {record} (byte offset {})",
                record * self.record_len as u64
            ),
            problem,
        }
    }
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes[at..at + 2].try_into().expect("2 bytes"))
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// libCacheSim's oracleGeneral: 24-byte little-endian records of u32 time
/// (s), u64 id, u32 size, i64 next access (1-based request index, −1 =
/// never). Zero-size records are skipped, as libCacheSim does.
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
    fn next_batch(&mut self, batch: &mut Vec<Request>, max: usize) -> Result<usize, TraceError> {
        let before = batch.len();
        loop {
            let chunk = self.records.next_chunk(max)?;
            if chunk.is_empty() {
                return Ok(0);
            }
            let count = chunk.len() / Self::RECORD;
            let mut bad = None;
            for (i, record) in chunk.chunks_exact(Self::RECORD).enumerate() {
                let size = u32_at(record, 12);
                if size == 0 {
                    continue;
                }
                let next = u64_at(record, 16) as i64;
                let next_access = match next {
                    -1 | i64::MAX => NEVER,
                    n if n >= 1 => n as u64 - 1,
                    n => {
                        bad.get_or_insert((
                            i,
                            format!("next-access index {n} is neither −1 nor ≥ 1"),
                        ));
                        NEVER
                    }
                };
                batch.push(Request {
                    time_ns: u64::from(u32_at(record, 0)) * 1_000_000_000,
                    key: u64_at(record, 4),
                    size,
                    op: Op::Get,
                    next_access,
                });
            }
            if let Some((i, problem)) = bad {
                let record = self.records.chunk_start(count) + i as u64;
                return Err(self.records.malformed(record, problem));
            }
            if batch.len() > before {
                return Ok(batch.len() - before);
            }
        }
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
    fn next_batch(&mut self, batch: &mut Vec<Request>, max: usize) -> Result<usize, TraceError> {
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
