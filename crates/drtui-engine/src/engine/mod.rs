//! Runs a runbook step by step against a backend, like a safety interlock: checks before
//! anything mutates, nothing mutates without an approval, every step journalled (fsync) before
//! and after, and every action idempotent against live state so `resume` never repeats one.

mod act;
mod gate;
mod observe;
mod step;
mod wait;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use crate::journal_file::Journal;
use drtui_core::clock::Clock;
use drtui_core::config::RegionPair;
use drtui_core::ports::{ActBackend, StatusBackend};
use drtui_core::runbook::evaluate::{self, Observation};
use drtui_core::runbook::gate::GateQuestion;
use drtui_core::runbook::journal::{Event, Record, RunOutcomeKind, StepOutcome};
use drtui_core::runbook::step::{OnFailure, Runbook, Step};

use observe::Memory;

/// Which gates and manual steps may pass without a person at the keyboard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Approvals {
    pub all: bool,
    pub ids: BTreeSet<String>,
}

impl Approvals {
    pub fn allows(&self, step: &str) -> bool {
        self.all || self.ids.contains(step)
    }
}

/// A gate or manual step asking a person at the TUI; the reply says whether they approved.
#[derive(Debug)]
pub struct GateRequest {
    pub question: GateQuestion,
    pub reply: tokio::sync::oneshot::Sender<bool>,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Completed,
    /// Stopped at a gate nobody approved: continue with `resume --approve STEP`.
    Blocked {
        step: String,
    },
    /// Paused by the operator before `step`: continue with `resume`.
    Paused {
        step: String,
    },
    /// Stopped at a gate before a data-loss action whose data at risk is beyond the pair's
    /// cap on accepted loss (or unknown): continue with a higher `--max-data-loss`, or once the
    /// lag came down.
    OverCap {
        step: String,
        reason: String,
        /// The figure that was over, when known.
        data_at_risk_ms: Option<f64>,
    },
    Failed {
        step: String,
        reason: String,
        kind: FailureKind,
    },
}

/// Why a run failed: at a step, because of the estate or a rule; or because the caller's
/// credentials were refused, which says nothing about the estate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    Step,
    Credentials,
}

pub struct Engine<'a> {
    pub pair: &'a RegionPair,
    pub runbook: &'a Runbook,
    pub status: &'a dyn StatusBackend,
    pub act: &'a dyn ActBackend,
    pub clock: &'a dyn Clock,
    pub operator: String,
    pub approvals: Approvals,
    pub read_only: bool,
    /// Where to ask a person when a gate is not pre-approved (the TUI); `None` in playback.
    pub gatekeeper: Option<tokio::sync::mpsc::Sender<GateRequest>>,
    /// Set by the operator to stop before the next step (resume continues from there).
    pub pause: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// The journal's name for the final check of a run's promises.
pub const POSTCONDITIONS: &str = "postconditions";

/// Where a run writes: its journal (fsync per record), its id, and whoever follows it live.
struct Log<'a> {
    journal: &'a mut Journal,
    run_id: &'a str,
    on_record: &'a mut (dyn FnMut(&Record) + Send),
}

/// A step's end that stops the run: `Err(outcome)`; `Ok(())` goes on to the next step.
type StepResult = std::io::Result<Result<(), Outcome>>;

