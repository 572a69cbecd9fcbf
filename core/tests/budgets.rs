//! The retry budgets and breakers against plain models of their rules.
//!
//! Each strategy is driven by random sequences of events (a call starts, an attempt fails, a
//! retry is asked for, an attempt succeeds, the clock moves) and compared, event by event, with
//! a model written here the plain way: integers without saturation, or `f64` for ratios. Then
//! whole runs through `Retry::call` and `call_async` are compared with the same models driven as
//! the engine documents it drives a budget. The runner's seed is fixed, so nothing can flake;
//! time is a mock clock, so nothing sleeps.

mod common;
use common::block_on;

use std::cell::Cell;

use embedded_retry::stand_in::{NoClock, NoHook, NoRng};
use embedded_retry::{
    AdaptiveBucket, AdaptiveRates, AttemptOutcome, BucketRates, CircuitBreaker, CircuitOpen,
    CircuitSettings, CircuitState, Decision, Delay, GrpcThrottle, HintAboveCap, Jitter, MockClock,
    Outcome, Policy, Retry, RetryAll, RetryBreaker, RetryBudget, RetryOn, Run, Step, StopReason,
    ThrottleRates, TokenBucket,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

fn config() -> Config {
    Config {
        cases: 256,
        rng_seed: RngSeed::Fixed(0xb0d6e7),
        failure_persistence: None,
        ..Config::default()
    }
}

/// The operation's error: an attempt's failure, one the predicate does not retry, or a call the
/// breaker refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Error {
    Failed(u32),
    Fatal(u32),
    PeerDown,
}

/// A timeout is fatal here, so that the predicate refuses it.
impl From<embedded_retry::TimedOut> for Error {
    fn from(_: embedded_retry::TimedOut) -> Self {
        Error::Fatal(0)
    }
}

/// The predicate of every run here: retry everything but a fatal error.
fn retryable(error: &Error) -> bool {
    !matches!(error, Error::Fatal(_))
}

impl From<CircuitOpen> for Error {
    fn from(_: CircuitOpen) -> Self {
        Error::PeerDown
    }
}

// ---------------------------------------------------------------------------------------------
// The models: each rule as the documentation states it, in the plainest arithmetic.

/// What a budget is told and asked, with the time on the clock when it happens.
trait Model {
    /// `false`: the call is refused.
    fn start_call(&mut self, now: u64) -> bool;
    fn attempt_failed(&mut self, now: u64);
    /// An attempt failed with an error the predicate refuses: nothing, but for a circuit breaker.
    fn attempt_not_retryable(&mut self, _now: u64) {}
    fn try_spend(&mut self, now: u64) -> bool;
    /// `false`: the retry is refused after its sleep. Only a circuit breaker refuses.
    fn start_retry(&mut self, _now: u64) -> bool {
        true
    }
    fn succeeded(&mut self, after_retry: bool, now: u64);
    /// What the strategy shows of itself: tokens, counts, or its state.
    fn shown(&self, now: u64) -> i64;
}

/// The AWS standard mode: whole tokens.
struct BucketModel {
    capacity: i64,
    cost: i64,
    refill: i64,
    tokens: i64,
}

impl BucketModel {
    fn new(rates: BucketRates) -> Self {
        BucketModel {
            capacity: rates.capacity.into(),
            cost: rates.cost.into(),
            refill: rates.refill.into(),
            tokens: rates.capacity.into(),
        }
    }
}

impl Model for BucketModel {
    fn start_call(&mut self, _: u64) -> bool {
        true
    }
    fn attempt_failed(&mut self, _: u64) {}
    fn try_spend(&mut self, _: u64) -> bool {
        if self.tokens >= self.cost {
            self.tokens -= self.cost;
            true
        } else {
            false
        }
    }
    fn succeeded(&mut self, after_retry: bool, _: u64) {
        let back = if after_retry { self.cost } else { self.refill };
        self.tokens = (self.tokens + back).min(self.capacity);
    }
    fn shown(&self, _: u64) -> i64 {
        self.tokens
    }
}

/// gRFC A6, in thousandths of a token.
struct GrpcModel {
    max: i64,
    ratio: i64,
    tokens: i64,
}

impl GrpcModel {
    fn new(rates: ThrottleRates) -> Self {
        let max = i64::from(rates.max_tokens) * 1000;
        GrpcModel {
            max,
            ratio: rates.token_ratio.into(),
            tokens: max,
        }
    }
}

impl Model for GrpcModel {
    fn start_call(&mut self, _: u64) -> bool {
        true
    }
    fn attempt_failed(&mut self, _: u64) {
        self.tokens = (self.tokens - 1000).max(0);
    }
    fn try_spend(&mut self, _: u64) -> bool {
        // max is a whole number of tokens in thousandths, so even: halving it is exact.
        self.tokens > self.max / 2
    }
    fn succeeded(&mut self, _: bool, _: u64) {
        self.tokens = (self.tokens + self.ratio).min(self.max);
    }
    fn shown(&self, _: u64) -> i64 {
        self.tokens
    }
}

/// The adaptive bucket, in thousandths of a token.
struct AdaptiveModel {
    capacity: i64,
    credit: i64,
    cost: i64,
    tokens: i64,
}

impl AdaptiveModel {
    fn new(rates: AdaptiveRates) -> Self {
        AdaptiveModel {
            capacity: rates.capacity.into(),
            credit: rates.credit.into(),
            cost: rates.cost.into(),
            tokens: rates.capacity.into(),
        }
    }
}

impl Model for AdaptiveModel {
    fn start_call(&mut self, _: u64) -> bool {
        self.tokens = (self.tokens + self.credit).min(self.capacity);
        true
    }
    fn attempt_failed(&mut self, _: u64) {}
    fn try_spend(&mut self, _: u64) -> bool {
        if self.tokens > self.cost {
            self.tokens -= self.cost;
            true
        } else {
            false
        }
    }
    fn succeeded(&mut self, _: bool, _: u64) {}
    fn shown(&self, _: u64) -> i64 {
        self.tokens
    }
}

/// The retry breaker: a ratio of counts, as a real number.
struct BreakerModel {
    max_ratio: f64,
    /// The calls at which both counts are halved.
    window: u64,
    calls: u64,
    failures: u64,
}

impl Model for BreakerModel {
    fn start_call(&mut self, _: u64) -> bool {
        self.calls += 1;
        if self.calls >= self.window {
            self.calls /= 2;
            self.failures /= 2;
        }
        true
    }
    fn attempt_failed(&mut self, _: u64) {
        self.failures += 1;
    }
    fn try_spend(&mut self, _: u64) -> bool {
        // No failure, nothing to hold against a retry; failures with no call, no retry.
        self.failures == 0
            || (self.calls > 0 && self.failures as f64 / self.calls as f64 <= self.max_ratio)
    }
    fn succeeded(&mut self, _: bool, _: u64) {}
    fn shown(&self, _: u64) -> i64 {
        (self.calls * 1_000_000 + self.failures) as i64
    }
}

