//! The scenario format is stated once, in `scenario::reference` (meanings)
//! and each section's `Default` (defaults): these keep the reader, the JSON
//! Schema and docs/scenario.md's field tables equal to it (re-generate the
//! tables with `CACHELAB_BLESS=1 cargo test --release --test it scenario_doc::`).

use std::collections::BTreeSet;
use std::path::Path;

use cachelab::scenario::ScenarioFile;
use cachelab::scenario::reference::{SECTIONS, default_value, markdown};
use serde_json::Value;

use crate::common::generated_section;

const DOC: &str = "docs/scenario.md";

#[test]
fn the_pages_field_tables_are_generated_from_the_reference() {
    for section in SECTIONS {
        generated_section(
            DOC,
            &format!("fields.{}", section.name()),
            &markdown(section),
        );
    }
    // No table of a section the reference no longer has.
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC)).unwrap();
    let names: BTreeSet<String> = SECTIONS.iter().map(|s| s.name().to_string()).collect();
    for marker in text.split("<!-- fields.").skip(1) {
        let name = marker.split(':').next().unwrap();
        assert!(names.contains(name), "{DOC}: `fields.{name}` is no section");
    }
}

/// `node` with its array items and `$ref`s followed.
fn resolve<'a>(schema: &'a Value, mut node: &'a Value) -> &'a Value {
    loop {
        if let Some(items) = node.get("items").filter(|i| i.is_object()) {
            node = items;
        } else if let Some(target) = node
            .get("$ref")
            .or_else(|| node.pointer("/allOf/0/$ref"))
            .and_then(Value::as_str)
        {
            node = schema.pointer(target.trim_start_matches('#')).unwrap();
        } else {
            return node;
        }
    }
}

/// `node` or one of its alternatives (`anyOf`, `oneOf`, depth first) that
/// has a `properties` for which `wanted` holds.
fn find_shape<'a>(
    schema: &'a Value,
    node: &'a Value,
    wanted: &dyn Fn(&serde_json::Map<String, Value>) -> bool,
) -> Option<&'a serde_json::Map<String, Value>> {
    if let Some(p) = node.get("properties").and_then(Value::as_object)
        && wanted(p)
    {
        return Some(p);
    }
    ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| node.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(|member| find_shape(schema, resolve(schema, member), wanted))
}

/// The `properties` of a section in the schema (following `$ref`s, array
/// items and, for a dotted key, the shapes a field may take).
fn properties<'a>(schema: &'a Value, key: &str) -> &'a serde_json::Map<String, Value> {
    let mut node = schema;
    for part in key.split('.').filter(|p| !p.is_empty()) {
        let holder = find_shape(schema, node, &|p| p.contains_key(part))
            .unwrap_or_else(|| panic!("the schema has no `{key}`"));
        node = resolve(schema, &holder[part]);
    }
    find_shape(schema, node, &|_| true).unwrap_or_else(|| panic!("`{key}` has no properties"))
}

#[test]
fn the_reference_names_exactly_the_schemas_fields() {
    let schema = cachelab::scenario::json_schema();
    for section in SECTIONS {
        let listed: BTreeSet<&str> = section.fields.iter().map(|f| f.name).collect();
        let mut fields: BTreeSet<&str> = properties(&schema, section.key)
            .keys()
            .map(String::as_str)
            .collect();
        if section.key.is_empty() {
            // The top level's sections have tables of their own; the sweep
            // is described in prose.
            for s in SECTIONS {
                fields.remove(s.key);
            }
            fields.remove("sweep");
        }
        assert_eq!(listed, fields, "section `{}`", section.name());
    }
}

#[test]
fn the_schema_describes_and_defaults_each_field_as_the_reference() {
    let schema = cachelab::scenario::json_schema();
    for section in SECTIONS {
        let properties = properties(&schema, section.key);
        for field in section.fields {
            let path = section.path(field);
            let property = &properties[field.name];
            assert_eq!(property["description"], field.meaning, "{path}");
            let default = default_value(section, field).map(|v| serde_json::to_value(v).unwrap());
            assert_eq!(property.get("default"), default.as_ref(), "{path}");
        }
    }
}

#[test]
fn the_reader_fills_in_each_sections_default_and_the_page_says_what_else() {
    // A missing field takes its section's `Default`: an empty file, and
    // every section given empty, read as `ScenarioFile::default()`.
    let empty: ScenarioFile = toml::from_str("").unwrap();
    assert_eq!(empty, ScenarioFile::default());
    let sections: String = SECTIONS
        .iter()
        // Arrays of tables (`[[failures]]`, `[[tiers]]`) and the shapes of a field have no defaults.
        // `[retry]` and `[app]` are off unless given, so given empty they are on.
        .filter(|s| {
            !s.key.is_empty()
                && !s.key.contains("failures")
                && s.key != "tiers"
                && !s.key.contains('.')
                && s.key != "retry"
                && s.key != "app"
        })
        .map(|s| format!("[{}]\n", s.key))
        .collect();
    let given: ScenarioFile = toml::from_str(&sections).unwrap();
    assert_eq!(given, ScenarioFile::default());
    // A field has a default value or says what leaving it out means.
    for section in SECTIONS {
        for field in section.fields {
            assert_ne!(
                default_value(section, field).is_some(),
                field.unset.is_some(),
                "{}: a default value, or `unset` text, not both",
                section.path(field)
            );
        }
    }
}
