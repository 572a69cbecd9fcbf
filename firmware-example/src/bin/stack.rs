//! The stack the retry engine's run uses, measured on the chip: the run the size probe builds
//! (`m0_engine_flash`: factor 2, equal jitter, a 10 s cap, xorshift, a `const` policy, an
//! 8-record log, `u32` errors), here with 5 attempts that all fail, and nothing else in the
//! program that calls the engine, so the compiler treats it as in the probe.
//!
//! The region below the stack pointer is painted with a pattern, the run is made, and the lowest
//! word no longer holding the pattern marks how deep it went. Prints `stack <bytes>` for
//! `cargo xtask size`, and exits 0.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use embedded_retry::{Delay, Jitter, Policy, Retry};
use firmware_example::{exit, exit_on_panic};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

exit_on_panic!();

#[entry]
fn main() -> ! {
    // Seeded before the painting, as firmware seeds its generator once at start-up.
    let rng = XorShiftRng::seed_from_u64(7);
    const PAINT: u32 = 0xDEAD_BEEF;
    const DEPTH: u32 = 4096;
    let top = cortex_m::register::msp::read();
    let bottom = top - DEPTH;
    // Leave the words just below the stack pointer alone: they may hold this frame's spills.
    for address in (bottom..top - 64).step_by(4) {
        // SAFETY: below the stack pointer is free stack (RAM this program does not use otherwise),
        // and nothing else runs: no interrupts are enabled.
        unsafe { (address as *mut u32).write_volatile(PAINT) }
    }
    let slept = run(rng);
    let lowest = (bottom..top - 64)
        .step_by(4)
        // SAFETY: reading back the words painted above.
        .find(|&address| unsafe { (address as *const u32).read_volatile() } != PAINT)
        .unwrap_or(top);
    defmt::println!("slept {=u64} ms", slept);
    defmt::println!("stack {=u32}", top - lowest);
    exit(slept > 0)
}

/// A sleeper that only reports the delay, so that the optimiser cannot drop it.
struct Reported;

impl Delay for Reported {
    fn delay_ms(&mut self, ms: u32) {
        core::hint::black_box(ms);
    }
}

/// Inputs the optimiser cannot see, read as the probe reads its own: the error the operation
/// returns, and the one the predicate refuses.
static mut INPUTS: [u32; 2] = [1, 0];

fn input(i: usize) -> u32 {
    // SAFETY: a volatile read of a plain static; single-threaded, no references are held.
    unsafe { core::ptr::addr_of!(INPUTS[i % 2]).read_volatile() }
}

/// The probe's run.
#[inline(never)]
fn run(rng: XorShiftRng) -> u64 {
    const POLICY: Policy<8> = Policy::builder()
        .max_attempts(5)
        .base_delay_ms(100)
        .max_delay_ms(10_000)
        .jitter(Jitter::Equal)
        .build_or_panic();
    let outcome = Retry::new(POLICY, rng)
        .when(|e: &u32| *e != input(1))
        .call(Reported, || match input(0) {
            0 => Ok(()),
            e => Err(e),
        });
    core::hint::black_box(outcome.last_error().copied());
    outcome.total_delay_ms()
}
