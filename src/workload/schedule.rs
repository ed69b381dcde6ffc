//! Offered load that changes over time: a rate schedule, and the arrivals of
//! the non-homogeneous Poisson process whose intensity it is.
//!
//! The intensity is λ(t) = b(t) · m(t): a base b (piecewise-linear points,
//! a diurnal sine, or a two-state Markov-modulated Poisson process) times
//! the multiplier m of the spikes (1 outside them, trapezoids inside).
//!
//! Arrivals are drawn by thinning (P. A. W. Lewis and G. S. Shedler,
//! "Simulation of nonhomogeneous Poisson processes by thinning", Naval
//! Research Logistics Quarterly 26(3), 1979), against a piecewise-constant
//! majorant as in S. M. Ross, *Simulation* (5th ed., §5.5): time is cut
//! into windows in which each factor of λ is monotone (every breakpoint,
//! each linear piece cut in [`PIECES`], each period of the sine in
//! [`SINE_CELLS`], each sojourn of the modulating chain), so the largest λ
//! of a window is at one of its ends. In a window with bound M, candidates
//! follow a Poisson process of rate M and one at t is kept with probability
//! λ(t)/M; a candidate past the window's end is dropped and the draw starts
//! again at the end, which the exponential's lack of memory makes exact.
//! For the MMPP the modulating chain's path is drawn from its own stream
//! (label `modulation`), so the same path can be walked again to report the
//! offered load ([`Schedule::offered_per_interval`]).

use rand::RngExt as _;
use rand_distr::{Distribution, Exp1};

use crate::seed::{Rng, Seed};

/// Each linear piece of points or spikes is cut in this many windows, so a
/// window's bound is at most 1/PIECES of the piece's change above its rate.
pub const PIECES: u32 = 16;
/// Each period of the diurnal sine is cut in this many windows, aligned on
/// its phase so that crests and troughs fall on window ends.
pub const SINE_CELLS: u32 = 32;

/// The base rate of a schedule, in requests per second.
#[derive(Clone, Debug, PartialEq)]
pub enum Base {
    /// Points (time in ns, rate), times non-decreasing (two equal times
    /// make a step): linear between points, constant before the first and
    /// after the last.
    Points(Vec<(u64, f64)>),
    /// mean · (1 + amplitude · sin(2π (t − phase) / period)).
    Diurnal {
        /// Mean rate, above zero.
        mean: f64,
        /// Relative amplitude, from 0 up to (not including) 1.
        amplitude: f64,
        /// Period in ns, above zero.
        period: u64,
        /// Phase in ns: the rate crosses its mean upwards at `phase`.
        phase: u64,
    },
    /// A two-state Markov-modulated Poisson process: rate `low` for an
    /// exponential time of mean `mean_gap`, then `high` for one of mean
    /// `mean_burst`, and so on; the first state is drawn from the chain's
    /// stationary law, so the process is stationary from time zero.
    Mmpp {
        /// Rate between bursts, at least zero.
        low: f64,
        /// Rate in a burst, above `low`.
        high: f64,
        /// Mean burst length in ns, above zero.
        mean_burst: u64,
        /// Mean time between bursts in ns, above zero.
        mean_gap: u64,
    },
}

/// A spike: the rate times `multiplier`, reached linearly over `ramp` after
/// `at`, held, and left linearly over the last `ramp` before `at + length`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    /// Start, in ns.
    pub at: u64,
    /// Whole length, ramps included, in ns (above zero).
    pub length: u64,
    /// Factor at full height (at least zero).
    pub multiplier: f64,
    /// Length of each ramp, in ns (at most half of `length`).
    pub ramp: u64,
}

/// A rate that changes over time: a base and spikes on it (in time order,
/// not overlapping).
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The base rate.
    pub base: Base,
    /// Spikes, in time order, none overlapping the next.
    pub spikes: Vec<Spike>,
}

impl Schedule {
    /// The schedule's rate when it never changes (no spike leaves 1 as
    /// its multiplier and the base is flat), in requests per second.
    pub fn constant(&self) -> Option<f64> {
        if self.spikes.iter().any(|s| s.multiplier != 1.0) {
            return None;
        }
        match &self.base {
            Base::Points(points) => {
                let first = points.first()?.1;
                points.iter().all(|p| p.1 == first).then_some(first)
            }
            Base::Diurnal {
                mean, amplitude, ..
            } => (*amplitude == 0.0).then_some(*mean),
            Base::Mmpp { low, high, .. } => (low == high).then_some(*low),
        }
    }

