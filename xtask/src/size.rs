//! `cargo xtask size`: flash and RAM of the firmware, and the flash the retry engine adds.
//! Besides the table it writes the Cortex-M0 figures the goals are set for to
//! `target/size.json`.

use crate::elf::{Footprint, footprint};
use crate::firmware::{BOARDS, Board, build, build_firmware};
use crate::toolchain::Thumb;

/// Probe builds, from the baseline (no retry) to a policy built at run time.
/// Row 1 is the floor, the loop a firmware engineer writes by hand; row 2 is the engine the
/// budget is for.
const PROBES: [(&str, &[&str]); 12] = [
    ("baseline, no retry", &[]),
    (
        "hand-written loop, same policy, generator and jitter, no log: flash added",
        &["hand-loop"],
    ),
    (
        "retry engine, factor 2, equal jitter: flash added",
        &["retry"],
    ),
    (
        "retry engine, factor 2, equal jitter, no log (`Policy<0>`): flash added",
        &["no-log"],
    ),
    (
        "retry engine, factor 2, equal jitter, every record read back afterwards: flash added",
        &["read-log"],
    ),
    (
        "retry engine, factor 2, no jitter: flash added",
        &["no-jitter"],
    ),
    (
        "retry engine, factor 2, decorrelated jitter: flash added",
        &["decorrelated"],
    ),
    (
        "retry engine, factor 1.5, equal jitter: flash added",
        &["decimal-factor"],
    ),
    (
        "retry engine, async, factor 2, equal jitter: flash added",
        &["async-retry"],
    ),
    (
        "retry engine, policy built at run time (any factor and jitter): flash added",
        &["runtime-policy"],
    ),
    (
        "retry engine, every setting and path at run time, every form (deadline, budget, hook, hints): flash added",
        &["any-policy"],
    ),
    (
        "the seed's float `compute_delay` (f64, soft-float): flash added",
        &["float-seed"],
    ),
];

/// The summary's keys, and the goal for each (at most this many bytes), all on the Cortex-M0.
/// A key ending in `_flash` is the flash added by the probe built with the feature beside it;
/// `m0_engine_stack` is the painted stack of the probe's run, from the `stack` binary.
const SUMMARY: [(&str, Option<&str>, u64); 5] = [
    ("m0_engine_flash", Some("retry"), 512),
    ("m0_engine_flash_no_log", Some("no-log"), 448),
    ("m0_engine_stack", None, 256),
    ("m0_async_engine_flash", Some("async-retry"), 1228),
    ("m0_runtime_policy_flash", Some("runtime-policy"), 1536),
];

/// The most flash the engine may add on the Cortex-M0, with a const factor-2 policy.
const ENGINE_BUDGET: u64 = 1024;

/// The figures for one board.
struct Sizes {
    firmware: Footprint,
    /// The `embassy` firmware: the executor, embassy-time and its driver, and the async engine.
    embassy: Footprint,
    probes: Vec<Footprint>,
    /// `Policy<8>`, one log record with a one-byte error, an 8-record log of `u32` errors, and
    /// the stack a run uses, as the `checks` and `stack` firmware measure them on the chip.
    memory: [u64; 4],
}

fn measure(thumb: Thumb, board: Board) -> Result<Sizes, String> {
    let read = |path: std::path::PathBuf| -> Result<Footprint, String> {
        let elf =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        footprint(&elf).map_err(|e| format!("{}: {e}", path.display()))
    };
    let firmware = read(build(thumb, board, "firmware-example", &[], "sensor")?)?;
    let embassy = read(build_firmware(thumb, board, "embassy")?)?;
    let checks = crate::qemu::run(
        board.name,
        board.cpu,
        &build(thumb, board, "firmware-example", &[], "checks")?,
    )?;
    let [policy, record, log] = checks
        .lines
        .iter()
        .find_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words[..] {
                ["memory", "policy", p, "record", r, "log", l] => {
                    Some([p.parse().ok()?, r.parse().ok()?, l.parse().ok()?])
                }
                _ => None,
            }
        })
        .ok_or_else(|| format!("checks on {} did not report its memory use", board.name))?;
    let stack = crate::qemu::run(
        board.name,
        board.cpu,
        &build(thumb, board, "firmware-example", &[], "stack")?,
    )?;
    if stack.status != 0 {
        return Err(format!(
            "stack on {} exited with {}",
            board.name, stack.status
        ));
    }
    let stack = stack
        .lines
        .iter()
        .find_map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                ["stack", bytes] => bytes.parse().ok(),
                _ => None,
            },
        )
        .ok_or_else(|| {
            format!(
                "stack on {} did not report the stack a run used",
                board.name
            )
        })?;
    let memory = [policy, record, log, stack];
    let mut probes = Vec::new();
    for (_, features) in PROBES {
        probes.push(read(build(thumb, board, "probe", features, "probe")?)?);
    }
    Ok(Sizes {
        firmware,
        embassy,
        probes,
        memory,
    })
}

