//! The checks of `[[workload.classes]]`: names, shares or rates, each
//! class's law, sizes, mix and TTL, and the key spaces they draw from.
//! A field a class leaves out takes `[workload]`'s value (`hot_share`
//! takes `workload.share`; `ttl` takes `cache.ttl`). Errors name the
//! field (`workload.classes[2].share`), the value and what is allowed.
//!
//! Shares must sum to 1, like the operation mix: a typo in one share is
//! refused rather than silently rescaled. A class may give a `rate`
//! instead (then every class does): independent Poisson streams at those
//! rates are one Poisson stream at their sum whose requests pick a class
//! with probability rate / sum, so the rates become shares and
//! `clients.rate` becomes their sum (open loop at a constant rate only).

use super::config::RequestClass;
use super::file::{ClassEntry, PopularityKind, WorkloadSection};
use super::values::Duration;
use crate::workload::{Popularity, SizeLaw, Workload};

/// Most classes in one scenario.
pub const MAX_CLASSES: usize = 64;

/// Longest class name (it names rows of `classes.csv` and plot legends).
const MAX_NAME: usize = 40;

/// Largest rate of one class, requests per second.
const MAX_RATE: f64 = 1e9;

/// The validated classes of a `[workload]` section.
#[derive(Clone, Debug)]
pub struct Classes {
    /// The classes, in file order.
    pub classes: Vec<RequestClass>,
    /// The sum of the classes' own rates, when they give rates.
    pub total_rate: Option<f64>,
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message()) }
}

fn share(name: &str, value: f64) -> Result<(), String> {
    check((0.0..=1.0).contains(&value), || {
        format!("{name} = {value}: must be a share from 0 to 1")
    })
}

/// The classes of `w`, with `ttl` (`cache.ttl`) for those that give none.
pub(super) fn classes(w: &WorkloadSection, ttl: Option<Duration>) -> Result<Classes, String> {
    let list = &w.classes;
    check(list.len() <= MAX_CLASSES, || {
        format!(
            "workload.classes: {} classes; at most {MAX_CLASSES}",
            list.len()
        )
    })?;
    check(w.popularity != PopularityKind::Trace, || {
        "workload.classes: a trace brings its own keys; classes need popularity zipf, uniform or hotspot".into()
    })?;
    check(w.drift.is_none() && w.flash_crowds.is_empty(), || {
        "workload.drift, workload.flash_crowds: classes are stationary laws; remove the drift and crowds, or the classes".into()
    })?;
    check(w.insert == 0.0 && w.rmw == 0.0 && !w.churn, || {
        "workload.insert, workload.rmw, workload.churn: classes draw gets, sets and deletes only; leave them out".into()
    })?;
    let rates = list.iter().filter(|c| c.rate.is_some()).count();
    check(rates == 0 || rates == list.len(), || {
        "workload.classes: give every class a `share`, or every class a `rate`, not a mix of both"
            .into()
    })?;
    let mut names: Vec<&str> = Vec::with_capacity(list.len());
    let mut weights = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let here = format!("workload.classes[{i}]");
        check(
            !c.name.is_empty() && c.name.len() <= MAX_NAME && !c.name.chars().any(char::is_control),
            || {
                format!(
                    "{here}.name = {:?}: 1 to {MAX_NAME} bytes, no control characters",
                    c.name
                )
            },
        )?;
        check(!names.contains(&c.name.as_str()), || {
            format!("{here}.name = {:?}: another class has this name", c.name)
        })?;
        names.push(&c.name);
        weights.push(weight(&here, c, rates > 0)?);
    }
    let total: f64 = weights.iter().sum();
    if rates == 0 {
        check((total - 1.0).abs() < 1e-9, || {
            let shares: Vec<String> = weights.iter().map(f64::to_string).collect();
            format!(
                "workload.classes[*].share = {}: they sum to {total}; the shares must sum to 1",
                shares.join(" + ")
            )
        })?;
    }
    let mut next_offset: u64 = 0;
    let mut out: Vec<RequestClass> = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let here = format!("workload.classes[{i}]");
        let owner = match &c.keys_of {
            None => None,
            Some(other) => Some(key_owner(&here, other, list, &out, i)?),
        };
        let keys = c.keys.or(owner.map(|o| o.workload.popularity.keys()));
        let popularity = popularity(&here, c, w, keys.unwrap_or(w.keys))?;
        let sizes = match owner {
            Some(o) => {
                check(c.object_size.is_none(), || {
                    format!(
                        "{here}.object_size: a class that requests {:?}'s keys has its sizes; leave it out",
                        o.name
                    )
                })?;
                o.workload.sizes.clone()
            }
            None => {
                let text = c.object_size.as_deref().unwrap_or(&w.object_size);
                SizeLaw::parse(text).map_err(|e| format!("{here}.object_size: {e}"))?
            }
        };
        let key_offset = match owner {
            Some(o) => {
                let most = o.workload.popularity.keys();
                check(popularity.keys() <= most, || {
                    format!(
                        "{here}.keys = {}: a class that requests {:?}'s keys draws from at most its {most} keys",
                        popularity.keys(),
                        o.name
                    )
                })?;
                o.workload.key_offset
            }
            None => {
                let offset = next_offset;
                next_offset = next_offset
                    .checked_add(popularity.keys())
                    .filter(|&n| n <= u64::MAX / 2)
                    .ok_or_else(|| format!("{here}.keys: the classes' keys together pass 2^63"))?;
                offset
            }
        };
        let class_ttl = c.ttl.or(ttl);
        if let Some(t) = c.ttl {
            check(t.0 > 0, || {
                format!("{here}.ttl must be above zero (leave it out for cache.ttl)")
            })?;
        }
        out.push(RequestClass {
            name: c.name.clone(),
            share: weights[i] / total,
            workload: Workload {
                key_offset,
                ..Workload::still(popularity, sizes, u64::MAX)
            },
            mix: mix(&here, c, w)?,
            ttl: class_ttl.map(|t| t.0),
        });
    }
    Ok(Classes {
        classes: out,
        total_rate: (rates > 0).then_some(total),
    })
}

