//! A mixture of stationary workloads: each request first picks its part by
//! share, then draws its key from that part's stream. Request classes in
//! the cluster and the class fit of `analyze` both draw through it, so a
//! fitted scenario's classes are the stream the fit was checked with.

use rand::Rng as _;

use super::WorkloadStream;
use crate::request::Request;
use crate::seed::Rng;

/// Streams picked by share.
pub struct Mixture {
    streams: Box<[WorkloadStream]>,
    /// Cumulative shares (the last is 1 give or take rounding) as
    /// thresholds on the 53 bits a uniform draw in [0, 1) is made of.
    thresholds: Box<[u64]>,
    pick: Rng,
}

impl Mixture {
    /// The mixture of `parts` (a stream and its share; the shares sum to
    /// 1), picking with `pick`.
    pub fn new(parts: Vec<(WorkloadStream, f64)>, pick: Rng) -> Mixture {
        let mut sum = 0.0;
        let (streams, thresholds): (Vec<WorkloadStream>, Vec<u64>) = parts
            .into_iter()
            .map(|(stream, share)| {
                sum += share;
                (stream, threshold(sum))
            })
            .unzip();
        Mixture {
            streams: streams.into(),
            thresholds: thresholds.into(),
            pick,
        }
    }

    /// The next request and the index of the part it came from. With one
    /// part nothing is drawn to pick it.
    #[inline(always)]
    pub fn next_request(&mut self) -> (usize, Request) {
        let part = if self.streams.len() == 1 {
            0
        } else {
            // The bits of `rand`'s uniform f64 in [0, 1), compared as
            // integers: the part a float draw below the bounds would pick.
            let bits = self.pick.next_u64() >> 11;
            // Past the last bound (rounding) is the last part.
            let last = self.thresholds.len() - 1;
            self.thresholds[..last]
                .iter()
                .position(|&t| bits < t)
                .unwrap_or(last)
        };
        (part, self.streams[part].next_request())
    }
}

/// The integer `t` for which a draw of 53 bits `k` has `k · 2⁻⁵³ < bound`
/// exactly when `k < t` (scaling by a power of two is exact).
fn threshold(bound: f64) -> u64 {
    (bound * UNIT).ceil().min(UNIT) as u64
}

/// 2⁵³: the number of values a uniform f64 draw in [0, 1) takes.
const UNIT: f64 = (1u64 << 53) as f64;

#[cfg(test)]
mod tests {
    use rand::RngExt;

    use super::*;
    use crate::seed::Seed;

    #[test]
    fn thresholds_pick_as_the_float_draw_does() {
        for bound in [0.0, 0.2, 0.5, 0.7, 1.0 / 3.0, 0.999_999_999_999, 1.0] {
            let t = threshold(bound);
            let mut rng = Seed(7).rng();
            for _ in 0..10_000 {
                let mut copy = rng.clone();
                let u: f64 = rng.random();
                let bits = copy.next_u64() >> 11;
                assert_eq!(u < bound, bits < t, "bound {bound}, u {u}");
            }
            // At the edges: the draw just below the threshold and the one at it.
            if t > 0 {
                assert!(((t - 1) as f64 / UNIT) < bound);
            }
            if t < 1 << 53 {
                assert!((t as f64 / UNIT) >= bound);
            }
        }
    }
}
