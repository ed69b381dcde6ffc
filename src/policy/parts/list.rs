//! Intrusive doubly linked lists over a slab of nodes, with a key index.
//!
//! Most policies keep their objects in one or more queues (LRU lists, FIFO
//! queues, ghost lists). Here every node lives once in a [`Slab`], addressed by
//! a `u32` slot; a [`List`] only links slots, so moving an object between
//! queues allocates nothing. [`Entries`] adds the key → slot index. A node is
//! 24 bytes when its per-policy metadata fits in 4 bytes; the index stores
//! only the 4-byte slot (the key is compared in the slab), and the slab grows
//! by half its size at a time, so LRU holds about 40–50 bytes per object.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// The slot number that means "no node".
pub const NIL: u32 = u32::MAX;

/// One object's slot: key, size, links and the policy's metadata.
#[derive(Clone, Debug)]
pub struct Node<T> {
    /// The object's key.
    pub key: u64,
    /// The object's size, in the cache's units.
    pub size: u32,
    prev: u32,
    next: u32,
    /// Whatever the policy keeps per object (a frequency, a flag, a list id).
    pub meta: T,
}

/// A growable arena of nodes; freed slots are reused through a free list
/// threaded through `next`.
#[derive(Clone, Debug)]
pub struct Slab<T> {
    nodes: Vec<Node<T>>,
    free_head: u32,
    live: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            nodes: Vec::new(),
            free_head: NIL,
            live: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Stores a new unlinked node and returns its slot.
    pub fn alloc(&mut self, key: u64, size: u32, meta: T) -> u32 {
        let node = Node {
            key,
            size,
            prev: NIL,
            next: NIL,
            meta,
        };
        self.live += 1;
        if self.free_head == NIL {
            let slot = u32::try_from(self.nodes.len()).expect("more than 2^32 cached objects");
            assert!(slot != NIL, "more than 2^32 - 1 cached objects");
            if self.nodes.len() == self.nodes.capacity() {
                // Grow by half rather than double: memory per object matters more
                // than the few extra reallocations.
                self.nodes.reserve_exact((self.nodes.len() / 2).max(16));
            }
            self.nodes.push(node);
            slot
        } else {
            let slot = self.free_head;
            self.free_head = self.nodes[slot as usize].next;
            self.nodes[slot as usize] = node;
            slot
        }
    }

    /// Frees an unlinked slot; returns its key and size.
    pub fn free(&mut self, slot: u32) -> (u64, u32) {
        let node = &mut self.nodes[slot as usize];
        let freed = (node.key, node.size);
        node.prev = NIL;
        node.next = self.free_head;
        self.free_head = slot;
        self.live -= 1;
        freed
    }

    /// The node in `slot`.
    #[inline]
    pub fn get(&self, slot: u32) -> &Node<T> {
        &self.nodes[slot as usize]
    }

    /// The node in `slot`, mutably.
    #[inline]
    pub fn get_mut(&mut self, slot: u32) -> &mut Node<T> {
        &mut self.nodes[slot as usize]
    }

    /// Number of live (allocated) nodes.
    pub fn live(&self) -> usize {
        self.live
    }
}

/// One queue: head is the most recently pushed end, tail the oldest.
#[derive(Clone, Copy, Debug)]
pub struct List {
    head: u32,
    tail: u32,
    len: usize,
    bytes: u64,
}

impl Default for List {
    fn default() -> Self {
        List {
            head: NIL,
            tail: NIL,
            len: 0,
            bytes: 0,
        }
    }
}

impl List {
    /// Number of nodes linked.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no node is linked.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sum of the sizes of the linked nodes.
    #[inline]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The head (most recently pushed) slot.
    #[inline]
    pub fn head(&self) -> Option<u32> {
        (self.head != NIL).then_some(self.head)
    }

