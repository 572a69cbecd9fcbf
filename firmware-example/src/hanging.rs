//! A stand-in for an async peripheral whose reads sometimes hang: a temperature sensor on a bus
//! that, read after read, follows a script. A read may never answer (a stuck bus, a lost
//! interrupt), answer too slowly, answer that the sensor is busy for so many milliseconds, or
//! answer with a reading after its conversion time.
//!
//! Each read logs what it does: `read <n> at <t> ms: ...`. A read whose future is dropped before
//! it answers (what a per-attempt timeout does) logs `read <n> abandoned after <ms> ms`, and is
//! counted: a real driver would reset the bus at that point, since the transfer was left half
//! done.

use embassy_time::{Instant, Timer};
use embedded_retry::TimedOut;

/// Why a read failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum ReadError {
    /// The read took longer than its attempt was allowed: the retry's timeout, not the sensor.
    TimedOut,
    /// The sensor is converting and asks to be read again in `retry_after_ms`.
    Busy {
        /// When the sensor says a read will succeed.
        retry_after_ms: u32,
    },
    /// No sensor answers at its address: no retry can help.
    Absent,
}

impl From<TimedOut> for ReadError {
    fn from(_: TimedOut) -> Self {
        ReadError::TimedOut
    }
}

/// What one read does.
#[derive(Clone, Copy, Debug)]
pub enum Reply {
    /// Never answers.
    Hang,
    /// Answers at once that the sensor is busy for this many milliseconds.
    Busy(u32),
    /// Answers with a reading, in hundredths of a degree Celsius, after `after_ms`.
    Reading {
        /// The conversion time.
        after_ms: u32,
        /// The temperature read.
        centi_celsius: i32,
    },
    /// Answers at once that nothing is there.
    Absent,
}

/// A sensor that plays `script`, one reply per read, then answers `Absent`.
pub struct HangingSensor {
    script: &'static [Reply],
    reads: u32,
    abandoned: u32,
}

impl HangingSensor {
    /// A sensor that plays `script`.
    pub const fn new(script: &'static [Reply]) -> Self {
        HangingSensor {
            script,
            reads: 0,
            abandoned: 0,
        }
    }

    /// How many reads were started.
    pub fn reads(&self) -> u32 {
        self.reads
    }

    /// How many reads were dropped before they answered.
    pub fn abandoned(&self) -> u32 {
        self.abandoned
    }

    /// Reads the temperature in hundredths of a degree Celsius.
    pub async fn read_centi_celsius(&mut self) -> Result<i32, ReadError> {
        let reply = self
            .script
            .get(self.reads as usize)
            .copied()
            .unwrap_or(Reply::Absent);
        self.reads += 1;
        let read = self.reads;
        let started = Instant::now();
        let at = started.as_millis();
        let mut pending = Pending {
            read,
            started,
            abandoned: &mut self.abandoned,
            answered: false,
        };
        let result = match reply {
            Reply::Hang => {
                defmt::info!("read {=u32} at {=u64} ms: no answer", read, at);
                core::future::pending::<Result<i32, ReadError>>().await
            }
            Reply::Busy(ms) => {
                defmt::info!("read {=u32} at {=u64} ms: busy for {=u32} ms", read, at, ms);
                Err(ReadError::Busy { retry_after_ms: ms })
            }
            Reply::Reading {
                after_ms,
                centi_celsius,
            } => {
                defmt::info!(
                    "read {=u32} at {=u64} ms: converting for {=u32} ms",
                    read,
                    at,
                    after_ms
                );
                Timer::after_millis(u64::from(after_ms)).await;
                defmt::info!("read {=u32}: {=i32} centi-degrees", read, centi_celsius);
                Ok(centi_celsius)
            }
            Reply::Absent => {
                defmt::info!("read {=u32} at {=u64} ms: no sensor", read, at);
                Err(ReadError::Absent)
            }
        };
        pending.answered = true;
        result
    }
}

/// A read under way: logs and counts it if it is dropped before it answers.
struct Pending<'a> {
    read: u32,
    started: Instant,
    abandoned: &'a mut u32,
    answered: bool,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.answered {
            *self.abandoned += 1;
            defmt::info!(
                "read {=u32} abandoned after {=u64} ms",
                self.read,
                self.started.elapsed().as_millis()
            );
        }
    }
}
