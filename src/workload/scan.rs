//! YCSB's short scans (workload E, `workloads/workloade` in
//! brianfrankcooper/YCSB: `scanproportion=0.95`, `maxscanlength=100`,
//! `scanlengthdistribution=uniform`): a scan starts at a key drawn from the
//! popularity law and reads that many records from it on.
//!
//! The records read are the keys of consecutive key numbers: the start's
//! number n, then n + 1, n + 2, …, clipped at the newest key (a scan that
//! starts near the end of the key space reads fewer keys, as a range scan
//! does at the end of a table). A key number is the index the workload
//! scrambles into a key: the rank for zipf, uniform and hotspot, the
//! creation index for `latest`, and the keys inserted into a stationary
//! law follow its `keys` in order. There is no range index: a scan is the
//! run of numbers, not a lookup of the keys between two values.

use rand::RngExt;

use crate::seed::Rng;

/// Scans in a mix: their share of the requests and their length law.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScanMix {
    /// Share of the requests that are scans, above 0.
    pub share: f64,
    /// Keys per scan (before clipping at the key space's end).
    pub length: ScanLength,
}

/// How many keys a scan reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanLength {
    /// Uniform from 1 to `max`, inclusive (YCSB's `uniform`, with its
    /// `minscanlength` default of 1).
    Uniform {
        /// The longest scan, at least 1.
        max: u64,
    },
    /// Always this many, at least 1 (YCSB's `constant`).
    Fixed(u64),
}

impl ScanLength {
    /// One scan's length (before clipping at the key space's end).
    #[inline]
    pub fn draw(self, rng: &mut Rng) -> u64 {
        match self {
            ScanLength::Uniform { max } => rng.random_range(1..=max),
            ScanLength::Fixed(length) => length,
        }
    }

    /// The mean length before clipping: (max + 1) / 2, or the fixed one.
    pub fn mean(self) -> f64 {
        match self {
            ScanLength::Uniform { max } => (max as f64 + 1.0) / 2.0,
            ScanLength::Fixed(length) => length as f64,
        }
    }
}

/// The longest scan a workload may ask for, in keys.
pub const MAX_LENGTH: u64 = 100_000;

/// The scans of a replay specification: `scan` (a share), `scan_length`
/// (`uniform`, the default, or `fixed`) and `max_scan_length` (100 by
/// default, as YCSB E), or none without `scan`.
pub(super) fn parse(spec: &crate::spec::Spec) -> Result<Option<ScanMix>, crate::spec::SpecError> {
    let share = spec.real("scan", 0.0, 0.0, 1.0)?;
    let max = match spec.get("max_scan_length") {
        None => 100,
        Some(_) => spec.count("max_scan_length")?,
    };
    if max > MAX_LENGTH {
        return Err(spec.fail(format!(
            "`max_scan_length` must be from 1 to {MAX_LENGTH}, got {max}"
        )));
    }
    let length = match spec.get("scan_length") {
        None | Some("uniform") => ScanLength::Uniform { max },
        Some("fixed") => ScanLength::Fixed(max),
        Some(other) => {
            return Err(spec.fail(format!(
                "`scan_length` must be uniform or fixed, got `{other}`"
            )));
        }
    };
    Ok((share > 0.0).then_some(ScanMix { share, length }))
}

/// The key numbers a scan of `length` from `start` reads, when the newest
/// key is number `last`: `start..=min(start + length − 1, last)`.
#[inline]
pub fn numbers(start: u64, length: u64, last: u64) -> std::ops::RangeInclusive<u64> {
    start..=start.saturating_add(length - 1).min(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::RequestStream;
    use crate::seed::Seed;
    use crate::workload::{SizeLaw, Workload, scramble};

    /// The key numbers of `spec`'s replayed stream, over its first `keys`.
    fn numbers_of(spec: &str, keys: u64) -> Vec<u64> {
        let number: std::collections::HashMap<u64, u64> =
            (1..=keys).map(|n| (scramble(n), n)).collect();
        let workload = Workload::parse(spec, SizeLaw::Fixed(1)).unwrap();
        let mut batch = Vec::new();
        let mut stream = workload.stream(Seed(5));
        while stream.next_batch(&mut batch, 1000).unwrap() > 0 {}
        batch.iter().map(|r| number[&r.key]).collect()
    }

    #[test]
    fn in_replay_a_scan_is_its_keys_gets_in_order() {
        let seen = numbers_of(
            "zipf:alpha=0.99,keys=1000,requests=20000,scan=1,scan_length=fixed,max_scan_length=5",
            1000,
        );
        assert_eq!(seen.len(), 20_000);
        // Runs of 5 consecutive numbers, shorter only at the last key
        // (and the stream's end).
        let (mut i, mut clipped) = (0, 0);
        while i < seen.len() {
            let start = seen[i];
            let length = 5.min(1000 - start + 1) as usize;
            clipped += usize::from(length < 5);
            let run = &seen[i..(i + length).min(seen.len())];
            assert!(
                run.iter().zip(start..).all(|(&n, m)| n == m),
                "{run:?} at {i}"
            );
            i += length;
        }
        assert!(clipped > 0, "some start among the last 4 keys");
    }

    #[test]
    fn in_replay_scans_take_their_share_of_draws() {
        // Half the draws start a scan of 3 keys: 3 / 4 of the gets.
        let seen = numbers_of(
            "uniform:keys=1000000,requests=400000,scan=0.5,scan_length=fixed,max_scan_length=3",
            1_000_000,
        );
        let continued = seen.windows(2).filter(|w| w[1] == w[0] + 1).count();
        // Each scan gives 2 continuations among its 3 keys: 1 / 2 of them.
        let share = continued as f64 / seen.len() as f64;
        assert!((share - 0.5).abs() < 0.005, "{share}");
    }

    #[test]
    fn uniform_lengths_cover_one_to_max_with_mean_half_of_max_plus_one() {
        let law = ScanLength::Uniform { max: 100 };
        let mut rng = Seed(9).rng();
        let n: u32 = 200_000;
        let draws: Vec<u64> = (0..n).map(|_| law.draw(&mut rng)).collect();
        assert_eq!(draws.iter().min(), Some(&1));
        assert_eq!(draws.iter().max(), Some(&100));
        // Var of uniform 1..=100 is (100² − 1) / 12; 5 standard errors.
        let mean = draws.iter().sum::<u64>() as f64 / f64::from(n);
        let band = 5.0 * ((100.0f64 * 100.0 - 1.0) / 12.0 / f64::from(n)).sqrt();
        assert!((mean - 50.5).abs() < band, "{mean} ± {band}");
        assert_eq!(law.mean(), 50.5);
    }

    #[test]
    fn a_fixed_length_is_always_that_length() {
        let mut rng = Seed(1).rng();
        assert!((0..100).all(|_| ScanLength::Fixed(7).draw(&mut rng) == 7));
    }

    #[test]
    fn a_scan_is_clipped_at_the_newest_key() {
        assert_eq!(numbers(5, 3, 100), 5..=7);
        assert_eq!(numbers(99, 10, 100), 99..=100);
        assert_eq!(numbers(100, 1, 100), 100..=100);
        assert_eq!(numbers(u64::MAX - 1, 10, u64::MAX), u64::MAX - 1..=u64::MAX);
    }
}
