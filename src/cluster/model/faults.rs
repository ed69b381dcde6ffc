//! The faults: the failure plan as it unfolds. Scheduled failures come from
//! the plan; random ones are exponential times to failure and to repair per
//! node (one stream for all, drawn in event order); clients learn of a
//! failure or a recovery after the detection delay. The component keeps
//! what happened, for the failure-impact report; below, what a failure
//! does to a node, to routing and to jobs in flight.

use rand_distr::{Distribution, Exp};

use super::super::node::Node;
use super::job::NONE;
use super::{Event, Sim};
use crate::metrics::{FailureEvent, Happening};
use crate::scenario::config::{ClusterConfig, FailureAction, RandomFaults};
use crate::seed::{Rng, Seed};
use crate::sim::Time;

/// The faults' events.
#[derive(Clone, Copy, Debug)]
pub(super) enum FaultEvent {
    /// The plan's failure at this index is due.
    Scheduled(u32),
    /// A random crash of a node.
    Crash(u32),
    /// A random repair of a node.
    Recover(u32),
    /// Clients learn that a node failed or came back.
    Detected(u32),
}

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
            tier: None,
            keys_moved: moved,
        });
    }

    /// Notes what happened at `now` to node `node` of the tier `tier` above
    /// `[nodes]`.
    pub fn record_in_tier(&mut self, now: Time, action: Happening, tier: &str, node: u32) {
        self.happened.push(FailureEvent {
            time_s: now as f64 / 1e9,
            action,
            node: Some(node),
            tier: Some(tier.to_string()),
            keys_moved: None,
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

impl Sim<'_> {
    /// A fault event: a scheduled failure, a random crash or repair, or
    /// the clients learning of a change.
    pub(super) fn on_fault(&mut self, now: Time, event: FaultEvent) {
        match event {
            FaultEvent::Scheduled(index) => {
                let fault = self.config.faults.scheduled[index as usize];
                match fault.tier {
                    Some(tier) => self.near_failure(now, tier, fault.node, fault.action),
                    None => self.apply_failure(now, fault.action, fault.node, fault.factor),
                }
            }
            FaultEvent::Crash(node) => {
                if self.tier.nodes[node as usize].up {
                    self.apply_failure(now, FailureAction::Crash, node, 1.0);
                }
                let delay = self.faults.time_to_repair();
                self.queue
                    .schedule(now + delay, Event::Fault(FaultEvent::Recover(node)));
            }
            FaultEvent::Recover(node) => {
                if !self.tier.nodes[node as usize].up {
                    self.apply_failure(now, FailureAction::Recover, node, 1.0);
                }
                if let Some(delay) = self.faults.time_to_failure() {
                    self.queue
                        .schedule(now + delay, Event::Fault(FaultEvent::Crash(node)));
                }
            }
            FaultEvent::Detected(node) => {
                let down = !self.tier.nodes[node as usize].reachable();
                if down != self.tier.membership.is_down(node) {
                    let moved = self.tier.membership.set_down(node, down);
                    if !down && self.tier.warm_up > 0 {
                        self.tier.nodes[node as usize].start_warm_up(now, self.tier.warm_up);
                    }
                    self.faults
                        .record(now, Happening::Detected { down }, Some(node), moved);
                }
            }
        }
    }

    pub(super) fn apply_failure(
        &mut self,
        now: Time,
        action: FailureAction,
        node: u32,
        factor: f64,
    ) {
        let name = Happening::Action(action);
        let mut moved = None;
        match action {
            FailureAction::Add => {
                let id = self.tier.nodes.len() as u32;
                debug_assert_eq!(id, node, "validation numbers added nodes in order");
                self.tier.nodes.push(Node::new(
                    &self.tier.main_config,
                    self.tier.node_seed.derive(&id.to_string()),
                ));
                moved = self.tier.membership.add(id);
                self.faults.record(now, name, Some(id), moved);
                return;
            }
            FailureAction::Remove => {
                let id = node;
                let lost = self.tier.nodes[id as usize].crash();
                self.lose_all(now, lost);
                moved = self.tier.membership.remove(id);
            }
            FailureAction::Crash | FailureAction::Partition => {
                let id = node;
                let n = &mut self.tier.nodes[id as usize];
                let lost = if action == FailureAction::Crash {
                    n.crash()
                } else {
                    n.partitioned = true;
                    n.drop_work()
                };
                self.lose_all(now, lost);
                self.queue.schedule(
                    now + self.faults.detection,
                    Event::Fault(FaultEvent::Detected(id)),
                );
            }
            FailureAction::Recover | FailureAction::Heal => {
                let id = node;
                let n = &mut self.tier.nodes[id as usize];
                if action == FailureAction::Recover {
                    n.up = true;
                } else {
                    n.partitioned = false;
                }
                self.queue.schedule(
                    now + self.faults.detection,
                    Event::Fault(FaultEvent::Detected(id)),
                );
            }
            FailureAction::Slow => self.tier.nodes[node as usize].slow = factor,
            FailureAction::Restore => self.tier.nodes[node as usize].slow = 1.0,
        }
        self.faults.record(now, name, Some(node), moved);
    }

    pub(super) fn lose_all(&mut self, now: Time, lost: Vec<u32>) {
        for job in lost {
            self.jobs[job as usize].ticket = NONE;
            self.lost(now, job);
        }
    }
}
