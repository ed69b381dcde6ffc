//! Retry policies as plain state machines, with no clock but the one they
//! are given: the wait before a retry (backoff and jitter), the retry
//! budget, and the circuit breaker. The model (`model/retry.rs`) asks them
//! and counts what they decide.
//!
//! - Backoff and jitter follow Marc Brooker, "Exponential Backoff and
//!   Jitter", AWS Architecture Blog, 2015: the wait for retry k (1 for the
//!   first) is `temp = min(cap, base · 2^(k−1))` (exponential) or `base`
//!   (constant); *none* waits `temp`, *full* draws uniform in [0, temp],
//!   *equal* waits `temp/2` plus uniform in [0, temp/2], *decorrelated*
//!   draws `min(cap, uniform[base, 3 · previous wait])`, the previous wait
//!   starting at `base` (it grows on its own, whatever the backoff says).
//! - The budget is a token bucket in the manner of Finagle's `RetryBudget`
//!   (`com.twitter.finagle.service.RetryBudget`: each request deposits, each
//!   retry withdraws, and retries are allowed as a share `percentCanRetry`
//!   of requests). Here each read deposits `ratio` tokens into a bucket of
//!   `tokens` (full at the start) and each retry withdraws one whole token;
//!   Finagle's deposits expire after a `ttl`, ours do not, and its
//!   `minRetriesPerSec` is replaced by the bucket's starting content. So over
//!   a run with R reads, retries ≤ ratio · R + tokens.
//! - The breaker is the classic one (Nygard, *Release It!*, 2007; Fowler,
//!   "CircuitBreaker", 2014): closed, it counts consecutive failures and
//!   opens after `failures`; open, it refuses every call for `cool_down`;
//!   then half-open, it lets `probes` calls through at once: a success
//!   closes it, a failure opens it again.

use rand::RngExt;

use crate::scenario::config::{Backoff, BreakerConfig, BudgetConfig, Jitter, RetryConfig};
use crate::seed::Rng;
use crate::sim::Time;

/// The wait before retry `retry` (1 for the first), given the previous
/// wait (`base` before the first retry; only decorrelated jitter reads it).
pub fn backoff(policy: &RetryConfig, retry: u32, previous: Time, rng: &mut Rng) -> Time {
    let (base, cap) = (policy.base, policy.cap);
    let temp = match policy.backoff {
        Backoff::Constant => base,
        Backoff::Exponential => {
            let doublings = retry.saturating_sub(1).min(62);
            base.saturating_mul(1 << doublings).min(cap)
        }
    };
    match policy.jitter {
        Jitter::None => temp,
        Jitter::Full => rng.random_range(0..=temp),
        Jitter::Equal => temp / 2 + rng.random_range(0..=temp - temp / 2),
        Jitter::Decorrelated => {
            let high = previous.max(base).saturating_mul(3);
            rng.random_range(base..=high).min(cap)
        }
    }
}

/// A retry budget: a token bucket each read fills and each retry empties.
#[derive(Clone, Debug)]
pub struct Budget {
    config: BudgetConfig,
    tokens: f64,
}

impl Budget {
    /// A full bucket.
    pub fn new(config: BudgetConfig) -> Budget {
        Budget {
            config,
            tokens: config.tokens,
        }
    }

    /// A read was sent for the first time: it deposits `ratio`.
    pub fn deposit(&mut self) {
        self.tokens = (self.tokens + self.config.ratio).min(self.config.tokens);
    }

    /// Whether a retry may go: true (and one token spent) if a whole token
    /// is left.
    pub fn withdraw(&mut self) -> bool {
        let ok = self.tokens >= 1.0;
        if ok {
            self.tokens -= 1.0;
        }
        ok
    }
}

/// Where a breaker stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Calls go through; `failures` in a row so far.
    Closed {
        /// Consecutive failures.
        failures: u32,
    },
    /// Calls are refused until `until`.
    Open {
        /// When it turns half-open.
        until: Time,
    },
    /// Probes go through, `sent` of them so far.
    HalfOpen {
        /// Probes let through.
        sent: u32,
    },
}

