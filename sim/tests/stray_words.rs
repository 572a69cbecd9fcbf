//! A word on the command line that is no flag, value or command is named as such.

mod common;

use common::{sim, workdir};

#[test]
fn a_stray_word_after_the_flags_is_named_as_one() {
    let ran = sim(&workdir(), &["--fail-count", "3", "extra"]);
    assert_eq!(ran.code, Some(2));
    assert_eq!(
        ran.stderr,
        "error: unexpected argument 'extra': the commands are herd and storm, and a flag's \
         value follows it (`--fail-count 3`)\n"
    );
}

#[test]
fn a_command_after_the_harness_flags_is_still_refused_as_clap_says() {
    let ran = sim(&workdir(), &["--fail-count", "3", "herd"]);
    assert_eq!(ran.code, Some(2));
    assert_eq!(
        ran.stderr,
        "error: the subcommand 'herd' cannot be used with '--fail-count <N>'\n"
    );
}
