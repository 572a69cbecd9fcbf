//! The JSON report of a run (schema version 3, documented in the README), written as the run
//! goes: each operation's entry as it finishes, so that the report of a run of any length is
//! written in the memory of one operation.

use std::cell::Cell;
use std::io::{self, Write};
use std::ops::ControlFlow;

use embedded_retry::{AttemptOutcome, StopReason};
use serde::ser::{Error as _, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::harness::scenario::{self, Operation, Scenario, SimError, SimPolicy, by_name};

/// The version of the report's layout; it changes whenever a key changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 3;

/// The report's top level. Serde writes the fields in this order, and writing `body` runs the
/// operations, so the fields after it read the totals of a finished run.
#[derive(Serialize)]
struct Report<'a> {
    /// [`SCHEMA_VERSION`].
    schema_version: u32,
    /// The operation or operations, with the run's status.
    #[serde(flatten)]
    body: Body<'a>,
    /// The policy's attempt limit; `null` when unlimited.
    max_attempts: Option<u32>,
    /// Milliseconds from the start of the run to its end, on the run's clock.
    elapsed_ms: Late<'a, u64>,
    /// `"mock"` (virtual time) or `"real"` (`--real-time`).
    clock: &'static str,
    /// The effective settings and seed, enough to repeat the run.
    policy: &'a Scenario,
}

/// One operation at the top level (the default), or several in `operations`.
#[derive(Serialize)]
#[serde(untagged)]
enum Body<'a> {
    /// The one operation's keys beside the run's status.
    Single {
        /// `"success"` or `"failed"`.
        status: &'static str,
        /// The operation's report.
        #[serde(flatten)]
        operation: Box<OperationReport>,
    },
    /// Entries written as the operations finish; the run's status once they all have.
    Several {
        /// One entry per operation.
        operations: Operations<'a>,
        /// `"success"` when every operation succeeded, else `"failed"`.
        status: Late<'a, &'static str>,
    },
}

/// One operation: its attempts and how its run ended.
#[derive(Debug, Serialize)]
pub struct OperationReport {
    /// The operation's number, from 1 (only in `operations`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<u32>,
    /// `"success"` or `"failed"` (only in `operations`; at the top the run's status says it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// Why the run stopped, by the core's name for it.
    #[serde(serialize_with = "by_name")]
    pub stop_reason: StopReason,
    /// The operation's value on success, as the seed reports it; `null` on failure.
    pub result: Option<ResultEntry>,
    /// The last `--log-capacity` calls of the operation, oldest first.
    pub attempts: Vec<AttemptEntry>,
    /// The number of calls made, kept in `attempts` or not.
    pub total_attempts: u32,
    /// Calls made whose entries `attempts` does not keep (the oldest).
    pub attempts_dropped: u32,
    /// Milliseconds actually slept: every sleep of the run, kept in `attempts` or not.
    pub total_delay_ms: u64,
    /// The last error, on failure; `null` on success.
    pub error: Option<String>,
    /// Tokens left in the retry budget after this operation; only with `--retry-budget`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_budget_left: Option<u32>,
}

/// The seed's success value.
#[derive(Debug, Serialize)]
pub struct ResultEntry {
    /// Always `"success"`.
    pub result: &'static str,
    /// How many times the operation was called.
    pub total_calls: u32,
}

/// One call of the operation.
#[derive(Debug, Serialize)]
pub struct AttemptEntry {
    /// The attempt's number, from 1.
    pub attempt: u32,
    /// `"success"`, `"failed"` or `"not_retryable"`.
    pub status: &'static str,
    /// What followed a failure: `"retry"`, `"retry_after"` (a hinted delay) or `"stop"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<&'static str>,
    /// The error message, where the call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The delay the error hinted at, where it did and a retry followed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint_ms: Option<u32>,
    /// The milliseconds slept after this call, only where a sleep followed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u32>,
    /// Milliseconds since the start of the run when this call started.
    pub elapsed_ms: u64,
}

/// What a run came to, counted as its operations finish: all that the summary line and the
/// report's last keys need, and nothing that grows with the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Operations finished.
    pub operations: u64,
    /// Of those, the ones that failed.
    pub failed: u64,
    /// Calls made by all of them.
    pub attempts: u64,
    /// Milliseconds slept by all of them.
    pub delay_ms: u64,
    /// Milliseconds since the run began when the last of them ended.
    pub ended_ms: u64,
}

impl Totals {
    /// Adds `operation` to the totals in `cell`.
    fn count(cell: &Cell<Totals>, operation: &Operation<'_>) {
        let outcome = operation.outcome;
        let mut totals = cell.get();
        totals.operations += 1;
        totals.failed += u64::from(!outcome.is_success());
        totals.attempts += u64::from(outcome.total_attempts());
        totals.delay_ms = totals.delay_ms.saturating_add(outcome.total_delay_ms());
        totals.ended_ms = operation.ended_ms;
        cell.set(totals);
    }

    /// Whether every operation succeeded.
    pub fn succeeded(&self) -> bool {
        self.failed == 0
    }

    /// The one-line summary the seed prints: `Success after 3 attempts (total delay: 300 ms)`,
    /// with the number of operations when `several` were asked for.
    pub fn summary(&self, several: bool) -> String {
        let status = if self.succeeded() {
            "Success"
        } else {
            "Failed"
        };
        let (attempts, delay) = (self.attempts, self.delay_ms);
        if several {
            format!(
                "{status} after {attempts} attempts in {} operations (total delay: {delay} ms)",
                self.operations
            )
        } else {
            format!("{status} after {attempts} attempts (total delay: {delay} ms)")
        }
    }
}

