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

/// The `properties` of a section in the schema (following `$ref`s).
fn properties<'a>(schema: &'a Value, key: &str) -> &'a serde_json::Map<String, Value> {
    let object = if key.is_empty() {
        schema
    } else {
        let section = &schema["properties"][key];
        let section = section.get("items").unwrap_or(section);
        let target = section
            .get("$ref")
            .or_else(|| section.pointer("/allOf/0/$ref"))
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("the schema's {key} refers to no definition"));
        schema.pointer(target.trim_start_matches('#')).unwrap()
    };
    object["properties"].as_object().unwrap()
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
        .filter(|s| !s.key.is_empty() && !s.key.contains("failures"))
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
