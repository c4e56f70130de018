//! One mutating run per pair at a time, on this machine: a lock file in the state dir that
//! appears whole or not at all (written to a private temp file, then hard-linked into place,
//! which fails if a lock exists), naming its holder. A holder whose process is gone is stale
//! and replaced; liveness is the pid *and* its start time, so a reused pid is not mistaken for
//! the holder. The cross-machine lock is described in the README.

use std::path::{Path, PathBuf};

use drtui_core::commands::PairCommands;
pub use drtui_core::ports::Holder;

/// A holder for this process: its pid and that pid's start time, this host.
pub fn this_process(run_id: &str, operator: &str, since: String) -> Holder {
    let pid = std::process::id();
    Holder {
        run_id: run_id.to_owned(),
        operator: operator.to_owned(),
        host: host_name(),
        pid,
        since,
        pid_start: process_start(pid),
        paused_since: None,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("pair `{}` is locked by {holder}; {}", pair.pair, pair.when_held(&holder.run_id))]
    Held {
        pair: Box<PairCommands>,
        holder: Box<Holder>,
    },
    #[error("the lock file {} of pair `{}` cannot be read ({reason}); inspect it with `{}`, then `{}`", path.display(), pair.pair, pair.lock("show"), pair.lock("break --reason TEXT"))]
    Unreadable {
        pair: Box<PairCommands>,
        path: PathBuf,
        reason: String,
    },
    #[error("cannot write the lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A held lock; released on drop, if it is still ours.
#[derive(Debug)]
pub struct PairLock {
    path: PathBuf,
    run_id: String,
}

impl Drop for PairLock {
    fn drop(&mut self) {
        if read_holder(&self.path).is_ok_and(|holder| holder.run_id == self.run_id) {
            let _ = std::fs::remove_file(&self.path);
        }
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

/// When process `pid` started (field 22 of /proc/PID/stat), if it exists and is not a zombie
/// (killed, not yet reaped: it holds nothing any more).
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    if fields.next()? == "Z" {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

/// Whether the holder may still be running: on another host we cannot tell, so yes; here, its
/// pid must exist and (when recorded) have started when the holder did.
fn alive(holder: &Holder) -> bool {
    if holder.host != host_name() {
        return true;
    }
    match (process_start(holder.pid), holder.pid_start) {
        (None, _) => false,
        (Some(now), Some(then)) => now == then,
        (Some(_), None) => true,
    }
}

fn lock_path(state: &Path, pair: &str) -> PathBuf {
    state
        .join("locks")
        .join(format!("{}.lock", drtui_core::text::safe_component(pair)))
}

fn read_holder(path: &Path) -> Result<Holder, String> {
    let bytes = crate::files::read_regular(path).map_err(|error| error.to_string())?;
    serde_json::from_slice(&bytes).map_err(|error| error.to_string())
}

/// The pair's lock, as it is: `Ok(None)` when free.
pub fn show(state: &Path, pair: &PairCommands) -> Result<Option<(Holder, bool)>, LockError> {
    let path = lock_path(state, &pair.pair);
    if !path.exists() {
        return Ok(None);
    }
    read_holder(&path)
        .map(|holder| {
            let alive = alive(&holder);
            Some((holder, alive))
        })
        .map_err(|reason| LockError::Unreadable {
            pair: Box::new(pair.clone()),
            path,
            reason,
        })
}

/// The live holder of pair `name`'s lock, if any.
pub fn holder(state: &Path, name: &str) -> Option<Holder> {
    read_holder(&lock_path(state, name)).ok().filter(alive)
}

/// Removes the pair's lock whoever holds it; returns who did.
pub fn force_break(state: &Path, pair: &str) -> Result<Option<Holder>, LockError> {
    let path = lock_path(state, pair);
    let holder = read_holder(&path).ok();
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(holder),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(LockError::Io { path, source }),
    }
}

/// Takes the pair's lock for `holder.run_id`, or says who holds it.
pub fn acquire(state: &Path, pair: &PairCommands, holder: Holder) -> Result<PairLock, LockError> {
    let path = lock_path(state, &pair.pair);
    let io = |path: &Path, source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(state);
    crate::files::private_dir(dir).map_err(|source| io(dir, source))?;
    // The whole lock is written first, under a name nobody else uses.
    let temp = dir.join(format!(
        ".{}.{}.{}.tmp",
        drtui_core::text::safe_component(&pair.pair),
        holder.pid,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos())
    ));
    let text = serde_json::to_string(&holder).map_err(|error| io(&temp, error.into()))?;
    if let Err(source) = crate::files::write_new(&temp, text.as_bytes()) {
        let _ = std::fs::remove_file(&temp);
        return Err(io(&temp, source));
    }
    let result = link_into_place(&temp, &path, pair, &holder);
    let _ = std::fs::remove_file(&temp);
    result
}

impl PairLock {
    /// Marks the held lock paused since `since` (or no longer, with `None`), so a refused
    /// operator reads that the run is paused and where it can be resumed. The lock file is
    /// replaced whole (a temp file renamed over it); nothing is changed unless it is still ours.
    pub fn mark_paused(&self, since: Option<String>) -> Result<(), LockError> {
        let io = |source| LockError::Io {
            path: self.path.clone(),
            source,
        };
        let Ok(mut holder) = read_holder(&self.path) else {
            return Ok(());
        };
        if holder.run_id != self.run_id || holder.pid != std::process::id() {
            return Ok(());
        }
        holder.paused_since = since;
        let temp = self
            .path
            .with_extension(format!("paused.{}", std::process::id()));
        let text = serde_json::to_string(&holder).map_err(|error| io(error.into()))?;
        let _ = std::fs::remove_file(&temp);
        crate::files::write_new(&temp, text.as_bytes())
            .and_then(|()| std::fs::rename(&temp, &self.path))
            .map_err(|source| {
                let _ = std::fs::remove_file(&temp);
                io(source)
            })
    }
}

/// Links the complete temp lock into place; a stale holder is moved aside first.
fn link_into_place(
    temp: &Path,
    path: &Path,
    pair: &PairCommands,
    holder: &Holder,
) -> Result<PairLock, LockError> {
    for _ in 0..3 {
        match std::fs::hard_link(temp, path) {
            Ok(()) => {
                return Ok(PairLock {
                    path: path.to_path_buf(),
                    run_id: holder.run_id.clone(),
                });
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(LockError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        let current = match read_holder(path) {
            Ok(current) => current,
            // Released between our link and our read: try again.
            Err(_) if !path.exists() => continue,
            Err(reason) => {
                return Err(LockError::Unreadable {
                    pair: Box::new(pair.clone()),
                    path: path.to_path_buf(),
                    reason,
                });
            }
        };
        if alive(&current) && current.run_id != holder.run_id {
            return Err(LockError::Held {
                pair: Box::new(pair.clone()),
                holder: Box::new(current),
            });
        }
        if alive(&current) && current.pid != holder.pid {
            // The same run resumed by another process while the first still lives.
            return Err(LockError::Held {
                pair: Box::new(pair.clone()),
                holder: Box::new(current),
            });
        }
        remove_if_still(path, &current)?;
    }
    Err(LockError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other("the lock file keeps reappearing"),
    })
}

/// Removes a stale lock, but only the one we judged stale: it is first moved aside (atomic),
/// and if what was moved is not that holder (another process took the lock meanwhile) it is
/// linked back.
fn remove_if_still(path: &Path, stale: &Holder) -> Result<(), LockError> {
    let aside = path.with_extension(format!("stale.{}", std::process::id()));
    match std::fs::rename(path, &aside) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(LockError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    if read_holder(&aside).is_ok_and(|moved| moved != *stale) {
        let _ = std::fs::hard_link(&aside, path);
    }
    let _ = std::fs::remove_file(&aside);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> PairCommands {
        drtui_core::config::RegionPair::demo().commands()
    }

    fn holder(run_id: &str, pid: u32, pid_start: Option<u64>) -> Holder {
        Holder {
            run_id: run_id.into(),
            operator: "me".into(),
            host: host_name(),
            pid,
            since: "now".into(),
            pid_start,
            paused_since: None,
        }
    }

    #[test]
    fn the_second_taker_is_refused_by_name_and_the_lock_is_released_on_drop() {
        let dir = tempfile::tempdir().expect("dir");
        let first = this_process("run-1", "alice", "t0".into());
        let lock = acquire(dir.path(), &demo(), first).expect("free");
        let second = this_process("run-2", "bob", "t1".into());
        match acquire(dir.path(), &demo(), second.clone()) {
            Err(LockError::Held { holder, .. }) => assert_eq!(holder.run_id, "run-1"),
            other => panic!("{other:?}"),
        }
        drop(lock);
        assert!(acquire(dir.path(), &demo(), second).is_ok());
    }

    #[test]
    fn a_dead_or_reused_pid_is_stale() {
        let dir = tempfile::tempdir().expect("dir");
        let path = lock_path(dir.path(), "demo");
        crate::files::private_dir(path.parent().expect("dir")).expect("dir");
        let me = std::process::id();
        // Our own pid, but with another start time: the pid was reused.
        for stale in [
            holder("old", me, Some(1)),
            holder("old", u32::MAX - 1, None),
        ] {
            std::fs::write(&path, serde_json::to_string(&stale).expect("json")).expect("write");
            let taken = acquire(dir.path(), &demo(), this_process("new", "me", "t".into()))
                .expect("stale replaced");
            drop(taken);
        }
    }

    #[test]
    fn an_unreadable_lock_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = lock_path(dir.path(), "demo");
        crate::files::private_dir(path.parent().expect("dir")).expect("dir");
        std::fs::write(&path, "{not json").expect("write");
        let error = acquire(dir.path(), &demo(), this_process("new", "me", "t".into()))
            .expect_err("refused");
        assert!(
            matches!(error, LockError::Unreadable { .. })
                && error.to_string().contains("lock break"),
            "{error}"
        );
    }

    #[test]
    fn many_takers_at_once_only_one_wins() {
        let dir = tempfile::tempdir().expect("dir");
        let state = dir.path().to_path_buf();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(16));
        let handles: Vec<_> = (0..16)
            .map(|index| {
                let state = state.clone();
                let barrier = std::sync::Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    acquire(
                        &state,
                        &demo(),
                        this_process(&format!("run-{index}"), "me", "t".into()),
                    )
                    .ok()
                })
            })
            .collect();
        let locks: Vec<PairLock> = handles
            .into_iter()
            .filter_map(|handle| handle.join().expect("thread"))
            .collect();
        assert_eq!(locks.len(), 1, "{locks:?}");
    }
}
