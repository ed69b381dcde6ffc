//! The directory ARC and CAR share (Megiddo & Modha, FAST 2003; Bansal &
//! Modha, FAST 2004): two lists of residents, T1 (seen once recently) and
//! T2 (seen at least twice), and two ghost lists, B1 and B2, of the keys
//! recently evicted from each, over one key index, in bytes. The policies
//! differ in what a hit does and how REPLACE picks; the lists, the ghost
//! bookkeeping and the two directory bounds (T1 + B1 ≤ c and
//! T1 + T2 + B1 + B2 ≤ 2c) are written here once.

use super::list::{Entries, List, Node, Slab};
use crate::policy::Occupancy;

/// Which of the four lists a node is linked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Where {
    /// Resident, seen once recently.
    T1,
    /// Resident, seen at least twice.
    T2,
    /// Ghost of an object evicted from T1.
    B1,
    /// Ghost of an object evicted from T2.
    B2,
}

impl Where {
    /// True for T1 and T2.
    pub fn resident(self) -> bool {
        matches!(self, Where::T1 | Where::T2)
    }
}

/// Per-node metadata that says which list the node is in.
pub trait Placed: Copy {
    /// The node's list.
    fn place(&self) -> Where;
}

impl Placed for Where {
    fn place(&self) -> Where {
        *self
    }
}

/// The four lists and their key index.
pub struct Directory<M> {
    /// Every node, resident or ghost.
    pub entries: Entries<M>,
    /// Residents seen once recently.
    pub t1: List,
    /// Residents seen at least twice.
    pub t2: List,
    /// Ghosts of T1's evictions.
    pub b1: List,
    /// Ghosts of T2's evictions.
    pub b2: List,
}

impl<M> Default for Directory<M> {
    fn default() -> Self {
        Directory {
            entries: Entries::default(),
            t1: List::default(),
            t2: List::default(),
            b1: List::default(),
            b2: List::default(),
        }
    }
}

impl<M: Placed> Directory<M> {
    /// The list `place` and the node storage, borrowed together.
    pub fn split(&mut self, place: Where) -> (&mut List, &mut Slab<M>) {
        let list = match place {
            Where::T1 => &mut self.t1,
            Where::T2 => &mut self.t2,
            Where::B1 => &mut self.b1,
            Where::B2 => &mut self.b2,
        };
        (list, self.entries.slab_mut())
    }

    /// The node of `key` and its list, resident or ghost.
    pub fn find(&self, key: u64) -> Option<(u32, Where)> {
        let slot = self.entries.find(key)?;
        Some((slot, self.entries.node(slot).meta.place()))
    }

    /// The node in `slot`.
    pub fn node(&self, slot: u32) -> &Node<M> {
        self.entries.node(slot)
    }

    /// The node in `slot`, mutably.
    pub fn node_mut(&mut self, slot: u32) -> &mut Node<M> {
        self.entries.node_mut(slot)
    }

    /// Adds `key` at the head (newest end) of `meta`'s list.
    pub fn push_head(&mut self, key: u64, size: u32, meta: M) -> u32 {
        let slot = self.entries.add(key, size, meta);
        let (list, slab) = self.split(meta.place());
        list.push_head(slab, slot);
        slot
    }

    /// Unlinks the node in `slot` and forgets it.
    pub fn forget(&mut self, slot: u32) {
        let place = self.entries.node(slot).meta.place();
        let (list, slab) = self.split(place);
        list.unlink(slab, slot);
        self.entries.remove(slot);
    }

    /// Forgets the LRU key of ghost list `place`, which must be non-empty.
    pub fn drop_ghost(&mut self, place: Where) {
        let (list, slab) = self.split(place);
        let slot = list.pop_tail(slab).expect("ghost list is not empty");
        self.entries.remove(slot);
    }

    /// Resident bytes and ghost bytes together.
    pub fn directory_bytes(&self) -> u64 {
        self.t1.bytes() + self.t2.bytes() + self.b1.bytes() + self.b2.bytes()
    }

    /// Keeps T1 + B1 ≤ `capacity` and the whole directory within twice
    /// `capacity` by forgetting the oldest ghosts.
    pub fn trim_ghosts(&mut self, capacity: u64) {
        while self.t1.bytes() + self.b1.bytes() > capacity && !self.b1.is_empty() {
            self.drop_ghost(Where::B1);
        }
        while self.directory_bytes() > 2 * capacity && !self.b2.is_empty() {
            self.drop_ghost(Where::B2);
        }
    }

    /// Forgets a resident `key` (an invalidation); ghosts stay. True if
    /// it was resident.
    pub fn remove_resident(&mut self, key: u64) -> bool {
        match self.find(key) {
            Some((slot, place)) if place.resident() => {
                self.forget(slot);
                true
            }
            _ => false,
        }
    }

    /// True when `key` is resident.
    pub fn contains_resident(&self, key: u64) -> bool {
        self.find(key).is_some_and(|(_, place)| place.resident())
    }

    /// Residents' count and bytes against `capacity`.
    pub fn occupancy(&self, capacity: u64) -> Occupancy {
        Occupancy::of_lists(capacity, [&self.t1, &self.t2])
    }

    /// Panics unless every node is in exactly the list its metadata names,
    /// residents fit in `capacity` and, with `bounded`, both directory
    /// bounds hold.
    pub fn check(&self, capacity: u64, bounded: bool) {
        self.entries.check();
        let slab = self.entries.slab();
        for (list, place, name) in [
            (&self.t1, Where::T1, "T1"),
            (&self.t2, Where::T2, "T2"),
            (&self.b1, Where::B1, "B1"),
            (&self.b2, Where::B2, "B2"),
        ] {
            list.check_tagged(slab, name, place, Placed::place);
        }
        let linked = self.t1.len() + self.t2.len() + self.b1.len() + self.b2.len();
        assert_eq!(
            linked,
            self.entries.len(),
            "every entry is in exactly one list"
        );
        assert!(
            self.t1.bytes() + self.t2.bytes() <= capacity,
            "T1 + T2 over capacity"
        );
        if bounded {
            assert!(
                self.t1.bytes() + self.b1.bytes() <= capacity,
                "T1 + B1 = {} over capacity {capacity}",
                self.t1.bytes() + self.b1.bytes()
            );
            assert!(
                self.directory_bytes() <= 2 * capacity,
                "directory over twice the capacity"
            );
        }
    }
}
