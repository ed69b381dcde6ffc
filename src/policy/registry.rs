//! The policy registry: name → description → typed, defaulted parameters →
//! builder. `cachelab policies`, the README table and every name a user can
//! type come from [`POLICIES`].

use std::fmt;

use super::Policy;
use super::admission::{FILTERS, FilterSpec, Filtered, find_filter};
use crate::seed::Seed;

/// The type and allowed range of a policy parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind {
    /// A real number in `min..=max`; `10%` is accepted for 0.1.
    Real {
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// A whole number in `min..=max`.
    Int {
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// `true` or `false`.
    Bool,
}

/// One parameter a policy accepts.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    /// Name as typed: `s3fifo:small=0.2`.
    pub name: &'static str,
    /// Type and range.
    pub kind: ParamKind,
    /// The published default (booleans: 0 or 1).
    pub default: f64,
    /// One line of help.
    pub about: &'static str,
}

/// Everything needed to build a policy.
pub struct BuildArgs<'a> {
    /// Capacity in the units of the object sizes.
    pub capacity: u64,
    /// Validated parameters, each resolved to its value or default.
    pub params: &'a Params,
    /// Seed for the policy's own randomness.
    pub seed: Seed,
}

/// A registered policy.
pub struct PolicySpec {
    /// The one name used everywhere: file, CLI, scenario, results.
    pub name: &'static str,
    /// One line saying what the policy does.
    pub about: &'static str,
    /// The paper or source code it follows.
    pub source: &'static str,
    /// The parameters it accepts.
    pub params: &'static [ParamSpec],
    /// It reads each request's next access (the future): only replay of a
    /// whole stream can feed it, never a simulation with timing.
    pub needs_future: bool,
    /// Builds an empty policy.
    pub build: fn(&BuildArgs) -> Box<dyn Policy>,
}

impl fmt::Debug for PolicySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicySpec")
            .field("name", &self.name)
            .finish()
    }
}

/// Every policy cachelab knows, in the order they are listed.
pub static POLICIES: &[PolicySpec] = &[
    super::lru::SPEC,
    super::fifo::SPEC,
    super::clock::SPEC,
    super::clockpro::SPEC,
    super::sieve::SPEC,
    super::s3fifo::SPEC,
    super::s3fifo_v0::SPEC,
    super::qdlp::SPEC,
    super::arc::SPEC,
    super::car::SPEC,
    super::twoq::SPEC,
    super::lirs::SPEC,
    super::lruk::SPEC,
    super::mq::SPEC,
    super::lecar::SPEC,
    super::lfu::SPEC,
    super::slru::SPEC,
    super::lfuda::SPEC,
    super::gdsf::SPEC,
    super::mru::SPEC,
    super::wtinylfu::SPEC,
    super::wtinylfu_adaptive::SPEC,
    super::random::SPEC,
    super::hyperbolic::SPEC,
    super::lhd::SPEC,
    super::belady::SPEC,
    super::redis_lru::SPEC,
    super::redis_lfu::SPEC,
    super::redis_random::SPEC,
    super::redis_volatile_lru::SPEC,
    super::redis_volatile_lfu::SPEC,
    super::redis_volatile_random::SPEC,
    super::redis_volatile_ttl::SPEC,
    super::memcached::SPEC,
    super::memcached_slabs::SPEC,
    super::adapters::crate_lru::SPEC,
    super::adapters::crate_quick_cache::SPEC,
    super::adapters::crate_moka::SPEC,
];

/// The registered policy called `name`.
pub fn find_policy(name: &str) -> Option<&'static PolicySpec> {
    POLICIES.iter().find(|spec| spec.name == name)
}

