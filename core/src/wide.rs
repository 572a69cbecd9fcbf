//! Positive numbers with a 64-bit mantissa and a binary exponent, in integer arithmetic only:
//! the precision the delay computation needs, without floating point.
//!
//! Every operation rounds up, so a computed value is never below the exact one.

/// The positive number `mantissa * 2^exponent`, with `mantissa` in `[2^63, 2^64)`, or zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Wide {
    mantissa: u64,
    exponent: i32,
}

impl Wide {
    /// Zero, which has no normal form: a mantissa of 0, whatever the exponent.
    const ZERO: Wide = Wide {
        mantissa: 0,
        exponent: 0,
    };

    /// `value`.
    pub(crate) const fn from_int(value: u32) -> Self {
        if value == 0 {
            return Wide::ZERO;
        }
        // Shifted until the top bit is set: a loop rather than `leading_zeros`, which on a
        // Cortex-M0 (no count-leading-zeros instruction) links a routine longer than the loop.
        let (mut mantissa, mut exponent) = (value as u64, 0);
        while mantissa >> 63 == 0 {
            mantissa <<= 1;
            exponent -= 1;
        }
        Wide { mantissa, exponent }
    }

    /// `milli / 1000`, rounded up to 64 significant bits.
    ///
    /// Binary long division, one quotient bit a step, with a remainder below 1000: 32-bit
    /// compares and subtractions only, and no division routine (a long one on a Cortex-M0).
    /// It runs once per schedule, when it is built (at compile time for a `const` one).
    pub(crate) const fn from_milli(milli: u32) -> Self {
        if milli == 0 {
            return Wide::ZERO;
        }
        // After `steps` steps, `quotient` is `milli * 2^(steps - 32) / 1000` rounded down and
        // `remainder` what is left over: the value is `quotient * 2^(32 - steps)` and a little
        // more when `remainder` is not 0. Steps go on until the quotient has 64 bits; from the
        // 33rd on, the dividend's bits are zeros.
        let (mut dividend, mut quotient, mut remainder, mut steps) = (milli, 0u64, 0u32, 0);
        while quotient >> 63 == 0 {
            remainder = remainder << 1 | dividend >> 31;
            dividend <<= 1;
            let bit = remainder >= 1000;
            if bit {
                remainder -= 1000;
            }
            quotient = quotient << 1 | bit as u64;
            steps += 1;
        }
        // Rounding up cannot carry out of 64 bits: that needs a quotient of all ones and a
        // remainder, so `milli * 2^k` (with `k = steps - 32`, at least 41 for 64 bits) would
        // fall short of `1000 * 2^64` by less than 1000, yet both are multiples of 2^41.
        Wide {
            mantissa: quotient + (remainder != 0) as u64,
            exponent: 32 - steps,
        }
    }

    /// `Some(s)` when the value is exactly `2^s` with `s >= 0`.
    ///
    /// For a factor from [`from_milli`](Self::from_milli), whose quotient is at least 2^63
    /// before it is rounded up, a mantissa of exactly 2^63 means nothing was left over.
    pub(crate) const fn power_of_two_log2(self) -> Option<u32> {
        if self.mantissa == 1 << 63 && self.exponent >= -63 {
            Some((self.exponent + 63) as u32)
        } else {
            None
        }
    }

    /// `mantissa * 2^exponent`, plus one unit in the last place when bits were `dropped`.
    const fn rounded(mantissa: u64, exponent: i32, dropped: bool) -> Self {
        match mantissa.checked_add(dropped as u64) {
            Some(mantissa) => Wide { mantissa, exponent },
            // Rounding carried out of 64 bits: the value is exactly 2^64 * 2^exponent.
            None => Wide {
                mantissa: 1 << 63,
                exponent: exponent + 1,
            },
        }
    }

