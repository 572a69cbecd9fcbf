//! The README's report table lists exactly the keys a report has.

use std::collections::BTreeSet;

use retry_backoff::{Factor, Jitter};
use serde_json::Value;
use sim::report::Report;
use sim::scenario::{self, Scenario};

/// Key paths of `value`, as the README writes them: `policy.seed`, `attempts[].error`.
fn key_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                out.insert(path.clone());
                key_paths(child, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn documented_keys() -> BTreeSet<String> {
    let readme = include_str!("../../README.md");
    let start = readme.find("<!-- report-keys").expect("report-keys marker");
    let end = readme
        .find("<!-- /report-keys -->")
        .expect("closing marker");
    readme[start..end]
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(key, _)| key.to_string())
        .collect()
}

#[test]
fn the_readme_documents_every_report_key_and_no_other() {
    let mut seen = BTreeSet::new();
    // A success and a failure between them produce every key.
    for fail_count in [2, 10] {
        let s = Scenario {
            max_attempts: 3,
            base_delay_ms: 100,
            max_delay_ms: 60_000,
            factor: Factor::TWO,
            jitter: Jitter::None,
            seed: None,
            fail_count,
            non_retryable_at: None,
            real_time: false,
        };
        let run = scenario::run(&s, s.policy().unwrap()).unwrap();
        let report: Value = serde_json::from_str(&Report::new(&s, &run).to_json()).unwrap();
        key_paths(&report, "", &mut seen);
    }
    assert_eq!(seen, documented_keys());
}
