//! A run ended by a signal leaves no temporary file, and the report it was to replace as it was.
#![cfg(unix)]

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use common::workdir;

/// Starts a run far too long to finish, waits until it is writing its report (its first attempt
/// is logged after the temporary file is made), sends `signal`, and checks what is left.
fn stopped_by(signal: &str, number: i32) {
    let dir = workdir();
    let report = dir.join("report.json");
    fs::write(&report, b"earlier").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["--operations", "100000000", "--output", "report.json"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("Attempt 1") {
        line.clear();
        assert_ne!(
            stderr.read_line(&mut line).unwrap(),
            0,
            "the run ended early"
        );
    }
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 2, "no temporary file");
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    // Read on so that the run never waits on a full pipe before the signal lands.
    std::io::copy(&mut stderr, &mut std::io::sink()).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(number), "{status:?}");
    let left: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(left, ["report.json"]);
    assert_eq!(fs::read(&report).unwrap(), b"earlier");
}

#[test]
fn an_interrupted_run_leaves_the_report_as_it_was() {
    stopped_by("INT", 2);
}

#[test]
fn a_terminated_run_leaves_the_report_as_it_was() {
    stopped_by("TERM", 15);
}
