//! memcached with its slab allocator: slab classes, 1 MiB pages granted
//! first come first served under the soft `-m` limit, a segmented LRU and
//! eviction per class, and the slab automover.
//!
//! Follows memcached `slabs.c` (`slabs_init`, `do_slabs_newslab`,
//! `slabs_clsid`), `items.c` (`item_make_header`, `do_item_alloc`,
//! `do_item_alloc_pull`) and `slab_automove.c` (1.6 line). Classes: the
//! first chunk is 96 B (the 48 B item header plus `-n 48`), each next one
//! 1.25 × the last, truncated and rounded up to 8 B, until 512 KiB / 1.25;
//! the last class is 512 KiB: 39 classes, `perslab = 1 MiB / chunk`. An
//! object of `size` value bytes under a key of `k` bytes is an item of 48 B
//! header + 8 B CAS + `k` + 1 + `size` + 2 (`\r\n`), stored in the smallest
//! class whose chunk holds it; the key is taken to be `key_prefix` bytes
//! plus the decimal digits of the key number, as `cachelab drive` names
//! keys (`cachelab:<n>`). A class stores items while it has free chunks;
//! then it asks for a page: from the global pool if it holds one, else a
//! new one while the pages allocated stay within the capacity (`-m` in
//! bytes), and always for a class that has none yet (the soft limit). A
//! class that gets no page frees one chunk as `do_item_alloc_pull` does:
//! its own COLD tail goes, even when other classes hold older items. Each
//! class is memcached's segmented LRU, as in the `memcached` policy (the
//! same code, `parts::segmented`), its HOT and WARM limits taken of its own
//! item bytes.
//!
//! With `automove` (memcached's default `slab_automove=1`), the automover
//! of `parts::slab_automove` runs once per second of `Request::time_ns`
//! (seconds without requests are caught up, at most a window's worth) and
//! may move one page a second: the donor loses its page (items that no
//! longer fit are evicted from its COLD tail), the receiver gains it, or a
//! page goes back to the pool. It runs before an insert, the only call that
//! can report evictions; its first run is at the first insert, which stands
//! for the server's start.
//!
//! Defaults: `hot` = 0.2, `warm` = 0.4, `hot_age` = 0.2, `warm_age` = 2.0
//! as `memcached`; `automove` on, `automove_ratio` = 0.8,
//! `automove_window` = 30 (memcached's `settings_init`), `key_prefix` = 9.
//! Simplifications: items above 512 KiB, which memcached chains over
//! several chunks, are refused; a moved page's items are the donor's COLD
//! tail, where memcached's are the page's residents (of any age, saved to
//! free chunks of the class when it has some); the reclaim to the pool is
//! also once per second (memcached retries it at once); no TTLs, crawler
//! or TEMP queue; a capacity of 0 stores nothing (memcached's `-m 0` is no
//! limit).

use super::parts::list::Entries;
use super::parts::segmented::{self, Freed, Meta, Segments, Shares, Tuning};
use super::parts::slab_automove::{Automover, ClassStats, Move};
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Bound, Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "memcached_slabs",
    about: "memcached with slab classes: 1 MiB pages per class, a segmented LRU per class, the automover",
    source: "memcached slabs.c, items.c, slab_automove.c (1.6)",
    params: &[
        ParamSpec {
            name: "hot",
            kind: ParamKind::Real {
                min: 0.01,
                max: 0.8,
            },
            default: 0.2,
            about: "HOT share of a class's item bytes (hot_lru_pct)",
        },
        ParamSpec {
            name: "warm",
            kind: ParamKind::Real {
                min: 0.01,
                max: 0.8,
            },
            default: 0.4,
            about: "WARM share of a class's item bytes (warm_lru_pct)",
        },
        segmented::HOT_AGE,
        segmented::WARM_AGE,
        ParamSpec {
            name: "automove",
            kind: ParamKind::Bool,
            default: 1.0,
            about: "move pages between classes once a second (slab_automove=1)",
        },
        ParamSpec {
            name: "automove_ratio",
            kind: ParamKind::Real { min: 0.0, max: 1.0 },
            default: 0.8,
            about: "a receiver's tail age must be below this times the donor's (slab_automove_ratio)",
        },
        ParamSpec {
            name: "automove_window",
            kind: ParamKind::Int { min: 1, max: 1000 },
            default: 30.0,
            about: "seconds of history the automover decides on (slab_automove_window)",
        },
        ParamSpec {
            name: "key_prefix",
            kind: ParamKind::Int { min: 0, max: 200 },
            default: 9.0,
            about: "key bytes besides the key number's digits (9: `cachelab:`)",
        },
    ],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    let p = args.params;
    let shares = Shares::from_params(p);
    let automove = p.flag("automove").then(|| Automove {
        ratio: p.real("automove_ratio"),
        window: p.int("automove_window") as usize,
    });
    Box::new(MemcachedSlabs::new(
        args.capacity,
        shares,
        automove,
        p.int("key_prefix") as u32,
    ))
}

