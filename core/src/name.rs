//! Text names for the crate's small enums, for command lines, configuration files and logs.

use core::fmt;

/// A text that names none of a type's values: what [`FromStr`](core::str::FromStr) gives for
/// [`Jitter`](crate::Jitter), [`HintAboveCap`](crate::HintAboveCap) and
/// [`StopReason`](crate::StopReason). It lists the names that are accepted; the text itself is
/// the caller's to quote.
///
/// ```
/// use embedded_retry::Jitter;
///
/// assert_eq!("full".parse::<Jitter>(), Ok(Jitter::Full));
/// let error = "Full".parse::<Jitter>().unwrap_err();
/// assert_eq!(error.to_string(), "expected none, equal, full or decorrelated");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UnknownName {
    names: &'static [&'static str],
}

impl UnknownName {
    /// The value among `all` whose name, in `names` in the same order (the two of one length),
    /// is `text`; or a refusal listing `names`. What the crate's enums read their names with, for a type of the
    /// caller's own to read its values the same way.
    ///
    /// ```
    /// use embedded_retry::UnknownName;
    ///
    /// #[derive(Clone, Copy, Debug, PartialEq)]
    /// enum Link { Wifi, Cellular }
    ///
    /// let all = [Link::Wifi, Link::Cellular];
    /// let names = &["wifi", "cellular"];
    /// assert_eq!(UnknownName::lookup("cellular", &all, names), Ok(Link::Cellular));
    /// let error = UnknownName::lookup("lte", &all, names).unwrap_err();
    /// assert_eq!(error.to_string(), "expected wifi or cellular");
    /// assert_eq!(error.expected(), names);
    /// ```
    ///
    /// # Errors
    /// [`UnknownName`] listing `names` when none of them is `text`.
    pub fn lookup<T: Copy, const K: usize>(
        text: &str,
        all: &[T; K],
        names: &'static [&'static str; K],
    ) -> Result<T, UnknownName> {
        names
            .iter()
            .zip(all)
            .find(|(name, _)| **name == text)
            .map(|(_, value)| *value)
            .ok_or(UnknownName { names })
    }

    /// The names that would have been accepted.
    pub const fn expected(&self) -> &'static [&'static str] {
        self.names
    }
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected ")?;
        let last = self.names.len().saturating_sub(1);
        for (i, name) in self.names.iter().enumerate() {
            let separator = match i {
                0 => "",
                _ if i == last => " or ",
                _ => ", ",
            };
            write!(f, "{separator}{name}")?;
        }
        Ok(())
    }
}

impl core::error::Error for UnknownName {}
