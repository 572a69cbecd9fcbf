//! Shared by the firmware and the probe: puts the chosen board's `memory.x` where
//! cortex-m-rt's `link.x` looks for it, and passes the link scripts (here rather than in
//! rustflags, which an outer `RUSTFLAGS` would replace).

use std::path::{Path, PathBuf};

fn main() {
    let boards: Vec<&str> = ["lm3s6965evb", "microbit"]
        .into_iter()
        .filter(|board| {
            std::env::var_os(format!("CARGO_FEATURE_{}", board.to_uppercase())).is_some()
        })
        .collect();
    let [board] = boards[..] else {
        panic!("enable exactly one board feature: lm3s6965evb or microbit (got {boards:?})");
    };
    // The layouts sit beside this file; the probe, in a subfolder, shares them.
    let package = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let root = if package.join("memory").is_dir() {
        package.as_path()
    } else {
        package.parent().unwrap_or(Path::new(".."))
    };
    let layout = root.join(format!("memory/{board}.x"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    std::fs::copy(&layout, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={}", layout.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    if std::env::var("CARGO_PKG_NAME").as_deref() == Ok("firmware-example") {
        println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
    }
}
