//! The command line, and the parsers for its values.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use embedded_retry::{Backoff, BucketRates, Factor, HintAboveCap, Jitter};

use crate::herd::{STANDARD, Strategy};

/// Runs the seed's flaky-operation harness under a retry policy and writes a JSON report.
///
/// The operation fails `--fail-count` times with a retryable error, then succeeds. Delays run on
/// a mock clock unless `--real-time` is given, so a run finishes at once and is deterministic.
#[derive(Debug, Parser)]
#[command(
    name = "sim",
    version,
    allow_negative_numbers = true,
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    /// Something other than the seed's harness.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Where to write the JSON report; `-` writes it to stdout.
    #[arg(long, value_name = "PATH", default_value = "data/retry_report.json", value_parser = parse_output)]
    pub output: Output,

    /// Total number of attempts, the first included (the seed's `--max-retries`), or
    /// `unlimited` to retry until another rule stops the run.
    #[arg(long, visible_alias = "max-retries", value_name = "N", default_value = "5", value_parser = parse_attempts)]
    pub max_attempts: MaxAttempts,

    /// How many of each operation's last attempts the report keeps (at most 1024).
    #[arg(long, value_name = "N", default_value = "64", value_parser = parse_log_capacity)]
    pub log_capacity: usize,

    /// How many calls fail with a retryable error before the operation succeeds.
    #[arg(long, value_name = "N", default_value = "2", value_parser = parse_count)]
    pub fail_count: u32,

    /// Delay before the first retry: `250ms`, `1.5s`, or a bare number of seconds.
    #[arg(long, value_name = "D", default_value = "100ms", value_parser = parse_duration_ms, allow_hyphen_values = true)]
    pub base_delay: u32,

    /// The cap on every delay, in the same form as `--base-delay`.
    #[arg(long, value_name = "D", default_value = "60s", value_parser = parse_duration_ms, allow_hyphen_values = true)]
    pub max_delay: u32,

    /// How much the delay grows after each retry, as a decimal with up to three places.
    #[arg(long, value_name = "F", default_value = "2", value_parser = parse_factor)]
    pub factor: Factor,

    /// Jitter kind: none, equal, full or decorrelated.
    #[arg(long, value_name = "KIND", default_value = "none", value_parser = parse_jitter)]
    pub jitter: Jitter,

    /// Seed for the jitter generator; without it one is picked and recorded in the report.
    #[arg(long, value_name = "N", value_parser = parse_seed)]
    pub seed: Option<u64>,

    /// Call K fails with an error the retry predicate refuses to retry (K counts from 1).
    #[arg(long, value_name = "K", value_parser = parse_call_number)]
    pub non_retryable_at: Option<u32>,

    /// Call K fails with a retryable error hinting a delay D (as a server's `Retry-After`),
    /// given as `K:D`; may be repeated.
    #[arg(long, value_name = "K:D", value_parser = parse_retry_after)]
    pub retry_after_at: Vec<(u32, u32)>,

    /// What a hinted delay above the cap does: honour (sleep it) or stop (end the run).
    #[arg(long, value_name = "CHOICE", default_value = "honour", value_parser = parse_hint_above_cap)]
    pub hint_above_cap: HintAboveCap,

    /// Stop rather than sleep when the slept total would pass D.
    #[arg(long, value_name = "D", value_parser = parse_duration_ms, allow_hyphen_values = true)]
    pub delay_budget: Option<u32>,

    /// Stop rather than sleep past D after the run starts, counting the operation's own time.
    #[arg(long, value_name = "D", value_parser = parse_duration_ms, allow_hyphen_values = true)]
    pub deadline: Option<u32>,

    /// How long each call of the operation takes.
    #[arg(long, value_name = "D", default_value = "0ms", value_parser = parse_duration_ms, allow_hyphen_values = true)]
    pub op_time: u32,

    /// A retry budget shared by the operations: a token bucket of CAPACITY tokens, COST per
    /// retry, REFILL back per success.
    #[arg(long, value_name = "CAPACITY:COST:REFILL", value_parser = parse_bucket)]
    pub retry_budget: Option<BucketRates>,

    /// Run N operations in sequence (each the same flaky operation, sharing the retry budget);
    /// the report then holds one entry per operation.
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse_positive)]
    pub operations: u32,

    /// Really sleep between attempts instead of advancing a mock clock.
    #[arg(long)]
    pub real_time: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate many clients contending for one resource under each backoff strategy (the
    /// classic contention study), and report mean completion time and calls.
    Herd(HerdArgs),
}

