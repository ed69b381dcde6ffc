//! The server's memory per key, measured before a run: its memory counter
//! (Redis `used_memory`, memcached `bytes`) before and after storing the
//! stream's first distinct keys at their own sizes, which are then deleted
//! again so that the run starts from an empty cache.
//!
//! With the memory at start and the bytes per key, a memory limit becomes a
//! key count: `(limit − memory at start) / bytes per key`. memcached's
//! `bytes` counts its items' bytes, not the slab chunks they occupy, so
//! there the count is an upper bound.

use std::ops::ControlFlow;

use serde::Serialize;

use crate::drive::target::{Command, Connection, Protocol};
use crate::replay::{Replay, ReplayError};

/// Keys stored to measure the memory per key (fewer when the stream has
/// fewer distinct keys).
pub const PROBE_KEYS: usize = 1000;

/// The memory model of one server.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MemoryModel {
    /// The server's memory counter with no key stored.
    pub bytes_at_start: u64,
    /// Keys stored to measure it.
    pub probe_keys: u64,
    /// The counter's growth per key stored.
    pub bytes_per_key: f64,
}

impl MemoryModel {
    /// How many keys of the probed kind fit in `limit` bytes.
    pub fn keys_in(&self, limit: u64) -> u64 {
        let room = limit.saturating_sub(self.bytes_at_start) as f64;
        (room / self.bytes_per_key).floor() as u64
    }
}

/// The first [`PROBE_KEYS`] distinct keys of the stream, each with its size.
pub fn first_keys(replay: &Replay) -> Result<Vec<(u64, u32)>, ReplayError> {
    let mut seen = rustc_hash::FxHashSet::default();
    let mut keys = Vec::new();
    replay.visit_batches(|batch, _| {
        for request in batch {
            if seen.insert(request.key) {
                keys.push((request.key, request.size));
                if keys.len() == PROBE_KEYS {
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    })?;
    Ok(keys)
}

/// Measures the memory model of the empty server behind `connection` with
/// the keys of `replay`'s stream, and leaves the server empty again. An
/// eviction during the probe means the limit is too small to measure with.
pub fn measure(
    connection: &mut dyn Connection,
    protocol: Protocol,
    replay: &Replay,
) -> Result<MemoryModel, String> {
    let keys = first_keys(replay).map_err(|e| format!("reading the stream: {e}"))?;
    let [memory, evictions] = match protocol {
        Protocol::Redis => ["used_memory", "evicted_keys"],
        Protocol::Memcached => ["bytes", "evictions"],
    };
    let read = |connection: &mut dyn Connection| -> Result<[u64; 2], String> {
        let counters = connection.counters()?;
        Ok([memory, evictions].map(|name| counters.get(name).copied().unwrap_or(0)))
    };
    let [before, evicted_before] = read(connection)?;
    let sets: Vec<Command> = keys
        .iter()
        .map(|&(key, size)| Command::Set(key, size, 0))
        .collect();
    connection.exchange(&sets)?;
    let [after, evicted_after] = read(connection)?;
    let deletes: Vec<Command> = keys.iter().map(|&(key, _)| Command::Delete(key)).collect();
    connection.exchange(&deletes)?;
    if evicted_after > evicted_before {
        return Err(format!(
            "storing {} keys to measure the memory per key evicted {} of them: the memory limit is too small to calibrate against",
            keys.len(),
            evicted_after - evicted_before
        ));
    }
    if keys.is_empty() || after <= before {
        return Err(format!(
            "{memory} did not grow ({before} → {after}) when {} keys were stored",
            keys.len()
        ));
    }
    Ok(MemoryModel {
        bytes_at_start: before,
        probe_keys: keys.len() as u64,
        bytes_per_key: (after - before) as f64 / keys.len() as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_room_above_the_start_divided_by_the_bytes_per_key() {
        let model = MemoryModel {
            bytes_at_start: 1000,
            probe_keys: 10,
            bytes_per_key: 150.0,
        };
        assert_eq!(model.keys_in(1000 + 1499), 9);
        assert_eq!(model.keys_in(1000 + 1500), 10);
        assert_eq!(model.keys_in(500), 0);
    }
}
