//! The amplification model of `sim storm`, that of the public simulator `retry_sim`: what
//! retries multiply when a server fails some of its requests.
//!
//! Clients start calls as Poisson processes (as in `retry_sim`, each client's first call comes
//! one network hop's time after the start); no call starts after the run's duration, and calls
//! in flight then finish (the drain). Every hop (client to server, server to client) takes an
//! exponential time. The server fails each attempt with probability `p`, independently of load
//! and of everything else, and a failed attempt is retried at once, with no backoff, if the
//! client's strategy allows. Every retry is decided by the core: one `Retry` per client, a
//! `Run` per call.
//!
//! The server keeps no state, so the clients do not affect each other: each is simulated on
//! its own, from its own random stream, which gives the same numbers as one shared agenda
//! (the order in which independent clients' events interleave changes nothing they see).

use std::fmt;
use std::ops::AddAssign;
use std::str::FromStr;

use embedded_retry::stand_in::{NoClock, NoHook, NoRng};
use embedded_retry::{
    AdaptiveBucket, AdaptiveRates, BucketRates, CircuitBreaker, CircuitOpen, CircuitSettings,
    GrpcThrottle, Jitter, Policy, Retry, RetryAll, RetryBreaker, RetryBudget, Run, Step,
    ThrottleRates, TokenBucket, UnknownName,
};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

use crate::storm::events::{
    FewEvents, ModelClock, exponential, stream_seed, two_exponentials, unit,
};

/// The failure rates of the study, those of `retry_sim` (whose list has 0.75 where 0.075
/// belongs; both are here).
pub const FAILURE_RATES: [f64; 18] = [
    0.0, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.0325, 0.05, 0.075, 0.1, 0.2,
    0.3, 0.4, 0.5, 0.75,
];

/// Which retries a client makes after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// None: every call makes one attempt.
    NoRetries,
    /// Up to three retries, four attempts in all.
    ThreeRetries,
    /// `retry_sim`'s adaptive bucket, the core's [`AdaptiveBucket`] with its defaults: 5
    /// tokens, starting full, 0.1 earned by each call as it starts, 1 a retry, allowed while the
    /// bucket holds more than 1. As in `retry_sim`, no limit on attempts beyond the bucket's.
    Adaptive,
    /// `retry_sim`'s breaker, the core's [`RetryBreaker`] with its default ratio: no retry while
    /// failed attempts over calls started exceed 10%; else up to three retries.
    Breaker,
    /// The AWS SDKs' standard mode, the core's [`TokenBucket`] with [`BucketRates::STANDARD`]
    /// (500 tokens, 5 a retry, 1 back for a success at once, 5 after retries); up to three
    /// retries.
    AwsStandard,
    /// gRPC's retry throttling, the core's [`GrpcThrottle`] with gRFC A6's example settings
    /// (10 tokens, 0.1 back for a success; retries while more than 5 are left); up to three
    /// retries.
    Grpc,
    /// The core's [`CircuitBreaker`], with its default thresholds (open after 5 failed attempts
    /// in a row, or half of at least 20) and a cool-down of 1 s; up to three retries. An open
    /// breaker refuses whole calls: they make no attempt.
    CircuitBreaker,
}

impl Strategy {
    /// Every strategy, in the order of the table.
    pub const ALL: [Strategy; 7] = [
        Strategy::NoRetries,
        Strategy::ThreeRetries,
        Strategy::Adaptive,
        Strategy::Breaker,
        Strategy::AwsStandard,
        Strategy::Grpc,
        Strategy::CircuitBreaker,
    ];

    /// Their names, in the order of [`ALL`](Self::ALL).
    pub const NAMES: [&'static str; 7] = [
        "no_retries",
        "three_retries",
        "adaptive",
        "breaker",
        "aws_standard",
        "grpc",
        "circuit_breaker",
    ];

    /// The name used in the table, the JSON and the chart.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The core's policy: the attempts, and no wait between them.
    fn policy(self) -> Policy {
        let builder = Policy::builder()
            .base_delay_ms(0)
            .max_delay_ms(0)
            .jitter(Jitter::None);
        let builder = match self {
            Strategy::NoRetries => builder.max_attempts(1),
            Strategy::Adaptive => builder.retry_forever(),
            _ => builder.max_attempts(4),
        };
        // Every strategy's policy is valid: at least one attempt, a zero base under a zero cap.
        builder.build().unwrap_or_else(|e| unreachable!("{e}"))
    }
}