/// The flags of `sim herd`.
#[derive(Debug, clap::Args)]
pub struct HerdArgs {
    /// Client counts: a comma-separated list of counts and ranges `FIRST..LAST` (step 1) or
    /// `FIRST..LAST:STEP`, both ends included.
    #[arg(long, value_name = "LIST", default_value = "10..190:10", value_parser = parse_clients)]
    pub clients: ClientCounts,

    /// Independent runs per (clients, strategy).
    #[arg(long, value_name = "N", default_value = "100", value_parser = parse_positive)]
    pub runs: u32,

    /// Seed of the whole sweep; the same seed gives the same numbers.
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse_seed)]
    pub seed: u64,

    /// The study's base delay: the k-th failed write waits up to `base * 2^k`.
    #[arg(long, value_name = "D", default_value = "5ms", value_parser = parse_duration_ms, allow_hyphen_values = true)]
    pub base: u32,

    /// The cap on every delay.
    #[arg(long, value_name = "D", default_value = "2s", value_parser = parse_duration_ms, allow_hyphen_values = true)]
    pub cap: u32,

    /// Strategies, comma-separated: none, exponential, equal, full, decorrelated.
    #[arg(long, value_name = "LIST", default_value = "none,exponential,equal,full,decorrelated", value_parser = parse_strategies)]
    pub strategies: Strategies,

    /// A policy of your own beside the others, as `BASE:CAP:FACTOR:JITTER` (e.g.
    /// `10ms:1s:1.5:equal`); its first delay is its base.
    #[arg(long, value_name = "POLICY", value_parser = parse_custom)]
    pub custom: Option<Backoff>,

    /// Write every (clients, strategy) mean, with the parameters, as JSON.
    #[arg(long, value_name = "PATH", value_parser = parse_path)]
    pub json: Option<PathBuf>,

    /// Draw completion time and calls against clients, as SVG.
    #[arg(long, value_name = "PATH", value_parser = parse_path)]
    pub svg: Option<PathBuf>,

    /// Worker threads; by default, one per core.
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub threads: Option<u32>,
}

/// Client counts of a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCounts(pub Vec<usize>);

/// Strategies of a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strategies(pub Vec<Strategy>);

fn parse_path(text: &str) -> Result<PathBuf, String> {
    match text {
        "" => Err("the path is empty".into()),
        path => Ok(PathBuf::from(path)),
    }
}

fn parse_positive(text: &str) -> Result<u32, String> {
    match parse_count(text)? {
        0 => Err("must be at least 1".into()),
        n => Ok(n),
    }
}

/// `10,20,50..100:25` and the like; every count at least 1, at most 100 000.
pub fn parse_clients(text: &str) -> Result<ClientCounts, String> {
    const MAX: u32 = 100_000;
    let mut counts = Vec::new();
    for item in text.split(',') {
        let (range, step) = match item.split_once(':') {
            Some((range, step)) => (range, parse_positive(step)?),
            None => (item, 1),
        };
        let (first, last) = match range.split_once("..") {
            Some((first, last)) => (parse_u32(first, MAX)?, parse_u32(last, MAX)?),
            None if step == 1 && !item.contains(':') => {
                let n = parse_u32(range, MAX)?;
                (n, n)
            }
            None => return Err(format!("'{item}': a step needs a range, as in 10..190:10")),
        };
        if first == 0 || first > last {
            return Err(format!("'{item}': counts run from 1 up, first to last"));
        }
        counts.extend((first..=last).step_by(step as usize).map(|n| n as usize));
    }
    Ok(ClientCounts(counts))
}

