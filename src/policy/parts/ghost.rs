//! A ghost FIFO: fingerprints of recently evicted keys, without the objects.
//!
//! Policies that learn from their own evictions (S3-FIFO's ghost queue, and
//! the like) remember evicted keys in FIFO order, bounded by the sum of the
//! sizes of the objects the keys stood for, the way libCacheSim bounds its
//! ghost FIFOs. Only a 32-bit fingerprint and the size are kept, in a ring,
//! with an index of ring positions (compared through the ring's
//! fingerprints): about 14 bytes per ghost instead of a full list node and
//! key-index entry, which matters because a ghost often remembers nearly as
//! many keys as the cache holds. Two keys with the same
//! fingerprint are confused: with `n` ghosts, a key never seen passes for a
//! ghost with probability about n / 2^32 (2 × 10^-5 for 10^5 ghosts).
//!
//! A ghost removed from the middle (a ghost hit) leaves a tombstone of size 0
//! in the ring, which is dropped when it reaches the oldest end.

use std::collections::VecDeque;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::hash_key;

/// One remembered key: its fingerprint and its object's size (0 once removed).
#[derive(Clone, Copy, Debug)]
struct Ghost {
    fingerprint: u32,
    size: u32,
}

/// Fingerprints of evicted keys in FIFO order, bounded in bytes.
#[derive(Clone, Debug)]
pub struct GhostFifo {
    capacity: u64,
    bytes: u64,
    /// Oldest at the front.
    ring: VecDeque<Ghost>,
    /// Sequence number of `ring[0]` (wrapping).
    first_seq: u32,
    /// Sequence numbers of the live ghosts, hashed by fingerprint.
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

    #[inline]
    fn fingerprint(key: u64) -> u32 {
        (hash_key(key) >> 32) as u32
    }

    #[inline]
    fn hash(fingerprint: u32) -> u64 {
        FxBuildHasher.hash_one(fingerprint)
    }

    /// The ring entry of sequence number `seq`.
    #[inline]
    fn at(&self, seq: u32) -> &Ghost {
        &self.ring[seq.wrapping_sub(self.first_seq) as usize]
    }

    /// The sequence number of the live ghost with this fingerprint.
    #[inline]
    fn find(&self, fingerprint: u32) -> Option<u32> {
        self.index
            .find(Self::hash(fingerprint), |&seq| {
                self.at(seq).fingerprint == fingerprint
            })
            .copied()
    }

    /// True when `key` (or a key with its fingerprint) is remembered.
    #[inline]
    pub fn contains(&self, key: u64) -> bool {
        self.find(Self::fingerprint(key)).is_some()
    }

    /// Remembers `key` (an object of `size` units) as the newest ghost,
    /// forgetting the oldest ghosts until it fits. A key already remembered
    /// keeps its place (a FIFO hit); a key larger than the whole ghost is
    /// not remembered.
    pub fn insert(&mut self, key: u64, size: u32) {
        let fingerprint = Self::fingerprint(key);
        if u64::from(size) > self.capacity || self.find(fingerprint).is_some() {
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
        self.ring.push_back(Ghost { fingerprint, size });
        let (ring, first_seq) = (&self.ring, self.first_seq);
        self.index
            .insert_unique(Self::hash(fingerprint), seq, |&s| {
                Self::hash(ring[s.wrapping_sub(first_seq) as usize].fingerprint)
            });
        self.bytes += u64::from(size);
    }

    /// Drops the oldest ghost or tombstone.
    fn pop_oldest(&mut self) {
        let oldest = *self.ring.front().expect("ghost bytes without ghosts");
        let first_seq = self.first_seq;
        if let Ok(entry) = self
            .index
            .find_entry(Self::hash(oldest.fingerprint), |&seq| seq == first_seq)
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
        let fingerprint = Self::fingerprint(key);
        let Some(seq) = self.find(fingerprint) else {
            return false;
        };
        self.index
            .find_entry(Self::hash(fingerprint), |&s| s == seq)
            .expect("found above")
            .remove();
        let ghost = &mut self.ring[seq.wrapping_sub(self.first_seq) as usize];
        self.bytes -= u64::from(ghost.size);
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
        for (i, ghost) in self.ring.iter().enumerate() {
            let seq = self.first_seq.wrapping_add(i as u32);
            let indexed = self.find(ghost.fingerprint) == Some(seq);
            assert!(
                indexed || ghost.size == 0,
                "ghost at {seq} is live but not indexed"
            );
            if indexed {
                bytes += u64::from(ghost.size);
            }
        }
        assert_eq!(bytes, self.bytes, "ghost bytes");
        for &seq in &self.index {
            let at = seq.wrapping_sub(self.first_seq) as usize;
            let ghost = self
                .ring
                .get(at)
                .unwrap_or_else(|| panic!("index points past the ring"));
            assert_eq!(
                self.find(ghost.fingerprint),
                Some(seq),
                "index entry not found by its fingerprint"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
