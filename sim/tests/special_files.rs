//! Outputs that are not plain new files: the file stderr goes to, and a device named twice.
#![cfg(unix)]

mod common;

use std::fs::{self, File};
use std::process::{Command, Stdio};

use common::{sim, workdir};

#[test]
fn the_file_stderr_goes_to_is_not_replaced_by_the_report() {
    let dir = workdir();
    let log = dir.join("run.log");
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["--output", "run.log"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(File::create(&log).unwrap())
        .status()
        .unwrap();
    assert_eq!(out.code(), Some(3));
    let written = fs::read_to_string(&log).unwrap();
    assert!(
        written.ends_with(
            "error: cannot write run.log: it is the file this command's messages go to (its \
             stderr): give the report a file of its own\n"
        ),
        "{written}"
    );
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
}

#[test]
fn a_device_takes_the_json_and_the_svg_both() {
    // stdout is a pipe here, so `/dev/null` is only a device.
    let ran = sim(
        &workdir(),
        &[
            "herd",
            "--runs",
            "1",
            "--clients",
            "1..2",
            "--json",
            "/dev/null",
            "--svg",
            "/dev/null",
        ],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
}
