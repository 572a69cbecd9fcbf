//! The `sim` binary as a user runs it: exit status, stdout, stderr and the report on disk.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use common::{
    Ran, assert_has, closed_pipe, column, files, read_json, sim, sim_report, sim_to, workdir,
};
use serde_json::{Value, json};

const DEFAULT_REPORT: &str = "data/retry_report.json";

/// Every file under `dir`, with its contents.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let read = |path: PathBuf| (path.clone(), fs::read(&path).unwrap());
    files(dir).into_iter().map(read).collect()
}

#[test]
fn the_default_run_succeeds_after_300_ms_and_writes_the_report() {
    let dir = workdir();
    let ran = sim(&dir, &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(
        ran.stdout,
        "Success after 3 attempts (total delay: 300 ms)\n"
    );
    let r = read_json(&dir.join(DEFAULT_REPORT));
    assert_has(
        &r,
        json!({
            "schema_version": 3, "status": "success", "stop_reason": "success",
            "result": {"result": "success", "total_calls": 3},
            "total_attempts": 3, "total_delay_ms": 300, "max_attempts": 5, "error": null,
            "clock": "mock",
        }),
    );
    assert_has(
        &r["policy"],
        json!({"seed": null, "jitter": "none", "factor": 2.0}),
    );
    let attempts = &r["attempts"];
    assert_eq!(
        column(attempts, "delay_ms"),
        [json!(100), json!(200), Value::Null]
    );
    assert_eq!(
        column(attempts, "error"),
        [
            json!("Simulated failure #1"),
            json!("Simulated failure #2"),
            Value::Null
        ]
    );
    assert_eq!(column(attempts, "elapsed_ms"), [0, 100, 300]);

    // Log lines on stderr carry a timestamp and a level.
    let line = ran
        .stderr
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
    let first = fs::read(dir.join(DEFAULT_REPORT)).unwrap();
    sim(&dir, &[]);
    assert_eq!(fs::read(dir.join(DEFAULT_REPORT)).unwrap(), first);
}

#[test]
fn failures_exit_1_with_the_full_log() {
    for (args, summary, expected) in [
        (
            &["--fail-count", "10", "--max-attempts", "3"][..],
            "Failed after 3 attempts (total delay: 300 ms)\n",
            json!({
                "status": "failed", "stop_reason": "attempts_exhausted", "result": null,
                "total_attempts": 3, "total_delay_ms": 300, "error": "Simulated failure #3",
            }),
        ),
        // The seed's name for the attempt limit.
        (
            &["--fail-count", "10", "--max-retries", "4"][..],
            "Failed after 4 attempts (total delay: 700 ms)\n",
            json!({"total_attempts": 4, "max_attempts": 4}),
        ),
        (
            &["--fail-count", "10", "--non-retryable-at", "2"][..],
            "Failed after 2 attempts (total delay: 100 ms)\n",
            json!({
                "stop_reason": "not_retryable",
                "error": "Simulated non-retryable failure #2",
            }),
        ),
    ] {
        let dir = workdir();
        let ran = sim(&dir, args);
        assert_eq!(
            (ran.code, ran.stdout.as_str()),
            (Some(1), summary),
            "{args:?}"
        );
        let r = read_json(&dir.join(DEFAULT_REPORT));
        assert_has(&r, expected);
        // The last call's entry says how it failed, with no sleep after it.
        let last = r["attempts"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["decision"], "stop", "{args:?}");
        assert!(last.get("delay_ms").is_none(), "{args:?}");
    }
}

#[test]
fn jitter_is_reproducible_for_a_seed() {
    let run = |seed: &str| {
        let args = [
            "--jitter",
            "full",
            "--fail-count",
            "6",
            "--max-attempts",
            "8",
        ];
        let ran = sim(
            &workdir(),
            &[&args[..], &["--seed", seed, "--output", "-"]].concat(),
        );
        assert_eq!(ran.code, Some(0), "{}", ran.stderr);
        ran.stdout
    };
    let first = run("7");
    assert_eq!(first, run("7"));
    assert_ne!(first, run("8"));
    let r: Value = serde_json::from_str(&first).unwrap();
    assert_has(&r["policy"], json!({"seed": 7, "jitter": "full"}));
    // Full jitter: each delay within [0, 100 * 2^(n-1)].
    for (n, d) in column(&r["attempts"], "delay_ms").iter().enumerate() {
        assert!(
            d.is_null() || d.as_u64().unwrap() <= 100 << n,
            "retry {}: {d}",
            n + 1
        );
    }
}

#[test]
fn without_a_seed_a_jittered_run_records_the_one_it_picked() {
    let (code, r) = sim_report(&["--jitter", "equal"]);
    assert_eq!(code, Some(0));
    let seed = r["policy"]["seed"].as_u64().unwrap().to_string();
    // Running again with that seed repeats the delays.
    let (_, again) = sim_report(&["--jitter", "equal", "--seed", &seed]);
    assert_eq!(
        column(&again["attempts"], "delay_ms"),
        column(&r["attempts"], "delay_ms")
    );
}

#[test]
fn a_report_on_stdout_is_valid_json_and_the_summary_moves_to_stderr() {
    let dir = workdir();
    let ran = sim(&dir, &["--output", "-"]);
    assert_eq!(ran.code, Some(0));
    assert_eq!(ran.report()["total_delay_ms"], 300);
    assert!(
        ran.stderr
            .contains("Success after 3 attempts (total delay: 300 ms)")
    );
    assert!(snapshot(&dir).is_empty());
}

#[test]
fn delays_accept_milliseconds_seconds_minutes_hours_and_bare_seconds() {
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
        let (_, r) = sim_report(args);
        assert_eq!(
            column(&r["attempts"], "delay_ms"),
            [json!(expected[0]), json!(expected[1]), Value::Null],
            "{args:?}"
        );
        assert_eq!(r["policy"]["base_delay_ms"], expected[0], "{args:?}");
    }
}