    /// The highest rate the schedule reaches, in requests per second.
    pub fn peak(&self) -> f64 {
        let base = match &self.base {
            Base::Points(points) => points.iter().map(|p| p.1).fold(0.0, f64::max),
            Base::Diurnal {
                mean, amplitude, ..
            } => mean * (1.0 + amplitude),
            Base::Mmpp { low, high, .. } => low.max(*high),
        };
        let spike = self.spikes.iter().map(|s| s.multiplier).fold(1.0, f64::max);
        base * spike
    }

    /// The expected number of arrivals in [0, `end`) ns (for the MMPP, with
    /// its base at the chain's stationary mean rate).
    pub fn expected_arrivals(&self, end: u64) -> f64 {
        let mean = match &self.base {
            Base::Mmpp {
                low,
                high,
                mean_burst,
                mean_gap,
            } => {
                let (burst, gap) = (*mean_burst as f64, *mean_gap as f64);
                Some((low * gap + high * burst) / (burst + gap))
            }
            _ => None,
        };
        let schedule = match mean {
            Some(mean) => Schedule {
                base: Base::Points(vec![(0, mean)]),
                spikes: self.spikes.clone(),
            },
            None => self.clone(),
        };
        schedule.rate(Seed(0)).integral(0.0, end as f64)
    }

    /// The mean offered rate (requests per second) over each interval of
    /// `interval` ns up to `end`, the last one shorter if `interval` does
    /// not divide `end`; `seed` is the arrivals' seed, so an MMPP's path is
    /// the one its arrivals followed.
    pub fn offered_per_interval(&self, seed: Seed, interval: u64, end: u64) -> Vec<f64> {
        let mut rate = self.rate(seed);
        let mut out = Vec::new();
        let mut from = 0;
        while from < end {
            let to = (from + interval).min(end);
            let count = rate.integral(from as f64, to as f64);
            out.push(count / (to - from) as f64 * 1e9);
            from = to;
        }
        out
    }

    /// The intensity of this schedule, its MMPP path drawn from `seed`.
    fn rate(&self, seed: Seed) -> Intensity {
        let base = match &self.base {
            Base::Points(points) => BaseCurve::Linear(Linear::new(
                points.iter().map(|&(t, r)| (t as f64, r / 1e9)).collect(),
            )),
            &Base::Diurnal {
                mean,
                amplitude,
                period,
                phase,
            } => BaseCurve::Diurnal {
                mean: mean / 1e9,
                amplitude,
                period: period as f64,
                phase: phase as f64,
            },
            &Base::Mmpp {
                low,
                high,
                mean_burst,
                mean_gap,
            } => BaseCurve::Mmpp(Chain::new(
                [low / 1e9, high / 1e9],
                [mean_gap as f64, mean_burst as f64],
                seed.derive("modulation"),
            )),
        };
        let mut corners = Vec::new();
        for s in &self.spikes {
            let (at, length, ramp) = (s.at as f64, s.length as f64, s.ramp as f64);
            corners.extend([
                (at, 1.0),
                (at + ramp, s.multiplier),
                (at + length - ramp, s.multiplier),
                (at + length, 1.0),
            ]);
        }
        Intensity {
            base,
            spikes: Linear::new(corners),
        }
    }
}

/// A piecewise-linear function of time (ns): constant before its first
/// point and after its last, 1 when it has none.
#[derive(Clone, Debug)]
struct Linear {
    points: Vec<(f64, f64)>,
}

impl Linear {
    fn new(points: Vec<(f64, f64)>) -> Linear {
        Linear { points }
    }

    /// The piece holding `t`: its ends' times and values, or the constant
    /// outside the points (with the next point's time when before them).
    fn piece(&self, t: f64) -> Piece {
        let i = self.points.partition_point(|p| p.0 <= t);
        match (i, self.points.len()) {
            (_, 0) => Piece::Flat(1.0, f64::INFINITY),
            (0, _) => Piece::Flat(self.points[0].1, self.points[0].0),
            (i, n) if i == n => Piece::Flat(self.points[n - 1].1, f64::INFINITY),
            (i, _) => Piece::Slope(self.points[i - 1], self.points[i]),
        }
    }

    /// The value at `t`.
    fn at(&self, t: f64) -> f64 {
        self.piece(t).at(t)
    }

    /// The end of the window that starts at `t` (later than `t`) and the
    /// largest value over it.
    fn window(&self, t: f64) -> (f64, f64) {
        match self.piece(t) {
            Piece::Flat(value, end) => (end, value),
            piece @ Piece::Slope((t0, _), (t1, _)) => {
                let step = (t1 - t0) / f64::from(PIECES);
                let cut = t0 + ((t - t0) / step).floor().max(0.0) * step + step;
                let end = if cut > t { cut.min(t1) } else { t1 };
                (end, piece.at(t).max(piece.at(end)))
            }
        }
    }
}

