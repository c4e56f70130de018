//! The run journal: append-only JSONL, one fsync per record, the source of truth for `resume`,
//! `runs show` and the incident review. A torn last line (a crash mid-write) is tolerated and
//! reported, never fatal.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        runbook: String,
        runbook_hash: String,
        pair: String,
        operator: String,
        mode: String,
    },
    StepStarted {
        step: String,
        kind: String,
        #[serde(default)]
        inputs: serde_json::Value,
    },
    StepFinished {
        step: String,
        outcome: StepOutcome,
        detail: String,
    },
    Approved {
        step: String,
        by: String,
        how: String,
        /// The replication lag (data at risk) when the approval was given.
        data_at_risk_ms: Option<f64>,
    },
    GateBlocked {
        step: String,
    },
    Resumed {
        by: String,
    },
    RunFinished {
        outcome: RunOutcomeKind,
        detail: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Ok,
    Skipped,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcomeKind {
    Completed,
    Blocked,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub at: Timestamp,
    pub run_id: String,
    #[serde(flatten)]
    pub event: Event,
}

/// An open journal, appended to record by record.
pub struct Journal {
    pub path: PathBuf,
    file: File,
}

/// What was read back, and whether the last line was torn.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replay {
    pub records: Vec<Record>,
    pub truncated_tail: Option<String>,
}

pub fn runs_dir(state: &Path) -> PathBuf {
    state.join("runs")
}

impl Journal {
    /// Opens (creating if needed) the journal of `run_id` for appending.
    pub fn open(state: &Path, run_id: &str) -> std::io::Result<Self> {
        let dir = runs_dir(state);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{run_id}.jsonl"));
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
        let line = serde_json::to_string(record).map_err(std::io::Error::other)?;
        writeln!(self.file, "{line}")?;
        self.file.sync_all()
    }
}

/// Reads a journal; a last line that does not parse is reported as torn, not an error.
pub fn read(path: &Path) -> std::io::Result<Replay> {
    let text = std::fs::read_to_string(path)?;
    let mut replay = Replay::default();
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    for (index, line) in lines.iter().enumerate() {
        match serde_json::from_str::<Record>(line) {
            Ok(record) => replay.records.push(record),
            Err(_) if index + 1 == lines.len() => replay.truncated_tail = Some((*line).to_owned()),
            Err(error) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}:{}: {error}", path.display(), index + 1),
                ));
            }
        }
    }
    Ok(replay)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_reported_and_the_rest_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let mut journal = Journal::open(dir.path(), "r1").expect("open");
        let record = Record {
            at: crate::fixtures::start(),
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
