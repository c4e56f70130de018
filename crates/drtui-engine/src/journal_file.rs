//! The run journal on disk: append-only JSONL under `<state>/runs/`, one fsync per record; the
//! records themselves and how they are read back live in `drtui_core::runbook::journal`.

use std::fs::File;
use std::path::{Path, PathBuf};

use drtui_core::phase::UnfinishedRun;
use drtui_core::runbook::journal::{self, Record, Replay, RunSummary};

/// An open journal, appended to record by record.
pub struct Journal {
    pub path: PathBuf,
    file: File,
}

/// Where a state dir keeps its run journals.
pub fn runs_dir(state: &Path) -> PathBuf {
    state.join("runs")
}

/// The journal file of `run_id`, always inside the state dir: a run id that is not one safe
/// path component (`../x`, `a/b`) is refused.
pub fn journal_path(state: &Path, run_id: &str) -> std::io::Result<PathBuf> {
    if !drtui_core::text::is_safe_component(run_id) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "`{}` is not a run id (letters, digits, `.`, `_`, `-`)",
                drtui_core::text::sanitize(run_id)
            ),
        ));
    }
    Ok(runs_dir(state).join(format!("{run_id}.jsonl")))
}

impl Journal {
    /// Opens (creating if needed, 0600 in a 0700 dir) the journal of `run_id` for appending.
    /// A torn last line (a crash mid-write) is first cut off and kept aside in `<id>.torn`, so
    /// nothing is ever appended after a fragment.
    pub fn open(state: &Path, run_id: &str) -> std::io::Result<Self> {
        let path = journal_path(state, run_id)?;
        repair_torn_tail(&path)?;
        let file = crate::files::private_append(&path)?;
        Ok(Self { path, file })
    }

    /// Appends one record, then hands it to `on_record` (the live view) once it is on disk.
    pub fn record(
        &mut self,
        record: Record,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<()> {
        self.append(&record)?;
        on_record(&record);
        Ok(())
    }

    /// Appends one record (line and newline in one write) and waits until it is on disk.
    pub fn append(&mut self, record: &Record) -> std::io::Result<()> {
        let line = journal::line(record).map_err(std::io::Error::other)?;
        crate::files::append_line(&mut self.file, &line)
    }
}

/// Cuts a journal back to its last complete record; what followed is appended to `<id>.torn`
/// beside it. A journal that ends in a newline is left alone.
pub fn repair_torn_tail(path: &Path) -> std::io::Result<Option<String>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(None);
    }
    let keep = bytes
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |newline| newline + 1);
    let torn = String::from_utf8_lossy(&bytes[keep..]).into_owned();
    if serde_json::from_str::<Record>(&torn).is_ok() {
        // A whole record whose newline never made it (an older drtui wrote them apart).
        let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
        std::io::Write::write_all(&mut file, b"\n")?;
        file.sync_all()?;
        return Ok(None);
    }
    let mut aside = crate::files::private_append(&path.with_extension("torn"))?;
    crate::files::append_line(&mut aside, &torn)?;
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.set_len(keep as u64)?;
    file.sync_all()?;
    Ok(Some(torn))
}

/// Reads a journal; a last line that does not parse is reported as torn, not an error.
pub fn read(path: &Path) -> std::io::Result<Replay> {
    let bytes = crate::files::read_regular(path)?;
    Ok(journal::parse_bytes(&bytes, &path.display().to_string()))
}

/// Every journal in the state dir, newest first.
pub fn list(state: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(runs_dir(state))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort_by_key(|path| {
        std::cmp::Reverse(
            std::fs::metadata(path)
                .and_then(|meta| meta.modified())
                .ok(),
        )
    });
    files
}

