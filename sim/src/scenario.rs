//! The seed's flaky-operation harness, run through the core's retry engine.

use std::fmt;
use std::time::{Duration, Instant};

use embedded_retry::{
    BucketRates, Clock, Decision, Delay, Factor, HintAboveCap, Jitter, MockClock, Outcome, Policy,
    PolicyError, Retry, RetryBudget, StopReason, TokenBucket,
};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

use crate::stderr_log::{Level, log};

/// The most attempt records a report can keep for each operation (`--log-capacity`).
pub const LOG_MAX: usize = 1024;

/// The attempt log capacity the simulator's policies use; each report keeps the last
/// [`Scenario::log_capacity`] of these records.
pub type SimPolicy = Policy<LOG_MAX>;

/// What to run: the policy's settings, the operation's behaviour, and the clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Total attempts, the first included; `None` retries until another rule stops the run.
    pub max_attempts: Option<u32>,
    /// How many of each operation's last attempts the report keeps (at most [`LOG_MAX`]).
    pub log_capacity: usize,
    /// Delay before the first retry, in milliseconds.
    pub base_delay_ms: u32,
    /// Cap on every delay, in milliseconds.
    pub max_delay_ms: u32,
    /// Growth of the delay after each retry.
    pub factor: Factor,
    /// How delays are randomised.
    pub jitter: Jitter,
    /// Seed of the jitter generator; `None` runs without one, which only a policy without
    /// jitter can do.
    pub seed: Option<u64>,
    /// Calls that fail with a retryable error before the operation succeeds.
    pub fail_count: u32,
    /// The call (from 1) that fails with a non-retryable error, if any.
    pub non_retryable_at: Option<u32>,
    /// Calls (from 1) that fail with a retryable error carrying a hinted delay, in milliseconds.
    pub retry_after: Vec<(u32, u32)>,
    /// What a hinted delay above the cap does.
    pub hint_above_cap: HintAboveCap,
    /// The most a run may sleep in all, in milliseconds.
    pub delay_budget_ms: Option<u64>,
    /// Each run's deadline, in milliseconds from its start.
    pub deadline_ms: Option<u64>,
    /// How long each call of the operation takes, in milliseconds.
    pub op_time_ms: u32,
    /// A retry budget shared by all the operations.
    pub retry_budget: Option<BucketRates>,
    /// Operations run in sequence, each a fresh flaky operation.
    pub operations: u32,
    /// Sleep for real instead of on the mock clock.
    pub real_time: bool,
}

impl Default for Scenario {
    /// The seed's scenario, as `sim` runs it with no arguments.
    fn default() -> Self {
        Scenario {
            max_attempts: Some(5),
            log_capacity: 64,
            base_delay_ms: 100,
            max_delay_ms: 60_000,
            factor: Factor::TWO,
            jitter: Jitter::None,
            seed: None,
            fail_count: 2,
            non_retryable_at: None,
            retry_after: Vec::new(),
            hint_above_cap: HintAboveCap::Honour,
            delay_budget_ms: None,
            deadline_ms: None,
            op_time_ms: 0,
            retry_budget: None,
            operations: 1,
            real_time: false,
        }
    }
}

impl Scenario {
    /// The checked policy for this scenario.
    ///
    /// # Errors
    /// The core's [`PolicyError`] when the settings are invalid.
    pub fn policy(&self) -> Result<SimPolicy, PolicyError> {
        let mut builder = Policy::builder();
        builder = match self.max_attempts {
            Some(attempts) => builder.max_attempts(attempts),
            None => builder.retry_forever(),
        };
        builder = builder
            .base_delay_ms(self.base_delay_ms)
            .max_delay_ms(self.max_delay_ms)
            .factor(self.factor)
            .jitter(self.jitter)
            .hint_above_cap(self.hint_above_cap);
        if let Some(budget) = self.delay_budget_ms {
            builder = builder.delay_budget_ms(budget);
        }
        builder.build()
    }

