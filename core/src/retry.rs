//! The retry engine: calls an operation until it succeeds, a stop rule ends the run, or the
//! error is not worth retrying, sleeping between calls.

use core::convert::Infallible;
use core::future::Future;

use rand_core::{Rng, TryRng};

use crate::{
    Attempt, AttemptLog, AttemptOutcome, BackoffState, BeforeSleep, Clock, Decision, Delay,
    HintAboveCap, NoBudget, NoClock, NoHook, Policy, PolicyError, RetryAll, RetryBudget, RetryOn,
    StopReason,
};

/// The generator type of a run without jitter. It has no values, so a jittered policy can never
/// be handed one by mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoRng {}

impl TryRng for NoRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        match *self {}
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        match *self {}
    }
    fn try_fill_bytes(&mut self, _dst: &mut [u8]) -> Result<(), Infallible> {
        match *self {}
    }
}

/// A configured retry: a policy, something to sleep on, randomness for jitter, a [`RetryOn`]
/// predicate, and optionally a deadline, a [`BeforeSleep`] hook and a shared [`RetryBudget`].
/// [`call`](Self::call) (or [`call_async`](Self::call_async)) runs an operation under it.
///
/// ```
/// use rand_core::SeedableRng;
/// use rand_xorshift::XorShiftRng;
/// use embedded_retry::{MockClock, Policy, Retry, StopReason};
///
/// #[derive(Debug, PartialEq)]
/// enum SensorError { Timeout, Disconnected }
///
/// const POLICY: Policy<5> = Policy::builder().max_attempts(5).base_delay_ms(100).build_or_panic();
///
/// let clock = MockClock::<8>::new();
/// let mut reads = 0;
/// let outcome = Retry::new(POLICY, &clock, XorShiftRng::seed_from_u64(42))
///     .when(|e: &SensorError| *e == SensorError::Timeout)
///     .call(|| {
///         reads += 1;
///         if reads < 3 { Err(SensorError::Timeout) } else { Ok(21.5) }
///     });
///
/// assert_eq!(outcome.value(), Some(&21.5));
/// assert_eq!(outcome.stop_reason(), StopReason::Succeeded);
/// assert_eq!(outcome.log().len(), 3);
/// assert_eq!(outcome.total_delay_ms(), clock.slept_ms());
/// ```
#[derive(Debug)]
pub struct Retry<D, R, const N: usize, P = RetryAll, C = NoClock, H = NoHook, B = NoBudget> {
    policy: Policy<N>,
    delay: D,
    rng: Option<R>,
    retry_on: P,
    deadline: Option<Deadline<C>>,
    before_sleep: H,
    budget: Option<B>,
}

/// A run's deadline: `ms` after the run starts, on `clock`.
#[derive(Debug)]
struct Deadline<C> {
    clock: C,
    ms: u64,
}

impl<D, R: Rng, const N: usize> Retry<D, R, N> {
    /// A retry under `policy` that sleeps on `delay` and draws jitter from `rng`, retrying
    /// every error until [`when`](Self::when) says otherwise.
    ///
    /// `delay` and `rng` are taken by value; pass `&mut` references to keep them.
    pub fn new(policy: Policy<N>, delay: D, rng: R) -> Self {
        Retry {
            policy,
            delay,
            rng: Some(rng),
            retry_on: RetryAll,
            deadline: None,
            before_sleep: NoHook,
            budget: None,
        }
    }
}

impl<D, const N: usize> Retry<D, NoRng, N> {
    /// A retry with no random number generator, for a policy without jitter.
    ///
    /// For a `const` policy the check can also run at compile time:
    /// `const _: () = assert!(!POLICY.backoff().jitter().needs_rng());`
    ///
    /// ```
    /// use embedded_retry::{Jitter, MockClock, Policy, PolicyError, Retry};
    ///
    /// let plain: Policy<3> = Policy::builder().jitter(Jitter::None).build_or_panic();
    /// assert!(Retry::without_jitter(plain, MockClock::<3>::new()).is_ok());
    ///
    /// let jittered: Policy<3> = Policy::builder().jitter(Jitter::Full).build_or_panic();
    /// assert_eq!(
    ///     Retry::without_jitter(jittered, MockClock::<3>::new()).err(),
    ///     Some(PolicyError::JitterNeedsRng { jitter: Jitter::Full }),
    /// );
    /// ```
    ///
    /// # Errors
    /// [`PolicyError::JitterNeedsRng`] when the policy's jitter needs random numbers: jitter is
    /// never silently dropped.
    pub fn without_jitter(policy: Policy<N>, delay: D) -> Result<Self, PolicyError> {
        let jitter = policy.backoff().jitter();
        if jitter.needs_rng() {
            return Err(PolicyError::JitterNeedsRng { jitter });
        }
        Ok(Retry {
            policy,
            delay,
            rng: None,
            retry_on: RetryAll,
            deadline: None,
            before_sleep: NoHook,
            budget: None,
        })
    }
}

