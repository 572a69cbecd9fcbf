//! Sleeping, behind a one-method trait.

/// Something that can wait a number of milliseconds.
///
/// The retry engine sleeps only through this trait, so the same code sleeps on a SysTick timer
/// in firmware, on the operating system on a host, and not at all on a
/// [`MockClock`](crate::MockClock) in tests.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `Delay`, which a blocking run sleeps on",
    note = "wrap an embedded-hal `DelayNs` in `HalDelay`: `HalDelay(&mut delay)`",
    note = "pass a `MockClock` by reference (`&clock`), or a sleeper you keep as `&mut sleeper`",
    note = "an async sleeper (embedded-hal-async's `DelayNs`) is for `call_async`"
)]
pub trait Delay {
    /// Waits at least `ms` milliseconds.
    ///
    /// `ms` may be 0, which must return promptly. The engine records `ms` in the attempt log as
    /// the time slept, so an implementation must not wait noticeably less.
    fn delay_ms(&mut self, ms: u32);
}

impl<T: Delay + ?Sized> Delay for &mut T {
    fn delay_ms(&mut self, ms: u32) {
        T::delay_ms(self, ms)
    }
}

/// Adapts any embedded-hal 1.0 [`DelayNs`](embedded_hal::delay::DelayNs) into a [`Delay`]:
/// each sleep is one call of the HAL's `delay_ms` (whose default calls `delay_ns` in steps).
///
/// A newtype rather than a blanket implementation, so that a type can implement both traits
/// without conflict and enabling features never changes which implementation applies.
///
/// ```
/// use embedded_hal::delay::DelayNs;
/// use embedded_retry::{Delay, HalDelay};
///
/// /// A stand-in for a board's SysTick delay.
/// struct CountingDelay(u64);
/// impl DelayNs for CountingDelay {
///     fn delay_ns(&mut self, ns: u32) {
///         self.0 += u64::from(ns);
///     }
/// }
///
/// let mut hal = CountingDelay(0);
/// HalDelay(&mut hal).delay_ms(250);
/// assert_eq!(hal.0, 250_000_000);
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HalDelay<D>(pub D);

impl<D: embedded_hal::delay::DelayNs> Delay for HalDelay<D> {
    fn delay_ms(&mut self, ms: u32) {
        self.0.delay_ms(ms)
    }
}