/// A policy description a user wrote that cachelab cannot use.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PolicyError {
    /// No policy has this name.
    #[error("unknown policy `{name}`{hint}; known policies: {known}")]
    UnknownPolicy {
        /// What was written.
        name: String,
        /// "; did you mean `x`?" when a known name is close, else empty.
        hint: String,
        /// The registered names.
        known: String,
    },
    /// No admission filter has this name.
    #[error("unknown admission filter `{name}`{hint}; known filters: {known}")]
    UnknownFilter {
        /// What was written after the `+`.
        name: String,
        /// "; did you mean `x`?" when a known name is close, else empty.
        hint: String,
        /// The registered filter names.
        known: String,
    },
    /// `+expire` was written before something else.
    #[error("policy `{text}`: `+expire` comes last (POLICY[:params][+FILTER[:params]][+expire])")]
    ExpireNotLast {
        /// What was written.
        text: String,
    },
    /// `+expire` on a policy whose capacity does not bound the sum of sizes.
    #[error(
        "policy `{policy}+expire`: TTL-aware eviction needs to know when an insert needs room, and `{policy}` fills memory in slab pages; use `{policy}` (lazy expiry only)"
    )]
    ExpireNeedsSizes {
        /// The policy.
        policy: String,
    },
    /// More than one `+FILTER` was written.
    #[error("policy `{text}`: one admission filter at most (POLICY[:params][+FILTER[:params]])")]
    SeveralFilters {
        /// What was written.
        text: String,
    },
    /// The policy or filter has no such parameter.
    #[error("{kind} `{owner}` has no parameter `{param}`; its parameters: {allowed}")]
    UnknownParam {
        /// "policy" or "admission filter".
        kind: &'static str,
        /// The policy or filter.
        owner: String,
        /// What was written.
        param: String,
        /// The parameters it has.
        allowed: String,
    },
    /// The value does not parse or is out of range.
    #[error("{kind} `{owner}` parameter `{param}`: `{value}` is not allowed; expected {expected}")]
    BadValue {
        /// "policy" or "admission filter".
        kind: &'static str,
        /// The policy or filter.
        owner: String,
        /// The parameter.
        param: String,
        /// What was written.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// A parameter was not written as `name=value`.
    #[error("{kind} `{owner}`: `{text}` is not of the form name=value")]
    Malformed {
        /// "policy" or "admission filter".
        kind: &'static str,
        /// The policy or filter.
        owner: String,
        /// What was written.
        text: String,
    },
}

/// A policy's parameters, every one resolved to a value.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    values: Vec<(&'static str, f64)>,
}

impl Params {
    /// The defaults of `specs`.
    pub fn defaults(specs: &'static [ParamSpec]) -> Params {
        Params {
            values: specs.iter().map(|p| (p.name, p.default)).collect(),
        }
    }

    fn value(&self, name: &str) -> f64 {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, v)| v)
            .unwrap_or_else(|| panic!("policy reads undeclared parameter `{name}`"))
    }

    /// A real-valued parameter.
    pub fn real(&self, name: &str) -> f64 {
        self.value(name)
    }

    /// A whole-number parameter.
    pub fn int(&self, name: &str) -> u64 {
        self.value(name) as u64
    }

    /// A boolean parameter.
    pub fn flag(&self, name: &str) -> bool {
        self.value(name) != 0.0
    }
}

/// A policy with its parameters, an optional admission filter and
/// optionally TTL-aware eviction, as chosen by a user: `s3fifo:small=0.2`,
/// `lru+bloom`, `lru+size:c=65536`, `lru+expire`, `lru+bloom+expire`.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyChoice {
    /// The registered policy.
    pub spec: &'static PolicySpec,
    /// Its parameters.
    pub params: Params,
    /// The admission filter in front of it, if any.
    pub filter: Option<FilterChoice>,
    /// `+expire`: when an insert needs room, objects whose lifetime has
    /// ended leave before the policy evicts anything
    /// ([`super::parts::expiry`]). The caller, which keeps the lifetimes, does it.
    pub expire_first: bool,
    /// The name used in results: the policy name, followed by the
    /// parameters that differ from their defaults, then `+` and the
    /// filter's name and changed parameters, then `+expire`.
    pub label: String,
}

/// An admission filter with its parameters: `bloom`, `size:c=65536`.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterChoice {
    /// The registered filter.
    pub spec: &'static FilterSpec,
    /// Its parameters.
    pub params: Params,
}

impl PartialEq for PolicySpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl PolicyChoice {
    /// Parses `name`, `name:param=value,param=value`, and either followed
    /// by `+filter` or `+filter:param=value,...`, and then by `+expire`.
    pub fn parse(text: &str) -> Result<PolicyChoice, PolicyError> {
        let text = text.trim();
        let (rest, expire_first) = split_expire(text);
        if split_expire_anywhere(rest) {
            return Err(PolicyError::ExpireNotLast {
                text: text.to_string(),
            });
        }
        let (policy_text, filter_text) = split_filter(rest);
        let (name, rest) = policy_text.split_once(':').unwrap_or((policy_text, ""));
        let name = name.trim();
        let spec = find_policy(name).ok_or_else(|| PolicyError::UnknownPolicy {
            name: name.to_string(),
            hint: hint(name, POLICIES.iter().map(|s| s.name)),
            known: names(POLICIES.iter().map(|s| s.name)),
        })?;
        let params = parse_params("policy", spec.name, spec.params, rest)?;
        if expire_first && !expire_first_fits(spec, &params) {
            return Err(PolicyError::ExpireNeedsSizes {
                policy: spec.name.to_string(),
            });
        }
        let filter = filter_text
            .map(|f| FilterChoice::parse(f, text))
            .transpose()?;
        let mut label = label(spec.name, spec.params, &params);
        if let Some(filter) = &filter {
            label.push('+');
            label.push_str(&self::label(
                filter.spec.name,
                filter.spec.params,
                &filter.params,
            ));
        }
        if expire_first {
            label.push_str(EXPIRE_SUFFIX);
        }
        Ok(PolicyChoice {
            spec,
            params,
            filter,
            expire_first,
            label,
        })
    }

