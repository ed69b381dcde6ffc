//! Redis `volatile-random`: a random key of the expires dict, as
//! `dictGetRandomKey` picks it (a random non-empty bucket, then a random
//! entry of its chain; see [`super::redis_random`]); a key without a TTL is
//! never evicted, and when none with a TTL is left a write that needs room
//! is refused (`-OOM`).
//!
//! Follows Redis 7.0 `src/evict.c` (`performEvictions`, the random branch
//! on `db->expires`), `src/dict.c`, `src/db.c`, on the two dicts of
//! [`super::parts::redis_volatile`]. The lifetime reaches the policy
//! through [`super::Policy::insert_expiring`]; a plain insert is a key
//! without a TTL. No parameters. Deviations: those of
//! [`super::parts::redis_volatile`] and `redis_random`.

use super::parts::redis_volatile::{Rank, RedisVolatile, SOURCE, VolatileKeyspace};
use super::registry::PolicySpec;

/// Registry entry of `volatile-random`.
pub const SPEC: PolicySpec = PolicySpec {
    name: "redis_volatile_random",
    about: "Redis volatile-random: dictGetRandomKey of the keys with a TTL; -OOM when none is left",
    source: SOURCE,
    params: &[],
    needs_future: false,
    build: |args| Box::new(RedisVolatile::new(args.capacity, 1, ByRandom, args.seed)),
};

/// `volatile-random`: no metadata; a random key of the expires dict.
pub(super) struct ByRandom;

impl Rank for ByRandom {
    type Meta = ();
    const RANDOM: bool = true;
    fn fresh(&mut self, _: u64) {}
    fn touch(&mut self, _: &mut (), _: u64) {}
    fn victim(&mut self, keys: &mut VolatileKeyspace<()>, _: u64) -> u64 {
        keys.random_victim()
    }
}
