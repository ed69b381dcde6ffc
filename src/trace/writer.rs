//! Writing request streams as libCacheSim oracleGeneral and lcs files, so
//! synthetic workloads can be saved, shared and replayed by other simulators.

use std::io::{BufWriter, Write};
use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use super::lcs::{LcsHeader, LcsStats, record_bytes};
use super::record::Record;
use crate::request::{NEVER, Op, Request};

/// Writes `requests` as oracleGeneral records (u32 seconds, u64 id, u32 size,
/// i64 next access as a 1-based request index or −1), through a temporary
/// file renamed into place.
pub fn write_oracle_general(path: &Path, requests: &[Request]) -> std::io::Result<()> {
    crate::atomic::write_atomic_with(path, |file| {
        let mut out = BufWriter::with_capacity(1 << 20, file);
        for req in requests {
            let seconds = u32::try_from(req.time_ns / 1_000_000_000).unwrap_or(u32::MAX);
            let next = next_field(req.next_access);
            out.write_all(&seconds.to_le_bytes())?;
            out.write_all(&req.key.to_le_bytes())?;
            out.write_all(&req.size.to_le_bytes())?;
            out.write_all(&next.to_le_bytes())?;
        }
        out.flush()
    })
    .map_err(std::io::Error::other)
}

/// The next-access field as libCacheSim writes it: 1-based, −1 for never.
fn next_field(next_access: u64) -> i64 {
    if next_access == NEVER {
        -1
    } else {
        next_access as i64 + 1
    }
}

/// Writes `records` as an lcs trace of `version` (1..=8) through a
/// temporary file renamed into place. The header's statistics are counted
/// from the records (requests, objects and their bytes at first-seen size,
/// time span, reads/writes/deletes, size range, tenants, TTLs); the "most
/// common" lists are left empty, and feature fields are written as 0.
/// Versions 1 and 2 drop TTLs, version 1 operations and tenants too.
pub fn write_lcs(path: &Path, version: u64, records: &[Record]) -> std::io::Result<()> {
    let Some(record_len) = record_bytes(version) else {
        return Err(std::io::Error::other(format!(
            "lcs version {version} is not one of 1 to 8"
        )));
    };
    let header = LcsHeader {
        version,
        stats: stats_of(records),
    };
    crate::atomic::write_atomic_with(path, |file| {
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&header.encode())?;
        let mut bytes = Vec::with_capacity(record_len);
        for record in records {
            bytes.clear();
            let req = &record.request;
            let seconds = u32::try_from(req.time_ns / 1_000_000_000).unwrap_or(u32::MAX);
            let op_tenant = u32::from(record.trace_op.0) | (record.tenant << 8);
            bytes.extend_from_slice(&seconds.to_le_bytes());
            bytes.extend_from_slice(&req.key.to_le_bytes());
            match version {
                1 => bytes.extend_from_slice(&req.size.to_le_bytes()),
                2 => {
                    bytes.extend_from_slice(&req.size.to_le_bytes());
                    bytes.extend_from_slice(&op_tenant.to_le_bytes());
                }
                _ => {
                    bytes.extend_from_slice(&i64::from(req.size).to_le_bytes());
                    bytes.extend_from_slice(&op_tenant.to_le_bytes());
                    bytes.extend_from_slice(&record.ttl_s.to_le_bytes());
                }
            }
            bytes.extend_from_slice(&next_field(req.next_access).to_le_bytes());
            bytes.resize(record_len, 0);
            out.write_all(&bytes)?;
        }
        out.flush()
    })
    .map_err(std::io::Error::other)
}

/// The header statistics of `records`.
fn stats_of(records: &[Record]) -> LcsStats {
    let mut first_size: FxHashMap<u64, u32> = FxHashMap::default();
    let mut tenants = FxHashSet::default();
    let mut ttls = FxHashSet::default();
    let mut stats = LcsStats {
        stat_version: 1,
        n_req: records.len() as i64,
        ..LcsStats::default()
    };
    for record in records {
        let req = &record.request;
        first_size.entry(req.key).or_insert(req.size);
        stats.n_req_byte += i64::from(req.size);
        match req.op {
            Op::Get => stats.n_read += 1,
            Op::Set => stats.n_write += 1,
            Op::Delete => stats.n_delete += 1,
        }
        tenants.insert(record.tenant);
        if record.ttl_s > 0 {
            ttls.insert(record.ttl_s);
        }
    }
    stats.n_obj = first_size.len() as i64;
    stats.n_obj_byte = first_size.values().map(|&s| i64::from(s)).sum();
    let seconds = |r: &Record| (r.request.time_ns / 1_000_000_000) as i64;
    stats.start_timestamp = records.iter().map(seconds).min().unwrap_or(0);
    stats.end_timestamp = records.iter().map(seconds).max().unwrap_or(0);
    let sizes = records.iter().map(|r| i64::from(r.request.size));
    stats.smallest_obj_size = sizes.clone().min().unwrap_or(0);
    stats.largest_obj_size = sizes.max().unwrap_or(0);
    stats.n_tenant = tenants.len() as i32;
    stats.n_ttl = ttls.len() as i32;
    stats.smallest_ttl = ttls.iter().min().map_or(0, |&t| t as i32);
    stats.largest_ttl = ttls.iter().max().map_or(0, |&t| t as i32);
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::annotate_next_access;
    use crate::trace::Trace;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.oracleGeneral.bin");
        let mut requests: Vec<Request> = [3u64, 9, 3, 4]
            .iter()
            .enumerate()
            .map(|(i, &k)| Request {
                time_ns: i as u64 * 1_000_000_000,
                ..Request::get(k, 100 + k as u32)
            })
            .collect();
        annotate_next_access(&mut requests);
        write_oracle_general(&path, &requests).unwrap();
        let mut back = Vec::new();
        let mut stream = Trace::new(&path, None).unwrap().open().unwrap();
        while stream.next_batch(&mut back, 3).unwrap() > 0 {}
        assert_eq!(back, requests);
    }
}

