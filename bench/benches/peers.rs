//! embedded-retry beside backon, backoff and exponential-backoff, on equivalent policies:
//! exponential, factor 2, base 100 ms, cap 60 s, with and without jitter. A run of five attempts
//! is also timed as a plain hand-written integer loop doing the same work: the floor.
//!
//! Each peer is used as its docs show, with sleeping replaced by a no-op where the library
//! allows it. Where a peer cannot express the policy exactly, the README says what was compared.
//! `cargo xtask bench` runs this and prints the table with ratios.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use embedded_retry::{Backoff, Delay, Factor, Jitter, Policy, Retry};
use rand_core::{Rng, SeedableRng};
use rand_xorshift::XorShiftRng;

const BASE: Duration = Duration::from_millis(100);
const CAP: Duration = Duration::from_secs(60);
/// Attempt numbers: an early retry, and one long past the cap.
const SMALL: u32 = 3;
const SATURATED: u32 = 1000;

fn ours(jitter: Jitter) -> Backoff {
    Backoff::new(100, 60_000, Factor::TWO, jitter).unwrap()
}

fn backon(jitter: bool) -> backon::ExponentialBackoff {
    use backon::BackoffBuilder;
    backon_builder(jitter, SATURATED as usize + 1).build()
}

fn backon_builder(jitter: bool, max_times: usize) -> backon::ExponentialBuilder {
    let builder = backon::ExponentialBuilder::new()
        .with_min_delay(BASE)
        .with_max_delay(CAP)
        .with_factor(2.0)
        .with_max_times(max_times)
        .with_jitter_seed(7);
    if jitter {
        builder.with_jitter()
    } else {
        builder
    }
}

fn backoff_04(randomization: f64) -> backoff::ExponentialBackoff {
    backoff::ExponentialBackoffBuilder::new()
        .with_initial_interval(BASE)
        .with_multiplier(2.0)
        .with_max_interval(CAP)
        .with_randomization_factor(randomization)
        .with_max_elapsed_time(None)
        .build()
}

fn exponential_backoff(jitter: f32) -> exponential_backoff::Backoff {
    let mut b = exponential_backoff::Backoff::new(SATURATED + 2, BASE, CAP);
    b.set_factor(2);
    b.set_jitter(jitter);
    b
}

/// The delay before retry `n`, from a fresh schedule, as each library computes it.
fn delay_for_attempt(c: &mut Criterion, n: u32, jitter: bool) {
    let name = format!("delay_n{n}{}", if jitter { "_jitter" } else { "" });
    let mut group = c.benchmark_group(&name);
    let kind = if jitter { Jitter::Equal } else { Jitter::None };
    let schedule = ours(kind);
    let mut rng = XorShiftRng::seed_from_u64(7);
    group.bench_function("embedded-retry", |b| {
        b.iter(|| schedule.jittered_delay_ms(black_box(n), 100, &mut rng))
    });
    group.bench_function("backon", |b| {
        b.iter(|| backon(jitter).nth(black_box(n) as usize - 1))
    });
    group.bench_function("backoff", |b| {
        b.iter(|| {
            use backoff::backoff::Backoff as _;
            let mut schedule = backoff_04(if jitter { 0.5 } else { 0.0 });
            (1..black_box(n)).for_each(|_| {
                schedule.next_backoff();
            });
            schedule.next_backoff()
        })
    });
    group.bench_function("exponential-backoff", |b| {
        let schedule = exponential_backoff(if jitter { 0.5 } else { 0.0 });
        b.iter(|| schedule.iter().nth(black_box(n) as usize - 1))
    });
    group.finish();
}

/// An operation that fails four times, then succeeds: a run of five attempts.
fn flaky() -> impl FnMut() -> Result<u32, &'static str> {
    let mut calls = 0;
    move || {
        calls += 1;
        if calls < 5 { Err("timeout") } else { Ok(calls) }
    }
}

/// `op` as a closure of its own type, so that `Retry::call` is compiled for it apart, as it is
/// for each operation in a program: two benchmarks calling one compiled `call` share its code,
/// and what the optimiser does with it then depends on both (the run that reads only the total
/// took twice as long).
fn own_call_site<T, E>(mut op: impl FnMut() -> Result<T, E>) -> impl FnMut() -> Result<T, E> {
    move || op()
}

struct NoSleep;
impl Delay for NoSleep {
    fn delay_ms(&mut self, ms: u32) {
        black_box(ms);
    }
}

