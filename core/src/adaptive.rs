//! An adaptive retry bucket: every call that starts earns a fraction of a retry, and a retry
//! spends a whole one.

use core::cell::Cell;

use crate::RetryBudget;
use crate::counter::Counter;

/// The settings of an [`AdaptiveBucket`], in thousandths of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AdaptiveRates {
    /// The most the bucket holds, and what it starts with.
    pub capacity: u32,
    /// What each call earns as it starts, before its first attempt.
    pub credit: u32,
    /// What one retry costs; a retry is allowed only while the bucket holds more than this.
    pub cost: u32,
}

impl AdaptiveRates {
    /// 5 tokens, 0.1 earned by each call, 1 a retry: in the long run at most one retry for
    /// every ten calls, after a burst of up to 4 from a full bucket.
    pub const DEFAULT: AdaptiveRates = AdaptiveRates {
        capacity: 5_000,
        credit: 100,
        cost: 1_000,
    };
}

impl Default for AdaptiveRates {
    fn default() -> Self {
        AdaptiveRates::DEFAULT
    }
}

/// A retry budget that grows with the calls made, not with their successes: each call adds
/// [`credit`](AdaptiveRates::credit) to the bucket as it starts (up to the
/// [`capacity`](AdaptiveRates::capacity)), and each retry takes [`cost`](AdaptiveRates::cost),
/// allowed only while the bucket holds more than the cost. It starts full.
///
/// With the [defaults](AdaptiveRates::DEFAULT), retries add at most a tenth to the load in the
/// long run, however many calls fail: a client whose peer fails everything makes about 1.1
/// attempts a call instead of the policy's maximum, while one whose peer fails now and then
/// still retries every failure. Unlike [`TokenBucket`](crate::TokenBucket), it does not wait
/// for successes to earn retries back, so it keeps retrying a little through a total outage.
/// This is the adaptive bucket of Marc Brooker's "Fixing retries with token buckets and circuit
/// breakers" (2022).
///
/// Counts are in thousandths of a token, so the arithmetic is integer and exact.
/// `AdaptiveBucket` (made by [`new`](AdaptiveBucket::new)) keeps them in a `Cell` for one
/// thread; [`SharedAdaptiveBucket`] (made by [`new_shared`](AdaptiveBucket::new_shared)) in an
/// `AtomicU32`, `Sync`, on targets with atomic compare-and-swap.
///
/// ```
/// use embedded_retry::{AdaptiveBucket, AdaptiveRates, Jitter, MockClock, Policy, Retry};
///
/// const POLICY: Policy = Policy::builder().max_attempts(4).base_delay_ms(10)
///     .jitter(Jitter::None).build_or_panic();
///
/// let bucket = AdaptiveBucket::new(AdaptiveRates::DEFAULT);
/// let clock = MockClock::<0>::new();
/// let mut retry = Retry::without_jitter(POLICY).unwrap().retry_budget(&bucket);
///
/// // A peer that fails everything: the full bucket pays for a burst of 5 retries, then each
/// // call earns a tenth of one. 100 calls make 114 attempts, not 400.
/// let mut attempts = 0;
/// for _ in 0..100 {
///     attempts += retry.call(&clock, || Err::<(), _>("unavailable")).total_attempts();
/// }
/// assert_eq!(attempts, 114);
/// assert_eq!(bucket.tokens_milli(), 900);
/// ```
#[derive(Debug)]
pub struct AdaptiveBucket<S = Cell<u32>> {
    rates: AdaptiveRates,
    milli_tokens: S,
}

/// An [`AdaptiveBucket`] that threads can share: its count is in an `AtomicU32`.
#[cfg(target_has_atomic = "32")]
pub type SharedAdaptiveBucket = AdaptiveBucket<core::sync::atomic::AtomicU32>;

impl AdaptiveBucket {
    /// A full bucket for one thread.
    pub const fn new(rates: AdaptiveRates) -> Self {
        AdaptiveBucket {
            rates,
            milli_tokens: Cell::new(rates.capacity),
        }
    }
}

impl Default for AdaptiveBucket {
    /// A full bucket with the [default rates](AdaptiveRates::DEFAULT).
    fn default() -> Self {
        AdaptiveBucket::new(AdaptiveRates::DEFAULT)
    }
}

#[cfg(target_has_atomic = "32")]
impl SharedAdaptiveBucket {
    /// A full bucket that threads can share.
    pub const fn new_shared(rates: AdaptiveRates) -> Self {
        AdaptiveBucket {
            rates,
            milli_tokens: core::sync::atomic::AtomicU32::new(rates.capacity),
        }
    }
}

impl<S> AdaptiveBucket<S> {
    /// The bucket's settings.
    pub const fn rates(&self) -> AdaptiveRates {
        self.rates
    }
}

impl<S: Counter> AdaptiveBucket<S> {
    /// A call starts: its credit goes in, up to the capacity.
    pub fn start_call(&self) {
        let AdaptiveRates {
            capacity, credit, ..
        } = self.rates;
        self.milli_tokens
            .update(|milli| Some(milli.saturating_add(credit).min(capacity)));
    }

    /// Takes the cost of one retry if the bucket holds more than that; `false` (and nothing
    /// taken) if not.
    pub fn try_spend(&self) -> bool {
        let cost = self.rates.cost;
        self.milli_tokens
            .update(|milli| (milli > cost).then(|| milli.saturating_sub(cost)))
    }

    /// Thousandths of a token in the bucket.
    pub fn tokens_milli(&self) -> u32 {
        self.milli_tokens.get()
    }
}

impl<S: Counter, E> RetryBudget<E> for AdaptiveBucket<S> {
    fn start_call(&self) -> Result<(), E> {
        AdaptiveBucket::start_call(self);
        Ok(())
    }
    fn try_spend(&self) -> bool {
        AdaptiveBucket::try_spend(self)
    }
    fn succeeded(&self, _after_retry: bool) {}
}
