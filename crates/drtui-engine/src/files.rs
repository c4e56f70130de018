//! The few ways drtui touches files, each made safe once: state that only its owner can read
//! (directories 0700, files 0600, whatever the umask), appends that land whole, and input files
//! read only when they are regular files of a bounded size.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

/// The largest config file read (a pair table is a few KiB).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// The largest runbook file read.
pub const MAX_RUNBOOK_BYTES: u64 = 4 * 1024 * 1024;

/// Makes sure `dir` exists, creating what is missing 0700 whatever the umask. A directory that
/// was already there keeps its mode (a shared 1777 directory stays shared: drtui changes
/// nothing it did not create); an empty path is the current directory.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Opens `path` for appending, creating it 0600 (its directory 0700) if needed; a file that
/// was already there keeps its mode.
pub fn private_append(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    let existed = path.exists();
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    if !existed {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Creates `path` 0600, failing if it exists.
pub fn private_new(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Creates `path` 0600 (failing if it exists) holding `bytes`, on disk before it returns: the
/// whole file a rename or a hard link then puts in place.
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = private_new(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Appends `line` and a newline in one `write` and waits until it is on disk: a crash leaves
/// either the whole line or a torn tail, never a record glued to the next.
pub fn append_line(file: &mut File, line: &str) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    file.write_all(&bytes)?;
    file.sync_all()
}

/// Why an input file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("not a regular file")]
    NotAFile,
    #[error("{size} bytes, more than the {limit} bytes allowed")]
    TooLarge { size: u64, limit: u64 },
    #[error("not UTF-8 text")]
    NotText,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<InputError> for std::io::Error {
    fn from(error: InputError) -> Self {
        match error {
            InputError::Io(source) => source,
            other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string()),
        }
    }
}

impl InputError {
    /// Whether the file simply is not there (callers may fall back to defaults).
    pub fn is_not_found(&self) -> bool {
        matches!(self, InputError::Io(error) if error.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Opens a regular file (or a symlink to one) for reading. What it is is asked first, of the
/// path (which never blocks), and again of what was opened: opening a FIFO would wait for a
/// writer forever, and a device or a directory is no input.
pub fn open_regular(path: &Path) -> Result<File, InputError> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(InputError::NotAFile);
    }
    let file = File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(InputError::NotAFile);
    }
    Ok(file)
}

/// Reads a whole regular file as bytes (journals, whose lines are judged one by one).
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_regular(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a regular file of at most `limit` bytes as UTF-8: never a device, a FIFO or a
/// directory, and never more than `limit` bytes even if the file grows while read.
pub fn read_input(path: &Path, limit: u64) -> Result<String, InputError> {
    let file = open_regular(path)?;
    let meta = file.metadata()?;
    if meta.len() > limit {
        return Err(InputError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|_| InputError::NotText)
}

/// Why a file was not replaced.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    #[error("{} changed since it was read (another editor?): nothing was written; run again", path.display())]
    Changed { path: std::path::PathBuf },
    #[error("{what}")]
    Rejected { what: String },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Replaces the file at `path` (through a symlink: the link stays, its target gets the new
/// text) with `new`, keeping the target's mode, and only if it still holds `read`, the text
/// the change was made from. The new text is written beside the target, checked by `check`,
/// then renamed over it: a failure or a concurrent edit leaves the file as it was.
pub fn replace_if_unchanged(
    path: &Path,
    read: &str,
    new: &str,
    check: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), ReplaceError> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReplaceError::Io { path, source }
    };
    let mode = std::fs::metadata(&target)
        .map_err(io(&target))?
        .permissions();
    let mut staged_name = target.as_os_str().to_owned();
    staged_name.push(".drtui-new");
    let staged = std::path::PathBuf::from(staged_name);
    let _ = std::fs::remove_file(&staged);
    let written =
        write_new(&staged, new.as_bytes()).and_then(|()| std::fs::set_permissions(&staged, mode));
    let outcome = written.map_err(io(&staged)).and_then(|()| {
        check(&staged).map_err(|what| ReplaceError::Rejected { what })?;
        let now = std::fs::read_to_string(&target).map_err(io(&target))?;
        if now != read {
            return Err(ReplaceError::Changed {
                path: path.to_path_buf(),
            });
        }
        std::fs::rename(&staged, &target).map_err(io(&target))
    });
    if outcome.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_private_whatever_the_umask() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("a/b/state.jsonl");
        let mut file = private_append(&path).expect("open");
        append_line(&mut file, "{}").expect("append");
        let mode =
            |path: &Path| std::fs::metadata(path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "{}\n");
    }

    #[test]
    fn only_bounded_regular_files_are_read() {
        assert!(matches!(
            read_input(Path::new("/dev/zero"), 1024),
            Err(InputError::NotAFile)
        ));
        let dir = tempfile::tempdir().expect("dir");
        assert!(matches!(
            read_input(dir.path(), 1024),
            Err(InputError::NotAFile)
        ));
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; 2048]).expect("write");
        assert!(matches!(
            read_input(&big, 1024),
            Err(InputError::TooLarge { .. })
        ));
        assert_eq!(read_input(&big, 4096).expect("read").len(), 2048);
    }

    /// A config updated through a symlink: the link stays a link, its target takes the new
    /// text and keeps its mode; an edit made meanwhile is never overwritten.
    #[test]
    fn a_replace_writes_through_a_link_keeps_the_mode_and_refuses_a_concurrent_edit() {
        let dir = tempfile::tempdir().expect("dir");
        let target = dir.path().join("real.toml");
        std::fs::write(&target, "old\n").expect("write");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).expect("mode");
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&target, &link).expect("link");
        replace_if_unchanged(&link, "old\n", "new\n", |_| Ok(())).expect("replaced");
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("link")
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "new\n");
        let mode = std::fs::metadata(&target)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o640);
        // Someone saved "edited" after drtui read "new": refused, their edit kept.
        std::fs::write(&target, "edited\n").expect("edit");
        let error = replace_if_unchanged(&link, "new\n", "newer\n", |_| Ok(()))
            .expect_err("changed meanwhile");
        assert!(matches!(error, ReplaceError::Changed { .. }), "{error}");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "edited\n");
        // A rejected text is never put in place either.
        let error = replace_if_unchanged(&link, "edited\n", "bad\n", |_| Err("invalid".into()))
            .expect_err("rejected");
        assert!(matches!(error, ReplaceError::Rejected { .. }), "{error}");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "edited\n");
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            2,
            "nothing staged left"
        );
    }
}
