//! What each failure event did, read off the time series: the database load
//! before and at its peak after, how long it stayed raised, and how long the
//! hit ratio took to come back to 90% of its level before.

use serde::{Deserialize, Serialize};

use super::summary::IntervalRow;
use crate::fault::FailureAction;

/// Intervals before an event that define "before".
const BEFORE: usize = 10;

/// The database load counts as raised while it is this much above before.
const RAISED: f64 = 1.05;

/// One failure event and its effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureImpact {
    /// When, simulated seconds.
    pub time_s: f64,
    /// crash, recover, slow, …; detected-down / detected-up for what clients saw.
    pub action: String,
    /// The node.
    pub node: Option<u32>,
    /// The tier above `[nodes]` the node belongs to (none: `[nodes]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Share of keys whose node changed, when membership changed.
    pub keys_moved: Option<f64>,
    /// Mean database queries/s over the intervals before.
    pub db_rps_before: f64,
    /// Highest database queries/s in an interval after (until the next event).
    pub db_rps_peak: f64,
    /// Seconds from the event until the database load fell back within 5% of before.
    pub db_raised_s: f64,
    /// Hit ratio over the intervals before.
    pub hit_ratio_before: f64,
    /// Lowest interval hit ratio after.
    pub hit_ratio_min: f64,
    /// Seconds from the event until the hit ratio was back at 90% of before
    /// (0 if it never fell below; none if it never came back).
    pub recovery_90_s: Option<f64>,
}

/// What happened to a node: a scheduled or random failure, or the clients
/// noticing that a node went down or came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Happening {
    /// A failure or membership change as the scenario asked for it.
    Action(FailureAction),
    /// Clients detected that the node is down (`true`) or up again.
    Detected {
        /// Down rather than up.
        down: bool,
    },
}

impl Happening {
    /// Starts a new disturbance rather than following one.
    pub fn is_disturbance(self) -> bool {
        match self {
            Happening::Action(action) => action.is_disturbance(),
            Happening::Detected { .. } => false,
        }
    }
}

impl std::fmt::Display for Happening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Happening::Action(action) => write!(f, "{action}"),
            Happening::Detected { down: true } => f.write_str("detected-down"),
            Happening::Detected { down: false } => f.write_str("detected-up"),
        }
    }
}

/// A failure or membership event as it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureEvent {
    /// When, simulated seconds.
    pub time_s: f64,
    /// What.
    pub action: Happening,
    /// The node.
    pub node: Option<u32>,
    /// The tier above `[nodes]` the node belongs to (none: `[nodes]`).
    pub tier: Option<String>,
    /// Share of keys whose node changed, when routing changed.
    pub keys_moved: Option<f64>,
}

/// The impact of each event on the series `rows` (intervals in time order).
/// "Before" means up to [`BEFORE`] intervals before the event, none of them
/// in the warm-up (which ends at `warmup_s`) when avoidable; "after" runs
/// until the next new disturbance (a crash, partition, slow-down, addition
/// or removal), so a crash's window spans its detection and recovery.
pub fn failure_impacts(
    rows: &[IntervalRow],
    events: &[FailureEvent],
    warmup_s: f64,
) -> Vec<FailureImpact> {
    let mut impacts = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let FailureEvent {
            time_s,
            action,
            node,
            tier,
            keys_moved,
        } = event;
        let until = events[i + 1..]
            .iter()
            .find(|e| e.action.is_disturbance())
            .map_or(f64::INFINITY, |e| e.time_s);
        let first_after = rows.partition_point(|r| r.time_s <= *time_s);
        let warm = rows
            .partition_point(|r| r.time_s <= warmup_s + 1e-9)
            .min(first_after.saturating_sub(1));
        let before = &rows[first_after.saturating_sub(BEFORE).max(warm)..first_after];
        let after: Vec<&IntervalRow> = rows[first_after..]
            .iter()
            .take_while(|r| r.time_s - 1e-9 <= until)
            .collect();
        let db_before = mean(before.iter().map(|r| r.db_rps));
        let gets: u64 = before.iter().map(|r| r.gets).sum();
        let hits: u64 = before.iter().map(|r| r.hits).sum();
        let hit_before = if gets == 0 {
            0.0
        } else {
            hits as f64 / gets as f64
        };
        let raised_until = after
            .iter()
            .take_while(|r| r.db_rps > db_before * RAISED)
            .last()
            .map_or(*time_s, |r| r.time_s);
        let target = 0.9 * hit_before;
        let recovery = match after
            .iter()
            .position(|r| r.hit_ratio.is_some_and(|h| h < target))
        {
            None => Some(0.0),
            Some(dip) => after[dip..]
                .iter()
                .find(|r| r.hit_ratio.is_some_and(|h| h >= target))
                .map(|r| r.time_s - time_s),
        };
        impacts.push(FailureImpact {
            time_s: *time_s,
            action: action.to_string(),
            node: *node,
            tier: tier.clone(),
            keys_moved: *keys_moved,
            db_rps_before: db_before,
            db_rps_peak: after.iter().map(|r| r.db_rps).fold(0.0, f64::max),
            db_raised_s: raised_until - time_s,
            hit_ratio_before: hit_before,
            hit_ratio_min: after.iter().filter_map(|r| r.hit_ratio).fold(1.0, f64::min),
            recovery_90_s: recovery,
        });
    }
    impacts
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: f64, db: f64, hit: f64) -> IntervalRow {
        IntervalRow {
            time_s: t,
            gets: 100,
            hits: (hit * 100.0) as u64,
            hit_ratio: Some(hit),
            db_rps: db,
            ..IntervalRow::default()
        }
    }

    #[test]
    fn crash_shows_peak_raise_and_recovery() {
        // Steady 100 q/s at 0.8; a crash at t=5 raises the load for 3
        // intervals and the hit ratio dips, back at 90% (0.72) at t=8.
        let mut rows: Vec<IntervalRow> = (1..=5).map(|t| row(f64::from(t), 100.0, 0.8)).collect();
        rows.push(row(6.0, 400.0, 0.3));
        rows.push(row(7.0, 250.0, 0.6));
        rows.push(row(8.0, 120.0, 0.75));
        rows.push(row(9.0, 101.0, 0.8));
        let crash = FailureEvent {
            time_s: 5.0,
            action: Happening::Action(FailureAction::Crash),
            node: Some(1),
            tier: None,
            keys_moved: None,
        };
        let impacts = failure_impacts(&rows, &[crash], 0.0);
        let i = &impacts[0];
        assert_eq!(i.db_rps_before, 100.0);
        assert_eq!(i.db_rps_peak, 400.0);
        assert_eq!(i.db_raised_s, 3.0);
        assert!((i.hit_ratio_before - 0.8).abs() < 1e-12);
        assert_eq!(i.hit_ratio_min, 0.3);
        assert_eq!(i.recovery_90_s, Some(3.0));
    }
}
