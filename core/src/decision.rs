//! What to do after an error: stop, retry on the policy's schedule, or retry after a hinted
//! delay.

/// The verdict on one error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decision {
    /// Do not retry: the run ends with this error. A retry budget does not count it as a
    /// failure of the peer (unless the attempt timed out), and a circuit breaker takes it as
    /// the peer's answer: an error that means the peer is down (a link that never came up) and
    /// should open a breaker is one to retry, bounded by the policy's attempts.
    Stop,
    /// Retry after the policy's delay.
    Retry,
    /// Retry after at least this many milliseconds, or the policy's delay if that is longer:
    /// a server's `Retry-After`, a gRPC pushback, a modem's busy timer. A hint never bypasses the
    /// stop rules (attempts, delay budget, deadline, retry budget); a hint above the policy's
    /// cap is honoured or ends the run, as [`HintAboveCap`] says.
    RetryAfter(u32),
}

impl From<bool> for Decision {
    /// `true` retries on the policy's schedule, `false` stops.
    fn from(retry: bool) -> Self {
        if retry {
            Decision::Retry
        } else {
            Decision::Stop
        }
    }
}

/// Decides what to do after an error.
///
/// Implemented for every `FnMut(&E) -> bool` and `FnMut(&E) -> Decision`, and by [`RetryAll`],
/// the default.
pub trait RetryOn<E> {
    /// The verdict on `error`.
    fn decide(&mut self, error: &E) -> Decision;
}

impl<E, F, O> RetryOn<E> for F
where
    F: FnMut(&E) -> O,
    O: Into<Decision>,
{
    fn decide(&mut self, error: &E) -> Decision {
        self(error).into()
    }
}

/// Retries every error on the policy's schedule: the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryAll;

impl<E> RetryOn<E> for RetryAll {
    fn decide(&mut self, _error: &E) -> Decision {
        Decision::Retry
    }
}

/// What to do with a hinted delay longer than the policy's cap.
///
/// The default is to honour it: the server that sent the hint knows when it can serve again, and
/// retrying earlier only earns another refusal while adding load, which is what backoff exists to
/// avoid. To bound the wait, give the policy a delay budget or the run a deadline (either ends
/// the run rather than sleep past it), or choose [`Stop`](HintAboveCap::Stop), which ends the
/// run at once with [`StopReason::HintAboveCap`](crate::StopReason::HintAboveCap).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HintAboveCap {
    /// Sleep as long as the hint says.
    #[default]
    Honour,
    /// End the run instead.
    Stop,
}

impl HintAboveCap {
    /// Both choices, in the order of [`NAMES`](Self::NAMES).
    pub const ALL: [HintAboveCap; 2] = [HintAboveCap::Honour, HintAboveCap::Stop];

    /// The choices' text names: `honour`, `stop`.
    pub const NAMES: [&'static str; 2] = ["honour", "stop"];

    /// The choice's text name, which [`FromStr`](core::str::FromStr) reads back.
    pub const fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl core::fmt::Display for HintAboveCap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for HintAboveCap {
    type Err = crate::UnknownName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::UnknownName::lookup(text, &Self::ALL, &Self::NAMES)
    }
}
