//! The delay schedule: exponential growth, the cap, and jitter.

use rand_core::Rng;

use crate::jitter::uniform_inclusive;
use crate::wide::Wide;
use crate::{Factor, Jitter, PolicyError};

/// The delay rule of a retry policy: base delay, cap, factor and jitter, in whole milliseconds.
///
/// The delay before retry `n` (`n = 1` after the first failure) is
/// `d = min(base * factor^(n-1), cap)`, then jitter is applied to `d`. Computing it takes at
/// most 63 fixed-point products whatever `n` is (a multiply for each set bit of `n - 1` and a
/// square between bits), never overflows and never panics.
///
/// ```
/// use embedded_retry::{Backoff, Factor, Jitter};
///
/// let backoff = Backoff::new(100, 1000, Factor::TWO, Jitter::None).unwrap();
/// let delays: Vec<u32> = (1..=6).map(|n| backoff.delay_ms(n)).collect();
/// assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
/// assert_eq!(backoff.delay_ms(u32::MAX), 1000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    base_ms: u32,
    cap_ms: u32,
    factor: Factor,
    /// `factor` with a 64-bit mantissa, computed once (at compile time for a `const` policy)
    /// so that no delay needs a division.
    factor_wide: Wide,
    /// `Some(s)` when the factor is `2^s` (1, 2, 4, ...): such delays need only shifts, and a
    /// `const` policy with one leaves the general arithmetic out of the firmware.
    factor_log2: Option<u32>,
    jitter: Jitter,
}

impl Backoff {
    /// A schedule starting at `base_ms`, growing by `factor`, capped at `cap_ms`, with `jitter`.
    ///
    /// # Errors
    /// [`PolicyError::BaseAboveCap`] when `base_ms > cap_ms`, and
    /// [`PolicyError::FactorBelowOne`] when the factor is below 1 (the delay would shrink).
    pub const fn new(
        base_ms: u32,
        cap_ms: u32,
        factor: Factor,
        jitter: Jitter,
    ) -> Result<Self, PolicyError> {
        if base_ms > cap_ms {
            return Err(PolicyError::BaseAboveCap { base_ms, cap_ms });
        }
        if factor.milli() < Factor::ONE.milli() {
            return Err(PolicyError::FactorBelowOne { factor });
        }
        let factor_wide = Wide::from_milli(factor.milli());
        Ok(Backoff {
            base_ms,
            cap_ms,
            factor,
            factor_wide,
            factor_log2: factor_wide.power_of_two_log2(),
            jitter,
        })
    }

    /// As [`new`](Self::new), panicking with [`PolicyError::message`] if the schedule is
    /// invalid: meant for `const` items, where the panic is a compile error.
    ///
    /// ```
    /// use embedded_retry::{Backoff, Factor, Jitter};
    ///
    /// const SCHEDULE: Backoff = Backoff::new_or_panic(50, 800, Factor::TWO, Jitter::None);
    /// assert_eq!(SCHEDULE.delay_ms(3), 200);
    /// ```
    pub const fn new_or_panic(base_ms: u32, cap_ms: u32, factor: Factor, jitter: Jitter) -> Self {
        match Self::new(base_ms, cap_ms, factor, jitter) {
            Ok(backoff) => backoff,
            Err(error) => panic!("{}", error.message()),
        }
    }

    /// The delay before the first retry, in milliseconds.
    pub const fn base_ms(&self) -> u32 {
        self.base_ms
    }

    /// The largest delay, in milliseconds; jitter never goes above it.
    pub const fn cap_ms(&self) -> u32 {
        self.cap_ms
    }

    /// How much the delay grows after each retry.
    pub const fn factor(&self) -> Factor {
        self.factor
    }

