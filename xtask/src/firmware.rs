//! The firmware on its emulated boards: build, run in QEMU, and check what it printed.

use std::path::{Path, PathBuf};
use std::process::Command;

use embedded_retry::{Backoff, Factor, Jitter};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;

use crate::qemu;
use crate::toolchain::Thumb;

/// An emulated board.
#[derive(Clone, Copy, Debug)]
pub struct Board {
    /// The board's name, as QEMU's `-machine` and the firmware's feature know it.
    pub name: &'static str,
    /// The chip, for people.
    pub chip: &'static str,
    /// The Rust target.
    pub target: &'static str,
    /// QEMU's `-cpu`, where the machine needs one.
    pub cpu: Option<&'static str>,
}

/// Both boards: a Cortex-M3 and a Cortex-M0 (no FPU, no 64-bit multiply in hardware).
pub const BOARDS: [Board; 2] = [
    Board {
        name: "lm3s6965evb",
        chip: "Cortex-M3",
        target: "thumbv7m-none-eabi",
        cpu: Some("cortex-m3"),
    },
    Board {
        name: "microbit",
        chip: "Cortex-M0",
        target: "thumbv6m-none-eabi",
        cpu: None,
    },
];

/// The board called `name`.
pub fn board(name: &str) -> Result<Board, String> {
    BOARDS
        .into_iter()
        .find(|b| b.name == name)
        .ok_or_else(|| format!("unknown board '{name}': use lm3s6965evb or microbit"))
}

/// The root of the repository.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The firmware workspace, inside the root one but not part of it.
pub fn workspace() -> PathBuf {
    root().join("firmware-example")
}