/// Builds everything for both boards and prints the table (Markdown, as in the README).
pub fn report(thumb: Thumb) -> Result<(), String> {
    let sizes = BOARDS
        .into_iter()
        .map(|board| measure(thumb, board))
        .collect::<Result<Vec<_>, _>>()?;
    let header: Vec<String> = BOARDS
        .iter()
        .map(|b| format!("{} ({})", b.chip, b.name))
        .collect();
    println!();
    println!("| bytes | {} |", header.join(" | "));
    println!("|---|{}", "---:|".repeat(BOARDS.len()));
    let row = |label: &str, cells: Vec<String>| println!("| {label} | {} |", cells.join(" | "));
    row(
        "`sensor` firmware: flash",
        sizes.iter().map(|s| s.firmware.flash.to_string()).collect(),
    );
    row(
        "`sensor` firmware: RAM (static)",
        sizes.iter().map(|s| s.firmware.ram.to_string()).collect(),
    );
    row(
        "`embassy` firmware: flash",
        sizes.iter().map(|s| s.embassy.flash.to_string()).collect(),
    );
    row(
        "`embassy` firmware: RAM (static)",
        sizes.iter().map(|s| s.embassy.ram.to_string()).collect(),
    );
    row(
        "probe, baseline: flash",
        sizes
            .iter()
            .map(|s| s.probes[0].flash.to_string())
            .collect(),
    );
    for (i, (label, _)) in PROBES.iter().enumerate().skip(1) {
        row(
            label,
            sizes
                .iter()
                .map(|s| engine_flash(s, i).to_string())
                .collect(),
        );
    }
    println!();
    println!(
        "The engine: exponential backoff, xorshift, an 8-record log; const policies unless said."
    );
    println!();
    println!("| bytes, measured on the chip | {} |", header.join(" | "));
    println!("|---|{}", "---:|".repeat(BOARDS.len()));
    for (i, label) in [
        "`Policy<8>`",
        "one log record, `AttemptOutcome<E>` with a one-byte error",
        "an 8-record log, `AttemptLog<u32, 8>`",
        "stack used by a retry run (painted)",
    ]
    .into_iter()
    .enumerate()
    {
        row(
            label,
            sizes.iter().map(|s| s.memory[i].to_string()).collect(),
        );
    }
    let m0 = BOARDS
        .iter()
        .position(|b| b.chip == "Cortex-M0")
        .ok_or("no Cortex-M0 board")?;
    let summary = SUMMARY
        .iter()
        .map(|&(key, feature, _)| {
            let bytes = match feature {
                Some(feature) => engine_flash(&sizes[m0], probe_index(feature)?),
                // The stack, painted.
                None => sizes[m0].memory[3],
            };
            Ok((key, bytes))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut written = summary.clone();
    written.push((
        "m0_hand_loop_flash",
        engine_flash(&sizes[m0], probe_index("hand-loop")?),
    ));
    let path = crate::firmware::root().join("target/size.json");
    write_summary(&path, &written)?;
    println!();
    println!(
        "Written to target/size.json (with `m0_hand_loop_flash`, the floor), beside the goals:"
    );
    println!();
    println!("| Cortex-M0, bytes | now | goal | |");
    println!("|---|---:|---:|---|");
    for (&(key, bytes), &(_, _, goal)) in summary.iter().zip(&SUMMARY) {
        let verdict = if bytes <= goal { "met" } else { "not met" };
        println!("| `{key}` | {bytes} | <= {goal} | {verdict} |");
    }
    println!();
    let engine = engine_flash(&sizes[m0], probe_index("retry")?);
    if engine > ENGINE_BUDGET {
        return Err(format!(
            "the engine adds {engine} bytes of flash on the Cortex-M0, over its {ENGINE_BUDGET}-byte budget"
        ));
    }
    println!("Within budget: {engine} of {ENGINE_BUDGET} bytes on the Cortex-M0.");
    Ok(())
}

/// The row of the probe built with `feature` alone.
fn probe_index(feature: &str) -> Result<usize, String> {
    PROBES
        .iter()
        .position(|(_, features)| *features == [feature])
        .ok_or_else(|| format!("no probe is built with `{feature}` alone"))
}

/// Writes `summary` as a JSON object of integers to `path`, through a temporary file renamed
/// into place, so a reader never sees half a file.
fn write_summary(path: &std::path::Path, summary: &[(&str, u64)]) -> Result<(), String> {
    let fields: Vec<String> = summary
        .iter()
        .map(|(key, bytes)| format!("  \"{key}\": {bytes}"))
        .collect();
    let json = format!("{{\n{}\n}}\n", fields.join(",\n"));
    let temporary = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let written = std::fs::create_dir_all(path.parent().unwrap_or(path))
        .and_then(|()| std::fs::write(&temporary, json))
        .and_then(|()| std::fs::rename(&temporary, path));
    written.map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The flash probe `i` adds to the baseline (0 if it came out smaller).
fn engine_flash(sizes: &Sizes, i: usize) -> u64 {
    sizes.probes[i].flash.saturating_sub(sizes.probes[0].flash)
}
