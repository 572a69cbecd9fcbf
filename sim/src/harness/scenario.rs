//! The seed's flaky-operation harness, run through the core's retry engine: the scenario (its
//! flags and the report's `policy` object are this one type), the operation, and the run.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use clap::{Args, FromArgMatches};
use embedded_hal_async::delay::DelayNs;
use embedded_retry::{
    AttemptTimeout, BeforeSleep, BucketRates, Clock, Decision, Delay, Factor, HintAboveCap, Jitter,
    MockClock, Outcome, Policy, PolicyError, Retry, RetryBudget, RetryOn, StopReason, TimedOut,
    TokenBucket,
};
use rand_core::Rng;
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;
use serde::{Serialize, Serializer};

use crate::parse::{self, Limit};
use crate::stderr_log::{Level, log};

/// The most attempt records a report can keep for each operation (`--log-capacity`).
pub const LOG_MAX: usize = 1024;

/// The attempt log capacity the simulator's policies use; each report keeps the last
/// [`Scenario::log_capacity`] of these records.
pub type SimPolicy = Policy<LOG_MAX>;

/// What to run: the policy's settings, the operation's behaviour, and the clock.
///
/// The same type is the harness's flags (with their defaults) and the report's `policy` object,
/// so a setting is added here alone; the attributes keep the documented flag and key names.
#[derive(Args, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scenario {
    /// Total number of attempts, the first included (the seed's `--max-retries`), or
    /// `unlimited` to retry until another rule stops the run.
    #[arg(long, visible_alias = "max-retries", value_name = "N", default_value = "5", value_parser = parse::limit, allow_hyphen_values = true)]
    pub max_attempts: Limit,

    /// How many of each operation's last attempts the report keeps (at most 1024).
    #[arg(long, value_name = "N", default_value = "64", value_parser = parse::count_up_to::<LOG_MAX>, allow_hyphen_values = true)]
    pub log_capacity: usize,

    /// Delay before the first retry: `250ms`, `1.5s`, `2m`, `1h`, or a bare number of seconds.
    #[arg(long = "base-delay", value_name = "D", default_value = "100ms", value_parser = parse::duration_ms, allow_hyphen_values = true)]
    pub base_delay_ms: u32,

    /// The cap on every delay, in the same form as `--base-delay`.
    #[arg(long = "max-delay", value_name = "D", default_value = "60s", value_parser = parse::duration_ms, allow_hyphen_values = true)]
    pub max_delay_ms: u32,

    /// How much the delay grows after each retry, as a decimal with up to three places.
    #[arg(long, value_name = "F", default_value = "2", value_parser = parse::factor, allow_hyphen_values = true)]
    #[serde(serialize_with = "decimal")]
    pub factor: Factor,

    /// How delays are randomised.
    #[arg(long, value_name = "KIND", default_value_t = Jitter::None, value_parser = parse::named::<Jitter>(&Jitter::NAMES), allow_hyphen_values = true)]
    #[serde(serialize_with = "by_name")]
    pub jitter: Jitter,

    /// Seed for the jitter generator; without it one is picked and recorded in the report.
    #[arg(long, value_name = "N", value_parser = parse::whole, allow_hyphen_values = true)]
    pub seed: Option<u64>,

    /// How many calls fail with a retryable error before the operation succeeds.
    #[arg(long, value_name = "N", default_value = "2", value_parser = parse::count, allow_hyphen_values = true)]
    pub fail_count: u32,

    /// Call K fails with an error the retry predicate refuses to retry (K counts from 1).
    #[arg(long, value_name = "K", value_parser = parse::call_number, allow_hyphen_values = true)]
    pub non_retryable_at: Option<u32>,

    /// Stop rather than sleep when the slept total would pass D.
    #[arg(long = "delay-budget", value_name = "D", value_parser = parse::duration_ms, allow_hyphen_values = true)]
    pub delay_budget_ms: Option<u32>,

    /// Stop rather than sleep until D after each operation starts or past it (a retry needs
    /// time left to run in), counting the operation's own time: each operation of
    /// `--operations` gets its own D.
    #[arg(long = "deadline", value_name = "D", value_parser = parse::duration_ms, allow_hyphen_values = true)]
    pub deadline_ms: Option<u32>,

    /// How long each call of the operation takes.
    #[arg(long = "op-time", value_name = "D", default_value = "0ms", value_parser = parse::duration_ms, allow_hyphen_values = true)]
    pub op_time_ms: u32,

    /// Cut each call off after D (or what is left before the deadline, if less): a call whose
    /// `--op-time` is longer times out, is logged as timed out, and is retried. The run then
    /// goes through the core's async engine, which races each call against a timer.
    #[arg(long = "attempt-timeout", value_name = "D", value_parser = parse::duration_ms, allow_hyphen_values = true)]
    pub attempt_timeout_ms: Option<u32>,

    /// Run N operations in sequence (each the same flaky operation, sharing the retry budget);
    /// the report then holds one entry per operation.
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse::positive, allow_hyphen_values = true)]
    pub operations: u32,

    /// What a hinted delay above the cap does: honour (sleep it) or stop (end the run).
    #[arg(long, value_name = "CHOICE", default_value_t = HintAboveCap::Honour, value_parser = parse::named::<HintAboveCap>(&HintAboveCap::NAMES), allow_hyphen_values = true)]
    #[serde(serialize_with = "by_name")]
    pub hint_above_cap: HintAboveCap,

    /// Call K fails with a retryable error hinting a delay D (as a server's `Retry-After`),
    /// given as `K:D`; may be repeated.
    #[arg(long, value_name = "K:D", value_parser = parse::retry_after, allow_hyphen_values = true)]
    pub retry_after_at: Vec<(u32, u32)>,

    /// A retry budget shared by the operations: a token bucket of CAPACITY tokens, COST per
    /// retry, COST back for a success after retries and REFILL for a success at the first
    /// attempt.
    #[arg(long, value_name = "CAPACITY:COST:REFILL", value_parser = parse::bucket, allow_hyphen_values = true)]
    #[serde(serialize_with = "rates")]
    pub retry_budget: Option<BucketRates>,

    /// Really sleep between attempts instead of advancing a mock clock.
    #[arg(long)]
    #[serde(skip)]
    pub real_time: bool,
}

