//! Scans (YCSB E) as cache-aside multi-gets. A scan's keys (consecutive key
//! numbers, see `workload::scan`) are grouped by the node that owns each
//! as the client routes it; one part goes to each such node, all at once,
//! as a client's multi-key get does (memcached's `get k1 k2 …`, Redis's
//! MGET per shard). A part costs its node one service time, whatever its
//! keys: the per-request cost dominates a small object's lookup (Facebook,
//! NSDI 2013 §6.1: 1.8 M hit items/s per server); the node counts each key
//! as a get in its own figures, as memcached's `cmd_get` and `get_hits`
//! count each key of a multi-key get. Each key that misses (or whose node
//! cannot be reached, or that routes to no node) is read from the database
//! with a query of its own and then set on its node, as a get's miss is: the
//! database model serves queries, not batches, so its load stays the
//! queries that reach it, and a client filling per key after a multi-get
//! is what cache-aside does (a multi-get returns only the hits).
//!
//! A scan is one request: it is issued once, answered once, when its last
//! part and its last database read have answered, and its latency is from
//! its issue to then (a hit when every key hit, a miss when any missed,
//! failed when the database refused any). The hit ratio counts keys, as a
//! cache's own counters do: every key of a scan is one get that hit or
//! missed. Scans go through no lease, warm copy, retry, application server
//! or near tier (the scenario refuses the combinations): a miss at a
//! warming node reads the database.

use super::*;
use crate::metrics::scans::ScanCounts;
use crate::request::Request;

/// The scans in flight, and the buffers scans are built in: a scan's
/// slot keeps its vectors for the next scan that takes it, so a run
/// allocates for scans only while the longest scan and the most in flight
/// grow.
#[derive(Default)]
pub(super) struct Scans {
    slots: Vec<Scan>,
    free: Vec<u32>,
    /// Scans issued and not yet answered.
    pub in_flight: u64,
    /// The keys of the scan being issued, in scan order, from the feed.
    pub incoming: Vec<Request>,
    /// Those keys with their targets and scan positions, to sort by target.
    routed: Vec<(Target, u32, Request)>,
    /// Keys that go to the database: those that route to no node, or the
    /// misses of a part.
    reads: Vec<Request>,
    /// What the scans issued after the warm-up did, when the workload has
    /// scans.
    pub counted: Option<ScanCounts>,
}

/// One scan in flight.
#[derive(Default)]
struct Scan {
    issued: Time,
    user: u32,
    class: u16,
    /// Its keys, those of one part together, parts in node order, each
    /// part's keys in scan order.
    keys: Vec<Request>,
    /// Whether each key hit at its node.
    hit: Vec<bool>,
    /// Each part's node and its keys' range in `keys`.
    parts: Vec<Part>,
    /// Parts and database reads not yet answered.
    due: u32,
    missed: bool,
    failed: bool,
}

#[derive(Clone, Copy)]
struct Part {
    pool: Pool,
    node: u32,
    from: u32,
    to: u32,
}

/// Orders targets: the main pool's nodes, the gutter's, then the database.
fn rank(target: Target) -> (u8, u32) {
    match target {
        Target::Node(Pool::Main, id) => (0, id),
        Target::Node(Pool::Gutter, id) => (1, id),
        Target::Database => (2, 0),
    }
}

