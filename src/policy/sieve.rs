//! SIEVE: a FIFO queue with a visited bit and a hand that sifts from the
//! oldest object towards the newest, and stays where it stopped.
//!
//! Zhang, Yang, Yue, Vigfusson & Rashmi, "SIEVE is Simpler than LRU: an
//! Efficient Turn-Key Eviction Algorithm for Web Caches", NSDI 2024
//! (Algorithm 1), checked against libCacheSim's `Sieve.c`. New objects enter
//! at the head with the bit clear; a hit only sets the bit. To evict, the
//! hand starts where it last stopped (at the tail the first time), clears
//! the bit of each visited object it passes while moving towards the head,
//! wrapping to the tail, and evicts the first object whose bit is clear; it
//! then rests on that object's neighbour towards the head. Unlike CLOCK,
//! survivors are not moved, so new objects, at the head, are the last the
//! hand reaches. No parameters. Sizes are bytes: the hand evicts until the
//! new object fits, as in libCacheSim.

use super::parts::queue::Queue;
use super::parts::room::make_room;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "sieve",
    about: "FIFO with a visited bit and a hand that stays where it stopped",
    source: "Zhang et al., NSDI 2024; libCacheSim Sieve.c",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Sieve::new(args.capacity))
}

/// SIEVE.
pub struct Sieve {
    capacity: u64,
    /// Per object the visited bit; head: newest; tail: oldest.
    queue: Queue<bool>,
    /// Where the next eviction starts; `None` means at the tail.
    hand: Option<u32>,
}

impl Sieve {
    /// An empty SIEVE cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Sieve {
            capacity,
            queue: Queue::default(),
            hand: None,
        }
    }

    /// Moves the hand to the first unvisited object, clearing the bits it
    /// passes, evicts that object and returns its key.
    fn evict_one(&mut self) -> u64 {
        let tail = self.queue.tail().expect("evicting from an empty sieve");
        let mut slot = self.hand.unwrap_or(tail);
        loop {
            let visited = self.queue.meta_mut(slot);
            if !*visited {
                break;
            }
            *visited = false;
            slot = self.queue.towards_head(slot).unwrap_or(tail);
        }
        self.hand = self.queue.towards_head(slot);
        self.queue.remove_slot(slot).0
    }
}

impl Policy for Sieve {
    #[inline]
    fn get(&mut self, req: &Request) -> bool {
        match self.queue.find(req.key) {
            Some(slot) => {
                *self.queue.meta_mut(slot) = true;
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let admitted = make_room(self, req.size, evicted, |sieve, evicted| {
            evicted.push(sieve.evict_one());
        });
        if admitted {
            self.queue.push_head(req.key, req.size, false);
        }
        admitted
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.queue.find(key) else {
            return false;
        };
        if self.hand == Some(slot) {
            self.hand = self.queue.towards_head(slot);
        }
        self.queue.remove_slot(slot);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.queue.find(key).is_some()
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        self.queue.occupancy(self.capacity)
    }

    fn check_invariants(&self) {
        self.queue.check(self.capacity);
        if let Some(hand) = self.hand {
            assert!(
                self.queue.iter().any(|slot| slot == hand),
                "the hand points at slot {hand}, which is not queued"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(sieve: &mut Sieve, keys: &[u64]) {
        let mut evicted = Vec::new();
        for &key in keys {
            assert!(sieve.insert(&Request::get(key, 1), &mut evicted));
        }
        assert!(evicted.is_empty());
    }

    fn evict_for(sieve: &mut Sieve, key: u64) -> Vec<u64> {
        let mut evicted = Vec::new();
        sieve.insert(&Request::get(key, 1), &mut evicted);
        sieve.check_invariants();
        evicted
    }

    fn hand_key(sieve: &Sieve) -> Option<u64> {
        sieve.hand.map(|slot| sieve.queue.node(slot).key)
    }

    #[test]
    fn visited_objects_survive_in_place() {
        let mut sieve = Sieve::new(4);
        fill(&mut sieve, &[1, 2, 3, 4]);
        sieve.get(&Request::get(1, 1));
        sieve.get(&Request::get(2, 1));
        // The hand starts at the tail: 1 and 2 are visited (bits cleared,
        // not moved); 3 is the first unvisited object and leaves.
        assert_eq!(evict_for(&mut sieve, 5), [3]);
        // Order is unchanged apart from 3: head 5, 4, 2, 1 tail.
        let keys: Vec<u64> = sieve
            .queue
            .iter()
            .map(|s| sieve.queue.node(s).key)
            .collect();
        assert_eq!(keys, [5, 4, 2, 1]);
        // The hand rests on 3's neighbour towards the head.
        assert_eq!(hand_key(&sieve), Some(4));
    }

    #[test]
    fn hand_position_persists_between_evictions() {
        let mut sieve = Sieve::new(4);
        fill(&mut sieve, &[1, 2, 3, 4]);
        sieve.get(&Request::get(1, 1));
        assert_eq!(evict_for(&mut sieve, 5), [2]);
        assert_eq!(hand_key(&sieve), Some(3));
        // 1 is now unvisited and the oldest, but the hand is past it: 3 goes.
        assert_eq!(evict_for(&mut sieve, 6), [3]);
        assert_eq!(hand_key(&sieve), Some(4));
        // 4 goes next, then the hand reaches 5 and 6 (new, unvisited).
        assert_eq!(evict_for(&mut sieve, 7), [4]);
        assert_eq!(hand_key(&sieve), Some(5));
        sieve.get(&Request::get(5, 1));
        sieve.get(&Request::get(6, 1));
        sieve.get(&Request::get(7, 1));
        // 5, 6, 7 are visited: the hand clears them, wraps to the tail and
        // evicts 1, which has stayed unvisited since the first pass.
        assert_eq!(evict_for(&mut sieve, 8), [1]);
        // 1 was the tail, so the hand rests on 5.
        assert_eq!(hand_key(&sieve), Some(5));
    }

    #[test]
    fn removing_the_object_under_the_hand_moves_the_hand() {
        let mut sieve = Sieve::new(3);
        fill(&mut sieve, &[1, 2, 3]);
        assert_eq!(evict_for(&mut sieve, 4), [1]);
        assert_eq!(hand_key(&sieve), Some(2));
        assert!(sieve.remove(2));
        assert_eq!(hand_key(&sieve), Some(3));
        sieve.check_invariants();
        // 4, the newest, comes under the hand; removing it too leaves no
        // neighbour towards the head, so the next eviction starts at the tail.
        assert!(sieve.remove(3));
        assert_eq!(hand_key(&sieve), Some(4));
        assert!(sieve.remove(4));
        assert_eq!(hand_key(&sieve), None);
        fill(&mut sieve, &[5, 6, 7]);
        assert_eq!(evict_for(&mut sieve, 8), [5]);
    }
}
