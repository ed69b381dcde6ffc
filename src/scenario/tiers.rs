//! `[[tiers]]`: cache tiers in front of the routed nodes, as the file
//! writes them ([`TierEntry`]) and as the model reads them once checked
//! ([`NearTier`]). Each `local` entry is a near cache in the process that
//! asks the shared tier: one per application server with `[app]`, else one
//! for the clients (the clients are modelled as one process issuing the
//! whole load; closed-loop users are its threads). Entries are looked up in
//! file order; the routed nodes of `[nodes]` stay the last cache tier before
//! the database, and an entry `placement = "shared"` may name them, last.
//! Absent, requests go to the routed nodes first, as before.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::file::Pattern;
use super::values::{Bytes, Duration};
use crate::policy::PolicyChoice;
use crate::sim::Time;
use crate::sim::dist::Dist;

/// Most entries in `[[tiers]]`.
pub const MAX_TIERS: usize = 8;

/// Where a tier's caches sit.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// In process: one cache per application server (or one for the
    /// clients without `[app]`).
    Local,
    /// The routed nodes of `[nodes]` (today's tier): last, with no settings
    /// of its own.
    Shared,
}

/// How a local tier learns that a key changed.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NearInvalidation {
    /// It does not: a copy lives until its `ttl` (needs one).
    Ttl,
    /// Every write or delete of a key is broadcast to every local cache of
    /// the tier (Redis client-side caching with tracking, or pub/sub): each
    /// drops its copy `delay` after the commit, unless the message is lost.
    Broadcast,
    /// Nothing drops a copy but eviction (no `ttl`).
    None,
}

/// One entry of `[[tiers]]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TierEntry {
    /// Where the tier's caches sit.
    pub placement: Placement,
    /// Eviction policy of each local cache, `name[:param=value,...]`.
    #[schemars(schema_with = "super::schema::policy")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Capacity of each local cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Bytes>,
    /// Lifetime of a local copy (unset: until evicted or invalidated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Duration>,
    /// Whether an answer from further down fills this tier on its way back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fill: Option<bool>,
    /// Time of one lookup in a local cache (in process).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<Duration>,
    /// How copies learn of writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalidation: Option<NearInvalidation>,
    /// Broadcast: the delay from a commit to the drop of each copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<Dist>,
    /// Broadcast: the probability that one cache's message is lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
}

impl Default for TierEntry {
    fn default() -> Self {
        TierEntry {
            placement: Placement::Local,
            policy: None,
            capacity: None,
            ttl: None,
            fill: None,
            latency: None,
            invalidation: None,
            delay: None,
            loss: None,
        }
    }
}

/// A local tier, checked.
#[derive(Clone, Debug)]
pub struct NearTier {
    /// Eviction policy of each cache.
    pub policy: PolicyChoice,
    /// Capacity of each cache, bytes (above zero).
    pub capacity: u64,
    /// Lifetime of a copy, if copies expire.
    pub ttl: Option<Time>,
    /// Answers from further down fill it.
    pub fill: bool,
    /// Time of one lookup.
    pub latency: Time,
    /// How copies learn of writes.
    pub invalidation: NearInvalidation,
    /// Broadcast: the delay of each message.
    pub delay: Dist,
    /// Broadcast: the probability that a message is lost.
    pub loss: f64,
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message()) }
}

/// Checks `[[tiers]]` and returns its local tiers in lookup order;
/// `pattern` is the cache's (a near cache sits in front of a shared one).
pub fn near_tiers(list: &[TierEntry], pattern: Pattern) -> Result<Vec<NearTier>, String> {
    check(list.len() <= MAX_TIERS, || {
        format!("tiers: {} entries; at most {MAX_TIERS}", list.len())
    })?;
    check(list.is_empty() || pattern != Pattern::None, || {
        "tiers: a near cache sits in front of the shared tier, and cache.pattern is \"none\"; leave [[tiers]] out".into()
    })?;
    let mut out = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        let here = format!("tiers[{i}]");
        match t.placement {
            Placement::Shared => shared(&here, t, i + 1 == list.len())?,
            Placement::Local => out.push(local(&here, t)?),
        }
    }
    Ok(out)
}

/// A `shared` entry names `[nodes]`: last, and with nothing of its own.
fn shared(here: &str, t: &TierEntry, last: bool) -> Result<(), String> {
    check(last, || {
        format!("{here}.placement = \"shared\": the routed nodes are the last tier; put it last")
    })?;
    let given = [
        ("policy", t.policy.is_some()),
        ("capacity", t.capacity.is_some()),
        ("ttl", t.ttl.is_some()),
        ("fill", t.fill.is_some()),
        ("latency", t.latency.is_some()),
        ("invalidation", t.invalidation.is_some()),
        ("delay", t.delay.is_some()),
        ("loss", t.loss.is_some()),
    ];
    if let Some((field, _)) = given.iter().find(|(_, set)| *set) {
        return Err(format!(
            "{here}.{field}: the shared tier is configured by [nodes], [cache] and [consistency]; leave it out"
        ));
    }
    Ok(())
}

fn local(here: &str, t: &TierEntry) -> Result<NearTier, String> {
    let text = t.policy.as_deref().unwrap_or("lru");
    let policy = PolicyChoice::parse(text).map_err(|e| format!("{here}.policy: {e}"))?;
    check(!policy.spec.needs_future, || {
        format!(
            "{here}.policy: {} needs the future, which a simulation with timing does not know",
            policy.spec.name
        )
    })?;
    let capacity = t
        .capacity
        .ok_or_else(|| format!("{here}.capacity: required for a local tier (e.g. \"64MiB\")"))?
        .0;
    check(capacity > 0, || {
        format!("{here}.capacity must be above zero")
    })?;
    if let Some(ttl) = t.ttl {
        check(ttl.0 > 0, || {
            format!("{here}.ttl must be above zero (leave it out for no expiry)")
        })?;
    }
    let invalidation = t.invalidation.unwrap_or(NearInvalidation::Ttl);
    match invalidation {
        NearInvalidation::Ttl => check(t.ttl.is_some(), || {
            format!(
                "{here}.ttl: invalidation = \"ttl\" needs a ttl (or invalidation = \"none\": copies live until evicted)"
            )
        })?,
        NearInvalidation::None => check(t.ttl.is_none(), || {
            format!(
                "{here}.ttl: invalidation = \"none\" keeps copies until evicted; leave the ttl out, or use invalidation = \"ttl\""
            )
        })?,
        NearInvalidation::Broadcast => {}
    }
    let broadcast = invalidation == NearInvalidation::Broadcast;
    for (field, set) in [("delay", t.delay.is_some()), ("loss", t.loss.is_some())] {
        check(broadcast || !set, || {
            format!("{here}.{field}: only with invalidation = \"broadcast\"; leave it out")
        })?;
    }
    let loss = t.loss.unwrap_or(0.0);
    check((0.0..=1.0).contains(&loss), || {
        format!("{here}.loss = {loss}: must be a probability from 0 to 1")
    })?;
    Ok(NearTier {
        policy,
        capacity,
        ttl: t.ttl.map(|d| d.0),
        fill: t.fill.unwrap_or(true),
        latency: t.latency.map_or(0, |d| d.0),
        invalidation,
        delay: t.delay.clone().unwrap_or(Dist::Fixed(0)),
        loss,
    })
}
