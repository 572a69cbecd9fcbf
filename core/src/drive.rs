//! The two drivers of a run that do their own sleeping: blocking, and async.

use core::future::Future;

use rand_core::Rng;

use crate::retry::retried;
use crate::run::Place;
use crate::stand_in::NoTimeout;
use crate::{
    AttemptLog, AttemptOutcome, AttemptTimeout, BeforeSleep, Clock, Delay, Outcome, Retry,
    RetryBudget, RetryOn, StopReason,
};

// Only without a per-attempt timeout: a blocking call cannot be cut short, so a retry given one
// has no `call` rather than one that would silently ignore it.
impl<R, const N: usize, P, C, H, B> Retry<R, N, P, C, H, B, NoTimeout>
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
    ///
    /// A retry given [`attempt_timeout_ms`](Self::attempt_timeout_ms) has no `call`: a blocking
    /// operation cannot be cut short. Use [`call_async`](Self::call_async), or drive a
    /// [`Run`](crate::Run) with [`attempt_limit_ms`](Self::attempt_limit_ms) and
    /// [`timed_out`](Retry::timed_out).
    // Rust does not promise to build a returned value in place, and an out-of-line `call` did
    // not: its outcome was copied whole as it returned. Always inlined and short, `call` makes
    // the outcome as a local of its caller's, which `drive` fills by reference wherever the
    // optimiser puts `drive`.
    #[inline(always)]
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
        let mut outcome = Outcome::new(op(), StopReason::Succeeded, AttemptLog::new());
        self.drive(&mut outcome, &mut place, &mut delay, &mut op);
        outcome
    }

    /// The run of [`call`](Self::call) from its first attempt's result, in `outcome`: the run's
    /// log is written in it and never moved, which would copy all its records.
    #[inline]
    fn drive<V, E, D, F>(
        &mut self,
        outcome: &mut Outcome<V, E, N>,
        place: &mut Place,
        delay: &mut D,
        op: &mut F,
    ) where
        D: Delay,
        F: FnMut() -> Result<V, E>,
        P: RetryOn<E>,
        H: BeforeSleep<E>,
        B: RetryBudget<E>,
    {
        loop {
            let Err(error) = &outcome.result else {
                // A run of `call` ends at its first success: any attempt before it failed.
                self.tell_success::<E>(outcome.log.total_attempts() > 0);
                outcome.log.record(AttemptOutcome::Succeeded);
                return;
            };
            let (slept_ms, hint_ms) = match self.judge(&outcome.log, place, error, false) {
                Ok(answer) => answer,
                Err(reason) => {
                    outcome.log.record(AttemptOutcome::Stopped { reason });
                    outcome.stop = reason;
                    return;
                }
            };
            delay.delay_ms(slept_ms);
            let (next, refused) = match self.start_retry() {
                Ok(()) => (op(), false),
                Err(error) => (Err(error), true),
            };
            // The retried attempt is logged once the next result (or the budget's refusal)
            // takes its error's place in the outcome: before that is judged, so the counts are
            // the same as if it had been logged before the sleep.
            let error = core::mem::replace(&mut outcome.result, next).err();
            outcome.log.record(retried(error, slept_ms, hint_ms));
            if refused {
                outcome.stop = StopReason::CircuitOpen;
                return;
            }
        }
    }
}

