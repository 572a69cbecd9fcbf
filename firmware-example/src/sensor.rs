//! A stand-in for a flaky peripheral: a temperature sensor that times out a few times after
//! power-up before it answers.

/// Why a sensor read failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum SensorError {
    /// No answer in time; the sensor may answer on a later read.
    Timeout,
    /// The sensor is not there; no retry can help.
    Unplugged,
}

impl SensorError {
    /// The retry predicate: only a timeout is worth another read.
    pub fn is_transient(&self) -> bool {
        *self == SensorError::Timeout
    }
}

/// A sensor that fails its first reads, then returns readings.
pub struct FlakySensor {
    timeouts_left: u32,
    unplugged: bool,
    reads: u32,
}

impl FlakySensor {
    /// A sensor that times out `timeouts` times, then answers.
    pub const fn warming_up(timeouts: u32) -> Self {
        FlakySensor {
            timeouts_left: timeouts,
            unplugged: false,
            reads: 0,
        }
    }

    /// A sensor that is not connected: every read fails for good.
    pub const fn unplugged() -> Self {
        FlakySensor {
            timeouts_left: 0,
            unplugged: true,
            reads: 0,
        }
    }

    /// How many reads were attempted.
    pub fn reads(&self) -> u32 {
        self.reads
    }

    /// Reads the temperature in hundredths of a degree Celsius.
    pub fn read_centi_celsius(&mut self) -> Result<i32, SensorError> {
        self.reads += 1;
        if self.unplugged {
            return Err(SensorError::Unplugged);
        }
        if self.timeouts_left > 0 {
            self.timeouts_left -= 1;
            return Err(SensorError::Timeout);
        }
        Ok(2150)
    }
}
