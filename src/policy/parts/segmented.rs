//! memcached's segmented LRU of one slab class: the HOT, WARM and COLD
//! queues, the hit rule (`do_item_bump`) and the maintainer's juggle
//! (`lru_maintainer_juggle`, `lru_pull_tail`), as memcached `items.c` (1.6)
//! codes them. The `memcached` policy runs one over a byte budget; the
//! `memcached_slabs` policy one per slab class. What fills the queues and
//! when an item must go is the caller's business: this part only says which
//! item goes next ([`Segments::free_one`]).

use super::list::{Entries, List};
use crate::policy::registry::{ParamKind, ParamSpec, Params};

/// The `hot_age` parameter of both memcached policies.
pub const HOT_AGE: ParamSpec = ParamSpec {
    name: "hot_age",
    kind: ParamKind::Real {
        min: 0.0,
        max: 1000.0,
    },
    default: 0.2,
    about: "HOT items older than this times the COLD tail age go to COLD (hot_max_factor)",
};

/// The `warm_age` parameter of both memcached policies.
pub const WARM_AGE: ParamSpec = ParamSpec {
    name: "warm_age",
    kind: ParamKind::Real {
        min: 0.0,
        max: 1000.0,
    },
    default: 2.0,
    about: "WARM items older than this times the COLD tail age go to COLD (warm_max_factor)",
};

/// The segment sizes and age factors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shares {
    /// HOT's share of the bytes in use (`hot_lru_pct`).
    pub hot: f64,
    /// WARM's share of the bytes in use (`warm_lru_pct`).
    pub warm: f64,
    /// Maximum HOT age as a multiple of the COLD tail's age (`hot_max_factor`).
    pub hot_age: f64,
    /// Maximum WARM age as a multiple of the COLD tail's age (`warm_max_factor`).
    pub warm_age: f64,
}

impl Shares {
    /// The shares a policy's `hot`, `warm`, `hot_age` and `warm_age`
    /// parameters give.
    pub fn from_params(p: &Params) -> Shares {
        Shares {
            hot: p.real("hot"),
            warm: p.real("warm"),
            hot_age: p.real("hot_age"),
            warm_age: p.real("warm_age"),
        }
    }
}

impl Default for Shares {
    fn default() -> Self {
        Shares {
            hot: 0.2,
            warm: 0.4,
            hot_age: 0.2,
            warm_age: 2.0,
        }
    }
}

/// Shares are applied in millionths, so that `hot = 0.2` gives exactly
/// memcached's integer `total * 20 / 100`.
const PPM: u128 = 1_000_000;

/// [`Shares`] in the form the juggle applies them.
#[derive(Clone, Copy, Debug)]
pub struct Tuning {
    hot_ppm: u128,
    warm_ppm: u128,
    hot_age: f64,
    warm_age: f64,
}

impl Tuning {
    /// The tuning of `shares`.
    pub fn new(shares: Shares) -> Tuning {
        let ppm = |share: f64| (share * PPM as f64).round() as u128;
        Tuning {
            hot_ppm: ppm(shares.hot),
            warm_ppm: ppm(shares.warm),
            hot_age: shares.hot_age,
            warm_age: shares.warm_age,
        }
    }

    /// The byte limit of HOT or WARM for `total` bytes in use, as
    /// `lru_pull_tail` computes it (a HOT limit of 0 falls through to WARM's).
    pub fn limit(&self, seg: Seg, total: u64) -> u64 {
        let share = |ppm: u128| (u128::from(total) * ppm / PPM) as u64;
        let hot = if seg == Seg::Hot {
            share(self.hot_ppm)
        } else {
            0
        };
        if hot == 0 { share(self.warm_ppm) } else { hot }
    }
}

/// The three queues, used as indices into `Segments::lists`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seg {
    /// New items.
    Hot = 0,
    /// Items hit twice, protected.
    Warm = 1,
    /// Items on their way out; evictions come from its tail.
    Cold = 2,
}

