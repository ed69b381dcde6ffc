//! LRU: evict the least recently used object.
//!
//! The textbook policy (see e.g. Mattson et al., "Evaluation techniques for
//! storage hierarchies", IBM Systems Journal 1970, which also gives the stack
//! property the one-pass miss-ratio curve relies on). One list, most recently
//! used at the head; a hit moves the object to the head; eviction takes the
//! tail. No parameters.

use super::parts::queue::Queue;
use super::parts::room::make_room;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "lru",
    about: "least recently used",
    source: "Mattson et al., IBM Systems Journal 1970",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Lru::new(args.capacity))
}

/// Least recently used.
pub struct Lru {
    capacity: u64,
    /// Most recently used at the head.
    queue: Queue<()>,
}

impl Lru {
    /// An empty LRU cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Lru {
            capacity,
            queue: Queue::default(),
        }
    }
}

impl Policy for Lru {
    fn get(&mut self, req: &Request) -> bool {
        match self.queue.find(req.key) {
            Some(slot) => {
                self.queue.move_to_head(slot);
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let admitted = make_room(self, req.size, evicted, |lru, evicted| {
            evicted.push(lru.queue.pop_tail());
        });
        if admitted {
            self.queue.push_head(req.key, req.size, ());
        }
        admitted
    }

    fn remove(&mut self, key: u64) -> bool {
        self.queue.remove(key)
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_protects_from_eviction() {
        let mut lru = Lru::new(3);
        let mut evicted = Vec::new();
        for key in [1, 2, 3] {
            assert!(lru.insert(&Request::get(key, 1), &mut evicted));
        }
        // 1 is the oldest, but the hit makes 2 the least recently used.
        assert!(lru.get(&Request::get(1, 1)));
        lru.insert(&Request::get(4, 1), &mut evicted);
        assert_eq!(evicted, [2]);
        lru.check_invariants();
    }

    #[test]
    fn large_object_evicts_several() {
        let mut lru = Lru::new(10);
        let mut evicted = Vec::new();
        for key in 1..=5 {
            lru.insert(&Request::get(key, 2), &mut evicted);
        }
        lru.insert(&Request::get(6, 5), &mut evicted);
        assert_eq!(evicted, [1, 2, 3]);
        assert_eq!(lru.used(), 9);
        assert!(!lru.insert(&Request::get(7, 11), &mut evicted));
        assert!(!lru.contains(7));
    }
}