#[cfg(test)]
mod lcs_tests {
    use super::*;
    use crate::request::annotate_next_access;
    use crate::trace::record::TraceOp;
    use crate::trace::{Trace, TraceError};

    fn records() -> Vec<Record> {
        let ops = [TraceOp(1), TraceOp(3), TraceOp(2), TraceOp(9), TraceOp(5)];
        let mut requests: Vec<Request> = [3u64, 9, 3, 4, 9, 3]
            .iter()
            .enumerate()
            .map(|(i, &k)| Request {
                time_ns: (100 + i as u64) * 1_000_000_000,
                ..Request::get(k, 100 + k as u32)
            })
            .collect();
        annotate_next_access(&mut requests);
        requests
            .into_iter()
            .enumerate()
            .map(|(i, request)| {
                let trace_op = ops[i % ops.len()];
                Record {
                    request: Request {
                        op: trace_op.op(),
                        ..request
                    },
                    trace_op,
                    ttl_s: 60 * i as u32,
                    tenant: (i % 3) as u32 * 1000,
                }
            })
            .collect()
    }

    fn read_back(path: &Path) -> Vec<Record> {
        let mut back = Vec::new();
        let mut stream = Trace::new(path, None).unwrap().records().unwrap();
        while stream.next_records(&mut back, 4).unwrap() > 0 {}
        back
    }

    #[test]
    fn every_version_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let written = records();
        for version in 1..=8 {
            let path = dir.path().join(format!("v{version}.lcs"));
            write_lcs(&path, version, &written).unwrap();
            let expected: Vec<Record> = written
                .iter()
                .map(|r| match version {
                    1 => Record::plain(Request {
                        op: Op::Get,
                        ..r.request
                    }),
                    2 => Record { ttl_s: 0, ..*r },
                    _ => *r,
                })
                .collect();
            assert_eq!(read_back(&path), expected, "version {version}");
            let len = std::fs::metadata(&path).unwrap().len();
            let record_len = record_bytes(version).unwrap() as u64;
            assert_eq!(len, 8192 + 6 * record_len, "version {version}");
            let header = Trace::new(&path, None)
                .unwrap()
                .lcs_header()
                .unwrap()
                .unwrap();
            assert_eq!(header.version, version);
            assert_eq!(
                (
                    header.stats.n_req,
                    header.stats.n_obj,
                    header.stats.n_req_byte
                ),
                (6, 3, 103 + 109 + 103 + 104 + 109 + 103)
            );
            assert_eq!(header.stats.n_obj_byte, 103 + 109 + 104);
            assert_eq!(
                (header.stats.start_timestamp, header.stats.end_timestamp),
                (100, 105)
            );
            assert_eq!((header.stats.n_tenant, header.stats.n_ttl), (3, 5));
        }
    }

    #[test]
    fn bad_records_are_named_by_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.lcs");
        let mut written = records();
        written[2].trace_op = TraceOp(77);
        write_lcs(&path, 2, &written).unwrap();
        let mut stream = Trace::new(&path, None).unwrap().records().unwrap();
        let error = stream
            .next_records(&mut Vec::new(), 100)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("record 2 (byte offset 8248)") && error.contains("operation code 77"),
            "{error}"
        );
        // Cut inside the last record.
        write_lcs(&path, 3, &records()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let mut stream = Trace::new(&path, None).unwrap().open().unwrap();
        let error = loop {
            match stream.next_batch(&mut Vec::new(), 2) {
                Ok(0) => panic!("a cut record must be an error"),
                Ok(_) => {}
                Err(e) => break e.to_string(),
            }
        };
        assert!(error.contains("record 5 at byte offset 8372"), "{error}");
        // Not lcs at all.
        std::fs::write(&path, b"hello").unwrap();
        let Err(TraceError::Format { problem, .. }) = Trace::new(&path, None).unwrap().open()
        else {
            panic!("not an lcs file");
        };
        assert!(problem.contains("not an lcs trace"), "{problem}");
    }
}
