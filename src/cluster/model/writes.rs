//! The paths of writes under each write policy, the versions they commit,
//! the invalidations commits send, and the consistency checks that follow
//! each commit.

use rand::RngExt;

use super::*;
use crate::units::SECOND;

impl Sim<'_> {
    /// A client's set or delete: through its node (write-through,
    /// write-behind) the first live copy of the key) or straight to the database.
    pub(super) fn issue_write(&mut self, now: Time, job: u32) {
        let key = self.jobs[job as usize].key;
        let primary = match self.pattern {
            Pattern::None => None,
            _ => self.membership.write_targets(key).ids().first().copied(),
        };
        match (self.write_policy, primary) {
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
        self.versions.commit(key, version, now);
        let counted = now >= self.warmup_end;
        self.recorder.write_committed(counted);
        if self.write_policy == WritePolicy::Invalidate && self.pattern != Pattern::None {
            self.send_invalidation(now, key);
        }
        if counted {
            for (i, delay) in CHECK_DELAYS_S.iter().enumerate() {
                let at = now + delay * SECOND;
                if at <= self.end {
                    let check = (key, version, i as u8);
                    let id = match self.free_checks.pop() {
                        Some(id) => {
                            self.checks[id as usize] = check;
                            id
                        }
                        None => {
                            self.checks.push(check);
                            (self.checks.len() - 1) as u32
                        }
                    };
                    self.queue.schedule(at, Event::WriteCheck(id));
                }
            }
        }
    }

    /// A commit's delete travels to every copy of the key clients see as up
    /// (a commit-log tailer): delayed, and each lost with the configured
    /// probability. Gutter nodes get none, as in Facebook's design.
    fn send_invalidation(&mut self, now: Time, key: u64) {
        for &id in self.membership.write_targets(key).ids() {
            let lost = self.invalidation_loss > 0.0
                && self.invalidation_rng.random::<f64>() < self.invalidation_loss;
            self.recorder.invalidation(now >= self.warmup_end, lost);
            if lost {
                continue;
            }
            let job = self.allocate_internal(Job {
                node: id,
                ..Job::new(key, 0, now, Phase::Node(AtNode::Invalidate))
            });
            let delay = self.invalidation_delay.sample(&mut self.invalidation_rng);
            self.queue
                .schedule(now + delay, Event::NodeArrive(self.id(job)));
        }
    }

    /// The database acknowledged a write (`work`: the write).
    pub(super) fn write_committed(&mut self, now: Time, job: u32, work: AtDb) {
        let j = self.jobs[job as usize];
        match work {
            AtDb::Write { .. } => {
                let update = !j.failed
                    && self.write_policy == WritePolicy::Update
                    && self.pattern != Pattern::None;
                let copies = self.membership.write_targets(j.key);
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
                let waiting = self.sync_copies;
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
                let n = self.node_mut(j.pool, j.node);
                if n.epoch != epoch {
                    self.lost(now, job);
                    return;
                }
                if !j.failed {
                    let evicted = n.store(j.key, j.size, j.version, now, counting);
                    self.recorder.evictions(now, evicted);
                }
                let copies = self.membership.write_targets(j.key);
                let others: Vec<u32> = copies
                    .ids()
                    .iter()
                    .copied()
                    .filter(|&id| id != j.node)
                    .collect();
                let waiting = self.sync_copies && !j.failed;
                let acks = 1 + if waiting { others.len() as u32 } else { 0 };
                self.jobs[job as usize].phase = Phase::Db(AtDb::NodeWrite { epoch, acks });
                if !j.failed {
                    self.send_copies(now, job, &others, waiting);
                }
                let latency = self.node_mut(j.pool, j.node).network_latency();
                self.queue
                    .schedule(now + latency, Event::ClientReply(self.id(job)));
            }
            AtDb::Flush { .. } => self.release(job), // no one waits
            AtDb::Read { .. } | AtDb::Fetch { .. } => {
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
        let version = self.versions.issue(j.key);
        let n = self.node_mut(j.pool, j.node);
        let evicted = n.store(j.key, j.size, version, now, counting);
        let (latency, incarnation) = (n.network_latency(), n.incarnation);
        self.recorder.evictions(now, evicted);
        self.queue
            .schedule(now + latency, Event::ClientReply(self.id(job)));
        let flush = self.allocate_internal(Job {
            phase: Phase::Db(AtDb::Flush { incarnation }),
            version,
            ..j
        });
        self.queue
            .schedule(now + self.flush_delay, Event::Flush(self.id(flush)));
    }

    /// A write-behind flush is due: to the database, unless its node crashed
    /// since (the write is then lost).
    pub(super) fn flush(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        let Phase::Db(work @ AtDb::Flush { incarnation }) = j.phase else {
            self.violation(|| format!("a flush of key {} that is no write-behind", j.key));
            return;
        };
        if self.node_mut(j.pool, j.node).incarnation == incarnation {
            self.send_to_database(now, job, work);
        } else {
            self.recorder.write_lost(j.issued);
            self.release(job);
        }
    }

    /// A consistency check: does any cache still serve a version older than
    /// the one written?
    pub(super) fn write_check(&mut self, now: Time, check: u32) {
        let (key, version, delay) = self.checks[check as usize];
        self.free_checks.push(check);
        let behind = |n: &Node| n.entry(key, now).is_some_and(|e| e.version < version);
        let consistent = !self.nodes.iter().chain(&self.gutter).any(behind);
        self.recorder.write_check(delay as usize, consistent);
    }

    /// Entries still servable at the end whose version is older than the
    /// database's.
    pub fn stale_entries(&self) -> u64 {
        let end = self.end;
        self.nodes
            .iter()
            .chain(&self.gutter)
            .map(|n| {
                n.tracked()
                    .filter(|(key, e)| {
                        e.expires > end && e.version < self.versions.committed(**key)
                    })
                    .count() as u64
            })
            .sum()
    }
}
