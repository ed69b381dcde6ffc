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

/// Sets `o.path` in `table`, creating tables on the way.
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
        current = entry
            .as_table_mut()
            .ok_or_else(|| format!("cannot set `{}`: `{walked}` is not a table", o.path))?;
    }
    current.insert(last.to_string(), o.value.clone());
    Ok(())
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
