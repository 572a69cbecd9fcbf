//! Parsers for the values of the flags of every command: counts, durations, factors, lists.
//!
//! Each takes the text as typed and answers the value or why it is refused, in words that clap
//! puts after the flag's name (`invalid value '5d' for '--base-delay <D>': unknown unit 'd'`).

use std::ffi::OsStr;
use std::fmt;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::str::FromStr;

use clap::builder::{PossibleValue, TypedValueParser};
use embedded_retry::{Backoff, BucketRates, Factor, Jitter};
use serde::Serialize;

use crate::output::Target;

/// A count that may also be `unlimited` (`None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Limit(pub Option<u32>);

/// A comma-separated list, as `--strategies` and `--clients` take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

impl<T: fmt::Display> fmt::Display for List<T> {
    /// As typed: the items' names, comma-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            let separator = if i == 0 { "" } else { "," };
            write!(f, "{separator}{item}")?;
        }
        Ok(())
    }
}

/// Reads a value by its type's text names (`FromStr`), and lists those names in `--help`.
#[derive(Clone, Debug)]
pub struct Named<T> {
    names: &'static [&'static str],
    value: PhantomData<fn() -> T>,
}

/// A [`Named`] parser for a type whose names are `names`, such as [`Jitter::NAMES`].
pub fn named<T>(names: &'static [&'static str]) -> Named<T> {
    Named {
        names,
        value: PhantomData,
    }
}

impl<T> TypedValueParser for Named<T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Value = T;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        // clap's own reading of a `FromStr` type, so the error names the flag and the value.
        let read: fn(&str) -> Result<T, T::Err> = T::from_str;
        read.parse_ref(command, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.names.iter().copied().map(PossibleValue::new)))
    }
}

/// A whole number that fits in 64 bits.
pub fn whole(text: &str) -> Result<u64, String> {
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

fn at_most(text: &str, max: u32) -> Result<u32, String> {
    u32::try_from(whole(text)?)
        .ok()
        .filter(|v| *v <= max)
        .ok_or_else(|| format!("must be at most {max}"))
}

/// A count such as `--fail-count`: a whole number that fits in 32 bits.
pub fn count(text: &str) -> Result<u32, String> {
    at_most(text, u32::MAX)
}

/// A count of at least 1.
pub fn positive(text: &str) -> Result<u32, String> {
    match count(text)? {
        0 => Err("must be at least 1".into()),
        n => Ok(n),
    }
}

/// A count of at most `MAX`.
pub fn count_up_to<const MAX: usize>(text: &str) -> Result<usize, String> {
    let max = u32::try_from(MAX).unwrap_or(u32::MAX);
    at_most(text, max).map(|n| n as usize)
}

/// A call's number, counted from 1.
pub fn call_number(text: &str) -> Result<u32, String> {
    match count(text)? {
        0 => Err("calls are counted from 1".into()),
        k => Ok(k),
    }
}

/// A count of at least 1, or `unlimited`.
pub fn limit(text: &str) -> Result<Limit, String> {
    if text == "unlimited" {
        return Ok(Limit(None));
    }
    let at_least_one = "must be a whole number of at least 1, or 'unlimited'";
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(at_least_one.into());
    }
    match text.parse::<u32>() {
        Ok(0) => Err(at_least_one.into()),
        Ok(n) => Ok(Limit(Some(n))),
        Err(_) => Err(format!("must be at most {}, or 'unlimited'", u32::MAX)),
    }
}

/// A path that is not empty, in whatever bytes the system allows (UTF-8 or not).
fn path(text: &OsStr) -> Result<PathBuf, String> {
    match text {
        t if t.is_empty() => Err("the path is empty".into()),
        path => Ok(PathBuf::from(path)),
    }
}

/// Where a report goes: a file, or `-` for standard output.
fn target_of(text: &OsStr) -> Result<Target, String> {
    match text {
        t if t == "-" => Ok(Target::Stdout),
        text => path(text).map(Target::File),
    }
}

/// The parser of a flag that names where a report goes ([`Target`]): it takes the argument as
/// the system gave it, so that a file name need not be UTF-8.
pub fn target() -> impl TypedValueParser<Value = Target> {
    clap::builder::OsStringValueParser::new().try_map(|text| target_of(&text))
}

