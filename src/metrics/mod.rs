//! What runs measure. A replay: misses per cell. A cluster run: hit ratios
//! over gets after the warm-up, latency histograms for hits, misses and all,
//! database load, per-node statistics, a time series per interval, and the
//! impact of each failure event.

pub mod app;
mod cell;
pub mod classes;
pub mod columns;
pub mod consistency;
mod impact;
pub mod recorder;
pub mod retries;
pub mod runs;
pub mod scans;
pub mod stats;
mod summary;
pub mod tiers;

pub use cell::{CellResult, MissCounts, SampledResult};
pub use classes::{ClassIntervalRow, ClassRow, ClassSummary};
pub use consistency::ConsistencySummary;
pub use impact::{FailureEvent, FailureImpact, Happening, failure_impacts};
pub use recorder::{Class, Recorder};
pub use retries::{NodeBreakerSummary, RetrySummary};
pub use summary::{IntervalRow, LatencyRow, LatencySummary, NodeRow, Summary};
