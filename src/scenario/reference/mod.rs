//! The reference of the scenario format, stated once: every field's meaning
//! (the table in [`table`]) with its default taken from its section's
//! `Default` and its type taken from the JSON Schema. `docs/scenario.md`'s
//! field tables are generated from it ([`markdown`]), and
//! [`super::json_schema`] takes its descriptions and defaults from it, so the
//! reader, the schema and the page cannot drift apart.

mod table;

use serde_json::Value;

use super::ScenarioFile;
use super::schema::{json_schema, section_properties};

pub use table::SECTIONS;

/// One section of a scenario file: a table (`[workload]`), the array of
/// tables `[[failures]]`, or the top level.
#[derive(Clone, Copy, Debug)]
pub struct Section {
    /// The section's key in the file; empty for the top level.
    pub key: &'static str,
    /// Its fields, in the order the reference lists them.
    pub fields: &'static [Field],
}

/// One field of a section.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The field's key within its section.
    pub name: &'static str,
    /// What it means, in one line (Markdown).
    pub meaning: &'static str,
    /// For a field without a default value (its section's `Default` leaves
    /// it out): what leaving it out means, such as `required` or `none`.
    pub unset: Option<&'static str>,
}

impl Section {
    /// The name of the section's generated part of `docs/scenario.md`
    /// (`<!-- fields.NAME:start -->`): its key, `top` for the top level.
    pub fn name(&self) -> &'static str {
        if self.key.is_empty() { "top" } else { self.key }
    }

    /// The dotted path of one of its fields, as `--set` and the docs write it.
    pub fn path(&self, field: &Field) -> String {
        if self.key.is_empty() {
            field.name.to_string()
        } else {
            format!("{}.{}", self.key, field.name)
        }
    }
}

/// The default of `field` in `section`: the value the reader fills in when
/// the file leaves it out, from the section's `Default`; `None` for a field
/// without one (an `Option` left empty, a required field).
pub fn default_value(section: &Section, field: &Field) -> Option<toml::Value> {
    let defaults = toml::Value::try_from(ScenarioFile::default())
        .expect("the default scenario is representable in TOML");
    let table = if section.key.is_empty() {
        Some(&defaults)
    } else {
        defaults.get(section.key)
    };
    table?.get(field.name).cloned()
}

/// The Markdown table of one section, as `docs/scenario.md` holds it
/// between the section's markers: field, type, default, meaning.
pub fn markdown(section: &Section) -> String {
    let schema = json_schema();
    let properties = section_properties(&schema, section.key);
    let mut out = String::from("| field | type | default | meaning |\n|---|---|---|---|\n");
    for field in section.fields {
        let kind = properties
            .and_then(|p| p.get(field.name))
            .map_or_else(|| "?".to_string(), |p| kind(&schema, p));
        let default = match default_value(section, field) {
            Some(value) => format!("`{value}`"),
            None => field.unset.unwrap_or("—").to_string(),
        };
        out.push_str(&format!(
            "| `{}` | {kind} | {default} | {} |\n",
            section.path(field),
            field.meaning
        ));
    }
    out
}

/// What a schema property accepts, in a few words: the unit types by name,
/// an enumeration as its values, alternatives joined by "or".
fn kind(schema: &Value, property: &Value) -> String {
    let target = property
        .get("$ref")
        .or_else(|| property.pointer("/allOf/0/$ref"))
        .and_then(Value::as_str);
    if let Some(target) = target {
        let name = target.rsplit('/').next().unwrap_or(target);
        return match name {
            "Duration" => "duration".to_string(),
            "Bytes" => "size".to_string(),
            "Dist" => "distribution".to_string(),
            _ => schema
                .pointer(target.trim_start_matches('#'))
                .map_or_else(|| name.to_string(), |def| kind(schema, def)),
        };
    }
    if let Some(values) = property.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values
            .iter()
            .map(|v| format!("`{}`", v.as_str().unwrap_or_default()))
            .collect();
        return values.join(", ");
    }
    if let Some(choices) = property.get("anyOf").and_then(Value::as_array) {
        let kinds: Vec<String> = choices.iter().map(|c| kind(schema, c)).collect();
        return kinds.join(" or ");
    }
    match property.get("type").and_then(Value::as_str) {
        Some("object") => "table".to_string(),
        Some(other) => other.to_string(),
        None => "any".to_string(),
    }
}
