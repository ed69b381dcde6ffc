//! Synthetic request streams: a key popularity law, an object-size law and a
//! request count, all seeded.
//!
//! Written as `zipf:alpha=1.0,keys=1000000,requests=10000000` (popularity) and
//! `lognormal:median=4KiB,sigma=1` (sizes). Keys are ranks passed through a
//! bijective mixer, so popular keys are spread over the key space (and over
//! the nodes of a cluster) instead of being 1, 2, 3. Offered load that changes
//! over time is a [`schedule`]; popularity that changes over time is a
//! [`Motion`] (drift, flash crowds) or the `latest` law with inserts.
//!
//! A stationary workload draws keys on the path it always had
//! ([`WorkloadStream::next_key`]); a moving one takes the time of each
//! request ([`WorkloadStream::request_at`]). In replay, which has no clock,
//! the time of a request is its index in the stream, so a drift's `period`
//! is counted in requests.

mod latest;
mod mixture;
mod motion;
mod order;
mod popularity;
mod scan;
pub mod schedule;
mod sizes;
mod zipf;

pub use mixture::Mixture;
pub use motion::{Drift, FlashCrowd, Motion};
pub use order::{Permutation, ScanOrder};
pub use popularity::Popularity;
pub use scan::{MAX_LENGTH as MAX_SCAN_LENGTH, ScanLength, ScanMix};
pub use sizes::SizeLaw;

use rand::RngExt;

use crate::request::{Op, Request, RequestStream, StreamError};
use crate::seed::{Rng, Seed};
use crate::spec::SpecError;

/// A synthetic workload: who is asked for, how big objects are, how many requests.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Key popularity.
    pub popularity: Popularity,
    /// Object sizes (a function of the key, so an object keeps its size).
    pub sizes: SizeLaw,
    /// Number of requests.
    pub requests: u64,
    /// How the popularity moves over time (still by default).
    pub motion: Motion,
    /// Share of requests that insert a key, drawn by the stream itself
    /// (replay's `latest:insert=`; the cluster draws inserts from its
    /// operation mix and leaves this 0).
    pub inserts: f64,
    /// Scans drawn by the stream itself, each becoming its keys' gets in
    /// order (replay's `scan=`; the cluster draws scans from its operation
    /// mix, sends each as one multi-get, and leaves this `None`).
    pub scans: Option<ScanMix>,
    /// How keys are laid out in key-number order, which scans read along
    /// ([`ScanOrder::Ranked`], the identity, for a workload without scans).
    pub scan_order: ScanOrder,
    /// Ranks start after this many: a request class's place in a key
    /// space shared by several laws, so that their keys never meet (0 for
    /// a workload alone; only a stationary law has one).
    pub key_offset: u64,
}

impl Workload {
    /// Parses `zipf:alpha=1.0,keys=1000000,requests=10000000` and friends.
    pub fn parse(text: &str, sizes: SizeLaw) -> Result<Workload, SpecError> {
        let parsed = Popularity::parse(text)?;
        Ok(Workload {
            popularity: parsed.popularity,
            sizes,
            requests: parsed.requests,
            motion: parsed.motion,
            inserts: parsed.inserts,
            scans: parsed.scans,
            scan_order: parsed.scan_order,
            key_offset: 0,
        })
    }

    /// A stationary workload: `popularity`, `sizes`, `requests`, nothing moving.
    pub fn still(popularity: Popularity, sizes: SizeLaw, requests: u64) -> Workload {
        Workload {
            popularity,
            sizes,
            requests,
            motion: Motion::default(),
            inserts: 0.0,
            scans: None,
            scan_order: ScanOrder::Ranked,
            key_offset: 0,
        }
    }

    /// True when which keys are hot changes over time (or with inserts).
    pub fn moves(&self) -> bool {
        !self.motion.is_still() || matches!(self.popularity, Popularity::Latest { .. })
    }

    /// The key number of popularity rank `rank` (the creation index under
    /// `latest`) in the streams of `seed`: its place in the order scans
    /// read along, and the number [`scramble`] makes its key of.
    pub fn key_number(&self, seed: Seed, rank: u64) -> u64 {
        let table = order::Table::new(
            self.scan_order,
            self.popularity.keys(),
            seed.derive("table"),
        );
        number_of(&table, rank)
    }

    /// A fresh stream of this workload; equal seeds give equal streams.
    pub fn stream(&self, seed: Seed) -> WorkloadStream {
        self.stream_sized(seed, seed.derive("sizes"))
    }

