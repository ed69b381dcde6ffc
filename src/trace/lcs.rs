//! libCacheSim's own binary format, lcs, versions 1 to 8: an 8192-byte
//! header (magic, version, a block of trace statistics, magic again), then
//! packed little-endian records whose layout the version fixes.
//!
//! Layout as defined in libCacheSim's
//! `libCacheSim/traceReader/customizedReader/lcs.h` and read by `lcs.c`
//! (github.com/1a1a11a/libCacheSim); this is our own code:
//!
//! | version | bytes | fields |
//! |---|---|---|
//! | 1 | 24 | u32 time (s), u64 id, u32 size, i64 next access |
//! | 2 | 28 | u32 time, u64 id, u32 size, u32 op (low 8 bits) and tenant (high 24), i64 next access |
//! | 3 | 36 | u32 time, u64 id, i64 size, u32 op/tenant, u32 TTL (s), i64 next access |
//! | 4–8 | 40, 44, 52, 68, 100 | version 3 followed by 1, 2, 4, 8 or 16 u32 features |
//!
//! As libCacheSim does, records of size 0 are skipped (next accesses keep
//! counting them), and a next access of −1 or `i64::MAX` means never.
//! Feature fields are read past: nothing in cachelab uses them. Operations
//! use libCacheSim's numbering ([`TraceOp`]); a code it does not define, a
//! negative size or one of 4 GiB or more is an error naming the record and
//! its byte offset.

use std::io::Read;

use serde::Serialize;

use super::TraceError;
use super::binary::{Records, decode_next_access, u32_at, u64_at};
use super::input::Input;
use super::record::{Record, RecordStream, TraceOp};
use crate::request::{NEVER, Request, StreamError};

/// The header's first and last eight bytes.
pub const MAGIC: u64 = 0x1234_5678_9abc_def0;
/// Bytes of the header.
pub const HEADER_BYTES: usize = 8192;
/// Where the statistics block starts in the header.
const STATS_AT: usize = 16;
/// Where the closing magic sits.
const END_MAGIC_AT: usize = HEADER_BYTES - 8;
/// Number of entries in each "most common" list of the statistics.
const MOST_COMMON: usize = 16;

/// Record bytes of versions 1..=8.
const RECORD_BYTES: [usize; 8] = [24, 28, 36, 40, 44, 52, 68, 100];

/// The record length of `version`, if it is one (1..=8).
pub fn record_bytes(version: u64) -> Option<usize> {
    let index = usize::try_from(version.checked_sub(1)?).ok()?;
    RECORD_BYTES.get(index).copied()
}

/// A value with the share of requests it has, as the header lists them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Share {
    /// The value (a size, a count, a tenant, a TTL).
    pub value: i64,
    /// Its share of requests.
    pub ratio: f32,
}

/// The trace statistics an lcs header carries, as written by whoever made
/// the file (fields added to the format later read 0 in older files).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LcsStats {
    /// Version of the statistics block.
    pub stat_version: i64,
    /// Requests.
    pub n_req: i64,
    /// Distinct objects.
    pub n_obj: i64,
    /// Bytes requested.
    pub n_req_byte: i64,
    /// Bytes of the distinct objects.
    pub n_obj_byte: i64,
    /// First timestamp, seconds.
    pub start_timestamp: i64,
    /// Last timestamp, seconds.
    pub end_timestamp: i64,
    /// Reads.
    pub n_read: i64,
    /// Writes.
    pub n_write: i64,
    /// Deletes.
    pub n_delete: i64,
    /// Smallest object size.
    pub smallest_obj_size: i64,
    /// Largest object size.
    pub largest_obj_size: i64,
    /// The most common object sizes (those given).
    pub most_common_obj_sizes: Vec<Share>,
    /// Request counts of the most popular objects (those given).
    pub highest_freq: Vec<i64>,
    /// The most common request counts of objects (those given).
    pub most_common_freq: Vec<Share>,
    /// Zipf skew as the writer estimated it.
    pub skewness: f64,
    /// Tenants.
    pub n_tenant: i32,
    /// The busiest tenants (those given).
    pub most_common_tenants: Vec<Share>,
    /// Distinct TTLs.
    pub n_ttl: i32,
    /// Smallest TTL, seconds.
    pub smallest_ttl: i32,
    /// Largest TTL, seconds.
    pub largest_ttl: i32,
    /// The most common TTLs (those given).
    pub most_common_ttls: Vec<Share>,
}