/// The slab page (`slab_page_size`).
pub const PAGE: u64 = 1 << 20;

/// The item header, `sizeof(item)` on 64-bit.
const HEADER: u64 = 48;

/// The CAS value stored with every item (`-C` not given).
const CAS: u64 = 8;

/// The smallest chunk holds the header plus `-n 48`.
const FIRST_CHUNK: u32 = 48 + 48;

/// The largest chunk (`slab_chunk_size_max`, half a page).
const LAST_CHUNK: u32 = (PAGE / 2) as u32;

/// Chunks are multiples of this (`CHUNK_ALIGN_BYTES`).
const ALIGN: u32 = 8;

/// memcached's class ids run from 1 to 63 (`MAX_NUMBER_OF_SLAB_CLASSES` − 1).
const MAX_CLASSES: usize = 63;

/// The chunk sizes of the slab classes for growth `factor`, as
/// `slabs_init` computes them.
pub fn chunk_sizes(factor: f64) -> Vec<u32> {
    let mut sizes = Vec::new();
    let mut size = FIRST_CHUNK;
    while sizes.len() < MAX_CLASSES - 1 && f64::from(size) < f64::from(LAST_CHUNK) / factor {
        size = size.div_ceil(ALIGN) * ALIGN;
        sizes.push(size);
        // `size *= factor` on an unsigned int: truncated.
        size = (f64::from(size) * factor) as u32;
    }
    sizes.push(LAST_CHUNK);
    sizes
}

/// The automover's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Automove {
    /// `slab_automove_ratio`.
    pub ratio: f64,
    /// `slab_automove_window`, in runs (seconds).
    pub window: usize,
}

/// One slab class.
#[derive(Clone, Debug)]
struct Class {
    chunk: u32,
    perslab: u32,
    pages: u32,
    segments: Segments,
    /// Items evicted, and stores refused, since the start (for the automover).
    evicted: u64,
    outofmemory: u64,
}

impl Class {
    fn chunks(&self) -> usize {
        self.pages as usize * self.perslab as usize
    }
}

/// The automover with the last second it ran for.
#[derive(Clone, Debug)]
struct Mover {
    automover: Automover,
    window: u32,
    last: Option<u32>,
}

/// memcached's slab allocator with a segmented LRU per class.
pub struct MemcachedSlabs {
    /// `-m`, in bytes.
    limit: u64,
    classes: Vec<Class>,
    entries: Entries<Meta>,
    tuning: Tuning,
    key_prefix: u32,
    /// Pages allocated so far (`mem_malloced` / page).
    malloced: u64,
    /// Pages in the global pool.
    pool: u32,
    /// Sum of the resident objects' value sizes.
    value_bytes: u64,
    mover: Option<Mover>,
    /// The latest request time seen, in seconds.
    now: u32,
}

impl MemcachedSlabs {
    /// An empty cache of `limit` bytes (`-m`), the default classes.
    pub fn new(limit: u64, shares: Shares, automove: Option<Automove>, key_prefix: u32) -> Self {
        let classes: Vec<Class> = chunk_sizes(1.25)
            .into_iter()
            .map(|chunk| Class {
                chunk,
                perslab: (PAGE / u64::from(chunk)) as u32,
                pages: 0,
                segments: Segments::default(),
                evicted: 0,
                outofmemory: 0,
            })
            .collect();
        let mover = automove.map(|a| Mover {
            automover: Automover::new(classes.len(), a.window, a.ratio),
            window: a.window as u32,
            last: None,
        });
        MemcachedSlabs {
            limit,
            classes,
            entries: Entries::default(),
            tuning: Tuning::new(shares),
            key_prefix,
            malloced: 0,
            pool: 0,
            value_bytes: 0,
            mover,
            now: 0,
        }
    }

