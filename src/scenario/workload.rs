//! The checks of `[workload]`'s moving parts and operation mix: a drift,
//! flash crowds, inserts and churn (which need `latest`), read-modify-writes
//! and YCSB E's refusal. Errors name the field, the value and what is
//! allowed.

use super::file::{DriftEntry, FlashCrowdEntry, PopularityKind, Preset, WorkloadSection};
use crate::units::format_duration;
use crate::workload::{Drift, FlashCrowd, Motion};

/// Most flash crowds in one scenario.
const MAX_CROWDS: usize = 10_000;

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message()) }
}

fn share(name: &str, value: f64) -> Result<(), String> {
    check((0.0..=1.0).contains(&value), || {
        format!("{name} = {value}: must be a share from 0 to 1")
    })
}

/// The shares of get, set, delete, insert and read-modify-write, checked
/// to be shares summing to 1, and allowed by the popularity law.
pub(super) fn mix(w: &WorkloadSection) -> Result<[f64; 5], String> {
    check(w.preset != Some(Preset::YcsbE), || {
        "workload.preset = \"ycsb-e\": scans (multi-key reads) are not modelled yet; allowed: ycsb-a, ycsb-b, ycsb-c, ycsb-d, ycsb-f".into()
    })?;
    let mix = [w.get, w.set, w.delete, w.insert, w.rmw];
    for (field, value) in ["get", "set", "delete", "insert", "rmw"].iter().zip(mix) {
        share(&format!("workload.{field}"), value)?;
    }
    let total: f64 = mix.iter().sum();
    check((total - 1.0).abs() < 1e-9, || {
        format!("workload.get + set + delete + insert + rmw = {total}: the shares must sum to 1")
    })?;
    let trace = w.popularity == PopularityKind::Trace;
    check(!trace || (w.insert == 0.0 && w.rmw == 0.0), || {
        "workload.insert, workload.rmw: a trace has its own operations; leave them 0".into()
    })?;
    check(
        w.insert == 0.0 || w.popularity == PopularityKind::Latest,
        || {
            format!(
                "workload.insert = {}: inserts create keys, which only popularity = \"latest\" requests (popularity is {:?})",
                w.insert, w.popularity
            )
        },
    )?;
    check(!w.churn || w.popularity == PopularityKind::Latest, || {
        "workload.churn = true: churn deletes the oldest keys of popularity = \"latest\"".into()
    })?;
    Ok(mix)
}

/// The drift and flash crowds of `w` over `keys` keys, times in ns.
pub(super) fn motion(w: &WorkloadSection, keys: u64) -> Result<Motion, String> {
    let still = w.drift.is_none() && w.flash_crowds.is_empty();
    check(still || w.popularity != PopularityKind::Trace, || {
        "workload.drift, workload.flash_crowds: a trace's keys do not move; remove them".into()
    })?;
    check(
        w.flash_crowds.is_empty() || w.popularity != PopularityKind::Latest,
        || {
            "workload.flash_crowds: with popularity = \"latest\" the cold keys change with every insert; crowds need zipf, uniform or hotspot".into()
        },
    )?;
    check(
        w.drift.is_none() || w.popularity != PopularityKind::Latest,
        || {
            "workload.drift: popularity = \"latest\" moves by its inserts already; a drift needs zipf, uniform or hotspot".into()
        },
    )?;
    Ok(Motion {
        drift: w.drift.as_ref().map(|d| drift(d, keys)).transpose()?,
        crowds: crowds(&w.flash_crowds, keys)?,
    })
}

fn drift(d: &DriftEntry, keys: u64) -> Result<Drift, String> {
    check(d.period.0 > 0, || {
        "workload.drift.period must be above zero".into()
    })?;
    match (d.shift, d.replace) {
        (Some(shift), None) => {
            check(shift >= 1 && shift < keys, || {
                format!(
                    "workload.drift.shift = {shift}: from 1 to keys − 1 = {}",
                    keys - 1
                )
            })?;
            Ok(Drift::Shift {
                period: d.period.0,
                shift,
            })
        }
        (None, Some(replace)) => {
            check(replace > 0.0 && replace <= 1.0, || {
                format!(
                    "workload.drift.replace = {replace}: a share of the ranks above 0, at most 1"
                )
            })?;
            Ok(Drift::Replace {
                period: d.period.0,
                share: replace,
            })
        }
        _ => {
            Err("workload.drift: give exactly one of `shift` (ranks) or `replace` (a share)".into())
        }
    }
}

fn crowds(entries: &[FlashCrowdEntry], keys: u64) -> Result<Vec<FlashCrowd>, String> {
    check(entries.len() <= MAX_CROWDS, || {
        format!(
            "workload.flash_crowds: {} entries; at most {MAX_CROWDS}",
            entries.len()
        )
    })?;
    let mut end = 0;
    let mut taken: u64 = 0;
    entries
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = format!("workload.flash_crowds[{i}]");
            check(c.length.0 > 0, || format!("{name}.length must be above zero"))?;
            check(c.at.0 >= end, || {
                format!(
                    "{name}.at = {}: crowds must be in time order and not overlap (the one before ends at {})",
                    format_duration(c.at.0),
                    format_duration(end)
                )
            })?;
            share(&format!("{name}.share"), c.share)?;
            taken = taken.saturating_add(c.keys);
            check(c.keys >= 1 && taken <= keys, || {
                format!(
                    "{name}.keys = {}: at least 1, and all crowds' keys together at most workload.keys = {keys}",
                    c.keys
                )
            })?;
            end = c.at.0.saturating_add(c.length.0);
            Ok(FlashCrowd {
                at: c.at.0,
                length: c.length.0,
                keys: c.keys,
                share: c.share,
            })
        })
        .collect()
}
