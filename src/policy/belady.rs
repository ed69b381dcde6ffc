//! Belady: the offline optimum. Evict the resident object whose next request
//! is farthest in the future; do not admit an object whose own next request
//! is farther than that of every resident.
//!
//! Belady, "A study of replacement algorithms for a virtual-storage computer",
//! IBM Systems Journal 1966 (MIN), with bypass as in Mattson et al. 1970 (OPT).
//! With unit sizes this is optimal: no policy gets more hits on the same
//! stream, which the conformance suite checks. With variable sizes optimal
//! caching is NP-hard; this is then the usual farthest-next-use heuristic (the
//! bypass test is made once, against the first victim).
//!
//! Each request's `next_access` must be filled in: from the trace's own
//! next-access field (oracleGeneral) or from a pre-pass over the stream.
//! Residents live in a max-heap on (next access, key) with lazy deletion:
//! stale heap entries are skipped when popped and the heap is rebuilt when
//! they outnumber live ones.

use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use super::parts::room::evict_until_fits;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "belady",
    about: "offline optimum: evict the object requested farthest in the future",
    source: "Belady, IBM Systems Journal 1966; Mattson et al. 1970",
    params: &[],
    needs_future: true,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Belady::new(args.capacity))
}

/// What Belady keeps per resident object.
#[derive(Clone, Copy, Debug)]
struct Resident {
    next_access: u64,
    size: u32,
}

/// Farthest-next-use eviction with bypass.
pub struct Belady {
    capacity: u64,
    used: u64,
    residents: FxHashMap<u64, Resident>,
    /// (next access, key); an entry is live only if it matches `residents`.
    heap: BinaryHeap<(u64, u64)>,
}

impl Belady {
    /// An empty cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Belady {
            capacity,
            used: 0,
            residents: FxHashMap::default(),
            heap: BinaryHeap::new(),
        }
    }

    fn is_live(&self, (next_access, key): (u64, u64)) -> bool {
        self.residents
            .get(&key)
            .is_some_and(|r| r.next_access == next_access)
    }

    /// The live heap entry with the farthest next access, dropping stale ones.
    fn farthest(&mut self) -> Option<(u64, u64)> {
        while let Some(&top) = self.heap.peek() {
            if self.is_live(top) {
                return Some(top);
            }
            self.heap.pop();
        }
        None
    }

    fn push(&mut self, next_access: u64, key: u64) {
        self.heap.push((next_access, key));
        if self.heap.len() > 2 * self.residents.len() + 64 {
            let live: Vec<(u64, u64)> = self
                .residents
                .iter()
                .map(|(&key, r)| (r.next_access, key))
                .collect();
            self.heap = BinaryHeap::from(live);
        }
    }
}

