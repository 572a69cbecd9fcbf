//! Finding, or installing, what the thumb targets and QEMU need.
//!
//! A developer's rustup with `thumbv6m-none-eabi` and `thumbv7m-none-eabi` installed is used as
//! is. Otherwise (as on the CI machines, whose rustup has the host target only and cannot
//! download more) Debian's `rustc-web`, `cargo-web` and `rust-web-src` build `core` from source
//! with `-Zbuild-std=core`, linked by Debian's `ld.lld`.

use std::path::Path;
use std::process::Command;

/// The thumb targets the firmware is built for.
pub const TARGETS: [&str; 2] = ["thumbv7m-none-eabi", "thumbv6m-none-eabi"];

/// How to run cargo for a thumb target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Thumb {
    /// rustup's own cargo, with the targets installed.
    Rustup,
    /// Debian's cargo and rustc, building `core` from source.
    Debian,
}

const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_CORE_SOURCE: &str = "/usr/lib/rustlib/src/rust/library/core";

impl Thumb {
    /// The toolchain to use, installing Debian's packages (and QEMU) when they are missing.
    pub fn ensure() -> Result<Thumb, String> {
        let thumb = if rustup_has_targets() {
            Thumb::Rustup
        } else {
            Thumb::Debian
        };
        let mut missing = Vec::new();
        if thumb == Thumb::Debian {
            // Debian's own rustc (1.63 on bookworm) sits at the same path but is too old.
            if !debian_rust_is_recent() {
                missing.extend(["rustc-web", "cargo-web"]);
            }
            for (package, path) in [
                ("rust-web-src", DEBIAN_CORE_SOURCE),
                ("lld", "/usr/bin/ld.lld"),
            ] {
                if !Path::new(path).exists() {
                    missing.push(package);
                }
            }
        }
        if !on_path("qemu-system-arm") {
            missing.push("qemu-system-arm");
        }
        if !missing.is_empty() {
            install(&missing)?;
        }
        Ok(thumb)
    }

    /// `cargo build --release --locked` for `target`, run in `dir`, into `dir/target`.
    ///
    /// Settings of the outer cargo that would change the build (flags, target directory,
    /// wrappers, defmt's log filter) are not passed on.
    pub fn cargo_build(self, dir: &Path, target: &str) -> Command {
        let mut command = match self {
            Thumb::Rustup => {
                Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            }
            Thumb::Debian => {
                let mut command = Command::new(DEBIAN_CARGO);
                command
                    .env("RUSTC", DEBIAN_RUSTC)
                    // -Zbuild-std is unstable; Debian's stable compiler allows it with this.
                    .env("RUSTC_BOOTSTRAP", "1")
                    .env_remove("RUSTUP_TOOLCHAIN");
                command
            }
        };
        // The firmware's own `.cargo/config.toml` and `dir/target` decide these instead.
        for outer in [
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET_DIR",
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
            "CARGO_BUILD_RUSTC_WRAPPER",
            "DEFMT_LOG",
        ] {
            command.env_remove(outer);
        }
        command
            .current_dir(dir)
            .args(["build", "--release", "--target", target]);
        if self == Thumb::Debian {
            command.args([
                "-Zbuild-std=core",
                "--config",
                &format!("target.{target}.linker=\"ld.lld\""),
            ]);
        }
        command
    }
}

fn rustup_has_targets() -> bool {
    let Ok(output) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
    else {
        return false;
    };
    let installed = String::from_utf8_lossy(&output.stdout);
    TARGETS
        .iter()
        .all(|t| installed.lines().any(|line| line.trim() == *t))
}

/// Whether Debian's rustc is there and new enough for the core (its `rust-version`, 1.95).
fn debian_rust_is_recent() -> bool {
    if !Path::new(DEBIAN_CARGO).exists() {
        return false;
    }
    let Ok(output) = Command::new(DEBIAN_RUSTC).arg("--version").output() else {
        return false;
    };
    // "rustc 1.96.0 (...)"
    let version = String::from_utf8_lossy(&output.stdout);
    let minor = version
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok());
    minor.is_some_and(|m| m >= 95)
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Installs Debian packages with apt-get, as root or through sudo.
fn install(packages: &[&str]) -> Result<(), String> {
    println!(
        "xtask: installing Debian packages {} (needed for the thumb targets and QEMU)",
        packages.join(" ")
    );
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let apt = |args: &[&str]| -> Result<(), String> {
        let mut command = if root {
            Command::new("apt-get")
        } else {
            // -n: fail at once rather than wait for a password nobody will type.
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        let status = command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "apt-get {} failed ({status}); install these packages by hand: {}",
                args.first().copied().unwrap_or_default(),
                packages.join(" ")
            ))
        }
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(packages);
    apt(&args)
}