    /// What call `call` of an operation does.
    fn outcome_of(&self, call: u32) -> Result<Success, SimError> {
        if Some(call) == self.non_retryable_at {
            return Err(SimError::Permanent { call });
        }
        if let Some(&(_, hint_ms)) = self.retry_after.iter().find(|(k, _)| *k == call) {
            return Err(SimError::Transient {
                call,
                hint_ms: Some(hint_ms),
            });
        }
        if call <= self.fail_count {
            Err(SimError::Transient {
                call,
                hint_ms: None,
            })
        } else {
            Ok(Success { total_calls: call })
        }
    }
}

/// The error the flaky operation fails with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimError {
    /// A transient failure worth retrying, as the seed's `ConnectionError`, perhaps with a
    /// hinted delay (as a server's `Retry-After`).
    Transient {
        /// The call that failed, from 1.
        call: u32,
        /// The delay the failure asks for, in milliseconds.
        hint_ms: Option<u32>,
    },
    /// A failure the retry predicate refuses.
    Permanent {
        /// The call that failed, from 1.
        call: u32,
    },
}

impl SimError {
    /// The retry predicate: stop on a permanent failure, retry a transient one, after its hint
    /// if it has one.
    pub fn decide(&self) -> Decision {
        match *self {
            SimError::Permanent { .. } => Decision::Stop,
            SimError::Transient { hint_ms: None, .. } => Decision::Retry,
            SimError::Transient {
                hint_ms: Some(ms), ..
            } => Decision::RetryAfter(ms),
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Transient {
                call,
                hint_ms: None,
            } => write!(f, "Simulated failure #{call}"),
            SimError::Transient {
                call,
                hint_ms: Some(ms),
            } => {
                write!(f, "Simulated failure #{call} (retry after {ms} ms)")
            }
            SimError::Permanent { call } => write!(f, "Simulated non-retryable failure #{call}"),
        }
    }
}

/// The operation's value on success: the seed's `{"result": "success", "total_calls": N}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Success {
    /// How many times the operation was called.
    pub total_calls: u32,
}

/// One retried operation: the engine's outcome and when each attempt started.
#[derive(Debug)]
pub struct Operation {
    /// The value, the stop reason and the attempt log.
    pub outcome: Outcome<Success, SimError, LOG_MAX>,
    /// Milliseconds since the whole run began at which each attempt started, one per attempt.
    pub started_ms: Vec<u64>,
    /// Milliseconds since the whole run began when the operation ended.
    pub ended_ms: u64,
    /// Tokens left in the retry budget after the operation, if there is one.
    pub budget_left: Option<u32>,
}

/// A finished run: its operations, in order.
#[derive(Debug)]
pub struct Run {
    /// One entry per operation.
    pub operations: Vec<Operation>,
}

/// Sleeps on the operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadSleep;

impl Delay for ThreadSleep {
    fn delay_ms(&mut self, ms: u32) {
        std::thread::sleep(Duration::from_millis(u64::from(ms)));
    }
}

/// The operating system's monotonic clock, from when it was made.
#[derive(Clone, Copy, Debug)]
pub struct WallClock(Instant);

