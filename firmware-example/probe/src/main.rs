//! The size and no-panic probe.
//!
//! Its inputs come from volatile reads, so the optimiser cannot see them, and its outputs go to
//! volatile writes, so it cannot drop the work. Built with the `retry` feature it runs
//! the retry engine (exponential backoff, equal jitter, xorshift, an 8-record log); without it,
//! it moves the same inputs to the same outputs. The difference in flash is what the engine
//! costs. With `no-log` the policy is a `Policy<0>`, which keeps no record, only the totals; with
//! `read-log` the 8 records are read back after the run, as firmware that prints its log. The
//! policy is a `const`, as in firmware; with `any-policy` every setting, the jitter kind
//! included, is read at run time too, and the run takes one of the three forms (blocking,
//! through the embedded-hal adapter or without a generator; an event loop; async, through
//! `call_async` or `call_future`), so the no-panic proof covers every policy and path.
//!
//! Its panic handler calls a function that is defined nowhere, so a release build links only if
//! the optimiser removed every panic path.
#![no_std]
#![no_main]

use core::ptr::{addr_of, addr_of_mut};

use cortex_m_rt::entry;

/// Inputs the optimiser cannot see: set by a debugger, or left at zero.
static mut INPUTS: [u32; 16] = [0; 16];
/// Outputs the optimiser must produce.
static mut OUTPUTS: [u32; 4] = [0; 4];

// The indices are masked rather than bounds-checked, so the probe itself has no panic path.
fn input(i: usize) -> u32 {
    // SAFETY: a volatile read of a plain static; single-threaded, no references are held.
    unsafe { addr_of!(INPUTS[i % 16]).read_volatile() }
}

fn output(i: usize, value: u32) {
    // SAFETY: a volatile write of a plain static; single-threaded, no references are held.
    unsafe { addr_of_mut!(OUTPUTS[i % 4]).write_volatile(value) }
}

#[entry]
fn main() -> ! {
    #[cfg(feature = "retry")]
    engine::run();
    #[cfg(feature = "float-seed")]
    float_seed::run();
    #[cfg(feature = "hand-loop")]
    hand_loop::run();
    #[cfg(not(any(feature = "retry", feature = "float-seed", feature = "hand-loop")))]
    for i in 0..4 {
        output(i, input(i) ^ input(i + 4));
    }
    loop {
        cortex_m::asm::wfi();
    }
}

#[cfg(feature = "retry")]
mod engine {
    use super::{input, output};
    use embedded_retry::{Delay, Factor, Jitter, Outcome, Policy, Retry};
    use rand_core::SeedableRng;
    use rand_xorshift::XorShiftRng;

    /// Sleeps by reporting the delay, so the optimiser cannot drop it.
    struct VolatileDelay;
    impl Delay for VolatileDelay {
        fn delay_ms(&mut self, ms: u32) {
            output(3, ms);
        }
    }

    /// An operation whose results the optimiser cannot predict: `Ok` on input 0, else that
    /// error.
    fn operation() -> Result<(), u32> {
        match input(7) {
            0 => Ok(()),
            e => Err(e),
        }
    }

    /// The records the log keeps: 8, or none with `no-log`.
    const LOG: usize = if cfg!(feature = "no-log") { 0 } else { 8 };

    fn report<E: Copy + Into<u32>>(outcome: &Outcome<(), E, LOG>) {
        output(0, outcome.log().len() as u32);
        // Each record kept, oldest first, with its number, as firmware that prints its log.
        #[cfg(feature = "read-log")]
        for attempt in outcome.log().iter() {
            output(3, attempt.number ^ attempt.slept_ms().unwrap_or(0));
        }
        output(1, outcome.total_delay_ms() as u32);
        output(2, outcome.last_error().copied().map_or(0, Into::into));
    }

    fn seed() -> u64 {
        u64::from(input(4)) << 32 | u64::from(input(5))
    }

