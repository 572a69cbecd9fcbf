//! The modules of `sim/src` stand in layers: none uses a module that uses it, however
//! indirectly. A module uses another when it names it by a `crate::` path, and a module uses
//! the modules it declares (a command's room uses its model); paths are written from `crate::`,
//! so that every use is seen here.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Every module of `sim/src`, by its path from the crate root (`harness::report`; the root is
/// `crate`), with its source.
fn modules() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    for path in common::files(&root) {
        let relative = path.strip_prefix(&root).unwrap().with_extension("");
        let parts: Vec<String> = relative
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .filter(|p| p != "mod")
            .collect();
        let name = match parts.join("::").as_str() {
            "lib" => "crate".to_string(),
            // The binary's entry point is not a module of the library.
            "main" => continue,
            name => name.to_string(),
        };
        modules.insert(name, fs::read_to_string(&path).unwrap());
    }
    modules
}

/// The paths `source` names after `crate::`, with `crate::a::{b, c::D}` read as `a::b` and
/// `a::c::D`.
fn crate_paths(source: &str) -> Vec<String> {
    let is_path = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut paths = Vec::new();
    for (at, _) in source.match_indices("crate::") {
        let rest = &source[at + "crate::".len()..];
        let prefix: String = rest.chars().take_while(|&c| is_path(c)).collect();
        let after = &rest[prefix.len()..];
        let braces = after.starts_with('{') && (prefix.is_empty() || prefix.ends_with("::"));
        if !braces {
            paths.push(prefix);
            continue;
        }
        // One level of braces: `{a, b::c, self}` (deeper ones are not used in this crate).
        let inside = &after[1..after.find('}').unwrap_or(after.len())];
        for item in inside.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let item = if item == "self" { "" } else { item };
            paths.push(format!("{prefix}{item}"));
        }
    }
    paths
}

/// The module a path names, or one of whose items it names: its longest module prefix.
fn module_of<'m>(path: &str, modules: &'m BTreeMap<String, String>) -> Option<&'m String> {
    let path = path.trim_end_matches(':');
    modules
        .keys()
        .filter(|m| path == m.as_str() || path.starts_with(&format!("{m}::")))
        .max_by_key(|m| m.len())
}

/// Which modules each module uses.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, source) in &modules {
        let used = uses.entry(name.clone()).or_default();
        for path in crate_paths(source) {
            if let Some(target) = module_of(&path, &modules) {
                used.insert(target.clone());
            }
        }
        // The modules it declares.
        for other in modules.keys() {
            let parent = other
                .rsplit_once("::")
                .map_or("crate", |(parent, _)| parent);
            if parent == name && other != "crate" {
                used.insert(other.clone());
            }
        }
        used.remove(name);
    }
    uses
}

/// The modules `from` uses, directly or not.
fn reach(from: &str, uses: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut pending = vec![from.to_string()];
    while let Some(module) = pending.pop() {
        for next in &uses[&module] {
            if seen.insert(next.clone()) {
                pending.push(next.clone());
            }
        }
    }
    seen
}

#[test]
fn no_module_uses_a_module_that_uses_it() {
    let uses = uses();
    assert!(uses.len() >= 10, "{uses:?}");
    for module in uses.keys() {
        let cycle: Vec<&String> = uses[module]
            .iter()
            .filter(|used| reach(used, &uses).contains(module))
            .collect();
        assert!(cycle.is_empty(), "{module} uses {cycle:?}, which use it");
    }
}

#[test]
fn the_report_depends_on_the_scenario_not_on_the_command_line() {
    let uses = uses();
    let report = reach("harness::report", &uses);
    assert!(report.contains("harness::scenario"), "{report:?}");
    for command in ["cli", "harness", "herd"] {
        assert!(!report.contains(command), "the report uses {command}");
    }
}

#[test]
fn cross_module_paths_are_written_from_the_crate_root() {
    for (name, source) in modules() {
        for line in source.lines().filter(|l| l.contains("super::")) {
            // A file's own test module may use what the file holds.
            assert_eq!(line.trim(), "use super::*;", "{name}: {line}");
        }
    }
}

#[test]
fn braces_and_items_are_read_as_module_paths() {
    let source = "use crate::harness::{self, HarnessArgs};\nuse crate::{parse, output::Target};";
    assert_eq!(
        crate_paths(source),
        [
            "harness::",
            "harness::HarnessArgs",
            "parse",
            "output::Target"
        ]
    );
}
