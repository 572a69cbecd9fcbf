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

/// The firmware's binaries, in `firmware-example/src/bin`.
pub const BINS: [&str; 6] = [
    "sensor",
    "checks",
    "failing",
    "reconnect",
    "embassy",
    "stack",
];

/// The binaries that need a feature of the firmware package, with that feature. Each is built
/// on its own (`--bin`), so that the feature, and what it turns on in the core, reaches no
/// other binary.
const BIN_FEATURES: [(&str, &str); 1] = [("embassy", "embassy")];

/// The firmware binary called `name`.
pub fn bin(name: &str) -> Result<&'static str, String> {
    BINS.into_iter()
        .find(|b| *b == name)
        .ok_or_else(|| format!("unknown binary '{name}': use one of {}", BINS.join(", ")))
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
    build_with(thumb, board, package, features, None, bin)
}

/// Builds the firmware's binary `bin` for `board` and returns its path: with the binaries that
/// need no feature, or on its own with the feature it needs.
pub fn build_firmware(thumb: Thumb, board: Board, bin: &str) -> Result<PathBuf, String> {
    let package = "firmware-example";
    match BIN_FEATURES.iter().find(|(name, _)| *name == bin) {
        Some(&(_, feature)) => build_with(thumb, board, package, &[feature], Some(bin), bin),
        None => build(thumb, board, package, &[], bin),
    }
}

/// As [`build`], building only binary `only` when it is set.
fn build_with(
    thumb: Thumb,
    board: Board,
    package: &str,
    features: &[&str],
    only: Option<&str>,
    bin: &str,
) -> Result<PathBuf, String> {
    let mut command = thumb.cargo_build(&workspace(), board.target);
    let mut all = vec![board.name];
    all.extend_from_slice(features);
    command.args(["--package", package, "--features", &all.join(",")]);
    if let Some(only) = only {
        command.args(["--bin", only]);
    }
    let what = match only {
        Some(only) => format!("building {package}'s {only} for {}", board.name),
        None => format!("building {package} for {}", board.name),
    };
    run_step(command, &what)?;
    Ok(workspace().join(format!("target/{}/release/{bin}", board.target)))
}

/// Builds the firmware's binary `bin` for `board`, runs it in QEMU, prints its log, and returns
/// its exit status.
pub fn run_bin(thumb: Thumb, board: Board, bin: &str) -> Result<qemu::Run, String> {
    let elf = build_firmware(thumb, board, bin)?;
    println!("xtask: running {bin} on {} ({})", board.name, board.chip);
    let run = qemu::run(board.name, board.cpu, &elf)?;
    for line in &run.lines {
        println!("  {line}");
    }
    println!("xtask: {bin} on {} exited with {}", board.name, run.status);
    Ok(run)
}

/// A firmware binary's check: the exit status it must end with, and what its log must show
/// (a line saying what was seen, or what is wrong).
struct BinCheck {
    bin: &'static str,
    status: i32,
    check: fn(&[String]) -> Result<String, String>,
}

/// Every binary's check: the demo succeeds with the host's delays for its seed, the on-target
/// checks pass and print what the host computes, the failing scenario fails, the supervisor's
/// delays start over after each stable connection, and the embassy firmware's reads time out,
/// honour a hint and succeed within the deadline.
const BIN_CHECKS: [BinCheck; 5] = [
    BinCheck {
        bin: "sensor",
        status: 0,
        check: |lines| {
            expect_line(lines, "attempt 4: Succeeded")?;
            compare_sleeps_with_host(lines)?;
            Ok("its sleeps are the host's delays for its seed".into())
        },
    },
    BinCheck {
        bin: "checks",
        status: 0,
        check: |lines| {
            Ok(format!(
                "all {} vectors match the host",
                compare_with_host(lines)?
            ))
        },
    },
    BinCheck {
        bin: "failing",
        status: 1,
        check: |lines| {
            expect_line(lines, "stopped: NotRetryable")?;
            Ok("failed, as expected".into())
        },
    },
    BinCheck {
        bin: "reconnect",
        status: 0,
        check: |lines| {
            Ok(format!(
                "slept {}, as the schedule requires",
                check_reconnect(lines)?
            ))
        },
    },
    BinCheck {
        bin: "embassy",
        status: 0,
        check: check_embassy,
    },
];

