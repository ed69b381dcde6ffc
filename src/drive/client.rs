//! One connection's share of a run: batches of the stream sent as a
//! cache-aside client sends them, with what came back counted.
//!
//! A batch of B requests goes out as one pipeline (GET for a get, SET and
//! DEL for a trace's sets and deletes, in stream order); then one SET of the
//! object's size for each distinct key whose GET missed in that batch, in
//! the order of first misses. A key that misses twice in one batch is two
//! misses and one fill: the server had not seen the fill when it answered
//! the second GET. With B = 1 this is plain cache-aside: GET, and SET on a
//! miss.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use super::target::{Command, Connection};
use crate::replay::pipeline::Fills;
use crate::request::{Op, Request};

/// Consecutive requests of the stream, sent together.
pub(super) struct Batch {
    /// The requests (with `time_ns` the intended send time when paced).
    pub(super) requests: Vec<Request>,
    /// Each request's TTL in seconds (0: none), beside it; empty when the
    /// stream gives none.
    pub(super) ttls: Vec<u32>,
    /// How many of the first requests are warm-up, not counted.
    pub(super) warmup: usize,
    /// Requests counted before this batch's first counted one, in stream
    /// order: where its counts fall among the intervals.
    pub(super) counted_before: u64,
}

/// What the requests past the warm-up did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Requests counted.
    pub requests: u64,
    /// Gets among them.
    pub gets: u64,
    /// Gets the server answered with a value.
    pub hits: u64,
    /// Gets it answered with nothing.
    pub misses: u64,
    /// Sets of the stream.
    pub sets: u64,
    /// Deletes of the stream.
    pub deletes: u64,
    /// Sets sent to fill a miss.
    pub fills: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.requests += other.requests;
        self.gets += other.gets;
        self.hits += other.hits;
        self.misses += other.misses;
        self.sets += other.sets;
        self.deletes += other.deletes;
        self.fills += other.fills;
    }
}

/// Gets and hits of one interval of the counted stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Gets.
    pub gets: u64,
    /// Their hits.
    pub hits: u64,
}

/// Latencies up to an hour, in nanoseconds, to 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid histogram bounds")
}

/// What one connection did, and why it stopped if it stopped early.
pub struct Share {
    /// Counted requests.
    pub counts: Counts,
    /// Every request whose reply came back, warm-up included.
    pub driven: u64,
    /// Latency of each counted request, in nanoseconds.
    pub latency: Histogram<u64>,
    /// Latency of the counted gets that hit, and of those that missed (the
    /// GET's round trip; the fill that follows a miss is not in it).
    pub hit_latency: Histogram<u64>,
    /// See `hit_latency`.
    pub miss_latency: Histogram<u64>,
    /// Gets and hits of each interval of counted requests, in stream order
    /// (see [`super::drive_in_intervals`]); intervals no request of this
    /// share fell in are zero or missing at the end.
    pub intervals: Vec<Tally>,
    /// The keys the server held while it was full, asked on this
    /// connection after a batch of counted requests at most every
    /// [`HELD_SAMPLE_EVERY`], from the first sample at which it had evicted
    /// since this connection's first (see [`HeldSampler`]).
    pub held: Vec<u64>,
    /// The error that stopped it.
    pub error: Option<String>,
}

/// The least time between two samples of the keys the server holds.
pub const HELD_SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// Samples the keys a server holds while it is full: what its memory
/// holds, which moves during a run as clients' buffers take memory and
/// give it back. Until the server's eviction counter has moved past its
/// value at the first sample, the cache may still be filling, and its key
/// count says nothing of its capacity: those samples are not kept.
#[derive(Default)]
struct HeldSampler {
    last: Option<Instant>,
    evictions_at_first: Option<u64>,
    full: bool,
}

impl HeldSampler {
    /// Takes a sample into `held` when [`HELD_SAMPLE_EVERY`] has passed
    /// since the last one.
    fn sample(
        &mut self,
        connection: &mut dyn Connection,
        held: &mut Vec<u64>,
    ) -> Result<(), String> {
        if self.last.is_some_and(|t| t.elapsed() < HELD_SAMPLE_EVERY) {
            return Ok(());
        }
        self.last = Some(Instant::now());
        if !self.full {
            let evicted = connection.evicted_keys()?;
            let first = *self.evictions_at_first.get_or_insert(evicted);
            self.full = evicted > first;
        }
        if self.full {
            held.push(connection.held_keys()?);
        }
        Ok(())
    }
}

impl Share {
    /// Adds `other` into this one; the first error is kept.
    pub fn merge(&mut self, other: Share) {
        self.counts.add(&other.counts);
        self.driven += other.driven;
        for (mine, theirs) in [
            (&mut self.latency, &other.latency),
            (&mut self.hit_latency, &other.hit_latency),
            (&mut self.miss_latency, &other.miss_latency),
        ] {
            mine.add(theirs).expect("histograms of the same bounds");
        }
        self.error = self.error.take().or(other.error);
        self.held.extend(other.held);
        if self.intervals.len() < other.intervals.len() {
            self.intervals
                .resize(other.intervals.len(), Tally::default());
        }
        for (mine, theirs) in self.intervals.iter_mut().zip(&other.intervals) {
            mine.gets += theirs.gets;
            mine.hits += theirs.hits;
        }
    }

    /// Nothing yet.
    pub fn empty() -> Share {
        Share {
            counts: Counts::default(),
            driven: 0,
            latency: histogram(),
            hit_latency: histogram(),
            miss_latency: histogram(),
            error: None,
            intervals: Vec::new(),
            held: Vec::new(),
        }
    }
}

