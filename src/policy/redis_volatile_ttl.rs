//! Redis `volatile-ttl`: sampled eviction of the key with the soonest
//! expire time. Each of `samples` keys of the expires dict (a
//! `dictGetSomeKeys` walk) is offered to the 16-entry pool with the score
//! `ULLONG_MAX − expire ms`, and the best pooled key still in the expires
//! dict goes; an expired key still resident has the soonest expiry and so
//! is the best victim. A key without a TTL is never evicted, and when none
//! with a TTL is left a write that needs room is refused (`-OOM`).
//!
//! Follows Redis 7.0 `src/evict.c` (`evictionPoolPopulate`'s
//! `MAXMEMORY_VOLATILE_TTL` branch, `performEvictions`), `src/db.c`,
//! `src/expire.c`, on the two dicts of [`super::parts::redis_volatile`].
//! The lifetime reaches the policy through
//! [`super::Policy::insert_expiring`]; a plain insert is a key without a
//! TTL. Default: `samples` = 5. Deviations: those of
//! [`super::parts::redis_volatile`].

use super::parts::redis_volatile::{Rank, RedisVolatile, SAMPLES, SOURCE, VolatileKeyspace};
use super::registry::PolicySpec;

/// Registry entry of `volatile-ttl`.
pub const SPEC: PolicySpec = PolicySpec {
    name: "redis_volatile_ttl",
    about: "Redis volatile-ttl: sampled eviction of the soonest expire time; -OOM when no TTL is left",
    source: SOURCE,
    params: &[SAMPLES],
    needs_future: false,
    build: |args| {
        Box::new(RedisVolatile::new(
            args.capacity,
            args.params.int("samples") as usize,
            ByTtl,
            args.seed,
        ))
    },
};

/// `volatile-ttl`: no metadata; scored `u64::MAX − expire ms`.
pub(super) struct ByTtl;

impl Rank for ByTtl {
    type Meta = ();
    fn fresh(&mut self, _: u64) {}
    fn touch(&mut self, _: &mut (), _: u64) {}
    fn victim(&mut self, keys: &mut VolatileKeyspace<()>, _: u64) -> u64 {
        keys.pooled_victim(|expire_ms, _| u64::MAX - expire_ms)
    }
}
