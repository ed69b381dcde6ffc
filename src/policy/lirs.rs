//! LIRS: keep the blocks with a low inter-reference recency (IRR).
//!
//! Follows Jiang & Zhang, "LIRS: An Efficient Low Inter-reference Recency Set
//! Replacement Policy to Improve Buffer Cache Performance", SIGMETRICS 2002
//! (section 3.3). Resident blocks are LIR (low IRR, most of the cache) or HIR
//! (high IRR, a small share `hir` of it). The LIRS stack S holds the LIR
//! blocks and the HIR blocks, resident or not, more recent than the oldest LIR
//! block; the queue Q holds the resident HIR blocks, and a miss evicts the
//! front of Q. An HIR block referenced again while still in S has a smaller
//! IRR than the oldest LIR block: it becomes LIR and the LIR block at the
//! bottom of S becomes HIR. Stack pruning removes HIR blocks from the bottom
//! of S so that its bottom is always LIR. Until the LIR set is full, missed
//! blocks become LIR. Parameters: `hir` = 0.01 of the capacity (the paper's
//! 1%), and `nonresident` = 2.0.
//!
//! The paper leaves the number of non-resident HIR blocks kept in S
//! unbounded. Like Caffeine's simulator (`LirsPolicy`, `non-resident-multiplier
//! = 2.0`), we bound them to `nonresident` times the capacity and, beyond
//! that, forget the one evicted longest ago (it leaves S too).
//!
//! Sizes are generalised to bytes as libCacheSim's `LIRS.c` does: the HIR
//! share is `max(1, hir × capacity)` units, rounded down, the LIR set may hold
//! the rest, and a promotion to LIR demotes bottom LIR blocks until the LIR
//! set fits again; the non-resident bound counts the sizes of the forgotten
//! objects. libCacheSim refuses objects larger than the HIR share; here the
//! share is what the LIR set leaves, so Q holds whatever does not fit in
//! the LIR set (at least the block just inserted) and every object up to the
//! capacity is admitted. Corner cases: a block larger than the LIR share stays
//! HIR for ever; when the cache must make room and Q is empty, the bottom LIR
//! block is demoted and evicted; with capacity 1 and unit sizes every block is
//! HIR and LIRS degenerates to FIFO. Residents are evicted only while the new
//! object does not fit. An invalidation forgets a resident block entirely
//! (pruning S if it was the bottom LIR block) and leaves non-resident blocks
//! alone.

use super::parts::list::{Entries, List, NIL, Slab};
use super::parts::room::make_room;
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "lirs",
    about: "low inter-reference recency set: LIR blocks stay, a small HIR queue takes misses",
    source: "Jiang & Zhang, SIGMETRICS 2002",
    params: &[
        ParamSpec {
            name: "hir",
            kind: ParamKind::Real { min: 0.0, max: 1.0 },
            default: 0.01,
            about: "share of the capacity for resident HIR blocks",
        },
        ParamSpec {
            name: "nonresident",
            kind: ParamKind::Real {
                min: 0.0,
                max: 100.0,
            },
            default: 2.0,
            about: "bytes of non-resident HIR blocks kept in S, as a multiple of the capacity",
        },
    ],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Lirs::new(
        args.capacity,
        args.params.real("hir"),
        args.params.real("nonresident"),
    ))
}

/// A block's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Resident, low IRR; always in S.
    Lir,
    /// Resident, high IRR; in Q, and in S if recent enough.
    Hir,
    /// Evicted HIR block still in S; in the non-resident queue.
    Ghost,
}

/// Per-block metadata of a node in `blocks`.
#[derive(Clone, Copy, Debug)]
struct Meta {
    status: Status,
    /// Whether the node is linked in S.
    in_s: bool,
    /// The block's node in `side` (in Q when HIR, in the non-resident queue
    /// when a ghost), or NIL for LIR blocks.
    side: u32,
}

