//! Real cache crates behind the policy trait, so users can see how the
//! library they deploy behaves on their own workload: one file per crate,
//! registered like any other policy under the name `crate_<crate>`.

pub(super) mod crate_lru;
pub(super) mod crate_moka;
pub(super) mod crate_quick_cache;
