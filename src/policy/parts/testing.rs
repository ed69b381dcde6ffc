//! Test-only helpers shared by the policy unit tests.

use crate::policy::Policy;
use crate::request::{Request, RequestStream};
use crate::seed::Seed;
use crate::workload::{SizeLaw, Workload};

/// The requests of the seeded workload `spec` with unit sizes.
pub fn unit_stream(spec: &str, seed: u64) -> Vec<Request> {
    let workload = Workload::parse(spec, SizeLaw::Fixed(1)).expect("valid workload");
    let mut stream = workload.stream(Seed(seed));
    let mut requests = Vec::new();
    while stream
        .next_batch(&mut requests, 4096)
        .expect("generators do not fail")
        > 0
    {}
    requests
}

/// Replays `requests` as get, then insert on a miss, and returns the hit ratio.
pub fn hit_ratio(policy: &mut dyn Policy, requests: &[Request]) -> f64 {
    let mut evicted = Vec::new();
    let mut hits = 0u64;
    for req in requests {
        hits += u64::from(policy.access(req, &mut evicted));
        evicted.clear();
    }
    hits as f64 / requests.len() as f64
}
