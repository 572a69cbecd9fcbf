//! A configured retry, and the rules of a run: after each attempt, sleep how long, or stop why.
//! Every way of running an operation (blocking, async, or driven by an event loop) goes through
//! these rules, so they cannot drift apart.

use rand_core::Rng;

use crate::run::Place;
use crate::stand_in::{NoBudget, NoClock, NoHook, NoRng, NoTimeout};
use crate::{
    AttemptLog, AttemptOutcome, AttemptTimeout, BeforeSleep, Clock, Decision, HintAboveCap, Policy,
    PolicyError, RetryAll, RetryBudget, RetryOn, Run, Step, StopReason, TimeoutMs,
};

/// A configured retry: a [`Policy`], randomness for jitter, a [`RetryOn`] predicate, and
/// optionally a deadline, a [`BeforeSleep`] hook and a [`RetryBudget`] (a budget or a breaker,
/// often shared).
///
/// It runs an operation in one of three ways, all under the same rules:
/// - [`call`](Self::call) blocks, sleeping on a [`Delay`](crate::Delay);
/// - [`call_async`](Self::call_async) awaits, sleeping on an embedded-hal-async `DelayNs`
///   ([`call_future`](Self::call_future) too, for a closure that returns a future, which a
///   spawned task may borrow in);
/// - [`start`](Self::start), [`failed`](Self::failed) and [`succeeded`](Self::succeeded) let an
///   event loop (a timer interrupt, a super-loop, an RTIC task) drive a [`Run`] itself, never
///   blocking.
///
/// One `Retry` runs any number of operations, each from a fresh schedule; it borrows nothing
/// unless given references, so it can live in a struct. The type parameters a user names are
/// the generator `R`, the log size `N`, and, once set, the predicate `P`, the deadline's clock
/// `C`, the hook `H`, the budget or breaker `B` and the per-attempt timeout `T` ([`TimeoutMs`]);
/// a function pointer such as `fn(&MyError) -> bool` names a predicate. Those not set default to
/// the [`stand_in`](crate::stand_in) types. A function given to [`when`](Self::when) or
/// [`before_sleep`](Self::before_sleep) has a type of its own, which becomes the pointer type
/// only when the field's type is what decides it: when more settings follow it, cast it,
/// `.when(is_transient as fn(&MyError) -> bool)`, or give it last.
///
/// A run needs `&mut` the retry, for its generator. Tasks that retry at once each need their
/// own: the [`Policy`] is `Copy`, so a client that tasks share keeps the policy and builds a
/// `Retry` per request, each with its own generator (`core/examples/tokio_retry.rs` does). A
/// `Retry` is `Clone` when its parts are, but a clone's generator repeats the original's draws.
///
/// Seed the generator differently on every device and every task, or their jittered delays
/// are the same and the jitter spreads nothing (the examples use constants only to be
/// reproducible). On a host, seed from the operating system: `rand::make_rng::<XorShiftRng>()`
/// with the `rand` crate. On a device, seed once at boot from the hardware generator, or
/// without one from a unique ID (an nRF's `DEVICEID`, an STM32's UID) mixed with sensor noise.
/// A HAL whose generator implements an older `rand_core` (0.6, 0.9) does not fit `R` (the
/// compiler says "the trait bound `HwRng: rand_core::Rng` is not satisfied"): seed a small one
/// from it instead, `XorShiftRng::seed_from_u64(hw_rng.next_u64())`.
///
/// ```
/// use rand_core::SeedableRng;
/// use rand_xorshift::XorShiftRng;
/// use embedded_retry::{MockClock, Policy, Retry, StopReason};
///
/// #[derive(Debug, PartialEq)]
/// enum SensorError { Timeout, Disconnected }
///
/// const POLICY: Policy<8> = Policy::builder().max_attempts(5).base_delay_ms(100).build_or_panic();
///
/// // Stored in a struct: the generator, the log size and the predicate are named.
/// struct Sensor {
///     retry: Retry<XorShiftRng, 8, fn(&SensorError) -> bool>,
/// }
/// let mut sensor = Sensor {
///     retry: Retry::new(POLICY, XorShiftRng::seed_from_u64(42))
///         .when(|e: &SensorError| *e == SensorError::Timeout),
/// };
///
/// let clock = MockClock::<8>::new();
/// let mut reads = 0;
/// let outcome = sensor.retry.call(&clock, || {
///     reads += 1;
///     if reads < 3 { Err(SensorError::Timeout) } else { Ok(21.5) }
/// });
///
/// assert_eq!(outcome.value(), Some(&21.5));
/// assert_eq!(outcome.stop_reason(), StopReason::Succeeded);
/// assert_eq!(outcome.log().len(), 3);
/// assert_eq!(outcome.total_delay_ms(), clock.slept_ms());
/// ```
#[derive(Clone, Debug)]
pub struct Retry<
    R = NoRng,
    const N: usize = 0,
    P = RetryAll,
    C = NoClock,
    H = NoHook,
    B = NoBudget,
    T = NoTimeout,