/// The body of [`Retry::call_async`] and [`Retry::call_future`]: one text, compiled for each,
/// since their operations differ in kind (an `AsyncFnMut` whose futures may borrow from it, and a
/// closure that returns a future of its own) and no one generic body keeps the second's future
/// provably `Send`. `$retry` is the `&mut Retry`, `$delay` the async sleeper, `$op` the
/// operation, called as `$op()` for each attempt; `E` and `T` are the method's error and timeout
/// types.
macro_rules! drive_async {
    ($retry:ident, $delay:ident, $op:ident) => {{
        // What the future keeps across its awaits, in one `repr(C)` value that it holds as it
        // is (not moved into a local of its body, as an `async fn`'s arguments are): the
        // retry's address first and the log's records last, so that the optimiser sees that a
        // record written at a computed index cannot overwrite the address, and still knows the
        // retry (and a `const` policy's settings) across a pending await. The place is set at
        // the first poll, when the run starts.
        let place = Place {
            started_ms: 0,
            schedule: $retry.policy().backoff().start(),
        };
        let mut d = Driving {
            retry: $retry,
            place,
            log: AttemptLog::new(),
        };
        async move {
            // Through `&mut d`, so that the future holds `d` whole rather than its fields apart.
            if let Err(error) = Driving::begin(&mut d) {
                return Outcome::new(Err(error), StopReason::CircuitOpen, d.log);
            }
            loop {
                let limit = d.retry.limit_ms::<E>(&d.place);
                let attempt = $op();
                let timer = limit.map(|ms| $delay.delay_ms(ms));
                let mut timed_out = false;
                let result =
                    T::race_attempt(d.retry.timeout.as_ref(), attempt, timer, &mut timed_out).await;
                match d.settle(result, timed_out) {
                    Ok(slept_ms) => $delay.delay_ms(slept_ms).await,
                    Err((result, reason)) => return Outcome::new(result, reason, d.log),
                }
                if let Err(error) = d.retry.start_retry() {
                    return Outcome::new(Err(error), StopReason::CircuitOpen, d.log);
                }
            }
        }
    }};
}

impl<R, const N: usize, P, C, H, B, T> Retry<R, N, P, C, H, B, T>
where
    R: Rng,
    C: Clock,
{
    /// As [`call`](Self::call), for an async operation (an `async` closure, or a closure that
    /// returns a future), sleeping on an embedded-hal-async `DelayNs` (embassy's `Delay`,
    /// tokio's through the `tokio` feature, or any executor's). The rules, the log and the
    /// outcome are the same, a call refused by a circuit breaker included. Nothing happens until
    /// the future is first polled, so a deadline is measured from then. With
    /// [`attempt_timeout_ms`](Self::attempt_timeout_ms), each attempt races a timer on `delay`.
    ///
    /// `op` is an async closure, whose futures may borrow from what it captures, as firmware's
    /// do (`async || uart.write(&frame).await`, over a captured `&mut uart`). The future is
    /// `Send` when the retry's parts, the error type, `delay` and its futures, and `op` and its
    /// futures are, but the compiler cannot yet prove it when `op` captures a reference (a
    /// `&self`, a `&str`): spawning the run on a multi-threaded runtime then fails with
    /// "implementation of `Send` is not general enough". For a run to spawn, give a closure
    /// that returns a future of its own to [`call_future`](Self::call_future), which follows
    /// the same rules with the same code. In code generic over the timeout's type `T` neither
    /// run can be proved `Send`: spawn where the retry's type is named.
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
    /// // `block_on` is any executor's: embassy's, tokio's, or the few lines hidden here.
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
    pub fn call_async<V, E, D, F>(
        &mut self,
        mut delay: D,
        mut op: F,
    ) -> impl Future<Output = Outcome<V, E, N>>
    where
        D: embedded_hal_async::delay::DelayNs,
        F: AsyncFnMut() -> Result<V, E>,
        P: RetryOn<E>,
        H: BeforeSleep<E>,
        B: RetryBudget<E>,
        T: AttemptTimeout<E>,
    {
        drive_async!(self, delay, op)
    }

    /// As [`call_async`](Self::call_async), for a closure that returns a future
    /// (`|| client.get(url)`), as backon and tokio-retry take it: the future may borrow from
    /// outside the closure but not from the closure itself. For such a closure the compiler
    /// can prove the run's future `Send` even when the closure captures references, so a run
    /// inside a `tokio::spawn`ed task may borrow the task's client and request (in code where
    /// the retry's type is named: generic over the timeout's type `T`, the run cannot be proved
    /// `Send`). The rules, the log and the outcome are `call_async`'s, from the same code.
    ///
    /// ```
    /// use embedded_retry::{Jitter, MockClock, Policy, Retry};
    ///
    /// const POLICY: Policy = Policy::builder().max_attempts(4).base_delay_ms(10)
    ///     .jitter(Jitter::None).build_or_panic();
    ///
    /// struct Client { calls: std::sync::atomic::AtomicU32 }
    /// impl Client {
    ///     async fn get(&self, path: &str) -> Result<String, u16> {
    ///         match self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) {
    ///             0 | 1 => Err(503),
    ///             _ => Ok(format!("200 {path}")),
    ///         }
    ///     }
    /// }
    ///
    /// fn assert_send<F: Send>(future: F) -> F { future }
    /// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let mut f = core::pin::pin!(f);
    /// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    /// #     loop {
    /// #         if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// // A task's future, as `tokio::spawn` takes it: `Send`, though each attempt borrows
    /// // the task's client and path.
    /// let task = assert_send(async {
    ///     let client = Client { calls: 0.into() };
    ///     let path = String::from("/status");
    ///     let (client, path) = (&client, path.as_str());
    ///     let mut clock = MockClock::<4>::new(); // tokio's sleeper in a real task: `TokioSleep`
    ///     let result = Retry::without_jitter(POLICY).unwrap()
    ///         .call_future(&mut clock, || client.get(path))
    ///         .await
    ///         .into_result();
    ///     (result, clock.slept_ms())
    /// });
    /// assert_eq!(block_on(task), (Ok(String::from("200 /status")), 10 + 20));
    /// ```
    pub fn call_future<V, E, D, F, A>(
        &mut self,
        mut delay: D,
        mut op: F,
    ) -> impl Future<Output = Outcome<V, E, N>>
    where
        D: embedded_hal_async::delay::DelayNs,
        F: FnMut() -> A,
        A: Future<Output = Result<V, E>>,
        P: RetryOn<E>,
        H: BeforeSleep<E>,
        B: RetryBudget<E>,
        T: AttemptTimeout<E>,
    {
        drive_async!(self, delay, op)
    }
}

