//! The paths of reads: issue, nodes, database, replies — with versions
//! (stale reads, stale sets) and leases.

use super::*;

impl Sim<'_> {
    pub(super) fn issue(&mut self, now: Time, request: Request, user: u32) {
        self.issued += 1;
        let job = self.allocate(Job {
            user,
            ..Job::new(
                request.key,
                request.size,
                now,
                Phase::Node(AtNode::Lookup(Read::FIRST)),
            )
        });
        if request.op != Op::Get {
            self.issue_write(now, job);
            return;
        }
        match self.cache_target(request.key) {
            Target::Node(pool, id) => {
                self.send_to_node(now, job, pool, id, AtNode::Lookup(Read::FIRST));
            }
            Target::Database => {
                self.recorder.outcome(now, false, request.size);
                self.send_to_database(now, job, AtDb::Read { fill: None });
            }
        }
    }

    /// Where a read of `key` goes: a node holding it as the clients see it,
    /// or the database when there is no cache.
    pub(super) fn cache_target(&mut self, key: u64) -> Target {
        match self.pattern {
            Pattern::None => Target::Database,
            _ => self.membership.read_target(key),
        }
    }

    pub(super) fn send_to_node(&mut self, now: Time, job: u32, pool: Pool, id: u32, work: AtNode) {
        let latency = self.node_mut(pool, id).network_latency();
        let j = &mut self.jobs[job as usize];
        j.pool = pool;
        j.node = id;
        j.phase = Phase::Node(work);
        j.sent = now;
        self.queue
            .schedule(now + latency, Event::NodeArrive(self.id(job)));
    }

    pub(super) fn send_to_database(&mut self, now: Time, job: u32, work: AtDb) {
        self.jobs[job as usize].phase = Phase::Db(work);
        let latency = self.database.network_latency();
        self.queue
            .schedule(now + latency, Event::DbArrive(self.id(job)));
    }

    pub(super) fn node_arrive(&mut self, now: Time, job: u32) {
        let Job { pool, node, .. } = self.jobs[job as usize];
        let n = self.node_mut(pool, node);
        if !n.reachable() {
            self.lost(now, job);
            return;
        }
        if n.has_free_worker() {
            self.start_service(now, pool, node, job);
        } else {
            n.queue.push_back(job);
        }
    }

    pub(super) fn start_service(&mut self, now: Time, pool: Pool, node: u32, job: u32) {
        let n = self.node_mut(pool, node);
        n.in_service.push(job);
        let service = n.service_time();
        let ticket = self.next_ticket;
        self.next_ticket = self.next_ticket.wrapping_add(1) % NONE;
        self.jobs[job as usize].ticket = ticket;
        self.queue
            .schedule(now + service, Event::NodeDone(self.id(job), ticket));
    }

    pub(super) fn node_done(&mut self, now: Time, job: u32, ticket: u32) {
        let j = self.jobs[job as usize];
        if j.ticket != ticket {
            return; // the node crashed or was cut off: the job was handled as lost
        }
        self.jobs[job as usize].ticket = NONE;
        let counting = now >= self.warmup_end;
        let n = self.node_mut(j.pool, j.node);
        let position = n
            .in_service
            .iter()
            .position(|&x| x == job)
            .expect("job in service");
        n.in_service.swap_remove(position);
        if let Some(next) = n.queue.pop_front() {
            self.start_service(now, j.pool, j.node, next);
        }
        let Phase::Node(work) = j.phase else {
            self.violation(|| format!("a database job for key {} was served by a node", j.key));
            return;
        };
        match work {
            AtNode::Lookup(read) => self.serve_get(now, job, read, None, counting),
            AtNode::WarmRead { read, home } => {
                self.serve_get(now, job, read, Some(home), counting);
            }
            AtNode::Fill { token } => self.serve_fill(now, job, token, counting),
            AtNode::Update { writer } => {
                let n = self.node_mut(j.pool, j.node);
                let evicted = n.store(j.key, j.size, j.version, now, counting);
                let latency = n.network_latency();
                self.recorder.evictions(now, evicted);
                if let Some(writer) = writer {
                    self.queue.schedule(now + latency, Event::Ack(writer));
                }
                self.release(job);
            }
            AtNode::Invalidate => {
                self.node_mut(j.pool, j.node)
                    .invalidate(j.key, now, counting);
                self.release(job);
            }
            AtNode::WarmAdd => {
                let hold_off = self.hold_off;
                let (_, evicted) = self
                    .node_mut(j.pool, j.node)
                    .add(j.key, j.size, j.version, now, hold_off, counting);
                self.recorder.evictions(now, evicted);
                self.release(job);
            }
            AtNode::WriteThrough => {
                let epoch = self.node_mut(j.pool, j.node).epoch;
                self.send_to_database(now, job, AtDb::NodeWrite { epoch, acks: 0 });
            }
            AtNode::WriteBehind => self.write_behind(now, job, counting),
        }
    }

    /// A node serves a get (`home`: the warming node a warm-up read comes
    /// from): reply on a hit (noting a stale value); on a miss, in
    /// cache-aside, reply (with a lease token, or a request to wait when
    /// another reader refills the key); in read-through, read the database,
    /// once per key in flight when coalescing.
    fn serve_get(&mut self, now: Time, job: u32, read: Read, home: Option<u32>, counting: bool) {
        let j = self.jobs[job as usize];
        let (pattern, coalesce, leases) = (self.pattern, self.coalesce, self.leases);
        let n = self.node_mut(j.pool, j.node);
        let mut found = n.lookup(j.key, j.size, now, counting);
        let mut token = 0;
        if found.is_none()
            && home.is_none()
            && let Some(l) = leases
        {
            let mut next = self.next_token;
            let answer = self
                .node_mut(j.pool, j.node)
                .lease(j.key, now, l.interval, &mut next);
            self.next_token = next;
            let removed = match answer {
                LeaseAnswer::Wait if l.stale => self
                    .node_mut(j.pool, j.node)
                    .recently_removed(j.key, now, l.interval),
                _ => None,
            };
            match answer {
                LeaseAnswer::Granted(t) => token = t,
                // Another reader refills; take the value the delete removed.
                LeaseAnswer::Wait if removed.is_some() => found = removed,
                LeaseAnswer::Wait => {
                    self.recorder.lease_wait(j.issued);
                    let latency = self.node_mut(j.pool, j.node).network_latency();
                    let waiting = Read {
                        wait: true,
                        waited: true,
                        ..read
                    };
                    self.jobs[job as usize].phase = Phase::Node(AtNode::Lookup(waiting));
                    self.queue
                        .schedule(now + latency, Event::ClientReply(self.id(job)));
                    return;
                }
            }
        }
        let warming_miss = found.is_none()
            && pattern == Pattern::CacheAside
            && j.pool == Pool::Main
            && self.nodes[j.node as usize].warming(now)
            && self.warm_peer(j.key, j.node).is_some();
        if let Some(version) = found {
            self.jobs[job as usize].version = version;
            if let Some(since) = self.versions.stale_since(j.key, version) {
                let lag = self.versions.committed(j.key) - version;
                self.recorder.stale_read(j.issued, now - since, lag);
            }
            if read.waited {
                self.recorder.lease_saved(j.issued);
            }
        }
        if !warming_miss {
            self.recorder.outcome(j.issued, found.is_some(), j.size);
        }
        let n = self.node_mut(j.pool, j.node);
        if found.is_some() || pattern == Pattern::CacheAside {
            let latency = n.network_latency();
            let answer = Read {
                hit: found.is_some(),
                token,
                ..read
            };
            self.jobs[job as usize].phase = Phase::Node(match home {
                None => AtNode::Lookup(answer),
                Some(home) => AtNode::WarmRead { read: answer, home },
            });
            self.queue
                .schedule(now + latency, Event::ClientReply(self.id(job)));
            return;
        }
        let epoch = n.epoch;
        let waiting = n.pending.entry(j.key).or_default();
        waiting.push(job);
        if waiting.len() == 1 || !coalesce {
            let waiter = (!coalesce).then(|| self.id(job));
            let fetch = self.allocate_internal(j);
            self.send_to_database(now, fetch, AtDb::Fetch { epoch, waiter });
        }
    }

    /// A cache-aside fill reaches its node: stored, unless leases are on and
    /// its token was voided by a delete (or taken over) since it was granted.
    /// A fill of a version older than the database's is a stale set.
    fn serve_fill(&mut self, now: Time, job: u32, token: u64, counting: bool) {
        let j = self.jobs[job as usize];
        let stale = j.version < self.versions.committed(j.key);
        let leases = self.leases.is_some();
        let n = self.node_mut(j.pool, j.node);
        let accepted = !leases || n.redeem(j.key, token);
        if accepted {
            let evicted = n.store(j.key, j.size, j.version, now, counting);
            self.recorder.evictions(now, evicted);
        }
        self.recorder.fill(now, accepted && stale, !accepted);
        self.release(job);
    }

    /// A reader told to wait asks its node again.
    pub(super) fn retry_get(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        let Phase::Node(AtNode::Lookup(read)) = j.phase else {
            self.violation(|| format!("a lease retry for key {} that is not a get", j.key));
            return;
        };
        match self.cache_target(j.key) {
            Target::Node(pool, id) => {
                let again = Read {
                    wait: false,
                    ..read
                };
                self.send_to_node(now, job, pool, id, AtNode::Lookup(again));
            }
            Target::Database => {
                self.recorder.outcome(j.issued, false, j.size);
                self.send_to_database(now, job, AtDb::Read { fill: None });
            }
        }
    }

    /// A node's answer reaches its client.
    pub(super) fn client_reply(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        match j.phase {
            // The primary's own acknowledgement: with synchronous copies the
            // writer is answered (failed, if a copy was lost) after the last.
            Phase::Db(AtDb::NodeWrite { .. }) => self.acknowledged(now, job),
            _ if j.failed => {
                self.complete(now, job, Class::Failed);
                self.release(job);
            }
            Phase::Node(AtNode::WriteThrough | AtNode::WriteBehind) => {
                self.complete(now, job, Class::Write);
                self.release(job);
            }
            Phase::Node(AtNode::Lookup(read)) => self.got_answer(now, job, read),
            Phase::Node(AtNode::WarmRead { read, home }) => {
                if read.hit {
                    // A warm copy had it: answer, and add it to the warming node.
                    self.complete(now, job, Class::Hit);
                    self.send_to_node(now, job, Pool::Main, home, AtNode::WarmAdd);
                } else {
                    // No copy had it: read the database and fill the warming node.
                    self.jobs[job as usize].node = home;
                    let fill = Some(read.token);
                    self.send_to_database(now, job, AtDb::Read { fill });
                }
            }
            Phase::Node(work) => {
                self.violation(|| format!("a client got an answer to {work:?}"));
            }
            Phase::Db(work) => {
                self.violation(|| format!("a client got a node's answer to {work:?}"));
            }
        }
    }

    /// A get's answer from its node: a hit, a request to wait (leases), or a
    /// miss (read-through: the node read the database; cache-aside: the
    /// client reads it and fills the node, or first asks a warm copy when
    /// the node is warming up).
    fn got_answer(&mut self, now: Time, job: u32, read: Read) {
        let j = self.jobs[job as usize];
        if read.wait {
            let retry = self.leases.expect("waits come from leases").retry;
            self.queue
                .schedule(now + retry, Event::LeaseRetry(self.id(job)));
        } else if read.hit {
            self.complete(now, job, Class::Hit);
            self.release(job);
        } else if let Some(peer) = self.warming_peer(now, &j) {
            let warm = AtNode::WarmRead { read, home: j.node };
            self.send_to_node(now, job, Pool::Main, peer, warm);
        } else if self.pattern == Pattern::ReadThrough {
            self.complete(now, job, Class::Miss);
            self.release(job);
        } else {
            let fill = Some(read.token);
            self.send_to_database(now, job, AtDb::Read { fill });
        }
    }

    /// A live copy of `key` other than `node`, to warm `node` from.
    pub(super) fn warm_peer(&self, key: u64, node: u32) -> Option<u32> {
        self.membership
            .write_targets(key)
            .ids()
            .iter()
            .copied()
            .find(|&id| id != node && !self.nodes[id as usize].warming(self.queue.now()))
    }

    /// For a miss at a warming main node (cache-aside): the peer to ask.
    fn warming_peer(&self, now: Time, j: &Job) -> Option<u32> {
        let warming = self.pattern == Pattern::CacheAside
            && j.pool == Pool::Main
            && self.nodes[j.node as usize].warming(now);
        warming.then(|| self.warm_peer(j.key, j.node)).flatten()
    }

    /// A job sent to a node that cannot answer: a client waiting for it times
    /// out; fills, updates and invalidations are simply lost.
    pub(super) fn lost(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        match j.phase {
            Phase::Node(
                AtNode::Lookup(_)
                | AtNode::WarmRead { .. }
                | AtNode::WriteThrough
                | AtNode::WriteBehind,
            )
            | Phase::Db(AtDb::NodeWrite { .. }) => {
                let at = (j.sent + self.clients.timeout).max(now);
                self.queue.schedule(at, Event::ClientTimeout(self.id(job)));
            }
            Phase::Node(AtNode::Update {
                writer: Some(writer),
            }) => {
                // A synchronous writer hears of the lost copy when it times out.
                if let Some(slot) = self.live(writer) {
                    let at = (j.sent + self.clients.timeout).max(now);
                    self.jobs[slot as usize].failed = true;
                    self.queue.schedule(at, Event::Ack(writer));
                }
                self.release(job);
            }
            Phase::Node(
                AtNode::Update { writer: None }
                | AtNode::Fill { .. }
                | AtNode::Invalidate
                | AtNode::WarmAdd,
            )
            | Phase::Db(_) => self.release(job),
        }
    }

    /// A client gave up on a node: a get reads the database instead (and
    /// fills nothing); a write through the node fails.
    pub(super) fn client_timeout(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        self.recorder.timeout(j.issued);
        if let Phase::Node(AtNode::Lookup(_) | AtNode::WarmRead { .. }) = j.phase {
            self.recorder.outcome(j.issued, false, j.size);
            self.send_to_database(now, job, AtDb::Read { fill: None });
        } else {
            self.complete(now, job, Class::Failed);
            self.release(job);
        }
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
                self.jobs[job as usize].version = self.versions.committed(j.key);
            }
            AtDb::Write { .. } | AtDb::NodeWrite { .. } => {
                let version = self.versions.issue(j.key);
                self.jobs[job as usize].version = version;
                self.commit(now, j.key, version);
            }
            AtDb::Flush { .. } => self.commit(now, j.key, j.version),
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
            AtDb::Read { fill } => {
                self.complete(now, job, if j.failed { Class::Failed } else { Class::Miss });
                match fill {
                    Some(token) if !j.failed => {
                        self.send_to_node(now, job, j.pool, j.node, AtNode::Fill { token });
                    }
                    _ => self.release(job),
                }
            }
            AtDb::Write { .. } | AtDb::NodeWrite { .. } | AtDb::Flush { .. } => {
                self.write_committed(now, job, work);
            }
            AtDb::Fetch { epoch, waiter } => self.fetched(now, job, epoch, waiter),
        }
    }

    /// A read-through node's database read came back: fill and answer the
    /// readers waiting for it (all of them, or `waiter` alone without
    /// coalescing), unless the node restarted since the fetch began
    /// (`epoch`).
    fn fetched(&mut self, now: Time, job: u32, epoch: u32, waiter: Option<JobId>) {
        let j = self.jobs[job as usize];
        self.release(job);
        let counting = now >= self.warmup_end;
        let n = self.node_mut(j.pool, j.node);
        if n.epoch != epoch {
            return; // the node crashed: its waiting clients timed out
        }
        let waiting = n.pending.get_mut(&j.key).expect("a fetch has waiters");
        let answered: Vec<u32> = match waiter {
            None => std::mem::take(waiting),
            Some(waiter) => {
                waiting.retain(|&w| w != waiter.slot);
                vec![waiter.slot]
            }
        };
        if waiting.is_empty() {
            n.pending.remove(&j.key);
        }
        if !j.failed {
            let evicted = n.store(j.key, j.size, j.version, now, counting);
            self.recorder.evictions(now, evicted);
            let stale = j.version < self.versions.committed(j.key);
            self.recorder.fill(now, stale, false);
        }
        for waiter in answered {
            let latency = self.node_mut(j.pool, j.node).network_latency();
            self.jobs[waiter as usize].failed = j.failed;
            self.queue
                .schedule(now + latency, Event::ClientReply(self.id(waiter)));
        }
    }

    /// The client's request is answered: record it and wake its user.
    pub(super) fn complete(&mut self, now: Time, job: u32, class: Class) {
        let j = self.jobs[job as usize];
        if j.answered {
            self.violation(|| format!("a request for key {} answered twice", j.key));
            return;
        }
        self.jobs[job as usize].answered = true;
        self.answered += 1;
        self.recorder.complete(j.issued, now, class);
        if j.user != NO_USER {
            let think = self.clients.think();
            self.queue.schedule(now + think, Event::UserReady(j.user));
        }
    }
}
