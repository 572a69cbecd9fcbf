//! The delay schedule: exponential growth, the cap, saturation and every jitter kind.

use embedded_retry::{Backoff, Factor, Jitter, PolicyError};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

fn plain(base: u32, cap: u32, factor_milli: u32) -> Backoff {
    Backoff::new(base, cap, Factor::from_milli(factor_milli), Jitter::None).unwrap()
}

/// `min(floor(base * (milli/1000)^k), cap)` in exact rational arithmetic; `None` when `k` is
/// too large for 128 bits.
fn exact(base: u32, cap: u32, milli: u32, k: u32) -> Option<u32> {
    let num = u128::from(base).checked_mul(u128::from(milli).checked_pow(k)?)?;
    let den = 1000u128.checked_pow(k)?;
    Some((num / den).min(u128::from(cap)) as u32)
}

#[test]
fn doubles_from_the_base_until_the_cap() {
    let b = plain(100, 60_000, 2000);
    let delays: Vec<u32> = (1..=12).map(|n| b.delay_ms(n)).collect();
    assert_eq!(
        delays,
        [
            100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000
        ]
    );
}

#[test]
fn retry_zero_is_treated_as_retry_one() {
    assert_eq!(plain(100, 1000, 2000).delay_ms(0), 100);
}

#[test]
fn saturates_at_the_cap_for_every_huge_retry_number() {
    for cap in [1, 1000, 60_000, u32::MAX] {
        let b = plain(1, cap, 2000);
        for n in [33, 64, 1000, 1 << 20, u32::MAX - 1, u32::MAX] {
            assert_eq!(b.delay_ms(n), cap, "cap {cap}, retry {n}");
        }
    }
    // The largest factor and base still saturate instead of overflowing.
    let b = plain(u32::MAX, u32::MAX, u32::MAX);
    assert_eq!(b.delay_ms(u32::MAX), u32::MAX);
    assert_eq!(b.delay_ms(2), u32::MAX);
}

#[test]
fn a_zero_base_never_delays_and_a_factor_of_one_never_grows() {
    let zero = plain(0, 1000, 2000);
    let one = plain(250, 1000, 1000);
    for n in [1, 2, 10, u32::MAX] {
        assert_eq!(zero.delay_ms(n), 0);
        assert_eq!(one.delay_ms(n), 250);
    }
}

#[test]
fn matches_exact_arithmetic_for_whole_and_dyadic_factors() {
    for milli in [1000, 1125, 1250, 1500, 1750, 2000, 2500, 3000, 10_000] {
        for base in [1, 3, 7, 100, 101, 999, 1000, 12_345] {
            let cap = u32::MAX;
            let b = plain(base, cap, milli);
            for k in (0..=20u32).take_while(|&k| exact(base, cap, milli, k).is_some()) {
                assert_eq!(
                    Some(b.delay_ms(k + 1)),
                    exact(base, cap, milli, k),
                    "base {base} factor {milli}/1000 retry {}",
                    k + 1
                );
            }
        }
    }
}

#[test]
fn decimal_factors_give_exact_whole_milliseconds() {
    // 100 * 1.1^2 = 121 exactly: rounding the factor down would give 120.
    let b = plain(100, 60_000, 1100);
    assert_eq!(b.delay_ms(3), 121);
    assert_eq!(b.delay_ms(4), 133); // 133.1
    // Against exact arithmetic for a spread of decimal factors.
    for milli in [1001, 1010, 1100, 1200, 1300, 1333, 1414, 1900, 2718] {
        for base in [1, 10, 100, 1000, 4321] {
            let b = plain(base, u32::MAX, milli);
            for k in 0..=8u32 {
                assert_eq!(Some(b.delay_ms(k + 1)), exact(base, u32::MAX, milli, k));
            }
        }
    }
}

#[test]
fn stays_exact_at_high_powers_of_decimal_factors() {
    // Exact values from rational arithmetic: min(floor(base * factor^(n-1)), cap).
    for (base, milli, n, exact) in [
        (7, 1001, 19_572, 2_189_920_695),
        (100, 1100, 150, 147_065_257),
        (1, 1001, 22_180, 4_240_376_449),
        (3, 1003, 7000, 3_822_534_947),
    ] {
        assert_eq!(
            plain(base, u32::MAX, milli).delay_ms(n),
            exact,
            "{base} * {milli}/1000^({n}-1)"
        );
    }
}

#[test]
fn never_decreases_and_stays_at_the_cap() {
    for (base, cap, milli) in [(1, 60_000, 1001), (7, 1 << 31, 1333), (100, 60_000, 1500)] {
        let b = plain(base, cap, milli);
        let mut previous = 0;
        for n in 1..=20_000 {
            let d = b.delay_ms(n);
            assert!(d >= previous, "decreased at retry {n}");
            assert!(d <= cap);
            previous = d;
        }
        assert_eq!(previous, cap);
    }
}

