//! Cache sizes as users write them: a fraction of the working set (`10%`,
//! `0.1%`) or an absolute size (`64MiB`, `1000`).

use crate::units::parse_bytes;

/// A cache size before it is resolved against a working set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CacheSize {
    /// A fraction of the working set, rounded down.
    Fraction(f64),
    /// An absolute size: bytes, or objects when sizes are ignored.
    Absolute(u64),
    /// A size written with a byte unit (`64MiB`).
    Bytes(u64),
}

impl CacheSize {
    /// Parses `10%`, `0.5%`, `64MiB`, `1000`.
    pub fn parse(text: &str) -> Result<CacheSize, String> {
        let text = text.trim();
        if let Some(percent) = text.strip_suffix('%') {
            let value: f64 = percent
                .trim()
                .parse()
                .map_err(|_| format!("cache size `{text}`: `{percent}` is not a number"))?;
            if !(value > 0.0 && value <= 100.0) {
                return Err(format!(
                    "cache size `{text}`: a percentage must be above 0 and at most 100"
                ));
            }
            return Ok(CacheSize::Fraction(value / 100.0));
        }
        if let Some(count) = crate::units::parse_count(text) {
            return Ok(CacheSize::Absolute(count));
        }
        parse_bytes(text).map(CacheSize::Bytes).ok_or_else(|| {
            format!("cache size `{text}` is neither a percentage (10%), a size (64MiB) nor a count (1000)")
        })
    }

    /// Whether resolving needs the working set.
    pub fn is_fraction(&self) -> bool {
        matches!(self, CacheSize::Fraction(_))
    }

    /// The size in cache units, given the working set in the same units.
    pub fn resolve(&self, working_set: u64, ignore_size: bool) -> Result<u64, String> {
        match *self {
            CacheSize::Fraction(f) => Ok((f * working_set as f64).floor() as u64),
            CacheSize::Absolute(n) => Ok(n),
            CacheSize::Bytes(bytes) if ignore_size => Err(format!(
                "cache size of {bytes} bytes makes no sense with --ignore-size (capacities then count objects)"
            )),
            CacheSize::Bytes(bytes) => Ok(bytes),
        }
    }
}

/// `count` sizes spaced evenly on a log scale from `low` to `high` inclusive
/// (duplicates after rounding removed).
pub fn log_spaced(low: u64, high: u64, count: usize) -> Vec<u64> {
    let low = low.max(1);
    let high = high.max(low);
    if count <= 1 {
        return vec![high];
    }
    let (a, b) = ((low as f64).ln(), (high as f64).ln());
    let mut sizes: Vec<u64> = (0..count)
        .map(|i| (a + (b - a) * i as f64 / (count - 1) as f64).exp().round() as u64)
        .collect();
    sizes.dedup();
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_resolve() {
        assert_eq!(CacheSize::parse("10%"), Ok(CacheSize::Fraction(0.1)));
        assert_eq!(CacheSize::parse("1000"), Ok(CacheSize::Absolute(1000)));
        assert_eq!(CacheSize::parse("64MiB"), Ok(CacheSize::Bytes(64 << 20)));
        assert!(CacheSize::parse("0%").is_err());
        assert!(CacheSize::parse("lots").is_err());
        assert_eq!(CacheSize::Fraction(0.1).resolve(1005, false), Ok(100));
        assert!(CacheSize::Bytes(10).resolve(100, true).is_err());
    }

    #[test]
    fn log_spacing() {
        assert_eq!(log_spaced(1, 1000, 4), [1, 10, 100, 1000]);
        assert_eq!(log_spaced(5, 5, 3), [5]);
    }
}