    /// A fresh stream whose keys and draws come from `seed` and whose
    /// object sizes come from `sizes` (request classes share one, so that
    /// a key has one size whichever class asks for it).
    pub fn stream_sized(&self, seed: Seed, sizes: Seed) -> WorkloadStream {
        assert!(
            self.key_offset == 0 || !self.moves(),
            "only a stationary law has a key offset"
        );
        assert!(
            self.key_offset == 0 || self.scan_order == ScanOrder::Ranked,
            "a class's keys (with an offset) are not laid out for scans"
        );
        let moving = self.moves().then(|| {
            let recency = match self.popularity {
                Popularity::Latest { alpha, keys, churn } => {
                    Some(latest::Recency::new(alpha, keys, churn))
                }
                _ => None,
            };
            Box::new(Moving {
                mover: motion::Mover::new(
                    self.motion.clone(),
                    self.popularity.keys(),
                    seed.derive("crowds").rng(),
                ),
                keys: self.popularity.keys(),
                recency,
                inserts: self.inserts,
                insert_rng: seed.derive("inserts").rng(),
                clock: 0,
            })
        });
        WorkloadStream {
            sampler: self.popularity.sampler(),
            sizes: self.sizes.clone(),
            size_seed: sizes,
            rng: seed.derive("keys").rng(),
            remaining: self.requests,
            offset: self.key_offset,
            last: self.key_offset + self.popularity.keys(),
            table: order::Table::new(
                self.scan_order,
                self.popularity.keys(),
                seed.derive("table"),
            ),
            moving,
            scans: self.scans.map(|mix| {
                Box::new(ReplayScans {
                    mix,
                    rng: seed.derive("scans").rng(),
                    keys: Vec::new(),
                    next: 0,
                })
            }),
        }
    }
}

/// The request stream of a [`Workload`].
pub struct WorkloadStream {
    sampler: popularity::Sampler,
    sizes: SizeLaw,
    size_seed: Seed,
    rng: Rng,
    remaining: u64,
    /// Ranks start after this many (see [`Workload::key_offset`]).
    offset: u64,
    /// A stationary law: the number of its newest key (`offset + keys`,
    /// then one more per insert).
    last: u64,
    /// The key number of each rank when scans read a scrambled order
    /// (none: the rank itself).
    table: Option<order::Table>,
    /// What moves (none for a stationary workload).
    moving: Option<Box<Moving>>,
    /// Replay's scans, when the workload has them.
    scans: Option<Box<ReplayScans>>,
}

/// Replay's scans: the mix, their own random stream, and the keys of the
/// scan being replayed with the next to hand out.
struct ReplayScans {
    mix: ScanMix,
    rng: Rng,
    keys: Vec<Request>,
    next: usize,
}

/// The state of a moving workload's stream.
struct Moving {
    mover: motion::Mover,
    keys: u64,
    recency: Option<latest::Recency>,
    inserts: f64,
    insert_rng: Rng,
    /// Replay's clock: the index of the next request.
    clock: u64,
}

impl WorkloadStream {
    /// The next key of a stationary law (a moving one at time zero).
    #[inline]
    pub fn next_key(&mut self) -> u64 {
        match self.moving {
            None => scramble(self.stationary_number()),
            Some(_) => self.key_at(0),
        }
    }

    /// The key number of a stationary law's next draw: its rank after the
    /// offset, laid out by the table.
    #[inline]
    fn stationary_number(&mut self) -> u64 {
        number_of(&self.table, self.sampler.rank(&mut self.rng) + self.offset)
    }

    /// The key of a read at time `t` (times never decrease).
    #[inline]
    pub fn key_at(&mut self, t: u64) -> u64 {
        let Some(moving) = self.moving.as_deref_mut() else {
            return scramble(self.stationary_number());
        };
        if let Some(key) = moving.mover.crowd_key(t) {
            return key;
        }
        match &mut moving.recency {
            Some(recency) => scramble(number_of(&self.table, recency.number(&mut self.rng))),
            None => {
                let rank = self.sampler.rank(&mut self.rng);
                moving.mover.key(rank, moving.keys, t)
            }
        }
    }

    /// A get of the key drawn at time `t`.
    #[inline]
    pub fn request_at(&mut self, t: u64) -> Request {
        let key = self.key_at(t);
        self.request(key, Op::Get)
    }

