//! `sim herd`: many clients contending for one resource, as in the AWS Architecture Blog's
//! "Exponential Backoff And Jitter" (2015) and its public simulator, with the delays computed by
//! the core.
//!
//! The model: N clients start at time 0. Each wants one successful conditional write to the same
//! row: it reads the row's version, then writes carrying that version, and the write succeeds
//! only if the version is unchanged (which increments it). A failed write is followed by a
//! backoff, then a fresh read. Every message hop (request or reply) takes |Normal(10 ms, 2 ms)|,
//! and the server handles messages in time order. A call is a write; completion time is the time
//! of the last event.

use std::fmt;
use std::str::FromStr;

use clap::Args;
use embedded_retry::{Backoff, BackoffState, Factor, Jitter, PolicyError, UnknownName};
use rand_core::{Rng, SeedableRng};
use rand_xorshift::XorShiftRng;
use serde::Serialize;

use crate::parse::{self, List};
use crate::workers::in_parallel;

/// How a client waits after a failed write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// No backoff at all: read again as soon as the failure arrives (not `--jitter none`, which
    /// backs off without jitter).
    NoBackoff,
    /// `base * 2^k` after the k-th failed write, capped, without jitter.
    Exponential,
    /// Equal jitter over the exponential delay.
    Equal,
    /// Full jitter over the exponential delay.
    Full,
    /// `min(cap, uniform(base, 3 * previous))`, previous starting at base.
    Decorrelated,
    /// A policy of the user's, used with the core's own numbering: its first delay is its base.
    Custom(Backoff),
}

/// The five strategies of the study.
pub const STANDARD: [Strategy; 5] = [
    Strategy::NoBackoff,
    Strategy::Exponential,
    Strategy::Equal,
    Strategy::Full,
    Strategy::Decorrelated,
];

impl Strategy {
    /// The names of [`STANDARD`]'s strategies, in its order.
    pub const NAMES: [&'static str; 5] =
        ["no_backoff", "exponential", "equal", "full", "decorrelated"];

    /// The name used on the command line, in the table and in the JSON.
    pub fn name(&self) -> &'static str {
        STANDARD
            .iter()
            .zip(Self::NAMES)
            .find(|(standard, _)| *standard == self)
            .map_or("custom", |(_, name)| name)
    }

