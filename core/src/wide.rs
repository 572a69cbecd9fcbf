//! Positive numbers with a 64-bit mantissa and a binary exponent, in integer arithmetic only:
//! the precision the delay computation needs, without floating point.
//!
//! Every operation rounds up, so a computed value is never below the exact one.

/// The positive number `mantissa * 2^exponent`, with `mantissa` in `[2^63, 2^64)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Wide {
    mantissa: u64,
    exponent: i32,
}

impl Wide {
    /// `value`, which must be at least 1 (0 has no normal form; callers handle it).
    pub(crate) const fn from_int(value: u32) -> Self {
        if value == 0 {
            return Wide {
                mantissa: 0,
                exponent: -64,
            };
        }
        let shift = 32 + value.leading_zeros();
        Wide {
            mantissa: (value as u64) << shift,
            exponent: -(shift as i32),
        }
    }

    /// `milli / 1000`, rounded up to 64 significant bits.
    ///
    /// Long division by 1000 in 32-bit steps, each with 32-bit operations only, so that no
    /// 64-bit division (a long routine on a Cortex-M0) is needed.
    pub(crate) const fn from_milli(milli: u32) -> Self {
        // A remainder `r < 1000`, shifted up 32 bits and divided by 1000: as
        // 2^32 = 1000 * 4_294_967 + 296, that is `r * 4_294_967 + (r * 296) / 1000` (below
        // 2^32), with `(r * 296) % 1000` left over.
        const fn next_word(rest: u32) -> (u32, u32) {
            let (quotient, remainder) = div_rem_1000(rest * 296);
            (rest * 4_294_967 + quotient, remainder)
        }
        let (whole, rest) = div_rem_1000(milli);
        let (high, rest) = next_word(rest);
        let (low, rest) = next_word(rest);
        // milli / 1000 = whole + fraction * 2^-64, and a little more when `rest` is left over.
        // Nothing is left over only when 125 divides the first remainder `r`: the value is then
        // a multiple of 1/8, all of whose bits the mantissa keeps. So bits are dropped exactly
        // when `rest` is not 0, whichever of them the mantissa cannot take.
        let fraction = (high as u64) << 32 | low as u64;
        let dropped = rest != 0;
        if whole == 0 {
            // Below 1 (not a factor a schedule accepts, but still a number): at least 1/1000,
            // so the fraction has fewer than 10 leading zeros, which a third word fills.
            if fraction == 0 {
                return Wide::from_int(0);
            }
            let (extra, _) = next_word(rest);
            let shift = fraction.leading_zeros();
            let mantissa = fraction << shift | (extra as u64) >> (32 - shift);
            return Wide::rounded(mantissa, -64 - shift as i32, dropped);
        }
        // The whole part's bits lead; as many of the fraction's follow as fit.
        let width = 32 - whole.leading_zeros();
        let mantissa = (whole as u64) << (64 - width) | fraction >> width;
        Wide::rounded(mantissa, width as i32 - 64, dropped)
    }

    /// `mantissa * 2^exponent`, plus one unit in the last place when bits were `dropped`.
    const fn rounded(mantissa: u64, exponent: i32, dropped: bool) -> Self {
        match mantissa.checked_add(dropped as u64) {
            Some(mantissa) => Wide { mantissa, exponent },
            // Rounding carried out of 64 bits: the value is exactly 2^64 * 2^exponent.
            None => Wide {
                mantissa: 1 << 63,
                exponent: exponent.saturating_add(1),
            },
        }
    }

