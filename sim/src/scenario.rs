//! The seed's flaky-operation harness, run through the core's retry engine.

use std::fmt;
use std::time::{Duration, Instant};

use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;
use retry_backoff::{Delay, Factor, Jitter, MockClock, Outcome, Policy, PolicyError, Retry};

/// The most attempts a run can make: the capacity of its attempt log.
pub const MAX_ATTEMPTS: usize = 1000;

/// The attempt log capacity the simulator's policies use.
pub type SimPolicy = Policy<MAX_ATTEMPTS>;

/// What to run: the policy's settings, the operation's behaviour, and the clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Total attempts, the first included.
    pub max_attempts: u32,
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
    /// Sleep for real instead of on the mock clock.
    pub real_time: bool,
}

impl Scenario {
    /// The checked policy for this scenario.
    ///
    /// # Errors
    /// The core's [`PolicyError`] when the settings are invalid.
    pub fn policy(&self) -> Result<SimPolicy, PolicyError> {
        Policy::builder()
            .max_attempts(self.max_attempts)
            .base_delay_ms(self.base_delay_ms)
            .max_delay_ms(self.max_delay_ms)
            .factor(self.factor)
            .jitter(self.jitter)
            .build()
    }
}

/// The error the flaky operation fails with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimError {
    /// A transient failure worth retrying, as the seed's `ConnectionError`.
    Transient {
        /// The call that failed, from 1.
        call: u32,
    },
    /// A failure the retry predicate refuses.
    Permanent {
        /// The call that failed, from 1.
        call: u32,
    },
}

impl SimError {
    /// Whether the retry predicate retries this error.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SimError::Transient { .. })
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Transient { call } => write!(f, "Simulated failure #{call}"),
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

/// A finished run: the engine's outcome and when each attempt started.
#[derive(Debug)]
pub struct Run {
    /// The value, the stop reason and the attempt log.
    pub outcome: Outcome<Success, SimError, MAX_ATTEMPTS>,
    /// Milliseconds since the run began at which each attempt started, one per log record.
    pub started_ms: Vec<u64>,
    /// Milliseconds from the start of the run to its end.
    pub elapsed_ms: u64,
}

/// Sleeps on the operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadSleep;

impl Delay for ThreadSleep {
    fn delay_ms(&mut self, ms: u32) {
        std::thread::sleep(Duration::from_millis(u64::from(ms)));
    }
}

/// Runs the scenario under `policy` (which must be `scenario.policy()`).
///
/// # Errors
/// [`PolicyError::JitterNeedsRng`] when the policy has jitter and the scenario no seed.
pub fn run(scenario: &Scenario, policy: SimPolicy) -> Result<Run, PolicyError> {
    if scenario.real_time {
        let start = Instant::now();
        let now = || u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        run_on(scenario, policy, ThreadSleep, now)
    } else {
        let clock = MockClock::<0>::new();
        run_on(scenario, policy, &clock, || clock.now_ms())
    }
}

fn run_on<D: Delay>(
    scenario: &Scenario,
    policy: SimPolicy,
    delay: D,
    now_ms: impl Fn() -> u64,
) -> Result<Run, PolicyError> {
    let mut started_ms = Vec::new();
    let mut calls = 0;
    let operation = || {
        calls += 1;
        started_ms.push(now_ms());
        if Some(calls) == scenario.non_retryable_at {
            Err(SimError::Permanent { call: calls })
        } else if calls <= scenario.fail_count {
            Err(SimError::Transient { call: calls })
        } else {
            Ok(Success { total_calls: calls })
        }
    };
    let outcome = match scenario.seed {
        Some(seed) => Retry::new(policy, delay, XorShiftRng::seed_from_u64(seed))
            .when(SimError::is_retryable)
            .call(operation),
        None => match Retry::without_jitter(policy, delay) {
            Ok(retry) => retry.when(SimError::is_retryable).call(operation),
            Err(error) => return Err(error),
        },
    };
    Ok(Run {
        outcome,
        started_ms,
        elapsed_ms: now_ms(),
    })
}