    /// The core schedule that gives this strategy's delays, for the study's `base` and `cap`.
    ///
    /// The study waits `base * 2^k` after the k-th failed write (k = 1, 2, ...), so its first
    /// ceiling is `2 * base`. The core waits `base' * 2^(n-1)` before retry n = 1, 2, ...: with
    /// n = k, that is the core's schedule with `base' = 2 * base`. Decorrelated jitter does not
    /// use the exponent, so it keeps `base` (its floor and its first `previous`).
    pub fn backoff(&self, base_ms: u32, cap_ms: u32) -> Result<Option<Backoff>, PolicyError> {
        let doubled = |jitter| {
            // Past the cap every delay is the cap, so capping the doubled base changes nothing.
            let base = base_ms.saturating_mul(2).min(cap_ms);
            Backoff::new(base, cap_ms, Factor::TWO, jitter).map(Some)
        };
        match *self {
            Strategy::NoBackoff => Ok(None),
            Strategy::Exponential => doubled(Jitter::None),
            Strategy::Equal => doubled(Jitter::Equal),
            Strategy::Full => doubled(Jitter::Full),
            Strategy::Decorrelated => {
                Backoff::new(base_ms, cap_ms, Factor::TWO, Jitter::Decorrelated).map(Some)
            }
            Strategy::Custom(backoff) => Ok(Some(backoff)),
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Strategy {
    type Err = String;

    /// One of [`STANDARD`] by its name (a custom policy is given as `--custom`).
    fn from_str(text: &str) -> Result<Self, String> {
        UnknownName::lookup(text, &STANDARD, &Self::NAMES).map_err(|e| e.to_string())
    }
}

/// What one simulated run came to (named apart from the core's `Outcome`, which is one
/// client's retry run).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunTotals {
    /// Time of the last event, in milliseconds.
    pub completion_ms: f64,
    /// Writes made by all clients together.
    pub calls: u64,
    /// Writes that succeeded: the row's final version.
    pub written: u64,
}

/// A message arriving at the server. Replies need no events of their own: the server is the
/// only shared state, so a client's reply and its next request are folded into the arrival time
/// of that next request (each adds a hop), and the server still sees every request in time order.
#[derive(Clone, Copy, Debug)]
enum Message {
    /// A read request.
    Read,
    /// A write carrying the version it read.
    Write(u32),
}

/// The requests in flight: each client has at most one at any time (on its way, or waiting out
/// a backoff and a round of replies), so the next event is found with a
/// tournament tree over the clients: an update costs log2(clients) comparisons and moves no
/// events. Ties in time go to the message sent first, so runs are deterministic.
struct Agenda {
    /// Node 1 is the root; leaves (from `leaves` on) are the clients' messages; each inner node
    /// holds a copy of the earlier of its children.
    nodes: Vec<Slot>,
    leaves: usize,
    messages: Vec<Message>,
    sent: u32,
}

/// When a client's message arrives; `at_bits` is the arrival time's `f64` bits, which order
/// like the (non-negative) times themselves.
#[derive(Clone, Copy)]
struct Slot {
    at_bits: u64,
    order: u32,
    client: u32,
}

impl Slot {
    fn key(self) -> (u64, u32) {
        (self.at_bits, self.order)
    }
}

impl Agenda {
    fn new(clients: usize) -> Self {
        let leaves = clients.next_power_of_two();
        let idle = |client| Slot {
            at_bits: f64::INFINITY.to_bits(),
            order: u32::MAX,
            client,
        };
        let mut nodes = vec![idle(0); 2 * leaves];
        for leaf in 0..leaves {
            nodes[leaves + leaf] = idle(leaf as u32);
        }
        Agenda {
            nodes,
            leaves,
            messages: vec![Message::Read; leaves],
            sent: 0,
        }
    }

    /// Puts `client`'s next message in flight, arriving at `at_ms` (infinity: none).
    fn send(&mut self, client: u32, at_ms: f64, message: Message) {
        self.sent += 1;
        self.messages[client as usize] = message;
        let mut node = self.leaves + client as usize;
        self.nodes[node] = Slot {
            at_bits: at_ms.to_bits(),
            order: self.sent,
            client,
        };
        while node > 1 {
            let sibling = self.nodes[node ^ 1];
            let this = self.nodes[node];
            node /= 2;
            self.nodes[node] = if sibling.key() < this.key() {
                sibling
            } else {
                this
            };
        }
    }

    /// The earliest message in flight: its client, arrival time and content.
    fn next(&self) -> Option<(u32, f64, Message)> {
        let first = self.nodes[1];
        let at_ms = f64::from_bits(first.at_bits);
        at_ms
            .is_finite()
            .then(|| (first.client, at_ms, self.messages[first.client as usize]))
    }
}

/// Message hop times, |Normal(10 ms, 2 ms)|, drawn by Marsaglia's polar method, which gives
/// normal values in pairs (the second is kept for the next hop) without trigonometry.
struct Hops<'r> {
    rng: &'r mut XorShiftRng,
    spare: Option<f64>,
}

impl Hops<'_> {
    /// A uniform draw in `(-1, 1)`.
    fn signed_unit(&mut self) -> f64 {
        (f64::from(self.rng.next_u32()) + 0.5) / 2_147_483_648.0 - 1.0
    }

