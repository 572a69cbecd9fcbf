//! The rules beyond attempt counts, at their boundaries, on the mock clock: hinted delays, the
//! delay budget, the deadline, the shared retry budget, the hook, and the async engine.

mod common;
use common::block_on;

use std::cell::{Cell, RefCell};

use embedded_retry::{
    AttemptOutcome, BucketRates, Decision, HintAboveCap, Jitter, MockClock, Outcome, Policy,
    PolicyBuilder, Retry, RetryBudget, SharedTokenBucket, StopReason, TokenBucket,
};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

/// 6 attempts, 100 ms doubling to a 1000 ms cap, no jitter, unless a test says otherwise.
fn plain() -> PolicyBuilder<8> {
    Policy::builder()
        .max_attempts(6)
        .base_delay_ms(100)
        .max_delay_ms(1000)
        .jitter(Jitter::None)
}

fn slept<E>(outcome: &Outcome<u32, E, 8>) -> Vec<u32> {
    outcome.log().iter().filter_map(|a| a.slept_ms()).collect()
}

/// Fails every call with the call's number.
fn always_failing() -> impl FnMut() -> Result<u32, u32> {
    let mut calls = 0;
    move || {
        calls += 1;
        Err(calls)
    }
}

fn stop_of<E: Copy>(outcome: &Outcome<u32, E, 8>) -> (StopReason, usize) {
    (outcome.stop_reason(), outcome.log().len())
}

#[test]
fn a_hint_shorter_than_the_schedule_waits_the_schedule_and_a_longer_one_the_hint() {
    let clock = MockClock::<8>::new();
    let outcome = Retry::without_jitter(plain().max_attempts(3).build().unwrap())
        .unwrap()
        .when(|e: &u32| {
            if *e == 1 {
                Decision::RetryAfter(30)
            } else {
                Decision::RetryAfter(700)
            }
        })
        .call(&clock, always_failing());
    assert_eq!(slept(&outcome), [100, 700]);
    assert_eq!(
        outcome.log()[1],
        AttemptOutcome::Retried {
            error: 2,
            slept_ms: 700,
            hint_ms: Some(700)
        }
    );
}

#[test]
fn a_hint_equal_to_the_cap_is_not_above_it() {
    let policy = plain()
        .max_attempts(2)
        .hint_above_cap(HintAboveCap::Stop)
        .build()
        .unwrap();
    let outcome = Retry::without_jitter(policy)
        .unwrap()
        .when(|_: &u32| Decision::RetryAfter(1000))
        .call(MockClock::<8>::new(), always_failing());
    assert_eq!(slept(&outcome), [1000]);
    assert_eq!(outcome.stop_reason(), StopReason::AttemptsExhausted);
}

#[test]
fn a_hint_above_the_cap_is_honoured_by_default_or_stops_the_run() {
    let hinted = |choice: Option<HintAboveCap>| {
        let mut builder = plain().max_attempts(2);
        if let Some(choice) = choice {
            builder = builder.hint_above_cap(choice);
        }
        Retry::without_jitter(builder.build().unwrap())
            .unwrap()
            .when(|_: &u32| Decision::RetryAfter(1001))
            .call(MockClock::<8>::new(), always_failing())
    };
    assert_eq!(slept(&hinted(None)), [1001]);
    let stopped = hinted(Some(HintAboveCap::Stop));
    assert_eq!(stop_of(&stopped), (StopReason::HintAboveCap, 1));
    assert_eq!(
        stopped.log()[0],
        AttemptOutcome::Stopped {
            reason: StopReason::HintAboveCap
        }
    );
}

#[test]
fn a_hint_never_bypasses_the_attempt_limit() {
    let outcome = Retry::without_jitter(plain().max_attempts(2).build().unwrap())
        .unwrap()
        .when(|_: &u32| Decision::RetryAfter(5))
        .call(MockClock::<8>::new(), always_failing());
    assert_eq!(stop_of(&outcome), (StopReason::AttemptsExhausted, 2));
    assert_eq!(slept(&outcome), [100]);
}

#[test]
fn the_delay_budget_allows_a_sleep_that_reaches_it_and_stops_one_that_passes_it() {
    // Delays 100, 200, 400: 700 in all.
    for (budget, slept_total, stop) in [
        (700, 700, StopReason::AttemptsExhausted),
        (699, 300, StopReason::DelayBudgetExhausted),
        (0, 0, StopReason::DelayBudgetExhausted),
    ] {
        let clock = MockClock::<8>::new();
        let policy = plain()
            .max_attempts(4)
            .delay_budget_ms(budget)
            .build()
            .unwrap();
        let outcome = Retry::without_jitter(policy)
            .unwrap()
            .call(&clock, always_failing());
        assert_eq!(outcome.total_delay_ms(), slept_total, "budget {budget}");
        assert_eq!(clock.slept_ms(), slept_total);
        assert_eq!(outcome.stop_reason(), stop, "budget {budget}");
        let last = outcome.log().last().unwrap();
        assert_eq!(last.slept_ms(), None);
    }
}

