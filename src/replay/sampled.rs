//! Miss-ratio curves from a spatial sample of the stream (SHARDS): every
//! policy at every size in one pass, each cell a miniature cache of the
//! sample rate times its size, fed only the sampled requests.
//!
//! The pass reads the stream once, keeps the sampled requests in chunks, and
//! hands each chunk to every cell (in parallel; each cell sees the chunks in
//! stream order, so the result does not depend on the thread count). LRU
//! runs as one stack-distance pass over the sample instead of a cell per
//! size. Memory is the cells' miniature caches plus one chunk, whatever the
//! stream's length.
//!
//! The estimate is SHARDS-adj (Waldspurger et al., FAST 2015, §4.3): the
//! sample holds more or fewer requests than R · N by chance, mostly by
//! holding one very hot key more or less, and those requests are hits in
//! every cache; so the miss ratio is the sample's misses over R · N, and the
//! byte miss ratio its missed bytes over R times the stream's bytes.

use std::ops::ControlFlow;
use std::time::Instant;

use rayon::prelude::*;

use super::{Client, Replay, ReplayError};
use crate::metrics::{MissCounts, SampledResult};
use crate::mrc::{Sample, Sampling, SmallestHashes, StackDistances};
use crate::policy::PolicyChoice;
use crate::request::Request;

/// Sampled requests handed to the cells at a time.
const CHUNK: usize = 1 << 16;

/// One policy at one size, running on the sample.
struct MiniatureCell {
    label: String,
    capacity: u64,
    client: Client,
}

/// What the pass counted of the whole stream.
#[derive(Default)]
struct StreamTotals {
    requests: u64,
    bytes: u64,
}

