//! The retry policy: how many attempts, and the delay schedule between them.

use core::fmt;

use crate::{Backoff, Factor, HintAboveCap, Jitter};

/// A validated retry policy whose attempt log holds up to `N` records.
///
/// Built with [`Policy::builder`], whose defaults are the seed's `retry_with_backoff`:
/// 3 attempts, 1000 ms base delay, 60 000 ms cap, factor 2, equal jitter. `max_attempts`
/// counts every call of the operation, the first included.
///
/// The log capacity is part of the type, so a policy that would need more records than its
/// log holds is refused when it is built; in a `const` item, that refusal is a compile error:
///
/// ```
/// use embedded_retry::{Jitter, Policy};
///
/// const POLICY: Policy<8> = Policy::builder()
///     .max_attempts(5)
///     .base_delay_ms(100)
///     .jitter(Jitter::None)
///     .build_or_panic();
/// assert_eq!(POLICY.max_attempts(), 5);
/// ```
///
/// ```compile_fail
/// use embedded_retry::Policy;
///
/// // Nine attempts cannot be logged in eight records: this does not compile.
/// const TOO_MANY: Policy<8> = Policy::builder().max_attempts(9).build_or_panic();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Policy<const N: usize> {
    max_attempts: u32,
    backoff: Backoff,
    delay_budget_ms: Option<u64>,
    hint_above_cap: HintAboveCap,
}

impl<const N: usize> Policy<N> {
    /// A builder holding the seed's defaults.
    pub const fn builder() -> PolicyBuilder<N> {
        PolicyBuilder {
            max_attempts: 3,
            base_delay_ms: 1000,
            max_delay_ms: 60_000,
            factor: Factor::TWO,
            jitter: Jitter::Equal,
            delay_budget_ms: None,
            hint_above_cap: HintAboveCap::Honour,
        }
    }

    /// The most times the operation is called, the first call included.
    pub const fn max_attempts(&self) -> u32 {
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

    /// The capacity of the attempt log, `N`.
    pub const fn log_capacity(&self) -> usize {
        N
    }
}

/// Collects the settings of a [`Policy`]; see [`Policy::builder`] for the defaults.
///
/// Every method is `const`, so a policy can be built and checked at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyBuilder<const N: usize> {
    max_attempts: u32,
    base_delay_ms: u32,
    max_delay_ms: u32,
    factor: Factor,
    jitter: Jitter,
    delay_budget_ms: Option<u64>,
    hint_above_cap: HintAboveCap,
}

impl<const N: usize> PolicyBuilder<N> {
    /// The most times the operation is called, the first call included (at least 1, at most `N`).
    pub const fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
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
    /// [`PolicyError::AttemptsAboveLogCapacity`], [`PolicyError::BaseAboveCap`],
    /// [`PolicyError::FactorBelowOne`].
    pub const fn build(self) -> Result<Policy<N>, PolicyError> {
        if self.max_attempts == 0 {
            return Err(PolicyError::ZeroAttempts);
        }
        if self.max_attempts as u64 > N as u64 {
            return Err(PolicyError::AttemptsAboveLogCapacity {
                attempts: self.max_attempts,
                capacity: N,
            });
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

/// Why a policy, or a run's configuration, was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PolicyError {
    /// `max_attempts` was 0: the operation would never run.
    ZeroAttempts,
    /// `max_attempts` is larger than the attempt log can record.
    AttemptsAboveLogCapacity {
        /// The requested number of attempts.
        attempts: u32,
        /// The log's capacity, `N`.
        capacity: usize,
    },
    /// The base delay is larger than the cap.
    BaseAboveCap {
        /// The base delay, in milliseconds.
        base_ms: u32,
        /// The cap, in milliseconds.
        cap_ms: u32,
    },
    /// The factor is below 1, so delays would shrink.
    FactorBelowOne {
        /// The refused factor.
        factor: Factor,
    },
    /// The policy jitters its delays but the run was given no random number generator.
    JitterNeedsRng {
        /// The policy's jitter kind.
        jitter: Jitter,
    },
}

impl PolicyError {
    /// A one-line description without the values, usable in `const` contexts.
    pub const fn message(&self) -> &'static str {
        match self {
            PolicyError::ZeroAttempts => "invalid retry policy: max_attempts must be at least 1",
            PolicyError::AttemptsAboveLogCapacity { .. } => {
                "invalid retry policy: max_attempts is above the attempt log's capacity"
            }
            PolicyError::BaseAboveCap { .. } => {
                "invalid retry policy: the base delay is above the maximum delay"
            }
            PolicyError::FactorBelowOne { .. } => {
                "invalid retry policy: the backoff factor must be at least 1"
            }
            PolicyError::JitterNeedsRng { .. } => {
                "invalid retry run: the policy has jitter but no random number generator was given"
            }
        }
    }
}

impl fmt::Display for PolicyError {
    /// The same sentence as [`message`](Self::message), with the offending values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::ZeroAttempts => f.write_str("max_attempts must be at least 1, got 0"),
            PolicyError::AttemptsAboveLogCapacity { attempts, capacity } => write!(
                f,
                "max_attempts is {attempts}, above the attempt log's capacity of {capacity}"
            ),
            PolicyError::BaseAboveCap { base_ms, cap_ms } => write!(
                f,
                "the base delay ({base_ms} ms) is above the maximum delay ({cap_ms} ms)"
            ),
            PolicyError::FactorBelowOne { factor } => {
                write!(f, "the backoff factor must be at least 1, got {factor}")
            }
            PolicyError::JitterNeedsRng { jitter } => write!(
                f,
                "the policy has {jitter:?} jitter but no random number generator was given"
            ),
        }
    }
}

impl core::error::Error for PolicyError {}
