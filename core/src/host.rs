//! Sleeping and telling time on a host, through the standard library or tokio.

use core::time::Duration;

use crate::{Clock, Delay};

/// Sleeps the calling thread: the blocking [`Delay`] of a host program. Needs the `std` feature.
///
/// ```
/// use embedded_retry::{Delay, ThreadSleep};
///
/// let started = std::time::Instant::now();
/// ThreadSleep.delay_ms(2);
/// assert!(started.elapsed().as_millis() >= 2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadSleep;

impl Delay for ThreadSleep {
    fn delay_ms(&mut self, ms: u32) {
        std::thread::sleep(Duration::from_millis(u64::from(ms)));
    }
}

/// The operating system's monotonic clock (`std::time::Instant`), in milliseconds since the
/// clock was made. Needs the `std` feature.
///
/// ```
/// use embedded_retry::{Clock, StdClock};
///
/// let clock = StdClock::new();
/// std::thread::sleep(std::time::Duration::from_millis(2));
/// assert!(clock.now_ms() >= 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StdClock {
    start: std::time::Instant,
}

impl StdClock {
    /// A clock at 0 ms now.
    pub fn new() -> Self {
        StdClock {
            start: std::time::Instant::now(),
        }
    }
}

impl Default for StdClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for StdClock {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// Sleeps on tokio's timer: the async sleeper of a tokio program, for
/// [`call_future`](crate::Retry::call_future) and [`call_async`](crate::Retry::call_async).
/// In a task that `tokio::spawn` runs, use `call_future`: the compiler cannot prove
/// `call_async`'s future `Send` when its closure captures a reference ("implementation of
/// `Send` is not general enough"). It needs a tokio runtime with time enabled, and the `tokio` feature.
/// In tests it follows tokio's paused time (`#[tokio::test(start_paused = true)]`), which needs
/// tokio's own `test-util` feature in your dev-dependencies: without it, the attribute fails to
/// compile with "no method named `start_paused`".
#[cfg(feature = "tokio")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokioSleep;

#[cfg(feature = "tokio")]
impl embedded_hal_async::delay::DelayNs for TokioSleep {
    async fn delay_ns(&mut self, ns: u32) {
        tokio::time::sleep(Duration::from_nanos(u64::from(ns))).await;
    }

    async fn delay_us(&mut self, us: u32) {
        tokio::time::sleep(Duration::from_micros(u64::from(us))).await;
    }

    async fn delay_ms(&mut self, ms: u32) {
        tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
    }
}

/// tokio's clock (`tokio::time::Instant`), in milliseconds since the clock was made. It follows
/// tokio's paused time in tests (`#[tokio::test(start_paused = true)]`, with tokio's `test-util`
/// feature), as [`TokioSleep`] does.
/// Needs the `tokio` feature.
#[cfg(feature = "tokio")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokioClock {
    start: tokio::time::Instant,
}

#[cfg(feature = "tokio")]
impl TokioClock {
    /// A clock at 0 ms now. Outside a runtime it reads the operating system's clock.
    pub fn new() -> Self {
        TokioClock {
            start: tokio::time::Instant::now(),
        }
    }
}

#[cfg(feature = "tokio")]
impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "tokio")]
impl Clock for TokioClock {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}