    /// `self * other`, rounded up. The exponents must be far from `i32`'s ends: the schedule
    /// multiplies only values at least 1 and below 2^32.
    ///
    /// The 128-bit product is assembled in 32-bit words from four 32-bit products, each step
    /// a product plus words that cannot overflow 64 bits (`(2^32-1)^2 + 2 * (2^32-1)` is
    /// `2^64 - 1`), so no carry needs a test. Since both mantissas are normalised the product
    /// lies in `[2^126, 2^128)`: one compare normalises it. No 128-bit arithmetic, which a
    /// Cortex-M0 would do in long library routines.
    pub(crate) const fn mul(&self, other: &Wide) -> Self {
        const fn mul_add(x: u32, y: u32, add: u32, add2: u32) -> (u32, u32) {
            let wide = x as u64 * y as u64 + add as u64 + add2 as u64;
            (wide as u32, (wide >> 32) as u32)
        }
        let (a1, a0) = ((self.mantissa >> 32) as u32, self.mantissa as u32);
        let (b1, b0) = ((other.mantissa >> 32) as u32, other.mantissa as u32);
        let (w0, carry) = mul_add(a0, b0, 0, 0);
        let (middle_low, middle_high) = mul_add(a1, b0, carry, 0);
        let (w1, carry) = mul_add(a0, b1, middle_low, 0);
        let (w2, w3) = mul_add(a1, b1, middle_high, carry);
        let (high, rest, shift) = if w3 >> 31 == 1 {
            ((w3 as u64) << 32 | w2 as u64, w1 | w0, 64)
        } else {
            let high = (w3 as u64) << 33 | (w2 as u64) << 1 | (w1 >> 31) as u64;
            (high, w1 << 1 | w0, 63)
        };
        Wide::rounded(high, self.exponent + other.exponent + shift, rest != 0)
    }

    /// Whether the value, not 0, is 2^32 or more, above any `u32`: a normalised mantissa times
    /// `2^exponent` is in `[2^(63 + exponent), 2^(64 + exponent))`.
    pub(crate) const fn at_least_2_32(self) -> bool {
        self.exponent > -32
    }

