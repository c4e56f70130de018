//! A run from start (or resume) to finish: lock, journal, engine. Shared by `drtui run`,
//! `drtui resume` and (later) the TUI's runbook view.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::engine::{Approvals, Engine, Outcome};
use super::journal::{self, Event, Journal, Record, StepOutcome};
use super::lock::{self, Holder, LockError};
use super::spec::Runbook;
use crate::backend::{ActBackend, StatusBackend};
use crate::clock::Clock;
use crate::config::RegionPair;

#[derive(Debug, thiserror::Error)]
pub enum PlaybackError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("journal: {0}")]
    Journal(#[from] std::io::Error),
    #[error("cannot resume {run_id}: {reason}")]
    Resume { run_id: String, reason: String },
}

/// What a resumed run picks up from its journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resumable {
    pub run_id: String,
    pub runbook: String,
    pub runbook_hash: String,
    pub pair: String,
    /// Steps that finished (ok or skipped): never run again.
    pub done: BTreeSet<String>,
    /// A step that started and never finished: re-checked against live state and retried.
    pub in_flight: Option<String>,
    pub truncated_tail: bool,
}

pub fn journal_path(state: &Path, run_id: &str) -> PathBuf {
    journal::runs_dir(state).join(format!("{run_id}.jsonl"))
}

/// Reads what a run had done before it stopped.
pub fn resumable(state: &Path, run_id: &str) -> Result<Resumable, PlaybackError> {
    let path = journal_path(state, run_id);
    let replay = journal::read(&path).map_err(|error| PlaybackError::Resume {
        run_id: run_id.to_owned(),
        reason: format!("{}: {error}", path.display()),
    })?;
    let Some((runbook, runbook_hash, pair)) =
        replay
            .records
            .iter()
            .find_map(|record| match &record.event {
                Event::RunStarted {
                    runbook,
                    runbook_hash,
                    pair,
                    ..
                } => Some((runbook.clone(), runbook_hash.clone(), pair.clone())),
                _ => None,
            })
    else {
        return Err(PlaybackError::Resume {
            run_id: run_id.to_owned(),
            reason: "the journal has no run_started record".to_owned(),
        });
    };
    let mut done = BTreeSet::new();
    let mut started = Vec::new();
    for record in &replay.records {
        match &record.event {
            Event::StepStarted { step, .. } => started.push(step.clone()),
            Event::StepFinished {
                step,
                outcome: StepOutcome::Ok | StepOutcome::Skipped,
                ..
            } => {
                done.insert(step.clone());
            }
            _ => {}
        }
    }
    let in_flight = started.into_iter().rev().find(|step| !done.contains(step));
    Ok(Resumable {
        run_id: run_id.to_owned(),
        runbook,
        runbook_hash,
        pair,
        done,
        in_flight,
        truncated_tail: replay.truncated_tail.is_some(),
    })
}

/// A new run id: runbook, UTC time, and process id (unique per host and second).
pub fn new_run_id(runbook: &str, clock: &dyn Clock) -> String {
    format!(
        "{runbook}-{}-{}",
        clock.now().format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    )
}

pub struct Playback<'a> {
    pub pair: &'a RegionPair,
    pub runbook: &'a Runbook,
    pub runbook_hash: String,
    pub status: &'a dyn StatusBackend,
    pub act: &'a dyn ActBackend,
    pub clock: &'a dyn Clock,
    pub operator: String,
    pub approvals: Approvals,
    pub read_only: bool,
    pub state: PathBuf,
    pub gatekeeper: Option<tokio::sync::mpsc::Sender<super::engine::GateRequest>>,
    pub pause: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Playback<'_> {
    /// Runs (or resumes) to an outcome, streaming every journal record to `on_record`.
    pub async fn play(
        &self,
        resume: Option<&Resumable>,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> Result<(String, Outcome), PlaybackError> {
        let run_id = match resume {
            Some(resume) => resume.run_id.clone(),
            None => new_run_id(&self.runbook.name.value, self.clock),
        };
        let mutates = self.runbook.steps.iter().any(|step| step.mutates());
        let _lock = if mutates && !self.read_only {
            Some(lock::acquire(
                &self.state,
                &self.pair.name,
                Holder {
                    run_id: run_id.clone(),
                    operator: self.operator.clone(),
                    host: lock::host_name(),
                    pid: std::process::id(),
                    since: self.clock.now().to_rfc3339(),
                },
            )?)
        } else {
            None
        };
        let mut journal = Journal::open(&self.state, &run_id)?;
        let event = match resume {
            Some(_) => Event::Resumed {
                by: self.operator.clone(),
            },
            None => Event::RunStarted {
                runbook: self.runbook.name.value.clone(),
                runbook_hash: self.runbook_hash.clone(),
                pair: self.pair.name.clone(),
                operator: self.operator.clone(),
                mode: format!("{:?}", self.runbook.mode).to_lowercase(),
            },
        };
        journal.record(
            Record {
                at: self.clock.now(),
                run_id: run_id.clone(),
                event,
            },
            on_record,
        )?;
        let engine = Engine {
            pair: self.pair,
            runbook: self.runbook,
            status: self.status,
            act: self.act,
            clock: self.clock,
            operator: self.operator.clone(),
            approvals: self.approvals.clone(),
            read_only: self.read_only,
            gatekeeper: self.gatekeeper.clone(),
            pause: self.pause.clone(),
        };
        let done = resume.map(|resume| resume.done.clone()).unwrap_or_default();
        let outcome = engine.run(&mut journal, &run_id, &done, on_record).await?;
        Ok((run_id, outcome))
    }
}
