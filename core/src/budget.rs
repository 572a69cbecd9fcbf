//! A retry budget: a token bucket shared by many retried operations, so that a device or a
//! service whose every call is failing stops multiplying its load.
//!
//! Modelled on the AWS SDKs' standard retry mode: the bucket starts full; each retry withdraws a
//! cost, and when the bucket cannot pay, the run stops instead of retrying
//! ([`StopReason::RetryBudgetExhausted`](crate::StopReason::RetryBudgetExhausted)). A success
//! after retries gives one retry's cost back (the retrying paid off); a success at the first
//! attempt adds the refill; never past the capacity. First attempts are always free.

use core::cell::Cell;

/// A shared allowance of retries.
pub trait RetryBudget {
    /// Withdraws the cost of one retry; `false` (and nothing withdrawn) when the budget cannot
    /// pay for it.
    fn try_spend(&self) -> bool;
    /// Puts tokens back for a success, up to the capacity: one retry's cost if the success came
    /// after retries, else the refill.
    fn succeeded(&self, after_retry: bool);
    /// Tokens left.
    fn tokens(&self) -> u32;
}

impl<T: RetryBudget + ?Sized> RetryBudget for &T {
    fn try_spend(&self) -> bool {
        T::try_spend(self)
    }
    fn succeeded(&self, after_retry: bool) {
        T::succeeded(self, after_retry)
    }
    fn tokens(&self) -> u32 {
        T::tokens(self)
    }
}

/// The rates of a token bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BucketRates {
    /// The most tokens the bucket holds, and what it starts with.
    pub capacity: u32,
    /// Tokens one retry costs.
    pub cost: u32,
    /// Tokens a success at the first attempt puts back (a success after retries gives back one
    /// retry's `cost` instead).
    pub refill: u32,
}

impl BucketRates {
    /// The AWS SDKs' standard mode: 500 tokens, 5 a retry, 1 back for a success at the first
    /// attempt.
    pub const STANDARD: BucketRates = BucketRates {
        capacity: 500,
        cost: 5,
        refill: 1,
    };

    fn spend(&self, tokens: u32) -> Option<u32> {
        tokens.checked_sub(self.cost)
    }

    fn refilled(&self, tokens: u32, after_retry: bool) -> u32 {
        let back = if after_retry { self.cost } else { self.refill };
        tokens.saturating_add(back).min(self.capacity)
    }
}

/// A token bucket for one thread (firmware, or one task): no locks, no atomics.
///
/// ```
/// use embedded_retry::{BucketRates, RetryBudget, TokenBucket};
///
/// let bucket = TokenBucket::new(BucketRates { capacity: 10, cost: 5, refill: 1 });
/// assert!(bucket.try_spend());
/// assert!(bucket.try_spend());
/// assert!(!bucket.try_spend()); // empty: the next retry would stop the run
/// bucket.succeeded(true); // a retried operation succeeded: one retry's cost comes back
/// assert_eq!(bucket.tokens(), 5);
/// bucket.succeeded(false); // one that succeeded at once adds the refill
/// assert_eq!(bucket.tokens(), 6);
/// ```
#[derive(Debug)]
pub struct TokenBucket {
    rates: BucketRates,
    tokens: Cell<u32>,
}

impl TokenBucket {
    /// A full bucket.
    pub const fn new(rates: BucketRates) -> Self {
        TokenBucket {
            rates,
            tokens: Cell::new(rates.capacity),
        }
    }

    /// The bucket's rates.
    pub const fn rates(&self) -> BucketRates {
        self.rates
    }
}

impl RetryBudget for TokenBucket {
    fn try_spend(&self) -> bool {
        match self.rates.spend(self.tokens.get()) {
            Some(left) => {
                self.tokens.set(left);
                true
            }
            None => false,
        }
    }
    fn succeeded(&self, after_retry: bool) {
        self.tokens
            .set(self.rates.refilled(self.tokens.get(), after_retry));
    }
    fn tokens(&self) -> u32 {
        self.tokens.get()
    }
}

/// A token bucket many threads can share (`Sync`), on targets with atomic compare-and-swap
/// (a host, a Cortex-M3; not a Cortex-M0, where [`TokenBucket`] serves a single thread).
#[cfg(target_has_atomic = "32")]
#[derive(Debug)]
pub struct SharedTokenBucket {
    rates: BucketRates,
    tokens: core::sync::atomic::AtomicU32,
}

#[cfg(target_has_atomic = "32")]
impl SharedTokenBucket {
    /// A full bucket.
    pub const fn new(rates: BucketRates) -> Self {
        SharedTokenBucket {
            rates,
            tokens: core::sync::atomic::AtomicU32::new(rates.capacity),
        }
    }

    /// The bucket's rates.
    pub const fn rates(&self) -> BucketRates {
        self.rates
    }
}

#[cfg(target_has_atomic = "32")]
impl RetryBudget for SharedTokenBucket {
    fn try_spend(&self) -> bool {
        use core::sync::atomic::Ordering;
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| self.rates.spend(t))
            .is_ok()
    }
    fn succeeded(&self, after_retry: bool) {
        use core::sync::atomic::Ordering;
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(self.rates.refilled(t, after_retry))
            });
    }
    fn tokens(&self) -> u32 {
        self.tokens.load(core::sync::atomic::Ordering::Acquire)
    }
}
