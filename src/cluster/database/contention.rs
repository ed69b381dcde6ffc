//! A database that slows under load: the queries in service share it as in
//! a processor-sharing queue whose total rate follows Gunther's Universal
//! Scalability Law (N. J. Gunther, *Guerrilla Capacity Planning*, 2007):
//! with n queries in service, throughput is X(n) = n / (1 + σ(n−1) +
//! κn(n−1)) times that of one query alone, so each query progresses at
//! X(n)/n. σ is contention (queueing on a shared resource), κ coherency
//! (pairwise crosstalk); throughput peaks at n* = √((1−σ)/κ) and falls
//! beyond it, as a real database's does when too many queries run at once.
//!
//! Each query brings its work (a service time drawn as for the fixed
//! database: what it takes alone). All queries in service progress at the
//! same speed, so one virtual clock (work done per query since the start)
//! orders them: a query finishes when the clock reaches its start plus its
//! work. Only the next completion is scheduled; every arrival and departure
//! changes the speed, so it moves the generation on, and the model drops a
//! completion event whose generation is no longer current.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::sim::Time;

/// The Universal Scalability Law's two coefficients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Usl {
    /// Contention, from 0 (none) to below 1.
    pub sigma: f64,
    /// Coherency, 0 (none) or above.
    pub kappa: f64,
}

impl Usl {
    /// Throughput with `n` queries in service, relative to one query alone:
    /// X(n) = n / (1 + σ(n−1) + κn(n−1)).
    pub fn throughput(self, n: u32) -> f64 {
        let n = f64::from(n);
        n / (1.0 + self.sigma * (n - 1.0) + self.kappa * n * (n - 1.0))
    }

    /// The speed of each of `n` queries in service: X(n)/n (1 when alone).
    pub fn speed(self, n: u32) -> f64 {
        if n == 0 {
            return 1.0;
        }
        self.throughput(n) / f64::from(n)
    }

    /// The concurrency at which throughput peaks, √((1−σ)/κ) (none without
    /// coherency: throughput then only levels off).
    #[cfg(test)]
    pub fn peak(self) -> Option<f64> {
        (self.kappa > 0.0).then(|| ((1.0 - self.sigma) / self.kappa).sqrt())
    }
}

/// A virtual-clock value, ordered totally (they are never NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Work(f64);

impl Eq for Work {}

impl PartialOrd for Work {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Work {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The queries in service, sharing the database.
#[derive(Debug)]
pub struct Shared {
    usl: Usl,
    /// Work done by each query in service since the start, in ns at speed 1.
    clock: f64,
    last: Time,
    /// (finish on the virtual clock, arrival order, job slot), soonest first.
    in_service: BinaryHeap<Reverse<(Work, u64, u32)>>,
    arrivals: u64,
    generation: u32,
}

impl Shared {
    /// No query in service.
    pub fn new(usl: Usl) -> Shared {
        Shared {
            usl,
            clock: 0.0,
            last: 0,
            in_service: BinaryHeap::new(),
            arrivals: 0,
            generation: 0,
        }
    }

    fn advance(&mut self, now: Time) {
        let n = self.in_service.len() as u32;
        self.clock += (now - self.last) as f64 * self.usl.speed(n);
        self.last = now;
    }

    /// Queries in service.
    pub fn in_service(&self) -> usize {
        self.in_service.len()
    }

    /// The query `job` starts at `now` with `work` ns of work alone.
    pub fn admit(&mut self, now: Time, job: u32, work: Time) {
        self.advance(now);
        let finish = Work(self.clock + work as f64);
        self.in_service.push(Reverse((finish, self.arrivals, job)));
        self.arrivals += 1;
        self.generation = self.generation.wrapping_add(1);
    }

