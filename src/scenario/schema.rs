//! The JSON Schema of the scenario format, derived from the serde structs of
//! [`super::file`] (`deny_unknown_fields` becomes `additionalProperties:
//! false`), with every field's description and default from the reference
//! table ([`super::reference`], the source of `docs/scenario.md` too), so
//! that editors validate and complete scenario files as `cachelab validate`
//! reads them. Draft 7: the newest draft that taplo (Even Better TOML, Helix)
//! and VS Code's JSON service both read.
//!
//! The value types with units carry their own schemas (`values.rs`); the
//! fields below are plain strings or maps to serde, read later by a registry
//! or a spec parser, and get their schemas here.

use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Value, json};

use super::ScenarioFile;
use super::reference::{SECTIONS, default_value};
use super::scheme::SCHEMES;
use super::values::{NUMBER_PATTERN, anchored};
use crate::policy::{FILTERS, POLICIES};

/// The JSON Schema (draft 7) of a scenario file.
pub fn json_schema() -> serde_json::Value {
    let mut schema = SchemaSettings::draft07()
        .with_transform(RecursiveTransform(plain_enum))
        .into_generator()
        .into_root_schema_for::<ScenarioFile>();
    schema.insert("title".into(), "cachelab scenario".into());
    let mut schema = schema.to_value();
    describe_fields(&mut schema);
    schema
}

/// Every field's description and default from the reference table, so that
/// editors show what `docs/scenario.md` says and the reader fills in.
fn describe_fields(schema: &mut Value) {
    for section in SECTIONS {
        let Some(pointer) = properties_pointer(schema, section.key) else {
            continue;
        };
        for field in section.fields {
            let Some(Value::Object(property)) =
                schema.pointer_mut(&format!("{pointer}/{}", field.name))
            else {
                continue;
            };
            property.insert("description".into(), field.meaning.into());
            match default_value(section, field).map(serde_json::to_value) {
                Some(Ok(default)) => property.insert("default".into(), default),
                _ => property.remove("default"),
            };
        }
    }
}

/// The `properties` of a section's object in `schema` (the top level's for
/// an empty key), following the section's `$ref` (or its array's items).
pub(super) fn section_properties<'a>(
    schema: &'a Value,
    key: &str,
) -> Option<&'a serde_json::Map<String, Value>> {
    let pointer = properties_pointer(schema, key)?;
    schema.pointer(&pointer)?.as_object()
}

/// The JSON pointer of a section's `properties` in `schema`; a dotted key
/// (`clients.spikes`, `clients.rate.diurnal`) goes down field by field,
/// into array items and through the alternatives of a field that takes
/// several shapes.
fn properties_pointer(schema: &Value, key: &str) -> Option<String> {
    let mut pointer = String::new();
    for part in key.split('.').filter(|p| !p.is_empty()) {
        let holder = holding(schema, &pointer, part)?;
        pointer = resolved(schema, format!("{holder}/properties/{part}"))?;
    }
    let holder = if key.is_empty() {
        pointer
    } else {
        any_properties(schema, &pointer)?
    };
    Some(format!("{holder}/properties"))
}

/// The pointer of the object at `pointer` with its array items and
/// references followed.
fn resolved(schema: &Value, mut pointer: String) -> Option<String> {
    loop {
        let node = schema.pointer(&pointer)?;
        if node.get("items").is_some_and(Value::is_object) {
            pointer.push_str("/items");
        } else if let Some(target) = node
            .get("$ref")
            .or_else(|| node.pointer("/allOf/0/$ref"))
            .and_then(Value::as_str)
        {
            pointer = target.trim_start_matches('#').to_string();
        } else {
            return Some(pointer);
        }
    }
}

/// The object at `pointer`, or among its alternatives (`anyOf`, `oneOf`),
/// that has a property `part`.
fn holding(schema: &Value, pointer: &str, part: &str) -> Option<String> {
    alternatives(schema, pointer)
        .into_iter()
        .find(|p| schema.pointer(&format!("{p}/properties/{part}")).is_some())
}

/// The object at `pointer`, or among its alternatives, that has properties.
fn any_properties(schema: &Value, pointer: &str) -> Option<String> {
    alternatives(schema, pointer)
        .into_iter()
        .find(|p| schema.pointer(&format!("{p}/properties")).is_some())
}

