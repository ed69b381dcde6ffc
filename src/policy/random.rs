//! Random: evict a resident object chosen uniformly at random.
//!
//! The memoryless baseline (analysed by Gelenbe, "A unified approach to the
//! evaluation of a class of replacement algorithms", IEEE Trans. Computers
//! 1973, who showed that under independent requests it has the same hit ratio
//! as FIFO). Victims come from the policy's own seeded generator, so runs are
//! reproducible. No parameters.

use rand::RngExt;

use super::parts::dense::DenseSet;
use super::parts::room::make_room;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;
use crate::seed::{Rng, Seed};

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "random",
    about: "evict a uniformly random resident object",
    source: "Gelenbe, IEEE Transactions on Computers 1973",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(RandomEviction::new(args.capacity, args.seed))
}

/// Uniformly random eviction.
pub struct RandomEviction {
    capacity: u64,
    objects: DenseSet<()>,
    rng: Rng,
}

impl RandomEviction {
    /// An empty cache of `capacity` units whose victims are drawn from `seed`.
    pub fn new(capacity: u64, seed: Seed) -> Self {
        RandomEviction {
            capacity,
            objects: DenseSet::default(),
            rng: seed.rng(),
        }
    }
}

impl Policy for RandomEviction {
    fn get(&mut self, req: &Request) -> bool {
        self.objects.find(req.key).is_some()
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let admitted = make_room(self, req.size, evicted, |random, evicted| {
            let victim = random.rng.random_range(0..random.objects.len());
            let item = random.objects.remove_at(victim);
            evicted.push(item.key);
        });
        if admitted {
            self.objects.add(req.key, req.size, ());
        }
        admitted
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(pos) = self.objects.find(key) else {
            return false;
        };
        self.objects.remove_at(pos);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.objects.find(key).is_some()
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        self.objects.occupancy(self.capacity)
    }

    fn check_invariants(&self) {
        self.objects.check();
        assert!(self.objects.bytes() <= self.capacity, "over capacity");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn victims_are_spread_over_all_residents() {
        // Fill 4 slots, then insert many new keys: each of the first four
        // should be evicted first about a quarter of the time.
        let mut first_victims = [0u32; 4];
        for seed in 0..4000 {
            let mut cache = RandomEviction::new(4, Seed(seed));
            let mut evicted = Vec::new();
            for key in 0..4 {
                cache.insert(&Request::get(key, 1), &mut evicted);
            }
            cache.insert(&Request::get(99, 1), &mut evicted);
            first_victims[evicted[0] as usize] += 1;
        }
        for count in first_victims {
            assert!((850..1150).contains(&count), "{first_victims:?}");
        }
    }
}