    /// The bytes an item adds to its value: header, CAS, the key with its
    /// NUL, and the value's `\r\n`.
    fn overhead(&self, key: u64) -> u64 {
        let digits = u64::from(key.checked_ilog10().unwrap_or(0) + 1);
        HEADER + CAS + u64::from(self.key_prefix) + digits + 1 + 2
    }

    /// The class whose chunk holds an item of `bytes`, if any.
    fn class_of(&self, bytes: u64) -> Option<usize> {
        let index = self
            .classes
            .partition_point(|class| u64::from(class.chunk) < bytes);
        (index < self.classes.len()).then_some(index)
    }

    /// A page for class `c`, as `do_slabs_newslab` grants it.
    fn grant_page(&mut self, c: usize) -> bool {
        let class = &mut self.classes[c];
        if self.pool > 0 {
            self.pool -= 1;
        } else if (self.malloced + 1) * PAGE <= self.limit || class.pages == 0 {
            self.malloced += 1;
        } else {
            return false;
        }
        class.pages += 1;
        true
    }

    /// Frees one chunk of class `c`; false when nothing can go.
    fn free_one(&mut self, c: usize, evicted: &mut Vec<u64>) -> bool {
        let class = &mut self.classes[c];
        match class
            .segments
            .free_one(&mut self.entries, &self.tuning, self.now)
        {
            Freed::Evicted(key, size) => {
                class.evicted += 1;
                evicted.push(key);
                self.value_bytes -= u64::from(size) - self.overhead(key);
                true
            }
            Freed::Demoted => true,
            Freed::Nothing => false,
        }
    }

    fn juggle(&mut self, c: usize) {
        self.classes[c]
            .segments
            .juggle(&mut self.entries, &self.tuning, self.now);
    }

    /// What the automover reads of every class at `now`.
    fn stats(&self, now: u32) -> Vec<ClassStats> {
        self.classes
            .iter()
            .map(|class| ClassStats {
                evicted: class.evicted,
                outofmemory: class.outofmemory,
                age: class.segments.cold_age(&self.entries, now),
                pages: class.pages,
                free_chunks: (class.chunks() - class.segments.len()) as u64,
                chunks_per_page: class.perslab,
            })
            .collect()
    }

    /// Runs the automover for every second up to `self.now` it has not run
    /// for (at most a window and one), making the moves it asks for.
    fn automove(&mut self, evicted: &mut Vec<u64>) {
        let Some(mover) = &self.mover else { return };
        let first = match mover.last {
            None => self.now,
            Some(last) if last < self.now => {
                (last + 1).max(self.now.saturating_sub(mover.window + 1))
            }
            Some(_) => return,
        };
        for second in first..=self.now {
            let stats = self.stats(second);
            let mover = self.mover.as_mut().expect("checked above");
            match mover.automover.run(&stats) {
                Some(Move::Between { from, to }) => {
                    self.take_page(from, evicted);
                    self.classes[to].pages += 1;
                }
                Some(Move::ToPool { from }) => {
                    self.take_page(from, evicted);
                    self.pool += 1;
                }
                None => {}
            }
        }
        if let Some(mover) = &mut self.mover {
            mover.last = Some(self.now);
        }
    }

    /// Takes a page from class `c`, evicting what no longer fits.
    fn take_page(&mut self, c: usize, evicted: &mut Vec<u64>) {
        self.classes[c].pages -= 1;
        while self.classes[c].segments.len() > self.classes[c].chunks() {
            let freed = self.free_one(c, evicted);
            assert!(freed, "a class holding items can free one");
        }
        self.juggle(c);
    }

    /// The pages of each class, smallest chunk first (for tests).
    #[cfg(test)]
    fn pages(&self) -> Vec<u32> {
        self.classes.iter().map(|class| class.pages).collect()
    }
}