/// The commands of a batch, in stream order.
/// The TTL of request `i` of a batch whose TTLs are `ttls` (empty: none).
fn ttl_of(ttls: &[u32], i: usize) -> u32 {
    ttls.get(i).copied().unwrap_or(0)
}

pub(super) fn commands(requests: &[Request], ttls: &[u32]) -> Vec<Command> {
    requests
        .iter()
        .enumerate()
        .map(|(i, r)| match r.op {
            Op::Get => Command::Get(r.key),
            Op::Set => Command::Set(r.key, r.size, ttl_of(ttls, i)),
            Op::Delete => Command::Delete(r.key),
        })
        .collect()
}

/// The fills after a batch whose gets hit as `hits` says, by the batch rule
/// of [`crate::replay::pipeline`]: one SET per distinct key that missed, in
/// the order of first misses, with the TTL of its first miss.
pub(super) fn fills(requests: &[Request], ttls: &[u32], hits: &[bool]) -> Vec<Command> {
    let mut fills = Fills::default();
    for (i, (request, &hit)) in requests.iter().zip(hits).enumerate() {
        if request.op == Op::Get && !hit {
            fills.missed(request, ttl_of(ttls, i));
        }
    }
    fills
        .drain()
        .map(|(request, ttl_s)| Command::Set(request.key, request.size, ttl_s))
        .collect()
}

/// Runs the batches of `batches` on `connection` until they end or the
/// server fails. When `paced`, a batch is sent when its last request is
/// due (`start` + its `time_ns`) and each latency is measured from the
/// request's own due time, so a slow reply delays nothing it should not
/// (no coordinated omission); otherwise from the moment the batch is sent.
/// Gets and hits are also tallied per `interval` counted requests, and the
/// keys the server holds are sampled as the run goes (see [`Share::held`]).
pub(super) fn run(
    connection: &mut dyn Connection,
    batches: &Receiver<Batch>,
    start: Instant,
    paced: bool,
    interval: u64,
) -> Share {
    let mut share = Share::empty();
    let mut sampler = HeldSampler::default();
    for batch in batches {
        let mut sent = send(connection, &batch, start, paced, interval, &mut share);
        if sent.is_ok() && batch.warmup < batch.requests.len() {
            sent = sampler.sample(connection, &mut share.held);
        }
        if let Err(error) = sent {
            share.error = Some(error);
            break;
        }
    }
    share
}

fn send(
    connection: &mut dyn Connection,
    batch: &Batch,
    start: Instant,
    paced: bool,
    interval: u64,
    share: &mut Share,
) -> Result<(), String> {
    let requests = &batch.requests;
    let due = |r: &Request| start + Duration::from_nanos(r.time_ns);
    if paced && let Some(last) = requests.last() {
        let wait = due(last).saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
    let sent = Instant::now();
    let ttls = &batch.ttls;
    let hits = connection.exchange(&commands(requests, ttls))?;
    let replied = Instant::now();
    share.driven += requests.len() as u64;
    let counted = &requests[batch.warmup..];
    let counted_hits = &hits[batch.warmup..];
    let counts = &mut share.counts;
    counts.requests += counted.len() as u64;
    for (i, (request, &hit)) in counted.iter().zip(counted_hits).enumerate() {
        match request.op {
            Op::Get => {
                counts.gets += 1;
                if hit {
                    counts.hits += 1;
                } else {
                    counts.misses += 1;
                }
                let index = ((batch.counted_before + i as u64) / interval) as usize;
                if share.intervals.len() <= index {
                    share.intervals.resize(index + 1, Tally::default());
                }
                share.intervals[index].gets += 1;
                share.intervals[index].hits += u64::from(hit);
            }
            Op::Set => counts.sets += 1,
            Op::Delete => counts.deletes += 1,
        }
        let from = if paced { due(request) } else { sent };
        let nanos = replied.saturating_duration_since(from).as_nanos();
        let nanos = u64::try_from(nanos).unwrap_or(u64::MAX).max(1);
        share.latency.saturating_record(nanos);
        match (request.op, hit) {
            (Op::Get, true) => share.hit_latency.saturating_record(nanos),
            (Op::Get, false) => share.miss_latency.saturating_record(nanos),
            _ => {}
        }
    }
    // The replies are counted before the fills go out, so that a fill the
    // server refuses leaves the counts equal to the server's.
    let sets = fills(requests, ttls, &hits);
    if !sets.is_empty() {
        connection.exchange(&sets)?;
    }
    // Fills of misses in the warm-up are not counted.
    share.counts.fills += fills(counted, &[], counted_hits).len() as u64;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(key: u64) -> Request {
        Request::get(key, 10)
    }

    #[test]
    fn one_fill_per_distinct_missed_key_in_first_miss_order() {
        // 1 misses, 2 hits, 3 misses, 1 misses again (its fill is not sent
        // yet), 3 misses again: fills 1 then 3, once each.
        let batch = [get(1), get(2), get(3), get(1), get(3)];
        let hits = [false, true, false, false, false];
        assert_eq!(
            fills(&batch, &[], &hits),
            [Command::Set(1, 10, 0), Command::Set(3, 10, 0)]
        );
        // A fill carries the TTL of its key's first miss.
        assert_eq!(
            fills(&batch, &[7, 8, 9, 4, 5], &hits),
            [Command::Set(1, 10, 7), Command::Set(3, 10, 9)]
        );
        let delete = Request {
            op: Op::Delete,
            ..get(4)
        };
        assert_eq!(
            commands(&[get(1), delete], &[]),
            [Command::Get(1), Command::Delete(4)]
        );
        // A trace's delete is no miss to fill.
        assert!(fills(&[delete], &[], &[false]).is_empty());
    }
}
