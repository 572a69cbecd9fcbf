//! A scenario that must fail: the sensor is unplugged, the retry predicate refuses the error,
//! and the run stops at once. Exits 1, which `cargo xtask firmware` expects.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use embedded_retry::{Policy, Retry};
use firmware_example::sensor::{FlakySensor, SensorError};
use firmware_example::{board, exit, exit_on_panic, log_outcome, systick_sleeper};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

exit_on_panic!();

const POLICY: Policy<8> = Policy::builder()
    .max_attempts(5)
    .base_delay_ms(20)
    .max_delay_ms(200)
    .build_or_panic();

#[entry]
fn main() -> ! {
    let mut sensor = FlakySensor::unplugged();
    let rng = XorShiftRng::seed_from_u64(board::device_seed());
    let outcome = Retry::new(POLICY, rng)
        .when(SensorError::is_transient)
        .call(systick_sleeper(), || sensor.read_centi_celsius());
    log_outcome(&outcome);
    exit(outcome.is_success())
}
