//! A request's life, and the internal work it leads to (fills, fetches,
//! copies, invalidations, flushes): a job, and its phase as an enum whose
//! variants carry only what that phase needs. A phase is work at a node or
//! work at the database, so a node's handler and the database's handler
//! each match only their own phases.

use super::super::membership::Pool;
use crate::sim::Time;

/// Marks a job issued by the open-loop arrival process (no user to wake).
pub(super) const NO_USER: u32 = u32::MAX;

/// No ticket, no node.
pub(super) const NONE: u32 = u32::MAX;

/// One request in flight (or the fill or invalidation it leads to).
#[derive(Clone, Copy, Debug)]
pub(super) struct Job {
    pub key: u64,
    pub size: u32,
    /// When the client issued the request this job serves.
    pub issued: Time,
    /// When the job was last sent to a node.
    pub sent: Time,
    /// The closed-loop user waiting for it ([`NO_USER`]: none).
    pub user: u32,
    /// The request class of the request it serves (0 without classes).
    pub class: u16,
    /// The TTL the trace gave the request it serves, in seconds (0: none
    /// given, or not a trace honouring TTLs: its class's lifetime applies).
    pub ttl_s: u32,
    /// The node it is at, or was last at (a database read's fill goes
    /// there).
    pub pool: Pool,
    pub node: u32,
    /// The service in progress at a node ([`NONE`]: none); a crash voids it.
    pub ticket: u32,
    /// The database refused it, its fetch failed, or a copy was lost.
    pub failed: bool,
    /// The version read from the database, or written.
    pub version: u64,
    /// The client has its outcome (always true for internal jobs: fills'
    /// fetches, copies, invalidations and flushes answer no one).
    pub answered: bool,
    /// Retries: which attempt of a client's database read this is (1: the
    /// first), and the wait before it (0 for the first).
    pub attempt: u32,
    pub wait: Time,
    /// Local tiers: how many of them a get missed (its answer fills those),
    /// and the local cache it looked in.
    pub near_missed: u8,
    /// The local tiers it went past without a lookup (bit t: tier t, whose
    /// node was down), which its answer does not fill.
    pub near_skipped: u8,
    pub near_cache: u32,
    /// A tier routed by region: the region the get came from.
    pub region: u16,
    /// The scan this job is a part or a database read of ([`NONE`]: none).
    pub scan: u32,
    pub phase: Phase,
}

/// Where a job is in its life: work at (or on its way to) a node, or at
/// (or on its way to) the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// At a node.
    Node(AtNode),
    /// At the database.
    Db(AtDb),
}

/// The work a node does for a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AtNode {
    /// A client's get.
    Lookup(Read),
    /// Warm-up: a get sent to a warm copy after a miss at the warming node
    /// `home`.
    WarmRead { read: Read, home: u32 },
    /// Warm-up: the value from a warm copy added to the warming node.
    WarmAdd,
    /// A cache-aside fill (no one waits for it), with the lease token
    /// granted with the miss (0: none).
    Fill { token: u64 },
    /// A delete after a write (no one waits for it).
    Invalidate,
    /// Cache-aside with update: the writer's set of its new version on one
    /// copy; `writer` waits for the acknowledgement with synchronous
    /// replication.
    Update { writer: Option<JobId> },
    /// A client's write at its node, in write-through.
    WriteThrough,
    /// A client's write at its node, in write-behind.
    WriteBehind,
    /// One node's part of a scan (the job's `scan`): the lookups of the
    /// part's keys.
    Scan { part: u32 },
}

/// What a get has learnt at the nodes so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Read {
    /// The node had the key.
    pub hit: bool,
    /// Leases: the refill token granted with a miss (0: none).
    pub token: u64,
    /// Leases: the node told this reader to wait and retry.
    pub wait: bool,
    /// Leases: this reader has waited at least once.
    pub waited: bool,
}

/// The work the database does for a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AtDb {
    /// A client's read; `fill` is the lease token (0: none) when the client
    /// fills the cache afterwards.
    Read { fill: Option<u64> },
    /// A client's set or delete; with synchronous copies, the copies yet to
    /// acknowledge once it is committed.
    Write { acks: u32 },
    /// A read-through node reading a key; `epoch` is the node's when the
    /// fetch started (a crash voids it), `waiter` the one reader waiting for
    /// it without coalescing.
    Fetch { epoch: u32, waiter: Option<JobId> },
    /// Write-through: the node's database write, then the acknowledgements
    /// still due (the node's own, and the copies' when synchronous).
    NodeWrite { epoch: u32, acks: u32 },
    /// Write-behind: the node's delayed write, void if the node restarted
    /// since (`incarnation`).
    Flush { incarnation: u32 },
    /// A client's read that the client gave up on (`database.timeout`):
    /// the database still serves it, and its answer goes to no one.
    Abandoned,
}

impl Read {
    /// A get before any node has seen it.
    pub(super) const FIRST: Read = Read {
        hit: false,
        token: 0,
        wait: false,
        waited: false,
    };
}

impl Phase {
    /// The acknowledgements a write still waits for, if it is one that does.
    pub(super) fn acks_mut(&mut self) -> Option<&mut u32> {
        match self {
            Phase::Db(AtDb::Write { acks } | AtDb::NodeWrite { acks, .. }) => Some(acks),
            Phase::Node(_) | Phase::Db(_) => None,
        }
    }
}

/// A job as events name it: its slot and the slot's generation when the
/// event was scheduled. A slot's generation is odd while a job holds it and
/// moves on when the job is released, so an event that outlives its job
/// (a reply to a request already answered, an acknowledgement to a writer
/// that gave up) finds a newer generation and does nothing: a recycled slot
/// is never acted on by its previous occupant's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct JobId {
    pub slot: u32,
    pub generation: u32,
}

impl Job {
    /// A job for `key` in `phase`, with nothing in flight yet.
    pub(super) fn new(key: u64, size: u32, now: Time, phase: Phase) -> Job {
        Job {
            key,
            size,
            issued: now,
            sent: now,
            user: NO_USER,
            class: 0,
            ttl_s: 0,
            pool: Pool::Main,
            node: 0,
            ticket: NONE,
            failed: false,
            version: 0,
            answered: false,
            attempt: 1,
            wait: 0,
            near_missed: 0,
            near_skipped: 0,
            near_cache: 0,
            region: 0,
            scan: NONE,
            phase,
        }
    }
}