/// What [`Retry::call_async`] and [`Retry::call_future`] keep across their awaits.
#[repr(C)]
struct Driving<'r, X, E, const N: usize> {
    retry: &'r mut X,
    place: Place,
    log: AttemptLog<E, N>,
}

impl<R, const N: usize, P, C, H, B, T, E> Driving<'_, Retry<R, N, P, C, H, B, T>, E, N>
where
    R: Rng,
    C: Clock,
{
    /// At the first poll: the run starts (the deadline's clock is read), and the retry budget
    /// is asked whether the call may.
    fn begin(&mut self) -> Result<(), E>
    where
        B: RetryBudget<E>,
    {
        self.place = self.retry.place();
        self.retry.start_call()
    }

    /// An attempt's result (`timed_out` when it ran out of its time), judged and logged: the
    /// milliseconds to sleep before the next attempt, or the run's result and why it ends.
    // Always inlined, so that the attempt is logged in the future itself, at this one place,
    // rather than by a call that the optimiser must assume can write anywhere in it.
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    fn settle<V>(
        &mut self,
        result: Result<V, E>,
        timed_out: bool,
    ) -> Result<u32, (Result<V, E>, StopReason)>
    where
        P: RetryOn<E>,
        H: BeforeSleep<E>,
        B: RetryBudget<E>,
    {
        let (record, next) = match result {
            Ok(value) => {
                self.retry.tell_success::<E>(self.log.total_attempts() > 0);
                (
                    AttemptOutcome::Succeeded,
                    Err((Ok(value), StopReason::Succeeded)),
                )
            }
            Err(error) => match self
                .retry
                .judge(&self.log, &mut self.place, &error, timed_out)
            {
                Ok((slept_ms, hint_ms)) => (
                    retried((!timed_out).then_some(error), slept_ms, hint_ms),
                    Ok(slept_ms),
                ),
                Err(reason) => (
                    AttemptOutcome::Stopped { reason },
                    Err((Err(error), reason)),
                ),
            },
        };
        self.log.record(record);
        next
    }
}