/// Runs every binary's check on every board.
pub fn check_all(thumb: Thumb) -> Result<(), String> {
    for board in BOARDS {
        for BinCheck { bin, status, check } in BIN_CHECKS {
            let run = run_bin(thumb, board, bin)?;
            if run.status != status {
                return Err(format!(
                    "{bin} on {} exited with {}, expected {status}; QEMU said: {}",
                    board.name,
                    run.status,
                    run.stderr.trim()
                ));
            }
            let seen = check(&run.lines).map_err(|e| format!("{bin} on {}: {e}", board.name))?;
            println!("xtask: {bin} on {}: {seen}", board.name);
        }
    }
    Ok(())
}

/// The sleeps between two connections of `reconnect`, and where its schedule was when they
/// began.
struct Outage {
    /// The session that came up after them (1-based), or `None` for sleeps after the last.
    before_session: Option<u32>,
    /// The retries drawn from the schedule since it last started, when the outage began.
    retries_before: u32,
    slept: Vec<u32>,
}

/// Checks `reconnect`'s log: every sleep is the delay the host computes, with the core's
/// `Backoff`, for the schedule the firmware printed and the retries since the schedule last
/// started (the run's start, or a `schedule reset` line). So each outage that follows a stable
/// session starts at the base delay and doubles up to the cap, and one that follows a flap
/// carries on where the schedule was. Also required: at least two sessions, at least two
/// outages that restarted from the base delay after a session, one outage that reached the cap
/// and stayed there, a sleep after every failed connect and after every drop of a session that
/// was not yet stable (at least one such flap), none after the last session, and the closing
/// tally. Returns the delays, outage by outage, for the summary.
pub fn check_reconnect(lines: &[String]) -> Result<String, String> {
    let messages: Vec<&str> = lines.iter().map(|l| without_level(l)).collect();
    let schedule = messages
        .iter()
        .find(|l| l.starts_with("schedule "))
        .ok_or("no schedule line")?;
    let [_, base, cap, milli, "none"] = schedule.split_whitespace().collect::<Vec<_>>()[..] else {
        return Err(format!(
            "unreadable schedule line '{schedule}' (expected 'schedule <base> <cap> <factor> none')"
        ));
    };
    let backoff = Backoff::new(
        number(base)?,
        number(cap)?,
        Factor::from_milli(number(milli)?),
        Jitter::None,
    )
    .map_err(|e| e.to_string())?;

    let mut outages = Vec::new();
    let mut current = Outage {
        before_session: None,
        retries_before: 0,
        slept: Vec::new(),
    };
    let mut retries = 0u32;
    let (mut sessions, mut failed, mut drops, mut resets) = (0u32, 0usize, 0usize, 0usize);
    // Whether the session up now has logged its schedule reset: a drop before it is a failed
    // attempt, which sleeps as a refused connect does.
    let mut stable = false;
    for message in &messages {
        if let Some(rest) = message.strip_prefix("sleeping ") {
            let ms: u32 = number(rest.split_whitespace().next().unwrap_or(""))?;
            retries = retries.saturating_add(1);
            current.slept.push(ms);
        } else if message.starts_with("connect ") && message.contains(" failed") {
            failed += 1;
        } else if message.starts_with("session ") && message.contains(" dropped after ") {
            if !stable {
                drops += 1;
            }
        } else if message.starts_with("session ") && message.contains(" up on attempt ") {
            sessions += 1;
            stable = false;
            current.before_session = Some(sessions);
            outages.push(std::mem::replace(
                &mut current,
                Outage {
                    before_session: None,
                    retries_before: retries,
                    slept: Vec::new(),
                },
            ));
        } else if message.starts_with("session ") && message.ends_with(": schedule reset") {
            resets += 1;
            stable = true;
            retries = 0;
            current.retries_before = 0;
        }
    }

    let show = |slept: &[u32]| {
        let ms: Vec<String> = slept.iter().map(u32::to_string).collect();
        format!("[{}]", ms.join(", "))
    };
    for outage in &outages {
        let expected: Vec<u32> = (1..)
            .map(|n| backoff.delay_ms(outage.retries_before.saturating_add(n)))
            .take(outage.slept.len())
            .collect();
        if outage.slept != expected {
            let session = outage.before_session.unwrap_or(0);
            let how = if outage.retries_before == 0 && session > 1 {
                format!(
                    "the schedule was reset after session {}, so it restarts at the base delay \
                     and doubles up to the cap",
                    session - 1
                )
            } else if outage.retries_before == 0 {
                "the schedule starts at the base delay and doubles up to the cap".to_string()
            } else {
                format!(
                    "session {} logged no schedule reset, so the schedule carries on from retry {}",
                    session - 1,
                    outage.retries_before + 1
                )
            };
            return Err(format!(
                "before session {session} it slept {} ms, expected {} ms: {how}",
                show(&outage.slept),
                show(&expected)
            ));
        }
    }
    if !current.slept.is_empty() {
        return Err(format!(
            "it slept {} ms after its last session, and no session followed",
            show(&current.slept)
        ));
    }
    let slept = outages.iter().map(|o| o.slept.len()).sum::<usize>();
    if slept != failed + drops {
        return Err(format!(
            "{failed} failed connects and {drops} drops before a session was stable, but {slept} \
             sleeps: a retry forever sleeps after each"
        ));
    }
    if sessions < 2 {
        return Err(format!(
            "{sessions} session(s) came up, expected at least 2"
        ));
    }
    let restarted = outages
        .iter()
        .filter(|o| {
            o.retries_before == 0 && o.before_session.is_some_and(|s| s > 1) && !o.slept.is_empty()
        })
        .count();
    if restarted < 2 {
        return Err(format!(
            "{restarted} outage(s) after a stable session, expected at least 2 whose delays \
             restart at the base ({resets} schedule reset(s) logged)"
        ));
    }
    let cap = backoff.cap_ms();
    if !outages
        .iter()
        .any(|o| o.slept.iter().filter(|&&ms| ms == cap).count() >= 2)
    {
        return Err(format!(
            "no outage reached the cap of {cap} ms and stayed there for a second retry"
        ));
    }
    if drops == 0 {
        return Err("no session dropped before it was stable: the run shows no flap".into());
    }
    let tally = format!(
        "supervisor done: {sessions} sessions, {failed} failed connects, {drops} early drops, \
         {resets} resets"
    );
    if !messages.contains(&tally.as_str()) {
        return Err(format!("it never logged '{tally}'"));
    }
    let shown: Vec<String> = outages
        .iter()
        .map(|o| {
            let how = match (o.retries_before, o.before_session) {
                (0, Some(1)) => "from the start",
                (0, _) => "restarted",
                _ => "carried on",
            };
            format!("{} ms {how}", show(&o.slept))
        })
        .collect();
    Ok(shown.join(", "))
}

