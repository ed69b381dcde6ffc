//! The commands behind the CLI: from what a user typed (strings) to results
//! on disk. `main.rs` only parses arguments and calls these.

mod analyze;
mod calibrate;
mod compare;
mod drive;
mod mrc;
mod plot;
mod replay;
mod run;
mod units;

pub use crate::replay::SourceArgs;
pub use crate::report::table::{policies_markdown, policies_table};
pub use analyze::{AnalyzeArgs, analyze};
pub use calibrate::{CalibrateArgs, calibrate};
pub use compare::{CompareArgs, compare};
pub use drive::{DriveArgs, drive};
pub use mrc::{MrcArgs, MrcError, mrc};
pub use plot::{PlotArgs, plot};
pub use replay::{AppError, Outcome, ReplayArgs, replay};
pub use run::{RunArgs, merge, parse_shard, run, schema, validate};
