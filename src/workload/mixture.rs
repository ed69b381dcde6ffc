//! A mixture of stationary workloads: each request first picks its part by
//! share, then draws its key from that part's stream. Request classes in
//! the cluster and the class fit of `analyze` both draw through it, so a
//! fitted scenario's classes are the stream the fit was checked with.

use rand::RngExt;

use super::WorkloadStream;
use crate::request::Request;
use crate::seed::Rng;

/// Streams picked by share.
pub struct Mixture {
    streams: Box<[WorkloadStream]>,
    /// Cumulative shares (the last is 1 give or take rounding).
    bounds: Box<[f64]>,
    pick: Rng,
}

impl Mixture {
    /// The mixture of `parts` (a stream and its share; the shares sum to
    /// 1), picking with `pick`.
    pub fn new(parts: Vec<(WorkloadStream, f64)>, pick: Rng) -> Mixture {
        let mut sum = 0.0;
        let (streams, bounds): (Vec<WorkloadStream>, Vec<f64>) = parts
            .into_iter()
            .map(|(stream, share)| {
                sum += share;
                (stream, sum)
            })
            .unzip();
        Mixture {
            streams: streams.into(),
            bounds: bounds.into(),
            pick,
        }
    }

    /// The next request and the index of the part it came from. With one
    /// part nothing is drawn to pick it.
    #[inline]
    pub fn next_request(&mut self) -> (usize, Request) {
        let part = if self.streams.len() == 1 {
            0
        } else {
            let u: f64 = self.pick.random();
            // Past the last bound (rounding) is the last part.
            self.bounds
                .iter()
                .position(|&b| u < b)
                .unwrap_or(self.bounds.len() - 1)
        };
        (part, self.streams[part].next_request())
    }
}
