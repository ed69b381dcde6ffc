//! `[[tiers]]`: cache tiers in front of the routed nodes, as the file
//! writes them ([`TierEntry`]) and as the model reads them once checked
//! ([`NearTier`]). Each `local` entry is a near cache in the process that
//! asks the shared tier: one per application server with `[app]`, else one
//! for the clients (the clients are modelled as one process issuing the
//! whole load; closed-loop users are its threads). Entries are looked up in
//! file order; the routed nodes of `[nodes]` stay the last cache tier before
//! the database, and an entry `placement = "shared"` may name them, last.
//! Absent, requests go to the routed nodes first, as before.
//!
//! A `shared` entry with `nodes` of its own is a tier of shared nodes above
//! `[nodes]` (a CDN's edges above its shield): after the local entries,
//! before the last. Its `routing` says how a get finds its node: `region`,
//! the node of the region the request comes from, drawn per request (a CDN
//! sends a user to a nearby edge by DNS or anycast, whatever the URL: the
//! edges are not partitioned by key, each holds what its own users asked
//! for); or `hash`, by key (a tier of its own sharded by key, as a CDN's
//! shield or mid-tier is: Fastly's shielding and Akamai's tiered
//! distribution send every edge's misses of an object to one parent).
//! `regional` skews what each region asks for: a request goes to its key's
//! home region (a fixed hash of the key) with that probability, and to a
//! region drawn uniformly otherwise. At 0 every region sees the whole
//! workload's popularity (each edge one uniform share of the stream); at 1
//! each key is asked for from its home region only (fully regional
//! content: the edges see disjoint key sets, each with its keys' whole
//! traffic); in between, each region's users favour its own keys.

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

/// Most nodes in a shared tier of its own.
pub const MAX_TIER_NODES: u32 = 4096;

/// How a get finds its node in a shared tier of its own.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TierRouting {
    /// The node of the region the request comes from (a CDN's edge),
    /// drawn per request, skewed by `regional`.
    Region,
    /// By key, with jump consistent hashing (a shield or mid-tier).
    Hash,
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
    /// The tier's name in results (default `local-<i>` or `shared-<i>`,
    /// `<i>` its position in `[[tiers]]`; the last tier is `shared`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Shared: nodes of its own, making it a tier above `[nodes]` (e.g. a
    /// CDN's edges), from 1 to 4096; leave it out for `[nodes]` itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u32>,
    /// Shared with `nodes`: how a get finds its node, `region` (the node of
    /// the request's region) or `hash` (by key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<TierRouting>,
    /// `routing = "region"`: the probability that a request comes from its
    /// key's home region rather than a uniformly drawn one, from 0 (the
    /// same popularity in every region) to 1 (fully regional keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regional: Option<f64>,
    /// Eviction policy of each cache or node, `name[:param=value,...]`.
    #[schemars(schema_with = "super::schema::policy")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Capacity of each cache or node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Bytes>,
    /// Lifetime of a copy (unset: until evicted or invalidated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Duration>,
    /// Whether an answer from further down fills this tier on its way back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fill: Option<bool>,
    /// Time of one lookup: in process for a local tier; for a shared tier
    /// of its own, the round trip to its node and the node's service (its
    /// nodes are not queues: a node takes whatever its region sends).
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
            name: None,
            nodes: None,
            routing: None,
            regional: None,
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

/// Which cache of a tier a get looks in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Route {
    /// Its process's own: the application server's, or the clients' one.
    Local,
    /// The node of the request's region, one of `nodes`; with probability
    /// `regional` the key's home region.
    Region {
        /// Nodes of the tier.
        nodes: u32,
        /// The probability that a request comes from its key's home region.
        regional: f64,
    },
    /// By key, over `nodes` nodes.
    Hash {
        /// Nodes of the tier.
        nodes: u32,
    },
}

