//! A run in progress, as a value: what the engine keeps between one attempt and the next.

use crate::{AttemptLog, BackoffState, Outcome, StopReason};

/// One run of an operation under a [`Retry`](crate::Retry): where it is in the delay schedule,
/// when it started, and its [`AttemptLog`].
///
/// Made by [`Retry::start`](crate::Retry::start) and moved on by
/// [`Retry::failed`](crate::Retry::failed) and [`Retry::succeeded`](crate::Retry::succeeded).
/// It borrows nothing, so an event loop can keep it in a static, a task's local resources or a
/// state machine, between a timer's interrupts. [`call`](crate::Retry::call) and
/// [`call_async`](crate::Retry::call_async) keep the same state and follow the same rules.
#[derive(Clone, Debug, PartialEq, Eq)]
// The log first: its zeroed counts start the struct, and the records' storage (never cleared)
// stays out of the way of the fields that are set.
#[repr(C)]
pub struct Run<E, const N: usize> {
    pub(crate) log: AttemptLog<E, N>,
    pub(crate) place: Place,
}

/// Where a run stands, its log apart: the drivers keep the log in the outcome they return, so
/// that a run's records exist once on the stack, and the rules take the two separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    /// The deadline clock's reading when the run started (0 without a deadline).
    pub(crate) started_ms: u64,
    pub(crate) schedule: BackoffState,
}

impl<E, const N: usize> Run<E, N> {
    /// The last `N` attempts so far, and the totals of all of them.
    pub fn log(&self) -> &AttemptLog<E, N> {
        &self.log
    }

    /// The number of the attempt under way, whose result is reported next: 1 at the start
    /// (saturating at `u32::MAX`).
    pub fn attempt(&self) -> u32 {
        self.log.attempt()
    }

    /// Ends the run with `result` for `stop`: the value and [`StopReason::Succeeded`] after
    /// [`Retry::succeeded`](crate::Retry::succeeded), or the error and reason of
    /// [`Step::Stop`].
    pub fn finish<T>(self, result: Result<T, E>, stop: StopReason) -> Outcome<T, E, N> {
        Outcome::new(result, stop, self.log)
    }
}

/// The engine's answer after a failed attempt: sleep this long and try again, or stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Step<E> {
    /// Sleep this many milliseconds, then make the next attempt.
    Sleep(u32),
    /// The run is over: the error is handed back, owned.
    Stop {
        /// Why no retry follows.
        reason: StopReason,
        /// The error of the attempt that ended the run.
        error: E,
    },
}
