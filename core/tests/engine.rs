//! The retry engine on the mock clock: a flaky operation and every rule of a run.

use embedded_hal::delay::DelayNs;
use embedded_retry::{
    AttemptOutcome, HalDelay, Jitter, MockClock, Outcome, Policy, PolicyError, Retry, StopReason,
};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// A transient failure, as a refused connection.
    Connection(u32),
    /// A failure no retry can fix.
    Invalid(u32),
}

/// A flaky operation: fails `fail_count` times, then succeeds with the number
/// of calls made. Call `non_retryable_at` (if any) fails with [`Fault::Invalid`].
fn flaky(fail_count: u32, non_retryable_at: Option<u32>) -> impl FnMut() -> Result<u32, Fault> {
    let mut calls = 0;
    move || {
        calls += 1;
        if Some(calls) == non_retryable_at {
            Err(Fault::Invalid(calls))
        } else if calls <= fail_count {
            Err(Fault::Connection(calls))
        } else {
            Ok(calls)
        }
    }
}

fn policy(attempts: u32, jitter: Jitter) -> Policy<16> {
    Policy::builder()
        .max_attempts(attempts)
        .base_delay_ms(100)
        .jitter(jitter)
        .build()
        .unwrap()
}

fn run(
    attempts: u32,
    fail_count: u32,
    non_retryable_at: Option<u32>,
) -> (Outcome<u32, Fault, 16>, MockClock<16>) {
    let clock = MockClock::new();
    let outcome = Retry::without_jitter(policy(attempts, Jitter::None))
        .unwrap()
        .when(|e: &Fault| matches!(e, Fault::Connection(_)))
        .call(&clock, flaky(fail_count, non_retryable_at));
    (outcome, clock)
}

fn slept(outcome: &Outcome<u32, Fault, 16>) -> Vec<Option<u32>> {
    outcome.log().iter().map(|a| a.slept_ms()).collect()
}

#[test]
fn the_seed_default_succeeds_on_the_third_call_after_300_ms() {
    let (outcome, clock) = run(5, 2, None);
    assert!(outcome.is_success());
    assert_eq!(outcome.value(), Some(&3));
    assert_eq!(outcome.stop_reason(), StopReason::Succeeded);
    assert_eq!(outcome.last_error(), None);
    let log = outcome.log();
    assert_eq!(log.len(), 3);
    assert_eq!(
        log[0],
        AttemptOutcome::Retried {
            error: Fault::Connection(1),
            slept_ms: 100,
            hint_ms: None,
        }
    );
    assert_eq!(
        log[1],
        AttemptOutcome::Retried {
            error: Fault::Connection(2),
            slept_ms: 200,
            hint_ms: None,
        }
    );
    assert_eq!(log[2], AttemptOutcome::Succeeded);
    assert_eq!(log.iter().map(|a| a.number).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(outcome.total_delay_ms(), 300);
    assert_eq!(clock.sleeps().collect::<Vec<_>>(), [100, 200]);
    assert_eq!(clock.now_ms(), 300);
}

#[test]
fn running_out_of_attempts_keeps_the_log_and_the_last_error_without_a_final_sleep() {
    let (outcome, clock) = run(3, 10, None);
    assert!(!outcome.is_success());
    assert_eq!(outcome.stop_reason(), StopReason::AttemptsExhausted);
    assert_eq!(outcome.last_error(), Some(&Fault::Connection(3)));
    assert_eq!(slept(&outcome), [Some(100), Some(200), None]);
    assert_eq!(
        outcome.log()[2],
        AttemptOutcome::Stopped {
            reason: StopReason::AttemptsExhausted
        }
    );
    // No 400 ms sleep after the last attempt is counted: it is never taken.
    assert_eq!(outcome.total_delay_ms(), 300);
    assert_eq!(clock.slept_ms(), 300);
    assert_eq!(clock.sleep_count(), 2);
}

#[test]
fn a_non_retryable_error_stops_at_once_with_no_sleep() {
    let (outcome, clock) = run(5, 10, Some(2));
    assert_eq!(outcome.stop_reason(), StopReason::NotRetryable);
    assert_eq!(outcome.last_error(), Some(&Fault::Invalid(2)));
    assert_eq!(slept(&outcome), [Some(100), None]);
    assert_eq!(
        outcome.log()[1],
        AttemptOutcome::Stopped {
            reason: StopReason::NotRetryable
        }
    );
    assert_eq!(clock.sleep_count(), 1);

    // On the first call: no sleep at all.
    let (outcome, clock) = run(5, 10, Some(1));
    assert_eq!(outcome.log().len(), 1);
    assert_eq!(clock.sleep_count(), 0);
}

#[test]
fn a_non_retryable_error_on_the_last_attempt_is_reported_as_such() {
    let (outcome, _) = run(3, 10, Some(3));
    assert_eq!(outcome.stop_reason(), StopReason::NotRetryable);
    assert_eq!(
        outcome.log()[2],
        AttemptOutcome::Stopped {
            reason: StopReason::NotRetryable
        }
    );
}

#[test]
fn the_parts_come_back_by_value() {
    let (outcome, _) = run(5, 1, None);
    let (result, reason, log) = outcome.into_parts();
    assert_eq!((result, reason), (Ok(2), StopReason::Succeeded));
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].error(), Some(&Fault::Connection(1)));
    let (outcome, _) = run(2, 5, None);
    let (result, reason, log) = outcome.into_parts();
    assert_eq!(result, Err(Fault::Connection(2)));
    assert_eq!(reason, StopReason::AttemptsExhausted);
    assert_eq!(log.total_attempts(), 2);
}