impl Policy for MemcachedSlabs {
    fn get(&mut self, req: &Request) -> bool {
        let Some(slot) = self.entries.find(req.key) else {
            return false;
        };
        self.now = (req.time_ns / 1_000_000_000) as u32;
        let c = usize::from(self.entries.node(slot).meta.class);
        if self.classes[c]
            .segments
            .hit(&mut self.entries, slot, self.now)
        {
            self.juggle(c);
        }
        true
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let bytes = self.overhead(req.key) + u64::from(req.size);
        let Some(c) = self.class_of(bytes).filter(|_| self.limit > 0) else {
            return false;
        };
        self.now = (req.time_ns / 1_000_000_000) as u32;
        self.automove(evicted);
        self.juggle(c);
        while self.classes[c].segments.len() >= self.classes[c].chunks() {
            if !self.grant_page(c) && !self.free_one(c, evicted) {
                self.classes[c].outofmemory += 1;
                self.juggle(c);
                return false;
            }
        }
        let meta = Meta::new(c as u8, self.now);
        let slot = self.entries.add(req.key, bytes as u32, meta);
        self.classes[c].segments.push_new(&mut self.entries, slot);
        self.value_bytes += u64::from(req.size);
        self.juggle(c);
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        let c = usize::from(self.entries.node(slot).meta.class);
        self.classes[c].segments.unlink(&mut self.entries, slot);
        let (_, bytes) = self.entries.remove(slot);
        self.value_bytes -= u64::from(bytes) - self.overhead(key);
        self.juggle(c);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.entries.find(key).is_some()
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.entries.len(),
            used: self.value_bytes,
            capacity: self.limit,
        }
    }

    fn bound(&self) -> Bound {
        Bound::SlabPages
    }

    fn check_invariants(&self) {
        self.entries.check();
        let mut linked = 0;
        let mut values = 0;
        let mut with_pages = 0;
        for (c, class) in self.classes.iter().enumerate() {
            linked += class.segments.check(&self.entries, c as u8);
            assert!(
                class.segments.len() <= class.chunks(),
                "class {c} holds {} items in {} chunks",
                class.segments.len(),
                class.chunks()
            );
            class.segments.check_limits(&self.tuning);
            with_pages += u64::from(class.pages > 0);
            let slab = self.entries.slab();
            for list in class.segments.lists() {
                for slot in list.iter(slab) {
                    let node = slab.get(slot);
                    assert_eq!(
                        self.class_of(u64::from(node.size)),
                        Some(c),
                        "item {} of {} bytes is in class {c}",
                        node.key,
                        node.size
                    );
                    values += u64::from(node.size) - self.overhead(node.key);
                }
            }
        }
        assert_eq!(linked, self.entries.len(), "every item is in one queue");
        assert_eq!(values, self.value_bytes, "value bytes");
        let pages: u64 = self.classes.iter().map(|c| u64::from(c.pages)).sum();
        assert_eq!(
            pages + u64::from(self.pool),
            self.malloced,
            "pages held and allocated"
        );
        assert!(
            self.malloced <= self.limit / PAGE + with_pages,
            "{} pages allocated under a limit of {} bytes: only first pages pass it",
            self.malloced,
            self.limit
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    /// A request for key `key` (a 1-digit key: 69 bytes of overhead) of
    /// `value` bytes at `seconds`.
    fn item(key: u64, value: u32, seconds: u64) -> Request {
        Request {
            time_ns: seconds * SECOND,
            ..Request::get(key, value)
        }
    }

    fn slabs(limit: u64, automove: bool) -> MemcachedSlabs {
        let automove = automove.then_some(Automove {
            ratio: 0.8,
            window: 30,
        });
        MemcachedSlabs::new(limit, Shares::default(), automove, 9)
    }

    #[test]
    fn the_class_table_is_memcacheds() {
        let sizes = chunk_sizes(1.25);
        assert_eq!(sizes.len(), 39);
        assert_eq!(
            sizes[..12],
            [96, 120, 152, 192, 240, 304, 384, 480, 600, 752, 944, 1184]
        );
        assert_eq!(sizes[35..], [252_696, 315_872, 394_840, 524_288]);
        let mc = slabs(PAGE, false);
        assert_eq!(mc.classes[0].perslab, 10_922);
        assert_eq!(mc.classes[38].perslab, 2);
    }

    #[test]
    fn an_item_lands_in_the_smallest_class_that_holds_it() {
        let mc = slabs(PAGE, false);
        // Key 7 is `cachelab:7`, 10 bytes: 48 + 8 + 10 + 1 + value + 2.
        assert_eq!(mc.overhead(7), 69);
        assert_eq!(mc.overhead(12_345), 73);
        assert_eq!(mc.overhead(0), 69);
        // A 27-byte value makes a 96-byte item: class 0; 28 bytes need 120.
        assert_eq!(mc.class_of(69 + 27), Some(0));
        assert_eq!(mc.class_of(69 + 28), Some(1));
        // A 100-byte value under a 5-digit key is 173 bytes: the 192 chunk.
        assert_eq!(mc.class_of(73 + 100), Some(3));
        assert_eq!(mc.class_of(524_288), Some(38));
        assert_eq!(mc.class_of(524_289), None);
        let mut mc = mc;
        let mut evicted = Vec::new();
        assert!(!mc.insert(&item(1, 524_288, 0), &mut evicted));
        assert!(mc.insert(&item(1, 524_288 - 69, 0), &mut evicted));
        assert_eq!(mc.pages()[38], 1);
    }

    #[test]
    fn every_class_gets_its_first_page_past_the_limit() {
        // -m 1 MiB: class 0 takes the one page; class 1 still gets its first
        // page (2 MiB allocated), but not a second one: it evicts its own.
        let mut mc = slabs(PAGE, false);
        let mut evicted = Vec::new();
        let per_class1 = u64::from(mc.classes[1].perslab); // 8738 chunks of 120
        for key in 0..10_000 {
            assert!(mc.insert(&item(key, 20, 0), &mut evicted));
        }
        assert!(evicted.is_empty());
        for key in 10_000..10_000 + per_class1 + 5 {
            assert!(mc.insert(&item(key, 40, 0), &mut evicted));
        }
        assert_eq!(mc.pages()[..3], [1, 1, 0]);
        assert_eq!(mc.malloced, 2);
        // Five of class 1's own items went, the first five it stored.
        assert_eq!(evicted, (10_000..10_005).collect::<Vec<_>>());
        // Class 0 keeps 922 free chunks and fills them without a page.
        for key in 30_000..30_922 {
            assert!(mc.insert(&item(key, 20, 0), &mut evicted));
        }
        assert_eq!(evicted.len(), 5);
        assert!(mc.insert(&item(40_000, 20, 0), &mut evicted));
        assert_eq!(evicted.len(), 6);
        assert_eq!(evicted[5], 0, "class 0's oldest item");
        mc.check_invariants();
    }

    #[test]
    fn a_class_evicts_its_own_although_another_holds_older_items() {
        // -m 3 MiB. Class 0 is filled at t=0 and never touched again; class
        // 1 fills two pages at t=100 and keeps storing: it evicts its own
        // items, not class 0's older ones.
        let mut mc = slabs(3 * PAGE, false);
        let mut evicted = Vec::new();
        for key in 0..10_922 {
            mc.insert(&item(key, 20, 0), &mut evicted);
        }
        for key in 100_000..100_000 + 8_738 + 8_738 + 3 {
            assert!(mc.insert(&item(key, 40, 100), &mut evicted));
        }
        // Class 1 took a second page (3 MiB in all), then evicted 3 of its own.
        assert_eq!(mc.pages()[..2], [1, 2]);
        assert_eq!(evicted.len(), 3);
        assert!(evicted.iter().all(|&k| k >= 100_000), "{evicted:?}");
        assert!((0..10_922).all(|k| mc.contains(k)));
        mc.check_invariants();
    }

    #[test]
    fn the_automover_moves_a_page_from_an_idle_class_to_an_evicting_one() {
        // -m 4 MiB. Class 0 takes 3 pages at t=0 and goes idle; class 1 gets
        // the fourth page and then evicts every second from t=1 on. Its COLD
        // tail stays young (about 2 s) while class 0's ages a second a
        // second. Run k is at second k − 1 (run 1 at the first insert), and
        // no run moves until the window of 30 has filled: run 31, at second
        // 30, moves a page from class 0 to class 1 (mean ages 435 / 30 = 14
        // and about 2; class 1 evicted in every run from run 4 on). Then
        // class 0 is down to 2 pages, too few to give, and moves stop.
        let mut mc = slabs(4 * PAGE, true);
        let mut evicted = Vec::new();
        let mut key = 0;
        for _ in 0..3 * 10_922 {
            mc.insert(&item(key, 20, 0), &mut evicted);
            key += 1;
        }
        assert_eq!(mc.pages()[..2], [3, 0]);
        let mut moved_at = Vec::new();
        for second in 0..80 {
            for _ in 0..3_000 {
                mc.insert(&item(key, 40, second), &mut evicted);
                key += 1;
            }
            moved_at.extend((mc.pages()[1] as usize > moved_at.len() + 1).then_some(second));
        }
        assert_eq!(mc.pages()[..2], [2, 2], "one page moved, then none");
        assert_eq!(moved_at, [30]);
        // The donor's overflow was evicted: 10 922 of its items went.
        assert_eq!((0..3 * 10_922).filter(|&k| !mc.contains(k)).count(), 10_922);
        mc.check_invariants();
    }
}