    /// How each delay is randomised.
    pub const fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The delay before retry `n` without jitter: `min(base * factor^(n-1), cap)`, rounded
    /// down to whole milliseconds. Retry 0 is treated as retry 1.
    ///
    /// Computed with a 64-bit mantissa, every step rounded up: exact for whole-number factors
    /// and factors such as 1.5 or 1.25, and otherwise never below the exact value and above it
    /// by less than 2^-47 of it (under 0.0001 ms for any delay that fits in a `u32`). The
    /// whole-millisecond result is therefore the exact one unless the exact value falls within
    /// that margin below a whole millisecond. The sequence never decreases and stays at the cap
    /// once it gets there.
    #[inline(always)]
    pub const fn delay_ms(&self, n: u32) -> u32 {
        if self.base_ms == 0 {
            return 0;
        }
        match self.factor_log2 {
            Some(shift) => shifted_delay(self.base_ms, self.cap_ms, shift, n.saturating_sub(1)),
            None => self.wide_delay_ms(n),
        }
    }

    /// [`delay_ms`](Self::delay_ms) for any factor, with 64-bit-mantissa arithmetic.
    const fn wide_delay_ms(&self, n: u32) -> u32 {
        let (mut acc, mut power) = (Wide::from_int(self.base_ms), self.factor_wide);
        // Square-and-multiply over the bits of the exponent, at most 63 products: an odd
        // exponent multiplies the result by the power, an even one squares the power (which a
        // later product still uses, as the halved exponent is not 0). One call site for both,
        // so the product is compiled once. Each value multiplied is at least 1 and below 2^32,
        // which keeps every exponent far from overflow. Once a product reaches 2^32, above any
        // cap, the delay is the cap: the rest multiplies it by at least 1.
        let mut exponent = n.saturating_sub(1);
        while exponent != 0 {
            let odd = exponent & 1 == 1;
            let product = if odd { acc } else { power }.mul(&power);
            if product.at_least_2_32() {
                return self.cap_ms;
            }
            if odd {
                acc = product;
                exponent -= 1;
            } else {
                power = product;
                exponent >>= 1;
            }
        }
        match acc.floor_below(self.cap_ms) {
            Some(delay) => delay,
            None => self.cap_ms,
        }
    }

    /// The delay before retry `n` with this schedule's jitter drawn from `rng`.
    ///
    /// `previous_ms` is the delay before the previous retry (the base delay for retry 1); only
    /// decorrelated jitter uses it. [`BackoffState`] keeps it for you; this form suits a caller
    /// that knows `n` and wants one delay, which for every other kind costs the same as
    /// [`delay_ms`](Self::delay_ms) plus one draw, whatever `n` is.
    #[inline]
    pub fn jittered_delay_ms<R: Rng + ?Sized>(&self, n: u32, previous_ms: u32, rng: &mut R) -> u32 {
        self.jitter_of(self.delay_ms(n), previous_ms, rng)
    }

    /// `capped`, the unjittered delay for the retry (`delay_ms(n)`), with this schedule's jitter;
    /// decorrelated jitter ignores it and grows from `previous_ms`.
    #[inline]
    fn jitter_of<R: Rng + ?Sized>(&self, capped: u32, previous_ms: u32, rng: &mut R) -> u32 {
        // One draw from the kind's range, at one call site: a policy built at run time, whose
        // kind is not known, then compiles the draw once rather than three times.
        let (low, high) = match self.jitter {
            Jitter::None => return capped,
            Jitter::Equal => (0, capped / 2),
            Jitter::Full => (0, capped),
            // Three additions, not a multiply: no overflow check to link on a Cortex-M0.
            Jitter::Decorrelated => (
                self.base_ms,
                previous_ms
                    .saturating_add(previous_ms)
                    .saturating_add(previous_ms),
            ),
        };
        let draw = uniform_inclusive(rng, low, high);
        match self.jitter {
            Jitter::Equal => capped - draw,
            Jitter::Decorrelated => draw.min(self.cap_ms),
            Jitter::None | Jitter::Full => draw,
        }
    }

    /// Per-run state for drawing successive delays from this schedule.
    pub const fn start(&self) -> BackoffState {
        BackoffState {
            retries: 0,
            from_ms: self.base_ms,
        }
    }
}

