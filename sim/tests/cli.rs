//! The `sim` binary as a user runs it: exit status, stdout, stderr and the report on disk.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::Value;

/// A fresh, empty working directory for one run.
fn workdir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sim-cli-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn sim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn report(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn delays(report: &Value) -> Vec<Option<u64>> {
    report["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.get("delay_ms").map(|d| d.as_u64().unwrap()))
        .collect()
}

/// Every file under `dir`, with its contents.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push((path.clone(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn the_default_run_succeeds_after_300_ms_and_writes_the_report() {
    let dir = workdir();
    let out = sim(&dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "Success after 3 attempts (total delay: 300 ms)\n"
    );
    let r = report(&dir.join("data/retry_report.json"));
    assert_eq!(r["schema_version"], 3);
    assert_eq!(r["status"], "success");
    assert_eq!(r["stop_reason"], "success");
    assert_eq!(
        r["result"],
        serde_json::json!({"result": "success", "total_calls": 3})
    );
    assert_eq!(delays(&r), [Some(100), Some(200), None]);
    assert_eq!(r["attempts"][0]["error"], "Simulated failure #1");
    assert_eq!(r["attempts"][1]["error"], "Simulated failure #2");
    assert!(r["attempts"][2].get("error").is_none());
    let started: Vec<u64> = (0..3)
        .map(|i| r["attempts"][i]["elapsed_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(started, [0, 100, 300]);
    assert_eq!(r["total_attempts"], 3);
    assert_eq!(r["total_delay_ms"], 300);
    assert_eq!(r["max_attempts"], 5);
    assert_eq!(r["error"], Value::Null);
    assert_eq!(r["clock"], "mock");
    assert_eq!(r["policy"]["seed"], Value::Null);
    assert_eq!(r["policy"]["jitter"], "none");
    assert_eq!(r["policy"]["factor"], 2.0);

    // Log lines on stderr carry a timestamp and a level.
    let logs = stderr(&out);
    let line = logs
        .lines()
        .find(|l| l.contains("Attempt 1/5 failed"))
        .unwrap();
    assert!(line.contains(" | WARNING | "), "{line}");
    assert!(line.starts_with("20"), "{line}");
    assert!(
        line.ends_with("Simulated failure #1 (retrying in 100 ms)"),
        "{line}"
    );

    // Deterministic: a second run writes the same bytes.
    let first = fs::read(dir.join("data/retry_report.json")).unwrap();
    sim(&dir, &[]);
    assert_eq!(fs::read(dir.join("data/retry_report.json")).unwrap(), first);
}

#[test]
fn running_out_of_attempts_exits_1_with_the_full_log() {
    let dir = workdir();
    let out = sim(&dir, &["--fail-count", "10", "--max-attempts", "3"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "Failed after 3 attempts (total delay: 300 ms)\n"
    );
    let r = report(&dir.join("data/retry_report.json"));
    assert_eq!(r["status"], "failed");
    assert_eq!(r["stop_reason"], "attempts_exhausted");
    assert_eq!(r["result"], Value::Null);
    assert_eq!(r["total_attempts"], 3);
    assert_eq!(r["total_delay_ms"], 300);
    assert_eq!(delays(&r), [Some(100), Some(200), None]);
    assert_eq!(r["error"], "Simulated failure #3");
    assert_eq!(r["attempts"][2]["status"], "failed");
}

#[test]
fn max_retries_is_the_seeds_name_for_max_attempts() {
    let dir = workdir();
    let out = sim(&dir, &["--fail-count", "10", "--max-retries", "4"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        report(&dir.join("data/retry_report.json"))["total_attempts"],
        4
    );
}

#[test]
fn a_non_retryable_error_stops_the_run() {
    let dir = workdir();
    let out = sim(&dir, &["--fail-count", "10", "--non-retryable-at", "2"]);
    assert_eq!(out.status.code(), Some(1));
    let r = report(&dir.join("data/retry_report.json"));
    assert_eq!(r["stop_reason"], "not_retryable");
    assert_eq!(r["attempts"][1]["status"], "not_retryable");
    assert_eq!(r["error"], "Simulated non-retryable failure #2");
    assert_eq!(delays(&r), [Some(100), None]);
}

#[test]
fn jitter_is_reproducible_for_a_seed() {
    let dir = workdir();
    let run = |seed: &str, name: &str| {
        let path = dir.join(name);
        let args = [
            "--jitter",
            "full",
            "--seed",
            seed,
            "--fail-count",
            "6",
            "--max-attempts",
            "8",
        ];
        let out = sim(
            &dir,
            &[&args[..], &["--output", path.to_str().unwrap()]].concat(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        fs::read(path).unwrap()
    };
    let first = run("7", "a.json");
    assert_eq!(first, run("7", "b.json"));
    assert_ne!(first, run("8", "c.json"));
    let r: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(r["policy"]["seed"], 7);
    assert_eq!(r["policy"]["jitter"], "full");
    // Full jitter: each delay within [0, 100 * 2^(n-1)].
    for (n, d) in delays(&r).into_iter().flatten().enumerate() {
        assert!(d <= 100 << n, "retry {}: {d}", n + 1);
    }
}

#[test]
fn without_a_seed_a_jittered_run_records_the_one_it_picked() {
    let dir = workdir();
    let out = sim(&dir, &["--jitter", "equal"]);
    assert_eq!(out.status.code(), Some(0));
    let r = report(&dir.join("data/retry_report.json"));
    let seed = r["policy"]["seed"].as_u64().unwrap();
    // Running again with that seed repeats the delays.
    let again = workdir();
    sim(&again, &["--jitter", "equal", "--seed", &seed.to_string()]);
    assert_eq!(
        delays(&report(&again.join("data/retry_report.json"))),
        delays(&r)
    );
}

#[test]
fn a_report_on_stdout_is_valid_json_and_the_summary_moves_to_stderr() {
    let dir = workdir();
    let out = sim(&dir, &["--output", "-"]);
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(r["total_delay_ms"], 300);
    assert!(stderr(&out).contains("Success after 3 attempts (total delay: 300 ms)"));
    assert!(snapshot(&dir).is_empty());
}

#[test]
fn delays_accept_milliseconds_seconds_minutes_hours_and_bare_seconds() {
    let dir = workdir();
    for (args, expected) in [
        (&["--base-delay", "250ms"][..], [250, 500]),
        (&["--base-delay", "0.1"][..], [100, 200]),
        (
            &["--base-delay", "1.5s", "--max-delay", "2s"][..],
            [1500, 2000],
        ),
        (&["--factor", "1.5"][..], [100, 150]),
        (
            &["--base-delay", "2m", "--max-delay", "1h"][..],
            [120_000, 240_000],
        ),
        (
            &["--base-delay", "0.5m", "--max-delay", "0.01h"][..],
            [30_000, 36_000],
        ),
    ] {
        let out = sim(&dir, &[args, &["--output", "-"]].concat());
        let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(
            delays(&r),
            [Some(expected[0]), Some(expected[1]), None],
            "{args:?}"
        );
    }
}

/// Bad invocations, each with the flag (or path) its one-line error must name.
fn bad_invocations() -> Vec<(Vec<&'static str>, &'static str)> {
    let mut cases: Vec<(Vec<&str>, &str)> = Vec::new();
    // Negative, fractional, overflowing, non-numeric and empty values for every numeric flag.
    let numeric: [(&str, [&str; 5]); 8] = [
        ("--max-attempts", ["-1", "2.5", "4294967296", "five", ""]),
        (
            "--fail-count",
            ["-2", "0.5", "99999999999999999999", "x", ""],
        ),
        ("--base-delay", ["-1", "0.0005", "4294968s", "soon", ""]),
        ("--op-time", ["-1m", "0.00001m", "1193.047h", "5d", "h"]),
        (
            "--max-delay",
            ["-60s", "1.5ms", "99999999999999999999", "1x", ""],
        ),
        ("--factor", ["-2", "1.0001", "4294968", "double", ""]),
        ("--seed", ["-7", "1.5", "18446744073709551616", "0x10", ""]),
        (
            "--non-retryable-at",
            ["-1", "1.5", "4294967296", "first", ""],
        ),
    ];
    for (flag, values) in numeric {
        for value in values {
            cases.push((vec![flag, value], flag));
        }
    }
    cases.extend([
        (vec!["--max-retries", "-3"], "--max-attempts"),
        (vec!["--max-attempts", "0"], "--max-attempts"),
        (vec!["--max-attempts", "forever"], "--max-attempts"),
        (vec!["--log-capacity", "1025"], "--log-capacity"),
        (vec!["--log-capacity", "-1"], "--log-capacity"),
        (
            vec!["--base-delay", "2s", "--max-delay", "1s"],
            "--base-delay",
        ),
        (vec!["--factor", "0.5"], "--factor"),
        (vec!["--factor", "0.999"], "--factor"),
        (vec!["--non-retryable-at", "0"], "--non-retryable-at"),
        (vec!["--jitter", "bogus"], "--jitter"),
        (vec!["--jitter", "Full"], "--jitter"),
        (vec!["--jitter", ""], "--jitter"),
        (vec!["--output", ""], "--output"),
        (vec!["--bogus"], "--bogus"),
        (vec!["--max-attempts"], "--max-attempts"),
        (vec!["--real-time=yes"], "--real-time"),
        (vec!["stray"], "stray"),
        (vec!["--retry-budget", "10:5"], "--retry-budget"),
        (vec!["--retry-budget", "10:five:1"], "--retry-budget"),
        (vec!["--retry-after-at", "x:1s"], "--retry-after-at"),
        (vec!["--retry-after-at", "2:soon"], "--retry-after-at"),
        (vec!["--operations", "0"], "--operations"),
        (vec!["--deadline", "-1s"], "--deadline"),
        (vec!["--delay-budget", "0.0001"], "--delay-budget"),
        (vec!["--op-time", "x"], "--op-time"),
        (vec!["--hint-above-cap", "maybe"], "--hint-above-cap"),
    ]);
    cases
}

#[test]
fn an_unlimited_run_keeps_the_last_records_and_counts_every_attempt_and_sleep() {
    let dir = workdir();
    let out = sim(
        &dir,
        &[
            "--max-attempts",
            "unlimited",
            "--fail-count",
            "5000",
            "--max-delay",
            "1s",
            "--jitter",
            "full",
            "--seed",
            "3",
            "--log-capacity",
            "16",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&dir.join("data/retry_report.json"));
    assert_eq!(r["total_attempts"], 5001);
    assert_eq!(r["attempts_dropped"], 4985);
    assert_eq!(r["max_attempts"], serde_json::Value::Null);
    assert_eq!(r["policy"]["log_capacity"], 16);
    let numbers: Vec<u64> = r["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["attempt"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (4986..=5001).collect::<Vec<u64>>());
    // Nothing but sleeps moves the mock clock here (no --op-time).
    assert_eq!(r["total_delay_ms"], r["elapsed_ms"]);
    assert!(r["total_delay_ms"].as_u64().unwrap() > 0);
}

#[test]
fn invalid_input_exits_2_with_one_line_naming_the_flag_and_writes_nothing() {
    let dir = workdir();
    let existing = dir.join("data/retry_report.json");
    fs::create_dir_all(existing.parent().unwrap()).unwrap();
    fs::write(&existing, b"an earlier report").unwrap();
    let before = snapshot(&dir);
    let cases = bad_invocations();
    assert!(cases.len() >= 25);
    for (args, names) in cases {
        let out = sim(&dir, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(names),
            "{args:?}: {err}"
        );
        assert!(stdout(&out).is_empty(), "{args:?}");
        assert_eq!(snapshot(&dir), before, "{args:?} changed files");
    }
}

#[test]
fn an_unwritable_output_exits_3_naming_the_path_and_keeps_the_old_report() {
    let dir = workdir();
    fs::create_dir(dir.join("taken")).unwrap();
    fs::write(dir.join("file"), b"keep me").unwrap();
    let before = snapshot(&dir);
    for target in [
        "taken",
        "file/report.json",
        "/proc/version/report.json",
        "/proc/new/report.json",
    ] {
        let out = sim(&dir, &["--output", target]);
        assert_eq!(out.status.code(), Some(3), "{target}");
        let err = stderr(&out);
        let last = err.lines().last().unwrap();
        assert!(last.starts_with("error: cannot write "), "{last}");
        let named = Path::new(target)
            .parent()
            .filter(|p| !p.as_os_str().is_empty());
        let named = named.map_or(target.into(), |p| p.display().to_string());
        assert!(last.contains(target) || last.contains(&named), "{last}");
        assert!(stdout(&out).is_empty());
        assert_eq!(snapshot(&dir), before, "{target}");
    }
}

#[test]
fn real_time_really_sleeps_at_least_the_total_delay() {
    let dir = workdir();
    let started = Instant::now();
    let out = sim(
        &dir,
        &["--real-time", "--base-delay", "20ms", "--output", "-"],
    );
    let wall = started.elapsed().as_millis();
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(r["clock"], "real");
    assert_eq!(r["total_delay_ms"], 60);
    assert!(wall >= 60, "{wall} ms");
    assert!(r["elapsed_ms"].as_u64().unwrap() >= 60);
}

#[test]
fn help_exits_0() {
    let out = sim(&workdir(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("--max-attempts"));
}
