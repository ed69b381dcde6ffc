//! The cache tier: routing and membership as clients see them, the nodes
//! of the main and gutter pools, their queues and services, the gets,
//! fills, copies, invalidations and warm-up reads they serve, and what
//! becomes of jobs at a node that cannot answer.

use rustc_hash::FxHashSet;

use super::*;
use crate::scenario::KeySource;

/// The cache tier's events.
#[derive(Clone, Copy, Debug)]
pub(super) enum NodeEvent {
    /// A job reaches its node.
    Arrive(JobId),
    /// A node finishes serving a job (`ticket`: the service; a crash voids it).
    Done(JobId, u32),
}

impl NodeEvent {
    /// The job this event belongs to.
    pub(super) fn job(self) -> JobId {
        match self {
            NodeEvent::Arrive(id) | NodeEvent::Done(id, _) => id,
        }
    }
}

/// The cache tier's state.
pub(super) struct Tier<'a> {
    /// The main pool's nodes.
    pub nodes: Vec<Node>,
    /// The gutter pool's nodes (Facebook's gutter: they take a failed
    /// node's keys, with a short TTL).
    pub gutter: Vec<Node>,
    /// How a node added during the run is configured, and the seed its own
    /// derives from.
    pub main_config: NodeConfig<'a>,
    pub node_seed: Seed,
    /// Routing and membership as the clients see them.
    pub membership: Membership,
    pub pattern: Pattern,
    /// Read-through nodes read the database once per key in flight.
    pub coalesce: bool,
    /// Warm-up of nodes that come back empty, and its hold-off (0: none).
    pub warm_up: Time,
    pub hold_off: Time,
    /// The next service ticket.
    pub next_ticket: u32,
    /// The clients' breakers in front of the main pool's nodes, if on.
    pub breakers: Option<crate::cluster::retry::NodeBreakers>,
}

impl<'a> Tier<'a> {
    /// The tier of `config` at time zero, its nodes' random streams derived
    /// from `seed`.
    pub fn new(config: &'a ClusterConfig, seed: Seed) -> Result<Tier<'a>, TraceError> {
        let c = config;
        let main_config = NodeConfig {
            policy: &c.nodes.policy,
            capacity: c.nodes.capacity,
            ttls: match &c.workload.keys {
                KeySource::Classes(classes) => classes.iter().map(|k| k.ttl).collect(),
                _ => Box::new([c.cache.ttl]),
            },
            concurrency: c.nodes.concurrency,
            service: c.nodes.service.sampler(),
            latency: c.nodes.latency.sampler(),
            versions: c.workload.op_mix[0] < 1.0 || matches!(c.workload.keys, KeySource::Trace(_)),
            keep_removed: c.consistency.leases.is_some_and(|l| l.stale),
        };
        // The gutter's short TTL is its point: it holds for every class.
        let gutter_config = NodeConfig {
            ttls: vec![Some(c.cache.gutter_ttl); main_config.ttls.len()].into(),
            ..main_config.clone()
        };
        let node_seed = seed.derive("nodes");
        let count = c.nodes.count;
        let nodes = (0..count)
            .map(|i| Node::new(&main_config, node_seed.derive(&i.to_string())))
            .collect();
        let gutter_count = c.cache.gutter_nodes;
        let gutter_seed = seed.derive("gutter");
        let gutter = (0..gutter_count)
            .map(|i| Node::new(&gutter_config, gutter_seed.derive(&i.to_string())))
            .collect();
        let hot = hot_keys(c)?;
        let membership = Membership::new(c, count, gutter_count, hot, seed.derive("sample-keys"));
        Ok(Tier {
            nodes,
            gutter,
            main_config,
            node_seed,
            membership,
            pattern: c.cache.pattern,
            coalesce: c.cache.coalesce,
            warm_up: c.replication.warm_up,
            hold_off: c.replication.hold_off,
            next_ticket: 0,
            breakers: c
                .cache
                .breaker
                .map(crate::cluster::retry::NodeBreakers::new),
        })
    }

    /// The node `id` of `pool`.
    pub fn node_mut(&mut self, pool: Pool, id: u32) -> &mut Node {
        match pool {
            Pool::Main => &mut self.nodes[id as usize],
            Pool::Gutter => &mut self.gutter[id as usize],
        }
    }

    /// The nodes of the main pool and the gutter pool, with their names.
    pub fn named(&self) -> impl Iterator<Item = (String, &Node)> {
        let main = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (i.to_string(), n));
        let gutter = self
            .gutter
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("gutter-{i}"), n));
        main.chain(gutter)
    }
}