    /// What firmware uses: 5 attempts, 100 ms base, 10 s cap, factor 2 (or 1.5), equal jitter
    /// (or none, or decorrelated).
    #[cfg(not(any(feature = "any-policy", feature = "runtime-policy")))]
    pub fn run() {
        const FACTOR: Factor = if cfg!(feature = "decimal-factor") {
            Factor::from_milli(1500)
        } else {
            Factor::TWO
        };
        const JITTER: Jitter = if cfg!(feature = "no-jitter") {
            Jitter::None
        } else if cfg!(feature = "decorrelated") {
            Jitter::Decorrelated
        } else {
            Jitter::Equal
        };
        const POLICY: Policy<LOG> = Policy::builder()
            .max_attempts(5)
            .base_delay_ms(100)
            .max_delay_ms(10_000)
            .factor(FACTOR)
            .jitter(JITTER)
            .build_or_panic();
        let mut retry =
            Retry::new(POLICY, XorShiftRng::seed_from_u64(seed())).when(|e: &u32| *e != input(6));
        #[cfg(not(feature = "async-retry"))]
        let outcome = retry.call(VolatileDelay, operation);
        #[cfg(feature = "async-retry")]
        let outcome =
            block_on(retry.call_async(VolatileDelay, || Later(input(10) != 0, operation)));
        report(&outcome);
    }

    /// A future that is pending once when its flag is set, as a timer that has not fired or a
    /// transfer under way (waking its task at once), then ready with what its function gives.
    /// The inputs that set the flags are unknown to the optimiser, so every path of the engine
    /// through a pending sleep or attempt, and its resumption, stays in the build.
    #[cfg(any(feature = "async-retry", feature = "any-policy"))]
    struct Later<F>(bool, F);
    #[cfg(any(feature = "async-retry", feature = "any-policy"))]
    impl<T, F: FnMut() -> T + Unpin> core::future::Future for Later<F> {
        type Output = T;
        fn poll(
            mut self: core::pin::Pin<&mut Self>,
            cx: &mut core::task::Context<'_>,
        ) -> core::task::Poll<T> {
            if self.0 {
                self.0 = false;
                cx.waker().wake_by_ref();
                core::task::Poll::Pending
            } else {
                core::task::Poll::Ready((self.1)())
            }
        }
    }

    /// An async sleeper that reports the delay, as the blocking probe's does, and is pending once
    /// when input 9 is set. Its methods return a hand-written future, as a HAL's timer driver
    /// does, rather than being `async fn`s: the sleeper is the user's code, and an `async fn`
    /// here would add its own state machine, and its own panic path, to what the probe measures.
    #[cfg(any(feature = "async-retry", feature = "any-policy"))]
    impl embedded_hal_async::delay::DelayNs for VolatileDelay {
        fn delay_ns(&mut self, ns: u32) -> impl core::future::Future<Output = ()> {
            output(3, ns);
            Later(input(9) != 0, || ())
        }
        fn delay_us(&mut self, us: u32) -> impl core::future::Future<Output = ()> {
            output(3, us);
            Later(input(9) != 0, || ())
        }
        fn delay_ms(&mut self, ms: u32) -> impl core::future::Future<Output = ()> {
            output(3, ms);
            Later(input(9) != 0, || ())
        }
    }