impl Default for Scenario {
    /// The seed's scenario, as `sim` runs it with no arguments: the flags' own defaults.
    fn default() -> Self {
        let flags = Scenario::augment_args(clap::Command::new("sim"));
        Scenario::from_arg_matches(&flags.get_matches_from(["sim"]))
            .unwrap_or_else(|error| unreachable!("the defaults parse: {error}"))
    }
}

/// A value by its text name (`Display`), as the core names jitter kinds and stop reasons.
pub fn by_name<T: fmt::Display, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// A factor as the decimal it stands for (`1.5`).
fn decimal<S: Serializer>(factor: &Factor, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(f64::from(factor.milli()) / 1000.0)
}

/// A retry budget's rates as `capacity`, `cost` and `refill` (the core's own field names).
fn rates<S: Serializer>(rates: &Option<BucketRates>, serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    #[serde(remote = "BucketRates")]
    struct Rates {
        capacity: u32,
        cost: u32,
        refill: u32,
    }
    #[derive(Serialize)]
    struct Wrapped(#[serde(with = "Rates")] BucketRates);
    rates.map(Wrapped).serialize(serializer)
}

impl Scenario {
    /// The checked policy for this scenario, or why it cannot be run.
    ///
    /// # Errors
    /// [`Unrunnable`]: a policy the core refuses (a jittered one without a seed among them), or
    /// a run the simulator cannot count.
    pub fn check(&self) -> Result<SimPolicy, Unrunnable> {
        let mut builder = Policy::builder();
        builder = match self.max_attempts.0 {
            Some(attempts) => builder.max_attempts(attempts),
            None => builder.retry_forever(),
        };
        builder = builder
            .base_delay_ms(self.base_delay_ms)
            .max_delay_ms(self.max_delay_ms)
            .factor(self.factor)
            .jitter(self.jitter)
            .hint_above_cap(self.hint_above_cap);
        if let Some(budget) = self.delay_budget_ms {
            builder = builder.delay_budget_ms(u64::from(budget));
        }
        let policy = builder.build().map_err(Unrunnable::Policy)?;
        if self.seed.is_none() {
            Retry::without_jitter(policy).map_err(Unrunnable::Policy)?;
        }
        self.one_rule_per_call()?;
        if self.max_attempts.0.is_none() {
            self.ends_without_an_attempt_limit()?;
        }
        Ok(policy)
    }

    /// Refuses a run with unlimited attempts that another rule must end but none does: one
    /// whose every attempt times out, or one whose calls run past the last attempt number.
    fn ends_without_an_attempt_limit(&self) -> Result<(), Unrunnable> {
        if let Some(timeout_ms) = self.attempt_timeout_ms
            && self.op_time_ms > timeout_ms
        {
            // A cut-off call's own answer is never seen, so `--fail-count`, `--retry-after-at`
            // and `--non-retryable-at` end nothing: only the rules below can.
            let idle = IdleRules {
                // The mock clock moves only by the timeouts and the sleeps; a 0 ms base delay
                // makes every sleep 0 ms, whatever the jitter.
                deadline: self.deadline_ms.is_some()
                    && timeout_ms == 0
                    && self.base_delay_ms == 0
                    && !self.real_time,
                delay_budget: self.delay_budget_ms.is_some() && self.base_delay_ms == 0,
                // No call succeeds, so nothing is paid back: any cost empties the bucket.
                retry_budget: self.retry_budget.is_some_and(|rates| rates.cost == 0),
            };
            let ends = (self.deadline_ms.is_some() && !idle.deadline)
                || (self.delay_budget_ms.is_some() && !idle.delay_budget)
                || (self.retry_budget.is_some() && !idle.retry_budget);
            if !ends {
                return Err(Unrunnable::NeverEnds {
                    op_time_ms: self.op_time_ms,
                    timeout_ms,
                    idle,
                });
            }
        }
        // Calls are numbered in 32 bits: an operation may not need a call past the last number.
        let last = self.last_call();
        if last > u64::from(u32::MAX) {
            return Err(Unrunnable::CallsPastCounting {
                fail_count: self.fail_count,
            });
        }
        Ok(())
    }

    /// The call that ends an operation by the operation's own rules (its success, or its
    /// non-retryable failure), counted in 64 bits so that call 2^32 can be told.
    fn last_call(&self) -> u64 {
        let mut success = u64::from(self.fail_count) + 1;
        // Each hinted failure at the call that would succeed puts the success off by one.
        let mut hinted: Vec<u64> = self
            .retry_after_at
            .iter()
            .map(|&(call, _)| u64::from(call))
            .filter(|&call| call >= success)
            .collect();
        hinted.sort_unstable();
        for call in hinted {
            if call != success {
                break;
            }
            success += 1;
        }
        self.non_retryable_at
            .map_or(success, |call| success.min(u64::from(call)))
    }

    /// Refuses two flags saying what the same call does, which would leave one unused.
    fn one_rule_per_call(&self) -> Result<(), Unrunnable> {
        let rules = self
            .non_retryable_at
            .map(CallRule::NonRetryable)
            .into_iter()
            .chain(
                self.retry_after_at
                    .iter()
                    .map(|&(call, ms)| CallRule::RetryAfter(call, ms)),
            );
        let mut seen = std::collections::HashMap::new();
        for rule in rules {
            if let Some(&first) = seen.get(&rule.call()) {
                return Err(Unrunnable::CallGivenTwice(first, rule));
            }
            seen.insert(rule.call(), rule);
        }
        Ok(())
    }

    /// What call `call` of an operation does.
    fn outcome_of(&self, call: u32) -> Result<Success, SimError> {
        if Some(call) == self.non_retryable_at {
            return Err(SimError::Permanent { call });
        }
        if let Some(&(_, hint_ms)) = self.retry_after_at.iter().find(|(k, _)| *k == call) {
            return Err(SimError::Transient {
                call,
                hint_ms: Some(hint_ms),
            });
        }
        if call <= self.fail_count {
            Err(SimError::Transient {
                call,
                hint_ms: None,
            })
        } else {
            Ok(Success { total_calls: call })
        }
    }
}

/// Why a scenario cannot be run: its line names the flags to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unrunnable {
    /// The core refuses the policy.
    Policy(PolicyError),
    /// An operation would need more calls than an attempt number counts (`u32::MAX`): its
    /// `--fail-count`, and any `--retry-after-at` calls after it up to the last number.
    CallsPastCounting {
        /// `--fail-count`.
        fail_count: u32,
    },
    /// Every attempt times out, and with unlimited attempts no rule given ends the run.
    NeverEnds {
        /// `--op-time`, in milliseconds.
        op_time_ms: u32,
        /// `--attempt-timeout`, in milliseconds: less than the op time.
        timeout_ms: u32,
        /// The rules given that cannot end it.
        idle: IdleRules,
    },
    /// Two flags say what the same call does.
    CallGivenTwice(CallRule, CallRule),
}

