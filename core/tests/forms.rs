//! The log window, unlimited runs, and the forms of a run (blocking, the two async drivers, the
//! event loop) over random sequences of results: they keep the same rules, so they give the same
//! outcomes.

mod common;
use common::block_on;

use std::cell::RefCell;

use embedded_retry::{
    AttemptOutcome, BeforeSleep, BucketRates, Clock, Decision, Delay, HintAboveCap, Jitter,
    MockClock, Outcome, Policy, Retry, RetryBudget, RetryOn, Run, Step, StopReason, TokenBucket,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

fn config() -> Config {
    Config {
        cases: 256,
        rng_seed: RngSeed::Fixed(0xf0_75),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A result code per call: 0 succeeds, 1..=200 fail and retry, 201..=240 fail with a hint of
/// that many milliseconds, 241.. fail for good. Past the end of the codes, calls succeed, so
/// that a run without an attempt limit ends.
fn result_of(codes: &[u8], call: usize) -> Result<usize, u8> {
    match codes.get(call).copied().unwrap_or(0) {
        0 => Ok(call + 1),
        code => Err(code),
    }
}

fn decide(code: &u8) -> Decision {
    match code {
        1..=200 => Decision::Retry,
        201..=240 => Decision::RetryAfter(u32::from(*code)),
        _ => Decision::Stop,
    }
}

fn policy<const N: usize>(attempts: Option<u32>, jitter: Jitter, budget: Option<u64>) -> Policy<N> {
    let mut builder = Policy::builder()
        .base_delay_ms(10)
        .max_delay_ms(400)
        .jitter(jitter)
        .hint_above_cap(embedded_retry::HintAboveCap::Honour);
    builder = match attempts {
        Some(n) => builder.max_attempts(n),
        None => builder.retry_forever(),
    };
    if let Some(ms) = budget {
        builder = builder.delay_budget_ms(ms);
    }
    builder.build().unwrap()
}

type Rules<const N: usize> = Retry<XorShiftRng, N, fn(&u8) -> Decision>;

fn rules<const N: usize>(policy: Policy<N>, seed: u64) -> Rules<N> {
    Retry::new(policy, XorShiftRng::seed_from_u64(seed)).when(decide as fn(&u8) -> Decision)
}

/// The forms of a run: `call`, `call_async`, `call_future` and an event loop.
const FORMS: usize = 4;

/// The forms on the same inputs, each on its own mock clock, with the retry `make(i)` builds
/// for form `i` (which may use `clocks[i]`); each call of the operation takes `call_ms`. The
/// outcomes, and what each clock was asked to sleep.
fn the_forms<const N: usize, P, C, H, B>(
    clocks: &[MockClock<512>; FORMS],
    make: impl Fn(usize) -> Retry<XorShiftRng, N, P, C, H, B>,
    codes: &[u8],
    call_ms: u64,
) -> [(Outcome<usize, u8, N>, Vec<u32>); FORMS]
where
    P: RetryOn<u8>,
    C: Clock,
    H: BeforeSleep<u8>,
    B: RetryBudget<u8>,
{
    let blocking = {
        let clock = &clocks[0];
        let mut call = 0;
        let outcome = make(0).call(clock, || {
            call += 1;
            assert!(call <= codes.len() + 1, "called again after a success");
            clock.advance(call_ms);
            result_of(codes, call - 1)
        });
        (outcome, clock.sleeps().collect())
    };
    let asynchronous = {
        let clock = &clocks[1];
        let mut call = 0;
        let outcome = block_on(make(1).call_async(clock, async || {
            call += 1;
            assert!(call <= codes.len() + 1, "called again after a success");
            clock.advance(call_ms);
            result_of(codes, call - 1)
        }));
        (outcome, clock.sleeps().collect())
    };
    let future = {
        let clock = &clocks[2];
        let mut call = 0;
        let outcome = block_on(make(2).call_future(clock, || {
            call += 1;
            assert!(call <= codes.len() + 1, "called again after a success");
            clock.advance(call_ms);
            std::future::ready(result_of(codes, call - 1))
        }));
        (outcome, clock.sleeps().collect())
    };
    let event_loop = {
        let clock = &clocks[3];
        let mut retry = make(3);
        if let Err(error) = retry.start_call() {
            let run: Run<u8, N> = retry.start();
            return [
                blocking,
                asynchronous,
                future,
                (run.finish(Err(error), StopReason::CircuitOpen), Vec::new()),
            ];
        }
        let mut run: Run<u8, N> = retry.start();
        let mut call = 0;
        let outcome = loop {
            call += 1;
            assert!(call <= codes.len() + 1, "called again after a success");
            clock.advance(call_ms);
            match result_of(codes, call - 1) {
                Ok(value) => {
                    retry.succeeded(&mut run);
                    break run.finish(Ok(value), StopReason::Succeeded);
                }
                Err(error) => match retry.failed(&mut run, error) {
                    Step::Sleep(ms) => {
                        (&clocks[3]).delay_ms(ms);
                        if let Err(error) = retry.start_retry() {
                            break run.finish(Err(error), StopReason::CircuitOpen);
                        }
                    }
                    Step::Stop { reason, error } => break run.finish(Err(error), reason),
                },
            }
        };
        (outcome, clock.sleeps().collect())
    };
    [blocking, asynchronous, future, event_loop]
}

fn jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Equal),
        Just(Jitter::Full),
        Just(Jitter::Decorrelated)
    ]
}

