//! Writing request streams as libCacheSim oracleGeneral files, so synthetic
//! workloads can be saved, shared and replayed by other simulators.

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::request::{NEVER, Request};

/// Writes `requests` as oracleGeneral records (u32 seconds, u64 id, u32 size,
/// i64 next access as a 1-based request index or −1), through a temporary
/// file renamed into place.
pub fn write_oracle_general(path: &Path, requests: &[Request]) -> std::io::Result<()> {
    crate::atomic::write_atomic_with(path, |file| {
        let mut out = BufWriter::with_capacity(1 << 20, file);
        for req in requests {
            let seconds = u32::try_from(req.time_ns / 1_000_000_000).unwrap_or(u32::MAX);
            let next: i64 = if req.next_access == NEVER {
                -1
            } else {
                req.next_access as i64 + 1
            };
            out.write_all(&seconds.to_le_bytes())?;
            out.write_all(&req.key.to_le_bytes())?;
            out.write_all(&req.size.to_le_bytes())?;
            out.write_all(&next.to_le_bytes())?;
        }
        out.flush()
    })
    .map_err(std::io::Error::other)
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
