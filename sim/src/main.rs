//! `cargo run -p sim -- --help` for the flags.

use std::process::ExitCode;

fn main() -> ExitCode {
    sim::cli::main_with(std::env::args_os()).into()
}
