//! gRPC's retry throttling: failed attempts drain tokens, successes add a fraction of one, and
//! retries stop while half the tokens are gone.

use core::cell::Cell;

use crate::RetryBudget;
use crate::counter::Counter;

/// The settings of a [`GrpcThrottle`], as a gRPC service config's `retryThrottling` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ThrottleRates {
    /// The most tokens the throttle holds, and what it starts with (gRPC allows 1 to 1000; up
    /// to 4 294 967 works here).
    pub max_tokens: u32,
    /// Thousandths of a token a success adds (gRPC's `tokenRatio`, which has at most three
    /// decimal places: 0.1 is 100).
    pub token_ratio: u32,
}

/// Retry throttling as gRPC clients do it (gRFC A6), for any operation.
///
/// The throttle starts with [`max_tokens`](ThrottleRates::max_tokens). Every failed attempt
/// whose error the predicate retries, the first of a call or a retry, takes 1 token (never
/// below 0); every success adds
/// [`token_ratio`](ThrottleRates::token_ratio) thousandths of a token (never above the
/// maximum). A retry is allowed only while more than half of `max_tokens` is left, and costs
/// nothing beyond its own failure, if it fails. First attempts are never refused. With a
/// ratio of 0.1 the throttle drains while more than one attempt in eleven fails (one failure
/// for every ten successes), retries stop once it is half empty, and they resume as successes
/// refill it.
///
/// As in gRPC's clients, an error the predicate refuses (a `NOT_FOUND`, an
/// `INVALID_ARGUMENT`) takes no token and adds none: a malformed request is not a failing peer.
/// A hint above the cap that stops the run (`HintAboveCap::Stop`) is a failure, as gRPC's
/// pushback that says not to retry is.
///
/// Counts are kept in thousandths of a token, so the arithmetic is integer and exact.
/// `GrpcThrottle` (made by [`new`](GrpcThrottle::new)) keeps them in a `Cell` for one thread;
/// [`SharedGrpcThrottle`] (made by [`new_shared`](GrpcThrottle::new_shared)) in an
/// `AtomicU32`, `Sync`, on targets with atomic compare-and-swap.
///
/// ```
/// use embedded_retry::{GrpcThrottle, Jitter, MockClock, Policy, Retry, StopReason, ThrottleRates};
///
/// const POLICY: Policy = Policy::builder().max_attempts(10).base_delay_ms(10)
///     .jitter(Jitter::None).build_or_panic();
///
/// // 10 tokens, and 0.1 back for each success: no retry at 5 tokens or fewer.
/// let throttle = GrpcThrottle::new(ThrottleRates { max_tokens: 10, token_ratio: 100 });
/// let clock = MockClock::<16>::new();
/// let mut retry = Retry::without_jitter(POLICY).unwrap().retry_budget(&throttle);
///
/// // A peer that fails everything: after 5 failed attempts, 5 tokens are left, too few.
/// let outcome = retry.call(&clock, || Err::<(), _>("unavailable"));
/// assert_eq!(outcome.stop_reason(), StopReason::RetryBudgetExhausted);
/// assert_eq!(outcome.total_attempts(), 5);
/// assert_eq!(throttle.tokens_milli(), 5_000);
///
/// // Now no call is retried, until successes bring the throttle above 5 tokens again.
/// let outcome = retry.call(&clock, || Err::<(), _>("unavailable"));
/// assert_eq!(outcome.total_attempts(), 1);
/// for _ in 0..20 {
///     assert!(retry.call(&clock, || Ok::<_, &str>(())).is_success());
/// }
/// assert_eq!(throttle.tokens_milli(), 4_000 + 20 * 100);
/// assert!(throttle.try_spend());
/// ```
#[derive(Debug)]
pub struct GrpcThrottle<S = Cell<u32>> {
    rates: ThrottleRates,
    milli_tokens: S,
}

/// A [`GrpcThrottle`] that threads can share: its count is in an `AtomicU32`.
#[cfg(target_has_atomic = "32")]
pub type SharedGrpcThrottle = GrpcThrottle<core::sync::atomic::AtomicU32>;

impl GrpcThrottle {
    /// A full throttle for one thread.
    pub const fn new(rates: ThrottleRates) -> Self {
        GrpcThrottle {
            rates,
            milli_tokens: Cell::new(max_milli(rates)),
        }
    }
}

#[cfg(target_has_atomic = "32")]
impl SharedGrpcThrottle {
    /// A full throttle that threads can share.
    pub const fn new_shared(rates: ThrottleRates) -> Self {
        GrpcThrottle {
            rates,
            milli_tokens: core::sync::atomic::AtomicU32::new(max_milli(rates)),
        }
    }
}

/// The most thousandths of a token the throttle holds.
const fn max_milli(rates: ThrottleRates) -> u32 {
    rates.max_tokens.saturating_mul(1000)
}

impl<S> GrpcThrottle<S> {
    /// The throttle's settings.
    pub const fn rates(&self) -> ThrottleRates {
        self.rates
    }
}

impl<S: Counter> GrpcThrottle<S> {
    /// A failed attempt: one token less, never below 0.
    pub fn attempt_failed(&self) {
        self.milli_tokens
            .update(|milli| Some(milli.saturating_sub(1000)));
    }

    /// Whether a retry is allowed: while more than half of `max_tokens` is left. It costs
    /// nothing here.
    pub fn try_spend(&self) -> bool {
        // tokens > max_tokens / 2, in thousandths and without rounding.
        u64::from(self.milli_tokens.get()).saturating_mul(2) > u64::from(max_milli(self.rates))
    }

    /// A success: `token_ratio` thousandths of a token more, never above `max_tokens`.
    pub fn succeeded(&self, _after_retry: bool) {
        let max = max_milli(self.rates);
        self.milli_tokens
            .update(|milli| Some(milli.saturating_add(self.rates.token_ratio).min(max)));
    }

    /// Thousandths of a token left.
    pub fn tokens_milli(&self) -> u32 {
        self.milli_tokens.get()
    }
}

impl<S: Counter, E> RetryBudget<E> for GrpcThrottle<S> {
    fn attempt_failed(&self) {
        GrpcThrottle::attempt_failed(self)
    }
    fn try_spend(&self) -> bool {
        GrpcThrottle::try_spend(self)
    }
    fn succeeded(&self, after_retry: bool) {
        GrpcThrottle::succeeded(self, after_retry)
    }
}
