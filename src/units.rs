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
    fn formatting() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(64 << 20), "64 MiB");
        assert_eq!(format_bytes(1536), "1.50 KiB");
    }
}
