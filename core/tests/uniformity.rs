//! Jitter is uniform: chi-square tests over a million draws per kind, with fixed seeds so they
//! cannot flake. A modulo bias, an end point never reached, or jitter that collapses at the cap
//! all push the statistic far past the critical value.

use embedded_retry::{Backoff, Factor, Jitter};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

const SAMPLES: usize = 1_000_000;

/// The chi-square value exceeded with probability 0.001 for `df` degrees of freedom
/// (Wilson-Hilferty approximation, accurate to well under 1% here).
fn critical_value(df: f64) -> f64 {
    let z = 3.090_232; // the standard normal's 0.999 quantile
    let a = 2.0 / (9.0 * df);
    df * (1.0 - a + z * a.sqrt()).powi(3)
}

/// Draws `SAMPLES` first delays of fresh runs (each run's first retry), sharing one generator.
fn first_delays(backoff: &Backoff, seed: u64) -> impl Iterator<Item = u32> + '_ {
    let mut rng = XorShiftRng::seed_from_u64(seed);
    (0..SAMPLES).map(move |_| backoff.start().next_delay_ms(backoff, &mut rng))
}

/// The chi-square statistic of the draws in `bins` equal bins over `[low, high]`, the critical
/// value at p = 0.001, and the smallest and largest draw.
fn chi_square(
    draws: impl Iterator<Item = u32>,
    low: u32,
    high: u32,
    bins: u64,
) -> (f64, f64, u32, u32) {
    let span = u64::from(high - low) + 1;
    assert_eq!(span % bins, 0, "bins must divide the range");
    let width = span / bins;
    let mut counts = vec![0u64; bins as usize];
    let (mut min, mut max) = (u32::MAX, 0);
    for d in draws {
        assert!((low..=high).contains(&d), "{d} outside [{low}, {high}]");
        counts[(u64::from(d - low) / width) as usize] += 1;
        min = min.min(d);
        max = max.max(d);
    }
    let expected = SAMPLES as f64 / bins as f64;
    let chi2: f64 = counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    (chi2, critical_value(bins as f64 - 1.0), min, max)
}

/// Asserts the draws look uniform over `[low, high]`; returns the smallest and largest.
fn assert_uniform(draws: impl Iterator<Item = u32>, low: u32, high: u32, bins: u64) -> (u32, u32) {
    let (chi2, critical, min, max) = chi_square(draws, low, high, bins);
    assert!(
        chi2 < critical,
        "chi-square {chi2:.1} >= {critical:.1} over [{low}, {high}]"
    );
    (min, max)
}

fn capped(jitter: Jitter, delay: u32) -> Backoff {
    // Base equal to the cap: every delay is the capped value, so this also checks jitter at the cap.
    Backoff::new(delay, delay, Factor::TWO, jitter).unwrap()
}

#[test]
fn full_jitter_is_uniform_over_zero_to_d_and_reaches_both_ends() {
    let b = capped(Jitter::Full, 999);
    assert_eq!(assert_uniform(first_delays(&b, 1), 0, 999, 1000), (0, 999));
}

#[test]
fn equal_jitter_is_uniform_over_half_d_to_d_and_reaches_both_ends() {
    let b = capped(Jitter::Equal, 2000);
    assert_eq!(
        assert_uniform(first_delays(&b, 2), 1000, 2000, 1001),
        (1000, 2000)
    );
}

#[test]
fn decorrelated_jitter_is_uniform_over_base_to_three_times_base() {
    let b = Backoff::new(250, 1_000_000, Factor::TWO, Jitter::Decorrelated).unwrap();
    assert_eq!(
        assert_uniform(first_delays(&b, 3), 250, 750, 501),
        (250, 750)
    );
}

#[test]
fn wide_ranges_show_no_modulo_bias() {
    // 3 * 10^9 values: `draw % span` would make the lowest 1.29 * 10^9 twice as likely.
    let b = capped(Jitter::Full, 2_999_999_999);
    assert_uniform(first_delays(&b, 4), 0, 2_999_999_999, 1000);
    // Just past a power of two: an edge for a sampler built on masks or shifts.
    let b = capped(Jitter::Full, 1 << 20);
    assert_uniform(first_delays(&b, 5), 0, 1 << 20, 1_048_577 / 17);
}

#[test]
fn a_biased_sampler_would_fail_this_test() {
    // The test's own power: modulo sampling over the wide range is rejected.
    let mut rng = XorShiftRng::seed_from_u64(4);
    let biased = (0..SAMPLES).map(|_| rand_core::Rng::next_u32(&mut rng) % 3_000_000_000);
    let (chi2, critical, _, _) = chi_square(biased, 0, 2_999_999_999, 1000);
    assert!(chi2 > 100.0 * critical, "{chi2} vs {critical}");
}
