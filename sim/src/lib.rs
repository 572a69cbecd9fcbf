//! The `sim` program: the seed's retry harness, run through the `embedded-retry` core on a mock
//! clock, with a JSON report.
//!
//! The binary is a thin wrapper around [`main_with`]; the modules are public so that
//! integration tests can drive each piece.

pub mod args;
pub mod chart;
pub mod herd;
pub mod herd_command;
pub mod output;
pub mod report;
pub mod scenario;
pub mod stderr_log;

use std::ffi::OsString;
use std::hash::{BuildHasher, RandomState};
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use embedded_retry::PolicyError;

use crate::args::{Args, Command, Output, jitter_name};
use crate::report::Report;
use crate::scenario::Scenario;
use crate::stderr_log::{Level, log};

/// The process's exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The operation succeeded and the report was written.
    Success = 0,
    /// The operation failed; the report was written.
    Failed = 1,
    /// The command line or the policy was invalid; nothing was run or written.
    Usage = 2,
    /// The report could not be written; an existing report is unchanged.
    Write = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Runs the program on `argv` (program name first).
pub fn main_with<I, T>(argv: I) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(error) => return clap_exit(&error),
    };
    if let Some(Command::Herd(herd)) = &args.command {
        return herd_command::run(herd);
    }
    let scenario = Scenario {
        max_attempts: args.max_attempts.0,
        log_capacity: args.log_capacity,
        base_delay_ms: args.base_delay,
        max_delay_ms: args.max_delay,
        factor: args.factor,
        jitter: args.jitter,
        // A jitter-free run needs no generator, so it stays byte-for-byte repeatable.
        seed: args
            .seed
            .or_else(|| args.jitter.needs_rng().then(pick_seed)),
        fail_count: args.fail_count,
        non_retryable_at: args.non_retryable_at,
        retry_after: args.retry_after_at.clone(),
        hint_above_cap: args.hint_above_cap,
        delay_budget_ms: args.delay_budget.map(u64::from),
        deadline_ms: args.deadline.map(u64::from),
        op_time_ms: args.op_time,
        retry_budget: args.retry_budget,
        operations: args.operations,
        real_time: args.real_time,
    };
    let policy = match scenario.policy() {
        Ok(policy) => policy,
        Err(error) => {
            eprintln!("error: {}", policy_error_line(&error));
            return Exit::Usage;
        }
    };

    log(
        Level::Info,
        &format!(
            "Policy: {} attempts, base {} ms, cap {} ms, factor {}, jitter {}, seed {}, {} clock",
            scenario
                .max_attempts
                .map_or("unlimited".into(), |n| n.to_string()),
            scenario.base_delay_ms,
            scenario.max_delay_ms,
            scenario.factor,
            jitter_name(scenario.jitter),
            scenario.seed.map_or("none".into(), |seed| seed.to_string()),
            if scenario.real_time { "real" } else { "mock" },
        ),
    );
    let run = match scenario::run(&scenario, policy) {
        Ok(run) => run,
        Err(error) => {
            eprintln!("error: {}", policy_error_line(&error));
            return Exit::Usage;
        }
    };
    let report = Report::new(&scenario, &run);
    log(Level::Info, &format!("Retry run: {}", report.summary()));
    let json = report.to_json();
    match &args.output {
        Output::Stdout => {
            print!("{json}");
            // stdout holds the report, so the summary goes with the logs.
            eprintln!("{}", report.summary());
        }
        Output::File(path) => {
            if let Err(error) = output::write_atomically(path, json.as_bytes()) {
                eprintln!("error: {error}");
                return Exit::Write;
            }
            log(
                Level::Info,
                &format!("Report written to {}", path.display()),
            );
            println!("{}", report.summary());
        }
    }
    if report.succeeded() {
        Exit::Success
    } else {
        Exit::Failed
    }
}

/// Prints clap's help or version (exit 0), or the first line of its error (exit 2).
fn clap_exit(error: &clap::Error) -> Exit {
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        print!("{error}");
        return Exit::Success;
    }
    let rendered = error.render().to_string();
    eprintln!(
        "{}",
        rendered
            .lines()
            .next()
            .unwrap_or("error: invalid arguments")
    );
    Exit::Usage
}

/// One line naming the flag behind a policy the core refused.
pub fn policy_error_line(error: &PolicyError) -> String {
    match error {
        PolicyError::ZeroAttempts => {
            "invalid value '0' for '--max-attempts <N>': at least one attempt is needed".into()
        }
        PolicyError::BaseAboveCap { base_ms, cap_ms } => {
            format!("'--base-delay' ({base_ms} ms) is above '--max-delay' ({cap_ms} ms)")
        }
        PolicyError::FactorBelowOne { factor } => {
            format!("invalid value '{factor}' for '--factor <F>': must be at least 1")
        }
        _ => error.to_string(),
    }
}

/// A seed for a run without `--seed`: random, below 2^53 so that any JSON reader keeps it exact.
fn pick_seed() -> u64 {
    RandomState::new().hash_one(std::process::id()) & ((1 << 53) - 1)
}
