//! Retry an operation with exponential backoff and jitter, in firmware or on a host.
//!
//! `#![no_std]`, no allocation, no `unsafe`, no floating point, and no panic path in the
//! blocking engine (the firmware's probe proves it on two Cortex-M targets): delays are whole
//! milliseconds computed with saturating integer arithmetic, and the log of every attempt lives
//! in a fixed-capacity [`heapless::Vec`].
//!
//! - A [`Policy`] says how many attempts to make and how long to wait between them
//!   ([`Backoff`]: base delay, cap, [`Factor`], [`Jitter`]). Policies are checked when built,
//!   and can be built in a `const`, where an invalid one fails to compile.
//! - A [`Retry`] runs an operation under a policy. It sleeps through the [`Delay`] trait
//!   ([`HalDelay`] adapts any embedded-hal 1.0 `DelayNs`; [`MockClock`] only advances virtual
//!   time), draws jitter from any [`rand_core::Rng`], and asks a [`RetryOn`] predicate what to
//!   do after an error ([`Decision`]: stop, retry, or retry after a server's hinted delay).
//!   Optional stop rules: a policy's delay budget, a run's deadline on a [`Clock`], and a
//!   [`RetryBudget`] ([`TokenBucket`]) shared by many operations; a [`BeforeSleep`] hook sees
//!   every sleep. [`Retry::call_async`] does the same for async operations over
//!   embedded-hal-async.
//! - The [`Outcome`] holds the value, why the run stopped, and an [`Attempt`] record for every
//!   call: its error, and the delay actually slept after it.
//!
//! ```
//! use rand_core::SeedableRng;
//! use rand_xorshift::XorShiftRng;
//! use embedded_retry::{AttemptOutcome, MockClock, Policy, Retry, StopReason};
//!
//! // The seed's defaults (3 attempts, 1 s base, 60 s cap, factor 2, equal jitter),
//! // with a log of up to 3 records.
//! const POLICY: Policy<3> = Policy::builder().build_or_panic();
//!
//! let clock = MockClock::<3>::new();
//! let outcome = Retry::new(POLICY, &clock, XorShiftRng::seed_from_u64(1))
//!     .call(|| Err::<(), _>("connection refused"));
//!
//! // The log survives the failure, with the last error.
//! assert_eq!(outcome.stop_reason(), StopReason::AttemptsExhausted);
//! assert_eq!(outcome.last_error(), Some(&"connection refused"));
//! assert_eq!(outcome.log().len(), 3);
//! // Equal jitter: 1000 ms jittered into [500, 1000], then 2000 ms into [1000, 2000] ...
//! let first = outcome.log()[0].slept_ms().unwrap();
//! assert!((500..=1000).contains(&first));
//! // ... and no sleep after the last attempt.
//! assert!(matches!(
//!     outcome.log()[2].outcome,
//!     AttemptOutcome::Stopped { reason: StopReason::AttemptsExhausted, .. }
//! ));
//! assert_eq!(outcome.total_delay_ms(), clock.slept_ms());
//! ```
//!
//! # Features
//! - `defmt`: implements `defmt::Format` for the policy, schedule, log, outcome and error types.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backoff;
mod budget;
mod clock;
mod decision;
mod delay;
mod factor;
mod hook;
mod jitter;
mod log;
mod mock;
mod policy;
mod retry;
mod wide;

pub use backoff::{Backoff, BackoffState};
#[cfg(target_has_atomic = "32")]
pub use budget::SharedTokenBucket;
pub use budget::{BucketRates, NoBudget, RetryBudget, TokenBucket};
pub use clock::{Clock, NoClock};
pub use decision::{Decision, HintAboveCap, RetryAll, RetryOn};
pub use delay::{Delay, HalDelay};
pub use factor::Factor;
pub use hook::{BeforeSleep, NoHook};
pub use jitter::Jitter;
pub use log::{Attempt, AttemptLog, AttemptOutcome, StopReason};
pub use mock::MockClock;
pub use policy::{Policy, PolicyBuilder, PolicyError};
pub use retry::{NoRng, Outcome, Retry};
