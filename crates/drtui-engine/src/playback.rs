//! A run from start (or resume) to finish: lock, journal, engine. Shared by `drtui run`,
//! `drtui resume` and the TUI's run session.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::engine::{Engine, Outcome};
use crate::journal_file::{self as journal, Journal};
use crate::lock::{self, LockError};
use drtui_core::clock::Clock;
use drtui_core::runbook::journal::{Event, Record, RunSummary, StepState};
use drtui_core::runbook::step::{Body, Runbook};

#[derive(Debug, thiserror::Error)]
pub enum PlaybackError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    RemoteLock(#[from] drtui_core::ports::RemoteLockError),
    #[error("journal: {0}")]
    Journal(#[from] std::io::Error),
    #[error("cannot resume {run_id}: {reason}")]
    Resume { run_id: String, reason: String },
    /// The permission preflight found calls the run needs that the caller may not make.
    #[error(
        "permission preflight: {principal} may not make {} call(s) runbook `{runbook}` needs on this pair:\n  {}",
        denied.len(),
        drtui_core::permissions::denial_lines(denied).join("\n  ")
    )]
    Denied {
        runbook: String,
        principal: String,
        denied: Vec<drtui_core::permissions::Denial>,
    },
    /// A run that had begun stopped for one of the reasons above (a journal that cannot be
    /// written, a lease lost): it names the run, so the edge can say how to go on.
    #[error("run {run_id} stopped: {source}")]
    Midway {
        run_id: String,
        source: Box<PlaybackError>,
    },
}

/// What a resumed run picks up from its journal.
#[derive(Clone, Debug, PartialEq)]
pub struct Resumable {
    pub run_id: String,
    pub runbook: String,
    pub runbook_hash: String,
    pub pair: String,
    /// The runbook's file when the run named it by path.
    pub source: Option<String>,
    /// Steps that finished (ok or skipped): never run again.
    pub done: BTreeSet<String>,
    /// A step that started and never finished: re-checked against live state and retried.
    pub in_flight: Option<String>,
    pub truncated_tail: bool,
    /// The whole journal folded: approvals, failures, times.
    pub summary: RunSummary,
    /// Set when the run goes on as another runbook (see [`escalate`]): the one it was.
    pub escalated_from: Option<String>,
}

impl Resumable {
    /// Where to find the run's runbook again: its file when the run named one by path, else
    /// its name (a built-in or the user's).
    pub fn runbook_ref(&self) -> &str {
        self.source.as_deref().unwrap_or(&self.runbook)
    }
}

/// Reads what a run had done before it stopped.
pub fn resumable(state: &Path, run_id: &str) -> Result<Resumable, PlaybackError> {
    let unreadable = |reason: String| PlaybackError::Resume {
        run_id: drtui_core::text::sanitize(run_id).into_owned(),
        reason,
    };
    let path =
        journal::journal_path(state, run_id).map_err(|error| unreadable(error.to_string()))?;
    let replay =
        journal::read(&path).map_err(|error| unreadable(format!("{}: {error}", path.display())))?;
    let summary = RunSummary::of(&replay.records);
    let Some(header) = summary.header.as_ref() else {
        return Err(PlaybackError::Resume {
            run_id: run_id.to_owned(),
            reason: "the journal has no run_started record".to_owned(),
        });
    };
    Ok(Resumable {
        run_id: run_id.to_owned(),
        runbook: header.runbook.clone(),
        runbook_hash: header.runbook_hash.clone(),
        pair: header.pair.clone(),
        source: header.source.clone(),
        in_flight: summary.in_flight().map(str::to_owned),
        done: summary.done.clone(),
        truncated_tail: replay.truncated_tail.is_some(),
        summary,
        escalated_from: None,
    })
}

/// The run, to go on as runbook `to` (hash `hash`) from where it is: a switchover that failed
/// or did not finish, continued as a failover, as AWS's Region switch lets a graceful run
/// become ungraceful. Every step of `to` runs against live state (what is already true is
/// "nothing to do") and its gates are asked anew, the data loss with the live figure.
/// Refused for a completed run, and unless `to` takes the writer where the run was taking it.
pub fn escalate(
    mut resumable: Resumable,
    from: &Runbook,
    to: &Runbook,
    hash: String,
) -> Result<Resumable, PlaybackError> {
    let refuse = |reason: String| PlaybackError::Resume {
        run_id: resumable.run_id.clone(),
        reason,
    };
    if from.name == to.name {
        return Err(refuse(format!(
            "the run is already a {} run: resume it without --as",
            to.name
        )));
    }
    if matches!(
        resumable.summary.finished,
        Some((drtui_core::runbook::journal::RunOutcomeKind::Completed, _))
    ) {
        return Err(refuse(
            "the run completed: there is nothing to escalate".to_owned(),
        ));
    }
    if !from.can_go_on_as(to) {
        let side = |runbook: &Runbook| {
            runbook
                .destination()
                .map_or("nowhere", drtui_core::model::Role::as_str)
        };
        return Err(refuse(format!(
            "{} cannot go on as {}: only a run that switches the writer over can, as a runbook that takes it to the same side ({} takes it to {}, {} to {})",
            from.name,
            to.name,
            from.name,
            side(from),
            to.name,
            side(to)
        )));
    }
    resumable.escalated_from = Some(resumable.runbook.clone());
    resumable.runbook.clone_from(&to.name);
    resumable.runbook_hash = hash;
    resumable.source = to.source.as_ref().map(|path| path.display().to_string());
    resumable.done.clear();
    resumable.in_flight = None;
    Ok(resumable)
}

