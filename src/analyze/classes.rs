//! Request classes fitted to a trace's tenants (lcs v2+ tenants, Twitter
//! client ids), so that a multi-tenant trace becomes a scenario whose
//! `[[workload.classes]]` each carry their own popularity, sizes,
//! operation mix and TTL, instead of one law averaged over all of them.
//!
//! A trace gets classes when at least two tenants each send at least
//! [`MIN_SHARE`] of its requests. Each such tenant (the busiest
//! [`MAX_FITTED`]) becomes a class; the remaining tenants together become
//! one class named `other`. A second pass over the trace counts, per
//! class, every object's requests and first-seen size, the operations and
//! the TTLs; memory is one 16-byte table entry per (class, object) pair.
//!
//! Each class is fitted as the whole trace is ([`super::fit`]): Zipf alpha
//! by maximum likelihood over its own rank-frequency counts, as many keys as
//! it has objects, a log-normal size law, its get/set/delete shares, and
//! its most common TTL when at least half of its requests carry that one.
//! Classes draw from key spaces of their own; objects that several tenants
//! request are counted in each (`shared_objects` says how many such extra
//! pairs there are, so a reader sees when that simplification matters).

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::fit::size_law;
use super::pass::Pass;
use super::zipf;
use crate::request::{Op, Request, RequestStream, StreamError};
use crate::seed::Seed;
use crate::trace::RecordStream;
use crate::workload::{Mixture, Popularity, SizeLaw, Workload};

/// Smallest share of the requests that makes a tenant a class of its own.
pub const MIN_SHARE: f64 = 0.01;

/// Most tenants fitted as classes of their own (the rest are `other`).
pub const MAX_FITTED: usize = 16;

/// Most distinct TTLs counted per class; TTLs past it are not candidates
/// for the class's TTL (they still count as requests carrying a TTL).
const TTL_CAP: usize = 1024;

/// One fitted class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FittedClass {
    /// `tenant-N`, or `other` for the tenants without a class.
    pub name: String,
    /// The tenant, or none for `other`.
    pub tenant: Option<u32>,
    /// Share of the trace's requests.
    pub share: f64,
    /// Requests.
    pub requests: u64,
    /// Distinct objects (the class's keys).
    pub keys: u64,
    /// Zipf skew fitted to its rank-frequency counts.
    pub alpha: f64,
    /// Kolmogorov-Smirnov distance of that fit.
    pub ks_distance: f64,
    /// Object sizes, as `object_size` is written.
    pub object_size: String,
    /// Share of gets.
    pub get: f64,
    /// Share of sets.
    pub set: f64,
    /// Share of deletes.
    pub delete: f64,
    /// The TTL its entries get, seconds, when one TTL covers at least half
    /// of its requests.
    pub ttl_s: Option<u32>,
    /// Share of its requests that carry that TTL (0 without one).
    pub ttl_share: f64,
}

/// The classes of a trace and how much they overlap.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FittedClasses {
    /// The classes, busiest tenant first, `other` last.
    pub classes: Vec<FittedClass>,
    /// (object, class) pairs beyond each object's first class: objects that
    /// more than one class requests, which the fit gives separate keys.
    pub shared_objects: u64,
}

/// What the second pass counts for one class.
#[derive(Default)]
struct Tally {
    /// Requests and first-seen size per object.
    objects: FxHashMap<u64, (u32, u32)>,
    requests: u64,
    /// Gets, sets, deletes.
    ops: [u64; 3],
    /// Requests by TTL (0: none), at most [`TTL_CAP`] TTLs.
    ttls: FxHashMap<u32, u64>,
}

/// The tenants that become classes, busiest first, or none when fewer
/// than two tenants reach [`MIN_SHARE`].
fn chosen_tenants(pass: &Pass) -> Vec<u32> {
    let floor = MIN_SHARE * pass.requests() as f64;
    let busy: Vec<u32> = pass
        .tenants
        .ranked()
        .into_iter()
        .take_while(|&(_, n)| n as f64 >= floor)
        .take(MAX_FITTED)
        .map(|(tenant, _)| tenant)
        .collect();
    if busy.len() < 2 { Vec::new() } else { busy }
}

