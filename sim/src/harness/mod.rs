//! `sim` without a command: the seed's flaky-operation harness, run through the core on a mock
//! clock, with a JSON report.

pub mod report;
pub mod scenario;

use std::hash::{BuildHasher, RandomState};

use embedded_retry::PolicyError;

use crate::exit::Exit;
use crate::harness::report::Report;
use crate::harness::scenario::Scenario;
use crate::output::{self, Target};
use crate::parse;
use crate::stderr_log::{Level, log};

/// The harness's flags: the scenario, and where its report goes.
#[derive(Debug, clap::Args)]
pub struct HarnessArgs {
    /// Where to write the JSON report; `-` writes it to stdout.
    #[arg(long, value_name = "PATH", default_value = "data/retry_report.json", value_parser = parse::target)]
    pub output: Target,

    /// What to run.
    #[command(flatten)]
    pub scenario: Scenario,
}

/// Runs the harness: the scenario, then its report.
pub fn run(args: HarnessArgs) -> Exit {
    let HarnessArgs {
        output,
        mut scenario,
    } = args;
    // A jitter-free run needs no generator, so it stays byte-for-byte repeatable.
    if scenario.seed.is_none() && scenario.jitter.needs_rng() {
        scenario.seed = Some(pick_seed());
    }
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
                .0
                .map_or("unlimited".into(), |n| n.to_string()),
            scenario.base_delay_ms,
            scenario.max_delay_ms,
            scenario.factor,
            scenario.jitter,
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
    match &output {
        Target::Stdout => {
            print!("{json}");
            // stdout holds the report, so the summary goes with the logs.
            eprintln!("{}", report.summary());
        }
        Target::File(path) => {
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
