//! The one interface of every retry budget and breaker: what a [`Retry`](crate::Retry) tells it
//! about a call, and what it asks it.

/// A retry budget or a breaker: a rule, kept across calls and often shared by many operations,
/// that can refuse retries (and, for a circuit breaker, whole calls) when the peer is failing,
/// so that a device or a service stops multiplying its load exactly when the peer can least
/// take it.
///
/// `E` is the operation's error type. A budget that never refuses a call implements
/// `RetryBudget<E>` for every `E`; [`CircuitBreaker`](crate::CircuitBreaker), which does,
/// implements it for every `E: From<CircuitOpen>`, so that a refused call can hand back an
/// error of the operation's own type.
///
/// The crate's strategies: [`TokenBucket`](crate::TokenBucket) (the AWS SDKs' standard retry
/// mode; it starts full, and suits a device that makes few calls),
/// [`GrpcThrottle`](crate::GrpcThrottle) (gRPC's retry throttling),
/// [`AdaptiveBucket`](crate::AdaptiveBucket) (a bucket that fills as calls start),
/// [`RetryBreaker`](crate::RetryBreaker) (no retries while too many attempts fail) and
/// [`CircuitBreaker`](crate::CircuitBreaker) (no calls at all while the peer seems down). Each
/// keeps its state behind `&self` (in `Cell`s, or atomics for a shared form), so a
/// [`Retry`](crate::Retry) takes it by reference and many operations can share it.
///
/// # When the engine calls what
/// For each call, [`Retry::call`](crate::Retry::call) and
/// [`call_async`](crate::Retry::call_async) (and an event loop through
/// [`Retry::start_call`](crate::Retry::start_call), [`failed`](crate::Retry::failed),
/// [`start_retry`](crate::Retry::start_retry) and [`succeeded`](crate::Retry::succeeded)):
/// 1. [`start_call`](Self::start_call), once, before the first attempt. An `Err` ends the call
///    there, with no attempt made, the error handed back and
///    [`StopReason::CircuitOpen`](crate::StopReason::CircuitOpen); nothing else is called.
/// 2. After every failed attempt, the first and every retry, once the predicate has judged its
///    error: [`attempt_failed`](Self::attempt_failed) if it retries the error or the attempt
///    timed out (the peer never answered), else
///    [`attempt_not_retryable`](Self::attempt_not_retryable), and the run ends with
///    [`StopReason::NotRetryable`](crate::StopReason::NotRetryable). Then, if every other stop
///    rule (attempts, hint above the cap, delay budget, deadline) allows a retry,
///    [`try_spend`](Self::try_spend). A `false` ends the run with
///    [`StopReason::RetryBudgetExhausted`](crate::StopReason::RetryBudgetExhausted).
/// 3. After the sleep, before the retry: [`start_retry`](Self::start_retry). An `Err` ends the
///    run there, with the retry not made, the error handed back and
///    [`StopReason::CircuitOpen`](crate::StopReason::CircuitOpen).
/// 4. After the attempt that succeeds: [`succeeded`](Self::succeeded), saying whether retries
///    came before it.
///
/// Each strategy also has the methods it uses as its own, so they can be called on it directly
/// without naming an error type.
pub trait RetryBudget<E> {
    /// A call is about to make its first attempt: `Err` refuses it. Only a circuit breaker
    /// refuses, with `E::from(CircuitOpen)`; others may count the call or credit it.
    ///
    /// # Errors
    /// The error the refused call ends with.
    fn start_call(&self) -> Result<(), E> {
        Ok(())
    }
    /// An attempt failed with an error the predicate retries (whether or not a retry follows),
    /// the first of a call or a retry: the failures a budget counts.
    fn attempt_failed(&self) {}
    /// An attempt failed with an error the predicate does not retry
    /// ([`Decision::Stop`](crate::Decision::Stop)): not a failure a budget counts, as gRPC's
    /// throttling counts only retryable statuses, so that a malformed request or a missing
    /// resource is not taken for a failing peer. Nothing by default; a circuit breaker takes
    /// it as the peer's answer (a budget that lets a probe through should too, or the probe
    /// never ends). A timed-out attempt is never this: the peer did not answer.
    fn attempt_not_retryable(&self) {}
    /// Permission for one retry, asked only when every other rule allows it: `true` (and the
    /// retry paid for, if it costs anything) or `false` (and nothing paid).
    fn try_spend(&self) -> bool;
    /// A retry allowed by [`try_spend`](Self::try_spend) is about to be made, its sleep over:
    /// `Err` refuses it. Only a circuit breaker refuses, with `E::from(CircuitOpen)`, when it
    /// has opened while the retry slept.
    ///
    /// # Errors
    /// The error the run ends with.
    fn start_retry(&self) -> Result<(), E> {
        Ok(())
    }
    /// The attempt under way succeeded; `after_retry` when an attempt of the call failed since
    /// it started or last succeeded (a supervisor's run goes on after a success, and its next
    /// success may come at the first try of a reconnect).
    fn succeeded(&self, after_retry: bool);
}

impl<T: RetryBudget<E> + ?Sized, E> RetryBudget<E> for &T {
    fn start_call(&self) -> Result<(), E> {
        T::start_call(self)
    }
    fn attempt_failed(&self) {
        T::attempt_failed(self)
    }
    fn attempt_not_retryable(&self) {
        T::attempt_not_retryable(self)
    }
    fn try_spend(&self) -> bool {
        T::try_spend(self)
    }
    fn start_retry(&self) -> Result<(), E> {
        T::start_retry(self)
    }
    fn succeeded(&self, after_retry: bool) {
        T::succeeded(self, after_retry)
    }
}

/// A budget that tasks share through an `Arc`, each retry holding a clone (needs the `std`
/// feature); a `static` budget, or a reference, needs no `Arc`.
#[cfg(feature = "std")]
impl<T: RetryBudget<E> + ?Sized, E> RetryBudget<E> for std::sync::Arc<T> {
    fn start_call(&self) -> Result<(), E> {
        T::start_call(self)
    }
    fn attempt_failed(&self) {
        T::attempt_failed(self)
    }
    fn attempt_not_retryable(&self) {
        T::attempt_not_retryable(self)
    }
    fn try_spend(&self) -> bool {
        T::try_spend(self)
    }
    fn start_retry(&self) -> Result<(), E> {
        T::start_retry(self)
    }
    fn succeeded(&self, after_retry: bool) {
        T::succeeded(self, after_retry)
    }
}