impl Replay<'_> {
    /// The sample `sampling` asks for: a fixed rate at once, a fixed size
    /// from a first pass over the keys.
    pub fn resolve_sample(&self, sampling: Sampling) -> Result<Sample, ReplayError> {
        match sampling {
            Sampling::Rate(rate) => Ok(Sample::at_rate(rate)),
            Sampling::Keys(keys) => {
                let mut smallest = SmallestHashes::new(keys);
                self.visit_batches(|batch, _| {
                    for req in batch {
                        smallest.see(req.key);
                    }
                    ControlFlow::Continue(())
                })?;
                Ok(smallest.sample())
            }
        }
    }

    /// Miss-ratio curves of `policies` at `capacities` from `sample`, rows
    /// in the order of `policies` then `capacities`. A capacity whose
    /// miniature (capacity × rate, rounded down: an LRU over the sample hits
    /// exactly when its stack distance is at most that) would be empty is
    /// refused.
    /// `progress` is told how many requests were read, now and then.
    pub fn sampled_curves(
        &self,
        policies: &[PolicyChoice],
        capacities: &[u64],
        sample: Sample,
        sampling: Sampling,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<SampledResult>, ReplayError> {
        if self.options.ttls {
            return Err(ReplayError::SampledTtls);
        }
        let started = Instant::now();
        if let Some(paged) = policies
            .iter()
            .find(|p| p.build(0, self.seed).bound() == crate::policy::Bound::SlabPages)
        {
            return Err(ReplayError::PagesDoNotScale {
                policy: paged.label.clone(),
            });
        }
        let rate = sample.rate();
        let miniature = |capacity: u64| -> Result<u64, ReplayError> {
            let scaled = (capacity as f64 * rate).floor() as u64;
            if scaled == 0 {
                return Err(ReplayError::MiniatureTooSmall { capacity, rate });
            }
            Ok(scaled)
        };
        let scaled: Vec<u64> = capacities
            .iter()
            .map(|&c| miniature(c))
            .collect::<Result<_, _>>()?;
        let wants_lru = policies.iter().any(|p| p.label == "lru");
        let mut distances = wants_lru.then(|| StackDistances::new(&scaled));
        let mut cells: Vec<MiniatureCell> = policies
            .iter()
            .filter(|p| p.label != "lru")
            .flat_map(|p| {
                capacities
                    .iter()
                    .zip(&scaled)
                    .map(|(&capacity, &small)| MiniatureCell {
                        label: p.label.clone(),
                        capacity,
                        client: Client::new(p.build(small, self.seed), 1),
                    })
            })
            .collect();
        let wants_future = policies.iter().any(|p| p.spec.needs_future);
        let mut totals = StreamTotals::default();
        let mut chunk: Vec<Request> = Vec::with_capacity(CHUNK);
        // Index in `chunk` of its first counted request; the warm-up is a
        // prefix of the stream, so the counted requests are a suffix.
        let mut counted_from: Option<usize> = None;
        let mut feed = |chunk: &mut Vec<Request>, counted_from: &mut Option<usize>| {
            let from = counted_from.unwrap_or(chunk.len());
            let (lru, rest) = (&mut distances, &mut cells);
            rayon::join(
                || {
                    if let Some(d) = lru.as_mut() {
                        d.access_batch(chunk, from);
                    }
                },
                || {
                    rest.par_iter_mut()
                        .for_each(|cell| cell.client.feed(chunk, from));
                },
            );
            chunk.clear();
            *counted_from = counted_from.map(|_| 0);
        };
        let mut read = 0u64;
        let processed = self.for_each_batch(wants_future, |batch, warm_end| {
            read += batch.len() as u64;
            if read % (1 << 20) < batch.len() as u64 {
                progress(read);
            }
            for (i, req) in batch.iter().enumerate() {
                let counted = i >= warm_end;
                if counted {
                    totals.requests += 1;
                    totals.bytes += u64::from(req.size);
                }
                if !sample.keeps(req.key) {
                    continue;
                }
                if counted && counted_from.is_none() {
                    counted_from = Some(chunk.len());
                }
                chunk.push(*req);
                if chunk.len() == CHUNK {
                    feed(&mut chunk, &mut counted_from);
                }
            }
            ControlFlow::Continue(())
        })?;
        feed(&mut chunk, &mut counted_from);
        let seconds = started.elapsed().as_secs_f64();
        let estimate = Estimate {
            sampling,
            rate,
            totals: &totals,
            processed,
            seconds,
        };
        let lru_rows: Vec<SampledResult> = match &distances {
            Some(d) => {
                let curve = d.curve();
                capacities
                    .iter()
                    .zip(&scaled)
                    .map(|(&capacity, &small)| {
                        // Sizes that scale to one miniature share its point.
                        let i = curve.sizes.partition_point(|&s| s < small);
                        let counts = MissCounts {
                            requests: curve.requests,
                            misses: curve.requests - curve.hits[i],
                            bytes: curve.bytes,
                            byte_misses: curve.bytes - curve.byte_hits[i],
                            expired: 0,
                        };
                        estimate.row("lru", capacity, &counts)
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let mut rows = Vec::with_capacity(policies.len() * capacities.len());
        for policy in policies {
            if policy.label == "lru" {
                rows.extend(lru_rows.iter().cloned());
            } else {
                rows.extend(
                    cells
                        .iter()
                        .filter(|c| c.label == policy.label)
                        .map(|c| estimate.row(&c.label, c.capacity, &c.client.counts)),
                );
            }
        }
        Ok(rows)
    }
}

/// What turns a cell's counts on the sample into estimates for the stream.
struct Estimate<'a> {
    sampling: Sampling,
    rate: f64,
    totals: &'a StreamTotals,
    processed: u64,
    seconds: f64,
}

impl Estimate<'_> {
    /// The row of `policy` at `capacity` from its counts on the sample.
    fn row(&self, policy: &str, capacity: u64, sampled: &MissCounts) -> SampledResult {
        SampledResult::new(
            policy.to_string(),
            capacity,
            match self.sampling {
                Sampling::Rate(_) => "rate",
                Sampling::Keys(_) => "keys",
            },
            self.rate,
            sampled,
            (self.totals.requests, self.totals.bytes),
            (self.processed, self.seconds),
        )
    }
}
