//! memcached's slab automover (`slab_automove=1`), as memcached
//! `slab_automove.c` (`slab_automove_run`, 1.6) decides, run once a second by
//! the LRU maintainer (`items.c`, `lru_maintainer_thread`).
//!
//! Each run reads every class's counters and keeps, per class, a window of
//! the last `window` runs: the COLD tail's age, whether the class evicted
//! (or ran out of memory) and whether it was "dirty" (evicted, or gained a
//! page). The run's window sum leaves out the current run. Then, classes in
//! order: a class with more than 2.5 pages of free chunks and a clean window
//! gives a page back to the global pool (and the run stops there); the
//! oldest class (largest mean tail age over the window) with more than 2
//! pages is the donor; the youngest class that evicted in more than half
//! the window is the receiver, if it evicted in this run too. A page moves
//! from donor to receiver only once more than `window` runs have been made
//! (memcached's first 30 s of uptime) and when the receiver's age is below
//! `ratio` × the donor's.

/// What a run reads of one class (`fill_item_stats_automove`,
/// `fill_slab_stats_automove`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassStats {
    /// Items evicted since the start.
    pub evicted: u64,
    /// Stores refused for want of memory since the start.
    pub outofmemory: u64,
    /// The age of the COLD tail, in seconds (0 when COLD is empty).
    pub age: u32,
    /// Pages the class holds.
    pub pages: u32,
    /// Chunks the class has free.
    pub free_chunks: u64,
    /// Chunks per page.
    pub chunks_per_page: u32,
}

/// A page move the automover asks for: classes are indices of the stats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// A page from the donor class to the receiver class.
    Between {
        /// The donor.
        from: usize,
        /// The receiver.
        to: usize,
    },
    /// A page of a class with many free chunks back to the global pool.
    ToPool {
        /// The class giving it.
        from: usize,
    },
}

/// A class's record of one run.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    age: u64,
    dirty: u64,
    evicted: u64,
}

/// Pages of free chunks above which a clean class gives a page back.
const MIN_PAGES_FOR_RECLAIM: f64 = 2.5;

/// Pages a donor must hold more than.
const MIN_PAGES_FOR_SOURCE: u32 = 2;

/// The automover's state: the window of every class and the counters read
/// by the previous run.
#[derive(Clone, Debug)]
pub struct Automover {
    window: usize,
    ratio: f64,
    runs: u64,
    slots: Vec<Slot>,
    before: Vec<ClassStats>,
}

impl Automover {
    /// An automover over `classes` classes with a window of `window` runs
    /// and the age ratio `ratio`, started on an empty cache.
    pub fn new(classes: usize, window: usize, ratio: f64) -> Automover {
        assert!(window > 0, "the window holds at least one run");
        Automover {
            window,
            ratio,
            runs: 0,
            slots: vec![Slot::default(); classes * window],
            before: vec![ClassStats::default(); classes],
        }
    }