/// The circuit breaker as a state machine whose states are the documented ones.
#[derive(Clone, Copy, Debug)]
enum Circuit {
    Closed {
        in_a_row: u32,
        failed: u32,
        ended: u32,
    },
    Open {
        at: u64,
    },
    /// After the cool-down; `probe`: when the probe was let through, if it was.
    HalfOpen {
        probe: Option<u64>,
    },
}

struct CircuitModel {
    settings: CircuitSettings,
    state: Circuit,
}

const FRESH: Circuit = Circuit::Closed {
    in_a_row: 0,
    failed: 0,
    ended: 0,
};

impl CircuitModel {
    /// The state at `now`: an open breaker whose cool-down is over is half-open.
    fn at(&mut self, now: u64) -> Circuit {
        if let Circuit::Open { at } = self.state
            && now >= at + self.settings.cool_down_ms
        {
            self.state = Circuit::HalfOpen { probe: None };
        }
        self.state
    }

    fn opens(&self, in_a_row: u32, failed: u32, ended: u32) -> bool {
        let s = self.settings;
        let by_run = s.consecutive_failures != 0 && in_a_row >= s.consecutive_failures;
        let by_ratio = s.failure_ratio != 0
            && ended >= s.min_attempts
            && failed as f64 / ended as f64 >= s.failure_ratio as f64 / 1000.0;
        by_run || by_ratio
    }
}

impl Model for CircuitModel {
    fn start_call(&mut self, now: u64) -> bool {
        match self.at(now) {
            Circuit::Closed { .. } => true,
            Circuit::Open { .. } => false,
            Circuit::HalfOpen { probe: None } => {
                self.state = Circuit::HalfOpen { probe: Some(now) };
                true
            }
            Circuit::HalfOpen { probe: Some(at) } => {
                // A probe that has not reported for a whole cool-down is given up.
                if now >= at + self.settings.cool_down_ms {
                    self.state = Circuit::HalfOpen { probe: Some(now) };
                    true
                } else {
                    false
                }
            }
        }
    }
    fn attempt_failed(&mut self, now: u64) {
        match self.at(now) {
            Circuit::Closed {
                in_a_row,
                failed,
                ended,
            } => {
                let (in_a_row, failed, ended) = (in_a_row + 1, failed + 1, ended + 1);
                self.state = if self.opens(in_a_row, failed, ended) {
                    Circuit::Open { at: now }
                } else {
                    Circuit::Closed {
                        in_a_row,
                        failed,
                        ended,
                    }
                };
            }
            Circuit::HalfOpen { probe: Some(_) } => self.state = Circuit::Open { at: now },
            Circuit::Open { .. } | Circuit::HalfOpen { probe: None } => {}
        }
    }
    fn attempt_not_retryable(&mut self, now: u64) {
        // The peer answered: as a success.
        self.succeeded(false, now);
    }
    fn try_spend(&mut self, now: u64) -> bool {
        matches!(self.at(now), Circuit::Closed { .. })
    }
    fn start_retry(&mut self, now: u64) -> bool {
        // Only while closed: a retry never becomes the probe.
        matches!(self.at(now), Circuit::Closed { .. })
    }
    fn succeeded(&mut self, _: bool, now: u64) {
        match self.at(now) {
            Circuit::Closed { failed, ended, .. } => {
                self.state = Circuit::Closed {
                    in_a_row: 0,
                    failed,
                    ended: ended + 1,
                }
            }
            Circuit::HalfOpen { probe: Some(_) } => self.state = FRESH,
            Circuit::Open { .. } | Circuit::HalfOpen { probe: None } => {}
        }
    }
    fn shown(&self, now: u64) -> i64 {
        match self.state {
            Circuit::Closed { .. } => 0,
            Circuit::Open { at } if now < at + self.settings.cool_down_ms => 1,
            Circuit::Open { .. } | Circuit::HalfOpen { .. } => 2,
        }
    }
}

fn circuit_shown(state: CircuitState) -> i64 {
    match state {
        CircuitState::Closed => 0,
        CircuitState::Open => 1,
        CircuitState::HalfOpen => 2,
    }
}

// ---------------------------------------------------------------------------------------------
// Event by event.

#[derive(Clone, Copy, Debug)]
enum Event {
    StartCall,
    AttemptFailed,
    AttemptNotRetryable,
    TrySpend,
    StartRetry,
    Succeeded { after_retry: bool },
    Advance(u64),
}

fn events() -> impl Strategy<Value = Vec<Event>> {
    let event = prop_oneof![
        3 => Just(Event::StartCall),
        4 => Just(Event::AttemptFailed),
        1 => Just(Event::AttemptNotRetryable),
        3 => Just(Event::TrySpend),
        2 => Just(Event::StartRetry),
        2 => any::<bool>().prop_map(|after_retry| Event::Succeeded { after_retry }),
        2 => prop_oneof![0u64..=10, 0u64..=3_000].prop_map(Event::Advance),
    ];
    prop::collection::vec(event, 0..200)
}

/// Replays `events` on `budget` through the trait (as the engine sees it) and on `model`,
/// comparing every answer and, after every event, what each shows of itself.
fn replay<B: RetryBudget<Error>>(
    budget: &B,
    shown: impl Fn() -> i64,
    model: &mut dyn Model,
    clock: &MockClock<0>,
    events: &[Event],
) -> Result<(), TestCaseError> {
    for (i, event) in events.iter().enumerate() {
        let now = clock.now_ms();
        match *event {
            Event::StartCall => {
                let expected = if model.start_call(now) {
                    Ok(())
                } else {
                    Err(Error::PeerDown)
                };
                prop_assert_eq!(budget.start_call(), expected, "event {}", i);
            }
            Event::AttemptFailed => {
                budget.attempt_failed();
                model.attempt_failed(now);
            }
            Event::AttemptNotRetryable => {
                budget.attempt_not_retryable();
                model.attempt_not_retryable(now);
            }
            Event::TrySpend => {
                prop_assert_eq!(budget.try_spend(), model.try_spend(now), "event {}", i);
            }
            Event::StartRetry => {
                let expected = if model.start_retry(now) {
                    Ok(())
                } else {
                    Err(Error::PeerDown)
                };
                prop_assert_eq!(budget.start_retry(), expected, "event {}", i);
            }
            Event::Succeeded { after_retry } => {
                budget.succeeded(after_retry);
                model.succeeded(after_retry, now);
            }
            Event::Advance(ms) => clock.advance(ms),
        }
        prop_assert_eq!(shown(), model.shown(clock.now_ms()), "after event {}", i);
    }
    Ok(())
}

fn bucket_rates() -> impl Strategy<Value = BucketRates> {
    (0u32..=60, 0u32..=12, 0u32..=6).prop_map(|(capacity, cost, refill)| BucketRates {
        capacity,
        cost,
        refill,
    })
}

