//! A summary as a flat CSV record: the identity columns, then every column
//! of [`COLUMNS`], so that `summary.csv` and `sweep.csv` name and read their
//! metrics from the one table.

use crate::metrics::Summary;
use crate::metrics::columns::COLUMNS;

/// The columns that say which run a record is, before the metrics.
pub const IDENTITY: [&str; 3] = ["scenario", "run", "seed"];

/// The headers of a summary record: [`IDENTITY`], then every column.
pub fn summary_headers() -> Vec<String> {
    IDENTITY
        .iter()
        .chain(COLUMNS.iter().map(|c| &c.name))
        .map(ToString::to_string)
        .collect()
}

/// The summary as one flat CSV record, in the order of
/// [`summary_headers`]. Numbers are written in full (shortest round-trip
/// form); a figure without data is an empty field.
pub fn summary_values(s: &Summary) -> Vec<String> {
    let mut values = vec![s.scenario.clone(), s.run.clone(), s.seed.to_string()];
    values.extend(COLUMNS.iter().map(|c| c.field(s)));
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_the_identity_then_every_column() {
        let headers = summary_headers();
        assert_eq!(headers[..3], IDENTITY);
        let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(headers[3..], names);
        let empty = Summary::default();
        let values = summary_values(&empty);
        assert_eq!(values.len(), headers.len());
        let at = |name: &str| &values[headers.iter().position(|h| h == name).unwrap()];
        assert_eq!(at("hit_ratio"), "", "no data is an empty field");
        assert_eq!(at("latency_all_p99_ns"), "");
        assert_eq!(at("requests"), "0");
    }
}
