//! The collapse model of `sim storm`, that of the public simulator `simple_collapse_sim`: a
//! server that slows down as work piles up, clients that time out and retry, and the load that
//! tips it over.
//!
//! The server starts every request it receives at once and takes `base + per_request * n` to
//! serve it, `n` being the requests in flight when it starts (itself included); it finishes
//! every request it started, even one whose client gave up. Network hops are exponential. A
//! client allows each attempt `timeout` (an answer after that is ignored), then retries, after
//! the strategy's backoff, up to its attempts. Requests arrive as a Poisson process shaped by
//! the [`LoadShape`], and are handed to the client processes in turn, each with its own `Retry`
//! (and budget or breaker); the core decides every retry, and gives the time each attempt is
//! allowed.

use std::fmt;
use std::str::FromStr;

use embedded_retry::stand_in::{NoClock, NoHook};
use embedded_retry::{
    AdaptiveBucket, AdaptiveRates, CircuitBreaker, CircuitOpen, CircuitSettings, Factor, Jitter,
    Policy, Retry, RetryAll, RetryBudget, Run, Step, TimedOut, TimeoutMs, UnknownName,
};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

use crate::storm::events::{Agenda, ModelClock, exponential, stream_seed};

/// How the clients back off before a retry, and what budget or breaker each has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Retry as soon as an attempt times out.
    NoBackoff,
    /// Exponential backoff with full jitter: the first retry after a delay uniform in
    /// [0, 20 s], the second in [0, 40 s].
    Backoff,
    /// `no_backoff`, each client process with its own [`AdaptiveBucket`] ([`BUDGET`]).
    NoBackoffBudget,
    /// `backoff`, each client process with its own [`AdaptiveBucket`] ([`BUDGET`]).
    BackoffBudget,
    /// `no_backoff`, each client process with its own [`CircuitBreaker`] ([`CIRCUIT`]).
    NoBackoffBreaker,
    /// `backoff`, each client process with its own [`CircuitBreaker`] ([`CIRCUIT`]).
    BackoffBreaker,
}

/// What guards a client process's retries, besides its attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Guard {
    Nothing,
    Budget,
    Breaker,
}

/// The retry budget of the `*_budget` strategies: the core's adaptive bucket with its
/// defaults (5 tokens, starting full; each request earns 0.1 as it starts; a retry costs 1 and
/// is allowed while the bucket holds more than 1).
pub const BUDGET: AdaptiveRates = AdaptiveRates::DEFAULT;

/// The circuit breaker of the `*_breaker` strategies: the core's defaults (open after 5
/// attempts in a row time out, or half of at least 20), with a cool-down of 10 s (a few
/// attempts' worth at 3 s each).
pub const CIRCUIT: CircuitSettings = CircuitSettings {
    cool_down_ms: 10_000,
    ..CircuitSettings::DEFAULT
};

impl Strategy {
    /// Every strategy, in the order of the table.
    pub const ALL: [Strategy; 6] = [
        Strategy::NoBackoff,
        Strategy::Backoff,
        Strategy::NoBackoffBudget,
        Strategy::BackoffBudget,
        Strategy::NoBackoffBreaker,
        Strategy::BackoffBreaker,
    ];

    /// Their names, in the order of [`ALL`](Self::ALL).
    pub const NAMES: [&'static str; 6] = [
        "no_backoff",
        "backoff",
        "no_backoff_budget",
        "backoff_budget",
        "no_backoff_breaker",
        "backoff_breaker",
    ];

    /// The name used in the table, the JSON and the chart.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    fn backs_off(self) -> bool {
        matches!(
            self,
            Strategy::Backoff | Strategy::BackoffBudget | Strategy::BackoffBreaker
        )
    }

    fn guard(self) -> Guard {
        match self {
            Strategy::NoBackoff | Strategy::Backoff => Guard::Nothing,
            Strategy::NoBackoffBudget | Strategy::BackoffBudget => Guard::Budget,
            Strategy::NoBackoffBreaker | Strategy::BackoffBreaker => Guard::Breaker,
        }
    }

    /// The core's policy for `attempts` attempts.
    fn policy(self, attempts: u32) -> Policy {
        let builder = Policy::builder().max_attempts(attempts);
        let policy = if self.backs_off() {
            // Uncapped in the public simulator; with three attempts the cap is never reached
            // before the second retry's 40 s.
            builder
                .base_delay_ms(20_000)
                .max_delay_ms(40_000)
                .factor(Factor::TWO)
                .jitter(Jitter::Full)
                .build()
        } else {
            builder
                .base_delay_ms(0)
                .max_delay_ms(0)
                .jitter(Jitter::None)
                .build()
        };
        // Both policies are valid for any number of attempts the setup allows (at least 1).
        policy.unwrap_or_else(|e| unreachable!("{e}"))
    }
}

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