> {
    policy: Policy<N>,
    rng: Option<R>,
    retry_on: P,
    deadline: Option<Deadline<C>>,
    before_sleep: H,
    budget: Option<B>,
    pub(crate) timeout: Option<T>,
}

/// A run's deadline: `ms` after the run starts, on `clock`.
#[derive(Clone, Debug)]
struct Deadline<C> {
    clock: C,
    ms: u64,
}

impl<R: Rng, const N: usize> Retry<R, N> {
    /// A retry under `policy` that draws jitter from `rng`, retrying every error until
    /// [`when`](Self::when) says otherwise.
    ///
    /// `rng` is taken by value; pass a `&mut` reference to keep it. Like
    /// [`without_jitter`](Retry::without_jitter), it is a `const fn`, so a retry with no other
    /// setting can be a `const` or a `static` when its generator can be made in a `const` too
    /// (most seed at run time, as `XorShiftRng::seed_from_u64` does: then keep an
    /// `Option<Retry<..>>` in the `static`, filled at boot); the settings that take a closure
    /// or a clock are made at run time.
    pub const fn new(policy: Policy<N>, rng: R) -> Self {
        Retry {
            policy,
            rng: Some(rng),
            retry_on: RetryAll,
            deadline: None,
            before_sleep: NoHook,
            budget: None,
            timeout: None,
        }
    }
}

impl<const N: usize> Retry<NoRng, N> {
    /// A retry with no random number generator, for a policy without jitter. Its type is
    /// `Retry<stand_in::NoRng, N>`, the name to give a field that keeps it.
    ///
    /// For a `const` policy the check can also run at compile time:
    /// `const _: () = assert!(!POLICY.backoff().jitter().needs_rng());`
    ///
    /// ```
    /// use embedded_retry::stand_in::NoRng;
    /// use embedded_retry::{Jitter, Policy, PolicyError, Retry};
    ///
    /// let plain: Policy<4> = Policy::builder().jitter(Jitter::None).build_or_panic();
    /// let kept: Retry<NoRng, 4> = Retry::without_jitter(plain).unwrap();
    ///
    /// let jittered: Policy = Policy::builder().jitter(Jitter::Full).build_or_panic();
    /// assert_eq!(
    ///     Retry::without_jitter(jittered).err(),
    ///     Some(PolicyError::JitterNeedsRng { jitter: Jitter::Full }),
    /// );
    /// ```
    ///
    /// # Errors
    /// [`PolicyError::JitterNeedsRng`] when the policy's jitter needs random numbers: jitter is
    /// never silently dropped.
    pub const fn without_jitter(policy: Policy<N>) -> Result<Self, PolicyError> {
        let jitter = policy.backoff().jitter();
        if jitter.needs_rng() {
            return Err(PolicyError::JitterNeedsRng { jitter });
        }
        Ok(Retry {
            policy,
            rng: None,
            retry_on: RetryAll,
            deadline: None,
            before_sleep: NoHook,
            budget: None,
            timeout: None,
        })
    }
}