/// One piece of a [`Linear`].
#[derive(Clone, Copy, Debug)]
enum Piece {
    /// A constant value up to a time.
    Flat(f64, f64),
    /// A straight line between two points (the second strictly later).
    Slope((f64, f64), (f64, f64)),
}

impl Piece {
    fn at(self, t: f64) -> f64 {
        match self {
            Piece::Flat(value, _) => value,
            Piece::Slope((t0, v0), (t1, v1)) => v0 + (v1 - v0) * (t - t0) / (t1 - t0),
        }
    }
}

/// The modulating chain of an MMPP, walked forwards: the state at the
/// latest time asked, and when it next changes.
#[derive(Clone, Debug)]
struct Chain {
    /// Rate per ns in each state (0: between bursts, 1: in a burst).
    rates: [f64; 2],
    /// Mean sojourn in each state, ns.
    means: [f64; 2],
    state: usize,
    /// When the current sojourn started and ends.
    since: f64,
    until: f64,
    rng: Rng,
}

impl Chain {
    fn new(rates: [f64; 2], means: [f64; 2], seed: Seed) -> Chain {
        let mut rng = seed.rng();
        let burst_share = means[1] / (means[0] + means[1]);
        let state = usize::from(rng.random::<f64>() < burst_share);
        // A stationary chain's residual sojourn is again exponential.
        let first: f64 = Exp1.sample(&mut rng);
        Chain {
            rates,
            means,
            state,
            since: 0.0,
            until: first * means[state],
            rng,
        }
    }

    /// Moves the chain to time `t` (never backwards).
    fn advance(&mut self, t: f64) {
        while t >= self.until {
            self.state = 1 - self.state;
            self.since = self.until;
            let sojourn: f64 = Exp1.sample(&mut self.rng);
            self.until += sojourn * self.means[self.state];
        }
    }
}

/// The base factor of the intensity, per ns.
#[derive(Clone, Debug)]
enum BaseCurve {
    Linear(Linear),
    Diurnal {
        mean: f64,
        amplitude: f64,
        period: f64,
        phase: f64,
    },
    Mmpp(Chain),
}

impl BaseCurve {
    fn diurnal(mean: f64, amplitude: f64, period: f64, phase: f64, t: f64) -> f64 {
        mean * (1.0 + amplitude * (std::f64::consts::TAU * (t - phase) / period).sin())
    }
}

/// λ(t) per ns, walked forwards in time.
#[derive(Clone, Debug)]
struct Intensity {
    base: BaseCurve,
    spikes: Linear,
}

impl Intensity {
    /// The window starting at `t`: its end (later than `t`) and a bound on
    /// λ over it. Moves an MMPP's chain to `t`.
    fn window(&mut self, t: f64) -> (f64, f64) {
        let (base_end, base_bound) = match &mut self.base {
            BaseCurve::Linear(linear) => linear.window(t),
            &mut BaseCurve::Diurnal {
                mean,
                amplitude,
                period,
                phase,
            } => {
                let cell = period / f64::from(SINE_CELLS);
                let cut = phase + ((t - phase) / cell).floor() * cell + cell;
                let end = if cut > t { cut } else { t + cell };
                let value = |x| BaseCurve::diurnal(mean, amplitude, period, phase, x);
                (end, value(t).max(value(end)))
            }
            BaseCurve::Mmpp(chain) => {
                chain.advance(t);
                (chain.until, chain.rates[chain.state])
            }
        };
        let (spike_end, spike_bound) = self.spikes.window(t);
        (base_end.min(spike_end), base_bound * spike_bound)
    }

    /// λ at `t`, which must lie in the window last asked for.
    fn at(&self, t: f64) -> f64 {
        let base = match &self.base {
            BaseCurve::Linear(linear) => linear.at(t),
            &BaseCurve::Diurnal {
                mean,
                amplitude,
                period,
                phase,
            } => BaseCurve::diurnal(mean, amplitude, period, phase, t),
            BaseCurve::Mmpp(chain) => chain.rates[chain.state],
        };
        base * self.spikes.at(t)
    }

