//! LRU stack distances in bytes by key: the part of the pass the LRU
//! miss-ratio curve needs. [`super::Pass`] counts everything else around
//! it; the fit check runs it alone over the fitted workload's stream,
//! since the curve is all it compares.

use super::hist::LogHistogram;
use super::stack::Stack;
use super::table::{Object, ObjectTable};
use crate::request::{Request, RequestStream, StreamError};

/// Each object's latest stack position, and the stack distances so far
/// (not [`crate::mrc::LruCurve`], which counts hits at chosen sizes).
pub struct StackDistances {
    objects: ObjectTable,
    stack: Stack,
    /// Requests seen.
    pub requests: u64,
    /// LRU stack distances in bytes: the smallest cache (in bytes) that
    /// hits the request (re-requests only).
    pub stack_bytes: LogHistogram,
}

impl Default for StackDistances {
    fn default() -> Self {
        StackDistances::new()
    }
}

impl StackDistances {
    /// Nothing seen yet.
    pub fn new() -> Self {
        StackDistances {
            objects: ObjectTable::new(),
            stack: Stack::new(1024),
            requests: 0,
            stack_bytes: LogHistogram::default(),
        }
    }

    /// The curve of every request of `stream`.
    pub fn of(stream: &mut dyn RequestStream) -> Result<StackDistances, StreamError> {
        let mut curve = StackDistances::new();
        let mut batch = Vec::with_capacity(8192);
        loop {
            batch.clear();
            if stream.next_batch(&mut batch, 8192)? == 0 {
                return Ok(curve);
            }
            curve.add_all(&batch);
        }
    }

    /// Sees a batch of requests, asking the CPU to load what each needs
    /// ahead of it (see [`StackDistances::prefetch`]).
    fn add_all(&mut self, requests: &[Request]) {
        for (i, request) in requests.iter().enumerate() {
            self.prefetch(
                requests.get(i + SLOT_AHEAD).map(|r| r.key),
                requests.get(i + POSITION_AHEAD).map(|r| r.key),
            );
            self.access(request.key, request.size.max(1));
        }
    }

    /// Asks the CPU to start loading the slot of `slot_key` and the stack
    /// position of `position_key`'s object: the pass is bound by memory
    /// latency, so the owner calls this with the keys [`SLOT_AHEAD`] and
    /// [`POSITION_AHEAD`] requests ahead.
    #[inline]
    pub fn prefetch(&self, slot_key: Option<u64>, position_key: Option<u64>) {
        if let Some(key) = slot_key {
            self.objects.prefetch(key);
        }
        if let Some(object) = position_key.and_then(|key| self.objects.get(key)) {
            self.stack.prefetch(object.position);
        }
    }

    /// A request for `key` of `size` (above 0): moves its object to the
    /// top of the stack, counting its request and, for a re-request, its
    /// stack distance. Returns the object (a new one has its count at 1,
    /// its size and position set, the rest zero) and, for a re-request, the
    /// distinct other objects requested since its last request.
    #[inline]
    pub fn access(&mut self, key: u64, size: u32) -> (&mut Object, Option<u64>) {
        if self.stack.is_full() {
            self.objects.renumber(&self.stack.compact());
        }
        self.requests += 1;
        let (object, new) = self.objects.entry(key);
        if new {
            object.count = 1;
            object.size = size;
            object.position = self.stack.push(size);
            return (object, None);
        }
        let (bytes, objects) = self.stack.take(object.position);
        self.stack_bytes.add(bytes + u64::from(size), 1);
        object.position = self.stack.push(size);
        object.count = object.count.saturating_add(1);
        (object, Some(objects))
    }

    /// The LRU miss ratio (by requests) of a cache of `bytes`, from the
    /// stack distances (linear inside a histogram bin).
    pub fn miss_ratio(&self, bytes: u64) -> f64 {
        if self.requests == 0 {
            return 0.0;
        }
        1.0 - self.stack_bytes.count_at_most(bytes as f64) / self.requests as f64
    }

    /// Distinct objects so far.
    pub fn objects(&self) -> u64 {
        self.objects.len() as u64
    }

    /// Every object, in slot order.
    pub fn each_object(&self) -> impl Iterator<Item = &Object> {
        self.objects.objects()
    }

    /// Heap bytes held per distinct object now: table slots (24 bytes
    /// each, 1⅓ to 2⅔ per object) and stack positions.
    pub fn bytes_per_object(&self) -> f64 {
        let objects = self.objects.len().max(1) as f64;
        let table = self.objects.heap_bytes() as f64;
        let stack = self.stack.positions() as f64 * Stack::bytes_per_position();
        (table + stack) / objects
    }
}

/// How many requests ahead a key's slot is prefetched.
pub const SLOT_AHEAD: usize = 16;
/// How many requests ahead a key's stack position is prefetched.
pub const POSITION_AHEAD: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Pass;
    use crate::seed::Seed;
    use crate::trace::record::Record;
    use crate::workload::{SizeLaw, Workload};

    /// The curve alone is the pass's: the same distances, bin for bin,
    /// through several compactions of the stack.
    #[test]
    fn the_curve_alone_is_the_passs() {
        let workload = Workload::parse(
            "zipf:alpha=0.8,keys=20000,requests=200000",
            SizeLaw::LogNormal {
                median: 300.0,
                sigma: 1.0,
            },
        )
        .unwrap();
        let curve = StackDistances::of(&mut workload.stream(Seed(3))).unwrap();
        let mut pass = Pass::new();
        let mut stream = workload.stream(Seed(3));
        let mut batch = Vec::new();
        while stream.next_batch(&mut batch, 4096).unwrap() > 0 {
            let records: Vec<Record> = batch.drain(..).map(Record::plain).collect();
            pass.add_all(&records);
        }
        assert_eq!(curve.objects(), pass.objects());
        assert!(curve.objects() > 10_000, "{}", curve.objects());
        for bytes in [1_000, 100_000, 1_000_000, 5_000_000] {
            assert_eq!(curve.miss_ratio(bytes), pass.lru_miss_ratio(bytes));
        }
        let hand = {
            let mut c = StackDistances::new();
            for key in [1, 2, 1, 3, 2, 1] {
                c.access(key, 10);
            }
            c
        };
        // Re-requests at 20, 30 and 30 bytes: the three first requests
        // miss in any cache, the re-requests hit in 1000 bytes, nothing
        // hits in 15.
        assert_eq!(hand.miss_ratio(1000), 0.5);
        assert_eq!(hand.miss_ratio(15), 1.0);
    }
}
