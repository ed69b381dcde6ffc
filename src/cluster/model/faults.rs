//! The faults: the failure plan as it unfolds. Scheduled failures come from
//! the plan; random ones are exponential times to failure and to repair per
//! node (one stream for all, drawn in event order); clients learn of a
//! failure or a recovery after the detection delay. The component keeps
//! what happened, for the failure-impact report; what a failure does to a
//! node, to routing and to jobs in flight is the model's (`failures.rs`).

use rand_distr::{Distribution, Exp};

use crate::metrics::{FailureEvent, Happening};
use crate::scenario::config::{ClusterConfig, RandomFaults};
use crate::seed::{Rng, Seed};
use crate::sim::Time;

/// The faults' state.
pub(super) struct Faults {
    random: Option<RandomFaults>,
    rng: Rng,
    /// How long clients take to learn that a node failed or came back.
    pub detection: Time,
    happened: Vec<FailureEvent>,
}

impl Faults {
    /// The faults of `config`, their random stream derived from `seed`.
    pub fn new(config: &ClusterConfig, seed: Seed) -> Faults {
        Faults {
            random: config.faults.random,
            rng: seed.derive("random-failures").rng(),
            detection: config.cache.detection_delay,
            happened: Vec::new(),
        }
    }

    /// Random failures: when a running node next crashes (none without
    /// random failures).
    pub fn time_to_failure(&mut self) -> Option<Time> {
        let mean = self.random?.mtbf;
        Some(exponential(mean, &mut self.rng))
    }

    /// Random failures: how long a crashed node takes to come back.
    pub fn time_to_repair(&mut self) -> Time {
        let mean = self
            .random
            .expect("only random failures schedule repairs")
            .mttr;
        exponential(mean, &mut self.rng)
    }

    /// Notes what happened at `now` to `node`, and the share of keys it moved.
    pub fn record(&mut self, now: Time, action: Happening, node: Option<u32>, moved: Option<f64>) {
        self.happened.push(FailureEvent {
            time_s: now as f64 / 1e9,
            action,
            node,
            keys_moved: moved,
        });
    }

    /// Every failure and membership event so far, in time order.
    pub fn happened(&self) -> &[FailureEvent] {
        &self.happened
    }
}

/// An exponential time of mean `mean` (above zero, as validated), capped at
/// the longest duration a scenario may have.
fn exponential(mean: Time, rng: &mut Rng) -> Time {
    Exp::new(1.0 / mean as f64)
        .expect("validated: mean > 0")
        .sample(rng)
        .round()
        .min(crate::units::MAX_DURATION_NS as f64) as Time
}
