//! The files `sim herd` and `sim storm` write, `--json` and `--svg`: each made before the run
//! (so that a path that cannot be written is refused at once), or stdout for `-`, as the
//! harness's `--output -`.

use std::path::Path;

use crate::exit::Exit;
use crate::output::{
    AtomicFile, Target, create_each, one_would_be_lost, plain, shown, to_stderr, to_stdout,
};

/// Where one of a study's files goes.
#[derive(Debug)]
pub enum StudyFile {
    /// Standard output (`-`).
    Stdout,
    /// A file made before the run, filled once it is over.
    File(AtomicFile),
}

impl StudyFile {
    /// Whether it goes to stdout (`-`, or a path such as `/dev/stdout`): the tables then go to
    /// stderr, so that stdout holds this file alone.
    pub fn is_stdout(&self) -> bool {
        match self {
            StudyFile::Stdout => true,
            StudyFile::File(file) => file.is_stdout(),
        }
    }

    /// Writes `contents`, the study's `what` (`the JSON`), whole.
    ///
    /// # Errors
    /// The line that says what could not be written, and why.
    pub fn finish(self, contents: &[u8], what: &str) -> Result<(), String> {
        match self {
            StudyFile::Stdout => to_stdout(&String::from_utf8_lossy(contents))
                .map_err(|e| format!("cannot write {what} to stdout: {}", plain(&e))),
            StudyFile::File(file) => file.finish(contents).map_err(|e| e.to_string()),
        }
    }
}

/// Opens `--json` and `--svg`, those given, after checking that they are not one file (stdout
/// counts as one, however it is named); prints the error line and answers the exit status when
/// they cannot be.
///
/// # Errors
/// [`Exit::Usage`] for one file given twice, [`Exit::Write`] for a path that cannot be written.
pub fn open(json: Option<&Target>, svg: Option<&Target>) -> Result<[Option<StudyFile>; 2], Exit> {
    if let (Some(json), Some(svg)) = (json, svg) {
        // `-` is this process's stdout, which `/dev/stdout` also names.
        let leads_to = |target: &Target| match target {
            Target::Stdout => Path::new("/dev/stdout").to_path_buf(),
            Target::File(path) => path.clone(),
        };
        if one_would_be_lost(&leads_to(json), &leads_to(svg)) {
            to_stderr(&format!(
                "error: '--json {}' and '--svg {}' are the same file: give each its own path\n",
                typed(json),
                typed(svg)
            ));
            return Err(Exit::Usage);
        }
    }
    let path = |target: Option<&Target>| match target {
        Some(Target::File(path)) => Some(path.clone()),
        _ => None,
    };
    let (json_path, svg_path) = (path(json), path(svg));
    let made = match create_each([json_path.as_deref(), svg_path.as_deref()]) {
        Ok(made) => made,
        Err(error) => {
            to_stderr(&format!("error: {error}\n"));
            return Err(Exit::Write);
        }
    };
    let mut files = made.map(|file| file.map(StudyFile::File));
    for (file, target) in files.iter_mut().zip([json, svg]) {
        if target == Some(&Target::Stdout) {
            *file = Some(StudyFile::Stdout);
        }
    }
    Ok(files)
}

/// A target as the user typed it.
fn typed(target: &Target) -> String {
    match target {
        Target::Stdout => "-".into(),
        Target::File(path) => shown(path),
    }
}
