//! A ghost FIFO: recently evicted keys, without the objects.
//!
//! Policies that learn from their own evictions (S3-FIFO's ghost queue, and
//! the like) remember evicted keys in FIFO order, bounded by the sum of the
//! sizes of the objects the keys stood for, the way libCacheSim bounds its
//! ghost FIFOs. The key and the size are kept, packed in 12 bytes, in a
//! ring, with an index of ring positions (compared through the ring's
//! keys): about 18 bytes per ghost instead of a full list node and
//! key-index entry, which matters because a ghost often remembers nearly as
//! many keys as the cache holds. Whole keys, as libCacheSim's ghosts keep
//! them: a 32-bit fingerprint saves 4 bytes a ghost but confuses keys that
//! share one, and on the cloudPhysicsIO trace two keys do, which cost
//! S3-FIFO one miss against libCacheSim's table.
//!
//! A ghost removed from the middle (a ghost hit) leaves a tombstone of size 0
//! in the ring, which is dropped when it reaches the oldest end.

use std::collections::VecDeque;

use hashbrown::HashTable;

use super::hash_key;

/// One remembered key and its object's size (0 once removed), packed in 12
/// bytes (fields are read by value: a packed field has no reference).
#[derive(Clone, Copy, Debug)]
#[repr(C, packed(4))]
struct Ghost {
    key: u64,
    size: u32,
}

/// Evicted keys in FIFO order, bounded in bytes.
#[derive(Clone, Debug)]
pub struct GhostFifo {
    capacity: u64,
    bytes: u64,
    /// Oldest at the front.
    ring: VecDeque<Ghost>,
    /// Sequence number of `ring[0]` (wrapping).
    first_seq: u32,
    /// Sequence numbers of the live ghosts, hashed by key.
    index: HashTable<u32>,
}

impl GhostFifo {
    /// An empty ghost FIFO remembering at most `capacity` units of objects.
    pub fn new(capacity: u64) -> Self {
        GhostFifo {
            capacity,
            bytes: 0,
            ring: VecDeque::new(),
            first_seq: 0,
            index: HashTable::new(),
        }
    }

    /// The ring entry of sequence number `seq`.
    #[inline]
    fn at(&self, seq: u32) -> &Ghost {
        &self.ring[seq.wrapping_sub(self.first_seq) as usize]
    }

    /// The sequence number of the live ghost of `key`.
    #[inline]
    fn find(&self, key: u64) -> Option<u32> {
        self.index
            .find(hash_key(key), |&seq| {
                let ghost = *self.at(seq);
                ghost.key == key
            })
            .copied()
    }

    /// True when `key` is remembered.
    #[inline]
    pub fn contains(&self, key: u64) -> bool {
        self.find(key).is_some()
    }

    /// Remembers `key` (an object of `size` units) as the newest ghost,
    /// forgetting the oldest ghosts until it fits. A key already remembered
    /// keeps its place (a FIFO hit); a key larger than the whole ghost is
    /// not remembered.
    pub fn insert(&mut self, key: u64, size: u32) {
        if u64::from(size) > self.capacity || self.find(key).is_some() {
            return;
        }
        while self.bytes + u64::from(size) > self.capacity {
            self.pop_oldest();
        }
        let seq = self.first_seq.wrapping_add(self.ring.len() as u32);
        if self.ring.len() == self.ring.capacity() {
            // Grow by half rather than double: memory per ghost matters.
            self.ring.reserve_exact((self.ring.len() / 2).max(16));
        }
        self.ring.push_back(Ghost { key, size });
        let (ring, first_seq) = (&self.ring, self.first_seq);
        self.index.insert_unique(hash_key(key), seq, |&s| {
            let ghost = ring[s.wrapping_sub(first_seq) as usize];
            hash_key(ghost.key)
        });
        self.bytes += u64::from(size);
    }

    /// Drops the oldest ghost or tombstone.
    fn pop_oldest(&mut self) {
        let oldest = *self.ring.front().expect("ghost bytes without ghosts");
        let first_seq = self.first_seq;
        if let Ok(entry) = self
            .index
            .find_entry(hash_key(oldest.key), |&seq| seq == first_seq)
        {
            entry.remove();
        }
        self.ring.pop_front();
        self.bytes -= u64::from(oldest.size);
        self.first_seq = self.first_seq.wrapping_add(1);
    }

