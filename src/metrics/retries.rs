//! What retries, time-outs and the breaker did: counts per interval and in
//! total, and how long the system stayed degraded after a trigger (a load
//! spike, a failure) was over.
//!
//! *Degraded* is defined on goodput, the requests answered without failing
//! per second: an interval is degraded when its goodput is below
//! [`DEGRADED_SHARE`] of the baseline, the mean goodput of the measured
//! intervals before the trigger began. The run stayed degraded after the
//! trigger for the time from the trigger's end to the end of the last
//! degraded interval (0 if none follows it); if the last interval of the
//! run is degraded, it never recovered and the figure runs to the end.

use serde::{Deserialize, Serialize};

use super::IntervalRow;

/// An interval with less than this share of the baseline goodput is degraded.
pub const DEGRADED_SHARE: f64 = 0.9;

/// Counts over a stretch of time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RetryCounts {
    /// Database reads of clients (logical: each counted once).
    pub reads: u64,
    /// Attempts sent to the database (first attempts and retries).
    pub attempts: u64,
    /// Retries sent.
    pub retries: u64,
    /// Attempts the client gave up on at `database.timeout`.
    pub db_timeouts: u64,
    /// Retries the budget refused.
    pub budget_denied: u64,
    /// Attempts the open breaker failed at once.
    pub fast_failed: u64,
}

/// The `node_breakers` section of `summary.json` (only with
/// `cache.breaker`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeBreakerSummary {
    /// Times a node's breaker opened, over all nodes and the whole run.
    pub opened: u64,
    /// Gets issued after the warm-up that an open breaker sent to the
    /// database instead of their node.
    pub skipped: u64,
}

/// The `retries` section of `summary.json` (only for runs with `[retry]`
/// or `database.timeout`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RetrySummary {
    /// Clients' database reads issued after the warm-up.
    pub reads: u64,
    /// Their attempts sent to the database.
    pub attempts: u64,
    /// Retries among them.
    pub retries: u64,
    /// attempts / reads: the load retries multiply the reads by; `None`
    /// without a read.
    pub attempts_per_read: Option<f64>,
    /// Attempts abandoned at `database.timeout`.
    pub db_timeouts: u64,
    /// Retries the budget refused.
    pub budget_denied: u64,
    /// Attempts the open breaker failed at once.
    pub fast_failed: u64,
    /// Times the breaker opened.
    pub breaker_opened: u64,
    /// When the trigger (the spikes, or the scheduled failures) ended, in
    /// simulated seconds; `None` without one.
    pub trigger_end_s: Option<f64>,
    /// The mean goodput (requests/s answered without failing) of the
    /// measured intervals before the trigger; `None` without one.
    pub baseline_goodput_rps: Option<f64>,
    /// How long the run stayed degraded after the trigger ended, in
    /// seconds (see the module's definition); `None` without a trigger or
    /// without a measured interval before it.
    pub degraded_s: Option<f64>,
    /// Whether goodput was back above the threshold at the end of the run.
    pub recovered: Option<bool>,
}

impl RetrySummary {
    /// The summary of `totals`, with `opened` breaker openings.
    pub fn new(totals: RetryCounts, opened: u64) -> RetrySummary {
        RetrySummary {
            reads: totals.reads,
            attempts: totals.attempts,
            retries: totals.retries,
            attempts_per_read: (totals.reads > 0)
                .then(|| totals.attempts as f64 / totals.reads as f64),
            db_timeouts: totals.db_timeouts,
            budget_denied: totals.budget_denied,
            fast_failed: totals.fast_failed,
            breaker_opened: opened,
            ..RetrySummary::default()
        }
    }

    /// Fills in the degraded time after a trigger over `[start_s, end_s]`,
    /// from the time series; intervals ending at or before `warmup_s` are
    /// not measured.
    pub fn degraded(&mut self, series: &[IntervalRow], warmup_s: f64, start_s: f64, end_s: f64) {
        self.trigger_end_s = Some(end_s);
        let goodput = |r: &IntervalRow| r.goodput_rps.unwrap_or(0.0);
        let before: Vec<f64> = series
            .iter()
            .filter(|r| r.time_s > warmup_s && r.time_s <= start_s)
            .map(goodput)
            .collect();
        if before.is_empty() {
            return;
        }
        let baseline = before.iter().sum::<f64>() / before.len() as f64;
        self.baseline_goodput_rps = Some(baseline);
        let bad = |r: &&IntervalRow| goodput(r) < DEGRADED_SHARE * baseline;
        let after: Vec<&IntervalRow> = series.iter().filter(|r| r.time_s > end_s).collect();
        let last_bad = after.iter().rev().find(|r| bad(r));
        self.degraded_s = Some(last_bad.map_or(0.0, |r| r.time_s - end_s));
        self.recovered = Some(after.last().is_none_or(|r| !bad(r)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(time_s: f64, goodput: f64) -> IntervalRow {
        IntervalRow {
            time_s,
            goodput_rps: Some(goodput),
            ..IntervalRow::default()
        }
    }

    #[test]
    fn degraded_runs_from_the_trigger_end_to_the_last_bad_interval() {
        // Baseline over (1, 3]: 100. Trigger [3, 5]. Bad at 6 and 8 (< 90),
        // good at 7 and 9: degraded until 8, 3 s after the trigger.
        let series: Vec<IntervalRow> = [
            (1.0, 10.0),
            (2.0, 100.0),
            (3.0, 100.0),
            (4.0, 5.0),
            (5.0, 5.0),
            (6.0, 50.0),
            (7.0, 95.0),
            (8.0, 89.0),
            (9.0, 100.0),
        ]
        .iter()
        .map(|&(t, g)| row(t, g))
        .collect();
        let mut s = RetrySummary::default();
        s.degraded(&series, 1.0, 3.0, 5.0);
        assert_eq!(s.baseline_goodput_rps, Some(100.0));
        assert_eq!(s.degraded_s, Some(3.0));
        assert_eq!(s.recovered, Some(true));
        let mut never = RetrySummary::default();
        never.degraded(&series[..8], 1.0, 3.0, 5.0);
        assert_eq!(never.degraded_s, Some(3.0));
        assert_eq!(never.recovered, Some(false), "the last interval is bad");
        let mut none = RetrySummary::default();
        none.degraded(&series, 3.0, 3.0, 5.0);
        assert_eq!(none.degraded_s, None, "no measured interval before");
    }
}