/// A non-negative decimal times `unit`, which must come to a whole number (else `inexact`):
/// `decimal("1.5", 1000, ..)` is 1500.
fn decimal(text: &str, unit: u64, inexact: &str) -> Result<u64, String> {
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
    let too_large = || String::from("the number is too large");
    let (whole, fraction) = (
        whole.trim_start_matches('0'),
        fraction.trim_end_matches('0'),
    );
    // A fraction whose last digit is not 0 comes to a whole number only if `unit` supplies a
    // factor 10 for each of its places. The units here (at most an hour in milliseconds,
    // 2^7 * 3^2 * 5^5) supply at most 7; past 18 places the fraction is refused before the
    // arithmetic, which then stays within a u128 (`whole.fraction` as `mantissa / 10^places`,
    // at most 38 digits over 10^18).
    if fraction.len() > 18 {
        return Err(inexact.into());
    }
    if whole.len() > 20 {
        return Err(too_large());
    }
    let scale = 10u128.pow(fraction.len() as u32);
    // Both parts are empty when the number is 0.
    let mantissa = format!("{whole}{fraction}").parse::<u128>().unwrap_or(0);
    let scaled = mantissa
        .checked_mul(u128::from(unit))
        .ok_or_else(too_large)?;
    if scaled % scale != 0 {
        return Err(inexact.into());
    }
    u64::try_from(scaled / scale).map_err(|_| too_large())
}

/// A duration in whole milliseconds: `250ms`, `1.5s`, `2m`, `1h`, or a bare number of seconds
/// (`0.1`); decimals where they come to whole milliseconds (`0.5m`, but not `1.5ms`).
pub fn duration_ms(text: &str) -> Result<u32, String> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() && !unit.is_empty() {
        return Err(format!(
            "'{text}' is not a duration: expected e.g. 250ms, 1.5s, 2m, 1h, or 2 (seconds)"
        ));
    }
    let unit_ms = match unit {
        "ms" => 1,
        "s" | "" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(format!("unknown unit '{unit}': use ms, s, m or h")),
    };
    let ms = decimal(
        number,
        unit_ms,
        "must be a whole number of milliseconds (at least 1 ms, or 0)",
    )?;
    u32::try_from(ms).map_err(|_| format!("must be at most {} ms", u32::MAX))
}

/// A backoff factor such as `2` or `1.5`, with at most three decimal places.
pub fn factor(text: &str) -> Result<Factor, String> {
    let milli = decimal(text, 1000, "at most three decimal places are supported")?;
    u32::try_from(milli)
        .map(Factor::from_milli)
        .map_err(|_| "the factor is too large".into())
}

/// `K:D`: call K (from 1) hints a delay D.
pub fn retry_after(text: &str) -> Result<(u32, u32), String> {
    let (call, delay) = text
        .split_once(':')
        .ok_or("expected K:D, as in 2:1.5s (call 2 asks for 1.5 s)")?;
    let call = call_number(call).map_err(|e| format!("call: {e}"))?;
    let delay = duration_ms(delay).map_err(|e| format!("delay: {e}"))?;
    Ok((call, delay))
}

/// `CAPACITY:COST:REFILL`, whole numbers of tokens.
pub fn bucket(text: &str) -> Result<BucketRates, String> {
    let [capacity, cost, refill] = text.split(':').collect::<Vec<_>>()[..] else {
        return Err("expected CAPACITY:COST:REFILL, as in 500:5:1".into());
    };
    Ok(BucketRates {
        capacity: count(capacity).map_err(|e| format!("capacity: {e}"))?,
        cost: count(cost).map_err(|e| format!("cost: {e}"))?,
        refill: count(refill).map_err(|e| format!("refill: {e}"))?,
    })
}

/// `BASE:CAP:FACTOR:JITTER`, checked by the core.
pub fn backoff(text: &str) -> Result<Backoff, String> {
    let [base, cap, factor_text, jitter] = text.split(':').collect::<Vec<_>>()[..] else {
        return Err("expected BASE:CAP:FACTOR:JITTER, as in 10ms:1s:1.5:equal".into());
    };
    let base = duration_ms(base).map_err(|e| format!("base: {e}"))?;
    let cap = duration_ms(cap).map_err(|e| format!("cap: {e}"))?;
    let factor = factor(factor_text).map_err(|e| format!("factor: {e}"))?;
    let jitter = Jitter::from_str(jitter).map_err(|e| format!("jitter: {e}"))?;
    Backoff::new(base, cap, factor, jitter).map_err(|e| e.to_string())
}