/// How requests arrive over the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadShape {
    /// `80/s - 1.6/s² * |t - 25 s|`: 40/s at the start, 80/s at 25 s, none from 75 s.
    Ramp,
    /// 40/s, and 80/s from 20 s to 25 s.
    Spike,
}

impl LoadShape {
    /// Both shapes, in the order of the table.
    pub const ALL: [LoadShape; 2] = [LoadShape::Ramp, LoadShape::Spike];

    /// The shape's name.
    pub fn name(self) -> &'static str {
        match self {
            LoadShape::Ramp => "ramp",
            LoadShape::Spike => "spike",
        }
    }

    /// Requests per second at `t_ms`; as in the public simulator, the gap after a request is
    /// drawn at the rate of the moment it arrives, and the arrivals stop once the rate is 0.
    pub fn rate_per_s(self, t_ms: f64) -> f64 {
        let t = t_ms / 1000.0;
        match self {
            LoadShape::Ramp => 80.0 - 1.6 * (t - 25.0).abs(),
            LoadShape::Spike if (20.0..=25.0).contains(&t) => 80.0,
            LoadShape::Spike => 40.0,
        }
    }
}

/// Why a request's attempt, or the request, failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallError {
    /// The attempt ran out of time.
    TimedOut,
    /// The client process's circuit breaker refused the request.
    CircuitOpen,
}

impl From<TimedOut> for CallError {
    fn from(_: TimedOut) -> Self {
        CallError::TimedOut
    }
}

impl From<CircuitOpen> for CallError {
    fn from(_: CircuitOpen) -> Self {
        CallError::CircuitOpen
    }
}

/// The server, the clients and the run's length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setup {
    /// Client processes, each with its own `Retry` (and budget or breaker).
    pub clients: usize,
    /// The run's length in milliseconds.
    pub duration_ms: f64,
    /// The mean network hop, in milliseconds.
    pub hop_mean_ms: f64,
    /// The server's time for a request when it is alone, in milliseconds.
    pub base_latency_ms: f64,
    /// What each request in flight adds to a new request's time, in milliseconds.
    pub per_request_ms: f64,
    /// How long a client waits for an answer to an attempt, in milliseconds.
    pub timeout_ms: u32,
    /// Attempts per request, the first included.
    pub attempts: u32,
}

impl Default for Setup {
    /// The public simulator's: 100 clients, 80 s, hops of 100 ms, 1 s + 10 ms per request in
    /// flight, a 3 s timeout, 3 attempts.
    fn default() -> Self {
        Setup {
            clients: 100,
            duration_ms: 80_000.0,
            hop_mean_ms: 100.0,
            base_latency_ms: 1000.0,
            per_request_ms: 10.0,
            timeout_ms: 3000,
            attempts: 3,
        }
    }
}

/// What happened in one second of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Second {
    /// New requests.
    pub starts: u64,
    /// Requests whose answer arrived in time.
    pub successes: u64,
    /// Attempts after the first.
    pub retries: u64,
    /// Attempts that ran out of time.
    pub timeouts: u64,
    /// Requests the server was serving at the end of the second.
    pub in_flight: u64,
}

impl std::ops::AddAssign for Second {
    fn add_assign(&mut self, other: Second) {
        self.starts += other.starts;
        self.successes += other.successes;
        self.retries += other.retries;
        self.timeouts += other.timeouts;
        self.in_flight += other.in_flight;
    }
}

/// What the agenda holds; `request` indexes the run's requests, `attempt` counts from 0.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The next request arrives.
    Arrival,
    /// An attempt reaches the server.
    AtServer { request: u32, attempt: u32 },
    /// The server finishes an attempt.
    Served { request: u32, attempt: u32 },
    /// The answer to an attempt reaches its client.
    Answer { request: u32, attempt: u32 },
    /// An attempt's time is up.
    TimeUp { request: u32, attempt: u32 },
    /// The sleep before retry `attempt` of `request` is over: the attempt leaves, allowed
    /// `limit_ms`, and reaches the server at `there` (drawn when the retry was decided), unless
    /// the client's breaker has opened meanwhile.
    RetryDue {
        request: u32,
        attempt: u32,
        there: f64,
        limit_ms: Option<u32>,
    },
    /// A second ends.
    Tick,
}

