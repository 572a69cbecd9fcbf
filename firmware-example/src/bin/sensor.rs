//! Reads a sensor that times out three times after power-up, retrying through the core with
//! equal jitter and sleeping on SysTick. Exits 0 when the fourth read succeeds.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use embedded_retry::{Jitter, Policy, Retry};
use firmware_example::sensor::{FlakySensor, SensorError};
use firmware_example::{board, exit, exit_on_panic, log_outcome, systick_sleeper};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

exit_on_panic!();

/// Up to 5 reads, 20 ms then 40 ms, 80 ms ... capped at 200 ms, equal jitter.
const POLICY: Policy<8> = Policy::builder()
    .max_attempts(5)
    .base_delay_ms(20)
    .max_delay_ms(200)
    .jitter(Jitter::Equal)
    .build_or_panic();

#[entry]
fn main() -> ! {
    let seed = board::device_seed();
    defmt::info!("{=str}: device seed {=u64:#x}", board::NAME, seed);
    // For the host, which draws the same delays and compares them with the sleeps logged below.
    let backoff = POLICY.backoff();
    defmt::println!(
        "schedule {=u32} {=u32} {=u32} equal {=u64}",
        backoff.base_ms(),
        backoff.cap_ms(),
        backoff.factor().milli(),
        seed
    );

    let mut sensor = FlakySensor::warming_up(3);
    let outcome = Retry::new(POLICY, XorShiftRng::seed_from_u64(seed))
        .when(SensorError::is_transient)
        .call(systick_sleeper(), || {
            let reading = sensor.read_centi_celsius();
            defmt::info!("read {=u32}: {}", sensor.reads(), reading);
            reading
        });

    log_outcome(&outcome);
    exit(outcome.value() == Some(&2150) && outcome.log().len() == 4)
}