    /// A set of a newly created key (YCSB's insert), or `None` for a law
    /// whose key space does not grow (a drift or flash crowds). Under
    /// `latest` the new key is the newest, the most requested; under a
    /// stationary law it takes the number after the last, and its reads
    /// keep their law over the first `keys` (only a scan that runs past
    /// them reads it).
    pub fn insert(&mut self) -> Option<Request> {
        let key = match self.moving.as_deref_mut() {
            Some(moving) => moving.recency.as_mut()?.insert(),
            None => {
                self.last += 1;
                scramble(self.last)
            }
        };
        Some(self.request(key, Op::Set))
    }

    /// A scan of `length` keys (see [`ScanLength`]): pushes onto `out` the
    /// gets of the keys of consecutive numbers from a start drawn from the
    /// law, clipped at the newest key. Only a stationary law or `latest`
    /// without a drift or crowds scans (the scenario checks it).
    pub fn scan(&mut self, length: u64, out: &mut Vec<Request>) {
        let (start, last) = match self.moving.as_deref_mut() {
            None => (self.stationary_number(), self.last),
            Some(moving) => {
                let recency = moving
                    .recency
                    .as_mut()
                    .expect("validated: scans under latest or a stationary law");
                let number = recency.number(&mut self.rng);
                (number_of(&self.table, number), recency.newest())
            }
        };
        for number in scan::numbers(start, length, last) {
            out.push(self.request(scramble(number), Op::Get));
        }
    }

    #[inline]
    fn request(&self, key: u64, op: Op) -> Request {
        Request {
            time_ns: 0,
            key,
            size: self.sizes.size_of(key, self.size_seed),
            op,
            next_access: crate::request::NEVER,
        }
    }

    /// The next request in replay order: its index is its time, and a share
    /// `inserts` of them create keys.
    fn next_replayed(&mut self) -> Request {
        let Some(moving) = self.moving.as_deref_mut() else {
            return self.next_request();
        };
        let t = moving.clock;
        moving.clock += 1;
        if moving.inserts > 0.0
            && moving.insert_rng.random::<f64>() < moving.inserts
            && let Some(request) = self.insert()
        {
            return request;
        }
        self.request_at(t)
    }

    /// The next request in replay order when the workload scans: the next
    /// key of the scan under way, or a new draw (a share of scans start
    /// one, and the rest are the stream's usual requests).
    fn next_scanned(&mut self) -> Request {
        let mut scans = self.scans.take().expect("a workload that scans");
        if scans.next == scans.keys.len() {
            scans.keys.clear();
            scans.next = 0;
            if scans.rng.random::<f64>() < scans.mix.share {
                let length = scans.mix.length.draw(&mut scans.rng);
                self.scan(length, &mut scans.keys);
            }
        }
        let request = match scans.keys.get(scans.next) {
            Some(&key) => {
                scans.next += 1;
                key
            }
            None => self.next_replayed(),
        };
        self.scans = Some(scans);
        request
    }

    /// The next request (a get of the next key, at time zero), ignoring
    /// the workload's request count.
    #[inline]
    pub fn next_request(&mut self) -> Request {
        let key = self.next_key();
        Request {
            time_ns: 0,
            key,
            size: self.sizes.size_of(key, self.size_seed),
            op: Op::Get,
            next_access: crate::request::NEVER,
        }
    }
}

impl RequestStream for WorkloadStream {
    fn next_batch(&mut self, batch: &mut Vec<Request>, max: usize) -> Result<usize, StreamError> {
        let n = (max as u64).min(self.remaining) as usize;
        if self.scans.is_some() {
            for _ in 0..n {
                let request = self.next_scanned();
                batch.push(request);
            }
        } else if self.moving.is_some() {
            for _ in 0..n {
                let request = self.next_replayed();
                batch.push(request);
            }
        } else {
            for _ in 0..n {
                let request = self.next_request();
                batch.push(request);
            }
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// The key number of rank (or creation index) `rank` under `table` (the
/// rank itself without one).
#[inline]
fn number_of(table: &Option<order::Table>, rank: u64) -> u64 {
    match table {
        None => rank,
        Some(table) => table.number(rank),
    }
}

/// A bijection on u64 that maps ranks to keys that look random but never
/// collide.
#[inline]
pub fn scramble(rank: u64) -> u64 {
    crate::seed::mix64(rank)
}