    /// The smallest executor: pins the future once and polls it until it is ready, as an
    /// executor's task does (the sleeper and the operation wake the task when they are pending).
    #[cfg(any(feature = "async-retry", feature = "any-policy"))]
    fn block_on<F: core::future::Future>(future: F) -> F::Output {
        let mut future = core::pin::pin!(future);
        let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
        loop {
            if let core::task::Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                return value;
            }
        }
    }

    /// The same run with its policy built at run time, as firmware does from settings kept in
    /// flash or received: every setting, the factor and the jitter kind included, is read from
    /// the inputs, so the general arithmetic, every jitter kind and the builder's checks stay.
    #[cfg(feature = "runtime-policy")]
    pub fn run() {
        let jitter = match input(8) % 4 {
            0 => Jitter::None,
            1 => Jitter::Equal,
            2 => Jitter::Full,
            _ => Jitter::Decorrelated,
        };
        let built: Result<Policy<LOG>, _> = Policy::builder()
            .max_attempts(input(0))
            .base_delay_ms(input(1))
            .max_delay_ms(input(2))
            .factor(Factor::from_milli(input(3)))
            .jitter(jitter)
            .build();
        let Ok(policy) = built else {
            output(0, u32::MAX);
            return;
        };
        let outcome = Retry::new(policy, XorShiftRng::seed_from_u64(seed()))
            .when(|e: &u32| *e != input(6))
            .call(VolatileDelay, operation);
        report(&outcome);
    }

    /// Every setting read at run time (the jitter kind, attempts or none, delay budget and hint
    /// rule included), a predicate that may hint, a deadline on a clock, a retry budget and a
    /// hook, in each of the three forms: blocking (through the embedded-hal adapter, and on the
    /// generator-free path when there is no jitter), an event loop driving a run (timeouts and
    /// resets included), and async (`call_async` and `call_future`). Every check and path of the
    /// builder, the arithmetic and the engine must stay. (An async run with a timeout per attempt races it in an `async fn`,
    /// whose "resumed after completion" check the optimiser cannot remove here.)
    #[cfg(feature = "any-policy")]
    pub fn run() {
        use embedded_hal::delay::DelayNs;
        use embedded_retry::{
            BucketRates, Clock, Decision, HalDelay, HintAboveCap, Step, StopReason, TimedOut,
            TokenBucket,
        };

        /// A clock whose readings the optimiser cannot predict.
        struct VolatileClock;
        impl Clock for VolatileClock {
            fn now_ms(&self) -> u64 {
                u64::from(input(13)) << 32 | u64::from(input(14))
            }
        }

        struct VolatileDelayNs;
        impl DelayNs for VolatileDelayNs {
            fn delay_ns(&mut self, ns: u32) {
                output(3, ns);
            }
        }

        /// The error of the event loop and async forms: the operation's code, or a timeout.
        #[derive(Clone, Copy)]
        struct Code(u32);
        impl From<TimedOut> for Code {
            fn from(_: TimedOut) -> Self {
                Code(u32::MAX)
            }
        }
        impl From<Code> for u32 {
            fn from(code: Code) -> u32 {
                code.0
            }
        }

        let jitter = match input(8) % 4 {
            0 => Jitter::None,
            1 => Jitter::Equal,
            2 => Jitter::Full,
            _ => Jitter::Decorrelated,
        };
        let hint_above_cap = if input(14) == 0 {
            HintAboveCap::Honour
        } else {
            HintAboveCap::Stop
        };
        let builder = Policy::builder()
            .base_delay_ms(input(1))
            .max_delay_ms(input(2))
            .factor(Factor::from_milli(input(3)))
            .jitter(jitter)
            .delay_budget_ms(u64::from(input(15)))
            .hint_above_cap(hint_above_cap);
        // Its own input chooses no limit, so that a limit of 0 still reaches the builder's check.
        let built: Result<Policy<LOG>, _> = if input(12) & 1 == 0 {
            builder.retry_forever()
        } else {
            builder.max_attempts(input(0))
        }
        .build();
        let Ok(policy) = built else {
            output(0, u32::MAX);
            return;
        };
        // The predicate may stop, retry, or retry after a hinted delay, all unknown here.
        let decide = |code: u32| match input(6) {
            0 => Decision::Stop,
            1 => Decision::Retry,
            hint => Decision::RetryAfter(hint ^ code),
        };
        let bucket = TokenBucket::new(BucketRates {
            capacity: input(10),
            cost: input(11),
            refill: input(12),
        });
        let clock = VolatileClock;
        let hook = |attempt: u32, code: u32, delay_ms: u32| output(2, attempt ^ code ^ delay_ms);
        let deadline_ms = u64::from(input(13));
        let rng = || XorShiftRng::seed_from_u64(seed());
        match input(9) % 5 {
            0 => report(
                &Retry::new(policy, rng())
                    .when(|e: &u32| decide(*e))
                    .deadline_ms(clock, deadline_ms)
                    .retry_budget(&bucket)
                    .before_sleep(|n: u32, e: &u32, ms: u32| hook(n, *e, ms))
                    .call(HalDelay(VolatileDelayNs), operation),
            ),
            1 => match Retry::without_jitter(policy) {
                Ok(retry) => report(
                    &retry
                        .when(|e: &u32| decide(*e))
                        .deadline_ms(clock, deadline_ms)
                        .retry_budget(&bucket)
                        .before_sleep(|n: u32, e: &u32, ms: u32| hook(n, *e, ms))
                        .call(VolatileDelay, operation),
                ),
                Err(_) => output(0, u32::MAX - 1),
            },
            2 => {
                let mut retry = Retry::new(policy, rng())
                    .when(|e: &Code| decide(e.0))
                    .deadline_ms(clock, deadline_ms)
                    .retry_budget(&bucket)
                    .before_sleep(|n: u32, e: &Code, ms: u32| hook(n, e.0, ms))
                    .attempt_timeout_ms(input(11));
                if let Err(error) = retry.start_call::<Code>() {
                    return report(&retry.start().finish(Err(error), StopReason::CircuitOpen));
                }
                let mut run = retry.start();
                // An event loop's attempts: each succeeds, times out or fails as inputs say; a
                // success may reset the run, as a supervisor's does, and go on.
                let outcome = loop {
                    output(1, retry.attempt_limit_ms(&run).unwrap_or(0));
                    let step = match input(7) {
                        0 => {
                            retry.succeeded(&mut run);
                            if input(5) == 0 {
                                break run.finish(Ok(()), StopReason::Succeeded);
                            }
                            // The next connection is a new call for the budget, as the
                            // docs of `start_call` say.
                            if let Err(error) = retry.start_call::<Code>() {
                                break run.finish(Err(error), StopReason::CircuitOpen);
                            }
                            retry.reset(&mut run);
                            continue;
                        }
                        1 => retry.timed_out(&mut run),
                        code => retry.failed(&mut run, Code(code)),
                    };
                    match step {
                        Step::Sleep(ms) => output(3, ms),
                        Step::Stop { reason, error } => break run.finish(Err(error), reason),
                    }
                };
                report(&outcome);
            }
            form => {
                let mut retry = Retry::new(policy, rng())
                    .when(|e: &Code| decide(e.0))
                    .deadline_ms(clock, deadline_ms)
                    .retry_budget(&bucket)
                    .before_sleep(|n: u32, e: &Code, ms: u32| hook(n, e.0, ms));
                let op = || Later(input(10) != 0, || operation().map_err(Code));
                report(&if form == 3 {
                    block_on(retry.call_async(VolatileDelay, op))
                } else {
                    block_on(retry.call_future(VolatileDelay, op))
                });
            }
        }
    }
}

