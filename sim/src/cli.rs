//! The command line: which command runs, and what clap's own errors exit with.

use std::ffi::OsString;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

use crate::exit::Exit;
use crate::harness::{self, HarnessArgs};
use crate::herd::{self, HerdArgs};
use crate::output::{plain, to_stderr, to_stdout};
use crate::storm::{self, StormArgs};

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
pub struct Cli {
    /// Something other than the seed's harness.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The harness's flags, when no command is given.
    #[command(flatten)]
    pub harness: HarnessArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate many clients contending for one resource under each backoff strategy (the
    /// classic contention study), and report mean completion time and calls.
    Herd(HerdArgs),
    /// Simulate what retries cost a struggling server (a server failing a share of attempts,
    /// and one collapsing under load), with and without budgets and breakers, and report
    /// success, load and successes per second.
    Storm(StormArgs),
}

/// Runs the program on `argv` (program name first).
pub fn main_with<I, T>(argv: I) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match Cli::try_parse_from(argv) {
        Err(error) => clap_exit(&error),
        Ok(Cli {
            command: Some(Command::Herd(args)),
            ..
        }) => herd::run(&args),
        Ok(Cli {
            command: Some(Command::Storm(args)),
            ..
        }) => storm::run(&args),
        Ok(Cli {
            command: None,
            harness,
        }) => harness::run(harness),
    }
}

/// Prints clap's help or version (exit 0, or 3 when stdout cannot take it), or the first line
/// of its error (exit 2).
fn clap_exit(error: &clap::Error) -> Exit {
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        return match to_stdout(&error.to_string()) {
            Ok(()) => Exit::Success,
            Err(failed) => {
                to_stderr(&format!(
                    "error: cannot write to stdout: {}\n",
                    plain(&failed)
                ));
                Exit::Write
            }
        };
    }
    if let Some(stray) = stray_word(error) {
        to_stderr(&format!(
            "error: unexpected argument '{stray}': the commands are herd and storm, and a \
             flag's value follows it (`--fail-count 3`)\n"
        ));
        return Exit::Usage;
    }
    let rendered = error.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("error: invalid arguments");
    to_stderr(&format!("{first}\n"));
    Exit::Usage
}

/// A word after the harness's flags that is no flag, value or command, which clap reports as a
/// subcommand that "cannot be used with" the flags before it.
fn stray_word(error: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    if error.kind() != ErrorKind::ArgumentConflict {
        return None;
    }
    match error.get(ContextKind::InvalidSubcommand) {
        Some(ContextValue::String(word)) if !matches!(word.as_str(), "herd" | "storm") => {
            Some(word.clone())
        }
        _ => None,
    }
}