/// `min(base * 2^(shift * exponent), cap)` with shifts and compares only; `base <= cap`.
const fn shifted_delay(base: u32, cap: u32, shift: u32, exponent: u32) -> u32 {
    if shift == 0 || exponent == 0 {
        return base;
    }
    if exponent >= 32 {
        return cap;
    }
    // Both below 32, so the product fits.
    let bits = shift * exponent;
    if bits >= 32 {
        cap
    } else {
        grow(base, bits, cap)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Backoff {
    /// The settings, without the derived internal form of the factor.
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Backoff {{ base_ms: {=u32}, cap_ms: {=u32}, factor: {}, jitter: {} }}",
            self.base_ms,
            self.cap_ms,
            self.factor,
            self.jitter
        )
    }
}

/// Where one run is in a [`Backoff`] schedule: how many delays it has drawn, and the delay the
/// next one comes from (the last delay drawn, for decorrelated jitter; for a power-of-two
/// factor, the next unjittered delay, worked out with a shift).
///
/// The schedule is passed to each call rather than borrowed, so a simulation can keep one
/// small state per client beside one shared schedule.
///
/// ```
/// use rand_core::SeedableRng;
/// use rand_xorshift::XorShiftRng;
/// use embedded_retry::{Backoff, Factor, Jitter};
///
/// let backoff = Backoff::new(100, 60_000, Factor::TWO, Jitter::Equal).unwrap();
/// let mut rng = XorShiftRng::seed_from_u64(7);
/// let mut state = backoff.start();
/// let first = state.next_delay_ms(&backoff, &mut rng);
/// let second = state.next_delay_ms(&backoff, &mut rng);
/// assert!((50..=100).contains(&first));
/// assert!((100..=200).contains(&second));
/// assert_eq!(state.retries(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BackoffState {
    retries: u32,
    from_ms: u32,
}

impl BackoffState {
    /// A state as it stands after `retries` delays of `backoff`, for tests that start a run near
    /// the counters' limits: the next unjittered delay, or the cap as the last drawn for
    /// decorrelated jitter.
    #[cfg(test)]
    pub(crate) const fn after(backoff: &Backoff, retries: u32) -> Self {
        let from_ms = if matches!(backoff.jitter, Jitter::Decorrelated) {
            backoff.cap_ms
        } else {
            backoff.delay_ms(retries.saturating_add(1))
        };
        BackoffState { retries, from_ms }
    }

    /// How many delays have been drawn.
    pub const fn retries(&self) -> u32 {
        self.retries
    }

    /// The delay before the next retry, with the schedule's jitter drawn from `rng`. `backoff`
    /// is the schedule that [`start`](Backoff::start)ed this state: the next delay steps from the
    /// last.
    ///
    /// `rng` is not used when the schedule has no jitter; a caller with no generator at all
    /// can use [`Backoff::delay_ms`], which needs neither state nor generator.
    pub fn next_delay_ms<R: Rng + ?Sized>(&mut self, backoff: &Backoff, rng: &mut R) -> u32 {
        self.next(backoff, Some(rng))
    }

    /// As [`next_delay_ms`](Self::next_delay_ms); without a generator the delay is unjittered.
    /// Callers pass `None` only for schedules whose jitter is [`Jitter::None`].
    pub(crate) fn next<R: Rng + ?Sized>(&mut self, backoff: &Backoff, rng: Option<&mut R>) -> u32 {
        self.retries = self.retries.saturating_add(1);
        // A power-of-two factor steps with a shift and a compare: `from_ms` holds this retry's
        // unjittered delay, worked out by the last call, which equals `delay_ms(retries)` (once
        // capped the schedule stays capped, and below the cap no bit is lost). Any other factor
        // is computed afresh, as its rounding is from the base.
        let capped = match backoff.factor_log2 {
            Some(_) => self.from_ms,
            None => backoff.delay_ms(self.retries),
        };
        // One call of `jitter_of`, so that it is inlined and a `const` policy's schedule folds.
        let delay = match rng {
            Some(rng) => backoff.jitter_of(capped, self.from_ms, rng),
            None => capped,
        };
        // Decorrelated jitter grows from the last delay drawn; the unjittered delay plays no
        // part in it.
        if backoff.jitter == Jitter::Decorrelated {
            self.from_ms = delay;
        } else if let Some(shift) = backoff.factor_log2 {
            self.from_ms = grow(self.from_ms, shift, backoff.cap_ms);
        }
        delay
    }
}