    /// `self * other`, rounded up. The exponent saturates, so a huge power stays huge instead
    /// of wrapping.
    ///
    /// The 128-bit product is assembled from four 32-bit products, and since both mantissas
    /// are normalised it lies in `[2^126, 2^128)`: one compare normalises it. No 128-bit
    /// arithmetic, which a Cortex-M0 would do in long library routines.
    pub(crate) const fn mul(self, other: Wide) -> Self {
        const LOW: u64 = 0xFFFF_FFFF;
        let (a1, a0) = (self.mantissa >> 32, self.mantissa & LOW);
        let (b1, b0) = (other.mantissa >> 32, other.mantissa & LOW);
        let (middle, middle_carry) = (a1 * b0).overflowing_add(a0 * b1);
        let (low, low_carry) = (a0 * b0).overflowing_add(middle << 32);
        // Cannot overflow: the whole product is below 2^128.
        let high = (a1 * b1)
            .wrapping_add(middle >> 32)
            .wrapping_add((middle_carry as u64) << 32)
            .wrapping_add(low_carry as u64);
        let (mantissa, dropped, shift) = if high >> 63 == 1 {
            (high, low != 0, 64)
        } else {
            ((high << 1) | (low >> 63), low << 1 != 0, 63)
        };
        let exponent = self.exponent.saturating_add(other.exponent);
        Wide::rounded(mantissa, exponent.saturating_add(shift), dropped)
    }

    /// The value rounded down, if it is below `limit`; `None` when it is `limit` or more.
    pub(crate) const fn floor_below(self, limit: u32) -> Option<u32> {
        // Exponent 0 or more: the value is at least 2^63, above any u32.
        if self.exponent >= 0 {
            return None;
        }
        let floor = if self.exponent <= -64 {
            0
        } else {
            self.mantissa >> -self.exponent
        };
        if floor >= limit as u64 {
            None
        } else {
            Some(floor as u32)
        }
    }
}

/// `x / 1000` and `x % 1000`, by a multiply and a shift: a Cortex-M0 has no divider, and
/// the division routine it would link is larger than this. The quotient is exact for every
/// `u32`, since 274 877 907 is 2^38 / 1000 rounded up by less than 2^(38 - 32) / 1000.
pub(crate) const fn div_rem_1000(x: u32) -> (u32, u32) {
    let quotient = ((x as u64 * 274_877_907) >> 38) as u32;
    (quotient, x - quotient * 1000)
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
    fn division_by_1000_is_exact_for_every_u32() {
        // Every value near a multiple of 1000 at the ends, and a stride through the rest.
        let ends = (0..3_000_000).chain(u32::MAX - 3_000_000..=u32::MAX);
        for x in ends.chain((0..=u32::MAX).step_by(997)) {
            assert_eq!(div_rem_1000(x), (x / 1000, x % 1000), "{x}");
        }
    }

    #[test]
    fn whole_numbers_are_exact() {
        for v in [1, 2, 3, 1000, u32::MAX] {
            assert_eq!(
                Wide::from_int(v).floor_below(u32::MAX),
                Some(v).filter(|&v| v < u32::MAX)
            );
        }
        assert_eq!(Wide::from_milli(2000), Wide::from_int(2));
        assert_eq!(
            Wide::from_milli(1500).mul(Wide::from_int(2)),
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
        let v = Wide::from_int(100).mul(f).mul(f);
        assert_eq!(v.floor_below(1000), Some(121));
    }

    #[test]
    fn products_match_128_bit_arithmetic() {
        // A spread of mantissas, including the extremes, against u128 arithmetic.
        let mut mantissas = [0u64; 128];
        mantissas[..4].copy_from_slice(&[1 << 63, u64::MAX, (1 << 63) | 1, u64::MAX - 1]);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for m in &mut mantissas[4..] {
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
                .mul(Wide {
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
    fn zero_stays_zero() {
        for zero in [Wide::from_int(0), Wide::from_milli(0)] {
            assert_eq!(zero.floor_below(1), Some(0));
            assert_eq!(zero.mul(Wide::from_milli(1500)).floor_below(1), Some(0));
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

    #[test]
    fn huge_values_saturate_instead_of_wrapping() {
        let mut v = Wide::from_milli(u32::MAX);
        for _ in 0..40 {
            v = v.mul(v);
        }
        assert_eq!(v.exponent, i32::MAX);
        assert_eq!(v.floor_below(u32::MAX), None);
        assert_eq!(v.floor_below(0), None);
    }
}
