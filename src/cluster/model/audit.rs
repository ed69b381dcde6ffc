//! The model's checks of its own invariants after every event, switched on
//! by tests and fuzzers (in the spirit of TigerBeetle's simulator, which
//! checks its replicas after each step): time never goes back, every request
//! is answered at most once and is either answered or in flight, queues hold
//! only live jobs and never more than their bounds, no node holds more bytes
//! than its capacity, and versions only move forward and never run ahead of
//! what was issued. The scans of all jobs and nodes run after every event
//! while the model holds at most [`FULL_SCAN_JOBS`] job slots, and after
//! every k-th event beyond (k growing with the slots), so an audited run
//! costs O(1) per event amortised; production runs check the counts at
//! completion and release only.

use rustc_hash::FxHashMap;

use super::*;

/// Job slots up to which every event is followed by the full scans.
const FULL_SCAN_JOBS: usize = 256;

/// What the audit remembers between events.
#[derive(Debug, Default)]
pub(super) struct Audit {
    /// The time of the previous event.
    last: Time,
    /// The committed version of each key the audit has seen.
    committed: FxHashMap<u64, u64>,
}

impl Sim<'_> {
    /// Checks every invariant after the event at `now` (for a job's
    /// event, the versions of its key).
    pub(super) fn audit(&mut self, now: Time, event: &Event) {
        let Some(mut audit) = self.audit.take() else {
            return;
        };
        if now < audit.last {
            self.violation(|| format!("time went back from {} ns", audit.last));
        }
        audit.last = now;
        let stride = (self.jobs.len() / FULL_SCAN_JOBS).max(1) as u64;
        if self.queue.processed().is_multiple_of(stride) {
            self.audit_requests();
            self.audit_database();
            self.audit_nodes();
            if let Some(broken) = self.app.as_ref().and_then(|a| a.check()) {
                self.violation(|| broken);
            }
            if let Some(broken) = self.near.as_ref().and_then(|n| n.check()) {
                self.violation(|| broken);
            }
        }
        if let Some(id) = event.job() {
            let key = self.jobs[id.slot as usize].key;
            self.audit_versions(&mut audit, key);
        }
        self.audit = Some(audit);
    }

    /// Every request is answered or in flight, never both, never twice.
    fn audit_requests(&mut self) {
        let in_flight = self
            .jobs
            .iter()
            .zip(&self.generations)
            .filter(|(j, g)| *g % 2 == 1 && !j.answered)
            .count() as u64
            + self.scans.in_flight;
        if self.answered + in_flight != self.issued {
            let (issued, answered) = (self.issued, self.answered);
            self.violation(|| {
                format!(
                    "{issued} requests issued, but {answered} answered and {in_flight} in flight"
                )
            });
        }
    }

    /// The database never serves more than its connections, queues only when
    /// they are all busy, keeps its queue bound, and queues only live jobs.
    fn audit_database(&mut self) {
        let (busy, queued, connections) = self.database.occupancy();
        if busy > connections {
            self.violation(|| {
                format!("the database serves {busy} queries on {connections} connections")
            });
        }
        if queued > 0 && busy < connections {
            self.violation(|| {
                format!("{queued} queries wait while {busy} of {connections} connections are busy")
            });
        }
        if let Some(limit) = self.database.queue_limit()
            && queued as u64 > limit
        {
            self.violation(|| {
                format!("the database queue holds {queued}, above its limit {limit}")
            });
        }
        if let Some(sharing) = self.database.shared_len()
            && sharing != busy as usize
        {
            self.violation(|| {
                format!("the shared database serves {sharing} queries on {busy} busy connections")
            });
        }
        let dead = self
            .database
            .queued()
            .chain(self.database.sharing())
            .find(|&slot| self.generations[slot as usize].is_multiple_of(2));
        if let Some(slot) = dead {
            self.violation(|| format!("the database queue holds ended job slot {slot}"));
        }
    }

    /// Every node serves at most its concurrency, holds at most its capacity,
    /// and names only live jobs in service, in its queue and among its
    /// fetches' waiters.
    fn audit_nodes(&mut self) {
        let mut found = Vec::new();
        for (pool, nodes) in [("", &self.tier.nodes), ("gutter-", &self.tier.gutter)] {
            for (i, n) in nodes.iter().enumerate() {
                let name = format!("node {pool}{i}");
                if n.in_service.len() > n.concurrency() {
                    found.push(format!(
                        "{name} serves {} jobs at a concurrency of {}",
                        n.in_service.len(),
                        n.concurrency()
                    ));
                }
                if n.policy.used() > n.policy.capacity() {
                    found.push(format!(
                        "{name} holds {} bytes in a capacity of {}",
                        n.policy.used(),
                        n.policy.capacity()
                    ));
                }
                let held = n
                    .in_service
                    .iter()
                    .chain(&n.queue)
                    .chain(n.pending.values().flatten());
                if let Some(slot) = held
                    .copied()
                    .find(|&slot| self.generations[slot as usize].is_multiple_of(2))
                {
                    found.push(format!("{name} holds ended job slot {slot}"));
                }
            }
        }
        for what in found {
            self.violation(|| what);
        }
    }

    /// The committed version of `key` never goes back nor passes the latest
    /// issued, and no node caches a version never issued.
    fn audit_versions(&mut self, audit: &mut Audit, key: u64) {
        let committed = self.consistency.versions.committed(key);
        let latest = self.consistency.versions.latest(key);
        let seen = audit.committed.entry(key).or_default();
        if committed < *seen {
            let before = *seen;
            self.violation(|| {
                format!("key {key}'s committed version went back from {before} to {committed}")
            });
        }
        *seen = committed;
        if committed > latest {
            self.violation(|| {
                format!("key {key} committed version {committed}, above the latest issued {latest}")
            });
        }
        let now = self.queue.now();
        let ahead = self
            .tier
            .nodes
            .iter()
            .chain(&self.tier.gutter)
            .filter_map(|n| n.entry(key, now))
            .map(|e| e.version)
            .find(|&v| v > latest);
        if let Some(version) = ahead {
            self.violation(|| {
                format!(
                    "a node caches version {version} of key {key}, above the latest issued {latest}"
                )
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Scenario, ScenarioFile};

    const SCENARIO: &str = r#"
        duration = "1s"
        [workload]
        keys = 200
        object_size = "100B"
        get = 0.8
        set = 0.2
        [clients]
        rate = 2000
        [nodes]
        count = 2
        capacity = "5KB"
        [[failures]]
        at = "500ms"
        action = "crash"
        node = 1
    "#;

    fn scenario() -> Scenario {
        let file: ScenarioFile = toml::from_str(SCENARIO).unwrap();
        Scenario::new("t".into(), "base".into(), file, ".".as_ref()).unwrap()
    }

    fn audited_run(scenario: &Scenario) -> Sim<'_> {
        let mut sim = Sim::new(&scenario.cluster).unwrap();
        sim.audit_every_event();
        sim.run(&mut |_| {}).unwrap();
        sim
    }

    fn found(sim: &Sim, what: &str) -> bool {
        sim.violations.iter().any(|v| v.contains(what))
    }

    #[test]
    fn an_audited_run_of_a_sound_model_finds_nothing() {
        let scenario = scenario();
        let sim = audited_run(&scenario);
        assert!(sim.issued > 1000);
        assert_eq!(sim.violations(), Vec::<String>::new());
    }

    #[test]
    fn each_broken_invariant_is_found_and_named() {
        let scenario = scenario();
        let end = scenario.cluster.duration;

        let mut sim = audited_run(&scenario);
        sim.answered += 1;
        sim.audit(end, &Event::Tick);
        assert!(found(&sim, "answered"), "{:?}", sim.violations);

        let mut sim = audited_run(&scenario);
        let ended = *sim.free_jobs.first().expect("a released slot");
        sim.tier.nodes[0].queue.push_back(ended);
        sim.audit(end, &Event::Tick);
        assert!(
            found(&sim, "node 0 holds ended job slot"),
            "{:?}",
            sim.violations
        );

        let mut sim = audited_run(&scenario);
        sim.audit(end - 1, &Event::Tick);
        assert!(found(&sim, "time went back"), "{:?}", sim.violations);

        let mut sim = audited_run(&scenario);
        let mut audit = Audit::default();
        audit.committed.insert(7, u64::MAX);
        sim.audit_versions(&mut audit, 7);
        assert!(
            found(&sim, "committed version went back"),
            "{:?}",
            sim.violations
        );
    }
}
