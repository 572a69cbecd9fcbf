//! `sim` computes nothing of its own: its runs and reports are the core's schedule and log.

use embedded_retry::{Factor, Jitter};
use rand_core::SeedableRng;
use rand_xorshift::XorShiftRng;
use serde_json::Value;
use sim::harness::report;
use sim::harness::scenario::{Scenario, Unrunnable};
use sim::parse::Limit;

fn scenario(jitter: Jitter, seed: Option<u64>, fail_count: u32, max_attempts: u32) -> Scenario {
    Scenario {
        max_attempts: Limit(Some(max_attempts)),
        max_delay_ms: 3000,
        factor: Factor::from_milli(1500),
        jitter,
        seed,
        fail_count,
        ..Scenario::default()
    }
}

fn report(s: &Scenario) -> Value {
    let mut json = Vec::new();
    report::write(&mut json, s, s.check().unwrap()).unwrap();
    serde_json::from_slice(&json).unwrap()
}

#[test]
fn report_delays_are_the_cores_schedule_for_the_same_seed() {
    for jitter in [
        Jitter::None,
        Jitter::Equal,
        Jitter::Full,
        Jitter::Decorrelated,
    ] {
        for seed in [0, 1, 7, 8, u64::MAX] {
            let s = scenario(jitter, Some(seed), 20, 12);
            let policy = s.check().unwrap();
            let mut rng = XorShiftRng::seed_from_u64(seed);
            let mut state = policy.backoff().start();
            let expected: Vec<Value> = (0..11)
                .map(|_| state.next_delay_ms(policy.backoff(), &mut rng).into())
                .collect();
            let r = report(&s);
            let attempts = r["attempts"].as_array().unwrap();
            let delays: Vec<Value> = attempts
                .iter()
                .filter_map(|a| a.get("delay_ms").cloned())
                .collect();
            assert_eq!(delays, expected, "{jitter:?} seed {seed}");
            assert!(attempts[11].get("delay_ms").is_none());
        }
    }
}

#[test]
fn the_mock_clock_advances_by_exactly_the_recorded_sleeps() {
    for jitter in [Jitter::None, Jitter::Full, Jitter::Decorrelated] {
        let r = report(&scenario(jitter, Some(3), 6, 10));
        let mut clock = 0;
        let mut total = 0;
        for attempt in r["attempts"].as_array().unwrap() {
            assert_eq!(attempt["elapsed_ms"], clock);
            let slept = attempt.get("delay_ms").map_or(0, |d| d.as_u64().unwrap());
            clock += slept;
            total += slept;
        }
        assert_eq!(r["total_delay_ms"], total);
        assert_eq!(r["elapsed_ms"], clock);
        assert_eq!(r["total_attempts"], 7);
    }
}

#[test]
fn a_jittered_scenario_without_a_seed_is_refused_not_unjittered() {
    let s = scenario(Jitter::Equal, None, 2, 5);
    let refused = s.check().unwrap_err();
    assert_eq!(
        refused,
        Unrunnable::Policy(embedded_retry::PolicyError::JitterNeedsRng {
            jitter: Jitter::Equal
        })
    );
}