/// The run of five attempts written by hand, with integers only: the same attempts, the delay
/// doubled by a shift after each retry and capped with `min`, equal jitter from the same xorshift
/// draw as the engine's (one draw scaled to half the delay by a multiply and a shift, subtracted
/// from the delay), and the same sleeper. It returns the result and the
/// milliseconds slept, as the engine's `Outcome` holds them; it keeps no log and has no other stop
/// rule.
///
/// Its settings pass through `black_box` once per run, as the engine's sit in its `Policy`:
/// otherwise the optimiser folds the unjittered run into four constant sleeps and the loop does
/// none of the work it stands in for.
fn hand_written<T, E>(
    mut op: impl FnMut() -> Result<T, E>,
    mut rng: Option<&mut XorShiftRng>,
    sleep: &mut impl Delay,
) -> (Result<T, E>, u64) {
    let (max_attempts, base_ms, cap_ms): (u32, u32, u32) = black_box((5, 100, 60_000));
    let mut slept_ms = 0u64;
    let mut delay = base_ms.min(cap_ms);
    let mut attempt = 1;
    loop {
        let error = match op() {
            Ok(value) => return (Ok(value), slept_ms),
            Err(error) => error,
        };
        if attempt >= max_attempts {
            return (Err(error), slept_ms);
        }
        let mut sleep_ms = delay;
        if let Some(rng) = rng.as_deref_mut() {
            let span = delay / 2;
            let draw = (u64::from(rng.next_u32()) * (u64::from(span) + 1)) >> 32;
            sleep_ms -= draw as u32;
        }
        slept_ms += u64::from(sleep_ms);
        sleep.delay_ms(sleep_ms);
        // The cap is below 2^31, so the shift loses no bit.
        delay = (delay << 1).min(cap_ms);
        attempt += 1;
    }
}

/// A whole run of five attempts with a sleeper that does nothing.
fn run_of_five(c: &mut Criterion, jitter: bool) {
    let name = format!("run5{}", if jitter { "_jitter" } else { "" });
    let mut group = c.benchmark_group(&name);
    let kind = if jitter { Jitter::Equal } else { Jitter::None };
    let policy: Policy<5> = Policy::builder()
        .max_attempts(5)
        .base_delay_ms(100)
        .jitter(kind)
        .build()
        .unwrap();
    // The hand-written loop sleeps the engine's delays, run after run from the same seed.
    {
        let mut retry = Retry::new(policy, XorShiftRng::seed_from_u64(7));
        let mut rng = XorShiftRng::seed_from_u64(7);
        for _ in 0..1000 {
            // The operation by reference: a type of this check's own, so that the `call`
            // timed below is not also compiled for it.
            let mut op = flaky();
            let engine = retry.call(NoSleep, &mut op).total_delay_ms();
            let by_hand = hand_written(flaky(), jitter.then_some(&mut rng), &mut NoSleep).1;
            assert_eq!(
                engine, by_hand,
                "the hand-written loop differs from the engine"
            );
        }
    }
    // A `Retry` runs any number of operations, so like the peers' schedules it is made once.
    // `embedded-retry` reads only the outcome's total, as a caller of `into_result` reads only
    // the result, and the optimiser drops the log's records, which nothing reads;
    // `embedded-retry-log-read` keeps the whole outcome, so every record is written: what a
    // caller that reads the log pays. Each has an operation of its own type.
    // A macro rather than a function, so that each retry's runs are compiled where they are
    // timed, as a caller's are (a generic function in between changed the timings).
    macro_rules! bench_ours {
        ($retry:expr) => {{
            let mut retry = $retry;
            group.bench_function("embedded-retry", |b| {
                b.iter(|| {
                    black_box(&mut retry)
                        .call(NoSleep, flaky())
                        .total_delay_ms()
                })
            });
            group.bench_function("embedded-retry-log-read", |b| {
                b.iter(|| black_box(&mut retry).call(NoSleep, own_call_site(flaky())))
            });
        }};
    }
    if jitter {
        bench_ours!(Retry::new(policy, XorShiftRng::seed_from_u64(7)));
    } else {
        // A policy without jitter needs no generator.
        bench_ours!(Retry::without_jitter(policy).unwrap());
    }
    let mut rng = XorShiftRng::seed_from_u64(7);
    group.bench_function("hand-written", |b| {
        b.iter(|| hand_written(flaky(), jitter.then_some(&mut rng), &mut NoSleep).1)
    });
    group.bench_function("backon", |b| {
        use backon::BlockingRetryable;
        b.iter(|| {
            flaky()
                .retry(backon_builder(jitter, 4))
                .sleep(|d| {
                    black_box(d);
                })
                .call()
        })
    });
    group.bench_function("backoff", |b| {
        // backoff::retry sleeps with std::thread::sleep and cannot be given another sleeper,
        // so this is the loop its docs show for using a schedule by hand.
        use backoff::backoff::Backoff as _;
        b.iter(|| {
            let mut schedule = backoff_04(if jitter { 0.5 } else { 0.0 });
            let mut op = flaky();
            loop {
                match op() {
                    Ok(v) => break Some(v),
                    Err(_) => match schedule.next_backoff() {
                        Some(d) => {
                            black_box(d);
                        }
                        None => break None,
                    },
                }
            }
        })
    });
    group.bench_function("exponential-backoff", |b| {
        let schedule = {
            let mut s = exponential_backoff(if jitter { 0.5 } else { 0.0 });
            s.set_max_attempts(5);
            s
        };
        b.iter(|| {
            let mut op = flaky();
            for delay in &schedule {
                match op() {
                    Ok(v) => return Some(v),
                    Err(_) => match delay {
                        Some(d) => {
                            black_box(d);
                        }
                        None => return None,
                    },
                }
            }
            None
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    for jitter in [false, true] {
        delay_for_attempt(c, SMALL, jitter);
        delay_for_attempt(c, SATURATED, jitter);
        run_of_five(c, jitter);
    }
}

criterion_group! {
    name = peers;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(peers);
