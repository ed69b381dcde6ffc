//! LeCaR: two experts, LRU and LFU, and regret-minimising weights that pick
//! which one evicts.
//!
//! Vietri et al., "Driving Cache Replacement with ML-based LeCaR", USENIX
//! HotStorage 2018, with the implementation choices of libCacheSim's
//! `LeCaR.c` so that its unit-test miss counts can be matched. The resident
//! objects are kept in LRU order and in LFU order (in-cache counts from 1,
//! ties to the object that reached its count first), the latter in O(1)
//! frequency buckets ([`crate::policy::parts::buckets`]) over a second slab
//! of one node per resident, so that a hit moves links and allocates nothing. To make room, when the
//! two experts name the same victim it is evicted and forgotten; otherwise a
//! uniform draw below the weight of LRU evicts LRU's victim, else LFU's, and
//! the victim's key joins that expert's history (H_LRU or H_LFU, FIFO, each
//! bounded by the sizes of the objects it remembers at half the capacity).
//! A request for a key in an expert's history is a miss that the expert
//! caused: that expert's weight is multiplied by e^(−λ·d^t), where t is the
//! number of requests since the eviction and d = `discount`^(1/capacity),
//! the weights are renormalised, and the history entry is forgotten.
//! Defaults, as the paper and libCacheSim: λ = `learning_rate=0.45`,
//! `discount=0.005`, initial `lru_weight=0.5`.
//!
//! libCacheSim's details kept: the weights are updated with its 10^-10
//! smoothing (so that neither weight reaches zero), t counts every request,
//! and the capacity in d is in the cache's units (bytes). The draw comes from
//! the policy's seeded generator; libCacheSim draws `next_rand() % 100 / 100`
//! from its own, which `tests/it/libcachesim.rs` injects to match it.
//! `learning_rate=0` keeps the weights fixed (libCacheSim's
//! `update-weight=0`), so `lru_weight=1` is LRU and `lru_weight=0` is LFU. An
//! invalidation forgets a resident object; history entries are left alone.

use super::admission::Uniform;
use super::parts::buckets::Ladder;
use super::parts::list::{Entries, List, Slab};
use super::parts::room::make_room;
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "lecar",
    about: "LRU and LFU experts weighted by regret: a hit in an expert's history penalises it",
    source: "Vietri et al., HotStorage 2018; libCacheSim LeCaR.c",
    params: &[
        ParamSpec {
            name: "learning_rate",
            kind: ParamKind::Real {
                min: 0.0,
                max: 10.0,
            },
            default: 0.45,
            about: "λ: how far one regretted eviction moves the weights (0: fixed weights)",
        },
        ParamSpec {
            name: "discount",
            kind: ParamKind::Real {
                min: 1e-9,
                max: 1.0,
            },
            default: 0.005,
            about: "what a regret is worth after a capacity's worth of requests",
        },
        ParamSpec {
            name: "lru_weight",
            kind: ParamKind::Real { min: 0.0, max: 1.0 },
            default: 0.5,
            about: "initial weight of the LRU expert",
        },
    ],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Lecar::with_params(
        args.capacity,
        Weights {
            learning_rate: args.params.real("learning_rate"),
            discount: args.params.real("discount"),
            lru: args.params.real("lru_weight"),
        },
        args.seed.rng(),
    ))
}

/// The expert whose eviction a history entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expert {
    Lru,
    Lfu,
}

/// Per key: a resident object, or a history entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meta {
    Resident {
        /// Its frequency bucket (in-cache accesses, from 1).
        bucket: u32,
        /// Its node in the LFU buckets' slab, for as long as it is resident.
        lfu: u32,
    },
    Ghost {
        expert: Expert,
        /// The request count when it was evicted.
        evicted_at: u64,
    },
}

/// The learning parameters and the initial LRU weight.
#[derive(Clone, Copy, Debug)]
struct Weights {
    learning_rate: f64,
    discount: f64,
    lru: f64,
}

/// LeCaR over a generator of uniform draws.
pub struct Lecar<R> {
    capacity: u64,
    learning_rate: f64,
    /// d = discount^(1/capacity).
    decay: f64,
    w_lru: f64,
    w_lfu: f64,
    /// Requests seen.
    requests: u64,
    /// Residents and history entries.
    entries: Entries<Meta>,
    /// Residents, most recently used at the head.
    lru: List,
    /// One node per resident, holding its slot in `entries`.
    lfu_nodes: Slab<u32>,
    /// Residents by frequency; in each bucket the newest arrival at the head.
    buckets: Ladder,
    history_lru: List,
    history_lfu: List,
    rng: R,
}

