//! The paths of writes under each write policy, the versions they commit,
//! the invalidations commits send, and the consistency checks that follow
//! each commit.

use rand::RngExt;

use super::*;
use crate::units::SECOND;

/// The consistency machinery's events.
#[derive(Clone, Copy, Debug)]
pub(super) enum WriteEvent {
    /// A write-behind flush is due.
    Flush(JobId),
    /// A consistency check of a commit is due (an index into the checks).
    Check(u32),
    /// A copy (or the write-through primary) acknowledges a write.
    Ack(JobId),
}

impl WriteEvent {
    /// The job this event belongs to, if any.
    pub(super) fn job(self) -> Option<JobId> {
        match self {
            WriteEvent::Flush(id) | WriteEvent::Ack(id) => Some(id),
            WriteEvent::Check(_) => None,
        }
    }
}

/// The consistency machinery's state.
pub(super) struct Consistency {
    /// Each key's versions: latest issued, committed, since when.
    pub versions: Versions,
    pub write_policy: WritePolicy,
    /// A commit's invalidations: their delay and their loss.
    pub invalidation_delay: Sampler,
    pub invalidation_loss: f64,
    pub invalidation_rng: Rng,
    /// Write-behind: how long a node waits before it writes to the database.
    pub flush_delay: Time,
    pub leases: Option<LeaseConfig>,
    pub next_token: u64,
    /// Writes wait for every copy.
    pub sync_copies: bool,
    /// Pending consistency checks: (key, version written, delay index).
    pub checks: Vec<(u64, u64, u8)>,
    pub free_checks: Vec<u32>,
}

impl Consistency {
    /// The machinery of `config` at time zero, its random stream derived
    /// from `seed`.
    pub fn new(config: &ClusterConfig, seed: Seed) -> Consistency {
        let c = config;
        Consistency {
            versions: Versions::default(),
            write_policy: c.consistency.write_policy,
            invalidation_delay: c.consistency.invalidation_delay.sampler(),
            invalidation_loss: c.consistency.invalidation_loss,
            invalidation_rng: seed.derive("invalidations").rng(),
            flush_delay: c.consistency.write_behind_delay,
            leases: c.consistency.leases,
            next_token: 0,
            sync_copies: c.replication.sync,
            checks: Vec::new(),
            free_checks: Vec::new(),
        }
    }
}