#[test]
fn a_single_attempt_never_sleeps() {
    let (outcome, clock) = run(1, 10, None);
    assert_eq!(slept(&outcome), [None]);
    assert_eq!(outcome.stop_reason(), StopReason::AttemptsExhausted);
    assert_eq!(clock.now_ms(), 0);
}

#[test]
fn success_on_the_first_call_logs_one_record() {
    let (outcome, clock) = run(5, 0, None);
    assert_eq!(outcome.value(), Some(&1));
    assert_eq!(outcome.log().len(), 1);
    assert_eq!(clock.sleep_count(), 0);
}

#[test]
fn the_log_can_fill_its_whole_capacity() {
    let clock = MockClock::<16>::new();
    let policy: Policy<16> = Policy::builder()
        .max_attempts(16)
        .base_delay_ms(1)
        .jitter(Jitter::None)
        .build()
        .unwrap();
    let outcome = Retry::without_jitter(policy)
        .unwrap()
        .call(&clock, flaky(100, None));
    assert_eq!(outcome.log().len(), 16);
    assert_eq!(outcome.log().last().unwrap().number, 16);
    assert_eq!(clock.sleep_count(), 15);
}

#[test]
fn jittered_runs_are_reproducible_for_a_seed_and_match_the_clock() {
    for jitter in [Jitter::Equal, Jitter::Full, Jitter::Decorrelated] {
        let run_seeded = |seed: u64| {
            let clock = MockClock::<16>::new();
            let outcome = Retry::new(policy(8, jitter), XorShiftRng::seed_from_u64(seed))
                .call(&clock, flaky(10, None));
            assert_eq!(outcome.total_delay_ms(), clock.slept_ms());
            assert_eq!(
                outcome
                    .log()
                    .iter()
                    .filter_map(|a| a.slept_ms())
                    .collect::<Vec<_>>(),
                clock.sleeps().collect::<Vec<_>>()
            );
            slept(&outcome)
        };
        assert_eq!(run_seeded(7), run_seeded(7));
        assert_ne!(run_seeded(7), run_seeded(8), "{jitter:?}");
        assert_eq!(run_seeded(7).len(), 8);
        assert_eq!(run_seeded(7)[7], None);
    }
}