    /// The tail (oldest) slot.
    #[inline]
    pub fn tail(&self) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }

    /// The slot one step from `slot` towards the head.
    #[inline]
    pub fn towards_head<T>(slab: &Slab<T>, slot: u32) -> Option<u32> {
        let prev = slab.get(slot).prev;
        (prev != NIL).then_some(prev)
    }

    /// The slot one step from `slot` towards the tail.
    #[inline]
    pub fn towards_tail<T>(slab: &Slab<T>, slot: u32) -> Option<u32> {
        let next = slab.get(slot).next;
        (next != NIL).then_some(next)
    }

    /// Links an unlinked slot at the tail.
    #[inline]
    pub fn push_tail<T>(&mut self, slab: &mut Slab<T>, slot: u32) {
        match self.tail() {
            Some(tail) => self.push_behind(slab, tail, slot),
            None => self.push_head(slab, slot),
        }
    }

    /// Links an unlinked slot at the head.
    #[inline]
    pub fn push_head<T>(&mut self, slab: &mut Slab<T>, slot: u32) {
        let old_head = self.head;
        let node = slab.get_mut(slot);
        node.prev = NIL;
        node.next = old_head;
        let size = node.size;
        if old_head == NIL {
            self.tail = slot;
        } else {
            slab.get_mut(old_head).prev = slot;
        }
        self.head = slot;
        self.len += 1;
        self.bytes += u64::from(size);
    }

    /// Links an unlinked slot right on the tail side of `at`, which is linked
    /// in this list: between `at` and the node after it towards the tail, or
    /// as the new tail when `at` is the tail.
    #[inline]
    pub fn push_behind<T>(&mut self, slab: &mut Slab<T>, at: u32, slot: u32) {
        let after = slab.get(at).next;
        let node = slab.get_mut(slot);
        node.prev = at;
        node.next = after;
        let size = node.size;
        slab.get_mut(at).next = slot;
        if after == NIL {
            self.tail = slot;
        } else {
            slab.get_mut(after).prev = slot;
        }
        self.len += 1;
        self.bytes += u64::from(size);
    }

    /// Unlinks a slot that is linked in this list.
    #[inline]
    pub fn unlink<T>(&mut self, slab: &mut Slab<T>, slot: u32) {
        let node = slab.get_mut(slot);
        let (prev, next, size) = (node.prev, node.next, node.size);
        node.prev = NIL;
        node.next = NIL;
        if prev == NIL {
            self.head = next;
        } else {
            slab.get_mut(prev).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            slab.get_mut(next).prev = prev;
        }
        self.len -= 1;
        self.bytes -= u64::from(size);
    }

    /// Moves a slot linked in this list to its head.
    #[inline]
    pub fn move_to_head<T>(&mut self, slab: &mut Slab<T>, slot: u32) {
        if self.head != slot {
            self.unlink(slab, slot);
            self.push_head(slab, slot);
        }
    }

    /// Unlinks and returns the tail slot.
    #[inline]
    pub fn pop_tail<T>(&mut self, slab: &mut Slab<T>) -> Option<u32> {
        let tail = self.tail()?;
        self.unlink(slab, tail);
        Some(tail)
    }

    /// The linked slots from head to tail.
    pub fn iter<'a, T>(&self, slab: &'a Slab<T>) -> impl Iterator<Item = u32> + 'a {
        let mut cursor = self.head;
        std::iter::from_fn(move || {
            (cursor != NIL).then(|| {
                let slot = cursor;
                cursor = slab.get(slot).next;
                slot
            })
        })
    }

    /// Panics unless the links, the length and the byte count agree.
    pub fn check<T>(&self, slab: &Slab<T>) {
        let mut len = 0;
        let mut bytes = 0u64;
        let mut prev = NIL;
        let mut cursor = self.head;
        while cursor != NIL {
            let node = slab.get(cursor);
            assert_eq!(node.prev, prev, "broken back link at slot {cursor}");
            len += 1;
            bytes += u64::from(node.size);
            assert!(len <= slab.live(), "cycle in list");
            prev = cursor;
            cursor = node.next;
        }
        assert_eq!(prev, self.tail, "tail is not the last node");
        assert_eq!(len, self.len, "list length");
        assert_eq!(bytes, self.bytes, "list bytes");
    }

    /// [`check`](Self::check), and panics unless every linked node's
    /// `tag_of(meta)` is `tag`: the node knows which list (`name`) it is on.
    pub fn check_tagged<T, M: Copy + PartialEq + std::fmt::Debug>(
        &self,
        slab: &Slab<T>,
        name: &str,
        tag: M,
        tag_of: impl Fn(&T) -> M,
    ) {
        self.check(slab);
        for slot in self.iter(slab) {
            let node = slab.get(slot);
            let found = tag_of(&node.meta);
            assert_eq!(found, tag, "{} is on {name} but tagged {found:?}", node.key);
        }
    }
}

/// The hash of a key in the index.
#[inline]
fn hash(key: u64) -> u64 {
    FxBuildHasher.hash_one(key)
}

/// A slab plus the key → slot index: the storage most policies share.
#[derive(Clone, Debug)]
pub struct Entries<T> {
    index: HashTable<u32>,
    slab: Slab<T>,
}

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries {
            index: HashTable::new(),
            slab: Slab::default(),
        }
    }
}

impl<T> Entries<T> {
    /// The slot of `key`, if present.
    #[inline]
    pub fn find(&self, key: u64) -> Option<u32> {
        let slab = &self.slab;
        self.index
            .find(hash(key), |&slot| slab.get(slot).key == key)
            .copied()
    }

