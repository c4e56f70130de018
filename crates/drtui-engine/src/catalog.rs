//! Where runbooks come from: the built-ins (embedded in the binary), the user's runbooks in
//! the platform config dir (`~/.config/drtui/runbooks/*.yaml`), or a path. The file system side
//! of runbooks; the core validates what is read here.

use std::path::{Path, PathBuf};

use drtui_core::runbook::builtin::{BUILT_IN, fingerprint};
use drtui_core::runbook::step::Runbook;
use drtui_core::runbook::validate::{self, RunbookError};

/// Where a runbook was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    File(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built-in"),
            Origin::File(path) => write!(f, "{}", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Invalid(#[from] RunbookError),
    #[error("cannot read runbook {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("unknown runbook `{name}`; known: {}", known.join(", "))]
    Unknown { name: String, known: Vec<String> },
}

/// The user's runbook directory.
pub fn user_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "drtui").map(|dirs| dirs.config_dir().join("runbooks"))
}

fn user_files() -> Vec<PathBuf> {
    let Some(dir) = user_dir() else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    // A FIFO, a device or a directory named like a runbook is not one: passed over, once said.
    files.retain(|path| {
        let regular = std::fs::metadata(path).is_ok_and(|meta| meta.is_file());
        if !regular {
            tracing::warn!(path = %path.display(), "not a regular file: left out of the runbooks");
        }
        regular
    });
    files.sort();
    files
}

/// A runbook file's text: a regular file of at most 4 MiB.
fn read_text(path: &Path) -> Result<String, CatalogError> {
    crate::files::read_input(path, crate::files::MAX_RUNBOOK_BYTES).map_err(|error| {
        CatalogError::Io {
            path: path.to_path_buf(),
            source: error.into(),
        }
    })
}

pub fn load_file(path: &Path) -> Result<Runbook, CatalogError> {
    let text = read_text(path)?;
    Ok(validate::load(&text, &path.display().to_string())?)
}

/// Every runbook available: built-ins first, then the user's (a broken user file is listed
/// with its error rather than hidden).
pub fn all() -> Vec<(Origin, Result<Runbook, CatalogError>)> {
    let mut runbooks: Vec<_> = BUILT_IN
        .iter()
        .map(|(name, text)| {
            (
                Origin::BuiltIn,
                validate::load(text, &format!("runbooks/{name}.yaml")).map_err(CatalogError::from),
            )
        })
        .collect();
    runbooks.extend(
        user_files()
            .into_iter()
            .map(|path| (Origin::File(path.clone()), load_file(&path))),
    );
    runbooks
}

/// A runbook by name (built-in or user) or by path.
pub fn find(name_or_path: &str) -> Result<(Origin, Runbook), CatalogError> {
    find_with_hash(name_or_path).map(|(origin, runbook, _)| (origin, runbook))
}

/// A runbook by name or path, with the fingerprint of its text.
pub fn find_with_hash(name_or_path: &str) -> Result<(Origin, Runbook, String), CatalogError> {
    let path = Path::new(name_or_path);
    if path.extension().is_some() && path.exists() {
        let text = read_text(path)?;
        let mut runbook = validate::load(&text, &path.display().to_string())?;
        runbook.source = Some(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
        return Ok((
            Origin::File(path.to_path_buf()),
            runbook,
            fingerprint(&text),
        ));
    }
    let mut known = Vec::new();
    for (name, text) in BUILT_IN {
        let runbook = validate::load(text, &format!("runbooks/{name}.yaml"))?;
        if runbook.name == name_or_path {
            return Ok((Origin::BuiltIn, runbook, fingerprint(text)));
        }
        known.push(runbook.name.clone());
    }
    for path in user_files() {
        let text = read_text(&path)?;
        let runbook = validate::load(&text, &path.display().to_string())?;
        if runbook.name == name_or_path {
            return Ok((Origin::File(path), runbook, fingerprint(&text)));
        }
        known.push(runbook.name.clone());
    }
    Err(CatalogError::Unknown {
        name: name_or_path.to_owned(),
        known,
    })
}

/// What a stopped run of `runbook` can go on as without starting over: `failover`, for a
/// runbook that switches the writer over to where a failover takes it (a switchover that
/// failed or hung). `None` for the others.
pub fn escalation(runbook: &Runbook) -> Option<&'static str> {
    const FAILOVER: &str = "failover";
    let (_, failover) = find(FAILOVER).ok()?;
    runbook.can_go_on_as(&failover).then_some(FAILOVER)
}
