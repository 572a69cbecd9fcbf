//! A retry breaker: no retries while too many attempts fail for the calls made.

use core::cell::Cell;

use crate::RetryBudget;
use crate::counter::{Counter, add_one};

/// A breaker for retries only: no retry while the failed attempts (first attempts and retries
/// that timed out or whose error the predicate retries) divided by the calls started exceed a
/// ratio; below it, retries go on up to the policy's attempts. First attempts are never
/// refused.
///
/// The ratio is in thousandths: [`DEFAULT_RATIO`](RetryBreaker::DEFAULT_RATIO), 100, is 10 %.
/// While a peer fails now and then, every failure is retried; once it fails more than that,
/// retries stop (so they add at most about a tenth to the load), and they come back as
/// successful calls bring the ratio down. This is the retry breaker of Marc Brooker's "Fixing
/// retries with token buckets and circuit breakers" (2022).
///
/// By default the counts run from when the breaker was made (halved, keeping the ratio, when the
/// calls reach `u32::MAX`). A device that runs for months would then answer an outage by the
/// health of its whole life: after a million good calls, some hundred thousand would fail before
/// retries stopped. Give it a [`window`](RetryBreaker::window) of calls, and the ratio is that of
/// the recent calls: both counts are halved each time the calls reach it.
///
/// The counts start at zero, so a new breaker refuses the retry of the first call that fails
/// (one failure in one call is 100 %), and a device that makes a few calls after it starts may
/// not retry at all: the breaker suits a client that makes many calls. One that makes few, and
/// should retry from the start, wants a [`TokenBucket`](crate::TokenBucket), which starts full.
///
/// `RetryBreaker` (made by [`new`](RetryBreaker::new)) keeps its counts in `Cell`s for one
/// thread; [`SharedRetryBreaker`] (made by [`new_shared`](RetryBreaker::new_shared)) in
/// `AtomicU32`s, `Sync`, on targets with atomic compare-and-swap (each count is updated
/// atomically; a retry decided while another thread counts may see one count before the other).
///
/// ```
/// use embedded_retry::{Jitter, MockClock, Policy, Retry, RetryBreaker, StopReason};
///
/// const POLICY: Policy = Policy::builder().max_attempts(4).base_delay_ms(10)
///     .jitter(Jitter::None).build_or_panic();
///
/// let breaker = RetryBreaker::new(RetryBreaker::DEFAULT_RATIO);
/// let clock = MockClock::<0>::new();
/// let mut retry = Retry::without_jitter(POLICY).unwrap().retry_budget(&breaker);
///
/// // 19 good calls, then one that fails twice before it succeeds: 2 failures in 20 calls is
/// // 10 %, not above the ratio, so it was retried.
/// for _ in 0..19 {
///     assert!(retry.call(&clock, || Ok::<_, &str>(())).is_success());
/// }
/// let mut tries = 0;
/// let outcome = retry.call(&clock, || {
///     tries += 1;
///     if tries < 3 { Err("busy") } else { Ok(()) }
/// });
/// assert!(outcome.is_success());
///
/// // A call that fails: 3 failures in 21 calls is above 10 %, so no retry.
/// let outcome = retry.call(&clock, || Err::<(), _>("busy"));
/// assert_eq!(outcome.stop_reason(), StopReason::RetryBudgetExhausted);
/// assert_eq!(outcome.total_attempts(), 1);
/// assert_eq!((breaker.calls(), breaker.failures()), (21, 3));
///
/// // A new breaker: its first call that fails is not retried.
/// let fresh = RetryBreaker::default();
/// let outcome = Retry::without_jitter(POLICY).unwrap().retry_budget(&fresh)
///     .call(&clock, || Err::<(), _>("busy"));
/// assert_eq!(outcome.stop_reason(), StopReason::RetryBudgetExhausted);
/// assert_eq!(outcome.total_attempts(), 1);
/// ```
#[derive(Debug)]
pub struct RetryBreaker<S = Cell<u32>> {
    max_failure_ratio: u32,
    /// The calls at which both counts are halved.
    window: u32,
    calls: S,
    failures: S,
}

/// A [`RetryBreaker`] that threads can share: its counts are in `AtomicU32`s.
#[cfg(target_has_atomic = "32")]
pub type SharedRetryBreaker = RetryBreaker<core::sync::atomic::AtomicU32>;

impl RetryBreaker {
    /// The usual ratio, in thousandths: 100, which is 10 %.
    pub const DEFAULT_RATIO: u32 = 100;

    /// A breaker for one thread that allows retries while failures per call started are at
    /// most `max_failure_ratio` thousandths.
    pub const fn new(max_failure_ratio: u32) -> Self {
        RetryBreaker {
            max_failure_ratio,
            window: u32::MAX,
            calls: Cell::new(0),
            failures: Cell::new(0),
        }
    }
}

