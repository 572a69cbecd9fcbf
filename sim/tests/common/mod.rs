//! Running the `sim` binary as a user does, and reading what it leaves. Each test file uses
//! some of these.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

/// What a run of `sim` left: its exit status and its two streams.
#[derive(Debug)]
pub struct Ran {
    /// The exit status.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Ran {
    /// The report on stdout (`--output -`).
    pub fn report(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stderr))
    }
}

/// A fresh, empty working directory for one test.
pub fn workdir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sim-test-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `sim` in `dir` with `args`, its stdout going to `stdout`.
pub fn sim_to(dir: &Path, args: &[&str], stdout: Stdio) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(dir)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Runs `sim` with `args` where few threads can start, whoever runs the test (a process limit
/// does not hold for root): each thread's stack is 1 GB, in a 3 GB address space.
pub fn sim_short_of_threads(args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .args(["-c", "ulimit -v 3000000 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .env("RUST_MIN_STACK", "1000000000")
        .output()
        .unwrap()
}

/// Runs a study (`args`, its `--threads` last) short of threads, and again on one thread:
/// checks that it warned, did not panic and printed the same as on one thread. Its warning and
/// its stdout.
pub fn short_of_threads_as_on_one(args: &[&str]) -> (String, String) {
    let out = sim_short_of_threads(args);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let warning = err
        .lines()
        .find(|l| l.contains("| WARNING | only "))
        .unwrap_or_else(|| panic!("no warning: {err}"));
    let alone = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(&args[..args.len() - 1])
        .arg("1")
        .output()
        .unwrap();
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed, String::from_utf8(alone.stdout).unwrap());
    (warning.to_string(), printed)
}

/// A pipe whose reader is gone, for a child's stdout: every write to it fails (a broken pipe).
pub fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

/// Runs `sim` in `dir` with `args`.
pub fn sim(dir: &Path, args: &[&str]) -> Ran {
    sim_to(dir, args, Stdio::piped())
}

/// Runs `sim` with `args` and the report on stdout; its exit status and the report.
pub fn sim_report(args: &[&str]) -> (Option<i32>, Value) {
    let ran = sim(&workdir(), &[args, &["--output", "-"]].concat());
    (ran.code, ran.report())
}

/// A study (`herd` or `storm`) given one path for `--json` and `--svg`: refused before it ran,
/// with exit 2 and one line naming both flags, and nothing on stdout.
pub fn assert_json_and_svg_refused(out: &std::process::Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "nothing ran: {err}");
    assert!(err.contains("'--json ") && err.contains("'--svg "), "{err}");
    assert!(out.stdout.is_empty());
}

/// Every file under `dir`, in order.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The JSON file at `path`.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The value at `path` in `value`: keys joined by `.`, and `[]` after an array's key for the
/// list of what follows in each of its elements (`null` where an element lacks it), as the
/// README names report keys: `policy.seed`, `attempts[].delay_ms`.
pub fn at(value: &Value, path: &str) -> Value {
    match path.split_once('.') {
        None => value.get(path).cloned().unwrap_or(Value::Null),
        Some((key, rest)) => match key.strip_suffix("[]") {
            Some(array) => match &value[array] {
                Value::Array(items) => items.iter().map(|item| at(item, rest)).collect(),
                other => panic!("{array} is not an array: {other}"),
            },
            None => at(&value[key], rest),
        },
    }
}

/// `key` of every element of the array `items`, `null` where an element lacks it.
pub fn column(items: &Value, key: &str) -> Vec<Value> {
    match at(&json!({ "items": items }), &format!("items[].{key}")) {
        Value::Array(values) => values,
        other => panic!("not a column: {other}"),
    }
}

/// Checks that `value` has, at each path of `expected` (as [`at`] reads them), the value given.
pub fn assert_has(value: &Value, expected: Value) {
    for (path, want) in expected.as_object().unwrap() {
        assert_eq!(&at(value, path), want, "{path} in {value}");
    }
}

/// Runs `sim` with `args` and the report on stdout, and checks its exit status and `expected`
/// (see [`assert_has`]).
pub fn check(args: &[&str], code: i32, expected: Value) -> Value {
    let (status, report) = sim_report(args);
    assert_eq!(status, Some(code), "{args:?}");
    for (path, want) in expected.as_object().unwrap() {
        assert_eq!(&at(&report, path), want, "{args:?}: {path}");
    }
    report
}