/// `pointer` and, depth first, the alternatives of its shapes, resolved.
fn alternatives(schema: &Value, pointer: &str) -> Vec<String> {
    let mut out = vec![pointer.to_string()];
    for keyword in ["anyOf", "oneOf"] {
        let count = schema
            .pointer(&format!("{pointer}/{keyword}"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for i in 0..count {
            if let Some(member) = resolved(schema, format!("{pointer}/{keyword}/{i}")) {
                out.extend(alternatives(schema, &member));
            }
        }
    }
    out
}

/// A unit enum as one `enum` list, which every editor completes, with the
/// variants' doc comments as taplo's per-value docs (`x-taplo`), instead of
/// schemars' `oneOf` of `const`s (a draft 6 keyword that taplo's completion
/// does not offer).
fn plain_enum(schema: &mut Schema) {
    let Some(Value::Array(variants)) = schema.get("oneOf") else {
        return;
    };
    let is_value = |v: &Value| {
        v.get("const").is_some_and(Value::is_string)
            && v.as_object().is_some_and(|o| {
                o.keys()
                    .all(|k| ["const", "description", "type"].contains(&k.as_str()))
            })
    };
    if !variants.iter().all(is_value) {
        return;
    }
    let values: Vec<Value> = variants.iter().map(|v| v["const"].clone()).collect();
    let docs: Vec<Value> = variants
        .iter()
        .map(|v| v.get("description").cloned().unwrap_or(Value::Null))
        .collect();
    schema.remove("oneOf");
    schema.insert("type".into(), "string".into());
    schema.insert("enum".into(), values.into());
    schema.insert("x-taplo".into(), json!({ "docs": { "enumValues": docs } }));
}

/// `seed`: an integer, or a string of digits for seeds above 2^63 − 1.
pub(super) fn seed(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "anyOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string", "pattern": anchored("[0-9]+") },
        ],
    })
}

/// `nodes.policy`: a registered name, then optional `:param=value,...`,
/// then an optional admission filter `+name[:param=value,...]`.
pub(super) fn policy(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = POLICIES.iter().map(|spec| spec.name).collect();
    let filters: Vec<&str> = FILTERS.iter().map(|spec| spec.name).collect();
    json_schema!({
        "type": "string",
        "pattern": format!(
            r"^\s*({})(:([^+]|\+[^a-z])*)?(\+({})(:.*)?)?$",
            names.join("|"),
            filters.join("|")
        ),
        "examples": names,
    })
}

/// `routing.scheme`: one of the registered names.
pub(super) fn scheme(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = SCHEMES.iter().map(|spec| spec.name).collect();
    json_schema!({ "type": "string", "enum": names })
}

/// `workload.object_size`: a size, or `fixed:size=S`,
/// `lognormal:median=S,sigma=X`, `pareto:scale=S,shape=X`.
pub(super) fn object_size(_: &mut SchemaGenerator) -> Schema {
    let size = format!(r"{NUMBER_PATTERN}\s*(([kKmMgGtT][iI]?)?[bB])?");
    let number = r"[+-]?[0-9.]+([eE][+-]?[0-9]+)?";
    let param = |name: &str, value: &str| format!(r"\s*{name}\s*=\s*{value}\s*");
    let either_order = |(a, x): (&str, &str), (b, y): (&str, &str)| {
        let (a, b) = (param(a, x), param(b, y));
        format!("({a},{b}|{b},{a})")
    };
    let forms = [
        size.clone(),
        format!(r"fixed\s*:{},?", param("size", &size)),
        format!(
            r"lognormal\s*:{},?",
            either_order(("median", &size), ("sigma", number))
        ),
        format!(
            r"pareto\s*:{},?",
            either_order(("scale", &size), ("shape", number))
        ),
    ];
    json_schema!({
        "type": "string",
        "pattern": anchored(&forms.join("|")),
        "examples": ["4KiB", "lognormal:median=4KiB,sigma=1", "pareto:scale=1KiB,shape=1.5"],
    })
}

/// `[sweep]`: dotted field paths (not `sweep` itself), each a non-empty
/// array of values.
pub(super) fn sweep(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "propertyNames": {
            "pattern": r"^[^.]+(\.[^.]+)*$",
            "not": { "pattern": r"^sweep(\.|$)" },
        },
        "additionalProperties": { "type": "array", "minItems": 1 },
        "examples": [{ "nodes.count": [1, 2, 4, 8] }],
    })
}
