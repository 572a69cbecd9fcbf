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
    let unexplained = unexplained(&readme, missed.iter().chain(&timeout));
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

/// The surviving mutants that `readme` does not explain. Without their line and column, several
/// mutants can share a name (the same operator twice in one function), so a name explains as
/// many survivors as the README lists it, each in backticks: one more survivor of that name is a
/// new one.
fn unexplained<'a>(readme: &str, survivors: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut seen: Vec<(String, usize)> = Vec::new();
    let mut unexplained = Vec::new();
    for survivor in survivors {
        let name = without_position(survivor);
        let count = match seen.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                seen.push((name.clone(), 1));
                1
            }
        };
        if readme.matches(&format!("`{name}`")).count() < count {
            unexplained.push(survivor.clone());
        }
    }
    unexplained
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_explains_as_many_survivors_as_the_readme_lists_it() {
        let readme = "`a.rs: replace | with ^ in f` and `a.rs: replace | with ^ in f`; `b.rs: x`";
        let survivors = [
            "a.rs:1:2: replace | with ^ in f",
            "a.rs:3:4: replace | with ^ in f",
            "b.rs:5:6: x",
        ]
        .map(String::from);
        assert!(unexplained(readme, survivors.iter()).is_empty());
        let one_more = [
            "a.rs:1:2: replace | with ^ in f",
            "a.rs:3:4: replace | with ^ in f",
            "a.rs:7:8: replace | with ^ in f",
            "b.rs:5:6: x",
            "c.rs:9:9: y",
        ]
        .map(String::from);
        assert_eq!(
            unexplained(readme, one_more.iter()),
            ["a.rs:7:8: replace | with ^ in f", "c.rs:9:9: y"]
        );
    }
}
