//! The `sim` program: the seed's retry harness, run through the `embedded-retry` core on a mock
//! clock, with a JSON report; `sim herd`, a contention study; and `sim storm`, what retries cost
//! a struggling server.
//!
//! One module a room, each using only those below it: [`cli`] picks the command; [`harness`],
//! [`herd`] and [`storm`] are the commands, each with its own model; [`plot`] draws their
//! charts; [`workers`] spreads their jobs over threads, and [`files`] opens their outputs;
//! [`parse`] reads the flags' values;
//! [`output`] writes files whole or not at all; [`exit`] and [`stderr_log`] are the exit
//! statuses and the log lines. The modules are public so that integration tests can drive each
//! piece.

pub mod cli;
pub mod exit;
pub mod files;
pub mod harness;
pub mod herd;
pub mod output;
pub mod parse;
pub mod plot;
pub mod stderr_log;
pub mod storm;
pub mod workers;
