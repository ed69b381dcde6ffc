//! Quantities with units, as users write them: `64MiB`, `1.5GB`, `10M`, `1e6`.

/// Parses a byte size: a number with an optional unit `B`, `kB`/`KB`, `MB`,
/// `GB`, `TB` (powers of 1000) or `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024).
/// Units are case-insensitive. The value is rounded down to whole bytes.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let value = parse_number(number)? * multiplier;
    (value >= 0.0 && value < u64::MAX as f64).then_some(value as u64)
}

/// Parses a count: `1000000`, `1_000_000`, `1e6`, or with a decimal suffix
/// `k`, `M`, `G` (`10M` = 10 000 000). Must be a whole number.
pub fn parse_count(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, multiplier) = match text.chars().last()? {
        'k' | 'K' => (&text[..text.len() - 1], 1e3),
        'M' => (&text[..text.len() - 1], 1e6),
        'G' => (&text[..text.len() - 1], 1e9),
        _ => (text, 1.0),
    };
    let value = parse_number(number)? * multiplier;
    (value >= 0.0 && value.fract() == 0.0 && value < u64::MAX as f64).then_some(value as u64)
}

/// Nanoseconds per second.
pub const SECOND: u64 = 1_000_000_000;

/// Parses a duration into nanoseconds: a number with a unit `ns`, `us` (or
/// `µs`), `ms`, `s`, `min` or `h` (`5ms`, `1.5s`, `300s`, `2min`). A unit is
/// required: a bare number is ambiguous.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_alphabetic() && c != 'e' && c != 'E' || c == 'µ')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let per_unit: f64 = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "min" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    let value = parse_number(number)? * per_unit;
    (value >= 0.0 && value < u64::MAX as f64).then(|| value.round() as u64)
}

/// Formats nanoseconds with the largest unit that keeps the number ≥ 1
/// (`250us`, `1.5s`), as `parse_duration` reads it back.
pub fn format_duration(ns: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (3_600 * SECOND, "h"),
        (SECOND, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ];
    for (per, unit) in UNITS {
        if ns >= per || per == 1 {
            let value = ns as f64 / per as f64;
            let text = format!("{value:.3}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            return format!("{text}{unit}");
        }
    }
    unreachable!("the last unit divides everything")
}

fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text.trim().chars().filter(|&c| c != '_').collect();
    let value: f64 = cleaned.parse().ok()?;
    value.is_finite().then_some(value)
}

/// Formats a byte count with the largest binary unit that keeps it ≥ 1
/// (`64 MiB`, `1.5 GiB`), for tables and plot labels.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value.fract() == 0.0 {
        format!("{value} {}", UNITS[unit])
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes("64MiB"), Some(64 << 20));
        assert_eq!(parse_bytes("1.5 GiB"), Some(3 << 29));
        assert_eq!(parse_bytes("2kb"), Some(2000));
        assert_eq!(parse_bytes("100"), Some(100));
        assert_eq!(parse_bytes("1e3B"), Some(1000));
        assert_eq!(parse_bytes("10 parsecs"), None);
        assert_eq!(parse_bytes("-1MB"), None);
        assert_eq!(parse_bytes("MiB"), None);
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("1e6"), Some(1_000_000));
        assert_eq!(parse_count("10M"), Some(10_000_000));
        assert_eq!(parse_count("1_000"), Some(1000));
        assert_eq!(parse_count("2.5k"), Some(2500));
        assert_eq!(parse_count("1.5"), None);
        assert_eq!(parse_count("ten"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5ms"), Some(5_000_000));
        assert_eq!(parse_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_duration("100us"), Some(100_000));
        assert_eq!(parse_duration("100µs"), Some(100_000));
        assert_eq!(parse_duration("2min"), Some(120 * SECOND));
        assert_eq!(parse_duration("1h"), Some(3600 * SECOND));
        assert_eq!(parse_duration("250ns"), Some(250));
        assert_eq!(parse_duration("300"), None);
        assert_eq!(parse_duration("5 parsecs"), None);
        assert_eq!(parse_duration("-1s"), None);
        for ns in [250, 100_000, 1_500_000_000, 7_200 * SECOND] {
            assert_eq!(parse_duration(&format_duration(ns)), Some(ns));
        }
    }

    #[test]
    fn formatting() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(64 << 20), "64 MiB");
        assert_eq!(format_bytes(1536), "1.50 KiB");
    }
}
