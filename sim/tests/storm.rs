//! `sim storm` on cases whose answers are known, and as a user runs it. Small runs: the models
//! are the same at any size.

mod common;

use std::process::{Command, Stdio};

use serde_json::Value;
use sim::storm::amplification::{self, Setup};
use sim::storm::collapse::{self, LoadShape};

/// 10 clients sharing 100 calls a second for 10 s: about 1000 calls.
fn small() -> Setup {
    Setup::new(10, 100.0)
}

#[test]
fn a_server_that_never_fails_gets_one_attempt_per_call_and_every_call_succeeds() {
    for strategy in amplification::Strategy::ALL {
        let totals = amplification::simulate(strategy, &small(), 0.0, 1);
        assert!(totals.calls > 800, "{strategy}: {totals:?}");
        assert_eq!(totals.attempts, totals.calls, "{strategy}");
        assert_eq!(totals.successes, totals.calls, "{strategy}");
        assert_eq!((totals.load(), totals.success_rate()), (1.0, 1.0));
    }
}

#[test]
fn three_retries_against_a_server_that_always_fails_make_four_attempts_and_no_success() {
    let totals = amplification::simulate(amplification::Strategy::ThreeRetries, &small(), 1.0, 2);
    assert_eq!(totals.attempts, 4 * totals.calls);
    assert_eq!(totals.successes, 0);
    assert_eq!((totals.load(), totals.success_rate()), (4.0, 0.0));
}

#[test]
fn the_adaptive_bucket_against_a_server_that_always_fails_stays_near_one_plus_its_credit() {
    let setup = small();
    let totals = amplification::simulate(amplification::Strategy::Adaptive, &setup, 1.0, 5);
    let retries = totals.attempts - totals.calls;
    // Each call earns 0.1 of a retry. Each client's full bucket (5) pays for a burst of 4 down
    // to 1, and then for one more as soon as a credit takes it above 1.
    let credit = totals.calls as f64 * 0.1;
    let burst = 5.0 * setup.clients as f64;
    assert!(
        retries as f64 >= credit - setup.clients as f64,
        "{totals:?}"
    );
    assert!(retries as f64 <= credit + burst, "{totals:?}");
    assert_eq!(totals.successes, 0);
    // About 100 calls a client: 1.1, and the burst's 0.05.
    assert!((1.1..1.15).contains(&totals.load()), "{}", totals.load());
}

#[test]
fn the_other_budgets_against_a_server_that_always_fails() {
    let setup = small();
    let run = |strategy| amplification::simulate(strategy, &setup, 1.0, 6);
    let clients = setup.clients as u64;
    // The retry breaker: the first failure already puts failures over calls above 10%.
    let breaker = run(amplification::Strategy::Breaker);
    assert_eq!(breaker.attempts, breaker.calls);
    // gRPC's throttle, 10 tokens: each failure takes one, and a retry needs more than 5 left,
    // so a client retries after its first 4 failures at most: 3 for its first call, and a
    // fourth if its second call starts before the first has failed 4 times.
    let grpc = run(amplification::Strategy::Grpc);
    let retries = grpc.attempts - grpc.calls;
    assert!((3 * clients..=4 * clients).contains(&retries), "{grpc:?}");
    // The AWS bucket: 500 tokens at 5 a retry, and no success to earn any back.
    let aws = run(amplification::Strategy::AwsStandard);
    assert_eq!(aws.attempts, aws.calls + 100 * clients);
    // The circuit breaker opens after 5 failed attempts and refuses calls while open, so that
    // fewer attempts are made than calls started.
    let circuit = run(amplification::Strategy::CircuitBreaker);
    assert!(circuit.attempts < circuit.calls / 2, "{circuit:?}");
    for totals in [breaker, grpc, aws, circuit] {
        assert_eq!(totals.successes, 0);
    }
}

#[test]
fn budgets_and_breakers_leave_a_healthy_server_alone() {
    // At p = 0.01, three retries make every call succeed; so do the budgets and the circuit
    // breaker (which never sees 5 failures in a row), with the same attempts.
    let three = amplification::simulate(amplification::Strategy::ThreeRetries, &small(), 0.01, 7);
    for strategy in [
        amplification::Strategy::Adaptive,
        amplification::Strategy::AwsStandard,
        amplification::Strategy::Grpc,
        amplification::Strategy::CircuitBreaker,
    ] {
        assert_eq!(
            amplification::simulate(strategy, &small(), 0.01, 7),
            three,
            "{strategy}"
        );
    }
}