/// A comma-separated list of strategy names, without repeats.
pub fn parse_strategies(text: &str) -> Result<Strategies, String> {
    let mut strategies = Vec::new();
    for name in text.split(',') {
        let strategy = STANDARD
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown strategy '{name}': use none, exponential, equal, full or decorrelated"
                )
            })?;
        if strategies.contains(&strategy) {
            return Err(format!("'{name}' is listed twice"));
        }
        strategies.push(strategy);
    }
    Ok(Strategies(strategies))
}

/// `honour` or `stop`.
pub fn parse_hint_above_cap(text: &str) -> Result<HintAboveCap, String> {
    match text {
        "honour" => Ok(HintAboveCap::Honour),
        "stop" => Ok(HintAboveCap::Stop),
        _ => Err("expected honour or stop".into()),
    }
}

/// `K:D`: call K (from 1) hints a delay D.
pub fn parse_retry_after(text: &str) -> Result<(u32, u32), String> {
    let (call, delay) = text
        .split_once(':')
        .ok_or("expected K:D, as in 2:1.5s (call 2 asks for 1.5 s)")?;
    let call = parse_call_number(call).map_err(|e| format!("call: {e}"))?;
    let delay = parse_duration_ms(delay).map_err(|e| format!("delay: {e}"))?;
    Ok((call, delay))
}

/// `CAPACITY:COST:REFILL`, whole numbers of tokens.
pub fn parse_bucket(text: &str) -> Result<BucketRates, String> {
    let [capacity, cost, refill] = text.split(':').collect::<Vec<_>>()[..] else {
        return Err("expected CAPACITY:COST:REFILL, as in 500:5:1".into());
    };
    Ok(BucketRates {
        capacity: parse_count(capacity).map_err(|e| format!("capacity: {e}"))?,
        cost: parse_count(cost).map_err(|e| format!("cost: {e}"))?,
        refill: parse_count(refill).map_err(|e| format!("refill: {e}"))?,
    })
}

/// `BASE:CAP:FACTOR:JITTER`, checked by the core.
pub fn parse_custom(text: &str) -> Result<Backoff, String> {
    let [base, cap, factor, jitter] = text.split(':').collect::<Vec<_>>()[..] else {
        return Err("expected BASE:CAP:FACTOR:JITTER, as in 10ms:1s:1.5:equal".into());
    };
    let base = parse_duration_ms(base).map_err(|e| format!("base: {e}"))?;
    let cap = parse_duration_ms(cap).map_err(|e| format!("cap: {e}"))?;
    let factor = parse_factor(factor).map_err(|e| format!("factor: {e}"))?;
    let jitter = parse_jitter(jitter).map_err(|e| format!("jitter: {e}"))?;
    Backoff::new(base, cap, factor, jitter).map_err(|e| e.to_string())
}

/// Where the report goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Written to standard output.
    Stdout,
    /// Written atomically to this file.
    File(PathBuf),
}

fn parse_output(text: &str) -> Result<Output, String> {
    match text {
        "" => Err("the path is empty".into()),
        "-" => Ok(Output::Stdout),
        path => Ok(Output::File(PathBuf::from(path))),
    }
}

fn parse_whole(text: &str) -> Result<u64, String> {
    if text.is_empty() {
        return Err("the value is empty".into());
    }
    if text.starts_with('-') {
        return Err("must not be negative".into());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected a whole number".into());
    }
    text.parse::<u64>()
        .map_err(|_| "the number is too large".into())
}

fn parse_u32(text: &str, max: u32) -> Result<u32, String> {
    let value = parse_whole(text)?;
    u32::try_from(value)
        .ok()
        .filter(|v| *v <= max)
        .ok_or_else(|| format!("must be at most {max}"))
}

/// An attempt limit, or none (`unlimited`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxAttempts(pub Option<u32>);

