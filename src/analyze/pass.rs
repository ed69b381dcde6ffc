//! The one pass over a trace: every count `analyze` reports, exact, in
//! memory proportional to the distinct objects (a 24-byte table slot at
//! 1⅓ to 2⅔ slots per object, plus 4.5 bytes per stack position at one to
//! three positions per object: 37 to 78 bytes) and constant otherwise
//! (histograms of fixed size, capped tables of TTLs and tenants, a time
//! series whose interval doubles as it fills).

use rustc_hash::FxHashMap;

use super::curve::{POSITION_AHEAD, SLOT_AHEAD, StackDistances};
use super::hist::LogHistogram;
use crate::trace::{Record, TraceOp};

/// Most distinct values a mix table (TTLs, tenants) keeps; the rest are
/// counted together as "other".
pub const MIX_CAP: usize = 4096;

/// Most intervals of the rate series; past it, intervals double.
const RATE_BINS: usize = 2048;

/// Counts of requests by a small key (a TTL, a tenant), at most
/// [`MIX_CAP`] keys and the rest as `other`.
#[derive(Clone, Debug, Default)]
pub struct Mix {
    counts: FxHashMap<u32, u64>,
    /// Requests whose key came after the table was full.
    pub other: u64,
    /// The latest key and its requests not yet in `counts` (most traces
    /// repeat one TTL or tenant for long runs).
    run: Option<(u32, u64)>,
}

impl Mix {
    #[inline]
    fn add(&mut self, key: u32) {
        match &mut self.run {
            Some((k, n)) if *k == key => *n += 1,
            run => {
                if let Some((k, n)) = run.replace((key, 1)) {
                    self.count(k, n);
                }
            }
        }
    }

    fn count(&mut self, key: u32, n: u64) {
        let full = self.counts.len() >= MIX_CAP;
        match self.counts.get_mut(&key) {
            Some(count) => *count += n,
            None if full => self.other += n,
            None => {
                self.counts.insert(key, n);
            }
        }
    }

    /// The keys by requests, most first (ties by key).
    pub fn ranked(&self) -> Vec<(u32, u64)> {
        let mut all = self.clone();
        if let Some((k, n)) = all.run.take() {
            all.count(k, n);
        }
        let mut ranked: Vec<(u32, u64)> = all.counts.iter().map(|(&k, &n)| (k, n)).collect();
        ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }
}

/// Requests per interval of time since the first request.
#[derive(Clone, Debug)]
pub struct RateSeries {
    /// Interval length, seconds.
    pub interval_s: u64,
    /// Requests in each interval.
    pub counts: Vec<u64>,
}

impl RateSeries {
    #[inline]
    fn add(&mut self, seconds: u64) {
        let mut bin = seconds / self.interval_s;
        while bin as usize >= RATE_BINS {
            let merged: Vec<u64> = self.counts.chunks(2).map(|c| c.iter().sum()).collect();
            self.counts = merged;
            self.interval_s *= 2;
            bin = seconds / self.interval_s;
        }
        let bin = bin as usize;
        if bin >= self.counts.len() {
            self.counts.resize(bin + 1, 0);
        }
        self.counts[bin] += 1;
    }
}

/// What the pass has counted.
pub struct Pass {
    lru: StackDistances,
    /// Bytes requested.
    pub request_bytes: u64,
    /// Bytes of the distinct objects, each at its first-seen size.
    pub object_bytes: u64,
    /// Requests whose size differs from their object's first-seen size.
    pub size_changes: u64,
    /// Smallest and largest request size (`(u32::MAX, 0)` before any).
    pub size_range: (u32, u32),
    /// Sizes, one count per request.
    pub sizes_by_request: LogHistogram,
    /// Sizes, one count per object (first-seen size).
    pub sizes_by_object: LogHistogram,
    /// Sum and sum of squares of ln(first-seen size) over objects.
    pub ln_size: (f64, f64),
    /// Reuse distances: distinct other objects requested since the last
    /// request for the same key (re-requests only).
    pub reuse_distance: LogHistogram,
    /// Seconds since the last request for the same key (re-requests only).
    pub reuse_time: LogHistogram,
    /// Requests by the trace's own operation code (codes above 15 as 15).
    pub ops: [u64; 16],
    /// Requests by TTL, seconds (0: none).
    pub ttls: Mix,
    /// Requests by tenant or client.
    pub tenants: Mix,
    /// Requests over time.
    pub rate: RateSeries,
    /// Time of the first request, ns.
    pub first_ns: Option<u64>,
    /// Latest time seen, ns.
    pub last_ns: u64,
}

impl Default for Pass {
    fn default() -> Self {
        Pass::new()
    }
}

impl Pass {
    /// Nothing counted yet.
    pub fn new() -> Self {
        Pass {
            lru: StackDistances::new(),
            request_bytes: 0,
            object_bytes: 0,
            size_changes: 0,
            size_range: (u32::MAX, 0),
            sizes_by_request: LogHistogram::default(),
            sizes_by_object: LogHistogram::default(),
            ln_size: (0.0, 0.0),
            reuse_distance: LogHistogram::default(),
            reuse_time: LogHistogram::default(),
            ops: [0; 16],
            ttls: Mix::default(),
            tenants: Mix::default(),
            rate: RateSeries {
                interval_s: 1,
                counts: Vec::new(),
            },
            first_ns: None,
            last_ns: 0,
        }
    }

