//! Runs a runbook step by step against a backend, like a safety interlock: checks before
//! anything mutates, nothing mutates without an approval, every step journalled (fsync) before
//! and after, and every action idempotent against live state so `resume` never repeats one.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::journal_file::Journal;
use drtui_core::clock::{Clock, elapsed};
use drtui_core::config::RegionPair;
use drtui_core::model::Snapshot;
use drtui_core::ports::{ActBackend, ChangePreview, Mutation, ResourceChange, StatusBackend};
use drtui_core::readiness::{self, Readiness};
use drtui_core::runbook::deploy;
use drtui_core::runbook::evaluate::{self, Observation};
use drtui_core::runbook::gate::GateQuestion;
use drtui_core::runbook::journal::{Event, Record, RunOutcomeKind, StepOutcome};
use drtui_core::runbook::step::{Body, Check, OnFailure, Runbook, Step};
use drtui_core::wire::wire_name;

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
#[derive(Clone, Debug, PartialEq, Eq)]
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
    Failed {
        step: String,
        reason: String,
    },
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

/// Rounds, a second apart, in which an observation reads again what is still throttled.
const THROTTLED_ROUNDS: usize = 3;

/// The update failed because the service throttled it (after the fetch's own retries).
fn is_throttled(update: &drtui_core::model::SourceUpdate) -> bool {
    update.result.as_ref().err().is_some_and(|error| {
        error
            .split(':')
            .next()
            .is_some_and(drtui_core::ports::is_throttling_code)
    })
}

/// The credentials failure of an observation, if any of its reads was refused for them.
fn credentials_failure(snapshot: &Snapshot) -> Option<String> {
    snapshot
        .credentials_failure()
        .map(|failure| failure.message.clone())
}

/// What a run has seen so far, refreshed by every observation.
#[derive(Default)]
struct Memory(std::sync::Mutex<Option<Snapshot>>);

/// How a wait step ended.
enum Waited {
    /// The check held (what it saw, and after how long).
    Held(String),
    /// It did not hold in time, or the observation was blind.
    Failed(String),
    /// The run was paused while it waited.
    Paused,
}

/// How often a deployment being followed checks whether the run was paused.
const PAUSE_POLL: Duration = Duration::from_millis(200);

/// How an action step ended.
enum ActEnd {
    Done(Result<String, String>),
    /// A destructive change set was not approved.
    Blocked,
    /// Paused while following a deployment.
    Paused,
}

/// A change set's changes in one journal line.
fn changes_line(preview: &ChangePreview) -> String {
    let verb = if preview.exists { "update" } else { "create" };
    if preview.changes.is_empty() {
        return format!("change set ({verb}): no changes");
    }
    let lines: Vec<String> = preview.changes.iter().map(ResourceChange::line).collect();
    format!(
        "change set ({verb}), {} change{}: {}",
        lines.len(),
        if lines.len() == 1 { "" } else { "s" },
        lines.join("; ")
    )
}

/// The gate before a change set that replaces or deletes: every change, destructive first.
fn destroys_question(
    pair: &RegionPair,
    step: &Step,
    mutation: &Mutation,
    preview: &ChangePreview,
    readiness: &Readiness,
) -> GateQuestion {
    let mut changes: Vec<&ResourceChange> = preview.changes.iter().collect();
    changes.sort_by_key(|change| !change.destroys());
    GateQuestion {
        step: step.id.clone(),
        title: step.title.clone(),
        prompt: format!(
            "This change set replaces or deletes resources in {}. A replaced resource is a new one: the old one and its data go. Approve only if that is what you mean.",
            mutation.control_region(pair).unwrap_or(&pair.primary)
        ),
        data_at_risk_ms: readiness.data_at_risk_ms,
        loses_data_next: false,
        next: changes.iter().map(|change| change.line()).collect(),
        next_are_changes: true,
    }
}

/// The journal's name for the final check of a run's promises.
pub const POSTCONDITIONS: &str = "postconditions";

