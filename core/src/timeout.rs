//! A limit on each attempt's time, for async runs: the attempt races a timer.

use core::fmt;
use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::Poll;

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
/// [`NoTimeout`](crate::stand_in::NoTimeout), which never limits an attempt. Sealed: these two
/// are the only kinds, so the engine's race can change without breaking anyone.
pub trait AttemptTimeout<E>: sealed::Sealed {
    /// The most milliseconds an attempt may run.
    fn limit_ms(&self) -> u32;
    /// The error a timed-out attempt is recorded and handed back as.
    fn error(&self) -> E;

    /// One attempt of [`call_async`](crate::Retry::call_async) or
    /// [`call_future`](crate::Retry::call_future): `attempt` raced against
    /// `timer` when there is one, its result, or this timeout's [`error`](Self::error) with
    /// `timed_out` set when the timer ends first.
    ///
    /// Not for users to call. [`NoTimeout`](crate::stand_in::NoTimeout) overrides
    /// it with the attempt itself, so that a run without a timeout holds no race (and no
    /// state machine of its own) in its future.
    #[doc(hidden)]
    fn race_attempt<'a, V, A, S>(
        this: Option<&'a Self>,
        attempt: A,
        timer: Option<S>,
        timed_out: &'a mut bool,
    ) -> impl Future<Output = Result<V, E>>
    where
        Self: Sized,
        A: Future<Output = Result<V, E>>,
        S: Future,
    {
        race(this, attempt, timer, timed_out)
    }
}

/// The attempt's result, polling `timer` beside it when there is a timeout; when the timer ends
/// first, the timeout's error, with `timed_out` set. The loser is dropped on return.
async fn race<'a, V, E, T, A, S>(
    this: Option<&'a T>,
    attempt: A,
    timer: Option<S>,
    timed_out: &'a mut bool,
) -> Result<V, E>
where
    T: AttemptTimeout<E>,
    A: Future<Output = Result<V, E>>,
    S: Future,
{
    let (Some(timeout), Some(timer)) = (this, timer) else {
        return attempt.await;
    };
    let mut attempt = pin!(attempt);
    let mut timer = pin!(timer);
    let raced = poll_fn(|cx| {
        if let Poll::Ready(output) = attempt.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(_) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    raced.unwrap_or_else(|| {
        *timed_out = true;
        Err(timeout.error())
    })
}

/// Keeps [`AttemptTimeout`] to the crate's own kinds.
mod sealed {
    pub trait Sealed {}
    impl Sealed for super::TimeoutMs {}
    impl Sealed for crate::stand_in::NoTimeout {}
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