/// Invalid values, each refused for every flag of its kind.
const BAD_COUNTS: [&str; 5] = ["-1", "2.5", "99999999999999999999", "five", ""];
const BAD_DURATIONS: [&str; 10] = [
    "-1s",
    "0.0005",
    "1.5ms",
    "0.00001m",
    "4294968s",
    "1193.047h",
    "soon",
    "5d",
    "h",
    "",
];
const BAD_FACTORS: [&str; 7] = ["-2", "0.5", "0.999", "1.0001", "4294968", "double", ""];

/// Other bad invocations, one a line (`''` is an empty argument), with what the error names:
/// the first argument, or what follows `=>`.
const BAD_INVOCATIONS: &str = "
    --max-retries -3 => --max-attempts
    --max-attempts 0
    --max-attempts forever
    --max-attempts
    --log-capacity 1025
    --base-delay 2s --max-delay 1s
    --non-retryable-at 0
    --jitter bogus
    --jitter Full
    --jitter ''
    --output ''
    --bogus
    --real-time=yes => --real-time
    stray
    --retry-budget 10:5
    --retry-budget 10:five:1
    --retry-after-at x:1s
    --retry-after-at 2:soon
    --hint-above-cap maybe
    --retry-after-at -1:1s
    --retry-budget -1:1:1
    --jitter -full
    --hint-above-cap -stop
    --retry-after-at 1:1s --retry-after-at 1:2s
    --non-retryable-at 2 --retry-after-at 2:1s
    --max-attempts unlimited --fail-count 4294967295 => --fail-count
    --max-attempts unlimited --fail-count 4294967294 --retry-after-at 4294967295:0ms => --retry-after-at
    --max-attempts unlimited --attempt-timeout 50ms --op-time 100ms => --attempt-timeout
    --max-attempts unlimited --attempt-timeout 50ms --op-time 100ms --non-retryable-at 1 => --attempt-timeout
    --max-attempts unlimited --attempt-timeout 0ms --op-time 1ms --base-delay 0ms --deadline 1s => '--deadline' never comes
    --max-attempts unlimited --attempt-timeout 50ms --op-time 100ms --base-delay 0ms --delay-budget 1s => '--delay-budget'
    --max-attempts unlimited --attempt-timeout 50ms --op-time 100ms --retry-budget 10:0:1 => '--retry-budget' charges nothing
";