#[test]
fn no_retries_makes_one_attempt_a_call_whatever_the_server_does() {
    for p in [0.1, 0.5, 1.0] {
        let totals = amplification::simulate(amplification::Strategy::NoRetries, &small(), p, 3);
        assert_eq!(totals.load(), 1.0, "{p}");
        // Successes follow 1 - p within the noise of about 1000 calls.
        assert!(
            (totals.success_rate() - (1.0 - p)).abs() < 0.05,
            "{p}: {totals:?}"
        );
    }
}

#[test]
fn a_server_with_constant_latency_far_below_the_timeout_never_times_out() {
    // 100 ms a request whatever the load, hops of 10 ms on average, a 3 s timeout.
    let setup = collapse::Setup {
        duration_ms: 20_000.0,
        hop_mean_ms: 10.0,
        base_latency_ms: 100.0,
        per_request_ms: 0.0,
        ..collapse::Setup::default()
    };
    for strategy in collapse::Strategy::ALL {
        for shape in LoadShape::ALL {
            let seconds = collapse::simulate(strategy, shape, &setup, 4);
            assert_eq!(seconds.len(), 20);
            let starts: u64 = seconds.iter().map(|s| s.starts).sum();
            let successes: u64 = seconds.iter().map(|s| s.successes).sum();
            let late: u64 = seconds.iter().map(|s| s.timeouts + s.retries).sum();
            assert_eq!(late, 0, "{strategy}, {shape:?}");
            assert!(starts > 500, "{strategy}, {shape:?}: {starts}");
            // Every request is answered, but those still on their way when the run ends.
            assert!(starts - successes < 20, "{starts} {successes}");
            // With the server this fast, a handful are in flight at any time.
            assert!(seconds.iter().all(|s| s.in_flight < 30), "{seconds:?}");
        }
    }
}

#[test]
fn a_server_slowed_by_load_collapses_under_the_ramp_without_backoff() {
    let seconds = collapse::simulate(
        collapse::Strategy::NoBackoff,
        LoadShape::Ramp,
        &collapse::Setup::default(),
        5,
    );
    let early: u64 = seconds[5..15].iter().map(|s| s.successes).sum();
    let late: u64 = seconds[40..60].iter().map(|s| s.successes).sum();
    // It serves about 50 a second before the peak, and almost nothing after it.
    assert!(early > 350, "{early}");
    assert!(late < 20, "{late}");
    assert!(seconds[40].in_flight > 1000, "{:?}", seconds[40]);
}

#[test]
fn a_budget_bounds_the_retries_of_a_collapsing_server() {
    let setup = collapse::Setup::default();
    let sum = |strategy| {
        let seconds = collapse::simulate(strategy, LoadShape::Ramp, &setup, 8);
        let starts: u64 = seconds.iter().map(|s| s.starts).sum();
        let retries: u64 = seconds.iter().map(|s| s.retries).sum();
        (starts, retries)
    };
    let (starts, unbounded) = sum(collapse::Strategy::NoBackoff);
    // Without a budget, most requests use both retries.
    assert!(
        unbounded > starts,
        "{unbounded} retries for {starts} requests"
    );
    for strategy in [
        collapse::Strategy::NoBackoffBudget,
        collapse::Strategy::BackoffBudget,
    ] {
        let (starts, retries) = sum(strategy);
        // Each process's bucket pays a burst of 4, then 0.1 for each of its requests.
        let bound = 4 * setup.clients as u64 + starts / 10 + setup.clients as u64;
        assert!(retries <= bound, "{strategy}: {retries} > {bound}");
    }
}