    fn next_ms(&mut self) -> f64 {
        let z = match self.spare.take() {
            Some(z) => z,
            None => loop {
                let (u, v) = (self.signed_unit(), self.signed_unit());
                let s = u * u + v * v;
                if s > 0.0 && s < 1.0 {
                    let scale = (-2.0 * s.ln() / s).sqrt();
                    self.spare = Some(v * scale);
                    break u * scale;
                }
            },
        };
        (10.0 + 2.0 * z).abs()
    }
}

/// Simulates `clients` clients until each has written once, waiting per `backoff` (`None`: not
/// at all) after each failed write.
pub fn simulate(clients: usize, backoff: Option<&Backoff>, rng: &mut XorShiftRng) -> RunTotals {
    // Hops and jitter draw from separate generators, so that a strategy's jitter does not shift
    // the network's randomness.
    let mut jitter_rng = XorShiftRng::seed_from_u64(rng.next_u64());
    let mut hops = Hops { rng, spare: None };
    let mut agenda = Agenda::new(clients);
    // Each client keeps its own place in the schedule.
    let mut states: Vec<BackoffState> = backoff
        .map(|b| vec![b.start(); clients])
        .unwrap_or_default();
    for client in 0..clients as u32 {
        let at = hops.next_ms();
        agenda.send(client, at, Message::Read);
    }
    let mut version = 0u32;
    let mut calls = 0u64;
    let (mut last_ms, mut finished_ms) = (0.0f64, 0.0f64);
    while let Some((client, at_ms, message)) = agenda.next() {
        last_ms = at_ms;
        match message {
            Message::Read => {
                // The reply goes back with the version, and the client writes with it.
                calls += 1;
                let at = at_ms + hops.next_ms() + hops.next_ms();
                agenda.send(client, at, Message::Write(version));
            }
            Message::Write(read) if read == version => {
                version += 1;
                // Done once the success reaches the client.
                finished_ms = finished_ms.max(at_ms + hops.next_ms());
                agenda.send(client, f64::INFINITY, Message::Read);
            }
            Message::Write(_) => {
                // The failure reaches the client, which backs off, then reads again.
                let wait = match backoff {
                    Some(b) => states[client as usize].next_delay_ms(b, &mut jitter_rng),
                    None => 0,
                };
                let at = at_ms + hops.next_ms() + f64::from(wait) + hops.next_ms();
                agenda.send(client, at, Message::Read);
            }
        }
    }
    let last_ms = last_ms.max(finished_ms);
    RunTotals {
        completion_ms: last_ms,
        calls,
        written: u64::from(version),
    }
}

/// The seed of run `run` of (`clients`, strategy number `strategy`): independent streams, the
/// same whatever order or thread the runs take.
pub fn run_seed(seed: u64, clients: usize, strategy: usize, run: u32) -> u64 {
    // SplitMix64 over the mixed coordinates.
    let mut z = seed
        ^ (clients as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (strategy as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ u64::from(run).wrapping_mul(0x1656_67B1_9E37_79F9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The settings every row of a sweep shares, written into each row of the JSON.
#[derive(Args, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Params {
    /// Independent runs per (clients, strategy).
    #[arg(long, value_name = "N", default_value = "100", value_parser = parse::positive, allow_hyphen_values = true)]
    pub runs: u32,

    /// The study's base delay: the k-th failed write waits up to `base * 2^k`.
    #[arg(long = "base", value_name = "D", default_value = "5ms", value_parser = parse::duration_ms, allow_hyphen_values = true)]
    pub base_ms: u32,

    /// The cap on every delay.
    #[arg(long = "cap", value_name = "D", default_value = "2s", value_parser = parse::duration_ms, allow_hyphen_values = true)]
    pub cap_ms: u32,

    /// Seed of the whole sweep; the same seed gives the same numbers.
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse::whole, allow_hyphen_values = true)]
    pub seed: u64,
}

/// The mean completion time and calls of `runs` runs of one (clients, strategy) cell.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Number of clients.
    pub clients: usize,
    /// The strategy's name.
    pub strategy: &'static str,
    /// Mean completion time, in milliseconds.
    pub mean_time_ms: f64,
    /// Mean number of writes.
    pub mean_calls: f64,
    /// The sweep's settings.
    #[serde(flatten)]
    pub params: Params,
}

