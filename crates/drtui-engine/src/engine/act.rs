//! An action step: its preview first where the backend has one (a change set), an approval
//! when that would replace or delete anything, then the action, with what it reports
//! journalled as it comes.

use std::time::Duration;

use drtui_core::clock::elapsed;
use drtui_core::ports::{ChangePreview, Mutation, ResourceChange};
use drtui_core::readiness::Readiness;
use drtui_core::runbook::journal::Event;
use drtui_core::runbook::step::Step;

use super::{Engine, Log};

/// How often a running action checks its deadline and whether the run was paused.
const PAUSE_POLL: Duration = Duration::from_millis(200);
/// How long an action may run without a word before the journal says it still runs.
const STILL_WAITING: Duration = Duration::from_secs(15);

/// A duration to the second, for people.
fn whole_seconds(duration: Duration) -> Duration {
    Duration::from_secs(duration.as_secs())
}

/// How an action step ended.
pub(super) enum ActEnd {
    Done(Result<String, String>),
    /// A destructive change set was not approved.
    Blocked,
    /// Paused while following a deployment.
    Paused,
}

/// How following a running action ended.
enum Followed {
    /// The action answered.
    Ended(Result<drtui_core::ports::ActOutcome, drtui_core::ports::BackendError>),
    /// Its deadline passed first.
    Overdue,
    /// The run was paused while it followed a deployment.
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

fn progress(step: &Step, detail: String) -> Event {
    Event::StepProgress {
        step: step.id.clone(),
        detail,
    }
}

/// What a call that did not answer in time says.
fn too_slow(call: impl std::fmt::Display, timeout: Duration) -> String {
    format!(
        "{call} did not finish within {}",
        humantime::format_duration(timeout)
    )
}

impl Engine<'_> {
    /// One action within `timeout`, after its preview and any approval that needs.
    pub(super) async fn act_step(
        &self,
        log: &mut Log<'_>,
        step: &Step,
        mutation: &Mutation,
        timeout: Duration,
        readiness: &Readiness,
    ) -> std::io::Result<ActEnd> {
        if let Some(end) = self
            .approve_changes(log, step, mutation, timeout, readiness)
            .await?
        {
            return Ok(end);
        }
        let (sender, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
        let report: drtui_core::ports::Report = std::sync::Arc::new(move |line| {
            let _ = sender.send(line);
        });
        let act = self.act.act_reporting(mutation, report);
        tokio::pin!(act);
        // Following a stack is only waiting (CloudFormation carries on alone, and a resume
        // re-reads it), so a pause or a signal stops it there rather than after the stack.
        let interruptible = matches!(mutation, Mutation::DeployStack { .. });
        // The deadline is on the run's clock (the demo's may run faster than the wall's).
        let started = self.clock.now();
        let mut last_word = started;
        let followed = loop {
            tokio::select! {
                // What the action reported comes first, so a pause is seen between its events.
                biased;
                Some(line) = lines.recv() => {
                    last_word = self.clock.now();
                    self.record(log, progress(step, line))?;
                }
                result = &mut act => break Followed::Ended(result),
                () = self.clock.sleep(PAUSE_POLL) => {}
            }
            let now = self.clock.now();
            if elapsed(started, now) >= timeout {
                break Followed::Overdue;
            }
            if elapsed(last_word, now) >= STILL_WAITING {
                last_word = now;
                let detail = format!(
                    "{} running for {} of at most {}",
                    mutation.call(),
                    humantime::format_duration(whole_seconds(elapsed(started, now))),
                    humantime::format_duration(timeout)
                );
                self.record(log, progress(step, detail))?;
            }
            if interruptible && self.paused() {
                break Followed::Paused;
            }
        };
        while let Ok(line) = lines.try_recv() {
            self.record(log, progress(step, line))?;
        }
        let failure = match followed {
            Followed::Paused => {
                let detail = format!(
                    "stopped following the stack: CloudFormation carries on; `{}` waits for it to settle",
                    self.pair.commands().resume(log.run_id, "")
                );
                self.record(log, progress(step, detail))?;
                return Ok(ActEnd::Paused);
            }
            Followed::Ended(Ok(outcome)) if outcome.changed => {
                return Ok(ActEnd::Done(Ok(outcome.detail)));
            }
            Followed::Ended(Ok(outcome)) => {
                return Ok(ActEnd::Done(Ok(format!(
                    "nothing to do: {}",
                    outcome.detail
                ))));
            }
            Followed::Ended(Err(error)) => format!("{}: {error}", mutation.call()),
            Followed::Overdue => too_slow(mutation.call(), timeout),
        };
        Ok(ActEnd::Done(Err(
            match self.abandon(log, step, mutation).await? {
                Some(abandoned) => format!("{failure}; {abandoned}"),
                None => failure,
            },
        )))
    }

    /// Abandons a failed or overdue mutation that would go on alone (an execution), so
    /// nothing the run started is left to move traffic later; what happened (journalled), for
    /// the step's reason, or `None` when there was nothing to abandon.
    async fn abandon(
        &self,
        log: &mut Log<'_>,
        step: &Step,
        mutation: &Mutation,
    ) -> std::io::Result<Option<String>> {
        let Some(call) = mutation.abandon_call() else {
            return Ok(None);
        };
        // Bounded by the backend's own call timeouts.
        let detail = match self.act.abandon(mutation).await {
            Ok(None) => return Ok(None),
            Ok(Some(outcome)) => format!("{call}: {}", outcome.detail),
            Err(error) => {
                format!(
                    "{call} FAILED: {error}: it may still run and move traffic: stop it by hand"
                )
            }
        };
        self.record(log, progress(step, detail.clone()))?;
        Ok(Some(detail))
    }

    /// The preview of an action that has one (a change set), journalled; an empty one ends the
    /// step, a destructive one needs its own approval. `None`: go on and act.
    async fn approve_changes(
        &self,
        log: &mut Log<'_>,
        step: &Step,
        mutation: &Mutation,
        timeout: Duration,
        readiness: &Readiness,
    ) -> std::io::Result<Option<ActEnd>> {
        let preview = match tokio::time::timeout(timeout, self.act.preview(mutation)).await {
            Ok(Ok(Some(preview))) => preview,
            Ok(Ok(None)) => return Ok(None),
            Ok(Err(error)) => {
                let reason = format!("{}: {error}", mutation.preview_call());
                return Ok(Some(ActEnd::Done(Err(reason))));
            }
            Err(_) => {
                let reason = too_slow(mutation.preview_call(), timeout);
                return Ok(Some(ActEnd::Done(Err(reason))));
            }
        };
        self.record(log, progress(step, changes_line(&preview)))?;
        if preview.exists && preview.changes.is_empty() {
            return Ok(Some(ActEnd::Done(Ok(
                "nothing to do: the stack already matches its template and parameters (empty change set)"
                    .to_owned(),
            ))));
        }
        if preview.destroys() {
            let question = || self.destroys_question(step, mutation, &preview, readiness);
            let Some(how) = self.approval(&step.id, question).await else {
                return Ok(Some(ActEnd::Blocked));
            };
            self.record(log, self.approved(&step.id, how, readiness, None))?;
        }
        Ok(None)
    }
}