impl<R, const N: usize, P, C, H, B, T> Retry<R, N, P, C, H, B, T> {
    /// Decides after each error what to do: stop, retry on the policy's schedule, or retry after
    /// a hinted delay ([`Decision`]). A closure may return a `bool` (retry or stop) or a
    /// `Decision`. An error it refuses ends the run at once, with no sleep.
    ///
    /// The error type is not known until a run, so a closure names it:
    /// `.when(|e: &MyError| e.is_transient())`, or pass a function: `.when(MyError::is_transient)`.
    /// Without the annotation (`.when(|e| ..)`) the compiler cannot tell that the closure takes
    /// a reference: it asks for "type annotations", or reports a closure signature or lifetime
    /// that does not fit, at the closure or at the run.
    pub fn when<Q>(self, retry_on: Q) -> Retry<R, N, Q, C, H, B, T> {
        Retry {
            policy: self.policy,
            rng: self.rng,
            retry_on,
            deadline: self.deadline,
            before_sleep: self.before_sleep,
            budget: self.budget,
            timeout: self.timeout,
        }
    }

    /// Ends each run rather than sleep until `ms` milliseconds after it starts, or past that, as
    /// `clock` tells time: a retry is made only with time left to run in. The deadline is
    /// measured from the start of the run, before the first attempt, so the operation's own run
    /// time counts against it; an attempt that fails after the deadline (one that started before
    /// it and ran past it) is not retried. In tenacity's terms this is `stop_before_delay`, not
    /// `stop_after_delay`: a run with a 500 ms deadline whose next sleep would end at 500 ms or
    /// later stops at once, rather than sleep and try once more.
    pub fn deadline_ms<C2: Clock>(self, clock: C2, ms: u64) -> Retry<R, N, P, C2, H, B, T> {
        Retry {
            policy: self.policy,
            rng: self.rng,
            retry_on: self.retry_on,
            deadline: Some(Deadline { clock, ms }),
            before_sleep: self.before_sleep,
            budget: self.budget,
            timeout: self.timeout,
        }
    }

    /// Calls `hook` before each sleep with the attempt number, its error and the delay: a
    /// place to log, or to feed a watchdog. As with [`when`](Self::when), a closure names its
    /// parameter types: `.before_sleep(|attempt: u32, error: &MyError, delay_ms: u32| ...)`.
    pub fn before_sleep<H2>(self, hook: H2) -> Retry<R, N, P, C, H2, B, T> {
        Retry {
            policy: self.policy,
            rng: self.rng,
            retry_on: self.retry_on,
            deadline: self.deadline,
            before_sleep: hook,
            budget: self.budget,
            timeout: self.timeout,
        }
    }

    /// Asks `budget`, a [`RetryBudget`] (pass `&budget` to share it with other operations),
    /// before every retry, and tells it of every call, failure and success: a retry it refuses
    /// ends the run with [`StopReason::RetryBudgetExhausted`], and a call a circuit breaker
    /// refuses ends before its first attempt with [`StopReason::CircuitOpen`].
    ///
    /// Any budget fits, the crate's ([`TokenBucket`](crate::TokenBucket),
    /// [`GrpcThrottle`](crate::GrpcThrottle), [`AdaptiveBucket`](crate::AdaptiveBucket),
    /// [`RetryBreaker`](crate::RetryBreaker), [`CircuitBreaker`](crate::CircuitBreaker)) or one
    /// of the user's own; it is checked against the operation's error type when a run starts.
    ///
    /// A field that keeps the retry names the parameters before the budget's with the
    /// [`stand_in`](crate::stand_in) types of the settings not given:
    /// `Retry<XorShiftRng, 4, fn(&MyError) -> bool, NoClock, NoHook, &'a TokenBucket>`.
    pub fn retry_budget<B2>(self, budget: B2) -> Retry<R, N, P, C, H, B2, T> {
        Retry {
            policy: self.policy,
            rng: self.rng,
            retry_on: self.retry_on,
            deadline: self.deadline,
            before_sleep: self.before_sleep,
            budget: Some(budget),
            timeout: self.timeout,
        }
    }

