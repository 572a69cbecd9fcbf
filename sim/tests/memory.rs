//! A run of any length in fixed memory: each operation's entry goes to the report as the
//! operation finishes, and nothing kept per operation grows with the run.

mod common;

use std::ops::ControlFlow;
use std::process::{Command, Stdio};

use common::{assert_has, read_json, workdir};
use serde_json::json;
use sim::harness::scenario::{self, Operation, Scenario};
use sim::parse::Limit;

#[test]
fn twenty_thousand_operations_run_in_a_100_mb_address_space() {
    // Ten times fewer than the 200 000 checked by hand under 1 GB (see the README), in ten times
    // less room: holding each operation's 1024-record log, as the report once did, would need
    // over 500 MB here.
    let dir = workdir();
    let out = Command::new("sh")
        .args(["-c", "ulimit -v 102400 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_sim"))
        .args([
            "--operations",
            "20000",
            "--fail-count",
            "1",
            "--output",
            "r.json",
        ])
        .current_dir(&dir)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Success after 40000 attempts in 20000 operations (total delay: 2000000 ms)\n"
    );
    let report = read_json(&dir.join("r.json"));
    let operations = report["operations"].as_array().unwrap();
    assert_eq!(operations.len(), 20_000);
    assert_has(
        &operations[19_999],
        json!({"operation": 20_000, "status": "success", "total_attempts": 2}),
    );
    // The clock runs on across operations: 100 ms of sleep each.
    assert_has(
        &report,
        json!({"status": "success", "elapsed_ms": 2_000_000}),
    );
}

/// Runs `scenario`, handing each operation to `each` until it says stop.
fn run(scenario: &Scenario, each: &mut dyn FnMut(&Operation<'_>) -> ControlFlow<()>) {
    scenario::run(scenario, scenario.check().unwrap(), each).unwrap();
}

#[test]
fn an_operation_keeps_the_start_times_of_the_attempts_the_report_keeps_and_no_more() {
    for keep in [0, 1, 16, 1024] {
        let scenario = Scenario {
            max_attempts: Limit(None),
            fail_count: 5000,
            log_capacity: keep,
            ..Scenario::default()
        };
        let mut seen = 0;
        run(&scenario, &mut |operation| {
            seen += 1;
            assert_eq!(operation.outcome.total_attempts(), 5001);
            assert_eq!(operation.started_ms.len(), keep, "--log-capacity {keep}");
            // The last of them is the last attempt's start: the run's last sleep before it.
            if let Some(&last) = operation.started_ms.back() {
                assert_eq!(last, operation.ended_ms);
            }
            ControlFlow::Continue(())
        });
        assert_eq!(seen, 1);
    }
}

#[test]
fn each_operation_is_handed_on_as_it_finishes_and_the_run_can_stop_there() {
    let scenario = Scenario {
        operations: 1000,
        ..Scenario::default()
    };
    let mut ended = Vec::new();
    run(&scenario, &mut |operation| {
        ended.push(operation.ended_ms);
        if ended.len() == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    // 300 ms of sleep each; the 997 others never ran.
    assert_eq!(ended, [300, 600, 900]);
}
