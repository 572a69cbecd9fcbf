//! Writing the report so that a failed write never leaves a partial or clobbered file.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where a report goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Written to standard output.
    Stdout,
    /// Written atomically to this file.
    File(PathBuf),
}

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

/// Writes `contents` to `path` atomically: into a new temporary file beside it, flushed to
/// disk, then renamed over `path`. Missing parent folders are created.
///
/// A symlink at `path` is followed, so its target is replaced and the link kept. An existing
/// file's permissions carry over to the new one. On any failure the temporary file is removed
/// and an existing file at `path` is left as it was (parent folders created for it stay).
///
/// # Errors
/// A [`WriteError`] naming the path that failed.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let fail = |path: &Path, source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let is_symlink = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let target = if is_symlink {
        fs::canonicalize(path).map_err(|e| fail(path, e))?
    } else {
        path.to_path_buf()
    };
    if target.file_name().is_none() {
        return Err(fail(
            path,
            io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"),
        ));
    }
    let existing = fs::metadata(&target).ok();
    if existing.as_ref().is_some_and(fs::Metadata::is_dir) {
        return Err(fail(
            path,
            io::Error::new(io::ErrorKind::IsADirectory, "it is a directory"),
        ));
    }
    let parent = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent).map_err(|e| fail(parent, e))?;

    // A short name of our own, so that a long report name cannot make it too long.
    let temporary = parent.join(format!(".report-{}.tmp", std::process::id()));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .map_err(|e| fail(&temporary, e))?;
    let written = file
        .write_all(contents)
        .and_then(|()| match &existing {
            Some(metadata) => file.set_permissions(metadata.permissions()),
            None => Ok(()),
        })
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&temporary, &target));
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
    fn follows_a_symlink_and_keeps_permissions() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = scratch("symlink");
        let real = dir.join("real.json");
        fs::write(&real, b"old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.join("link.json");
        symlink(&real, &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }

    #[test]
    fn a_long_file_name_is_fine() {
        let dir = scratch("long");
        let path = dir.join(format!("{}.json", "r".repeat(250)));
        write_atomically(&path, b"x").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"x");
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