fn throttle_rates() -> impl Strategy<Value = ThrottleRates> {
    (0u32..=20, prop_oneof![0u32..=1_000, 0u32..=3_000]).prop_map(|(max_tokens, token_ratio)| {
        ThrottleRates {
            max_tokens,
            token_ratio,
        }
    })
}

fn adaptive_rates() -> impl Strategy<Value = AdaptiveRates> {
    prop_oneof![
        Just(AdaptiveRates::DEFAULT),
        (0u32..=8_000, 0u32..=1_500, 0u32..=3_000).prop_map(|(capacity, credit, cost)| {
            AdaptiveRates {
                capacity,
                credit,
                cost,
            }
        }),
    ]
}

fn breaker_ratio() -> impl Strategy<Value = u32> {
    prop_oneof![Just(RetryBreaker::DEFAULT_RATIO), 0u32..=1_500]
}

fn circuit_settings() -> impl Strategy<Value = CircuitSettings> {
    (
        0u32..=6,
        prop_oneof![Just(0u32), 0u32..=1_000],
        0u32..=12,
        prop_oneof![Just(0u64), 0u64..=5_000],
    )
        .prop_map(
            |(consecutive_failures, failure_ratio, min_attempts, cool_down_ms)| CircuitSettings {
                consecutive_failures,
                failure_ratio,
                min_attempts,
                cool_down_ms,
            },
        )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_token_bucket_keeps_its_rules(rates in bucket_rates(), events in events()) {
        let clock = MockClock::new();
        let local = TokenBucket::new(rates);
        replay(&local, || local.tokens().into(), &mut BucketModel::new(rates), &clock, &events)?;
        let shared = TokenBucket::new_shared(rates);
        replay(&shared, || shared.tokens().into(), &mut BucketModel::new(rates), &clock, &events)?;
    }

    #[test]
    fn the_grpc_throttle_keeps_its_rules(rates in throttle_rates(), events in events()) {
        let clock = MockClock::new();
        let local = GrpcThrottle::new(rates);
        replay(&local, || local.tokens_milli().into(), &mut GrpcModel::new(rates), &clock, &events)?;
        let shared = GrpcThrottle::new_shared(rates);
        replay(&shared, || shared.tokens_milli().into(), &mut GrpcModel::new(rates), &clock, &events)?;
    }

    #[test]
    fn the_adaptive_bucket_keeps_its_rules(rates in adaptive_rates(), events in events()) {
        let clock = MockClock::new();
        let local = AdaptiveBucket::new(rates);
        replay(&local, || local.tokens_milli().into(), &mut AdaptiveModel::new(rates), &clock, &events)?;
        let shared = AdaptiveBucket::new_shared(rates);
        replay(&shared, || shared.tokens_milli().into(), &mut AdaptiveModel::new(rates), &clock, &events)?;
    }

    #[test]
    fn the_retry_breaker_keeps_its_rules(
        ratio in breaker_ratio(),
        window in prop::option::of(0u32..=12),
        events in events(),
    ) {
        let clock = MockClock::new();
        let model = || BreakerModel {
            max_ratio: f64::from(ratio) / 1000.0,
            // A window below 2 is taken as 2; none halves at `u32::MAX`, which no test reaches.
            window: window.map_or(u64::from(u32::MAX), |w| u64::from(w.max(2))),
            calls: 0,
            failures: 0,
        };
        let window = window.unwrap_or(u32::MAX);
        let local = RetryBreaker::new(ratio).window(window);
        let counts = |calls: u32, failures: u32| i64::from(calls) * 1_000_000 + i64::from(failures);
        replay(&local, || counts(local.calls(), local.failures()), &mut model(), &clock, &events)?;
        let shared = RetryBreaker::new_shared(ratio).window(window);
        replay(&shared, || counts(shared.calls(), shared.failures()), &mut model(), &clock, &events)?;
    }

    #[test]
    fn the_circuit_breaker_keeps_its_rules(settings in circuit_settings(), events in events()) {
        let clock = MockClock::new();
        let breaker = CircuitBreaker::new(&clock, settings);
        let mut model = CircuitModel { settings, state: FRESH };
        replay(&breaker, || circuit_shown(breaker.state()), &mut model, &clock, &events)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Whole runs through the engine.

/// How an attempt of a script ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ends {
    Succeeds,
    Fails,
    /// With an error the predicate does not retry.
    FailsFatally,
}

/// One call's attempts, in order: each takes `ms` on the clock and ends as it says. Attempts
/// past the end succeed at once.
type Script = Vec<(Ends, u64)>;

fn scripts() -> impl Strategy<Value = Vec<Script>> {
    let attempt = (
        prop_oneof![3 => Just(Ends::Succeeds), 8 => Just(Ends::Fails), 1 => Just(Ends::FailsFatally)],
        prop_oneof![Just(0u64), 0u64..=2_000],
    );
    prop::collection::vec(prop::collection::vec(attempt, 0..6), 0..40)
}

fn attempt_of(script: &Script, attempt: usize) -> (Ends, u64) {
    script.get(attempt).copied().unwrap_or((Ends::Succeeds, 0))
}

/// What a call ended with: why, how many attempts, and its result.
type Ended = (StopReason, u32, Result<u32, Error>);

fn ended(outcome: Outcome<u32, Error, 0>) -> Ended {
    (
        outcome.stop_reason(),
        outcome.total_attempts(),
        outcome.into_result(),
    )
}

/// The calls as the engine documents it asks a budget: `start_call`; after each failure the
/// predicate retries, `attempt_failed` and, if the attempts allow a retry, `try_spend`; after
/// one it refuses, `attempt_not_retryable`; after the success, `succeeded`. No sleep takes time
/// here (the base delay is 0).
fn predicted(model: &mut dyn Model, max_attempts: u32, scripts: &[Script]) -> Vec<Ended> {
    let mut now = 0;
    let mut calls = Vec::new();
    for script in scripts {
        if !model.start_call(now) {
            calls.push((StopReason::CircuitOpen, 0, Err(Error::PeerDown)));
            continue;
        }
        let mut attempt = 0;
        let end = loop {
            let (ends, ms) = attempt_of(script, attempt as usize);
            attempt += 1;
            now += ms;
            match ends {
                Ends::Succeeds => {
                    model.succeeded(attempt > 1, now);
                    break (StopReason::Succeeded, attempt, Ok(attempt));
                }
                Ends::FailsFatally => {
                    model.attempt_not_retryable(now);
                    break (
                        StopReason::NotRetryable,
                        attempt,
                        Err(Error::Fatal(attempt)),
                    );
                }
                Ends::Fails => model.attempt_failed(now),
            }
            let error = Err(Error::Failed(attempt));
            if attempt >= max_attempts {
                break (StopReason::AttemptsExhausted, attempt, error);
            }
            if !model.try_spend(now) {
                break (StopReason::RetryBudgetExhausted, attempt, error);
            }
        };
        calls.push(end);
    }
    calls
}

/// The engine's forms that sleep themselves: `Retry::call`, `call_async` and `call_future`.
#[derive(Clone, Copy, Debug)]
enum Form {
    Blocking,
    Async,
    Future,
    EventLoop,
}

const FORMS: [Form; 4] = [Form::Blocking, Form::Async, Form::Future, Form::EventLoop];

/// The calls through `form`, with `budget`, on `clock`.
fn through_engine<B: RetryBudget<Error>>(
    budget: B,
    clock: &MockClock<0>,
    max_attempts: u32,
    scripts: &[Script],
    form: Form,
) -> Vec<Ended> {
    let policy: Policy = Policy::builder()
        .max_attempts(max_attempts)
        .base_delay_ms(0)
        .jitter(Jitter::None)
        .build()
        .unwrap();
    let mut retry = Retry::without_jitter(policy)
        .unwrap()
        .when(retryable)
        .retry_budget(budget);
    scripts
        .iter()
        .map(|script| {
            let attempt = Cell::new(0);
            let op = || {
                let (ends, ms) = attempt_of(script, attempt.get() as usize);
                attempt.set(attempt.get() + 1);
                clock.advance(ms);
                match ends {
                    Ends::Succeeds => Ok(attempt.get()),
                    Ends::Fails => Err(Error::Failed(attempt.get())),
                    Ends::FailsFatally => Err(Error::Fatal(attempt.get())),
                }
            };
            let outcome = match form {
                Form::Blocking => retry.call(clock, op),
                Form::Async => block_on(retry.call_async(clock, async || op())),
                Form::Future => block_on(retry.call_future(clock, || std::future::ready(op()))),
                Form::EventLoop => by_event_loop(&mut retry, clock, op),
            };
            // A refused call made no attempt.
            if outcome.stop_reason() == StopReason::CircuitOpen {
                assert_eq!(attempt.get(), 0);
            }
            ended(outcome)
        })
        .collect()
}

/// One call driven as an event loop would drive it, step by step, sleeping through `delay`.
fn by_event_loop<P: RetryOn<Error>, B: RetryBudget<Error>, const N: usize>(
    retry: &mut Retry<NoRng, N, P, NoClock, NoHook, B>,
    mut delay: impl Delay,
    mut op: impl FnMut() -> Result<u32, Error>,
) -> Outcome<u32, Error, N> {
    if let Err(error) = retry.start_call() {
        return retry.start().finish(Err(error), StopReason::CircuitOpen);
    }
    let mut run = retry.start();
    loop {
        match op() {
            Ok(value) => {
                retry.succeeded(&mut run);
                return run.finish(Ok(value), StopReason::Succeeded);
            }
            Err(error) => match retry.failed(&mut run, error) {
                Step::Sleep(ms) => {
                    delay.delay_ms(ms);
                    if let Err(error) = retry.start_retry() {
                        return run.finish(Err(error), StopReason::CircuitOpen);
                    }
                }
                Step::Stop { reason, error } => return run.finish(Err(error), reason),
            },
        }
    }
}

/// Each form of the engine against the model, each on a fresh budget and clock.
fn engine_keeps_the_rules<'c, B: RetryBudget<Error>>(
    budget: impl Fn(&'c MockClock<0>) -> B,
    mut model: impl Model,
    max_attempts: u32,
    scripts: &[Script],
    clocks: &'c [MockClock<0>; 4],
) -> Result<(), TestCaseError> {
    let expected = predicted(&mut model, max_attempts, scripts);
    for (clock, form) in clocks.iter().zip(FORMS) {
        let calls = through_engine(budget(clock), clock, max_attempts, scripts, form);
        prop_assert_eq!(&calls, &expected, "{:?}", form);
    }
    Ok(())
}

fn clocks() -> [MockClock<0>; 4] {
    core::array::from_fn(|_| MockClock::new())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_engine_asks_the_token_bucket_as_documented(
        rates in bucket_rates(), max_attempts in 1u32..=6, scripts in scripts(),
    ) {
        engine_keeps_the_rules(|_| TokenBucket::new(rates), BucketModel::new(rates), max_attempts, &scripts, &clocks())?;
    }

    #[test]
    fn the_engine_asks_the_grpc_throttle_as_documented(
        rates in throttle_rates(), max_attempts in 1u32..=6, scripts in scripts(),
    ) {
        engine_keeps_the_rules(|_| GrpcThrottle::new(rates), GrpcModel::new(rates), max_attempts, &scripts, &clocks())?;
    }

    #[test]
    fn the_engine_asks_the_adaptive_bucket_as_documented(
        rates in adaptive_rates(), max_attempts in 1u32..=6, scripts in scripts(),
    ) {
        engine_keeps_the_rules(|_| AdaptiveBucket::new(rates), AdaptiveModel::new(rates), max_attempts, &scripts, &clocks())?;
    }

    #[test]
    fn the_engine_asks_the_retry_breaker_as_documented(
        ratio in breaker_ratio(),
        window in prop_oneof![Just(u32::MAX), 2u32..=8],
        max_attempts in 1u32..=6, scripts in scripts(),
    ) {
        let model = BreakerModel {
            max_ratio: f64::from(ratio) / 1000.0,
            window: u64::from(window),
            calls: 0,
            failures: 0,
        };
        let breaker = |_| RetryBreaker::new(ratio).window(window);
        engine_keeps_the_rules(breaker, model, max_attempts, &scripts, &clocks())?;
    }

    #[test]
    fn the_engine_asks_the_circuit_breaker_as_documented(
        settings in circuit_settings(), max_attempts in 1u32..=6, scripts in scripts(),
    ) {
        let model = CircuitModel { settings, state: FRESH };
        engine_keeps_the_rules(|clock| CircuitBreaker::new(clock, settings), model, max_attempts, &scripts, &clocks())?;
    }
}

// ---------------------------------------------------------------------------------------------
// A supervisor's run, which goes on after a success.

/// One attempt of a supervisor: whether it fails, and, after a success, whether the next
/// connection is a new call (the run reset, the budget told of the call).
fn supervisor_attempts() -> impl Strategy<Value = Vec<(bool, bool)>> {
    prop::collection::vec((prop::bool::weighted(0.6), prop::bool::ANY), 0..60)
}

/// The attempts through one event-loop run of a policy that retries forever, with the bucket
/// as its budget: the tokens after each attempt. A run the budget stops starts a new call.
fn supervised(rates: BucketRates, attempts: &[(bool, bool)]) -> Vec<i64> {
    const FOREVER: Policy<0> = Policy::builder()
        .retry_forever()
        .base_delay_ms(0)
        .jitter(Jitter::None)
        .build_or_panic();
    let bucket = TokenBucket::new(rates);
    let mut retry = Retry::without_jitter(FOREVER)
        .unwrap()
        .retry_budget(&bucket);
    retry.start_call::<Error>().unwrap();
    let mut run = retry.start();
    let mut tokens = Vec::new();
    for (i, &(fails, new_call)) in attempts.iter().enumerate() {
        let stopped = if fails {
            let number = u32::try_from(i).unwrap();
            matches!(
                retry.failed(&mut run, Error::Failed(number)),
                Step::Stop { .. }
            )
        } else {
            retry.succeeded(&mut run);
            false
        };
        if stopped || (!fails && new_call) {
            retry.start_call::<Error>().unwrap();
            retry.reset(&mut run);
        }
        tokens.push(i64::from(bucket.tokens()));
    }
    tokens
}

/// The same attempts as the budget's documentation tells it: a success is after a retry when
/// an attempt failed since the call started or last succeeded.
fn supervised_model(rates: BucketRates, attempts: &[(bool, bool)]) -> Vec<i64> {
    let mut model = BucketModel::new(rates);
    model.start_call(0);
    let mut failed_since = false;
    let mut tokens = Vec::new();
    for &(fails, new_call) in attempts {
        let stopped = if fails {
            model.attempt_failed(0);
            failed_since = true;
            !model.try_spend(0)
        } else {
            model.succeeded(failed_since, 0);
            failed_since = false;
            false
        };
        if stopped || (!fails && new_call) {
            model.start_call(0);
            failed_since = false;
        }
        tokens.push(model.shown(0));
    }
    tokens
}

proptest! {
    #![proptest_config(config())]

    /// A success at the first try of a reconnect, after an earlier success of the same run, earns
    /// the bucket's refill, not a retry's refund: only a failure since the last success makes it
    /// a success after a retry.
    #[test]
    fn a_supervisor_tells_the_bucket_of_retries_only_since_its_last_success(
        rates in bucket_rates(), attempts in supervisor_attempts(),
    ) {
        prop_assert_eq!(supervised(rates, &attempts), supervised_model(rates, &attempts));
    }
}

#[test]
fn a_first_try_success_after_a_success_earns_the_refill() {
    let rates = BucketRates {
        capacity: 100,
        cost: 5,
        refill: 1,
    };
    // Drained first, so that what comes back shows: 100 tokens are 20 retries of cost 5.
    let mut attempts = vec![(true, false); 20];
    // The 21st failure finds the bucket empty, and the run stops (a new call starts); then
    // three successes of the same run, each at its first try: a refill each.
    attempts.extend([
        (true, false),
        (false, false),
        (false, false),
        (false, false),
    ]);
    let tokens = supervised(rates, &attempts);
    assert_eq!(tokens[19..], [0, 0, 1, 2, 3]);
}

// ---------------------------------------------------------------------------------------------
// The breaker through the engine, case by case.

const FIVE: Policy<8> = Policy::builder()
    .max_attempts(5)
    .base_delay_ms(100)
    .jitter(Jitter::None)
    .build_or_panic();

/// Opens after 2 failed attempts in a row; a cool-down of 1 s.
fn two_strikes(clock: &MockClock<8>) -> CircuitBreaker<&MockClock<8>> {
    CircuitBreaker::new(
        clock,
        CircuitSettings {
            consecutive_failures: 2,
            failure_ratio: 0,
            min_attempts: 0,
            cool_down_ms: 1_000,
        },
    )
}

/// A retry with `budget`, a predicate (retrying all, unless set) and nothing else set.
type Plain<B, P = RetryAll> = Retry<NoRng, 8, P, NoClock, NoHook, B>;

/// `op` through `form`.
fn call<B: RetryBudget<Error>, P: RetryOn<Error>>(
    retry: &mut Plain<B, P>,
    clock: &MockClock<8>,
    form: Form,
    op: impl Fn() -> Result<u32, Error>,
) -> Outcome<u32, Error, 8> {
    match form {
        Form::Blocking => retry.call(clock, op),
        Form::Async => block_on(retry.call_async(clock, async || op())),
        Form::Future => block_on(retry.call_future(clock, || std::future::ready(op()))),
        Form::EventLoop => by_event_loop(retry, clock, op),
    }
}

#[test]
fn a_refused_call_ends_with_circuit_open_no_attempt_and_the_error_from_circuit_open() {
    for form in FORMS {
        let clock = MockClock::<8>::new();
        let breaker = two_strikes(&clock);
        let mut retry = Retry::without_jitter(FIVE).unwrap().retry_budget(&breaker);
        let calls = Cell::new(0);
        let failing = || {
            calls.set(calls.get() + 1);
            Err::<u32, _>(Error::Failed(calls.get()))
        };
        // Two failed attempts open it: the second is not retried.
        let opened = call(&mut retry, &clock, form, failing);
        assert_eq!(opened.stop_reason(), StopReason::RetryBudgetExhausted);
        assert_eq!(opened.total_attempts(), 2);
        assert_eq!(breaker.state(), CircuitState::Open);
        // Refused: no attempt, no sleep, nothing logged, the error made from `CircuitOpen`.
        let slept = clock.sleep_count();
        let refused = call(&mut retry, &clock, form, failing);
        assert_eq!(refused.stop_reason(), StopReason::CircuitOpen);
        assert_eq!(refused.stop_reason().name(), "circuit_open");
        assert_eq!(refused.total_attempts(), 0);
        assert!(refused.log().is_empty());
        assert_eq!(refused.total_delay_ms(), 0);
        assert_eq!(refused.into_result(), Err(Error::PeerDown));
        assert_eq!(calls.get(), 2);
        assert_eq!(clock.sleep_count(), slept);
    }
}

/// Sleeps on the clock and, meanwhile, fails two attempts of another call that shares the
/// breaker (as another task of the same executor would), which opens it.
struct OtherCallFails<'a> {
    clock: &'a MockClock<8>,
    breaker: &'a CircuitBreaker<&'a MockClock<8>>,
}