/// A value of the totals, read when it is written: after the operations, which come first.
struct Late<'a, T> {
    totals: &'a Cell<Totals>,
    read: fn(&Totals) -> T,
}

impl<T: Serialize> Serialize for Late<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.read)(&self.totals.get()).serialize(serializer)
    }
}

/// The operations of a run of several, run as they are written, one entry each.
struct Operations<'a> {
    scenario: &'a Scenario,
    policy: SimPolicy,
    totals: &'a Cell<Totals>,
}

impl Serialize for Operations<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entries = serializer.serialize_seq(None)?;
        let mut failed = None;
        let keep = self.scenario.log_capacity;
        let mut number = 0;
        let ran = scenario::run(self.scenario, self.policy, &mut |operation| {
            number += 1;
            let entry = operation_report(operation, Some(number), keep);
            if let Err(error) = entries.serialize_element(&entry) {
                failed = Some(error);
                return ControlFlow::Break(());
            }
            Totals::count(self.totals, operation);
            ControlFlow::Continue(())
        });
        if let Some(error) = failed {
            return Err(error);
        }
        ran.map_err(S::Error::custom)?;
        entries.end()
    }
}

/// Runs `scenario` under `policy` (from [`Scenario::check`]) and writes its report to `out`,
/// pretty-printed and ending with a newline, each operation's entry as it finishes.
///
/// # Errors
/// The first error writing to `out`; the run stops there.
pub fn write(out: impl Write, scenario: &Scenario, policy: SimPolicy) -> io::Result<Totals> {
    let totals = Cell::new(Totals::default());
    let body = if scenario.operations > 1 {
        Body::Several {
            operations: Operations {
                scenario,
                policy,
                totals: &totals,
            },
            status: Late {
                totals: &totals,
                read: |t| status_name(t.succeeded()),
            },
        }
    } else {
        let mut single = None;
        scenario::run(scenario, policy, &mut |operation| {
            single = Some(operation_report(operation, None, scenario.log_capacity));
            Totals::count(&totals, operation);
            ControlFlow::Continue(())
        })
        .map_err(io::Error::other)?;
        let operation = single.ok_or_else(|| io::Error::other("the run made no operation"))?;
        Body::Single {
            status: status_name(totals.get().succeeded()),
            operation: Box::new(operation),
        }
    };
    let report = Report {
        schema_version: SCHEMA_VERSION,
        body,
        max_attempts: scenario.max_attempts.0,
        elapsed_ms: Late {
            totals: &totals,
            read: |t| t.ended_ms,
        },
        clock: if scenario.real_time { "real" } else { "mock" },
        policy: scenario,
    };
    let mut out = io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut out, &report)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(totals.get())
}

fn operation_report(
    operation: &Operation<'_>,
    number: Option<u32>,
    keep: usize,
) -> OperationReport {
    let outcome = operation.outcome;
    let log = outcome.log();
    // The last `keep` records, each with its start: both windows end at the last attempt.
    let kept = log.len().min(keep);
    let started = &operation.started_ms;
    let started = started.iter().skip(started.len().saturating_sub(kept));
    let attempts: Vec<AttemptEntry> = log
        .iter()
        .skip(log.len() - kept)
        .zip(started)
        .map(|(attempt, &elapsed_ms)| {
            // The error that ended the run is the outcome's, not repeated in its record; a
            // timed-out call's is the timeout.
            let error = match attempt.outcome {
                AttemptOutcome::Stopped { .. } => outcome.last_error(),
                AttemptOutcome::TimedOut { .. } => Some(&SimError::TimedOut),
                _ => attempt.error(),
            };
            let failed = if error == Some(&SimError::TimedOut) {
                "timed_out"
            } else {
                "failed"
            };
            let decided = |hint_ms: Option<u32>| match hint_ms {
                None => Some("retry"),
                Some(_) => Some("retry_after"),
            };
            let (status, decision, hint_ms) = match *attempt.outcome {
                AttemptOutcome::Succeeded => ("success", None, None),
                AttemptOutcome::Retried { hint_ms, .. }
                | AttemptOutcome::TimedOut { hint_ms, .. } => (failed, decided(hint_ms), hint_ms),
                AttemptOutcome::Stopped {
                    reason: StopReason::NotRetryable,
                    ..
                } => ("not_retryable", Some("stop"), None),
                _ => (failed, Some("stop"), None),
            };
            AttemptEntry {
                attempt: attempt.number,
                status,
                decision,
                error: error.map(ToString::to_string),
                hint_ms,
                delay_ms: attempt.slept_ms(),
                elapsed_ms,
            }
        })
        .collect();
    OperationReport {
        operation: number,
        status: number.map(|_| status_name(outcome.is_success())),
        stop_reason: outcome.stop_reason(),
        result: outcome.value().map(|success| ResultEntry {
            result: "success",
            total_calls: success.total_calls,
        }),
        total_attempts: outcome.total_attempts(),
        attempts_dropped: outcome
            .total_attempts()
            .saturating_sub(u32::try_from(attempts.len()).unwrap_or(u32::MAX)),
        attempts,
        total_delay_ms: outcome.total_delay_ms(),
        error: outcome.last_error().map(ToString::to_string),
        retry_budget_left: operation.budget_left,
    }
}

fn status_name(success: bool) -> &'static str {
    if success { "success" } else { "failed" }
}