/// Runs `command`, failing with `what` if it does not succeed.
pub fn run_step(mut command: Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// Builds package `package` of the firmware workspace for `board` with `features`, and returns
/// the path of its binary `bin`.
pub fn build(
    thumb: Thumb,
    board: Board,
    package: &str,
    features: &[&str],
    bin: &str,
) -> Result<PathBuf, String> {
    let mut command = thumb.cargo_build(&workspace(), board.target);
    let mut all = vec![board.name];
    all.extend_from_slice(features);
    command.args(["--package", package, "--features", &all.join(",")]);
    run_step(command, &format!("building {package} for {}", board.name))?;
    Ok(workspace().join(format!("target/{}/release/{bin}", board.target)))
}

/// Builds the firmware's binaries for `board`, runs `bin` in QEMU, prints its log, and returns
/// its exit status.
pub fn run_bin(thumb: Thumb, board: Board, bin: &str) -> Result<qemu::Run, String> {
    let elf = build(thumb, board, "firmware-example", &[], bin)?;
    println!("xtask: running {bin} on {} ({})", board.name, board.chip);
    let run = qemu::run(board.name, board.cpu, &elf)?;
    for line in &run.lines {
        println!("  {line}");
    }
    println!("xtask: {bin} on {} exited with {}", board.name, run.status);
    Ok(run)
}

/// Every firmware check on every board: the demo succeeds, the on-target checks pass and print
/// what the host computes, and the failing scenario fails.
pub fn check_all(thumb: Thumb) -> Result<(), String> {
    for board in BOARDS {
        let sensor = run_bin(thumb, board, "sensor")?;
        expect_status(&sensor, 0, "sensor", board)?;
        expect_line(&sensor, "attempt 4: Succeeded", "sensor", board)?;
        compare_sleeps_with_host(&sensor.lines)
            .map_err(|e| format!("sensor on {}: {e}", board.name))?;
        println!(
            "xtask: sensor on {}: its sleeps are the host's delays for its seed",
            board.name
        );

        let checks = run_bin(thumb, board, "checks")?;
        expect_status(&checks, 0, "checks", board)?;
        let vectors = compare_with_host(&checks.lines)
            .map_err(|e| format!("checks on {}: {e}", board.name))?;
        println!(
            "xtask: checks on {}: all {vectors} vectors match the host",
            board.name
        );

        let failing = run_bin(thumb, board, "failing")?;
        expect_status(&failing, 1, "failing (expected to fail)", board)?;
        expect_line(&failing, "stopped: NotRetryable", "failing", board)?;
        println!("xtask: failing on {} failed, as expected", board.name);
    }
    Ok(())
}

fn expect_status(run: &qemu::Run, expected: i32, what: &str, board: Board) -> Result<(), String> {
    if run.status == expected {
        Ok(())
    } else {
        Err(format!(
            "{what} on {} exited with {}, expected {expected}; QEMU said: {}",
            board.name,
            run.status,
            run.stderr.trim()
        ))
    }
}

fn expect_line(run: &qemu::Run, needle: &str, what: &str, board: Board) -> Result<(), String> {
    if run.lines.iter().any(|l| l.contains(needle)) {
        Ok(())
    } else {
        Err(format!("{what} on {} never logged '{needle}'", board.name))
    }
}

/// The sensor's sleeps, against the delays the host draws for the schedule and seed it printed.
fn compare_sleeps_with_host(lines: &[String]) -> Result<(), String> {
    let schedule = lines
        .iter()
        .map(|l| without_level(l))
        .find(|l| l.starts_with("schedule "))
        .ok_or("no schedule line")?;
    let [_, base, cap, milli, jitter, seed] = schedule.split_whitespace().collect::<Vec<_>>()[..]
    else {
        return Err(format!("unreadable line '{schedule}'"));
    };
    let slept: Vec<&str> = lines
        .iter()
        .filter_map(|l| without_level(l).strip_prefix("sleeping "))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    let words = ["seq", jitter, seed, base, cap, milli];
    let expected = host_sequence(&[&words[..], &vec![""; slept.len()]].concat())?;
    let printed = format!("[{}]", slept.join(", "));
    if slept.is_empty() || printed != expected {
        return Err(format!("slept {printed}, the host draws {expected}"));
    }
    Ok(())
}

/// The vectors `checks` prints: 2 schedules x 4 jitter kinds x 3 seeds, and 6 factors x 2 bases
/// x 8 retry numbers.
const VECTORS: usize = 2 * 4 * 3 + 6 * 2 * 8;

/// The rules `checks` verifies on the mock clock; each must report `ok`.
const CHECKS: [&str; 4] = [
    "seed-default-succeeds-after-300-ms",
    "exhausted-keeps-log-without-final-sleep",
    "non-retryable-stops-at-once",
    "jitter-without-rng-refused",
];

/// Checks every `seq` and `pow` line of the on-target checks against the host's own
/// computation, that every vector and every rule was reported, and the closing tally; returns
/// the number of vectors compared.
pub fn compare_with_host(lines: &[String]) -> Result<usize, String> {
    for check in CHECKS {
        let line = format!("check {check} ok");
        if !lines.iter().any(|l| without_level(l) == line) {
            return Err(format!("no '{line}'"));
        }
    }
    let mut compared = 0;
    let mut tally = None;
    for line in lines {
        let message = without_level(line);
        let words: Vec<&str> = message.split_whitespace().collect();
        match words.first().copied() {
            Some("seq") => {
                let expected = host_sequence(&words)?;
                let printed = message.split_once('[').map(|(_, rest)| format!("[{rest}"));
                if printed.as_deref() != Some(expected.as_str()) {
                    return Err(format!("'{message}' differs from the host's {expected}"));
                }
                compared += 1;
            }
            Some("pow") => {
                let [_, base, cap, milli, n, delay] = words[..] else {
                    return Err(format!("unreadable line '{message}'"));
                };
                let backoff = Backoff::new(
                    number(base)?,
                    number(cap)?,
                    Factor::from_milli(number(milli)?),
                    Jitter::None,
                )
                .map_err(|e| e.to_string())?;
                let expected = backoff.delay_ms(number(n)?);
                if number::<u32>(delay)? != expected {
                    return Err(format!("'{message}' differs from the host's {expected}"));
                }
                compared += 1;
            }
            Some("check") if words.last() != Some(&"ok") => {
                return Err(format!("'{message}'"));
            }
            Some("checks") => tally = Some(message.to_string()),
            _ => {}
        }
    }
    if compared != VECTORS {
        return Err(format!("read {compared} vectors, expected {VECTORS}"));
    }
    let expected_tally = format!("checks done: {compared} vectors, 0 failed");
    match tally {
        Some(t) if t == expected_tally => Ok(compared),
        Some(t) => Err(format!(
            "the firmware reported '{t}', the host read {compared} vectors"
        )),
        None => Err("the firmware never reported its tally".into()),
    }
}

/// A decoded line without its level, if it has one.
fn without_level(line: &str) -> &str {
    ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
        .iter()
        .find_map(|level| line.strip_prefix(level))
        .map_or(line, str::trim_start)
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not a number"))
}

/// The delays the host draws for a `seq <jitter> <seed> <base> <cap> <factor‰> [...]` line, as
/// the firmware prints them.
fn host_sequence(words: &[&str]) -> Result<String, String> {
    let [_, jitter, seed, base, cap, milli, ..] = words[..] else {
        return Err(format!("unreadable line '{}'", words.join(" ")));
    };
    let jitter = match jitter {
        "none" => Jitter::None,
        "equal" => Jitter::Equal,
        "full" => Jitter::Full,
        "decorrelated" => Jitter::Decorrelated,
        other => return Err(format!("unknown jitter '{other}'")),
    };
    let draws = words.len() - 6;
    let backoff = Backoff::new(
        number(base)?,
        number(cap)?,
        Factor::from_milli(number(milli)?),
        jitter,
    )
    .map_err(|e| e.to_string())?;
    let mut rng = XorShiftRng::seed_from_u64(number(seed)?);
    let mut state = backoff.start();
    let delays: Vec<String> = (0..draws)
        .map(|_| state.next_delay_ms(&backoff, &mut rng).to_string())
        .collect();
    Ok(format!("[{}]", delays.join(", ")))
}