    /// Limits each attempt of [`call_async`](Self::call_async) and
    /// [`call_future`](Self::call_future) to `ms` milliseconds, or to what
    /// is left before the deadline if that is less: the attempt races a timer on the run's
    /// sleeper. A timed-out attempt is logged as [`AttemptOutcome::TimedOut`], and its error is
    /// [`TimedOut`](crate::TimedOut) turned into the operation's error type (which must
    /// implement `From<TimedOut>`), so the predicate can tell it from the operation's own errors
    /// and decide as for any other error; it is retried unless a rule says otherwise.
    ///
    /// The operation's future is dropped when its time is up, so whatever it was doing stops at
    /// its last `.await`: a transfer on a bus or a socket may be left half done, and the next
    /// attempt should start from a known state (reset the peripheral, open a new connection).
    /// A blocking operation cannot be cut short, so the retry this returns has no
    /// [`call`](Self::call) (the compiler says "no method named `call`"); an event loop reads the
    /// time allowed from [`attempt_limit_ms`](Self::attempt_limit_ms) and reports a timeout with
    /// [`timed_out`](Self::timed_out).
    ///
    /// ```compile_fail
    /// use embedded_retry::{Jitter, MockClock, Policy, Retry};
    ///
    /// const POLICY: Policy = Policy::builder().jitter(Jitter::None).build_or_panic();
    /// let clock = MockClock::<0>::new();
    /// let mut retry = Retry::without_jitter(POLICY).unwrap().attempt_timeout_ms(100);
    /// // Without `.attempt_timeout_ms(100)` this compiles; with it, there is no `call`.
    /// let outcome = retry.call(&clock, || Ok::<u32, &str>(1));
    /// ```
    pub fn attempt_timeout_ms(self, ms: u32) -> Retry<R, N, P, C, H, B, TimeoutMs> {
        Retry {
            policy: self.policy,
            rng: self.rng,
            retry_on: self.retry_on,
            deadline: self.deadline,
            before_sleep: self.before_sleep,
            budget: self.budget,
            timeout: Some(TimeoutMs(ms)),
        }
    }

    /// The policy this retry runs under.
    pub const fn policy(&self) -> &Policy<N> {
        &self.policy
    }
}