    /// One run on the classes' counters `after`; returns the move to make.
    pub fn run(&mut self, after: &[ClassStats]) -> Option<Move> {
        assert_eq!(after.len(), self.before.len(), "one entry per class");
        self.runs += 1;
        let current = (self.runs % self.window as u64) as usize;
        let mut oldest: Option<(usize, u64)> = None;
        let mut youngest: Option<(usize, u64, bool)> = None;
        let mut reclaim = None;
        for (n, (now, before)) in after.iter().zip(&self.before).enumerate() {
            let window = &mut self.slots[n * self.window..(n + 1) * self.window];
            window[current] = Slot::default();
            let sum = window.iter().fold(Slot::default(), |sum, slot| Slot {
                age: sum.age + slot.age,
                dirty: sum.dirty + slot.dirty,
                evicted: sum.evicted + slot.evicted,
            });
            let slot = &mut window[current];
            if now.evicted > before.evicted || now.outofmemory > before.outofmemory {
                slot.evicted = 1;
                slot.dirty = 1;
            }
            if now.pages > before.pages {
                slot.dirty = 1;
            }
            slot.age = u64::from(now.age);
            let evicting_now = slot.evicted == 1;
            let age = sum.age / self.window as u64;
            let free_pages = now.free_chunks as f64 / f64::from(now.chunks_per_page.max(1));
            if now.chunks_per_page > 0 && free_pages > MIN_PAGES_FOR_RECLAIM && sum.dirty == 0 {
                reclaim = Some(Move::ToPool { from: n });
                break;
            }
            if age > oldest.map_or(0, |(_, a)| a) && now.pages > MIN_PAGES_FOR_SOURCE {
                oldest = Some((n, age));
            }
            if age < youngest.map_or(u64::MAX, |(_, a, _)| a)
                && sum.evicted > (self.window / 2) as u64
            {
                youngest = Some((n, age, evicting_now));
            }
        }
        self.before.copy_from_slice(after);
        if reclaim.is_some() {
            return reclaim;
        }
        let (Some((from, oldest_age)), Some((to, youngest_age, evicting))) = (oldest, youngest)
        else {
            return None;
        };
        let filled = self.runs > self.window as u64;
        (filled && evicting && (youngest_age as f64) < oldest_age as f64 * self.ratio)
            .then_some(Move::Between { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two classes: 0 holds 4 pages and is idle with an old tail, 1 evicts
    /// every second with a young tail.
    fn stats(second: u64, donor_age: u32, receiver_age: u32) -> [ClassStats; 2] {
        [
            ClassStats {
                age: donor_age,
                pages: 4,
                chunks_per_page: 100,
                ..ClassStats::default()
            },
            ClassStats {
                evicted: 10 * second,
                age: receiver_age,
                pages: 1,
                chunks_per_page: 100,
                ..ClassStats::default()
            },
        ]
    }

    #[test]
    fn a_page_moves_once_the_window_has_filled_and_the_ages_differ() {
        // Window 3: runs 1..=3 never move (the window has not filled); run 4
        // does. Run 4 reuses run 1's slot, zeroed before the sum, so the
        // donor's mean age is (100 + 100 + 0) / 3 = 66 and the receiver's
        // (10 + 10 + 0) / 3 = 6 < 0.8 × 66; the receiver evicted in 2 > 3/2
        // of the summed runs, and in run 4 itself.
        let mut mover = Automover::new(2, 3, 0.8);
        for second in 1..=3 {
            assert_eq!(mover.run(&stats(second, 100, 10)), None, "run {second}");
        }
        assert_eq!(
            mover.run(&stats(4, 100, 10)),
            Some(Move::Between { from: 0, to: 1 })
        );
    }

    #[test]
    fn no_move_when_the_receiver_is_not_young_enough_or_the_donor_too_small() {
        // 85 is not below 0.8 × 100 = 80.
        let mut mover = Automover::new(2, 3, 0.8);
        for second in 1..=10 {
            assert_eq!(mover.run(&stats(second, 100, 85)), None);
        }
        // A donor of 2 pages is not enough (memcached needs more than 2).
        let mut mover = Automover::new(2, 3, 0.8);
        for second in 1..=10 {
            let mut s = stats(second, 100, 10);
            s[0].pages = 2;
            assert_eq!(mover.run(&s), None);
        }
        // A receiver that stopped evicting in this run does not receive.
        let mut mover = Automover::new(2, 3, 0.8);
        for second in 1..=3 {
            mover.run(&stats(second, 100, 10));
        }
        assert_eq!(mover.run(&stats(3, 100, 10)), None);
    }

    #[test]
    fn a_clean_class_with_many_free_chunks_gives_a_page_to_the_pool() {
        // Window 2. Run 1 sees the class's 4 pages appear: its own slot is
        // dirty, but the sum it decides on leaves the current run out. With
        // no free chunks there is nothing to give back. Run 2 has 251 free
        // chunks of 100 per page, over 2.5 pages, but run 1's dirty slot is
        // in its sum. Run 3 overwrites run 1's slot: the window is clean.
        let mut mover = Automover::new(1, 2, 0.8);
        let full = ClassStats {
            pages: 4,
            chunks_per_page: 100,
            ..ClassStats::default()
        };
        let idle = ClassStats {
            free_chunks: 251,
            ..full
        };
        assert_eq!(mover.run(&[full]), None);
        assert_eq!(mover.run(&[idle]), None);
        assert_eq!(mover.run(&[idle]), Some(Move::ToPool { from: 0 }));
        // 250 free chunks are not over 2.5 pages.
        let mut mover = Automover::new(1, 2, 0.8);
        for _ in 0..5 {
            let s = ClassStats {
                free_chunks: 250,
                ..full
            };
            assert_eq!(mover.run(&[s]), None);
        }
    }
}