/// Bad invocations, each with the flag (or word) its one-line error must name.
fn bad_invocations() -> Vec<(Vec<String>, String)> {
    let mut cases = Vec::new();
    let kinds = [
        (
            &BAD_COUNTS[..],
            &[
                "--max-attempts",
                "--fail-count",
                "--seed",
                "--non-retryable-at",
                "--log-capacity",
                "--operations",
            ][..],
        ),
        (
            &BAD_DURATIONS[..],
            &[
                "--base-delay",
                "--max-delay",
                "--op-time",
                "--deadline",
                "--delay-budget",
            ][..],
        ),
        (&BAD_FACTORS[..], &["--factor"][..]),
    ];
    for (values, flags) in kinds {
        for (flag, value) in flags
            .iter()
            .flat_map(|f| values.iter().map(move |v| (f, v)))
        {
            cases.push((vec![flag.to_string(), value.to_string()], flag.to_string()));
        }
    }
    // Runs the sim cannot finish (the last lines) are refused before anything runs, too: a
    // success that would be call 2^32, past any attempt number, or attempts that all time out
    // with nothing to end the run.
    for line in BAD_INVOCATIONS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let (args, named) = line.split_once(" => ").unwrap_or((line, ""));
        let args: Vec<String> = args
            .split(' ')
            .map(|a| {
                if a == "''" {
                    String::new()
                } else {
                    a.to_string()
                }
            })
            .collect();
        let named = if named.is_empty() {
            args[0].clone()
        } else {
            named.to_string()
        };
        cases.push((args, named));
    }
    cases
}

#[test]
fn an_unlimited_run_keeps_the_last_records_and_counts_every_attempt_and_sleep() {
    let args = [
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
    ];
    let (code, r) = sim_report(&args);
    assert_eq!(code, Some(0));
    assert_has(
        &r,
        json!({"total_attempts": 5001, "attempts_dropped": 4985, "max_attempts": null}),
    );
    assert_eq!(r["policy"]["log_capacity"], 16);
    let numbers = column(&r["attempts"], "attempt");
    assert_eq!(numbers, (4986..=5001).map(Value::from).collect::<Vec<_>>());
    // Nothing but sleeps moves the mock clock here (no --op-time).
    assert_eq!(r["total_delay_ms"], r["elapsed_ms"]);
    assert!(r["total_delay_ms"].as_u64().unwrap() > 0);
}

#[test]
fn invalid_input_exits_2_with_one_line_naming_the_flag_and_writes_nothing() {
    let dir = workdir();
    let existing = dir.join(DEFAULT_REPORT);
    fs::create_dir_all(existing.parent().unwrap()).unwrap();
    fs::write(&existing, b"an earlier report").unwrap();
    let before = snapshot(&dir);
    let cases = bad_invocations();
    assert!(cases.len() >= 80);
    for (args, names) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let Ran {
            code,
            stdout,
            stderr,
        } = sim(&dir, &args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(&names),
            "{args:?}: {stderr}"
        );
        assert!(stdout.is_empty(), "{args:?}");
        assert_eq!(snapshot(&dir), before, "{args:?} changed files");
    }
}

#[test]
fn an_unwritable_output_exits_3_naming_the_path_typed_and_why() {
    let dir = workdir();
    fs::create_dir(dir.join("taken")).unwrap();
    fs::write(dir.join("F"), b"keep me").unwrap();
    let before = snapshot(&dir);
    for (target, why) in [
        ("F/r.json", "F is a file, not a folder"),
        ("F/deeper/r.json", "F is a file, not a folder"),
        ("taken", "taken is a folder, not a file"),
        ("taken/", "taken/ is a folder, not a file"),
        // A path that can only name a folder is refused before the run, not at the rename.
        ("newdir/", "the path names a folder, not a file"),
        ("new/er/", "the path names a folder, not a file"),
        ("F/", "the path names a folder, not a file"),
        ("newdir/.", "the path names a folder, not a file"),
        (
            "/proc/version/r.json",
            "/proc/version is a file, not a folder",
        ),
        (
            "/proc/new/r.json",
            "the folder /proc/new cannot be created: no such file or directory",
        ),
    ] {
        let ran = sim(&dir, &["--output", target]);
        assert_eq!(ran.code, Some(3), "{target}");
        assert_eq!(
            ran.stderr.lines().last(),
            Some(format!("error: cannot write {target}: {why}").as_str()),
            "{target}"
        );
        assert!(ran.stdout.is_empty());
        // Refused before the run: no attempt was made.
        assert!(!ran.stderr.contains("Attempt"), "{target}");
        assert_eq!(snapshot(&dir), before, "{target}");
    }
    assert!(!dir.join("newdir").exists() && !dir.join("new").exists());
}