#[test]
fn a_hint_counts_against_the_delay_budget() {
    let policy = plain().delay_budget_ms(500).build().unwrap();
    let outcome = Retry::without_jitter(policy)
        .unwrap()
        .when(|_: &u32| Decision::RetryAfter(501))
        .call(MockClock::<8>::new(), always_failing());
    assert_eq!(stop_of(&outcome), (StopReason::DelayBudgetExhausted, 1));
}

/// Runs `always_failing` where each call takes `op_ms` on the clock, under a deadline.
fn with_deadline(deadline_ms: u64, op_ms: u64) -> (Outcome<u32, u32, 8>, u64) {
    let clock = MockClock::<8>::new();
    let mut op = always_failing();
    let outcome = Retry::without_jitter(plain().build().unwrap())
        .unwrap()
        .deadline_ms(&clock, deadline_ms)
        .call(&clock, || {
            clock.advance(op_ms);
            op()
        });
    (outcome, clock.now_ms())
}

#[test]
fn the_deadline_counts_the_operations_own_time() {
    // Calls of 50 ms: 0-50, sleep 100, 150-200, sleep 200, 400-450, sleep 400, 850-900 ...
    // A sleep that would end 1 ms before the deadline is taken, and the attempt after it runs.
    let (outcome, now) = with_deadline(851, 50);
    assert_eq!(slept(&outcome), [100, 200, 400]);
    assert_eq!(outcome.stop_reason(), StopReason::DeadlineExceeded);
    assert_eq!(now, 900);
    // One that would end at the deadline is not: the attempt after it would have no time left,
    // as in tenacity's `stop_before_delay`.
    let (outcome, now) = with_deadline(850, 50);
    assert_eq!(slept(&outcome), [100, 200]);
    assert_eq!(outcome.stop_reason(), StopReason::DeadlineExceeded);
    assert_eq!(now, 450);
}

#[test]
fn a_deadline_that_falls_inside_an_operations_run_stops_without_a_sleep() {
    // The deadline (30 ms) passes during the first call (0-50 ms): no retry, no sleep.
    let (outcome, now) = with_deadline(30, 50);
    assert_eq!(stop_of(&outcome), (StopReason::DeadlineExceeded, 1));
    assert_eq!(outcome.total_delay_ms(), 0);
    assert_eq!(now, 50);
}

#[test]
fn the_deadline_is_measured_from_the_start_of_each_run() {
    let clock = MockClock::<8>::new();
    clock.advance(10_000);
    let mut retry = Retry::without_jitter(plain().max_attempts(2).build().unwrap())
        .unwrap()
        .deadline_ms(&clock, 150);
    for _ in 0..2 {
        let outcome = retry.call(&clock, always_failing());
        assert_eq!(stop_of(&outcome), (StopReason::AttemptsExhausted, 2));
    }
}

#[test]
fn a_shared_retry_budget_stops_retrying_when_empty_and_refills_on_success() {
    let bucket = TokenBucket::new(BucketRates {
        capacity: 10,
        cost: 5,
        refill: 1,
    });
    let clock = MockClock::<8>::new();
    let mut retry = Retry::without_jitter(plain().build().unwrap())
        .unwrap()
        .retry_budget(&bucket);
    // Two retries, then success: 10 - 5 - 5, and one retry's cost back for the success.
    let mut calls = 0;
    let first = retry.call(&clock, || {
        calls += 1;
        if calls < 3 { Err(calls) } else { Ok(calls) }
    });
    assert_eq!(first.stop_reason(), StopReason::Succeeded);
    assert_eq!(bucket.tokens(), 5);
    // A failing operation spends the last 5 on one retry, then cannot pay for another.
    let second = retry.call(&clock, always_failing());
    assert_eq!(stop_of(&second), (StopReason::RetryBudgetExhausted, 2));
    assert_eq!(bucket.tokens(), 0);
    // Now it cannot retry at all; a success at the first attempt adds the refill.
    let third = retry.call(&clock, always_failing());
    assert_eq!(stop_of(&third), (StopReason::RetryBudgetExhausted, 1));
    let fourth = retry.call(&clock, || Ok::<u32, u32>(1));
    assert_eq!(fourth.stop_reason(), StopReason::Succeeded);
    assert_eq!(bucket.tokens(), 1);
    // Nothing passes the capacity.
    for after_retry in [false, true].repeat(10) {
        bucket.succeeded(after_retry);
    }
    assert_eq!(bucket.tokens(), 10);
}

