//! MQ: Multi-Queue, LRU queues by frequency class, with expiry-driven demotion
//! and a history of evicted objects' frequencies.
//!
//! Zhou, Philbin & Li, "The Multi-Queue Replacement Algorithm for Second
//! Level Buffer Caches", USENIX ATC 2001 (section 4, its pseudocode). There
//! are `queues=8` LRU queues Q0..Qm-1; an object with frequency `f` lives in
//! Q_min(⌊log2 f⌋, m-1), so the 2nd access lifts it to Q1, the 4th to Q2, the
//! 8th to Q3. Every access sets the object's expiry to now + lifetime and
//! queues it at the most-recent end of its queue; then the clock ticks and,
//! for each queue from Q1 up, the least recently used object is demoted one
//! queue down (with a fresh expiry) if it has expired. A miss evicts the least
//! recently used object of the lowest non-empty queue and remembers its key
//! and frequency in the FIFO history Qout; a miss on a remembered key
//! restarts from the remembered frequency plus one, and forgets the entry.
//! libCacheSim has no MQ; this file follows the paper.
//!
//! Sizes: the cache evicts until the new object fits (bytes), and Qout is
//! bounded by the sizes of the objects it remembers, at `out=4` times the
//! capacity (the paper's history holds four times as many blocks as the
//! cache). The clock counts accesses: hits, and inserts (a miss whose object
//! is never inserted does not tick). Deviation: the paper tunes `lifeTime`
//! to the trace's peak temporal distance, measured by the cache; here it is
//! a parameter in requests, and `lifetime=0` (the default) stands for the
//! number of objects resident when the object is queued, the time a full
//! cache takes to turn over. An invalidation forgets a resident object
//! without remembering it; history entries are left alone.

use super::parts::list::{Entries, List};
use super::parts::room::make_room;
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "mq",
    about: "multi-queue: LRU queues by log2 frequency, expiry demotes, history of evicted counts",
    source: "Zhou, Philbin & Li, USENIX ATC 2001",
    params: &[
        ParamSpec {
            name: "queues",
            kind: ParamKind::Int { min: 1, max: 32 },
            default: 8.0,
            about: "number of LRU queues",
        },
        ParamSpec {
            name: "lifetime",
            kind: ParamKind::Int {
                min: 0,
                max: 1 << 40,
            },
            default: 0.0,
            about: "requests an object stays in its queue unaccessed before demotion (0: the resident count)",
        },
        ParamSpec {
            name: "out",
            kind: ParamKind::Real {
                min: 0.0,
                max: 64.0,
            },
            default: 4.0,
            about: "history of evicted keys, in multiples of the capacity",
        },
    ],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Mq::new(
        args.capacity,
        args.params.int("queues") as usize,
        args.params.int("lifetime"),
        args.params.real("out"),
    ))
}

/// The queue number that marks an entry of the history Qout.
const OUT: u8 = u8::MAX;

/// Per object: its access count, where it is, and when it expires.
#[derive(Clone, Copy, Debug)]
struct Meta {
    frequency: u32,
    /// The queue it is in, or [`OUT`].
    queue: u8,
    /// The clock value after which it is demoted.
    expires: u64,
}

/// Multi-Queue.
pub struct Mq {
    capacity: u64,
    /// 0: the resident count at the time an object is queued.
    lifetime: u64,
    out_capacity: u64,
    /// Accesses so far.
    clock: u64,
    /// Residents and history entries.
    entries: Entries<Meta>,
    /// Q0..Qm-1, each with the most recently used object at the head.
    queues: Vec<List>,
    /// Qout: the newest at the head.
    out: List,
    len: usize,
    used: u64,
}

impl Mq {
    /// An empty MQ cache of `capacity` units with `queues` queues, demoting
    /// after `lifetime` requests (0: the resident count), remembering evicted
    /// objects up to `out` times the capacity.
    pub fn new(capacity: u64, queues: usize, lifetime: u64, out: f64) -> Self {
        assert!(
            (1..usize::from(OUT)).contains(&queues),
            "mq: {queues} queues"
        );
        Mq {
            capacity,
            lifetime,
            out_capacity: (capacity as f64 * out) as u64,
            clock: 0,
            entries: Entries::default(),
            queues: vec![List::default(); queues],
            out: List::default(),
            len: 0,
            used: 0,
        }
    }

    /// The paper's QueueNum: ⌊log2 frequency⌋, at most the last queue.
    fn queue_for(&self, frequency: u32) -> u8 {
        let log2 = 31 - frequency.max(1).leading_zeros() as usize;
        log2.min(self.queues.len() - 1) as u8
    }

    /// The expiry of an object queued now.
    fn expiry(&self) -> u64 {
        let lifetime = if self.lifetime == 0 {
            self.len as u64
        } else {
            self.lifetime
        };
        self.clock + lifetime
    }

