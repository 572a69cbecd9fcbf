//! Every value's text name reads back as that value, and an unknown name says what is accepted.

use embedded_retry::{HintAboveCap, Jitter, StopReason};

#[test]
fn names_round_trip() {
    for jitter in Jitter::ALL {
        assert_eq!(jitter.to_string().parse::<Jitter>(), Ok(jitter));
    }
    for choice in HintAboveCap::ALL {
        assert_eq!(choice.to_string().parse::<HintAboveCap>(), Ok(choice));
    }
    for reason in StopReason::ALL {
        assert_eq!(reason.to_string().parse::<StopReason>(), Ok(reason));
    }
    assert_eq!(
        StopReason::DelayBudgetExhausted.name(),
        "delay_budget_exhausted"
    );
    assert_eq!(StopReason::CircuitOpen.name(), "circuit_open");
    assert_eq!(Jitter::Decorrelated.name(), "decorrelated");
    assert_eq!(HintAboveCap::Honour.name(), "honour");
}

#[test]
fn an_unknown_name_lists_the_accepted_ones() {
    let error = "Honor".parse::<HintAboveCap>().unwrap_err();
    assert_eq!(error.to_string(), "expected honour or stop");
    assert_eq!(error.expected(), ["honour", "stop"]);
    assert_eq!(
        "".parse::<StopReason>().unwrap_err().to_string(),
        "expected success, not_retryable, attempts_exhausted, delay_budget_exhausted, \
         deadline_exceeded, retry_budget_exhausted, hint_above_cap or circuit_open"
    );
    assert!(" full".parse::<Jitter>().is_err());
}

#[test]
fn the_refusals_say_what_happened() {
    use embedded_retry::{CircuitOpen, TimedOut};
    assert_eq!(TimedOut.to_string(), "the attempt timed out");
    assert_eq!(
        CircuitOpen.to_string(),
        "the circuit is open: the call was not made"
    );
}
