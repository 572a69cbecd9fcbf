//! Reading the time, for deadlines.

/// A monotonic clock in milliseconds since an arbitrary start.
///
/// [`MockClock`](crate::MockClock) implements it, and so does a function that reads the time
/// (`fn() -> u64`: firmware's SysTick counter, read by a `fn`); on a host, `StdClock` and
/// `TokioClock` (features `std` and `tokio`) read `Instant`.
pub trait Clock {
    /// Milliseconds since the clock's start. Must never go backwards.
    fn now_ms(&self) -> u64;
}

impl<T: Clock + ?Sized> Clock for &T {
    fn now_ms(&self) -> u64 {
        T::now_ms(self)
    }
}

/// A function that reads the time is a clock. Firmware's tick counter, read by a `fn`, can then
/// be the clock of a retry kept in a `static` or a struct, whose field must name its type: a
/// closure's type cannot be named, a function pointer's can.
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use embedded_retry::stand_in::NoRng;
/// use embedded_retry::{Delay, Jitter, Policy, Retry, RetryAll, StopReason};
///
/// // Counted by the SysTick interrupt, once a millisecond.
/// static TICKS: AtomicU32 = AtomicU32::new(0);
/// fn now_ms() -> u64 {
///     u64::from(TICKS.load(Ordering::Relaxed))
/// }
///
/// const POLICY: Policy = Policy::builder().max_attempts(6).base_delay_ms(10)
///     .jitter(Jitter::None).build_or_panic();
/// // The field's type decides the clock's: the function becomes a pointer.
/// let mut retry: Retry<NoRng, 0, RetryAll, fn() -> u64> =
///     Retry::without_jitter(POLICY).unwrap().deadline_ms(now_ms, 50);
///
/// // Sleeping moves the tick counter on, as the interrupt would.
/// struct Ticking;
/// impl Delay for Ticking {
///     fn delay_ms(&mut self, ms: u32) {
///         TICKS.fetch_add(ms, Ordering::Relaxed);
///     }
/// }
/// let outcome = retry.call(Ticking, || Err::<(), _>("nack"));
/// // 10 ms, 20 ms, and a retry after 40 more would start at 70 ms, past the deadline.
/// assert_eq!(outcome.stop_reason(), StopReason::DeadlineExceeded);
/// assert_eq!(outcome.total_delay_ms(), 30);
/// ```
impl Clock for fn() -> u64 {
    fn now_ms(&self) -> u64 {
        self()
    }
}
