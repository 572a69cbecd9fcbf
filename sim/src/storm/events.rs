//! What both models of `sim storm` share: an agenda of events in time order, exponential
//! draws, and the seeds of independent runs.
//!
//! Time is the model's own, in milliseconds, as an `f64` (network hops are continuous); what the
//! core decides (a delay to sleep, the time an attempt is allowed) comes in whole milliseconds
//! and is added to it.

use std::cell::Cell;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use embedded_retry::Clock;
use rand_core::Rng;

/// The model's time as the core reads it (a circuit breaker's cool-down): whole milliseconds,
/// set by the model before each call into the core.
#[derive(Debug, Default)]
pub struct ModelClock(Cell<u64>);

impl ModelClock {
    /// The model's time is now `now_ms` (rounded down to a whole millisecond).
    pub fn set(&self, now_ms: f64) {
        self.0.set(now_ms as u64);
    }
}

impl Clock for ModelClock {
    fn now_ms(&self) -> u64 {
        self.0.get()
    }
}

/// Events waiting to happen, taken earliest first; events at the same time in the order they
/// were added, so that a run is the same on every machine.
#[derive(Debug)]
pub struct Agenda<T> {
    heap: BinaryHeap<Reverse<Entry<T>>>,
    added: u64,
}

#[derive(Debug)]
struct Entry<T> {
    /// The time's `f64` bits, which order like the (non-negative) times themselves.
    at_bits: u64,
    order: u64,
    event: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.at_bits, self.order) == (other.at_bits, other.order)
    }
}

impl<T> Eq for Entry<T> {}

impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at_bits, self.order).cmp(&(other.at_bits, other.order))
    }
}

impl<T> Default for Agenda<T> {
    fn default() -> Self {
        Agenda {
            heap: BinaryHeap::new(),
            added: 0,
        }
    }
}

impl<T> Agenda<T> {
    /// `event` happens at `at_ms` (not negative).
    pub fn add(&mut self, at_ms: f64, event: T) {
        debug_assert!(at_ms >= 0.0, "{at_ms}");
        self.added += 1;
        self.heap.push(Reverse(Entry {
            at_bits: at_ms.to_bits(),
            order: self.added,
            event,
        }));
    }

    /// The earliest event and its time.
    pub fn take_next(&mut self) -> Option<(f64, T)> {
        self.heap
            .pop()
            .map(|Reverse(entry)| (f64::from_bits(entry.at_bits), entry.event))
    }

    /// Nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

/// An [`Agenda`] for a handful of events at a time (one client's calls in flight): the same
/// order, found by a scan, which beats a heap's upkeep at that size.
#[derive(Debug)]
pub struct FewEvents<T> {
    events: Vec<Entry<T>>,
    added: u64,
}

impl<T> Default for FewEvents<T> {
    fn default() -> Self {
        FewEvents {
            events: Vec::new(),
            added: 0,
        }
    }
}

impl<T> FewEvents<T> {
    /// `event` happens at `at_ms` (not negative).
    pub fn add(&mut self, at_ms: f64, event: T) {
        debug_assert!(at_ms >= 0.0, "{at_ms}");
        self.added += 1;
        self.events.push(Entry {
            at_bits: at_ms.to_bits(),
            order: self.added,
            event,
        });
    }

    /// The earliest event and its time; of events at the same time, the one added first.
    pub fn take_next(&mut self) -> Option<(f64, T)> {
        let (first, _) = self
            .events
            .iter()
            .enumerate()
            .min_by_key(|(_, e)| (e.at_bits, e.order))?;
        let entry = self.events.swap_remove(first);
        Some((f64::from_bits(entry.at_bits), entry.event))
    }
}

/// A uniform draw in `[0, 1)`, from the top 53 bits of a 64-bit draw.
pub fn unit<R: Rng>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An exponential draw with mean `mean` (the gap of a Poisson process, a network hop).
pub fn exponential<R: Rng>(rng: &mut R, mean: f64) -> f64 {
    // 1 - u is in (0, 1], so the logarithm is finite.
    -mean * (1.0 - unit(rng)).ln()
}

/// The sum of two independent exponential draws with mean `mean` (a round trip of two hops),
/// from one logarithm: `-mean * (ln u1 + ln u2) = -mean * ln(u1 * u2)`.
pub fn two_exponentials<R: Rng>(rng: &mut R, mean: f64) -> f64 {
    let (u1, u2) = (1.0 - unit(rng), 1.0 - unit(rng));
    -mean * (u1 * u2).ln()
}

/// The seed of one independent stream, from the run's seed and the coordinates that tell the
/// stream apart (a cell, a run, a client): the same whatever order or thread the runs take.
pub fn stream_seed(seed: u64, coordinates: &[u64]) -> u64 {
    // SplitMix64 steps over the coordinates in turn.
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    coordinates.iter().fold(mix(seed), |z, &c| {
        mix(z.wrapping_add(0x9E37_79B9_7F4A_7C15).wrapping_add(mix(c)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;
    use rand_xorshift::XorShiftRng;

    #[test]
    fn events_come_in_time_order_and_ties_in_the_order_added() {
        const EVENTS: [(f64, &str); 5] = [
            (5.0, "c"),
            (1.0, "a"),
            (5.0, "d"),
            (2.5, "b"),
            (0.0, "start"),
        ];
        let mut agenda = Agenda::default();
        for (at, name) in EVENTS {
            agenda.add(at, name);
        }
        let order: Vec<&str> = std::iter::from_fn(|| agenda.take_next().map(|(_, e)| e)).collect();
        assert_eq!(order, ["start", "a", "b", "c", "d"]);
        assert!(agenda.is_empty());
        let mut few = FewEvents::default();
        for (at, name) in EVENTS {
            few.add(at, name);
        }
        let order: Vec<&str> = std::iter::from_fn(|| few.take_next().map(|(_, e)| e)).collect();
        assert_eq!(order, ["start", "a", "b", "c", "d"]);
    }

    #[test]
    fn exponential_draws_have_their_mean() {
        let mut rng = XorShiftRng::seed_from_u64(3);
        let n = 200_000;
        let mean = (0..n).map(|_| exponential(&mut rng, 10.0)).sum::<f64>() / f64::from(n);
        assert!((mean - 10.0).abs() < 0.1, "{mean}");
        // Two hops: mean 20, variance 2 * 10^2.
        let draws: Vec<f64> = (0..n).map(|_| two_exponentials(&mut rng, 10.0)).collect();
        let mean = draws.iter().sum::<f64>() / f64::from(n);
        let variance = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / f64::from(n);
        assert!((mean - 20.0).abs() < 0.2, "{mean}");
        assert!((variance - 200.0).abs() < 8.0, "{variance}");
        assert!((0..1000).all(|_| (0.0..1.0).contains(&unit(&mut rng))));
    }

    #[test]
    fn the_clock_reads_whole_milliseconds() {
        let clock = ModelClock::default();
        assert_eq!(clock.now_ms(), 0);
        clock.set(1234.9);
        assert_eq!(clock.now_ms(), 1234);
    }

    #[test]
    fn streams_differ_by_every_coordinate() {
        let a = stream_seed(1, &[0, 0]);
        assert_eq!(a, stream_seed(1, &[0, 0]));
        for other in [
            stream_seed(2, &[0, 0]),
            stream_seed(1, &[1, 0]),
            stream_seed(1, &[0, 1]),
            stream_seed(1, &[0]),
        ] {
            assert_ne!(a, other);
        }
    }
}