    /// Forgets `key`; returns whether it was remembered.
    #[inline]
    pub fn remove(&mut self, key: u64) -> bool {
        let Some(seq) = self.find(key) else {
            return false;
        };
        self.index
            .find_entry(hash_key(key), |&s| s == seq)
            .expect("found above")
            .remove();
        let ghost = &mut self.ring[seq.wrapping_sub(self.first_seq) as usize];
        let size = ghost.size;
        self.bytes -= u64::from(size);
        ghost.size = 0;
        true
    }

    /// Number of keys remembered.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Sum of the sizes of the objects the remembered keys stood for.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Panics unless the ring, the index and the byte count agree.
    pub fn check(&self) {
        assert!(self.bytes <= self.capacity, "ghost over capacity");
        let mut bytes = 0u64;
        for (i, &ghost) in self.ring.iter().enumerate() {
            let seq = self.first_seq.wrapping_add(i as u32);
            let (key, size) = (ghost.key, ghost.size);
            let indexed = self.find(key) == Some(seq);
            assert!(
                indexed || size == 0,
                "ghost at {seq} is live but not indexed"
            );
            if indexed {
                bytes += u64::from(size);
            }
        }
        assert_eq!(bytes, self.bytes, "ghost bytes");
        for &seq in &self.index {
            let at = seq.wrapping_sub(self.first_seq) as usize;
            let ghost = *self
                .ring
                .get(at)
                .unwrap_or_else(|| panic!("index points past the ring"));
            let key = ghost.key;
            assert_eq!(
                self.find(key),
                Some(seq),
                "index entry not found by its key"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ghost_is_twelve_bytes_and_keys_are_never_confused() {
        assert_eq!(std::mem::size_of::<Ghost>(), 12);
        // Two keys with the same high half of their hash (the 32-bit
        // fingerprint ghosts used to keep), found by the birthday bound.
        let mut seen = std::collections::HashMap::new();
        let (first, twin) = (0u64..1 << 20)
            .find_map(|k| seen.insert(hash_key(k) >> 32, k).map(|other| (other, k)))
            .unwrap();
        let mut ghost = GhostFifo::new(1 << 20);
        ghost.insert(first, 1);
        assert!(ghost.contains(first) && !ghost.contains(twin));
        ghost.insert(twin, 1);
        assert!(ghost.remove(first) && ghost.contains(twin));
        ghost.check();
    }

    #[test]
    fn oldest_ghosts_are_forgotten_first_by_size() {
        let mut ghost = GhostFifo::new(10);
        ghost.insert(1, 4);
        ghost.insert(2, 4);
        // 1 is remembered again: a FIFO hit, it stays the oldest.
        ghost.insert(1, 4);
        assert_eq!(ghost.len(), 2);
        // 3 needs 5 units with 8 used: the oldest, 1, is forgotten.
        ghost.insert(3, 5);
        assert!(!ghost.contains(1) && ghost.contains(2) && ghost.contains(3));
        assert_eq!(ghost.bytes(), 9);
        // Too large to remember at all.
        ghost.insert(4, 11);
        assert!(!ghost.contains(4));
        ghost.check();
    }

    #[test]
    fn a_removed_ghost_frees_its_bytes_and_leaves_a_tombstone() {
        let mut ghost = GhostFifo::new(10);
        for key in [1, 2, 3] {
            ghost.insert(key, 3);
        }
        // 2 is hit and removed from the middle: 6 bytes remain, 3 slots.
        assert!(ghost.remove(2));
        assert!(!ghost.remove(2));
        assert_eq!((ghost.len(), ghost.bytes(), ghost.ring.len()), (2, 6, 3));
        ghost.check();
        // 4 fits in the freed space; 5 then needs room: 1 goes, and 2's
        // tombstone is dropped on the way to 3.
        ghost.insert(4, 3);
        ghost.insert(5, 3);
        assert!(!ghost.contains(1) && ghost.contains(3));
        ghost.insert(6, 3);
        assert!(!ghost.contains(3));
        assert_eq!((ghost.len(), ghost.bytes()), (3, 9));
        ghost.check();
    }
}
