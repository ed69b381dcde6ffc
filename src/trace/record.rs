//! Records: a request with what some trace formats carry beside it (the
//! trace's own operation, a TTL, a tenant). `cachelab analyze` reads these;
//! replay and the cluster read plain [`Request`]s, so the hot path stays at
//! 32 bytes a request.

use serde::Serialize;

use crate::request::{Op, Request, RequestStream, StreamError};

/// An operation as a trace names it, numbered as libCacheSim's `req_op_e`
/// (`libCacheSim/include/libCacheSim/enum.h`): finer than [`Op`], so an
/// analysis can show `gets` and `cas` apart from `get` and `set`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TraceOp(pub u8);

/// libCacheSim's operation names, by code (0..=14).
const OP_NAMES: [&str; 15] = [
    "nop", "get", "gets", "set", "add", "cas", "replace", "append", "prepend", "delete", "incr",
    "decr", "read", "write", "update",
];

impl TraceOp {
    /// `get`.
    pub const GET: TraceOp = TraceOp(1);
    /// `set`.
    pub const SET: TraceOp = TraceOp(3);
    /// `delete`.
    pub const DELETE: TraceOp = TraceOp(9);

    /// The operation of a known code (0..=14), else `None`.
    pub fn from_code(code: u8) -> Option<TraceOp> {
        (usize::from(code) < OP_NAMES.len()).then_some(TraceOp(code))
    }

    /// The operation called `name` (lower case), if libCacheSim knows it.
    pub fn from_name(name: &[u8]) -> Option<TraceOp> {
        OP_NAMES
            .iter()
            .position(|n| n.as_bytes() == name)
            .map(|i| TraceOp(i as u8))
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        OP_NAMES.get(usize::from(self.0)).copied().unwrap_or("?")
    }

    /// What a cache does with it: reads (and `nop`) get, deletes delete,
    /// every other write sets (memcached's `add`, `cas`, `append`, `incr`
    /// ... all leave a new value in the cache).
    pub fn op(self) -> Op {
        match self.0 {
            3..=8 | 10 | 11 | 13 | 14 => Op::Set,
            9 => Op::Delete,
            _ => Op::Get,
        }
    }

    /// The trace operation an [`Op`] stands for in a format without its own.
    pub fn of(op: Op) -> TraceOp {
        match op {
            Op::Get => TraceOp::GET,
            Op::Set => TraceOp::SET,
            Op::Delete => TraceOp::DELETE,
        }
    }
}

/// One request and what its format records beside it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Record {
    /// The request as replay and the cluster see it.
    pub request: Request,
    /// The operation as the trace names it.
    pub trace_op: TraceOp,
    /// Time to live in seconds (0: none given).
    pub ttl_s: u32,
    /// The tenant (lcs v2 and later) or client (Twitter), 0 when the
    /// format has none.
    pub tenant: u32,
}

impl Record {
    /// A record of a format that gives only the request.
    pub fn plain(request: Request) -> Record {
        Record {
            request,
            trace_op: TraceOp::of(request.op),
            ttl_s: 0,
            tenant: 0,
        }
    }
}

/// A source of records read in batches.
pub trait RecordStream: Send {
    /// Appends up to `max` records to `out` and returns how many were
    /// appended; 0 means the stream has ended.
    fn next_records(&mut self, out: &mut Vec<Record>, max: usize) -> Result<usize, StreamError>;
}

/// The records of a format that gives only requests.
pub struct PlainRecords {
    inner: Box<dyn RequestStream>,
    batch: Vec<Request>,
}

impl PlainRecords {
    /// Records of `inner`'s requests.
    pub fn new(inner: Box<dyn RequestStream>) -> Self {
        PlainRecords {
            inner,
            batch: Vec::new(),
        }
    }
}

impl RecordStream for PlainRecords {
    fn next_records(&mut self, out: &mut Vec<Record>, max: usize) -> Result<usize, StreamError> {
        self.batch.clear();
        let n = self.inner.next_batch(&mut self.batch, max)?;
        out.extend(self.batch.iter().map(|&r| Record::plain(r)));
        Ok(n)
    }
}

/// The requests of a record stream (its extra fields dropped).
pub struct RequestsOf<R> {
    inner: R,
    batch: Vec<Record>,
}

impl<R: RecordStream> RequestsOf<R> {
    /// Requests of `inner`'s records.
    pub fn new(inner: R) -> Self {
        RequestsOf {
            inner,
            batch: Vec::new(),
        }
    }
}

impl<R: RecordStream> RequestStream for RequestsOf<R> {
    fn next_batch(&mut self, batch: &mut Vec<Request>, max: usize) -> Result<usize, StreamError> {
        self.batch.clear();
        let n = self.inner.next_records(&mut self.batch, max)?;
        batch.extend(self.batch.iter().map(|r| r.request));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_map_as_a_cache_sees_them() {
        let op = |name: &str| TraceOp::from_name(name.as_bytes()).unwrap();
        assert_eq!(op("get").op(), Op::Get);
        assert_eq!(op("gets").op(), Op::Get);
        for write in [
            "set", "add", "cas", "replace", "append", "prepend", "incr", "decr",
        ] {
            assert_eq!(op(write).op(), Op::Set, "{write}");
        }
        assert_eq!(op("delete").op(), Op::Delete);
        assert_eq!(op("cas").name(), "cas");
        assert_eq!(TraceOp::from_name(b"frobnicate"), None);
        assert_eq!(TraceOp::from_code(15), None);
        assert_eq!(TraceOp::of(Op::Delete), TraceOp::DELETE);
    }
}