/// A tier above the routed nodes of `[nodes]`, checked: local caches, or
/// shared nodes of its own.
#[derive(Clone, Debug)]
pub struct NearTier {
    /// Its name in results.
    pub name: String,
    /// Which of its caches a get looks in.
    pub route: Route,
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

/// Checks `[[tiers]]` and returns the tiers above `[nodes]` in lookup
/// order; `pattern` is the cache's (a near cache sits in front of a shared
/// one), `app` whether there are application servers.
pub fn near_tiers(
    list: &[TierEntry],
    pattern: Pattern,
    app: bool,
) -> Result<Vec<NearTier>, String> {
    check(list.len() <= MAX_TIERS, || {
        format!("tiers: {} entries; at most {MAX_TIERS}", list.len())
    })?;
    check(list.is_empty() || pattern != Pattern::None, || {
        "tiers: a near cache sits in front of the shared tier, and cache.pattern is \"none\"; leave [[tiers]] out".into()
    })?;
    let mut out: Vec<NearTier> = Vec::with_capacity(list.len());
    let mut first_shared = None;
    for (i, t) in list.iter().enumerate() {
        let here = format!("tiers[{i}]");
        match (t.placement, t.nodes) {
            (Placement::Shared, None) => shared(&here, t, i + 1 == list.len())?,
            (Placement::Shared, Some(nodes)) => {
                let region = out
                    .iter()
                    .position(|n| matches!(n.route, Route::Region { .. }));
                let route = routed(&here, t, nodes, app, region)?;
                first_shared.get_or_insert(i);
                out.push(cache(&here, t, route, format!("shared-{i}"))?);
            }
            (Placement::Local, _) => {
                if let Some(s) = first_shared {
                    return Err(format!(
                        "{here}.placement = \"local\": a local tier is in process, in front of every shared tier; put it before tiers[{s}]"
                    ));
                }
                for (field, set) in [
                    ("nodes", t.nodes.is_some()),
                    ("routing", t.routing.is_some()),
                    ("regional", t.regional.is_some()),
                ] {
                    check(!set, || {
                        format!(
                            "{here}.{field}: only for a shared tier with nodes of its own; leave it out"
                        )
                    })?;
                }
                out.push(cache(&here, t, Route::Local, format!("local-{i}"))?);
            }
        }
    }
    for (i, tier) in out.iter().enumerate() {
        let taken = tier.name == "shared" || out[..i].iter().any(|t| t.name == tier.name);
        check(!tier.name.is_empty() && !taken, || {
            format!(
                "tiers[{i}].name = {:?}: names must be non-empty and distinct, and \"shared\" is the last tier's",
                tier.name
            )
        })?;
    }
    Ok(out)
}

/// How a shared entry with `nodes` of its own is routed; `region` is the
/// index of an earlier region-routed tier, if any (a request comes from
/// one region).
fn routed(
    here: &str,
    t: &TierEntry,
    nodes: u32,
    app: bool,
    region: Option<usize>,
) -> Result<Route, String> {
    check((1..=MAX_TIER_NODES).contains(&nodes), || {
        format!(
            "{here}.nodes = {nodes}: a shared tier of its own has from 1 to {MAX_TIER_NODES} nodes"
        )
    })?;
    check(!app, || {
        format!(
            "{here}.nodes: a shared tier of its own is reached by the clients directly, and [app] puts application servers first; leave out [app] or this entry"
        )
    })?;
    let routing = t.routing.ok_or_else(|| {
        format!(
            "{here}.routing: required with nodes: \"region\" (the node of the request's region, a CDN's edge) or \"hash\" (by key)"
        )
    })?;
    match routing {
        TierRouting::Hash => {
            check(t.regional.is_none(), || {
                format!("{here}.regional: only with routing = \"region\"; leave it out")
            })?;
            Ok(Route::Hash { nodes })
        }
        TierRouting::Region => {
            if let Some(r) = region {
                return Err(format!(
                    "{here}.routing = \"region\": tiers[{r}] is routed by region already, and a request comes from one region; route this one by \"hash\""
                ));
            }
            let regional = t.regional.unwrap_or(0.0);
            check((0.0..=1.0).contains(&regional), || {
                format!(
                    "{here}.regional = {regional}: a probability from 0 (the same popularity everywhere) to 1 (fully regional)"
                )
            })?;
            Ok(Route::Region { nodes, regional })
        }
    }
}

/// A `shared` entry names `[nodes]`: last, and with nothing of its own.
fn shared(here: &str, t: &TierEntry, last: bool) -> Result<(), String> {
    check(last, || {
        format!("{here}.placement = \"shared\": the routed nodes are the last tier; put it last")
    })?;
    let given = [
        ("name", t.name.is_some()),
        ("routing", t.routing.is_some()),
        ("regional", t.regional.is_some()),
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
            "{here}.{field}: the shared tier is configured by [nodes], [cache] and [consistency]; leave it out (or give the entry nodes of its own, for a shared tier above [nodes])"
        ));
    }
    Ok(())
}

/// The cache settings of a local entry or a shared one with nodes of its
/// own, reached by `route`; `name` unless the entry names itself.
fn cache(here: &str, t: &TierEntry, route: Route, name: String) -> Result<NearTier, String> {
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
        .ok_or_else(|| format!("{here}.capacity: required (e.g. \"64MiB\")"))?
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
        name: t.name.clone().unwrap_or(name),
        route,
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
