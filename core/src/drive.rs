//! The two drivers of a run that do their own sleeping: blocking, and async.

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::Poll;

use rand_core::Rng;

use crate::retry::retried;
use crate::run::Place;
use crate::{
    AttemptLog, AttemptTimeout, BeforeSleep, Clock, Delay, Outcome, Retry, RetryBudget, RetryOn,
    StopReason,
};

impl<R, const N: usize, P, C, H, B, T> Retry<R, N, P, C, H, B, T>
where
    R: Rng,
    C: Clock,
{
    /// Calls `op` until it succeeds or a stop rule ends the run (the predicate refuses the error,
    /// attempts run out, or the delay budget, the deadline or the retry budget would be
    /// exceeded), sleeping on `delay` between calls and never after the last. A call the retry
    /// budget refuses (a circuit breaker's) ends at once, with no attempt, the budget's error
    /// and [`StopReason::CircuitOpen`].
    ///
    /// `delay` is any [`Delay`]: pass `&mut` a sleeper to keep it, `&clock` for a
    /// [`MockClock`](crate::MockClock), or [`HalDelay`](crate::HalDelay) around an
    /// embedded-hal `DelayNs`. Each call starts a fresh schedule.
    #[inline]
    pub fn call<V, E, D, F>(&mut self, mut delay: D, mut op: F) -> Outcome<V, E, N>
    where
        D: Delay,
        F: FnMut() -> Result<V, E>,
        P: RetryOn<E>,
        H: BeforeSleep<E>,
        B: RetryBudget<E>,
    {
        let mut place = self.place();
        if let Err(error) = self.start_call() {
            return Outcome::new(Err(error), StopReason::CircuitOpen, AttemptLog::new());
        }
        // The outcome is made at the first attempt's end and the run's log kept in it, so that
        // the records exist once on the stack: each attempt's result takes the place of the
        // error before it, which is then logged.
        let mut outcome = Outcome::new(op(), StopReason::Succeeded, AttemptLog::new());
        loop {
            let (slept_ms, hint_ms) = match &outcome.result {
                Ok(_) => {
                    self.settle_success(&mut outcome.log);
                    return outcome;
                }
                Err(error) => match self.judge(&outcome.log, &mut place, error) {
                    Ok(answer) => answer,
                    Err(reason) => {
                        outcome.stopped(reason);
                        return outcome;
                    }
                },
            };
            delay.delay_ms(slept_ms);
            let failed = core::mem::replace(&mut outcome.result, op());
            outcome.log.record(retried(failed.err(), slept_ms, hint_ms));
        }
    }

    /// As [`call`](Self::call), for an async operation (an `async` closure, or a closure that
    /// returns a future), sleeping on an embedded-hal-async `DelayNs` (embassy's `Delay`,
    /// tokio's through the `tokio` feature, or any executor's). The rules, the log and the
    /// outcome are the same, a call refused by a circuit breaker included. Nothing happens until
    /// the future is first polled, so a deadline is measured from then. With
    /// [`attempt_timeout_ms`](Self::attempt_timeout_ms), each attempt races a timer on `delay`.
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
    ///         .call_async(&clock, async || {
    ///             calls += 1;
    ///             if calls < 3 { Err("busy") } else { Ok(calls) }
    ///         })
    ///         .await
    /// });
    /// assert_eq!(outcome.into_result(), Ok(3));
    /// assert!(clock.sleeps().eq([10, 20]));
    /// ```
    pub async fn call_async<V, E, D, F>(&mut self, mut delay: D, mut op: F) -> Outcome<V, E, N>
    where
        D: embedded_hal_async::delay::DelayNs,
        F: AsyncFnMut() -> Result<V, E>,
        P: RetryOn<E>,
        H: BeforeSleep<E>,
        B: RetryBudget<E>,
        T: AttemptTimeout<E>,
    {
        let mut place = self.place();
        if let Err(error) = self.start_call() {
            return Outcome::new(Err(error), StopReason::CircuitOpen, AttemptLog::new());
        }
        // As in `call`, the log is kept in the outcome, made at the first attempt's end.
        let (result, mut timed_out) = self.attempt_async(&mut delay, &mut op, &place).await;
        let mut outcome = Outcome::new(result, StopReason::Succeeded, AttemptLog::new());
        loop {
            let (slept_ms, hint_ms) = match &outcome.result {
                Ok(_) => {
                    self.settle_success(&mut outcome.log);
                    return outcome;
                }
                Err(error) => match self.judge(&outcome.log, &mut place, error) {
                    Ok(answer) => answer,
                    Err(reason) => {
                        outcome.stopped(reason);
                        return outcome;
                    }
                },
            };
            delay.delay_ms(slept_ms).await;
            let (result, next_timed_out) = self.attempt_async(&mut delay, &mut op, &place).await;
            let failed = core::mem::replace(&mut outcome.result, result);
            // A timed-out attempt's error is the timeout's: its record keeps none.
            let error = if timed_out { None } else { failed.err() };
            outcome.log.record(retried(error, slept_ms, hint_ms));
            timed_out = next_timed_out;
        }
    }

    /// One attempt of `op`, raced against a timer on `delay` when it has a time limit: its
    /// result, and whether it timed out (its error is then the timeout's).
    async fn attempt_async<V, E, D, F>(
        &self,
        delay: &mut D,
        op: &mut F,
        place: &Place,
    ) -> (Result<V, E>, bool)
    where
        D: embedded_hal_async::delay::DelayNs,
        F: AsyncFnMut() -> Result<V, E>,
        T: AttemptTimeout<E>,
    {
        let (Some(timeout), Some(ms)) = (&self.timeout, self.limit_ms::<E>(place)) else {
            return (op().await, false);
        };
        match race(op(), delay.delay_ms(ms)).await {
            Some(result) => (result, false),
            None => (Err(timeout.error()), true),
        }
    }
}

/// Polls `attempt` and `timer` together: the attempt's result, or `None` when the timer ends
/// first. The loser is dropped on return.
async fn race<A: Future, B: Future>(attempt: A, timer: B) -> Option<A::Output> {
    let mut attempt = pin!(attempt);
    let mut timer = pin!(timer);
    poll_fn(|cx| {
        if let Poll::Ready(output) = attempt.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(_) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}
