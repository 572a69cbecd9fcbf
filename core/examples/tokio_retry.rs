//! An async operation on tokio's real timer: a deadline, a per-attempt timeout, a server's hint
//! and an error not worth retrying. Run with `cargo run --example tokio_retry --features tokio`.

use std::time::Instant;

use embedded_retry::{
    Decision, Jitter, Policy, Retry, StopReason, TimedOut, TokioClock, TokioSleep,
};

#[derive(Debug, PartialEq)]
enum FetchError {
    /// The server is busy and says when to come back.
    Busy { retry_after_ms: u32 },
    /// The attempt ran out of time.
    TimedOut,
    /// Retrying cannot help.
    NotFound,
}

impl From<TimedOut> for FetchError {
    fn from(_: TimedOut) -> Self {
        FetchError::TimedOut
    }
}

const POLICY: Policy<8> = Policy::builder()
    .max_attempts(6)
    .base_delay_ms(20)
    .max_delay_ms(200)
    .jitter(Jitter::None)
    .build_or_panic();

/// A request that hangs the first time, is refused with a hint the second, and succeeds the
/// third; or fails for good with `NotFound`.
async fn fetch(call: u32, path: &str) -> Result<&'static str, FetchError> {
    if path == "/missing" {
        return Err(FetchError::NotFound);
    }
    match call {
        1 => std::future::pending().await,
        2 => Err(FetchError::Busy { retry_after_ms: 50 }),
        _ => Ok("200 OK"),
    }
}

fn decide(error: &FetchError) -> Decision {
    match error {
        FetchError::Busy { retry_after_ms } => Decision::RetryAfter(*retry_after_ms),
        FetchError::TimedOut => Decision::Retry,
        FetchError::NotFound => Decision::Stop,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let started = Instant::now();
    let mut retry = Retry::without_jitter(POLICY)
        .expect("the policy has no jitter")
        .when(decide)
        .deadline_ms(TokioClock::new(), 2_000)
        .attempt_timeout_ms(100);

    let mut calls = 0;
    let outcome = retry
        .call_async(TokioSleep, async || {
            calls += 1;
            fetch(calls, "/status").await
        })
        .await;
    for attempt in outcome.log().iter() {
        println!("attempt {}: {:?}", attempt.number, attempt.outcome);
    }
    assert_eq!(outcome.stop_reason(), StopReason::Succeeded);
    assert_eq!(outcome.total_attempts(), 3);
    // 100 ms timed out, 20 ms sleep; refused, 50 ms hinted sleep (above the scheduled 40).
    assert_eq!(outcome.total_delay_ms(), 20 + 50);
    println!("{:?} after {:?}", outcome.value(), started.elapsed());

    let outcome = retry
        .call_async(TokioSleep, async || fetch(1, "/missing").await)
        .await;
    assert_eq!(outcome.stop_reason(), StopReason::NotRetryable);
    assert_eq!(outcome.into_result(), Err(FetchError::NotFound));
    println!("/missing: not retried");
}