/// Stop rules given that cannot end a run whose every attempt times out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdleRules {
    /// `--deadline`, when no time passes: a 0 ms `--attempt-timeout` and `--base-delay`.
    pub deadline: bool,
    /// `--delay-budget`, when nothing is slept: a 0 ms `--base-delay`.
    pub delay_budget: bool,
    /// `--retry-budget`, when a retry costs nothing.
    pub retry_budget: bool,
}

impl fmt::Display for IdleRules {
    /// ` ('--deadline' never comes ...; ...)`, or nothing when every rule given would work.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = [
            (
                self.deadline,
                "'--deadline' never comes, as no time passes with a 0 ms '--attempt-timeout' \
                 and '--base-delay'",
            ),
            (
                self.delay_budget,
                "nothing is slept against '--delay-budget' with a 0 ms '--base-delay'",
            ),
            (
                self.retry_budget,
                "'--retry-budget' charges nothing for a retry",
            ),
        ];
        let mut why = why.iter().filter(|(idle, _)| *idle).map(|(_, text)| text);
        if let Some(first) = why.next() {
            write!(f, " ({first}")?;
            for text in why {
                write!(f, "; {text}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// What a per-call flag says one call does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallRule {
    /// `--non-retryable-at K`.
    NonRetryable(u32),
    /// `--retry-after-at K:D`, D in milliseconds.
    RetryAfter(u32, u32),
}

impl CallRule {
    /// The call it is about.
    pub fn call(self) -> u32 {
        match self {
            CallRule::NonRetryable(call) | CallRule::RetryAfter(call, _) => call,
        }
    }
}

impl fmt::Display for CallRule {
    /// As the flag would be typed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallRule::NonRetryable(call) => write!(f, "'--non-retryable-at {call}'"),
            CallRule::RetryAfter(call, ms) => write!(f, "'--retry-after-at {call}:{ms}ms'"),
        }
    }
}

