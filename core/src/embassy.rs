//! embassy-time's clock as a [`Clock`].

use crate::Clock;

/// embassy-time's clock (`embassy_time::Instant::now()`), in milliseconds since the board's
/// time driver started. Needs the `embassy-time` feature.
///
/// For sleeping, embassy's own `embassy_time::Delay` already implements embedded-hal-async's
/// `DelayNs`, so it goes to [`call_async`](crate::Retry::call_async) as it is:
///
/// ```
/// use embassy_time::Delay;
/// use embedded_retry::{Clock, EmbassyClock, Jitter, Policy, Retry};
///
/// const POLICY: Policy = Policy::builder().max_attempts(3).base_delay_ms(1)
///     .jitter(Jitter::None).build_or_panic();
///
/// async fn read_sensor() -> Result<u16, ()> { Ok(21) }
///
/// async fn task() -> Result<u16, ()> {
///     let mut retry = Retry::without_jitter(POLICY).unwrap().deadline_ms(EmbassyClock, 500);
///     retry.call_async(Delay, read_sensor).await.into_result()
/// }
/// # let _ = EmbassyClock.now_ms();
/// # let _ = task;
/// ```
///
/// A supervisor that keeps a link up for ever drives a [`Run`](crate::Run) itself, awaiting
/// embassy's timers: each dial races the per-attempt timeout, a link that drops before it has
/// been up for `STABLE` is a failed attempt, and one that stays up that long is a success and
/// starts the schedule again. (On a host, without embassy's executor, embassy-time's
/// `mock-driver` also needs its `generic-queue-8` feature and `critical-section`'s `std`; the
/// hidden `block_on` lets the mock clock run while the future waits.)
///
/// ```
/// use embassy_time::{Duration, Timer, with_timeout};
/// use embedded_retry::{Jitter, Policy, Retry, Step, TimedOut};
///
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// enum LinkError { Refused, Dropped, NoAnswer }
///
/// impl From<TimedOut> for LinkError {
///     fn from(_: TimedOut) -> Self { LinkError::NoAnswer }
/// }
///
/// const RECONNECT: Policy = Policy::builder().retry_forever().base_delay_ms(200)
///     .max_delay_ms(3_200).jitter(Jitter::None).build_or_panic();
/// const STABLE: Duration = Duration::from_secs(5);
///
/// /// What a dial does: refused, never answered, or the link up for so many milliseconds.
/// #[derive(Clone, Copy)]
/// enum Dial { Refused, Silent, Up(u64) }
///
/// /// Keeps the link up through `dials`, and returns the sleeps between them.
/// async fn supervise(dials: &[Dial]) -> Vec<u32> {
///     let mut retry = Retry::without_jitter(RECONNECT).unwrap().attempt_timeout_ms(1_000);
///     let mut run = retry.start();
///     let mut sleeps = Vec::new();
///     for &dial in dials {
///         let connect = async {
///             Timer::after_millis(50).await; // the handshake
///             match dial {
///                 Dial::Refused => Err(LinkError::Refused),
///                 Dial::Silent => core::future::pending().await,
///                 Dial::Up(ms) => Ok(ms),
///             }
///         };
///         // `Some` on a retry given a timeout.
///         let limit = retry.attempt_limit_ms(&run).unwrap_or(u32::MAX);
///         let step = match with_timeout(Duration::from_millis(limit.into()), connect).await {
///             Err(_) => retry.timed_out(&mut run),
///             Ok(Err(error)) => retry.failed(&mut run, error),
///             Ok(Ok(up_ms)) => match with_timeout(STABLE, Timer::after_millis(up_ms)).await {
///                 // Dropped before it was stable: a failed attempt, backed off from.
///                 Ok(()) => retry.failed(&mut run, LinkError::Dropped),
///                 // Stable: a success, and the next outage starts the schedule again.
///                 Err(_) => {
///                     retry.succeeded(&mut run);
///                     retry.reset(&mut run);
///                     Timer::after_millis(up_ms - STABLE.as_millis()).await;
///                     continue; // dropped: dial again at once
///                 }
///             },
///         };
///         match step {
///             Step::Sleep(ms) => {
///                 sleeps.push(ms);
///                 Timer::after_millis(ms.into()).await;
///             }
///             // Only a rule this retry has not got ends a run that retries for ever.
///             Step::Stop { .. } => break,
///         }
///     }
///     sleeps
/// }
///
/// # fn block_on<F: core::future::Future>(f: F) -> F::Output {
/// #     let mut f = core::pin::pin!(f);
/// #     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
/// #     loop {
/// #         if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
/// #         embassy_time::MockDriver::get().advance(Duration::from_millis(1));
/// #     }
/// # }
/// use Dial::*;
/// let sleeps = block_on(supervise(&[
///     Refused, Silent, Up(60_000), // 200, then 400 after a dial that timed out; up a minute
///     Refused, Up(1_000), Up(300), Refused, // from 200 again; flaps back off as refusals do
/// ]));
/// assert_eq!(sleeps, [200, 400, 200, 400, 800, 1_600]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmbassyClock;

impl Clock for EmbassyClock {
    fn now_ms(&self) -> u64 {
        embassy_time::Instant::now().as_millis()
    }
}