/// A request: which client process has it, the attempt it is on, and its run (none once it
/// has ended).
struct Request {
    client: usize,
    attempt: u32,
    run: Option<Run<CallError, 0>>,
}

/// The `Retry` of a client process: jitter from its own generator, a timeout per attempt, and
/// the strategy's budget or breaker `B`.
type ClientRetry<B> = Retry<XorShiftRng, 0, RetryAll, NoClock, NoHook, B, TimeoutMs>;

/// One run of `setup` under `strategy` with requests arriving as `shape` says: a [`Second`]
/// for each second; `seed` gives every random draw.
pub fn simulate(strategy: Strategy, shape: LoadShape, setup: &Setup, seed: u64) -> Vec<Second> {
    let policy = strategy.policy(setup.attempts.max(1));
    let clients = setup.clients.max(1);
    let retry = |client: usize| {
        let rng = XorShiftRng::seed_from_u64(stream_seed(seed, &[1, client as u64]));
        Retry::new(policy, rng).attempt_timeout_ms(setup.timeout_ms)
    };
    let clock = ModelClock::default();
    let model = Model::new(setup, shape, seed, &clock);
    // Each client process has its own budget or breaker.
    match strategy.guard() {
        Guard::Nothing => model.run(&mut (0..clients).map(retry).collect::<Vec<_>>()),
        Guard::Budget => {
            let buckets: Vec<AdaptiveBucket> =
                (0..clients).map(|_| AdaptiveBucket::new(BUDGET)).collect();
            let mut retries: Vec<_> = buckets
                .iter()
                .enumerate()
                .map(|(client, bucket)| retry(client).retry_budget(bucket))
                .collect();
            model.run(&mut retries)
        }
        Guard::Breaker => {
            let breakers: Vec<CircuitBreaker<&ModelClock>> = (0..clients)
                .map(|_| CircuitBreaker::new(&clock, CIRCUIT))
                .collect();
            let mut retries: Vec<_> = breakers
                .iter()
                .enumerate()
                .map(|(client, breaker)| retry(client).retry_budget(breaker))
                .collect();
            model.run(&mut retries)
        }
    }
}

/// A run in progress.
struct Model<'a> {
    setup: &'a Setup,
    clock: &'a ModelClock,
    shape: LoadShape,
    rng: XorShiftRng,
    agenda: Agenda<Event>,
    requests: Vec<Request>,
    serving: u64,
    seconds: Vec<Second>,
    now: Second,
}

impl<'a> Model<'a> {
    fn new(setup: &'a Setup, shape: LoadShape, seed: u64, clock: &'a ModelClock) -> Self {
        Model {
            setup,
            clock,
            shape,
            rng: XorShiftRng::seed_from_u64(stream_seed(seed, &[0])),
            agenda: Agenda::default(),
            requests: Vec::new(),
            serving: 0,
            seconds: Vec::new(),
            now: Second::default(),
        }
    }

    fn run<B: RetryBudget<CallError>>(mut self, retries: &mut [ClientRetry<B>]) -> Vec<Second> {
        let seconds = (self.setup.duration_ms / 1000.0).ceil() as usize;
        if seconds == 0 {
            return Vec::new();
        }
        // As in the public simulator, the first request arrives at 10 ms.
        self.agenda.add(10.0, Event::Arrival);
        self.agenda.add(1000.0, Event::Tick);
        while let Some((now, event)) = self.agenda.take_next() {
            self.clock.set(now);
            match event {
                Event::Arrival => self.arrive(now, retries),
                Event::AtServer { request, attempt } => {
                    self.serving += 1;
                    let time = self.setup.base_latency_ms
                        + self.setup.per_request_ms * self.serving as f64;
                    self.agenda
                        .add(now + time, Event::Served { request, attempt });
                }
                Event::Served { request, attempt } => {
                    self.serving -= 1;
                    let back = now + exponential(&mut self.rng, self.setup.hop_mean_ms);
                    self.agenda.add(back, Event::Answer { request, attempt });
                }
                Event::Answer { request, attempt } => {
                    let entry = &mut self.requests[request as usize];
                    // An answer to an attempt that already timed out is ignored.
                    if entry.attempt == attempt
                        && let Some(mut run) = entry.run.take()
                    {
                        retries[entry.client].succeeded(&mut run);
                        self.now.successes += 1;
                    }
                }
                Event::TimeUp { request, attempt } => {
                    self.time_up(now, request, attempt, retries);
                }
                Event::RetryDue {
                    request,
                    attempt,
                    there,
                    limit_ms,
                } => self.retry_due(now, (request, attempt, there, limit_ms), retries),
                Event::Tick => {
                    self.now.in_flight = self.serving;
                    self.seconds.push(std::mem::take(&mut self.now));
                    if self.seconds.len() == seconds {
                        break;
                    }
                    self.agenda.add(now + 1000.0, Event::Tick);
                }
            }
        }
        self.seconds
    }