/// Checks `embassy`'s log: its attempts are numbered from 1 without a gap, one read each; at
/// least one timed out, and as many reads were abandoned (their futures dropped by the timeout),
/// none before its attempt's time was up (the per-attempt timeout, or what the deadline left if
/// less); at least one attempt slept a hinted delay (`hint_ms: Some(h)`), for at least `h` ms;
/// the last attempt succeeded and the run stopped for that; and the closing line agrees with the
/// log and ends within the deadline. Returns what it saw, for the summary.
pub fn check_embassy(lines: &[String]) -> Result<String, String> {
    let messages: Vec<&str> = lines.iter().map(|l| without_level(l)).collect();
    let header = messages
        .iter()
        .find_map(|m| m.split_once(": deadline ").map(|(_, rest)| rest))
        .ok_or("no '<board>: deadline <ms> ms, <ms> ms per attempt' line")?;
    let [deadline, "ms,", timeout, "ms", "per", "attempt"] =
        header.split_whitespace().collect::<Vec<_>>()[..]
    else {
        return Err(format!("unreadable line 'deadline {header}'"));
    };
    let (deadline, timeout): (u64, u64) = (number(deadline)?, number(timeout)?);

    let mut attempts: Vec<&str> = Vec::new();
    let mut reads: Vec<(u32, u64)> = Vec::new();
    let mut abandoned: Vec<(u32, u64)> = Vec::new();
    for message in &messages {
        if let Some((n, outcome)) = message
            .strip_prefix("attempt ")
            .and_then(|rest| rest.split_once(": "))
        {
            let n: usize = number(n)?;
            if n != attempts.len() + 1 {
                return Err(format!(
                    "attempt {n} logged after attempt {}: the log skips or repeats one",
                    attempts.len()
                ));
            }
            attempts.push(outcome);
        } else if let Some((n, rest)) = message
            .strip_prefix("read ")
            .and_then(|rest| rest.split_once(' '))
        {
            let words: Vec<&str> = rest.split_whitespace().collect();
            match words[..] {
                ["at", ms, "ms:", ..] => reads.push((number(n)?, number(ms)?)),
                ["abandoned", "after", ms, "ms"] => abandoned.push((number(n)?, number(ms)?)),
                _ => {}
            }
        }
    }

    let timed_out = attempts
        .iter()
        .filter(|a| a.starts_with("TimedOut {"))
        .count();
    if timed_out == 0 {
        return Err("no attempt timed out (no 'attempt <n>: TimedOut { ... }' line)".into());
    }
    if abandoned.len() != timed_out {
        return Err(format!(
            "{timed_out} attempt(s) timed out but {} read(s) were abandoned: a timeout drops the \
             read's future",
            abandoned.len()
        ));
    }
    for &(read, after_ms) in &abandoned {
        let started = reads
            .iter()
            .find(|&&(n, _)| n == read)
            .map(|&(_, at)| at)
            .ok_or_else(|| format!("read {read} was abandoned but never started"))?;
        // The run started at or after boot, so the deadline left at least this much.
        let allowed = timeout.min(deadline.saturating_sub(started));
        // Both times are read from a 1 kHz tick: a read that starts just before a tick and is
        // cut off just after one shows one millisecond less than it was given.
        const TICK_MS: u64 = 1;
        if after_ms.saturating_add(TICK_MS) < allowed {
            return Err(format!(
                "read {read} was abandoned after {after_ms} ms, before its {allowed} ms were up"
            ));
        }
    }
    let hints: Vec<(u64, u64)> = attempts
        .iter()
        .filter(|a| a.starts_with("Retried {"))
        .filter_map(|a| {
            let hint = field(a, "hint_ms")?
                .strip_prefix("Some(")?
                .strip_suffix(')')?;
            Some((number(field(a, "slept_ms")?).ok()?, number(hint).ok()?))
        })
        .collect();
    let Some(&(slept, hint)) = hints.first() else {
        return Err("no attempt slept a hinted delay (no 'hint_ms: Some(<ms>)')".into());
    };
    if let Some((slept, hint)) = hints.iter().find(|(slept, hint)| slept < hint) {
        return Err(format!(
            "an attempt slept {slept} ms on a hint of {hint} ms: a hint is the least delay"
        ));
    }
    if attempts.last() != Some(&"Succeeded") {
        return Err(format!(
            "the last attempt was '{}', not 'Succeeded'",
            attempts.last().unwrap_or(&"none")
        ));
    }
    if !messages.iter().any(|m| m.starts_with("stopped: Succeeded")) {
        return Err("it never logged 'stopped: Succeeded'".into());
    }
    if reads.len() != attempts.len() {
        return Err(format!(
            "{} attempts but {} reads: each attempt is one read",
            attempts.len(),
            reads.len()
        ));
    }
    let done = messages
        .iter()
        .find_map(|m| m.strip_prefix("done in "))
        .ok_or("it never logged its closing 'done in ...' line")?;
    let words: Vec<&str> = done.split_whitespace().collect();
    let ["ms", "of", "the", ..] = words.get(1..).unwrap_or_default() else {
        return Err(format!("unreadable line 'done in {done}'"));
    };
    let took: u64 = number(words[0])?;
    if took > deadline {
        return Err(format!(
            "it took {took} ms, past its {deadline} ms deadline"
        ));
    }
    let tally = format!(
        "of the {deadline} ms deadline: {} attempts, {timed_out} timed out, {} abandoned",
        attempts.len(),
        abandoned.len()
    );
    if !done.ends_with(&tally) {
        return Err(format!(
            "it logged 'done in {done}', but its log says '{tally}'"
        ));
    }
    Ok(format!(
        "{} attempts in {took} ms of {deadline}: {timed_out} timed out after {timeout} ms, a \
         hinted delay of {hint} ms slept {slept} ms, then success",
        attempts.len()
    ))
}

