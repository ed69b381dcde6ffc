//! cachelab's integration tests, one binary (one link) with a module per
//! area: the command line, the cluster model and its oracles, consistency,
//! failures, real servers driven and calibrated against their models, the fuzzers, the golden tables, the
//! module layers, libCacheSim's miss table, the plots, the README, the
//! reference results, the completeness of the policy lists, the scenario
//! reference page, the bundled scenarios and sweeps.

// allow-unwrap-in-tests reaches #[test] fns only, not these helpers; a failed unwrap here fails the test.
#![allow(clippy::unwrap_used)]

mod admission;
mod analyze;
mod app;
mod calibrate;
mod cdn;
mod classes;
mod cli;
mod cluster;
mod common;
mod conformance;
mod consistency;
mod drive;
mod failures;
mod fuzz;
mod golden;
mod layers;
mod libcachesim;
mod load;
mod model;
mod motion;
mod oracles;
mod plots;
mod readme;
mod reference;
mod registry;
mod retries;
mod sampled;
mod scans;
mod scenario_doc;
mod scenarios;
mod sweeps;
mod tiers;
mod ttl;
