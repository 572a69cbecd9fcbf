//! What differs between the emulated boards: the core clock and where a device seed comes from.

/// The board's name, as QEMU's `-machine` knows it.
#[cfg(feature = "lm3s6965evb")]
pub const NAME: &str = "lm3s6965evb";
/// The board's name, as QEMU's `-machine` knows it.
#[cfg(feature = "microbit")]
pub const NAME: &str = "microbit";

/// The core clock in hertz, which SysTick counts: the LM3S6965 evaluation board runs at 12 MHz
/// from its crystal after reset.
#[cfg(feature = "lm3s6965evb")]
pub const CORE_CLOCK_HZ: u32 = 12_000_000;
/// The core clock in hertz, which SysTick counts: the nRF51 runs at 16 MHz.
#[cfg(feature = "microbit")]
pub const CORE_CLOCK_HZ: u32 = 16_000_000;

/// A seed for the jitter generator that differs from device to device.
///
/// Jitter only spreads retries if each device draws different delays: a fleet flashed with one
/// fixed seed retries in lockstep, exactly what jitter is there to prevent. So the seed comes
/// from something unique to the chip. The LM3S6965 has the board's Ethernet MAC address,
/// unique per board, programmed into its USER0 and USER1 registers (QEMU sets them from the
/// emulated NIC's address).
#[cfg(feature = "lm3s6965evb")]
pub fn device_seed() -> u64 {
    const USER0: *const u32 = 0x400F_E1E0 as *const u32;
    const USER1: *const u32 = 0x400F_E1E4 as *const u32;
    // SAFETY: USER0 and USER1 are always-readable, word-aligned system control registers.
    let (low, high) = unsafe { (USER0.read_volatile(), USER1.read_volatile()) };
    u64::from(high) << 32 | u64::from(low)
}

/// A seed for the jitter generator that differs from device to device.
///
/// Jitter only spreads retries if each device draws different delays: a fleet flashed with one
/// fixed seed retries in lockstep, exactly what jitter is there to prevent. So the seed comes
/// from something unique to the chip. The nRF51 has a 64-bit DEVICEID, unique per chip, in its
/// factory information registers (FICR); its RNG peripheral would serve as well.
#[cfg(feature = "microbit")]
pub fn device_seed() -> u64 {
    const DEVICEID0: *const u32 = 0x1000_0060 as *const u32;
    const DEVICEID1: *const u32 = 0x1000_0064 as *const u32;
    // SAFETY: the FICR is always-readable, word-aligned flash.
    let (low, high) = unsafe { (DEVICEID0.read_volatile(), DEVICEID1.read_volatile()) };
    u64::from(high) << 32 | u64::from(low)
}
