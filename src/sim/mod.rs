//! The discrete-event engine: integer-nanosecond time, an event queue ordered
//! by (time, sequence number) so that ties resolve in insertion order, and
//! service-time distributions. It knows nothing of caches.

pub mod dist;

use dary_heap::QuaternaryHeap;
use std::cmp::Ordering;
use std::collections::VecDeque;

/// Simulated time in nanoseconds.
pub type Time = u64;

struct Entry<E> {
    time: Time,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, so that the max-heap pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// How many sorted lanes the queue keeps beside its heap.
pub const LANES: usize = 6;

/// Pending events, earliest first; events at equal times come out in the
/// order they were scheduled.
///
/// Most events of a model come in streams whose times never go backwards:
/// replies a fixed latency after the request, the end of a fixed service,
/// the next arrival after this one. Beside its 4-ary heap the queue keeps
/// a few FIFO lanes, one per such stream as the model names them
/// ([`EventQueue::schedule_in`]): an event goes to the back of its lane
/// when it is not earlier than the lane's last event (so every lane stays
/// sorted by (time, seq)), and to the heap otherwise. A pop takes the least
/// (time, seq) of the lanes' fronts and the heap's top, so the order is
/// exactly the heap's alone, at a deque's cost for most events.
pub struct EventQueue<E> {
    heap: QuaternaryHeap<Entry<E>>,
    lanes: [VecDeque<Entry<E>>; LANES],
    next_seq: u64,
    now: Time,
    processed: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: QuaternaryHeap::new(),
            lanes: std::array::from_fn(|_| VecDeque::new()),
            next_seq: 0,
            now: 0,
            processed: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time`, which must not be in the past.
    #[inline]
    pub fn schedule(&mut self, time: Time, event: E) {
        let entry = self.entry(time, event);
        self.heap.push(entry);
    }

    /// Schedules `event` at `time` in the stream `lane` (below [`LANES`]):
    /// the same order as [`EventQueue::schedule`], cheaper when the
    /// stream's times do not go backwards.
    #[inline]
    pub fn schedule_in(&mut self, lane: usize, time: Time, event: E) {
        let entry = self.entry(time, event);
        match self.lanes.get_mut(lane) {
            Some(lane) if lane.back().is_none_or(|last| last.time <= time) => {
                lane.push_back(entry);
            }
            _ => self.heap.push(entry),
        }
    }

    #[inline]
    fn entry(&mut self, time: Time, event: E) -> Entry<E> {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let seq = self.next_seq;
        self.next_seq += 1;
        Entry { time, seq, event }
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn after(&mut self, delay: Time, event: E) {
        self.schedule(self.now + delay, event);
    }

    /// Removes the earliest event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let mut least: Option<(Time, u64)> = self.heap.peek().map(|e| (e.time, e.seq));
        // The lane holding the least event; `None` for the heap's top.
        let mut from = None;
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(front) = lane.front()
                && least.is_none_or(|key| (front.time, front.seq) < key)
            {
                least = Some((front.time, front.seq));
                from = Some(i);
            }
        }
        let entry = match from {
            Some(i) => self.lanes[i].pop_front()?,
            None => self.heap.pop()?,
        };
        self.now = entry.time;
        self.processed += 1;
        Some((entry.time, entry.event))
    }

    /// The current time: that of the last event popped.
    #[inline]
    pub fn now(&self) -> Time {
        self.now
    }

    /// Number of events popped so far.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_ties_in_schedule_order() {
        let mut q = EventQueue::default();
        q.schedule(30, "c");
        q.schedule(10, "a1");
        q.schedule(20, "b");
        q.schedule(10, "a2");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, [(10, "a1"), (10, "a2"), (20, "b"), (30, "c")]);
        assert_eq!(q.now(), 30);
        assert_eq!(q.processed(), 4);
    }

    /// Lanes and heap together pop exactly what one ordered set of (time,
    /// seq) would: streams of fixed delays, random delays, far-off events
    /// and ties, interleaved with pops.
    #[test]
    fn lanes_pop_in_the_order_of_one_sorted_set() {
        let mut q = EventQueue::default();
        let mut reference = std::collections::BTreeSet::new();
        let mut seq = 0u64;
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let r = next();
            if r % 3 == 0 {
                let popped = q.pop();
                let expected = reference.pop_first();
                assert_eq!(popped, expected);
                continue;
            }
            let delay = match (r >> 8) % 6 {
                0 => 100,
                1 => 250,
                2 => 10,
                3 => (r >> 16) % 1000,
                4 => 1_000_000,
                _ => 0,
            };
            let time = q.now() + delay;
            q.schedule_in(((r >> 8) % 7) as usize, time, seq);
            reference.insert((time, seq));
            seq += 1;
            assert_eq!(q.len(), reference.len());
        }
        while let Some(popped) = q.pop() {
            assert_eq!(Some(popped), reference.pop_first());
        }
        assert!(reference.is_empty() && q.is_empty());
    }
}
