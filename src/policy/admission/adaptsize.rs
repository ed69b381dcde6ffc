//! AdaptSize: probabilistic size admission (e^(−s/c), as `size`) whose c is
//! re-tuned every `interval` requests to the value a Markov model of the
//! cache predicts gives the highest object hit ratio (Berger, Sitaraman &
//! Harchol-Balter, NSDI 2017, §4). libCacheSim's `adaptsize` admission is
//! followed for the constants and the order of operations, and cachelab
//! reproduces its unit-test miss counts exactly (tests/it/libcachesim.rs):
//!
//! - every lookup counts the object in the current interval; requests are
//!   counted before the request's own statistics are added;
//! - a reconfiguration is skipped (and tried again 1 000 requests later)
//!   while the objects seen weigh at most 3 × the capacity;
//! - at one, each object's rate is an EWMA over intervals (old weight 0.3,
//!   an object new to the long-term table enters with its interval count),
//!   and objects whose rate falls under 0.1 are forgotten;
//! - log2 c is searched on a grid 2, 6, 10, … below log2 of the capacity,
//!   then refined by golden-section search (at most `iterations` steps);
//! - the model (the paper's eq. 3–5): each object's admission probability
//!   p = e^(−s/c), the characteristic time T solving
//!   Σ s · p(e^(λT) − 1) / (1 + p(e^(λT) − 1)) = capacity by 20 fixed-point
//!   steps, and each object's hit probability from the paper's closed form
//!   (a ratio of two polynomials in λT and p), weighted by its rate.
//!
//! c starts at 2^15. The long-term table keeps its objects in first-seen
//! order (not hash order), so every sum runs in an order fixed by the
//! stream.

use rustc_hash::FxHashMap;

use super::size::admit_probability;
use super::{Admission, Uniform};
use crate::policy::registry::{BuildArgs, ParamKind, ParamSpec};
use crate::request::Request;

