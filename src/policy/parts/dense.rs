//! A dense set of cached objects for policies that pick victims by uniform
//! sampling (Random, Redis): a vector of items plus key → position, with
//! swap-remove so that every position holds a live item.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

#[inline]
fn hash(key: u64) -> u64 {
    FxBuildHasher.hash_one(key)
}

/// One object in a [`DenseSet`].
#[derive(Clone, Copy, Debug)]
pub struct Item<T> {
    /// The object's key.
    pub key: u64,
    /// The object's size, in the cache's units.
    pub size: u32,
    /// The policy's per-object metadata.
    pub meta: T,
}

/// Objects stored contiguously, so a uniform random position is a uniform
/// random object.
#[derive(Clone, Debug)]
pub struct DenseSet<T> {
    items: Vec<Item<T>>,
    /// Sum of the items' sizes.
    bytes: u64,
    /// Positions, found by comparing the key stored in `items`.
    position: HashTable<u32>,
}

impl<T> Default for DenseSet<T> {
    fn default() -> Self {
        DenseSet {
            items: Vec::new(),
            bytes: 0,
            position: HashTable::new(),
        }
    }
}

impl<T> DenseSet<T> {
    /// The position of `key`, if present.
    #[inline]
    pub fn find(&self, key: u64) -> Option<usize> {
        let items = &self.items;
        self.position
            .find(hash(key), |&p| items[p as usize].key == key)
            .map(|&p| p as usize)
    }

    /// Adds an absent key at the end.
    pub fn add(&mut self, key: u64, size: u32, meta: T) {
        let pos = u32::try_from(self.items.len()).expect("more than 2^32 cached objects");
        debug_assert!(self.find(key).is_none(), "key {key} added twice");
        self.items.push(Item { key, size, meta });
        self.bytes += u64::from(size);
        let items = &self.items;
        self.position
            .insert_unique(hash(key), pos, |&p| hash(items[p as usize].key));
    }

    /// Removes the item at `pos`; the last item takes its place.
    pub fn remove_at(&mut self, pos: usize) -> Item<T> {
        let key = self.items[pos].key;
        self.position
            .find_entry(hash(key), |&p| p as usize == pos)
            .unwrap_or_else(|_| panic!("position {pos} of key {key} is not indexed"))
            .remove();
        let last = self.items.len() - 1;
        if pos != last {
            // The last item moves into `pos`: repoint its index entry.
            let moved = self.items[last].key;
            let entry = self
                .position
                .find_mut(hash(moved), |&p| p as usize == last)
                .expect("last item is indexed");
            *entry = pos as u32;
        }
        let item = self.items.swap_remove(pos);
        self.bytes -= u64::from(item.size);
        item
    }

    /// The item at `pos`.
    #[inline]
    pub fn get(&self, pos: usize) -> &Item<T> {
        &self.items[pos]
    }

    /// The item at `pos`, mutably.
    #[inline]
    pub fn get_mut(&mut self, pos: usize) -> &mut Item<T> {
        &mut self.items[pos]
    }

    /// Number of items.
    #[inline]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sum of the items' sizes.
    #[inline]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The items' count and size against `capacity`.
    #[inline]
    pub fn occupancy(&self, capacity: u64) -> crate::policy::Occupancy {
        crate::policy::Occupancy {
            len: self.items.len(),
            used: self.bytes,
            capacity,
        }
    }

    /// All items, in position order.
    pub fn items(&self) -> &[Item<T>] {
        &self.items
    }

    /// Panics unless positions, items and the byte count agree.
    pub fn check(&self) {
        let bytes: u64 = self.items.iter().map(|i| u64::from(i.size)).sum();
        assert_eq!(bytes, self.bytes, "item bytes");
        assert_eq!(
            self.items.len(),
            self.position.len(),
            "positions and items disagree"
        );
        for (pos, item) in self.items.iter().enumerate() {
            assert_eq!(self.find(item.key), Some(pos), "stale position");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_remove_keeps_positions_right() {
        let mut set = DenseSet::default();
        for key in 10..15 {
            set.add(key, 1, ());
        }
        let removed = set.remove_at(1);
        assert_eq!(removed.key, 11);
        // The last key, 14, moved into position 1.
        assert_eq!(set.find(14), Some(1));
        assert_eq!(set.find(11), None);
        set.check();
        set.remove_at(set.len() - 1);
        set.check();
        assert_eq!(set.len(), 3);
    }
}