/// A class's share, or its rate when the classes give rates.
fn weight(here: &str, c: &ClassEntry, rates: bool) -> Result<f64, String> {
    match (c.share, c.rate) {
        (Some(_), Some(_)) => Err(format!("{here}: give `share` or `rate`, not both")),
        (None, Some(rate)) => {
            check(rate > 0.0 && rate <= MAX_RATE, || {
                format!("{here}.rate = {rate}: requests per second, above 0, at most {MAX_RATE:e}")
            })?;
            Ok(rate)
        }
        (Some(s), None) => {
            check(s > 0.0 && s <= 1.0, || {
                format!("{here}.share = {s}: a share of the requests above 0, at most 1")
            })?;
            Ok(s)
        }
        (None, None) if rates => Err(format!(
            "{here}: the other classes give a `rate`; give this one its `rate` too"
        )),
        (None, None) => Err(format!(
            "{here}: give its `share` of the requests (the shares sum to 1), or its own `rate`"
        )),
    }
}

/// The earlier class whose keys `other` names.
fn key_owner<'a>(
    here: &str,
    other: &str,
    list: &[ClassEntry],
    done: &'a [RequestClass],
    i: usize,
) -> Result<&'a RequestClass, String> {
    let position = list.iter().position(|c| c.name == other);
    match position {
        Some(p) if p < i && list[p].keys_of.is_none() => Ok(&done[p]),
        Some(p) if p < i => Err(format!(
            "{here}.keys_of = {other:?}: that class requests another's keys itself; name the class that owns them ({:?})",
            list[p].keys_of.as_deref().unwrap_or_default()
        )),
        Some(_) => Err(format!(
            "{here}.keys_of = {other:?}: name a class listed before this one"
        )),
        None => Err(format!(
            "{here}.keys_of = {other:?}: no class has this name"
        )),
    }
}

/// A class's popularity law over `keys` keys.
fn popularity(
    here: &str,
    c: &ClassEntry,
    w: &WorkloadSection,
    keys: u64,
) -> Result<Popularity, String> {
    let kind = c.popularity.unwrap_or(w.popularity);
    let alpha = c.alpha.unwrap_or(w.alpha);
    let hot = c.hot.unwrap_or(w.hot);
    let hot_share = c.hot_share.unwrap_or(w.share);
    check(keys >= 1, || format!("{here}.keys must be at least 1"))?;
    Ok(match kind {
        PopularityKind::Zipf => {
            check((0.0..=10.0).contains(&alpha), || {
                format!("{here}.alpha = {alpha}: must be from 0 to 10")
            })?;
            Popularity::Zipf { alpha, keys }
        }
        PopularityKind::Uniform => Popularity::Uniform { keys },
        PopularityKind::Hotspot => {
            check(hot > 0.0 && hot <= 1.0, || {
                format!("{here}.hot = {hot}: a share of the keys above 0, at most 1")
            })?;
            share(&format!("{here}.hot_share"), hot_share)?;
            Popularity::Hotspot {
                keys,
                hot,
                share: hot_share,
            }
        }
        PopularityKind::Latest | PopularityKind::Trace => {
            return Err(format!(
                "{here}.popularity = \"{}\": a class is a stationary law: zipf, uniform or hotspot",
                format!("{kind:?}").to_lowercase()
            ));
        }
    })
}

/// A class's shares of get, set and delete, summing to 1.
fn mix(here: &str, c: &ClassEntry, w: &WorkloadSection) -> Result<[f64; 3], String> {
    let mix = [
        c.get.unwrap_or(w.get),
        c.set.unwrap_or(w.set),
        c.delete.unwrap_or(w.delete),
    ];
    for (field, value) in ["get", "set", "delete"].iter().zip(mix) {
        share(&format!("{here}.{field}"), value)?;
    }
    let total: f64 = mix.iter().sum();
    check((total - 1.0).abs() < 1e-9, || {
        format!("{here}.get + set + delete = {total}: the shares must sum to 1")
    })?;
    Ok(mix)
}

/// The share-weighted operation mix of `classes` (get, set, delete, and no
/// inserts nor read-modify-writes).
pub(super) fn overall_mix(classes: &[RequestClass]) -> [f64; 5] {
    let mut mix = [0.0; 5];
    for c in classes {
        for (total, part) in mix.iter_mut().zip(c.mix) {
            *total += c.share * part;
        }
    }
    mix
}
