//! `cargo xtask bench`: the host benchmarks beside the peers, as a table of ratios.

use std::path::Path;
use std::process::Command;

use crate::firmware::run_step;

/// The benchmark groups, with the label the table gives them, and whether the group has the
/// hand-written loop (the runs do; a lone delay has no loop to write).
const CASES: [(&str, &str, bool); 6] = [
    ("delay_n3", "delay for attempt 3", false),
    ("delay_n1000", "delay for attempt 1000 (saturated)", false),
    ("run5", "run of 5 attempts, no-op sleep", true),
    ("delay_n3_jitter", "delay for attempt 3, jitter", false),
    (
        "delay_n1000_jitter",
        "delay for attempt 1000, jitter",
        false,
    ),
    ("run5_jitter", "run of 5 attempts, jitter", true),
];

const OURS: &str = "embedded-retry";
/// Our run with its whole outcome kept, so that the log's records are written.
const LOG_READ: &str = "embedded-retry-log-read";
/// The floor: the same run as a plain integer loop.
const FLOOR: &str = "hand-written";
const PEERS: [&str; 3] = ["backon", "backoff", "exponential-backoff"];

/// The goals for a run: each peer takes at least this many times our time...
const PEER_GOAL: f64 = 1.5;
/// ...and we take at most this many times the hand-written loop's.
const FLOOR_GOAL: f64 = 3.0;

/// Runs the benchmarks and prints the table; fails if a result is missing.
pub fn run(root: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut bench = Command::new(cargo);
    bench
        .current_dir(root)
        .args(["bench", "--package", "retry-bench", "--bench", "peers"]);
    run_step(bench, "the benchmarks")?;

    let criterion = root.join("target/criterion");
    let mean_ns = |case: &str, library: &str| -> Result<f64, String> {
        let path = criterion
            .join(case)
            .join(library)
            .join("new/estimates.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        // {"mean":{"confidence_interval":{...},"point_estimate":12.3,...},...}
        text.split_once("\"mean\"")
            .and_then(|(_, rest)| rest.split_once("\"point_estimate\":"))
            .and_then(|(_, rest)| rest.split([',', '}']).next())
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| format!("no mean in {}", path.display()))
    };
    println!();
    println!(
        "| case | {OURS} | {FLOOR} (ratio) | {} |",
        PEERS.map(|p| format!("{p} (ratio)")).join(" | ")
    );
    println!("|---|---:|---:|{}", "---:|".repeat(PEERS.len()));
    let mut goals = Vec::new();
    let mut log_read = Vec::new();
    for (case, label, has_floor) in CASES {
        let ours = mean_ns(case, OURS)?;
        let mut cells = vec![format_ns(ours)];
        if has_floor {
            let floor = mean_ns(case, FLOOR)?;
            cells.push(format!("{} ({:.1}x)", format_ns(floor), ours / floor));
            let kept = mean_ns(case, LOG_READ)?;
            log_read.push(format!(
                "  {label}: {}, {:.2}x the {FLOOR} loop",
                format_ns(kept),
                kept / floor
            ));
            goals.push((
                label,
                format!(
                    "{:.2}x the {FLOOR} loop (goal: at most {FLOOR_GOAL}x)",
                    ours / floor
                ),
                ours / floor <= FLOOR_GOAL,
            ));
        } else {
            cells.push("-".into());
        }
        for peer in PEERS {
            let theirs = mean_ns(case, peer)?;
            cells.push(format!("{} ({:.1}x)", format_ns(theirs), theirs / ours));
            if has_floor {
                goals.push((
                    label,
                    format!(
                        "{:.2}x faster than {peer} (goal: {PEER_GOAL}x)",
                        theirs / ours
                    ),
                    theirs / ours >= PEER_GOAL,
                ));
            }
        }
        println!("| {label} | {} |", cells.join(" | "));
    }
    println!();
    println!(
        "Mean time per call. A peer's ratio is its time over ours (above 1: we are faster); the \
         {FLOOR} loop's is our time over its (how many times the floor we take)."
    );
    println!();
    println!("With the log read (the whole outcome kept, so every record is written):");
    for line in log_read {
        println!("{line}");
    }
    println!();
    println!("Goals for a run of 5 attempts:");
    for (label, figure, met) in goals {
        let verdict = if met { "met" } else { "not met" };
        println!("  {label}: {figure}: {verdict}");
    }
    Ok(())
}

fn format_ns(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}
