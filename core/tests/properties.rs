//! Properties of the schedule and the engine over whole input domains.
//!
//! The runner's seed is fixed, so a run is reproducible and cannot flake; every case is still
//! drawn from the whole domain (any attempts, base, cap, factor, jitter kind, seed, and attempt
//! number up to `u32::MAX`).

use std::cell::Cell;

use embedded_retry::{
    AttemptOutcome, Backoff, Factor, Jitter, MockClock, Policy, PolicyError, Retry, StopReason,
};
use num_bigint::BigUint;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

const CAPACITY: usize = 64;

fn config() -> Config {
    Config {
        cases: 512,
        rng_seed: RngSeed::Fixed(0x5eed),
        failure_persistence: None,
        ..Config::default()
    }
}

fn jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Equal),
        Just(Jitter::Full),
        Just(Jitter::Decorrelated)
    ]
}

/// Factors in thousandths: near 1, everyday ones, and any at all.
fn factor_milli() -> impl Strategy<Value = u32> {
    prop_oneof![
        1000u32..=1010,
        prop::sample::select(vec![1000, 1100, 1250, 1500, 2000, 3000, 10_000]),
        1000u32..=5000,
        1000u32..=u32::MAX,
    ]
}

/// Milliseconds: small, everyday, and any at all.
fn millis() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..=10, 0u32..=100_000, any::<u32>()]
}

/// A valid schedule: base at most cap, factor at least 1.
fn schedule() -> impl Strategy<Value = Backoff> {
    (millis(), millis(), factor_milli(), jitter()).prop_map(|(a, b, milli, jitter)| {
        Backoff::new(a.min(b), a.max(b), Factor::from_milli(milli), jitter).unwrap()
    })
}

/// Attempt numbers: the first few, and any at all.
fn retry_number() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..=64, any::<u32>(), Just(u32::MAX)]
}

/// `base * (milli/1000)^k` compared with `cap`, in exact integer arithmetic.
fn exact_reaches_cap(base: u32, cap: u32, milli: u32, k: u32) -> bool {
    BigUint::from(base) * BigUint::from(milli).pow(k)
        >= BigUint::from(cap) * BigUint::from(1000u32).pow(k)
}

/// The smallest `k` with `base * factor^k >= cap` (`None` if it never gets there).
fn exact_cap_exponent(base: u32, cap: u32, milli: u32) -> Option<u32> {
    if base == 0 {
        return (cap == 0).then_some(0);
    }
    if exact_reaches_cap(base, cap, milli, 0) {
        return Some(0);
    }
    if milli == 1000 {
        return None;
    }
    // With factor >= 1.001 and cap / base < 2^32, k is below 22 200.
    let (mut low, mut high) = (0u32, 1u32);
    while !exact_reaches_cap(base, cap, milli, high) {
        low = high;
        high *= 2;
    }
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if exact_reaches_cap(base, cap, milli, middle) {
            high = middle;
        } else {
            low = middle;
        }
    }
    Some(high)
}

