//! Retry an operation with exponential backoff and jitter, in firmware or on a host.
//!
//! `#![no_std]`, no allocation, no `unsafe`, no floating point, and no panic path in the
//! blocking engine: delays are whole milliseconds computed with saturating integer arithmetic,
//! and the attempt log is a fixed-size window onto the last attempts.
//!
//! - A [`Policy`] says how many attempts to make (or to retry forever), how long to wait between
//!   them ([`Backoff`]: base delay, cap, [`Factor`], [`Jitter`]), and how many records of them
//!   to keep. Policies are checked when built, and can be built in a `const`, where an invalid
//!   one fails to compile.
//! - A [`Retry`] runs operations under a policy. It draws jitter from any [`rand_core::Rng`],
//!   and asks a [`RetryOn`] predicate what to do after an error ([`Decision`]: stop, retry, or
//!   retry after a server's hinted delay). Optional stop rules: a policy's delay budget, a run's
//!   deadline on a [`Clock`], and a [`RetryBudget`], often shared by many operations, so that
//!   retries stop multiplying the load on a failing peer: the AWS SDKs' [`TokenBucket`], gRPC's
//!   [`GrpcThrottle`], an [`AdaptiveBucket`], a [`RetryBreaker`], or a [`CircuitBreaker`] that
//!   refuses whole calls while the peer seems down. A [`BeforeSleep`] hook sees every sleep.
//! - Three ways to run, one set of rules: [`Retry::call`] blocks on a [`Delay`] ([`HalDelay`]
//!   adapts any embedded-hal 1.0 `DelayNs`; a [`MockClock`] only advances virtual time);
//!   [`Retry::call_async`] awaits an embedded-hal-async `DelayNs` (and [`Retry::call_future`],
//!   for a closure that returns a future, is the one to spawn on tokio when it borrows); and an
//!   event loop that must never block drives a [`Run`] itself with [`Retry::start`],
//!   [`Retry::failed`] (answered by a [`Step`]: sleep this long, or stop) and
//!   [`Retry::succeeded`], asking a budget first with [`Retry::start_call`].
//! - The [`Outcome`] holds the value or the error that ended the run, why it stopped
//!   ([`StopReason`]), and the [`AttemptLog`]: the last `N` attempts, each read back as a
//!   numbered [`Attempt`] with the delay actually slept after it, and the totals of every
//!   attempt. It turns into the operation's own `Result` with [`Outcome::into_result`].
//!
//! ```
//! use rand_core::SeedableRng;
//! use rand_xorshift::XorShiftRng;
//! use embedded_retry::{AttemptOutcome, MockClock, Policy, Retry, StopReason};
//!
//! // The defaults (3 attempts, 1 s base, 60 s cap, factor 2, equal jitter), keeping a log of
//! // the last 3 attempts.
//! const POLICY: Policy<3> = Policy::builder().build_or_panic();
//!
//! let clock = MockClock::<3>::new();
//! let outcome = Retry::new(POLICY, XorShiftRng::seed_from_u64(1))
//!     .call(&clock, || Err::<(), _>("connection refused"));
//!
//! // The log survives the failure, and the last error is the outcome's.
//! assert_eq!(outcome.stop_reason(), StopReason::AttemptsExhausted);
//! assert_eq!(outcome.last_error(), Some(&"connection refused"));
//! assert_eq!(outcome.log().len(), 3);
//! // Equal jitter: 1000 ms jittered into [500, 1000], then 2000 ms into [1000, 2000] ...
//! let first = outcome.log()[0].slept_ms().unwrap();
//! assert!((500..=1000).contains(&first));
//! // ... and no sleep after the last attempt.
//! assert!(matches!(
//!     outcome.log()[2],
//!     AttemptOutcome::Stopped { reason: StopReason::AttemptsExhausted }
//! ));
//! assert_eq!(outcome.total_delay_ms(), clock.slept_ms());
//! assert_eq!(outcome.into_result(), Err("connection refused"));
//! ```
//!
//! # A supervisor that reconnects forever
//!
//! Firmware's most common retry: keep a link (Wi-Fi, MQTT, a modem) up for ever, backing off
//! while it is down, and start the schedule again once it has come back and stayed up a while.
//! A connection that drops before then counts as a failed attempt, like a refused one, so that
//! a link that accepts and drops at once (a flapping access point) is backed off from too,
//! rather than reconnected to at once, for ever.
//!
//! ```
//! use embedded_retry::{Delay, Jitter, MockClock, Policy, Retry, Step};
//!
//! const RECONNECT: Policy = Policy::builder()
//!     .retry_forever()
//!     .base_delay_ms(100)
//!     .max_delay_ms(800)
//!     .jitter(Jitter::None) // a fleet would use Equal or Full, with a generator
//!     .build_or_panic();
//! const STABLE_MS: u64 = 1_000; // up this long, and the next outage starts from 100 ms again
//!
//! // A link that refuses twice, stays up 5 s, drops, refuses once, accepts and drops at once
//! // twice, refuses once more, and then stays up.
//! let mut connects = [false, false, true, false, true, true, false, true].into_iter();
//! let mut uptimes = [5_000u64, 10, 10, 60_000].into_iter();
//!
//! let clock = MockClock::<16>::new();
//! let mut retry = Retry::without_jitter(RECONNECT).unwrap();
//! let mut run = retry.start();
//! let mut sessions = 0;
//! while let Some(up) = connects.next() {
//!     let error = if up {
//!         sessions += 1;
//!         let uptime = uptimes.next().unwrap();
//!         clock.advance(uptime); // serve until the link drops
//!         if uptime >= STABLE_MS {
//!             // Up long enough (firmware would say so while still up, from a timer): a
//!             // success, and the next outage starts the schedule again.
//!             retry.succeeded(&mut run);
//!             retry.reset(&mut run);
//!             continue; // reconnect at once
//!         }
//!         "dropped"
//!     } else {
//!         "refused"
//!     };
//!     match retry.failed(&mut run, error) {
//!         Step::Sleep(ms) => (&clock).delay_ms(ms),
//!         // Only a rule this retry has not got ends a run that retries forever (a predicate
//!         // that refuses, a deadline, a budget). No panic: firmware would raise an alarm, or
//!         // start a new run.
//!         Step::Stop { .. } => break,
//!     }
//! }
//! assert_eq!(sessions, 4);
//! // 100, 200; reset after 5 s up: 100, then 200 and 400 after each flap, 800 after the last
//! // refusal.
//! assert!(clock.sleeps().eq([100, 200, 100, 200, 400, 800]));
//! ```
//!
//! An async supervisor (embassy, tokio) is the same loop with its waits awaited:
//! `Step::Sleep(ms) => Timer::after_millis(ms.into()).await`. For a time limit on each connect,
//! race it against [`Retry::attempt_limit_ms`] (`embassy_time::with_timeout`) and report a
//! timeout with [`Retry::timed_out`]. [`Retry::call_async`] suits one bounded operation; a run
//! that outlives its successes is driven this way. `EmbassyClock`'s docs (the `embassy-time`
//! feature) show one on embassy's timers, run on embassy-time's mock driver.
//!
//! # In interrupt handlers
//!
//! The same supervisor, driven by interrupts: the modem's handler reports each connect that
//! failed or link that dropped, and arms a one-shot timer with the answer; the timer's handler
//! dials again. The retry and its run live in a `static` behind a `critical_section::Mutex`.
//! The retry's type is named once, in an alias: its generator, its log's capacity (here none)
//! and its predicate, a function (a closure's type cannot be named). The generator is seeded at
//! boot, so the `static` holds an `Option`, filled then.
//!
//! ```
//! use core::cell::RefCell;
//! use critical_section::Mutex;
//! use rand_core::SeedableRng;
//! use rand_xorshift::XorShiftRng;
//! use embedded_retry::{Policy, Retry, Run, Step};
//!
//! #[derive(Clone, Copy, Debug, PartialEq)]
//! enum LinkError { NoCarrier, Dropped, SimLocked }
//!
//! /// A locked SIM will not unlock itself: the one error not retried.
//! fn retryable(error: &LinkError) -> bool {
//!     *error != LinkError::SimLocked
//! }
//!
//! // Equal jitter, the default: 1 s doubling to a minute.
//! const RECONNECT: Policy = Policy::builder().retry_forever().base_delay_ms(1_000)
//!     .max_delay_ms(60_000).build_or_panic();
//! const STABLE_MS: u64 = 30_000;
//!
//! type LinkRetry = Retry<XorShiftRng, 0, fn(&LinkError) -> bool>;
//!
//! struct Link {
//!     retry: LinkRetry,
//!     run: Run<LinkError>,
//!     up_since: Option<u64>,
//! }
//!
//! static LINK: Mutex<RefCell<Option<Link>>> = Mutex::new(RefCell::new(None));
//!
//! fn boot(seed: u64) {
//!     let retry: LinkRetry = Retry::new(RECONNECT, XorShiftRng::seed_from_u64(seed))
//!         .when(retryable);
//!     let run = retry.start();
//!     critical_section::with(|cs| LINK.replace(cs, Some(Link { retry, run, up_since: None })));
//! }
//!
//! /// The modem's interrupt: the link came up, or a connect failed or the link dropped, at
//! /// `now_ms`. The answer is the milliseconds to arm the dial timer with (0: dial at once),
//! /// or `None`: nothing to arm.
//! fn on_link(event: Result<(), LinkError>, now_ms: u64) -> Option<u32> {
//!     critical_section::with(|cs| {
//!         let mut link = LINK.borrow_ref_mut(cs);
//!         let Link { retry, run, up_since } = link.as_mut()?;
//!         let error = match event {
//!             Ok(()) => {
//!                 *up_since = Some(now_ms);
//!                 return None;
//!             }
//!             Err(error) => error,
//!         };
//!         if up_since.take().is_some_and(|since| now_ms - since >= STABLE_MS) {
//!             // It stayed up: a success, and this outage starts the schedule again.
//!             retry.succeeded(run);
//!             retry.reset(run);
//!             return Some(0);
//!         }
//!         // A refused connect, or a link that dropped too soon: a failed attempt.
//!         match retry.failed(run, error) {
//!             Step::Sleep(ms) => Some(ms),
//!             // Only the predicate ends this run: raise the alarm, dial no more.
//!             Step::Stop { .. } => None,
//!         }
//!     })
//! }
//!
//! boot(7);
//! let within = |ms: Option<u32>, low, high| ms.is_some_and(|ms| (low..=high).contains(&ms));
//! // Refused twice: equal jitter puts 1 s in [0.5 s, 1 s], then 2 s in [1 s, 2 s].
//! assert!(within(on_link(Err(LinkError::NoCarrier), 0), 500, 1_000));
//! assert!(within(on_link(Err(LinkError::NoCarrier), 2_000), 1_000, 2_000));
//! // Up at 5 s, dropped at 60 s: redial at once, and the schedule starts again.
//! assert_eq!(on_link(Ok(()), 5_000), None);
//! assert_eq!(on_link(Err(LinkError::Dropped), 60_000), Some(0));
//! assert!(within(on_link(Err(LinkError::NoCarrier), 60_100), 500, 1_000));
//! // Up, and dropped after 2 s: a flap, backed off from as from a refusal.
//! assert_eq!(on_link(Ok(()), 61_000), None);
//! assert!(within(on_link(Err(LinkError::Dropped), 63_000), 1_000, 2_000));
//! // The SIM locks: the run ends.
//! assert_eq!(on_link(Err(LinkError::SimLocked), 65_000), None);
//! ```
//!
//! The timer's handler dials, and the modem's handler reports how the dial went. An event loop
//! that also asks a shared budget calls [`Retry::start_call`] before a run's first dial and
//! [`Retry::start_retry`] before each later one (see [`TokenBucket`] for a budget that
//! interrupt handlers share).
//!
//! # The contract
//! - Every delay recorded is a delay slept: the engine never sleeps after a success or after
//!   the attempt that ends the run, and the totals count only sleeps taken.
//! - Nothing panics, and nothing overflows in a run that sleeps: attempt numbers saturate at
//!   `u32::MAX` and delays at the cap, and slept totals are `u64` milliseconds, which 584
//!   million years of sleeping would not fill. (A simulation that sleeps nothing, on a mock
//!   clock or in an event loop, could wrap one after some 4 billion retries at the longest
//!   delay, `u32::MAX` ms.)
//! - The enums that will grow ([`StopReason`], [`AttemptOutcome`], [`PolicyError`]) are
//!   `#[non_exhaustive]`: a `match` on one needs a `_` arm, which should treat what it does not
//!   know as a failure. [`Decision`] and [`Step`] are complete as they are.
//!
//! # Features
//! None is on by default, and without them the crate is `no_std` with no dependency beyond
//! embedded-hal (blocking and async), heapless and rand_core.
//! - `defmt`: implements `defmt::Format` for the policy, schedule, log, outcome and error types.
//! - `std`: `ThreadSleep`, a blocking sleeper on `std::thread::sleep`, and `StdClock`, a
//!   `Clock` on `std::time::Instant`.
//! - `tokio` (with `std`): `TokioSleep`, an async `DelayNs` on tokio's timer, and
//!   `TokioClock`, a `Clock` on tokio's `Instant`.
//! - `embassy-time`: `EmbassyClock`, a `Clock` on `embassy_time::Instant`; embassy's own
//!   `Delay` is already an async `DelayNs`. A host test that runs embassy's timers without its
//!   executor enables embassy-time's `mock-driver` and `generic-queue-8`, and
//!   `critical-section`'s `std`.
//! - `log`: `LogHook`, a `BeforeSleep` hook that logs each retry with `log::warn!`.
//! - `tracing` (with `std`): `TracingHook`, the same as a `tracing` event.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

