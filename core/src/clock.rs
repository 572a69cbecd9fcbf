//! Reading the time, for deadlines.

/// A monotonic clock in milliseconds since an arbitrary start.
///
/// [`MockClock`](crate::MockClock) implements it; so can a SysTick counter in firmware, or
/// `std::time::Instant` on a host.
pub trait Clock {
    /// Milliseconds since the clock's start. Must never go backwards.
    fn now_ms(&self) -> u64;
}

impl<T: Clock + ?Sized> Clock for &T {
    fn now_ms(&self) -> u64 {
        T::now_ms(self)
    }
}