#[test]
fn one_retry_runs_many_operations_each_from_a_fresh_schedule() {
    let clock = MockClock::<16>::new();
    let mut retry = Retry::without_jitter(policy(5, Jitter::None)).unwrap();
    let first = retry.call(&clock, flaky(2, None));
    let second = retry.call(&clock, flaky(2, None));
    assert_eq!(slept(&first), slept(&second));
    assert_eq!(clock.sleeps().collect::<Vec<_>>(), [100, 200, 100, 200]);
}

#[test]
fn the_operation_can_read_the_clock_it_sleeps_on() {
    let clock = MockClock::<16>::new();
    let mut started = Vec::new();
    let mut op = flaky(3, None);
    Retry::without_jitter(policy(5, Jitter::None))
        .unwrap()
        .call(&clock, || {
            started.push(clock.now_ms());
            clock.advance(5); // the operation's own run time
            op()
        });
    assert_eq!(started, [0, 105, 310, 715]);
}

#[test]
fn sleeps_through_an_embedded_hal_delay() {
    struct Nanos(u64);
    impl DelayNs for Nanos {
        fn delay_ns(&mut self, ns: u32) {
            self.0 += u64::from(ns);
        }
    }
    let mut hal = Nanos(0);
    let outcome = Retry::without_jitter(policy(3, Jitter::None))
        .unwrap()
        .call(HalDelay(&mut hal), flaky(10, None));
    assert_eq!(outcome.total_delay_ms(), 300);
    assert_eq!(hal.0, 300 * 1_000_000);
}

#[test]
fn sleeps_through_a_borrowed_delay_too() {
    let mut clock = MockClock::<16>::new();
    let outcome = Retry::without_jitter(policy(3, Jitter::None))
        .unwrap()
        .call(&mut clock, flaky(10, None));
    assert_eq!(outcome.total_delay_ms(), 300);
    assert_eq!(clock.sleeps().collect::<Vec<_>>(), [100, 200]);
}

#[test]
fn a_jittered_policy_is_refused_without_a_generator() {
    for jitter in [Jitter::Equal, Jitter::Full, Jitter::Decorrelated] {
        let refused = Retry::without_jitter(policy(3, jitter));
        assert_eq!(refused.err(), Some(PolicyError::JitterNeedsRng { jitter }));
    }
}

#[test]
fn invalid_policies_are_refused_with_what_is_wrong() {
    let cases: [(Result<Policy<4>, PolicyError>, PolicyError, &str); 3] = [
        (
            Policy::builder().max_attempts(0).build(),
            PolicyError::ZeroAttempts,
            "max_attempts must be at least 1, got 0",
        ),
        (
            Policy::builder()
                .base_delay_ms(2000)
                .max_delay_ms(1000)
                .build(),
            PolicyError::BaseAboveCap {
                base_ms: 2000,
                cap_ms: 1000,
            },
            "the base delay (2000 ms) is above the maximum delay (1000 ms)",
        ),
        (
            Policy::builder()
                .factor(embedded_retry::Factor::from_milli(500))
                .build(),
            PolicyError::FactorBelowOne {
                factor: embedded_retry::Factor::from_milli(500),
            },
            "the backoff factor must be at least 1, got 0.5",
        ),
    ];
    for (built, error, text) in cases {
        assert_eq!(built, Err(error));
        assert_eq!(error.to_string(), text);
        assert!(error.message().starts_with("invalid retry policy: "));
    }
}

#[test]
fn the_builder_defaults_are_the_seeds() {
    let p: Policy<3> = Policy::builder().build().unwrap();
    assert_eq!(p.max_attempts(), Some(3));
    assert_eq!(p.backoff().base_ms(), 1000);
    assert_eq!(p.backoff().cap_ms(), 60_000);
    assert_eq!(p.backoff().factor(), embedded_retry::Factor::TWO);
    assert_eq!(p.backoff().jitter(), Jitter::Equal);
    assert_eq!(p.log_capacity(), 3);
}
