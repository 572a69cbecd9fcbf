//! A callback before each sleep, so firmware can log with defmt and a host program with `log` or
//! `tracing`, without the core depending on either.

/// Called before each sleep, with the attempt that failed, its error, and the delay about to be
/// slept.
///
/// Implemented for every `FnMut(u32, &E, u32)`.
pub trait BeforeSleep<E> {
    /// Attempt `attempt` failed with `error`; the engine is about to sleep `delay_ms`.
    fn before_sleep(&mut self, attempt: u32, error: &E, delay_ms: u32);
}

impl<E, F: FnMut(u32, &E, u32)> BeforeSleep<E> for F {
    fn before_sleep(&mut self, attempt: u32, error: &E, delay_ms: u32) {
        self(attempt, error, delay_ms)
    }
}
