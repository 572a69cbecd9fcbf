//! The stop rules and hints of `sim`, as a user drives them from the command line.

mod common;

use common::check;
use serde_json::json;

#[test]
fn a_delay_budget_is_reached_exactly_or_stops_the_run_before_the_sleep_that_passes_it() {
    check(
        &["--delay-budget", "300ms"],
        0,
        json!({"stop_reason": "success", "total_delay_ms": 300}),
    );
    check(
        &["--delay-budget", "699ms", "--fail-count", "10"],
        1,
        json!({
            "stop_reason": "delay_budget_exhausted",
            "attempts[].delay_ms": [100, 200, null],
            "attempts[].decision": ["retry", "retry", "stop"],
            "policy.delay_budget_ms": 699,
        }),
    );
}

#[test]
fn a_deadline_counts_the_operations_own_time() {
    // Calls of 10 ms at 0, 110 and 320 ms; the next sleep (400 ms) would end past 350 ms.
    let args = [
        "--deadline",
        "350ms",
        "--op-time",
        "10ms",
        "--fail-count",
        "10",
    ];
    check(
        &args,
        1,
        json!({
            "stop_reason": "deadline_exceeded",
            "attempts[].delay_ms": [100, 200, null],
            "attempts[].elapsed_ms": [0, 110, 320],
            "elapsed_ms": 330,
        }),
    );
}

#[test]
fn a_hinted_delay_is_slept_and_recorded() {
    check(
        &["--retry-after-at", "1:1.5s"],
        0,
        json!({
            "attempts[].decision": ["retry_after", "retry", null],
            "attempts[].hint_ms": [1500, null, null],
            "attempts[].delay_ms": [1500, 200, null],
            "attempts[].error": [
                "Simulated failure #1 (retry after 1500 ms)", "Simulated failure #2", null
            ],
        }),
    );
}

#[test]
fn a_hint_of_an_hour_is_slept_in_full() {
    check(
        &["--retry-after-at", "1:1h"],
        0,
        json!({
            "attempts[].hint_ms": [3_600_000, null, null],
            "attempts[].delay_ms": [3_600_000, 200, null],
            "policy.retry_after_at": [[1, 3_600_000]],
            // Then the schedule's second delay, on the mock clock.
            "total_delay_ms": 3_600_200,
            "elapsed_ms": 3_600_200,
        }),
    );
}

#[test]
fn a_deadline_inside_an_operation_and_per_operation_deadlines() {
    // The deadline (30 ms) passes while the first call (50 ms) runs: no retry.
    check(
        &["--deadline", "30ms", "--op-time", "50ms"],
        1,
        json!({"stop_reason": "deadline_exceeded", "total_attempts": 1}),
    );
    // Each operation's deadline runs from its own start: both succeed within 400 ms.
    let args = [
        "--deadline",
        "400ms",
        "--op-time",
        "10ms",
        "--operations",
        "2",
    ];
    check(
        &args,
        0,
        json!({
            "operations[].stop_reason": ["success", "success"],
            "operations[].attempts[].elapsed_ms": [[0, 110, 320], [330, 440, 650]],
        }),
    );
}

#[test]
fn a_hint_above_the_cap_is_honoured_or_stops_the_run_as_asked() {
    let hint = ["--retry-after-at", "1:2s", "--max-delay", "1s"];
    check(
        &hint,
        0,
        json!({"attempts[].delay_ms": [2000, 200, null], "policy.hint_above_cap": "honour"}),
    );
    check(
        &[&hint[..], &["--hint-above-cap", "stop"]].concat(),
        1,
        json!({"stop_reason": "hint_above_cap", "total_delay_ms": 0}),
    );
    // Nor does a hint bypass the delay budget.
    check(
        &["--retry-after-at", "1:2s", "--delay-budget", "1s"],
        1,
        json!({"stop_reason": "delay_budget_exhausted", "total_attempts": 1}),
    );
}

#[test]
fn operations_share_a_retry_budget_and_each_gets_an_entry() {
    // 10 tokens, 5 a retry: the first operation retries twice and succeeds (10 - 5 - 5, and 5
    // back for a success after retries); the second pays for one retry and cannot pay for its
    // second; the third cannot pay for any.
    let r = check(
        &["--retry-budget", "10:5:1", "--operations", "3"],
        1,
        json!({
            "status": "failed",
            "operations[].operation": [1, 2, 3],
            "operations[].stop_reason": [
                "success", "retry_budget_exhausted", "retry_budget_exhausted"
            ],
            "operations[].retry_budget_left": [5, 0, 0],
        }),
    );
    assert!(r.get("attempts").is_none());

    // A success after retries gives back one retry's cost, not the refill: 100 - 10 - 10 + 10.
    check(
        &["--retry-budget", "100:10:1", "--fail-count", "2"],
        0,
        json!({"stop_reason": "success", "retry_budget_left": 90}),
    );

    // A budget that can pay for everything: every operation succeeds.
    check(
        &["--retry-budget", "500:5:1", "--operations", "3"],
        0,
        json!({
            "status": "success",
            "operations[].retry_budget_left": [495, 490, 485],
            "policy.retry_budget": {"capacity": 500, "cost": 5, "refill": 1},
        }),
    );
}

#[test]
fn attempts_that_all_time_out_are_ended_by_any_rule_that_can_end_them() {
    // Each call takes 100 ms and is cut off at 50 ms; without an attempt limit, a deadline, a
    // delay budget or a retry budget with a cost ends the run.
    let cut_off = [
        "--max-attempts",
        "unlimited",
        "--attempt-timeout",
        "50ms",
        "--op-time",
        "100ms",
    ];
    for (rule, reason, attempts) in [
        (&["--deadline", "1s"][..], "deadline_exceeded", 4),
        (&["--delay-budget", "1s"][..], "delay_budget_exhausted", 4),
        (
            &["--retry-budget", "10:5:1"][..],
            "retry_budget_exhausted",
            3,
        ),
    ] {
        check(
            &[&cut_off[..], rule].concat(),
            1,
            json!({"stop_reason": reason, "total_attempts": attempts,
                   "error": "the attempt timed out"}),
        );
    }
    // With timeouts that spend no time, the sleeps alone bring the deadline: at 0, 100, 300
    // and 700 ms; the next sleep (800 ms) would end past 1 s.
    check(
        &[
            &cut_off[..3],
            &["0ms", "--op-time", "1ms", "--deadline", "1s"],
        ]
        .concat(),
        1,
        json!({"stop_reason": "deadline_exceeded", "attempts[].elapsed_ms": [0, 100, 300, 700]}),
    );
    // A call that takes exactly its timeout ends in time.
    check(
        &[
            "--max-attempts",
            "unlimited",
            "--attempt-timeout",
            "50ms",
            "--op-time",
            "50ms",
        ],
        0,
        json!({"stop_reason": "success", "total_attempts": 3}),
    );
}

#[test]
fn a_non_retryable_call_ends_a_run_whose_hints_would_run_past_the_last_call_number() {
    check(
        &[
            "--max-attempts",
            "unlimited",
            "--fail-count",
            "4294967294",
            "--retry-after-at",
            "4294967295:0ms",
            "--non-retryable-at",
            "3",
        ],
        1,
        json!({"stop_reason": "not_retryable", "total_attempts": 3}),
    );
}
