//! Redis `volatile-lfu`: `allkeys-lfu`'s sampled eviction of the lowest
//! decaying Morris counter (see [`super::redis_lfu`]) over the keys that
//! carry a TTL only; a key without one is never evicted, and when none with
//! a TTL is left a write that needs room is refused (`-OOM`).
//!
//! Follows Redis 7.0 `src/evict.c` (`performEvictions`,
//! `evictionPoolPopulate` sampling `db->expires`), `src/db.c`,
//! `src/expire.c`, on the two dicts of [`super::parts::redis_volatile`].
//! The lifetime reaches the policy through
//! [`super::Policy::insert_expiring`]; a plain insert is a key without a
//! TTL. Defaults: `samples` = 5, `log_factor` = 10, `decay_minutes` = 1.
//! Deviations: those of [`super::parts::redis_volatile`] and `redis_lfu`.

use super::Policy;
use super::parts::redis_volatile::{Rank, RedisVolatile, SAMPLES, SOURCE, VolatileKeyspace};
use super::redis_lfu::{Counter, Lfu, minutes};
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};

/// Registry entry of `volatile-lfu`.
pub const SPEC: PolicySpec = PolicySpec {
    name: "redis_volatile_lfu",
    about: "Redis volatile-lfu: redis_lfu sampling only the keys with a TTL; -OOM when none is left",
    source: SOURCE,
    params: &[
        SAMPLES,
        ParamSpec {
            name: "log_factor",
            kind: ParamKind::Int {
                min: 0,
                max: i32::MAX as u64,
            },
            default: 10.0,
            about: "counter growth slowdown (lfu-log-factor)",
        },
        ParamSpec {
            name: "decay_minutes",
            kind: ParamKind::Int {
                min: 0,
                max: i32::MAX as u64,
            },
            default: 1.0,
            about: "minutes per counter decrement; 0 never decays (lfu-decay-time)",
        },
    ],
    needs_future: false,
    build: build_lfu,
};

fn build_lfu(args: &BuildArgs) -> Box<dyn Policy> {
    let counter = Counter::new(
        args.params.int("log_factor"),
        args.params.int("decay_minutes"),
        args.seed.derive("log_incr").rng(),
    );
    Box::new(RedisVolatile::new(
        args.capacity,
        args.params.int("samples") as usize,
        ByLfu(counter),
        args.seed,
    ))
}

/// `volatile-lfu`: the LFU field, scored by 255 − decayed counter.
pub(super) struct ByLfu(pub(super) Counter);

impl Rank for ByLfu {
    type Meta = Lfu;
    fn fresh(&mut self, time_ns: u64) -> Lfu {
        Lfu::fresh(minutes(time_ns))
    }
    fn touch(&mut self, lfu: &mut Lfu, time_ns: u64) {
        *lfu = self.0.touch(*lfu, minutes(time_ns));
    }
    fn victim(&mut self, keys: &mut VolatileKeyspace<Lfu>, time_ns: u64) -> u64 {
        let (counter, now) = (&self.0, minutes(time_ns));
        keys.pooled_victim(|_, &lfu| u64::from(u8::MAX - counter.decayed(lfu, now)))
    }
}
