//! `clients.rate` and `[[clients.spikes]]` as written, and their
//! validation into the clients' load: a constant rate, or a
//! [`Schedule`](crate::workload::schedule::Schedule).
//!
//! The rate is a number (requests per second), an array of points
//! `[[time, rate], ...]` (time a duration or seconds), or a table naming
//! its kind: `{ diurnal = { ... } }` or `{ mmpp = { ... } }`. A table names
//! its kind rather than being told apart by its keys, so a misspelt key is
//! refused as unknown instead of turning one shape into another.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::values::Duration;
use crate::units::{SECOND, format_duration, parse_duration};
use crate::workload::schedule::{Base, Schedule, Spike};

/// Highest rate, requests per second, constant or at a schedule's peak.
pub const MAX_RATE: f64 = 1e9;
/// Most points of a piecewise-linear rate.
const MAX_POINTS: usize = 100_000;
/// Most spikes.
const MAX_SPIKES: usize = 10_000;
/// Most diurnal periods in one run.
const MAX_PERIODS: f64 = 1e6;
/// Most expected bursts of an MMPP in one run.
const MAX_BURSTS: f64 = 1e8;
/// Largest spike multiplier.
const MAX_MULTIPLIER: f64 = 1e4;

/// `clients.rate` as written.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Rate {
    /// Requests per second, always.
    Constant(f64),
    /// `[[time, rate], ...]`: linear between points, constant after the last.
    Points(Vec<Point>),
    /// A curve named by its kind.
    Curve(Curve),
}

/// One point of a piecewise-linear rate: `[time, requests per second]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point(pub PointTime, pub f64);

/// A point's time: a duration (`"6h"`) or a number of seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointTime(pub u64);

/// A rate curve: `{ diurnal = { ... } }` or `{ mmpp = { ... } }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Curve {
    /// mean · (1 + amplitude · sin(2π (t − phase) / period)).
    Diurnal(Diurnal),
    /// A two-state Markov-modulated Poisson process.
    Mmpp(Mmpp),
}

/// `clients.rate = { diurnal = { ... } }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Diurnal {
    /// Mean requests per second.
    pub mean: f64,
    /// Relative amplitude, from 0 up to (not including) 1.
    pub amplitude: f64,
    /// Length of one cycle.
    pub period: Duration,
    /// When the rate crosses its mean upwards (the crest is a quarter
    /// period later).
    #[serde(default)]
    pub phase: Duration,
}

/// `clients.rate = { mmpp = { ... } }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mmpp {
    /// Requests per second between bursts.
    pub low: f64,
    /// Requests per second in a burst.
    pub high: f64,
    /// Mean length of a burst (exponential).
    pub mean_burst: Duration,
    /// Mean time between bursts (exponential).
    pub mean_gap: Duration,
}

/// One `[[clients.spikes]]` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpikeEntry {
    /// When the spike starts.
    pub at: Duration,
    /// Its whole length, ramps included.
    pub length: Duration,
    /// The factor on the rate at full height.
    pub multiplier: f64,
    /// How long the rate takes to rise (and to fall back), within `length`.
    #[serde(default)]
    pub ramp: Duration,
}

impl Serialize for PointTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for PointTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Time;
        impl Visitor<'_> for Time {
            type Value = PointTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time: a duration such as \"6h\", or seconds")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<PointTime, E> {
                parse_duration(text).map(PointTime).ok_or_else(|| {
                    E::custom(format!(
                        "`{text}` is not a duration; use a number with ns, us, ms, s, min or h, at most 87600h"
                    ))
                })
            }
            fn visit_f64<E: de::Error>(self, seconds: f64) -> Result<PointTime, E> {
                let ns = seconds * SECOND as f64;
                if seconds.is_finite() && seconds >= 0.0 && ns <= (87_600 * 3_600 * SECOND) as f64 {
                    Ok(PointTime(ns.round() as u64))
                } else {
                    Err(E::custom(format!(
                        "{seconds} s is no time of a run: from 0 to 87600h"
                    )))
                }
            }
            fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<PointTime, E> {
                self.visit_f64(seconds as f64)
            }
            fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<PointTime, E> {
                self.visit_f64(seconds as f64)
            }
        }
        d.deserialize_any(Time)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Shapes;
        impl<'de> Visitor<'de> for Shapes {
            type Value = Rate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "requests per second, points [[time, rate], ...], { diurnal = { ... } } or { mmpp = { ... } }",
                )
            }
            fn visit_f64<E: de::Error>(self, rate: f64) -> Result<Rate, E> {
                Ok(Rate::Constant(rate))
            }
            fn visit_i64<E: de::Error>(self, rate: i64) -> Result<Rate, E> {
                Ok(Rate::Constant(rate as f64))
            }
            fn visit_u64<E: de::Error>(self, rate: u64) -> Result<Rate, E> {
                Ok(Rate::Constant(rate as f64))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Rate, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(seq)).map(Rate::Points)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Rate, A::Error> {
                Curve::deserialize(MapAccessDeserializer::new(map)).map(Rate::Curve)
            }
        }
        d.deserialize_any(Shapes)
    }
}

