//! The modelled system: clients, routing, cache nodes, a database and
//! failures, driven by the discrete-event engine in [`crate::sim`].

mod app;
mod database;
mod feed;
mod membership;
mod model;
mod node;
mod retry;
pub mod routing;
mod run;
mod versions;

pub use run::{Audit, RunOutput, SimError, simulate, simulate_audited};
