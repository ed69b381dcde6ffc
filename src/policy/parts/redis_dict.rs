//! Redis's keyspace as Redis holds it: a chained hash table of 2^k buckets
//! with its resizes, its incremental rehash and the two ways eviction reads
//! it (`dictGetSomeKeys`, `dictGetRandomKey`), shared by `redis_lru`,
//! `redis_lfu` and `redis_random`.
//!
//! Follows Redis 7.0 `src/dict.c` (`dictAddRaw`, `_dictKeyIndex`,
//! `_dictExpandIfNeeded`, `_dictExpand`, `_dictNextExp`, `dictRehash`,
//! `_dictRehashStep`, `dictFind`, `dictGenericDelete`, `dictGetSomeKeys`,
//! `dictGetRandomKey`, `dictResize`) and `src/server.c` (`databasesCron`,
//! `tryResizeHashTables`, `htNeedsResize`, `incrementallyRehash`):
//!
//! - A new key goes at the head of its bucket's chain; a table starts with
//!   4 buckets and, when an insert finds as many keys as buckets, a table of
//!   the next power of two above the key count is allocated and the keys
//!   move to it one bucket per *rehash step*, head first, so a moved chain
//!   comes out reversed. While rehashing, inserts go to the new table and
//!   lookups and deletes look in both.
//! - Every lookup, insert and delete does one step first, as `dictFind`,
//!   `dictAddRaw` and `dictGenericDelete` do; a step visits at most 10 empty
//!   buckets. `dictGetSomeKeys` does one step per key asked for.
//! - `serverCron` (10 times a second, `hz` 10) shrinks a table under 10%
//!   full (`HASHTABLE_MIN_FILL`) to the next power of two above its key
//!   count and then rehashes for 1 ms. Here the tick comes from the
//!   requests' times, and its millisecond finishes the rehash: 1 ms moves
//!   tens of thousands of buckets, more than any table that has just
//!   doubled from a cache's key count needs within one tick.
//!
//! Deviations. The bucket is `mix64(key ^ salt)` masked, with the salt from
//! the run's seed, where Redis takes siphash of the key's bytes with a seed
//! random per start: both are a random assignment of keys to buckets,
//! independent of how the keys are used, and what eviction sees is which
//! keys share or neighbour a bucket, not the hash's values; a run seed
//! makes runs repeat. Redis refuses an expansion whose bucket array would
//! go over `maxmemory` while the load is at most 1.618
//! (`dictExpandAllowed`); a capacity in object units has no bytes for the
//! array, so here a table always expands.

use rand::{Rng as _, RngExt};

use crate::seed::{Rng, mix64};

/// Buckets of a new table (`DICT_HT_INITIAL_SIZE`).
pub const INITIAL_BUCKETS: usize = 4;

/// The fill, in percent, below which the cron shrinks a table
/// (`HASHTABLE_MIN_FILL`).
const MIN_FILL_PERCENT: usize = 10;

/// Nanoseconds between two `serverCron` runs (`hz` 10).
const CRON_PERIOD_NS: u64 = 100_000_000;

/// Empty buckets a rehash step may visit, per bucket it is asked to move.
const EMPTY_VISITS_PER_STEP: usize = 10;

/// The end of a chain.
const NIL: u32 = u32::MAX;

/// One key of the keyspace with its size, its policy metadata and the next
/// entry of its chain.
#[derive(Clone, Copy, Debug)]
pub struct Entry<M> {
    /// The key.
    pub key: u64,
    /// Its size, in the cache's units.
    pub size: u32,
    /// The policy's metadata (LRU stamp, LFU counter).
    pub meta: M,
    next: u32,
}

/// One table: the head entry of each bucket's chain and how many keys it holds.
#[derive(Clone, Debug, Default)]
struct Table {
    heads: Vec<u32>,
    used: usize,
}