/// An lcs header: the record version and the statistics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LcsHeader {
    /// Record layout version, 1..=8.
    pub version: u64,
    /// The statistics block.
    pub stats: LcsStats,
}

fn i32_at(bytes: &[u8], at: usize) -> i32 {
    u32_at(bytes, at) as i32
}

fn i64_at(bytes: &[u8], at: usize) -> i64 {
    u64_at(bytes, at) as i64
}

fn f32_at(bytes: &[u8], at: usize) -> f32 {
    f32::from_bits(u32_at(bytes, at))
}

/// Offsets inside the statistics block (from its start), packed as
/// libCacheSim's `lcs_trace_stat_t`.
mod at {
    pub const SMALLEST_SIZE: usize = 80;
    pub const COMMON_SIZES: usize = 96;
    pub const COMMON_SIZE_RATIOS: usize = 224;
    pub const HIGHEST_FREQ: usize = 288;
    pub const COMMON_FREQ: usize = 416;
    pub const COMMON_FREQ_RATIOS: usize = 480;
    pub const SKEWNESS: usize = 544;
    pub const N_TENANT: usize = 552;
    pub const COMMON_TENANTS: usize = 556;
    pub const COMMON_TENANT_RATIOS: usize = 620;
    pub const N_TTL: usize = 684;
    pub const COMMON_TTLS: usize = 696;
    pub const COMMON_TTL_RATIOS: usize = 760;
}

impl LcsStats {
    /// Reads the statistics block (8000 bytes).
    fn decode(s: &[u8]) -> LcsStats {
        let word = |i: usize| i64_at(s, 8 * i);
        let shares = |values: &dyn Fn(usize) -> i64, ratios: usize| -> Vec<Share> {
            (0..MOST_COMMON)
                .map(|i| Share {
                    value: values(i),
                    ratio: f32_at(s, ratios + 4 * i),
                })
                .filter(|share| share.value != 0 || share.ratio != 0.0)
                .collect()
        };
        LcsStats {
            stat_version: word(0),
            n_req: word(1),
            n_obj: word(2),
            n_req_byte: word(3),
            n_obj_byte: word(4),
            start_timestamp: word(5),
            end_timestamp: word(6),
            n_read: word(7),
            n_write: word(8),
            n_delete: word(9),
            smallest_obj_size: word(10),
            largest_obj_size: word(11),
            most_common_obj_sizes: shares(
                &|i| i64_at(s, at::COMMON_SIZES + 8 * i),
                at::COMMON_SIZE_RATIOS,
            ),
            highest_freq: (0..MOST_COMMON)
                .map(|i| i64_at(s, at::HIGHEST_FREQ + 8 * i))
                .filter(|&f| f != 0)
                .collect(),
            most_common_freq: shares(
                &|i| i64::from(i32_at(s, at::COMMON_FREQ + 4 * i)),
                at::COMMON_FREQ_RATIOS,
            ),
            skewness: f64::from_bits(u64_at(s, at::SKEWNESS)),
            n_tenant: i32_at(s, at::N_TENANT),
            most_common_tenants: shares(
                &|i| i64::from(i32_at(s, at::COMMON_TENANTS + 4 * i)),
                at::COMMON_TENANT_RATIOS,
            ),
            n_ttl: i32_at(s, at::N_TTL),
            smallest_ttl: i32_at(s, at::N_TTL + 4),
            largest_ttl: i32_at(s, at::N_TTL + 8),
            most_common_ttls: shares(
                &|i| i64::from(i32_at(s, at::COMMON_TTLS + 4 * i)),
                at::COMMON_TTL_RATIOS,
            ),
        }
    }