impl OtherCallFails<'_> {
    fn meanwhile(&self, ms: u32) {
        self.breaker.attempt_failed();
        self.breaker.attempt_failed();
        self.clock.advance(u64::from(ms));
    }
}

impl Delay for OtherCallFails<'_> {
    fn delay_ms(&mut self, ms: u32) {
        self.meanwhile(ms);
    }
}

impl embedded_hal_async::delay::DelayNs for OtherCallFails<'_> {
    async fn delay_ns(&mut self, ns: u32) {
        self.meanwhile(ns.div_ceil(1_000_000));
    }
    async fn delay_ms(&mut self, ms: u32) {
        self.meanwhile(ms);
    }
}

#[test]
fn a_retry_is_not_made_once_the_breaker_opened_during_its_sleep() {
    for form in FORMS {
        let clock = MockClock::<8>::new();
        let breaker = two_strikes(&clock);
        let mut retry = Retry::without_jitter(FIVE).unwrap().retry_budget(&breaker);
        let calls = Cell::new(0);
        let failing = || {
            calls.set(calls.get() + 1);
            Err::<u32, _>(Error::Failed(calls.get()))
        };
        let mut delay = OtherCallFails {
            clock: &clock,
            breaker: &breaker,
        };
        let outcome = match form {
            Form::Blocking => retry.call(&mut delay, failing),
            Form::Async => block_on(retry.call_async(&mut delay, async || failing())),
            Form::Future => {
                block_on(retry.call_future(&mut delay, || std::future::ready(failing())))
            }
            Form::EventLoop => by_event_loop(&mut retry, &mut delay, failing),
        };
        // The first attempt failed with the breaker closed, and its retry was allowed; while it
        // slept the other call opened the breaker, so the retry was not made.
        assert_eq!(calls.get(), 1, "{form:?}");
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(outcome.stop_reason(), StopReason::CircuitOpen);
        assert_eq!(outcome.total_attempts(), 1);
        assert_eq!(outcome.total_delay_ms(), 100);
        let record = outcome.log().last().unwrap();
        assert_eq!(
            (record.number, record.error(), record.slept_ms()),
            (1, Some(&Error::Failed(1)), Some(100))
        );
        assert_eq!(outcome.into_result(), Err(Error::PeerDown));
    }
}

