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
    /// The next sleep would have ended past the run's deadline (or the deadline had already
    /// passed when the attempt failed).
    DeadlineExceeded,
    /// The shared retry budget could not pay for another retry.
    RetryBudgetExhausted,
    /// The predicate hinted a delay above the cap and the policy says
    /// [`HintAboveCap::Stop`](crate::HintAboveCap::Stop).
    HintAboveCap,
}