    /// When the next query finishes, at the present speed, and the
    /// generation its completion event must carry (none when idle).
    pub fn next_completion(&self, now: Time) -> Option<(Time, u32)> {
        let Reverse((finish, _, _)) = self.in_service.peek()?;
        let speed = self.usl.speed(self.in_service.len() as u32);
        let left = (finish.0 - self.clock).max(0.0) / speed;
        let at = now.saturating_add(left.ceil().min(u64::MAX as f64 / 2.0) as Time);
        Some((at, self.generation))
    }

    /// Whether a completion event of `generation` is still the due one.
    pub fn current(&self, generation: u32) -> bool {
        generation == self.generation
    }

    /// The next query finishes at `now`: it leaves service.
    pub fn complete(&mut self, now: Time) -> Option<u32> {
        self.advance(now);
        let Reverse((finish, _, job)) = self.in_service.pop()?;
        // Rounding up to whole nanoseconds can leave the clock a hair short.
        self.clock = self.clock.max(finish.0);
        self.generation = self.generation.wrapping_add(1);
        Some(job)
    }

    /// The jobs in service, in no particular order.
    pub fn jobs(&self) -> impl Iterator<Item = u32> + '_ {
        self.in_service.iter().map(|Reverse((_, _, job))| *job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USL: Usl = Usl {
        sigma: 0.1,
        kappa: 0.01,
    };

    #[test]
    fn the_law_peaks_where_gunther_says() {
        // n* = sqrt(0.9 / 0.01) = 9.49: X(9) and X(10) are the two highest.
        let peak = USL.peak().unwrap();
        assert!((peak - 9.4868).abs() < 1e-3, "{peak}");
        let best = (1..40)
            .max_by(|&a, &b| USL.throughput(a).total_cmp(&USL.throughput(b)))
            .unwrap();
        assert!(best == 9 || best == 10, "{best}");
        assert_eq!(USL.throughput(1), 1.0);
        assert!(USL.throughput(30) < USL.throughput(10));
        // X(4) = 4 / (1 + 0.3 + 0.12) = 2.8169.
        assert!((USL.throughput(4) - 4.0 / 1.42).abs() < 1e-12);
    }

    #[test]
    fn one_query_alone_takes_its_work() {
        let mut s = Shared::new(USL);
        s.admit(100, 7, 1000);
        assert_eq!(s.next_completion(100).map(|c| c.0), Some(1100));
        assert_eq!(s.complete(1100), Some(7));
        assert_eq!(s.in_service(), 0);
    }

    #[test]
    fn a_second_query_slows_the_first_and_stale_generations_are_dropped() {
        // Alone at speed 1, then two at speed X(2)/2 = 1/(1 + 0.1 + 0.02).
        let mut s = Shared::new(USL);
        s.admit(0, 1, 1000);
        let (_, first) = s.next_completion(0).unwrap();
        s.admit(500, 2, 1000);
        assert!(!s.current(first), "the arrival moved the generation on");
        let (at, g) = s.next_completion(500).unwrap();
        assert!(s.current(g));
        // Job 1 has 500 ns of work left at speed 1/1.12: 560 ns.
        assert!((1060..=1061).contains(&at), "{at}");
        assert_eq!(s.complete(at), Some(1));
        // Job 2 did 500 ns of work meanwhile; alone again, 500 ns to go.
        let (at2, _) = s.next_completion(at).unwrap();
        assert!((at + 499..=at + 500).contains(&at2), "{at} {at2}");
        assert_eq!(s.complete(at2), Some(2));
    }

    #[test]
    fn without_contention_every_query_runs_at_full_speed_as_with_fixed_service() {
        let free = Usl {
            sigma: 0.0,
            kappa: 0.0,
        };
        assert_eq!(free.speed(8), 1.0);
        assert_eq!(free.peak(), None);
        let mut s = Shared::new(free);
        s.admit(0, 1, 1000);
        s.admit(0, 2, 3000);
        assert_eq!(s.next_completion(0).map(|c| c.0), Some(1000));
    }
}