fn parse_attempts(text: &str) -> Result<MaxAttempts, String> {
    if text == "unlimited" {
        return Ok(MaxAttempts(None));
    }
    parse_count(text)
        .map(|n| MaxAttempts(Some(n)))
        .map_err(|e| format!("{e}, or 'unlimited'"))
}

fn parse_log_capacity(text: &str) -> Result<usize, String> {
    let max = crate::scenario::LOG_MAX;
    match parse_count(text)? {
        n if n as usize > max => Err(format!("at most {max} records can be kept")),
        n => Ok(n as usize),
    }
}

/// A count such as `--fail-count`: a whole number that fits in 32 bits.
pub fn parse_count(text: &str) -> Result<u32, String> {
    parse_u32(text, u32::MAX)
}

fn parse_call_number(text: &str) -> Result<u32, String> {
    match parse_count(text)? {
        0 => Err("calls are counted from 1".into()),
        k => Ok(k),
    }
}

fn parse_seed(text: &str) -> Result<u64, String> {
    parse_whole(text)
}

/// Splits a non-negative decimal into its whole part and its fraction scaled to `places`
/// decimal places, refusing any non-zero digit beyond them.
fn parse_decimal(text: &str, places: u32, too_fine: &str) -> Result<u64, String> {
    if text.is_empty() {
        return Err("the value is empty".into());
    }
    if text.starts_with('-') {
        return Err("must not be negative".into());
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return Err(format!("'{text}' is not a number"));
    }
    let (kept, rest) = fraction.split_at(fraction.len().min(places as usize));
    if rest.bytes().any(|b| b != b'0') {
        return Err(too_fine.into());
    }
    let scale = 10u64.pow(places);
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| "the number is too large")?
    };
    let kept_value: u64 = if kept.is_empty() {
        0
    } else {
        kept.parse().unwrap_or(0)
    };
    let kept_value = kept_value * 10u64.pow(places - kept.len() as u32);
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(kept_value))
        .ok_or_else(|| "the number is too large".into())
}

/// A duration in whole milliseconds: `250ms`, `1.5s`, or a bare number of seconds (`0.1`).
pub fn parse_duration_ms(text: &str) -> Result<u32, String> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() && !unit.is_empty() {
        return Err(format!(
            "'{text}' is not a duration: expected e.g. 250ms, 1.5s, or 2 (seconds)"
        ));
    }
    let places = match unit {
        "ms" => 0,
        "s" | "" => 3,
        _ => return Err(format!("unknown unit '{unit}': use ms or s")),
    };
    let ms = parse_decimal(
        number,
        places,
        "must be a whole number of milliseconds (at least 1 ms, or 0)",
    )?;
    u32::try_from(ms).map_err(|_| format!("must be at most {} ms", u32::MAX))
}

/// A backoff factor such as `2` or `1.5`, with at most three decimal places.
pub fn parse_factor(text: &str) -> Result<Factor, String> {
    let milli = parse_decimal(text, 3, "at most three decimal places are supported")?;
    u32::try_from(milli)
        .map(Factor::from_milli)
        .map_err(|_| "the factor is too large".into())
}

/// A jitter kind by name.
pub fn parse_jitter(text: &str) -> Result<Jitter, String> {
    match text {
        "none" => Ok(Jitter::None),
        "equal" => Ok(Jitter::Equal),
        "full" => Ok(Jitter::Full),
        "decorrelated" => Ok(Jitter::Decorrelated),
        _ => Err("expected none, equal, full or decorrelated".into()),
    }
}

