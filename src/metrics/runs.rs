//! An HDR histogram that takes runs of one repeated value in one record.
//!
//! A cluster run records every request's latency, and most of them repeat
//! exactly: a hit that did not queue takes two network latencies plus a
//! fixed service, an application server's CPU cost is often a constant,
//! and a part of a request it never entered takes 0. Recording each costs
//! an HDR index computation (about 70 instructions); comparing with the
//! last value costs one. The histogram's state (counts, total, minimum,
//! maximum) does not depend on the order of its records, so holding back
//! a run and recording it with its count gives exactly the same histogram.

use std::borrow::Cow;

use hdrhistogram::Histogram;

/// A histogram with the run of equal values recorded last held back.
#[derive(Clone, Debug)]
pub struct RunHistogram {
    histogram: Histogram<u64>,
    /// The value of the run held back, and how many times it came.
    value: u64,
    run: u64,
}

impl RunHistogram {
    /// Wraps an empty `histogram`.
    pub fn new(histogram: Histogram<u64>) -> RunHistogram {
        RunHistogram {
            histogram,
            value: 0,
            run: 0,
        }
    }

    /// Records `value`, saturating at the histogram's bounds as
    /// [`Histogram::saturating_record`] does.
    #[inline]
    pub fn record(&mut self, value: u64) {
        if value == self.value {
            self.run += 1;
        } else {
            self.flush();
            self.value = value;
            self.run = 1;
        }
    }

    /// Records the run held back, if any.
    pub fn flush(&mut self) {
        if self.run > 0 {
            self.histogram.saturating_record_n(self.value, self.run);
            self.run = 0;
        }
    }

    /// Every value recorded so far, the run held back included.
    pub fn snapshot(&self) -> Cow<'_, Histogram<u64>> {
        if self.run == 0 {
            return Cow::Borrowed(&self.histogram);
        }
        let mut whole = self.histogram.clone();
        whole.saturating_record_n(self.value, self.run);
        Cow::Owned(whole)
    }

    /// Forgets every value.
    pub fn reset(&mut self) {
        self.histogram.reset();
        self.run = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs, alternations, zeros and values past the bounds give the
    /// histogram that records each value alone, at every stage.
    #[test]
    fn holding_runs_back_gives_the_histogram_of_every_record() {
        let empty = Histogram::<u64>::new_with_bounds(1, 1_000_000, 3).unwrap();
        let mut runs = RunHistogram::new(empty.clone());
        let mut each = empty;
        let values = [
            0, 0, 5, 5, 5, 7, 5, 2_000_000, 2_000_000, 0, 210_047, 210_047, 3,
        ];
        for (i, &v) in values.iter().cycle().take(500).enumerate() {
            runs.record(v);
            each.saturating_record(v);
            assert_eq!(*runs.snapshot(), each, "after {i} records");
        }
        runs.flush();
        assert_eq!(*runs.snapshot(), each);
        assert_eq!(runs.snapshot().len(), 500);
        runs.reset();
        assert!(runs.snapshot().is_empty());
        runs.record(9);
        assert_eq!(runs.snapshot().len(), 1);
    }
}