/// The loop a firmware engineer writes by hand for the engine probe's case, with the same inputs,
/// outputs and generator: 5 attempts, 100 ms doubling to a 10 s cap, equal jitter drawn as the
/// engine draws it (one draw scaled by a multiply and a shift), stop on the error the predicate refuses. It keeps no log
/// and has no other stop rule: the floor the engine is measured against.
#[cfg(feature = "hand-loop")]
mod hand_loop {
    use super::{input, output};
    use rand_core::{Rng, SeedableRng};
    use rand_xorshift::XorShiftRng;

    /// Uniform in `[0, span]`: one draw scaled to the span by a multiply and a shift.
    fn uniform(rng: &mut XorShiftRng, span: u32) -> u32 {
        ((u64::from(rng.next_u32()) * (u64::from(span) + 1)) >> 32) as u32
    }

    pub fn run() {
        let mut rng = XorShiftRng::seed_from_u64(u64::from(input(4)) << 32 | u64::from(input(5)));
        let mut capped_ms: u32 = 100;
        let mut total_ms: u32 = 0;
        let mut attempts: u32 = 0;
        let last_error = loop {
            attempts += 1;
            match input(7) {
                0 => break 0,
                error if error == input(6) || attempts == 5 => break error,
                _ => {
                    let sleep_ms = capped_ms - uniform(&mut rng, capped_ms / 2);
                    output(3, sleep_ms);
                    total_ms += sleep_ms;
                    capped_ms = (capped_ms * 2).min(10_000);
                }
            }
        };
        output(0, attempts);
        output(1, total_ms);
        output(2, last_error);
    }
}

/// The seed's `compute_delay`, transcribed to `f64` as a float-minded port would do it:
/// `min(base * factor^(attempt-1), max)`, times `0.5 + random * 0.5`, rounded to 4 places.
#[cfg(feature = "float-seed")]
mod float_seed {
    use super::{input, output};

    fn compute_delay(attempt: u32, base: f64, factor: f64, max: f64, random: f64) -> f64 {
        let delay = libm::fmin(base * libm::pow(factor, f64::from(attempt) - 1.0), max);
        let delay = delay * (0.5 + random * 0.5);
        libm::round(delay * 10_000.0) / 10_000.0
    }

    pub fn run() {
        let random = f64::from(input(4)) / 4_294_967_296.0;
        let seconds = compute_delay(input(0), 0.1, 2.0, 10.0, random);
        output(0, (seconds * 1000.0) as u32);
    }
}

/// Calls a function defined nowhere, so the build links only if no panic path survived: the
/// async engine's included, with its sleeps and attempts pending or not.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe extern "C" {
        /// Defined nowhere: referencing it from a reachable panic fails the link.
        fn embedded_retry_probe_found_a_panic_path() -> !;
    }
    // SAFETY: never runs; the link fails first if this is reachable.
    unsafe { embedded_retry_probe_found_a_panic_path() }
}
