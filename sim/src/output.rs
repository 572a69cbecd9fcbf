//! Writing a file so that a failed write never leaves a partial or clobbered one: into a
//! temporary file beside it, renamed over it once complete (a pipe or a device, which holds no
//! file to protect, is written directly). And writing to stdout and stderr without the panic of
//! `print!` when they are closed or full.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where a report goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Written to standard output.
    Stdout,
    /// Written atomically to this file.
    File(PathBuf),
}

/// A file that could not be written: the path as it was given, and why, in plain words.
#[derive(Debug, PartialEq, Eq)]
pub struct WriteError {
    /// The path as the user gave it.
    pub path: PathBuf,
    /// Why, naming the part of the path at fault: `out is a file, not a folder`.
    pub why: String,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write {}: {}", shown(&self.path), self.why)
    }
}

impl std::error::Error for WriteError {}

/// A path as messages show it: as given when it is UTF-8; else each byte that is not UTF-8 is
/// written as `\xNN`, rather than as the replacement character, which shows different names
/// alike.
pub fn shown(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in path.as_os_str().as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for byte in chunk.invalid() {
                out.push_str(&format!("\\x{byte:02X}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.display().to_string()
    }
}

/// An operating system error in plain words, without its number.
pub fn plain(error: &io::Error) -> String {
    use io::ErrorKind::{
        IsADirectory, NotADirectory, PermissionDenied, QuotaExceeded, ReadOnlyFilesystem,
        StorageFull,
    };
    match error.kind() {
        PermissionDenied => "permission denied".into(),
        ReadOnlyFilesystem => "the file system is read-only".into(),
        StorageFull => "the disk is full".into(),
        QuotaExceeded => "the disk quota is used up".into(),
        NotADirectory => "a part of the path is a file, not a folder".into(),
        IsADirectory => "it is a folder, not a file".into(),
        _ => {
            let text = error.to_string();
            let text = text.split(" (os error").next().unwrap_or_default();
            let mut chars = text.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_lowercase().chain(chars).collect()
            })
        }
    }
}

