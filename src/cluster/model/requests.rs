//! The paths of requests: issue, nodes, database, replies.

use super::*;

impl Sim<'_> {
    pub(super) fn issue(&mut self, now: Time, request: Request, user: u32) {
        self.issued += 1;
        let job = self.allocate(Job {
            key: request.key,
            size: request.size,
            issued: now,
            sent: now,
            user,
            pool: Pool::Main,
            node: 0,
            epoch: 0,
            ticket: NONE,
            parent: NONE,
            phase: Phase::Lookup,
            hit: false,
            failed: false,
        });
        if request.op != Op::Get {
            self.send_to_database(now, job, Phase::DbWrite);
            return;
        }
        let target = match self.pattern {
            Pattern::None => Target::Database,
            _ => self.membership.target(request.key),
        };
        match target {
            Target::Node(pool, id) => self.send_to_node(now, job, pool, id, Phase::Lookup),
            Target::Database => {
                self.recorder.outcome(now, false, request.size);
                self.send_to_database(now, job, Phase::DbRead { fill: false });
            }
        }
    }

    pub(super) fn send_to_node(&mut self, now: Time, job: u32, pool: Pool, id: u32, phase: Phase) {
        let latency = self.node_mut(pool, id).network_latency();
        let j = &mut self.jobs[job as usize];
        j.pool = pool;
        j.node = id;
        j.phase = phase;
        j.sent = now;
        self.queue.schedule(now + latency, Event::NodeArrive(job));
    }

    pub(super) fn send_to_database(&mut self, now: Time, job: u32, phase: Phase) {
        self.jobs[job as usize].phase = phase;
        let latency = self.database.network_latency();
        self.queue.schedule(now + latency, Event::DbArrive(job));
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
            .schedule(now + service, Event::NodeDone(job, ticket));
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
        match j.phase {
            Phase::Lookup => self.serve_get(now, job, counting),
            Phase::Fill => {
                let evicted = self
                    .node_mut(j.pool, j.node)
                    .store(j.key, j.size, now, counting);
                self.recorder.evictions(now, evicted);
                self.release(job);
            }
            Phase::Invalidate => {
                self.node_mut(j.pool, j.node).invalidate(j.key, counting);
                self.release(job);
            }
            Phase::DbRead { .. } | Phase::DbWrite | Phase::Fetch => {
                unreachable!("database phases never reach a node")
            }
        }
    }

    /// A node serves a get: reply on a hit (and, in cache-aside, on a miss);
    /// in read-through, read the database on a miss, once per key in flight
    /// when coalescing.
    pub(super) fn serve_get(&mut self, now: Time, job: u32, counting: bool) {
        let j = self.jobs[job as usize];
        let (pattern, coalesce) = (self.pattern, self.coalesce);
        let n = self.node_mut(j.pool, j.node);
        let hit = n.lookup(j.key, j.size, now, counting);
        self.recorder.outcome(j.issued, hit, j.size);
        let n = self.node_mut(j.pool, j.node);
        if hit || pattern == Pattern::CacheAside {
            let latency = n.network_latency();
            self.jobs[job as usize].hit = hit;
            self.queue.schedule(now + latency, Event::ClientReply(job));
            return;
        }
        let epoch = n.epoch;
        let waiting = n.pending.entry(j.key).or_default();
        waiting.push(job);
        if waiting.len() == 1 || !coalesce {
            let fetch = self.allocate(Job {
                epoch,
                parent: if coalesce { NONE } else { job },
                ..j
            });
            self.send_to_database(now, fetch, Phase::Fetch);
        }
    }

    pub(super) fn client_reply(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        if j.failed {
            self.complete(now, job, Class::Failed);
            self.release(job);
        } else if j.hit {
            self.complete(now, job, Class::Hit);
            self.release(job);
        } else if self.pattern == Pattern::ReadThrough {
            self.complete(now, job, Class::Miss);
            self.release(job);
        } else {
            self.send_to_database(now, job, Phase::DbRead { fill: true });
        }
    }

    /// A job sent to a node that cannot answer: the client waits until its
    /// timeout for gets; fills and invalidations are simply lost.
    pub(super) fn lost(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        match j.phase {
            Phase::Lookup => {
                let at = (j.sent + self.timeout).max(now);
                self.queue.schedule(at, Event::ClientTimeout(job));
            }
            _ => self.release(job),
        }
    }

    pub(super) fn db_reply(&mut self, now: Time, job: u32) {
        let j = self.jobs[job as usize];
        match j.phase {
            Phase::DbRead { fill } => {
                self.complete(now, job, if j.failed { Class::Failed } else { Class::Miss });
                match self.membership.target(j.key) {
                    Target::Node(pool, id) if fill && !j.failed => {
                        self.send_to_node(now, job, pool, id, Phase::Fill)
                    }
                    _ => self.release(job),
                }
            }
            Phase::DbWrite => {
                self.complete(
                    now,
                    job,
                    if j.failed {
                        Class::Failed
                    } else {
                        Class::Write
                    },
                );
                let target = if self.pattern == Pattern::None {
                    Target::Database
                } else {
                    self.membership.target(j.key)
                };
                match target {
                    Target::Node(pool, id) if !j.failed => {
                        self.send_to_node(now, job, pool, id, Phase::Invalidate)
                    }
                    _ => self.release(job),
                }
            }
            Phase::Fetch => {
                self.release(job);
                let counting = now >= self.warmup_end;
                let n = self.node_mut(j.pool, j.node);
                if n.epoch != j.epoch {
                    return; // the node crashed: its waiting clients timed out
                }
                let waiting = n.pending.get_mut(&j.key).expect("a fetch has waiters");
                let answered: Vec<u32> = if j.parent == NONE {
                    std::mem::take(waiting)
                } else {
                    waiting.retain(|&w| w != j.parent);
                    vec![j.parent]
                };
                if waiting.is_empty() {
                    n.pending.remove(&j.key);
                }
                if !j.failed {
                    let evicted = n.store(j.key, j.size, now, counting);
                    self.recorder.evictions(now, evicted);
                }
                for waiter in answered {
                    let latency = self.node_mut(j.pool, j.node).network_latency();
                    self.jobs[waiter as usize].failed = j.failed;
                    self.queue
                        .schedule(now + latency, Event::ClientReply(waiter));
                }
            }
            Phase::Lookup | Phase::Fill | Phase::Invalidate => {
                unreachable!("node phases never reach the database")
            }
        }
    }

    /// The client's request is answered: record it and wake its user.
    pub(super) fn complete(&mut self, now: Time, job: u32, class: Class) {
        let j = self.jobs[job as usize];
        self.recorder.complete(j.issued, now, class);
        if j.user != NO_USER {
            let think = self.think.sample(&mut self.think_rng);
            self.queue.schedule(now + think, Event::UserReady(j.user));
        }
    }
}