#[test]
fn invalid_schedules_are_refused() {
    assert_eq!(
        Backoff::new(2000, 1000, Factor::TWO, Jitter::None),
        Err(PolicyError::BaseAboveCap {
            base_ms: 2000,
            cap_ms: 1000
        })
    );
    assert_eq!(
        Backoff::new(100, 1000, Factor::from_milli(999), Jitter::None),
        Err(PolicyError::FactorBelowOne {
            factor: Factor::from_milli(999)
        })
    );
    assert!(Backoff::new(1000, 1000, Factor::ONE, Jitter::None).is_ok());
}

/// Draws `count` delays from a fresh run of `b` seeded with `seed`.
fn draw(b: &Backoff, seed: u64, count: usize) -> Vec<u32> {
    let mut rng = XorShiftRng::seed_from_u64(seed);
    let mut state = b.start();
    (0..count)
        .map(|_| state.next_delay_ms(b, &mut rng))
        .collect()
}

#[test]
fn every_jitter_kind_stays_within_its_bounds_and_the_cap() {
    for jitter in Jitter::ALL {
        let b = Backoff::new(100, 5000, Factor::TWO, jitter).unwrap();
        for seed in 0..200 {
            let delays = draw(&b, seed, 12);
            let mut previous = 100;
            for (i, &d) in delays.iter().enumerate() {
                let capped = b.delay_ms(i as u32 + 1);
                let (lo, hi) = match jitter {
                    Jitter::None => (capped, capped),
                    Jitter::Equal => (capped.div_ceil(2), capped),
                    Jitter::Full => (0, capped),
                    Jitter::Decorrelated => (100, (3 * previous).min(5000)),
                };
                assert!(
                    (lo..=hi).contains(&d),
                    "{jitter:?} seed {seed}: {d} not in [{lo}, {hi}]"
                );
                assert!(d <= 5000);
                previous = d;
            }
        }
    }
}

#[test]
fn jitter_reaches_both_ends_of_its_range_at_the_cap() {
    // At the cap, full jitter must still reach the cap itself and 0: jitter applied to the
    // capped value, not clamped after it.
    let b = Backoff::new(4, 4, Factor::TWO, Jitter::Full).unwrap();
    let mut seen = [false; 5];
    for seed in 0..200 {
        for d in draw(&b, seed, 3) {
            seen[d as usize] = true;
        }
    }
    assert_eq!(seen, [true; 5]);

    let b = Backoff::new(4, 4, Factor::TWO, Jitter::Equal).unwrap();
    let mut seen = [false; 5];
    for seed in 0..200 {
        for d in draw(&b, seed, 3) {
            seen[d as usize] = true;
        }
    }
    assert_eq!(seen, [false, false, true, true, true]);
}

#[test]
fn one_delay_for_retry_n_is_what_a_run_draws_at_retry_n() {
    for jitter in Jitter::ALL {
        let b = Backoff::new(100, 5000, Factor::TWO, jitter).unwrap();
        for seed in 0..50 {
            // A run's state draws retry after retry; the one-delay form is given the same
            // generator, and the previous delay, at each retry.
            let mut run_rng = XorShiftRng::seed_from_u64(seed);
            let mut one_rng = XorShiftRng::seed_from_u64(seed);
            let mut state = b.start();
            let mut previous = b.base_ms();
            for n in 1..=10 {
                let from_run = state.next_delay_ms(&b, &mut run_rng);
                let one = b.jittered_delay_ms(n, previous, &mut one_rng);
                assert_eq!(one, from_run, "{jitter:?} seed {seed} retry {n}");
                previous = one;
            }
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_delays() {
    for jitter in [Jitter::Equal, Jitter::Full, Jitter::Decorrelated] {
        let b = Backoff::new(100, 60_000, Factor::TWO, jitter).unwrap();
        assert_eq!(draw(&b, 7, 10), draw(&b, 7, 10));
        assert_ne!(draw(&b, 7, 10), draw(&b, 8, 10), "{jitter:?}");
    }
}

#[test]
fn decorrelated_grows_from_the_previous_delay_not_the_factor() {
    let b = Backoff::new(10, 1_000_000, Factor::ONE, Jitter::Decorrelated).unwrap();
    let delays = draw(&b, 3, 40);
    // With a factor of 1 plain backoff would stay at 10; decorrelated jitter grows anyway.
    assert!(delays.iter().any(|&d| d > 100), "{delays:?}");
    assert!(delays.iter().all(|&d| d >= 10));
}

#[test]
fn jitter_none_never_draws_from_the_generator() {
    use rand_core::Rng;
    let b = plain(100, 60_000, 2000);
    let mut rng = XorShiftRng::seed_from_u64(5);
    let mut untouched = rng.clone();
    let mut state = b.start();
    for _ in 0..5 {
        state.next_delay_ms(&b, &mut rng);
    }
    assert_eq!(rng.next_u64(), untouched.next_u64());
}

#[test]
fn factor_prints_as_a_short_decimal() {
    let cases = [
        (1000, "1"),
        (1500, "1.5"),
        (1250, "1.25"),
        (1125, "1.125"),
        (2010, "2.01"),
        (0, "0"),
    ];
    for (milli, text) in cases {
        assert_eq!(Factor::from_milli(milli).to_string(), text);
    }
    assert_eq!(Factor::from_integer(u32::MAX).milli(), u32::MAX);
}
