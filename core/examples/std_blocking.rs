//! A blocking operation on a host thread, sleeping for real, with a deadline on the operating
//! system's clock. Run with `cargo run --example std_blocking --features std`.

use std::time::Instant;

use embedded_retry::{Jitter, Policy, Retry, StdClock, StopReason, ThreadSleep};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

const POLICY: Policy<4> = Policy::builder()
    .max_attempts(4)
    .base_delay_ms(10)
    .max_delay_ms(100)
    .jitter(Jitter::Full)
    .build_or_panic();

fn main() {
    let started = Instant::now();
    let mut retry = Retry::new(POLICY, XorShiftRng::seed_from_u64(7))
        .when(|e: &std::io::Error| e.kind() != std::io::ErrorKind::NotFound)
        .deadline_ms(StdClock::new(), 1_000);

    let mut calls = 0;
    let outcome = retry.call(ThreadSleep, || {
        calls += 1;
        if calls < 3 {
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "refused",
            ))
        } else {
            Ok(calls)
        }
    });
    assert_eq!(outcome.stop_reason(), StopReason::Succeeded);
    println!(
        "{:?} after {} attempts, {} ms slept, {:?} in all",
        outcome.value(),
        outcome.total_attempts(),
        outcome.total_delay_ms(),
        started.elapsed()
    );
    assert!(started.elapsed().as_millis() >= u128::from(outcome.total_delay_ms()));

    let outcome = retry.call(ThreadSleep, || {
        Err::<(), _>(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ))
    });
    assert_eq!(outcome.stop_reason(), StopReason::NotRetryable);
    println!("not found: {:?}", outcome.into_result().unwrap_err());
}