/// A circuit breaker in front of one dependency.
#[derive(Clone, Debug)]
pub struct Breaker {
    config: BreakerConfig,
    state: State,
    /// Times it opened.
    pub opened: u64,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Breaker {
        Breaker {
            config,
            state: State::Closed { failures: 0 },
            opened: 0,
        }
    }

    /// Where it stands.
    #[cfg(test)]
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether a call at `now` may go (an open breaker past its cool-down
    /// turns half-open and lets this call through as a probe).
    pub fn allow(&mut self, now: Time) -> bool {
        match self.state {
            State::Closed { .. } => true,
            State::Open { until } if now >= until => {
                self.state = State::HalfOpen { sent: 1 };
                true
            }
            State::Open { .. } => false,
            State::HalfOpen { sent } if sent < self.config.probes => {
                self.state = State::HalfOpen { sent: sent + 1 };
                true
            }
            State::HalfOpen { .. } => false,
        }
    }

    /// A call succeeded: the breaker closes (or stays closed, its count of
    /// failures reset). An answer while open (to a call sent before it
    /// opened) changes nothing.
    pub fn success(&mut self) {
        if !matches!(self.state, State::Open { .. }) {
            self.state = State::Closed { failures: 0 };
        }
    }

    /// A call failed at `now`: the `failures`-th in a row opens a closed
    /// breaker; any failure reopens a half-open one.
    pub fn failure(&mut self, now: Time) {
        let open = match self.state {
            State::Closed { failures } if failures + 1 >= self.config.failures => true,
            State::Closed { failures } => {
                self.state = State::Closed {
                    failures: failures + 1,
                };
                false
            }
            State::HalfOpen { .. } => true,
            State::Open { .. } => false,
        };
        if open {
            self.state = State::Open {
                until: now.saturating_add(self.config.cool_down),
            };
            self.opened += 1;
        }
    }
}

/// One breaker per main-pool node (`cache.breaker`), grown as nodes join,
/// and the gets an open one turned away.
#[derive(Clone, Debug)]
pub struct NodeBreakers {
    config: BreakerConfig,
    by_node: Vec<Breaker>,
    /// Gets issued after the warm-up sent to the database because their
    /// node's breaker was open.
    pub skipped: u64,
}

impl NodeBreakers {
    /// Closed breakers (made as nodes are first asked about).
    pub fn new(config: BreakerConfig) -> NodeBreakers {
        NodeBreakers {
            config,
            by_node: Vec::new(),
            skipped: 0,
        }
    }

    /// The breaker of `node`.
    pub fn of(&mut self, node: u32) -> &mut Breaker {
        let i = node as usize;
        if i >= self.by_node.len() {
            let config = self.config;
            self.by_node.resize_with(i + 1, || Breaker::new(config));
        }
        &mut self.by_node[i]
    }

