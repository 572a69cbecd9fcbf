//! Support shared by the firmware binaries: the board, the exit status, logging sleeps, and the
//! stand-ins to retry: a flaky sensor and a link that comes and goes; with the `embassy`
//! feature, also embassy-time's driver on SysTick and an async sensor whose reads may hang.
//!
//! Each run ends QEMU through semihosting: status 0 when the firmware did what it expected,
//! 1 otherwise, including on a panic or a hard fault, so that a run in QEMU is a test.
#![no_std]

pub mod board;
#[cfg(feature = "embassy")]
pub mod hanging;
pub mod link;
pub mod sensor;
#[cfg(feature = "embassy")]
pub mod time_driver;

use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m_rt::{ExceptionFrame, exception};
use cortex_m_semihosting::debug;
use defmt_semihosting as _;
use embedded_retry::{Delay, HalDelay, Outcome};

/// Ends the emulator (or halts a real chip) with status 0 when `success`, else 1.
pub fn exit(success: bool) -> ! {
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Reached only if a debugger resumes after the exit request.
    loop {
        cortex_m::asm::wfi();
    }
}

/// Set by the first fault or panic, so that one raised while logging it (say, with the logger
/// held) ends the run instead of logging again, recursing until the stack overflows.
static FAILING: AtomicBool = AtomicBool::new(false);

/// Logs `what` once, unless a fault or panic is already being reported, then exits with 1.
pub fn fail(what: impl FnOnce()) -> ! {
    if !FAILING.load(Ordering::Relaxed) {
        FAILING.store(true, Ordering::Relaxed);
        what();
    }
    exit(false)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    fail(|| defmt::error!("hard fault at pc {=u32:#x}", frame.pc()))
}

/// Defines the panic handler of a binary: log the panic, end with status 1.
#[macro_export]
macro_rules! exit_on_panic {
    () => {
        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo) -> ! {
            $crate::fail(|| defmt::error!("panic: {}", defmt::Display2Format(info)))
        }
    };
}

/// The board's SysTick, as a [`Delay`] that logs each sleep: the core's embedded-hal adapter over
/// cortex-m's SysTick delay, counting the board's real core clock.
pub fn systick_sleeper() -> LoggingDelay<HalDelay<cortex_m::delay::Delay>> {
    let Some(core) = cortex_m::Peripherals::take() else {
        fail(|| defmt::error!("the core peripherals were already taken"))
    };
    LoggingDelay(HalDelay(cortex_m::delay::Delay::new(
        core.SYST,
        board::CORE_CLOCK_HZ,
    )))
}

/// Logs every attempt of a run, then why it stopped and the time slept.
pub fn log_outcome<T, E: defmt::Format, const N: usize>(outcome: &Outcome<T, E, N>) {
    for attempt in outcome.log() {
        defmt::info!("attempt {=u32}: {}", attempt.number, attempt.outcome);
    }
    defmt::info!(
        "stopped: {}, {=u64} ms slept in all",
        outcome.stop_reason(),
        outcome.total_delay_ms()
    );
}

/// A [`Delay`] that logs each sleep before taking it.
pub struct LoggingDelay<D>(pub D);

impl<D: Delay> Delay for LoggingDelay<D> {
    fn delay_ms(&mut self, ms: u32) {
        defmt::info!("sleeping {=u32} ms before the next attempt", ms);
        self.0.delay_ms(ms);
    }
}