/// The schema of `clients.rate`: a number, an array of points or a curve.
pub(super) fn rate_schema(generator: &mut SchemaGenerator) -> Schema {
    let duration = generator.subschema_for::<Duration>();
    let mut curve = Curve::json_schema(generator);
    curve.insert("type".into(), "object".into());
    json_schema!({
        "anyOf": [
            { "type": "number", "exclusiveMinimum": 0 },
            {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "array",
                    "items": [
                        { "anyOf": [{ "type": "number", "minimum": 0 }, duration] },
                        { "type": "number", "minimum": 0 },
                    ],
                    "minItems": 2,
                    "maxItems": 2,
                },
            },
            curve,
        ],
    })
}

/// How the open loop's clients pace their requests.
#[derive(Clone, Debug, PartialEq)]
pub enum Pace {
    /// Poisson arrivals at a constant rate (requests per second).
    Constant(f64),
    /// Arrivals following a schedule.
    Scheduled(Schedule),
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message()) }
}

/// A rate of requests per second, named `field`: finite, at least zero,
/// at most [`MAX_RATE`].
fn rate_value(field: &str, rate: f64) -> Result<(), String> {
    check(rate.is_finite() && (0.0..=MAX_RATE).contains(&rate), || {
        format!("{field} = {rate}: from 0 to {MAX_RATE:e} requests per second")
    })
}

/// The pace `rate` and `spikes` ask for over a run of `duration` ns; a
/// schedule that never changes is the constant rate it stays at, so that
/// it runs exactly as that number does. `open` says the clients are an
/// open loop (whose constant rate must be above zero); `paced` that they
/// time the requests (not a trace at its own timestamps): a schedule needs
/// both.
pub fn pace(
    rate: &Rate,
    spikes: &[SpikeEntry],
    duration: u64,
    open: bool,
    paced: bool,
) -> Result<Pace, String> {
    if let (Rate::Constant(rate), true) = (rate, spikes.is_empty()) {
        if open {
            check(rate.is_finite() && *rate > 0.0, || {
                format!("clients.rate = {rate}: must be above zero requests per second")
            })?;
        }
        check(*rate <= MAX_RATE, || {
            format!("clients.rate = {rate}: at most {MAX_RATE:e} requests per second")
        })?;
        return Ok(Pace::Constant(*rate));
    }
    check(open && paced, || {
        "clients.rate, clients.spikes: a schedule paces open-loop clients (mode = \"open\"), not closed-loop users nor a trace at its own timestamps".into()
    })?;
    let schedule = Schedule {
        base: base(rate, duration)?,
        spikes: spike_list(spikes)?,
    };
    let peak = schedule.peak();
    check(peak <= MAX_RATE, || {
        format!(
            "clients.rate, clients.spikes: the schedule peaks at {peak:e} requests per second; at most {MAX_RATE:e}"
        )
    })?;
    check(peak > 0.0, || {
        "clients.rate, clients.spikes: the schedule's rate is 0 throughout: no request would be issued".into()
    })?;
    Ok(match schedule.constant() {
        Some(rate) => Pace::Constant(rate),
        None => Pace::Scheduled(schedule),
    })
}

