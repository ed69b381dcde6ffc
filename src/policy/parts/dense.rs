//! A dense set of cached objects for policies that pick victims by uniform
//! sampling (Random, Redis): a vector of items plus key → position, with
//! swap-remove so that every position holds a live item.

use rustc_hash::FxHashMap;

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
    position: FxHashMap<u64, u32>,
}

impl<T> Default for DenseSet<T> {
    fn default() -> Self {
        DenseSet {
            items: Vec::new(),
            position: FxHashMap::default(),
        }
    }
}

impl<T> DenseSet<T> {
    /// The position of `key`, if present.
    #[inline]
    pub fn find(&self, key: u64) -> Option<usize> {
        self.position.get(&key).map(|&p| p as usize)
    }

    /// Adds an absent key at the end.
    pub fn add(&mut self, key: u64, size: u32, meta: T) {
        let pos = u32::try_from(self.items.len()).expect("more than 2^32 cached objects");
        let previous = self.position.insert(key, pos);
        debug_assert!(previous.is_none(), "key {key} added twice");
        self.items.push(Item { key, size, meta });
    }

    /// Removes the item at `pos`; the last item takes its place.
    pub fn remove_at(&mut self, pos: usize) -> Item<T> {
        let item = self.items.swap_remove(pos);
        self.position.remove(&item.key);
        if let Some(moved) = self.items.get(pos) {
            self.position.insert(moved.key, pos as u32);
        }
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

    /// All items, in position order.
    pub fn items(&self) -> &[Item<T>] {
        &self.items
    }

    /// Panics unless positions and items agree.
    pub fn check(&self) {
        assert_eq!(
            self.items.len(),
            self.position.len(),
            "positions and items disagree"
        );
        for (pos, item) in self.items.iter().enumerate() {
            assert_eq!(
                self.position.get(&item.key),
                Some(&(pos as u32)),
                "stale position"
            );
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
