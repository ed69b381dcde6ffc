//! Redis `volatile-lru`: `allkeys-lru`'s sampled LRU (its 1-s clock and
//! 16-entry pool, see [`super::redis_lru`]) over the keys that carry a TTL
//! only; a key without one is never evicted, and when none with a TTL is
//! left a write that needs room is refused (`-OOM`).
//!
//! Follows Redis 7.0 `src/evict.c` (`performEvictions`,
//! `evictionPoolPopulate` sampling `db->expires`), `src/db.c`,
//! `src/expire.c`, on the two dicts of [`super::parts::redis_volatile`]
//! (the expires dict is its own hash table). The lifetime reaches the
//! policy through [`super::Policy::insert_expiring`]; a plain insert is a
//! key without a TTL. Default: `samples` = 5 (`maxmemory-samples`).
//! Deviations: those of [`super::parts::redis_volatile`] and `redis_lru`.

use super::parts::redis_volatile::{Rank, RedisVolatile, SAMPLES, SOURCE, VolatileKeyspace};
use super::redis_lru::{idle_ms, lru_clock};
use super::registry::PolicySpec;

/// Registry entry of `volatile-lru`.
pub const SPEC: PolicySpec = PolicySpec {
    name: "redis_volatile_lru",
    about: "Redis volatile-lru: redis_lru sampling only the keys with a TTL; -OOM when none is left",
    source: SOURCE,
    params: &[SAMPLES],
    needs_future: false,
    build: |args| {
        Box::new(RedisVolatile::new(
            args.capacity,
            args.params.int("samples") as usize,
            ByLru,
            args.seed,
        ))
    },
};

/// `volatile-lru`: the LRU stamp, scored by idle time.
pub(super) struct ByLru;

impl Rank for ByLru {
    type Meta = u32;
    fn fresh(&mut self, time_ns: u64) -> u32 {
        lru_clock(time_ns)
    }
    fn touch(&mut self, stamp: &mut u32, time_ns: u64) {
        *stamp = lru_clock(time_ns);
    }
    fn victim(&mut self, keys: &mut VolatileKeyspace<u32>, time_ns: u64) -> u64 {
        let clock = lru_clock(time_ns);
        keys.pooled_victim(|_, &stamp| idle_ms(clock, stamp))
    }
}
