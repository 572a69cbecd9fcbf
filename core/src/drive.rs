//! The two drivers of a run that do their own sleeping: blocking, and async.

use core::future::Future;

use rand_core::Rng;

use crate::{BeforeSleep, Clock, Delay, Outcome, Retry, RetryBudget, RetryOn, Step, StopReason};

impl<R, const N: usize, P, C, H, B> Retry<R, N, P, C, H, B>
where
    R: Rng,
    C: Clock,
    B: RetryBudget,
{
    /// Calls `op` until it succeeds or a stop rule ends the run (the predicate refuses the error,
    /// attempts run out, or the delay budget, the deadline or the retry budget would be
    /// exceeded), sleeping on `delay` between calls and never after the last.
    ///
    /// `delay` is any [`Delay`]: pass `&mut` a sleeper to keep it, `&clock` for a
    /// [`MockClock`](crate::MockClock), or [`HalDelay`](crate::HalDelay) around an
    /// embedded-hal `DelayNs`. Each call starts a fresh schedule.
    pub fn call<T, E, D, F>(&mut self, mut delay: D, mut op: F) -> Outcome<T, E, N>
    where
        D: Delay,
        F: FnMut() -> Result<T, E>,
        P: RetryOn<E>,
        H: BeforeSleep<E>,
    {
        let mut run = self.start();
        loop {
            match op() {
                Ok(value) => {
                    self.succeeded(&mut run);
                    return run.finish(Ok(value), StopReason::Succeeded);
                }
                Err(error) => match self.failed(&mut run, error) {
                    Step::Sleep(ms) => delay.delay_ms(ms),
                    Step::Stop { reason, error } => return run.finish(Err(error), reason),
                },
            }
        }
    }

    /// As [`call`](Self::call), for an async operation, sleeping on an embedded-hal-async
    /// `DelayNs` (embassy's `Delay`, or any executor's). The rules, the log and the outcome are
    /// the same. Nothing happens until the future is first polled, so a deadline is measured
    /// from then.
    ///
    /// ```
    /// use embedded_retry::{Jitter, MockClock, Policy, Retry};
    ///
    /// const POLICY: Policy = Policy::builder().max_attempts(4).base_delay_ms(10)
    ///     .jitter(Jitter::None).build_or_panic();
    ///
    /// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let mut f = core::pin::pin!(f);
    /// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    /// #     loop {
    /// #         if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// let clock = MockClock::<4>::new();
    /// let mut calls = 0;
    /// let outcome = block_on(async {
    ///     Retry::without_jitter(POLICY).unwrap()
    ///         .call_async(&clock, || {
    ///             calls += 1;
    ///             let result = if calls < 3 { Err("busy") } else { Ok(calls) };
    ///             async move { result }
    ///         })
    ///         .await
    /// });
    /// assert_eq!(outcome.into_result(), Ok(3));
    /// assert!(clock.sleeps().eq([10, 20]));
    /// ```
    pub async fn call_async<T, E, D, F, Fut>(&mut self, mut delay: D, mut op: F) -> Outcome<T, E, N>
    where
        D: embedded_hal_async::delay::DelayNs,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: RetryOn<E>,
        H: BeforeSleep<E>,
    {
        let mut run = self.start();
        loop {
            match op().await {
                Ok(value) => {
                    self.succeeded(&mut run);
                    return run.finish(Ok(value), StopReason::Succeeded);
                }
                Err(error) => match self.failed(&mut run, error) {
                    Step::Sleep(ms) => delay.delay_ms(ms).await,
                    Step::Stop { reason, error } => return run.finish(Err(error), reason),
                },
            }
        }
    }
}