/// The rules of a run, for an event loop to drive; [`call`](Self::call) and
/// [`call_async`](Self::call_async) follow the same rules, through the same judgement of each
/// failed attempt.
///
/// A super-loop that polls a sensor, never blocking (a timer interrupt or an RTIC task works the
/// same way, keeping the [`Run`] between its invocations):
///
/// ```
/// use embedded_retry::{Jitter, Policy, Retry, Run, Step, StopReason};
///
/// const POLICY: Policy<4> = Policy::builder().max_attempts(4).base_delay_ms(50)
///     .jitter(Jitter::None).build_or_panic();
///
/// let mut retry = Retry::without_jitter(POLICY).unwrap();
/// let mut run: Run<&str, 4> = retry.start();
/// let mut now_ms = 0u64;
/// let mut wake_at = Some(0u64); // when to make the next attempt
/// let mut reading = None;
/// let mut reads = 0;
/// while let Some(at) = wake_at {
///     now_ms += 1; // the loop's other work
///     if now_ms < at {
///         continue;
///     }
///     reads += 1;
///     let result = if reads < 3 { Err("busy") } else { Ok(42) };
///     wake_at = match result {
///         Ok(value) => {
///             retry.succeeded(&mut run);
///             reading = Some(value);
///             None
///         }
///         Err(error) => match retry.failed(&mut run, error) {
///             Step::Sleep(ms) => Some(now_ms + u64::from(ms)),
///             Step::Stop { reason, error } => panic!("gave up: {reason:?} after {error}"),
///         },
///     };
/// }
/// assert_eq!(reading, Some(42));
/// assert_eq!(run.log().total_attempts(), 3);
/// assert_eq!(run.log().total_delay_ms(), 50 + 100);
/// ```
///
/// With a retry budget or a circuit breaker, the loop also asks what `call` asks:
/// [`start_call`](Self::start_call) before `start`, and [`start_retry`](Self::start_retry)
/// when the timer armed by a [`Step::Sleep`] fires; each says what its refusal ends.
impl<R, const N: usize, P, C, H, B, T> Retry<R, N, P, C, H, B, T>
where
    R: Rng,
    C: Clock,
{
    /// Asks the retry budget whether a call may start (a circuit breaker may refuse it), and
    /// tells it the call is starting: an event loop calls it before each call's
    /// [`start`](Self::start), as [`call`](Self::call) and [`call_async`](Self::call_async) do.
    /// `Ok` without a budget. On `Err`, no attempt is made: the outcome `call` returns is
    /// `self.start().finish(Err(error), StopReason::CircuitOpen)`.
    ///
    /// It is apart from `start`, which cannot fail and also begins the schedule again for
    /// [`reset`](Self::reset): a supervisor that resets its run after a stable session decides
    /// itself whether the next connection is a new call for the budget.
    ///
    /// ```
    /// use embedded_retry::{
    ///     CircuitBreaker, CircuitOpen, CircuitSettings, Jitter, MockClock, Policy, Retry, Run,
    ///     Step,
    /// };
    ///
    /// #[derive(Debug, PartialEq)]
    /// enum Error { Nack, PeerDown }
    /// impl From<CircuitOpen> for Error {
    ///     fn from(_: CircuitOpen) -> Self { Error::PeerDown }
    /// }
    ///
    /// const POLICY: Policy = Policy::builder().max_attempts(2).base_delay_ms(10)
    ///     .jitter(Jitter::None).build_or_panic();
    /// let clock = MockClock::<0>::new();
    /// let breaker = CircuitBreaker::new(&clock, CircuitSettings {
    ///     consecutive_failures: 2,
    ///     ..CircuitSettings::DEFAULT
    /// });
    /// let mut retry = Retry::without_jitter(POLICY).unwrap().retry_budget(&breaker);
    ///
    /// // A call whose two attempts fail: the breaker opens.
    /// retry.start_call::<Error>().unwrap();
    /// let mut run: Run<Error, 0> = retry.start();
    /// assert_eq!(retry.failed(&mut run, Error::Nack), Step::Sleep(10));
    /// assert!(matches!(retry.failed(&mut run, Error::Nack), Step::Stop { .. }));
    ///
    /// // The next call is refused before its first attempt.
    /// assert_eq!(retry.start_call::<Error>(), Err(Error::PeerDown));
    /// ```
    ///
    /// # Errors
    /// The budget's refusal, as the operation's error type.
    pub fn start_call<E>(&self) -> Result<(), E>
    where
        B: RetryBudget<E>,
    {
        match &self.budget {
            Some(budget) => budget.start_call(),
            None => Ok(()),
        }
    }

    /// Asks the retry budget whether the retry a [`Step::Sleep`] allowed may be made now that the
    /// sleep is over (a circuit breaker refuses it once another call's failures have opened it
    /// meanwhile): an event loop calls it when its timer fires, before the attempt, as
    /// [`call`](Self::call) and [`call_async`](Self::call_async) do. `Ok` without a budget. On
    /// `Err`, the run is over: [`Run::finish`] it with the error and
    /// [`StopReason::CircuitOpen`].
    ///
    /// # Errors
    /// The budget's refusal, as the operation's error type.
    pub fn start_retry<E>(&self) -> Result<(), E>
    where
        B: RetryBudget<E>,
    {
        match &self.budget {
            Some(budget) => budget.start_retry(),
            None => Ok(()),
        }
    }

    /// Starts a run, reading the deadline's clock (if there is a deadline): the first attempt
    /// follows. With a retry budget, call [`start_call`](Self::start_call) first.
    pub fn start<E>(&self) -> Run<E, N> {
        Run {
            log: crate::AttemptLog::new(),
            place: self.place(),
            first_try: true,
        }
    }

    /// A run's place at its start: the schedule's first step, and the deadline clock's reading.
    pub(crate) fn place(&self) -> Place {
        Place {
            started_ms: self.deadline.as_ref().map_or(0, |d| d.clock.now_ms()),
            schedule: self.policy.backoff().start(),
        }
    }

    /// Starts `run` again from the beginning of the schedule, with an empty log and, with a
    /// deadline, the deadline's clock read afresh: what a supervisor does once a connection is
    /// back.
    pub fn reset<E>(&self, run: &mut Run<E, N>) {
        *run = self.start();
    }

    /// The attempt `run` is on failed with `error`: how long to sleep before the next one, or
    /// why the run is over (with the error handed back). The attempt is logged either way, and
    /// the hook is called before any sleep is answered. `run` is one this retry
    /// [`start`](Self::start)ed: its schedule steps from its last delay.
    ///
    /// After [`Step::Stop`] the run is over: [`Run::finish`] makes its [`Outcome`](crate::Outcome),
    /// and the next attempt belongs to a new run ([`start`](Self::start) or
    /// [`reset`](Self::reset)). A run keeps no flag to say it stopped (an event loop knows from
    /// the answer it acted on), so an attempt reported to it later (a stray timer tick) is
    /// logged and judged as if the run had gone on.
    pub fn failed<E>(&mut self, run: &mut Run<E, N>, error: E) -> Step<E>
    where
        P: RetryOn<E>,
        H: BeforeSleep<E>,
        B: RetryBudget<E>,
    {
        run.first_try = false;
        self.settle_failure(&mut run.log, &mut run.place, error, false)
    }

    /// How long the attempt `run` is on may take: the per-attempt timeout, or what is left
    /// before the deadline if that is less. Always `Some` on a retry given
    /// [`attempt_timeout_ms`](Self::attempt_timeout_ms); `None` without a timeout.
    pub fn attempt_limit_ms<E>(&self, run: &Run<E, N>) -> Option<u32>
    where
        T: AttemptTimeout<E>,
    {
        self.limit_ms::<E>(&run.place)
    }

    /// [`attempt_limit_ms`](Self::attempt_limit_ms) for a run at `place`.
    pub(crate) fn limit_ms<E>(&self, place: &Place) -> Option<u32>
    where
        T: AttemptTimeout<E>,
    {
        let limit = self.timeout.as_ref()?.limit_ms();
        Some(match &self.deadline {
            Some(deadline) => {
                let ends = place.started_ms.saturating_add(deadline.ms);
                let left = ends.saturating_sub(deadline.clock.now_ms());
                u32::try_from(left).map_or(limit, |left| left.min(limit))
            }
            None => limit,
        })
    }

    /// After a failed attempt of the run whose log is `log`, at `place`: logs it, and answers.
    pub(crate) fn settle_failure<E>(
        &mut self,
        log: &mut AttemptLog<E, N>,
        place: &mut Place,
        error: E,
        timed_out: bool,
    ) -> Step<E>
    where
        P: RetryOn<E>,
        H: BeforeSleep<E>,
        B: RetryBudget<E>,
    {
        match self.judge(log, place, &error, timed_out) {
            Ok((slept_ms, hint_ms)) => {
                log.record(retried((!timed_out).then_some(error), slept_ms, hint_ms));
                Step::Sleep(slept_ms)
            }
            Err(reason) => {
                log.record(AttemptOutcome::Stopped { reason });
                Step::Stop { reason, error }
            }
        }
    }

    /// The rules' answer to `error`, the attempt of the run whose log is `log` failing, before
    /// it is logged: the delay to sleep and the hint (the hook has been called), or why the run
    /// stops. The retry budget is told of the failure, as the predicate judged it.
    ///
    /// The one judgement of every form: [`failed`](Self::failed) and the drivers each log the
    /// attempt with what it answers before the next attempt is judged (`call` once the next
    /// result has taken the error's place in its outcome), each in its own code, so that the
    /// record is written inline in their log.
    #[inline]
    pub(crate) fn judge<E>(
        &mut self,
        log: &AttemptLog<E, N>,
        place: &mut Place,
        error: &E,
        timed_out: bool,
    ) -> Result<(u32, Option<u32>), StopReason>
    where
        P: RetryOn<E>,
        H: BeforeSleep<E>,
        B: RetryBudget<E>,
    {
        let answer = self.next_delay(log, place, error, timed_out);
        if let Ok((slept_ms, _)) = answer {
            self.before_sleep
                .before_sleep(log.attempt(), error, slept_ms);
        }
        answer
    }

    /// The attempt `run` is on succeeded: it is logged, and the retry budget is told.
    ///
    /// The run may go on: a supervisor whose link drops again reports the next failures to the
    /// same run, whose schedule steps on from its last delay, until it
    /// [`reset`](Self::reset)s it (once the link has stayed up long enough).
    pub fn succeeded<E>(&mut self, run: &mut Run<E, N>)
    where
        B: RetryBudget<E>,
    {
        self.tell_success::<E>(!run.first_try);
        run.first_try = true;
        run.log.record(AttemptOutcome::Succeeded);
    }

    /// The retry budget is told that the attempt under way succeeded, `after_retry` when an
    /// attempt failed since the run started or last succeeded.
    pub(crate) fn tell_success<E>(&self, after_retry: bool)
    where
        B: RetryBudget<E>,
    {
        if let Some(budget) = &self.budget {
            budget.succeeded(after_retry);
        }
    }

    /// After `error`: the delay to sleep before the next attempt (and the hinted delay, if
    /// any), or why the run stops. The stop rules are checked in order; the retry budget is told
    /// of the failure once the predicate has judged it, and charged only when every other rule
    /// allows the retry.
    // A hint to inline it into its driver: out of line, a jittered run of five attempts on the
    // host took a fifth longer. A build for size (the firmware's) is unchanged by it.
    #[inline]
    fn next_delay<E>(
        &mut self,
        log: &AttemptLog<E, N>,
        place: &mut Place,
        error: &E,
        timed_out: bool,
    ) -> Result<(u32, Option<u32>), StopReason>
    where
        P: RetryOn<E>,
        B: RetryBudget<E>,
    {
        let decision = self.retry_on.decide(error);
        // The budget is told once the predicate has judged the error: only the failures it
        // retries count against the peer, and a timed-out attempt, which the peer never
        // answered, always does.
        if let Some(budget) = &self.budget {
            if timed_out || decision != Decision::Stop {
                budget.attempt_failed();
            } else {
                budget.attempt_not_retryable();
            }
        }
        let hint = match decision {
            Decision::Stop => return Err(StopReason::NotRetryable),
            Decision::Retry => None,
            Decision::RetryAfter(ms) => Some(ms),
        };
        if self
            .policy
            .max_attempts()
            .is_some_and(|max| log.attempt() >= max)
        {
            return Err(StopReason::AttemptsExhausted);
        }
        let backoff = self.policy.backoff();
        if hint.is_some_and(|ms| ms > backoff.cap_ms())
            && self.policy.hint_above_cap() == HintAboveCap::Stop
        {
            return Err(StopReason::HintAboveCap);
        }
        let scheduled = place.schedule.next(backoff, self.rng.as_mut());
        let delay = hint.map_or(scheduled, |ms| ms.max(scheduled));
        // As the log adds it: a `u64` of milliseconds slept cannot fill.
        let slept = log.total_delay_ms().wrapping_add(u64::from(delay));
        if self
            .policy
            .delay_budget_ms()
            .is_some_and(|budget| slept > budget)
        {
            return Err(StopReason::DelayBudgetExhausted);
        }
        if let Some(deadline) = &self.deadline {
            // A retry that would start at the deadline is not made either: it would have no
            // time left to run in.
            let wakes = deadline.clock.now_ms().saturating_add(u64::from(delay));
            if wakes >= place.started_ms.saturating_add(deadline.ms) {
                return Err(StopReason::DeadlineExceeded);
            }
        }
        if self
            .budget
            .as_ref()
            .is_some_and(|budget| !budget.try_spend())
        {
            return Err(StopReason::RetryBudgetExhausted);
        }
        Ok((delay, hint))
    }
}

