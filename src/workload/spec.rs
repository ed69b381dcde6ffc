//! The small `kind:name=value,name=value` language of workload and size
//! specifications on the command line.

use crate::units;

/// A specification a user wrote that cachelab cannot use.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("`{spec}`: {problem}")]
pub struct SpecError {
    /// The whole specification as written.
    pub spec: String,
    /// What is wrong with it, and what is allowed.
    pub problem: String,
}

/// Splits `kind:a=1,b=2` into the kind and its `(name, value)` pairs, and
/// checks that only `allowed` names occur.
pub fn parse_spec<'a>(
    text: &'a str,
    allowed: &dyn Fn(&str) -> &'static [&'static str],
) -> Result<(&'a str, Vec<(&'a str, &'a str)>), SpecError> {
    let fail = |problem: String| SpecError {
        spec: text.to_string(),
        problem,
    };
    let (kind, rest) = text.split_once(':').unwrap_or((text, ""));
    let kind = kind.trim();
    let names = allowed(kind);
    let mut pairs = Vec::new();
    for pair in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| fail(format!("`{pair}` is not of the form name=value")))?;
        let name = name.trim();
        if !names.contains(&name) {
            return Err(fail(format!(
                "`{kind}` has no parameter `{name}`; its parameters: {}",
                names.join(", ")
            )));
        }
        if pairs.iter().any(|&(n, _)| n == name) {
            return Err(fail(format!("`{name}` is given twice")));
        }
        pairs.push((name, value.trim()));
    }
    Ok((kind, pairs))
}

/// Parses a count such as `1000000`, `1e6` or `10M` (decimal multipliers).
pub fn parse_count(text: &str) -> Option<u64> {
    units::parse_count(text)
}
