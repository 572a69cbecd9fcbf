//! Writing the report so that a failed write never leaves a partial or clobbered file.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A report that could not be written, with the path it was for.
#[derive(Debug)]
pub struct WriteError {
    /// The path that could not be written or created.
    pub path: PathBuf,
    /// What went wrong.
    pub source: io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write {}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Writes `contents` to `path` atomically: into a temporary file beside it, flushed to disk,
/// then renamed over `path`. Missing parent folders are created. On any failure the temporary
/// file is removed and an existing file at `path` is left as it was.
///
/// # Errors
/// A [`WriteError`] naming the path that failed.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let fail = |path: &Path, source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let Some(name) = path.file_name() else {
        return Err(fail(
            path,
            io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"),
        ));
    };
    if path.is_dir() {
        return Err(fail(
            path,
            io::Error::new(io::ErrorKind::IsADirectory, "it is a directory"),
        ));
    }
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent).map_err(|e| fail(parent, e))?;

    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".{}.tmp", std::process::id()));
    let temporary = parent.join(temporary_name);
    let written = fs::File::create(&temporary)
        .and_then(|mut file| {
            file.write_all(contents)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temporary, path));
    written.map_err(|e| {
        let _ = fs::remove_file(&temporary);
        fail(path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sim-output-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_and_replaces_and_creates_parents() {
        let dir = scratch("replace");
        let path = dir.join("a/b/report.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(entries(&dir.join("a/b")), ["report.json"]);
    }

    #[test]
    fn a_directory_in_the_way_is_an_error_naming_it() {
        let dir = scratch("dir");
        let error = write_atomically(&dir, b"x").unwrap_err();
        assert_eq!(error.path, dir);
        assert!(error.to_string().contains("directory"));
    }

    #[test]
    fn a_parent_that_is_a_file_is_an_error_and_leaves_it_alone() {
        let dir = scratch("parent");
        let file = dir.join("plain");
        fs::write(&file, b"keep").unwrap();
        let error = write_atomically(&file.join("report.json"), b"x").unwrap_err();
        assert_eq!(error.path, file);
        assert_eq!(fs::read(&file).unwrap(), b"keep");
        assert_eq!(entries(&dir), ["plain"]);
    }
}