impl Sim<'_> {
    /// A consistency event: a write-behind flush is due, a consistency
    /// check is due, or a copy acknowledges a write.
    pub(super) fn on_write(&mut self, now: Time, event: WriteEvent) {
        match event {
            WriteEvent::Flush(id) => self.flush(now, id.slot),
            WriteEvent::Check(check) => self.write_check(now, check),
            WriteEvent::Ack(id) => self.acknowledged(now, id.slot),
        }
    }

    /// A client's set or delete: through its node (write-through,
    /// write-behind) the first live copy of the key) or straight to the database.
    pub(super) fn issue_write(&mut self, now: Time, job: u32) {
        let key = self.jobs[job as usize].key;
        let primary = match self.tier.pattern {
            Pattern::None => None,
            _ => self
                .tier
                .membership
                .write_targets(key)
                .ids()
                .first()
                .copied(),
        };
        match (self.consistency.write_policy, primary) {
            (WritePolicy::WriteThrough, Some(id)) => {
                self.send_to_node(now, job, Pool::Main, id, AtNode::WriteThrough);
            }
            (WritePolicy::WriteBehind, Some(id)) => {
                self.send_to_node(now, job, Pool::Main, id, AtNode::WriteBehind);
            }
            _ => self.send_to_database(now, job, AtDb::Write { acks: 0 }),
        }
    }

    /// The database commits `version` of `key`: invalidations go out (with
    /// the invalidate policy) and consistency checks are scheduled.
    pub(super) fn commit(&mut self, now: Time, key: u64, version: u64) {
        self.consistency.versions.commit(key, version, now);
        let counted = now >= self.warmup_end;
        self.recorder.write_committed(counted);
        if self.consistency.write_policy == WritePolicy::Invalidate
            && self.tier.pattern != Pattern::None
        {
            self.send_invalidation(now, key);
        }
        self.near_broadcast(now, key);
        if counted {
            for (i, delay) in CHECK_DELAYS_S.iter().enumerate() {
                let at = now + delay * SECOND;
                if at <= self.end {
                    let check = (key, version, i as u8);
                    let id = match self.consistency.free_checks.pop() {
                        Some(id) => {
                            self.consistency.checks[id as usize] = check;
                            id
                        }
                        None => {
                            self.consistency.checks.push(check);
                            (self.consistency.checks.len() - 1) as u32
                        }
                    };
                    self.queue.schedule(at, Event::Write(WriteEvent::Check(id)));
                }
            }
        }
    }

    /// A commit's delete travels to every copy of the key clients see as up
    /// (a commit-log tailer): delayed, and each lost with the configured
    /// probability. Gutter nodes get none, as in Facebook's design.
    fn send_invalidation(&mut self, now: Time, key: u64) {
        for &id in self.tier.membership.write_targets(key).ids() {
            let lost = self.consistency.invalidation_loss > 0.0
                && self.consistency.invalidation_rng.random::<f64>()
                    < self.consistency.invalidation_loss;
            self.recorder.invalidation(now >= self.warmup_end, lost);
            if lost {
                continue;
            }
            let job = self.allocate_internal(Job {
                node: id,
                ..Job::new(key, 0, now, Phase::Node(AtNode::Invalidate))
            });
            let delay = self
                .consistency
                .invalidation_delay
                .sample(&mut self.consistency.invalidation_rng);
            self.queue
                .schedule(now + delay, Event::Node(NodeEvent::Arrive(self.id(job))));
        }
    }

    /// The database acknowledged a write (`work`: the write).
    pub(super) fn write_committed(&mut self, now: Time, job: u32, work: AtDb) {
        let j = self.jobs[job as usize];
        match work {
            AtDb::Write { .. } => {
                let update = !j.failed
                    && self.consistency.write_policy == WritePolicy::Update
                    && self.tier.pattern != Pattern::None;
                let copies = self.tier.membership.write_targets(j.key);
                if !update || copies.ids().is_empty() {
                    self.complete(
                        now,
                        job,
                        if j.failed {
                            Class::Failed
                        } else {
                            Class::Write
                        },
                    );
                    self.release(job);
                    return;
                }
                // The writer sets its new value on every copy; with
                // synchronous replication it answers once all have it.
                let waiting = self.consistency.sync_copies;
                if waiting {
                    let acks = copies.ids().len() as u32;
                    self.jobs[job as usize].phase = Phase::Db(AtDb::Write { acks });
                } else {
                    self.complete(now, job, Class::Write);
                }
                self.send_copies(now, job, copies.ids(), waiting);
                if !waiting {
                    self.release(job);
                }
            }
            AtDb::NodeWrite { epoch, .. } => {
                // Write-through: the node updates itself and the other copies,
                // then answers (after every copy, when synchronous).
                let counting = now >= self.warmup_end;
                let n = self.tier.node_mut(j.pool, j.node);
                if n.epoch != epoch {
                    self.lost(now, job);
                    return;
                }
                if !j.failed {
                    let evicted =
                        n.store(j.key, j.size, j.version, now, counting, j.class, j.ttl_s);
                    self.recorder.evictions(now, evicted);
                }
                let copies = self.tier.membership.write_targets(j.key);
                let others: Vec<u32> = copies
                    .ids()
                    .iter()
                    .copied()
                    .filter(|&id| id != j.node)
                    .collect();
                let waiting = self.consistency.sync_copies && !j.failed;
                let acks = 1 + if waiting { others.len() as u32 } else { 0 };
                self.jobs[job as usize].phase = Phase::Db(AtDb::NodeWrite { epoch, acks });
                if !j.failed {
                    self.send_copies(now, job, &others, waiting);
                }
                let latency = self.tier.node_mut(j.pool, j.node).network_latency();
                self.queue.schedule_in(
                    lane::NODE_REPLY,
                    now + latency,
                    Event::Client(ClientEvent::Reply(self.id(job))),
                );
            }
            AtDb::Flush { .. } => self.release(job), // no one waits
            AtDb::Read { .. } | AtDb::Fetch { .. } | AtDb::Abandoned => {
                self.violation(|| format!("a read of key {} committed as a write", j.key));
            }
        }
    }

    /// Sends the new value of `job`'s key to `copies`; each acknowledges to
    /// the writer when `acknowledge`.
    fn send_copies(&mut self, now: Time, job: u32, copies: &[u32], acknowledge: bool) {
        let j = self.jobs[job as usize];
        let writer = acknowledge.then(|| self.id(job));
        for &id in copies {
            let copy = self.allocate_internal(j);
            self.send_to_node(now, copy, Pool::Main, id, AtNode::Update { writer });
        }
    }

    /// A copy (or the write-through primary) acknowledged a write; the
    /// writer is answered when the last one has.
    pub(super) fn acknowledged(&mut self, now: Time, job: u32) {
        let w = &mut self.jobs[job as usize];
        let failed = w.failed;
        let Some(acks) = w.phase.acks_mut() else {
            let key = w.key;
            self.violation(|| format!("an acknowledgement to key {key}'s job, which is no write"));
            return;
        };
        *acks = acks.saturating_sub(1);
        if *acks == 0 {
            let class = if failed { Class::Failed } else { Class::Write };
            self.complete(now, job, class);
            self.release(job);
        }
    }

    /// Write-behind at the node: store a new version, acknowledge, and flush
    /// to the database later.
    pub(super) fn write_behind(&mut self, now: Time, job: u32, counting: bool) {
        let j = self.jobs[job as usize];
        let version = self.consistency.versions.issue(j.key);
        let n = self.tier.node_mut(j.pool, j.node);
        let evicted = n.store(j.key, j.size, version, now, counting, j.class, j.ttl_s);
        let (latency, incarnation) = (n.network_latency(), n.incarnation);
        self.recorder.evictions(now, evicted);
        self.queue.schedule_in(
            lane::NODE_REPLY,
            now + latency,
            Event::Client(ClientEvent::Reply(self.id(job))),
        );
        let flush = self.allocate_internal(Job {
            phase: Phase::Db(AtDb::Flush { incarnation }),
            version,
            ..j
        });
        self.queue.schedule(
            now + self.consistency.flush_delay,
            Event::Write(WriteEvent::Flush(self.id(flush))),
        );
    }

    /// A write-behind flush is due: to the database, unless its node crashed
    /// since (the write is then lost).
    pub(super) fn flush(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        let Phase::Db(work @ AtDb::Flush { incarnation }) = j.phase else {
            self.violation(|| format!("a flush of key {} that is no write-behind", j.key));
            return;
        };
        if self.tier.node_mut(j.pool, j.node).incarnation == incarnation {
            self.send_to_database(now, job, work);
        } else {
            self.recorder.write_lost(j.issued);
            self.release(job);
        }
    }

    /// A consistency check: does any cache still serve a version older than
    /// the one written?
    pub(super) fn write_check(&mut self, now: Time, check: u32) {
        let (key, version, delay) = self.consistency.checks[check as usize];
        self.consistency.free_checks.push(check);
        let behind = |n: &Node| n.entry(key, now).is_some_and(|e| e.version < version);
        let consistent = !self.tier.nodes.iter().chain(&self.tier.gutter).any(behind);
        self.recorder.write_check(delay as usize, consistent);
    }

    /// Entries still servable at the end whose version is older than the
    /// database's.
    pub fn stale_entries(&self) -> u64 {
        let end = self.end;
        self.tier
            .nodes
            .iter()
            .chain(&self.tier.gutter)
            .map(|n| {
                n.tracked()
                    .filter(|(key, e)| {
                        e.expires > end && e.version < self.consistency.versions.committed(**key)
                    })
                    .count() as u64
            })
            .sum()
    }
}