/// Low Inter-reference Recency Set.
pub struct Lirs {
    capacity: u64,
    /// The most bytes the LIR set may hold.
    lir_limit: u64,
    /// The most bytes of non-resident blocks remembered.
    ghost_limit: u64,
    /// Bytes of LIR blocks.
    lir_bytes: u64,
    /// Every block known: resident, or non-resident in S; links form S.
    blocks: Entries<Meta>,
    /// The LIRS stack: head is the top (most recent).
    s: List,
    /// Second links for HIR blocks; each node's meta is its slot in `blocks`.
    side: Slab<u32>,
    /// Resident HIR blocks: head is the end (newest), tail the front.
    q: List,
    /// Non-resident HIR blocks in S, most recently evicted at the head.
    ghosts: List,
}

impl Lirs {
    /// An empty LIRS cache of `capacity` units with an HIR share of `hir`
    /// and non-resident blocks bounded to `nonresident` times the capacity.
    pub fn new(capacity: u64, hir: f64, nonresident: f64) -> Self {
        let hir_limit = ((capacity as f64 * hir) as u64).max(1);
        Lirs {
            capacity,
            lir_limit: capacity.saturating_sub(hir_limit),
            ghost_limit: (capacity as f64 * nonresident) as u64,
            lir_bytes: 0,
            blocks: Entries::default(),
            s: List::default(),
            side: Slab::default(),
            q: List::default(),
            ghosts: List::default(),
        }
    }

    fn size_of(&self, slot: u32) -> u64 {
        u64::from(self.blocks.node(slot).size)
    }

    /// Links `slot` at the top of S, moving it there if already in S.
    fn lift_to_top_of_s(&mut self, slot: u32) {
        let slab = self.blocks.slab_mut();
        if slab.get(slot).meta.in_s {
            self.s.move_to_head(slab, slot);
        } else {
            self.s.push_head(slab, slot);
            slab.get_mut(slot).meta.in_s = true;
        }
    }

    /// Gives the block in `slot`, which has no side node, one at the end of Q
    /// (`to_q`) or at the head of the non-resident queue.
    fn link_side(&mut self, slot: u32, to_q: bool) {
        let node = self.blocks.node(slot);
        let aux = self.side.alloc(node.key, node.size, slot);
        if to_q {
            self.q.push_head(&mut self.side, aux);
        } else {
            self.ghosts.push_head(&mut self.side, aux);
        }
        self.blocks.node_mut(slot).meta.side = aux;
    }

    /// Unlinks and frees the side node of the block in `slot`.
    fn unlink_side(&mut self, slot: u32) {
        let meta = &mut self.blocks.node_mut(slot).meta;
        let (aux, status) = (meta.side, meta.status);
        meta.side = NIL;
        if status == Status::Hir {
            self.q.unlink(&mut self.side, aux);
        } else {
            self.ghosts.unlink(&mut self.side, aux);
        }
        self.side.free(aux);
    }

    /// Stack pruning: removes HIR blocks from the bottom of S until an LIR
    /// block is there; non-resident blocks leaving S are forgotten.
    fn prune(&mut self) {
        while let Some(bottom) = self.s.tail() {
            let meta = self.blocks.node(bottom).meta;
            if meta.status == Status::Lir {
                break;
            }
            self.s.unlink(self.blocks.slab_mut(), bottom);
            self.blocks.node_mut(bottom).meta.in_s = false;
            if meta.status == Status::Ghost {
                self.unlink_side(bottom);
                self.blocks.remove(bottom);
            }
        }
    }

    /// Makes the block in `slot` (linked at the top of S, with no side
    /// node) LIR, then demotes bottom LIR blocks to Q until the LIR set fits.
    fn make_lir(&mut self, slot: u32) {
        self.blocks.node_mut(slot).meta.status = Status::Lir;
        self.lir_bytes += self.size_of(slot);
        while self.lir_bytes > self.lir_limit {
            self.demote_bottom_lir();
        }
    }

    /// Moves the LIR block at the bottom of S to the end of Q as HIR, then
    /// prunes S.
    fn demote_bottom_lir(&mut self) {
        let bottom = self
            .s
            .pop_tail(self.blocks.slab_mut())
            .expect("S holds the LIR set");
        let meta = &mut self.blocks.node_mut(bottom).meta;
        debug_assert_eq!(meta.status, Status::Lir, "S bottom is LIR");
        meta.status = Status::Hir;
        meta.in_s = false;
        self.lir_bytes -= self.size_of(bottom);
        self.link_side(bottom, true);
        self.prune();
    }

