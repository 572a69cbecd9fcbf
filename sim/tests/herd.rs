//! `sim herd` as a user runs it.

mod common;

use std::process::{Command, Stdio};

use serde_json::Value;

fn herd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("herd")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_small_sweep_writes_a_row_per_cell_and_both_charts() {
    let dir = std::env::temp_dir().join(format!("sim-herd-{}", std::process::id()));
    let (json, svg) = (dir.join("out.json"), dir.join("out.svg"));
    let args = [
        "--clients",
        "5,10",
        "--runs",
        "3",
        "--custom",
        "10ms:1s:1.5:equal",
        "--json",
        json.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ];
    let out = herd(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(rows.len(), 2 * 6);
    let names: Vec<&str> = rows[..6]
        .iter()
        .map(|r| r["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "no_backoff",
            "exponential",
            "equal",
            "full",
            "decorrelated",
            "custom"
        ]
    );
    for row in &rows {
        for key in [
            "clients",
            "strategy",
            "mean_time_ms",
            "mean_calls",
            "runs",
            "base_ms",
            "cap_ms",
            "seed",
        ] {
            assert!(row.get(key).is_some(), "{key} missing from {row}");
        }
        assert_eq!(row["runs"], 3);
        assert!(row["mean_calls"].as_f64().unwrap() >= row["clients"].as_f64().unwrap());
    }

    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg"));
    for text in [
        "Completion time",
        "Calls (writes)",
        "clients",
        "decorrelated",
        "custom",
    ] {
        assert!(chart.contains(text), "the chart lacks '{text}'");
    }

    // The table on stdout has a line per client count, and the same seed gives the same numbers.
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(table.lines().count(), 3);
    let again = herd(&args[..6]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), table);
}

#[test]
fn bad_sweeps_exit_2_naming_the_flag() {
    for (args, flag) in [
        (&["--clients", "0"][..], "--clients"),
        (&["--clients", "9..3"][..], "--clients"),
        (&["--runs", "0"][..], "--runs"),
        (&["--strategies", "fast"][..], "--strategies"),
        (&["--custom", "1s:1ms:2:none"][..], "--custom"),
        (&["--base", "-5ms"][..], "--base"),
        (&["--json", ""][..], "--json"),
        (&["--runs", "-1"][..], "--runs"),
        (&["--threads", "-1"][..], "--threads"),
        (&["--seed", "-1"][..], "--seed"),
        (&["--clients", "-5"][..], "--clients"),
        (&["--custom", "-1:1:1:none"][..], "--custom"),
        (&["--strategies", "-full"][..], "--strategies"),
        (&["--clients", "10,10"][..], "'10' is listed twice"),
        (&["--clients", "1..1000,2000"][..], "at most 1000"),
    ] {
        let out = herd(args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}

#[test]
fn a_list_of_two_million_client_counts_is_refused_in_little_memory() {
    // Expanded, these 20 ranges would ask for hundreds of megabytes of cells; the list is
    // refused before that, in a 100 MB address space.
    let clients = vec!["1..100000"; 20].join(",");
    let out = Command::new("sh")
        .args(["-c", "ulimit -v 102400 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_sim"))
        .args(["herd", "--clients", &clients])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("'--clients <LIST>'") && err.contains("more than 1000 counts in all"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn an_output_that_cannot_be_written_is_refused_before_the_sweep() {
    let dir = std::env::temp_dir().join(format!("sim-herd-refused-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("plain");
    std::fs::write(&file, b"keep").unwrap();
    for (flag, path) in [
        ("--json", file.join("herd.json")),
        ("--svg", dir.join("charts/")),
    ] {
        let out = herd(&[
            "--clients",
            "5",
            "--runs",
            "1",
            flag,
            path.to_str().unwrap(),
        ]);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(3), "{flag}: {err}");
        assert_eq!(err.lines().count(), 1, "nothing ran: {err}");
        assert!(err.starts_with("error: cannot write"), "{flag}: {err}");
        assert!(out.stdout.is_empty(), "no table was printed");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"keep");
    assert!(!dir.join("charts").exists(), "no folder was made");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_base_above_the_cap_is_refused_before_any_folder_is_made() {
    let dir = common::workdir();
    let json = dir.join("new/sub/h.json");
    let svg = dir.join("other/h.svg");
    let out = herd(&[
        "--base",
        "5s",
        "--cap",
        "1s",
        "--json",
        json.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "nothing ran: {err}");
    assert!(err.starts_with("error: '--base'/'--cap': "), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "nothing was made in {}",
        dir.display()
    );
}

#[test]
fn json_to_stdout_is_all_that_stdout_holds() {
    let out = herd(&["--clients", "5", "--runs", "1", "--json", "/dev/stdout"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).expect("stdout is the JSON alone");
    assert_eq!(rows.len(), 5);
    assert!(err.contains("clients"), "the table went to stderr: {err}");
}

#[test]
fn a_dash_writes_the_json_to_stdout_and_the_table_to_stderr() {
    let dir = common::workdir();
    let ran = common::sim(
        &dir,
        &["herd", "--clients", "5", "--runs", "1", "--json", "-"],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let rows: Vec<Value> = serde_json::from_str(&ran.stdout).expect("stdout is the JSON alone");
    assert_eq!(rows.len(), 5);
    assert!(
        ran.stderr.contains("clients |"),
        "the table: {}",
        ran.stderr
    );
    assert!(common::files(&dir).is_empty(), "no file named '-'");
    // Both to stdout would mix them.
    for svg in ["-", "/dev/stdout"] {
        let out = herd(&["--clients", "5", "--runs", "1", "--json", "-", "--svg", svg]);
        common::assert_json_and_svg_refused(&out);
    }
}

#[test]
fn the_same_path_for_the_json_and_the_svg_is_refused_naming_both() {
    let dir = common::workdir();
    let json = dir.join("j.json");
    let same = dir.join(".").join("j.json");
    for svg in [&json, &same] {
        let out = herd(&[
            "--clients",
            "5",
            "--runs",
            "1",
            "--json",
            json.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
        ]);
        common::assert_json_and_svg_refused(&out);
    }
    assert!(common::files(&dir).is_empty(), "no file was made");
}

#[test]
fn no_more_threads_start_than_there_are_cells() {
    for threads in ["64", "4294967295"] {
        let out = herd(&[
            "--clients",
            "5",
            "--runs",
            "1",
            "--strategies",
            "full",
            "--threads",
            threads,
        ]);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(0), "{threads}: {err}");
        assert!(err.contains("(1 cells x 1 runs) in "), "{err}");
        assert!(err.contains(" on 1 threads"), "{threads}: {err}");
    }
}

#[test]
fn threads_that_cannot_start_leave_the_work_to_those_that_can_with_the_same_numbers() {
    let args = [
        "herd",
        "--clients",
        "10..30",
        "--runs",
        "1",
        "--threads",
        "200",
    ];
    let (warning, table) = common::short_of_threads_as_on_one(&args);
    assert!(warning.ends_with("; the jobs run on those"), "{warning}");
    assert_eq!(table.lines().count(), 22);
}

#[test]
fn a_table_that_cannot_reach_stdout_exits_3_with_the_files_written() {
    let dir = common::workdir();
    let (json, svg) = (dir.join("herd.json"), dir.join("herd.svg"));
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["herd", "--clients", "5", "--runs", "1", "--json"])
        .arg(&json)
        .arg("--svg")
        .arg(&svg)
        .stdout(common::closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(
        err.lines().last(),
        Some("error: cannot write the table to stdout: broken pipe")
    );
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(rows.len(), 5);
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
}