/// A sweep to run: the flags of `sim herd` that say what to simulate.
#[derive(Args, Clone, Debug)]
pub struct Sweep {
    /// Client counts: a comma-separated list of counts and ranges `FIRST..LAST` (step 1) or
    /// `FIRST..LAST:STEP`, both ends included; each count from 1 to 100000, at most 1000 counts
    /// in all, none twice.
    #[arg(long, value_name = "LIST", default_value = "10..190:10", value_parser = parse::counts, allow_hyphen_values = true)]
    pub clients: List<usize>,

    /// Runs, delays and seed.
    #[command(flatten)]
    pub params: Params,

    /// Strategies, comma-separated; the default names them all.
    #[arg(long, value_name = "LIST", default_value_t = List(STANDARD.to_vec()), value_parser = parse::names::<Strategy>, allow_hyphen_values = true)]
    pub strategies: List<Strategy>,

    /// A policy of your own beside the others, as `BASE:CAP:FACTOR:JITTER` (e.g.
    /// `10ms:1s:1.5:equal`); its first delay is its base.
    #[arg(long, value_name = "POLICY", value_parser = parse::backoff, allow_hyphen_values = true)]
    pub custom: Option<Backoff>,
}

impl Sweep {
    /// The strategies in the order of the table: those asked for, then the custom policy.
    pub fn strategies(&self) -> Vec<Strategy> {
        let custom = self.custom.map(Strategy::Custom);
        self.strategies.0.iter().copied().chain(custom).collect()
    }

    /// Each strategy's schedule, in the order of [`strategies`](Self::strategies): what
    /// [`run`](Self::run) uses, and what `sim herd` checks before it makes any file.
    ///
    /// # Errors
    /// A [`PolicyError`] when a strategy's schedule is invalid for the base and cap.
    pub fn schedules(&self) -> Result<Vec<Option<Backoff>>, PolicyError> {
        let Params {
            base_ms, cap_ms, ..
        } = self.params;
        self.strategies()
            .iter()
            .map(|s| s.backoff(base_ms, cap_ms))
            .collect()
    }

