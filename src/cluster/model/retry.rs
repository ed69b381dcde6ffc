//! Retries, time-outs and the breaker of the clients' database reads (a
//! read after a miss, after a node time-out, or without a cache).
//!
//! With `database.timeout`, a client gives up on an attempt whose answer
//! has not come within the time-out of sending it: the attempt is
//! abandoned, but the database still serves it (its job turns into
//! [`AtDb::Abandoned`] and answers no one) — which is what lets retries
//! keep a database overloaded. An attempt that times out or that the
//! database refuses fails; with `[retry]` it is retried after a backoff
//! (`crate::cluster::retry::backoff`) while attempts are left and the budget
//! allows, as a new job for the same request (the request's latency still
//! runs from its first attempt's issue). The last failure fails the
//! request. The breaker sits in front of the database: an attempt it
//! refuses fails the request at once, without a retry (retrying into an
//! open breaker only spins); every attempt's answer, refusal or time-out
//! tells it of a success or a failure. Writes, and a read-through node's
//! own database reads, are neither timed out nor retried.

use super::*;
use crate::cluster::retry::{Breaker, Budget, backoff};
use crate::scenario::config::RetryConfig;

/// The retry component's events.
#[derive(Clone, Copy, Debug)]
pub(super) enum RetryEvent {
    /// A client's read has waited `database.timeout` for its attempt
    /// (the number: a later attempt's deadline is another event).
    Deadline(JobId, u32),
    /// The wait before a retry is over: the read goes to the database again.
    Resend(JobId),
}

impl RetryEvent {
    /// The job this event belongs to.
    pub(super) fn job(self) -> JobId {
        match self {
            RetryEvent::Deadline(id, _) | RetryEvent::Resend(id) => id,
        }
    }
}

/// The retry component's state.
pub(super) struct Retry {
    /// How long a client waits for an attempt (none: until the answer).
    timeout: Option<Time>,
    policy: Option<RetryConfig>,
    budget: Option<Budget>,
    breaker: Option<Breaker>,
    /// The backoffs' jitter.
    rng: Rng,
}

impl Retry {
    /// The component of `config` (none without `[retry]` and without
    /// `database.timeout`: the model then takes none of these paths), its
    /// stream derived from `seed`.
    pub fn new(config: &ClusterConfig, seed: Seed) -> Option<Box<Retry>> {
        let policy = config.retry;
        let timeout = config.database.timeout;
        if policy.is_none() && timeout.is_none() {
            return None;
        }
        Some(Box::new(Retry {
            timeout,
            policy,
            budget: policy.and_then(|p| p.budget).map(Budget::new),
            breaker: policy.and_then(|p| p.breaker).map(Breaker::new),
            rng: seed.derive("retry").rng(),
        }))
    }

    /// Times the breaker opened.
    pub fn breaker_opened(&self) -> u64 {
        self.breaker.as_ref().map_or(0, |b| b.opened)
    }

    /// The wait before the retry after failed attempt `attempt` (whose own
    /// wait was `previous`), if the policy, the attempts left and the
    /// budget allow one; `denied` is set when the budget refused it.
    fn next_wait(&mut self, attempt: u32, previous: Time, denied: &mut bool) -> Option<Time> {
        let policy = self.policy?;
        if attempt >= policy.max_attempts {
            return None;
        }
        if let Some(budget) = &mut self.budget
            && !budget.withdraw()
        {
            *denied = true;
            return None;
        }
        Some(backoff(&policy, attempt, previous, &mut self.rng))
    }

    /// The breaker hears of an attempt's result.
    fn tell_breaker(&mut self, now: Time, ok: bool) {
        if let Some(b) = &mut self.breaker {
            if ok { b.success() } else { b.failure(now) }
        }
    }
}

