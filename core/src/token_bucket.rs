//! A token bucket in the AWS SDKs' standard retry mode: retries cost tokens, successes put
//! some back.

use core::cell::Cell;

use crate::RetryBudget;
use crate::counter::Counter;

/// The rates of a [`TokenBucket`].
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

/// A retry budget shared by many operations, modelled on the AWS SDKs' standard retry mode.
///
/// The bucket starts full, so it retries from a device's first call: the budget for one that
/// makes few calls, where a [`RetryBreaker`](crate::RetryBreaker), whose counts start at zero,
/// would refuse the first retries. Each retry withdraws [`cost`](BucketRates::cost) tokens,
/// and when the bucket cannot pay, the run stops instead of retrying
/// ([`StopReason::RetryBudgetExhausted`](crate::StopReason::RetryBudgetExhausted)). A success
/// after retries gives one retry's cost back (the retrying paid off); a success at the first
/// attempt adds the [`refill`](BucketRates::refill); never past the capacity. First attempts
/// are always free, and failures cost nothing but the retries they lead to. So a device or a
/// service whose every call fails soon stops multiplying its load, while one whose calls
/// mostly succeed keeps its allowance.
///
/// `TokenBucket` (made by [`new`](TokenBucket::new)) keeps its tokens in a `Cell`: no locks,
/// no atomics, for one thread (firmware, or one task). [`SharedTokenBucket`] (made by
/// [`new_shared`](TokenBucket::new_shared)) keeps them in an `AtomicU32` and is `Sync`, for
/// threads to share, on targets with atomic compare-and-swap (a host, a Cortex-M3; not a
/// Cortex-M0). Both are built in a `const`. A `SharedTokenBucket` can be a `static`. A
/// `TokenBucket` is not `Sync`, so the operations that share it borrow it from where it lives:
/// `main`'s frame, or for tasks that must be given `'static` arguments (embassy's, on one
/// executor), a `&'static TokenBucket` from a `StaticCell`. Firmware that shares it with
/// interrupt handlers keeps it in a `static` `critical_section::Mutex`, which lends it only
/// inside a critical section: build the [`Retry`](crate::Retry) there, around the borrowed
/// bucket, for each step of the event-loop form (it costs nothing to build), and keep the
/// [`Run`](crate::Run) between the handler's invocations:
///
/// ```
/// use core::cell::RefCell;
/// use critical_section::Mutex;
/// use embedded_retry::stand_in::NoRng;
/// use embedded_retry::{BucketRates, Jitter, Policy, Retry, Run, Step, TokenBucket};
///
/// const POLICY: Policy = Policy::builder().max_attempts(3).base_delay_ms(10)
///     .jitter(Jitter::None).build_or_panic();
/// // Checked at compile time: the policy has no jitter.
/// const RETRY: Retry<NoRng> = match Retry::without_jitter(POLICY) {
///     Ok(retry) => retry,
///     Err(_) => panic!("the policy has jitter"),
/// };
///
/// // Shared by the interrupt handlers of every peripheral that retries.
/// static BUCKET: Mutex<TokenBucket> = Mutex::new(TokenBucket::new(BucketRates::STANDARD));
/// // The radio's run in progress, if any.
/// static RADIO: Mutex<RefCell<Option<Run<u8>>>> = Mutex::new(RefCell::new(None));
///
/// /// A transfer failed, in the radio's interrupt: the milliseconds to arm the retry timer
/// /// for, or `None` when the run gave up.
/// fn on_radio_error(error: u8) -> Option<u32> {
///     critical_section::with(|cs| {
///         let mut retry = RETRY.retry_budget(BUCKET.borrow(cs));
///         let mut radio = RADIO.borrow_ref_mut(cs);
///         let run = radio.get_or_insert_with(|| retry.start());
///         match retry.failed(run, error) {
///             Step::Sleep(ms) => Some(ms),
///             Step::Stop { .. } => {
///                 *radio = None;
///                 None
///             }
///         }
///     })
/// }
///
/// assert_eq!(on_radio_error(7), Some(10));
/// assert_eq!(on_radio_error(7), Some(20));
/// assert_eq!(on_radio_error(7), None); // 3 attempts made
/// critical_section::with(|cs| assert_eq!(BUCKET.borrow(cs).tokens(), 500 - 2 * 5));
/// ```
///
/// ```
/// use embedded_retry::{BucketRates, TokenBucket};
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
pub struct TokenBucket<S = Cell<u32>> {
    rates: BucketRates,
    tokens: S,
}

/// A [`TokenBucket`] that threads can share: its tokens are in an `AtomicU32`.
///
/// ```
/// use embedded_retry::{BucketRates, SharedTokenBucket, TokenBucket};
///
/// static BUDGET: SharedTokenBucket = TokenBucket::new_shared(BucketRates::STANDARD);
///
/// std::thread::scope(|scope| {
///     for _ in 0..4 {
///         scope.spawn(|| assert!(BUDGET.try_spend()));
///     }
/// });
/// assert_eq!(BUDGET.tokens(), 500 - 4 * 5);
/// ```
#[cfg(target_has_atomic = "32")]
pub type SharedTokenBucket = TokenBucket<core::sync::atomic::AtomicU32>;

impl TokenBucket {
    /// A full bucket for one thread.
    pub const fn new(rates: BucketRates) -> Self {
        TokenBucket {
            rates,
            tokens: Cell::new(rates.capacity),
        }
    }
}

#[cfg(target_has_atomic = "32")]
impl SharedTokenBucket {
    /// A full bucket that threads can share.
    pub const fn new_shared(rates: BucketRates) -> Self {
        TokenBucket {
            rates,
            tokens: core::sync::atomic::AtomicU32::new(rates.capacity),
        }
    }
}

impl<S> TokenBucket<S> {
    /// The bucket's rates.
    pub const fn rates(&self) -> BucketRates {
        self.rates
    }
}

impl<S: Counter> TokenBucket<S> {
    /// Withdraws the cost of one retry; `false` (and nothing withdrawn) when the bucket cannot
    /// pay for it.
    pub fn try_spend(&self) -> bool {
        self.tokens.update(|tokens| self.rates.spend(tokens))
    }

    /// Puts tokens back for a success, up to the capacity: one retry's cost if the success came
    /// after retries, else the refill.
    pub fn succeeded(&self, after_retry: bool) {
        self.tokens
            .update(|tokens| Some(self.rates.refilled(tokens, after_retry)));
    }

    /// Tokens left.
    pub fn tokens(&self) -> u32 {
        self.tokens.get()
    }
}

impl<S: Counter, E> RetryBudget<E> for TokenBucket<S> {
    fn try_spend(&self) -> bool {
        TokenBucket::try_spend(self)
    }
    fn succeeded(&self, after_retry: bool) {
        TokenBucket::succeeded(self, after_retry)
    }
}