impl Default for RetryBreaker {
    /// A breaker with the [default ratio](RetryBreaker::DEFAULT_RATIO), 10 %.
    fn default() -> Self {
        RetryBreaker::new(RetryBreaker::DEFAULT_RATIO)
    }
}

#[cfg(target_has_atomic = "32")]
impl SharedRetryBreaker {
    /// A breaker that threads can share; see [`new`](RetryBreaker::new).
    pub const fn new_shared(max_failure_ratio: u32) -> Self {
        use core::sync::atomic::AtomicU32;
        RetryBreaker {
            max_failure_ratio,
            window: u32::MAX,
            calls: AtomicU32::new(0),
            failures: AtomicU32::new(0),
        }
    }
}

impl<S> RetryBreaker<S> {
    /// The most failures per call started, in thousandths, at which retries are allowed.
    pub const fn max_failure_ratio(&self) -> u32 {
        self.max_failure_ratio
    }

    /// The same breaker judging by its recent calls: each time the calls started reach `calls`,
    /// both counts are halved, so the ratio weighs the last `calls / 2` to `calls` calls, older
    /// ones at half weight or less. A window below 2 is taken as 2.
    ///
    /// ```
    /// use embedded_retry::RetryBreaker;
    ///
    /// // A long healthy life, then every call fails.
    /// let breaker = RetryBreaker::default().window(100);
    /// for _ in 0..1_000_000 {
    ///     breaker.start_call();
    /// }
    /// let mut failed_calls = 0;
    /// while breaker.try_spend() {
    ///     breaker.start_call();
    ///     breaker.attempt_failed();
    ///     failed_calls += 1;
    /// }
    /// // Retries stop after a handful of failed calls, not a hundred thousand.
    /// assert_eq!(failed_calls, 6);
    /// assert_eq!(breaker.window_calls(), 100);
    /// ```
    pub const fn window(mut self, calls: u32) -> Self {
        self.window = if calls > 1 { calls } else { 2 };
        self
    }

    /// The calls at which both counts are halved: `u32::MAX` unless a
    /// [`window`](Self::window) was given.
    pub const fn window_calls(&self) -> u32 {
        self.window
    }
}

impl<S: Counter> RetryBreaker<S> {
    /// A call starts: one more call, and both counts halved if the calls reach the window.
    pub fn start_call(&self) {
        let mut halved = false;
        self.calls.update(|n| {
            let n = n.saturating_add(1);
            halved = n >= self.window;
            Some(if halved { n / 2 } else { n })
        });
        if halved {
            self.failures.update(|n| Some(n / 2));
        }
    }

    /// An attempt failed: one more failure.
    pub fn attempt_failed(&self) {
        add_one(&self.failures);
    }

    /// Whether a retry is allowed: while failures / calls is at most the ratio. It costs
    /// nothing.
    pub fn try_spend(&self) -> bool {
        // failures / calls <= ratio / 1000, multiplied out: no division, and no retry after
        // failures with no call counted.
        let failures = u64::from(self.failures.get()).saturating_mul(1000);
        let allowed = u64::from(self.max_failure_ratio).saturating_mul(u64::from(self.calls.get()));
        failures <= allowed
    }

    /// Calls started.
    pub fn calls(&self) -> u32 {
        self.calls.get()
    }

    /// Attempts failed.
    pub fn failures(&self) -> u32 {
        self.failures.get()
    }
}

impl<S: Counter, E> RetryBudget<E> for RetryBreaker<S> {
    fn start_call(&self) -> Result<(), E> {
        RetryBreaker::start_call(self);
        Ok(())
    }
    fn attempt_failed(&self) {
        RetryBreaker::attempt_failed(self)
    }
    fn try_spend(&self) -> bool {
        RetryBreaker::try_spend(self)
    }
    fn succeeded(&self, _after_retry: bool) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_window_the_counts_are_halved_at_their_limit_keeping_the_ratio() {
        let breaker = RetryBreaker::new(RetryBreaker::DEFAULT_RATIO);
        breaker.calls.set(u32::MAX - 1);
        breaker.failures.set(1_000);
        breaker.start_call();
        assert_eq!((breaker.calls(), breaker.failures()), (u32::MAX / 2, 500));
        breaker.start_call();
        assert_eq!(breaker.calls(), u32::MAX / 2 + 1);
    }

    #[test]
    fn a_window_below_two_is_two() {
        let breaker = RetryBreaker::default().window(0);
        assert_eq!(breaker.window_calls(), 2);
        breaker.start_call();
        breaker.attempt_failed();
        breaker.attempt_failed();
        // The second call reaches the window: 2 calls and 2 failures become 1 and 1.
        breaker.start_call();
        assert_eq!((breaker.calls(), breaker.failures()), (1, 1));
        assert_eq!(RetryBreaker::default().window(1).window_calls(), 2);
        assert_eq!(RetryBreaker::default().window(3).window_calls(), 3);
        assert_eq!(RetryBreaker::default().window_calls(), u32::MAX);
    }
}