impl<D, R, const N: usize, P, C, H, B> Retry<D, R, N, P, C, H, B> {
    /// Decides after each error what to do: stop, retry on the policy's schedule, or retry after
    /// a hinted delay ([`Decision`]). A closure may return a `bool` (retry or stop) or a
    /// `Decision`. An error it refuses ends the run at once, with no sleep.
    ///
    /// The error type is not known until [`call`](Self::call), so a closure names it:
    /// `.when(|e: &MyError| e.is_transient())`, or pass a function: `.when(MyError::is_transient)`.
    pub fn when<Q>(self, retry_on: Q) -> Retry<D, R, N, Q, C, H, B> {
        Retry {
            policy: self.policy,
            delay: self.delay,
            rng: self.rng,
            retry_on,
            deadline: self.deadline,
            before_sleep: self.before_sleep,
            budget: self.budget,
        }
    }

    /// Ends each run rather than sleep past `ms` milliseconds after it starts, as `clock` tells
    /// time. The deadline is measured from the start of [`call`](Self::call), before the first
    /// attempt, so the operation's own run time counts against it; an attempt that fails after
    /// the deadline (one that started before it and ran past it) is not retried.
    pub fn deadline_ms<C2: Clock>(self, clock: C2, ms: u64) -> Retry<D, R, N, P, C2, H, B> {
        Retry {
            policy: self.policy,
            delay: self.delay,
            rng: self.rng,
            retry_on: self.retry_on,
            deadline: Some(Deadline { clock, ms }),
            before_sleep: self.before_sleep,
            budget: self.budget,
        }
    }

    /// Calls `hook` before each sleep with the attempt number, its error and the delay: a
    /// place to log, or to feed a watchdog. As with [`when`](Self::when), a closure names its
    /// parameter types: `.before_sleep(|attempt: u32, error: &MyError, delay_ms: u32| ...)`.
    pub fn before_sleep<H2>(self, hook: H2) -> Retry<D, R, N, P, C, H2, B> {
        Retry {
            policy: self.policy,
            delay: self.delay,
            rng: self.rng,
            retry_on: self.retry_on,
            deadline: self.deadline,
            before_sleep: hook,
            budget: self.budget,
        }
    }

    /// Draws every retry from `budget`, shared with other operations (pass `&bucket`); a run
    /// the budget cannot pay for stops instead of retrying, and each success puts tokens back.
    pub fn retry_budget<B2: RetryBudget>(self, budget: B2) -> Retry<D, R, N, P, C, H, B2> {
        Retry {
            policy: self.policy,
            delay: self.delay,
            rng: self.rng,
            retry_on: self.retry_on,
            deadline: self.deadline,
            before_sleep: self.before_sleep,
            budget: Some(budget),
        }
    }

    /// The policy this retry runs under.
    pub fn policy(&self) -> &Policy<N> {
        &self.policy
    }

    /// Starts a run: the sleeper, the run's bookkeeping (reading the deadline's clock now), and
    /// what the run consults, borrowed apart so that the run can sleep while it consults.
    fn start(&mut self) -> (&mut D, Run<'_, N>, Controls<'_, R, P, C, H, B>)
    where
        C: Clock,
    {
        let deadline = self.deadline.as_ref();
        let run = Run::new(&self.policy, deadline);
        let controls = Controls {
            rng: self.rng.as_mut(),
            retry_on: &mut self.retry_on,
            deadline,
            before_sleep: &mut self.before_sleep,
            budget: self.budget.as_ref(),
        };
        (&mut self.delay, run, controls)
    }
}