    /// Evicts the resident HIR block at the front of Q; it stays in S as a
    /// non-resident block if it is there.
    fn evict_front_of_q(&mut self, evicted: &mut Vec<u64>) {
        let aux = self.q.tail().expect("Q is not empty");
        let slot = self.side.get(aux).meta;
        self.unlink_side(slot);
        evicted.push(self.blocks.node(slot).key);
        if self.blocks.node(slot).meta.in_s {
            self.blocks.node_mut(slot).meta.status = Status::Ghost;
            self.link_side(slot, false);
        } else {
            self.blocks.remove(slot);
        }
    }

    /// Forgets the non-resident blocks evicted longest ago while they hold
    /// more than the bound.
    fn trim_ghosts(&mut self) {
        while self.ghosts.bytes() > self.ghost_limit {
            let aux = self.ghosts.tail().expect("ghosts over the bound");
            let slot = self.side.get(aux).meta;
            self.unlink_side(slot);
            self.s.unlink(self.blocks.slab_mut(), slot);
            self.blocks.remove(slot);
        }
    }
}

impl Policy for Lirs {
    fn get(&mut self, req: &Request) -> bool {
        let Some(slot) = self.blocks.find(req.key) else {
            return false;
        };
        let meta = self.blocks.node(slot).meta;
        match meta.status {
            Status::Lir => {
                let was_bottom = self.s.tail() == Some(slot);
                self.s.move_to_head(self.blocks.slab_mut(), slot);
                if was_bottom {
                    self.prune();
                }
            }
            Status::Hir if meta.in_s && self.size_of(slot) <= self.lir_limit => {
                // Its IRR is below the recency of the bottom LIR block.
                self.unlink_side(slot);
                self.s.move_to_head(self.blocks.slab_mut(), slot);
                self.make_lir(slot);
            }
            Status::Hir => {
                self.lift_to_top_of_s(slot);
                self.q.move_to_head(&mut self.side, meta.side);
                self.prune();
            }
            Status::Ghost => return false,
        }
        true
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let size = u64::from(req.size);
        let fits = make_room(self, req.size, evicted, |lirs, evicted| {
            if lirs.q.is_empty() {
                lirs.demote_bottom_lir();
            }
            lirs.evict_front_of_q(evicted);
        });
        if !fits {
            return false;
        }
        // Looked up after the evictions, which may have pruned it from S.
        let (slot, was_in_s) = match self.blocks.find(req.key) {
            Some(slot) => {
                let status = self.blocks.node(slot).meta.status;
                assert_eq!(status, Status::Ghost, "insert of resident key {}", req.key);
                self.unlink_side(slot);
                // Relinked, so that S's byte count follows a changed size.
                self.s.unlink(self.blocks.slab_mut(), slot);
                self.blocks.node_mut(slot).size = req.size;
                self.s.push_head(self.blocks.slab_mut(), slot);
                self.blocks.node_mut(slot).meta.status = Status::Hir;
                (slot, true)
            }
            None => {
                let meta = Meta {
                    status: Status::Hir,
                    in_s: false,
                    side: NIL,
                };
                let slot = self.blocks.add(req.key, req.size, meta);
                self.lift_to_top_of_s(slot);
                (slot, false)
            }
        };
        // A block still in S has a smaller IRR than the bottom LIR block; any
        // block becomes LIR while the LIR set has room for it.
        if self.lir_bytes + size <= self.lir_limit || (was_in_s && size <= self.lir_limit) {
            self.make_lir(slot);
        } else {
            self.link_side(slot, true);
        }
        self.prune();
        self.trim_ghosts();
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.blocks.find(key) else {
            return false;
        };
        let meta = self.blocks.node(slot).meta;
        match meta.status {
            Status::Ghost => return false,
            Status::Lir => {
                self.lir_bytes -= self.size_of(slot);
                self.s.unlink(self.blocks.slab_mut(), slot);
            }
            Status::Hir => {
                self.unlink_side(slot);
                if meta.in_s {
                    self.s.unlink(self.blocks.slab_mut(), slot);
                }
            }
        }
        self.blocks.remove(slot);
        self.prune();
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.blocks
            .find(key)
            .is_some_and(|slot| self.blocks.node(slot).meta.status != Status::Ghost)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.blocks.len() - self.ghosts.len(),
            used: self.lir_bytes + self.q.bytes(),
            capacity: self.capacity,
        }
    }

    fn check_invariants(&self) {
        self.blocks.check();
        let slab = self.blocks.slab();
        self.s.check(slab);
        self.q.check(&self.side);
        self.ghosts.check(&self.side);
        assert_eq!(
            self.side.live(),
            self.q.len() + self.ghosts.len(),
            "side nodes outside Q and ghosts"
        );
        let (mut lir_len, mut lir_bytes, mut hir_in_s, mut ghosts_in_s) = (0, 0, 0, 0);
        for slot in self.s.iter(slab) {
            let meta = slab.get(slot).meta;
            assert!(
                meta.in_s,
                "block {} in S is not flagged in S",
                slab.get(slot).key
            );
            match meta.status {
                Status::Lir => {
                    lir_len += 1;
                    lir_bytes += u64::from(slab.get(slot).size);
                    assert_eq!(meta.side, NIL, "LIR block with a side node");
                }
                Status::Hir => hir_in_s += 1,
                Status::Ghost => ghosts_in_s += 1,
            }
        }
        if let Some(bottom) = self.s.tail() {
            assert_eq!(
                slab.get(bottom).meta.status,
                Status::Lir,
                "bottom of S is not LIR"
            );
        }
        assert_eq!(lir_bytes, self.lir_bytes, "LIR byte count");
        assert!(self.lir_bytes <= self.lir_limit, "LIR set over its limit");
        for (list, status, name) in [
            (&self.q, Status::Hir, "Q"),
            (&self.ghosts, Status::Ghost, "ghosts"),
        ] {
            let mut flagged_in_s = 0;
            for aux in list.iter(&self.side) {
                let slot = self.side.get(aux).meta;
                let node = slab.get(slot);
                assert_eq!(
                    node.meta.status, status,
                    "block {} in {name} has the wrong status",
                    node.key
                );
                assert_eq!(
                    node.meta.side, aux,
                    "block {} in {name} points at another side node",
                    node.key
                );
                assert_eq!(
                    (node.key, node.size),
                    (self.side.get(aux).key, self.side.get(aux).size),
                    "side node of {name} disagrees with its block"
                );
                flagged_in_s += usize::from(node.meta.in_s);
            }
            let expected = if status == Status::Hir {
                hir_in_s
            } else {
                ghosts_in_s
            };
            assert_eq!(
                flagged_in_s, expected,
                "{name} blocks flagged in S but not linked there"
            );
        }
        assert_eq!(
            ghosts_in_s,
            self.ghosts.len(),
            "a non-resident block is not in S"
        );
        assert_eq!(
            lir_len + self.q.len() + self.ghosts.len(),
            self.blocks.len(),
            "blocks outside S, Q and ghosts"
        );
        assert!(self.used() <= self.capacity, "over capacity");
        assert!(
            self.ghosts.bytes() <= self.ghost_limit,
            "non-resident blocks over their bound"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::lru::Lru;
    use crate::policy::parts::testing::{hit_ratio, unit_stream};

    /// S from top to bottom, each key tagged L (LIR), H (resident HIR) or N
    /// (non-resident HIR).
    fn stack(lirs: &Lirs) -> Vec<(u64, char)> {
        let slab = lirs.blocks.slab();
        let tag = |status| match status {
            Status::Lir => 'L',
            Status::Hir => 'H',
            Status::Ghost => 'N',
        };
        lirs.s
            .iter(slab)
            .map(|s| (slab.get(s).key, tag(slab.get(s).meta.status)))
            .collect()
    }

    /// Q from end (newest) to front, or the non-resident queue.
    fn side_keys(lirs: &Lirs, list: &List) -> Vec<u64> {
        list.iter(&lirs.side)
            .map(|aux| lirs.side.get(aux).key)
            .collect()
    }

    fn access(lirs: &mut Lirs, key: u64, size: u32, evicted: &mut Vec<u64>) -> bool {
        let req = Request::get(key, size);
        let hit = lirs.get(&req);
        if !hit {
            lirs.insert(&req, evicted);
        }
        lirs.check_invariants();
        hit
    }

    /// Capacity 3: the HIR share is 1 block, the LIR set 2. After 1, 2, 3, 4:
    /// S = [4H, 3N, 2L, 1L], Q = [4].
    fn three_blocks(evicted: &mut Vec<u64>) -> Lirs {
        let mut lirs = Lirs::new(3, 0.01, 2.0);
        for key in 1..=4 {
            access(&mut lirs, key, 1, evicted);
        }
        // 1 and 2 filled the LIR set; 3 was HIR and was evicted for 4, but
        // stays in S as non-resident.
        assert_eq!(*evicted, [3]);
        assert_eq!(stack(&lirs), [(4, 'H'), (3, 'N'), (2, 'L'), (1, 'L')]);
        assert_eq!(side_keys(&lirs, &lirs.q), [4]);
        lirs
    }

    #[test]
    fn resident_hir_reused_in_s_becomes_lir_and_bottom_lir_is_demoted() {
        let mut evicted = Vec::new();
        let mut lirs = three_blocks(&mut evicted);
        // 4 is reused while in S: its IRR (0) is below 1's recency, so 4
        // becomes LIR and 1, the bottom LIR block, becomes resident HIR.
        assert!(access(&mut lirs, 4, 1, &mut evicted));
        assert_eq!(stack(&lirs), [(4, 'L'), (3, 'N'), (2, 'L')]);
        assert_eq!(side_keys(&lirs, &lirs.q), [1]);
        // 3 comes back while non-resident in S: a miss that evicts 1 (the
        // front of Q, not in S, so forgotten), then 3 becomes LIR and 2 is
        // demoted; pruning leaves LIR 4 at the bottom.
        assert!(!access(&mut lirs, 3, 1, &mut evicted));
        assert_eq!(evicted, [3, 1]);
        assert_eq!(stack(&lirs), [(3, 'L'), (4, 'L')]);
        assert_eq!(side_keys(&lirs, &lirs.q), [2]);
        assert!(lirs.ghosts.is_empty());
    }

    #[test]
    fn hit_on_bottom_lir_prunes_the_stack() {
        let mut evicted = Vec::new();
        let mut lirs = three_blocks(&mut evicted);
        assert!(access(&mut lirs, 4, 1, &mut evicted));
        // S = [4L, 3N, 2L]. 2 is hit at the bottom and moves to the top; 3
        // is now at the bottom, an HIR block, so pruning forgets it.
        assert!(access(&mut lirs, 2, 1, &mut evicted));
        assert_eq!(stack(&lirs), [(2, 'L'), (4, 'L')]);
        // 3 is therefore new: it only gets HIR status and goes to Q.
        assert!(!access(&mut lirs, 3, 1, &mut evicted));
        assert_eq!(stack(&lirs), [(3, 'H'), (2, 'L'), (4, 'L')]);
        assert_eq!(side_keys(&lirs, &lirs.q), [3]);
    }

    #[test]
    fn scan_does_not_flush_the_lir_set() {
        let mut lirs = Lirs::new(100, 0.01, 2.0);
        let mut lru = Lru::new(100);
        let mut evicted = Vec::new();
        for key in (1..=99).chain(1000..3000) {
            access(&mut lirs, key, 1, &mut evicted);
            lru.access(&Request::get(key, 1), &mut evicted);
        }
        // The scan only cycled through the one HIR slot.
        assert!(
            (1..=99).all(|key| lirs.contains(key)),
            "LIR set survived the scan"
        );
        assert!((1..=99).all(|key| !lru.contains(key)), "LRU was flushed");
        assert_eq!(lirs.ghosts.len(), 200, "non-resident blocks are bounded");
    }

    #[test]
    fn non_resident_blocks_are_bounded_and_promoted_on_return() {
        // Capacity 10: LIR set 9, HIR 1, at most 5 non-resident blocks.
        let mut lirs = Lirs::new(10, 0.01, 0.5);
        let mut evicted = Vec::new();
        for key in (1..=9).chain(100..=120) {
            access(&mut lirs, key, 1, &mut evicted);
        }
        // 100..=119 were evicted in turn; only the last five are remembered.
        assert_eq!(side_keys(&lirs, &lirs.ghosts), [119, 118, 117, 116, 115]);
        assert_eq!(lirs.blocks.len(), 9 + 1 + 5);
        // 115 returns while in S: it becomes LIR, and 1 (bottom LIR) is demoted.
        assert!(!access(&mut lirs, 115, 1, &mut evicted));
        assert_eq!(stack(&lirs)[0], (115, 'L'));
        assert_eq!(side_keys(&lirs, &lirs.q), [1]);
        assert_eq!(stack(&lirs).last(), Some(&(2, 'L')));
    }

    #[test]
    fn objects_larger_than_the_hir_share_are_admitted() {
        // Capacity 1000 bytes: HIR share 10, LIR set 990.
        let mut lirs = Lirs::new(1000, 0.01, 2.0);
        let mut evicted = Vec::new();
        access(&mut lirs, 1, 500, &mut evicted);
        access(&mut lirs, 2, 400, &mut evicted);
        assert_eq!(stack(&lirs), [(2, 'L'), (1, 'L')]);
        // 3 does not fit and Q is empty: bottom LIR 1 is demoted and evicted;
        // then 3 fits in the LIR set.
        access(&mut lirs, 3, 300, &mut evicted);
        assert_eq!(evicted, [1]);
        assert_eq!(stack(&lirs), [(3, 'L'), (2, 'L')]);
        // 5 is larger than the LIR set: everything else goes, and 5 stays HIR
        // (out of S, which has no LIR block to sit above).
        access(&mut lirs, 5, 995, &mut evicted);
        assert_eq!(evicted, [1, 2, 3]);
        assert!(lirs.contains(5) && lirs.s.is_empty());
        assert!(access(&mut lirs, 5, 995, &mut evicted));
        access(&mut lirs, 6, 10, &mut evicted);
        assert_eq!(evicted, [1, 2, 3, 5]);
        assert_eq!(stack(&lirs), [(6, 'L')]);
    }

    #[test]
    fn capacity_one_is_fifo() {
        let mut lirs = Lirs::new(1, 0.01, 2.0);
        let mut evicted = Vec::new();
        for key in [1, 1, 2, 1] {
            access(&mut lirs, key, 1, &mut evicted);
        }
        assert_eq!(evicted, [1, 2]);
        assert!(lirs.contains(1) && lirs.s.is_empty());
    }

    #[test]
    fn invalidating_the_bottom_lir_block_prunes() {
        let mut evicted = Vec::new();
        let mut lirs = three_blocks(&mut evicted);
        // S = [4H, 3N, 2L, 1L]: removing 1 and 2 leaves no LIR block, so S
        // empties and the non-resident 3 is forgotten.
        assert!(lirs.remove(1));
        assert!(lirs.remove(2));
        assert!(!lirs.remove(3), "non-resident blocks are not resident");
        lirs.check_invariants();
        assert!(lirs.s.is_empty() && lirs.ghosts.is_empty());
        // The LIR set has room again: the next new block is LIR.
        assert!(!access(&mut lirs, 7, 1, &mut evicted));
        assert_eq!(stack(&lirs), [(7, 'L')]);
        assert_eq!(evicted, [3]);
    }

    #[test]
    fn beats_lru_on_zipf() {
        let requests = unit_stream("zipf:alpha=0.9,keys=2000,requests=200000", 7);
        let lirs = hit_ratio(&mut Lirs::new(100, 0.01, 2.0), &requests);
        let lru = hit_ratio(&mut Lru::new(100), &requests);
        assert!(lirs > lru, "lirs {lirs} vs lru {lru}");
    }
}