#[test]
fn an_event_loop_asks_before_a_retry_and_a_retry_never_becomes_the_probe() {
    let clock = MockClock::<8>::new();
    let breaker = two_strikes(&clock);
    let mut retry = Retry::without_jitter(FIVE).unwrap().retry_budget(&breaker);
    retry.start_call::<Error>().unwrap();
    let mut run: Run<Error, 8> = retry.start();
    assert_eq!(retry.failed(&mut run, Error::Failed(1)), Step::Sleep(100));
    assert_eq!(retry.start_retry::<Error>(), Ok(()));

    // Another call's two failures open it while this run sleeps: its retry is refused.
    breaker.attempt_failed();
    breaker.attempt_failed();
    clock.advance(100);
    assert_eq!(retry.start_retry::<Error>(), Err(Error::PeerDown));
    let outcome = run.finish::<u32>(Err(Error::PeerDown), StopReason::CircuitOpen);
    assert_eq!(outcome.total_attempts(), 1);

    // After the cool-down a call is let through as the probe, but no retry is, until the
    // probe's success closes the breaker.
    clock.advance(1_000);
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    assert_eq!(retry.start_retry::<Error>(), Err(Error::PeerDown));
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    assert_eq!(retry.start_call::<Error>(), Ok(()));
    assert_eq!(retry.start_retry::<Error>(), Err(Error::PeerDown));
    let mut probe: Run<Error, 8> = retry.start();
    retry.succeeded(&mut probe);
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(retry.start_retry::<Error>(), Ok(()));

    // Without a budget, and with a budget that never refuses, a retry is always made.
    let plain = Retry::without_jitter(FIVE).unwrap();
    assert_eq!(plain.start_retry::<Error>(), Ok(()));
    let bucket = TokenBucket::new(BucketRates {
        capacity: 0,
        cost: 5,
        refill: 0,
    });
    assert_eq!(
        Retry::without_jitter(FIVE)
            .unwrap()
            .retry_budget(&bucket)
            .start_retry::<Error>(),
        Ok(())
    );
}