    /// Writes the statistics into a block of 8000 zero bytes (lists beyond
    /// 16 entries are cut).
    fn encode(&self, s: &mut [u8]) {
        let mut put = |at: usize, bytes: &[u8]| s[at..at + bytes.len()].copy_from_slice(bytes);
        let words = [
            self.stat_version,
            self.n_req,
            self.n_obj,
            self.n_req_byte,
            self.n_obj_byte,
            self.start_timestamp,
            self.end_timestamp,
            self.n_read,
            self.n_write,
            self.n_delete,
            self.smallest_obj_size,
            self.largest_obj_size,
        ];
        for (i, w) in words.iter().enumerate() {
            put(8 * i, &w.to_le_bytes());
        }
        debug_assert_eq!(words.len() * 8, at::SMALLEST_SIZE + 16);
        for (i, share) in self
            .most_common_obj_sizes
            .iter()
            .take(MOST_COMMON)
            .enumerate()
        {
            put(at::COMMON_SIZES + 8 * i, &share.value.to_le_bytes());
            put(at::COMMON_SIZE_RATIOS + 4 * i, &share.ratio.to_le_bytes());
        }
        for (i, f) in self.highest_freq.iter().take(MOST_COMMON).enumerate() {
            put(at::HIGHEST_FREQ + 8 * i, &f.to_le_bytes());
        }
        let narrow = |v: i64| (v as i32).to_le_bytes();
        for (values, ratios, list) in [
            (
                at::COMMON_FREQ,
                at::COMMON_FREQ_RATIOS,
                &self.most_common_freq,
            ),
            (
                at::COMMON_TENANTS,
                at::COMMON_TENANT_RATIOS,
                &self.most_common_tenants,
            ),
            (
                at::COMMON_TTLS,
                at::COMMON_TTL_RATIOS,
                &self.most_common_ttls,
            ),
        ] {
            for (i, share) in list.iter().take(MOST_COMMON).enumerate() {
                put(values + 4 * i, &narrow(share.value));
                put(ratios + 4 * i, &share.ratio.to_le_bytes());
            }
        }
        put(at::SKEWNESS, &self.skewness.to_bits().to_le_bytes());
        put(at::N_TENANT, &self.n_tenant.to_le_bytes());
        put(at::N_TTL, &self.n_ttl.to_le_bytes());
        put(at::N_TTL + 4, &self.smallest_ttl.to_le_bytes());
        put(at::N_TTL + 8, &self.largest_ttl.to_le_bytes());
    }
}

impl LcsHeader {
    /// The 8192 header bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = vec![0u8; HEADER_BYTES];
        bytes[..8].copy_from_slice(&MAGIC.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.version.to_le_bytes());
        self.stats.encode(&mut bytes[STATS_AT..STATS_AT + 8000]);
        bytes[END_MAGIC_AT..].copy_from_slice(&MAGIC.to_le_bytes());
        bytes
    }

    /// Reads the header from the start of `input`.
    pub fn read(input: &mut Input) -> Result<LcsHeader, TraceError> {
        let mut bytes = Vec::with_capacity(HEADER_BYTES);
        (&mut input.reader)
            .take(HEADER_BYTES as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| input.io_error(e))?;
        let problem = |problem: String| TraceError::Format {
            path: input.path.clone(),
            problem: format!("not an lcs trace: {problem}"),
        };
        if bytes.len() < HEADER_BYTES {
            return Err(problem(format!(
                "the file ends at byte offset {} inside the {HEADER_BYTES}-byte header",
                bytes.len()
            )));
        }
        for at in [0, END_MAGIC_AT] {
            let magic = u64_at(&bytes, at);
            if magic != MAGIC {
                return Err(problem(format!(
                    "the magic number at byte offset {at} is {magic:#x}, not {MAGIC:#x}"
                )));
            }
        }
        let version = u64_at(&bytes, 8);
        if record_bytes(version).is_none() {
            return Err(problem(format!(
                "version {version} at byte offset 8 is not one of 1 to 8"
            )));
        }
        Ok(LcsHeader {
            version,
            stats: LcsStats::decode(&bytes[STATS_AT..STATS_AT + 8000]),
        })
    }
}

/// Reads an lcs trace's records after its header.
pub struct LcsReader {
    records: Records,
    version: u64,
}

impl LcsReader {
    /// A reader over `input`; reads and checks the header first.
    pub fn new(mut input: Input) -> Result<Self, TraceError> {
        let header = LcsHeader::read(&mut input)?;
        let record_len = record_bytes(header.version).expect("version checked");
        Ok(LcsReader {
            records: Records::after_header(input, record_len, HEADER_BYTES as u64),
            version: header.version,
        })
    }
}

