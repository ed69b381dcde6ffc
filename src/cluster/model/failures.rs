//! Failures and membership changes as they happen to the cluster.

use super::*;

impl Sim<'_> {
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
                let id = self.nodes.len() as u32;
                debug_assert_eq!(id, node, "validation numbers added nodes in order");
                self.nodes.push(Node::new(
                    &self.main_config,
                    self.node_seed.derive(&id.to_string()),
                ));
                moved = self.membership.add(id);
                self.faults.record(now, name, Some(id), moved);
                return;
            }
            FailureAction::Remove => {
                let id = node;
                let lost = self.nodes[id as usize].crash();
                self.lose_all(now, lost);
                moved = self.membership.remove(id);
            }
            FailureAction::Crash | FailureAction::Partition => {
                let id = node;
                let n = &mut self.nodes[id as usize];
                let lost = if action == FailureAction::Crash {
                    n.crash()
                } else {
                    n.partitioned = true;
                    n.drop_work()
                };
                self.lose_all(now, lost);
                self.queue
                    .schedule(now + self.faults.detection, Event::Detected(id));
            }
            FailureAction::Recover | FailureAction::Heal => {
                let id = node;
                let n = &mut self.nodes[id as usize];
                if action == FailureAction::Recover {
                    n.up = true;
                } else {
                    n.partitioned = false;
                }
                self.queue
                    .schedule(now + self.faults.detection, Event::Detected(id));
            }
            FailureAction::Slow => self.nodes[node as usize].slow = factor,
            FailureAction::Restore => self.nodes[node as usize].slow = 1.0,
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