#[cfg(feature = "std")]
#[test]
fn a_refused_io_call_ends_with_an_io_error_holding_circuit_open() {
    let clock = MockClock::<8>::new();
    let breaker = two_strikes(&clock);
    let mut retry = Retry::without_jitter(FIVE).unwrap().retry_budget(&breaker);
    let refused = || std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    retry.call(&clock, || Err::<(), _>(refused()));
    let outcome = retry.call(&clock, || Err::<(), _>(refused()));
    assert_eq!(outcome.stop_reason(), StopReason::CircuitOpen);
    let error = outcome.into_result().unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::Other);
    assert!(error.get_ref().unwrap().is::<CircuitOpen>());
    assert_eq!(
        CircuitOpen.to_string(),
        "the circuit is open: the call was not made"
    );
}

#[test]
fn half_open_lets_one_probe_through_without_retries() {
    let clock = MockClock::<8>::new();
    let breaker = two_strikes(&clock);
    let mut retry = Retry::without_jitter(FIVE).unwrap().retry_budget(&breaker);
    retry.call(&clock, || Err::<u32, _>(Error::Failed(0)));
    assert_eq!(breaker.state(), CircuitState::Open);

    // Not yet: 1 ms short of the cool-down.
    clock.advance(999);
    assert_eq!(breaker.state(), CircuitState::Open);
    let early = retry.call(&clock, || Ok::<u32, Error>(1));
    assert_eq!(early.stop_reason(), StopReason::CircuitOpen);

    // The probe fails: one attempt only, no retry while half-open, and open again.
    clock.advance(1);
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    let probe = retry.call(&clock, || Err::<u32, _>(Error::Failed(1)));
    assert_eq!(probe.stop_reason(), StopReason::RetryBudgetExhausted);
    assert_eq!(probe.total_attempts(), 1);
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(
        retry.call(&clock, || Ok::<u32, Error>(1)).stop_reason(),
        StopReason::CircuitOpen
    );

    // Another cool-down, another probe; it succeeds, and the breaker closes with its count of
    // failures reset: one failure no longer opens it, and retries are back.
    clock.advance(1_000);
    assert!(retry.call(&clock, || Ok::<u32, Error>(2)).is_success());
    assert_eq!(breaker.state(), CircuitState::Closed);
    let mut tries = 0;
    let retried = retry.call(&clock, || {
        tries += 1;
        if tries < 2 {
            Err(Error::Failed(tries))
        } else {
            Ok(tries)
        }
    });
    assert_eq!(retried.into_result(), Ok(2));
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[test]
fn while_the_probe_is_out_other_calls_are_refused() {
    // An event loop with two connections sharing one breaker.
    let clock = MockClock::<8>::new();
    let breaker = two_strikes(&clock);
    let mut retry = Retry::without_jitter(FIVE).unwrap().retry_budget(&breaker);
    for _ in 0..2 {
        breaker.attempt_failed();
    }
    assert_eq!(breaker.state(), CircuitState::Open);
    clock.advance(1_000);

    retry.start_call::<Error>().unwrap();
    let mut probe: Run<Error, 8> = retry.start();
    assert_eq!(retry.start_call::<Error>(), Err(Error::PeerDown));
    // The probe succeeds: the other connection may go.
    retry.succeeded(&mut probe);
    assert_eq!(retry.start_call::<Error>(), Ok(()));

    // A probe that never reports is given up after a cool-down.
    for _ in 0..2 {
        breaker.attempt_failed();
    }
    clock.advance(1_000);
    assert_eq!(retry.start_call::<Error>(), Ok(()));
    clock.advance(999);
    assert_eq!(retry.start_call::<Error>(), Err(Error::PeerDown));
    clock.advance(1);
    assert_eq!(retry.start_call::<Error>(), Ok(()));
    let mut run: Run<Error, 8> = retry.start();
    assert!(matches!(
        retry.failed(&mut run, Error::Failed(1)),
        Step::Stop {
            reason: StopReason::RetryBudgetExhausted,
            ..
        }
    ));
    assert_eq!(breaker.state(), CircuitState::Open);
}

#[test]
fn a_failure_ratio_opens_the_breaker_once_enough_attempts_have_ended() {
    let clock = MockClock::<8>::new();
    let breaker = CircuitBreaker::new(
        &clock,
        CircuitSettings {
            consecutive_failures: 0,
            failure_ratio: 500,
            min_attempts: 4,
            cool_down_ms: 10,
        },
    );
    let mut retry = Retry::without_jitter(FIVE).unwrap().retry_budget(&breaker);
    // Fail, succeed (2 ended, 1 failed: too few to count).
    let mut tries = 0;
    let first = retry.call(&clock, || {
        tries += 1;
        if tries == 1 {
            Err(Error::Failed(1))
        } else {
            Ok(tries)
        }
    });
    assert!(first.is_success());
    assert!(retry.call(&clock, || Ok::<u32, Error>(0)).is_success());
    assert_eq!(breaker.state(), CircuitState::Closed);
    // 4 ended, 2 failed: half, and it opens at once, so the attempt is not retried.
    let opening = retry.call(&clock, || Err::<u32, _>(Error::Failed(0)));
    assert_eq!(opening.total_attempts(), 1);
    assert_eq!(opening.stop_reason(), StopReason::RetryBudgetExhausted);
    assert_eq!(breaker.state(), CircuitState::Open);
}

#[test]
fn a_budget_refuses_retries_alike_in_every_form() {
    // A retry breaker at 10 %: 9 calls succeed; the 10th fails, and 1 failure in 10 calls is
    // retried, but not 2; the 11th fails, and 3 in 11 is not retried either; the 12th succeeds.
    let fails = |call: u32| call == 10 || call == 11;
    // `None` is the event loop.
    let forms = |form: Option<Form>| {
        let breaker = RetryBreaker::default();
        let clock = MockClock::<8>::new();
        let mut retry = Retry::without_jitter(FIVE).unwrap().retry_budget(&breaker);
        let mut attempts = Vec::new();
        for call in 1..=12 {
            let result = || {
                if fails(call) {
                    Err(Error::Failed(call))
                } else {
                    Ok(call)
                }
            };
            let outcome = match form {
                Some(form) => self::call(&mut retry, &clock, form, result),
                None => {
                    retry.start_call::<Error>().unwrap();
                    let mut run = retry.start();
                    loop {
                        match result() {
                            Ok(value) => {
                                retry.succeeded(&mut run);
                                break run.finish(Ok(value), StopReason::Succeeded);
                            }
                            Err(error) => match retry.failed(&mut run, error) {
                                Step::Sleep(_) => {
                                    if let Err(error) = retry.start_retry() {
                                        break run.finish(Err(error), StopReason::CircuitOpen);
                                    }
                                }
                                Step::Stop { reason, error } => {
                                    break run.finish(Err(error), reason);
                                }
                            },
                        }
                    }
                }
            };
            attempts.push((outcome.total_attempts(), outcome.stop_reason()));
        }
        (attempts, breaker.calls(), breaker.failures())
    };
    let blocking = forms(Some(Form::Blocking));
    let mut expected = vec![(1, StopReason::Succeeded); 12];
    expected[9] = (2, StopReason::RetryBudgetExhausted);
    expected[10] = (1, StopReason::RetryBudgetExhausted);
    assert_eq!(blocking.0, expected);
    assert_eq!((blocking.1, blocking.2), (12, 3));
    assert_eq!(forms(Some(Form::Async)), blocking);
    assert_eq!(forms(Some(Form::Future)), blocking);
    assert_eq!(forms(None), blocking);
}

#[test]
fn the_adaptive_bucket_earns_at_the_start_of_a_call_not_at_its_success() {
    let bucket = AdaptiveBucket::new(AdaptiveRates {
        capacity: 5_000,
        credit: 100,
        cost: 1_000,
    });
    let clock = MockClock::<8>::new();
    let mut retry = Retry::without_jitter(FIVE).unwrap().retry_budget(&bucket);
    // A failing call: 4 retries leave 1 token (not more than 1: no fifth would be allowed).
    let outcome = retry.call(&clock, || Err::<(), _>(Error::Failed(0)));
    assert_eq!(outcome.total_attempts(), 5);
    assert_eq!(bucket.tokens_milli(), 1_000);
    // A call that succeeds at once earns its credit as it starts, and nothing for the success.
    assert!(retry.call(&clock, || Ok::<_, Error>(())).is_success());
    assert_eq!(bucket.tokens_milli(), 1_100);
    // The next call earns 0.1 more as it starts: one retry is allowed, and 0.2 is left.
    let outcome = retry.call(&clock, || Err::<(), _>(Error::Failed(0)));
    assert_eq!(outcome.total_attempts(), 2);
    assert_eq!(outcome.stop_reason(), StopReason::RetryBudgetExhausted);
    assert_eq!(bucket.tokens_milli(), 200);
    assert_eq!(
        *outcome.log().last().unwrap().outcome,
        AttemptOutcome::Stopped {
            reason: StopReason::RetryBudgetExhausted
        }
    );
}

/// A probe answered with an error the predicate refuses (a 404: the peer is up) closes the
/// breaker, in every form: left uncounted, it would keep the breaker half-open, refusing every
/// call, for another cool-down.
#[test]
fn a_probe_answered_with_an_error_not_retried_closes_the_breaker() {
    for form in FORMS {
        let clock = MockClock::<8>::new();
        let breaker = two_strikes(&clock);
        let mut retry = Retry::without_jitter(FIVE)
            .unwrap()
            .when(retryable)
            .retry_budget(&breaker);
        call(&mut retry, &clock, form, || Err(Error::Failed(0)));
        assert_eq!(breaker.state(), CircuitState::Open);
        clock.advance(1_000);
        let probe = call(&mut retry, &clock, form, || Err(Error::Fatal(1)));
        assert_eq!(probe.stop_reason(), StopReason::NotRetryable);
        assert_eq!(breaker.state(), CircuitState::Closed, "{form:?}");
        assert!(call(&mut retry, &clock, form, || Ok(2)).is_success());
        // And while closed, a fatal error ends a run of failures as a success does: one more
        // failure does not open it.
        call(&mut retry, &clock, form, || Err(Error::Fatal(3)));
        let calls = Cell::new(0);
        let once = call(&mut retry, &clock, form, || {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                Err(Error::Failed(4))
            } else {
                Err(Error::Fatal(5))
            }
        });
        assert_eq!(once.stop_reason(), StopReason::NotRetryable);
        assert_eq!(breaker.state(), CircuitState::Closed, "{form:?}");
    }
}

