//! FIFO: evict the object that entered the cache first; hits change nothing.
//!
//! The classic first-in first-out queue (Belady, "A study of replacement
//! algorithms for a virtual-storage computer", IBM Systems Journal 1966).
//! No parameters.

use super::parts::queue::Queue;
use super::parts::room::make_room;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "fifo",
    about: "first in, first out; hits do not reorder",
    source: "Belady, IBM Systems Journal 1966",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Fifo::new(args.capacity))
}

/// First in, first out.
pub struct Fifo {
    capacity: u64,
    /// Newest at the head.
    queue: Queue<()>,
}

impl Fifo {
    /// An empty FIFO cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Fifo {
            capacity,
            queue: Queue::default(),
        }
    }
}

impl Policy for Fifo {
    fn get(&mut self, req: &Request) -> bool {
        self.queue.find(req.key).is_some()
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let admitted = make_room(self, req.size, evicted, |fifo, evicted| {
            evicted.push(fifo.queue.pop_tail());
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
    fn hit_does_not_protect() {
        let mut fifo = Fifo::new(3);
        let mut evicted = Vec::new();
        for key in [1, 2, 3] {
            fifo.insert(&Request::get(key, 1), &mut evicted);
        }
        // 1 is hit, but it entered first, so it leaves first.
        assert!(fifo.get(&Request::get(1, 1)));
        fifo.insert(&Request::get(4, 1), &mut evicted);
        assert_eq!(evicted, [1]);
        fifo.check_invariants();
    }
}
