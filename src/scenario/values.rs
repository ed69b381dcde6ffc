//! Scenario values with units, read from TOML strings and written back the
//! same way: durations (`5ms`), sizes (`64MiB`) and distributions
//! (`lognormal:mean=5ms,sd=3ms`). A bad value fails while the file is read, so
//! the error carries the line and the field.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::sim::Time;
use crate::sim::dist::Dist;
use crate::units::{format_bytes, format_duration, parse_bytes, parse_duration};

/// A span of simulated time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub Time);

/// A number of bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub u64);

struct UnitVisitor<T> {
    expecting: &'static str,
    parse: fn(&str) -> Result<T, String>,
}

impl<T> Visitor<'_> for UnitVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        (self.parse)(text).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        Err(E::custom(format!(
            "`{value}` has no unit; write it as a string with one: {}",
            self.expecting
        )))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        self.visit_i64(value as i64)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnitVisitor {
            expecting: "a duration such as \"250us\", \"5ms\", \"30s\", \"2min\", \"1h\"",
            parse: |text| {
                parse_duration(text).map(Duration).ok_or_else(|| {
                    format!(
                        "`{text}` is not a duration; use a number with ns, us, ms, s, min or h, at most 87600h (ten years)"
                    )
                })
            },
        })
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BytesVisitor)
    }
}

struct BytesVisitor;

impl Visitor<'_> for BytesVisitor {
    type Value = Bytes;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a size such as \"64MiB\", \"1GB\" or a number of bytes")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Bytes, E> {
        parse_bytes(text).map(Bytes).ok_or_else(|| {
            E::custom(format!(
                "`{text}` is not a size; use a number with B, KB, MB, GB, KiB, MiB, GiB or TiB, at most 2^63 - 1 bytes"
            ))
        })
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Bytes, E> {
        u64::try_from(value)
            .map(Bytes)
            .map_err(|_| E::custom(format!("`{value}` bytes is negative")))
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = format_bytes(self.0).replace(' ', "");
        if parse_bytes(&text) == Some(self.0) {
            s.serialize_str(&text)
        } else {
            s.serialize_u64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnitVisitor {
            expecting: "a duration (\"20us\") or a distribution (\"exp:mean=20us\", \"lognormal:mean=5ms,sd=3ms\", \"uniform:min=1ms,max=3ms\")",
            parse: Dist::parse,
        })
    }
}

impl Serialize for Dist {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A number as `parse_duration` and `parse_bytes` read it, as an unanchored
/// regular expression: digits with `_` separators, an optional fraction and
/// exponent.
pub(crate) const NUMBER_PATTERN: &str =
    r"([0-9][0-9_]*(\.[0-9_]*)?|\.[0-9][0-9_]*)([eE][+-]?[0-9]+)?";

/// A duration as `parse_duration` reads it, unanchored: a number, then a unit.
pub(crate) fn duration_pattern() -> String {
    format!(r"{NUMBER_PATTERN}\s*(ns|us|µs|ms|s|min|h)")
}

/// The whole string matches `inner`, give or take surrounding blanks (every
/// parser here trims).
pub(crate) fn anchored(inner: &str) -> String {
    format!(r"^\s*({inner})\s*$")
}

// The JSON Schemas below state what the deserializers above accept, so that
// an editor refuses the same values `cachelab validate` does. Ranges that a
// regular expression cannot say (at most ten years, 2^63 − 1 bytes, a
// positive mean) are left to the deserializers.

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: a number and a unit (ns, us or µs, ms, s, min, h), at most 87600h. A bare number is refused: it has no unit.",
            "type": "string",
            "pattern": anchored(&duration_pattern()),
            "examples": ["250us", "5ms", "1.5s", "2min", "1h"],
        })
    }
}

impl JsonSchema for Bytes {
    fn schema_name() -> Cow<'static, str> {
        "Bytes".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A size: a string with a unit (B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024; any case), or a whole number of bytes; at most 2^63 − 1 bytes.",
            "anyOf": [
                {
                    "type": "string",
                    "pattern": anchored(&format!(r"{NUMBER_PATTERN}\s*(([kKmMgGtT][iI]?)?[bB])?")),
                },
                { "type": "integer", "minimum": 0 },
            ],
            "examples": ["64MiB", "1GB", 4096],
        })
    }
}

impl JsonSchema for Dist {
    fn schema_name() -> Cow<'static, str> {
        "Dist".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let duration = duration_pattern();
        let param = |name: &str| format!(r"\s*{name}\s*=\s*{duration}\s*");
        let either_order =
            |a: &str, b: &str| format!("({},{}|{},{})", param(a), param(b), param(b), param(a));
        let forms = [
            duration.clone(),
            format!(r"fixed\s*:{},?", param("value")),
            format!(r"exp\s*:{},?", param("mean")),
            format!(r"lognormal\s*:{},?", either_order("mean", "sd")),
            format!(r"uniform\s*:{},?", either_order("min", "max")),
        ];
        json_schema!({
            "description": "A distribution of durations: a duration (fixed), fixed:value=D, exp:mean=D, lognormal:mean=D,sd=D or uniform:min=D,max=D, each D a duration such as 5ms; a mean above zero, min at most max.",
            "type": "string",
            "pattern": anchored(&forms.join("|")),
            "examples": ["20us", "exp:mean=20us", "lognormal:mean=5ms,sd=3ms", "uniform:min=1ms,max=3ms"],
        })
    }
}