fn storm(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("storm")
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-storm-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small run of both models: 10 clients sharing 100 calls a second, one run a point.
const SMALL: [&str; 6] = ["--runs", "1", "--clients", "10", "--rate", "100"];

#[test]
fn both_models_write_their_rows_and_charts() {
    let dir = scratch("both");
    let (json, svg) = (dir.join("storm.json"), dir.join("storm.svg"));
    let mut args = SMALL.to_vec();
    args.extend([
        "--json",
        json.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let out = storm(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("storm: amplification:") && stderr.contains("storm: collapse:"));

    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let model =
        |name: &str| -> Vec<&Value> { rows.iter().filter(|r| r["model"] == name).collect() };
    let (amplification, collapse) = (model("amplification"), model("collapse"));
    let strategies = amplification::Strategy::ALL.len();
    assert_eq!(amplification.len(), 18 * strategies);
    assert_eq!(
        collapse.len(),
        2 * collapse::Strategy::ALL.len() * 80,
        "80 seconds for each (load shape, strategy)"
    );
    for row in &amplification {
        for key in [
            "clients",
            "failure_rate",
            "strategy",
            "success_rate",
            "load",
            "calls",
        ] {
            assert!(row.get(key).is_some(), "{key} missing from {row}");
        }
        assert_eq!(row["clients"], 10);
        if row["failure_rate"] == 0.0 {
            assert_eq!(
                (row["success_rate"].as_f64(), row["load"].as_f64()),
                (Some(1.0), Some(1.0))
            );
        }
    }
    for row in &collapse {
        for key in [
            "load_shape",
            "strategy",
            "t",
            "starts",
            "successes",
            "retries",
            "timeouts",
            "in_flight",
        ] {
            assert!(row.get(key).is_some(), "{key} missing from {row}");
        }
    }
    let shapes: Vec<&str> = collapse
        .iter()
        .map(|r| r["load_shape"].as_str().unwrap())
        .collect();
    assert!(shapes.contains(&"ramp") && shapes.contains(&"spike"));

    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg"));
    for text in [
        "Success rate",
        "Load",
        "Successes per second, ramp load",
        "spike load",
        "three_retries",
        "backoff",
    ] {
        assert!(chart.contains(text), "the chart lacks '{text}'");
    }

    // A table for each model on stdout.
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("amplification: 10 clients"), "{table}");
    assert!(table.contains("collapse, ramp load") && table.contains("collapse, spike load"));
    assert_eq!(
        table.lines().filter(|l| l.starts_with("    0.5 |")).count(),
        1,
        "{table}"
    );
}

#[test]
fn the_same_seed_gives_the_same_numbers_whatever_the_threads() {
    let dir = scratch("threads");
    let run = |threads: &str, seed: &str| {
        let path = dir.join(format!("{threads}-{seed}.json"));
        let mut args = SMALL.to_vec();
        args.extend([
            "--seed",
            seed,
            "--threads",
            threads,
            "--json",
            path.to_str().unwrap(),
        ]);
        let out = storm(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (std::fs::read_to_string(&path).unwrap(), out.stdout)
    };
    let one = run("1", "7");
    assert_eq!(one, run("2", "7"));
    assert_eq!(one, run("5", "7"));
    assert_ne!(one.0, run("2", "8").0);
}

#[test]
fn threads_that_cannot_start_leave_the_runs_to_those_that_can_with_the_same_numbers() {
    let args = [
        "storm",
        "--model",
        "collapse",
        "--runs",
        "2",
        "--threads",
        "60",
    ];
    let (warning, tables) = common::short_of_threads_as_on_one(&args);
    assert!(warning.contains(" of 24 threads could start"), "{warning}");
    assert!(tables.contains("collapse, ramp load"), "{tables}");
}

#[test]
fn one_model_alone_and_several_client_counts() {
    let out = storm(&[
        "--model",
        "amplification",
        "--runs",
        "1",
        "--clients",
        "5,20",
        "--rate",
        "50",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("amplification: 5 clients") && table.contains("amplification: 20 clients")
    );
    assert!(!table.contains("collapse"), "{table}");
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    for (args, flag) in [
        (&["--model", "both"][..], "--model"),
        (&["--runs", "0"][..], "--runs"),
        (&["--clients", "0"][..], "--clients"),
        (&["--rate", "0"][..], "--rate"),
        (&["--seed", "-1"][..], "--seed"),
        (&["--threads", "0"][..], "--threads"),
        (&["--json", ""][..], "--json"),
        (&["--clients", "-5"][..], "--clients"),
        (&["--model", "-x"][..], "--model"),
        (&["--clients", "10,10"][..], "'10' is listed twice"),
        (&["--clients", "1..1000,2000"][..], "at most 1000"),
    ] {
        let out = storm(args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}

#[test]
fn an_output_that_cannot_be_written_is_refused_before_the_run() {
    let dir = scratch("refused");
    let file = dir.join("plain");
    std::fs::write(&file, b"keep").unwrap();
    let path = file.join("storm.svg");
    let out = storm(&["--svg", path.to_str().unwrap()]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "nothing ran: {err}");
    assert!(err.contains("is a file, not a folder"), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read(&file).unwrap(), b"keep");
}

#[test]
fn the_same_path_for_the_json_and_the_svg_is_refused_naming_both() {
    let dir = scratch("same");
    let path = dir.join("s.json");
    let out = storm(&[
        "--json",
        path.to_str().unwrap(),
        "--svg",
        path.to_str().unwrap(),
    ]);
    common::assert_json_and_svg_refused(&out);
    assert!(common::files(&dir).is_empty(), "no file was made");
}

#[test]
fn a_dash_writes_the_json_to_stdout_and_the_tables_to_stderr() {
    let dir = common::workdir();
    let args = [
        &["storm", "--model", "amplification"][..],
        &SMALL,
        &["--json", "-"],
    ]
    .concat();
    let ran = common::sim(&dir, &args);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let rows: Vec<Value> = serde_json::from_str(&ran.stdout).expect("stdout is the JSON alone");
    assert!(rows.iter().all(|r| r["model"] == "amplification"));
    assert!(
        ran.stderr.contains("amplification: 10 clients"),
        "{}",
        ran.stderr
    );
    assert!(common::files(&dir).is_empty(), "no file named '-'");
    let out = storm(&["--json", "-", "--svg", "-"]);
    common::assert_json_and_svg_refused(&out);
}

#[test]
fn a_json_that_cannot_reach_stdout_exits_3() {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["storm", "--model", "collapse", "--runs", "1", "--json", "-"])
        .stdout(common::closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(
        err.lines().last(),
        Some("error: cannot write the JSON to stdout: broken pipe")
    );
}

#[test]
fn tables_that_cannot_reach_stdout_exit_3_with_the_files_written() {
    let dir = scratch("closed");
    let (json, svg) = (dir.join("storm.json"), dir.join("storm.svg"));
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("storm")
        .args(SMALL)
        .arg("--json")
        .arg(&json)
        .arg("--svg")
        .arg(&svg)
        .stdout(common::closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{err}");
    let reported = "error: cannot write the table to stdout: broken pipe";
    assert_eq!(err.matches(reported).count(), 1, "reported once: {err}");
    assert!(err.contains("storm: collapse:"), "both models ran: {err}");
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for model in ["amplification", "collapse"] {
        assert!(rows.iter().any(|r| r["model"] == model), "{model}");
    }
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
}

/// However many runs a point is asked for, the study holds its points' sums, not every run's
/// numbers: four billion runs a point start in a 200 MB address space (holding each run's totals
/// would take 16 TB), and a signal then ends them and leaves no file.
#[cfg(target_os = "linux")]
#[test]
fn four_billion_runs_a_point_start_in_fixed_memory() {
    use std::os::unix::process::ExitStatusExt;
    let dir = common::workdir();
    let child = Command::new("sh")
        .args(["-c", "ulimit -v 204800 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_sim"))
        .args(["storm", "--runs", "4000000000", "--threads", "2"])
        .args(["--model", "amplification", "--json", "s.json"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Whatever the test finds, the study, which would run for years, ends with it.
    struct Ends(std::process::Child);
    impl Drop for Ends {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Ends(child);
    // The worker threads start once the sums are made: wait for one beside the main thread and
    // the one that waits for signals (a bound on the wait, not on the study: a machine that
    // cannot start the thread in a minute fails the test rather than hanging it).
    let status = format!("/proc/{}/status", child.0.id());
    let given_up = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(ended) = child.0.try_wait().unwrap() {
            panic!("the study ended before its threads started: {ended:?}");
        }
        let threads = std::fs::read_to_string(&status)
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("Threads:").map(|n| n.trim().parse::<u32>()))
            .and_then(Result::ok);
        if threads.is_some_and(|n| n >= 3) {
            break;
        }
        assert!(
            std::time::Instant::now() < given_up,
            "no worker thread started ({status}: {threads:?} threads)"
        );
        std::thread::yield_now();
    }
    let sent = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    assert_eq!(child.0.wait().unwrap().signal(), Some(15));
    assert_eq!(common::files(&dir), Vec::<std::path::PathBuf>::new());
}

/// The runs a study makes are counted before it starts: on a host whose `usize` cannot count
/// them (a 32-bit one, from about 4 billion), `sim storm` refuses `--runs` rather than make
/// fewer.
#[test]
fn the_runs_of_a_study_are_counted_or_refused() {
    use sim::storm::study::{COLLAPSE_POINTS, amplification_points, total_runs};
    assert_eq!(amplification_points(1), 126);
    assert_eq!(amplification_points(3), 378);
    assert_eq!(COLLAPSE_POINTS, 12);
    assert_eq!(total_runs(126, 10), Some(1260));
    assert_eq!(
        total_runs(12, u32::MAX),
        12usize.checked_mul(u32::MAX as usize)
    );
    assert_eq!(total_runs(usize::MAX / 2 + 1, 2), None);
    assert_eq!(total_runs(usize::MAX, 1), Some(usize::MAX));
}
