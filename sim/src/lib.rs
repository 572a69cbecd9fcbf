//! The `sim` program: the seed's retry harness, run through the `embedded-retry` core on a mock
//! clock, with a JSON report; and `sim herd`, a contention study.
//!
//! One module a room, each using only those below it: [`cli`] picks the command; [`harness`]
//! and [`herd`] are the commands, each with its own model; [`parse`] reads the flags' values;
//! [`output`] writes files whole or not at all; [`exit`] and [`stderr_log`] are the exit
//! statuses and the log lines. The modules are public so that integration tests can drive each
//! piece.

pub mod cli;
pub mod exit;
pub mod harness;
pub mod herd;
pub mod output;
pub mod parse;
pub mod stderr_log;