/// Names, comma-separated, each read by the type's own `FromStr`, without repeats.
pub fn names<T>(text: &str) -> Result<List<T>, String>
where
    T: FromStr + PartialEq,
    T::Err: std::fmt::Display,
{
    let mut items = Vec::new();
    for name in text.split(',') {
        let item = T::from_str(name).map_err(|e| format!("'{name}': {e}"))?;
        if items.contains(&item) {
            return Err(format!("'{name}' is listed twice"));
        }
        items.push(item);
    }
    Ok(List(items))
}

/// The most counts a list of [`counts`] may hold, ranges expanded: far above any sensible study
/// (`sim herd`'s default has 19), and low enough that the cells of a study fit in memory.
pub const COUNTS_MAX: usize = 1000;

/// Counts and ranges, comma-separated: `10,20,50..100:25`; every count from 1 to 100 000, at
/// most [`COUNTS_MAX`] of them, none twice.
pub fn counts(text: &str) -> Result<List<usize>, String> {
    const MAX: u32 = 100_000;
    let mut counts = Vec::new();
    // Where each count was first listed, to name both items of a repeat.
    let mut listed = std::collections::HashMap::new();
    for item in text.split(',') {
        let (range, step) = match item.split_once(':') {
            Some((range, step)) => (range, positive(step)?),
            None => (item, 1),
        };
        let (first, last) = match range.split_once("..") {
            Some((first, last)) => (at_most(first, MAX)?, at_most(last, MAX)?),
            None if step == 1 && !item.contains(':') => {
                let n = at_most(range, MAX)?;
                (n, n)
            }
            None => return Err(format!("'{item}': a step needs a range, as in 10..190:10")),
        };
        if first == 0 || first > last {
            return Err(format!("'{item}': counts run from 1 up, first to last"));
        }
        // Counted before a range is expanded, so that a long list is refused in little memory.
        let in_range = ((last - first) / step + 1) as usize;
        if counts.len() + in_range > COUNTS_MAX {
            return Err(format!(
                "'{item}': more than {COUNTS_MAX} counts in all; give at most {COUNTS_MAX}"
            ));
        }
        for n in (first..=last).step_by(step as usize) {
            if let Some(earlier) = listed.insert(n, item) {
                let both = if earlier == item {
                    String::new()
                } else {
                    format!(" ('{earlier}' and '{item}')")
                };
                return Err(format!("'{n}' is listed twice{both}"));
            }
            counts.push(n as usize);
        }
    }
    Ok(List(counts))
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
            ("2m", 120_000),
            ("0.5m", 30_000),
            ("1h", 3_600_000),
            ("1.5h", 5_400_000),
            ("0.0001h", 360),
            ("0.001m", 60),
            ("007s", 7000),
            ("1.000000000000000000000000s", 1000),
            ("1193.046h", 4_294_965_600),
        ] {
            assert_eq!(duration_ms(text), Ok(ms), "{text}");
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
            ("5d", "unit"),
            ("5min", "unit"),
            ("0.00001m", "whole number of milliseconds"),
            ("0.0000001h", "whole number of milliseconds"),
            ("0.00000000000000000000001s", "whole number of milliseconds"),
            ("1193.047h", "at most"),
            ("999999999999999999999h", "too large"),
            ("4294968s", "at most"),
            ("99999999999999999999", "too large"),
            (".", "not a number"),
            ("1.2.3", "not a number"),
        ] {
            let error = duration_ms(text).unwrap_err();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn factors() {
        assert_eq!(factor("1.5"), Ok(Factor::from_milli(1500)));
        assert_eq!(factor("2"), Ok(Factor::TWO));
        assert_eq!(factor("1.125"), Ok(Factor::from_milli(1125)));
        assert_eq!(factor("0.5"), Ok(Factor::from_milli(500)));
        assert!(
            factor("1.0001")
                .unwrap_err()
                .contains("three decimal places")
        );
        assert!(factor("-2").unwrap_err().contains("negative"));
        assert!(factor("two").unwrap_err().contains("not a number"));
        assert!(factor("4294968").unwrap_err().contains("too large"));
    }

    #[test]
    fn counts_and_limits() {
        assert_eq!(count("5"), Ok(5));
        assert!(count("-1").unwrap_err().contains("negative"));
        assert!(count("1.5").unwrap_err().contains("whole number"));
        assert!(count("4294967296").unwrap_err().contains("at most"));
        assert!(call_number("0").unwrap_err().contains("from 1"));
        assert_eq!(limit("unlimited"), Ok(Limit(None)));
        assert_eq!(limit("7"), Ok(Limit(Some(7))));
        for bad in ["forever", "-3", "0", "2.5", ""] {
            assert_eq!(
                limit(bad),
                Err("must be a whole number of at least 1, or 'unlimited'".into()),
                "{bad}"
            );
        }
        for too_large in ["4294967296", "99999999999999999999"] {
            assert_eq!(
                limit(too_large),
                Err("must be at most 4294967295, or 'unlimited'".into()),
                "{too_large}"
            );
        }
        assert_eq!(count_up_to::<1024>("1024"), Ok(1024));
        assert!(count_up_to::<1024>("1025").is_err());
    }

    #[test]
    fn client_lists_and_ranges() {
        assert_eq!(counts("10..50:10"), Ok(List(vec![10, 20, 30, 40, 50])));
        assert_eq!(counts("1,3..5"), Ok(List(vec![1, 3, 4, 5])));
        assert_eq!(counts("7"), Ok(List(vec![7])));
        for bad in ["0", "5..1", "", "a..b", "10:2", "1..100001", "1..5:0"] {
            assert!(counts(bad).is_err(), "{bad}");
        }
        assert_eq!(counts("1..1000").map(|c| c.0.len()), Ok(COUNTS_MAX));
        assert_eq!(
            counts("1..1000,1001"),
            Err("'1001': more than 1000 counts in all; give at most 1000".into())
        );
        assert_eq!(
            counts("1..100000:100,100000"),
            Err("'100000': more than 1000 counts in all; give at most 1000".into())
        );
        assert_eq!(counts("10,10"), Err("'10' is listed twice".into()));
        assert_eq!(
            counts("10..20,15"),
            Err("'15' is listed twice ('10..20' and '15')".into())
        );
        assert_eq!(
            counts("1..9:2,2..10:2,5"),
            Err("'5' is listed twice ('1..9:2' and '5')".into())
        );
    }

    #[test]
    fn names_are_read_by_their_type() {
        assert_eq!(
            names::<Jitter>("full,none"),
            Ok(List(vec![Jitter::Full, Jitter::None]))
        );
        assert!(names::<Jitter>("full,full").unwrap_err().contains("twice"));
        let error = names::<Jitter>("full,Full").unwrap_err();
        assert_eq!(error, "'Full': expected none, equal, full or decorrelated");
    }

    #[test]
    fn custom_backoffs() {
        assert!(backoff("10ms:1s:1.5:equal").is_ok());
        assert!(backoff("2s:1s:2:none").unwrap_err().contains("base delay"));
        assert!(backoff("10ms:1s:2:fast").unwrap_err().contains("jitter"));
        assert!(backoff("10ms:1s").is_err());
    }

    #[test]
    fn hints_and_buckets() {
        assert_eq!(retry_after("2:1.5s"), Ok((2, 1500)));
        assert!(retry_after("0:1s").unwrap_err().contains("call"));
        assert!(retry_after("2").is_err());
        assert!(retry_after("2:-1").unwrap_err().contains("delay"));
        let rates = BucketRates {
            capacity: 500,
            cost: 5,
            refill: 1,
        };
        assert_eq!(bucket("500:5:1"), Ok(rates));
        assert!(bucket("500:5").is_err());
        assert!(bucket("500:-5:1").unwrap_err().contains("cost"));
    }

    #[test]
    fn targets() {
        assert_eq!(target_of("-".as_ref()), Ok(Target::Stdout));
        assert_eq!(
            target_of("r.json".as_ref()),
            Ok(Target::File("r.json".into()))
        );
        assert!(target_of("".as_ref()).is_err());
    }
}
