//! The discrete-event engine: integer-nanosecond time, an event queue ordered
//! by (time, sequence number) so that ties resolve in insertion order, and
//! service-time distributions. It knows nothing of caches.

pub mod dist;

use dary_heap::QuaternaryHeap;
use std::cmp::Ordering;
use std::collections::VecDeque;

/// Simulated time in nanoseconds.
pub type Time = u64;

/// An event with its place in the order: time in the high 64 bits, the
/// sequence number in the low ones, so that one integer comparison orders
/// by (time, seq).
struct Entry<E> {
    key: u128,
    event: E,
}

/// The order key of an event scheduled at `time` with sequence number `seq`.
#[inline]
fn order_key(time: Time, seq: u64) -> u128 {
    (u128::from(time) << 64) | u128::from(seq)
}

/// The time of an order key.
#[inline]
fn key_time(key: u128) -> Time {
    (key >> 64) as Time
}

/// The key of no event: later than every real one.
const NO_KEY: u128 = u128::MAX;

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
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
        other.key.cmp(&self.key)
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
/// exactly the heap's alone, at a deque's cost for most events. The fronts'
/// keys and the lanes' last times are kept in small arrays of their own, so
/// that a pop compares seven integers rather than walking seven deques.
pub struct EventQueue<E> {
    heap: QuaternaryHeap<Entry<E>>,
    lanes: [VecDeque<Entry<E>>; LANES],
    /// The key of each lane's front event ([`NO_KEY`]: the lane is empty).
    fronts: [u128; LANES],
    /// The time of each lane's last event (0 when empty: any time fits).
    backs: [Time; LANES],
    next_seq: u64,
    now: Time,
    processed: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: QuaternaryHeap::new(),
            lanes: std::array::from_fn(|_| VecDeque::new()),
            fronts: [NO_KEY; LANES],
            backs: [0; LANES],
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
            Some(deque) if self.backs[lane] <= time => {
                if deque.is_empty() {
                    self.fronts[lane] = entry.key;
                }
                self.backs[lane] = time;
                deque.push_back(entry);
            }
            _ => self.heap.push(entry),
        }
    }

    #[inline]
    fn entry(&mut self, time: Time, event: E) -> Entry<E> {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let seq = self.next_seq;
        self.next_seq += 1;
        Entry {
            key: order_key(time, seq),
            event,
        }
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn after(&mut self, delay: Time, event: E) {
        self.schedule(self.now + delay, event);
    }

    /// Removes the earliest event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let mut least = self.heap.peek().map_or(NO_KEY, |e| e.key);
        // The lane holding the least event; `LANES` for the heap's top.
        let mut from = LANES;
        for (i, &front) in self.fronts.iter().enumerate() {
            if front < least {
                least = front;
                from = i;
            }
        }
        let entry = if from < LANES {
            let lane = &mut self.lanes[from];
            let entry = lane.pop_front()?;
            match lane.front() {
                Some(next) => self.fronts[from] = next.key,
                None => {
                    self.fronts[from] = NO_KEY;
                    self.backs[from] = 0;
                }
            }
            entry
        } else {
            self.heap.pop()?
        };
        let time = key_time(entry.key);
        self.now = time;
        self.processed += 1;
        Some((time, entry.event))
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