impl Table {
    fn with_buckets(buckets: usize) -> Self {
        Table {
            heads: vec![NIL; buckets],
            used: 0,
        }
    }

    #[inline]
    fn mask(&self) -> usize {
        self.heads.len() - 1
    }
}

/// Redis's dict of keys: two tables (the second only while rehashing) and
/// the entries, in a slab whose free slots are chained.
#[derive(Clone, Debug)]
pub struct Dict<M> {
    entries: Vec<Entry<M>>,
    /// First free slot of `entries`, chained through `next`.
    free: u32,
    tables: [Table; 2],
    /// While rehashing, the first bucket of table 0 not yet moved.
    rehash_idx: Option<usize>,
    salt: u64,
    bytes: u64,
    /// When the next cron runs.
    next_cron_ns: u64,
}

impl<M: Copy> Dict<M> {
    /// An empty keyspace whose buckets are salted with `salt`.
    pub fn new(salt: u64) -> Self {
        Dict {
            entries: Vec::new(),
            free: NIL,
            tables: [Table::with_buckets(INITIAL_BUCKETS), Table::default()],
            rehash_idx: None,
            salt,
            bytes: 0,
            next_cron_ns: 0,
        }
    }

    /// Keys held.
    #[inline]
    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    /// True when no key is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total size of the keys held.
    #[inline]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Buckets of table 0 and of table 1 (0 unless rehashing).
    pub fn buckets(&self) -> (usize, usize) {
        (self.tables[0].heads.len(), self.tables[1].heads.len())
    }

    /// While rehashing, the first bucket of table 0 not yet moved.
    pub fn rehash_index(&self) -> Option<usize> {
        self.rehash_idx
    }

    /// The bucket of `key` in a table of `buckets` buckets.
    #[inline]
    pub fn bucket_of(&self, key: u64, buckets: usize) -> usize {
        (mix64(key ^ self.salt) as usize) & (buckets - 1)
    }

    /// The entry `id` (as [`Dict::some_keys`] returns them).
    #[inline]
    pub fn entry(&self, id: u32) -> &Entry<M> {
        &self.entries[id as usize]
    }

    /// The tables to look in: table 0, and table 1 while rehashing.
    #[inline]
    fn live_tables(&self) -> usize {
        if self.rehash_idx.is_some() { 2 } else { 1 }
    }

    /// The entry of `key` and the one before it in its chain, if held.
    #[inline]
    fn locate(&self, key: u64) -> Option<(usize, usize, u32, u32)> {
        for t in 0..self.live_tables() {
            let table = &self.tables[t];
            let b = self.bucket_of(key, table.heads.len());
            let (mut prev, mut e) = (NIL, table.heads[b]);
            while e != NIL {
                let entry = &self.entries[e as usize];
                if entry.key == key {
                    return Some((t, b, prev, e));
                }
                (prev, e) = (e, entry.next);
            }
        }
        None
    }

    /// The entry of `key`, without a rehash step (for read-only checks).
    #[inline]
    pub fn get(&self, key: u64) -> Option<&Entry<M>> {
        self.locate(key).map(|(.., e)| &self.entries[e as usize])
    }

    /// `dictFind`: a rehash step, then the entry of `key`, if held.
    #[inline]
    pub fn find_mut(&mut self, key: u64) -> Option<&mut Entry<M>> {
        if self.is_empty() {
            return None;
        }
        self.step();
        let (.., e) = self.locate(key)?;
        Some(&mut self.entries[e as usize])
    }

