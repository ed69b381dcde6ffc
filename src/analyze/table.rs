//! Per-object state by key: an open-addressing table with linear probing
//! (keys are never removed, so no tombstones), kept at most three quarters
//! full. Its own table rather than a `HashMap` so that the pass can ask the
//! CPU to load a key's slot a few requests ahead: the pass is bound by
//! memory latency, as [`crate::mrc`] explains.

use crate::mrc::prefetch;
use crate::seed::mix64;

/// What the pass keeps per object: requests so far (0 marks an empty
/// slot), first-seen size, stack position of its latest request and that
/// request's time (whole seconds from the start).
#[derive(Clone, Copy, Debug, Default)]
pub struct Object {
    /// Requests so far.
    pub count: u32,
    /// First-seen size.
    pub size: u32,
    /// Stack position of the latest request.
    pub position: u32,
    /// Time of the latest request, seconds from the start.
    pub last_s: u32,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    key: u64,
    object: Object,
}

/// Objects by key.
pub struct ObjectTable {
    slots: Vec<Slot>,
    len: usize,
}

impl ObjectTable {
    /// An empty table.
    pub fn new() -> Self {
        ObjectTable {
            slots: vec![Slot::default(); 1024],
            len: 0,
        }
    }

    /// Objects held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes of slots held.
    pub fn heap_bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>()
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        mix64(key) as usize & (self.slots.len() - 1)
    }

    /// Asks the CPU to start loading `key`'s home slot.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        prefetch(&self.slots[self.home(key)]);
    }

    /// The object of `key`, if held.
    #[inline]
    pub fn get(&self, key: u64) -> Option<&Object> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let slot = &self.slots[i];
            if slot.object.count == 0 {
                return None;
            }
            if slot.key == key {
                return Some(&slot.object);
            }
            i = (i + 1) & mask;
        }
    }

    /// The object of `key`, and whether it is new (then all zero: the
    /// caller sets its count above 0).
    #[inline]
    pub fn entry(&mut self, key: u64) -> (&mut Object, bool) {
        if 4 * (self.len + 1) > 3 * self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let slot = &self.slots[i];
            if slot.object.count == 0 {
                self.len += 1;
                self.slots[i].key = key;
                return (&mut self.slots[i].object, true);
            }
            if slot.key == key {
                return (&mut self.slots[i].object, false);
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let doubled = vec![Slot::default(); 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, doubled);
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.object.count > 0) {
            let mut i = self.home(slot.key);
            while self.slots[i].object.count > 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// Every object, in slot order.
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.slots
            .iter()
            .filter(|s| s.object.count > 0)
            .map(|s| &s.object)
    }

    /// Moves every object's stack position to `renumber[position]` (what
    /// [`super::stack::Stack::compact`] returns).
    pub fn renumber(&mut self, renumber: &[u32]) {
        for slot in self.slots.iter_mut().filter(|s| s.object.count > 0) {
            slot.object.position = renumber[slot.object.position as usize];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_apart_through_growth() {
        let mut table = ObjectTable::new();
        for key in 0..10_000u64 {
            let (object, new) = table.entry(key * 7919);
            assert!(new);
            object.count = 1;
            object.size = key as u32;
        }
        assert_eq!(table.len(), 10_000);
        for key in 0..10_000u64 {
            assert_eq!(table.get(key * 7919).map(|o| o.size), Some(key as u32));
            let (object, new) = table.entry(key * 7919);
            assert!(!new && object.size == key as u32);
        }
        assert!(table.get(3).is_none());
        assert_eq!(table.objects().count(), 10_000);
    }
}