impl<R: Uniform> Lecar<R> {
    /// An empty LeCaR cache of `capacity` units with the published
    /// parameters, drawing from `rng`.
    pub fn new(capacity: u64, rng: R) -> Self {
        let defaults = Weights {
            learning_rate: 0.45,
            discount: 0.005,
            lru: 0.5,
        };
        Self::with_params(capacity, defaults, rng)
    }

    fn with_params(capacity: u64, weights: Weights, rng: R) -> Self {
        Lecar {
            capacity,
            learning_rate: weights.learning_rate,
            decay: weights.discount.powf(1.0 / capacity.max(1) as f64),
            w_lru: weights.lru,
            w_lfu: 1.0 - weights.lru,
            requests: 0,
            entries: Entries::default(),
            lru: List::default(),
            lfu_nodes: Slab::default(),
            buckets: Ladder::default(),
            history_lru: List::default(),
            history_lfu: List::default(),
            rng,
        }
    }

    /// The paper's regret: the expert that evicted a key requested `age`
    /// requests later loses weight (libCacheSim's `update_weight`).
    fn regret(&mut self, expert: Expert, age: u64) {
        if self.learning_rate == 0.0 {
            return;
        }
        let reward = self.decay.powf(age as f64);
        let (blamed, other) = match expert {
            Expert::Lru => (self.w_lru, self.w_lfu),
            Expert::Lfu => (self.w_lfu, self.w_lru),
        };
        let blamed = blamed * (-self.learning_rate * reward).exp() + 1e-10;
        let sum = blamed + other + 2e-10;
        let (blamed, other) = (blamed / sum, (other + 1e-10) / sum);
        (self.w_lru, self.w_lfu) = match expert {
            Expert::Lru => (blamed, other),
            Expert::Lfu => (other, blamed),
        };
    }

    /// The LFU expert's victim: the oldest arrival at the lowest count.
    fn lfu_victim(&self) -> u32 {
        let lowest = self.buckets.lowest().expect("eviction from an empty cache");
        let node = self
            .buckets
            .items(lowest)
            .tail()
            .expect("empty buckets are dropped");
        self.lfu_nodes.get(node).meta
    }

    /// Takes the resident `slot` out of its bucket and frees its LFU node.
    fn leave_buckets(&mut self, slot: u32) {
        let Meta::Resident { bucket, lfu } = self.entries.node(slot).meta else {
            panic!("slot {slot} is not resident");
        };
        self.buckets.remove(&mut self.lfu_nodes, lfu, bucket);
        self.lfu_nodes.free(lfu);
    }

    /// Unlinks the resident `slot` from both experts' orders.
    fn unlink_resident(&mut self, slot: u32) {
        self.leave_buckets(slot);
        self.lru.unlink(self.entries.slab_mut(), slot);
    }

    /// One eviction: the experts' common victim, or the drawn expert's.
    fn evict_one(&mut self, evicted: &mut Vec<u64>) {
        let lru_victim = self.lru.tail().expect("eviction from an empty cache");
        let lfu_victim = self.lfu_victim();
        let (victim, expert) = if lru_victim == lfu_victim {
            (lru_victim, None)
        } else if self.rng.next_unit() < self.w_lru {
            (lru_victim, Some(Expert::Lru))
        } else {
            (lfu_victim, Some(Expert::Lfu))
        };
        self.unlink_resident(victim);
        evicted.push(self.entries.node(victim).key);
        let Some(expert) = expert else {
            self.entries.remove(victim);
            return;
        };
        self.entries.node_mut(victim).meta = Meta::Ghost {
            expert,
            evicted_at: self.requests,
        };
        let bound = self.capacity / 2;
        let history = match expert {
            Expert::Lru => &mut self.history_lru,
            Expert::Lfu => &mut self.history_lfu,
        };
        history.push_head(self.entries.slab_mut(), victim);
        while history.bytes() > bound {
            let oldest = history.pop_tail(self.entries.slab_mut()).expect("history");
            self.entries.remove(oldest);
        }
    }
}