    /// What a SET of an absent key does to the keyspace: the lookup of
    /// `lookupKeyWrite` (`dictFind`), then `dictAddRaw` (a step, the
    /// expansion check, the key at the head of its chain, in the new table
    /// while rehashing).
    pub fn insert(&mut self, key: u64, size: u32, meta: M) {
        debug_assert!(self.get(key).is_none(), "key {key} added twice");
        if !self.is_empty() {
            self.step();
        }
        self.step();
        self.expand_if_needed();
        let t = self.live_tables() - 1;
        let b = self.bucket_of(key, self.tables[t].heads.len());
        let entry = Entry {
            key,
            size,
            meta,
            next: self.tables[t].heads[b],
        };
        let id = if self.free == NIL {
            let id = u32::try_from(self.entries.len())
                .ok()
                .filter(|&id| id != NIL)
                .expect("more than 2^32 - 1 keys");
            self.entries.push(entry);
            id
        } else {
            let id = self.free;
            self.free = self.entries[id as usize].next;
            self.entries[id as usize] = entry;
            id
        };
        self.tables[t].heads[b] = id;
        self.tables[t].used += 1;
        self.bytes += u64::from(size);
    }

    /// `dictDelete`: a rehash step, then `key` unlinked from its chain.
    /// Returns its entry, if it was held.
    pub fn delete(&mut self, key: u64) -> Option<Entry<M>> {
        if self.is_empty() {
            return None;
        }
        self.step();
        let (t, b, prev, e) = self.locate(key)?;
        let entry = self.entries[e as usize];
        if prev == NIL {
            self.tables[t].heads[b] = entry.next;
        } else {
            self.entries[prev as usize].next = entry.next;
        }
        self.tables[t].used -= 1;
        self.entries[e as usize].next = self.free;
        self.free = e;
        self.bytes -= u64::from(entry.size);
        Some(entry)
    }

    /// `_dictRehashStep`: one step of the rehash in progress, if any.
    #[inline]
    fn step(&mut self) {
        if self.rehash_idx.is_some() {
            self.rehash(1);
        }
    }