    /// A new request arrives at `now`, and the next one is drawn.
    fn arrive<B: RetryBudget<CallError>>(&mut self, now: f64, retries: &mut [ClientRetry<B>]) {
        let request = self.requests.len() as u32;
        let client = request as usize % retries.len();
        self.now.starts += 1;
        // A request an open circuit breaker refuses ends at once, with no attempt.
        let run = retries[client]
            .start_call::<CallError>()
            .ok()
            .map(|()| retries[client].start());
        let limit = run
            .as_ref()
            .and_then(|run| retries[client].attempt_limit_ms(run));
        let attempting = run.is_some();
        self.requests.push(Request {
            client,
            attempt: 0,
            run,
        });
        if attempting {
            self.send(now, request, 0, limit);
        }
        let rate = self.shape.rate_per_s(now);
        if rate > 0.0 {
            let gap = exponential(&mut self.rng, 1000.0 / rate);
            self.agenda.add(now + gap, Event::Arrival);
        }
    }

    /// Attempt `attempt` of `request` leaves its client at `at`, allowed `limit_ms`.
    fn send(&mut self, at: f64, request: u32, attempt: u32, limit_ms: Option<u32>) {
        let there = self.hop_from(at);
        self.leave(at, there, request, attempt, limit_ms);
    }

    /// When an attempt that leaves at `at` reaches the server.
    fn hop_from(&mut self, at: f64) -> f64 {
        at + exponential(&mut self.rng, self.setup.hop_mean_ms)
    }

    /// Attempt `attempt` of `request` leaves its client at `at`, allowed `limit_ms`, and reaches
    /// the server at `there`.
    fn leave(&mut self, at: f64, there: f64, request: u32, attempt: u32, limit_ms: Option<u32>) {
        self.agenda.add(there, Event::AtServer { request, attempt });
        let limit = limit_ms.unwrap_or(self.setup.timeout_ms);
        self.agenda
            .add(at + f64::from(limit), Event::TimeUp { request, attempt });
    }

    /// The sleep before retry `attempt` of `request` is over at `now`: the core asks the
    /// client's budget again (a breaker opened meanwhile refuses it, and the request ends).
    fn retry_due<B: RetryBudget<CallError>>(
        &mut self,
        now: f64,
        (request, attempt, there, limit_ms): (u32, u32, f64, Option<u32>),
        retries: &[ClientRetry<B>],
    ) {
        let entry = &mut self.requests[request as usize];
        if retries[entry.client].start_retry::<CallError>().is_ok() {
            self.leave(now, there, request, attempt, limit_ms);
        } else {
            entry.run = None;
        }
    }

