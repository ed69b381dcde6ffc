//! The small `kind:name=value,name=value` language of workload, size and
//! distribution specifications on the command line and in scenario files.

use crate::units::{parse_bytes, parse_count};

/// A specification a user wrote that cachelab cannot use.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("`{spec}`: {problem}")]
pub struct SpecError {
    /// The whole specification as written.
    pub spec: String,
    /// What is wrong with it, and what is allowed.
    pub problem: String,
}

/// A parsed `kind:a=1,b=2`, with typed accessors that name the offending
/// parameter in their errors.
pub struct Spec<'a> {
    text: &'a str,
    /// The part before the colon.
    pub kind: &'a str,
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Spec<'a> {
    /// Splits `text` and checks that only the names `allowed(kind)` occur,
    /// each at most once. An empty `allowed` list means an unknown kind.
    pub fn parse(
        text: &'a str,
        allowed: fn(&str) -> &'static [&'static str],
        known_kinds: &str,
    ) -> Result<Spec<'a>, SpecError> {
        let (kind, rest) = text.split_once(':').unwrap_or((text, ""));
        let mut spec = Spec {
            text,
            kind: kind.trim(),
            pairs: Vec::new(),
        };
        let names = allowed(spec.kind);
        if names.is_empty() {
            return Err(spec.fail(format!(
                "unknown kind `{}`; known: {known_kinds}",
                spec.kind
            )));
        }
        for pair in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| spec.fail(format!("`{pair}` is not of the form name=value")))?;
            let name = name.trim();
            if !names.contains(&name) {
                return Err(spec.fail(format!(
                    "`{}` has no parameter `{name}`; its parameters: {}",
                    spec.kind,
                    names.join(", ")
                )));
            }
            if spec.get(name).is_some() {
                return Err(spec.fail(format!("`{name}` is given twice")));
            }
            spec.pairs.push((name, value.trim()));
        }
        Ok(spec)
    }

    /// An error about this specification.
    pub fn fail(&self, problem: String) -> SpecError {
        SpecError {
            spec: self.text.to_string(),
            problem,
        }
    }

    /// The value written for `name`, if any.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .find(|&&(n, _)| n == name)
            .map(|&(_, v)| v)
    }

    fn required(&self, name: &str) -> Result<&'a str, SpecError> {
        self.get(name)
            .ok_or_else(|| self.fail(format!("`{name}` is required")))
    }

    /// A positive whole number (`1e6`, `10M`); required.
    pub fn count(&self, name: &str) -> Result<u64, SpecError> {
        let v = self.required(name)?;
        parse_count(v).filter(|&n| n > 0).ok_or_else(|| {
            self.fail(format!(
                "`{name}` must be a positive whole number, got `{v}`"
            ))
        })
    }

    /// A number in `min..=max`, or `default` when absent.
    pub fn real(&self, name: &str, default: f64, min: f64, max: f64) -> Result<f64, SpecError> {
        let Some(v) = self.get(name) else {
            return Ok(default);
        };
        v.parse::<f64>()
            .ok()
            .filter(|x| (min..=max).contains(x))
            .ok_or_else(|| {
                self.fail(format!(
                    "`{name}` must be a number from {min} to {max}, got `{v}`"
                ))
            })
    }

    /// A positive finite number; required.
    pub fn positive(&self, name: &str) -> Result<f64, SpecError> {
        let v = self.required(name)?;
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| self.fail(format!("`{name}` must be a positive number, got `{v}`")))
    }

    /// A size from 1 B to 4 GiB (`4KiB`); required.
    pub fn object_size(&self, name: &str) -> Result<f64, SpecError> {
        let v = self.required(name)?;
        parse_bytes(v)
            .filter(|&b| (1..=u64::from(u32::MAX)).contains(&b))
            .map(|b| b as f64)
            .ok_or_else(|| {
                self.fail(format!(
                    "`{name}` must be a size from 1 B to 4 GiB, got `{v}`"
                ))
            })
    }
}
