//! Jitter kinds, and the uniform draw they share.

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
        crate::UnknownName::lookup(text, &Self::ALL, &Self::NAMES)
    }
}

/// A uniform value in `[lo, hi]` (both ends included); `lo` when `hi <= lo`.
///
/// One draw, scaled to the span by a multiply and a shift (`draw * (span + 1) >> 32`): exactly
/// one `u32` from the generator, in constant time, with no loop and no division, so that a
/// broken generator stuck at one value still gives a value in range at once. Each of the
/// `span + 1` values is given by `floor` or `ceil` of `2^32 / (span + 1)` of the 2^32 draws,
/// in one run of consecutive draws, so the chance of drawing at most any value is within 2^-32
/// of the uniform one: the delays spread evenly over the whole span, which a modulo draw does
/// not do (over a span above 2^31, neighbouring values still differ by up to two to one). A
/// Cortex-M3 or later multiplies in one instruction; a Cortex-M0 calls `__aeabi_lmul`.
pub(crate) fn uniform_inclusive<R: Rng + ?Sized>(rng: &mut R, lo: u32, hi: u32) -> u32 {
    let span = hi.saturating_sub(lo);
    // Over an empty span the draw is taken and scales to 0: no branch to skip it.
    let scaled = u64::from(rng.next_u32()) * (u64::from(span) + 1);
    // The high word is at most `span`, so the sum stays at or below `hi`.
    lo + (scaled >> 32) as u32
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
    fn takes_exactly_one_draw_whatever_the_span() {
        for span in [0, 1, 2, 5, 999, 1024, 65_537, u32::MAX / 2 + 1, u32::MAX] {
            let mut rng = Counting(XorShiftRng::seed_from_u64(u64::from(span)), 0);
            for _ in 0..1000 {
                uniform_inclusive(&mut rng, 0, span);
            }
            assert_eq!(rng.1, 1000, "span {span}");
        }
    }

    #[test]
    fn the_lowest_and_highest_draws_give_the_ends() {
        // A generator stuck at one value, as a broken hardware RNG might be, still gives a
        // value in range at once.
        assert_eq!(uniform_inclusive(&mut Stuck(u32::MAX), 100, 104), 104);
        assert_eq!(uniform_inclusive(&mut Stuck(0), 100, 104), 100);
        assert_eq!(
            uniform_inclusive(&mut Stuck(u32::MAX), 0, u32::MAX),
            u32::MAX
        );
        // Draws split the span evenly: of five values, the third begins at 2/5 of 2^32.
        let third = u32::try_from((2u64 << 32).div_ceil(5)).unwrap();
        assert_eq!(uniform_inclusive(&mut Stuck(third), 100, 104), 102);
        assert_eq!(uniform_inclusive(&mut Stuck(third - 1), 100, 104), 101);
    }
}
