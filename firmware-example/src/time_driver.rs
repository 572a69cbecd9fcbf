//! embassy-time's driver on both boards: SysTick interrupts at 1 kHz, counted from the board's
//! core clock, give the time in milliseconds, and its handler wakes the tasks whose timers are
//! due. Neither board has an embassy HAL to supply one.
//!
//! Pending wakes sit in a few fixed slots, one per waker (a task): a slot keeps the earliest
//! time its waker asked for. That is enough, because embassy's timers register again each time
//! they are polled: a task woken for its earliest timer polls the others, which ask for their
//! own times anew. A timer dropped before it fires (the loser of a race, such as a per-attempt
//! timeout) costs at most one spurious wake.

use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use critical_section::Mutex;
use embassy_time_driver::Driver;

use crate::board::CORE_CLOCK_HZ;

/// One tick a millisecond, as embassy-time's `tick-hz-1_000` feature says.
const TICK_HZ: u32 = 1_000;
const _: () = assert!(embassy_time_driver::TICK_HZ == TICK_HZ as u64);

/// How many tasks may wait on timers at once.
const SLOTS: usize = 4;

/// The time, and who is waiting for what.
struct SysTickDriver {
    /// Milliseconds since [`start`].
    ticks: Mutex<Cell<u64>>,
    /// Each waiting task's waker and the tick it waits for, the earliest it asked for.
    waiting: Mutex<RefCell<[Option<(u64, Waker)>; SLOTS]>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    ticks: Mutex::new(Cell::new(0)),
    waiting: Mutex::new(RefCell::new([const { None }; SLOTS])),
});

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.ticks.borrow(cs).get())
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            if at <= self.ticks.borrow(cs).get() {
                waker.wake_by_ref();
                return;
            }
            let mut waiting = self.waiting.borrow_ref_mut(cs);
            if let Some((due, _)) = waiting
                .iter_mut()
                .flatten()
                .find(|(_, w)| w.will_wake(waker))
            {
                *due = (*due).min(at);
            } else if let Some(free) = waiting.iter_mut().find(|slot| slot.is_none()) {
                *free = Some((at, waker.clone()));
            } else {
                crate::fail(|| {
                    defmt::error!(
                        "time driver: more than {=usize} tasks wait on timers at once",
                        SLOTS
                    )
                });
            }
        });
    }
}

/// Starts the clock: SysTick interrupts every millisecond from now on.
pub fn start(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CORE_CLOCK_HZ / TICK_HZ - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let ticks = DRIVER.ticks.borrow(cs);
        let now = ticks.get() + 1;
        ticks.set(now);
        for slot in DRIVER.waiting.borrow_ref_mut(cs).iter_mut() {
            if slot.as_ref().is_some_and(|(due, _)| *due <= now)
                && let Some((_, waker)) = slot.take()
            {
                waker.wake();
            }
        }
    });
}
