//! CLOCK: FIFO order, but an object used since the hand last passed gets
//! another round.
//!
//! Corbató, "A paging experiment with the Multics system", MIT Project MAC
//! report MAC-M-384, 1968, with the k-bit generalisation of libCacheSim's
//! `Clock.c` (parameter `n-bit-counter`). Each object has a counter, 0 on
//! insert; a hit increments it, saturating at 2^bits − 1. The hand evicts the
//! first object whose counter is 0 and decrements every counter it passes.
//! Written, as libCacheSim writes it, as FIFO with reinsertion: the tail of
//! the queue is where the hand points; an object with a nonzero counter is
//! decremented and moved to the head, which is exactly where a circular hand
//! would next reach it. Default: `bits=1` (the classic reference bit, i.e.
//! second chance). Sizes are bytes: the hand keeps evicting until the new
//! object fits, as in libCacheSim.

use super::parts::queue::Queue;
use super::parts::room::make_room;
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "clock",
    about: "FIFO with a k-bit reference counter; the hand spares used objects",
    source: "Corbató, MIT Project MAC MAC-M-384, 1968; libCacheSim Clock.c",
    params: &[ParamSpec {
        name: "bits",
        kind: ParamKind::Int { min: 1, max: 8 },
        default: 1.0,
        about: "bits of the per-object counter (1 = reference bit)",
    }],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Clock::new(args.capacity, args.params.int("bits") as u32))
}

/// CLOCK with a k-bit counter.
pub struct Clock {
    capacity: u64,
    max_count: u8,
    /// Per object its counter; head: newest or most recently spared; tail:
    /// where the hand points.
    queue: Queue<u8>,
}

impl Clock {
    /// An empty CLOCK cache of `capacity` units with `bits`-bit counters (1..=8).
    pub fn new(capacity: u64, bits: u32) -> Self {
        assert!((1..=8).contains(&bits), "clock counter of {bits} bits");
        Clock {
            capacity,
            max_count: ((1u32 << bits) - 1) as u8,
            queue: Queue::default(),
        }
    }

    /// Advances the hand until it evicts one object; returns its key.
    fn evict_one(&mut self) -> u64 {
        loop {
            let slot = self.queue.tail().expect("evicting from an empty clock");
            let count = self.queue.meta_mut(slot);
            if *count == 0 {
                return self.queue.remove_slot(slot).0;
            }
            *count -= 1;
            self.queue.move_to_head(slot);
        }
    }
}

impl Policy for Clock {
    #[inline]
    fn get(&mut self, req: &Request) -> bool {
        match self.queue.find(req.key) {
            Some(slot) => {
                let count = self.queue.meta_mut(slot);
                if *count < self.max_count {
                    *count += 1;
                }
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let admitted = make_room(self, req.size, evicted, |clock, evicted| {
            evicted.push(clock.evict_one());
        });
        if admitted {
            self.queue.push_head(req.key, req.size, 0);
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
        for slot in self.queue.iter() {
            let node = self.queue.node(slot);
            assert!(
                node.meta <= self.max_count,
                "counter of {} above {}",
                node.key,
                self.max_count
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(clock: &mut Clock, keys: &[u64]) {
        let mut evicted = Vec::new();
        for &key in keys {
            assert!(clock.insert(&Request::get(key, 1), &mut evicted));
        }
        assert!(evicted.is_empty());
    }

    fn queue(clock: &Clock) -> Vec<(u64, u8)> {
        clock
            .queue
            .iter()
            .map(|s| (clock.queue.node(s).key, clock.queue.node(s).meta))
            .collect()
    }

    #[test]
    fn referenced_object_gets_a_second_chance() {
        let mut clock = Clock::new(3, 1);
        fill(&mut clock, &[1, 2, 3]);
        // 1 is the oldest, but it was used: its bit is set.
        assert!(clock.get(&Request::get(1, 1)));
        let mut evicted = Vec::new();
        clock.insert(&Request::get(4, 1), &mut evicted);
        // The hand clears 1's bit and moves on (1 goes to the head); 2 is
        // unused, so 2 is evicted.
        assert_eq!(evicted, [2]);
        assert_eq!(queue(&clock), [(4, 0), (1, 0), (3, 0)]);
        // Next miss: 3 is at the hand with its bit clear, and leaves.
        evicted.clear();
        clock.insert(&Request::get(5, 1), &mut evicted);
        assert_eq!(evicted, [3]);
        clock.check_invariants();
    }

    #[test]
    fn all_referenced_means_a_full_turn_then_fifo() {
        let mut clock = Clock::new(3, 1);
        fill(&mut clock, &[1, 2, 3]);
        for key in [1, 2, 3] {
            clock.get(&Request::get(key, 1));
        }
        // The hand clears every bit in one full turn and then evicts 1,
        // the oldest, as FIFO would.
        let mut evicted = Vec::new();
        clock.insert(&Request::get(4, 1), &mut evicted);
        assert_eq!(evicted, [1]);
        assert_eq!(queue(&clock), [(4, 0), (3, 0), (2, 0)]);
    }

    #[test]
    fn two_bit_counter_saturates_at_three_and_buys_three_passes() {
        let mut clock = Clock::new(2, 2);
        fill(&mut clock, &[1, 2]);
        // Five hits on 1 saturate its counter at 3; 2 has one hit.
        for _ in 0..5 {
            clock.get(&Request::get(1, 1));
        }
        clock.get(&Request::get(2, 1));
        assert_eq!(queue(&clock), [(2, 1), (1, 3)]);
        let mut evicted = Vec::new();
        // The hand passes 1 (3 -> 2) and 2 (1 -> 0), then 1 again (2 -> 1),
        // and evicts 2.
        clock.insert(&Request::get(3, 1), &mut evicted);
        assert_eq!(evicted, [2]);
        assert_eq!(queue(&clock), [(3, 0), (1, 1)]);
        clock.check_invariants();
    }

    #[test]
    fn large_object_evicts_until_it_fits() {
        let mut clock = Clock::new(10, 1);
        let mut evicted = Vec::new();
        for key in 1..=5 {
            clock.insert(&Request::get(key, 2), &mut evicted);
        }
        clock.get(&Request::get(1, 2));
        clock.insert(&Request::get(6, 5), &mut evicted);
        // 1 is spared; 2, 3 and 4 leave to free 6 units.
        assert_eq!(evicted, [2, 3, 4]);
        assert_eq!(clock.used(), 9);
        assert!(clock.remove(1));
        assert!(!clock.remove(1));
        clock.check_invariants();
    }
}