    /// Times any of them opened.
    pub fn opened(&self) -> u64 {
        self.by_node.iter().map(|b| b.opened).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;

    fn policy(backoff: Backoff, jitter: Jitter) -> RetryConfig {
        RetryConfig {
            max_attempts: 10,
            backoff,
            base: 100,
            cap: 1000,
            jitter,
            budget: None,
            breaker: None,
        }
    }

    /// The smallest and largest of many draws of the wait before `retry`.
    fn range(p: &RetryConfig, retry: u32, previous: Time) -> (Time, Time) {
        let mut rng = Seed(1).rng();
        let draws: Vec<Time> = (0..20_000)
            .map(|_| backoff(p, retry, previous, &mut rng))
            .collect();
        (*draws.iter().min().unwrap(), *draws.iter().max().unwrap())
    }

    #[test]
    fn exponential_without_jitter_doubles_up_to_the_cap() {
        let p = policy(Backoff::Exponential, Jitter::None);
        let mut rng = Seed(1).rng();
        let waits: Vec<Time> = (1..=6).map(|k| backoff(&p, k, 0, &mut rng)).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        let c = policy(Backoff::Constant, Jitter::None);
        assert_eq!(backoff(&c, 5, 0, &mut rng), 100);
    }

    #[test]
    fn jitter_draws_over_brookers_ranges() {
        // Retry 3: temp = min(1000, 100 · 4) = 400.
        let full = range(&policy(Backoff::Exponential, Jitter::Full), 3, 0);
        assert!(full.0 < 5 && full.1 > 395 && full.1 <= 400, "{full:?}");
        let equal = range(&policy(Backoff::Exponential, Jitter::Equal), 3, 0);
        assert!(equal.0 >= 200 && equal.0 < 205, "{equal:?}");
        assert!(equal.1 > 395 && equal.1 <= 400, "{equal:?}");
        // Decorrelated: uniform in [base, 3 · previous] = [100, 750], capped.
        let dec = range(&policy(Backoff::Exponential, Jitter::Decorrelated), 3, 250);
        assert!(
            dec.0 >= 100 && dec.0 < 105 && dec.1 > 740 && dec.1 <= 750,
            "{dec:?}"
        );
        let capped = range(&policy(Backoff::Exponential, Jitter::Decorrelated), 3, 900);
        assert_eq!(capped.1, 1000, "3 · 900 is capped at 1000");
    }

    #[test]
    fn the_mean_of_full_jitter_is_half_the_wait() {
        let p = policy(Backoff::Exponential, Jitter::Full);
        let mut rng = Seed(2).rng();
        let n = 100_000u32;
        let mean = (0..n)
            .map(|_| backoff(&p, 2, 0, &mut rng) as f64)
            .sum::<f64>()
            / f64::from(n);
        // Uniform on 0..=200: mean 100, sd 57.7; the mean of 1e5 is within 1.
        assert!((mean - 100.0).abs() < 1.0, "{mean}");
    }

    #[test]
    fn a_budget_allows_its_tokens_then_ratio_per_read() {
        let mut b = Budget::new(BudgetConfig {
            ratio: 0.25,
            tokens: 2.0,
        });
        assert!(b.withdraw() && b.withdraw(), "the bucket starts full");
        assert!(!b.withdraw(), "then it is empty");
        for _ in 0..3 {
            b.deposit();
        }
        assert!(!b.withdraw(), "0.75 tokens: not a whole one");
        b.deposit();
        assert!(b.withdraw(), "four reads earn one retry");
        for _ in 0..100 {
            b.deposit();
        }
        assert!(b.withdraw() && b.withdraw() && !b.withdraw(), "capped at 2");
    }

    #[test]
    fn a_breaker_opens_cools_down_probes_and_closes() {
        let mut b = Breaker::new(BreakerConfig {
            failures: 3,
            cool_down: 1000,
            probes: 1,
        });
        b.failure(10);
        b.failure(20);
        b.success();
        assert_eq!(b.state(), State::Closed { failures: 0 }, "a success resets");
        for t in [30, 40, 50] {
            assert!(b.allow(t));
            b.failure(t);
        }
        assert_eq!(b.state(), State::Open { until: 1050 }, "3 in a row open it");
        assert_eq!(b.opened, 1);
        assert!(!b.allow(1049), "open: fail fast");
        assert!(b.allow(1050), "cooled down: one probe");
        assert_eq!(b.state(), State::HalfOpen { sent: 1 });
        assert!(!b.allow(1051), "only one probe at once");
        b.failure(1100);
        assert_eq!(
            b.state(),
            State::Open { until: 2100 },
            "a failed probe reopens"
        );
        assert_eq!(b.opened, 2);
        assert!(b.allow(2100));
        b.success();
        assert_eq!(
            b.state(),
            State::Closed { failures: 0 },
            "a good probe closes"
        );
    }

    #[test]
    fn an_answer_while_open_changes_nothing() {
        let mut b = Breaker::new(BreakerConfig {
            failures: 1,
            cool_down: 100,
            probes: 2,
        });
        b.failure(0);
        b.success();
        b.failure(50);
        assert_eq!(b.state(), State::Open { until: 100 });
        assert!(b.allow(100) && b.allow(100) && !b.allow(100), "two probes");
    }
}