    /// The time of attempt `attempt` of `request` is up at `now`: unless it was answered, the
    /// core says whether and when to retry.
    fn time_up<B: RetryBudget<CallError>>(
        &mut self,
        now: f64,
        request: u32,
        attempt: u32,
        retries: &mut [ClientRetry<B>],
    ) {
        let entry = &mut self.requests[request as usize];
        if entry.attempt != attempt {
            return;
        }
        let Some(mut run) = entry.run.take() else {
            return;
        };
        self.now.timeouts += 1;
        entry.attempt += 1;
        let retry = &mut retries[entry.client];
        match retry.timed_out(&mut run) {
            Step::Sleep(ms) => {
                self.now.retries += 1;
                let limit_ms = retry.attempt_limit_ms(&run);
                entry.run = Some(run);
                // The hop is drawn now, so that every strategy draws the same numbers in the same
                // order whether or not a breaker later refuses the retry.
                let due = now + f64::from(ms);
                let there = self.hop_from(due);
                let (request, attempt) = (request, attempt + 1);
                self.agenda.add(
                    due,
                    Event::RetryDue {
                        request,
                        attempt,
                        there,
                        limit_ms,
                    },
                );
            }
            Step::Stop { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(seconds: &[Second]) -> Second {
        seconds.iter().fold(Second::default(), |sum, s| Second {
            starts: sum.starts + s.starts,
            successes: sum.successes + s.successes,
            retries: sum.retries + s.retries,
            timeouts: sum.timeouts + s.timeouts,
            in_flight: sum.in_flight.max(s.in_flight),
        })
    }

    /// A retry due while its client's breaker is open is not sent, and its request ends; one
    /// due while the breaker is closed leaves, to reach the server when its hop was drawn.
    #[test]
    fn a_retry_due_while_the_breaker_is_open_is_not_sent() {
        let setup = Setup::default();
        let clock = ModelClock::default();
        let breaker = CircuitBreaker::new(&clock, CIRCUIT);
        let retries = [Retry::new(
            Strategy::BackoffBreaker.policy(3),
            XorShiftRng::seed_from_u64(1),
        )
        .attempt_timeout_ms(setup.timeout_ms)
        .retry_budget(&breaker)];
        let mut model = Model::new(&setup, LoadShape::Ramp, 1, &clock);
        for _ in 0..2 {
            model.requests.push(Request {
                client: 0,
                attempt: 1,
                run: Some(retries[0].start()),
            });
        }

        model.retry_due(1_000.0, (0, 1, 1_050.0, Some(3_000)), &retries);
        assert!(model.requests[0].run.is_some());
        assert_eq!(
            model.agenda.take_next().map(|(at, _)| at),
            Some(1_050.0),
            "the attempt reaches the server"
        );
        assert_eq!(
            model.agenda.take_next().map(|(at, _)| at),
            Some(4_000.0),
            "its time is up"
        );

        // Five failed attempts in a row (the defaults) open the breaker.
        for _ in 0..5 {
            breaker.attempt_failed();
        }
        model.retry_due(2_000.0, (1, 1, 2_050.0, Some(3_000)), &retries);
        assert!(model.requests[1].run.is_none(), "the request ends");
        assert!(model.agenda.is_empty(), "nothing is sent");
    }

    #[test]
    fn the_shapes_rates() {
        assert!((LoadShape::Ramp.rate_per_s(10.0) - 40.016).abs() < 1e-9);
        assert_eq!(LoadShape::Ramp.rate_per_s(25_000.0), 80.0);
        assert!(LoadShape::Ramp.rate_per_s(75_000.0).abs() < 1e-9);
        assert_eq!(LoadShape::Spike.rate_per_s(19_999.0), 40.0);
        assert_eq!(LoadShape::Spike.rate_per_s(22_000.0), 80.0);
        assert_eq!(LoadShape::Spike.rate_per_s(25_001.0), 40.0);
    }

    #[test]
    fn a_light_load_is_served_without_a_timeout() {
        let setup = Setup {
            duration_ms: 20_000.0,
            ..Setup::default()
        };
        // At 40/s for the first seconds of the spike the server keeps up.
        let seconds = simulate(Strategy::NoBackoff, LoadShape::Spike, &setup, 1);
        assert_eq!(seconds.len(), 20);
        let sum = totals(&seconds[..10]);
        assert_eq!((sum.timeouts, sum.retries), (0, 0), "{sum:?}");
        assert!(sum.starts > 300, "{sum:?}");
    }

    #[test]
    fn retries_are_counted_with_their_timeouts() {
        for strategy in Strategy::ALL {
            let seconds = simulate(strategy, LoadShape::Ramp, &Setup::default(), 2);
            let sum = totals(&seconds);
            assert_eq!(seconds.len(), 80);
            // A timeout is followed by a retry unless it was the request's third.
            assert!(sum.retries <= sum.timeouts, "{strategy}: {sum:?}");
            assert!(
                sum.timeouts <= sum.retries + sum.starts,
                "{strategy}: {sum:?}"
            );
            assert!(sum.successes <= sum.starts, "{strategy}: {sum:?}");
        }
    }
}
