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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmbassyClock;

impl Clock for EmbassyClock {
    fn now_ms(&self) -> u64 {
        embassy_time::Instant::now().as_millis()
    }
}