    /// Requests counted.
    pub fn requests(&self) -> u64 {
        self.lru.requests
    }

    /// Distinct objects so far.
    pub fn objects(&self) -> u64 {
        self.lru.objects()
    }

    /// Counts a batch of records, asking the CPU to load each key's slot
    /// 16 records ahead and its stack position 8 ahead.
    pub fn add_all(&mut self, records: &[Record]) {
        for (i, record) in records.iter().enumerate() {
            self.lru.prefetch(
                records.get(i + SLOT_AHEAD).map(|r| r.request.key),
                records.get(i + POSITION_AHEAD).map(|r| r.request.key),
            );
            self.add(record);
        }
    }

    /// Counts one record.
    #[inline]
    pub fn add(&mut self, record: &Record) {
        let req = &record.request;
        let size = req.size.max(1);
        let first_ns = *self.first_ns.get_or_insert(req.time_ns);
        self.last_ns = self.last_ns.max(req.time_ns);
        let seconds = req.time_ns.saturating_sub(first_ns) / 1_000_000_000;
        let now_s = u32::try_from(seconds).unwrap_or(u32::MAX);
        self.request_bytes += u64::from(size);
        self.sizes_by_request.add(u64::from(size), 1);
        self.size_range = (self.size_range.0.min(size), self.size_range.1.max(size));
        self.ops[usize::from(record.trace_op.0).min(15)] += 1;
        self.ttls.add(record.ttl_s);
        self.tenants.add(record.tenant);
        self.rate.add(seconds);
        let (object, reuse) = self.lru.access(req.key, size);
        match reuse {
            None => {
                self.object_bytes += u64::from(size);
                self.sizes_by_object.add(u64::from(size), 1);
                let ln = f64::from(size).ln();
                self.ln_size.0 += ln;
                self.ln_size.1 += ln * ln;
            }
            Some(objects) => {
                self.reuse_distance.add(objects, 1);
                self.reuse_time
                    .add(u64::from(now_s - object.last_s.min(now_s)), 1);
                if size != object.size {
                    self.size_changes += 1;
                }
            }
        }
        object.last_s = now_s;
    }

    /// Every object's request count, largest first.
    pub fn counts(&self) -> Vec<u32> {
        let mut counts: Vec<u32> = self.lru.each_object().map(|o| o.count).collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        counts
    }

    /// Requests by operation, for the codes that occur.
    pub fn op_mix(&self) -> Vec<(TraceOp, u64)> {
        (0..16u8)
            .map(|code| (TraceOp(code), self.ops[usize::from(code)]))
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// The LRU miss ratio (by requests) of a cache of `bytes`, from the
    /// stack distances (linear inside a histogram bin).
    pub fn lru_miss_ratio(&self, bytes: u64) -> f64 {
        self.lru.miss_ratio(bytes)
    }

    /// Heap bytes held per distinct object now (see
    /// [`StackDistances::bytes_per_object`]).
    pub fn bytes_per_object(&self) -> f64 {
        self.lru.bytes_per_object()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;

    fn pass_of(keys: &[u64]) -> Pass {
        let mut pass = Pass::new();
        for (i, &key) in keys.iter().enumerate() {
            pass.add(&Record::plain(Request {
                time_ns: i as u64 * 1_000_000_000,
                ..Request::get(key, 10 * key as u32)
            }));
        }
        pass
    }

    #[test]
    fn hand_traced_counts() {
        // 1 2 3 1 2 1: the second 1 has 2 others since (2, 3), stack bytes
        // 20+30+10; the second 2 has 2 (3, 1); the third 1 has 1 (2).
        let pass = pass_of(&[1, 2, 3, 1, 2, 1]);
        assert_eq!((pass.requests(), pass.objects()), (6, 3));
        assert_eq!(pass.counts(), [3, 2, 1]);
        assert_eq!(pass.object_bytes, 60);
        assert_eq!(pass.request_bytes, 10 + 20 + 30 + 10 + 20 + 10);
        assert_eq!(pass.reuse_distance.total(), 3);
        assert_eq!(pass.reuse_distance.count_at_most(1.0), 1.0);
        assert_eq!(pass.reuse_distance.count_at_most(2.0), 3.0);
        assert_eq!(
            pass.lru.stack_bytes.count_at_most(30.0),
            1.0,
            "1 after 2: 20+10"
        );
        assert_eq!(pass.lru.stack_bytes.count_at_most(59.0), 1.0);
        assert_eq!(pass.lru.stack_bytes.count_at_most(60.0), 3.0);
        assert_eq!(pass.reuse_time.count_at_most(2.0), 1.0);
        assert_eq!(pass.reuse_time.count_at_most(3.0), 3.0);
        assert_eq!(pass.rate.counts, [1; 6]);
    }

    #[test]
    fn rate_intervals_double_when_full() {
        let mut series = RateSeries {
            interval_s: 1,
            counts: Vec::new(),
        };
        for s in 0..5000 {
            series.add(s);
        }
        assert_eq!(series.interval_s, 4);
        assert_eq!(series.counts.iter().sum::<u64>(), 5000);
        assert!(series.counts.len() <= RATE_BINS);
    }
}
