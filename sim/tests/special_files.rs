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

/// A file name need not be UTF-8: the system's bytes are used as they are, for the report and
/// for a study's file, and a message shows each byte that is not UTF-8 as `\xNN`.
#[cfg(target_os = "linux")]
#[test]
fn a_file_name_that_is_not_utf8_is_written_as_given() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = workdir();
    let name = |stem: &[u8]| OsStr::from_bytes(&[stem, b"\xff.json"].concat()).to_os_string();
    let run = |args: &[&str], file: &OsStr| {
        Command::new(env!("CARGO_BIN_EXE_sim"))
            .args(args)
            .arg(file)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    };
    let herd: &[&str] = &["herd", "--runs", "1", "--clients", "2", "--json"];
    for (args, file) in [(&["--output"][..], name(b"report")), (herd, name(b"herd"))] {
        let out = run(args, &file);
        assert_eq!(out.status.code(), Some(0), "{file:?}");
        let written: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join(&file)).unwrap()).unwrap();
        assert!(!written.is_null());
    }
    fs::write(dir.join("plain"), b"").unwrap();
    let out = run(&["--output"], &name(b"plain/report"));
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("cannot write plain/report\\xFF.json: plain is a file, not a folder"),
        "{stderr}"
    );
}
