//! Each object at the position of its latest request, with sums over
//! positions of bytes and of objects: what reuse distances (distinct
//! objects since the last request for the same key) and LRU stack
//! distances (their bytes) need, exactly, in O(log n) per request.
//!
//! As in [`crate::mrc`], positions hold sizes in blocks of 32, with a
//! Fenwick tree over block totals; here a block total holds bytes and
//! objects. The owner renumbers positions when the array fills
//! ([`Stack::compact`]), so it stays at about three positions per object.

/// Positions per block.
const BLOCK: usize = 32;

/// Sizes by position (0: empty) and Fenwick sums of (bytes, objects) by block.
pub struct Stack {
    size_at: Vec<u32>,
    /// Fenwick tree (1-based) of block totals: (bytes, objects).
    blocks: Vec<(u64, u64)>,
    next: usize,
    bytes: u64,
    objects: u64,
}

impl Stack {
    /// An empty stack with room for `capacity` positions.
    pub fn new(capacity: usize) -> Self {
        Stack::with_sizes(capacity.max(BLOCK), &[])
    }

    /// A stack holding `sizes` (each above 0) at positions 0.. and room for
    /// `capacity` positions in all.
    fn with_sizes(capacity: usize, sizes: &[u32]) -> Self {
        let mut size_at = vec![0u32; capacity];
        size_at[..sizes.len()].copy_from_slice(sizes);
        let count = capacity.div_ceil(BLOCK);
        let mut blocks = vec![(0u64, 0u64); count + 1];
        for (b, chunk) in size_at.chunks(BLOCK).enumerate() {
            blocks[b + 1] = chunk
                .iter()
                .filter(|&&s| s > 0)
                .fold((0, 0), |(by, ob), &s| (by + u64::from(s), ob + 1));
        }
        for i in 1..=count {
            let parent = i + (i & i.wrapping_neg());
            if parent <= count {
                blocks[parent].0 += blocks[i].0;
                blocks[parent].1 += blocks[i].1;
            }
        }
        Stack {
            size_at,
            blocks,
            next: sizes.len(),
            bytes: sizes.iter().map(|&s| u64::from(s)).sum(),
            objects: sizes.len() as u64,
        }
    }

    /// Asks the CPU to start loading what [`Stack::take`] of `position` reads first.
    #[inline]
    pub fn prefetch(&self, position: u32) {
        if let Some(size) = self.size_at.get(position as usize) {
            crate::mrc::prefetch(size);
        }
    }

    /// Whether every position is used (the owner must compact first).
    pub fn is_full(&self) -> bool {
        self.next == self.size_at.len()
    }

    fn update(&mut self, position: usize, bytes: i64, objects: i64) {
        let mut i = position / BLOCK + 1;
        while i < self.blocks.len() {
            let block = &mut self.blocks[i];
            block.0 = block.0.wrapping_add_signed(bytes);
            block.1 = block.1.wrapping_add_signed(objects);
            i += i & i.wrapping_neg();
        }
    }

    /// Puts an object of `size` (above 0) at the next position and
    /// returns it. The stack must not be full.
    #[inline]
    pub fn push(&mut self, size: u32) -> u32 {
        assert!(size > 0 && !self.is_full(), "push into a full stack");
        let position = self.next;
        self.size_at[position] = size;
        self.update(position, i64::from(size), 1);
        self.next += 1;
        self.bytes += u64::from(size);
        self.objects += 1;
        position as u32
    }

    /// Empties `position` and returns what lies after it: (bytes, objects)
    /// of the objects requested since.
    #[inline]
    pub fn take(&mut self, position: u32) -> (u64, u64) {
        let position = position as usize;
        let block = position / BLOCK;
        let (mut bytes, mut objects) = self.size_at[block * BLOCK..=position]
            .iter()
            .filter(|&&s| s > 0)
            .fold((0u64, 0u64), |(b, o), &s| (b + u64::from(s), o + 1));
        let mut i = block;
        while i > 0 {
            bytes += self.blocks[i].0;
            objects += self.blocks[i].1;
            i &= i - 1;
        }
        let size = self.size_at[position];
        self.size_at[position] = 0;
        self.update(position, -i64::from(size), -1);
        let after = (self.bytes - bytes, self.objects - objects);
        self.bytes -= u64::from(size);
        self.objects -= 1;
        after
    }

    /// Moves the live positions to 0.. in order, with room for three times
    /// as many; returns the new position of each old one (unused for
    /// empty positions), which the owner applies to what it keeps.
    pub fn compact(&mut self) -> Vec<u32> {
        let mut renumber = vec![u32::MAX; self.next];
        let mut sizes = Vec::with_capacity(self.objects as usize);
        for (old, slot) in renumber.iter_mut().enumerate() {
            let size = self.size_at[old];
            if size > 0 {
                *slot = sizes.len() as u32;
                sizes.push(size);
            }
        }
        *self = Stack::with_sizes((3 * sizes.len()).max(1024), &sizes);
        renumber
    }

    /// Positions held (used or not).
    pub fn positions(&self) -> usize {
        self.size_at.len()
    }

    /// Heap bytes per position: its size, and its share of a block total.
    pub fn bytes_per_position() -> f64 {
        4.0 + 16.0 / BLOCK as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_traced_distances() {
        // a(10) b(20) c(30), then a: b and c came since (50 bytes, 2 objects).
        let mut s = Stack::new(64);
        let a = s.push(10);
        s.push(20);
        s.push(30);
        assert_eq!(s.take(a), (50, 2));
        let a = s.push(10);
        assert_eq!(s.take(a), (0, 0));
    }

    #[test]
    fn compaction_keeps_order_and_sums() {
        let mut s = Stack::new(32);
        let mut positions: Vec<u32> = (1..=32).map(|i| s.push(i)).collect();
        for &p in positions.iter().step_by(2) {
            s.take(p);
        }
        assert!(s.is_full());
        let renumber = s.compact();
        positions = positions
            .iter()
            .skip(1)
            .step_by(2)
            .map(|&p| renumber[p as usize])
            .collect();
        assert_eq!(positions, (0..16).collect::<Vec<_>>());
        // Even sizes 2, 4, ..., 32 remain; after the first (2): 4+..+32.
        assert_eq!(s.take(positions[0]), ((2..=16).map(|i| 2 * i).sum(), 15));
    }
}