#[test]
fn a_symlink_to_nothing_is_refused_naming_where_it_points() {
    let dir = workdir();
    let link = dir.join("r.json");
    std::os::unix::fs::symlink("missing/report.json", &link).unwrap();
    let ran = sim(&dir, &["--output", "r.json"]);
    assert_eq!(ran.code, Some(3));
    assert_eq!(
        ran.stderr.lines().last(),
        Some(
            "error: cannot write r.json: r.json is a link to missing/report.json, which leads to nothing"
        )
    );
    assert!(!ran.stderr.contains("Attempt"));
    // The link is left as it was, and nothing is made where it points.
    assert_eq!(
        fs::read_link(&link).unwrap(),
        Path::new("missing/report.json")
    );
    assert!(!dir.join("missing").exists());
}

#[test]
fn a_device_or_a_pipe_is_written_directly_and_never_replaced() {
    use std::io::{Read, Write};
    use std::os::unix::fs::FileTypeExt;

    let dir = workdir();
    let summary = "Success after 3 attempts (total delay: 300 ms)\n";
    let ran = sim(&dir, &["--output", "/dev/null"]);
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), summary),
        "{}",
        ran.stderr
    );
    let null = fs::symlink_metadata("/dev/null").unwrap();
    assert!(null.file_type().is_char_device());
    assert!(fs::read_dir(&dir).unwrap().next().is_none());

    // `/dev/stdout` is a symlink to the pipe the test reads: the report alone goes there, the
    // summary with the logs, as with `-`.
    let ran = sim(&dir, &["--output", "/dev/stdout"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(ran.report()["total_delay_ms"], 300);
    assert!(ran.stderr.ends_with(summary), "{}", ran.stderr);
    assert!(fs::read_dir(&dir).unwrap().next().is_none());

    // A named pipe, opened for reading and writing here so that neither side waits on the
    // other; the report fits in the pipe's buffer.
    let fifo = dir.join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|status| status.success()) {
        return; // no mkfifo here
    }
    let mut pipe = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let ran = sim(&dir, &["--output", "pipe"]);
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), summary),
        "{}",
        ran.stderr
    );
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["pipe"]);
    // A last byte of our own marks the end, so reading never waits.
    pipe.write_all(&[0]).unwrap();
    let mut read = Vec::new();
    let mut chunk = [0; 4096];
    while read.last() != Some(&0) {
        let n = pipe.read(&mut chunk).unwrap();
        read.extend_from_slice(&chunk[..n]);
    }
    read.pop();
    let report: Value = serde_json::from_slice(&read).unwrap();
    assert_eq!(report["total_delay_ms"], 300);
}

#[test]
fn stdout_sent_to_a_file_is_written_through_never_replaced() {
    // `sim --output /dev/stdout >> log.txt`: the report is appended after what the file held,
    // and the file is the shell's own, not a new one renamed over it.
    let dir = workdir();
    let log = dir.join("log.txt");
    fs::write(&log, "before\n").unwrap();
    let appending = fs::OpenOptions::new().append(true).open(&log).unwrap();
    let ran = std::process::Command::new(env!("CARGO_BIN_EXE_sim"))
        .current_dir(&dir)
        .args(["--output", "/dev/stdout"])
        .stdout(appending)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert_eq!(ran.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.ends_with("Success after 3 attempts (total delay: 300 ms)\n"),
        "{stderr}"
    );
    let text = fs::read_to_string(&log).unwrap();
    let report = text
        .strip_prefix("before\n")
        .expect("what the file held is kept");
    let report: Value = serde_json::from_str(report).unwrap();
    assert_eq!(report["total_delay_ms"], 300);
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["log.txt"], "no temporary file left");
}