/// Writes `text` to stdout, flushed. A stdout that cannot take it (a pipe whose reader has
/// gone, a full disk) is an error for the caller to report, never a panic, as it is with
/// `print!`.
///
/// # Errors
/// The error stdout gave.
pub fn to_stdout(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// Writes `text`, the program's `what` (`the table`), to stdout; when stdout cannot take it,
/// says so on stderr in one line. Whether it was written.
pub fn to_stdout_or_say(text: &str, what: &str) -> bool {
    match to_stdout(text) {
        Ok(()) => true,
        Err(error) => {
            to_stderr(&format!(
                "error: cannot write {what} to stdout: {}\n",
                plain(&error)
            ));
            false
        }
    }
}

/// Writes `text` to stderr. An error is dropped: there is nowhere left to report it, and a
/// closed stderr must not stop a run or the files it writes.
pub fn to_stderr(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// Whether writing `a` and then `b` would leave only one of them: they lead to the same file,
/// unless that is a device other than stdout (`/dev/null`), which takes both.
pub fn one_would_be_lost(a: &Path, b: &Path) -> bool {
    let device = fs::metadata(a).is_ok_and(|m| !m.is_file()) && stdout_if(a).is_none();
    same_file(a, b) && !device
}

/// Whether `a` and `b` lead to the same file, so that writing both would leave one: the same
/// path, the same existing file (through a link, or `./`), or the same name in the same
/// existing folder.
pub fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    #[cfg(unix)]
    if let (Ok(a), Ok(b)) = (fs::metadata(a), fs::metadata(b)) {
        use std::os::unix::fs::MetadataExt;
        return (a.dev(), a.ino()) == (b.dev(), b.ino());
    }
    let resolved = |path: &Path| {
        let parent = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        Some(fs::canonicalize(parent).ok()?.join(path.file_name()?))
    };
    resolved(a).is_some_and(|a| resolved(b) == Some(a))
}

/// A file being written: its contents go to a new temporary file beside it, which
/// [`commit`](Self::commit) flushes to disk and renames over it. Dropped without a commit, the
/// temporary file is removed and an existing file is left as it was.
///
/// A symlink at the path is followed, so its target is replaced and the link kept; a symlink to
/// nothing is refused, naming where it points, rather than guessing where to create the file.
/// An existing file's permissions carry over to the new one. Missing parent folders are created
/// (and stay, whatever happens to the file). A pipe or a device (`/dev/null`), and this
/// process's stdout (`/dev/stdout`, even when the shell sent it to a file), are written directly,
/// never replaced: a pipe or a device holds no file that a failed write could leave half done,
/// and stdout's file is the shell's, which may hold more than the report.
#[derive(Debug)]
pub struct AtomicFile {
    given: PathBuf,
    /// The temporary file and the target it is renamed over; `None` when writing directly.
    rename: Option<(PathBuf, PathBuf)>,
    /// Whether the file is this process's standard output.
    stdout: bool,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `path`: checks it can be, creates its folders and the temporary file (or
    /// opens the pipe or device it names).
    ///
    /// # Errors
    /// A [`WriteError`] naming `path` as given and what is in the way.
    pub fn create(path: &Path) -> Result<Self, WriteError> {
        let fail = |why: String| WriteError {
            path: path.to_path_buf(),
            why,
        };
        if let Some(file) = ancestor_that_is_a_file(path) {
            return Err(fail(format!("{} is a file, not a folder", shown(file))));
        }
        let existing = fs::metadata(path);
        if existing.as_ref().is_ok_and(fs::Metadata::is_dir) {
            return Err(fail(format!("{} is a folder, not a file", shown(path))));
        }
        // Checked before anything runs: the rename at the end would only fail then.
        if names_a_folder(path) {
            return Err(fail("the path names a folder, not a file".into()));
        }
        // This process's own stdout, whatever it is, even a file the shell opened for it (which
        // a rename would replace, losing what was written before or beside the report).
        if let Some(stdout) = stdout_if(path) {
            return Ok(Self::direct(path, stdout, true));
        }
        if is_stderr_file(path) {
            return Err(fail(
                "it is the file this command's messages go to (its stderr): give the report a \
                 file of its own"
                    .into(),
            ));
        }
        let is_symlink = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        let existing = match existing {
            Ok(metadata) if !metadata.is_file() => {
                let device = fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| fail(plain(&e)))?;
                return Ok(Self::direct(path, device, false));
            }
            Ok(metadata) => {
                refuse_to_replace(path, &metadata).map_err(fail)?;
                Some(metadata)
            }
            Err(e) if is_symlink && e.kind() == io::ErrorKind::NotFound => {
                let points_to = fs::read_link(path).map_err(|e| fail(plain(&e)))?;
                return Err(fail(format!(
                    "{} is a link to {}, which leads to nothing",
                    shown(path),
                    shown(&points_to)
                )));
            }
            Err(e) if is_symlink => return Err(fail(plain(&e))),
            Err(_) => None,
        };
        let target = if is_symlink {
            fs::canonicalize(path).map_err(|e| fail(plain(&e)))?
        } else {
            path.to_path_buf()
        };
        let parent = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if let Some(long) = name_too_long(&target) {
            return Err(fail(long));
        }
        fs::create_dir_all(parent).map_err(|e| {
            fail(format!(
                "the folder {} cannot be created: {}",
                shown(parent),
                plain(&e)
            ))
        })?;
        // A short name of our own, so that a long report name cannot make it too long; numbered,
        // so that a command writing several files into one folder gives each its own.
        static MADE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let number = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let temporary = parent.join(format!(".report-{}-{number}.tmp", std::process::id()));
        // Listed before it exists, so that a signal cannot come between its making and its
        // listing and leave it behind.
        let file = pending::made(&temporary, || {
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)
        })
        .map_err(|e| {
            fail(format!(
                "no new file can be made in {}: {}",
                shown(parent),
                plain(&e)
            ))
        })?;
        let this = AtomicFile {
            given: path.to_path_buf(),
            rename: Some((temporary, target)),
            stdout: false,
            file: Some(BufWriter::new(file)),
        };
        if let (Some(metadata), Some(file)) = (existing, &this.file) {
            keep_owner(file.get_ref(), &metadata).map_err(fail)?;
            file.get_ref()
                .set_permissions(metadata.permissions())
                .map_err(|e| this.failed(&e))?;
        }
        Ok(this)
    }

    /// Writes to `file`, a pipe, a device or stdout, as it is: neither created, truncated nor
    /// replaced.
    fn direct(path: &Path, file: File, stdout: bool) -> Self {
        AtomicFile {
            given: path.to_path_buf(),
            rename: None,
            stdout,
            file: Some(BufWriter::new(file)),
        }
    }

    /// Whether this file is the process's standard output (`/dev/stdout`, wherever it leads):
    /// what else the command prints then goes to stderr, so that stdout holds the file alone.
    pub fn is_stdout(&self) -> bool {
        self.stdout
    }

    /// A [`WriteError`] for this file, from an error met while writing it.
    pub fn failed(&self, error: &io::Error) -> WriteError {
        WriteError {
            path: self.given.clone(),
            why: plain(error),
        }
    }

    /// Flushes everything written to disk and puts the file in place.
    ///
    /// # Errors
    /// A [`WriteError`]; the temporary file is removed and an existing file kept.
    pub fn commit(mut self) -> Result<(), WriteError> {
        let flushed = self
            .file
            .take()
            .ok_or_else(closed)
            .and_then(|writer| writer.into_inner().map_err(io::IntoInnerError::into_error));
        // A pipe or a device cannot be synced (it answers "invalid argument"), nor renamed.
        let placed = match &self.rename {
            Some((temporary, target)) => flushed
                .and_then(|file| file.sync_all())
                .and_then(|()| pending::renamed(temporary, target)),
            None => flushed.map(drop),
        };
        placed.map_err(|e| self.failed(&e))
    }

    /// Writes `contents` and [`commit`](Self::commit)s them: a file made before a long run,
    /// filled once it is over.
    ///
    /// # Errors
    /// A [`WriteError`]; the temporary file is removed and an existing file kept.
    pub fn finish(mut self, contents: &[u8]) -> Result<(), WriteError> {
        self.write_all(contents).map_err(|e| self.failed(&e))?;
        self.commit()
    }

    fn open(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.file.as_mut().ok_or_else(closed)
    }
}

