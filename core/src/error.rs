//! Why a policy, or a retry's configuration, was refused.

use core::fmt;

use crate::{Factor, Jitter};

/// Why a policy, or a retry's configuration, was refused: found when it is built, never while a
/// run is under way (a run that cannot go on ends with a [`StopReason`](crate::StopReason)).
///
/// More errors may be added in minor releases (the enum is `#[non_exhaustive]`): a `match` on it
/// needs a `_` arm; [`Display`](fmt::Display) describes every error, the unknown ones included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PolicyError {
    /// `max_attempts` was 0: the operation would never run.
    ZeroAttempts,
    /// The base delay is larger than the cap.
    BaseAboveCap {
        /// The base delay, in milliseconds.
        base_ms: u32,
        /// The cap, in milliseconds.
        cap_ms: u32,
    },
    /// The factor is below 1, so delays would shrink.
    FactorBelowOne {
        /// The refused factor.
        factor: Factor,
    },
    /// The policy jitters its delays but the retry was given no random number generator.
    JitterNeedsRng {
        /// The policy's jitter kind.
        jitter: Jitter,
    },
}

impl PolicyError {
    /// A one-line description without the values, usable in `const` contexts.
    pub const fn message(&self) -> &'static str {
        match self {
            PolicyError::ZeroAttempts => "invalid retry policy: max_attempts must be at least 1",
            PolicyError::BaseAboveCap { .. } => {
                "invalid retry policy: the base delay is above the maximum delay"
            }
            PolicyError::FactorBelowOne { .. } => {
                "invalid retry policy: the backoff factor must be at least 1"
            }
            PolicyError::JitterNeedsRng { .. } => {
                "invalid retry: the policy has jitter but no random number generator was given"
            }
        }
    }
}

impl fmt::Display for PolicyError {
    /// What [`message`](Self::message) says, with the offending values, and without its
    /// "invalid retry policy:" (or "invalid retry:") prefix, which the caller's context gives:
    /// `the base delay (5000 ms) is above the maximum delay (1000 ms)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::ZeroAttempts => f.write_str("max_attempts must be at least 1, got 0"),
            PolicyError::BaseAboveCap { base_ms, cap_ms } => write!(
                f,
                "the base delay ({base_ms} ms) is above the maximum delay ({cap_ms} ms)"
            ),
            PolicyError::FactorBelowOne { factor } => {
                write!(f, "the backoff factor must be at least 1, got {factor}")
            }
            PolicyError::JitterNeedsRng { jitter } => write!(
                f,
                "the policy has {jitter} jitter but no random number generator was given"
            ),
        }
    }
}

impl core::error::Error for PolicyError {}
