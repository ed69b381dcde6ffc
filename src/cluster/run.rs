//! One run of a scenario, from start to the results it reports.

use std::time::Instant;

use super::model::Sim;
use crate::metrics::{
    ClassIntervalRow, IntervalRow, LatencyRow, NodeRow, RetrySummary, Summary, failure_impacts,
};
use crate::scenario::ClusterConfig;
use crate::scenario::config::Load;
use crate::trace::TraceError;

/// Why a simulation could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario's trace could not be read.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The model broke one of its own invariants: its numbers cannot be
    /// trusted, so none are reported.
    #[error(
        "internal error: the simulation of {run} broke its own invariants, so it reports nothing (please report this scenario and seed): {what}"
    )]
    Invariant {
        /// The run (scenario and label).
        run: String,
        /// What broke, first cases first.
        what: String,
    },
}

/// Everything a run measured.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// Totals after the warm-up.
    pub summary: Summary,
    /// One row per interval.
    pub series: Vec<IntervalRow>,
    /// One row per node.
    pub nodes: Vec<NodeRow>,
    /// Latency percentiles.
    pub latency: Vec<LatencyRow>,
    /// One row per interval and request class (empty without classes).
    pub classes: Vec<ClassIntervalRow>,
    /// One row per node of each tier above `[nodes]` with nodes of its own
    /// (empty without such tiers).
    pub tier_nodes: Vec<crate::metrics::tiers::TierNodeRow>,
    /// One row per interval and tier, `[nodes]` last (empty without
    /// `[[tiers]]`).
    pub tiers: Vec<crate::metrics::tiers::TierIntervalRow>,
}

/// How closely a run checks the model's own invariants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audit {
    /// The request counts, at each completion and release, and at the end:
    /// cheap, always on.
    Counts,
    /// Everything after every event (queues, bounds, versions, counts):
    /// a scan of all jobs and nodes per event, for tests and fuzzers.
    EveryEvent,
}

/// Simulates the run `config` describes (a validated scenario's
/// [`crate::scenario::Scenario::cluster`]); `progress(fraction)` is called now
/// and then with the share of simulated time done.
pub fn simulate(
    config: &ClusterConfig,
    progress: &mut dyn FnMut(f64),
) -> Result<RunOutput, SimError> {
    simulate_audited(config, Audit::Counts, progress)
}

/// [`simulate`], checking the model's invariants as closely as `audit` asks.
pub fn simulate_audited(
    config: &ClusterConfig,
    audit: Audit,
    progress: &mut dyn FnMut(f64),
) -> Result<RunOutput, SimError> {
    let started = Instant::now();
    let mut sim = Sim::new(config)?;
    if audit == Audit::EveryEvent {
        sim.audit_every_event();
    }
    sim.run(progress)?;
    let violations = sim.violations();
    if !violations.is_empty() {
        return Err(SimError::Invariant {
            run: format!("{} [{}]", config.name, config.label),
            what: violations.join("; "),
        });
    }
    let wall = started.elapsed().as_secs_f64().max(1e-9);
    let end = sim.end();
    let load = sim.database().load(end);
    let queue_max = sim.database().queue_max();
    let connections = sim.database().connections;
    let mut summary = Summary {
        scenario: config.name.clone(),
        run: config.label.clone(),
        seed: config.seed,
        ..Summary::default()
    };
    sim.recorder
        .fill_summary(&mut summary, end, load, connections, queue_max);
    summary.consistency = sim
        .recorder
        .consistency
        .summary(summary.gets, sim.stale_entries());
    let mut nodes: Vec<NodeRow> = sim
        .nodes()
        .map(|(name, node)| NodeRow {
            node: name,
            requests: node.stats.requests,
            gets: node.stats.gets,
            hits: node.stats.hits,
            hit_ratio: (node.stats.gets > 0)
                .then(|| node.stats.hits as f64 / node.stats.gets as f64),
            evictions: node.stats.evictions,
            bytes_used: node.policy.used(),
            objects: node.policy.len() as u64,
            load_share: 0.0,
        })
        .collect();
    let main: Vec<&NodeRow> = nodes
        .iter()
        .filter(|n| !n.node.starts_with("gutter"))
        .collect();
    let mean = main.iter().map(|n| n.requests as f64).sum::<f64>() / main.len().max(1) as f64;
    let max = main.iter().map(|n| n.requests as f64).fold(0.0, f64::max);
    summary.load_imbalance = if mean > 0.0 { max / mean } else { 0.0 };
    for n in &mut nodes {
        n.load_share = if mean > 0.0 {
            n.requests as f64 / mean
        } else {
            0.0
        };
    }
    let mut series = sim.recorder.rows().to_vec();
    if let Some(offered) = sim.offered_rps() {
        for (row, rps) in series.iter_mut().zip(offered) {
            row.offered_rps = Some(rps);
        }
    }
    summary.failures = failure_impacts(&series, sim.failure_events(), config.warmup as f64 / 1e9);
    if let Some(totals) = sim.recorder.retry_totals() {
        let mut retries = RetrySummary::new(totals, sim.breaker_opened());
        if let Some((start, end)) = trigger(config) {
            retries.degraded(&series, config.warmup as f64 / 1e9, start, end);
        }
        summary.retries = Some(retries);
    }
    summary.node_breakers = sim.node_breaker_summary();
    summary.scans = sim.scan_summary();
    summary.app = sim.app_summary();
    summary.tiers = sim.tier_summaries(&summary);
    summary.classes = sim.recorder.class_summaries(end);
    summary.requests_per_wall_s = sim.issued as f64 / wall;
    summary.events_per_wall_s = sim.events_processed() as f64 / wall;
    Ok(RunOutput {
        summary,
        series,
        nodes,
        latency: sim.recorder.latency_rows(),
        classes: sim.recorder.class_rows().to_vec(),
        tier_nodes: sim.tier_node_rows(),
        tiers: sim.recorder.tier_rows().to_vec(),
    })
}

/// The trigger a run's degraded time is measured after, in simulated
/// seconds: from the first spike's start to the last spike's end, or else
/// from the first scheduled failure to the last (none without either).
fn trigger(config: &ClusterConfig) -> Option<(f64, f64)> {
    let seconds = |ns: u64| ns as f64 / 1e9;
    if let Load::Scheduled { schedule } = &config.clients.load
        && let (Some(first), Some(last)) = (schedule.spikes.first(), schedule.spikes.last())
    {
        return Some((seconds(first.at), seconds(last.at + last.length)));
    }
    let faults = &config.faults.scheduled;
    Some((seconds(faults.first()?.at), seconds(faults.last()?.at)))
}
