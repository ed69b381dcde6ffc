//! The database as the model uses it: queries arrive, wait for a
//! connection (or are refused past the queue limit), are served, and their
//! answers travel back; a read takes the committed version, a write commits
//! a new one.

use super::*;

/// The database's events.
#[derive(Clone, Copy, Debug)]
pub(super) enum DbEvent {
    /// A query reaches the database.
    Arrive(JobId),
    /// The database finishes a query.
    Done(JobId),
    /// The database's answer reaches whoever asked.
    Reply(JobId),
    /// With contention: the next query in service finishes, if the shared
    /// service is still at this generation (an arrival or a departure since
    /// moved it on, and scheduled another).
    Shared(u32),
}

impl DbEvent {
    /// The job this event belongs to, if any.
    pub(super) fn job(self) -> Option<JobId> {
        match self {
            DbEvent::Arrive(id) | DbEvent::Done(id) | DbEvent::Reply(id) => Some(id),
            DbEvent::Shared(_) => None,
        }
    }
}

impl Sim<'_> {
    /// A database event: a query arrives, finishes, or its answer arrives.
    pub(super) fn on_database(&mut self, now: Time, event: DbEvent) {
        match event {
            DbEvent::Arrive(id) => {
                self.recorder.db_query(self.jobs[id.slot as usize].class);
                match self.database.arrive(now, id.slot) {
                    Admission::Started(service) => {
                        self.queue
                            .schedule(now + service, Event::Db(DbEvent::Done(id)));
                    }
                    Admission::Shared => self.schedule_shared(now),
                    Admission::Queued => {}
                    Admission::Rejected => {
                        self.jobs[id.slot as usize].failed = true;
                        let latency = self.database.network_latency();
                        self.queue.schedule_in(
                            lane::DB_REPLY,
                            now + latency,
                            Event::Db(DbEvent::Reply(id)),
                        );
                    }
                }
            }
            DbEvent::Done(id) => {
                if let Some((next, service)) = self.database.finish(now) {
                    let next = self.id(next);
                    self.queue
                        .schedule(now + service, Event::Db(DbEvent::Done(next)));
                }
                self.database_served(now, id.slot);
                let latency = self.database.network_latency();
                self.queue.schedule_in(
                    lane::DB_REPLY,
                    now + latency,
                    Event::Db(DbEvent::Reply(id)),
                );
            }
            DbEvent::Reply(id) => self.db_reply(now, id.slot),
            DbEvent::Shared(generation) => {
                if !self.database.shared_current(generation) {
                    return; // the speed changed since: a newer event is due
                }
                if let Some(done) = self.database.finish_shared(now) {
                    self.schedule_shared(now);
                    self.database_served(now, done);
                    let latency = self.database.network_latency();
                    let id = self.id(done);
                    self.queue
                        .schedule(now + latency, Event::Db(DbEvent::Reply(id)));
                }
            }
        }
    }

    /// With contention: schedules the next completion of the shared service.
    fn schedule_shared(&mut self, now: Time) {
        if let Some((at, generation)) = self.database.next_shared(now) {
            self.queue
                .schedule(at, Event::Db(DbEvent::Shared(generation)));
        }
    }

    pub(super) fn send_to_database(&mut self, now: Time, job: u32, work: AtDb) {
        self.jobs[job as usize].phase = Phase::Db(work);
        if self.app.is_some() && matches!(work, AtDb::Read { .. }) && !self.app_database(now, job) {
            return; // it waits for a connection of its process's pool
        }
        self.database_go(now, job);
    }

    /// `job`'s query goes to the database, unless the breaker fails it at
    /// once.
    pub(super) fn database_go(&mut self, now: Time, job: u32) {
        let read = matches!(self.jobs[job as usize].phase, Phase::Db(AtDb::Read { .. }));
        if self.retry.is_some() && read && !self.read_attempt(now, job) {
            return; // the breaker failed it at once
        }
        let latency = self.database.network_latency();
        self.queue.schedule_in(
            lane::DB_ARRIVE,
            now + latency,
            Event::Db(DbEvent::Arrive(self.id(job))),
        );
    }

    /// The database finished serving `job`: a read takes the committed
    /// version; a write commits.
    pub(super) fn database_served(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        let Phase::Db(work) = j.phase else {
            self.violation(|| format!("a node job for key {} was served by the database", j.key));
            return;
        };
        match work {
            AtDb::Read { .. } | AtDb::Fetch { .. } => {
                self.jobs[job as usize].version = self.consistency.versions.committed(j.key);
            }
            AtDb::Write { .. } | AtDb::NodeWrite { .. } => {
                let version = self.consistency.versions.issue(j.key);
                self.jobs[job as usize].version = version;
                self.commit(now, j.key, version);
            }
            AtDb::Flush { .. } => self.commit(now, j.key, j.version),
            AtDb::Abandoned => {}
        }
    }

    /// The database's answer reaches whoever asked: a client's read (which
    /// fills the node it missed at), a write, or a read-through node.
    pub(super) fn db_reply(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        let Phase::Db(work) = j.phase else {
            self.violation(|| format!("the database answered a node job for key {}", j.key));
            return;
        };
        match work {
            AtDb::Read { .. } if self.retry.is_some() && self.read_answered(now, job) => {}
            AtDb::Read { fill } => {
                // With `[app]`, the tier sets the value once it is rendered.
                let by_app = self.app.is_some() && self.app_owns(job);
                self.complete(now, job, if j.failed { Class::Failed } else { Class::Miss });
                match fill {
                    Some(token) if !j.failed && !by_app => {
                        self.send_to_node(now, job, j.pool, j.node, AtNode::Fill { token });
                    }
                    _ => self.release(job),
                }
            }
            AtDb::Write { .. } | AtDb::NodeWrite { .. } | AtDb::Flush { .. } => {
                self.write_committed(now, job, work);
            }
            AtDb::Fetch { epoch, waiter } => self.fetched(now, job, epoch, waiter),
            AtDb::Abandoned => self.release(job),
        }
    }
}
