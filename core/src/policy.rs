//! The retry policy: how many attempts, the delay schedule between them, and how many records
//! of them to keep.

use crate::{Backoff, Factor, HintAboveCap, Jitter, PolicyError};

/// A validated retry policy whose attempt log keeps the last `N` records (none by default).
///
/// Built with [`Policy::builder`], whose defaults are 3 attempts, 1000 ms base delay,
/// 60 000 ms cap, factor 2 and equal jitter. `max_attempts` counts every call of the operation,
/// the first included; [`retry_forever`](PolicyBuilder::retry_forever) lifts the limit.
///
/// `N` only sizes the log: a run of any length fits, and the log keeps its last `N` records
/// beside the count of every attempt and every millisecond slept. With `N = 0` nothing is kept
/// but those counts, and the engine is the size of a hand-written loop plus a little (the
/// README's size table gives the bytes).
///
/// `N` is one number for a run's every type: a `Policy<8>` makes a `Retry<_, 8>`, whose runs
/// are `Run<E, 8>` and end in an `Outcome<T, E, 8>` holding an `AttemptLog<E, 8>`. Each of
/// them, written without `N`, is the one with no log: `Policy` is `Policy<0>`. So a field typed
/// `Run<E, 8>` beside a `const POLICY: Policy` does not compile ("expected `8`, found `0`"):
/// say `Policy<8>`.
///
/// Policies are checked when built; in a `const` item an invalid one fails to compile:
///
/// ```
/// use embedded_retry::{Jitter, Policy};
///
/// const POLICY: Policy<8> = Policy::builder()
///     .max_attempts(5)
///     .base_delay_ms(100)
///     .jitter(Jitter::None)
///     .build_or_panic();
/// assert_eq!(POLICY.max_attempts(), Some(5));
///
/// // A supervisor's policy: retry forever, capped at 30 s, keeping no log.
/// const RECONNECT: Policy = Policy::builder().retry_forever().max_delay_ms(30_000).build_or_panic();
/// assert_eq!(RECONNECT.max_attempts(), None);
/// ```
///
/// ```compile_fail
/// use embedded_retry::Policy;
///
/// // A base delay above the cap: this does not compile.
/// const WRONG: Policy = Policy::builder().base_delay_ms(5000).max_delay_ms(1000).build_or_panic();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Policy<const N: usize = 0> {
    /// `None`: no limit.
    max_attempts: Option<u32>,
    backoff: Backoff,
    delay_budget_ms: Option<u64>,
    hint_above_cap: HintAboveCap,
}

impl<const N: usize> Policy<N> {
    /// A builder holding the defaults.
    pub const fn builder() -> PolicyBuilder<N> {
        PolicyBuilder {
            max_attempts: Some(3),
            base_delay_ms: 1000,
            max_delay_ms: 60_000,
            factor: Factor::TWO,
            jitter: Jitter::Equal,
            delay_budget_ms: None,
            hint_above_cap: HintAboveCap::Honour,
        }
    }

    /// The most times the operation is called, the first call included; `None` when a run
    /// retries until another rule stops it.
    pub const fn max_attempts(&self) -> Option<u32> {
        self.max_attempts
    }

    /// The delay schedule between attempts.
    pub const fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// The most milliseconds a run may sleep in all, if limited.
    pub const fn delay_budget_ms(&self) -> Option<u64> {
        self.delay_budget_ms
    }

    /// What a hinted delay above the cap does.
    pub const fn hint_above_cap(&self) -> HintAboveCap {
        self.hint_above_cap
    }

    /// How many records the attempt log keeps: the last `N`.
    pub const fn log_capacity(&self) -> usize {
        N
    }
}

/// Collects the settings of a [`Policy`]; see [`Policy::builder`] for the defaults.
///
/// Every method is `const`, so a policy can be built and checked at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyBuilder<const N: usize = 0> {
    max_attempts: Option<u32>,
    base_delay_ms: u32,
    max_delay_ms: u32,
    factor: Factor,
    jitter: Jitter,
    delay_budget_ms: Option<u64>,
    hint_above_cap: HintAboveCap,
}

impl<const N: usize> PolicyBuilder<N> {
    /// The most times the operation is called, the first call included (at least 1).
    pub const fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// No limit on attempts: a run retries until it succeeds or another rule (the predicate,
    /// the delay budget, the deadline, the retry budget) stops it. Attempt numbers saturate at
    /// `u32::MAX`, and the slept total is a `u64` of milliseconds, which no run that sleeps
    /// fills.
    pub const fn retry_forever(mut self) -> Self {
        self.max_attempts = None;
        self
    }

    /// The delay before the first retry, in milliseconds.
    pub const fn base_delay_ms(mut self, ms: u32) -> Self {
        self.base_delay_ms = ms;
        self
    }

    /// The cap on every delay, in milliseconds (at least the base delay).
    pub const fn max_delay_ms(mut self, ms: u32) -> Self {
        self.max_delay_ms = ms;
        self
    }

    /// How much the delay grows after each retry (at least 1).
    pub const fn factor(mut self, factor: Factor) -> Self {
        self.factor = factor;
        self
    }

    /// How each delay is randomised.
    pub const fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Limits the total a run may sleep: the run stops rather than sleep when the next sleep
    /// would take the slept total over `ms` (a sleep that reaches it exactly is taken).
    pub const fn delay_budget_ms(mut self, ms: u64) -> Self {
        self.delay_budget_ms = Some(ms);
        self
    }

    /// What a hinted delay above the cap does; see [`HintAboveCap`] for the default and why.
    pub const fn hint_above_cap(mut self, choice: HintAboveCap) -> Self {
        self.hint_above_cap = choice;
        self
    }

    /// Checks the settings and builds the policy.
    ///
    /// # Errors
    /// The first problem found, in this order: [`PolicyError::ZeroAttempts`],
    /// [`PolicyError::BaseAboveCap`], [`PolicyError::FactorBelowOne`].
    pub const fn build(self) -> Result<Policy<N>, PolicyError> {
        if let Some(0) = self.max_attempts {
            return Err(PolicyError::ZeroAttempts);
        }
        match Backoff::new(
            self.base_delay_ms,
            self.max_delay_ms,
            self.factor,
            self.jitter,
        ) {
            Ok(backoff) => Ok(Policy {
                max_attempts: self.max_attempts,
                backoff,
                delay_budget_ms: self.delay_budget_ms,
                hint_above_cap: self.hint_above_cap,
            }),
            Err(error) => Err(error),
        }
    }

    /// Builds the policy, panicking with [`PolicyError::message`] if it is invalid.
    ///
    /// Meant for `const` items, where the panic becomes a compile error and costs nothing at
    /// run time. At run time, use [`build`](Self::build) and handle the error.
    pub const fn build_or_panic(self) -> Policy<N> {
        match self.build() {
            Ok(policy) => policy,
            Err(error) => panic!("{}", error.message()),
        }
    }
}