impl<D: Delay, R: Rng, const N: usize, P, C: Clock, H, B: RetryBudget> Retry<D, R, N, P, C, H, B> {
    /// Calls `op` until it succeeds or a stop rule ends the run (the predicate refuses the error,
    /// attempts run out, or the delay budget, the deadline or the retry budget would be
    /// exceeded), sleeping between calls and never after the last.
    ///
    /// Each call starts a fresh schedule, so one `Retry` can run many operations.
    pub fn call<T, E, F>(&mut self, mut op: F) -> Outcome<T, E, N>
    where
        F: FnMut() -> Result<T, E>,
        P: RetryOn<E>,
        H: BeforeSleep<E>,
    {
        // Filled in place and returned as is, so the log is not copied.
        let mut outcome = Outcome::new();
        let (delay, mut run, mut controls) = self.start();
        while let Some(ms) = run.settle(&mut outcome, op(), &mut controls) {
            delay.delay_ms(ms);
        }
        outcome
    }
}

impl<D, R, const N: usize, P, C, H, B> Retry<D, R, N, P, C, H, B>
where
    D: embedded_hal_async::delay::DelayNs,
    R: Rng,
    C: Clock,
    B: RetryBudget,
{
    /// As [`call`](Self::call), for an async operation, sleeping through an embedded-hal-async
    /// `DelayNs` (embassy's, or any executor's). The rules, the log and the outcome are the same:
    /// both run the same bookkeeping. Nothing happens until the future is first polled, so a
    /// deadline is measured from then.
    ///
    /// ```
    /// use embedded_retry::{Jitter, MockClock, Policy, Retry};
    ///
    /// const POLICY: Policy<4> = Policy::builder().max_attempts(4).base_delay_ms(10)
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
    ///     Retry::without_jitter(POLICY, &clock).unwrap()
    ///         .call_async(|| {
    ///             calls += 1;
    ///             let result = if calls < 3 { Err("busy") } else { Ok(calls) };
    ///             async move { result }
    ///         })
    ///         .await
    /// });
    /// assert_eq!(outcome.value(), Some(&3));
    /// assert_eq!(clock.sleeps().as_slice(), [10, 20]);
    /// ```
    pub async fn call_async<T, E, F, Fut>(&mut self, mut op: F) -> Outcome<T, E, N>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: RetryOn<E>,
        H: BeforeSleep<E>,
    {
        let mut outcome = Outcome::new();
        let (delay, mut run, mut controls) = self.start();
        while let Some(ms) = run.settle(&mut outcome, op().await, &mut controls) {
            delay.delay_ms(ms).await;
        }
        outcome
    }
}

/// What a run consults after each attempt, borrowed from the [`Retry`] for the run.
struct Controls<'a, R, P, C, H, B> {
    rng: Option<&'a mut R>,
    retry_on: &'a mut P,
    deadline: Option<&'a Deadline<C>>,
    before_sleep: &'a mut H,
    budget: Option<&'a B>,
}

/// The bookkeeping of one run, apart from calling and sleeping, so that every way of calling
/// and sleeping shares the same rules.
struct Run<'p, const N: usize> {
    policy: &'p Policy<N>,
    schedule: BackoffState,
    attempt: u32,
    slept_ms: u64,
    /// The deadline clock's reading when the run started, if there is a deadline.
    started_ms: Option<u64>,
}

impl<'p, const N: usize> Run<'p, N> {
    fn new<C: Clock>(policy: &'p Policy<N>, deadline: Option<&Deadline<C>>) -> Self {
        Run {
            policy,
            schedule: policy.backoff().start(),
            attempt: 1,
            slept_ms: 0,
            started_ms: deadline.map(|d| d.clock.now_ms()),
        }
    }

    /// Records the result of the current attempt in `outcome`; returns the milliseconds to
    /// sleep before the next attempt, or `None` when the run is over.
    fn settle<T, E, R, P, C, H, B>(
        &mut self,
        outcome: &mut Outcome<T, E, N>,
        result: Result<T, E>,
        controls: &mut Controls<'_, R, P, C, H, B>,
    ) -> Option<u32>
    where
        R: Rng,
        P: RetryOn<E>,
        C: Clock,
        H: BeforeSleep<E>,
        B: RetryBudget,
    {
        let (record, next) = match result {
            Ok(value) => {
                outcome.value = Some(value);
                outcome.stop = StopReason::Succeeded;
                if let Some(budget) = controls.budget {
                    budget.succeeded(self.attempt > 1);
                }
                (AttemptOutcome::Succeeded, None)
            }
            Err(error) => match self.next_delay(&error, controls) {
                Ok((slept_ms, hint_ms)) => {
                    controls
                        .before_sleep
                        .before_sleep(self.attempt, &error, slept_ms);
                    let retried = AttemptOutcome::Retried {
                        error,
                        slept_ms,
                        hint_ms,
                    };
                    (retried, Some(slept_ms))
                }
                Err(reason) => {
                    outcome.stop = reason;
                    (AttemptOutcome::Stopped { error, reason }, None)
                }
            },
        };
        // Cannot fail: the policy was checked to allow at most N attempts.
        let _ = outcome.log.push(Attempt {
            number: self.attempt,
            outcome: record,
        });
        self.attempt = self.attempt.saturating_add(1);
        next
    }

