//! Project tasks beyond plain cargo. `cargo xtask ci` runs every check and test.

mod bench;
mod elf;
mod firmware;
mod mutants;
mod qemu;
mod size;
mod toolchain;

use std::process::{Command, ExitCode};
use std::time::Instant;

use toolchain::{TARGETS, Thumb};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci                        every check and test, host and firmware: what CI runs
  firmware --board BOARD    build the firmware, run it in QEMU, print its log, exit with its
                            status (BOARD: lm3s6965evb or microbit)
  size                      flash and RAM of the firmware, and the flash the retry engine adds
  mutants                   mutation testing of the core (slow; not part of ci)
  bench                     the host benchmarks beside backon, backoff and exponential-backoff";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["ci"] => ci(),
        ["firmware", "--board", board] => return firmware(board),
        ["size"] => Thumb::ensure().and_then(size::report),
        ["mutants"] => mutants::run(&firmware::root()),
        ["bench"] => bench::run(&firmware::root()),
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

/// `cargo xtask firmware --board BOARD`: exits with the firmware's own status.
fn firmware(board: &str) -> ExitCode {
    let run = firmware::board(board)
        .and_then(|board| Ok((board, Thumb::ensure()?)))
        .and_then(|(board, thumb)| firmware::run_bin(thumb, board, "sensor"));
    match run {
        Ok(run) => ExitCode::from(u8::try_from(run.status).unwrap_or(1)),
        Err(failure) => {
            eprintln!("xtask: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// A cargo command of the host workspace and the environment it needs.
struct Step {
    what: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const HOST_STEPS: &[Step] = &[
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
            "embedded-retry",
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
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for step in HOST_STEPS {
        println!("xtask: {} (cargo {})", step.what, step.args.join(" "));
        let mut command = Command::new(&cargo);
        command.args(step.args).envs(step.env.iter().copied());
        firmware::run_step(command, step.what)?;
    }

    println!("xtask: firmware formatting");
    let mut command = Command::new(&cargo);
    command.args(["fmt", "--all", "--check", "--manifest-path"]);
    command.arg(firmware::workspace().join("Cargo.toml"));
    firmware::run_step(command, "firmware formatting")?;

    let thumb = Thumb::ensure()?;
    println!("xtask: thumb targets through {thumb:?}");
    for target in TARGETS {
        for features in ["", "defmt"] {
            println!("xtask: the core alone for {target}, features [{features}]");
            let mut command = thumb.cargo_build(&firmware::workspace(), target);
            command.args([
                "--manifest-path",
                "../core/Cargo.toml",
                "--features",
                features,
            ]);
            firmware::run_step(command, "the core's no_std build")?;
        }
    }
    println!("xtask: no panic path (the probe links only without one)");
    for board in firmware::BOARDS {
        firmware::build(thumb, board, "probe", &["any-policy"], "probe")?;
    }
    firmware::check_all(thumb)?;
    size::report(thumb)?;
    println!("xtask ci: all passed in {:.0?}", started.elapsed());
    Ok(())
}
