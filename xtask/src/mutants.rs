//! `cargo xtask mutants`: mutation testing of the core with cargo-mutants.
//!
//! Every mutant that builds must be caught by a test, or be listed in the README's
//! "Mutants that survive" section with the reason it is equivalent to the original.

use std::path::Path;
use std::process::Command;

use crate::firmware::run_step;

/// Runs cargo-mutants on the core (installing it if missing), prints the counts, and fails if a
/// missed mutant is not explained in the README.
pub fn run(root: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let installed = Command::new(&cargo)
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        println!("xtask: installing cargo-mutants (cargo install --locked cargo-mutants)");
        let mut install = Command::new(&cargo);
        install.args(["install", "--locked", "cargo-mutants"]);
        run_step(install, "installing cargo-mutants")?;
    }

    println!("xtask: mutation testing of the core (cargo mutants --package embedded-retry)");
    let mut mutants = Command::new(&cargo);
    mutants
        .current_dir(root)
        .args([
            "mutants",
            "--package",
            "embedded-retry",
            "--no-shuffle",
            "--jobs",
        ])
        // One build at a time per core: each mutant's build and tests are single-threaded
        // enough that two at once on two cores take half the time.
        .arg(
            std::thread::available_parallelism()
                .map_or(1, usize::from)
                .to_string(),
        );
    // cargo-mutants exits non-zero when mutants are missed; the lists below are the verdict.
    let _ = mutants
        .status()
        .map_err(|e| format!("cannot run cargo mutants: {e}"))?;

    let out = root.join("mutants.out");
    let list = |name: &str| -> Vec<String> {
        std::fs::read_to_string(out.join(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect()
    };
    let (caught, missed, unviable, timeout) = (
        list("caught.txt"),
        list("missed.txt"),
        list("unviable.txt"),
        list("timeout.txt"),
    );
    if caught.is_empty() && missed.is_empty() {
        return Err("cargo mutants produced no results".into());
    }
    println!(
        "xtask mutants: {} caught, {} missed, {} unviable, {} timed out",
        caught.len(),
        missed.len(),
        unviable.len(),
        timeout.len()
    );
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap_or_default();
    let unexplained: Vec<String> = missed
        .iter()
        .chain(&timeout)
        .map(|m| without_position(m))
        .filter(|m| !readme.contains(m.as_str()))
        .collect();
    if unexplained.is_empty() {
        println!("xtask mutants: every surviving mutant is explained in the README");
        Ok(())
    } else {
        for m in &unexplained {
            println!("  not explained: {m}");
        }
        Err(format!(
            "{} surviving mutants are not explained in the README",
            unexplained.len()
        ))
    }
}

/// `core/src/wide.rs:93:20: replace > with >= in Wide::floor_below` without the line and
/// column, which move with every edit: `core/src/wide.rs: replace > with >= in ...`.
fn without_position(mutant: &str) -> String {
    let mut parts = mutant.splitn(4, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(file), Some(line), Some(column), Some(rest))
            if line.chars().all(|c| c.is_ascii_digit())
                && column.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{file}:{rest}")
        }
        _ => mutant.to_string(),
    }
}