    /// After `error`: the delay to sleep before the next attempt (and the hinted delay, if
    /// any), or why the run stops. The stop rules are checked in order, and the retry budget is
    /// charged only when every other rule allows the retry.
    fn next_delay<E, R, P, C, H, B>(
        &mut self,
        error: &E,
        controls: &mut Controls<'_, R, P, C, H, B>,
    ) -> Result<(u32, Option<u32>), StopReason>
    where
        R: Rng,
        P: RetryOn<E>,
        C: Clock,
        B: RetryBudget,
    {
        let hint = match controls.retry_on.decide(error) {
            Decision::Stop => return Err(StopReason::NotRetryable),
            Decision::Retry => None,
            Decision::RetryAfter(ms) => Some(ms),
        };
        if self.attempt >= self.policy.max_attempts() {
            return Err(StopReason::AttemptsExhausted);
        }
        let backoff = self.policy.backoff();
        if hint.is_some_and(|ms| ms > backoff.cap_ms())
            && self.policy.hint_above_cap() == HintAboveCap::Stop
        {
            return Err(StopReason::HintAboveCap);
        }
        let scheduled = self.schedule.next(backoff, controls.rng.as_deref_mut());
        let delay = hint.map_or(scheduled, |ms| ms.max(scheduled));
        let slept = self.slept_ms.saturating_add(u64::from(delay));
        if self
            .policy
            .delay_budget_ms()
            .is_some_and(|budget| slept > budget)
        {
            return Err(StopReason::DelayBudgetExhausted);
        }
        if let (Some(deadline), Some(started)) = (controls.deadline, self.started_ms) {
            let wakes = deadline.clock.now_ms().saturating_add(u64::from(delay));
            if wakes > started.saturating_add(deadline.ms) {
                return Err(StopReason::DeadlineExceeded);
            }
        }
        if controls.budget.is_some_and(|budget| !budget.try_spend()) {
            return Err(StopReason::RetryBudgetExhausted);
        }
        self.slept_ms = slept;
        Ok((delay, hint))
    }
}

/// The result of a run: the value on success, why the run stopped, and the log of every
/// attempt, which is kept on failure as well as on success.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Outcome<T, E, const N: usize> {
    value: Option<T>,
    log: AttemptLog<E, N>,
    stop: StopReason,
}

impl<T, E, const N: usize> Outcome<T, E, N> {
    /// An outcome before any attempt: filled in by the engine.
    fn new() -> Self {
        Outcome {
            value: None,
            log: AttemptLog::new(),
            stop: StopReason::AttemptsExhausted,
        }
    }

    /// Whether the operation succeeded.
    pub fn is_success(&self) -> bool {
        self.value.is_some()
    }

    /// The operation's value, if it succeeded.
    pub fn value(&self) -> Option<&T> {
        self.value.as_ref()
    }

    /// The error of the last attempt, if the run failed.
    pub fn last_error(&self) -> Option<&E> {
        if self.is_success() {
            return None;
        }
        self.log.last().and_then(Attempt::error)
    }

    /// Why the run stopped.
    pub fn stop_reason(&self) -> StopReason {
        self.stop
    }

    /// Every attempt, in order.
    pub fn log(&self) -> &AttemptLog<E, N> {
        &self.log
    }

    /// The milliseconds actually slept: the sum of the delays in the log.
    pub fn total_delay_ms(&self) -> u64 {
        self.log
            .iter()
            .filter_map(Attempt::slept_ms)
            .map(u64::from)
            .sum()
    }

    /// The value (if any) and the log, by value.
    pub fn into_parts(self) -> (Option<T>, AttemptLog<E, N>) {
        (self.value, self.log)
    }
}