/// The circuit breaker's settings in this model: the core's defaults, with a cool-down of 1 s
/// (a tenth of the run, about 50 round trips).
pub const CIRCUIT: CircuitSettings = CircuitSettings {
    cool_down_ms: 1000,
    ..CircuitSettings::DEFAULT
};

/// gRPC's retry throttling as gRFC A6's example sets it: 10 tokens, 0.1 back for a success.
pub const THROTTLE: ThrottleRates = ThrottleRates {
    max_tokens: 10,
    token_ratio: 100,
};

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Strategy {
    type Err = UnknownName;

    fn from_str(text: &str) -> Result<Self, UnknownName> {
        UnknownName::lookup(text, &Self::ALL, &Self::NAMES)
    }
}

/// Why a call's attempt, or the call, failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallError {
    /// The server failed the attempt.
    Server,
    /// The client's circuit breaker refused the call.
    CircuitOpen,
}

impl From<CircuitOpen> for CallError {
    fn from(_: CircuitOpen) -> Self {
        CallError::CircuitOpen
    }
}

/// The fleet and its load.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setup {
    /// Clients, each with its own `Retry` (and budget or breaker).
    pub clients: usize,
    /// Calls per second, all clients together (each starts `calls_per_s / clients`).
    pub calls_per_s: f64,
    /// How long calls start, in milliseconds; the calls in flight then finish.
    pub duration_ms: f64,
    /// The mean time of a network hop, in milliseconds.
    pub hop_mean_ms: f64,
}

impl Setup {
    /// `retry_sim`'s: `clients` sharing `calls_per_s` for 10 s, with hops of 10 ms on average.
    pub fn new(clients: usize, calls_per_s: f64) -> Self {
        Setup {
            clients,
            calls_per_s,
            duration_ms: 10_000.0,
            hop_mean_ms: 10.0,
        }
    }
}

/// What the clients of one run did, all together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Calls started.
    pub calls: u64,
    /// Attempts made: the first of each call, and every retry.
    pub attempts: u64,
    /// Calls that succeeded.
    pub successes: u64,
}

impl AddAssign for Totals {
    fn add_assign(&mut self, other: Totals) {
        self.calls += other.calls;
        self.attempts += other.attempts;
        self.successes += other.successes;
    }
}

impl Totals {
    /// Calls that succeeded over calls started (1 when none started).
    pub fn success_rate(&self) -> f64 {
        ratio(self.successes, self.calls)
    }