impl Engine<'_> {
    /// Whether the operator (or a signal) asked the run to stop at its next safe point.
    fn paused(&self) -> bool {
        self.pause
            .as_ref()
            .is_some_and(|pause| pause.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// Appends one record to the run's journal; a record that cannot be written stops the run.
    fn record(&self, log: &mut Log, event: Event) -> std::io::Result<()> {
        log.journal.record(
            Record {
                at: self.clock.now(),
                run_id: log.run_id.to_owned(),
                event,
            },
            log.on_record,
        )
    }

    /// Runs every step not in `done`, in order. Journal failures abort the run: a step whose
    /// start cannot be recorded is never performed.
    pub async fn run(
        &self,
        journal: &mut Journal,
        run_id: &str,
        done: &BTreeSet<String>,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<Outcome> {
        let mut log = Log {
            journal,
            run_id,
            on_record,
        };
        let rollback_only = self.runbook.rollback_only();
        let memory = Memory::default();
        for step in &self.runbook.steps {
            let id = step.id.as_str();
            if done.contains(id) || rollback_only.contains(id) {
                continue;
            }
            if self.paused() {
                let detail = format!("paused by {} before {id}", self.operator);
                self.run_finished(&mut log, RunOutcomeKind::Blocked, detail)?;
                return Ok(Outcome::Paused {
                    step: id.to_owned(),
                });
            }
            if let Err(stop) = self.run_step(&mut log, step, &memory).await?
                && let Some(end) = self.stopped(&mut log, step, stop, &memory).await?
            {
                return Ok(end);
            }
        }
        if let Err(reason) = self.postconditions(&mut log, &memory).await? {
            return self.fail(&mut log, POSTCONDITIONS, reason, FailureKind::Step);
        }
        let detail = "every step done; postconditions hold".to_owned();
        self.run_finished(&mut log, RunOutcomeKind::Completed, detail)?;
        Ok(Outcome::Completed)
    }

    /// What a step that stopped does to the run: a failure it may go on after, a failure with
    /// its rollback, a pause, or a gate left waiting. `None`: the run goes on.
    async fn stopped(
        &self,
        log: &mut Log<'_>,
        step: &Step,
        stop: Outcome,
        memory: &Memory,
    ) -> std::io::Result<Option<Outcome>> {
        match stop {
            Outcome::Failed { .. } if step.on_failure == OnFailure::Continue => Ok(None),
            Outcome::Failed {
                step: failed,
                reason,
                kind,
            } => {
                if let OnFailure::Rollback(targets) = &step.on_failure {
                    for target in targets {
                        if let Some(rollback) = self.runbook.step(target) {
                            let _ = self.run_step(log, rollback, memory).await?;
                        }
                    }
                }
                self.fail(log, &failed, reason, kind).map(Some)
            }
            // Paused mid-step: the step recorded how it stopped.
            paused @ Outcome::Paused { .. } => Ok(Some(paused)),
            over @ Outcome::OverCap { .. } => {
                if let Outcome::OverCap { step, reason, .. } = &over {
                    self.run_finished(log, RunOutcomeKind::Blocked, format!("{step}: {reason}"))?;
                }
                Ok(Some(over))
            }
            blocked => {
                let detail = format!("waiting for approval of {}", step.id);
                self.run_finished(log, RunOutcomeKind::Blocked, detail)?;
                Ok(Some(blocked))
            }
        }
    }

    fn run_finished(
        &self,
        log: &mut Log,
        outcome: RunOutcomeKind,
        detail: String,
    ) -> std::io::Result<()> {
        self.record(log, Event::RunFinished { outcome, detail })
    }

    /// Ends the run failed at `step`, journalled with why.
    fn fail(
        &self,
        log: &mut Log,
        step: &str,
        reason: String,
        kind: FailureKind,
    ) -> std::io::Result<Outcome> {
        self.run_finished(log, RunOutcomeKind::Failed, format!("{step}: {reason}"))?;
        Ok(Outcome::Failed {
            step: step.to_owned(),
            reason,
            kind,
        })
    }

    /// A run that moved the writer is done only when, against live state, the writer is in
    /// the destination, all traffic reaches it and it is healthy; and any run only when no
    /// execution it started still runs. Journalled as a check step.
    async fn postconditions(
        &self,
        log: &mut Log<'_>,
        memory: &Memory,
    ) -> std::io::Result<Result<(), String>> {
        let destination = self.runbook.destination();
        let started: Vec<String> = memory
            .executions
            .lock()
            .map(|started| started.iter().cloned().collect())
            .unwrap_or_default();
        if destination.is_none() && started.is_empty() {
            return Ok(Ok(()));
        }
        self.record(
            log,
            Event::StepStarted {
                step: POSTCONDITIONS.to_owned(),
                kind: "check".to_owned(),
                inputs: serde_json::Value::Null,
            },
        )?;
        let (snapshot, readiness) = self.observe(memory).await;
        let seen = Observation {
            pair: self.pair,
            runbook: self.runbook,
            snapshot: &snapshot,
            readiness: &readiness,
            now: self.clock.now(),
        };
        let serving = destination.map(|role| evaluate::serving_from(role, &seen));
        let executions = evaluate::no_execution_left_running(&started, &seen);
        let result = match (serving, executions) {
            (Some(Err(wrong)), _) => Err(format!(
                "{wrong}. Fix what is listed (set the weights, engage the data-plane lever, or wait for the region to recover), then `{}` checks again",
                self.pair.commands().resume(log.run_id, "")
            )),
            (_, Err(running)) => Err(running),
            (Some(Ok(held)), Ok(ended)) if !started.is_empty() => Ok(format!("{held}; {ended}")),
            (Some(Ok(held)), Ok(_)) => Ok(held),
            (None, Ok(ended)) => Ok(ended),
        };
        let (outcome, detail) = match &result {
            Ok(detail) => (StepOutcome::Ok, detail.clone()),
            Err(reason) => (StepOutcome::Failed, reason.clone()),
        };
        self.record(
            log,
            Event::StepFinished {
                step: POSTCONDITIONS.to_owned(),
                outcome,
                detail,
            },
        )?;
        Ok(result.map(|_| ()))
    }
}