/// What a hook was called with: the attempt, its error and the delay, for each sleep.
type Hooked = RefCell<Vec<(u32, u8, u32)>>;

/// [`the_forms`] with the policy's rules alone.
fn plain_forms<const N: usize>(
    policy: Policy<N>,
    seed: u64,
    codes: &[u8],
) -> [(Outcome<usize, u8, N>, Vec<u32>); FORMS] {
    let clocks = std::array::from_fn(|_| MockClock::new());
    the_forms(&clocks, |_| rules(policy, seed), codes, 0)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_forms_give_the_same_outcome_and_sleeps(
        attempts in prop::option::of(1u32..=40),
        jitter in jitter(),
        budget in prop::option::of(0u64..=5000),
        seed in any::<u64>(),
        codes in prop::collection::vec(any::<u8>(), 0..60),
    ) {
        let [blocking, asynchronous, future, event_loop] =
            plain_forms::<8>(policy(attempts, jitter, budget), seed, &codes);
        prop_assert_eq!(&asynchronous, &blocking);
        prop_assert_eq!(&future, &blocking);
        prop_assert_eq!(&event_loop, &blocking);
    }

    /// The same, with every stop rule of a run at once: attempts, a delay budget, a cap that
    /// hints may pass (honoured or ending the run), a deadline that the operation's own time
    /// counts against, a retry budget, and a hook, which each form must call alike. (A breaker
    /// refusing a whole call, before its run, is compared in the budgets tests.)
    #[test]
    fn the_forms_agree_under_every_stop_rule_of_a_run(
        attempts in prop::option::of(1u32..=40),
        delay_budget in prop::option::of(0u64..=5000),
        jitter in jitter(),
        cap in prop_oneof![Just(100u32), Just(400)],
        stop_above_cap in any::<bool>(),
        deadline_ms in 0u64..=4000,
        call_ms in 0u64..=60,
        capacity in 0u32..=60,
        seed in any::<u64>(),
        codes in prop::collection::vec(any::<u8>(), 0..60),
    ) {
        let hint_rule = if stop_above_cap { HintAboveCap::Stop } else { HintAboveCap::Honour };
        let mut builder = Policy::<8>::builder()
            .base_delay_ms(10)
            .max_delay_ms(cap)
            .jitter(jitter)
            .hint_above_cap(hint_rule);
        builder = match attempts {
            Some(n) => builder.max_attempts(n),
            None => builder.retry_forever(),
        };
        if let Some(ms) = delay_budget {
            builder = builder.delay_budget_ms(ms);
        }
        let policy = builder.build().unwrap();
        let clocks = std::array::from_fn(|_| MockClock::new());
        let buckets: [TokenBucket; FORMS] = std::array::from_fn(|_| {
            TokenBucket::new(BucketRates { capacity, cost: 5, refill: 1 })
        });
        let hooked: &[Hooked; FORMS] = &Default::default();
        let forms = the_forms(
            &clocks,
            |i| {
                rules(policy, seed)
                    .deadline_ms(&clocks[i], deadline_ms)
                    .retry_budget(&buckets[i])
                    .before_sleep(move |attempt: u32, error: &u8, ms: u32| {
                        hooked[i].borrow_mut().push((attempt, *error, ms));
                    })
            },
            &codes,
            call_ms,
        );
        let [blocking, asynchronous, future, event_loop] = &forms;
        prop_assert_eq!(asynchronous, blocking);
        prop_assert_eq!(future, blocking);
        prop_assert_eq!(event_loop, blocking);
        for i in 1..FORMS {
            prop_assert_eq!(&hooked[i], &hooked[0]);
            prop_assert_eq!(buckets[i].tokens(), buckets[0].tokens());
            prop_assert_eq!(clocks[i].now_ms(), clocks[0].now_ms());
        }
        // The hook saw every sleep, and nothing slept past the deadline.
        let (outcome, sleeps) = blocking;
        let hooked_sleeps: Vec<u32> = hooked[0].borrow().iter().map(|&(_, _, ms)| ms).collect();
        prop_assert_eq!(&hooked_sleeps, sleeps);
        let slept: u64 = sleeps.iter().map(|&ms| u64::from(ms)).sum();
        let calls = u64::from(outcome.log().total_attempts());
        prop_assert!(slept + call_ms * calls.saturating_sub(1) <= deadline_ms);
    }

    #[test]
    fn the_log_keeps_the_last_records_in_order_and_counts_them_all(
        jitter in jitter(),
        seed in any::<u64>(),
        // Mostly retried failures, so that runs are long and the window slides.
        codes in prop::collection::vec(prop_oneof![8 => 1u8..=200, 1 => 201u8..=240, 1 => Just(0u8)], 0..300),
    ) {
        fn check<const N: usize>(jitter: Jitter, seed: u64, codes: &[u8]) -> Result<(), TestCaseError> {
            let [(outcome, sleeps), ..] = plain_forms::<N>(policy(None, jitter, None), seed, codes);
            let log = outcome.log();
            let total = codes.iter().position(|&c| c == 0).map_or(codes.len() + 1, |i| i + 1);
            prop_assert_eq!(outcome.stop_reason(), StopReason::Succeeded, "forever ends only in success here");
            prop_assert_eq!(log.total_attempts() as usize, total);
            prop_assert_eq!(log.len(), N.min(total));
            prop_assert_eq!(log.dropped() as usize, total - log.len());
            // The last records, numbered in order up to the last attempt.
            let numbers: Vec<u32> = log.iter().map(|a| a.number).collect();
            let expected: Vec<u32> = ((total - log.len() + 1) as u32..=total as u32).collect();
            prop_assert_eq!(numbers, expected);
            // Each kept record is the one its attempt made: the error of that call, and the
            // sleep that followed it.
            for attempt in log.iter() {
                let call = attempt.number as usize - 1;
                match *attempt.outcome {
                    AttemptOutcome::Retried { error, slept_ms, .. } => {
                        prop_assert_eq!(Err(error), result_of(codes, call));
                        prop_assert_eq!(slept_ms, sleeps[call]);
                    }
                    AttemptOutcome::Succeeded => prop_assert_eq!(call + 1, total),
                    ref other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
            // Every sleep counted, kept or not.
            prop_assert_eq!(log.total_delay_ms(), sleeps.iter().map(|&ms| u64::from(ms)).sum::<u64>());
            prop_assert_eq!(sleeps.len(), total - 1);
            Ok(())
        }
        check::<0>(jitter, seed, &codes)?;
        check::<1>(jitter, seed, &codes)?;
        check::<5>(jitter, seed, &codes)?;
        check::<64>(jitter, seed, &codes)?;
    }

    #[test]
    fn a_reset_restarts_the_schedule_and_the_log(
        failures in 0usize..20,
        seed in any::<u64>(),
    ) {
        let mut retry = rules::<4>(policy(None, Jitter::None, None), seed);
        let mut run = retry.start();
        for _ in 0..failures {
            prop_assert!(matches!(retry.failed(&mut run, 1), Step::Sleep(_)));
        }
        retry.succeeded(&mut run);
        retry.reset(&mut run);
        prop_assert_eq!(run.attempt(), 1);
        prop_assert_eq!(run.log().total_attempts(), 0);
        prop_assert_eq!(run.log().total_delay_ms(), 0);
        // The first delay again: the base.
        prop_assert_eq!(retry.failed(&mut run, 1), Step::Sleep(10));
        prop_assert_eq!(retry.failed(&mut run, 1), Step::Sleep(20));
    }
}

#[test]
fn without_a_reset_a_success_leaves_the_schedule_where_it_was() {
    // A supervisor whose link flapped keeps its run: the next outage carries on the backoff.
    let mut retry = rules::<4>(policy(None, Jitter::None, None), 1);
    let mut run = retry.start();
    assert_eq!(retry.failed(&mut run, 1), Step::Sleep(10));
    assert_eq!(retry.failed(&mut run, 1), Step::Sleep(20));
    assert_eq!(run.attempt(), 3);
    retry.succeeded(&mut run);
    assert_eq!(retry.failed(&mut run, 1), Step::Sleep(40));
    assert_eq!(run.log().total_attempts(), 4);
    assert_eq!(run.attempt(), 5);
}

#[test]
fn a_stopped_run_hands_the_error_back_and_logs_why() {
    let mut retry = rules::<4>(policy(Some(2), Jitter::None, None), 1);
    let mut run = retry.start();
    assert_eq!(retry.failed(&mut run, 7), Step::Sleep(10));
    assert_eq!(
        retry.failed(&mut run, 8),
        Step::Stop {
            reason: StopReason::AttemptsExhausted,
            error: 8
        }
    );
    assert_eq!(
        run.log()[1],
        AttemptOutcome::Stopped {
            reason: StopReason::AttemptsExhausted
        }
    );
    // A permanent error stops at once, whatever the attempts left.
    let mut run = retry.start();
    assert_eq!(
        retry.failed(&mut run, 250),
        Step::Stop {
            reason: StopReason::NotRetryable,
            error: 250
        }
    );
}

#[test]
fn an_outcome_becomes_the_operations_own_result() {
    fn read() -> Result<usize, u8> {
        let mut calls = 0;
        rules::<0>(policy(Some(3), Jitter::None, None), 1)
            .call(MockClock::<0>::new(), || {
                calls += 1;
                if calls < 3 { Err(5) } else { Ok(calls) }
            })
            .into_result()
    }
    fn give_up() -> Result<usize, u8> {
        let value = rules::<0>(policy(Some(2), Jitter::None, None), 1)
            .call(MockClock::<0>::new(), || Err::<usize, u8>(9))
            .into_result()?;
        Ok(value)
    }
    assert_eq!(read(), Ok(3));
    assert_eq!(give_up(), Err(9));
    let outcome = rules::<0>(policy(Some(2), Jitter::None, None), 1)
        .call(MockClock::<0>::new(), || Err::<usize, u8>(4));
    assert_eq!(outcome.total_attempts(), 2);
    assert_eq!(outcome.total_delay_ms(), 10);
    assert_eq!(Result::from(outcome), Err(4));
}