#[test]
fn two_rules_for_one_call_are_refused_naming_both() {
    for (args, line) in [
        (
            &["--retry-after-at", "1:1s", "--retry-after-at", "1:2s"][..],
            "error: '--retry-after-at 1:1000ms' and '--retry-after-at 1:2000ms' both say what \
             call 1 does: give each call one",
        ),
        (
            &["--retry-after-at", "3:1s", "--non-retryable-at", "3"][..],
            "error: '--non-retryable-at 3' and '--retry-after-at 3:1000ms' both say what call 3 \
             does: give each call one",
        ),
    ] {
        let ran = sim(&workdir(), args);
        assert_eq!(
            (ran.code, ran.stderr.as_str()),
            (Some(2), &*format!("{line}\n"))
        );
    }
    // Rules for different calls are all kept.
    let (code, r) = sim_report(&[
        "--retry-after-at",
        "1:1s",
        "--retry-after-at",
        "2:2s",
        "--non-retryable-at",
        "4",
        "--fail-count",
        "5",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(r["policy"]["retry_after_at"], json!([[1, 1000], [2, 2000]]));
    assert_eq!(column(&r["attempts"], "hint_ms")[..2], [1000, 2000]);
    assert_eq!(r["stop_reason"], "not_retryable");
}

#[test]
fn a_bad_attempt_limit_says_what_is_accepted() {
    for (value, why) in [
        ("-3", "must be a whole number of at least 1, or 'unlimited'"),
        ("0", "must be a whole number of at least 1, or 'unlimited'"),
        (
            "forever",
            "must be a whole number of at least 1, or 'unlimited'",
        ),
        ("4294967296", "must be at most 4294967295, or 'unlimited'"),
    ] {
        let ran = sim(&workdir(), &["--max-attempts", value]);
        assert_eq!(ran.code, Some(2));
        assert_eq!(
            ran.stderr,
            format!("error: invalid value '{value}' for '--max-attempts <N>': {why}\n")
        );
    }
}

#[test]
fn a_report_that_cannot_reach_stdout_exits_3() {
    let full = fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        return; // no /dev/full here
    };
    let ran = sim_to(&workdir(), &["--output", "-"], Stdio::from(full));
    assert_eq!(ran.code, Some(3));
    assert_eq!(
        ran.stderr.lines().last(),
        Some("error: cannot write the report to stdout: the disk is full")
    );
}

#[test]
fn a_summary_that_cannot_reach_stdout_exits_3_with_the_report_written() {
    let full = || fs::OpenOptions::new().write(true).open("/dev/full").ok();
    let mut cases = vec![(closed_pipe(), "broken pipe")];
    cases.extend(full().map(|full| (Stdio::from(full), "the disk is full")));
    for (stdout, why) in cases {
        let dir = workdir();
        let ran = sim_to(&dir, &[], stdout);
        assert_eq!(ran.code, Some(3), "{why}: {}", ran.stderr);
        assert_eq!(
            ran.stderr.lines().last(),
            Some(format!("error: cannot write the summary to stdout: {why}").as_str())
        );
        assert_eq!(read_json(&dir.join(DEFAULT_REPORT))["status"], "success");
    }
    // Help that cannot be shown is a write error too, not a panic.
    let ran = sim_to(&workdir(), &["--help"], closed_pipe());
    assert_eq!(ran.code, Some(3), "{}", ran.stderr);
    assert_eq!(ran.stderr, "error: cannot write to stdout: broken pipe\n");
}

#[test]
fn real_time_really_sleeps_at_least_the_total_delay() {
    // Two sleeps, of 10 and 20 ms: the wall time is a lower bound on real sleeping, and a run on
    // the mock clock, which spends only a process's start-up, stays well below 30 ms.
    let started = Instant::now();
    let (code, r) = sim_report(&["--real-time", "--base-delay", "10ms"]);
    let wall = started.elapsed().as_millis();
    assert_eq!(code, Some(0));
    assert_has(&r, json!({"clock": "real", "total_delay_ms": 10 + 20}));
    assert!(wall >= 30, "{wall} ms");
    assert!(r["elapsed_ms"].as_u64().unwrap() >= 30);
}

#[test]
fn help_lists_the_flags_and_the_names_the_core_accepts() {
    let ran = sim(&workdir(), &["--help"]);
    assert_eq!(ran.code, Some(0));
    for text in [
        "--max-attempts",
        "[possible values: none, equal, full, decorrelated]",
        "[possible values: honour, stop]",
        // What the rules do, as the README says and `tests/rules.rs` checks.
        "COST back for a success after retries",
        "after each operation starts",
    ] {
        assert!(ran.stdout.contains(text), "{text}");
    }
}

#[test]
fn a_call_longer_than_its_timeout_is_cut_off_reported_as_timed_out_and_retried() {
    // Every call takes 500 ms and is cut off at 200 ms: at 0 (then 100 ms of sleep), at 300
    // (then 200), at 700; the next sleep, 400 ms, would end past the 1 s deadline.
    let (code, r) = sim_report(&[
        "--op-time",
        "500ms",
        "--attempt-timeout",
        "200ms",
        "--deadline",
        "1s",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(r["policy"]["attempt_timeout_ms"], 200);
    assert_eq!(
        column(&r["attempts"], "status"),
        [json!("timed_out"), json!("timed_out"), json!("timed_out")]
    );
    assert_eq!(
        column(&r["attempts"], "elapsed_ms"),
        [json!(0), json!(300), json!(700)]
    );
    assert_eq!(r["stop_reason"], "deadline_exceeded");
    assert_eq!(r["error"], "the attempt timed out");
    assert_eq!(r["elapsed_ms"], 900);

    // A call that finishes within its timeout is not cut off.
    let (code, r) = sim_report(&["--op-time", "50ms", "--attempt-timeout", "200ms"]);
    assert_eq!(code, Some(0));
    assert_eq!(r["attempts"][0]["status"], "failed");
    assert_eq!(r["attempts"][2]["status"], "success");
    assert_eq!(r["elapsed_ms"], 3 * 50 + 100 + 200);
}

#[test]
fn a_call_is_cut_off_at_the_deadline_when_less_is_left_than_its_timeout() {
    // Call 1 takes its 100 ms and sleeps 100; call 2 starts at 200 ms with 50 ms left before
    // the 250 ms deadline, less than its 1 s timeout: it is cut off then, not let run to 300.
    let args = [
        "--op-time",
        "100ms",
        "--deadline",
        "250ms",
        "--attempt-timeout",
        "1s",
    ];
    let (code, r) = sim_report(&args);
    assert_eq!(code, Some(1));
    assert_eq!(
        column(&r["attempts"], "status"),
        [json!("failed"), json!("timed_out")]
    );
    assert_eq!(column(&r["attempts"], "elapsed_ms"), [json!(0), json!(200)]);
    assert_has(
        &r,
        json!({"stop_reason": "deadline_exceeded", "error": "the attempt timed out",
               "elapsed_ms": 250}),
    );

    // Each operation's deadline runs from its own start: the second, from 250 ms, is cut off
    // as the first was, at 500.
    let (code, r) = sim_report(&[&args[..], &["--operations", "2"]].concat());
    assert_eq!(code, Some(1));
    let second = &r["operations"][1];
    assert_eq!(
        column(&second["attempts"], "status"),
        [json!("failed"), json!("timed_out")]
    );
    assert_eq!(
        column(&second["attempts"], "elapsed_ms"),
        [json!(250), json!(450)]
    );
    assert_eq!(r["elapsed_ms"], 500);

    // The call that would succeed, at 100 ms with 50 ms left, is cut off at the deadline: the
    // run fails there rather than succeed at 200 ms.
    let (code, r) = sim_report(&[
        "--fail-count",
        "1",
        "--base-delay",
        "0",
        "--op-time",
        "100ms",
        "--deadline",
        "150ms",
        "--attempt-timeout",
        "1s",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(r["attempts"][1]["status"], "timed_out");
    assert_eq!(r["attempts"][1]["elapsed_ms"], 100);
    assert_has(&r, json!({"status": "failed", "elapsed_ms": 150}));
}