impl<R: Uniform> Policy for Lecar<R> {
    fn get(&mut self, req: &Request) -> bool {
        self.requests += 1;
        let Some(slot) = self.entries.find(req.key) else {
            return false;
        };
        match self.entries.node(slot).meta {
            Meta::Resident { bucket, lfu } => {
                self.lru.move_to_head(self.entries.slab_mut(), slot);
                let bucket = self.buckets.promote(&mut self.lfu_nodes, lfu, bucket);
                self.entries.node_mut(slot).meta = Meta::Resident { bucket, lfu };
                true
            }
            Meta::Ghost { expert, evicted_at } => {
                self.regret(expert, self.requests - evicted_at);
                let history = match expert {
                    Expert::Lru => &mut self.history_lru,
                    Expert::Lfu => &mut self.history_lfu,
                };
                history.unlink(self.entries.slab_mut(), slot);
                self.entries.remove(slot);
                false
            }
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        debug_assert!(
            !self.contains(req.key),
            "insert of resident key {}",
            req.key
        );
        if !make_room(self, req.size, evicted, Lecar::evict_one) {
            return false;
        }
        let lfu = self.lfu_nodes.alloc(0, req.size, 0);
        let bucket = self.buckets.insert(&mut self.lfu_nodes, lfu);
        let slot = self
            .entries
            .add(req.key, req.size, Meta::Resident { bucket, lfu });
        self.lfu_nodes.get_mut(lfu).meta = slot;
        self.lru.push_head(self.entries.slab_mut(), slot);
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        if !matches!(self.entries.node(slot).meta, Meta::Resident { .. }) {
            return false;
        }
        self.unlink_resident(slot);
        self.entries.remove(slot);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.entries
            .find(key)
            .is_some_and(|slot| matches!(self.entries.node(slot).meta, Meta::Resident { .. }))
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy::of_lists(self.capacity, [&self.lru])
    }

    fn check_invariants(&self) {
        let slab = self.entries.slab();
        self.entries.check();
        self.lru.check_tagged(slab, "LRU", true, |meta| {
            matches!(meta, Meta::Resident { .. })
        });
        for (list, name, expert) in [
            (&self.history_lru, "H_LRU", Expert::Lru),
            (&self.history_lfu, "H_LFU", Expert::Lfu),
        ] {
            list.check_tagged(slab, name, Some(expert), |meta| match meta {
                Meta::Ghost { expert, .. } => Some(*expert),
                Meta::Resident { .. } => None,
            });
            assert!(
                list.bytes() <= self.capacity / 2,
                "{name} over half the capacity"
            );
        }
        let ghosts = self.history_lru.len() + self.history_lfu.len();
        assert_eq!(
            self.lru.len() + ghosts,
            self.entries.len(),
            "every key is listed"
        );
        let (in_buckets, bucket_bytes) = self.buckets.check(&self.lfu_nodes);
        for (id, count, bucket) in self.buckets.iter() {
            for node in bucket.iter(&self.lfu_nodes) {
                let slot = self.lfu_nodes.get(node).meta;
                let expected = Meta::Resident {
                    bucket: id,
                    lfu: node,
                };
                assert_eq!(
                    slab.get(slot).meta,
                    expected,
                    "bucket of count {count} and its object"
                );
            }
        }
        assert_eq!(
            in_buckets,
            self.lru.len(),
            "every resident is in one bucket"
        );
        assert_eq!(bucket_bytes, self.lru.bytes(), "bucket bytes");
        assert_eq!(self.lfu_nodes.live(), in_buckets, "LFU nodes");
        assert!(self.used() <= self.capacity, "over capacity");
        assert!(
            (self.w_lru + self.w_lfu - 1.0).abs() < 1e-6 && (0.0..=1.0).contains(&self.w_lru),
            "weights {} and {}",
            self.w_lru,
            self.w_lfu
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::lfu::Lfu;
    use crate::policy::lru::Lru;
    use crate::policy::parts::testing::unit_stream;
    use crate::seed::{Rng, Seed};

    /// Draws from a fixed list, then repeats the last.
    struct Draws(Vec<f64>);

    impl Uniform for Draws {
        fn next_unit(&mut self) -> f64 {
            if self.0.len() > 1 {
                self.0.remove(0)
            } else {
                self.0[0]
            }
        }
    }

    fn access<R: Uniform>(c: &mut Lecar<R>, key: u64) -> Vec<u64> {
        let mut evicted = Vec::new();
        c.access(&Request::get(key, 1), &mut evicted);
        c.check_invariants();
        evicted
    }

    fn keys<R>(c: &Lecar<R>, list: &List) -> Vec<u64> {
        list.iter(c.entries.slab())
            .map(|s| c.entries.node(s).key)
            .collect()
    }

    #[test]
    fn the_draw_picks_the_expert_and_its_history_remembers() {
        // Capacity 4 (histories of 2 each). Draws: 0.9 (LFU), then 0.1 (LRU).
        let mut c = Lecar::new(4, Draws(vec![0.9, 0.1]));
        for key in [1, 2, 3, 4] {
            access(&mut c, key);
        }
        // 1 is hit twice. Oldest first, LRU order is 2, 3, 4, 1 and LFU's
        // lowest count (1) holds 2, 3, 4: both experts name 2, which is
        // evicted and forgotten without a draw.
        access(&mut c, 1);
        access(&mut c, 1);
        assert_eq!(access(&mut c, 5), [2]);
        assert!(c.history_lru.is_empty() && c.history_lfu.is_empty());
        // Hits on 3 and 4: LRU order 1, 5, 3, 4; count 1 holds only 5.
        access(&mut c, 3);
        access(&mut c, 4);
        // LRU's victim is 1 (count 3), LFU's is 5 (count 1): the draw 0.9 is
        // not below w_lru = 0.5, so LFU evicts 5 into H_LFU.
        assert_eq!(access(&mut c, 6), [5]);
        assert_eq!(keys(&c, &c.history_lfu), [5]);
        // Next: LRU's victim 1, LFU's victim 6 (count 1): draw 0.1 < 0.5,
        // LRU evicts 1 into H_LRU.
        assert_eq!(access(&mut c, 7), [1]);
        assert_eq!(keys(&c, &c.history_lru), [1]);
    }

    #[test]
    fn a_history_hit_moves_weight_away_from_the_expert_that_evicted() {
        let mut c = Lecar::new(4, Draws(vec![0.9]));
        for key in [1, 2, 3, 4, 1, 2, 3] {
            access(&mut c, key);
        }
        // LRU's victim is 4, LFU's 4 too: forgotten. Then 6: LRU's victim
        // 1, LFU's 5; the draw 0.9 picks LFU: 5 goes to H_LFU.
        assert_eq!(access(&mut c, 5), [4]);
        assert_eq!(access(&mut c, 6), [5]);
        // 5 is requested again one request later: the LFU expert regrets.
        let d = 0.005f64.powf(1.0 / 4.0);
        let blamed = 0.5 * (-0.45 * d).exp() + 1e-10;
        let sum = blamed + 0.5 + 2e-10;
        assert!(!c.get(&Request::get(5, 1)));
        assert_eq!((c.w_lfu, c.w_lru), (blamed / sum, (0.5 + 1e-10) / sum));
        assert!(c.w_lru > 0.5);
        assert!(c.history_lfu.is_empty(), "a history hit forgets the entry");
        c.check_invariants();
    }

    #[test]
    fn histories_hold_half_the_capacity_each() {
        let mut c = Lecar::new(10, Draws(vec![0.0]));
        let mut evicted = Vec::new();
        for key in 0..40u64 {
            // Sizes 1..=4; every other key hit once, so that the experts'
            // victims differ and LRU's go to its history.
            let req = Request::get(key, 1 + (key % 4) as u32);
            c.access(&req, &mut evicted);
            if key % 2 == 0 {
                c.access(&req, &mut evicted);
            }
            c.check_invariants();
        }
        assert!(c.history_lru.bytes() <= 5 && !c.history_lru.is_empty());
    }

    fn same_as(mut lecar: Lecar<Rng>, mut other: Box<dyn Policy>, requests: &[Request]) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for (i, req) in requests.iter().enumerate() {
            let hit = lecar.access(req, &mut a);
            assert_eq!(hit, other.access(req, &mut b), "request {i}");
            assert_eq!(a, b, "request {i}");
        }
        lecar.check_invariants();
    }

    fn fixed(lru: f64) -> Lecar<Rng> {
        let weights = Weights {
            learning_rate: 0.0,
            discount: 0.005,
            lru,
        };
        Lecar::with_params(60, weights, Seed(5).rng())
    }

    #[test]
    fn with_fixed_weights_one_expert_is_the_whole_policy() {
        let requests = unit_stream("zipf:alpha=0.9,keys=600,requests=30000", 9);
        same_as(fixed(1.0), Box::new(Lru::new(60)), &requests);
        same_as(fixed(0.0), Box::new(Lfu::new(60)), &requests);
    }

    #[test]
    fn the_same_seed_gives_the_same_evictions() {
        let requests = unit_stream("zipf:alpha=0.8,keys=600,requests=20000", 4);
        let run = |seed| {
            let mut c = Lecar::new(60, Seed(seed).rng());
            let mut evicted = Vec::new();
            let mut all = Vec::new();
            for req in &requests {
                c.access(req, &mut evicted);
                all.append(&mut evicted);
            }
            all
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }
}
