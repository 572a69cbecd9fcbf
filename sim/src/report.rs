//! The JSON report of a run (schema version 1, documented in the README).

use retry_backoff::{AttemptOutcome, StopReason};
use serde::Serialize;

use crate::args::jitter_name;
use crate::scenario::{Run, Scenario};

/// The version of the report's layout; it changes whenever a key changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `"success"` or `"failed"`.
    pub status: &'static str,
    /// Why the run stopped: `"success"`, `"not_retryable"` or `"attempts_exhausted"`.
    pub stop_reason: &'static str,
    /// The operation's value on success, as the seed reports it; `null` on failure.
    pub result: Option<ResultEntry>,
    /// One entry per call of the operation.
    pub attempts: Vec<AttemptEntry>,
    /// The number of calls made.
    pub total_attempts: u32,
    /// Milliseconds actually slept: the sum of the attempts' `delay_ms`.
    pub total_delay_ms: u64,
    /// The policy's attempt limit.
    pub max_attempts: u32,
    /// The last error, on failure; `null` on success.
    pub error: Option<String>,
    /// Milliseconds from the start of the run to its end, on the run's clock.
    pub elapsed_ms: u64,
    /// `"mock"` (virtual time) or `"real"` (`--real-time`).
    pub clock: &'static str,
    /// The effective policy and seed, enough to repeat the run.
    pub policy: PolicyEntry,
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
    /// `"success"`, `"failed"` (retryable) or `"not_retryable"`.
    pub status: &'static str,
    /// The error message, where the call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The milliseconds slept after this call, only where a sleep followed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u32>,
    /// Milliseconds since the start of the run when this call started.
    pub elapsed_ms: u64,
}

/// The settings the run used.
#[derive(Debug, Serialize)]
pub struct PolicyEntry {
    /// Total attempts, the first included.
    pub max_attempts: u32,
    /// Delay before the first retry.
    pub base_delay_ms: u32,
    /// Cap on every delay.
    pub max_delay_ms: u32,
    /// Growth of the delay after each retry (a decimal with at most three places).
    pub factor: f64,
    /// `"none"`, `"equal"`, `"full"` or `"decorrelated"`.
    pub jitter: &'static str,
    /// Seed of the jitter generator; `null` when the policy has no jitter and none was given.
    pub seed: Option<u64>,
    /// Calls that fail before the operation succeeds.
    pub fail_count: u32,
    /// The call that fails with a non-retryable error, if any.
    pub non_retryable_at: Option<u32>,
}

impl Report {
    /// Builds the report of `run`, made from `scenario`.
    pub fn new(scenario: &Scenario, run: &Run) -> Self {
        let outcome = &run.outcome;
        let attempts: Vec<AttemptEntry> = outcome
            .log()
            .iter()
            .zip(&run.started_ms)
            .map(|(attempt, &elapsed_ms)| AttemptEntry {
                attempt: attempt.number,
                status: match attempt.outcome {
                    AttemptOutcome::Succeeded => "success",
                    AttemptOutcome::NotRetryable(_) => "not_retryable",
                    AttemptOutcome::Retried { .. } | AttemptOutcome::OutOfAttempts(_) => "failed",
                },
                error: attempt.error().map(ToString::to_string),
                delay_ms: attempt.slept_ms(),
                elapsed_ms,
            })
            .collect();
        Report {
            schema_version: SCHEMA_VERSION,
            status: if outcome.is_success() {
                "success"
            } else {
                "failed"
            },
            stop_reason: match outcome.stop_reason() {
                StopReason::Succeeded => "success",
                StopReason::NotRetryable => "not_retryable",
                StopReason::AttemptsExhausted => "attempts_exhausted",
            },
            result: outcome.value().map(|success| ResultEntry {
                result: "success",
                total_calls: success.total_calls,
            }),
            total_attempts: u32::try_from(attempts.len()).unwrap_or(u32::MAX),
            attempts,
            total_delay_ms: outcome.total_delay_ms(),
            max_attempts: scenario.max_attempts,
            error: outcome.last_error().map(ToString::to_string),
            elapsed_ms: run.elapsed_ms,
            clock: if scenario.real_time { "real" } else { "mock" },
            policy: PolicyEntry {
                max_attempts: scenario.max_attempts,
                base_delay_ms: scenario.base_delay_ms,
                max_delay_ms: scenario.max_delay_ms,
                factor: f64::from(scenario.factor.milli()) / 1000.0,
                jitter: jitter_name(scenario.jitter),
                seed: scenario.seed,
                fail_count: scenario.fail_count,
                non_retryable_at: scenario.non_retryable_at,
            },
        }
    }

    /// The report as pretty-printed JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }

    /// The one-line summary the seed prints: `Success after 3 attempts (total delay: 300 ms)`.
    pub fn summary(&self) -> String {
        let status = if self.result.is_some() {
            "Success"
        } else {
            "Failed"
        };
        format!(
            "{status} after {} attempts (total delay: {} ms)",
            self.total_attempts, self.total_delay_ms
        )
    }
}