/// The record of an attempt that was retried after `slept_ms`: with its error, or, for one that
/// timed out (whose error is the timeout's), without.
pub(crate) fn retried<E>(
    error: Option<E>,
    slept_ms: u32,
    hint_ms: Option<u32>,
) -> AttemptOutcome<E> {
    match error {
        Some(error) => AttemptOutcome::Retried {
            error,
            slept_ms,
            hint_ms,
        },
        None => AttemptOutcome::TimedOut { slept_ms, hint_ms },
    }
}

impl<R, const N: usize, P, C, H, B> Retry<R, N, P, C, H, B, TimeoutMs>
where
    R: Rng,
    C: Clock,
{
    /// The attempt `run` is on ran out of the time [`attempt_limit_ms`](Self::attempt_limit_ms)
    /// allowed it: as [`failed`](Self::failed) with [`TimedOut`](crate::TimedOut) as the error,
    /// logged as [`AttemptOutcome::TimedOut`] when it is retried.
    pub fn timed_out<E>(&mut self, run: &mut Run<E, N>) -> Step<E>
    where
        E: From<crate::TimedOut>,
        P: RetryOn<E>,
        H: BeforeSleep<E>,
        B: RetryBudget<E>,
    {
        run.first_try = false;
        self.settle_failure(&mut run.log, &mut run.place, E::from(crate::TimedOut), true)
    }
}