impl fmt::Display for Unrunnable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unrunnable::Policy(PolicyError::ZeroAttempts) => f.write_str(
                "invalid value '0' for '--max-attempts <N>': at least one attempt is needed",
            ),
            Unrunnable::Policy(PolicyError::BaseAboveCap { base_ms, cap_ms }) => write!(
                f,
                "'--base-delay' ({base_ms} ms) is above '--max-delay' ({cap_ms} ms)"
            ),
            Unrunnable::Policy(PolicyError::FactorBelowOne { factor }) => write!(
                f,
                "invalid value '{factor}' for '--factor <F>': must be at least 1"
            ),
            Unrunnable::Policy(error) => write!(f, "{error}"),
            Unrunnable::CallsPastCounting {
                fail_count: u32::MAX,
            } => write!(
                f,
                "'--fail-count {max}' with '--max-attempts unlimited' would need call {}, past \
                 the last attempt number ({max}): give '--max-attempts', \
                 '--non-retryable-at' or a smaller '--fail-count'",
                u64::from(u32::MAX) + 1,
                max = u32::MAX,
            ),
            Unrunnable::CallsPastCounting { fail_count } => {
                let max = u32::MAX;
                let first = fail_count.saturating_add(1);
                let hinted = if first == max {
                    format!("call {max}")
                } else {
                    format!("every call from {first} to {max}")
                };
                write!(
                    f,
                    "'--fail-count {fail_count}' and '--retry-after-at' for {hinted} with \
                     '--max-attempts unlimited' would need call {}, past the last attempt \
                     number ({max}): give '--max-attempts', '--non-retryable-at', a smaller \
                     '--fail-count' or fewer '--retry-after-at'",
                    u64::from(max) + 1,
                )
            }
            Unrunnable::NeverEnds {
                op_time_ms,
                timeout_ms,
                idle,
            } => write!(
                f,
                "'--op-time {op_time_ms}ms' is longer than '--attempt-timeout {timeout_ms}ms', so \
                 every attempt times out, and with '--max-attempts unlimited' nothing ends the \
                 run{idle}: give '--max-attempts', a shorter '--op-time', or a '--deadline', \
                 '--delay-budget' or '--retry-budget' that ends it"
            ),
            Unrunnable::CallGivenTwice(first, second) => write!(
                f,
                "{first} and {second} both say what call {} does: give each call one",
                first.call()
            ),
        }
    }
}

