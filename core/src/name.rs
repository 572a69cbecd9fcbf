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
pub struct UnknownName {
    names: &'static [&'static str],
}

impl UnknownName {
    /// A refusal listing `names`, for a type of the caller's own that reads its values by name
    /// in the same way.
    pub const fn new(names: &'static [&'static str]) -> Self {
        UnknownName { names }
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

/// The value among `all` whose name (in `names`, in the same order) is `text`.
pub(crate) fn parse<T: Copy>(
    text: &str,
    all: &[T],
    names: &'static [&'static str],
) -> Result<T, UnknownName> {
    names
        .iter()
        .zip(all)
        .find(|(name, _)| **name == text)
        .map(|(_, value)| *value)
        .ok_or(UnknownName { names })
}