fn exact_floor(base: u32, milli: u32, k: u32) -> BigUint {
    BigUint::from(base) * BigUint::from(milli).pow(k) / BigUint::from(1000u32).pow(k)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn delays_stay_within_the_cap_and_never_decrease(b in schedule(), n in retry_number()) {
        let d = b.delay_ms(n);
        prop_assert!(d <= b.cap_ms());
        prop_assert!(d >= b.base_ms().min(b.cap_ms()) || b.base_ms() == 0);
        if n < u32::MAX {
            prop_assert!(b.delay_ms(n + 1) >= d);
        }
        if n > 0 {
            prop_assert!(b.delay_ms(n - 1) <= d);
        }
    }

    #[test]
    fn delays_reach_the_cap_exactly_when_exact_arithmetic_does(
        // Round bases make whole-millisecond exact values common, where rounding matters most.
        base in prop_oneof![
            1u32..=u32::MAX,
            (1u32..=4294).prop_map(|x| x * 1_000_000),
            (1u32..=429_496).prop_map(|x| x * 10_000),
        ],
        cap in any::<u32>(),
        milli in factor_milli(),
        n in retry_number(),
    ) {
        let cap = cap.max(base);
        let b = Backoff::new(base, cap, Factor::from_milli(milli), Jitter::None).unwrap();
        let k = n.saturating_sub(1);
        let threshold = exact_cap_exponent(base, cap, milli);
        let reached = threshold.is_some_and(|t| k >= t);
        prop_assert_eq!(b.delay_ms(n) == cap, reached || base == cap);
        // Below the cap, the value is the exact floor.
        if !reached && k < 30_000 {
            prop_assert_eq!(BigUint::from(b.delay_ms(n)), exact_floor(base, milli, k));
        }
    }

    #[test]
    fn each_jitter_kind_stays_within_its_bounds(b in schedule(), seed in any::<u64>()) {
        let mut rng = XorShiftRng::seed_from_u64(seed);
        let mut state = b.start();
        let mut previous = b.base_ms();
        for n in 1..=40 {
            let d = state.next_delay_ms(&b, &mut rng);
            let capped = b.delay_ms(n);
            let (low, high) = match b.jitter() {
                Jitter::None => (capped, capped),
                Jitter::Equal => (capped.div_ceil(2), capped),
                Jitter::Full => (0, capped),
                Jitter::Decorrelated => {
                    (b.base_ms(), b.cap_ms().min(previous.saturating_mul(3)).max(b.base_ms()))
                }
            };
            prop_assert!(low <= d && d <= high, "retry {}: {} not in [{}, {}]", n, d, low, high);
            prop_assert!(d <= b.cap_ms());
            previous = d;
        }
    }

    #[test]
    fn a_run_draws_what_one_delay_for_retry_n_gives(
        // Besides any two, the edges: base 0, base at the cap, and the widest cap.
        (base, cap) in prop_oneof![
            (millis(), millis()).prop_map(|(a, b)| (a.min(b), a.max(b))),
            millis().prop_map(|a| (0, a)),
            millis().prop_map(|a| (a, a)),
            millis().prop_map(|a| (a, u32::MAX)),
        ],
        // Powers of two step from the last delay; the others are computed afresh.
        milli in prop_oneof![factor_milli(), (0u32..=22).prop_map(|shift| 1000 << shift)],
        jitter in jitter(),
        seed in any::<u64>(),
    ) {
        let b = Backoff::new(base, cap, Factor::from_milli(milli), jitter).unwrap();
        let mut run_rng = XorShiftRng::seed_from_u64(seed);
        let mut one_rng = XorShiftRng::seed_from_u64(seed);
        let mut state = b.start();
        let mut previous = b.base_ms();
        // 40 retries: past the cap for any power-of-two factor above 1 and base above 0. The
        // one-delay form's closed form ends with the step the run takes; the unit tests in
        // `backoff.rs` check both against the general arithmetic, which shares no code with it.
        for n in 1..=40 {
            let one = b.jittered_delay_ms(n, previous, &mut one_rng);
            prop_assert_eq!(state.next_delay_ms(&b, &mut run_rng), one, "retry {}", n);
            previous = one;
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_sequence(b in schedule(), seed in any::<u64>()) {
        let draw = || {
            let mut rng = XorShiftRng::seed_from_u64(seed);
            let mut state = b.start();
            (0..20).map(|_| state.next_delay_ms(&b, &mut rng)).collect::<Vec<_>>()
        };
        prop_assert_eq!(draw(), draw());
    }

    #[test]
    fn every_run_keeps_the_rules(
        attempts in 1u32..=CAPACITY as u32,
        b in schedule(),
        seed in any::<u64>(),
        // Each call's result: Ok, a retryable error, or (rarely) a permanent one.
        results in prop::collection::vec(0u8..=20, CAPACITY),
    ) {
        let policy: Policy<CAPACITY> = Policy::builder()
            .max_attempts(attempts)
            .base_delay_ms(b.base_ms())
            .max_delay_ms(b.cap_ms())
            .factor(b.factor())
            .jitter(b.jitter())
            .build()
            .unwrap();
        let clock = MockClock::<CAPACITY>::new();
        let calls = Cell::new(0usize);
        let outcome = Retry::new(policy, XorShiftRng::seed_from_u64(seed))
            .when(|e: &u8| *e != 20)
            .call(&clock, || {
                let r = results[calls.get()];
                calls.set(calls.get() + 1);
                if r == 0 { Ok(calls.get()) } else { Err(r) }
            });
        let log = outcome.log();
        // One record per call, numbered from 1.
        prop_assert_eq!(log.len(), calls.get());
        prop_assert!(log.iter().enumerate().all(|(i, a)| a.number as usize == i + 1));
        // Every record but the last was retried after a sleep; the last never sleeps.
        let last = log.last().unwrap();
        let retried = |a: embedded_retry::Attempt<'_, u8>| matches!(a.outcome, AttemptOutcome::Retried { .. });
        prop_assert!(log.iter().take(log.len() - 1).all(retried));
        prop_assert_eq!(last.slept_ms(), None);
        match outcome.stop_reason() {
            StopReason::Succeeded => prop_assert_eq!(results[log.len() - 1], 0),
            StopReason::NotRetryable => prop_assert_eq!(results[log.len() - 1], 20),
            StopReason::AttemptsExhausted => prop_assert_eq!(log.len(), attempts as usize),
            other => prop_assert!(false, "no budget, deadline or hint here, yet {:?}", other),
        }
        // A non-retryable error stops the run at once.
        prop_assert!(results[..log.len() - 1].iter().all(|&r| r != 0 && r != 20));
        // The slept total is the log's sum and the clock's advance, sleep for sleep.
        let slept: Vec<u32> = log.iter().filter_map(|a| a.slept_ms()).collect();
        prop_assert_eq!(outcome.total_delay_ms(), slept.iter().map(|&d| u64::from(d)).sum::<u64>());
        prop_assert_eq!(clock.now_ms(), outcome.total_delay_ms());
        let recorded: Vec<u32> = clock.sleeps().collect();
        prop_assert_eq!(recorded, slept);
    }

    #[test]
    fn invalid_policies_are_refused_with_the_right_error(
        attempts in prop_oneof![Just(0u32), 0u32..=2 * CAPACITY as u32, any::<u32>()],
        base in millis(),
        cap in millis(),
        milli in prop_oneof![0u32..=1000, 0u32..=2000, any::<u32>()],
        jitter in jitter(),
    ) {
        let built: Result<Policy<CAPACITY>, PolicyError> = Policy::builder()
            .max_attempts(attempts)
            .base_delay_ms(base)
            .max_delay_ms(cap)
            .factor(Factor::from_milli(milli))
            .jitter(jitter)
            .build();
        let expected = if attempts == 0 {
            Err(PolicyError::ZeroAttempts)
        } else if base > cap {
            Err(PolicyError::BaseAboveCap { base_ms: base, cap_ms: cap })
        } else if milli < 1000 {
            Err(PolicyError::FactorBelowOne { factor: Factor::from_milli(milli) })
        } else {
            Ok(())
        };
        prop_assert_eq!(built.map(|_| ()), expected);
    }
}