impl Sim<'_> {
    /// A retry event: a deadline, or the end of a backoff.
    pub(super) fn on_retry(&mut self, now: Time, event: RetryEvent) {
        match event {
            RetryEvent::Deadline(id, attempt) => self.deadline(now, id.slot, attempt),
            RetryEvent::Resend(id) => {
                let j = self.jobs[id.slot as usize];
                if let Phase::Db(work @ AtDb::Read { .. }) = j.phase {
                    self.send_to_database(now, id.slot, work);
                } else {
                    self.violation(|| format!("a retry of key {} that is not a read", j.key));
                }
            }
        }
    }

    /// A client's read attempt is about to be sent: the open breaker fails
    /// the request at once (and ends the job); otherwise the attempt is
    /// counted and its deadline armed. Returns whether it goes.
    pub(super) fn read_attempt(&mut self, now: Time, job: u32) -> bool {
        let j = self.jobs[job as usize];
        let Some(retry) = self.retry.as_deref_mut() else {
            return true;
        };
        let first = j.attempt == 1;
        let allowed = retry.breaker.as_mut().is_none_or(|b| b.allow(now));
        if first
            && allowed
            && let Some(budget) = &mut retry.budget
        {
            budget.deposit();
        }
        let timeout = retry.timeout;
        self.recorder.retry(j.issued, |c| {
            c.reads += u64::from(first);
            if allowed {
                c.attempts += 1;
                c.retries += u64::from(!first);
            } else {
                c.fast_failed += 1;
            }
        });
        if !allowed {
            self.complete(now, job, Class::Failed);
            self.release(job);
            return false;
        }
        if let Some(timeout) = timeout {
            let deadline = Event::Retry(RetryEvent::Deadline(self.id(job), j.attempt));
            self.queue.schedule(now + timeout, deadline);
        }
        true
    }

    /// The database's answer to a client's read attempt reached it: the
    /// breaker hears of it, and a refused attempt is retried if it may be.
    /// Returns whether the job goes on as a retry (the caller then does
    /// nothing more with it).
    pub(super) fn read_answered(&mut self, now: Time, job: u32) -> bool {
        let j = self.jobs[job as usize];
        let Some(retry) = self.retry.as_deref_mut() else {
            return false;
        };
        retry.tell_breaker(now, !j.failed);
        if !j.failed {
            return false;
        }
        let Some(wait) = self.retry_wait(j) else {
            return false;
        };
        let again = &mut self.jobs[job as usize];
        again.failed = false;
        again.attempt += 1;
        again.wait = wait;
        let resend = Event::Retry(RetryEvent::Resend(self.id(job)));
        self.queue.schedule(now + wait, resend);
        true
    }

    /// The wait before retrying `j`'s failed attempt, if it may be retried
    /// (a refusal by the budget is counted).
    fn retry_wait(&mut self, j: Job) -> Option<Time> {
        let retry = self.retry.as_deref_mut()?;
        let mut denied = false;
        let wait = retry.next_wait(j.attempt, j.wait, &mut denied);
        if denied {
            self.recorder.retry(j.issued, |c| c.budget_denied += 1);
        }
        wait
    }

    /// Attempt `attempt` of the read in `job` has waited its time-out:
    /// unless it was answered (or is another attempt by now), the client
    /// abandons it — the database still serves it, for no one — and
    /// retries the request as a new job, or fails it.
    fn deadline(&mut self, now: Time, job: u32, attempt: u32) {
        let j = self.jobs[job as usize];
        let waiting = matches!(j.phase, Phase::Db(AtDb::Read { .. }));
        if !waiting || j.attempt != attempt || j.answered {
            return;
        }
        self.recorder.retry(j.issued, |c| c.db_timeouts += 1);
        if let Some(retry) = self.retry.as_deref_mut() {
            retry.tell_breaker(now, false);
        }
        match self.retry_wait(j) {
            Some(wait) => {
                let again = self.allocate(Job {
                    failed: false,
                    attempt: attempt + 1,
                    wait,
                    ..j
                });
                self.app_moved(job, again);
                let resend = Event::Retry(RetryEvent::Resend(self.id(again)));
                self.queue.schedule(now + wait, resend);
                let abandoned = &mut self.jobs[job as usize];
                abandoned.answered = true;
                abandoned.user = NO_USER;
            }
            None => self.complete(now, job, Class::Failed),
        }
        self.jobs[job as usize].phase = Phase::Db(AtDb::Abandoned);
    }

    /// Times the database's breaker opened.
    pub fn breaker_opened(&self) -> u64 {
        self.retry.as_ref().map_or(0, |r| r.breaker_opened())
    }
}
