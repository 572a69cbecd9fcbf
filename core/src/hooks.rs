//! Ready-made [`BeforeSleep`] hooks for host logging.

use core::fmt::Debug;

use crate::BeforeSleep;

/// Logs each retry through the `log` crate, at `warn` level: one line of setup,
/// `.before_sleep(LogHook)`. Needs the `log` feature.
///
/// ```
/// use embedded_retry::{Jitter, LogHook, MockClock, Policy, Retry};
///
/// const POLICY: Policy = Policy::builder().base_delay_ms(5).jitter(Jitter::None).build_or_panic();
/// let clock = MockClock::<4>::new();
/// // Logs "attempt 1 failed: "busy"; retrying in 5 ms", then the same for attempt 2.
/// let outcome = Retry::without_jitter(POLICY).unwrap()
///     .before_sleep(LogHook)
///     .call(&clock, || Err::<(), _>("busy"));
/// assert_eq!(outcome.total_attempts(), 3);
/// ```
#[cfg(feature = "log")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogHook;

#[cfg(feature = "log")]
impl<E: Debug> BeforeSleep<E> for LogHook {
    fn before_sleep(&mut self, attempt: u32, error: &E, delay_ms: u32) {
        log::warn!("attempt {attempt} failed: {error:?}; retrying in {delay_ms} ms");
    }
}

/// Records each retry as a `tracing` event at `WARN` level, with the fields `attempt`,
/// `error` (its `Debug` form) and `delay_ms`: `.before_sleep(TracingHook)`. Needs the `tracing`
/// feature.
///
/// ```
/// use embedded_retry::{Jitter, MockClock, Policy, Retry, TracingHook};
///
/// const POLICY: Policy = Policy::builder().base_delay_ms(5).jitter(Jitter::None).build_or_panic();
/// let clock = MockClock::<4>::new();
/// let outcome = Retry::without_jitter(POLICY).unwrap()
///     .before_sleep(TracingHook)
///     .call(&clock, || Err::<(), _>("busy"));
/// assert_eq!(outcome.total_attempts(), 3);
/// ```
#[cfg(feature = "tracing")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TracingHook;

#[cfg(feature = "tracing")]
impl<E: Debug> BeforeSleep<E> for TracingHook {
    fn before_sleep(&mut self, attempt: u32, error: &E, delay_ms: u32) {
        tracing::warn!(attempt, ?error, delay_ms, "attempt failed; retrying");
    }
}
