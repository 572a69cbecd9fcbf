//! `sim` without a command: the seed's flaky-operation harness, run through the core on a mock
//! clock, with a JSON report.

pub mod report;
pub mod scenario;

use std::hash::{BuildHasher, RandomState};
use std::io;

use crate::exit::Exit;
use crate::harness::scenario::Scenario;
use crate::output::{AtomicFile, Target, plain, shown, to_stderr, to_stdout_or_say};
use crate::parse;
use crate::stderr_log::{Level, log};

/// The harness's flags: the scenario, and where its report goes.
#[derive(Debug, clap::Args)]
pub struct HarnessArgs {
    /// Where to write the JSON report; `-` writes it to stdout.
    #[arg(long, value_name = "PATH", default_value = "data/retry_report.json", value_parser = parse::target())]
    pub output: Target,

    /// What to run.
    #[command(flatten)]
    pub scenario: Scenario,
}

/// Runs the harness: checks the scenario, opens the report, then runs the scenario into it.
pub fn run(args: HarnessArgs) -> Exit {
    let HarnessArgs {
        output,
        mut scenario,
    } = args;
    // A jitter-free run needs no generator, so it stays byte-for-byte repeatable.
    if scenario.seed.is_none() && scenario.jitter.needs_rng() {
        scenario.seed = Some(pick_seed());
    }
    let policy = match scenario.check() {
        Ok(policy) => policy,
        Err(refused) => {
            to_stderr(&format!("error: {refused}\n"));
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
    let several = scenario.operations > 1;
    let totals = match &output {
        Target::Stdout => match report::write(io::stdout().lock(), &scenario, policy) {
            Ok(totals) => {
                // stdout holds the report, so the summary goes with the logs.
                to_stderr(&format!("{}\n", totals.summary(several)));
                totals
            }
            Err(error) => {
                to_stderr(&format!(
                    "error: cannot write the report to stdout: {}\n",
                    plain(&error)
                ));
                return Exit::Write;
            }
        },
        Target::File(path) => {
            let written = AtomicFile::create(path).and_then(|mut file| {
                let on_stdout = file.is_stdout();
                let totals = report::write(&mut file, &scenario, policy)
                    .map_err(|error| file.failed(&error))?;
                file.commit().map(|()| (totals, on_stdout))
            });
            match written {
                Ok((totals, on_stdout)) => {
                    log(Level::Info, &format!("Report written to {}", shown(path)));
                    // A path to stdout (`/dev/stdout`) gets the report alone, as `-` does.
                    let summary = format!("{}\n", totals.summary(several));
                    if on_stdout {
                        to_stderr(&summary);
                    } else if !to_stdout_or_say(&summary, "the summary") {
                        // The report is in place; what could not be written is the summary.
                        return Exit::Write;
                    }
                    totals
                }
                Err(error) => {
                    to_stderr(&format!("error: {error}\n"));
                    return Exit::Write;
                }
            }
        }
    };
    if totals.succeeded() {
        Exit::Success
    } else {
        Exit::Failed
    }
}

/// A seed for a run without `--seed`: random, below 2^53 so that any JSON reader keeps it exact.
fn pick_seed() -> u64 {
    RandomState::new().hash_one(std::process::id()) & ((1 << 53) - 1)
}