    /// The value rounded down, if it is below `limit`; `None` when it is `limit` or more.
    ///
    /// In 32-bit operations: a value below 2^32 has its whole part in the mantissa's high word.
    pub(crate) const fn floor_below(self, limit: u32) -> Option<u32> {
        let high = (self.mantissa >> 32) as u32;
        let floor = if self.exponent <= -64 {
            0
        } else if self.exponent <= -32 {
            high >> (-32 - self.exponent)
        } else if high == 0 {
            // Zero, whatever its exponent.
            0
        } else {
            // A mantissa of at least 2^63 times 2^-31 or more: at least 2^32, above any u32.
            return None;
        };
        if floor >= limit { None } else { Some(floor) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Wide {
        /// `value * 2^exponent` normalised, rounding the dropped bits up; `value` must not be
        /// 0. The model the arithmetic is checked against, in 128 bits.
        fn from_u128_ceil(value: u128, exponent: i32) -> Self {
            let width = 128 - value.leading_zeros();
            if width <= 64 {
                let shift = 64 - width;
                return Wide {
                    mantissa: (value << shift) as u64,
                    exponent: exponent.saturating_sub(shift as i32),
                };
            }
            let shift = width - 64;
            let dropped = value & ((1 << shift) - 1) != 0;
            Wide::rounded(
                (value >> shift) as u64,
                exponent.saturating_add(shift as i32),
                dropped,
            )
        }
    }

    #[test]
    fn whole_numbers_are_exact() {
        for v in [1, 2, 3, 1000, 1 << 31, 3 << 30, u32::MAX - 1, u32::MAX] {
            assert_eq!(
                Wide::from_int(v).floor_below(u32::MAX),
                Some(v).filter(|&v| v < u32::MAX)
            );
        }
        assert_eq!(Wide::from_milli(2000), Wide::from_int(2));
        assert_eq!(
            Wide::from_milli(1500).mul(&Wide::from_int(2)),
            Wide::from_int(3)
        );
    }

    #[test]
    fn decimal_factors_round_up_by_less_than_one_unit_in_the_last_place() {
        // 1.1 = 0x1.1999...9a (hex): the mantissa 0x8CCC_CCCC_CCCC_CCCD is rounded up.
        let f = Wide::from_milli(1100);
        assert_eq!(f.mantissa, 0x8CCC_CCCC_CCCC_CCCD);
        assert_eq!(f.exponent, -63);
        // 100 * 1.1 * 1.1 = 121 exactly; the rounding up keeps it from landing on 120.
        let v = Wide::from_int(100).mul(&f).mul(&f);
        assert_eq!(v.floor_below(1000), Some(121));
    }

    #[test]
    fn products_match_128_bit_arithmetic() {
        // A spread of mantissas, including the extremes, against u128 arithmetic.
        let mut mantissas = [0u64; 128];
        mantissas[..4].copy_from_slice(&[1 << 63, u64::MAX, (1 << 63) | 1, u64::MAX - 1]);
        // Two pairs whose product's low words are equal (a product of 2^127 or more), or the
        // second twice the first (below 2^127): whether bits were dropped is then the OR of the
        // words, not their XOR.
        mantissas[4..8].copy_from_slice(&[
            0x9027_C4D1_C386_BBC5,
            0xF58D_5A8D_EB5C_4619,
            0x87D4_BEDC_5143_1193,
            0xCB04_D459_7904_3818,
        ]);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for m in &mut mantissas[8..] {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *m = x | 1 << 63;
        }
        for &a in &mantissas {
            for &b in &mantissas {
                let product = a as u128 * b as u128;
                let expected = Wide::from_u128_ceil(product, -10);
                let got = Wide {
                    mantissa: a,
                    exponent: -5,
                }
                .mul(&Wide {
                    mantissa: b,
                    exponent: -5,
                });
                assert_eq!(got, expected, "{a:#x} * {b:#x}");
            }
        }
    }

    #[test]
    fn factors_are_the_exact_quotient_rounded_up() {
        let check = |milli: u32| {
            // The smallest shift that brings milli * 2^shift / 1000 to 64 significant bits.
            let shift = (0..)
                .find(|&k| (u128::from(milli) << k) / 1000 >= 1 << 63)
                .unwrap();
            let expected = (u128::from(milli) << shift).div_ceil(1000);
            let (mantissa, exponent) = if expected == 1 << 64 {
                (1u64 << 63, 1 - shift)
            } else {
                (expected as u64, -shift)
            };
            assert_eq!(
                Wide::from_milli(milli),
                Wide { mantissa, exponent },
                "{milli}"
            );
        };
        // Below 1000 too: not a factor a schedule accepts, but the arithmetic holds.
        (1..=20_000).for_each(check);
        // Every remainder with a large whole part too.
        (u32::MAX - 20_000..=u32::MAX).for_each(check);
        [999_999, 1_000_001, 2_147_483_648]
            .into_iter()
            .for_each(check);
    }

    #[test]
    fn values_below_one_floor_to_zero() {
        for milli in [1, 499, 500, 501, 999] {
            assert_eq!(Wide::from_milli(milli).floor_below(1), Some(0), "{milli}");
        }
        assert_eq!(Wide::from_milli(1000).floor_below(2), Some(1));
    }

    #[test]
    fn zero_stays_zero() {
        for zero in [Wide::from_int(0), Wide::from_milli(0)] {
            assert_eq!(zero.floor_below(1), Some(0));
            assert_eq!(zero.mul(&Wide::from_milli(1500)).floor_below(1), Some(0));
            // A product moves zero's exponent; it is zero all the same.
            let big = Wide::from_milli(u32::MAX);
            assert_eq!(zero.mul(&big).mul(&big).mul(&big).floor_below(1), Some(0));
        }
    }

    #[test]
    fn rounding_up_all_ones_carries_into_the_exponent() {
        let carried = Wide::rounded(u64::MAX, -70, true);
        assert_eq!(carried, Wide::from_u128_ceil(1 << 64, -70));
        assert_eq!(carried.mantissa, 1 << 63);
        assert_eq!(carried.exponent, -69);
        assert_eq!(Wide::rounded(u64::MAX, -70, false).mantissa, u64::MAX);
    }
}