/// The lcs record of `version` decoded; `None` when its size is 0, a
/// description of what is wrong when it makes no sense.
fn decode(version: u64, record: &[u8], index: u64) -> Result<Option<Record>, String> {
    let (size, op_tenant, ttl_s, next_at) = match version {
        1 => (u64::from(u32_at(record, 12)), 0, 0, 16),
        2 => (u64::from(u32_at(record, 12)), u32_at(record, 16), 0, 20),
        _ => {
            let size = i64_at(record, 12);
            let size =
                u64::try_from(size).map_err(|_| format!("object size {size} is negative"))?;
            (size, u32_at(record, 20), u32_at(record, 24), 28)
        }
    };
    if size == 0 {
        return Ok(None);
    }
    let size = u32::try_from(size).map_err(|_| format!("object size {size} is 4 GiB or more"))?;
    let code = (op_tenant & 0xff) as u8;
    let trace_op = if version == 1 {
        TraceOp::GET
    } else {
        TraceOp::from_code(code)
            .ok_or_else(|| format!("operation code {code} is not one of libCacheSim's (0 to 14)"))?
    };
    let next_access = decode_next_access(i64_at(record, next_at), index).unwrap_or(NEVER);
    Ok(Some(Record {
        request: Request {
            time_ns: u64::from(u32_at(record, 0)) * 1_000_000_000,
            key: u64_at(record, 4),
            size,
            op: trace_op.op(),
            next_access,
        },
        trace_op,
        ttl_s,
        tenant: op_tenant >> 8,
    }))
}

impl RecordStream for LcsReader {
    fn next_records(&mut self, out: &mut Vec<Record>, max: usize) -> Result<usize, StreamError> {
        let before = out.len();
        let (version, record_len) = (
            self.version,
            record_bytes(self.version).expect("version checked"),
        );
        loop {
            let first = self.records.records_read;
            let chunk = self.records.next_chunk(max)?;
            if chunk.is_empty() {
                return Ok(0);
            }
            let mut wrong = None;
            for (i, record) in chunk.chunks_exact(record_len).enumerate() {
                let index = first + i as u64;
                match decode(version, record, index) {
                    Ok(Some(decoded)) => out.push(decoded),
                    Ok(None) => {}
                    Err(problem) => {
                        wrong = Some((index, problem));
                        break;
                    }
                }
            }
            if let Some((index, problem)) = wrong {
                return Err(StreamError::Malformed {
                    path: self.records.path().to_path_buf(),
                    location: format!(
                        "record {index} (byte offset {})",
                        self.records.offset_of(index)
                    ),
                    problem,
                });
            }
            if out.len() > before {
                return Ok(out.len() - before);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lengths_follow_the_version() {
        assert_eq!(record_bytes(1), Some(24));
        assert_eq!(record_bytes(3), Some(36));
        assert_eq!(record_bytes(8), Some(100));
        assert_eq!(record_bytes(0), None);
        assert_eq!(record_bytes(9), None);
        assert_eq!(record_bytes(u64::MAX), None);
    }

    #[test]
    fn stats_survive_encoding() {
        let stats = LcsStats {
            stat_version: 1,
            n_req: 10,
            n_obj: 4,
            n_req_byte: 1000,
            n_obj_byte: 400,
            start_timestamp: 5,
            end_timestamp: 9,
            n_read: 7,
            n_write: 2,
            n_delete: 1,
            smallest_obj_size: 3,
            largest_obj_size: 300,
            most_common_obj_sizes: vec![Share {
                value: 100,
                ratio: 0.5,
            }],
            highest_freq: vec![6, 2, 1],
            most_common_freq: vec![Share {
                value: 1,
                ratio: 0.25,
            }],
            skewness: 0.8,
            n_tenant: 2,
            most_common_tenants: vec![Share {
                value: 3,
                ratio: 0.75,
            }],
            n_ttl: 1,
            smallest_ttl: 60,
            largest_ttl: 60,
            most_common_ttls: vec![Share {
                value: 60,
                ratio: 1.0,
            }],
        };
        let header = LcsHeader { version: 3, stats };
        let bytes = header.encode();
        assert_eq!(bytes.len(), HEADER_BYTES);
        let mut input = Input {
            path: "t.lcs".into(),
            compressed: false,
            reader: Box::new(std::io::Cursor::new(bytes)),
        };
        assert_eq!(LcsHeader::read(&mut input).unwrap(), header);
    }

    #[test]
    fn a_bad_header_is_named() {
        let read = |bytes: Vec<u8>| {
            let mut input = Input {
                path: "t.lcs".into(),
                compressed: false,
                reader: Box::new(std::io::Cursor::new(bytes)),
            };
            LcsHeader::read(&mut input).unwrap_err().to_string()
        };
        let good = LcsHeader {
            version: 2,
            stats: LcsStats::default(),
        }
        .encode();
        assert!(read(good[..100].to_vec()).contains("ends at byte offset 100"));
        let mut wrong = good.clone();
        wrong[END_MAGIC_AT] ^= 1;
        assert!(read(wrong).contains("offset 8184"));
        let mut version = good;
        version[8] = 9;
        assert!(read(version).contains("version 9"));
    }
}
