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
/// Only a retried failure carries a delay: the engine never sleeps after a success, a
/// non-retryable error, or the last attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AttemptOutcome<E> {
    /// The call succeeded; the run ends.
    Succeeded,
    /// The call failed with a retryable error; the engine slept `slept_ms` and called again.
    Retried {
        /// The error the call returned.
        error: E,
        /// The milliseconds slept before the next call.
        slept_ms: u32,
    },
    /// The call failed with an error the predicate refused to retry; the run ends.
    NotRetryable(E),
    /// The call failed and was the last attempt the policy allows; the run ends.
    OutOfAttempts(E),
}

impl<E> AttemptOutcome<E> {
    /// The error the call returned, if it failed.
    pub fn error(&self) -> Option<&E> {
        match self {
            AttemptOutcome::Succeeded => None,
            AttemptOutcome::Retried { error, .. }
            | AttemptOutcome::NotRetryable(error)
            | AttemptOutcome::OutOfAttempts(error) => Some(error),
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
    /// The operation failed with an error the predicate refused to retry.
    NotRetryable,
    /// Every attempt the policy allows failed.
    AttemptsExhausted,
}
