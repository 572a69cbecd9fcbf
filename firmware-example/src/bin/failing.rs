//! A scenario that must fail: the sensor is unplugged, the retry predicate refuses the error,
//! and the run stops at once. Exits 1, which `cargo xtask firmware` expects.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use firmware_example::sensor::{FlakySensor, SensorError};
use firmware_example::{LoggingDelay, board, exit, exit_on_panic};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;
use retry_backoff::{HalDelay, Policy, Retry};

exit_on_panic!();

const POLICY: Policy<8> = Policy::builder()
    .max_attempts(5)
    .base_delay_ms(20)
    .max_delay_ms(200)
    .build_or_panic();

#[entry]
fn main() -> ! {
    let core = cortex_m::Peripherals::take().unwrap();
    let systick = cortex_m::delay::Delay::new(core.SYST, board::CORE_CLOCK_HZ);
    let mut sensor = FlakySensor::unplugged();
    let outcome = Retry::new(
        POLICY,
        LoggingDelay(HalDelay(systick)),
        XorShiftRng::seed_from_u64(board::device_seed()),
    )
    .when(SensorError::is_transient)
    .call(|| sensor.read_centi_celsius());
    for attempt in outcome.log() {
        defmt::info!("attempt {=u32}: {}", attempt.number, attempt.outcome);
    }
    defmt::info!("stopped: {}", outcome.stop_reason());
    exit(outcome.is_success())
}
