//! MRU: evict the most recently used object.
//!
//! The policy that suits cyclic scans larger than the cache, where the
//! object just used is the one needed last (Chou & DeWitt, "An evaluation
//! of buffer management strategies for relational database systems", VLDB
//! 1985), checked against libCacheSim's `MRU.c`. One list, most recently
//! used at the head; a hit moves the object to the head; eviction, which
//! happens before the new object enters, takes the head: the object touched
//! last. No parameters. Sizes are bytes: the policy evicts until the new
//! object fits.

use super::parts::queue::Queue;
use super::parts::room::make_room;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "mru",
    about: "most recently used leaves first (for scans)",
    source: "Chou & DeWitt, VLDB 1985; libCacheSim MRU.c",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Mru::new(args.capacity))
}

/// Most recently used.
pub struct Mru {
    capacity: u64,
    /// Most recently used at the head.
    queue: Queue<()>,
}

impl Mru {
    /// An empty MRU cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Mru {
            capacity,
            queue: Queue::default(),
        }
    }
}

impl Policy for Mru {
    #[inline]
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
        let admitted = make_room(self, req.size, evicted, |mru, evicted| {
            let head = mru.queue.head().expect("evicting from an empty mru");
            evicted.push(mru.queue.remove_slot(head).0);
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
    fn the_object_touched_last_leaves_first() {
        let mut mru = Mru::new(3);
        let mut evicted = Vec::new();
        for key in [1, 2, 3] {
            assert!(mru.insert(&Request::get(key, 1), &mut evicted));
        }
        // 3 was inserted last, but the hit makes 1 the most recently used.
        assert!(mru.get(&Request::get(1, 1)));
        mru.insert(&Request::get(4, 1), &mut evicted);
        assert_eq!(evicted, [1]);
        // Now 4 is the most recent and leaves for 5.
        mru.insert(&Request::get(5, 1), &mut evicted);
        assert_eq!(evicted, [1, 4]);
        mru.check_invariants();
    }

    #[test]
    fn a_cyclic_scan_keeps_its_first_objects() {
        // Keys 1..=4 in a loop through a cache of 3: LRU misses every time;
        // MRU keeps 1 resident throughout and hits 11 of the 20 requests.
        let mut mru = Mru::new(3);
        let mut evicted = Vec::new();
        let mut hits = 0;
        for _ in 0..5 {
            for key in 1..=4 {
                hits += u32::from(mru.access(&Request::get(key, 1), &mut evicted));
            }
        }
        assert!(mru.contains(1));
        assert_eq!(hits, 11);
    }
}