/// The base of a schedule, checked.
fn base(rate: &Rate, duration: u64) -> Result<Base, String> {
    Ok(match rate {
        &Rate::Constant(rate) => {
            check(rate.is_finite() && rate > 0.0, || {
                format!("clients.rate = {rate}: must be above zero requests per second")
            })?;
            rate_value("clients.rate", rate)?;
            Base::Points(vec![(0, rate)])
        }
        Rate::Points(points) => {
            check(!points.is_empty(), || {
                "clients.rate = []: give at least one point [time, rate]".into()
            })?;
            check(points.len() <= MAX_POINTS, || {
                format!(
                    "clients.rate: {} points; at most {MAX_POINTS}",
                    points.len()
                )
            })?;
            for (i, pair) in points.windows(2).enumerate() {
                let (before, after) = (pair[0].0.0, pair[1].0.0);
                check(before <= after, || {
                    format!(
                        "clients.rate: point {} at {} comes before point {} at {}: points must be in time order (equal times make a step)",
                        i + 2,
                        format_duration(after),
                        i + 1,
                        format_duration(before)
                    )
                })?;
            }
            for (i, Point(time, rate)) in points.iter().enumerate() {
                rate_value(
                    &format!(
                        "clients.rate point {} (at {})",
                        i + 1,
                        format_duration(time.0)
                    ),
                    *rate,
                )?;
            }
            Base::Points(points.iter().map(|p| (p.0.0, p.1)).collect())
        }
        Rate::Curve(Curve::Diurnal(d)) => {
            check(d.mean.is_finite() && d.mean > 0.0, || {
                format!(
                    "clients.rate.diurnal.mean = {}: must be above zero requests per second",
                    d.mean
                )
            })?;
            check((0.0..1.0).contains(&d.amplitude), || {
                format!(
                    "clients.rate.diurnal.amplitude = {}: from 0 up to (not including) 1, so the rate stays above zero",
                    d.amplitude
                )
            })?;
            check(d.period.0 > 0, || {
                "clients.rate.diurnal.period must be above zero".into()
            })?;
            let periods = duration as f64 / d.period.0 as f64;
            check(periods <= MAX_PERIODS, || {
                format!(
                    "clients.rate.diurnal.period = {}: a run of {} would hold {periods:.0} periods; at most {MAX_PERIODS:e} (lengthen period)",
                    format_duration(d.period.0),
                    format_duration(duration)
                )
            })?;
            Base::Diurnal {
                mean: d.mean,
                amplitude: d.amplitude,
                period: d.period.0,
                phase: d.phase.0,
            }
        }
        Rate::Curve(Curve::Mmpp(m)) => {
            rate_value("clients.rate.mmpp.low", m.low)?;
            rate_value("clients.rate.mmpp.high", m.high)?;
            check(m.low <= m.high, || {
                format!(
                    "clients.rate.mmpp: low = {} is above high = {}: low is the rate between bursts",
                    m.low, m.high
                )
            })?;
            check(m.mean_burst.0 > 0 && m.mean_gap.0 > 0, || {
                "clients.rate.mmpp: mean_burst and mean_gap must be above zero".into()
            })?;
            let bursts = duration as f64 / (m.mean_burst.0 + m.mean_gap.0) as f64;
            check(bursts <= MAX_BURSTS, || {
                format!(
                    "clients.rate.mmpp: mean_burst = {} and mean_gap = {} would make about {bursts:.0} bursts in a run of {}; at most {MAX_BURSTS:e}",
                    format_duration(m.mean_burst.0),
                    format_duration(m.mean_gap.0),
                    format_duration(duration)
                )
            })?;
            Base::Mmpp {
                low: m.low,
                high: m.high,
                mean_burst: m.mean_burst.0,
                mean_gap: m.mean_gap.0,
            }
        }
    })
}

/// The spikes, checked and in time order.
fn spike_list(entries: &[SpikeEntry]) -> Result<Vec<Spike>, String> {
    check(entries.len() <= MAX_SPIKES, || {
        format!(
            "clients.spikes: {} entries; at most {MAX_SPIKES}",
            entries.len()
        )
    })?;
    let mut spikes = Vec::with_capacity(entries.len());
    for s in entries {
        let here = format!("clients.spikes (at {})", format_duration(s.at.0));
        check(s.length.0 > 0, || {
            format!("{here}: length must be above zero")
        })?;
        check(s.ramp.0 <= s.length.0 / 2, || {
            format!(
                "{here}: ramp = {} is more than half of length = {}: the ramps up and down lie within the spike",
                format_duration(s.ramp.0),
                format_duration(s.length.0)
            )
        })?;
        check(
            s.multiplier.is_finite() && (0.0..=MAX_MULTIPLIER).contains(&s.multiplier),
            || {
                format!(
                    "{here}: multiplier = {}: from 0 to {MAX_MULTIPLIER}",
                    s.multiplier
                )
            },
        )?;
        check(s.at.0.checked_add(s.length.0).is_some(), || {
            format!("{here}: ends after the end of time")
        })?;
        spikes.push(Spike {
            at: s.at.0,
            length: s.length.0,
            multiplier: s.multiplier,
            ramp: s.ramp.0,
        });
    }
    spikes.sort_by_key(|s| s.at);
    for pair in spikes.windows(2) {
        let end = pair[0].at + pair[0].length;
        check(end <= pair[1].at, || {
            format!(
                "clients.spikes: the spike at {} overlaps the one at {} (which lasts until {}); spikes may not overlap",
                format_duration(pair[1].at),
                format_duration(pair[0].at),
                format_duration(end)
            )
        })?;
    }
    Ok(spikes)
}
