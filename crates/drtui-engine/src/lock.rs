//! One mutating run per pair at a time. Locally: a lock file created exclusively in the state
//! dir, naming its holder; a holder whose process is gone (same host) is stale and replaced.
//! The AWS form of this lock is described in the README (it must work with the primary down).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub run_id: String,
    pub operator: String,
    pub host: String,
    pub pid: u32,
    pub since: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("pair `{pair}` is locked by run {} of {} (pid {} on {}, since {}); wait for it, or resume that run", holder.run_id, holder.operator, holder.pid, holder.host, holder.since)]
    Held { pair: String, holder: Box<Holder> },
    #[error("cannot take the lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A held lock; released on drop.
pub struct PairLock {
    path: PathBuf,
}

impl Drop for PairLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned())
}

fn alive(holder: &Holder) -> bool {
    holder.host != host_name() || Path::new(&format!("/proc/{}", holder.pid)).exists()
}

/// The live holder of the pair's lock, if any.
pub fn holder(state: &Path, pair: &str) -> Option<Holder> {
    let path = state.join("locks").join(format!("{pair}.lock"));
    let holder: Holder = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    alive(&holder).then_some(holder)
}

/// Takes the pair's lock for `run_id`, or says who holds it.
pub fn acquire(state: &Path, pair: &str, holder: Holder) -> Result<PairLock, LockError> {
    let dir = state.join("locks");
    let path = dir.join(format!("{pair}.lock"));
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    for _ in 0..2 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                let text = serde_json::to_string(&holder)
                    .map_err(|error| io(std::io::Error::other(error)))?;
                file.write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(io)?;
                return Ok(PairLock { path });
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                let current: Option<Holder> = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|text| serde_json::from_str(&text).ok());
                match current {
                    Some(current) if current.run_id == holder.run_id || !alive(&current) => {
                        std::fs::remove_file(&path).map_err(io)?;
                    }
                    Some(current) => {
                        return Err(LockError::Held {
                            pair: pair.to_owned(),
                            holder: Box::new(current),
                        });
                    }
                    // Written by a process killed mid-write: nobody can hold it.
                    None => std::fs::remove_file(&path).map_err(io)?,
                }
            }
            Err(error) => return Err(io(error)),
        }
    }
    Err(io(std::io::Error::other("the lock file keeps reappearing")))
}
