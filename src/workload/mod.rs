//! Synthetic request streams: a key popularity law, an object-size law and a
//! request count, all seeded.
//!
//! Written as `zipf:alpha=1.0,keys=1000000,requests=10000000` (popularity) and
//! `lognormal:median=4KiB,sigma=1` (sizes). Keys are ranks passed through a
//! bijective mixer, so popular keys are spread over the key space (and over
//! the nodes of a cluster) instead of being 1, 2, 3. Offered load that changes
//! over time is a [`schedule`].

mod popularity;
pub mod schedule;
mod sizes;

pub use popularity::Popularity;
pub use sizes::SizeLaw;

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
}

impl Workload {
    /// Parses `zipf:alpha=1.0,keys=1000000,requests=10000000` and friends.
    pub fn parse(text: &str, sizes: SizeLaw) -> Result<Workload, SpecError> {
        let (popularity, requests) = Popularity::parse(text)?;
        Ok(Workload {
            popularity,
            sizes,
            requests,
        })
    }

    /// A fresh stream of this workload; equal seeds give equal streams.
    pub fn stream(&self, seed: Seed) -> WorkloadStream {
        WorkloadStream {
            sampler: self.popularity.sampler(),
            sizes: self.sizes.clone(),
            size_seed: seed.derive("sizes"),
            rng: seed.derive("keys").rng(),
            remaining: self.requests,
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
}

impl WorkloadStream {
    /// The next key.
    #[inline]
    pub fn next_key(&mut self) -> u64 {
        self.sampler.sample(&mut self.rng)
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
        for _ in 0..n {
            let request = self.next_request();
            batch.push(request);
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// A bijection on u64 that maps ranks to keys that look random but never
/// collide.
#[inline]
pub fn scramble(rank: u64) -> u64 {
    crate::seed::mix64(rank)
}
