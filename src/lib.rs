//! cachelab: a workbench for distributed caching.
//!
//! Eviction policies ([`policy`]), request streams from traces ([`trace`]) and
//! their characterisation and fitted workloads ([`analyze`]),
//! generators ([`workload`]), the fast single-cache replay engine
//! ([`replay`]) with one-pass miss-ratio curves ([`mrc`]), analytical models
//! used as oracles ([`theory`]), results on disk ([`report`]), and real
//! servers driven with the same streams ([`drive`]).

pub mod analyze;
pub mod atomic;
pub mod check;
pub mod cli;
pub mod cluster;
pub mod drive;
pub mod fault;
pub mod metrics;
pub mod mrc;
pub mod policy;
pub mod replay;
pub mod report;
pub mod request;
pub mod scenario;
pub mod seed;
pub mod sim;
pub mod spec;
pub mod suggest;
pub mod theory;
pub mod trace;
pub mod units;
pub mod workload;
