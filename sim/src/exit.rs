//! The exit statuses of every command.

use std::process::ExitCode;

/// The process's exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The operation succeeded and the report was written.
    Success = 0,
    /// The operation failed; the report was written.
    Failed = 1,
    /// The command line or the policy was invalid; nothing was run or written.
    Usage = 2,
    /// The report could not be written; an existing report is unchanged.
    Write = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}