    /// Counts an access to the resident or loaded `slot`, unlinked, and
    /// queues it by its new frequency; then the clock ticks (Adjust).
    fn access_and_queue(&mut self, slot: u32) {
        let expires = self.expiry();
        let frequency = self.entries.node(slot).meta.frequency.saturating_add(1);
        let queue = self.queue_for(frequency);
        self.entries.node_mut(slot).meta = Meta {
            frequency,
            queue,
            expires,
        };
        self.queues[usize::from(queue)].push_head(self.entries.slab_mut(), slot);
        self.adjust();
    }

    /// The paper's Adjust: tick, then demote each queue's expired least
    /// recently used object (from Q1 up) one queue down.
    fn adjust(&mut self) {
        self.clock += 1;
        for k in 1..self.queues.len() {
            let Some(oldest) = self.queues[k].tail() else {
                continue;
            };
            if self.entries.node(oldest).meta.expires >= self.clock {
                continue;
            }
            let expires = self.expiry();
            let slab = self.entries.slab_mut();
            self.queues[k].unlink(slab, oldest);
            self.queues[k - 1].push_head(slab, oldest);
            let meta = &mut slab.get_mut(oldest).meta;
            meta.queue = (k - 1) as u8;
            meta.expires = expires;
        }
    }

    /// Unlinks the resident `slot` from its queue, to be queued again.
    fn unlink_from_queue(&mut self, slot: u32) {
        let queue = usize::from(self.entries.node(slot).meta.queue);
        self.queues[queue].unlink(self.entries.slab_mut(), slot);
    }

    /// Unlinks the resident `slot` from its queue as it leaves the cache.
    fn unlink_resident(&mut self, slot: u32) {
        self.unlink_from_queue(slot);
        self.len -= 1;
        self.used -= u64::from(self.entries.node(slot).size);
    }

    /// EvictBlock: the least recently used object of the lowest non-empty
    /// queue leaves the cache; its key and frequency go to Qout.
    fn evict_one(&mut self, evicted: &mut Vec<u64>) {
        let victim = self
            .queues
            .iter()
            .find_map(List::tail)
            .expect("eviction from an empty cache");
        self.unlink_resident(victim);
        evicted.push(self.entries.node(victim).key);
        self.entries.node_mut(victim).meta.queue = OUT;
        self.out.push_head(self.entries.slab_mut(), victim);
        while self.out.bytes() > self.out_capacity {
            let oldest = self.out.pop_tail(self.entries.slab_mut()).expect("Qout");
            self.entries.remove(oldest);
        }
    }
}

impl Policy for Mq {
    fn get(&mut self, req: &Request) -> bool {
        let Some(slot) = self.entries.find(req.key) else {
            return false;
        };
        if self.entries.node(slot).meta.queue == OUT {
            return false;
        }
        self.unlink_from_queue(slot);
        self.access_and_queue(slot);
        true
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        if !make_room(self, req.size, evicted, Mq::evict_one) {
            return false;
        }
        // Evictions first, as in the paper: they may push this key's own
        // history entry out of Qout.
        let slot = match self.entries.find(req.key) {
            Some(slot) => {
                let queue = self.entries.node(slot).meta.queue;
                assert_eq!(queue, OUT, "insert of resident key {}", req.key);
                self.out.unlink(self.entries.slab_mut(), slot);
                // The object may have changed size since it was evicted.
                self.entries.node_mut(slot).size = req.size;
                slot
            }
            None => {
                let meta = Meta {
                    frequency: 0,
                    queue: 0,
                    expires: 0,
                };
                self.entries.add(req.key, req.size, meta)
            }
        };
        self.len += 1;
        self.used += u64::from(req.size);
        self.access_and_queue(slot);
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        match self.entries.find(key) {
            Some(slot) if self.entries.node(slot).meta.queue != OUT => {
                self.unlink_resident(slot);
                self.entries.remove(slot);
                true
            }
            _ => false,
        }
    }

