//! The retry engine: calls an operation until it succeeds, a stop rule ends the run, or the
//! error is not worth retrying, sleeping between calls.

use core::convert::Infallible;

use rand_core::{Rng, TryRng};

use crate::{
    Attempt, AttemptLog, AttemptOutcome, BackoffState, Delay, Policy, PolicyError, StopReason,
};

/// Decides whether an error is worth another attempt, like the seed's `retry_on`.
///
/// Implemented for every `FnMut(&E) -> bool`, and by [`RetryAll`], the default.
pub trait RetryOn<E> {
    /// `true` to retry after `error` (if attempts remain), `false` to stop at once.
    fn retry_on(&mut self, error: &E) -> bool;
}

impl<E, F: FnMut(&E) -> bool> RetryOn<E> for F {
    fn retry_on(&mut self, error: &E) -> bool {
        self(error)
    }
}

/// Retries every error: the default, as the seed's `retry_on=(Exception,)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryAll;

impl<E> RetryOn<E> for RetryAll {
    fn retry_on(&mut self, _error: &E) -> bool {
        true
    }
}

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

/// A configured retry: a policy, something to sleep on, randomness for jitter, and a
/// [`RetryOn`] predicate. [`call`](Self::call) runs an operation under it.
///
/// ```
/// use rand_core::SeedableRng;
/// use rand_xorshift::XorShiftRng;
/// use retry_backoff::{MockClock, Policy, Retry, StopReason};
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
pub struct Retry<D, R, P, const N: usize> {
    policy: Policy<N>,
    delay: D,
    rng: Option<R>,
    retry_on: P,
}

impl<D: Delay, R: Rng, const N: usize> Retry<D, R, RetryAll, N> {
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
        }
    }
}

impl<D: Delay, const N: usize> Retry<D, NoRng, RetryAll, N> {
    /// A retry with no random number generator, for a policy without jitter.
    ///
    /// For a `const` policy the check can also run at compile time:
    /// `const _: () = assert!(!POLICY.backoff().jitter().needs_rng());`
    ///
    /// ```
    /// use retry_backoff::{Jitter, MockClock, Policy, PolicyError, Retry};
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
        })
    }
}

impl<D, R, P, const N: usize> Retry<D, R, P, N> {
    /// Retries only the errors for which `retry_on` returns `true`; any other error ends the run
    /// at once, with no sleep.
    ///
    /// The error type is not known until [`call`](Self::call), so a closure names it:
    /// `.when(|e: &MyError| e.is_transient())`, or pass a function: `.when(MyError::is_transient)`.
    pub fn when<Q>(self, retry_on: Q) -> Retry<D, R, Q, N> {
        Retry {
            policy: self.policy,
            delay: self.delay,
            rng: self.rng,
            retry_on,
        }
    }

    /// The policy this retry runs under.
    pub fn policy(&self) -> &Policy<N> {
        &self.policy
    }
}

impl<D: Delay, R: Rng, P, const N: usize> Retry<D, R, P, N> {
    /// Calls `op` until it succeeds, returns an error the predicate refuses, or the policy's
    /// attempts run out, sleeping the policy's delay between calls and never after the last.
    ///
    /// Each call starts a fresh schedule, so one `Retry` can run many operations.
    pub fn call<T, E, F>(&mut self, mut op: F) -> Outcome<T, E, N>
    where
        F: FnMut() -> Result<T, E>,
        P: RetryOn<E>,
    {
        // Filled in place and returned as is, so the log is not copied.
        let mut outcome = Outcome {
            value: None,
            log: AttemptLog::new(),
            stop: StopReason::AttemptsExhausted,
        };
        let mut run = Run::new(&self.policy);
        while let Some(ms) = run.settle(&mut outcome, op(), &mut self.retry_on, self.rng.as_mut()) {
            self.delay.delay_ms(ms);
        }
        outcome
    }
}

/// The bookkeeping of one run, apart from calling and sleeping, so that every way of calling
/// and sleeping shares the same rules.
struct Run<'p, const N: usize> {
    policy: &'p Policy<N>,
    schedule: BackoffState,
    attempt: u32,
}

impl<'p, const N: usize> Run<'p, N> {
    fn new(policy: &'p Policy<N>) -> Self {
        Run {
            policy,
            schedule: policy.backoff().start(),
            attempt: 1,
        }
    }

    /// Records the result of the current attempt in `outcome`; returns the milliseconds to
    /// sleep before the next attempt, or `None` when the run is over.
    fn settle<T, E, P: RetryOn<E>, R: Rng>(
        &mut self,
        outcome: &mut Outcome<T, E, N>,
        result: Result<T, E>,
        retry_on: &mut P,
        rng: Option<&mut R>,
    ) -> Option<u32> {
        let (record, next) = match result {
            Ok(value) => {
                outcome.value = Some(value);
                outcome.stop = StopReason::Succeeded;
                (AttemptOutcome::Succeeded, None)
            }
            Err(error) if !retry_on.retry_on(&error) => {
                outcome.stop = StopReason::NotRetryable;
                (AttemptOutcome::NotRetryable(error), None)
            }
            Err(error) if self.attempt >= self.policy.max_attempts() => {
                outcome.stop = StopReason::AttemptsExhausted;
                (AttemptOutcome::OutOfAttempts(error), None)
            }
            Err(error) => {
                let slept_ms = self.schedule.next(self.policy.backoff(), rng);
                (AttemptOutcome::Retried { error, slept_ms }, Some(slept_ms))
            }
        };
        // Cannot fail: the policy was checked to allow at most N attempts.
        let _ = outcome.log.push(Attempt {
            number: self.attempt,
            outcome: record,
        });
        self.attempt = self.attempt.saturating_add(1);
        next
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