impl Engine<'_> {
    /// Whether the operator (or a signal) asked the run to stop at its next safe point.
    fn paused(&self) -> bool {
        self.pause
            .as_ref()
            .is_some_and(|pause| pause.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// A check on one observation.
    fn evaluate(
        &self,
        check: &Check,
        snapshot: &Snapshot,
        readiness: &Readiness,
    ) -> Result<String, String> {
        let seen = Observation {
            pair: self.pair,
            runbook: self.runbook,
            snapshot,
            readiness,
            now: self.clock.now(),
        };
        evaluate::evaluate(check, &seen)
    }

    /// A fresh poll folded into what this run saw before: a source whose refresh fails (one
    /// throttled call) keeps its last value while that is within the pair's staleness, exactly
    /// as on the dashboard, instead of turning a check to "unknown".
    async fn observe(&self, memory: &Memory) -> (Snapshot, Readiness) {
        let mut snapshot = memory
            .0
            .lock()
            .ok()
            .and_then(|seen| seen.clone())
            .unwrap_or_else(|| self.pair.empty_snapshot());
        // A faster demo clock gets proportionally shorter timeouts, so a hung region costs the
        // same share of a step at any speed.
        let timeout = self.pair.call_timeout.div_f64(self.clock.speed().max(1.0));
        let mut throttled = Vec::new();
        for update in crate::poll::poll_once(self.status, self.clock, timeout).await {
            if is_throttled(&update) {
                throttled.push(update.source);
            }
            snapshot.apply(update);
        }
        // A source still throttled after the fetch's own retries is read again a second later
        // (a run would rather wait than judge on nothing); a timeout is not, so a hung region
        // costs one timeout per observation.
        for _ in 0..THROTTLED_ROUNDS {
            if throttled.is_empty() {
                break;
            }
            self.clock.sleep(Duration::from_secs(1)).await;
            let retries = throttled
                .drain(..)
                .map(|source| crate::poll::fetch_one(self.status, self.clock, source, timeout));
            for update in futures::future::join_all(retries).await {
                if is_throttled(&update) {
                    throttled.push(update.source);
                }
                snapshot.apply(update);
            }
        }
        let readiness = readiness::assess(&snapshot, self.clock.now(), &self.pair.policy());
        if let Ok(mut seen) = memory.0.lock() {
            *seen = Some(snapshot.clone());
        }
        (snapshot, readiness)
    }

    fn record(
        &self,
        journal: &mut Journal,
        run_id: &str,
        event: Event,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<()> {
        journal.record(
            Record {
                at: self.clock.now(),
                run_id: run_id.to_owned(),
                event,
            },
            on_record,
        )
    }

    /// Runs every step not in `done`, in order. Journal failures abort the run: a step whose
    /// start cannot be recorded is never performed.
    #[allow(
        clippy::too_many_lines,
        reason = "the step loop: pause, failure with rollback, block, completion, each ending in one journal record"
    )]
    pub async fn run(
        &self,
        journal: &mut Journal,
        run_id: &str,
        done: &BTreeSet<String>,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<Outcome> {
        let rollback_only = self.runbook.rollback_only();
        let memory = Memory::default();
        for step in &self.runbook.steps {
            let id = step.id.as_str();
            if done.contains(id) || rollback_only.contains(id) {
                continue;
            }
            if self.paused() {
                self.record(
                    journal,
                    run_id,
                    Event::RunFinished {
                        outcome: RunOutcomeKind::Blocked,
                        detail: format!("paused by {} before {id}", self.operator),
                    },
                    on_record,
                )?;
                return Ok(Outcome::Paused {
                    step: id.to_owned(),
                });
            }
            let outcome = self
                .run_step(journal, run_id, step, &memory, on_record)
                .await?;
            match outcome {
                Ok(()) => {}
                Err(Outcome::Failed { .. }) if step.on_failure == OnFailure::Continue => {}
                Err(Outcome::Failed {
                    step: failed,
                    reason,
                }) => {
                    if let OnFailure::Rollback(targets) = &step.on_failure {
                        for target in targets {
                            if let Some(rollback) = self.runbook.step(target) {
                                let _ = self
                                    .run_step(journal, run_id, rollback, &memory, on_record)
                                    .await?;
                            }
                        }
                    }
                    return self.fail(journal, run_id, failed, reason, on_record);
                }
                // Paused mid-step: the step recorded how it stopped.
                Err(paused @ Outcome::Paused { .. }) => return Ok(paused),
                Err(blocked) => {
                    self.record(
                        journal,
                        run_id,
                        Event::RunFinished {
                            outcome: RunOutcomeKind::Blocked,
                            detail: format!("waiting for approval of {id}"),
                        },
                        on_record,
                    )?;
                    return Ok(blocked);
                }
            }
        }
        if let Err(reason) = self
            .postconditions(journal, run_id, &memory, on_record)
            .await?
        {
            return self.fail(
                journal,
                run_id,
                POSTCONDITIONS.to_owned(),
                reason,
                on_record,
            );
        }
        self.record(
            journal,
            run_id,
            Event::RunFinished {
                outcome: RunOutcomeKind::Completed,
                detail: "every step done; postconditions hold".to_owned(),
            },
            on_record,
        )?;
        Ok(Outcome::Completed)
    }

    /// Ends the run failed at `step`, journalled with why.
    fn fail(
        &self,
        journal: &mut Journal,
        run_id: &str,
        step: String,
        reason: String,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<Outcome> {
        self.record(
            journal,
            run_id,
            Event::RunFinished {
                outcome: RunOutcomeKind::Failed,
                detail: format!("{step}: {reason}"),
            },
            on_record,
        )?;
        Ok(Outcome::Failed { step, reason })
    }

    /// A run that moved the writer is done only when, against live state, the writer is in
    /// the destination, all traffic reaches it and it is healthy. Journalled as a check step.
    async fn postconditions(
        &self,
        journal: &mut Journal,
        run_id: &str,
        memory: &Memory,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<Result<(), String>> {
        let Some(destination) = self.runbook.destination() else {
            return Ok(Ok(()));
        };
        self.record(
            journal,
            run_id,
            Event::StepStarted {
                step: POSTCONDITIONS.to_owned(),
                kind: "check".to_owned(),
                inputs: serde_json::Value::Null,
            },
            on_record,
        )?;
        let (snapshot, readiness) = self.observe(memory).await;
        let seen = Observation {
            pair: self.pair,
            runbook: self.runbook,
            snapshot: &snapshot,
            readiness: &readiness,
            now: self.clock.now(),
        };
        let result = evaluate::serving_from(destination, &seen).map_err(|wrong| {
            format!(
                "{wrong}. Fix what is listed (set the weights, engage the data-plane lever, or wait for the region to recover), then `drtui resume {run_id}` checks again"
            )
        });
        let (outcome, detail) = match &result {
            Ok(detail) => (StepOutcome::Ok, detail.clone()),
            Err(reason) => (StepOutcome::Failed, reason.clone()),
        };
        self.record(
            journal,
            run_id,
            Event::StepFinished {
                step: POSTCONDITIONS.to_owned(),
                outcome,
                detail,
            },
            on_record,
        )?;
        Ok(result.map(|_| ()))
    }

    /// One step: `Ok(Ok(()))` done or skipped, `Ok(Err(outcome))` the run stops there.
    #[allow(
        clippy::too_many_lines,
        reason = "one step's whole life in journal order (start, conditions, kind, finish)"
    )]
    async fn run_step(
        &self,
        journal: &mut Journal,
        run_id: &str,
        step: &Step,
        memory: &Memory,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<Result<(), Outcome>> {
        let id = step.id.clone();
        let kind = wire_name(&step.kind());
        let mutation = evaluate::mutation(step, self.pair, run_id);
        let inputs = mutation
            .as_ref()
            .ok()
            .map(|m| serde_json::to_value(m).unwrap_or_default())
            .unwrap_or_default();
        self.record(
            journal,
            run_id,
            Event::StepStarted {
                step: id.clone(),
                kind,
                inputs,
            },
            on_record,
        )?;
        let finish = |outcome: StepOutcome, detail: String| Event::StepFinished {
            step: id.clone(),
            outcome,
            detail,
        };
        let (snapshot, readiness) = self.observe(memory).await;
        // Rejected credentials say nothing about the estate: stop here, before judging or
        // acting on an observation that is blind.
        if let Some(reason) = credentials_failure(&snapshot) {
            self.record(
                journal,
                run_id,
                finish(StepOutcome::Failed, reason.clone()),
                on_record,
            )?;
            return Ok(Err(Outcome::Failed { step: id, reason }));
        }
        let condition = |check: &Check| self.evaluate(check, &snapshot, &readiness).is_ok();
        if let Some(when) = &step.when
            && !condition(when)
        {
            self.record(
                journal,
                run_id,
                finish(
                    StepOutcome::Skipped,
                    format!("{} does not hold", wire_name(&when.name())),
                ),
                on_record,
            )?;
            return Ok(Ok(()));
        }
        if let Some(unless) = &step.unless
            && condition(unless)
        {
            self.record(
                journal,
                run_id,
                finish(
                    StepOutcome::Skipped,
                    format!("{} holds", wire_name(&unless.name())),
                ),
                on_record,
            )?;
            return Ok(Ok(()));
        }
        let failed = |reason: String| Outcome::Failed {
            step: id.clone(),
            reason,
        };
        let result: Result<String, String> = match &step.body {
            Body::Check(check) => self.evaluate(check, &snapshot, &readiness),
            Body::Wait {
                check,
                interval,
                timeout,
            } => match self.wait(check, *interval, *timeout, memory).await {
                Waited::Held(detail) => Ok(detail),
                Waited::Failed(reason) => Err(reason),
                // Stopped mid-wait: nothing was changed, so the step is left in flight and
                // `resume` waits again.
                Waited::Paused => return self.paused_during(journal, run_id, id, on_record),
            },
            Body::Gate { .. } | Body::Manual { .. } => {
                let how = match self.preapproved(&id) {
                    Some(how) => Some(how),
                    None => self.ask(step, run_id, &readiness).await,
                };
                match how {
                    Some(how) => {
                        self.record(
                            journal,
                            run_id,
                            self.approved(&id, how, &readiness),
                            on_record,
                        )?;
                        Ok(match readiness.data_at_risk_ms {
                            Some(lag) => {
                                format!("approved; data at risk {}", readiness::format_ms(lag))
                            }
                            None => "approved; data at risk unknown".to_owned(),
                        })
                    }
                    None => return self.block(journal, run_id, id, on_record),
                }
            }
            Body::Action { timeout, .. } => match mutation {
                Err(why) => Err(why),
                Ok(_) if self.read_only => {
                    Err("--read-only refuses every mutating step".to_owned())
                }
                Ok(mutation) => match step.deployment().and_then(|deployment| {
                    deploy::refusal(
                        deployment,
                        self.pair,
                        &snapshot,
                        self.clock.now(),
                        self.pair.stale_after(),
                    )
                }) {
                    Some(why) => Err(why),
                    None => match self
                        .act_step(
                            journal, run_id, step, &mutation, *timeout, &readiness, on_record,
                        )
                        .await?
                    {
                        ActEnd::Done(result) => result,
                        ActEnd::Blocked => return self.block(journal, run_id, id, on_record),
                        ActEnd::Paused => {
                            return self.paused_during(journal, run_id, id, on_record);
                        }
                    },
                },
            },
        };
        match result {
            Ok(detail) => {
                self.record(journal, run_id, finish(StepOutcome::Ok, detail), on_record)?;
                Ok(Ok(()))
            }
            Err(reason) => {
                self.record(
                    journal,
                    run_id,
                    finish(StepOutcome::Failed, reason.clone()),
                    on_record,
                )?;
                Ok(Err(failed(reason)))
            }
        }
    }

    /// Stopped by the operator (or a signal) while the step waited: the step stays in flight,
    /// so `resume` re-checks it against live state.
    fn paused_during(
        &self,
        journal: &mut Journal,
        run_id: &str,
        step: String,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<Result<(), Outcome>> {
        let event = Event::RunFinished {
            outcome: RunOutcomeKind::Blocked,
            detail: format!("paused by {} during {step}", self.operator),
        };
        self.stop_at(journal, run_id, event, Outcome::Paused { step }, on_record)
    }

    /// The step waits for an approval nobody gave: journalled, and the run stops there.
    fn block(
        &self,
        journal: &mut Journal,
        run_id: &str,
        step: String,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<Result<(), Outcome>> {
        let event = Event::GateBlocked { step: step.clone() };
        self.stop_at(journal, run_id, event, Outcome::Blocked { step }, on_record)
    }

    /// Journals why the run stops at a step, then stops it there.
    fn stop_at(
        &self,
        journal: &mut Journal,
        run_id: &str,
        event: Event,
        outcome: Outcome,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<Result<(), Outcome>> {
        self.record(journal, run_id, event, on_record)?;
        Ok(Err(outcome))
    }

    /// How a step was approved before the run started (`--approve`, `--approve-all`), if it was.
    fn preapproved(&self, step: &str) -> Option<String> {
        self.approvals.allows(step).then(|| {
            if self.approvals.all {
                "--approve-all".to_owned()
            } else {
                format!("--approve {step}")
            }
        })
    }

    /// The journal record of an approval, with the data at risk when it was given.
    fn approved(&self, step: &str, how: String, readiness: &Readiness) -> Event {
        Event::Approved {
            step: step.to_owned(),
            by: self.operator.clone(),
            how,
            data_at_risk_ms: readiness.data_at_risk_ms,
        }
    }

    /// Asks the person at the TUI, if there is one; `Some(how)` when they approved.
    async fn ask(&self, step: &Step, run_id: &str, readiness: &Readiness) -> Option<String> {
        self.gatekeeper.as_ref()?;
        let index = self
            .runbook
            .steps
            .iter()
            .position(|candidate| candidate.id == step.id)?;
        let until_next_gate: Vec<&Step> = self.runbook.steps[index + 1..]
            .iter()
            .take_while(|next| !matches!(next.body, Body::Gate { .. }))
            .collect();
        let loses_data_next = until_next_gate.iter().any(|step| step.loses_data());
        // Exactly the calls the engine will make: the same mutations, bound to this run.
        let next = until_next_gate
            .iter()
            .filter_map(|step| {
                let mutation = evaluate::mutation(step, self.pair, run_id).ok()?;
                Some(
                    std::iter::once(step.title.clone()).chain(
                        mutation
                            .calls(self.pair)
                            .into_iter()
                            .map(|call| format!("  {call}")),
                    ),
                )
            })
            .flatten()
            .collect();
        self.ask_question(GateQuestion {
            step: step.id.clone(),
            title: step.title.clone(),
            prompt: step.question().unwrap_or_default().to_owned(),
            data_at_risk_ms: readiness.data_at_risk_ms,
            loses_data_next,
            next,
            next_are_changes: false,
        })
        .await
    }

    /// Puts a question to the person at the TUI, if there is one.
    async fn ask_question(&self, question: GateQuestion) -> Option<String> {
        let gatekeeper = self.gatekeeper.as_ref()?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        gatekeeper
            .send(GateRequest { question, reply })
            .await
            .ok()?;
        match answer.await {
            Ok(true) => Some(format!("typed `{}` in the TUI", self.pair.name)),
            _ => None,
        }
    }

    /// One action: its preview first where the backend has one (a change set), an approval
    /// when that would replace or delete anything, then the action with what it reports
    /// journalled as it comes.
    #[allow(
        clippy::too_many_arguments,
        reason = "the journal, run, step and its observation, as every step helper takes them"
    )]
    async fn act_step(
        &self,
        journal: &mut Journal,
        run_id: &str,
        step: &Step,
        mutation: &Mutation,
        timeout: Duration,
        readiness: &Readiness,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<ActEnd> {
        let id = step.id.clone();
        let progress = |detail: String| Event::StepProgress {
            step: id.clone(),
            detail,
        };
        if let Some(end) = self
            .approve_changes(
                journal, run_id, step, mutation, timeout, readiness, on_record,
            )
            .await?
        {
            return Ok(end);
        }
        let (sender, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
        let report: drtui_core::ports::Report = std::sync::Arc::new(move |line| {
            let _ = sender.send(line);
        });
        let act = tokio::time::timeout(timeout, self.act.act_reporting(mutation, report));
        tokio::pin!(act);
        // Following a stack is only waiting (CloudFormation carries on alone, and a resume
        // re-reads it), so a pause or a signal stops it there rather than after the stack.
        let interruptible = matches!(mutation, Mutation::DeployStack { .. });
        let result = loop {
            tokio::select! {
                // What the action reported comes first, so a pause is seen between its events.
                biased;
                Some(line) = lines.recv() => self.record(journal, run_id, progress(line), on_record)?,
                result = &mut act => break Some(result),
                () = tokio::time::sleep(PAUSE_POLL), if interruptible => {}
            }
            if interruptible && self.paused() {
                break None;
            }
        };
        while let Ok(line) = lines.try_recv() {
            self.record(journal, run_id, progress(line), on_record)?;
        }
        let Some(result) = result else {
            self.record(
                journal,
                run_id,
                progress(
                    "stopped following the stack: CloudFormation carries on; `drtui resume` waits for it to settle"
                        .to_owned(),
                ),
                on_record,
            )?;
            return Ok(ActEnd::Paused);
        };
        Ok(ActEnd::Done(match result {
            Ok(Ok(outcome)) => Ok(if outcome.changed {
                outcome.detail
            } else {
                format!("nothing to do: {}", outcome.detail)
            }),
            Ok(Err(error)) => Err(format!("{}: {error}", mutation.call())),
            Err(_) => Err(format!(
                "{} did not finish within {}",
                mutation.call(),
                humantime::format_duration(timeout)
            )),
        }))
    }

    /// The preview of an action that has one (a change set), journalled; an empty one ends the
    /// step, a destructive one needs its own approval. `None`: go on and act.
    #[allow(
        clippy::too_many_arguments,
        reason = "the journal, run, step and its observation, as every step helper takes them"
    )]
    async fn approve_changes(
        &self,
        journal: &mut Journal,
        run_id: &str,
        step: &Step,
        mutation: &Mutation,
        timeout: Duration,
        readiness: &Readiness,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<Option<ActEnd>> {
        let id = step.id.clone();
        let progress = |detail: String| Event::StepProgress {
            step: id.clone(),
            detail,
        };
        let preview = match tokio::time::timeout(timeout, self.act.preview(mutation)).await {
            Ok(Ok(preview)) => preview,
            Ok(Err(error)) => {
                return Ok(Some(ActEnd::Done(Err(format!(
                    "{}: {error}",
                    mutation.preview_call()
                )))));
            }
            Err(_) => {
                return Ok(Some(ActEnd::Done(Err(format!(
                    "{} did not finish within {}",
                    mutation.preview_call(),
                    humantime::format_duration(timeout)
                )))));
            }
        };
        if let Some(preview) = &preview {
            self.record(journal, run_id, progress(changes_line(preview)), on_record)?;
            if preview.exists && preview.changes.is_empty() {
                return Ok(Some(ActEnd::Done(Ok(
                    "nothing to do: the stack already matches its template and parameters (empty change set)"
                        .to_owned(),
                ))));
            }
            if preview.destroys() {
                let how = match self.preapproved(&id) {
                    Some(how) => Some(how),
                    None => {
                        self.ask_question(destroys_question(
                            self.pair, step, mutation, preview, readiness,
                        ))
                        .await
                    }
                };
                let Some(how) = how else {
                    return Ok(Some(ActEnd::Blocked));
                };
                self.record(
                    journal,
                    run_id,
                    self.approved(&id, how, readiness),
                    on_record,
                )?;
            }
        }
        Ok(None)
    }

    /// Re-checks `check` every `interval` (at most the pair's poll interval) until it holds,
    /// `timeout` passes, or the run is paused.
    async fn wait(
        &self,
        check: &Check,
        interval: Duration,
        timeout: Duration,
        memory: &Memory,
    ) -> Waited {
        let interval = interval.min(self.pair.poll_interval);
        let began = self.clock.now();
        loop {
            let (snapshot, readiness) = self.observe(memory).await;
            if let Some(reason) = credentials_failure(&snapshot) {
                return Waited::Failed(reason);
            }
            let last = match self.evaluate(check, &snapshot, &readiness) {
                Ok(detail) => {
                    return Waited::Held(format!(
                        "{detail} after {:.1} s",
                        elapsed(began, self.clock.now()).as_secs_f64()
                    ));
                }
                Err(reason) => reason,
            };
            if elapsed(began, self.clock.now()) >= timeout {
                return Waited::Failed(format!(
                    "still not true after {}: {last}",
                    humantime::format_duration(timeout)
                ));
            }
            if self.paused() {
                return Waited::Paused;
            }
            self.clock.sleep(interval).await;
        }
    }
}
