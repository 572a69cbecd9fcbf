//! Reads an async sensor whose reads sometimes hang, on embassy: the thread-mode executor, and
//! embassy-time on a SysTick time driver. The retry races each read against a timer, honours
//! the sensor's busy hint, and keeps the whole run under a deadline on embassy's clock.
//!
//! The sensor's reads: the first never answers and times out; the second answers at once that
//! the sensor is busy for 120 ms, and the predicate turns that into a hinted delay; the third
//! converts for 400 ms, too slow for its attempt, and times out too; the fourth answers after
//! 15 ms. With no jitter the sleeps are 20 ms, 120 ms (the hint, over the schedule's 40) and
//! 80 ms, about 335 ms in all with the timed-out reads, well within the 1000 ms deadline.
//!
//! Lines for the host, which checks them:
//! - `<board>: deadline <ms> ms, <ms> ms per attempt`;
//! - `read <n> at <t> ms: ...` for each read, and `read <n> abandoned after <ms> ms` for each
//!   one whose future the timeout dropped;
//! - `attempt <n>: <outcome>` for each attempt, then `stopped: <reason>, <ms> ms slept in all`;
//! - finally `done in <ms> ms of the <ms> ms deadline: <attempts> attempts, <t> timed out,
//!   <a> abandoned`.
//!
//! Exits 0 when the reading came back within the deadline after at least one timed-out attempt
//! and a hinted delay, and every timed-out read was abandoned; 1 on anything else.
#![no_std]
#![no_main]

use embassy_executor::Spawner;
use embassy_time::{Delay, Instant};
use embedded_retry::{AttemptOutcome, Decision, EmbassyClock, Jitter, Policy, Retry, StopReason};
use firmware_example::hanging::{HangingSensor, ReadError, Reply};
use firmware_example::{board, exit, exit_on_panic, fail, log_outcome, time_driver};

exit_on_panic!();

/// Up to 6 reads, 20 ms then 40 ms, 80 ms ... capped at 160 ms. No jitter, so that both boards
/// log the same sleeps; a fleet of devices would use jitter (see `sensor`).
const POLICY: Policy<8> = Policy::builder()
    .max_attempts(6)
    .base_delay_ms(20)
    .max_delay_ms(160)
    .jitter(Jitter::None)
    .build_or_panic();

/// The most each read may take.
const ATTEMPT_TIMEOUT_MS: u32 = 50;

/// The most the whole run may take, sleeps and reads included.
const DEADLINE_MS: u64 = 1_000;

/// The reading the sensor gives in the end.
const READING: i32 = 2150;

/// What the sensor does, read after read.
const SCRIPT: [Reply; 4] = [
    Reply::Hang,
    Reply::Busy(120),
    Reply::Reading {
        after_ms: 400,
        centi_celsius: READING,
    },
    Reply::Reading {
        after_ms: 15,
        centi_celsius: READING,
    },
];

/// The predicate: a busy sensor says when to come back; a timeout is retried on the schedule;
/// an absent sensor is not worth another read.
fn decide(error: &ReadError) -> Decision {
    match *error {
        ReadError::Busy { retry_after_ms } => Decision::RetryAfter(retry_after_ms),
        ReadError::TimedOut => Decision::Retry,
        ReadError::Absent => Decision::Stop,
    }
}

#[embassy_executor::main]
async fn main(_spawner: Spawner) {
    let Some(core) = cortex_m::Peripherals::take() else {
        fail(|| defmt::error!("the core peripherals were already taken"))
    };
    time_driver::start(core.SYST);
    defmt::info!(
        "{=str}: deadline {=u64} ms, {=u32} ms per attempt",
        board::NAME,
        DEADLINE_MS,
        ATTEMPT_TIMEOUT_MS
    );

    let Ok(retry) = Retry::without_jitter(POLICY) else {
        fail(|| defmt::error!("the policy has jitter"))
    };
    let mut retry = retry
        .deadline_ms(EmbassyClock, DEADLINE_MS)
        .attempt_timeout_ms(ATTEMPT_TIMEOUT_MS)
        .when(decide);
    let mut sensor = HangingSensor::new(&SCRIPT);
    let started = Instant::now();
    let outcome = retry
        .call_async(Delay, async || sensor.read_centi_celsius().await)
        .await;
    let took_ms = started.elapsed().as_millis();

    log_outcome(&outcome);
    let mut timed_out = 0u32;
    let mut hinted = false;
    for attempt in outcome.log() {
        match attempt.outcome {
            AttemptOutcome::TimedOut { .. } => timed_out += 1,
            AttemptOutcome::Retried {
                slept_ms,
                hint_ms: Some(hint_ms),
                ..
            } => hinted |= slept_ms >= hint_ms,
            _ => {}
        }
    }
    defmt::println!(
        "done in {=u64} ms of the {=u64} ms deadline: {=u32} attempts, {=u32} timed out, \
         {=u32} abandoned",
        took_ms,
        DEADLINE_MS,
        outcome.total_attempts(),
        timed_out,
        sensor.abandoned()
    );
    exit(
        outcome.stop_reason() == StopReason::Succeeded
            && outcome.value() == Some(&READING)
            && outcome.total_attempts() == sensor.reads()
            && timed_out >= 1
            && timed_out == sensor.abandoned()
            && hinted
            && took_ms <= DEADLINE_MS,
    )
}
