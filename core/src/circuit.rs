//! A circuit breaker: after a run of failures, or too many, it refuses calls for a cool-down,
//! then lets one probe through.

use core::cell::Cell;
use core::fmt;

use crate::{Clock, RetryBudget};

/// The error of a call that a [`CircuitBreaker`] refused: what the operation's own error type
/// is made from, through `From<CircuitOpen>`, so that the refused call's outcome can hand back
/// an error of the operation's type. No attempt was made.
///
/// ```
/// use embedded_retry::CircuitOpen;
///
/// #[derive(Debug, PartialEq)]
/// enum LinkError { Nack, PeerDown }
///
/// impl From<CircuitOpen> for LinkError {
///     fn from(_: CircuitOpen) -> Self { LinkError::PeerDown }
/// }
/// assert_eq!(LinkError::from(CircuitOpen), LinkError::PeerDown);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CircuitOpen;

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the circuit is open: the call was not made")
    }
}

impl core::error::Error for CircuitOpen {}

/// A refused call as an `io::Error` of kind `Other` (`get_ref` finds the `CircuitOpen` in it),
/// so that a run over `io::Result` needs no error type of its own. Needs the `std` feature.
#[cfg(feature = "std")]
impl From<CircuitOpen> for std::io::Error {
    fn from(open: CircuitOpen) -> Self {
        std::io::Error::other(open)
    }
}

/// When a [`CircuitBreaker`] opens, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CircuitSettings {
    /// Open after this many failed attempts in a row, with no success between them (0: never
    /// for this reason).
    pub consecutive_failures: u32,
    /// Open once the failed attempts reach this many thousandths of the attempts ended since
    /// the breaker closed (0: never for this reason) ...
    pub failure_ratio: u32,
    /// ... and at least this many attempts have ended since it closed.
    pub min_attempts: u32,
    /// How long it stays open before it lets a probe through, in milliseconds on its clock.
    pub cool_down_ms: u64,
}

impl CircuitSettings {
    /// Open after 5 failed attempts in a row, or once half of at least 20 attempts have
    /// failed; a cool-down of 30 s.
    pub const DEFAULT: CircuitSettings = CircuitSettings {
        consecutive_failures: 5,
        failure_ratio: 500,
        min_attempts: 20,
        cool_down_ms: 30_000,
    };
}

impl Default for CircuitSettings {
    fn default() -> Self {
        CircuitSettings::DEFAULT
    }
}

/// Where a [`CircuitBreaker`] stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CircuitState {
    /// Calls and retries go through, and their results are counted.
    Closed,
    /// Every call is refused until the cool-down is over.
    Open,
    /// The cool-down is over: the next call goes through as the probe (or has gone, and its
    /// result is awaited), and no other call or retry does.
    HalfOpen,
}

/// The breaker's state, with what each state needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Closed {
        /// Failed attempts since the last success.
        in_a_row: u32,
        /// Failed attempts since it closed.
        failed: u32,
        /// Attempts ended (failed or succeeded) since it closed.
        ended: u32,
    },
    /// Opened at `since_ms`.
    Open { since_ms: u64 },
    /// The probe went through at `since_ms`.
    Probing { since_ms: u64 },
}

/// The counts of failed and ended attempts with one more attempt ended, a failure or not. At
/// `u32::MAX` ended, both are halved first: the ratio then stays that of the attempts since the
/// breaker closed, where saturated counts would let failures go on counting and successes not.
const fn one_more(failed: u32, ended: u32, failure: bool) -> (u32, u32) {
    let (failed, ended) = if ended == u32::MAX {
        (failed / 2, ended / 2)
    } else {
        (failed, ended)
    };
    // `failed <= ended`, so neither can reach its limit here.
    (
        failed.saturating_add(failure as u32),
        ended.saturating_add(1),
    )
}

const CLOSED: State = State::Closed {
    in_a_row: 0,
    failed: 0,
    ended: 0,
};