/// The error the flaky operation fails with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimError {
    /// A transient failure worth retrying, as the seed's `ConnectionError`, perhaps with a
    /// hinted delay (as a server's `Retry-After`).
    Transient {
        /// The call that failed, from 1.
        call: u32,
        /// The delay the failure asks for, in milliseconds.
        hint_ms: Option<u32>,
    },
    /// A failure the retry predicate refuses.
    Permanent {
        /// The call that failed, from 1.
        call: u32,
    },
    /// A call cut off by `--attempt-timeout`; retried as a transient failure.
    TimedOut,
}

impl From<TimedOut> for SimError {
    fn from(_: TimedOut) -> Self {
        SimError::TimedOut
    }
}

impl SimError {
    /// The retry predicate: stop on a permanent failure, retry a transient one, after its hint
    /// if it has one.
    pub fn decide(&self) -> Decision {
        match *self {
            SimError::Permanent { .. } => Decision::Stop,
            SimError::Transient { hint_ms: None, .. } | SimError::TimedOut => Decision::Retry,
            SimError::Transient {
                hint_ms: Some(ms), ..
            } => Decision::RetryAfter(ms),
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Transient {
                call,
                hint_ms: None,
            } => write!(f, "Simulated failure #{call}"),
            SimError::Transient {
                call,
                hint_ms: Some(ms),
            } => {
                write!(f, "Simulated failure #{call} (retry after {ms} ms)")
            }
            SimError::Permanent { call } => write!(f, "Simulated non-retryable failure #{call}"),
            SimError::TimedOut => f.write_str("the attempt timed out"),
        }
    }
}

/// The operation's value on success: the seed's `{"result": "success", "total_calls": N}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Success {
    /// How many times the operation was called.
    pub total_calls: u32,
}

/// One finished operation, as the report needs it. It borrows from the run, which reuses its
/// parts for the next operation, so nothing of it outlives the call it is handed to.
#[derive(Debug)]
pub struct Operation<'r> {
    /// The value, the stop reason, the totals and the attempt log's last records.
    pub outcome: &'r Outcome<Success, SimError, LOG_MAX>,
    /// When each of the last [`Scenario::log_capacity`] attempts started, oldest first, in
    /// milliseconds since the whole run began: the start of every attempt the report keeps.
    pub started_ms: &'r VecDeque<u64>,
    /// Milliseconds since the whole run began when the operation ended.
    pub ended_ms: u64,
    /// Tokens left in the retry budget after the operation, if there is one.
    pub budget_left: Option<u32>,
}

/// Sleeps on the operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadSleep;

impl Delay for ThreadSleep {
    fn delay_ms(&mut self, ms: u32) {
        std::thread::sleep(Duration::from_millis(u64::from(ms)));
    }
}

/// For the async engine of `--attempt-timeout`: the same sleep, blocking the one thread the run
/// has, which is all a timer racing a call needs here.
impl DelayNs for ThreadSleep {
    async fn delay_ns(&mut self, ns: u32) {
        std::thread::sleep(Duration::from_nanos(u64::from(ns)));
    }

    async fn delay_ms(&mut self, ms: u32) {
        Delay::delay_ms(self, ms);
    }
}

/// The operating system's monotonic clock, from when it was made.
#[derive(Clone, Copy, Debug)]
pub struct WallClock(Instant);

