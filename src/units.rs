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
    if let Some(whole) = parse_whole(number) {
        // Exact for whole numbers of bytes (f64 would round above 2^53).
        return whole
            .checked_mul(multiplier as u64)
            .filter(|&b| b <= MAX_BYTES);
    }
    let value = parse_number(number)? * multiplier;
    (value >= 0.0 && value <= MAX_BYTES as f64).then_some(value as u64)
}

/// The largest size any field takes: 2^63 − 1 bytes (what a TOML integer
/// holds, so a resolved scenario always reads back).
pub const MAX_BYTES: u64 = i64::MAX as u64;

/// A plain whole number (`123`, `1_000`), without sign, fraction or exponent.
fn parse_whole(text: &str) -> Option<u64> {
    let cleaned: String = text.trim().chars().filter(|&c| c != '_').collect();
    if cleaned.is_empty() || !cleaned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    cleaned.parse().ok()
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

/// The longest duration any field takes: ten years (87 600 h). Simulated
/// time stays far below `u64::MAX` nanoseconds however such spans add up.
pub const MAX_DURATION_NS: u64 = 87_600 * 3_600 * SECOND;

/// Parses a duration into nanoseconds: a number with a unit `ns`, `us` (or
/// `µs`), `ms`, `s`, `min` or `h` (`5ms`, `1.5s`, `300s`, `2min`), at most
/// [`MAX_DURATION_NS`]. A unit is required: a bare number is ambiguous.
/// Plain decimals are read exactly (`1.0004s` is 1 000 400 000 ns); values
/// with an exponent go through floating point and are rounded.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_alphabetic() && c != 'e' && c != 'E' || c == 'µ')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let per_unit: u64 = match unit.trim() {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => SECOND,
        "min" => 60 * SECOND,
        "h" => 3_600 * SECOND,
        _ => return None,
    };
    let ns = match parse_decimal(number, per_unit) {
        Some(ns) => ns,
        None => {
            let value = parse_number(number)? * per_unit as f64;
            (value >= 0.0 && value <= MAX_DURATION_NS as f64).then(|| value.round() as u64)?
        }
    };
    (ns <= MAX_DURATION_NS).then_some(ns)
}

/// `digits[.digits]` times `per_unit`, exactly (rounded to the nearest
/// whole unit below one); `None` for anything else, or past `u64`.
fn parse_decimal(number: &str, per_unit: u64) -> Option<u64> {
    let cleaned: String = number.trim().chars().filter(|&c| c != '_').collect();
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction = &fraction[..fraction.len().min(30)];
    let scale = 10u128.checked_pow(fraction.len() as u32)?;
    let part: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let per = u128::from(per_unit);
    let ns = whole.checked_mul(per)? + (part * per + scale / 2) / scale;
    u64::try_from(ns).ok()
}

/// Formats nanoseconds exactly, as `parse_duration` reads them back, with
/// the largest unit that needs at most three decimals (`250us`, `1.5s`,
/// `1000.4ms`, `3601s`, `1065.888us`).
pub fn format_duration(ns: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (3_600 * SECOND, "h"),
        (SECOND, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ];
    for (per, unit) in UNITS {
        let exact = per == 1 || (ns >= per && ns.is_multiple_of(per / 1000));
        if exact {
            let (whole, rest) = (ns / per, ns % per);
            if rest == 0 {
                return format!("{whole}{unit}");
            }
            let millis = rest / (per / 1000);
            let text = format!("{whole}.{millis:03}");
            return format!("{}{unit}", text.trim_end_matches('0'));
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
        assert_eq!(parse_bytes("9223372036854775807"), Some(i64::MAX as u64));
        assert_eq!(parse_bytes("9223372036854775808"), None);
        assert_eq!(parse_bytes("16EiB"), None);
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
        for ns in [
            250,
            100_000,
            1_500_000_000,
            7_200 * SECOND,
            1_000_400_000,
            3_601 * SECOND,
            1_065_888,
            MAX_DURATION_NS - 1,
            123_456_789_012_345,
        ] {
            assert_eq!(parse_duration(&format_duration(ns)), Some(ns), "{ns}");
        }
        assert_eq!(format_duration(1_000_400_000), "1000.4ms");
        assert_eq!(format_duration(3_601 * SECOND), "3601s");
        assert_eq!(format_duration(1_065_888), "1065.888us");
        assert_eq!(format_duration(5_400 * SECOND), "1.5h");
        assert_eq!(format_duration(60 * SECOND), "60s");
        assert_eq!(parse_duration("1.0004s"), Some(1_000_400_000));
        assert_eq!(parse_duration("87601h"), None);
        assert_eq!(parse_duration("1e300s"), None);
    }

    #[test]
    fn formatting() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(64 << 20), "64 MiB");
        assert_eq!(format_bytes(1536), "1.50 KiB");
    }
}
