//! Route speed: nanoseconds per `route()` call for every scheme at 4 and 64
//! members, through the `dyn Router` the simulator uses. Each sample routes
//! the same 4096 pseudo-random keys, so the numbers are per lookup with warm
//! caches, as in a simulation that routes every request.
//!
//! `cargo bench --bench routing`.

// allow-unwrap-in-tests does not reach benches; a bench that cannot set up should stop loudly.
#![allow(clippy::unwrap_used)]

use cachelab::cluster::routing::{self, NodeId, Router, Scheme};
use cachelab::seed::mix64;
use divan::Bencher;
use divan::counter::ItemsCount;

const MEMBERS: [u32; 2] = [4, 64];

fn main() {
    divan::main();
}

fn bench_scheme(bencher: Bencher, name: &str, n: u32) {
    let scheme = Scheme::parse(name).unwrap();
    let members: Vec<NodeId> = (0..n).map(|i| i * 3 + 1).collect();
    let router: Box<dyn Router> = routing::build(&scheme, &members);
    let keys: Vec<u64> = (0..4096).map(mix64).collect();
    bencher.counter(ItemsCount::new(keys.len())).bench(|| {
        keys.iter()
            .map(|&key| router.route(divan::black_box(key)))
            .fold(0u32, u32::wrapping_add)
    });
}

#[divan::bench(args = MEMBERS)]
fn modulo(bencher: Bencher, n: u32) {
    bench_scheme(bencher, "modulo", n);
}

#[divan::bench(args = MEMBERS)]
fn ring(bencher: Bencher, n: u32) {
    bench_scheme(bencher, "ring", n);
}

#[divan::bench(args = MEMBERS)]
fn rendezvous(bencher: Bencher, n: u32) {
    bench_scheme(bencher, "rendezvous", n);
}

#[divan::bench(args = MEMBERS)]
fn jump(bencher: Bencher, n: u32) {
    bench_scheme(bencher, "jump", n);
}

#[divan::bench(args = MEMBERS)]
fn maglev(bencher: Bencher, n: u32) {
    bench_scheme(bencher, "maglev", n);
}
