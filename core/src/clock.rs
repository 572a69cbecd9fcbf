//! Reading the time, for deadlines.

/// A monotonic clock in milliseconds since an arbitrary start.
///
/// [`MockClock`](crate::MockClock) implements it, and so does a function that reads the time
/// (`fn() -> u64`: firmware's SysTick count, read by a `fn`); on a host, `StdClock` and
/// `TokioClock` (features `std` and `tokio`) read `Instant`.
pub trait Clock {
    /// Milliseconds since the clock's start. Must never go backwards: a `u32` count of
    /// milliseconds wraps after 49.7 days, so firmware widens its tick count to 64 bits (see
    /// the `fn() -> u64` implementation), or a deadline and a breaker's cool-down stop working.
    fn now_ms(&self) -> u64;
}

impl<T: Clock + ?Sized> Clock for &T {
    fn now_ms(&self) -> u64 {
        T::now_ms(self)
    }
}

/// A function that reads the time is a clock. Firmware's tick count, read by a `fn`, can then
/// be the clock of a retry kept in a `static` or a struct, whose field must name its type: a
/// closure's type cannot be named, a function pointer's can. A function's own type is not the
/// pointer's: where no field or binding names `fn() -> u64`, cast it,
/// `.deadline_ms(now_ms as fn() -> u64, 2_000)`, or the compiler answers that
/// `fn() -> u64 {now_ms}` is not a `Clock`.
///
/// The count must not wrap in the device's life. A `u32` of milliseconds wraps after 49.7 days,
/// and a clock that jumps back lets a run sleep past its deadline and holds a breaker open: the
/// example carries the interrupt's 32-bit count into a second word, as a Cortex-M, which has no
/// 64-bit atomics, must.
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use embedded_retry::stand_in::NoRng;
/// use embedded_retry::{Delay, Jitter, Policy, Retry, RetryAll, StopReason};
///
/// // Milliseconds since boot, in two words. Started here 16 ms before the low word wraps, 49.7
/// // days after boot.
/// static LOW: AtomicU32 = AtomicU32::new(u32::MAX - 15);
/// static HIGH: AtomicU32 = AtomicU32::new(0);
///
/// // The SysTick interrupt, once a millisecond. It is the only writer, so loads and stores
/// // suffice (a Cortex-M0 has no atomic add).
/// fn systick() {
///     let low = LOW.load(Ordering::Relaxed).wrapping_add(1);
///     LOW.store(low, Ordering::Release);
///     if low == 0 {
///         HIGH.store(HIGH.load(Ordering::Relaxed) + 1, Ordering::Release);
///     }
/// }
///
/// fn now_ms() -> u64 {
///     loop {
///         let high = HIGH.load(Ordering::Acquire);
///         let low = LOW.load(Ordering::Acquire);
///         // The interrupt carried between the two reads: read again.
///         if HIGH.load(Ordering::Acquire) == high {
///             return u64::from(high) << 32 | u64::from(low);
///         }
///     }
/// }
///
/// const POLICY: Policy = Policy::builder().max_attempts(6).base_delay_ms(10)
///     .jitter(Jitter::None).build_or_panic();
/// // The field's type decides the clock's: the function becomes a pointer.
/// let mut retry: Retry<NoRng, 0, RetryAll, fn() -> u64> =
///     Retry::without_jitter(POLICY).unwrap().deadline_ms(now_ms, 50);
///
/// // Sleeping lets the interrupt count, once a millisecond.
/// struct Ticking;
/// impl Delay for Ticking {
///     fn delay_ms(&mut self, ms: u32) {
///         (0..ms).for_each(|_| systick());
///     }
/// }
/// let outcome = retry.call(Ticking, || Err::<(), _>("nack"));
/// // 10 ms, 20 ms (the count carries meanwhile), and a retry after 40 more would start at
/// // 70 ms, past the deadline.
/// assert_eq!(outcome.stop_reason(), StopReason::DeadlineExceeded);
/// assert_eq!(outcome.total_delay_ms(), 30);
/// assert_eq!(HIGH.load(Ordering::Relaxed), 1);
/// ```
impl Clock for fn() -> u64 {
    fn now_ms(&self) -> u64 {
        self()
    }
}
