//! A virtual clock for tests and simulations.

use core::cell::Cell;

use crate::{Clock, Delay};

/// A [`Delay`] and a [`Clock`] (and, through `&MockClock`, an embedded-hal-async `DelayNs`)
/// that advances virtual time instead of sleeping, and records the first `M` sleeps it was asked
/// for.
///
/// Its state sits in [`Cell`]s, so `&MockClock` is a `Delay` too: the engine can sleep on it
/// while the operation reads [`now_ms`](Self::now_ms) or spends time with
/// [`advance`](Self::advance). Nothing links it into firmware that does not use it.
///
/// `M` defaults to 16 in a type (`let clock: MockClock = MockClock::new();`), but Rust applies
/// no default in an expression: `MockClock::new()` alone asks for a type annotation, so name the
/// size there, `MockClock::<16>::new()`.
///
/// ```
/// use embedded_retry::{Delay, MockClock};
///
/// let clock = MockClock::<4>::new();
/// (&clock).delay_ms(100);
/// clock.advance(5);
/// (&clock).delay_ms(200);
/// assert_eq!(clock.now_ms(), 305);
/// assert_eq!(clock.slept_ms(), 300);
/// assert!(clock.sleeps().eq([100, 200]));
/// ```
#[derive(Debug)]
pub struct MockClock<const M: usize = 16> {
    now_ms: Cell<u64>,
    slept_ms: Cell<u64>,
    sleep_count: Cell<usize>,
    sleeps: [Cell<u32>; M],
}

impl<const M: usize> MockClock<M> {
    /// A clock at 0 ms that has not slept.
    pub const fn new() -> Self {
        MockClock {
            now_ms: Cell::new(0),
            slept_ms: Cell::new(0),
            sleep_count: Cell::new(0),
            sleeps: [const { Cell::new(0) }; M],
        }
    }

    /// Virtual milliseconds since the clock was made.
    pub fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }

    /// Moves time forward without counting it as a sleep, as an operation's own run time.
    pub fn advance(&self, ms: u64) {
        self.now_ms.set(self.now_ms.get().saturating_add(ms));
    }

    /// Total milliseconds slept through [`Delay`].
    pub fn slept_ms(&self) -> u64 {
        self.slept_ms.get()
    }

    /// How many sleeps were asked for, including any beyond the `M` recorded.
    pub fn sleep_count(&self) -> usize {
        self.sleep_count.get()
    }

    /// The first `M` sleeps asked for, in order.
    pub fn sleeps(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.sleeps
            .iter()
            .take(self.sleep_count.get())
            .map(Cell::get)
    }

    fn sleep(&self, ms: u32) {
        let count = self.sleep_count.get();
        if let Some(slot) = self.sleeps.get(count) {
            slot.set(ms);
        }
        self.sleep_count.set(count.saturating_add(1));
        self.slept_ms
            .set(self.slept_ms.get().saturating_add(u64::from(ms)));
        self.advance(u64::from(ms));
    }

    /// An async sleep of `ns` nanoseconds, rounded up to whole milliseconds, since the clock
    /// counts nothing finer.
    fn sleep_ns(&self, ns: u32) {
        self.sleep(ns.div_ceil(1_000_000));
    }

    /// As [`sleep_ns`](Self::sleep_ns), for microseconds.
    fn sleep_us(&self, us: u32) {
        self.sleep(us.div_ceil(1000));
    }
}

impl<const M: usize> Default for MockClock<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const M: usize> Delay for MockClock<M> {
    fn delay_ms(&mut self, ms: u32) {
        self.sleep(ms)
    }
}

impl<const M: usize> Delay for &MockClock<M> {
    fn delay_ms(&mut self, ms: u32) {
        self.sleep(ms)
    }
}

impl<const M: usize> Clock for MockClock<M> {
    fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }
}

/// For async runs: a millisecond sleep is recorded as one; finer sleeps round up to whole
/// milliseconds, since the clock counts nothing finer.
impl<const M: usize> embedded_hal_async::delay::DelayNs for &MockClock<M> {
    async fn delay_ns(&mut self, ns: u32) {
        self.sleep_ns(ns);
    }

    async fn delay_us(&mut self, us: u32) {
        self.sleep_us(us);
    }

    async fn delay_ms(&mut self, ms: u32) {
        self.sleep(ms);
    }
}

/// As for `&MockClock`; through `&mut clock`, a run's future that owns its clock is `Send`
/// (a `MockClock` is not `Sync`, so one that holds `&clock` is not).
// Not forwarded to the `&MockClock` methods, whose futures hold a `&MockClock`: this one's
// would not be `Send` either.
impl<const M: usize> embedded_hal_async::delay::DelayNs for MockClock<M> {
    async fn delay_ns(&mut self, ns: u32) {
        self.sleep_ns(ns);
    }

    async fn delay_us(&mut self, us: u32) {
        self.sleep_us(us);
    }

    async fn delay_ms(&mut self, ms: u32) {
        self.sleep(ms);
    }
}