    fn contains(&self, key: u64) -> bool {
        self.entries
            .find(key)
            .is_some_and(|slot| self.entries.node(slot).meta.queue != OUT)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.len,
            used: self.used,
            capacity: self.capacity,
        }
    }

    fn check_invariants(&self) {
        let slab = self.entries.slab();
        self.entries.check();
        for (k, queue) in self.queues.iter().enumerate() {
            queue.check_tagged(slab, &format!("Q{k}"), k as u8, |meta| meta.queue);
        }
        self.out.check_tagged(slab, "Qout", OUT, |meta| meta.queue);
        let len: usize = self.queues.iter().map(List::len).sum();
        let used: u64 = self.queues.iter().map(List::bytes).sum();
        assert_eq!((len, used), (self.len, self.used), "resident counts");
        assert_eq!(
            len + self.out.len(),
            self.entries.len(),
            "every entry is in a queue or in Qout"
        );
        assert!(self.used <= self.capacity, "over capacity");
        assert!(self.out.bytes() <= self.out_capacity, "Qout over its bound");
        for queue in &self.queues {
            for slot in queue.iter(slab) {
                let meta = slab.get(slot).meta;
                assert!(
                    meta.queue <= self.queue_for(meta.frequency),
                    "{} is above the queue of its frequency",
                    slab.get(slot).key
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::lru::Lru;
    use crate::policy::parts::testing::unit_stream;

    fn access(mq: &mut Mq, key: u64) -> Vec<u64> {
        let mut evicted = Vec::new();
        mq.access(&Request::get(key, 1), &mut evicted);
        mq.check_invariants();
        evicted
    }

    fn keys(mq: &Mq, list: &List) -> Vec<u64> {
        list.iter(mq.entries.slab())
            .map(|s| mq.entries.node(s).key)
            .collect()
    }

    #[test]
    fn queues_follow_log2_of_the_frequency() {
        let mq = Mq::new(10, 8, 100, 4.0);
        let queues: Vec<u8> = [1, 2, 3, 4, 7, 8, 255, 1 << 20]
            .iter()
            .map(|&f| mq.queue_for(f))
            .collect();
        assert_eq!(queues, [0, 1, 1, 2, 2, 3, 7, 7]);
    }

    #[test]
    fn the_lowest_queue_is_evicted_first_and_history_restores_frequency() {
        // Capacity 3, a lifetime long enough that nothing is demoted.
        let mut mq = Mq::new(3, 8, 1000, 4.0);
        for key in [1, 2, 3] {
            assert!(access(&mut mq, key).is_empty());
        }
        // 1 is accessed again: frequency 2, it moves to Q1.
        access(&mut mq, 1);
        assert_eq!(keys(&mq, &mq.queues[0]), [3, 2]);
        assert_eq!(keys(&mq, &mq.queues[1]), [1]);
        // 4 evicts the least recently used object of Q0 (2), not 1, the
        // least recently used object overall.
        assert_eq!(access(&mut mq, 4), [2]);
        assert_eq!(keys(&mq, &mq.out), [2]);
        // 2 comes back: the history gives it frequency 1 + 1 = 2, so Q1;
        // 3 (Q0's oldest) makes room and joins the history.
        assert_eq!(access(&mut mq, 2), [3]);
        assert_eq!(keys(&mq, &mq.queues[1]), [2, 1]);
        assert_eq!(keys(&mq, &mq.out), [3]);
        assert_eq!(
            mq.entries.node(mq.entries.find(2).unwrap()).meta.frequency,
            2
        );
    }

    #[test]
    fn an_expired_object_is_demoted_one_queue() {
        // Lifetime 2: an object queued at clock t expires once the clock
        // passes t + 2.
        let mut mq = Mq::new(10, 8, 2, 4.0);
        access(&mut mq, 1); // clock 0 -> 1, Q0
        access(&mut mq, 1); // frequency 2: Q1, expires at 1 + 2 = 3; clock 2
        assert_eq!(keys(&mq, &mq.queues[1]), [1]);
        access(&mut mq, 2); // clock 3: 1 expires at 3, not yet past it
        assert_eq!(keys(&mq, &mq.queues[1]), [1]);
        access(&mut mq, 3); // clock 4 > 3: 1 drops to Q0's most-recent end
        assert!(mq.queues[1].is_empty());
        assert_eq!(keys(&mq, &mq.queues[0]), [1, 3, 2]);
        // It keeps its count, and expires again a lifetime after clock 4.
        let meta = mq.entries.node(mq.entries.find(1).unwrap()).meta;
        assert_eq!((meta.frequency, meta.expires), (2, 4 + 2));
    }

    #[test]
    fn history_is_fifo_and_bounded_by_size() {
        // Capacity 2, history 1 × the capacity: two unit objects.
        let mut mq = Mq::new(2, 8, 1000, 1.0);
        for key in 1..=5 {
            access(&mut mq, key);
        }
        // 1, 2, 3 were evicted in that order; the history keeps the newest two.
        assert_eq!(keys(&mq, &mq.out), [3, 2]);
        // A hit on an evicted key is a miss.
        assert!(!mq.get(&Request::get(2, 1)));
        assert!(!mq.contains(2));
        assert!(!mq.remove(3), "a history entry is not resident");
    }

    #[test]
    fn one_queue_is_lru() {
        // With a single queue nothing is promoted or demoted, and the
        // history only remembers counts no queue reads: MQ is LRU.
        let requests = unit_stream("zipf:alpha=0.9,keys=500,requests=20000", 3);
        let mut mq = Mq::new(50, 1, 0, 4.0);
        let mut lru = Lru::new(50);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for req in &requests {
            assert_eq!(mq.access(req, &mut a), lru.access(req, &mut b));
            assert_eq!(a, b);
        }
        mq.check_invariants();
    }

    #[test]
    fn sizes_are_bytes_and_too_large_is_refused() {
        let mut mq = Mq::new(10, 8, 0, 4.0);
        let mut evicted = Vec::new();
        assert!(!mq.insert(&Request::get(1, 11), &mut evicted));
        assert!(mq.insert(&Request::get(1, 6), &mut evicted));
        assert!(mq.insert(&Request::get(2, 6), &mut evicted));
        assert_eq!(evicted, [1]);
        assert_eq!(mq.used(), 6);
        mq.check_invariants();
    }
}