impl Clock for WallClock {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// The simulation's retry budget: a token bucket, or none (every retry allowed).
#[derive(Debug)]
struct SimBudget(Option<TokenBucket>);

impl<E> RetryBudget<E> for SimBudget {
    fn try_spend(&self) -> bool {
        self.0.as_ref().is_none_or(TokenBucket::try_spend)
    }
    fn succeeded(&self, after_retry: bool) {
        if let Some(bucket) = &self.0 {
            bucket.succeeded(after_retry);
        }
    }
}

impl SimBudget {
    fn tokens(&self) -> u32 {
        self.0.as_ref().map_or(0, TokenBucket::tokens)
    }
}

/// Runs the scenario under `policy` (from [`Scenario::check`]), handing each operation to
/// `each` as it finishes; `each` may end the run early.
///
/// # Errors
/// [`PolicyError::JitterNeedsRng`] when the policy has jitter and the scenario no seed.
pub fn run(
    scenario: &Scenario,
    policy: SimPolicy,
    each: &mut dyn FnMut(&Operation<'_>) -> ControlFlow<()>,
) -> Result<(), PolicyError> {
    if scenario.real_time {
        let clock = WallClock(Instant::now());
        let spend = |ms: u64| std::thread::sleep(Duration::from_millis(ms));
        run_on(scenario, policy, (ThreadSleep, &clock, &spend), each)
    } else {
        let clock = MockClock::<0>::new();
        run_on(
            scenario,
            policy,
            (&clock, &clock, &|ms| clock.advance(ms)),
            each,
        )
    }
}

/// One operation's calls, with the time each started; spends the operation's run time.
type Call<'a> = dyn FnMut() -> Result<Success, SimError> + 'a;

/// How a run passes time: the sleeper, the clock, and how a call spends its own time.
type Time<'c, D, C> = (D, &'c C, &'c dyn Fn(u64));

fn run_on<D: Delay + DelayNs, C: Clock>(
    scenario: &Scenario,
    policy: SimPolicy,
    (mut delay, clock, spend): Time<'_, D, C>,
    each: &mut dyn FnMut(&Operation<'_>) -> ControlFlow<()>,
) -> Result<(), PolicyError> {
    let budget = SimBudget(scenario.retry_budget.map(TokenBucket::new));
    // Without a deadline, one that never comes.
    let deadline = scenario.deadline_ms.map_or(u64::MAX, u64::from);
    let max_attempts = scenario.max_attempts.0;
    let log_sleep = |attempt: u32, error: &SimError, delay_ms: u32| {
        log(
            Level::Warning,
            &format!(
                "Attempt {} failed: {error} (retrying in {delay_ms} ms)",
                of_max(attempt, max_attempts)
            ),
        );
    };
    // The start times the report can use: those of the last `log_capacity` attempts.
    let keep = scenario.log_capacity;
    let mut started_ms = VecDeque::with_capacity(keep + 1);
    // Whether the call under way outlasts the time it is allowed: it then spends nothing
    // itself and never answers, and the timer that cuts it off spends the time.
    let hangs = Cell::new(false);
    let mut drive = |call: &mut dyn FnMut(&mut Call<'_>) -> Outcome<Success, SimError, LOG_MAX>| {
        for _ in 0..scenario.operations.max(1) {
            started_ms.clear();
            let mut calls = 0u32;
            // The run starts, and its deadline with it, at the first poll, before the first
            // call: nothing spends time between this reading and that one.
            let began_ms = clock.now_ms();
            let outcome = call(&mut || {
                // Never past the last number for a call whose answer counts (`check` refuses
                // such a run); a run of cut-off calls that long stays a count, not a panic.
                calls = calls.saturating_add(1);
                let now_ms = clock.now_ms();
                started_ms.push_back(now_ms);
                if started_ms.len() > keep {
                    started_ms.pop_front();
                }
                let allowed = scenario.attempt_timeout_ms.map(|timeout_ms| {
                    allowed_ms(
                        timeout_ms,
                        scenario.deadline_ms,
                        now_ms.saturating_sub(began_ms),
                    )
                });
                hangs.set(allowed.is_some_and(|allowed| scenario.op_time_ms > allowed));
                if !hangs.get() {
                    spend(u64::from(scenario.op_time_ms));
                }
                scenario.outcome_of(calls)
            });
            log_last_attempt(&outcome, max_attempts);
            let operation = Operation {
                outcome: &outcome,
                started_ms: &started_ms,
                ended_ms: clock.now_ms(),
                budget_left: scenario.retry_budget.map(|_| budget.tokens()),
            };
            if each(&operation).is_break() {
                break;
            }
        }
    };
    let timeout = scenario.attempt_timeout_ms;
    match (scenario.seed, timeout) {
        (Some(seed), None) => {
            let mut retry = Retry::new(policy, XorShiftRng::seed_from_u64(seed))
                .when(SimError::decide)
                .deadline_ms(clock, deadline)
                .before_sleep(log_sleep)
                .retry_budget(&budget);
            drive(&mut |op| retry.call(&mut delay, op));
        }
        (None, None) => {
            let mut retry = Retry::without_jitter(policy)?
                .when(SimError::decide)
                .deadline_ms(clock, deadline)
                .before_sleep(log_sleep)
                .retry_budget(&budget);
            drive(&mut |op| retry.call(&mut delay, op));
        }
        (Some(seed), Some(ms)) => {
            let mut retry = Retry::new(policy, XorShiftRng::seed_from_u64(seed))
                .when(SimError::decide)
                .deadline_ms(clock, deadline)
                .before_sleep(log_sleep)
                .retry_budget(&budget)
                .attempt_timeout_ms(ms);
            drive(&mut |op| call_cut_off(&mut retry, &mut delay, op, &hangs));
        }
        (None, Some(ms)) => {
            let mut retry = Retry::without_jitter(policy)?
                .when(SimError::decide)
                .deadline_ms(clock, deadline)
                .before_sleep(log_sleep)
                .retry_budget(&budget)
                .attempt_timeout_ms(ms);
            drive(&mut |op| call_cut_off(&mut retry, &mut delay, op, &hangs));
        }
    }
    Ok(())
}

/// How long a call that starts `into_ms` after its operation began may take, as the core allows
/// it ([`Retry::attempt_limit_ms`]): `timeout_ms`, or what is left before the deadline if less.
pub fn allowed_ms(timeout_ms: u32, deadline_ms: Option<u32>, into_ms: u64) -> u32 {
    deadline_ms.map_or(timeout_ms, |deadline_ms| {
        let left = u64::from(deadline_ms).saturating_sub(into_ms);
        u32::try_from(left).map_or(timeout_ms, |left| left.min(timeout_ms))
    })
}

/// One operation through the core's async engine, each call racing the timeout: a call after
/// which `hangs` is set never answers, so the timer ends it. Every future here is ready at once or never
/// (sleeps block, or advance the mock clock), so polling in a loop is the whole executor.
fn call_cut_off<R, P, C, H, B, T, D>(
    retry: &mut Retry<R, LOG_MAX, P, C, H, B, T>,
    delay: &mut D,
    op: &mut Call<'_>,
    hangs: &Cell<bool>,
) -> Outcome<Success, SimError, LOG_MAX>
where
    R: Rng,
    P: RetryOn<SimError>,
    C: Clock,
    H: BeforeSleep<SimError>,
    B: RetryBudget<SimError>,
    T: AttemptTimeout<SimError>,
    D: DelayNs,
{
    let run = retry.call_async(delay, async || {
        let result = op();
        if hangs.get() {
            std::future::pending::<()>().await;
        }
        result
    });
    let mut run = std::pin::pin!(run);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(outcome) = run.as_mut().poll(&mut cx) {
            return outcome;
        }
    }
}

/// Logs how an operation's last attempt ended (the retries were logged as they happened).
fn log_last_attempt(outcome: &Outcome<Success, SimError, LOG_MAX>, max_attempts: Option<u32>) {
    let n = outcome.total_attempts();
    if let Some(error) = outcome.last_error() {
        let reason = outcome.stop_reason();
        let level = if reason == StopReason::NotRetryable {
            Level::Error
        } else {
            Level::Warning
        };
        log(
            level,
            &format!(
                "Attempt {} failed: {error} (stopped: {reason})",
                of_max(n, max_attempts)
            ),
        );
    } else {
        log(Level::Info, &format!("Attempt {n} succeeded"));
    }
}

/// `3/5`, or `3` when attempts are unlimited.
fn of_max(attempt: u32, max_attempts: Option<u32>) -> String {
    match max_attempts {
        Some(max) => format!("{attempt}/{max}"),
        None => attempt.to_string(),
    }
}
