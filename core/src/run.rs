//! A run in progress, as a value: what the engine keeps between one attempt and the next.

use crate::{AttemptLog, BackoffState, Outcome, StopReason};

/// One run of an operation under a [`Retry`](crate::Retry): where it is in the delay schedule,
/// when it started, and its [`AttemptLog`].
///
/// `E` is the operation's error and `N` the capacity of the [`Policy`](crate::Policy) it runs
/// under: a field holding the run of a `Retry<_, 8>` is a `Run<E, 8>`.
///
/// Made by [`Retry::start`](crate::Retry::start) and moved on by
/// [`Retry::failed`](crate::Retry::failed) and [`Retry::succeeded`](crate::Retry::succeeded).
/// It borrows nothing, so an event loop can keep it in a static, a task's local resources or a
/// state machine, between a timer's interrupts. [`call`](crate::Retry::call) and
/// [`call_async`](crate::Retry::call_async) keep the same state and follow the same rules.
///
/// A run keeps no flag to say it stopped: after [`Step::Stop`], a loop that keeps its run in a
/// field starts the next with [`Retry::reset`](crate::Retry::reset) when it next has work, or
/// keeps an `Option<Run<E, N>>` that is `None` while no run is under way.
#[derive(Clone, Debug, PartialEq, Eq)]
// The log first: its zeroed counts start the struct, and the records' storage (never cleared)
// stays out of the way of the fields that are set.
#[repr(C)]
pub struct Run<E, const N: usize = 0> {
    pub(crate) log: AttemptLog<E, N>,
    pub(crate) place: Place,
    /// Whether no attempt has failed since the run started or last succeeded: a success now is
    /// at its first try, not after a retry, which a retry budget is told. Kept here as a run
    /// may go on after a success (the drivers' runs end at it, so they count attempts instead).
    pub(crate) first_try: bool,
}

/// Where a run stands, its log apart: the drivers keep the log in the outcome they return, so
/// that a run's records exist once on the stack, and the rules take the two separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    /// The deadline clock's reading when the run started (0 without a deadline).
    pub(crate) started_ms: u64,
    pub(crate) schedule: BackoffState,
}

impl<E, const N: usize> Run<E, N> {
    /// The last `N` attempts so far, and the totals of all of them.
    pub fn log(&self) -> &AttemptLog<E, N> {
        &self.log
    }

    /// The number of the attempt under way, whose result is reported next: 1 at the start
    /// (saturating at `u32::MAX`).
    pub fn attempt(&self) -> u32 {
        self.log.attempt()
    }

    /// Ends the run with `result` for `stop`: the value and [`StopReason::Succeeded`] after
    /// [`Retry::succeeded`](crate::Retry::succeeded), or the error and reason of
    /// [`Step::Stop`]. The pair is the caller's word and is not checked. The log holds every
    /// answer [`Retry::failed`](crate::Retry::failed) gave, a [`Step::Sleep`] as slept: an event
    /// loop is trusted to sleep what it is told, so one that abandons a run during a sleep (a
    /// shutdown) leaves that sleep in the log.
    pub fn finish<T>(self, result: Result<T, E>, stop: StopReason) -> Outcome<T, E, N> {
        Outcome::new(result, stop, self.log)
    }
}

/// The engine's answer after a failed attempt: sleep this long and try again, or stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Step<E> {
    /// Sleep this many milliseconds, then make the next attempt.
    Sleep(u32),
    /// The run is over: the error is handed back, owned.
    Stop {
        /// Why no retry follows.
        reason: StopReason,
        /// The error of the attempt that ended the run.
        error: E,
    },
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand_core::SeedableRng;
    use rand_xorshift::XorShiftRng;

    use crate::{AttemptLog, BackoffState, Decision, Factor, Jitter, Policy, Retry, Step};

    /// 292 million years of sleeping: half what a slept total holds.
    const LONGEST: u64 = u64::MAX / 2;

    proptest! {
        // Fixed, so that a run of the tests is repeatable, and no file is left behind.
        #![proptest_config(ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x1_1e57),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// A run that has gone on for ever (a few attempts short of the count's limit, having
        /// slept up to 292 million years, as no test could reach by running) keeps
        /// going: its count saturates, its delays stay within the cap or the hint, and nothing
        /// overflows (tests build with overflow checks, and the expected total is summed with
        /// them, so an overflow would panic here).
        #[test]
        fn a_run_at_the_counters_limits_saturates_and_never_overflows(
            milli in prop_oneof![Just(1000u32), Just(1500), Just(2000), Just(4_096_000), 1000u32..=100_000],
            jitter in prop_oneof![
                Just(Jitter::None), Just(Jitter::Equal), Just(Jitter::Full), Just(Jitter::Decorrelated)
            ],
            base in 0u32..=1000,
            cap in prop_oneof![Just(u32::MAX), 1000u32..=u32::MAX],
            seed in any::<u64>(),
            attempts_left in 0u32..=3,
            // The slept total is not saturated, as no run fills a `u64` (see
            // `AttemptLog::total_delay_ms`): up to half full.
            slept in prop_oneof![Just(LONGEST), 0u64..=LONGEST],
            hints in prop::collection::vec(prop::option::of(any::<u32>()), 1..8),
        ) {
            let policy: Policy<2> = Policy::builder()
                .retry_forever()
                .base_delay_ms(base)
                .max_delay_ms(cap)
                .factor(Factor::from_milli(milli))
                .jitter(jitter)
                .build()
                .unwrap();
            let mut retry = Retry::new(policy, XorShiftRng::seed_from_u64(seed))
                .when(|hint: &Option<u32>| hint.map_or(Decision::Retry, Decision::RetryAfter));
            let mut run = retry.start();
            let start_attempts = u32::MAX - attempts_left;
            run.log = AttemptLog::counted(start_attempts, slept);
            run.place.schedule = BackoffState::after(policy.backoff(), start_attempts);

            for (i, hint) in hints.into_iter().enumerate() {
                let slept_before = run.log().total_delay_ms();
                let Step::Sleep(ms) = retry.failed(&mut run, hint) else {
                    return Err(TestCaseError::fail("a run that retries forever stopped"));
                };
                prop_assert!(ms <= cap.max(hint.unwrap_or(0)), "{ms} ms above the cap {cap}");
                prop_assert!(hint.is_none_or(|h| ms >= h), "{ms} ms below the hint {hint:?}");
                prop_assert_eq!(run.log().total_delay_ms(), slept_before + u64::from(ms));
                let expected = start_attempts.saturating_add(u32::try_from(i + 1).unwrap());
                prop_assert_eq!(run.log().total_attempts(), expected);
                prop_assert_eq!(run.attempt(), expected.saturating_add(1));
                prop_assert_eq!(run.place.schedule.retries(), expected);
                prop_assert_eq!(run.log().last().map(|a| a.number), Some(expected));
            }
        }
    }
}