impl Sim<'_> {
    /// A client issues the scan of the keys in `scans.incoming` (in
    /// order) at `now`.
    pub(super) fn issue_scan(&mut self, now: Time, user: u32, class: u16) {
        self.issued += 1;
        let mut routed = std::mem::take(&mut self.scans.routed);
        routed.clear();
        let incoming = std::mem::take(&mut self.scans.incoming);
        routed.extend(
            incoming
                .iter()
                .enumerate()
                .map(|(i, &r)| (self.cache_target(r.key), i as u32, r)),
        );
        self.scans.incoming = incoming;
        // By target, and in scan order within one: the order of a stable
        // sort, without its buffer.
        routed.sort_unstable_by_key(|&(target, i, _)| (rank(target), i));
        let mut database = std::mem::take(&mut self.scans.reads);
        database.clear();
        let slot = self.scans.open(now, user, class);
        let scan = &mut self.scans.slots[slot as usize];
        for (i, &(target, _, request)) in routed.iter().enumerate() {
            match target {
                Target::Node(pool, node) => match scan.parts.last_mut() {
                    Some(p) if p.pool == pool && p.node == node => p.to += 1,
                    _ => scan.parts.push(Part {
                        pool,
                        node,
                        from: i as u32,
                        to: i as u32 + 1,
                    }),
                },
                Target::Database => database.push(request),
            }
        }
        scan.keys.extend(routed.iter().map(|&(_, _, r)| r));
        scan.hit.resize(routed.len(), false);
        scan.due = (scan.parts.len() + database.len()) as u32;
        scan.missed = !database.is_empty();
        self.scans.routed = routed;
        for i in 0..self.scans.slots[slot as usize].parts.len() {
            let scan = &self.scans.slots[slot as usize];
            let part = scan.parts[i];
            let first = scan.keys[part.from as usize];
            let job = self.scan_job(slot, first, now, class);
            let work = AtNode::Scan { part: i as u32 };
            self.send_to_node(now, job, part.pool, part.node, work);
        }
        for &request in &database {
            self.recorder.outcome(class, now, false, request.size);
            let job = self.scan_job(slot, request, now, class);
            self.send_to_database(now, job, AtDb::Read { fill: None });
        }
        self.scans.reads = database;
    }

    /// An internal job of the scan in `slot`, for `request`'s key.
    fn scan_job(&mut self, slot: u32, request: Request, issued: Time, class: u16) -> u32 {
        self.allocate_internal(Job {
            class,
            scan: slot,
            ..Job::new(
                request.key,
                request.size,
                issued,
                Phase::Node(AtNode::Lookup(Read::FIRST)),
            )
        })
    }

    /// A node serves part `part` of a scan: one lookup per key, each a get
    /// that hit or missed; the answer goes back to the client.
    pub(super) fn serve_scan_part(&mut self, now: Time, job: u32, part: u32, counting: bool) {
        let j = self.jobs[job as usize];
        let scan = &mut self.scans.slots[j.scan as usize];
        let Part { from, to, .. } = scan.parts[part as usize];
        let n = self.tier.node_mut(j.pool, j.node);
        for i in from as usize..to as usize {
            let Request { key, size, .. } = scan.keys[i];
            let found = n.lookup(key, size, now, counting);
            scan.hit[i] = found.is_some();
            scan.missed |= found.is_none();
            if let Some(version) = found
                && let Some(since) = self.consistency.versions.stale_since(key, version)
            {
                let lag = self.consistency.versions.committed(key) - version;
                self.recorder
                    .stale_read(scan.class, scan.issued, now - since, lag);
            }
            self.recorder
                .outcome(scan.class, scan.issued, found.is_some(), size);
        }
        let latency = n.network_latency();
        self.queue.schedule_in(
            lane::NODE_REPLY,
            now + latency,
            Event::Client(ClientEvent::Reply(self.id(job))),
        );
    }

    /// A part's answer reaches the client: each key it missed is read from
    /// the database, and set on the part's node after.
    pub(super) fn scan_part_answered(&mut self, now: Time, job: u32, part: u32) {
        self.scan_part_over(now, job, part, |hit| !hit, Some(0));
    }

    /// A client gave up on a part's node: every key of the part is a miss,
    /// read from the database and set nowhere.
    pub(super) fn scan_part_timed_out(&mut self, now: Time, job: u32, part: u32) {
        let j = self.jobs[job as usize];
        let scan = &mut self.scans.slots[j.scan as usize];
        let Part { from, to, .. } = scan.parts[part as usize];
        scan.missed = true;
        for i in from as usize..to as usize {
            // Whatever the node found, the client never saw it.
            scan.hit[i] = false;
            let size = scan.keys[i].size;
            self.recorder.outcome(j.class, j.issued, false, size);
        }
        self.scan_part_over(now, job, part, |_| true, None);
    }

    /// Part `part`'s job is over: the keys `read` picks (by whether they
    /// hit) go to the database, filling with `fill`.
    fn scan_part_over(
        &mut self,
        now: Time,
        job: u32,
        part: u32,
        read: impl Fn(bool) -> bool,
        fill: Option<u64>,
    ) {
        let j = self.jobs[job as usize];
        self.release(job);
        let mut reads = std::mem::take(&mut self.scans.reads);
        reads.clear();
        let scan = &self.scans.slots[j.scan as usize];
        let Part { from, to, .. } = scan.parts[part as usize];
        reads.extend(
            (from as usize..to as usize)
                .filter(|&i| read(scan.hit[i]))
                .map(|i| scan.keys[i]),
        );
        self.scans.slots[j.scan as usize].due += reads.len() as u32;
        for &request in &reads {
            let read_job = self.scan_job(j.scan, request, j.issued, j.class);
            let r = &mut self.jobs[read_job as usize];
            r.pool = j.pool;
            r.node = j.node;
            self.send_to_database(now, read_job, AtDb::Read { fill });
        }
        self.scans.reads = reads;
        self.scan_answered(now, j.scan, Class::Hit);
    }

    /// One part or one database read of the scan in `slot` has answered
    /// (`class`: how); after the last, the scan's client has its answer.
    pub(super) fn scan_answered(&mut self, now: Time, slot: u32, class: Class) {
        let scan = &mut self.scans.slots[slot as usize];
        scan.failed |= class == Class::Failed;
        scan.due -= 1;
        if scan.due > 0 {
            return;
        }
        let outcome = match (scan.failed, scan.missed) {
            (true, _) => Class::Failed,
            (false, true) => Class::Miss,
            (false, false) => Class::Hit,
        };
        let (issued, user, class) = (scan.issued, scan.user, scan.class);
        if issued >= self.warmup_end
            && let Some(counts) = &mut self.scans.counted
        {
            let hits = scan.hit.iter().filter(|&&hit| hit).count() as u64;
            counts.scans += 1;
            counts.keys += scan.keys.len() as u64;
            counts.key_hits += hits;
            counts.parts += scan.parts.len() as u64;
            counts.whole_hits += u64::from(outcome == Class::Hit);
            counts.failed += u64::from(outcome == Class::Failed);
        }
        self.scans.take(slot);
        self.answered += 1;
        self.answer_client(now, issued, user, class, outcome);
    }
}

impl Scans {
    /// No scan yet; counting them when `counted` (the workload has scans).
    pub fn new(counted: bool) -> Scans {
        Scans {
            counted: counted.then(ScanCounts::default),
            ..Scans::default()
        }
    }

    /// Opens a scan issued at `now` in a free slot, its vectors emptied
    /// (their buffers kept), and returns the slot.
    fn open(&mut self, now: Time, user: u32, class: u16) -> u32 {
        self.in_flight += 1;
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(Scan::default());
            (self.slots.len() - 1) as u32
        });
        let scan = &mut self.slots[slot as usize];
        scan.keys.clear();
        scan.hit.clear();
        scan.parts.clear();
        scan.issued = now;
        scan.user = user;
        scan.class = class;
        scan.due = 0;
        scan.missed = false;
        scan.failed = false;
        slot
    }

    /// Frees `slot` for the next scan.
    fn take(&mut self, slot: u32) {
        self.in_flight -= 1;
        self.free.push(slot);
    }
}