    /// Runs every cell on `threads` threads, calling `progress(done, total)` as cells finish;
    /// rows come back in (clients, strategy) order whatever the threads did, with the number of
    /// threads that could start.
    ///
    /// # Errors
    /// A [`PolicyError`] when a strategy's schedule is invalid for the base and cap.
    pub fn run(
        &self,
        threads: usize,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<(Vec<Row>, usize), PolicyError> {
        let strategies = self.strategies();
        let schedules = self.schedules()?;
        let cells: Vec<(usize, usize)> = self
            .clients
            .0
            .iter()
            .flat_map(|&n| (0..strategies.len()).map(move |s| (n, s)))
            .collect();
        let job = |i: usize| {
            let (clients, s) = cells[i];
            self.cell(clients, (s, &strategies[s]), schedules[s].as_ref())
        };
        Ok(in_parallel(cells.len(), threads, &job, progress))
    }

    fn cell(
        &self,
        clients: usize,
        (number, strategy): (usize, &Strategy),
        backoff: Option<&Backoff>,
    ) -> Row {
        let (mut time, mut calls) = (0.0, 0.0);
        let Params { runs, seed, .. } = self.params;
        for run in 0..runs {
            let mut rng = XorShiftRng::seed_from_u64(run_seed(seed, clients, number, run));
            let totals = simulate(clients, backoff, &mut rng);
            time += totals.completion_ms;
            calls += totals.calls as f64;
        }
        let runs = f64::from(runs.max(1));
        Row {
            clients,
            strategy: strategy.name(),
            mean_time_ms: time / runs,
            mean_calls: calls / runs,
            params: self.params,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: u64) -> XorShiftRng {
        XorShiftRng::seed_from_u64(seed)
    }

    fn schedules() -> Vec<Option<Backoff>> {
        let custom = Backoff::new(10, 1000, Factor::from_milli(1500), Jitter::Equal).unwrap();
        STANDARD
            .iter()
            .chain(&[Strategy::Custom(custom)])
            .map(|s| s.backoff(5, 2000).unwrap())
            .collect()
    }

    #[test]
    fn names_round_trip_and_custom_is_not_one_to_type() {
        for strategy in STANDARD {
            assert_eq!(strategy.name().parse(), Ok(strategy));
        }
        assert_eq!(schedules().len(), 6);
        assert_eq!(
            Strategy::Custom(Backoff::new(1, 2, Factor::TWO, Jitter::None).unwrap()).name(),
            "custom"
        );
        assert!("custom".parse::<Strategy>().is_err());
    }

    #[test]
    fn one_client_makes_one_call_in_four_hops() {
        for backoff in schedules() {
            for seed in 0..50 {
                let totals = simulate(1, backoff.as_ref(), &mut rng(seed));
                assert_eq!((totals.calls, totals.written), (1, 1));
                // Four hops of about 10 ms each (2 ms deviation).
                assert!((15.0..80.0).contains(&totals.completion_ms), "{totals:?}");
            }
        }
    }

    #[test]
    fn every_strategy_finishes_with_every_client_written_once() {
        for backoff in schedules() {
            for clients in [2, 7, 40] {
                let totals = simulate(clients, backoff.as_ref(), &mut rng(clients as u64));
                assert_eq!(totals.written, clients as u64);
                assert!(totals.calls >= clients as u64);
            }
        }
    }

    #[test]
    fn without_backoff_calls_grow_with_the_number_of_clients() {
        let mean_calls = |clients: usize| {
            (0..200)
                .map(|seed| simulate(clients, None, &mut rng(seed)).calls as f64)
                .sum::<f64>()
                / 200.0
        };
        let calls: Vec<f64> = [1, 2, 5, 10, 20].into_iter().map(mean_calls).collect();
        assert!(calls.windows(2).all(|w| w[1] > w[0]), "{calls:?}");
        // More than one call per client once they contend.
        assert!(calls[4] > 2.0 * 20.0, "{calls:?}");
    }

    #[test]
    fn the_studys_numbering_maps_onto_the_cores() {
        // After the k-th failed write the exponential strategy waits base * 2^k.
        let b = Strategy::Exponential.backoff(5, 2000).unwrap().unwrap();
        let mut state = b.start();
        let waits: Vec<u32> = (0..10)
            .map(|_| state.next_delay_ms(&b, &mut rng(0)))
            .collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1280, 2000, 2000]);
        let d = Strategy::Decorrelated.backoff(5, 2000).unwrap().unwrap();
        assert_eq!((d.base_ms(), d.jitter()), (5, Jitter::Decorrelated));
    }

    #[test]
    fn a_sweep_is_the_same_for_a_seed_whatever_the_threads() {
        let params = Params {
            runs: 5,
            base_ms: 5,
            cap_ms: 2000,
            seed: 42,
        };
        let sweep = Sweep {
            clients: List(vec![3, 8]),
            params,
            strategies: List(STANDARD.to_vec()),
            custom: None,
        };
        let (one, _) = sweep.run(1, &|_, _| {}).unwrap();
        let (two, ran) = sweep.run(2, &|_, _| {}).unwrap();
        assert_eq!(ran, 2);
        assert_eq!(one, two);
        assert_eq!(one.len(), 10);
        let params = Params { seed: 43, ..params };
        let (other, _) = Sweep { params, ..sweep }.run(2, &|_, _| {}).unwrap();
        assert_ne!(one, other);
    }
}