/// The value of `name` in a defmt-formatted struct, such as `20` for `slept_ms` in
/// `TimedOut { slept_ms: 20, hint_ms: None }`.
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let (_, rest) = text.split_once(&format!("{name}: "))?;
    let end = rest.find([',', ' ', '}']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// That some line of a binary's log contains `needle`.
fn expect_line(lines: &[String], needle: &str) -> Result<(), String> {
    if lines.iter().any(|l| l.contains(needle)) {
        Ok(())
    } else {
        Err(format!("never logged '{needle}'"))
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

#[cfg(test)]
mod tests {
    use super::check_reconnect;

    /// `reconnect`'s log as QEMU prints it on either board.
    const LOG: &str = "\
schedule 10 80 2000 none
INFO  connect 1 failed: Refused
INFO  sleeping 10 ms before the next attempt
INFO  connect 2 failed: Refused
INFO  sleeping 20 ms before the next attempt
INFO  connect 3 failed: Refused
INFO  sleeping 40 ms before the next attempt
INFO  connect 4 failed: Refused
INFO  sleeping 80 ms before the next attempt
INFO  connect 5 failed: Refused
INFO  sleeping 80 ms before the next attempt
INFO  connect 6 failed: Refused
INFO  sleeping 80 ms before the next attempt
INFO  session 1 up on attempt 7, 310 ms slept since the schedule started
INFO  session 1 message 1
INFO  session 1 message 2
INFO  session 1 message 3
INFO  session 1 stable after 3 messages: schedule reset
INFO  session 1 message 4
INFO  session 1 dropped after 4 messages
INFO  connect 1 failed: Refused
INFO  sleeping 10 ms before the next attempt
INFO  connect 2 failed: Refused
INFO  sleeping 20 ms before the next attempt
INFO  session 2 up on attempt 3, 30 ms slept since the schedule started
INFO  session 2 message 1
INFO  session 2 dropped after 1 message
INFO  sleeping 40 ms before the next attempt
INFO  session 3 up on attempt 4, 70 ms slept since the schedule started
INFO  session 3 message 1
INFO  session 3 dropped after 1 message
INFO  sleeping 80 ms before the next attempt
INFO  connect 5 failed: Refused
INFO  sleeping 80 ms before the next attempt
INFO  session 4 up on attempt 6, 230 ms slept since the schedule started
INFO  session 4 message 1
INFO  session 4 message 2
INFO  session 4 message 3
INFO  session 4 stable after 3 messages: schedule reset
INFO  session 4 dropped after 3 messages
INFO  connect 1 failed: Refused
INFO  sleeping 10 ms before the next attempt
INFO  connect 2 failed: Refused
INFO  sleeping 20 ms before the next attempt
INFO  connect 3 failed: Refused
INFO  sleeping 40 ms before the next attempt
INFO  session 5 up on attempt 4, 70 ms slept since the schedule started
INFO  session 5 message 1
INFO  session 5 message 2
INFO  session 5 message 3
INFO  session 5 stable after 3 messages: schedule reset
INFO  session 5 dropped after 3 messages
supervisor done: 5 sessions, 12 failed connects, 2 early drops, 3 resets";

    fn check(log: &str) -> Result<String, String> {
        check_reconnect(&log.lines().map(str::to_string).collect::<Vec<_>>())
    }

    /// `log` with the `n`th (from 1) line holding `from` changed to hold `to`.
    fn edited(log: &str, n: usize, from: &str, to: &str) -> String {
        let mut seen = 0;
        log.lines()
            .map(|line| {
                if line.contains(from) {
                    seen += 1;
                    if seen == n {
                        return line.replace(from, to);
                    }
                }
                line.to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_firmware_log_passes() {
        assert_eq!(
            check(LOG).unwrap(),
            "[10, 20, 40, 80, 80, 80] ms from the start, [10, 20] ms restarted, \
             [40] ms carried on, [80, 80] ms carried on, [10, 20, 40] ms restarted"
        );
    }

    #[test]
    fn delays_that_do_not_restart_after_a_reset_fail() {
        // Before session 2 the schedule carried on: 80, 80 instead of 10, 20.
        let log = edited(LOG, 2, "sleeping 10 ms", "sleeping 80 ms");
        let log = edited(&log, 2, "sleeping 20 ms", "sleeping 80 ms");
        let error = check(&log).unwrap_err();
        assert_eq!(
            error,
            "before session 2 it slept [80, 80] ms, expected [10, 20] ms: the schedule was reset \
             after session 1, so it restarts at the base delay and doubles up to the cap"
        );
    }

    #[test]
    fn delays_that_restart_without_a_reset_fail() {
        let log = LOG.replacen(
            "INFO  session 1 stable after 3 messages: schedule reset\n",
            "",
            1,
        );
        let error = check(&log).unwrap_err();
        assert!(
            error.starts_with("before session 2 it slept [10, 20] ms, expected [80, 80] ms")
                && error.contains("session 1 logged no schedule reset"),
            "{error}"
        );
    }

    #[test]
    fn a_schedule_reset_after_a_flap_fails() {
        // A supervisor that resets on every connect: 10 ms after the flap, not 40.
        let error = check(&edited(LOG, 2, "sleeping 40 ms", "sleeping 10 ms")).unwrap_err();
        assert_eq!(
            error,
            "before session 3 it slept [10] ms, expected [40] ms: session 2 logged no schedule \
             reset, so the schedule carries on from retry 3"
        );
    }

    #[test]
    fn a_flap_reconnected_at_once_fails() {
        // A supervisor that reconnects at once after a drop, as if each connect were a success:
        // no sleep after the second flap, which was accepted at the first connect.
        let log = LOG.replacen(
            "session 3 dropped after 1 message\nINFO  sleeping 80 ms before the next attempt\n",
            "session 3 dropped after 1 message\n",
            1,
        );
        assert_ne!(log, LOG);
        assert_eq!(
            check(&log).unwrap_err(),
            "12 failed connects and 2 drops before a session was stable, but 13 sleeps: a retry \
             forever sleeps after each"
        );
    }

    #[test]
    fn a_missing_sleep_a_missing_session_or_a_missing_tally_fails() {
        let no_sleep = LOG.replacen("INFO  sleeping 80 ms before the next attempt\n", "", 1);
        assert!(
            check(&no_sleep).unwrap_err().contains(
                "12 failed connects and 2 drops before a session was stable, but 13 sleeps"
            )
        );
        let no_tally = LOG.replace("12 failed connects", "11 failed connects");
        assert!(check(&no_tally).unwrap_err().contains("never logged"));
        let one_session: String = LOG.lines().take(20).collect::<Vec<_>>().join("\n");
        assert!(
            check(&one_session)
                .unwrap_err()
                .contains("1 session(s) came up")
        );
        let jittered = LOG.replace("2000 none", "2000 equal");
        assert!(
            check(&jittered)
                .unwrap_err()
                .contains("unreadable schedule line")
        );
    }
}

#[cfg(test)]
mod embassy_tests {
    use super::check_embassy;

    /// `embassy`'s log as QEMU prints it on the lm3s6965evb.
    const LOG: &str = "\
INFO  lm3s6965evb: deadline 1000 ms, 50 ms per attempt
INFO  read 1 at 0 ms: no answer
INFO  read 1 abandoned after 50 ms
INFO  read 2 at 70 ms: busy for 120 ms
INFO  read 3 at 190 ms: converting for 400 ms
INFO  read 3 abandoned after 50 ms
INFO  read 4 at 320 ms: converting for 15 ms
INFO  read 4: 2150 centi-degrees
INFO  attempt 1: TimedOut { slept_ms: 20, hint_ms: None }
INFO  attempt 2: Retried { error: Busy { retry_after_ms: 120 }, slept_ms: 120, hint_ms: Some(120) }
INFO  attempt 3: TimedOut { slept_ms: 80, hint_ms: None }
INFO  attempt 4: Succeeded
INFO  stopped: Succeeded, 220 ms slept in all
done in 335 ms of the 1000 ms deadline: 4 attempts, 2 timed out, 2 abandoned";

    fn check(log: &str) -> Result<String, String> {
        check_embassy(&log.lines().map(str::to_string).collect::<Vec<_>>())
    }

    #[test]
    fn the_firmware_log_passes() {
        assert_eq!(
            check(LOG).unwrap(),
            "4 attempts in 335 ms of 1000: 2 timed out after 50 ms, a hinted delay of 120 ms \
             slept 120 ms, then success"
        );
    }

    #[test]
    fn a_run_without_a_timeout_fails() {
        let log = LOG
            .replace(
                "TimedOut { slept_ms: 20, hint_ms: None }",
                "Retried { error: Absent, slept_ms: 20, hint_ms: None }",
            )
            .replace(
                "TimedOut { slept_ms: 80, hint_ms: None }",
                "Retried { error: Absent, slept_ms: 80, hint_ms: None }",
            );
        assert!(check(&log).unwrap_err().starts_with("no attempt timed out"));
    }

    #[test]
    fn a_timeout_that_leaves_the_read_running_fails() {
        let log = LOG.replacen("INFO  read 3 abandoned after 50 ms\n", "", 1);
        assert_eq!(
            check(&log).unwrap_err(),
            "2 attempt(s) timed out but 1 read(s) were abandoned: a timeout drops the read's \
             future"
        );
        let early = LOG.replace(
            "read 3 abandoned after 50 ms",
            "read 3 abandoned after 12 ms",
        );
        assert_eq!(
            check(&early).unwrap_err(),
            "read 3 was abandoned after 12 ms, before its 50 ms were up"
        );
        // One tick short is the clock's granularity, not an early timeout.
        let a_tick_short = LOG.replace(
            "read 3 abandoned after 50 ms",
            "read 3 abandoned after 49 ms",
        );
        assert!(check(&a_tick_short).is_ok());
    }

    #[test]
    fn a_missing_or_cut_short_hint_fails() {
        let unhinted = LOG.replace("hint_ms: Some(120)", "hint_ms: None");
        assert!(
            check(&unhinted)
                .unwrap_err()
                .starts_with("no attempt slept a hinted")
        );
        let short = LOG.replace("slept_ms: 120, hint_ms", "slept_ms: 40, hint_ms");
        assert_eq!(
            check(&short).unwrap_err(),
            "an attempt slept 40 ms on a hint of 120 ms: a hint is the least delay"
        );
    }

    #[test]
    fn no_success_a_gap_or_a_late_end_fails() {
        let failed = LOG
            .replace(
                "attempt 4: Succeeded",
                "attempt 4: Stopped { reason: DeadlineExceeded }",
            )
            .replace("stopped: Succeeded", "stopped: DeadlineExceeded");
        assert!(check(&failed).unwrap_err().contains("not 'Succeeded'"));
        let gap = LOG.replace("attempt 3: ", "attempt 5: ");
        assert!(
            check(&gap)
                .unwrap_err()
                .starts_with("attempt 5 logged after attempt 2")
        );
        let late = LOG.replace("done in 335 ms", "done in 1335 ms");
        assert_eq!(
            check(&late).unwrap_err(),
            "it took 1335 ms, past its 1000 ms deadline"
        );
        let miscounted = LOG.replace("2 timed out, 2 abandoned", "1 timed out, 2 abandoned");
        assert!(check(&miscounted).unwrap_err().contains("but its log says"));
    }
}
