//! A histogram over u64 values in logarithmic bins: 32 bins per doubling
//! (each at most 3.1% wide), exact below 32. Constant memory (1,920 bins),
//! so sizes, reuse distances and reuse times of any trace fit in 16 KiB
//! each. Quantiles and fractions are read at bin edges, linearly inside a
//! bin.

/// Sub-bins per power of two, as a bit count (32 sub-bins).
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
/// Bins in all: one group of exact values, then one group per exponent
/// from 5 to 63.
const BINS: usize = 60 * SUB as usize;

/// Counts of values in logarithmic bins.
#[derive(Clone, Debug, PartialEq)]
pub struct LogHistogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for LogHistogram {
    fn default() -> Self {
        LogHistogram {
            counts: vec![0; BINS],
            total: 0,
        }
    }
}

/// The bin of `value`: values below [`SUB`] have a bin each; above, a bin
/// is the exponent and the next [`SUB_BITS`] bits.
#[inline]
fn bin_of(value: u64) -> usize {
    if value < SUB {
        return value as usize;
    }
    let exponent = 63 - value.leading_zeros();
    let sub = (value >> (exponent - SUB_BITS)) & (SUB - 1);
    ((exponent - SUB_BITS + 1) as usize) * SUB as usize + sub as usize
}

/// The smallest value in bin `bin`.
fn low_of(bin: usize) -> u64 {
    let (group, sub) = (bin as u64 / SUB, bin as u64 % SUB);
    if group == 0 {
        return sub;
    }
    let exponent = group + u64::from(SUB_BITS) - 1;
    (1u64 << exponent) | (sub << (exponent - u64::from(SUB_BITS)))
}

/// One past the largest value in bin `bin` (saturating).
fn high_of(bin: usize) -> u64 {
    if bin + 1 >= BINS {
        u64::MAX
    } else {
        low_of(bin + 1)
    }
}

impl LogHistogram {
    /// Counts `value` `n` times.
    #[inline]
    pub fn add(&mut self, value: u64, n: u64) {
        self.counts[bin_of(value)] += n;
        self.total += n;
    }

    /// Values counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// How many values are at most `x` (linear inside the bin holding `x`).
    pub fn count_at_most(&self, x: f64) -> f64 {
        if x < 0.0 {
            return 0.0;
        }
        let bin = bin_of(x.min(u64::MAX as f64) as u64);
        let below: u64 = self.counts[..bin].iter().sum();
        let (low, high) = (low_of(bin) as f64, high_of(bin) as f64);
        let inside = ((x + 1.0 - low) / (high - low)).clamp(0.0, 1.0);
        below as f64 + self.counts[bin] as f64 * inside
    }

    /// The value below which a share `q` (0..=1) of the counts lie.
    pub fn quantile(&self, q: f64) -> f64 {
        let target = q.clamp(0.0, 1.0) * self.total as f64;
        let mut below = 0.0;
        for (bin, &count) in self.counts.iter().enumerate() {
            let count = count as f64;
            if count > 0.0 && below + count >= target {
                let (low, high) = (low_of(bin) as f64, high_of(bin) as f64);
                let within = ((target - below) / count).clamp(0.0, 1.0);
                return low + within * (high - low - 1.0);
            }
            below += count;
        }
        0.0
    }

    /// The cumulative distribution at the upper edge of every bin that
    /// holds values: (largest value of the bin, share of counts at most it).
    pub fn cdf(&self) -> Vec<(u64, f64)> {
        let mut out = Vec::new();
        let mut seen = 0u64;
        for (bin, &count) in self.counts.iter().enumerate() {
            if count > 0 {
                seen += count;
                out.push((high_of(bin) - 1, seen as f64 / self.total as f64));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_every_value_in_order() {
        for value in (0..5000u64).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
            let bin = bin_of(value);
            assert!(low_of(bin) <= value, "{value}");
            assert!(bin + 1 == BINS || value < high_of(bin), "{value}");
        }
        for bin in 1..BINS {
            assert!(low_of(bin) > low_of(bin - 1), "bin {bin}");
        }
        // Bins are at most about 3% wide.
        let bin = bin_of(1_000_000);
        let width = (high_of(bin) - low_of(bin)) as f64 / low_of(bin) as f64;
        assert!(width < 0.032, "{width}");
    }

    #[test]
    fn counts_and_quantiles() {
        let mut h = LogHistogram::default();
        for v in 1..=1000u64 {
            h.add(v, 1);
        }
        assert_eq!(h.total(), 1000);
        assert!((h.count_at_most(500.0) - 500.0).abs() < 10.0);
        assert_eq!(h.count_at_most(1e6), 1000.0);
        assert_eq!(h.count_at_most(10.0), 10.0);
        let median = h.quantile(0.5);
        assert!((median - 500.0).abs() < 15.0, "{median}");
        let cdf = h.cdf();
        assert_eq!(cdf.last().map(|c| c.1), Some(1.0));
        assert_eq!(cdf[0], (1, 0.001));
    }
}
