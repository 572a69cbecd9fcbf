//! The size and no-panic probe.
//!
//! Its inputs come from volatile reads, so the optimiser cannot see them, and its outputs go to
//! volatile writes, so it cannot drop the work. Built with the `retry` feature it runs
//! the retry engine (exponential backoff, equal jitter, xorshift, an 8-record log); without it,
//! it moves the same inputs to the same outputs. The difference in flash is what the engine
//! costs. The policy is a `const`, as in firmware; with `any-policy` it is built at run time
//! from volatile inputs too, so the no-panic proof covers every policy.
//!
//! Its panic handler calls a function that is defined nowhere, so a release build links only if
//! the optimiser removed every panic path.
#![no_std]
#![no_main]

use core::ptr::{addr_of, addr_of_mut};

use cortex_m_rt::entry;

/// Inputs the optimiser cannot see: set by a debugger, or left at zero.
static mut INPUTS: [u32; 8] = [0; 8];
/// Outputs the optimiser must produce.
static mut OUTPUTS: [u32; 4] = [0; 4];

// The indices are masked rather than bounds-checked, so the probe itself has no panic path.
fn input(i: usize) -> u32 {
    // SAFETY: a volatile read of a plain static; single-threaded, no references are held.
    unsafe { addr_of!(INPUTS[i % 8]).read_volatile() }
}

fn output(i: usize, value: u32) {
    // SAFETY: a volatile write of a plain static; single-threaded, no references are held.
    unsafe { addr_of_mut!(OUTPUTS[i % 4]).write_volatile(value) }
}

#[entry]
fn main() -> ! {
    #[cfg(feature = "retry")]
    engine::run();
    #[cfg(not(feature = "retry"))]
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
    use rand_core::SeedableRng;
    use rand_xorshift::XorShiftRng;
    use retry_backoff::{Delay, Factor, Jitter, Policy, Retry};

    /// Sleeps by reporting the delay, so the optimiser cannot drop it.
    struct VolatileDelay;
    impl Delay for VolatileDelay {
        fn delay_ms(&mut self, ms: u32) {
            output(3, ms);
        }
    }

    /// What firmware uses: 5 attempts, 100 ms base, 10 s cap, factor 2 (or 1.5), equal jitter.
    #[cfg(not(feature = "any-policy"))]
    fn policy() -> Option<Policy<8>> {
        const FACTOR: Factor = if cfg!(feature = "decimal-factor") {
            Factor::from_milli(1500)
        } else {
            Factor::TWO
        };
        const POLICY: Policy<8> = Policy::builder()
            .max_attempts(5)
            .base_delay_ms(100)
            .max_delay_ms(10_000)
            .factor(FACTOR)
            .jitter(Jitter::Equal)
            .build_or_panic();
        Some(POLICY)
    }

    /// Every setting unknown at compile time, so every check and path of the builder and the
    /// delay arithmetic must stay.
    #[cfg(feature = "any-policy")]
    fn policy() -> Option<Policy<8>> {
        Policy::builder()
            .max_attempts(input(0))
            .base_delay_ms(input(1))
            .max_delay_ms(input(2))
            .factor(Factor::from_milli(input(3)))
            .jitter(Jitter::Equal)
            .build()
            .ok()
    }

    pub fn run() {
        let Some(policy) = policy() else {
            output(0, u32::MAX);
            return;
        };
        let seed = u64::from(input(4)) << 32 | u64::from(input(5));
        let outcome = Retry::new(policy, VolatileDelay, XorShiftRng::seed_from_u64(seed))
            .when(|e: &u32| *e != input(6))
            .call(|| match input(7) {
                0 => Ok(()),
                e => Err(e),
            });
        output(0, outcome.log().len() as u32);
        output(1, outcome.total_delay_ms() as u32);
        output(2, outcome.last_error().copied().unwrap_or(0));
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe extern "C" {
        /// Defined nowhere: referencing it from a reachable panic fails the link.
        fn retry_backoff_probe_found_a_panic_path() -> !;
    }
    // SAFETY: never runs; the link fails first if this is reachable.
    unsafe { retry_backoff_probe_found_a_panic_path() }
}
