//! The requests clients issue: keys, sizes and operations from a synthetic
//! workload (with the scenario's operation mix) or from a trace file.

use rand::RngExt;

use crate::request::{Op, Request, RequestStream};
use crate::scenario::KeySource;
use crate::seed::{Rng, Seed};
use crate::trace::TraceError;
use crate::workload::WorkloadStream;

/// An endless (synthetic) or finite (trace) supply of requests.
pub enum Feed {
    /// Synthetic keys with operations drawn from the mix.
    Synthetic {
        /// The key stream.
        stream: Box<WorkloadStream>,
        /// Shares of get, set, delete.
        mix: [f64; 3],
        /// Draws the operation.
        rng: Rng,
    },
    /// A trace read in batches.
    Trace {
        /// The reader.
        stream: Box<dyn RequestStream>,
        /// Requests read ahead.
        batch: Vec<Request>,
        /// Next position in `batch`.
        next: usize,
    },
}

impl Feed {
    /// The feed of `source`, seeded from `seed`.
    pub fn new(source: &KeySource, mix: [f64; 3], seed: Seed) -> Result<Feed, TraceError> {
        Ok(match source {
            KeySource::Synthetic(workload) => Feed::Synthetic {
                stream: Box::new(workload.stream(seed.derive("workload"))),
                mix,
                rng: seed.derive("ops").rng(),
            },
            KeySource::Trace(trace) => Feed::Trace {
                stream: trace.open()?,
                batch: Vec::with_capacity(4096),
                next: 0,
            },
        })
    }

    /// The next request, or `None` when a trace has ended. A trace request
    /// keeps its own time; a synthetic one has time zero.
    #[inline]
    pub fn next(&mut self) -> Result<Option<Request>, TraceError> {
        match self {
            Feed::Synthetic { stream, mix, rng } => {
                let mut request = stream.next_request();
                if mix[0] < 1.0 {
                    let u: f64 = rng.random();
                    request.op = if u < mix[0] {
                        Op::Get
                    } else if u < mix[0] + mix[1] {
                        Op::Set
                    } else {
                        Op::Delete
                    };
                }
                Ok(Some(request))
            }
            Feed::Trace {
                stream,
                batch,
                next,
            } => {
                if *next == batch.len() {
                    batch.clear();
                    *next = 0;
                    if stream.next_batch(batch, 4096)? == 0 {
                        return Ok(None);
                    }
                }
                *next += 1;
                Ok(Some(batch[*next - 1]))
            }
        }
    }
}
