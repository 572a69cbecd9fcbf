//! The JSON report of a run (schema version 3, documented in the README).

use embedded_retry::{AttemptOutcome, StopReason};
use serde::Serialize;

use crate::harness::scenario::{Operation, Run, Scenario, by_name};

/// The version of the report's layout; it changes whenever a key changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 3;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `"success"` when every operation succeeded, else `"failed"`.
    pub status: &'static str,
    /// The operation's own report, when there is one operation (the default).
    #[serde(flatten)]
    pub single: Option<OperationReport>,
    /// One entry per operation, when `--operations` asks for more than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations: Option<Vec<OperationReport>>,
    /// The policy's attempt limit; `null` when unlimited.
    pub max_attempts: Option<u32>,
    /// Milliseconds from the start of the run to its end, on the run's clock.
    pub elapsed_ms: u64,
    /// `"mock"` (virtual time) or `"real"` (`--real-time`).
    pub clock: &'static str,
    /// The effective settings and seed, enough to repeat the run.
    pub policy: &'a Scenario,
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

fn operation_report(operation: &Operation, number: Option<u32>, keep: usize) -> OperationReport {
    let outcome = &operation.outcome;
    let log = outcome.log();
    let attempts: Vec<AttemptEntry> = log
        .iter()
        .skip(log.len().saturating_sub(keep))
        .map(|attempt| {
            let elapsed_ms = usize::try_from(attempt.number - 1)
                .ok()
                .and_then(|i| operation.started_ms.get(i))
                .copied()
                .unwrap_or_default();
            let (status, decision, hint_ms) = match attempt.outcome {
                AttemptOutcome::Succeeded => ("success", None, None),
                AttemptOutcome::Retried { hint_ms: None, .. } => ("failed", Some("retry"), None),
                AttemptOutcome::Retried { hint_ms, .. } => ("failed", Some("retry_after"), hint_ms),
                AttemptOutcome::Stopped {
                    reason: StopReason::NotRetryable,
                    ..
                } => ("not_retryable", Some("stop"), None),
                _ => ("failed", Some("stop"), None),
            };
            // The error that ended the run is the outcome's, not repeated in its record.
            let error = match attempt.outcome {
                AttemptOutcome::Stopped { .. } => outcome.last_error(),
                _ => attempt.error(),
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

impl<'a> Report<'a> {
    /// Builds the report of `run`, made from `scenario`.
    pub fn new(scenario: &'a Scenario, run: &Run) -> Self {
        let succeeded = run.operations.iter().all(|o| o.outcome.is_success());
        let (single, operations) = match &run.operations[..] {
            [only] if scenario.operations <= 1 => (
                Some(operation_report(only, None, scenario.log_capacity)),
                None,
            ),
            all => (
                None,
                Some(
                    all.iter()
                        .zip(1..)
                        .map(|(operation, n)| {
                            operation_report(operation, Some(n), scenario.log_capacity)
                        })
                        .collect(),
                ),
            ),
        };
        Report {
            schema_version: SCHEMA_VERSION,
            status: status_name(succeeded),
            single,
            operations,
            max_attempts: scenario.max_attempts.0,
            elapsed_ms: run.operations.last().map_or(0, |o| o.ended_ms),
            clock: if scenario.real_time { "real" } else { "mock" },
            policy: scenario,
        }
    }

    /// Whether every operation succeeded.
    pub fn succeeded(&self) -> bool {
        self.status == "success"
    }

    /// The report as pretty-printed JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }

    /// The one-line summary the seed prints: `Success after 3 attempts (total delay: 300 ms)`,
    /// with the number of operations when there are several.
    pub fn summary(&self) -> String {
        let status = if self.succeeded() {
            "Success"
        } else {
            "Failed"
        };
        let runs: Vec<&OperationReport> = match (&self.single, &self.operations) {
            (Some(single), _) => vec![single],
            (None, Some(all)) => all.iter().collect(),
            (None, None) => Vec::new(),
        };
        let attempts: u32 = runs.iter().map(|r| r.total_attempts).sum();
        let delay: u64 = runs.iter().map(|r| r.total_delay_ms).sum();
        match &self.operations {
            Some(all) => format!(
                "{status} after {attempts} attempts in {} operations (total delay: {delay} ms)",
                all.len()
            ),
            None => format!("{status} after {attempts} attempts (total delay: {delay} ms)"),
        }
    }
}
