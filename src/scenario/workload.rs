//! The checks of `[workload]`'s moving parts and operation mix: a drift,
//! flash crowds, inserts, churn (which needs `latest`), read-modify-writes
//! and scans. Errors name the field, the value and what is allowed.

use super::file::{
    DriftEntry, FlashCrowdEntry, Pattern, PopularityKind, ScanLengthKind, ScanOrderKind,
    ScenarioFile, WorkloadSection,
};
use crate::units::format_duration;
use crate::workload::{Drift, FlashCrowd, Motion, ScanLength, ScanMix, ScanOrder};

/// The longest scan a scenario may ask for, in keys.
const MAX_SCAN_LENGTH: u64 = crate::workload::MAX_SCAN_LENGTH;

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
/// to be shares summing to 1 with the scans' share, and allowed by the
/// popularity law.
pub(super) fn mix(w: &WorkloadSection) -> Result<[f64; 5], String> {
    let mix = [w.get, w.set, w.delete, w.insert, w.rmw];
    for (field, value) in ["get", "set", "delete", "insert", "rmw", "scan"]
        .iter()
        .zip(mix.into_iter().chain([w.scan]))
    {
        share(&format!("workload.{field}"), value)?;
    }
    let total: f64 = mix.iter().sum::<f64>() + w.scan;
    check((total - 1.0).abs() < 1e-9, || {
        format!(
            "workload.get + set + delete + insert + rmw + scan = {total}: the shares must sum to 1"
        )
    })?;
    let trace = w.popularity == PopularityKind::Trace;
    check(!trace || (w.insert == 0.0 && w.rmw == 0.0), || {
        "workload.insert, workload.rmw: a trace has its own operations; leave them 0".into()
    })?;
    check(
        w.insert == 0.0 || (w.drift.is_none() && w.flash_crowds.is_empty()),
        || {
            format!(
                "workload.insert = {}: inserts create keys, and a drift or flash crowds move ranks over a fixed key space; remove one or the other",
                w.insert
            )
        },
    )?;
    check(w.classes.is_empty() || w.insert == 0.0, || {
        format!(
            "workload.insert = {}: request classes have fixed key spaces; leave it 0 with workload.classes",
            w.insert
        )
    })?;
    check(!w.churn || w.popularity == PopularityKind::Latest, || {
        "workload.churn = true: churn deletes the oldest keys of popularity = \"latest\"".into()
    })?;
    Ok(mix)
}

/// The scans of `file`'s workload and the order of its keys (none when its
/// `scan` share is 0), checked against the parts of the model a multi-get
/// does not go through.
pub(super) fn scans(file: &ScenarioFile) -> Result<Option<(ScanMix, ScanOrder)>, String> {
    let w = &file.workload;
    let max = w.max_scan_length;
    check((1..=MAX_SCAN_LENGTH).contains(&max), || {
        format!("workload.max_scan_length = {max}: a scan reads from 1 to {MAX_SCAN_LENGTH} keys")
    })?;
    if w.scan == 0.0 {
        return Ok(None);
    }
    let refuse = |ok: bool, what: &str| {
        check(ok, || {
            format!(
                "workload.scan = {}: scans are modelled as cache-aside multi-gets without {what}",
                w.scan
            )
        })
    };
    refuse(
        w.popularity != PopularityKind::Trace,
        "a trace (a trace has its own operations)",
    )?;
    refuse(w.classes.is_empty(), "request classes (workload.classes)")?;
    refuse(
        w.drift.is_none() && w.flash_crowds.is_empty(),
        "a drift or flash crowds (key numbers must stay in place)",
    )?;
    refuse(
        file.cache.pattern != Pattern::ReadThrough,
        "read-through (cache.pattern = \"read-through\")",
    )?;
    refuse(!file.consistency.leases, "leases (consistency.leases)")?;
    refuse(file.retry.is_none(), "retries ([retry])")?;
    refuse(file.app.is_none(), "application servers ([app])")?;
    refuse(file.tiers.is_empty(), "near tiers ([[tiers]])")?;
    let order = match w.scan_order {
        ScanOrderKind::Scrambled => ScanOrder::Scrambled,
        ScanOrderKind::Ranked => ScanOrder::Ranked,
    };
    check(order == ScanOrder::Ranked || !w.churn, || {
        "workload.scan_order = \"scrambled\": with workload.churn the oldest keys are deleted, and a scan would read their places in the scrambled order; set workload.scan_order = \"ranked\"".into()
    })?;
    let mix = ScanMix {
        share: w.scan,
        length: match w.scan_length {
            ScanLengthKind::Uniform => ScanLength::Uniform { max },
            ScanLengthKind::Fixed => ScanLength::Fixed(max),
        },
    };
    Ok(Some((mix, order)))
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
