//! An async operation on tokio's real timer: a deadline, a per-attempt timeout, a server's hint
//! and an error not worth retrying; then a client that spawned tasks share, each request with
//! its own jitter. Run with `cargo run --example tokio_retry --features tokio`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use embedded_retry::{
    Decision, Jitter, Policy, Retry, StopReason, TimedOut, TokioClock, TokioSleep,
};
use rand_xorshift::XorShiftRng;

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

    shared_client().await;
}

/// A client that many tasks share. It keeps the policy (a `Policy` is `Copy`) and builds a
/// `Retry` per request, each with a generator seeded from the operating system: clients that
/// all drew the same jitter would retry in step, which is what jitter is there to prevent.
struct Client {
    policy: Policy<8>,
    /// A server overloaded for its first few requests, counting all of them.
    server_calls: AtomicU32,
}

impl Client {
    async fn get(&self, path: &str) -> Result<String, FetchError> {
        let mut retry = Retry::new(self.policy, rand::make_rng::<XorShiftRng>()).when(decide);
        // `call_future` takes a closure that returns a future, here one that borrows the client
        // and the path: the task that awaits it can still be spawned (`call_async`'s closure
        // would have to own clones of them for that).
        retry
            .call_future(TokioSleep, || self.serve(path))
            .await
            .into_result()
    }

    async fn serve(&self, path: &str) -> Result<String, FetchError> {
        match self.server_calls.fetch_add(1, Ordering::Relaxed) {
            0..6 => Err(FetchError::Busy { retry_after_ms: 10 }),
            _ => Ok(format!("200 OK {path}")),
        }
    }
}

async fn shared_client() {
    let client = Arc::new(Client {
        // Full jitter: clients contending for one server spread out best with it.
        policy: Policy::builder()
            .max_attempts(8)
            .base_delay_ms(20)
            .max_delay_ms(100)
            .jitter(Jitter::Full)
            .build_or_panic(),
        server_calls: AtomicU32::new(0),
    });
    let tasks: Vec<_> = ["/a", "/b", "/c"]
        .into_iter()
        .map(|path| {
            let client = Arc::clone(&client);
            tokio::spawn(async move { client.get(path).await })
        })
        .collect();
    for task in tasks {
        let body = task
            .await
            .expect("the task ran")
            .expect("8 attempts outlast 6 refusals");
        println!("{body}");
    }
    // Six refusals shared among the three requests, then one success each.
    assert_eq!(client.server_calls.load(Ordering::Relaxed), 6 + 3);
}