/// A timed-out attempt had no answer from the peer: a failure for the breaker even when the
/// predicate refuses the timeout's error, in the event loop and in `call_async`.
#[test]
fn a_timeout_the_predicate_refuses_still_counts_as_a_failure() {
    for event_loop in [true, false] {
        let clock = MockClock::<8>::new();
        let breaker = two_strikes(&clock);
        let mut retry = Retry::without_jitter(FIVE)
            .unwrap()
            .when(retryable)
            .retry_budget(&breaker)
            .attempt_timeout_ms(50);
        if event_loop {
            // Two refused timeouts in a row open the breaker.
            for _ in 0..2 {
                retry.start_call::<Error>().unwrap();
                let mut run = retry.start();
                let step = retry.timed_out(&mut run);
                assert!(matches!(
                    step,
                    Step::Stop {
                        reason: StopReason::NotRetryable,
                        ..
                    }
                ));
            }
            assert_eq!(breaker.state(), CircuitState::Open);
            // A probe that times out opens it again rather than closing it.
            clock.advance(1_000);
            retry.start_call::<Error>().unwrap();
            let mut run = retry.start();
            retry.timed_out(&mut run);
        } else {
            // An attempt that never answers is cut off; two such calls open the breaker.
            for _ in 0..2 {
                let outcome = block_on(retry.call_async(&clock, async || {
                    std::future::pending::<()>().await;
                    Ok::<u32, Error>(0)
                }));
                assert_eq!(outcome.stop_reason(), StopReason::NotRetryable);
            }
        }
        assert_eq!(
            breaker.state(),
            CircuitState::Open,
            "event loop: {event_loop}"
        );
    }
}