fn closed() -> io::Error {
    io::Error::other("the file was closed")
}

impl Write for AtomicFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.open()?.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.open()?.flush()
    }
}

impl Drop for AtomicFile {
    /// Removes the temporary file unless it was renamed into place.
    fn drop(&mut self) {
        if let Some((temporary, _)) = &self.rename {
            drop(self.file.take());
            pending::removed(temporary);
        }
    }
}

/// Why the existing file at `path` must not be replaced, if it must not: replacing a file
/// writes a new one in its place, which would otherwise ignore its permissions and cut its
/// other hard links off. So a file is replaced only where it could be written in place (as the
/// shell's `>>` would), and only when it has no other name.
fn refuse_to_replace(path: &Path, metadata: &fs::Metadata) -> Result<(), String> {
    // Opened to write, neither created nor truncated: the system checks the permissions.
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| plain(&e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let others = metadata.nlink().saturating_sub(1);
        if others > 0 {
            let links = if others == 1 { "link" } else { "links" };
            return Err(format!(
                "{} has {others} other hard {links}, which a new report in its place would \
                 leave holding the old one: remove them or write elsewhere",
                shown(path)
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = metadata;
    Ok(())
}

/// Gives the new file `file` the owner and group of the one it replaces, or says why it cannot
/// (only the superuser may give a file away): a report of another user's is not made ours.
fn keep_owner(file: &File, replaced: &fs::Metadata) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let owner = (replaced.uid(), replaced.gid());
        let made = file.metadata().map_err(|e| plain(&e))?;
        if (made.uid(), made.gid()) != owner {
            std::os::unix::fs::fchown(file, Some(owner.0), Some(owner.1)).map_err(|_| {
                format!(
                    "it belongs to user {} and group {}, which a new report in its place \
                     could not keep: write it as its owner, or remove it first",
                    owner.0, owner.1
                )
            })?;
        }
    }
    #[cfg(not(unix))]
    let _ = (file, replaced);
    Ok(())
}

/// The most bytes in one file name on the file systems Linux uses (`NAME_MAX`).
const NAME_MAX: usize = 255;

/// Why `path`'s file name cannot be made, if it is too long: checked before the run, as the
/// rename at the end would only fail then.
fn name_too_long(path: &Path) -> Option<String> {
    let length = path.file_name()?.as_encoded_bytes().len();
    (length > NAME_MAX).then(|| {
        format!("the file name is {length} bytes long, more than a file name can hold ({NAME_MAX})")
    })
}

/// The temporary files being written, so that a signal that ends the process removes them
/// rather than leave half a report beside the file it was to replace.
pub mod pending {
    use std::fs;
    use std::io;
    use std::path::{Path, PathBuf};
    use std::sync::{Mutex, MutexGuard, PoisonError};

    static FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

    fn files() -> MutexGuard<'static, Vec<PathBuf>> {
        FILES.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the temporary file `path` with `make`, listed first.
    pub(super) fn made<T>(path: &Path, make: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        files().push(path.to_path_buf());
        let made = make();
        if made.is_err() {
            files().retain(|p| p != path);
        }
        made
    }

    /// Renames `temporary` over `target` and takes it off the list, at once for a signal.
    pub(super) fn renamed(temporary: &Path, target: &Path) -> io::Result<()> {
        let mut files = files();
        fs::rename(temporary, target)?;
        files.retain(|p| p != temporary);
        Ok(())
    }

    /// Removes `temporary` if it is still there, and takes it off the list.
    pub(super) fn removed(temporary: &Path) {
        let mut files = files();
        if files.iter().any(|p| p == temporary) {
            let _ = fs::remove_file(temporary);
            files.retain(|p| p != temporary);
        }
    }

    /// Removes every temporary file, and holds the list so that none is made or renamed after:
    /// for a signal handler, just before the process ends.
    pub fn remove_all() -> MutexGuard<'static, Vec<PathBuf>> {
        let files = self::files();
        for path in files.iter() {
            let _ = fs::remove_file(path);
        }
        files
    }
}

/// Whether `path` as typed names a folder, whatever is there: it ends in `/`, `.` or `..`.
fn names_a_folder(path: &Path) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    let last = bytes.rsplit(|&b| b == b'/').next().unwrap_or_default();
    matches!(last, b"" | b"." | b"..")
}