/// Per-item state: last access time (s), slab class, queue, FETCHED and
/// ACTIVE flags.
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    /// The time of the insert or of the last bump, in whole seconds.
    pub time: u32,
    /// The slab class (0 when there is one).
    pub class: u8,
    /// The queue the item is on.
    pub seg: Seg,
    /// Hit once since it was stored.
    pub fetched: bool,
    /// Hit twice: the juggle rescues it.
    pub active: bool,
}

impl Meta {
    /// A new item of `class` stored at `time`.
    pub fn new(class: u8, time: u32) -> Meta {
        Meta {
            time,
            class,
            seg: Seg::Hot,
            fetched: false,
            active: false,
        }
    }
}

/// What [`Segments::free_one`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freed {
    /// The COLD tail was unlinked and forgotten: its key and size.
    Evicted(u64, u32),
    /// COLD was empty, so the HOT tail was pushed down to COLD.
    Demoted,
    /// COLD and HOT are both empty: nothing can go.
    Nothing,
}

/// The HOT, WARM and COLD queues of one slab class over a shared
/// [`Entries`] store.
#[derive(Clone, Copy, Debug, Default)]
pub struct Segments {
    lists: [List; 3],
}

impl Segments {
    /// The three queues, HOT, WARM, COLD.
    pub fn lists(&self) -> [&List; 3] {
        self.lists.each_ref()
    }

    /// The queue `seg`.
    pub fn list(&self, seg: Seg) -> &List {
        &self.lists[seg as usize]
    }

    /// Items linked.
    pub fn len(&self) -> usize {
        self.lists.iter().map(List::len).sum()
    }

    /// True when no item is linked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sum of the linked items' sizes.
    pub fn bytes(&self) -> u64 {
        self.lists.iter().map(List::bytes).sum()
    }

    /// Moves `slot`, unlinked, to the head of `to`.
    fn link(&mut self, entries: &mut Entries<Meta>, slot: u32, to: Seg) {
        entries.node_mut(slot).meta.seg = to;
        self.lists[to as usize].push_head(entries.slab_mut(), slot);
    }

    /// Links a new item at the HOT head.
    pub fn push_new(&mut self, entries: &mut Entries<Meta>, slot: u32) {
        self.link(entries, slot, Seg::Hot);
    }

    /// Unlinks `slot` from its queue.
    pub fn unlink(&mut self, entries: &mut Entries<Meta>, slot: u32) {
        let seg = entries.node(slot).meta.seg;
        self.lists[seg as usize].unlink(entries.slab_mut(), slot);
    }

    /// A hit on `slot` at `now` (`do_item_bump`); returns true when the item
    /// moved from COLD to WARM, after which the caller juggles.
    pub fn hit(&mut self, entries: &mut Entries<Meta>, slot: u32, now: u32) -> bool {
        let meta = &mut entries.node_mut(slot).meta;
        if meta.active {
            // Already active: one hit keeps it so, nothing else changes.
            false
        } else if !meta.fetched {
            meta.fetched = true;
            false
        } else if meta.seg != Seg::Cold {
            meta.active = true;
            meta.time = now;
            false
        } else {
            // Turning ACTIVE in COLD: the bump queue's do_item_update moves it
            // to the WARM head with a fresh time and the flag cleared.
            meta.time = now;
            self.unlink(entries, slot);
            self.link(entries, slot, Seg::Warm);
            true
        }
    }

    /// `lru_pull_tail` on HOT or WARM without eviction: returns how many
    /// items it moved or relinked.
    fn pull_tail(
        &mut self,
        entries: &mut Entries<Meta>,
        tuning: &Tuning,
        seg: Seg,
        (total, max_age, now): (u64, u32, u32),
    ) -> u32 {
        let limit = tuning.limit(seg, total);
        let mut moved = 0;
        let mut search = self.lists[seg as usize].tail();
        for _ in 0..5 {
            let Some(slot) = search else { break };
            search = List::towards_head(entries.slab(), slot);
            let meta = entries.node(slot).meta;
            if meta.active {
                entries.node_mut(slot).meta.active = false;
                moved += 1;
                if seg == Seg::Warm {
                    // Relinked at the WARM head; the walk goes on upwards.
                    self.lists[Seg::Warm as usize].move_to_head(entries.slab_mut(), slot);
                    continue;
                }
                self.unlink(entries, slot);
                self.link(entries, slot, Seg::Warm);
            } else if self.lists[seg as usize].bytes() > limit
                || now.saturating_sub(meta.time) > max_age
            {
                self.unlink(entries, slot);
                self.link(entries, slot, Seg::Cold);
                moved += 1;
            }
            break;
        }
        moved
    }

