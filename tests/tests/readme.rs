//! The README's report table lists exactly the keys a report has.

use std::collections::BTreeSet;

use embedded_retry::BucketRates;
use serde_json::Value;
use sim::harness::report;
use sim::harness::scenario::Scenario;
use sim::parse::Limit;

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
    // Between them these produce every key: success, failure, hints, budgets, several operations.
    let scenarios = [
        Scenario::default(),
        Scenario {
            fail_count: 10,
            max_attempts: Limit(Some(3)),
            ..Scenario::default()
        },
        Scenario {
            fail_count: 10,
            retry_after_at: vec![(1, 500)],
            delay_budget_ms: Some(2000),
            deadline_ms: Some(5000),
            op_time_ms: 5,
            ..Scenario::default()
        },
        Scenario {
            retry_budget: Some(BucketRates {
                capacity: 10,
                cost: 5,
                refill: 1,
            }),
            operations: 2,
            ..Scenario::default()
        },
    ];
    for s in scenarios {
        let mut json = Vec::new();
        report::write(&mut json, &s, s.check().unwrap()).unwrap();
        let report: Value = serde_json::from_slice(&json).unwrap();
        key_paths(&report, "", &mut seen);
    }
    // An entry of `operations` has the keys a single operation's report has at the top.
    let seen: BTreeSet<String> = seen
        .into_iter()
        .map(|k| {
            k.strip_prefix("operations[].")
                .map_or(k.clone(), str::to_string)
        })
        .collect();
    assert_eq!(seen, documented_keys());
}
