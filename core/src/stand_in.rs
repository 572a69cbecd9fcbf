//! The types that fill a [`Retry`](crate::Retry)'s type parameters for the settings it was not
//! given. Each does nothing, and most have no values at all, so the engine's code for the
//! missing setting is removed when it is compiled: a retry without a deadline never reads a
//! clock, one without a budget never consults one.
//!
//! They are the defaults of its parameters, so a field's type names only the settings up to the
//! last one given, and a stand-in for each unset one before it: a retry with a predicate, a
//! deadline on tokio's clock and a timeout, but no hook or budget, is
//! `Retry<XorShiftRng, 0, fn(&MyError) -> bool, TokioClock, NoHook, NoBudget, TimeoutMs>`.

use core::convert::Infallible;

use rand_core::TryRng;

use crate::{BeforeSleep, Clock, RetryBudget};

/// The generator of a retry without jitter ([`Retry::without_jitter`](crate::Retry::without_jitter)).
/// A jittered policy can never be handed one by mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoRng {}

impl TryRng for NoRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        match *self {}
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        match *self {}
    }
    fn try_fill_bytes(&mut self, _dst: &mut [u8]) -> Result<(), Infallible> {
        match *self {}
    }
}

/// The clock of a retry without a deadline. It is never read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoClock {}

impl Clock for NoClock {
    fn now_ms(&self) -> u64 {
        match *self {}
    }
}

/// The budget of a retry without a retry budget. It is never asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoBudget {}

impl<E> RetryBudget<E> for NoBudget {
    fn start_call(&self) -> Result<(), E> {
        match *self {}
    }
    fn attempt_failed(&self) {
        match *self {}
    }
    fn attempt_not_retryable(&self) {
        match *self {}
    }
    fn try_spend(&self) -> bool {
        match *self {}
    }
    fn succeeded(&self, _after_retry: bool) {
        match *self {}
    }
}

/// The hook of a retry without one: does nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoHook;

impl<E> BeforeSleep<E> for NoHook {
    fn before_sleep(&mut self, _attempt: u32, _error: &E, _delay_ms: u32) {}
}

/// The timeout of a retry without one: attempts run as long as they take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoTimeout {}

impl<E> crate::AttemptTimeout<E> for NoTimeout {
    fn limit_ms(&self) -> u32 {
        match *self {}
    }
    fn error(&self) -> E {
        match *self {}
    }
    /// No race: the attempt itself.
    fn race_attempt<'a, V, A, S>(
        _this: Option<&'a Self>,
        attempt: A,
        _timer: Option<S>,
        _timed_out: &'a mut bool,
    ) -> impl core::future::Future<Output = Result<V, E>>
    where
        A: core::future::Future<Output = Result<V, E>>,
        S: core::future::Future,
    {
        attempt
    }
}
