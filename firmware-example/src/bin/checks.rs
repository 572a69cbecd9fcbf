//! On-target checks of the core: runs the same computations the host runs and prints them for
//! `cargo xtask firmware` to compare, then checks the engine's rules on the mock clock.
//!
//! Lines for the host:
//! - `seq <jitter> <seed> <base> <cap> <factor‰> [d1, d2, ...]`: successive jittered delays;
//! - `pow <base> <cap> <factor‰> <n> <delay>`: the unjittered delay before retry `n`;
//! - `check <name> ok` or `check <name> FAILED`;
//! - `memory policy <bytes> record <bytes> log <bytes>`: the size of a `Policy<8>`, of one log
//!   record with a one-byte error, and of an 8-record log of `u32` errors (the `stack` binary
//!   measures the stack a run uses);
//! - finally `checks done: <vectors> vectors, <failed> failed`.
//!
//! Exits 0 when every rule held; the host also fails the run if a printed value differs from
//! its own.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use embedded_retry::{
    AttemptOutcome, Backoff, Factor, Jitter, MockClock, Policy, PolicyError, Retry, StopReason,
};
use firmware_example::{exit, exit_on_panic};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

exit_on_panic!();

const JITTERS: [(Jitter, &str); 4] = [
    (Jitter::None, "none"),
    (Jitter::Equal, "equal"),
    (Jitter::Full, "full"),
    (Jitter::Decorrelated, "decorrelated"),
];
const SEEDS: [u64; 3] = [1, 7, 0xDEAD_BEEF_0BAD_5EED];
/// (base, cap, factor in thousandths)
const SCHEDULES: [(u32, u32, u32); 2] = [(100, 60_000, 2000), (7, 100_000, 1500)];
const FACTORS: [u32; 6] = [1000, 1001, 1100, 1500, 2000, 3141];
const RETRIES: [u32; 8] = [1, 2, 3, 10, 33, 1000, 65_536, u32::MAX];
const DRAWS: usize = 16;

#[entry]
fn main() -> ! {
    let mut vectors = 0u32;
    for (base, cap, milli) in SCHEDULES {
        for (jitter, name) in JITTERS {
            let Ok(backoff) = Backoff::new(base, cap, Factor::from_milli(milli), jitter) else {
                exit(false)
            };
            for seed in SEEDS {
                let mut rng = XorShiftRng::seed_from_u64(seed);
                let mut state = backoff.start();
                let delays: [u32; DRAWS] =
                    core::array::from_fn(|_| state.next_delay_ms(&backoff, &mut rng));
                defmt::println!(
                    "seq {=str} {=u64} {=u32} {=u32} {=u32} {=[?]}",
                    name,
                    seed,
                    base,
                    cap,
                    milli,
                    delays[..]
                );
                vectors += 1;
            }
        }
    }
    for milli in FACTORS {
        for base in [1, 100] {
            let Ok(backoff) = Backoff::new(base, u32::MAX, Factor::from_milli(milli), Jitter::None)
            else {
                exit(false)
            };
            for n in RETRIES {
                defmt::println!(
                    "pow {=u32} {=u32} {=u32} {=u32} {=u32}",
                    base,
                    u32::MAX,
                    milli,
                    n,
                    backoff.delay_ms(n)
                );
                vectors += 1;
            }
        }
    }

    defmt::println!(
        "memory policy {=usize} record {=usize} log {=usize}",
        core::mem::size_of::<Policy<8>>(),
        core::mem::size_of::<embedded_retry::AttemptOutcome<Fault>>(),
        core::mem::size_of::<embedded_retry::AttemptLog<u32, 8>>(),
    );

    let results = [
        (
            "seed-default-succeeds-after-300-ms",
            seed_default_succeeds(),
        ),
        (
            "exhausted-keeps-log-without-final-sleep",
            exhausted_keeps_log(),
        ),
        ("non-retryable-stops-at-once", non_retryable_stops()),
        ("jitter-without-rng-refused", jitter_without_rng_refused()),
    ];
    let mut failed = 0u32;
    for (name, ok) in results {
        if ok {
            defmt::println!("check {=str} ok", name);
        } else {
            defmt::println!("check {=str} FAILED", name);
            failed += 1;
        }
    }
    defmt::println!(
        "checks done: {=u32} vectors, {=u32} failed",
        vectors,
        failed
    );
    exit(failed == 0)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
enum Fault {
    Transient,
    Permanent,
}

const PLAIN: Policy<8> = Policy::builder()
    .max_attempts(5)
    .base_delay_ms(100)
    .jitter(Jitter::None)
    .build_or_panic();

/// The seed's flaky function: `fails` transient failures, then success; call `permanent_at`
/// fails for good.
fn run(
    policy: Policy<8>,
    fails: u32,
    permanent_at: u32,
) -> (embedded_retry::Outcome<u32, Fault, 8>, MockClock<8>) {
    let clock = MockClock::new();
    let mut calls = 0;
    let outcome = match Retry::without_jitter(policy) {
        Ok(retry) => retry
            .when(|e: &Fault| *e == Fault::Transient)
            .call(&clock, || {
                calls += 1;
                if calls == permanent_at {
                    Err(Fault::Permanent)
                } else if calls <= fails {
                    Err(Fault::Transient)
                } else {
                    Ok(calls)
                }
            }),
        Err(_) => exit(false),
    };
    (outcome, clock)
}

fn seed_default_succeeds() -> bool {
    let (outcome, clock) = run(PLAIN, 2, 0);
    outcome.value() == Some(&3)
        && outcome.log().len() == 3
        && clock.sleeps().eq([100, 200])
        && outcome.total_delay_ms() == 300
}

fn exhausted_keeps_log() -> bool {
    let Ok(three) = Policy::builder()
        .max_attempts(3)
        .base_delay_ms(100)
        .jitter(Jitter::None)
        .build()
    else {
        return false;
    };
    let (outcome, clock) = run(three, 10, 0);
    outcome.stop_reason() == StopReason::AttemptsExhausted
        && outcome.log().len() == 3
        && outcome.log()[2]
            == AttemptOutcome::Stopped {
                reason: StopReason::AttemptsExhausted,
            }
        && outcome.last_error() == Some(&Fault::Transient)
        && clock.sleep_count() == 2
        && outcome.total_delay_ms() == 300
}

fn non_retryable_stops() -> bool {
    let (outcome, clock) = run(PLAIN, 10, 2);
    outcome.stop_reason() == StopReason::NotRetryable
        && outcome.log().len() == 2
        && clock.sleeps().eq([100])
}

fn jitter_without_rng_refused() -> bool {
    let Ok(jittered) = Policy::<8>::builder().jitter(Jitter::Full).build() else {
        return false;
    };
    matches!(
        Retry::without_jitter(jittered),
        Err(PolicyError::JitterNeedsRng {
            jitter: Jitter::Full
        })
    )
}