    /// Builds an empty policy of `capacity` units, behind its admission
    /// filter when it has one. The policy's seed does not depend on the
    /// filter, so `lru+size` and `lru` evict alike given the same admissions.
    pub fn build(&self, capacity: u64, seed: Seed) -> Box<dyn Policy> {
        let policy = (self.spec.build)(&BuildArgs {
            capacity,
            params: &self.params,
            seed: seed.derive(self.spec.name),
        });
        match &self.filter {
            None => policy,
            Some(filter) => {
                let admission = (filter.spec.build)(&BuildArgs {
                    capacity,
                    params: &filter.params,
                    seed: seed.derive(ADMISSION_SEED_LABEL),
                });
                Box::new(Filtered::new(policy, admission))
            }
        }
    }
}

/// The seed label of every admission filter: a policy has one filter at
/// most, and filters that draw alike (`size` and an `adaptsize` that never
/// retunes) then draw the same stream.
const ADMISSION_SEED_LABEL: &str = "admission";

impl FilterChoice {
    /// Parses `filter` or `filter:param=value,...`; `whole` is the whole
    /// policy text, for the error when a second filter follows.
    fn parse(text: &str, whole: &str) -> Result<FilterChoice, PolicyError> {
        if split_filter(text).1.is_some() {
            return Err(PolicyError::SeveralFilters {
                text: whole.to_string(),
            });
        }
        let (name, rest) = text.split_once(':').unwrap_or((text, ""));
        let name = name.trim();
        let spec = find_filter(name).ok_or_else(|| PolicyError::UnknownFilter {
            name: name.to_string(),
            hint: hint(name, FILTERS.iter().map(|s| s.name)),
            known: names(FILTERS.iter().map(|s| s.name)),
        })?;
        let params = parse_params("admission filter", spec.name, spec.params, rest)?;
        Ok(FilterChoice { spec, params })
    }
}

/// The suffix that turns on TTL-aware eviction.
const EXPIRE_SUFFIX: &str = "+expire";

/// `text` without a final `+expire` (spaces around the `+` allowed), and
/// whether it had one.
fn split_expire(text: &str) -> (&str, bool) {
    match text.rfind('+') {
        Some(i) if text[i + 1..].trim() == "expire" => (text[..i].trim(), true),
        _ => (text, false),
    }
}

/// Whether TTL-aware eviction can run in front of `spec` with `params`: its
/// capacity bounds the sum of sizes (asked of a small instance).
fn expire_first_fits(spec: &PolicySpec, params: &Params) -> bool {
    let probe = (spec.build)(&BuildArgs {
        capacity: 1 << 20,
        params,
        seed: Seed(0),
    });
    super::parts::expiry::supports_expire_first(probe.as_ref())
}

/// Whether a `+expire` piece is left anywhere in `text`.
fn split_expire_anywhere(text: &str) -> bool {
    text.split('+').skip(1).any(|piece| {
        let name = piece.split(':').next().unwrap_or_default();
        name.trim() == "expire"
    })
}

/// `text` cut at the first `+` that starts a filter name (a `+` followed,
/// after any spaces, by a letter, so that a value such as `1e+6` stays
/// whole); both parts trimmed.
fn split_filter(text: &str) -> (&str, Option<&str>) {
    let starts_name = |i: usize| {
        text[i + 1..]
            .trim_start()
            .starts_with(|c: char| c.is_ascii_alphabetic())
    };
    match text
        .match_indices('+')
        .map(|(i, _)| i)
        .find(|&i| starts_name(i))
    {
        Some(i) => (text[..i].trim(), Some(text[i + 1..].trim())),
        None => (text, None),
    }
}

fn hint<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    crate::suggest::nearest(name, candidates)
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default()
}

fn names<'a>(candidates: impl Iterator<Item = &'a str>) -> String {
    candidates.collect::<Vec<_>>().join(", ")
}