impl Sim<'_> {
    /// A node event: a job reaches its node, or a node finishes a service.
    pub(super) fn on_node(&mut self, now: Time, event: NodeEvent) {
        match event {
            NodeEvent::Arrive(id) => self.node_arrive(now, id.slot),
            NodeEvent::Done(id, ticket) => self.node_done(now, id.slot, ticket),
        }
    }

    /// Where a read of `key` goes: a node holding it as the clients see it,
    /// or the database when there is no cache.
    pub(super) fn cache_target(&mut self, key: u64) -> Target {
        match self.tier.pattern {
            Pattern::None => Target::Database,
            _ => self.tier.membership.read_target(key),
        }
    }

    pub(super) fn send_to_node(&mut self, now: Time, job: u32, pool: Pool, id: u32, work: AtNode) {
        let latency = self.tier.node_mut(pool, id).network_latency();
        let j = &mut self.jobs[job as usize];
        j.pool = pool;
        j.node = id;
        j.phase = Phase::Node(work);
        j.sent = now;
        self.queue.schedule_in(
            lane::NODE_ARRIVE,
            now + latency,
            Event::Node(NodeEvent::Arrive(self.id(job))),
        );
    }

    pub(super) fn node_arrive(&mut self, now: Time, job: u32) {
        let Job { pool, node, .. } = self.jobs[job as usize];
        let n = self.tier.node_mut(pool, node);
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
        let n = self.tier.node_mut(pool, node);
        n.in_service.push(job);
        let service = n.service_time();
        let ticket = self.tier.next_ticket;
        self.tier.next_ticket = self.tier.next_ticket.wrapping_add(1) % NONE;
        self.jobs[job as usize].ticket = ticket;
        self.queue.schedule_in(
            lane::NODE_DONE,
            now + service,
            Event::Node(NodeEvent::Done(self.id(job), ticket)),
        );
    }

    pub(super) fn node_done(&mut self, now: Time, job: u32, ticket: u32) {
        let j = self.jobs[job as usize];
        if j.ticket != ticket {
            return; // the node crashed or was cut off: the job was handled as lost
        }
        self.jobs[job as usize].ticket = NONE;
        let counting = now >= self.warmup_end;
        let n = self.tier.node_mut(j.pool, j.node);
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
                let n = self.tier.node_mut(j.pool, j.node);
                let evicted = n.store(j.key, j.size, j.version, now, counting, j.class, j.ttl_s);
                let latency = n.network_latency();
                self.recorder.evictions(now, evicted);
                if let Some(writer) = writer {
                    self.queue
                        .schedule(now + latency, Event::Write(WriteEvent::Ack(writer)));
                }
                self.release(job);
            }
            AtNode::Invalidate => {
                self.tier
                    .node_mut(j.pool, j.node)
                    .invalidate(j.key, now, counting);
                self.release(job);
            }
            AtNode::WarmAdd => {
                let hold_off = self.tier.hold_off;
                let (_, evicted) = self.tier.node_mut(j.pool, j.node).add(
                    j.key, j.size, j.version, now, hold_off, counting, j.class, j.ttl_s,
                );
                self.recorder.evictions(now, evicted);
                self.release(job);
            }
            AtNode::WriteThrough => {
                let epoch = self.tier.node_mut(j.pool, j.node).epoch;
                self.send_to_database(now, job, AtDb::NodeWrite { epoch, acks: 0 });
            }
            AtNode::WriteBehind => self.write_behind(now, job, counting),
            AtNode::Scan { part } => self.serve_scan_part(now, job, part, counting),
        }
    }

    /// A node serves a get (`home`: the warming node a warm-up read comes
    /// from): reply on a hit (noting a stale value); on a miss, in
    /// cache-aside, reply (with a lease token, or a request to wait when
    /// another reader refills the key); in read-through, read the database,
    /// once per key in flight when coalescing.
    fn serve_get(&mut self, now: Time, job: u32, read: Read, home: Option<u32>, counting: bool) {
        let j = self.jobs[job as usize];
        let (pattern, coalesce, leases) = (
            self.tier.pattern,
            self.tier.coalesce,
            self.consistency.leases,
        );
        let n = self.tier.node_mut(j.pool, j.node);
        let mut found = n.lookup(j.key, j.size, now, counting);
        let mut token = 0;
        if found.is_none()
            && home.is_none()
            && let Some(l) = leases
        {
            let mut next = self.consistency.next_token;
            let answer = self
                .tier
                .node_mut(j.pool, j.node)
                .lease(j.key, now, l.interval, &mut next);
            self.consistency.next_token = next;
            let removed = match answer {
                LeaseAnswer::Wait if l.stale => self
                    .tier
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
                    let latency = self.tier.node_mut(j.pool, j.node).network_latency();
                    let waiting = Read {
                        wait: true,
                        waited: true,
                        ..read
                    };
                    self.jobs[job as usize].phase = Phase::Node(AtNode::Lookup(waiting));
                    self.queue.schedule_in(
                        lane::NODE_REPLY,
                        now + latency,
                        Event::Client(ClientEvent::Reply(self.id(job))),
                    );
                    return;
                }
            }
        }
        let warming_miss = found.is_none()
            && pattern == Pattern::CacheAside
            && j.pool == Pool::Main
            && self.tier.nodes[j.node as usize].warming(now)
            && self.warm_peer(j.key, j.node).is_some();
        if let Some(version) = found {
            self.jobs[job as usize].version = version;
            if let Some(since) = self.consistency.versions.stale_since(j.key, version) {
                let lag = self.consistency.versions.committed(j.key) - version;
                self.recorder
                    .stale_read(j.class, j.issued, now - since, lag);
            }
            if read.waited {
                self.recorder.lease_saved(j.issued);
            }
        }
        if !warming_miss {
            self.recorder
                .outcome(j.class, j.issued, found.is_some(), j.size);
        }
        let n = self.tier.node_mut(j.pool, j.node);
        if found.is_some() || pattern == Pattern::CacheAside {
            let latency = n.network_latency();
            if found.is_some() && home.is_none() && j.user == NO_USER {
                let answered = now + latency;
                if answered < self.next_tick {
                    // A hit no user waits for, answered within the open
                    // interval: nothing can happen to it on its way back, so
                    // it is complete now, at the time it arrives, with no
                    // reply event (the same outcome, one event fewer).
                    self.complete(answered, job, Class::Hit);
                    self.release(job);
                    return;
                }
            }
            let answer = Read {
                hit: found.is_some(),
                token,
                ..read
            };
            self.jobs[job as usize].phase = Phase::Node(match home {
                None => AtNode::Lookup(answer),
                Some(home) => AtNode::WarmRead { read: answer, home },
            });
            self.queue.schedule_in(
                lane::NODE_REPLY,
                now + latency,
                Event::Client(ClientEvent::Reply(self.id(job))),
            );
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
        let stale = j.version < self.consistency.versions.committed(j.key);
        let leases = self.consistency.leases.is_some();
        let n = self.tier.node_mut(j.pool, j.node);
        let accepted = !leases || n.redeem(j.key, token);
        if accepted {
            let evicted = n.store(j.key, j.size, j.version, now, counting, j.class, j.ttl_s);
            self.recorder.evictions(now, evicted);
        }
        self.recorder.fill(now, accepted && stale, !accepted);
        if self.app.is_some() {
            let at = now + self.tier.node_mut(j.pool, j.node).network_latency();
            self.app_set_over(at, job);
        }
        self.release(job);
    }

    /// A read-through node's database read came back: fill and answer the
    /// readers waiting for it (all of them, or `waiter` alone without
    /// coalescing), unless the node restarted since the fetch began
    /// (`epoch`).
    pub(super) fn fetched(&mut self, now: Time, job: u32, epoch: u32, waiter: Option<JobId>) {
        let j = self.jobs[job as usize];
        self.release(job);
        let counting = now >= self.warmup_end;
        let n = self.tier.node_mut(j.pool, j.node);
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
            let evicted = n.store(j.key, j.size, j.version, now, counting, j.class, j.ttl_s);
            self.recorder.evictions(now, evicted);
            let stale = j.version < self.consistency.versions.committed(j.key);
            self.recorder.fill(now, stale, false);
        }
        for waiter in answered {
            let latency = self.tier.node_mut(j.pool, j.node).network_latency();
            self.jobs[waiter as usize].failed = j.failed;
            self.jobs[waiter as usize].version = j.version;
            self.queue.schedule_in(
                lane::NODE_REPLY,
                now + latency,
                Event::Client(ClientEvent::Reply(self.id(waiter))),
            );
        }
    }

    /// A live copy of `key` other than `node`, to warm `node` from.
    pub(super) fn warm_peer(&self, key: u64, node: u32) -> Option<u32> {
        self.tier
            .membership
            .write_targets(key)
            .ids()
            .iter()
            .copied()
            .find(|&id| id != node && !self.tier.nodes[id as usize].warming(self.queue.now()))
    }

    /// For a miss at a warming main node (cache-aside): the peer to ask.
    pub(super) fn warming_peer(&self, now: Time, j: &Job) -> Option<u32> {
        let warming = self.tier.pattern == Pattern::CacheAside
            && j.pool == Pool::Main
            && self.tier.nodes[j.node as usize].warming(now);
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
                | AtNode::WriteBehind
                | AtNode::Scan { .. },
            )
            | Phase::Db(AtDb::NodeWrite { .. }) => {
                let at = (j.sent + self.clients.timeout).max(now);
                self.queue
                    .schedule(at, Event::Client(ClientEvent::Timeout(self.id(job))));
            }
            Phase::Node(AtNode::Update {
                writer: Some(writer),
            }) => {
                // A synchronous writer hears of the lost copy when it times out.
                if let Some(slot) = self.live(writer) {
                    let at = (j.sent + self.clients.timeout).max(now);
                    self.jobs[slot as usize].failed = true;
                    self.queue
                        .schedule(at, Event::Write(WriteEvent::Ack(writer)));
                }
                self.release(job);
            }
            Phase::Node(AtNode::Fill { .. }) => {
                // The tier's SET fails after the client's time-out.
                if self.app.is_some() {
                    self.app_set_over((j.sent + self.clients.timeout).max(now), job);
                }
                self.release(job);
            }
            Phase::Node(AtNode::Update { writer: None } | AtNode::Invalidate | AtNode::WarmAdd)
            | Phase::Db(_) => self.release(job),
        }
    }
}