/// `min(delay * 2^shift, cap)` for `delay <= cap` and `shift < 32`, with a shift and a compare.
#[inline(always)]
const fn grow(delay: u32, shift: u32, cap: u32) -> u32 {
    if delay > cap >> shift {
        cap
    } else {
        delay << shift
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_steps_to_what_the_general_arithmetic_gives() {
        // Edges of the step: base 0, base at the cap, a cap one above and one below a power of
        // two times the base, and the widest cap; checked against the 64-bit-mantissa form,
        // which shares no code with the step.
        let edges = [0, 1, 3, 5, 100, 0x8000_0000, u32::MAX - 1, u32::MAX];
        for shift in [0, 1, 2, 5, 22] {
            for base in edges {
                let mut caps = [base, base.saturating_add(1), u32::MAX].to_vec();
                for k in 1..32 {
                    if let Some(exact) = base.checked_shl(k).filter(|&d| d >> k == base) {
                        caps.extend([exact.saturating_sub(1), exact, exact.saturating_add(1)]);
                    }
                }
                for cap in caps.into_iter().filter(|&cap| cap >= base) {
                    let factor = Factor::from_milli(1000 << shift);
                    let b = Backoff::new(base, cap, factor, Jitter::None).unwrap();
                    let mut state = b.start();
                    for n in 1..=40 {
                        let stepped = state.next::<crate::stand_in::NoRng>(&b, None);
                        // `delay_ms` answers 0 for base 0 before any arithmetic.
                        let general = if base == 0 { 0 } else { b.wide_delay_ms(n) };
                        assert_eq!(stepped, general, "{base} {cap} 2^{shift} #{n}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_largest_factors_and_retries_reach_the_cap_without_overflow() {
        // Tests build with overflow checks, so an exponent that overflowed would panic here.
        const FACTORS: [u32; 7] = [1001, 1100, 1500, 999_999, 1_000_001, u32::MAX - 1, u32::MAX];
        const SCHEDULES: [(u32, u32); 5] = [(1, 1), (1, 2), (1, 1000), (7, u32::MAX), (9, 9)];
        const RETRIES: [u32; 9] = [0, 1, 2, 3, 32, 33, 100_000, u32::MAX - 1, u32::MAX];
        for milli in FACTORS {
            for (base, cap) in SCHEDULES {
                let b = Backoff::new(base, cap, Factor::from_milli(milli), Jitter::None).unwrap();
                let delays = RETRIES.map(|n| b.delay_ms(n));
                assert!(delays.is_sorted(), "{milli} {base} {cap}: {delays:?}");
                assert_eq!(delays[8], cap, "{milli} {base} {cap}");
            }
        }
    }

    #[test]
    fn shifts_agree_with_the_general_arithmetic_for_powers_of_two() {
        for whole in [1, 2, 4, 8, 64, 1024, 4096] {
            for (base, cap) in [
                (1, u32::MAX),
                (3, 1000),
                (100, 60_000),
                (u32::MAX, u32::MAX),
            ] {
                let b = Backoff::new(base, cap, Factor::from_integer(whole), Jitter::None).unwrap();
                assert!(b.factor_log2.is_some());
                for n in [0, 1, 2, 3, 5, 9, 17, 31, 32, 33, 64, 1000, u32::MAX] {
                    assert_eq!(
                        b.delay_ms(n),
                        b.wide_delay_ms(n),
                        "{base} * {whole}^({n}-1) cap {cap}"
                    );
                }
            }
        }
        let log2 = |milli| Wide::from_milli(milli).power_of_two_log2();
        assert_eq!(log2(1500), None);
        assert_eq!(log2(3000), None);
        assert_eq!(log2(2000), Some(1));
        assert_eq!(log2(1000), Some(0));
        assert_eq!(log2(4_096_000), Some(12));
        assert_eq!(log2(500), None);
        assert_eq!(log2(1001), None);
    }
}
