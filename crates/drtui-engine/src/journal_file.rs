//! The run journal on disk: append-only JSONL under `<state>/runs/`, one fsync per record; the
//! records themselves and how they are read back live in `drtui_core::runbook::journal`.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
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

/// The journal file of `run_id`.
pub fn journal_path(state: &Path, run_id: &str) -> PathBuf {
    runs_dir(state).join(format!("{run_id}.jsonl"))
}

impl Journal {
    /// Opens (creating if needed) the journal of `run_id` for appending.
    pub fn open(state: &Path, run_id: &str) -> std::io::Result<Self> {
        std::fs::create_dir_all(runs_dir(state))?;
        let path = journal_path(state, run_id);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
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

    /// Appends one record and waits until it is on disk.
    pub fn append(&mut self, record: &Record) -> std::io::Result<()> {
        let line = journal::line(record).map_err(std::io::Error::other)?;
        writeln!(self.file, "{line}")?;
        self.file.sync_all()
    }
}

/// Reads a journal; a last line that does not parse is reported as torn, not an error.
pub fn read(path: &Path) -> std::io::Result<Replay> {
    let text = std::fs::read_to_string(path)?;
    journal::parse(&text, &path.display().to_string())
        .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidData, message))
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
        let active = holder
            .as_ref()
            .is_some_and(|holder| holder.run_id == summary.run_id);
        return UnfinishedRun::of(&summary, active);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use drtui_core::runbook::journal::Event;

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
}
