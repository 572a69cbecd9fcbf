//! Per-attempt timeouts on the mock clock: a hung attempt is cut off, logged as timed out, and
//! retried; the time allowed shrinks to what is left before the deadline; the event-loop form
//! agrees with `call_async`.

mod common;
use common::block_on;

use std::cell::Cell;
use std::future::pending;

use embedded_retry::{
    AttemptOutcome, Decision, Delay, Jitter, MockClock, Outcome, Policy, Retry, Step, StopReason,
    TimedOut,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReadError {
    Nack,
    TimedOut,
    Unplugged,
}

impl From<TimedOut> for ReadError {
    fn from(_: TimedOut) -> Self {
        ReadError::TimedOut
    }
}

const POLICY: Policy<8> = Policy::builder()
    .max_attempts(5)
    .base_delay_ms(100)
    .jitter(Jitter::None)
    .build_or_panic();

/// Call `k` (from 1) behaves as `script[k - 1]`: `None` hangs for ever, `Some(r)` returns `r`
/// at once. Past the script, calls succeed.
async fn scripted(
    script: &[Option<Result<u32, ReadError>>],
    call: usize,
) -> Result<u32, ReadError> {
    match script.get(call - 1) {
        Some(None) => pending().await,
        Some(Some(result)) => *result,
        None => Ok(call as u32),
    }
}

#[test]
fn a_hung_attempt_is_cut_off_logged_as_timed_out_and_retried() {
    let clock = MockClock::<8>::new();
    let calls = Cell::new(0);
    let script = [None, Some(Err(ReadError::Nack)), None];
    let outcome = block_on(
        Retry::without_jitter(POLICY)
            .unwrap()
            .attempt_timeout_ms(30)
            .call_async(&clock, async || {
                calls.set(calls.get() + 1);
                scripted(&script, calls.get()).await
            }),
    );
    assert_eq!(outcome.into_result(), Ok(4));
    // Each timeout spends its 30 ms on the clock before the sleep that follows it.
    assert!(clock.sleeps().eq([30, 100, 200, 30, 400]));
}

#[test]
fn the_log_and_the_predicate_tell_a_timeout_from_the_operations_errors() {
    let clock = MockClock::<8>::new();
    let calls = Cell::new(0);
    let script = [None, Some(Err(ReadError::Nack)), None];
    let seen = std::cell::RefCell::new(Vec::new());
    let outcome = block_on(
        Retry::without_jitter(POLICY)
            .unwrap()
            .attempt_timeout_ms(30)
            .when(|e: &ReadError| {
                seen.borrow_mut().push(*e);
                match e {
                    // A timed-out read waits at least 250 ms for the sensor to settle.
                    ReadError::TimedOut => Decision::RetryAfter(250),
                    ReadError::Nack => Decision::Retry,
                    ReadError::Unplugged => Decision::Stop,
                }
            })
            .call_async(&clock, async || {
                calls.set(calls.get() + 1);
                scripted(&script, calls.get()).await
            }),
    );
    assert_eq!(
        seen.into_inner(),
        [ReadError::TimedOut, ReadError::Nack, ReadError::TimedOut]
    );
    let log: Vec<_> = outcome.log().iter().map(|a| *a.outcome).collect();
    assert_eq!(
        log,
        [
            AttemptOutcome::TimedOut {
                slept_ms: 250,
                hint_ms: Some(250)
            },
            AttemptOutcome::Retried {
                error: ReadError::Nack,
                slept_ms: 200,
                hint_ms: None
            },
            AttemptOutcome::TimedOut {
                slept_ms: 400,
                hint_ms: Some(250)
            },
            AttemptOutcome::Succeeded,
        ]
    );
    assert_eq!(outcome.total_delay_ms(), 250 + 200 + 400);
}

#[test]
fn a_run_that_ends_on_a_timeout_hands_back_the_timeout_as_its_error() {
    let clock = MockClock::<16>::new();
    let outcome = block_on(
        Retry::without_jitter(POLICY)
            .unwrap()
            .attempt_timeout_ms(10)
            .call_async(&clock, async || pending::<Result<u32, ReadError>>().await),
    );
    assert_eq!(outcome.stop_reason(), StopReason::AttemptsExhausted);
    assert_eq!(outcome.into_result(), Err(ReadError::TimedOut));
    assert!(clock.sleeps().eq([10, 100, 10, 200, 10, 400, 10, 800, 10]));
}

/// A run of attempts that never answer, each given 200 ms, under a deadline of `deadline_ms`:
/// its outcome, and the clock, whose sleeps are the timers' and the retries' alike.
fn hung_until(deadline_ms: u64) -> (Outcome<u32, ReadError, 8>, MockClock<16>) {
    let clock = MockClock::<16>::new();
    let outcome = block_on(
        Retry::without_jitter(POLICY)
            .unwrap()
            .deadline_ms(&clock, deadline_ms)
            .attempt_timeout_ms(200)
            .call_async(&clock, async || pending::<Result<u32, ReadError>>().await),
    );
    (outcome, clock)
}

#[test]
fn the_time_allowed_shrinks_to_what_is_left_before_the_deadline() {
    let (outcome, clock) = hung_until(500);
    // 200 (timed out), sleep 100, then only 200 left: 200 (timed out); the next sleep would
    // pass the deadline.
    assert!(clock.sleeps().eq([200, 100, 200]));
    assert_eq!(outcome.stop_reason(), StopReason::DeadlineExceeded);
    assert_eq!(outcome.into_result(), Err(ReadError::TimedOut));

    // With 150 ms of the deadline left, an attempt gets 150 ms, not the 200 of the timeout.
    let clock = MockClock::<16>::new();
    let mut retry = Retry::without_jitter(POLICY)
        .unwrap()
        .deadline_ms(&clock, 450)
        .attempt_timeout_ms(200);
    let mut run = retry.start::<ReadError>();
    assert_eq!(retry.attempt_limit_ms(&run), Some(200));
    clock.advance(300);
    assert_eq!(retry.attempt_limit_ms(&run), Some(150));
    clock.advance(1000);
    assert_eq!(retry.attempt_limit_ms(&run), Some(0));
    assert_eq!(
        retry.timed_out(&mut run),
        Step::Stop {
            reason: StopReason::DeadlineExceeded,
            error: ReadError::TimedOut
        }
    );
}

#[test]
fn no_attempt_is_made_with_no_time_left() {
    // 200 (timed out), then a sleep of 100 that would end at the deadline, 300: the attempt
    // after it would be allowed 0 ms and time out at once, so the run stops instead.
    let (outcome, clock) = hung_until(300);
    assert!(clock.sleeps().eq([200]));
    assert_eq!(outcome.total_attempts(), 1);
    assert_eq!(outcome.stop_reason(), StopReason::DeadlineExceeded);
    // A millisecond more, and the second attempt is made, with that millisecond.
    let (outcome, clock) = hung_until(301);
    assert!(clock.sleeps().eq([200, 100, 1]));
    assert_eq!(outcome.total_attempts(), 2);
}

#[test]
fn an_operation_that_finishes_in_time_is_not_cut_off() {
    let clock = MockClock::<8>::new();
    let outcome = block_on(
        Retry::without_jitter(POLICY)
            .unwrap()
            .attempt_timeout_ms(5)
            .when(|e: &ReadError| *e != ReadError::Unplugged)
            .call_async(&clock, async || Err::<u32, _>(ReadError::Unplugged)),
    );
    assert_eq!(outcome.stop_reason(), StopReason::NotRetryable);
    assert_eq!(outcome.into_result(), Err(ReadError::Unplugged));
    assert_eq!(clock.sleep_count(), 0);
}

#[test]
fn the_event_loop_form_agrees_with_call_async_on_timeouts() {
    let script = [None, Some(Err(ReadError::Nack)), None, None];
    let asynchronous = {
        let clock = MockClock::<8>::new();
        let calls = Cell::new(0);
        let outcome = block_on(
            Retry::without_jitter(POLICY)
                .unwrap()
                .attempt_timeout_ms(30)
                .call_async(&clock, async || {
                    calls.set(calls.get() + 1);
                    scripted(&script, calls.get()).await
                }),
        );
        (outcome, clock.sleeps().collect::<Vec<_>>())
    };
    let event_loop = {
        let clock = MockClock::<8>::new();
        let mut retry = Retry::without_jitter(POLICY)
            .unwrap()
            .attempt_timeout_ms(30);
        let mut run = retry.start();
        let mut call = 0;
        let outcome = loop {
            call += 1;
            let step = match script.get(call - 1) {
                // A hung attempt: the loop's own timer fires after the time allowed.
                Some(None) => {
                    let limit = retry.attempt_limit_ms(&run).unwrap();
                    (&clock).delay_ms(limit);
                    retry.timed_out(&mut run)
                }
                Some(Some(Err(error))) => retry.failed(&mut run, *error),
                _ => {
                    retry.succeeded(&mut run);
                    break run.finish(Ok(call as u32), StopReason::Succeeded);
                }
            };
            match step {
                Step::Sleep(ms) => (&clock).delay_ms(ms),
                Step::Stop { reason, error } => break run.finish(Err(error), reason),
            }
        };
        (outcome, clock.sleeps().collect::<Vec<_>>())
    };
    assert_eq!(event_loop, asynchronous);
    assert_eq!(asynchronous.0.into_result(), Ok(5));
}

#[cfg(feature = "std")]
#[test]
fn a_timeout_is_an_io_error_of_kind_timed_out() {
    let error = std::io::Error::from(TimedOut);
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    assert!(error.get_ref().is_some_and(|inner| inner.is::<TimedOut>()));
}