#[test]
fn the_retry_budget_is_not_charged_when_another_rule_stops_the_run() {
    let bucket = TokenBucket::new(BucketRates {
        capacity: 100,
        cost: 5,
        refill: 1,
    });
    let outcome = Retry::without_jitter(plain().max_attempts(3).build().unwrap())
        .unwrap()
        .retry_budget(&bucket)
        .call(MockClock::<8>::new(), always_failing());
    assert_eq!(outcome.stop_reason(), StopReason::AttemptsExhausted);
    assert_eq!(bucket.tokens(), 90);
}

#[test]
fn the_retry_budget_is_not_charged_when_the_delay_budget_or_the_deadline_stops_the_run() {
    let bucket = TokenBucket::new(BucketRates {
        capacity: 100,
        cost: 5,
        refill: 1,
    });
    let policy = plain().delay_budget_ms(250).build().unwrap();
    let clock = MockClock::<8>::new();
    let outcome = Retry::without_jitter(policy)
        .unwrap()
        .retry_budget(&bucket)
        .call(&clock, always_failing());
    // 100 is paid for; 200 more would pass the delay budget.
    assert_eq!(stop_of(&outcome), (StopReason::DelayBudgetExhausted, 2));
    assert_eq!(bucket.tokens(), 95);
    let outcome = Retry::without_jitter(plain().build().unwrap())
        .unwrap()
        .deadline_ms(&clock, 50)
        .retry_budget(&bucket)
        .call(&clock, always_failing());
    assert_eq!(stop_of(&outcome), (StopReason::DeadlineExceeded, 1));
    assert_eq!(bucket.tokens(), 95);
}

#[test]
fn a_hint_does_not_bypass_the_deadline() {
    let clock = MockClock::<8>::new();
    let outcome = Retry::without_jitter(plain().build().unwrap())
        .unwrap()
        .when(|_: &u32| Decision::RetryAfter(900))
        .deadline_ms(&clock, 1000)
        .call(&clock, always_failing());
    assert_eq!(slept(&outcome), [900]);
    assert_eq!(outcome.stop_reason(), StopReason::DeadlineExceeded);
}

#[test]
fn threads_can_share_a_retry_budget() {
    let bucket: SharedTokenBucket = TokenBucket::new_shared(BucketRates {
        capacity: 100,
        cost: 1,
        refill: 0,
    });
    let retried = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let policy: Policy<64> = Policy::builder()
                    .max_attempts(64)
                    .base_delay_ms(0)
                    .jitter(Jitter::None)
                    .build()
                    .unwrap();
                let outcome = Retry::without_jitter(policy)
                    .unwrap()
                    .retry_budget(&bucket)
                    .call(MockClock::<1>::new(), always_failing());
                let sleeps = outcome
                    .log()
                    .iter()
                    .filter(|a| a.slept_ms().is_some())
                    .count();
                retried.fetch_add(sleeps as u32, std::sync::atomic::Ordering::Relaxed);
            });
        }
    });
    // 4 x 63 retries wanted, 100 paid for: exactly the capacity, never more.
    assert_eq!(retried.into_inner(), 100);
    assert_eq!(bucket.tokens(), 0);
}

#[test]
fn the_hook_sees_every_sleep_before_it_happens() {
    let clock = MockClock::<8>::new();
    let seen = RefCell::new(Vec::new());
    let outcome = Retry::without_jitter(plain().max_attempts(4).build().unwrap())
        .unwrap()
        .before_sleep(|attempt: u32, error: &u32, delay_ms: u32| {
            seen.borrow_mut()
                .push((attempt, *error, delay_ms, clock.now_ms()));
        })
        .call(&clock, always_failing());
    assert_eq!(outcome.log().len(), 4);
    // Called before each sleep (the clock has not moved yet), never after the last attempt.
    assert_eq!(
        seen.into_inner(),
        [(1, 1, 100, 0), (2, 2, 200, 100), (3, 3, 400, 300)]
    );
}

