//! `[app]`: application servers between the clients and the cache, as the
//! file writes them ([`AppSection`]) and as the model reads them once
//! checked ([`AppConfig`]). Absent, clients talk to the cache themselves,
//! as before.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::file::Pattern;
use crate::sim::dist::Dist;

/// How the load balancer in front of the servers picks one.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Balance {
    /// Each server in turn.
    RoundRobin,
    /// A server drawn uniformly.
    Random,
    /// The server with the fewest requests in it (queued or in work);
    /// ties go round robin.
    LeastOutstanding,
}

/// When a cache-aside miss sets the value it rendered.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SetOrder {
    /// SET, wait for its answer, then respond (Flask-Caching's `cached`).
    BeforeRespond,
    /// Respond, then SET (the thread stays busy until the SET's answer).
    AfterRespond,
}

/// `[app]`: application servers with worker processes and threads.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AppSection {
    /// Application servers behind the load balancer.
    pub servers: u32,
    /// Worker processes per server.
    pub processes: u32,
    /// Threads per process.
    pub threads: u32,
    /// CPU cores per server, shared by its processes.
    pub cores: u32,
    /// How the load balancer picks a server.
    pub balance: Balance,
    /// CPU time of a hit (deserialising and responding).
    pub hit_cpu: Dist,
    /// CPU time of a miss (rendering), after the database's answer.
    pub miss_cpu: Dist,
    /// When a miss sets the cache: before or after responding.
    pub set: SetOrder,
    /// Connections to the cache per process (unset: no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_pool: Option<u32>,
    /// Connections to the database per process (unset: no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db_pool: Option<u32>,
}

impl Default for AppSection {
    fn default() -> Self {
        AppSection {
            servers: 1,
            processes: 1,
            threads: 1,
            cores: 1,
            balance: Balance::RoundRobin,
            hit_cpu: Dist::Fixed(0),
            miss_cpu: Dist::Fixed(0),
            set: SetOrder::BeforeRespond,
            cache_pool: None,
            db_pool: None,
        }
    }
}

/// The application tier, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct AppConfig {
    /// Servers, at least 1.
    pub servers: u32,
    /// Processes per server, at least 1.
    pub processes: u32,
    /// Threads per process, at least 1.
    pub threads: u32,
    /// Cores per server, at least 1.
    pub cores: u32,
    /// The load balancer's rule.
    pub balance: Balance,
    /// CPU time of a hit.
    pub hit_cpu: Dist,
    /// CPU time of a miss.
    pub miss_cpu: Dist,
    /// When a miss sets the cache.
    pub set: SetOrder,
    /// Cache connections per process, if limited (at least 1).
    pub cache_pool: Option<u32>,
    /// Database connections per process, if limited (at least 1).
    pub db_pool: Option<u32>,
}

/// Most servers, processes per server, threads per process, cores per
/// server, or connections per pool.
pub const MAX_APP_COUNT: u32 = 4096;

/// Most threads over the whole tier (each is a slot the model keeps).
pub const MAX_APP_THREADS: u64 = 1 << 22;

impl AppSection {
    /// Checks every field and returns the typed tier; `pattern` is the
    /// cache's (pools to the cache need one).
    pub fn config(&self, pattern: Pattern) -> Result<AppConfig, String> {
        for (name, value) in [
            ("app.servers", self.servers),
            ("app.processes", self.processes),
            ("app.threads", self.threads),
            ("app.cores", self.cores),
        ] {
            if !(1..=MAX_APP_COUNT).contains(&value) {
                return Err(format!("{name} = {value}: from 1 to {MAX_APP_COUNT}"));
            }
        }
        let threads = u64::from(self.servers) * u64::from(self.processes) * u64::from(self.threads);
        if threads > MAX_APP_THREADS {
            return Err(format!(
                "app.servers × app.processes × app.threads = {threads}: at most {MAX_APP_THREADS} threads in all"
            ));
        }
        for (name, pool) in [
            ("app.cache_pool", self.cache_pool),
            ("app.db_pool", self.db_pool),
        ] {
            if let Some(size) = pool
                && !(1..=MAX_APP_COUNT).contains(&size)
            {
                return Err(format!(
                    "{name} = {size}: from 1 to {MAX_APP_COUNT} connections per process (leave it out for no limit)"
                ));
            }
        }
        if self.cache_pool.is_some() && pattern == Pattern::None {
            return Err(
                "app.cache_pool: there is no cache (cache.pattern = \"none\"); leave it out".into(),
            );
        }
        Ok(AppConfig {
            servers: self.servers,
            processes: self.processes,
            threads: self.threads,
            cores: self.cores,
            balance: self.balance,
            hit_cpu: self.hit_cpu.clone(),
            miss_cpu: self.miss_cpu.clone(),
            set: self.set,
            cache_pool: self.cache_pool,
            db_pool: self.db_pool,
        })
    }
}
