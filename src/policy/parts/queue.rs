//! One queue of resident objects with its key index: the whole storage of
//! single-queue policies (LRU, MRU, FIFO, CLOCK, SIEVE), which differ only in what
//! a hit does and how the victim is chosen.

use super::list::{Entries, List, Node};
use crate::policy::Occupancy;

/// Resident objects in one list, head newest, with per-object metadata.
#[derive(Clone, Debug)]
pub struct Queue<T> {
    entries: Entries<T>,
    list: List,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue {
            entries: Entries::default(),
            list: List::default(),
        }
    }
}

impl<T> Queue<T> {
    /// The slot of `key`, if resident.
    #[inline]
    pub fn find(&self, key: u64) -> Option<u32> {
        self.entries.find(key)
    }

    /// The node in `slot`.
    #[inline]
    pub fn node(&self, slot: u32) -> &Node<T> {
        self.entries.node(slot)
    }

    /// The metadata of the object in `slot`, mutably.
    #[inline]
    pub fn meta_mut(&mut self, slot: u32) -> &mut T {
        &mut self.entries.node_mut(slot).meta
    }

    /// Adds an absent key at the head.
    #[inline]
    pub fn push_head(&mut self, key: u64, size: u32, meta: T) -> u32 {
        let slot = self.entries.add(key, size, meta);
        self.list.push_head(self.entries.slab_mut(), slot);
        slot
    }

    /// Moves a resident object to the head.
    #[inline]
    pub fn move_to_head(&mut self, slot: u32) {
        self.list.move_to_head(self.entries.slab_mut(), slot);
    }

    /// The newest slot.
    #[inline]
    pub fn head(&self) -> Option<u32> {
        self.list.head()
    }

    /// The oldest slot.
    #[inline]
    pub fn tail(&self) -> Option<u32> {
        self.list.tail()
    }

    /// The slot one step from `slot` towards the head.
    #[inline]
    pub fn towards_head(&self, slot: u32) -> Option<u32> {
        List::towards_head(self.entries.slab(), slot)
    }

    /// Removes the object in `slot`; returns its key and size.
    #[inline]
    pub fn remove_slot(&mut self, slot: u32) -> (u64, u32) {
        self.list.unlink(self.entries.slab_mut(), slot);
        self.entries.remove(slot)
    }

    /// Removes the oldest object, which must exist; returns its key.
    #[inline]
    pub fn pop_tail(&mut self) -> u64 {
        let tail = self.tail().expect("popping from an empty queue");
        self.remove_slot(tail).0
    }

    /// Removes `key` if resident; returns whether it was.
    pub fn remove(&mut self, key: u64) -> bool {
        self.find(key).map(|slot| self.remove_slot(slot)).is_some()
    }

    /// Number of resident objects.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is resident.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sum of the resident sizes.
    #[inline]
    pub fn bytes(&self) -> u64 {
        self.list.bytes()
    }

    /// The queue's objects as the residents of a cache of `capacity`.
    #[inline]
    pub fn occupancy(&self, capacity: u64) -> Occupancy {
        Occupancy {
            len: self.len(),
            used: self.bytes(),
            capacity,
        }
    }

    /// The slots from head to tail.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.list.iter(self.entries.slab())
    }

    /// Panics unless index, list and counts agree and `capacity` holds.
    pub fn check(&self, capacity: u64) {
        self.entries.check();
        self.list.check(self.entries.slab());
        assert_eq!(self.list.len(), self.entries.len(), "every entry is queued");
        assert!(self.list.bytes() <= capacity, "over capacity");
    }
}
