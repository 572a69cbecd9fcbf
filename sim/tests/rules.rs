//! The stop rules and hints of `sim`, as a user drives them from the command line.

use std::process::Command;

use serde_json::Value;

/// Runs `sim` with the report on stdout; returns the exit status and the report.
fn sim(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .args(["--output", "-"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), report)
}

fn delays(attempts: &Value) -> Vec<u64> {
    attempts
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.get("delay_ms").and_then(Value::as_u64))
        .collect()
}

#[test]
fn a_delay_budget_is_reached_exactly_or_stops_the_run_before_the_sleep_that_passes_it() {
    let (code, r) = sim(&["--delay-budget", "300ms"]);
    assert_eq!((code, &r["stop_reason"]), (0, &Value::from("success")));
    assert_eq!(r["total_delay_ms"], 300);

    let (code, r) = sim(&["--delay-budget", "699ms", "--fail-count", "10"]);
    assert_eq!(code, 1);
    assert_eq!(r["stop_reason"], "delay_budget_exhausted");
    assert_eq!(delays(&r["attempts"]), [100, 200]);
    assert_eq!(r["attempts"][2]["decision"], "stop");
    assert_eq!(r["policy"]["delay_budget_ms"], 699);
}

#[test]
fn a_deadline_counts_the_operations_own_time() {
    // Calls of 10 ms at 0, 110 and 320 ms; the next sleep (400 ms) would end past 350 ms.
    let (code, r) = sim(&[
        "--deadline",
        "350ms",
        "--op-time",
        "10ms",
        "--fail-count",
        "10",
    ]);
    assert_eq!(code, 1);
    assert_eq!(r["stop_reason"], "deadline_exceeded");
    assert_eq!(delays(&r["attempts"]), [100, 200]);
    let started: Vec<u64> = r["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["elapsed_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(started, [0, 110, 320]);
    assert_eq!(r["elapsed_ms"], 330);
}

#[test]
fn a_hinted_delay_is_slept_and_recorded() {
    let (code, r) = sim(&["--retry-after-at", "1:1.5s"]);
    assert_eq!(code, 0);
    let first = &r["attempts"][0];
    assert_eq!(first["decision"], "retry_after");
    assert_eq!(first["hint_ms"], 1500);
    assert_eq!(first["delay_ms"], 1500);
    assert_eq!(first["error"], "Simulated failure #1 (retry after 1500 ms)");
    assert_eq!(r["attempts"][1]["decision"], "retry");
    assert_eq!(delays(&r["attempts"]), [1500, 200]);
}

#[test]
fn a_hint_of_an_hour_is_slept_in_full() {
    let (code, r) = sim(&["--retry-after-at", "1:1h"]);
    assert_eq!(code, 0);
    assert_eq!(r["attempts"][0]["hint_ms"], 3_600_000);
    assert_eq!(r["attempts"][0]["delay_ms"], 3_600_000);
    assert_eq!(
        r["policy"]["retry_after_at"],
        serde_json::json!([[1, 3_600_000]])
    );
    // Then the schedule's second delay, on the mock clock.
    assert_eq!(r["total_delay_ms"], 3_600_000 + 200);
    assert_eq!(r["elapsed_ms"], 3_600_200);
}

#[test]
fn a_deadline_inside_an_operation_and_per_operation_deadlines() {
    // The deadline (30 ms) passes while the first call (50 ms) runs: no retry.
    let (code, r) = sim(&["--deadline", "30ms", "--op-time", "50ms"]);
    assert_eq!(code, 1);
    assert_eq!(
        (&r["stop_reason"], &r["total_attempts"]),
        (&Value::from("deadline_exceeded"), &Value::from(1))
    );
    // Each operation's deadline runs from its own start: both succeed within 400 ms.
    let (code, r) = sim(&[
        "--deadline",
        "400ms",
        "--op-time",
        "10ms",
        "--operations",
        "2",
    ]);
    assert_eq!(code, 0);
    let operations = r["operations"].as_array().unwrap();
    assert!(operations.iter().all(|o| o["stop_reason"] == "success"));
    assert_eq!(operations[1]["attempts"][0]["elapsed_ms"], 330);
}

#[test]
fn a_hint_above_the_cap_is_honoured_or_stops_the_run_as_asked() {
    let (code, r) = sim(&["--retry-after-at", "1:2s", "--max-delay", "1s"]);
    assert_eq!(code, 0);
    assert_eq!(r["attempts"][0]["delay_ms"], 2000);
    assert_eq!(r["policy"]["hint_above_cap"], "honour");
    let args = [
        "--retry-after-at",
        "1:2s",
        "--max-delay",
        "1s",
        "--hint-above-cap",
        "stop",
    ];
    let (code, r) = sim(&args);
    assert_eq!(code, 1);
    assert_eq!(r["stop_reason"], "hint_above_cap");
    assert_eq!(r["total_delay_ms"], 0);
}

#[test]
fn a_hint_does_not_bypass_the_delay_budget() {
    let (code, r) = sim(&["--retry-after-at", "1:2s", "--delay-budget", "1s"]);
    assert_eq!(code, 1);
    assert_eq!(r["stop_reason"], "delay_budget_exhausted");
    assert_eq!(r["total_attempts"], 1);
}

#[test]
fn operations_share_a_retry_budget_and_each_gets_an_entry() {
    // 10 tokens, 5 a retry: the first operation retries twice and succeeds (10 - 5 - 5, and 5
    // back for a success after retries); the second pays for one retry and cannot pay for its
    // second; the third cannot pay for any.
    let (code, r) = sim(&["--retry-budget", "10:5:1", "--operations", "3"]);
    assert_eq!(code, 1);
    assert_eq!(r["status"], "failed");
    let operations = r["operations"].as_array().unwrap();
    assert_eq!(operations.len(), 3);
    let summary: Vec<(u64, &str, u64)> = operations
        .iter()
        .map(|o| {
            (
                o["operation"].as_u64().unwrap(),
                o["stop_reason"].as_str().unwrap(),
                o["retry_budget_left"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "success", 5),
            (2, "retry_budget_exhausted", 0),
            (3, "retry_budget_exhausted", 0)
        ]
    );
    assert!(r.get("attempts").is_none());

    // A budget that can pay for everything: every operation succeeds.
    let (code, r) = sim(&["--retry-budget", "500:5:1", "--operations", "3"]);
    assert_eq!(code, 0);
    let left: Vec<u64> = r["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["retry_budget_left"].as_u64().unwrap())
        .collect();
    assert_eq!(left, [495, 490, 485]);
    assert_eq!(
        r["policy"]["retry_budget"],
        serde_json::json!({"capacity": 500, "cost": 5, "refill": 1})
    );
}