    /// Attempts over calls started: what retries multiply the load by (1 when none started).
    pub fn load(&self) -> f64 {
        ratio(self.attempts, self.calls)
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// One run: every client of `setup` under `strategy`, against a server that fails each attempt
/// with probability `failure_rate`; `seed` gives every random draw.
pub fn simulate(strategy: Strategy, setup: &Setup, failure_rate: f64, seed: u64) -> Totals {
    let mut totals = Totals::default();
    let mut agenda = FewEvents::default();
    let policy = strategy.policy();
    for client in 0..setup.clients {
        let mut rng = XorShiftRng::seed_from_u64(stream_seed(seed, &[client as u64]));
        let clock = ModelClock::default();
        let mut model = Client {
            setup,
            failure_rate,
            rng: &mut rng,
            agenda: &mut agenda,
            totals: &mut totals,
            clock: &clock,
        };
        // A policy without jitter is always accepted.
        let Ok(retry) = Retry::without_jitter(policy) else {
            unreachable!("the policies of the study have no jitter")
        };
        // Each client has its own budget or breaker.
        match strategy {
            Strategy::NoRetries | Strategy::ThreeRetries => model.run(&mut { retry }),
            Strategy::Adaptive => {
                let bucket = AdaptiveBucket::new(AdaptiveRates::DEFAULT);
                model.run(&mut retry.retry_budget(&bucket));
            }
            Strategy::Breaker => {
                let breaker = RetryBreaker::new(RetryBreaker::DEFAULT_RATIO);
                model.run(&mut retry.retry_budget(&breaker));
            }
            Strategy::AwsStandard => {
                let bucket = TokenBucket::new(BucketRates::STANDARD);
                model.run(&mut retry.retry_budget(&bucket));
            }
            Strategy::Grpc => {
                let throttle = GrpcThrottle::new(THROTTLE);
                model.run(&mut retry.retry_budget(&throttle));
            }
            Strategy::CircuitBreaker => {
                let breaker = CircuitBreaker::new(&clock, CIRCUIT);
                model.run(&mut retry.retry_budget(&breaker));
            }
        }
    }
    totals
}

/// What a client's agenda holds.
#[derive(Debug)]
enum Event {
    /// The client starts its next call.
    Start,
    /// The server's answer to an attempt of the call `run` reaches the client.
    Answer {
        run: Run<CallError, 0>,
        succeeded: bool,
    },
}

/// One client's part of a run.
struct Client<'a> {
    setup: &'a Setup,
    failure_rate: f64,
    rng: &'a mut XorShiftRng,
    agenda: &'a mut FewEvents<Event>,
    totals: &'a mut Totals,
    clock: &'a ModelClock,
}

/// The `Retry` of a client: no jitter, no deadline, no hook, and the strategy's budget or
/// breaker `B`.
type ClientRetry<B> = Retry<NoRng, 0, RetryAll, NoClock, NoHook, B>;

impl Client<'_> {
    /// Runs the client's calls until the last one ends.
    fn run<B: RetryBudget<CallError>>(&mut self, retry: &mut ClientRetry<B>) {
        let Setup {
            clients,
            calls_per_s,
            duration_ms,
            hop_mean_ms,
        } = *self.setup;
        let mean_gap_ms = 1000.0 * clients as f64 / calls_per_s;
        let first = exponential(self.rng, hop_mean_ms);
        if first <= duration_ms {
            self.agenda.add(first, Event::Start);
        }
        while let Some((now, event)) = self.agenda.take_next() {
            self.clock.set(now);
            match event {
                Event::Start => {
                    let next = now + exponential(self.rng, mean_gap_ms);
                    if next <= duration_ms {
                        self.agenda.add(next, Event::Start);
                    }
                    self.totals.calls += 1;
                    // A call an open circuit breaker refuses makes no attempt.
                    if retry.start_call::<CallError>().is_ok() {
                        self.attempt(now, retry.start());
                    }
                }
                Event::Answer {
                    mut run,
                    succeeded: true,
                } => {
                    retry.succeeded(&mut run);
                    self.totals.successes += 1;
                }
                Event::Answer {
                    mut run,
                    succeeded: false,
                } => match retry.failed(&mut run, CallError::Server) {
                    // The policy retries at once (its cap is 0), so the retry is due now: the
                    // core asks again, and a breaker refuses it unless still closed.
                    Step::Sleep(ms) => {
                        if retry.start_retry::<CallError>().is_ok() {
                            self.attempt(now + f64::from(ms), run);
                        }
                    }
                    Step::Stop { .. } => {}
                },
            }
        }
    }

    /// The call `run` makes an attempt at `at_ms`: a hop to the server, which decides, and a
    /// hop back.
    fn attempt(&mut self, at_ms: f64, run: Run<CallError, 0>) {
        self.totals.attempts += 1;
        let succeeded = unit(self.rng) >= self.failure_rate;
        let round_trip = two_exponentials(self.rng, self.setup.hop_mean_ms);
        self.agenda
            .add(at_ms + round_trip, Event::Answer { run, succeeded });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Setup {
        Setup::new(10, 100.0)
    }

    #[test]
    fn names_round_trip() {
        for strategy in Strategy::ALL {
            assert_eq!(strategy.name().parse(), Ok(strategy));
        }
        assert!("three".parse::<Strategy>().is_err());
    }

    #[test]
    fn calls_start_at_the_fleets_rate_for_the_duration() {
        let totals = simulate(Strategy::NoRetries, &small(), 0.0, 1);
        // 100 calls a second for 10 s, give or take the Poisson noise (sd 32).
        assert!((850..1150).contains(&totals.calls), "{totals:?}");
    }

    #[test]
    fn a_failing_server_gets_one_attempt_per_call_without_retries() {
        let totals = simulate(Strategy::NoRetries, &small(), 1.0, 2);
        assert_eq!(totals.attempts, totals.calls);
        assert_eq!(totals.successes, 0);
    }

    #[test]
    fn retries_follow_the_failure_rate() {
        // Expected load with up to three retries: 1 + p + p^2 + p^3.
        let p = 0.5;
        let setup = Setup::new(100, 1000.0);
        let totals = simulate(Strategy::ThreeRetries, &setup, p, 3);
        let load = totals.load();
        assert!((load - 1.875).abs() < 0.03, "{load}");
        let success = totals.success_rate();
        assert!((success - 0.9375).abs() < 0.01, "{success}");
    }

    #[test]
    fn the_same_seed_gives_the_same_run() {
        let one = simulate(Strategy::ThreeRetries, &small(), 0.3, 9);
        assert_eq!(one, simulate(Strategy::ThreeRetries, &small(), 0.3, 9));
        assert_ne!(one, simulate(Strategy::ThreeRetries, &small(), 0.3, 10));
    }
}
