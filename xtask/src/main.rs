//! Project tasks beyond plain cargo. `cargo xtask ci` runs every check and test.

use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci    formatting, lints, docs and every test: what CI runs";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["ci"] => ci(),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("xtask: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// One step of a task: a cargo command and the environment it needs.
struct Step {
    what: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const CI: &[Step] = &[
    Step {
        what: "formatting",
        args: &["fmt", "--all", "--check"],
        env: &[],
    },
    Step {
        what: "lints",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        what: "lints with the core's defmt feature",
        args: &[
            "clippy",
            "--package",
            "retry-backoff",
            "--all-targets",
            "--features",
            "defmt",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        what: "docs",
        args: &["doc", "--workspace", "--no-deps"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
    Step {
        what: "host tests",
        args: &["test", "--workspace"],
        env: &[],
    },
];

fn ci() -> Result<(), String> {
    let started = Instant::now();
    for step in CI {
        run(step)?;
    }
    println!("xtask ci: all passed in {:.0?}", started.elapsed());
    Ok(())
}

fn run(step: &Step) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("xtask: {} (cargo {})", step.what, step.args.join(" "));
    let status = Command::new(&cargo)
        .args(step.args)
        .envs(step.env.iter().copied())
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", step.what))
    }
}