    /// `dictRehash(d, n)`: moves up to `n` non-empty buckets of table 0 to
    /// table 1, visiting at most `10 n` empty ones; table 1 becomes table 0
    /// when table 0 is empty.
    fn rehash(&mut self, mut n: usize) {
        let Some(mut idx) = self.rehash_idx else {
            return;
        };
        let mut empty_visits = n * EMPTY_VISITS_PER_STEP;
        'steps: while n > 0 && self.tables[0].used != 0 {
            n -= 1;
            while self.tables[0].heads[idx] == NIL {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    break 'steps;
                }
            }
            let mut e = std::mem::replace(&mut self.tables[0].heads[idx], NIL);
            let buckets = self.tables[1].heads.len();
            while e != NIL {
                let next = self.entries[e as usize].next;
                let b = self.bucket_of(self.entries[e as usize].key, buckets);
                self.entries[e as usize].next = self.tables[1].heads[b];
                self.tables[1].heads[b] = e;
                self.tables[0].used -= 1;
                self.tables[1].used += 1;
                e = next;
            }
            idx += 1;
        }
        if self.tables[0].used == 0 {
            self.tables[0] = std::mem::take(&mut self.tables[1]);
            self.rehash_idx = None;
        } else {
            self.rehash_idx = Some(idx);
        }
    }

    /// `_dictExpand(d, size)`: a table of the next power of two at or above
    /// `size` (at least 4) to rehash into, unless rehashing already, `size`
    /// is below the key count or the table would not change; an empty
    /// table is replaced at once.
    fn expand(&mut self, size: usize) {
        if self.rehash_idx.is_some() || self.tables[0].used > size {
            return;
        }
        let buckets = size.max(INITIAL_BUCKETS).next_power_of_two();
        if buckets == self.tables[0].heads.len() {
            return;
        }
        if self.tables[0].used == 0 {
            self.tables[0] = Table::with_buckets(buckets);
        } else {
            self.tables[1] = Table::with_buckets(buckets);
            self.rehash_idx = Some(0);
        }
    }

    /// `_dictExpandIfNeeded`: not while rehashing; when table 0 holds as
    /// many keys as buckets, expand to the key count + 1.
    fn expand_if_needed(&mut self) {
        let table = &self.tables[0];
        if self.rehash_idx.is_none() && table.used >= table.heads.len() {
            self.expand(table.used + 1);
        }
    }

    /// What `serverCron` does to the keyspace when it has run since the
    /// last call, by `time_ns`: `tryResizeHashTables` (shrink a table under
    /// 10% full, as `dictResize`) then `incrementallyRehash` (its 1 ms,
    /// taken to finish the rehash).
    #[inline]
    pub fn cron(&mut self, time_ns: u64) {
        if time_ns < self.next_cron_ns {
            return;
        }
        self.next_cron_ns = (time_ns / CRON_PERIOD_NS + 1) * CRON_PERIOD_NS;
        let (used, buckets) = (self.len(), self.tables[0].heads.len());
        if self.rehash_idx.is_none()
            && buckets > INITIAL_BUCKETS
            && used * 100 / buckets < MIN_FILL_PERCENT
        {
            self.expand(used);
        }
        if self.rehash_idx.is_some() {
            self.rehash(usize::MAX / EMPTY_VISITS_PER_STEP);
        }
    }

    /// `dictGetSomeKeys`: up to `count` keys (fewer when the walk ends
    /// first) pushed onto `out` as entry ids, walking consecutive buckets
    /// from a random one. First up to `count` rehash steps; then at each
    /// bucket index the chain of each table in use (table 0's buckets below
    /// the rehash index are empty and skipped, jumping to the rehash index
    /// when the index is past table 1's end), whole chains from the head;
    /// after a run of empty buckets of at least 5 and more than `count` the
    /// walk jumps to a new random index; at most `10 count` indices.
    pub fn some_keys(&mut self, count: usize, rng: &mut Rng, out: &mut Vec<u32>) {
        out.clear();
        let count = count.min(self.len());
        for _ in 0..count {
            if self.rehash_idx.is_none() {
                break;
            }
            self.step();
        }
        let tables = self.live_tables();
        let rehash_idx = self.rehash_idx.unwrap_or(0);
        let mask = self.tables[0].mask().max(if tables == 2 {
            self.tables[1].mask()
        } else {
            0
        });
        let mut i = (rng.next_u64() as usize) & mask;
        let mut empty_run = 0;
        let mut steps = count * 10;
        while out.len() < count && steps > 0 {
            steps -= 1;
            for t in 0..tables {
                if tables == 2 && t == 0 && i < rehash_idx {
                    if i >= self.tables[1].heads.len() {
                        i = rehash_idx;
                    } else {
                        continue;
                    }
                }
                let heads = &self.tables[t].heads;
                if i >= heads.len() {
                    continue;
                }
                let mut e = heads[i];
                if e == NIL {
                    empty_run += 1;
                    if empty_run >= 5 && empty_run > count {
                        i = (rng.next_u64() as usize) & mask;
                        empty_run = 0;
                    }
                } else {
                    empty_run = 0;
                    while e != NIL {
                        out.push(e);
                        if out.len() == count {
                            return;
                        }
                        e = self.entries[e as usize].next;
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// `dictGetRandomKey`: a rehash step; then random bucket indices until
    /// a non-empty bucket (while rehashing, over both tables' buckets from
    /// the rehash index on), and a uniformly drawn entry of its chain. The
    /// keyspace must hold a key.
    pub fn random_key(&mut self, rng: &mut Rng) -> u64 {
        assert!(!self.is_empty(), "a random key of an empty keyspace");
        self.step();
        let mut e;
        if let Some(idx) = self.rehash_idx {
            let s0 = self.tables[0].heads.len();
            let slots = s0 + self.tables[1].heads.len();
            loop {
                let h = idx + (rng.next_u64() % (slots - idx) as u64) as usize;
                e = if h >= s0 {
                    self.tables[1].heads[h - s0]
                } else {
                    self.tables[0].heads[h]
                };
                if e != NIL {
                    break;
                }
            }
        } else {
            let table = &self.tables[0];
            loop {
                e = table.heads[(rng.next_u64() as usize) & table.mask()];
                if e != NIL {
                    break;
                }
            }
        }
        let mut chain = 0;
        let mut at = e;
        while at != NIL {
            chain += 1;
            at = self.entries[at as usize].next;
        }
        for _ in 0..rng.random_range(0..chain) {
            e = self.entries[e as usize].next;
        }
        self.entries[e as usize].key
    }

    /// The keys of bucket `b` of table `t`, from the head of its chain.
    pub fn chain(&self, t: usize, b: usize) -> Vec<u64> {
        let mut keys = Vec::new();
        let mut e = self.tables[t].heads[b];
        while e != NIL {
            keys.push(self.entries[e as usize].key);
            e = self.entries[e as usize].next;
        }
        keys
    }

    /// Every held entry, table by table, bucket by bucket, chains from the head.
    pub fn iter(&self) -> impl Iterator<Item = &Entry<M>> {
        self.tables[..self.live_tables()].iter().flat_map(|table| {
            table.heads.iter().flat_map(|&head| {
                std::iter::successors((head != NIL).then_some(head), |&e| {
                    let next = self.entries[e as usize].next;
                    (next != NIL).then_some(next)
                })
                .map(|e| &self.entries[e as usize])
            })
        })
    }

    /// Panics unless both tables are powers of two from 4, every key sits
    /// in its own bucket of its table (none of table 0's below the rehash
    /// index), counts, sizes and free slots add up, and a table is in
    /// rehash exactly when table 1 exists.
    pub fn check(&self) {
        let rehashing = self.rehash_idx.is_some();
        assert_eq!(
            rehashing,
            !self.tables[1].heads.is_empty(),
            "table 1 exists exactly while rehashing"
        );
        let mut held = 0;
        let mut bytes = 0;
        for (t, table) in self.tables[..self.live_tables()].iter().enumerate() {
            let n = table.heads.len();
            assert!(
                n.is_power_of_two() && n >= INITIAL_BUCKETS,
                "table {t} has {n} buckets, not a power of two from {INITIAL_BUCKETS}"
            );
            let mut used = 0;
            for b in 0..n {
                for key in self.chain(t, b) {
                    assert_eq!(self.bucket_of(key, n), b, "key {key} in the wrong bucket");
                    if t == 0 {
                        assert!(
                            b >= self.rehash_idx.unwrap_or(0),
                            "key {key} in an already moved bucket {b}"
                        );
                    }
                    bytes += u64::from(self.get(key).expect("a chained key is found").size);
                    used += 1;
                }
            }
            assert_eq!(used, table.used, "table {t} counts {} keys", table.used);
            held += used;
        }
        let mut free = 0;
        let mut e = self.free;
        while e != NIL {
            free += 1;
            e = self.entries[e as usize].next;
        }
        assert_eq!(held + free, self.entries.len(), "entries leak");
        assert_eq!(bytes, self.bytes, "byte count disagrees with the keys");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;

    /// `n` keys (from 0 up) that fall in bucket `b` of a table of `buckets`.
    fn keys_in(dict: &Dict<()>, b: usize, buckets: usize, n: usize) -> Vec<u64> {
        (0..)
            .filter(|&k| dict.bucket_of(k, buckets) == b)
            .take(n)
            .collect()
    }

    /// The start bucket `some_keys` will draw from a clone of `rng`.
    fn start(rng: &Rng, mask: usize) -> usize {
        (rng.clone().next_u64() as usize) & mask
    }

    fn keys_of(dict: &Dict<()>, ids: &[u32]) -> Vec<u64> {
        ids.iter().map(|&id| dict.entry(id).key).collect()
    }

    #[test]
    fn a_new_key_goes_at_the_head_of_its_chain() {
        let mut dict = Dict::new(7);
        let keys = keys_in(&dict, 2, 4, 3);
        for &k in &keys {
            dict.insert(k, 1, ());
        }
        assert_eq!(dict.chain(0, 2), [keys[2], keys[1], keys[0]]);
        assert_eq!(dict.buckets(), (4, 0));
        // Deleting the middle one keeps the others' order.
        assert!(dict.delete(keys[1]).is_some());
        assert_eq!(dict.chain(0, 2), [keys[2], keys[0]]);
        assert!(dict.delete(keys[1]).is_none());
        dict.check();
    }

    #[test]
    fn the_walk_takes_whole_chains_of_consecutive_buckets_from_the_head() {
        // 8 keys in 4 buckets would expand; put 4 keys in a 4-bucket table:
        // bucket 1 holds a, b (b at the head), bucket 2 holds c, bucket 3
        // holds d. Ask for 3 from a start at bucket 1: b, a, then c.
        let mut dict = Dict::new(11);
        let one = keys_in(&dict, 1, 4, 2);
        let (c, d) = (keys_in(&dict, 2, 4, 1)[0], keys_in(&dict, 3, 4, 1)[0]);
        for k in [one[0], one[1], c, d] {
            dict.insert(k, 1, ());
        }
        assert_eq!(dict.buckets(), (4, 0));
        let mut rng = Seed(1).rng();
        while start(&rng, 3) != 1 {
            rng.next_u64();
        }
        let mut out = Vec::new();
        dict.some_keys(3, &mut rng, &mut out);
        assert_eq!(keys_of(&dict, &out), [one[1], one[0], c]);
        // From bucket 3: d, then wrap to bucket 0 (empty), then 1's chain,
        // cut at the head once 3 are taken.
        while start(&rng, 3) != 3 {
            rng.next_u64();
        }
        dict.some_keys(3, &mut rng, &mut out);
        assert_eq!(keys_of(&dict, &out), [d, one[1], one[0]]);
        // Asking for more keys than held takes them all.
        dict.some_keys(10, &mut rng, &mut out);
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn the_walk_jumps_after_five_empty_buckets_and_gives_up_after_ten() {
        // One key in bucket `b` of 16 (the others deleted; no cron ran, so
        // the table kept its size). Asking for 1 key: from start s the walk
        // reads s..s+4, five empties jump to a random r, whose own index is
        // passed over (the walk steps on before reading), r+1..r+5, and ten
        // indices end it. So it finds the key exactly when b is in one of
        // those runs.
        let mut dict = Dict::new(3);
        for k in 0..17 {
            dict.insert(k, 1, ());
        }
        while dict.rehash_index().is_some() {
            dict.find_mut(0);
        }
        assert_eq!(dict.buckets(), (32, 0));
        for k in 1..17 {
            dict.delete(k);
        }
        let b = dict.bucket_of(0, 32);
        let mut rng = Seed(2).rng();
        let mut out = Vec::new();
        let (mut found, mut missed) = (0, 0);
        for _ in 0..500 {
            let mut ahead = rng.clone();
            let s = (ahead.next_u64() as usize) & 31;
            let r = (ahead.next_u64() as usize) & 31;
            let within = |from: usize| (0..5).any(|d| (from + d) & 31 == b);
            let expect = within(s) || (!within(s) && within(r + 1));
            dict.some_keys(1, &mut rng, &mut out);
            assert_eq!(!out.is_empty(), expect, "start {s}, jump {r}, key at {b}");
            if expect {
                found += 1;
            } else {
                missed += 1;
            }
        }
        assert!(found > 0 && missed > 0, "{found} found, {missed} missed");
    }

    #[test]
    fn an_expansion_rehashes_a_bucket_per_operation_and_the_walk_reads_both_tables() {
        let mut dict = Dict::new(5);
        for k in 0..4 {
            dict.insert(k, 1, ());
        }
        assert_eq!(dict.buckets(), (4, 0));
        // The fifth insert finds 4 keys in 4 buckets: an 8-bucket table 1,
        // the new key in it; its own two steps (the lookup and the add's)
        // come before the expansion.
        dict.insert(4, 1, ());
        assert_eq!(dict.buckets(), (4, 8));
        assert_eq!(dict.rehash_index(), Some(0));
        assert_eq!(dict.tables[1].used, 1);
        dict.check();
        // Every key is still found, and the walk returns all five.
        let mut rng = Seed(9).rng();
        let mut out = Vec::new();
        let mut seen = Vec::new();
        // Ask for 0 keys: no steps are taken.
        dict.some_keys(0, &mut rng, &mut out);
        assert!(out.is_empty());
        assert_eq!(dict.rehash_index(), Some(0));
        for k in 0..5 {
            assert!(dict.get(k).is_some());
        }
        // One lookup is one step: a non-empty bucket of table 0 moves.
        let before = dict.tables[0].used;
        dict.find_mut(0);
        assert!(dict.tables[0].used < before || dict.rehash_index().is_none());
        if dict.rehash_index().is_some() {
            dict.some_keys(1, &mut rng, &mut out);
        }
        while dict.rehash_index().is_some() {
            dict.find_mut(99);
        }
        dict.some_keys(5, &mut rng, &mut out);
        seen.extend(keys_of(&dict, &out));
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        assert_eq!(dict.buckets(), (8, 0));
        dict.check();
    }

    /// `key` at the head of its bucket in table `t`, as an insert puts it.
    fn put(dict: &mut Dict<()>, t: usize, key: u64) {
        let b = dict.bucket_of(key, dict.tables[t].heads.len());
        let id = dict.entries.len() as u32;
        dict.entries.push(Entry {
            key,
            size: 1,
            meta: (),
            next: dict.tables[t].heads[b],
        });
        dict.tables[t].heads[b] = id;
        dict.tables[t].used += 1;
        dict.bytes += 1;
    }

    #[test]
    fn while_rehashing_the_walk_reads_both_tables_and_skips_moved_buckets() {
        // Table 0 of 8 buckets rehashing into table 1 of 16, nothing moved
        // yet: table 0 holds A (bucket 0), B (1), C (2) and D, E (6, E at
        // the head); table 1 holds N (3), added since the rehash began.
        let mut dict = Dict::new(17);
        let with = |dict: &Dict<()>, low: usize, n: usize| -> Vec<u64> {
            (0..)
                .filter(|&k| dict.bucket_of(k, 16) == low)
                .take(n)
                .collect()
        };
        let (a, b, c, n) = (
            with(&dict, 0, 1)[0],
            with(&dict, 1, 1)[0],
            with(&dict, 2, 1)[0],
            with(&dict, 3, 1)[0],
        );
        let de = with(&dict, 6, 2);
        dict.tables[0] = Table::with_buckets(8);
        dict.tables[1] = Table::with_buckets(16);
        dict.rehash_idx = Some(0);
        for k in [a, b, c, de[0], de[1]] {
            put(&mut dict, 0, k);
        }
        put(&mut dict, 1, n);
        dict.check();
        // Asking for 3: three steps move buckets 0, 1, 2 (A, B, C to table
        // 1's buckets 0, 1, 2); the rehash index is 3. From start 2: table
        // 0's bucket 2 is below the index, skipped; table 1's gives C. At 3:
        // table 0 empty, table 1 gives N. At 4, 5: all empty. At 6: table
        // 0's chain from its head, E, and 3 are taken.
        let mut rng = Seed(4).rng();
        while start(&rng, 15) != 2 {
            rng.next_u64();
        }
        let mut out = Vec::new();
        dict.some_keys(3, &mut rng, &mut out);
        assert_eq!(dict.rehash_index(), Some(3));
        assert_eq!(dict.chain(1, 0), [a]);
        assert_eq!(keys_of(&dict, &out), [c, n, de[1]]);
        dict.check();
    }

    #[test]
    fn a_shrinking_walk_past_the_small_table_jumps_to_the_rehash_index() {
        // Table 0 of 16 shrinking into table 1 of 4, moved up to bucket 13:
        // keys left at 13 (X) and 14 (Y); table 1 holds Z (bucket 1). Ask
        // for 1: the step moves X into table 1. From start 6 (below the
        // index, past table 1's end) the walk jumps to the index, 14, and
        // takes Y.
        let mut dict = Dict::new(23);
        let with = |dict: &Dict<()>, b: usize| -> u64 {
            (0..).find(|&k| dict.bucket_of(k, 16) == b).unwrap()
        };
        let (x, y) = (with(&dict, 13), with(&dict, 14));
        let z = (0..).find(|&k| dict.bucket_of(k, 16) == 5).unwrap();
        dict.tables[0] = Table::with_buckets(16);
        dict.tables[1] = Table::with_buckets(4);
        dict.rehash_idx = Some(13);
        put(&mut dict, 0, x);
        put(&mut dict, 0, y);
        put(&mut dict, 1, z);
        dict.check();
        let mut rng = Seed(5).rng();
        while start(&rng, 15) != 6 {
            rng.next_u64();
        }
        let mut out = Vec::new();
        dict.some_keys(1, &mut rng, &mut out);
        assert_eq!(dict.rehash_index(), Some(14));
        assert_eq!(keys_of(&dict, &out), [y]);
        dict.check();
    }

    #[test]
    fn the_cron_finishes_a_rehash_and_shrinks_a_sparse_table() {
        let mut dict = Dict::new(1);
        for k in 0..100 {
            dict.insert(k, 1, ());
        }
        assert_eq!(dict.buckets().0.max(dict.buckets().1), 128);
        dict.cron(0);
        assert_eq!(dict.buckets(), (128, 0));
        // 12 keys in 128 buckets is 9%: the next tick shrinks to 16 and
        // finishes at once; the tick after needs nothing.
        for k in 12..100 {
            assert!(dict.delete(k).is_some());
        }
        dict.cron(50_000_000);
        assert_eq!(dict.buckets(), (128, 0), "no tick has passed");
        dict.cron(100_000_000);
        assert_eq!(dict.buckets(), (16, 0));
        dict.check();
        for k in 0..12 {
            assert!(dict.get(k).is_some());
        }
    }

    #[test]
    fn a_key_alone_in_its_bucket_is_drawn_more_often_than_one_sharing() {
        // Three keys in 4 buckets: two share bucket 0, one is alone in 1.
        // `dictGetRandomKey` draws a non-empty bucket uniformly, then an
        // entry of its chain: the lone key 1/2, each sharing one 1/4.
        let mut dict = Dict::new(2);
        let pair = keys_in(&dict, 0, 4, 2);
        let lone = keys_in(&dict, 1, 4, 1)[0];
        for k in [pair[0], pair[1], lone] {
            dict.insert(k, 1, ());
        }
        let mut rng = Seed(3).rng();
        let draws = 30_000;
        let mut hits = [0u32; 3];
        for _ in 0..draws {
            let k = dict.random_key(&mut rng);
            hits[[pair[0], pair[1], lone]
                .iter()
                .position(|&x| x == k)
                .unwrap()] += 1;
        }
        let share = |n: u32| f64::from(n) / f64::from(draws);
        assert!((share(hits[2]) - 0.5).abs() < 0.02, "{hits:?}");
        assert!((share(hits[0]) - 0.25).abs() < 0.02, "{hits:?}");
    }

    #[test]
    fn a_random_key_while_rehashing_comes_from_either_table() {
        let mut dict = Dict::new(8);
        for k in 0..5 {
            dict.insert(k, 1, ());
        }
        assert!(dict.rehash_index().is_some());
        let mut rng = Seed(6).rng();
        let k = dict.random_key(&mut rng);
        assert!(dict.get(k).is_some());
        dict.check();
    }
}