impl Policy for Belady {
    fn get(&mut self, req: &Request) -> bool {
        match self.residents.get_mut(&req.key) {
            Some(resident) => {
                resident.next_access = req.next_access;
                self.push(req.next_access, req.key);
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let size = u64::from(req.size);
        if size > self.capacity {
            return false;
        }
        if self.used + size > self.capacity {
            let (farthest, _) = self.farthest().expect("over capacity means residents");
            if req.next_access >= farthest {
                return false;
            }
        }
        evict_until_fits(self, req.size, evicted, |belady, evicted| {
            let (_, key) = belady.farthest().expect("over capacity means residents");
            belady.heap.pop();
            let resident = belady.residents.remove(&key).expect("live entry");
            belady.used -= u64::from(resident.size);
            evicted.push(key);
        });
        self.residents.insert(
            req.key,
            Resident {
                next_access: req.next_access,
                size: req.size,
            },
        );
        self.used += size;
        self.push(req.next_access, req.key);
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        match self.residents.remove(&key) {
            Some(resident) => {
                self.used -= u64::from(resident.size);
                true
            }
            None => false,
        }
    }

    fn contains(&self, key: u64) -> bool {
        self.residents.contains_key(&key)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.residents.len(),
            used: self.used,
            capacity: self.capacity,
        }
    }

    fn check_invariants(&self) {
        let sum: u64 = self.residents.values().map(|r| u64::from(r.size)).sum();
        assert_eq!(sum, self.used, "used bytes");
        assert!(self.used <= self.capacity, "over capacity");
        for (&key, r) in &self.residents {
            assert!(
                self.heap.iter().any(|&e| e == (r.next_access, key)),
                "resident {key} has no live heap entry"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::annotate_next_access;

    fn run(keys: &[u64], capacity: u64) -> (u64, Vec<u64>) {
        let mut requests: Vec<Request> = keys.iter().map(|&k| Request::get(k, 1)).collect();
        annotate_next_access(&mut requests);
        let mut cache = Belady::new(capacity);
        let mut evicted = Vec::new();
        let mut hits = 0;
        for req in &requests {
            if cache.get(req) {
                hits += 1;
            } else {
                cache.insert(req, &mut evicted);
            }
            cache.check_invariants();
        }
        (hits, evicted)
    }

    #[test]
    fn evicts_the_object_needed_last() {
        // Cache of 2 holds 1, 2. At 3: 1 is next needed at position 3, 2 at
        // position 5, 3 at position 4, so 2 goes. When 2 comes back, 1 and 3
        // are never needed again, and neither is 2: it is not admitted.
        let (hits, evicted) = run(&[1, 2, 3, 1, 3, 2], 2);
        assert_eq!(evicted, [2]);
        assert_eq!(hits, 2);
    }

    #[test]
    fn bypasses_an_object_needed_later_than_all_residents() {
        // 9 is never requested again, so it does not displace 1 or 2.
        let (hits, evicted) = run(&[1, 2, 9, 1, 2], 2);
        assert!(evicted.is_empty());
        assert_eq!(hits, 2);
    }

    #[test]
    fn matches_the_textbook_example() {
        // Silberschatz's reference string with 3 frames: optimal demand
        // paging has 9 faults. Bypass saves one more: the 4 at position 7 is
        // never requested again, so it does not displace 0, 2 or 3.
        let string = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
        let (hits, _) = run(&string, 3);
        assert_eq!(20 - hits, 8);
    }

    /// The most hits any policy (admission allowed) can get, by exhaustive
    /// search over cache contents.
    fn optimal_hits(keys: &[u64], capacity: usize) -> u64 {
        use std::collections::BTreeMap;
        // State: sorted resident keys → best hits so far.
        let mut states: BTreeMap<Vec<u64>, u64> = BTreeMap::from([(Vec::new(), 0)]);
        for &key in keys {
            let mut next: BTreeMap<Vec<u64>, u64> = BTreeMap::new();
            let mut offer = |state: Vec<u64>, hits: u64| {
                let best = next.entry(state).or_insert(0);
                *best = (*best).max(hits);
            };
            for (state, hits) in states {
                if state.contains(&key) {
                    offer(state, hits + 1);
                    continue;
                }
                offer(state.clone(), hits); // bypass
                if state.len() < capacity {
                    let mut s = state.clone();
                    s.push(key);
                    s.sort_unstable();
                    offer(s, hits);
                } else {
                    for victim in 0..state.len() {
                        let mut s = state.clone();
                        s[victim] = key;
                        s.sort_unstable();
                        offer(s, hits);
                    }
                }
            }
            states = next;
        }
        states.into_values().max().unwrap_or(0)
    }

    #[test]
    fn matches_exhaustive_search_on_small_strings() {
        use rand::RngExt;
        let mut rng = crate::seed::Seed(5).rng();
        for _ in 0..300 {
            let len = rng.random_range(1..16);
            let keys: Vec<u64> = (0..len).map(|_| rng.random_range(0..6)).collect();
            let capacity = rng.random_range(1..4);
            assert_eq!(
                run(&keys, capacity as u64).0,
                optimal_hits(&keys, capacity),
                "{keys:?} at {capacity}"
            );
        }
    }
}
