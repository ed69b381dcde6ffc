//! FIFO: evict the object that entered the cache first; hits change nothing.
//!
//! The classic first-in first-out queue (Belady, "A study of replacement
//! algorithms for a virtual-storage computer", IBM Systems Journal 1966).
//! No parameters.

use super::Policy;
use super::parts::list::{Entries, List};
use super::registry::{BuildArgs, PolicySpec};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "fifo",
    about: "first in, first out; hits do not reorder",
    source: "Belady, IBM Systems Journal 1966",
    params: &[],
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Fifo::new(args.capacity))
}

/// First in, first out.
pub struct Fifo {
    capacity: u64,
    entries: Entries<()>,
    queue: List,
}

impl Fifo {
    /// An empty FIFO cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Fifo {
            capacity,
            entries: Entries::default(),
            queue: List::default(),
        }
    }
}

impl Policy for Fifo {
    fn get(&mut self, req: &Request) -> bool {
        self.entries.find(req.key).is_some()
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let size = u64::from(req.size);
        if size > self.capacity {
            return false;
        }
        while self.queue.bytes() + size > self.capacity {
            let victim = self
                .queue
                .pop_tail(self.entries.slab_mut())
                .expect("over capacity");
            evicted.push(self.entries.remove(victim).0);
        }
        let slot = self.entries.add(req.key, req.size, ());
        self.queue.push_head(self.entries.slab_mut(), slot);
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        self.queue.unlink(self.entries.slab_mut(), slot);
        self.entries.remove(slot);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.entries.find(key).is_some()
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn used(&self) -> u64 {
        self.queue.bytes()
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn check_invariants(&self) {
        self.entries.check();
        self.queue.check(self.entries.slab());
        assert_eq!(
            self.queue.len(),
            self.entries.len(),
            "every entry is queued"
        );
        assert!(self.queue.bytes() <= self.capacity, "over capacity");
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
