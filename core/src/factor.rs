//! The backoff factor, as an exact decimal with three places.

use core::fmt;

/// How much the delay grows after each retry, in thousandths.
///
/// `Factor::from_milli(2000)` doubles the delay, `Factor::from_milli(1500)` grows it by half.
/// Thousandths keep every decimal a user is likely to type (`1.5`, `1.25`, `1.1`) exact, with
/// no floating point anywhere.
///
/// ```
/// use embedded_retry::Factor;
///
/// assert_eq!(Factor::from_milli(1500).to_string(), "1.5");
/// assert_eq!(Factor::from_integer(2), Factor::from_milli(2000));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Factor {
    milli: u32,
}

impl Factor {
    /// A factor of 1: every retry waits the base delay.
    pub const ONE: Factor = Factor { milli: 1000 };

    /// A factor of 2: the delay doubles after each retry (the default).
    pub const TWO: Factor = Factor { milli: 2000 };

    /// The factor `milli / 1000`.
    pub const fn from_milli(milli: u32) -> Self {
        Factor { milli }
    }

    /// The whole-number factor `n`, saturating at the largest representable factor.
    pub const fn from_integer(n: u32) -> Self {
        Factor {
            milli: n.saturating_mul(1000),
        }
    }

    /// The factor in thousandths.
    pub const fn milli(self) -> u32 {
        self.milli
    }
}

impl fmt::Display for Factor {
    /// Writes the factor as a decimal without trailing zeros: `2`, `1.5`, `1.125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.milli / 1000;
        let mut frac = self.milli % 1000;
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let mut digits = 3;
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        write!(f, "{whole}.{frac:0digits$}")
    }
}
