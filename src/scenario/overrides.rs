//! `--set path=value` overrides and `[sweep]` expansion, both applied to the
//! TOML table before it is read into structs.

use super::Override;

/// A value as TOML if it parses (`8`, `0.5`, `true`, `[1, 2]`, `"300s"`),
/// else the text itself as a string (`s3fifo`, `300s`).
pub fn parse_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

/// Sets `o.path` in `table`, creating tables on the way; a number after an
/// array of tables names one of its entries (`tiers.0.ttl`).
pub fn apply_override(table: &mut toml::Table, o: &Override) -> Result<(), String> {
    let mut parts: Vec<&str> = o.path.split('.').collect();
    let last = parts.pop().expect("paths are non-empty");
    let mut current = table;
    let mut walked = String::new();
    for part in parts {
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(part);
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Array(items) = entry {
            return set_in_array(items, o, &walked, &o.path[walked.len() + 1..]);
        }
        current = entry
            .as_table_mut()
            .ok_or_else(|| format!("cannot set `{}`: `{walked}` is not a table", o.path))?;
    }
    current.insert(last.to_string(), o.value.clone());
    Ok(())
}

/// Sets `rest` (`N.field...`) in entry N of the array of tables at
/// `walked`.
fn set_in_array(
    items: &mut [toml::Value],
    o: &Override,
    walked: &str,
    rest: &str,
) -> Result<(), String> {
    let (number, field) = rest.split_once('.').ok_or_else(|| {
        format!(
            "cannot set `{}`: `{walked}` is an array; name an entry and a field (`{walked}.0.field`)",
            o.path
        )
    })?;
    let i: usize = number.parse().map_err(|_| {
        format!(
            "cannot set `{}`: `{walked}` is an array; `{number}` is no entry number",
            o.path
        )
    })?;
    let count = items.len();
    let entry = items
        .get_mut(i)
        .and_then(toml::Value::as_table_mut)
        .ok_or_else(|| {
            format!(
                "cannot set `{}`: `{walked}` has {count} entries (numbered from 0)",
                o.path
            )
        })?;
    let inner = Override {
        path: field.to_string(),
        value: o.value.clone(),
    };
    apply_override(entry, &inner)
}

/// Removes `[sweep]` from the table and returns its axes in file order.
pub fn take_sweep(table: &mut toml::Table) -> Result<Vec<(String, Vec<toml::Value>)>, String> {
    let Some(sweep) = table.remove("sweep") else {
        return Ok(Vec::new());
    };
    let toml::Value::Table(sweep) = sweep else {
        return Err("`sweep` must be a table of field path = [values]".to_string());
    };
    let mut axes = Vec::new();
    for (path, values) in sweep {
        if path == "sweep" || path.starts_with("sweep.") {
            return Err("a sweep cannot sweep itself".to_string());
        }
        match values {
            toml::Value::Array(values) if !values.is_empty() => axes.push((path, values)),
            _ => {
                return Err(format!(
                    "sweep `{path}` must be a non-empty array of values"
                ));
            }
        }
    }
    Ok(axes)
}

/// The cross product of the axes, first axis slowest; one empty cell when
/// there are no axes.
pub fn cells(axes: &[(String, Vec<toml::Value>)]) -> Vec<Vec<Override>> {
    let mut cells = vec![Vec::new()];
    for (path, values) in axes {
        cells = cells
            .into_iter()
            .flat_map(|cell: Vec<Override>| {
                values.iter().map(move |value| {
                    let mut next = cell.clone();
                    next.push(Override {
                        path: path.clone(),
                        value: value.clone(),
                    });
                    next
                })
            })
            .collect();
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_as_toml_or_strings() {
        assert_eq!(parse_value("8"), toml::Value::Integer(8));
        assert_eq!(parse_value("s3fifo"), toml::Value::String("s3fifo".into()));
        assert_eq!(parse_value("300s"), toml::Value::String("300s".into()));
        assert_eq!(parse_value("\"a b\""), toml::Value::String("a b".into()));
        assert_eq!(parse_value("true"), toml::Value::Boolean(true));
    }

    #[test]
    fn overrides_create_tables() {
        let mut t = toml::Table::new();
        apply_override(&mut t, &Override::parse("nodes.count=8").unwrap()).unwrap();
        assert_eq!(t["nodes"]["count"].as_integer(), Some(8));
        t.insert("seed".into(), toml::Value::Integer(1));
        assert!(apply_override(&mut t, &Override::parse("seed.x=1").unwrap()).is_err());
    }

    #[test]
    fn a_number_after_an_array_of_tables_names_its_entry() {
        let mut t: toml::Table = toml::from_str("[[tiers]]\nttl = \"1s\"\n[[tiers]]\n").unwrap();
        apply_override(&mut t, &Override::parse("tiers.1.ttl=5s").unwrap()).unwrap();
        assert_eq!(t["tiers"][0]["ttl"].as_str(), Some("1s"));
        assert_eq!(t["tiers"][1]["ttl"].as_str(), Some("5s"));
        for bad in ["tiers.2.ttl=5s", "tiers.x.ttl=5s", "tiers.ttl=5s"] {
            let err = apply_override(&mut t, &Override::parse(bad).unwrap()).unwrap_err();
            assert!(err.contains("`tiers`"), "{bad}: {err}");
        }
    }

    #[test]
    fn cross_product_in_order() {
        let axes = vec![
            (
                "a".to_string(),
                vec![toml::Value::Integer(1), toml::Value::Integer(2)],
            ),
            (
                "b".to_string(),
                vec![
                    toml::Value::String("x".into()),
                    toml::Value::String("y".into()),
                ],
            ),
        ];
        let labels: Vec<String> = cells(&axes)
            .iter()
            .map(|c| c.iter().map(Override::label).collect::<Vec<_>>().join(","))
            .collect();
        assert_eq!(labels, ["a=1,b=x", "a=1,b=y", "a=2,b=x", "a=2,b=y"]);
    }
}
