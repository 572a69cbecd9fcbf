//! Why a run stopped.

/// Why a run stopped.
///
/// More reasons may be added in minor releases (the enum is `#[non_exhaustive]`): a `match` on
/// it needs a `_` arm, which should treat an unknown reason as a failure to give up on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StopReason {
    /// The operation succeeded.
    Succeeded,
    /// The predicate decided the error is not worth retrying.
    NotRetryable,
    /// Every attempt the policy allows failed.
    AttemptsExhausted,
    /// The next sleep would have taken the slept total over the policy's delay budget.
    DelayBudgetExhausted,
    /// The next sleep would have ended at or past the run's deadline, leaving the next attempt
    /// no time (or the deadline had already passed when the attempt failed).
    DeadlineExceeded,
    /// The retry budget, or a breaker, refused another retry.
    RetryBudgetExhausted,
    /// The predicate hinted a delay above the cap and the policy says
    /// [`HintAboveCap::Stop`](crate::HintAboveCap::Stop).
    HintAboveCap,
    /// A circuit breaker refused the call, or a retry once its sleep was over (the breaker had
    /// opened meanwhile): the attempt was not made, and the error is
    /// [`CircuitOpen`](crate::CircuitOpen) turned into the operation's error type.
    CircuitOpen,
}

impl StopReason {
    /// Every reason, in the order of [`NAMES`](Self::NAMES).
    pub const ALL: [StopReason; 8] = [
        StopReason::Succeeded,
        StopReason::NotRetryable,
        StopReason::AttemptsExhausted,
        StopReason::DelayBudgetExhausted,
        StopReason::DeadlineExceeded,
        StopReason::RetryBudgetExhausted,
        StopReason::HintAboveCap,
        StopReason::CircuitOpen,
    ];

    /// The reasons' text names, in `snake_case`: `success`, `not_retryable`,
    /// `attempts_exhausted`, `delay_budget_exhausted`, `deadline_exceeded`,
    /// `retry_budget_exhausted`, `hint_above_cap`, `circuit_open`.
    pub const NAMES: [&'static str; 8] = [
        "success",
        "not_retryable",
        "attempts_exhausted",
        "delay_budget_exhausted",
        "deadline_exceeded",
        "retry_budget_exhausted",
        "hint_above_cap",
        "circuit_open",
    ];

    /// The reason's text name, which [`FromStr`](core::str::FromStr) reads back.
    pub const fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl core::fmt::Display for StopReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for StopReason {
    type Err = crate::UnknownName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::UnknownName::lookup(text, &Self::ALL, &Self::NAMES)
    }
}