/// `rest` (`param=value,param=value`) read against `specs`, each value
/// checked; errors name the `kind` ("policy", "admission filter") and `owner`.
fn parse_params(
    kind: &'static str,
    owner: &str,
    specs: &'static [ParamSpec],
    rest: &str,
) -> Result<Params, PolicyError> {
    let mut params = Params::defaults(specs);
    for pair in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (param, value) = pair.split_once('=').ok_or_else(|| PolicyError::Malformed {
            kind,
            owner: owner.to_string(),
            text: pair.to_string(),
        })?;
        let (param, value) = (param.trim(), value.trim());
        let param_spec =
            specs
                .iter()
                .find(|p| p.name == param)
                .ok_or_else(|| PolicyError::UnknownParam {
                    kind,
                    owner: owner.to_string(),
                    param: param.to_string(),
                    allowed: allowed_params(specs),
                })?;
        let parsed = parse_value(param_spec.kind, value).ok_or_else(|| PolicyError::BadValue {
            kind,
            owner: owner.to_string(),
            param: param.to_string(),
            value: value.to_string(),
            expected: describe_kind(param_spec.kind),
        })?;
        let slot = params.values.iter_mut().find(|(n, _)| *n == param);
        slot.expect("every declared parameter has a value").1 = parsed;
    }
    Ok(params)
}

fn allowed_params(specs: &[ParamSpec]) -> String {
    if specs.is_empty() {
        return "none".to_string();
    }
    specs.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

/// Human description of what a parameter kind accepts.
pub fn describe_kind(kind: ParamKind) -> String {
    match kind {
        ParamKind::Real { min, max } => format!("a number from {min} to {max}"),
        ParamKind::Int { min, max } => format!("a whole number from {min} to {max}"),
        ParamKind::Bool => "true or false".to_string(),
    }
}

fn parse_value(kind: ParamKind, text: &str) -> Option<f64> {
    match kind {
        ParamKind::Real { min, max } => {
            let value = match text.strip_suffix('%') {
                Some(percent) => percent.trim().parse::<f64>().ok()? / 100.0,
                None => text.parse::<f64>().ok()?,
            };
            (value.is_finite() && (min..=max).contains(&value)).then_some(value)
        }
        ParamKind::Int { min, max } => {
            let value = text.parse::<u64>().ok()?;
            (min..=max).contains(&value).then_some(value as f64)
        }
        ParamKind::Bool => match text {
            "true" | "1" | "yes" => Some(1.0),
            "false" | "0" | "no" => Some(0.0),
            _ => None,
        },
    }
}

fn label(name: &str, specs: &[ParamSpec], params: &Params) -> String {
    let changed: Vec<String> = specs
        .iter()
        .zip(&params.values)
        .filter(|(p, (_, v))| p.default != *v)
        .map(|(p, (_, v))| match p.kind {
            ParamKind::Bool => format!("{}={}", p.name, *v != 0.0),
            _ => format!("{}={}", p.name, v),
        })
        .collect();
    if changed.is_empty() {
        name.to_string()
    } else {
        format!("{name}:{}", changed.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_file_like() {
        for (i, spec) in POLICIES.iter().enumerate() {
            assert!(
                spec.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "policy name `{}` is not a lowercase identifier",
                spec.name
            );
            assert!(
                POLICIES[..i].iter().all(|other| other.name != spec.name),
                "policy name `{}` registered twice",
                spec.name
            );
            for param in spec.params {
                let accepted = parse_value(param.kind, &format_default(param));
                assert_eq!(
                    accepted,
                    Some(param.default),
                    "{}: default of {}",
                    spec.name,
                    param.name
                );
            }
        }
    }

    fn format_default(param: &ParamSpec) -> String {
        match param.kind {
            ParamKind::Bool => (param.default != 0.0).to_string(),
            _ => param.default.to_string(),
        }
    }

    #[test]
    fn parse_reports_the_offending_part() {
        assert!(matches!(
            PolicyChoice::parse("nope"),
            Err(PolicyError::UnknownPolicy { .. })
        ));
        let err = PolicyChoice::parse("s3fifo:smal=0.2").unwrap_err();
        assert!(err.to_string().contains("`smal`"), "{err}");
        assert!(err.to_string().contains("small"), "{err}");
        let err = PolicyChoice::parse("s3fifo:small=2").unwrap_err();
        assert!(err.to_string().contains("from"), "{err}");
        assert!(matches!(
            PolicyChoice::parse("s3fifo:small"),
            Err(PolicyError::Malformed { .. })
        ));
    }

    #[test]
    fn label_shows_only_changed_parameters() {
        assert_eq!(PolicyChoice::parse("s3fifo").unwrap().label, "s3fifo");
        assert_eq!(
            PolicyChoice::parse("s3fifo:small=0.1").unwrap().label,
            "s3fifo"
        );
        let choice = PolicyChoice::parse("s3fifo:small=20%").unwrap();
        assert_eq!(choice.label, "s3fifo:small=0.2");
        assert_eq!(choice.params.real("small"), 0.2);
    }
}