/// The nearest existing folder above `path` that is a file instead, if there is one.
fn ancestor_that_is_a_file(path: &Path) -> Option<&Path> {
    path.ancestors()
        .skip(1)
        .filter(|a| !a.as_os_str().is_empty())
        .find_map(|a| fs::metadata(a).ok().map(|m| (a, m)))
        .and_then(|(a, metadata)| (!metadata.is_dir()).then_some(a))
}

/// This process's standard output, as a file of its own (a duplicate of the descriptor, which
/// writes where the shell's does, appending if it appends), when `path` leads to it.
fn stdout_if(path: &Path) -> Option<File> {
    #[cfg(unix)]
    return stream_if(io::stdout(), path);
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Whether `path` is the plain file this process's standard error goes to: the log a report
/// in its place would replace (`sim --output run.log 2>run.log`).
fn is_stderr_file(path: &Path) -> bool {
    #[cfg(unix)]
    return stream_if(io::stderr(), path)
        .is_some_and(|file| file.metadata().is_ok_and(|metadata| metadata.is_file()));
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// `stream` as a file of its own (a duplicate of its descriptor), when `path` leads to it.
#[cfg(unix)]
fn stream_if(stream: impl std::os::fd::AsFd, path: &Path) -> Option<File> {
    use std::os::unix::fs::MetadataExt;
    let file = stream.as_fd().try_clone_to_owned().map(File::from).ok()?;
    let (a, b) = (fs::metadata(path).ok()?, file.metadata().ok()?);
    ((a.dev(), a.ino()) == (b.dev(), b.ino())).then_some(file)
}

/// Makes each file of `paths` that is given, before the run that fills them, so that a path
/// that cannot be written is refused before anything runs.
///
/// # Errors
/// The first [`WriteError`]; the files already made are dropped, leaving nothing behind.
pub fn create_each<const K: usize>(
    paths: [Option<&Path>; K],
) -> Result<[Option<AtomicFile>; K], WriteError> {
    let mut files = [const { None }; K];
    for (file, path) in files.iter_mut().zip(paths) {
        *file = path.map(AtomicFile::create).transpose()?;
    }
    Ok(files)
}

/// Writes `contents` to `path` through an [`AtomicFile`].
///
/// # Errors
/// A [`WriteError`] naming `path` as given; an existing file is left as it was.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    AtomicFile::create(path)?.finish(contents)
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
    fn two_files_in_one_folder_are_written_at_once() {
        let dir = scratch("two");
        let mut one = AtomicFile::create(&dir.join("one.json")).unwrap();
        let mut two = AtomicFile::create(&dir.join("two.svg")).unwrap();
        one.write_all(b"1").unwrap();
        two.write_all(b"2").unwrap();
        one.commit().unwrap();
        two.commit().unwrap();
        assert_eq!(entries(&dir), ["one.json", "two.svg"]);
    }

    #[test]
    fn a_long_file_name_is_fine() {
        let dir = scratch("long");
        let path = dir.join(format!("{}.json", "r".repeat(250)));
        write_atomically(&path, b"x").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"x");
    }

    #[test]
    fn a_folder_in_the_way_is_named() {
        let dir = scratch("dir");
        let error = write_atomically(&dir, b"x").unwrap_err();
        assert_eq!(error.path, dir);
        assert_eq!(
            error.why,
            format!("{} is a folder, not a file", shown(&dir))
        );
    }

    #[test]
    fn the_same_file_is_found_by_any_path_that_leads_to_it() {
        use std::os::unix::fs::symlink;
        let dir = scratch("same");
        let (new, other) = (dir.join("new.json"), dir.join("other.json"));
        assert!(same_file(&new, &new));
        assert!(same_file(&new, &dir.join(".").join("new.json")));
        fs::create_dir(dir.join("sub")).unwrap();
        assert!(same_file(&new, &dir.join("sub/../new.json")));
        assert!(!same_file(&new, &other));
        fs::write(&other, b"x").unwrap();
        symlink(&other, &new).unwrap();
        assert!(same_file(&new, &other));
        assert!(!same_file(&new, &dir.join("third.json")));
    }

    #[test]
    fn a_path_that_can_only_name_a_folder_is_refused_before_anything_is_made() {
        let dir = scratch("folder-path");
        for name in ["new/", "new/.", "new/..", "a/b/"] {
            let error = AtomicFile::create(&dir.join(name)).unwrap_err();
            assert_eq!(error.why, "the path names a folder, not a file", "{name}");
        }
        assert!(entries(&dir).is_empty());
    }

    #[test]
    fn a_parent_that_is_a_file_is_named_and_left_alone() {
        let dir = scratch("parent");
        let file = dir.join("plain");
        fs::write(&file, b"keep").unwrap();
        let path = file.join("deeper/report.json");
        let error = write_atomically(&path, b"x").unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "cannot write {}: {} is a file, not a folder",
                shown(&path),
                shown(&file)
            )
        );
        assert_eq!(fs::read(&file).unwrap(), b"keep");
        assert_eq!(entries(&dir), ["plain"]);
    }

    #[test]
    fn an_unfinished_file_leaves_nothing_behind() {
        let dir = scratch("dropped");
        let path = dir.join("report.json");
        fs::write(&path, b"earlier").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"half a rep").unwrap();
        assert_eq!(entries(&dir).len(), 2);
        drop(file);
        assert_eq!(entries(&dir), ["report.json"]);
        assert_eq!(fs::read(&path).unwrap(), b"earlier");
    }

    #[test]
    fn a_file_with_other_hard_links_is_refused_and_kept() {
        let dir = scratch("links");
        let (path, other) = (dir.join("report.json"), dir.join("other.json"));
        fs::write(&path, b"earlier").unwrap();
        fs::hard_link(&path, &other).unwrap();
        let error = write_atomically(&path, b"new").unwrap_err();
        assert_eq!(
            error.why,
            format!(
                "{} has 1 other hard link, which a new report in its place would leave holding \
                 the old one: remove them or write elsewhere",
                shown(&path)
            )
        );
        assert_eq!(fs::read(&path).unwrap(), b"earlier");
        assert_eq!(entries(&dir), ["other.json", "report.json"]);
    }

    #[test]
    fn a_file_name_too_long_is_refused_before_anything_is_made() {
        let dir = scratch("too-long");
        let path = dir.join("new").join(format!("{}.json", "r".repeat(251)));
        let error = AtomicFile::create(&path).unwrap_err();
        assert_eq!(
            error.why,
            "the file name is 256 bytes long, more than a file name can hold (255)"
        );
        assert!(entries(&dir).is_empty());
    }

    /// The user this test runs as: the owner of a file it makes.
    fn this_user(dir: &Path) -> u32 {
        use std::os::unix::fs::MetadataExt;
        let probe = dir.join("probe");
        fs::write(&probe, b"").unwrap();
        let uid = fs::metadata(&probe).unwrap().uid();
        fs::remove_file(probe).unwrap();
        uid
    }

    #[test]
    fn a_read_only_file_is_replaced_only_by_a_user_who_could_write_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("read-only");
        let path = dir.join("report.json");
        fs::write(&path, b"earlier").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
        let written = write_atomically(&path, b"new");
        if this_user(&dir) == 0 {
            // The superuser writes any file in place, so it may replace this one.
            written.unwrap();
            assert_eq!(fs::read(&path).unwrap(), b"new");
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o444
            );
        } else {
            assert_eq!(written.unwrap_err().why, "permission denied");
            assert_eq!(fs::read(&path).unwrap(), b"earlier");
        }
        assert_eq!(entries(&dir), ["report.json"]);
    }

    #[test]
    fn another_users_file_keeps_its_owner_or_is_left_alone() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = scratch("owner");
        let path = dir.join("report.json");
        fs::write(&path, b"earlier").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        // `nobody`: only the superuser can give a file away to it, so only then is the file
        // another user's; otherwise it stays ours and the new report keeps that.
        let given = std::os::unix::fs::chown(&path, Some(65_534), Some(65_534)).is_ok();
        write_atomically(&path, b"new").unwrap();
        let owner = fs::metadata(&path).unwrap();
        if given {
            assert_eq!((owner.uid(), owner.gid()), (65_534, 65_534));
        } else {
            assert_eq!(owner.uid(), this_user(&dir));
        }
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(entries(&dir), ["report.json"]);
    }

    #[test]
    fn system_errors_in_plain_words() {
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert_eq!(plain(&denied), "permission denied");
        let other = io::Error::from_raw_os_error(2);
        assert_eq!(plain(&other), "no such file or directory");
    }
}
