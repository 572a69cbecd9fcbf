//! Project tasks beyond plain cargo. `cargo xtask ci` runs every check and test.

mod bench;
mod elf;
mod firmware;
mod mutants;
mod qemu;
mod size;
mod toolchain;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

use toolchain::{TARGETS, Thumb};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci                        every check and test, host and firmware: what CI runs
  firmware --board BOARD [--bin NAME]
                            build the firmware, run binary NAME (default sensor; or checks,
                            failing, reconnect, embassy) in QEMU, print its log, exit with its
                            status (BOARD: lm3s6965evb or microbit)
  size                      flash and RAM of the firmware, and the flash the retry engine adds
  mutants                   mutation testing of the core (slow; not part of ci)
  bench                     the host benchmarks beside backon, backoff and exponential-backoff";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["ci"] => ci(),
        ["firmware", ref options @ ..] => return firmware(options),
        ["size"] => Thumb::ensure().and_then(size::report),
        ["mutants"] => mutants::run(&firmware::root()),
        ["bench"] => bench::run(&firmware::root()),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("xtask: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask firmware --board BOARD [--bin NAME]`: exits with the firmware's own status.
fn firmware(options: &[&str]) -> ExitCode {
    let (board, bin) = match *options {
        ["--board", board] => (board, "sensor"),
        ["--board", board, "--bin", bin] | ["--bin", bin, "--board", board] => (board, bin),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let run = firmware::board(board)
        .and_then(|board| Ok((board, firmware::bin(bin)?)))
        .and_then(|(board, bin)| Ok((board, bin, Thumb::ensure()?)))
        .and_then(|(board, bin, thumb)| firmware::run_bin(thumb, board, bin));
    match run {
        Ok(run) => ExitCode::from(u8::try_from(run.status).unwrap_or(1)),
        Err(failure) => {
            eprintln!("xtask: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// A cargo command of the host workspace and the environment it needs.
struct Step {
    what: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    /// A target directory of its own, under the workspace's `target/`, for a step whose flags
    /// would otherwise overwrite what the other steps built (and be redone on every run).
    target_dir: Option<&'static str>,
}

/// The published crate: the core.
const CORE: &str = "embedded-retry";

const HOST_STEPS: &[Step] = &[
    Step {
        what: "formatting",
        args: &["fmt", "--all", "--check"],
        env: &[],
        target_dir: None,
    },
    Step {
        what: "lints",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
        target_dir: None,
    },
    Step {
        what: "lints with every feature of the core",
        args: &[
            "clippy",
            "--package",
            CORE,
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
        target_dir: None,
    },
    Step {
        what: "docs",
        args: &["doc", "--workspace", "--no-deps"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
        target_dir: None,
    },
    Step {
        what: "docs as docs.rs builds them",
        args: &["doc", "--package", CORE, "--all-features", "--no-deps"],
        // docs.rs passes `--cfg docsrs` (the crate's `[package.metadata.docs.rs]`) to a nightly
        // rustdoc; `RUSTC_BOOTSTRAP=1` lets the stable one accept the `doc_cfg` feature that
        // cfg turns on.
        env: &[
            ("RUSTDOCFLAGS", "-D warnings --cfg docsrs"),
            ("RUSTC_BOOTSTRAP", "1"),
        ],
        target_dir: Some("docsrs"),
    },
    Step {
        what: "host tests",
        args: &["test", "--workspace"],
        env: &[],
        target_dir: None,
    },
    Step {
        what: "the core's tests with every feature (the adapters' doctests included)",
        args: &["test", "--package", CORE, "--all-features"],
        env: &[],
        target_dir: None,
    },
    Step {
        what: "the tokio example, on tokio's real timer",
        args: &[
            "run",
            "--quiet",
            "--package",
            CORE,
            "--example",
            "tokio_retry",
            "--features",
            "tokio",
        ],
        env: &[],
        target_dir: None,
    },
    Step {
        what: "the std example, sleeping the thread",
        args: &[
            "run",
            "--quiet",
            "--package",
            CORE,
            "--example",
            "std_blocking",
            "--features",
            "std",
        ],
        env: &[],
        target_dir: None,
    },
    Step {
        what: "the package as crates.io would take it",
        // Builds the crate from its `.crate`, as `cargo publish` does. `--allow-dirty`: the other
        // steps check the working tree as it is, uncommitted edits included, and so does this
        // one, rather than failing because something is not committed yet.
        args: &["publish", "--dry-run", "--package", CORE, "--allow-dirty"],
        env: &[],
        target_dir: None,
    },
];

fn ci() -> Result<(), String> {
    let started = Instant::now();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for step in HOST_STEPS {
        println!("xtask: {} (cargo {})", step.what, step.args.join(" "));
        let mut command = Command::new(&cargo);
        command.args(step.args).envs(step.env.iter().copied());
        if let Some(dir) = step.target_dir {
            command.env(
                "CARGO_TARGET_DIR",
                firmware::root().join("target").join(dir),
            );
        }
        firmware::run_step(command, step.what)?;
    }
    package_tests(&cargo)?;
    no_adapter_without_its_feature(&cargo)?;

    println!("xtask: firmware formatting");
    let mut command = Command::new(&cargo);
    command.args(["fmt", "--all", "--check", "--manifest-path"]);
    command.arg(firmware::workspace().join("Cargo.toml"));
    firmware::run_step(command, "firmware formatting")?;

    let thumb = Thumb::ensure()?;
    println!("xtask: thumb targets through {thumb:?}");
    for target in TARGETS {
        for features in ["", "defmt"] {
            println!("xtask: the core alone for {target}, features [{features}]");
            let mut command = thumb.cargo_build(&firmware::workspace(), target);
            command.args([
                "--manifest-path",
                "../core/Cargo.toml",
                "--features",
                features,
            ]);
            firmware::run_step(command, "the core's no_std build")?;
        }
    }
    println!("xtask: no panic path (the probe links only without one)");
    for board in firmware::BOARDS {
        for features in [["any-policy"], ["async-retry"]] {
            firmware::build(thumb, board, "probe", &features, "probe")?;
        }
    }
    firmware::check_all(thumb)?;
    size::report(thumb)?;
    println!("xtask ci: all passed in {:.0?}", started.elapsed());
    Ok(())
}

/// The core's dependency tree without features holds none of the adapters' crates: they enter
/// only a build that asks for them.
fn no_adapter_without_its_feature(cargo: &str) -> Result<(), String> {
    println!("xtask: the core without features depends on no adapter's crate (cargo tree)");
    let output = Command::new(cargo)
        .args([
            "tree",
            "--package",
            CORE,
            "--edges",
            "normal",
            "--prefix",
            "none",
        ])
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    let adapters = ["tokio", "embassy-time", "log", "tracing"];
    let found: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| adapters.contains(name))
        .collect();
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the core without features depends on {}",
            found.join(", ")
        ))
    }
}

/// The core's own tests, run from its `.crate` alone: what a user who downloads the package gets,
/// with nothing from the rest of the workspace to lean on.
fn package_tests(cargo: &str) -> Result<(), String> {
    let target = firmware::root().join("target").join("package-tests");
    let package_args = ["package", "--package", CORE, "--allow-dirty", "--no-verify"];
    println!(
        "xtask: the package's own tests: packaging (cargo {})",
        package_args.join(" ")
    );
    let mut command = Command::new(cargo);
    command.args(package_args).arg("--target-dir").arg(&target);
    firmware::run_step(command, "packaging the core")?;
    let name = format!("{CORE}-{}", package_version(cargo)?);
    let crate_file = target.join("package").join(format!("{name}.crate"));

    // Cargo takes a package below a workspace's `Cargo.toml` for a member of that workspace, and
    // refuses it when it is not one; a published manifest cannot opt out. So the package is
    // unpacked where no folder above it holds a `Cargo.toml`: under the system's temporary folder.
    let unpacked = Unpacked::new(std::env::temp_dir().join(format!("{CORE}-package-tests")))?;
    if let Some(manifest) = unpacked
        .0
        .ancestors()
        .map(|dir| dir.join("Cargo.toml"))
        .find(|manifest| manifest.exists())
    {
        return Err(format!(
            "cannot test the package in {}: {} would take it for a workspace member; \
             set TMPDIR to a folder outside any cargo project",
            unpacked.0.display(),
            manifest.display()
        ));
    }
    // `-m`: the files get the time of unpacking, not the fixed time cargo writes into every
    // package, so cargo's change check (by modification time) sees an edited source as changed.
    let mut tar = Command::new("tar");
    tar.arg("-xzmf").arg(&crate_file).arg("-C").arg(&unpacked.0);
    firmware::run_step(tar, "unpacking the core's package")?;

    // `--locked`: the lock file in the package, which cargo made from the workspace's.
    let manifest = unpacked.0.join(&name).join("Cargo.toml");
    println!(
        "xtask: the package's own tests (cargo test --locked --manifest-path {})",
        manifest.display()
    );
    let mut command = Command::new(cargo);
    command
        .current_dir(&unpacked.0)
        .args(["test", "--locked", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target);
    firmware::run_step(command, "the package's own tests")
}

/// The core's version, as cargo resolves it (`version.workspace = true`).
fn package_version(cargo: &str) -> Result<String, String> {
    let output = Command::new(cargo)
        .args(["pkgid", "--package", CORE])
        .output()
        .map_err(|e| format!("cannot run cargo pkgid: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo pkgid failed ({})", output.status));
    }
    // `path+file:///.../core#embedded-retry@0.1.0`, or `...#0.1.0` when the folder has the name.
    let id = String::from_utf8_lossy(&output.stdout);
    id.trim()
        .rsplit_once('#')
        .map(|(_, fragment)| fragment.rsplit_once('@').map_or(fragment, |(_, v)| v))
        .filter(|version| !version.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("no version in cargo pkgid's answer {id:?}"))
}

/// A fresh, empty folder, removed with everything in it when dropped.
struct Unpacked(PathBuf);

impl Unpacked {
    fn new(dir: PathBuf) -> Result<Self, String> {
        // What a run that was interrupted left behind.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Unpacked(dir))
    }
}

impl Drop for Unpacked {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