/// The pair's newest run that changed the estate, when it did not complete: what the phase
/// and the dashboard call "an unfinished run". Runs that never acted (stopped at a check or
/// a gate) are passed over; a completed one means nothing is unfinished.
pub fn newest_unfinished(state: &Path, pair: &str) -> Option<UnfinishedRun> {
    let holder = crate::lock::holder(state, pair);
    for path in list(state) {
        let Ok(replay) = read(&path) else { continue };
        let summary = RunSummary::of(&replay.records);
        if summary
            .header
            .as_ref()
            .is_none_or(|header| header.pair != pair)
            || !summary.acted
        {
            continue;
        }
        // A run paused in a dashboard holds the pair but runs nothing: it is stopped, and
        // resumable (there, or by whoever the lock refuses, who is told where it is).
        let active = holder
            .as_ref()
            .is_some_and(|holder| holder.run_id == summary.run_id && holder.paused_since.is_none());
        return UnfinishedRun::of(&summary, active);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use drtui_core::runbook::journal::Event;
    use std::io::Write as _;

    #[test]
    fn a_torn_last_line_is_reported_and_the_rest_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let mut journal = Journal::open(dir.path(), "r1").expect("open");
        let record = Record {
            at: chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("instant"),
            run_id: "r1".into(),
            event: Event::GateBlocked {
                step: "approve".into(),
            },
        };
        journal.append(&record).expect("append");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&journal.path)
            .and_then(|mut file| file.write_all(b"{\"at\":\"2027-01-15T08:00"))
            .expect("tear");
        let replay = read(&journal.path).expect("read");
        assert_eq!(replay.records, vec![record]);
        assert_eq!(
            replay.truncated_tail.as_deref(),
            Some("{\"at\":\"2027-01-15T08:00")
        );
    }

    fn record(step: &str) -> Record {
        Record {
            at: chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("instant"),
            run_id: "r1".into(),
            event: Event::GateBlocked { step: step.into() },
        }
    }

    #[test]
    fn a_torn_tail_is_cut_off_and_kept_aside_before_anything_is_appended() {
        let dir = tempfile::tempdir().expect("dir");
        let mut journal = Journal::open(dir.path(), "r1").expect("open");
        journal.append(&record("a")).expect("append");
        journal.append(&record("b")).expect("append");
        let path = journal.path.clone();
        drop(journal);
        // `truncate -s -40`: the last record loses its end and its newline.
        let len = std::fs::metadata(&path).expect("meta").len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|file| file.set_len(len - 40))
            .expect("truncate");
        let mut journal = Journal::open(dir.path(), "r1").expect("reopen");
        journal.append(&record("c")).expect("append");
        let replay = read(&path).expect("read");
        assert_eq!(replay.records, vec![record("a"), record("c")]);
        assert!(replay.truncated_tail.is_none() && replay.damaged.is_empty());
        let torn = std::fs::read_to_string(path.with_extension("torn")).expect("kept aside");
        assert!(torn.starts_with("{\"at\""), "{torn}");
    }

    #[test]
    fn a_whole_record_without_its_newline_is_completed_not_cut() {
        let dir = tempfile::tempdir().expect("dir");
        let path = journal_path(dir.path(), "r1").expect("path");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
        let line = journal::line(&record("a")).expect("line");
        std::fs::write(&path, &line).expect("write");
        let mut journal = Journal::open(dir.path(), "r1").expect("open");
        journal.append(&record("b")).expect("append");
        let replay = read(&path).expect("read");
        assert_eq!(replay.records, vec![record("a"), record("b")]);
    }

    #[test]
    fn a_damaged_line_inside_is_skipped_and_reported() {
        let dir = tempfile::tempdir().expect("dir");
        let path = journal_path(dir.path(), "r1").expect("path");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
        let line = |step| journal::line(&record(step)).expect("line");
        std::fs::write(
            &path,
            format!("{}\n{{\"at\":\"20{}\n{}\n", line("a"), line("b"), line("c")),
        )
        .expect("write");
        let replay = read(&path).expect("read");
        assert_eq!(replay.records, vec![record("a"), record("c")]);
        assert_eq!(replay.damaged.len(), 1, "{:?}", replay.damaged);
    }

    #[test]
    fn run_ids_never_leave_the_runs_directory() {
        let dir = tempfile::tempdir().expect("dir");
        for id in ["../../../../tmp/x", "a/b", "", ".hidden"] {
            assert!(journal_path(dir.path(), id).is_err(), "{id}");
            assert!(Journal::open(dir.path(), id).is_err(), "{id}");
        }
    }
}