    /// The age of the COLD tail at `now`, in seconds (0 when COLD is empty).
    pub fn cold_age(&self, entries: &Entries<Meta>, now: u32) -> u32 {
        self.list(Seg::Cold)
            .tail()
            .map_or(0, |slot| now.saturating_sub(entries.node(slot).meta.time))
    }

    /// One maintainer pass (`lru_maintainer_juggle`) at `now`, until nothing
    /// moves.
    pub fn juggle(&mut self, entries: &mut Entries<Meta>, tuning: &Tuning, now: u32) {
        let cold_age = self.cold_age(entries, now);
        // rel_time_t × double, truncated back to whole seconds.
        let hot_age = (f64::from(cold_age) * tuning.hot_age) as u32;
        let warm_age = (f64::from(cold_age) * tuning.warm_age) as u32;
        let total = self.bytes();
        while self.pull_tail(entries, tuning, Seg::Hot, (total, hot_age, now)) > 0
            || self.pull_tail(entries, tuning, Seg::Warm, (total, warm_age, now)) > 0
        {}
    }

    /// One step of `do_item_alloc_pull`'s loop at `now`: evict the COLD
    /// tail, or with COLD empty push the HOT tail down to COLD.
    pub fn free_one(&mut self, entries: &mut Entries<Meta>, tuning: &Tuning, now: u32) -> Freed {
        if let Some(slot) = self.lists[Seg::Cold as usize].pop_tail(entries.slab_mut()) {
            let (key, size) = entries.remove(slot);
            Freed::Evicted(key, size)
        } else if self.pull_tail(entries, tuning, Seg::Hot, (0, 0, now)) > 0 {
            Freed::Demoted
        } else {
            Freed::Nothing
        }
    }

    /// Panics unless the queues' links and counts agree, every item is
    /// tagged with its queue and with `class`, and no ACTIVE item sits in
    /// COLD; returns the items linked.
    pub fn check(&self, entries: &Entries<Meta>, class: u8) -> usize {
        let slab = entries.slab();
        for seg in [Seg::Hot, Seg::Warm, Seg::Cold] {
            let list = self.list(seg);
            list.check_tagged(slab, &format!("{seg:?}"), seg, |meta| meta.seg);
            list.check_tagged(slab, "its class", class, |meta| meta.class);
            for slot in list.iter(slab) {
                assert!(
                    !(seg == Seg::Cold && slab.get(slot).meta.active),
                    "ACTIVE item {} left in COLD",
                    slab.get(slot).key
                );
            }
        }
        self.len()
    }

    /// Panics unless HOT and WARM are within their limits of the bytes in use.
    pub fn check_limits(&self, tuning: &Tuning) {
        let used = self.bytes();
        let hot = self.list(Seg::Hot).bytes();
        let warm = self.list(Seg::Warm).bytes();
        assert!(
            hot <= tuning.limit(Seg::Hot, used),
            "HOT holds {hot} of {used} bytes, over its limit"
        );
        assert!(
            warm <= tuning.limit(Seg::Warm, used),
            "WARM holds {warm} of {used} bytes, over its limit"
        );
    }

    /// The keys of one queue, head first.
    #[cfg(test)]
    pub fn keys(&self, entries: &Entries<Meta>, seg: Seg) -> Vec<u64> {
        let slab = entries.slab();
        self.list(seg).iter(slab).map(|s| slab.get(s).key).collect()
    }
}