/// A circuit breaker, which refuses first attempts too: while the peer seems down, calls end at
/// once with [`CircuitOpen`] (and
/// [`StopReason::CircuitOpen`](crate::StopReason::CircuitOpen)), so a device stops hammering,
/// and powering a radio for, a dead peer.
///
/// - **Closed**, at first: calls and retries go through. It opens after
///   [`consecutive_failures`](CircuitSettings::consecutive_failures) failed attempts in a row,
///   or once the failed attempts reach [`failure_ratio`](CircuitSettings::failure_ratio)
///   thousandths of those ended since it closed, counted from
///   [`min_attempts`](CircuitSettings::min_attempts) ended attempts. A failed attempt is one
///   that timed out or whose error the predicate retries; one whose error it refuses (a
///   malformed request, a 404) is the peer's answer, and counts as a success. Attempts, not
///   calls, are counted: each one reaches the peer, retries included (once the count reaches
///   `u32::MAX`, both counts are halved, which keeps the ratio), and the ratio stays between 0
///   and 1000 whatever the policy.
/// - **Open** for [`cool_down_ms`](CircuitSettings::cool_down_ms) on its own [`Clock`]: every
///   call is refused, and a retry that was under way when it opened is not made.
/// - **Half-open** after the cool-down: the next call goes through, and its first attempt is
///   the probe; no other call and no retry goes through meanwhile. The probe's success (or an
///   error the predicate refuses) closes the breaker, with its counts reset; its failure opens
///   it for another cool-down. A probe whose result never comes (its future dropped) is given
///   up after a cool-down, and the next call probes.
///
/// Results that arrive while it is open, or half-open before the probe is let through (those
/// of calls that started before it opened), are ignored; once the probe is through, the first
/// result to arrive decides, taken for the probe's.
///
/// It is a [`RetryBudget<E>`](RetryBudget) for every error type `E: From<CircuitOpen>`, and
/// serves one thread: it keeps a 64-bit time and its counts in `Cell`s, and is not `Sync`, since
/// a Cortex-M3 has no 64-bit atomics to share them with. The operations of one thread (a
/// super-loop, the tasks of one executor) share it by reference; each thread needs its own.
///
/// ```
/// use embedded_retry::{
///     CircuitBreaker, CircuitOpen, CircuitSettings, CircuitState, Jitter, MockClock, Policy,
///     Retry, StopReason,
/// };
///
/// #[derive(Debug, PartialEq)]
/// enum LinkError { Nack, PeerDown }
/// impl From<CircuitOpen> for LinkError {
///     fn from(_: CircuitOpen) -> Self { LinkError::PeerDown }
/// }
///
/// const POLICY: Policy = Policy::builder().max_attempts(3).base_delay_ms(10)
///     .jitter(Jitter::None).build_or_panic();
///
/// let clock = MockClock::<0>::new();
/// let breaker = CircuitBreaker::new(&clock, CircuitSettings {
///     consecutive_failures: 3,
///     cool_down_ms: 1_000,
///     ..CircuitSettings::DEFAULT
/// });
/// let mut retry = Retry::without_jitter(POLICY).unwrap().retry_budget(&breaker);
///
/// // Three failed attempts in a row open it ...
/// let outcome = retry.call(&clock, || Err::<(), _>(LinkError::Nack));
/// assert_eq!(outcome.total_attempts(), 3);
/// assert_eq!(breaker.state(), CircuitState::Open);
///
/// // ... and while it is open, no attempt is made.
/// let outcome = retry.call(&clock, || Ok::<_, LinkError>(()));
/// assert_eq!(outcome.stop_reason(), StopReason::CircuitOpen);
/// assert_eq!(outcome.total_attempts(), 0);
/// assert_eq!(outcome.into_result(), Err(LinkError::PeerDown));
///
/// // After the cool-down, one call probes; its success closes the breaker.
/// clock.advance(1_000);
/// assert_eq!(breaker.state(), CircuitState::HalfOpen);
/// assert!(retry.call(&clock, || Ok::<_, LinkError>(())).is_success());
/// assert_eq!(breaker.state(), CircuitState::Closed);
/// ```
#[derive(Debug)]
pub struct CircuitBreaker<C> {
    clock: C,
    settings: CircuitSettings,
    state: Cell<State>,
}

impl<C: Clock> CircuitBreaker<C> {
    /// A closed breaker that tells time by `clock` (pass `&clock` to keep it).
    pub const fn new(clock: C, settings: CircuitSettings) -> Self {
        CircuitBreaker {
            clock,
            settings,
            state: Cell::new(CLOSED),
        }
    }

    /// The breaker's settings.
    pub const fn settings(&self) -> &CircuitSettings {
        &self.settings
    }

    /// Where it stands now, as its clock tells time.
    pub fn state(&self) -> CircuitState {
        match self.state.get() {
            State::Closed { .. } => CircuitState::Closed,
            State::Open { since_ms } if !self.cooled_down(since_ms) => CircuitState::Open,
            State::Open { .. } | State::Probing { .. } => CircuitState::HalfOpen,
        }
    }

    /// A call is about to make its first attempt: `Err(CircuitOpen)` while open, or while a
    /// probe is out; after the cool-down, this call is let through as the probe.
    ///
    /// # Errors
    /// [`CircuitOpen`] when the call is refused.
    pub fn start_call(&self) -> Result<(), CircuitOpen> {
        match self.state.get() {
            State::Closed { .. } => Ok(()),
            State::Open { since_ms } | State::Probing { since_ms } => {
                if self.cooled_down(since_ms) {
                    self.state.set(State::Probing {
                        since_ms: self.clock.now_ms(),
                    });
                    Ok(())
                } else {
                    Err(CircuitOpen)
                }
            }
        }
    }

    /// An attempt failed: counted while closed, and perhaps the failure that opens it; the
    /// probe's failure opens it again.
    pub fn attempt_failed(&self) {
        let next = match self.state.get() {
            State::Closed {
                in_a_row,
                failed,
                ended,
            } => {
                let in_a_row = in_a_row.saturating_add(1);
                let (failed, ended) = one_more(failed, ended, true);
                if self.trips(in_a_row, failed, ended) {
                    self.opened()
                } else {
                    State::Closed {
                        in_a_row,
                        failed,
                        ended,
                    }
                }
            }
            open @ State::Open { .. } => open,
            State::Probing { .. } => self.opened(),
        };
        self.state.set(next);
    }

