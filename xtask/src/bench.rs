//! `cargo xtask bench`: the host benchmarks beside the peers, as a table of ratios.

use std::path::Path;
use std::process::Command;

use crate::firmware::run_step;

/// The benchmark groups, with the label the table gives them.
const CASES: [(&str, &str); 6] = [
    ("delay_n3", "delay for attempt 3"),
    ("delay_n1000", "delay for attempt 1000 (saturated)"),
    ("run5", "run of 5 attempts, no-op sleep"),
    ("delay_n3_jitter", "delay for attempt 3, jitter"),
    ("delay_n1000_jitter", "delay for attempt 1000, jitter"),
    ("run5_jitter", "run of 5 attempts, jitter"),
];

const OURS: &str = "embedded-retry";
const PEERS: [&str; 3] = ["backon", "backoff", "exponential-backoff"];

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
        "| case | {OURS} | {} |",
        PEERS.map(|p| format!("{p} (ratio)")).join(" | ")
    );
    println!("|---|---:|{}", "---:|".repeat(PEERS.len()));
    for (case, label) in CASES {
        let ours = mean_ns(case, OURS)?;
        let mut cells = vec![format_ns(ours)];
        for peer in PEERS {
            let theirs = mean_ns(case, peer)?;
            cells.push(format!("{} ({:.1}x)", format_ns(theirs), theirs / ours));
        }
        println!("| {label} | {} |", cells.join(" | "));
    }
    println!();
    println!(
        "Mean time per call; the ratio is the peer's time over ours (above 1: we are faster)."
    );
    Ok(())
}

fn format_ns(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}
