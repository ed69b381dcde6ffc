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
        .map(|h| h.to_string())
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
