//! Model-based property tests: LRU and FIFO against naive reference models,
//! driven by random operation sequences over few keys (to force collisions).

use crate::common;

use cachelab::policy::{Policy, PolicyChoice};
use cachelab::request::Request;
use cachelab::seed::Seed;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    /// Get the key; on a miss insert it with this size.
    Access(u8, u32),
    Remove(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..12, 1u32..6).prop_map(|(k, s)| Op::Access(k, s)),
        1 => (0u8..12).prop_map(Op::Remove),
    ]
}

/// The obvious implementation: a vector ordered from evicted-first to
/// evicted-last; `touch` says whether a hit moves the key to the back.
struct Naive {
    capacity: u64,
    order: Vec<(u64, u32)>,
    touch: bool,
}

impl Naive {
    fn used(&self) -> u64 {
        self.order.iter().map(|&(_, s)| u64::from(s)).sum()
    }

    fn get(&mut self, key: u64) -> bool {
        match self.order.iter().position(|&(k, _)| k == key) {
            Some(i) => {
                if self.touch {
                    let entry = self.order.remove(i);
                    self.order.push(entry);
                }
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, key: u64, size: u32) -> (bool, Vec<u64>) {
        if u64::from(size) > self.capacity {
            return (false, Vec::new());
        }
        let mut evicted = Vec::new();
        while self.used() + u64::from(size) > self.capacity {
            evicted.push(self.order.remove(0).0);
        }
        self.order.push((key, size));
        (true, evicted)
    }

    fn remove(&mut self, key: u64) -> bool {
        let before = self.order.len();
        self.order.retain(|&(k, _)| k != key);
        self.order.len() != before
    }
}

fn check_against_model(
    name: &str,
    touch: bool,
    capacity: u64,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let mut policy: Box<dyn Policy> = PolicyChoice::parse(name).unwrap().build(capacity, Seed(0));
    let mut model = Naive {
        capacity,
        order: Vec::new(),
        touch,
    };
    let mut evicted = Vec::new();
    for op in ops {
        match *op {
            Op::Access(key, size) => {
                let req = Request::get(u64::from(key), size);
                let hit = policy.get(&req);
                prop_assert_eq!(hit, model.get(req.key), "{} get {:?}", name, op);
                if !hit {
                    evicted.clear();
                    let admitted = policy.insert(&req, &mut evicted);
                    let (model_admitted, model_evicted) = model.insert(req.key, size);
                    prop_assert_eq!(admitted, model_admitted, "{} insert {:?}", name, op);
                    prop_assert_eq!(&evicted, &model_evicted, "{} evictions on {:?}", name, op);
                }
            }
            Op::Remove(key) => {
                prop_assert_eq!(
                    policy.remove(u64::from(key)),
                    model.remove(u64::from(key)),
                    "{} {:?}",
                    name,
                    op
                );
            }
        }
        prop_assert_eq!(policy.used(), model.used());
        prop_assert_eq!(policy.len(), model.order.len());
        policy.check_invariants();
    }
    Ok(())
}

proptest! {
    #[test]
    fn lru_behaves_as_the_naive_model(capacity in 0u64..20, ops in prop::collection::vec(op(), 1..300)) {
        check_against_model("lru", true, capacity, &ops)?;
        check_against_model("crate_lru", true, capacity, &ops)?;
    }

    #[test]
    fn fifo_behaves_as_the_naive_model(capacity in 0u64..20, ops in prop::collection::vec(op(), 1..300)) {
        check_against_model("fifo", false, capacity, &ops)?;
    }
}

#[test]
fn lru_and_the_lru_crate_give_identical_hits() {
    let requests = common::requests(
        "zipf:alpha=1.0,keys=100000,requests=1000000",
        "lognormal:median=2KiB,sigma=1",
        3,
    );
    for capacity in [1 << 20, 32 << 20] {
        assert_eq!(
            common::hits("lru", capacity, &requests, 0),
            common::hits("crate_lru", capacity, &requests, 0),
            "capacity {capacity}"
        );
    }
}