impl Clock for WallClock {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// The simulation's retry budget: a token bucket, or none (every retry allowed).
#[derive(Debug)]
struct SimBudget(Option<TokenBucket>);

impl RetryBudget for SimBudget {
    fn try_spend(&self) -> bool {
        self.0.as_ref().is_none_or(TokenBucket::try_spend)
    }
    fn succeeded(&self, after_retry: bool) {
        if let Some(bucket) = &self.0 {
            bucket.succeeded(after_retry);
        }
    }
    fn tokens(&self) -> u32 {
        self.0.as_ref().map_or(0, TokenBucket::tokens)
    }
}

/// Runs the scenario under `policy` (which must be `scenario.policy()`).
///
/// # Errors
/// [`PolicyError::JitterNeedsRng`] when the policy has jitter and the scenario no seed.
pub fn run(scenario: &Scenario, policy: SimPolicy) -> Result<Run, PolicyError> {
    if scenario.real_time {
        let clock = WallClock(Instant::now());
        let spend = |ms: u64| std::thread::sleep(Duration::from_millis(ms));
        run_on(scenario, policy, ThreadSleep, &clock, &spend)
    } else {
        let clock = MockClock::<0>::new();
        run_on(scenario, policy, &clock, &clock, &|ms| clock.advance(ms))
    }
}

/// One operation's calls, with the time each started; spends the operation's run time.
type Call<'a> = dyn FnMut() -> Result<Success, SimError> + 'a;

fn run_on<D: Delay, C: Clock>(
    scenario: &Scenario,
    policy: SimPolicy,
    mut delay: D,
    clock: &C,
    spend: &dyn Fn(u64),
) -> Result<Run, PolicyError> {
    let budget = SimBudget(scenario.retry_budget.map(TokenBucket::new));
    // Without a deadline, one that never comes.
    let deadline = scenario.deadline_ms.unwrap_or(u64::MAX);
    let max_attempts = scenario.max_attempts;
    let log_sleep = |attempt: u32, error: &SimError, delay_ms: u32| {
        log(
            Level::Warning,
            &format!(
                "Attempt {} failed: {error} (retrying in {delay_ms} ms)",
                of_max(attempt, max_attempts)
            ),
        );
    };
    let mut operations = Vec::new();
    let mut drive = |call: &mut dyn FnMut(&mut Call<'_>) -> Outcome<Success, SimError, LOG_MAX>| {
        for _ in 0..scenario.operations.max(1) {
            let mut started_ms = Vec::new();
            let mut calls = 0;
            let outcome = call(&mut || {
                calls += 1;
                started_ms.push(clock.now_ms());
                spend(u64::from(scenario.op_time_ms));
                scenario.outcome_of(calls)
            });
            log_last_attempt(&outcome, max_attempts);
            let budget_left = scenario.retry_budget.map(|_| budget.tokens());
            operations.push(Operation {
                outcome,
                started_ms,
                ended_ms: clock.now_ms(),
                budget_left,
            });
        }
    };
    match scenario.seed {
        Some(seed) => {
            let mut retry = Retry::new(policy, XorShiftRng::seed_from_u64(seed))
                .when(SimError::decide)
                .deadline_ms(clock, deadline)
                .before_sleep(log_sleep)
                .retry_budget(&budget);
            drive(&mut |op| retry.call(&mut delay, op));
        }
        None => {
            let mut retry = Retry::without_jitter(policy)?
                .when(SimError::decide)
                .deadline_ms(clock, deadline)
                .before_sleep(log_sleep)
                .retry_budget(&budget);
            drive(&mut |op| retry.call(&mut delay, op));
        }
    }
    Ok(Run { operations })
}

/// Logs how an operation's last attempt ended (the retries were logged as they happened).
fn log_last_attempt(outcome: &Outcome<Success, SimError, LOG_MAX>, max_attempts: Option<u32>) {
    let n = outcome.total_attempts();
    if let Some(error) = outcome.last_error() {
        let reason = outcome.stop_reason();
        let why = match reason {
            StopReason::NotRetryable => "not retryable",
            StopReason::AttemptsExhausted => "no attempts left",
            StopReason::DelayBudgetExhausted => "the next delay would pass the delay budget",
            StopReason::DeadlineExceeded => "the next delay would pass the deadline",
            StopReason::RetryBudgetExhausted => "the retry budget is spent",
            StopReason::HintAboveCap => "the hinted delay is above the cap",
            _ => "stopped",
        };
        let level = if reason == StopReason::NotRetryable {
            Level::Error
        } else {
            Level::Warning
        };
        log(
            level,
            &format!(
                "Attempt {} failed: {error} ({why})",
                of_max(n, max_attempts)
            ),
        );
    } else {
        log(Level::Info, &format!("Attempt {n} succeeded"));
    }
}

/// `3/5`, or `3` when attempts are unlimited.
fn of_max(attempt: u32, max_attempts: Option<u32>) -> String {
    match max_attempts {
        Some(max) => format!("{attempt}/{max}"),
        None => attempt.to_string(),
    }
}
