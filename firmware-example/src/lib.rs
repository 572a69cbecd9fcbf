//! Support shared by the firmware binaries: the board, the exit status, logging sleeps, and a
//! flaky sensor to retry.
//!
//! Each run ends QEMU through semihosting: status 0 when the firmware did what it expected,
//! 1 otherwise, including on a panic or a hard fault, so that a run in QEMU is a test.
#![no_std]

pub mod board;
pub mod sensor;

use cortex_m_rt::{ExceptionFrame, exception};
use cortex_m_semihosting::debug;
use defmt_semihosting as _;
use retry_backoff::Delay;

/// Ends the emulator (or halts a real chip) with status 0 when `success`, else 1.
pub fn exit(success: bool) -> ! {
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Only reached without a debugger or emulator to end the program.
    loop {
        cortex_m::asm::bkpt();
    }
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    defmt::error!("hard fault at pc {=u32:#x}", frame.pc());
    exit(false)
}

/// Defines the panic handler of a binary: log the panic, end with status 1.
#[macro_export]
macro_rules! exit_on_panic {
    () => {
        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo) -> ! {
            defmt::error!("panic: {}", defmt::Display2Format(info));
            $crate::exit(false)
        }
    };
}

/// A [`Delay`] that logs each sleep before taking it.
pub struct LoggingDelay<D>(pub D);

impl<D: Delay> Delay for LoggingDelay<D> {
    fn delay_ms(&mut self, ms: u32) {
        defmt::info!("sleeping {=u32} ms before the next attempt", ms);
        self.0.delay_ms(ms);
    }
}
