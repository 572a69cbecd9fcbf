//! Jitter kinds and unbiased integer sampling.

use rand_core::Rng;

/// How a delay is randomised, so that many clients that failed together do not all retry
/// together.
///
/// Every kind is applied to the already capped delay `d`, so a jittered delay never exceeds
/// the cap.
///
/// Which to choose:
/// - [`Equal`](Jitter::Equal) (the default) when each client must still back off: it waits at
///   least half the exponential delay, and spreads retries over the other half.
/// - [`Full`](Jitter::Full) when many clients contend for one resource and the total work
///   matters more than any one client's wait: it spreads retries the widest; in contention
///   studies it makes the fewest calls and finishes the work well before equal
///   jitter. A single retry may come almost at once.
/// - [`Decorrelated`](Jitter::Decorrelated) behaves like full jitter but never waits less than
///   the base delay; it ignores the factor and grows by up to three times the previous delay.
/// - [`None`](Jitter::None) for a single client, for tests, or when the delays must be
///   predictable; it needs no random number generator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Jitter {
    /// The delay is exactly `d`.
    None,
    /// Uniform in `[ceil(d / 2), d]`.
    #[default]
    Equal,
    /// Uniform in `[0, d]`.
    Full,
    /// `min(cap, uniform(base, 3 * previous))`, where `previous` is the last delay this kind drew
    /// in the run (the schedule's own, not a longer hinted delay slept instead) and starts at the
    /// base delay. The factor is not used; with a base of 0 every delay is 0.
    Decorrelated,
}

impl Jitter {
    /// Every kind, in the order of [`NAMES`](Self::NAMES).
    pub const ALL: [Jitter; 4] = [
        Jitter::None,
        Jitter::Equal,
        Jitter::Full,
        Jitter::Decorrelated,
    ];

    /// The kinds' text names: `none`, `equal`, `full`, `decorrelated`.
    pub const NAMES: [&'static str; 4] = ["none", "equal", "full", "decorrelated"];

    /// Whether this kind draws random numbers, and so needs a generator.
    pub const fn needs_rng(self) -> bool {
        !matches!(self, Jitter::None)
    }

    /// The kind's text name, which [`FromStr`](core::str::FromStr) reads back.
    pub const fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl core::fmt::Display for Jitter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for Jitter {
    type Err = crate::UnknownName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::name::parse(text, &Self::ALL, &Self::NAMES)
    }
}

/// Draws of the rejection loop before [`uniform_inclusive`] gives up on the generator.
const MAX_DRAWS: u32 = 32;

/// A uniform value in `[lo, hi]` (both ends included); `lo` when `hi <= lo`.
///
/// Masked rejection sampling: draws are masked to the smallest power of two that covers the
/// span and redrawn when they land beyond it. There is no modulo bias, and no division or
/// wide multiply (a Cortex-M0 has neither in hardware). Each draw is accepted with probability
/// above one half, so a working generator needs fewer than two on average; after
/// `MAX_DRAWS` rejections (probability below 2^-32) the last draw is clamped, so that a broken
/// generator stuck at one value cannot hang a retry loop.
pub(crate) fn uniform_inclusive<R: Rng + ?Sized>(rng: &mut R, lo: u32, hi: u32) -> u32 {
    let span = hi.saturating_sub(lo);
    if span == 0 {
        return lo;
    }
    // All ones up to the span's top bit, by shifts: a Cortex-M0 has no count-leading-zeros.
    let mut mask = span;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    // One draw site, so the generator is inlined once.
    let mut draws = 0;
    loop {
        let draw = rng.next_u32() & mask;
        draws += 1;
        if draw <= span || draws >= MAX_DRAWS {
            return lo + draw.min(span);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::convert::Infallible;
    use rand_core::{SeedableRng, TryRng};
    use rand_xorshift::XorShiftRng;

    /// A generator stuck at one value, as a broken hardware RNG might be.
    struct Stuck(u32);
    impl TryRng for Stuck {
        type Error = Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            Ok(self.0)
        }
        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            Ok(u64::from(self.0))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
            dst.fill(self.0 as u8);
            Ok(())
        }
    }

    #[test]
    fn reaches_both_ends_and_nothing_outside() {
        let mut rng = XorShiftRng::seed_from_u64(1);
        let mut seen = [false; 6];
        for _ in 0..1000 {
            let v = uniform_inclusive(&mut rng, 10, 15);
            assert!((10..=15).contains(&v));
            seen[(v - 10) as usize] = true;
        }
        assert_eq!(seen, [true; 6]);
    }

    #[test]
    fn empty_and_full_spans() {
        let mut rng = XorShiftRng::seed_from_u64(2);
        assert_eq!(uniform_inclusive(&mut rng, 7, 7), 7);
        assert_eq!(uniform_inclusive(&mut rng, 9, 3), 9);
        let mut max_seen = 0;
        for _ in 0..64 {
            max_seen = max_seen.max(uniform_inclusive(&mut rng, 0, u32::MAX));
        }
        assert!(max_seen > u32::MAX / 2);
    }

    /// Counts the draws it hands out.
    struct Counting(XorShiftRng, u64);
    impl TryRng for Counting {
        type Error = Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            self.1 += 1;
            self.0.try_next_u32()
        }
        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            self.1 += 2;
            self.0.try_next_u64()
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
            self.0.try_fill_bytes(dst)
        }
    }

    #[test]
    fn needs_fewer_than_two_draws_on_average() {
        // The mask is the smallest that covers the span, so more than half of all draws are
        // accepted; a wider mask, or a first draw not masked, would show here.
        for span in [
            1,
            2,
            3,
            5,
            999,
            1000,
            1024,
            1025,
            65_537,
            u32::MAX / 2 + 1,
            u32::MAX - 1,
        ] {
            let mut rng = Counting(XorShiftRng::seed_from_u64(u64::from(span)), 0);
            let samples = 20_000;
            for _ in 0..samples {
                uniform_inclusive(&mut rng, 0, span);
            }
            let mean = rng.1 as f64 / f64::from(samples);
            let bound = (span as f64 + 1.0).log2().ceil().exp2() / (span as f64 + 1.0);
            assert!(
                mean < bound * 1.05,
                "span {span}: {mean} draws per sample, bound {bound}"
            );
        }
    }

    #[test]
    fn stuck_generator_terminates_inside_the_range() {
        // Masked to 7, always above a span of 4: every draw is rejected.
        assert_eq!(uniform_inclusive(&mut Stuck(u32::MAX), 100, 104), 104);
        assert_eq!(uniform_inclusive(&mut Stuck(0), 100, 104), 100);
    }

    #[test]
    fn gives_up_after_exactly_max_draws() {
        struct StuckCounting(u32);
        impl TryRng for StuckCounting {
            type Error = Infallible;
            fn try_next_u32(&mut self) -> Result<u32, Infallible> {
                self.0 += 1;
                Ok(u32::MAX)
            }
            fn try_next_u64(&mut self) -> Result<u64, Infallible> {
                Ok(u64::MAX)
            }
            fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Infallible> {
                Ok(())
            }
        }
        let mut rng = StuckCounting(0);
        uniform_inclusive(&mut rng, 0, 4);
        assert_eq!(rng.0, MAX_DRAWS);
    }
}