    /// ∫ λ over [`from`, `to`] (`from` no earlier than any time asked
    /// before): window by window, five-point Gauss–Legendre on each, which
    /// is exact for the products of linear pieces and within about 1e-12
    /// of a sine over a thirty-second of its period.
    fn integral(&mut self, from: f64, to: f64) -> f64 {
        const NODES: [(f64, f64); 5] = [
            (0.0, 0.568_888_888_888_888_9),
            (-0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
            (0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
            (-0.906_179_845_938_664, 0.236_926_885_056_189_1),
            (0.906_179_845_938_664, 0.236_926_885_056_189_1),
        ];
        let mut total = 0.0;
        let mut t = from;
        while t < to {
            let (end, _) = self.window(t);
            let end = end.min(to);
            let (mid, half) = ((t + end) / 2.0, (end - t) / 2.0);
            total += NODES
                .iter()
                .map(|&(x, w)| w * self.at(mid + half * x))
                .sum::<f64>()
                * half;
            t = end;
        }
        total
    }
}

/// The arrival times of a [`Schedule`]'s non-homogeneous Poisson process
/// (see the module's comment for the method).
#[derive(Clone, Debug)]
pub struct Arrivals {
    rate: Intensity,
    rng: Rng,
    /// The last arrival, ns (exact, not rounded).
    t: f64,
    /// No arrival at or after this time is drawn.
    horizon: f64,
}

impl Arrivals {
    /// The arrivals of `schedule` up to `horizon` ns, from `seed` (the
    /// modulating chain of an MMPP from its `modulation` sub-seed).
    pub fn new(schedule: &Schedule, seed: Seed, horizon: u64) -> Arrivals {
        Arrivals {
            rate: schedule.rate(seed),
            rng: seed.rng(),
            t: 0.0,
            horizon: horizon as f64,
        }
    }

    /// The next arrival time in ns, rounded to the nanosecond; the horizon
    /// itself when none comes before it (and ever after).
    pub fn next_time(&mut self) -> u64 {
        while self.t < self.horizon {
            let (end, bound) = self.rate.window(self.t);
            let end = end.min(self.horizon);
            if bound <= 0.0 {
                self.t = end;
                continue;
            }
            let gap: f64 = Exp1.sample(&mut self.rng);
            let candidate = self.t + gap / bound;
            if candidate >= end {
                self.t = end;
                continue;
            }
            self.t = candidate;
            if self.rng.random::<f64>() * bound < self.rate.at(candidate) {
                return candidate.round() as u64;
            }
        }
        self.horizon as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    /// Arrivals per interval of `interval` ns over `end` ns.
    fn counts(schedule: &Schedule, seed: u64, interval: u64, end: u64) -> Vec<u64> {
        let mut arrivals = Arrivals::new(schedule, Seed(seed), end);
        let mut counts = vec![0; end.div_ceil(interval) as usize];
        loop {
            let t = arrivals.next_time();
            if t >= end {
                return counts;
            }
            counts[(t / interval) as usize] += 1;
        }
    }

    /// Every interval's count is within four standard deviations of the
    /// schedule's integral over it (Poisson: the variance is the mean).
    fn counts_follow_the_schedule(schedule: &Schedule, interval: u64, end: u64) {
        let got = counts(schedule, 2, interval, end);
        let expected = schedule.offered_per_interval(Seed(2), interval, end);
        let mut outside = Vec::new();
        for (i, (&n, rate)) in got.iter().zip(&expected).enumerate() {
            let mean = rate * interval as f64 / 1e9;
            if (n as f64 - mean).abs() > 4.0 * mean.sqrt().max(1.0) {
                outside.push((i, n, mean));
            }
        }
        assert!(outside.is_empty(), "{schedule:?}: {outside:?}");
        let total: u64 = got.iter().sum();
        let mean: f64 = expected.iter().sum::<f64>() * interval as f64 / 1e9;
        assert!(
            (total as f64 - mean).abs() < 4.0 * mean.sqrt(),
            "{total} arrivals, {mean} expected"
        );
    }

    #[test]
    fn piecewise_linear_counts_match_the_integral() {
        // 0 to 9000/s over 60 s, a step down to 3000/s, then a ramp to 500/s.
        let schedule = Schedule {
            base: Base::Points(vec![
                (0, 0.0),
                (60 * SECOND, 9000.0),
                (60 * SECOND, 3000.0),
                (100 * SECOND, 500.0),
            ]),
            spikes: Vec::new(),
        };
        counts_follow_the_schedule(&schedule, SECOND, 120 * SECOND);
        // The integral itself: 270 000 + 70 000 + 20 × 500.
        let offered = schedule.offered_per_interval(Seed(1), 120 * SECOND, 120 * SECOND);
        assert!((offered[0] * 120.0 - 350_000.0).abs() < 1e-6, "{offered:?}");
    }

    #[test]
    fn diurnal_counts_match_the_integral() {
        let schedule = Schedule {
            base: Base::Diurnal {
                mean: 5000.0,
                amplitude: 0.6,
                period: 40 * SECOND,
                phase: 5 * SECOND,
            },
            spikes: Vec::new(),
        };
        counts_follow_the_schedule(&schedule, SECOND, 120 * SECOND);
        // A whole number of periods averages to the mean; the crest at
        // phase + period/4 = 15 s is mean · (1 + amplitude).
        let offered = schedule.offered_per_interval(Seed(1), 120 * SECOND, 120 * SECOND);
        assert!((offered[0] - 5000.0).abs() < 1e-6, "{offered:?}");
        let crest = schedule.offered_per_interval(Seed(1), SECOND / 1000, 15 * SECOND + 500_000);
        assert!((crest[15_000] - 8000.0).abs() < 0.1, "{}", crest[15_000]);
    }

    #[test]
    fn spikes_multiply_the_base_with_ramps() {
        let schedule = Schedule {
            base: Base::Diurnal {
                mean: 2000.0,
                amplitude: 0.3,
                period: 60 * SECOND,
                phase: 0,
            },
            spikes: vec![
                Spike {
                    at: 20 * SECOND,
                    length: 10 * SECOND,
                    multiplier: 4.0,
                    ramp: 2 * SECOND,
                },
                Spike {
                    at: 40 * SECOND,
                    length: 5 * SECOND,
                    multiplier: 0.25,
                    ramp: 0,
                },
            ],
        };
        counts_follow_the_schedule(&schedule, SECOND, 60 * SECOND);
        // A flat base of 1000/s: the spike's trapezoid adds (4 − 1) × 1000 ×
        // (10 − 2) s = 24 000 requests.
        let flat = Schedule {
            base: Base::Points(vec![(0, 1000.0)]),
            spikes: schedule.spikes[..1].to_vec(),
        };
        let offered = flat.offered_per_interval(Seed(1), 60 * SECOND, 60 * SECOND);
        assert!(
            (offered[0] * 60.0 - 84_000.0).abs() < 1e-6,
            "{}",
            offered[0] * 60.0
        );
        assert_eq!(schedule.peak(), 2000.0 * 1.3 * 4.0);
    }

    #[test]
    fn mmpp_has_its_mean_rate_and_overdispersed_counts() {
        let schedule = Schedule {
            base: Base::Mmpp {
                low: 100.0,
                high: 800.0,
                mean_burst: 2 * SECOND,
                mean_gap: 10 * SECOND,
            },
            spikes: Vec::new(),
        };
        // Long enough (about 1700 bursts) for the mean to be within 1.6%.
        let end = 20_000 * SECOND;
        let got = counts(&schedule, 11, SECOND, end);
        // The counts follow the chain's own path, interval by interval ...
        counts_follow_the_schedule(&schedule, SECOND, 200 * SECOND);
        // ... and in the long run the stationary mean (100·10 + 800·2)/12.
        let n = got.len() as f64;
        let mean = got.iter().sum::<u64>() as f64 / n;
        let variance = got.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let stationary = 2600.0 / 12.0;
        assert!(
            (mean - stationary).abs() < 0.08 * stationary,
            "mean {mean} per second, stationary {stationary}"
        );
        // A Poisson process has dispersion 1; bursts of 2 s at 8× make it
        // far larger.
        let dispersion = variance / mean;
        assert!(dispersion > 50.0, "index of dispersion {dispersion}");
        assert!(
            (schedule.expected_arrivals(end) / 20_000.0 - stationary).abs() < 1e-6,
            "{}",
            schedule.expected_arrivals(end)
        );
    }

    #[test]
    fn flat_schedules_are_constant_and_arrivals_stop_at_the_horizon() {
        let flat = Schedule {
            base: Base::Points(vec![(0, 2000.0), (SECOND, 2000.0)]),
            spikes: vec![Spike {
                at: 0,
                length: SECOND,
                multiplier: 1.0,
                ramp: 0,
            }],
        };
        assert_eq!(flat.constant(), Some(2000.0));
        let off = Schedule {
            base: Base::Points(vec![(0, 1000.0), (SECOND, 0.0)]),
            spikes: Vec::new(),
        };
        assert_eq!(off.constant(), None);
        let mut arrivals = Arrivals::new(&off, Seed(3), 10 * SECOND);
        let mut last = 0;
        loop {
            let t = arrivals.next_time();
            assert!(t >= last);
            last = t;
            if t >= SECOND {
                break;
            }
        }
        // Nothing after the rate falls to zero: the horizon, then again.
        assert_eq!(last, 10 * SECOND);
        assert_eq!(arrivals.next_time(), 10 * SECOND);
    }
}