/// As in gRPC's clients, only a failure whose error is retried takes a token.
#[test]
fn the_grpc_throttle_takes_no_token_for_an_error_not_retried() {
    let throttle = GrpcThrottle::new(ThrottleRates {
        max_tokens: 4,
        token_ratio: 500,
    });
    let clock = MockClock::<8>::new();
    let mut retry = Retry::without_jitter(FIVE)
        .unwrap()
        .when(retryable)
        .retry_budget(&throttle);
    for _ in 0..10 {
        let outcome = retry.call(&clock, || Err::<(), _>(Error::Fatal(0)));
        assert_eq!(outcome.stop_reason(), StopReason::NotRetryable);
    }
    assert_eq!(throttle.tokens_milli(), 4_000);
    // A retried failure, then a fatal one: one token.
    let mut tries = 0;
    retry.call(&clock, || {
        tries += 1;
        Err::<(), _>(if tries == 1 {
            Error::Failed(1)
        } else {
            Error::Fatal(2)
        })
    });
    assert_eq!(throttle.tokens_milli(), 3_000);
}

#[test]
fn a_hint_above_the_cap_that_stops_the_run_is_charged_as_a_failure() {
    // gRPC's pushback that says not to retry counts as a failure; here, a hint past the cap
    // with `HintAboveCap::Stop`.
    let throttle = GrpcThrottle::new(ThrottleRates {
        max_tokens: 10,
        token_ratio: 500,
    });
    let policy = Policy::<8>::builder()
        .max_attempts(5)
        .base_delay_ms(100)
        .max_delay_ms(1_000)
        .jitter(Jitter::None)
        .hint_above_cap(HintAboveCap::Stop)
        .build()
        .unwrap();
    let mut retry = Retry::without_jitter(policy)
        .unwrap()
        .when(|_: &Error| Decision::RetryAfter(60_000))
        .retry_budget(&throttle);
    let outcome = retry.call(MockClock::<8>::new(), || Err::<(), _>(Error::Failed(0)));
    assert_eq!(outcome.stop_reason(), StopReason::HintAboveCap);
    assert_eq!(outcome.total_attempts(), 1);
    assert_eq!(throttle.tokens_milli(), 9_000);
}

#[test]
fn the_grpc_throttle_charges_each_retried_failure_and_refuses_at_half() {
    let throttle = GrpcThrottle::new(ThrottleRates {
        max_tokens: 4,
        token_ratio: 500,
    });
    let clock = MockClock::<8>::new();
    let mut retry = Retry::without_jitter(FIVE).unwrap().retry_budget(&throttle);
    // 4 tokens: a failure leaves 3 (> 2, retry), another 2 (not > 2: stop).
    let outcome = retry.call(&clock, || Err::<(), _>(Error::Failed(0)));
    assert_eq!(outcome.total_attempts(), 2);
    assert_eq!(outcome.stop_reason(), StopReason::RetryBudgetExhausted);
    assert_eq!(throttle.tokens_milli(), 2_000);
    // A success adds half a token, and a retry is allowed again.
    assert!(retry.call(&clock, || Ok::<_, Error>(())).is_success());
    assert_eq!(throttle.tokens_milli(), 2_500);
    assert!(throttle.try_spend());
}

#[test]
fn each_strategy_reports_the_settings_it_was_made_with() {
    use embedded_retry::RetryBreaker;
    assert_eq!(RetryBreaker::new(250).max_failure_ratio(), 250);
    assert_eq!(
        RetryBreaker::default().max_failure_ratio(),
        RetryBreaker::DEFAULT_RATIO
    );
    #[cfg(target_has_atomic = "32")]
    assert_eq!(
        embedded_retry::SharedRetryBreaker::new_shared(7).max_failure_ratio(),
        7
    );
}

/// A budget held in an `Arc` is the budget itself: every call and answer goes through.
#[cfg(feature = "std")]
#[test]
fn a_budget_in_an_arc_forwards_every_call_and_answer() {
    use std::sync::{Arc, Mutex};

    /// Records each call, and answers what no default would.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<&'static str>>);
    impl RetryBudget<u32> for Recorder {
        fn start_call(&self) -> Result<(), u32> {
            self.0.lock().unwrap().push("start_call");
            Err(7)
        }
        fn attempt_failed(&self) {
            self.0.lock().unwrap().push("attempt_failed");
        }
        fn attempt_not_retryable(&self) {
            self.0.lock().unwrap().push("attempt_not_retryable");
        }
        fn try_spend(&self) -> bool {
            let mut calls = self.0.lock().unwrap();
            calls.push("try_spend");
            calls.len().is_multiple_of(2)
        }
        fn start_retry(&self) -> Result<(), u32> {
            self.0.lock().unwrap().push("start_retry");
            Err(9)
        }
        fn succeeded(&self, after_retry: bool) {
            self.0.lock().unwrap().push(if after_retry {
                "succeeded after retry"
            } else {
                "succeeded"
            });
        }
    }

    let budget = Arc::new(Recorder::default());
    let held: &dyn RetryBudget<u32> = &Arc::clone(&budget);
    assert_eq!(held.start_call(), Err(7));
    held.attempt_failed();
    assert!(!held.try_spend());
    assert!(held.try_spend());
    assert_eq!(held.start_retry(), Err(9));
    held.attempt_not_retryable();
    held.succeeded(true);
    held.succeeded(false);
    assert_eq!(
        *budget.0.lock().unwrap(),
        [
            "start_call",
            "attempt_failed",
            "try_spend",
            "try_spend",
            "start_retry",
            "attempt_not_retryable",
            "succeeded after retry",
            "succeeded"
        ]
    );
}