/// A resume goes on only with the runbook the run started with: a changed one could skip or
/// repeat the wrong steps.
pub fn ensure_same_runbook(resumable: &Resumable, hash: &str) -> Result<(), PlaybackError> {
    if resumable.runbook_hash == hash {
        return Ok(());
    }
    Err(PlaybackError::Resume {
        run_id: resumable.run_id.clone(),
        reason: format!(
            "runbook `{}` changed since the run started; resuming it could skip or repeat the wrong steps",
            resumable.runbook
        ),
    })
}

/// Records an operator's decision to skip `step` of a stopped run, with who and why, before
/// the run resumes (the CLI's `resume --skip`, the dashboard's skip prompt).
pub fn skip_step(
    state: &Path,
    run_id: &str,
    step: &str,
    reason: &str,
    operator: &str,
    at: drtui_core::clock::Timestamp,
) -> Result<(), PlaybackError> {
    let refuse = |reason: String| PlaybackError::Resume {
        run_id: drtui_core::text::sanitize(run_id).into_owned(),
        reason,
    };
    if reason.trim().is_empty() {
        return Err(refuse(
            "a skip needs a reason (the incident review reads it)".to_owned(),
        ));
    }
    let resumable = resumable(state, run_id)?;
    let (_, runbook) =
        crate::catalog::find(&resumable.runbook).map_err(|error| refuse(error.to_string()))?;
    if runbook.step(step).is_none() {
        return Err(refuse(format!(
            "runbook `{}` has no step `{step}`",
            resumable.runbook
        )));
    }
    if resumable.done.contains(step) {
        return Err(refuse(format!("step `{step}` already finished")));
    }
    let mut journal = Journal::open(state, run_id)?;
    journal.append(&Record {
        at,
        run_id: run_id.to_owned(),
        event: Event::StepFinished {
            step: step.to_owned(),
            outcome: drtui_core::runbook::journal::StepOutcome::Skipped,
            detail: format!("skipped by {operator}: {reason}"),
        },
    })?;
    Ok(())
}

/// A new run id: runbook (made one safe path component), UTC time, and process id (unique per
/// host and second).
pub fn new_run_id(runbook: &str, clock: &dyn Clock) -> String {
    format!(
        "{}-{}-{}",
        drtui_core::text::safe_component(runbook),
        clock.now().format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    )
}

/// A run with its lock and journal: the engine, plus what only a whole run needs.
pub struct Playback<'a> {
    pub engine: Engine<'a>,
    pub runbook_hash: String,
    /// Where the journal and the lock live.
    pub state: PathBuf,
    /// The pair's cross-machine lock (its `lock_table`), taken after this machine's.
    pub remote_lock: Option<std::sync::Arc<dyn drtui_core::ports::RemoteLock>>,
    /// A dashboard's hold: a paused run keeps the pair until the dashboard resumes or releases
    /// it. `None` (playback): a pause ends the process's part and releases the pair.
    pub hold: Option<std::sync::Arc<PauseHold>>,
}

/// What a dashboard decides for its paused run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldDecision {
    /// Go on from where it paused, under the same locks.
    Resume,
    /// Give the pair up; the run stays resumable from its journal.
    Release,
}

/// A dashboard's hold on its paused run: the run keeps its locks (the lease renewed, the lock
/// file saying "paused since") until the dashboard decides.
#[derive(Debug, Default)]
pub struct PauseHold {
    decision: std::sync::Mutex<Option<HoldDecision>>,
    notify: tokio::sync::Notify,
    holding: std::sync::atomic::AtomicBool,
}

impl PauseHold {
    /// Decides for the paused run (remembered until the run pauses, if it has not yet).
    pub fn decide(&self, decision: HoldDecision) {
        *self
            .decision
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(decision);
        self.notify.notify_one();
    }