mod adaptive;
mod backoff;
mod budget;
mod circuit;
mod clock;
mod counter;
mod decision;
mod delay;
mod drive;
#[cfg(feature = "embassy-time")]
mod embassy;
mod error;
mod factor;
mod grpc;
mod hook;
#[cfg(any(feature = "log", feature = "tracing"))]
mod hooks;
#[cfg(feature = "std")]
mod host;
mod jitter;
mod log;
mod mock;
mod name;
mod policy;
mod retry;
mod retry_breaker;
mod run;
pub mod stand_in;
mod stop;
mod timeout;
mod token_bucket;
mod wide;

#[cfg(target_has_atomic = "32")]
pub use adaptive::SharedAdaptiveBucket;
pub use adaptive::{AdaptiveBucket, AdaptiveRates};
pub use backoff::{Backoff, BackoffState};
pub use budget::RetryBudget;
pub use circuit::{CircuitBreaker, CircuitOpen, CircuitSettings, CircuitState};
pub use clock::Clock;
pub use decision::{Decision, HintAboveCap, RetryAll, RetryOn};
pub use delay::{Delay, HalDelay};
#[cfg(feature = "embassy-time")]
pub use embassy::EmbassyClock;
pub use error::PolicyError;
pub use factor::Factor;
#[cfg(target_has_atomic = "32")]
pub use grpc::SharedGrpcThrottle;
pub use grpc::{GrpcThrottle, ThrottleRates};
pub use hook::BeforeSleep;
#[cfg(feature = "log")]
pub use hooks::LogHook;
#[cfg(feature = "tracing")]
pub use hooks::TracingHook;
#[cfg(feature = "std")]
pub use host::{StdClock, ThreadSleep};
#[cfg(feature = "tokio")]
pub use host::{TokioClock, TokioSleep};
pub use jitter::Jitter;
pub use log::{Attempt, AttemptLog, AttemptOutcome, Iter, Outcome};
pub use mock::MockClock;
pub use name::UnknownName;
pub use policy::{Policy, PolicyBuilder};
pub use retry::Retry;
pub use retry_breaker::RetryBreaker;
#[cfg(target_has_atomic = "32")]
pub use retry_breaker::SharedRetryBreaker;
pub use run::{Run, Step};
pub use stop::StopReason;
pub use timeout::{AttemptTimeout, TimedOut, TimeoutMs};
#[cfg(target_has_atomic = "32")]
pub use token_bucket::SharedTokenBucket;
pub use token_bucket::{BucketRates, TokenBucket};

/// The crate README's examples, run as doctests so that the page users read first stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