/// Registry entry.
pub const SPEC: super::FilterSpec = super::FilterSpec {
    name: "adaptsize",
    about: "size admission e^(-size/c) with c re-tuned by a Markov model of the hit ratio",
    source: "Berger, Sitaraman & Harchol-Balter, NSDI 2017; libCacheSim adaptsize.cpp",
    params: &[
        ParamSpec {
            name: "interval",
            kind: ParamKind::Int {
                min: 1,
                max: 1_000_000_000,
            },
            default: 30_000.0,
            about: "requests between two re-tunings of c",
        },
        ParamSpec {
            name: "iterations",
            kind: ParamKind::Int { min: 1, max: 1000 },
            default: 15.0,
            about: "golden-section steps per re-tuning",
        },
    ],
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Admission> {
    Box::new(AdaptSize::new(
        args.capacity,
        args.params.int("interval"),
        args.params.int("iterations"),
        args.seed.rng(),
    ))
}

/// The first c, before any re-tuning.
const INITIAL_C: f64 = 32768.0;
/// The weight an object's old rate keeps at each re-tuning.
const EWMA_DECAY: f64 = 0.3;
/// Rates under this are forgotten.
const FORGET_BELOW: f64 = 0.1;
/// A re-tuning waits while the objects seen weigh at most this many capacities.
const MIN_CAPACITIES_SEEN: u64 = 3;
/// Requests to wait before trying a skipped re-tuning again.
const RETRY_AFTER: u64 = 1000;
/// The golden ratio's conjugate, and its complement.
const GOLDEN: f64 = 0.618_033_99;
/// The golden-section search's relative tolerance.
const TOLERANCE: f64 = 3.0e-8;
/// Fixed-point steps for the characteristic time.
const T_STEPS: usize = 20;

/// What is known of one object: its request count (or rate) and size.
#[derive(Clone, Copy, Debug)]
struct Seen {
    key: u64,
    rate: f64,
    size: u64,
}

/// Objects in first-seen order, with an index by key.
#[derive(Default)]
struct Table {
    rows: Vec<Seen>,
    index: FxHashMap<u64, usize>,
}

impl Table {
    fn get(&self, key: u64) -> Option<&Seen> {
        self.index.get(&key).map(|&i| &self.rows[i])
    }

    fn entry(&mut self, key: u64, size: u64) -> &mut Seen {
        let next = self.rows.len();
        let i = *self.index.entry(key).or_insert(next);
        if i == next {
            self.rows.push(Seen {
                key,
                rate: 0.0,
                size,
            });
        }
        &mut self.rows[i]
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.index.clear();
    }

    /// Keeps the rows for which `keep` holds, in order.
    fn retain(&mut self, keep: impl FnMut(&Seen) -> bool) {
        self.rows.retain(keep);
        self.index.clear();
        self.index
            .extend(self.rows.iter().enumerate().map(|(i, row)| (row.key, i)));
    }
}

/// AdaptSize admission over a generator of uniform draws.
pub struct AdaptSize<R> {
    capacity: u64,
    interval: u64,
    iterations: u64,
    /// Requests until the next re-tuning.
    countdown: u64,
    /// Sum of the sizes of the objects in either table.
    seen_size: u64,
    c: f64,
    current: Table,
    long_term: Table,
    draws: R,
}

impl<R: Uniform> AdaptSize<R> {
    /// AdaptSize for a cache of `capacity` units, re-tuning every `interval`
    /// requests with up to `iterations` golden-section steps, drawing
    /// admissions from `draws`.
    pub fn new(capacity: u64, interval: u64, iterations: u64, draws: R) -> Self {
        assert!(interval > 0, "adaptsize needs an interval of at least 1");
        AdaptSize {
            capacity,
            interval,
            iterations,
            countdown: interval,
            seen_size: 0,
            c: INITIAL_C,
            current: Table::default(),
            long_term: Table::default(),
            draws,
        }
    }

    /// The size scale in force.
    pub fn c(&self) -> f64 {
        self.c
    }

    /// Counts one request for `key` of `size`, as libCacheSim's
    /// `updateStats` does (a size change is accounted in each table).
    fn count(&mut self, key: u64, size: u64) {
        let in_current = self.current.get(key).map(|s| s.size);
        let in_long_term = self.long_term.get(key).map(|s| s.size);
        if in_current.is_none() && in_long_term.is_none() {
            self.seen_size += size;
        }
        for old in [in_current, in_long_term].into_iter().flatten() {
            if old != size {
                self.seen_size = self.seen_size + size - old;
            }
        }
        let seen = self.current.entry(key, size);
        seen.rate += 1.0;
        seen.size = size;
    }

    fn maybe_retune(&mut self) {
        self.countdown -= 1;
        if self.countdown > 0 {
            return;
        }
        if self.seen_size <= self.capacity * MIN_CAPACITIES_SEEN {
            self.countdown += RETRY_AFTER;
            return;
        }
        self.countdown = self.interval;
        self.fold_interval();
        let model = Model::new(&self.long_term.rows, self.capacity as f64);
        if let Some(log2_c) = model.best_log2_c(self.iterations) {
            self.c = 2f64.powf(log2_c);
        }
    }

    /// Folds the interval's counts into the long-term rates and forgets
    /// the objects whose rate fell under the threshold.
    fn fold_interval(&mut self) {
        for row in &mut self.long_term.rows {
            row.rate *= EWMA_DECAY;
        }
        for seen in &self.current.rows {
            let exists = self.long_term.get(seen.key).is_some();
            let row = self.long_term.entry(seen.key, seen.size);
            row.rate = if exists {
                row.rate + (1.0 - EWMA_DECAY) * seen.rate
            } else {
                seen.rate
            };
            row.size = seen.size;
        }
        self.current.clear();
        let mut forgotten = 0;
        self.long_term.retain(|row| {
            let keep = row.rate >= FORGET_BELOW;
            if !keep {
                forgotten += row.size;
            }
            keep
        });
        self.seen_size -= forgotten;
    }
}

impl<R: Uniform> Admission for AdaptSize<R> {
    #[inline]
    fn observe(&mut self, req: &Request) {
        self.maybe_retune();
        self.count(req.key, u64::from(req.size));
    }

    #[inline]
    fn admit(&mut self, req: &Request) -> bool {
        self.draws.next_unit() < admit_probability(req.size, self.c)
    }
}

/// The paper's model of a cache of `capacity` under the tabled rates.
///
/// Every term of the model's sums depends on an object only through its
/// (rate, size), and most objects share one with many others (a unit size,
/// a rate of 1 or 0.3): each term is computed once per distinct pair, its
/// `class`, and the sums still add one term per object in table order, so
/// the result is bit for bit the per-object computation's.
struct Model {
    /// Each distinct (rate, size) pair.
    rates: Vec<f64>,
    sizes: Vec<f64>,
    /// Each object's class, in table order.
    class_of: Vec<u32>,
    capacity: f64,
    /// Scratch per class: admission probability, then a sum's term.
    admit: Vec<f64>,
    term: Vec<f64>,
}

impl Model {
    fn new(rows: &[Seen], capacity: f64) -> Self {
        let mut classes: FxHashMap<(u64, u64), u32> = FxHashMap::default();
        let (mut rates, mut sizes) = (Vec::new(), Vec::new());
        let class_of = rows
            .iter()
            .map(|row| {
                *classes
                    .entry((row.rate.to_bits(), row.size))
                    .or_insert_with(|| {
                        rates.push(row.rate);
                        sizes.push(row.size as f64);
                        (rates.len() - 1) as u32
                    })
            })
            .collect();
        Model {
            admit: Vec::with_capacity(rates.len()),
            term: Vec::with_capacity(rates.len()),
            rates,
            sizes,
            class_of,
            capacity,
        }
    }

    /// Σ over objects of `term` of each one's class, in table order.
    fn sum_terms(&self) -> f64 {
        let mut sum = 0.0;
        for &class in &self.class_of {
            sum += self.term[class as usize];
        }
        sum
    }

    /// Sets each class's term to `f(rate, size, admission probability)`.
    fn set_terms(&mut self, f: impl Fn(f64, f64, f64) -> f64) {
        self.term.clear();
        self.term.extend(
            self.rates
                .iter()
                .zip(&self.sizes)
                .zip(&self.admit)
                .map(|((&rate, &size), &p)| f(rate, size, p)),
        );
    }

    /// The log2 c of the highest modelled hit rate, or None when the model
    /// breaks down (a NaN), in which case c is left as it is.
    fn best_log2_c(mut self, iterations: u64) -> Option<f64> {
        let top = self.capacity.log2();
        let (mut x0, mut x1, mut x3) = (0.0, top, top);
        let mut best = 0.0;
        let mut grid = 2.0;
        while grid < x3 {
            let rate = self.hit_rate(grid);
            if rate > best {
                best = rate;
                x1 = grid;
            }
            grid += 4.0;
        }
        let (mut x2, mut h1, mut h2);
        if x3 - x1 > x1 - x0 {
            x2 = x1 + (1.0 - GOLDEN) * (x3 - x1);
            h1 = best;
            h2 = self.hit_rate(x2);
        } else {
            x2 = x1;
            h2 = best;
            x1 = x0 + (1.0 - GOLDEN) * (x1 - x0);
            h1 = self.hit_rate(x1);
        }
        let mut step = 0;
        while step < iterations && (x3 - x0).abs() > TOLERANCE * (x1.abs() + x2.abs()) {
            step += 1;
            if h1.is_nan() || h2.is_nan() {
                break;
            }
            if h2 > h1 {
                x0 = x1;
                x1 = x2;
                x2 = GOLDEN * x1 + (1.0 - GOLDEN) * x3;
                h1 = h2;
                h2 = self.hit_rate(x2);
            } else {
                x3 = x2;
                x2 = x1;
                x1 = GOLDEN * x2 + (1.0 - GOLDEN) * x0;
                h2 = h1;
                h1 = self.hit_rate(x1);
            }
        }
        if h1.is_nan() || h2.is_nan() {
            None
        } else if h1 > h2 {
            Some(x1)
        } else {
            Some(x2)
        }
    }

    /// The modelled object hit rate (requests per interval that hit) when
    /// c = 2^`log2_c`.
    fn hit_rate(&mut self, log2_c: f64) -> f64 {
        let c = 2f64.powf(log2_c);
        self.admit.clear();
        self.admit
            .extend(self.sizes.iter().map(|&size| (-size / c).exp()));
        self.set_terms(|rate, size, p| rate * p * size);
        let admitted_load = self.sum_terms();
        if admitted_load <= 0.0 {
            return 0.0;
        }
        let t = self.characteristic_time(self.capacity / admitted_load);
        self.set_terms(|rate, _, p| rate * hit_probability(t, rate, p));
        self.sum_terms()
    }

    /// The characteristic time from `t`: the fixed point of
    /// T ← T · capacity / (expected bytes resident at T).
    fn characteristic_time(&mut self, mut t: f64) -> f64 {
        for _ in 0..T_STEPS {
            if t > 1e70 {
                break;
            }
            self.set_terms(|rate, size, p| {
                let load = rate * t;
                if load > 150.0 {
                    size
                } else {
                    let grown = p * (load.exp() - 1.0);
                    size * (grown / (1.0 + grown))
                }
            });
            t = self.capacity * t / self.sum_terms();
        }
        t
    }
}

/// The paper's closed-form hit probability of an object of rate `l` and
/// admission probability `p` in a cache of characteristic time `t`,
/// clamped to [0, 1] (a NaN passes through).
fn hit_probability(t: f64, l: f64, p: f64) -> f64 {
    let numerator =
        l * p * t * (840.0 + 60.0 * l * t + 20.0 * l * l * t * t + l * l * l * t * t * t);
    let denominator = 840.0
        + 120.0 * l * (-3.0 + 7.0 * p) * t
        + 60.0 * l * l * (1.0 + p) * t * t
        + 4.0 * l * l * l * (-1.0 + 5.0 * p) * t * t * t
        + l * l * l * l * p * t * t * t * t;
    let h = if numerator != 0.0 && denominator == 0.0 {
        0.0
    } else {
        numerator / denominator
    };
    h.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_characteristic_time_fills_the_cache() {
        // Three objects; at the fixed point the expected resident bytes
        // (the paper's eq. 4) equal the capacity.
        let rows = [
            Seen {
                key: 1,
                rate: 5.0,
                size: 100,
            },
            Seen {
                key: 2,
                rate: 1.0,
                size: 300,
            },
            Seen {
                key: 3,
                rate: 0.2,
                size: 50,
            },
        ];
        let mut model = Model::new(&rows, 200.0);
        let admit: Vec<f64> = model.sizes.iter().map(|&s| (-s / 128.0).exp()).collect();
        model.admit = admit;
        let t = model.characteristic_time(1.0);
        let resident: f64 = rows
            .iter()
            .map(|r| {
                let p = (-(r.size as f64) / 128.0).exp();
                let g = p * ((r.rate * t).exp() - 1.0);
                r.size as f64 * g / (1.0 + g)
            })
            .sum();
        assert!(
            (resident - 200.0).abs() < 1e-6,
            "resident {resident} at T = {t}"
        );
    }

    #[test]
    fn an_always_admitted_object_hits_like_lru_under_che() {
        // p = 1: the closed form reduces to 1 − e^(−λT) only approximately
        // (it is the paper's Padé-type fit); at λT = 1 both are near 0.632.
        let h = hit_probability(1.0, 1.0, 1.0);
        assert!((h - (1.0 - (-1.0f64).exp())).abs() < 0.01, "{h}");
        assert_eq!(
            hit_probability(1.0, 1.0, 0.0),
            0.0,
            "never admitted, never hit"
        );
    }

    #[test]
    fn no_retuning_while_the_objects_seen_fit_three_caches() {
        struct Half;
        impl Uniform for Half {
            fn next_unit(&mut self) -> f64 {
                0.5
            }
        }
        let mut filter = AdaptSize::new(100, 10, 15, Half);
        // 300 units seen: exactly 3 capacities, never more.
        for i in 0..1000u64 {
            filter.observe(&Request::get(i % 3, 100));
        }
        assert_eq!(filter.c(), INITIAL_C);
        filter.observe(&Request::get(7, 1));
        for i in 0..2000u64 {
            filter.observe(&Request::get(i % 4, 100));
        }
        assert_ne!(
            filter.c(),
            INITIAL_C,
            "re-tuned once the objects outweigh 3 caches"
        );
    }
}