#[test]
fn the_async_engine_keeps_the_deadline_budget_and_hook_as_the_blocking_one() {
    let run = |asynchronous: bool| {
        let clock = MockClock::<8>::new();
        let bucket = TokenBucket::new(BucketRates {
            capacity: 12,
            cost: 5,
            refill: 1,
        });
        let hooked = RefCell::new(Vec::new());
        let mut retry = Retry::without_jitter(plain().build().unwrap())
            .unwrap()
            .deadline_ms(&clock, 2000)
            .retry_budget(&bucket)
            .before_sleep(|attempt: u32, _: &u32, ms: u32| hooked.borrow_mut().push((attempt, ms)));
        let calls = Cell::new(0);
        let op = || {
            calls.set(calls.get() + 1);
            clock.advance(30);
            Err::<u32, u32>(calls.get())
        };
        let outcome = if asynchronous {
            block_on(retry.call_async(&clock, || std::future::ready(op())))
        } else {
            retry.call(&clock, op)
        };
        (
            outcome,
            hooked.into_inner(),
            bucket.tokens(),
            clock.now_ms(),
        )
    };
    let blocking = run(false);
    assert_eq!(blocking.0.stop_reason(), StopReason::RetryBudgetExhausted);
    assert_eq!(run(true), blocking);
}

#[test]
fn the_async_engine_keeps_the_same_log_as_the_blocking_one() {
    for jitter in [
        Jitter::None,
        Jitter::Equal,
        Jitter::Full,
        Jitter::Decorrelated,
    ] {
        let policy = plain()
            .max_attempts(8)
            .jitter(jitter)
            .delay_budget_ms(3000)
            .build()
            .unwrap();
        let decide = |e: &u32| match e {
            3 => Decision::RetryAfter(450),
            6 => Decision::Stop,
            _ => Decision::Retry,
        };
        let blocking_clock = MockClock::<8>::new();
        let blocking = Retry::new(policy, XorShiftRng::seed_from_u64(9))
            .when(decide)
            .call(&blocking_clock, always_failing());
        let async_clock = MockClock::<8>::new();
        let calls = Cell::new(0);
        let asynchronous = block_on(async {
            Retry::new(policy, XorShiftRng::seed_from_u64(9))
                .when(decide)
                .call_async(&async_clock, || {
                    calls.set(calls.get() + 1);
                    let result = Err::<u32, u32>(calls.get());
                    async move { result }
                })
                .await
        });
        assert_eq!(asynchronous, blocking, "{jitter:?}");
        assert!(async_clock.sleeps().eq(blocking_clock.sleeps()));
        assert_eq!(async_clock.now_ms(), blocking_clock.now_ms());
    }
}

#[test]
fn a_budget_behind_a_reference_is_the_same_budget() {
    // Generic over the budget, so that `&TokenBucket` goes through the impl for references.
    fn spend<B: RetryBudget<u32>>(budget: B) -> bool {
        budget.try_spend()
    }
    fn succeeded<B: RetryBudget<u32>>(budget: B) {
        budget.succeeded(false)
    }
    let bucket = TokenBucket::new(BucketRates {
        capacity: 7,
        cost: 2,
        refill: 1,
    });
    assert!(spend(&bucket));
    assert_eq!(bucket.tokens(), 5);
    succeeded(&bucket);
    assert_eq!(bucket.tokens(), 6);
}

#[test]
fn a_shared_bucket_spends_refills_and_caps_like_a_local_one() {
    let shared = TokenBucket::new_shared(BucketRates {
        capacity: 12,
        cost: 5,
        refill: 2,
    });
    let local = TokenBucket::new(shared.rates());
    for _ in 0..3 {
        assert_eq!(shared.try_spend(), local.try_spend());
    }
    assert_eq!((shared.tokens(), local.tokens()), (2, 2));
    for after_retry in [true, false].repeat(5) {
        shared.succeeded(after_retry);
        local.succeeded(after_retry);
    }
    assert_eq!((shared.tokens(), local.tokens()), (12, 12));
}

#[test]
fn the_mock_clock_rounds_finer_async_sleeps_up_to_whole_milliseconds() {
    use embedded_hal_async::delay::DelayNs;
    let clock = MockClock::<4>::new();
    block_on(async {
        let mut delay = &clock;
        delay.delay_us(1500).await;
        delay.delay_ns(1).await;
        delay.delay_ms(3).await;
    });
    assert_eq!(clock.sleeps().collect::<Vec<_>>(), [2, 1, 3]);
    assert_eq!(clock.now_ms(), 6);

    // The same through a clock the sleeper owns (`&mut clock`, as a `Send` future holds it).
    let mut owned = MockClock::<4>::new();
    block_on(async {
        let delay = &mut owned;
        delay.delay_us(1500).await;
        delay.delay_ns(1).await;
        delay.delay_ms(3).await;
    });
    assert_eq!(owned.sleeps().collect::<Vec<_>>(), [2, 1, 3]);
}
