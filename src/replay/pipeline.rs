//! The batch rule of a pipelining cache-aside client, written once for
//! `replay --pipeline`, `drive` (what it sends) and `calibrate`'s model.
//!
//! A batch of B gets is sent together and answered before any fill lands;
//! then one fill (a SET of the object) goes out for each distinct key that
//! missed in the batch, in the order of first misses. A key that misses and
//! recurs within the batch is a second miss whose reply is ignored, and its
//! fill is sent once. With B = 1 this is plain cache-aside: get, and fill on
//! a miss.

use rustc_hash::FxHashSet;

use crate::request::Request;

/// Most requests in one batch.
pub const MAX_PIPELINE: usize = 100_000;

/// Refuses a batch size outside 1..=[`MAX_PIPELINE`], naming `--pipeline`.
pub fn check_pipeline(pipeline: usize) -> Result<(), String> {
    if (1..=MAX_PIPELINE).contains(&pipeline) {
        Ok(())
    } else {
        Err(format!(
            "--pipeline {pipeline}: must be from 1 to {MAX_PIPELINE}"
        ))
    }
}

/// The fills one batch owes: the requests whose get missed, one per
/// distinct key, in the order of first misses, each with the TTL of its
/// first miss (seconds, 0: none), which its fill carries.
#[derive(Clone, Debug, Default)]
pub struct Fills {
    keys: FxHashSet<u64>,
    queue: Vec<(Request, u32)>,
}

impl Fills {
    /// Notes that `request`'s get, with TTL `ttl_s`, missed; a key already
    /// noted since the last [`Fills::drain`] is not queued again (its fill
    /// keeps the first miss's TTL).
    #[inline]
    pub fn missed(&mut self, request: &Request, ttl_s: u32) {
        if self.keys.insert(request.key) {
            self.queue.push((*request, ttl_s));
        }
    }

    /// The batch's fills with their TTLs, in the order of first misses;
    /// the next batch starts empty.
    pub fn drain(&mut self) -> std::vec::Drain<'_, (Request, u32)> {
        self.keys.clear();
        self.queue.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_missed_twice_is_filled_once_in_first_miss_order() {
        let mut fills = Fills::default();
        for (key, ttl_s) in [(3, 30), (1, 10), (3, 31), (2, 0), (1, 11)] {
            fills.missed(&Request::get(key, 1), ttl_s);
        }
        let owed: Vec<(u64, u32)> = fills.drain().map(|(r, ttl)| (r.key, ttl)).collect();
        // Each key once, with the TTL of its first miss.
        assert_eq!(owed, [(3, 30), (1, 10), (2, 0)]);
        // A new batch owes nothing yet, and may fill 3 again.
        assert_eq!(fills.drain().count(), 0);
        fills.missed(&Request::get(3, 1), 7);
        assert_eq!(
            fills
                .drain()
                .map(|(r, ttl)| (r.key, ttl))
                .collect::<Vec<_>>(),
            [(3, 7)]
        );
    }

    #[test]
    fn batch_sizes_outside_the_range_are_refused_by_flag() {
        assert!(check_pipeline(1).is_ok() && check_pipeline(MAX_PIPELINE).is_ok());
        for bad in [0, MAX_PIPELINE + 1] {
            let error = check_pipeline(bad).unwrap_err();
            assert!(error.starts_with(&format!("--pipeline {bad}: must be from 1")));
        }
    }
}
