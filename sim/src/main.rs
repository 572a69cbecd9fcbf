//! `cargo run -p sim -- --help` for the flags.

use std::process::ExitCode;

fn main() -> ExitCode {
    remove_temporary_files_on_signal();
    sim::cli::main_with(std::env::args_os()).into()
}

/// On SIGINT, SIGTERM or SIGHUP, removes the temporary files of the reports being written, then
/// ends as the signal would have: a run that is stopped leaves no half-written report behind.
fn remove_temporary_files_on_signal() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        // Without the handler the signal still ends the run, only leaving the file: not a
        // reason to refuse to run.
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        // A small stack: the thread only waits, and the run must fit a tight `ulimit -v`.
        let _ = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    let _held = sim::output::pending::remove_all();
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal);
                }
            });
    }
}