/// The keys that get extra copies: the `hot_keys` most popular ranks of a
/// synthetic workload (of each request class), or the most requested keys
/// of a trace (one pass).
fn hot_keys(config: &ClusterConfig) -> Result<FxHashSet<u64>, TraceError> {
    let k = config.replication.hot_keys;
    if k == 0 {
        return Ok(FxHashSet::default());
    }
    match &config.workload.keys {
        KeySource::Synthetic(_) => Ok((1..=k).map(crate::workload::scramble).collect()),
        // The most popular ranks of each class's own keys.
        KeySource::Classes(classes) => Ok(classes
            .iter()
            .flat_map(|c| {
                let (offset, keys) = (c.workload.key_offset, c.workload.popularity.keys());
                (offset + 1..=offset + k.min(keys)).map(crate::workload::scramble)
            })
            .collect()),
        KeySource::Trace(trace) => {
            let mut counts: rustc_hash::FxHashMap<u64, u64> = rustc_hash::FxHashMap::default();
            let mut stream = trace.open()?;
            let mut batch = Vec::with_capacity(4096);
            while stream.next_batch(&mut batch, 4096)? > 0 {
                for r in &batch {
                    *counts.entry(r.key).or_default() += 1;
                }
                batch.clear();
            }
            let mut ranked: Vec<(u64, u64)> = counts.into_iter().collect();
            ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            Ok(ranked
                .into_iter()
                .take(k as usize)
                .map(|(key, _)| key)
                .collect())
        }
    }
}