    /// Drops a decision nobody waited for (the run ended without pausing).
    pub fn forget(&self) {
        *self
            .decision
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    /// Whether a paused run is being held now.
    pub fn holding(&self) -> bool {
        self.holding.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn decided(&self) -> HoldDecision {
        loop {
            if let Some(decision) = self
                .decision
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take()
            {
                return decision;
            }
            self.notify.notified().await;
        }
    }
}

impl Playback<'_> {
    /// A resume is a fresh decision: the steps it may skip are the finished ones, less the
    /// checks on the destination (re-run against live state before the next action) and the
    /// approvals given before a failure or older than the pair's approval window.
    pub fn still_done(&self, resume: &Resumable) -> BTreeSet<String> {
        let destination = self.engine.runbook.destination();
        // Only checks that passed: one an operator skipped with a reason stays skipped.
        let passed = |id: &str| {
            resume
                .summary
                .progress(id)
                .is_some_and(|progress| progress.state == StepState::Ok)
        };
        let rechecked = self.engine.runbook.steps.iter().filter(|step| {
            let Body::Check(check) = &step.body else {
                return false;
            };
            passed(&step.id)
                && check.name().rechecked_on_resume()
                && (check.side().is_none() || check.side() == destination)
        });
        let stale = resume
            .summary
            .stale_approvals(self.engine.clock.now(), self.engine.pair.approval_window);
        let mut done = resume.done.clone();
        for step in rechecked {
            done.remove(&step.id);
        }
        done.retain(|step| !stale.contains(step));
        done
    }

    /// Runs (or resumes) to an outcome, streaming every journal record to `on_record`.
    pub async fn play(
        &self,
        resume: Option<&Resumable>,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> Result<(String, Outcome), PlaybackError> {
        let run_id = match resume {
            Some(resume) => resume.run_id.clone(),
            None => new_run_id(&self.engine.runbook.name, self.engine.clock),
        };
        let mut notes: Vec<String> = self.preflight(resume).await?.into_iter().collect();
        let locking = self.engine.runbook.mutates() && !self.engine.read_only;
        let holder = lock::this_process(
            &run_id,
            &self.engine.operator,
            self.engine.clock.now().to_rfc3339(),
        );
        let lock = if locking {
            Some(lock::acquire(
                &self.state,
                &self.engine.pair.commands(),
                holder.clone(),
            )?)
        } else {
            None
        };
        let (remote, lock_note) = self.take_remote(&holder, locking).await?;
        notes.extend(lock_note);
        let remote = remote.as_ref();
        let mut fresh: Option<Resumable> = None;
        let played = loop {
            let resume = fresh.as_ref().or(resume);
            let played = self
                .play_locked(
                    resume,
                    &run_id,
                    remote,
                    std::mem::take(&mut notes),
                    on_record,
                )
                .await;
            let (Ok(Outcome::Paused { .. }), Some(hold)) = (&played, &self.hold) else {
                break played;
            };
            match self.held(hold, lock.as_ref(), remote, &run_id).await {
                HoldDecision::Release => break played,
                HoldDecision::Resume => match resumable(&self.state, &run_id) {
                    Ok(resumable) => fresh = Some(resumable),
                    Err(error) => break Err(error),
                },
            }
        };
        if let Some(remote) = remote
            && let Err(error) = remote.release(&run_id).await
        {
            tracing::error!(%error, "cannot release the remote lock; its lease expires on its own");
        }
        match played {
            Ok(outcome) => Ok((run_id, outcome)),
            Err(error) => Err(PlaybackError::Midway {
                run_id,
                source: Box::new(error),
            }),
        }
    }

    /// The permission preflight (none under `--read-only`, which makes no change): a denied
    /// call refuses the run before it locks or journals; otherwise its note for the journal.
    async fn preflight(&self, resume: Option<&Resumable>) -> Result<Option<String>, PlaybackError> {
        if self.engine.read_only {
            return Ok(None);
        }
        let done = resume
            .map(|resume| self.still_done(resume))
            .unwrap_or_default();
        let pair = self.engine.pair;
        let found = crate::preflight::check(
            self.engine.status,
            self.engine.runbook,
            pair,
            &done,
            pair.call_timeout * 2,
        )
        .await;
        match found {
            crate::preflight::Preflight::Denied { principal, denied } => {
                Err(PlaybackError::Denied {
                    runbook: self.engine.runbook.name.clone(),
                    principal,
                    denied,
                })
            }
            other => Ok(other.note()),
        }
    }

    /// Takes the pair's cross-machine lock. A runbook that deploys stacks (a new account's
    /// provision, which creates the lock table) goes on under this machine's lock when the
    /// table does not exist yet, with a note saying so; any other run is refused.
    async fn take_remote(
        &self,
        holder: &lock::Holder,
        locking: bool,
    ) -> Result<
        (
            Option<std::sync::Arc<dyn drtui_core::ports::RemoteLock>>,
            Option<String>,
        ),
        PlaybackError,
    > {
        let Some(remote) = self.remote_lock.as_ref().filter(|_| locking) else {
            return Ok((None, None));
        };
        match remote.acquire(holder).await {
            Ok(()) => Ok((Some(std::sync::Arc::clone(remote)), None)),
            Err(drtui_core::ports::RemoteLockError::Missing { table })
                if self.engine.runbook.steps.iter().any(|step| step.deploys()) =>
            {
                Ok((
                    None,
                    Some(format!(
                        "the pair's lock_table, {table}, does not exist yet (this run's stacks create it): the run holds this machine's lock only"
                    )),
                ))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// A paused run held for its dashboard: the lock file says "paused since", the remote
    /// lease is renewed, until the dashboard decides.
    async fn held(
        &self,
        hold: &PauseHold,
        lock: Option<&lock::PairLock>,
        remote: Option<&std::sync::Arc<dyn drtui_core::ports::RemoteLock>>,
        run_id: &str,
    ) -> HoldDecision {
        let mark = |since: Option<String>| {
            if let Some(Err(error)) = lock.map(|lock| lock.mark_paused(since)) {
                tracing::error!(%error, "cannot mark the lock paused");
            }
        };
        mark(Some(
            self.engine.clock.now().format("%H:%M:%SZ").to_string(),
        ));
        hold.holding
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let decision = match remote {
            None => hold.decided().await,
            Some(remote) => {
                let mut renew = tokio::time::interval(remote.renew_every());
                renew.tick().await;
                loop {
                    tokio::select! {
                        decision = hold.decided() => break decision,
                        _ = renew.tick() => {
                            if let Err(error) = remote.renew(run_id).await {
                                // The lease is lost: the pair is no longer held for this run.
                                tracing::error!(%error, "cannot renew the remote lock lease while paused");
                                break HoldDecision::Release;
                            }
                        }
                    }
                }
            }
        };
        hold.holding
            .store(false, std::sync::atomic::Ordering::SeqCst);
        mark(None);
        decision
    }

    /// The run itself, under its locks; the remote lease is renewed while it runs.
    async fn play_locked(
        &self,
        resume: Option<&Resumable>,
        run_id: &str,
        remote: Option<&std::sync::Arc<dyn drtui_core::ports::RemoteLock>>,
        notes: Vec<String>,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> Result<Outcome, PlaybackError> {
        let run_id = run_id.to_owned();
        let mut journal = Journal::open(&self.state, &run_id)?;
        let runbook = self.engine.runbook;
        let source = runbook
            .source
            .as_ref()
            .map(|path| path.display().to_string());
        let event = match resume {
            Some(Resumable {
                escalated_from: Some(from),
                ..
            }) => Event::Escalated {
                by: self.engine.operator.clone(),
                from: from.clone(),
                runbook: runbook.name.clone(),
                runbook_hash: self.runbook_hash.clone(),
                mode: drtui_core::wire::wire_name(&runbook.mode),
                source,
            },
            Some(_) => Event::Resumed {
                by: self.engine.operator.clone(),
            },
            None => Event::RunStarted {
                runbook: runbook.name.clone(),
                runbook_hash: self.runbook_hash.clone(),
                pair: self.engine.pair.name.clone(),
                operator: self.engine.operator.clone(),
                mode: drtui_core::wire::wire_name(&runbook.mode),
                source,
            },
        };
        journal.record(
            Record {
                at: self.engine.clock.now(),
                run_id: run_id.clone(),
                event,
            },
            on_record,
        )?;
        for detail in notes {
            let at = self.engine.clock.now();
            let event = Event::Note { detail };
            let run_id = run_id.clone();
            journal.record(Record { at, run_id, event }, on_record)?;
        }
        let done = resume
            .map(|resume| self.still_done(resume))
            .unwrap_or_default();
        let run = self.engine.run(&mut journal, &run_id, &done, on_record);
        let Some(remote) = remote else {
            return Ok(run.await?);
        };
        tokio::pin!(run);
        let mut renew = tokio::time::interval(remote.renew_every());
        renew.tick().await;
        loop {
            tokio::select! {
                outcome = &mut run => return Ok(outcome?),
                _ = renew.tick() => {
                    if let Err(error) = remote.renew(&run_id).await {
                        // The lease may be lost to another operator: stop at the next safe
                        // point rather than act without the lock.
                        tracing::error!(%error, "cannot renew the remote lock lease; pausing");
                        if let Some(pause) = &self.engine.pause {
                            pause.store(true, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                }
            }
        }
    }
}
