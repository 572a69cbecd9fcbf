//! A supervisor that keeps a link up: it reconnects forever with capped exponential backoff,
//! driving the core's event-loop form (`start`, `failed`, `succeeded`, `reset`) and sleeping on
//! SysTick, and starts the schedule over once a connection has proved stable. A connection that
//! drops before then counts as a failed attempt, as a refused connect does, so that a link that
//! accepts and drops at once is backed off from too.
//!
//! The link plays five sessions: 6 refused connects, then up for 4 messages; 2 refused, then up
//! for 1 message only (a flap); accepted at once, and dropped after 1 message (another flap); 1
//! refused, then 3 messages; 3 refused, then 3 messages. With no jitter the delays are exact: 10,
//! 20, 40, 80, 80, 80 ms; 10, 20 (the first session was stable, so the schedule started over);
//! 40 after the flap's drop (it was not, so the schedule carried on); 80 after the second flap's,
//! and 80 after a refusal; 10, 20, 40.
//!
//! Lines for the host, which checks every delay against the schedule:
//! - `schedule <base> <cap> <factor‰> none`: the policy's delays;
//! - `connect <attempt> failed: <error>`, then `sleeping <ms> ms before the next attempt`;
//! - `session <s> up on attempt <attempt>, <ms> ms slept since the schedule started`;
//! - `session <s> message <m>`;
//! - `session <s> stable after <K> messages: schedule reset`;
//! - `session <s> dropped after <m> message(s)`, then, if it was not stable, `sleeping <ms> ms
//!   before the next attempt`;
//! - finally `supervisor done: <sessions> sessions, <failed> failed connects, <drops> early
//!   drops, <resets> resets`.
//!
//! Exits 0 when the script played out as expected; 1 on anything else, such as the engine
//! stopping a run that should retry forever.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use embedded_retry::{Delay, Jitter, Policy, Retry, Run, Step};
use firmware_example::link::{FlakyLink, LinkError, Session};
use firmware_example::{exit, exit_on_panic, fail, systick_sleeper};

exit_on_panic!();

/// Reconnect forever: 10 ms, then 20, 40, and 80 ms from then on. No jitter, so that the host
/// can check each delay exactly; a fleet of devices would use jitter (see `sensor`). No log is
/// kept: a supervisor's run has no end to report on, and the totals are still counted.
const POLICY: Policy = Policy::builder()
    .retry_forever()
    .base_delay_ms(10)
    .max_delay_ms(80)
    .jitter(Jitter::None)
    .build_or_panic();

/// A connection counts as stable once it has carried this many messages: only then is it a
/// success, which starts the schedule over. Until then a drop is a failed attempt, and is
/// backed off from: resetting on every connect, or reconnecting at once after every drop, would
/// let a link that accepts and drops at once (a flapping access point, a peer that resets each
/// new connection) be hammered at the base delay, or at none, forever.
const STABLE_AFTER: u32 = 3;

/// What the link does: the second and third sessions are flaps, up for fewer than
/// `STABLE_AFTER` messages, and the third is accepted at the first connect.
const SCRIPT: [Session; 5] = [
    Session {
        refusals: 6,
        messages: 4,
    },
    Session {
        refusals: 2,
        messages: 1,
    },
    Session {
        refusals: 0,
        messages: 1,
    },
    Session {
        refusals: 1,
        messages: 3,
    },
    Session {
        refusals: 3,
        messages: 3,
    },
];

#[entry]
fn main() -> ! {
    let backoff = POLICY.backoff();
    defmt::println!(
        "schedule {=u32} {=u32} {=u32} none",
        backoff.base_ms(),
        backoff.cap_ms(),
        backoff.factor().milli()
    );
    let Ok(mut retry) = Retry::without_jitter(POLICY) else {
        fail(|| defmt::error!("the reconnect policy has jitter"))
    };
    let mut sleeper = systick_sleeper();
    let mut link = FlakyLink::new(&SCRIPT);

    let mut run: Run<LinkError, 0> = retry.start();
    let mut sessions = 0u32;
    let mut failed = 0u32;
    let mut drops = 0u32;
    let mut resets = 0u32;
    while (sessions as usize) < link.sessions() {
        let error = match link.connect() {
            Err(error) => {
                failed += 1;
                defmt::info!("connect {=u32} failed: {}", run.attempt(), error);
                error
            }
            Ok(()) => {
                sessions += 1;
                defmt::info!(
                    "session {=u32} up on attempt {=u32}, {=u64} ms slept since the schedule started",
                    sessions,
                    run.attempt(),
                    run.log().total_delay_ms()
                );
                let mut carried = 0;
                let dropped = loop {
                    match link.receive() {
                        Ok(message) => carried = message,
                        Err(error) => break error,
                    }
                    defmt::info!("session {=u32} message {=u32}", sessions, carried);
                    if carried == STABLE_AFTER {
                        // Stable: a success, and the next outage starts the schedule over.
                        retry.succeeded(&mut run);
                        retry.reset(&mut run);
                        resets += 1;
                        defmt::info!(
                            "session {=u32} stable after {=u32} messages: schedule reset",
                            sessions,
                            STABLE_AFTER
                        );
                    }
                };
                defmt::info!(
                    "session {=u32} dropped after {=u32} {=str}",
                    sessions,
                    carried,
                    if carried == 1 { "message" } else { "messages" }
                );
                if carried >= STABLE_AFTER {
                    // Reconnect at once: the first attempt of a new schedule.
                    continue;
                }
                drops += 1;
                dropped
            }
        };
        match retry.failed(&mut run, error) {
            Step::Sleep(ms) => sleeper.delay_ms(ms),
            Step::Stop { reason, error } => {
                fail(|| defmt::error!("the supervisor gave up: {} after {}", reason, error))
            }
        }
    }

    defmt::println!(
        "supervisor done: {=u32} sessions, {=u32} failed connects, {=u32} early drops, {=u32} resets",
        sessions,
        failed,
        drops,
        resets
    );
    exit(failed == REFUSALS && drops == FLAPS && resets == STABLE_SESSIONS)
}

/// Every connect the script refuses.
const REFUSALS: u32 = {
    let mut total = 0;
    let mut i = 0;
    while i < SCRIPT.len() {
        total += SCRIPT[i].refusals;
        i += 1;
    }
    total
};

/// The sessions that stay up long enough to count as stable.
const STABLE_SESSIONS: u32 = {
    let mut stable = 0;
    let mut i = 0;
    while i < SCRIPT.len() {
        if SCRIPT[i].messages >= STABLE_AFTER {
            stable += 1;
        }
        i += 1;
    }
    stable
};

/// The sessions that drop before they are stable.
const FLAPS: u32 = SCRIPT.len() as u32 - STABLE_SESSIONS;
