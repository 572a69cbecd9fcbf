//! A limit on each attempt's time, for async runs: the attempt races a timer.

use core::fmt;

/// The error of an attempt that ran out of time: what a run with an
/// [`attempt_timeout_ms`](crate::Retry::attempt_timeout_ms) turns into the operation's own
/// error type, through `From<TimedOut>`, so that the predicate can tell a timeout from the
/// operation's own errors and the outcome can hand it back.
///
/// ```
/// use embedded_retry::TimedOut;
///
/// #[derive(Debug, PartialEq)]
/// enum ReadError { Nack, TimedOut }
///
/// impl From<TimedOut> for ReadError {
///     fn from(_: TimedOut) -> Self { ReadError::TimedOut }
/// }
/// assert_eq!(ReadError::from(TimedOut), ReadError::TimedOut);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimedOut;

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the attempt timed out")
    }
}

impl core::error::Error for TimedOut {}

/// A timed-out attempt as an `io::Error` of kind `TimedOut`, so that a run over `io::Result`
/// needs no error type of its own. Needs the `std` feature.
#[cfg(feature = "std")]
impl From<TimedOut> for std::io::Error {
    fn from(timed_out: TimedOut) -> Self {
        std::io::Error::new(std::io::ErrorKind::TimedOut, timed_out)
    }
}

/// How long each attempt may run, and the error a timed-out attempt becomes.
///
/// Implemented by [`TimeoutMs`], which [`Retry::attempt_timeout_ms`](crate::Retry::attempt_timeout_ms)
/// sets, for every error type that converts from [`TimedOut`]; a retry without a timeout uses
/// [`NoTimeout`](crate::stand_in::NoTimeout), which never limits an attempt.
pub trait AttemptTimeout<E> {
    /// The most milliseconds an attempt may run.
    fn limit_ms(&self) -> u32;
    /// The error a timed-out attempt is recorded and handed back as.
    fn error(&self) -> E;
}

/// A per-attempt timeout in milliseconds; see [`AttemptTimeout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimeoutMs(pub u32);

impl<E: From<TimedOut>> AttemptTimeout<E> for TimeoutMs {
    fn limit_ms(&self) -> u32 {
        self.0
    }
    fn error(&self) -> E {
        E::from(TimedOut)
    }
}