/// The name [`parse_jitter`] accepts for `jitter`.
pub fn jitter_name(jitter: Jitter) -> &'static str {
    match jitter {
        Jitter::None => "none",
        Jitter::Equal => "equal",
        Jitter::Full => "full",
        Jitter::Decorrelated => "decorrelated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_accepted_form() {
        for (text, ms) in [
            ("250ms", 250),
            ("1.5s", 1500),
            ("0.1", 100),
            ("2", 2000),
            ("0", 0),
            ("0ms", 0),
            ("1.000s", 1000),
            ("0.0010", 1),
            (".5", 500),
            ("4294967295ms", u32::MAX),
        ] {
            assert_eq!(parse_duration_ms(text), Ok(ms), "{text}");
        }
    }

    #[test]
    fn durations_refused_with_a_reason() {
        for (text, reason) in [
            ("-1", "negative"),
            ("0.0005", "whole number of milliseconds"),
            ("1.5ms", "whole number of milliseconds"),
            ("abc", "not a duration"),
            ("1x5", "unit"),
            ("", "empty"),
            ("5m", "unit"),
            ("4294968s", "at most"),
            ("99999999999999999999", "too large"),
            (".", "not a number"),
            ("1.2.3", "not a number"),
        ] {
            let error = parse_duration_ms(text).unwrap_err();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn factors() {
        assert_eq!(parse_factor("1.5"), Ok(Factor::from_milli(1500)));
        assert_eq!(parse_factor("2"), Ok(Factor::TWO));
        assert_eq!(parse_factor("1.125"), Ok(Factor::from_milli(1125)));
        assert_eq!(parse_factor("0.5"), Ok(Factor::from_milli(500)));
        assert!(
            parse_factor("1.0001")
                .unwrap_err()
                .contains("three decimal places")
        );
        assert!(parse_factor("-2").unwrap_err().contains("negative"));
        assert!(parse_factor("two").unwrap_err().contains("not a number"));
        assert!(parse_factor("4294968").unwrap_err().contains("too large"));
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("5"), Ok(5));
        assert!(parse_count("-1").unwrap_err().contains("negative"));
        assert!(parse_count("1.5").unwrap_err().contains("whole number"));
        assert!(parse_count("4294967296").unwrap_err().contains("at most"));
        assert!(parse_call_number("0").unwrap_err().contains("from 1"));
    }

    #[test]
    fn client_lists_and_ranges() {
        assert_eq!(
            parse_clients("10..50:10"),
            Ok(ClientCounts(vec![10, 20, 30, 40, 50]))
        );
        assert_eq!(parse_clients("1,3..5"), Ok(ClientCounts(vec![1, 3, 4, 5])));
        assert_eq!(parse_clients("7"), Ok(ClientCounts(vec![7])));
        for bad in ["0", "5..1", "", "a..b", "10:2", "1..100001", "1..5:0"] {
            assert!(parse_clients(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strategies_and_custom_policies() {
        assert_eq!(
            parse_strategies("full,none"),
            Ok(Strategies(vec![Strategy::Full, Strategy::NoBackoff]))
        );
        assert!(parse_strategies("full,full").is_err());
        assert!(parse_strategies("custom").is_err());
        assert!(parse_custom("10ms:1s:1.5:equal").is_ok());
        assert!(
            parse_custom("2s:1s:2:none")
                .unwrap_err()
                .contains("base delay")
        );
        assert!(parse_custom("10ms:1s").is_err());
    }

    #[test]
    fn hints_and_buckets() {
        assert_eq!(parse_retry_after("2:1.5s"), Ok((2, 1500)));
        assert!(parse_retry_after("0:1s").unwrap_err().contains("call"));
        assert!(parse_retry_after("2").is_err());
        assert!(parse_retry_after("2:-1").unwrap_err().contains("delay"));
        let rates = BucketRates {
            capacity: 500,
            cost: 5,
            refill: 1,
        };
        assert_eq!(parse_bucket("500:5:1"), Ok(rates));
        assert!(parse_bucket("500:5").is_err());
        assert!(parse_bucket("500:-5:1").unwrap_err().contains("cost"));
    }

    #[test]
    fn jitter_names_round_trip() {
        for jitter in [
            Jitter::None,
            Jitter::Equal,
            Jitter::Full,
            Jitter::Decorrelated,
        ] {
            assert_eq!(parse_jitter(jitter_name(jitter)), Ok(jitter));
        }
        assert!(parse_jitter("bogus").is_err());
    }
}