    /// Adds `key`, which must be absent, as an unlinked node.
    #[inline]
    pub fn add(&mut self, key: u64, size: u32, meta: T) -> u32 {
        debug_assert!(self.find(key).is_none(), "key {key} added twice");
        let slot = self.slab.alloc(key, size, meta);
        let slab = &self.slab;
        self.index
            .insert_unique(hash(key), slot, |&s| hash(slab.get(s).key));
        slot
    }

    /// Forgets the unlinked node in `slot`; returns its key and size.
    #[inline]
    pub fn remove(&mut self, slot: u32) -> (u64, u32) {
        let key = self.slab.get(slot).key;
        match self.index.find_entry(hash(key), |&s| s == slot) {
            Ok(entry) => {
                entry.remove();
            }
            Err(_) => panic!("slot {slot} of key {key} is not indexed"),
        }
        self.slab.free(slot)
    }

    /// Number of keys present.
    #[inline]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no key is present.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The node storage.
    #[inline]
    pub fn slab(&self) -> &Slab<T> {
        &self.slab
    }

    /// The node storage, mutably.
    #[inline]
    pub fn slab_mut(&mut self) -> &mut Slab<T> {
        &mut self.slab
    }

    /// The node in `slot`.
    #[inline]
    pub fn node(&self, slot: u32) -> &Node<T> {
        self.slab.get(slot)
    }

    /// The node in `slot`, mutably.
    #[inline]
    pub fn node_mut(&mut self, slot: u32) -> &mut Node<T> {
        self.slab.get_mut(slot)
    }

    /// Panics unless every indexed slot holds a live node that the index
    /// finds under its own key.
    pub fn check(&self) {
        assert_eq!(
            self.index.len(),
            self.slab.live(),
            "index and slab disagree"
        );
        for &slot in &self.index {
            let key = self.slab.get(slot).key;
            assert_eq!(self.find(key), Some(slot), "index does not find key {key}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &List, entries: &Entries<()>) -> Vec<u64> {
        list.iter(entries.slab())
            .map(|s| entries.node(s).key)
            .collect()
    }

    #[test]
    fn check_tagged_names_a_node_tagged_for_another_list() {
        let mut e = Entries::default();
        let mut list = List::default();
        for (key, tag) in [(1, 'a'), (2, 'a'), (3, 'b')] {
            let slot = e.add(key, 1, tag);
            list.push_head(e.slab_mut(), slot);
        }
        let all_a = std::panic::catch_unwind(|| list.check_tagged(e.slab(), "A", 'a', |&t| t));
        let message = *all_a.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("3 is on A but tagged 'b'"), "{message}");
        list.check_tagged(e.slab(), "any", true, char::is_ascii_lowercase);
    }

    #[test]
    fn push_move_pop_keep_order_and_bytes() {
        let mut e = Entries::default();
        let mut list = List::default();
        for key in 1..=4 {
            let slot = e.add(key, key as u32 * 10, ());
            list.push_head(e.slab_mut(), slot);
        }
        assert_eq!(keys(&list, &e), [4, 3, 2, 1]);
        assert_eq!(list.bytes(), 100);
        // 2 is touched: it goes to the head, 1 stays the oldest.
        let two = e.find(2).unwrap();
        list.move_to_head(e.slab_mut(), two);
        assert_eq!(keys(&list, &e), [2, 4, 3, 1]);
        let tail = list.pop_tail(e.slab_mut()).unwrap();
        assert_eq!(e.remove(tail), (1, 10));
        assert_eq!(keys(&list, &e), [2, 4, 3]);
        assert_eq!(list.bytes(), 90);
        list.check(e.slab());
        e.check();
        // A freed slot is reused.
        let slot = e.add(9, 1, ());
        assert_eq!(slot, tail);
    }

    #[test]
    fn push_behind_links_on_the_tail_side() {
        let mut e = Entries::default();
        let mut list = List::default();
        for key in [1, 2] {
            let slot = e.add(key, 1, ());
            list.push_head(e.slab_mut(), slot);
        }
        // 2 is the head, 1 the tail; 3 goes between them, 4 after the tail.
        let (two, one) = (e.find(2).unwrap(), e.find(1).unwrap());
        let three = e.add(3, 1, ());
        list.push_behind(e.slab_mut(), two, three);
        let four = e.add(4, 1, ());
        list.push_behind(e.slab_mut(), one, four);
        assert_eq!(keys(&list, &e), [2, 3, 1, 4]);
        assert_eq!(list.tail(), Some(four));
        list.check(e.slab());
    }
}