    /// Whether a retry is allowed: only while closed. It costs nothing.
    pub fn try_spend(&self) -> bool {
        matches!(self.state.get(), State::Closed { .. })
    }

    /// A retry is about to be made, its sleep over: `Err(CircuitOpen)` unless still closed, as
    /// when another call's failures opened it while the retry slept. A retry never becomes the
    /// probe.
    ///
    /// # Errors
    /// [`CircuitOpen`] when the retry is refused.
    pub fn start_retry(&self) -> Result<(), CircuitOpen> {
        if self.try_spend() {
            Ok(())
        } else {
            Err(CircuitOpen)
        }
    }

    /// An attempt failed with an error the predicate does not retry (a malformed request, a
    /// missing resource): the peer answered, so it counts as a success does, and a probe that
    /// ends so closes the breaker. Left uncounted, such a probe would leave the breaker
    /// half-open, refusing every call, until a cool-down gave it up.
    pub fn attempt_not_retryable(&self) {
        self.succeeded(false);
    }

    /// An attempt succeeded: counted while closed (ending a run of failures); the probe's
    /// success closes the breaker, with its counts reset.
    pub fn succeeded(&self, _after_retry: bool) {
        let next = match self.state.get() {
            State::Closed { failed, ended, .. } => {
                let (failed, ended) = one_more(failed, ended, false);
                State::Closed {
                    in_a_row: 0,
                    failed,
                    ended,
                }
            }
            open @ State::Open { .. } => open,
            State::Probing { .. } => CLOSED,
        };
        self.state.set(next);
    }

    fn opened(&self) -> State {
        State::Open {
            since_ms: self.clock.now_ms(),
        }
    }

    fn cooled_down(&self, since_ms: u64) -> bool {
        self.clock.now_ms().saturating_sub(since_ms) >= self.settings.cool_down_ms
    }

    /// Whether these counts open the breaker.
    fn trips(&self, in_a_row: u32, failed: u32, ended: u32) -> bool {
        let CircuitSettings {
            consecutive_failures,
            failure_ratio,
            min_attempts,
            ..
        } = self.settings;
        let run = consecutive_failures > 0 && in_a_row >= consecutive_failures;
        // failed / ended >= ratio / 1000, multiplied out.
        let ratio = failure_ratio > 0
            && ended >= min_attempts
            && u64::from(failed).saturating_mul(1000)
                >= u64::from(failure_ratio).saturating_mul(u64::from(ended));
        run || ratio
    }
}

impl<E: From<CircuitOpen>, C: Clock> RetryBudget<E> for CircuitBreaker<C> {
    fn start_call(&self) -> Result<(), E> {
        CircuitBreaker::start_call(self).map_err(E::from)
    }
    fn attempt_failed(&self) {
        CircuitBreaker::attempt_failed(self)
    }
    fn attempt_not_retryable(&self) {
        CircuitBreaker::attempt_not_retryable(self)
    }
    fn try_spend(&self) -> bool {
        CircuitBreaker::try_spend(self)
    }
    fn start_retry(&self) -> Result<(), E> {
        CircuitBreaker::start_retry(self).map_err(E::from)
    }
    fn succeeded(&self, after_retry: bool) {
        CircuitBreaker::succeeded(self, after_retry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockClock;

    #[test]
    fn counts_at_their_limit_are_halved_keeping_the_ratio() {
        let clock = MockClock::<0>::new();
        let breaker = CircuitBreaker::new(
            &clock,
            CircuitSettings {
                consecutive_failures: 0,
                failure_ratio: 20,
                min_attempts: 100,
                cool_down_ms: 1_000,
            },
        );
        // 1.99% of u32::MAX attempts failed, under the 2% that opens it.
        let failed = 85_469_128;
        breaker.state.set(State::Closed {
            in_a_row: 0,
            failed,
            ended: u32::MAX,
        });
        breaker.succeeded(false);
        let halved = State::Closed {
            in_a_row: 0,
            failed: failed / 2,
            ended: u32::MAX / 2 + 1,
        };
        assert_eq!(breaker.state.get(), halved);

        breaker.state.set(State::Closed {
            in_a_row: 3,
            failed,
            ended: u32::MAX,
        });
        breaker.attempt_failed();
        let halved = State::Closed {
            in_a_row: 4,
            failed: failed / 2 + 1,
            ended: u32::MAX / 2 + 1,
        };
        assert_eq!(breaker.state.get(), halved);
        assert_eq!(breaker.state(), CircuitState::Closed);

        // Below the limit nothing is halved.
        breaker.succeeded(false);
        let counted = State::Closed {
            in_a_row: 0,
            failed: failed / 2 + 1,
            ended: u32::MAX / 2 + 2,
        };
        assert_eq!(breaker.state.get(), counted);
    }
}