/// Classes fitted to the trace's tenants, reading `records` (the same
/// trace `pass` counted) once more; `None` when it has too few tenants.
pub fn fit(
    pass: &Pass,
    records: &mut dyn RecordStream,
) -> Result<Option<FittedClasses>, StreamError> {
    let tenants = chosen_tenants(pass);
    if tenants.is_empty() {
        return Ok(None);
    }
    let index: FxHashMap<u32, usize> = tenants.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let other = tenants.len();
    let mut tallies: Vec<Tally> = (0..=other).map(|_| Tally::default()).collect();
    let mut first_class: FxHashMap<u64, u16> = FxHashMap::default();
    let mut shared_objects = 0u64;
    let mut batch = Vec::with_capacity(8192);
    loop {
        batch.clear();
        if records.next_records(&mut batch, 8192)? == 0 {
            break;
        }
        for record in &batch {
            let class = index.get(&record.tenant).copied().unwrap_or(other);
            let tally = &mut tallies[class];
            let key = record.request.key;
            tally.requests += 1;
            tally.ops[match record.trace_op.op() {
                Op::Get => 0,
                Op::Set => 1,
                Op::Delete => 2,
            }] += 1;
            if tally.ttls.len() < TTL_CAP || tally.ttls.contains_key(&record.ttl_s) {
                *tally.ttls.entry(record.ttl_s).or_insert(0) += 1;
            }
            match tally.objects.get_mut(&key) {
                Some(object) => object.0 = object.0.saturating_add(1),
                None => {
                    tally.objects.insert(key, (1, record.request.size.max(1)));
                    let first = *first_class.entry(key).or_insert(class as u16);
                    if usize::from(first) != class {
                        shared_objects += 1;
                    }
                }
            }
        }
    }
    let total: u64 = tallies.iter().map(|t| t.requests).sum();
    let mut classes: Vec<FittedClass> = tallies
        .iter()
        .enumerate()
        .filter(|(_, t)| t.requests > 0)
        .map(|(i, t)| fitted(t, tenants.get(i).copied(), total))
        .collect();
    // The shares sum to 1 exactly as written: the last takes the rest.
    if let Some((last, rest)) = classes.split_last_mut() {
        last.share = 1.0 - rest.iter().map(|c| c.share).sum::<f64>();
    }
    Ok(Some(FittedClasses {
        classes,
        shared_objects,
    }))
}

/// The class fitted to one tally.
fn fitted(t: &Tally, tenant: Option<u32>, total: u64) -> FittedClass {
    let mut counts: Vec<u32> = t.objects.values().map(|&(n, _)| n).collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let fit = zipf::fit(&counts);
    let (mut sum, mut squares) = (0.0, 0.0);
    for &(_, size) in t.objects.values() {
        let ln = f64::from(size).ln();
        sum += ln;
        squares += ln * ln;
    }
    let requests = t.requests as f64;
    let share = |n: u64| (n as f64 / requests * 1e6).round() / 1e6;
    let (set, delete) = (share(t.ops[1]), share(t.ops[2]));
    let ttl = t
        .ttls
        .iter()
        .filter(|&(&ttl, _)| ttl > 0)
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .filter(|&(_, &n)| 2 * n >= t.requests);
    FittedClass {
        name: tenant.map_or_else(|| "other".to_string(), |t| format!("tenant-{t}")),
        tenant,
        share: t.requests as f64 / total as f64,
        requests: t.requests,
        keys: t.objects.len() as u64,
        alpha: fit.map_or(0.0, |z| (z.alpha * 1e4).round() / 1e4).min(10.0),
        ks_distance: fit.map_or(0.0, |z| z.ks_distance),
        object_size: size_law(t.objects.len() as u64, (sum, squares)),
        get: 1.0 - set - delete,
        set,
        delete,
        ttl_s: ttl.map(|(&ttl, _)| ttl),
        ttl_share: ttl.map_or(0.0, |(_, &n)| share(n)),
    }
}

impl FittedClasses {
    /// `requests` requests of the classes' mixture, each class on its own
    /// keys, seeded from `seed`.
    pub fn stream(
        &self,
        requests: u64,
        seed: Seed,
    ) -> Result<MixtureStream, crate::spec::SpecError> {
        let mut offset = 0u64;
        let mut parts = Vec::with_capacity(self.classes.len());
        for class in &self.classes {
            let popularity = Popularity::Zipf {
                alpha: class.alpha,
                keys: class.keys.max(1),
            };
            let workload = Workload {
                key_offset: offset,
                ..Workload::still(popularity, SizeLaw::parse(&class.object_size)?, u64::MAX)
            };
            offset += class.keys.max(1);
            parts.push((workload.stream(seed.derive(&class.name)), class.share));
        }
        Ok(MixtureStream {
            mixture: Mixture::new(parts, seed.derive("classes").rng()),
            left: requests,
        })
    }

    /// The classes as `[[workload.classes]]` entries.
    pub fn toml(&self) -> String {
        let mut out = String::new();
        for c in &self.classes {
            out += &format!(
                "\n[[workload.classes]]\nname = {}\nshare = {}\npopularity = \"zipf\"\nalpha = {}\nkeys = {}\nobject_size = \"{}\"\nget = {}\nset = {}\ndelete = {}\n",
                toml::Value::from(c.name.as_str()),
                c.share,
                c.alpha,
                c.keys.max(1),
                c.object_size,
                c.get,
                c.set,
                c.delete
            );
            if let Some(ttl) = c.ttl_s {
                out += &format!("ttl = \"{ttl}s\"\n");
            }
        }
        out
    }
}

/// A bounded run of a [`Mixture`]'s requests.
pub struct MixtureStream {
    mixture: Mixture,
    left: u64,
}

impl RequestStream for MixtureStream {
    fn next_batch(&mut self, batch: &mut Vec<Request>, max: usize) -> Result<usize, StreamError> {
        let n = (max as u64).min(self.left) as usize;
        for _ in 0..n {
            batch.push(self.mixture.next_request().1);
        }
        self.left -= n as u64;
        Ok(n)
    }
}
