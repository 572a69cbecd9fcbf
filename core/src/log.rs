//! The attempt log: one record per call of the operation.

/// The attempt log of a run: one [`Attempt`] per call of the operation, in order, held in a
/// fixed-capacity `heapless::Vec` with no allocation.
pub type AttemptLog<E, const N: usize> = heapless::Vec<Attempt<E>, N>;

/// One call of the operation and what followed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Attempt<E> {
    /// The attempt's number, 1 for the first call.
    pub number: u32,
    /// How the call ended, with its error and the delay slept after it.
    pub outcome: AttemptOutcome<E>,
}

impl<E> Attempt<E> {
    /// The error the call returned, if it failed.
    pub fn error(&self) -> Option<&E> {
        self.outcome.error()
    }

    /// The milliseconds slept after this call; `None` when no sleep followed.
    pub fn slept_ms(&self) -> Option<u32> {
        self.outcome.slept_ms()
    }
}

/// How one call of the operation ended.
///
/// Only a retried failure carries a delay: the engine never sleeps after a success or after the
/// attempt that ends the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AttemptOutcome<E> {
    /// The call succeeded; the run ends.
    Succeeded,
    /// The call failed and was retried: the engine slept `slept_ms`, then called again.
    Retried {
        /// The error the call returned.
        error: E,
        /// The milliseconds slept before the next call.
        slept_ms: u32,
        /// The delay the predicate asked for with
        /// [`Decision::RetryAfter`](crate::Decision::RetryAfter), if it did; `slept_ms` is the
        /// longer of it and the policy's delay.
        hint_ms: Option<u32>,
    },
    /// The call failed and the run ends here, for `reason` (never
    /// [`StopReason::Succeeded`]).
    Stopped {
        /// The error the call returned.
        error: E,
        /// Why no retry followed.
        reason: StopReason,
    },
}

impl<E> AttemptOutcome<E> {
    /// The error the call returned, if it failed.
    pub fn error(&self) -> Option<&E> {
        match self {
            AttemptOutcome::Succeeded => None,
            AttemptOutcome::Retried { error, .. } | AttemptOutcome::Stopped { error, .. } => {
                Some(error)
            }
        }
    }

    /// The milliseconds slept after the call; `None` when no sleep followed.
    pub fn slept_ms(&self) -> Option<u32> {
        match self {
            AttemptOutcome::Retried { slept_ms, .. } => Some(*slept_ms),
            _ => None,
        }
    }
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
