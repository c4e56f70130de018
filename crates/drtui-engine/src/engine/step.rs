//! One step's whole life in journal order: started (with the mutation it will ask for), one
//! observation, its conditions, its work by kind, then how it ended.

use drtui_core::model::Snapshot;
use drtui_core::ports::Mutation;
use drtui_core::readiness::{self, Readiness};
use drtui_core::runbook::deploy;
use drtui_core::runbook::evaluate;
use drtui_core::runbook::journal::{Event, RunOutcomeKind, StepOutcome};
use drtui_core::runbook::step::{Body, Step};
use drtui_core::wire::wire_name;

use super::act::ActEnd;
use super::observe::{Memory, credentials_failure};
use super::wait::Waited;
use super::{Engine, FailureKind, Log, Outcome, StepResult};

/// How a step's work ended, before the journal and the run are told.
enum StepEnd {
    Done(String),
    Failed(String, FailureKind),
    /// An approval nobody gave.
    Blocked,
    /// An approval the cap on accepted loss does not allow, with why and the figure.
    OverCap(String, Option<f64>),
    /// The run was paused during the step, which stays in flight.
    Paused,
}

impl From<Result<String, String>> for StepEnd {
    fn from(result: Result<String, String>) -> Self {
        match result {
            Ok(detail) => StepEnd::Done(detail),
            Err(reason) => StepEnd::Failed(reason, FailureKind::Step),
        }
    }
}

fn step_finished(step: &Step, outcome: StepOutcome, detail: String) -> Event {
    Event::StepFinished {
        step: step.id.clone(),
        outcome,
        detail,
    }
}

impl Engine<'_> {
    /// One step: `Ok(Ok(()))` done or skipped, `Ok(Err(outcome))` the run stops there.
    pub(super) async fn run_step(
        &self,
        log: &mut Log<'_>,
        step: &Step,
        memory: &Memory,
    ) -> StepResult {
        let mutation = evaluate::mutation(step, self.pair, log.run_id);
        let inputs = mutation
            .as_ref()
            .ok()
            .and_then(|mutation| serde_json::to_value(mutation).ok())
            .unwrap_or_default();
        self.record(
            log,
            Event::StepStarted {
                step: step.id.clone(),
                kind: wire_name(&step.kind()),
                inputs,
            },
        )?;
        let (snapshot, readiness) = self.observe(memory).await;
        // Rejected credentials say nothing about the estate: stop here, before judging or
        // acting on an observation that is blind.
        let end = if let Some(reason) = credentials_failure(&snapshot) {
            StepEnd::Failed(reason, FailureKind::Credentials)
        } else if let Some(why) = self.skipped_because(step, &snapshot, &readiness) {
            self.record(log, step_finished(step, StepOutcome::Skipped, why))?;
            return Ok(Ok(()));
        } else {
            self.perform(log, step, mutation, &snapshot, &readiness, memory)
                .await?
        };
        self.end_step(log, step, end)
    }

    /// Why the step is skipped: its `when` does not hold, or its `unless` does.
    fn skipped_because(
        &self,
        step: &Step,
        snapshot: &Snapshot,
        readiness: &Readiness,
    ) -> Option<String> {
        let holds = |check| self.evaluate(check, snapshot, readiness).is_ok();
        if let Some(when) = &step.when
            && !holds(when)
        {
            return Some(format!("{} does not hold", wire_name(&when.name())));
        }
        if let Some(unless) = &step.unless
            && holds(unless)
        {
            return Some(format!("{} holds", wire_name(&unless.name())));
        }
        None
    }

    /// The step's work, by kind.
    async fn perform(
        &self,
        log: &mut Log<'_>,
        step: &Step,
        mutation: Result<Mutation, String>,
        snapshot: &Snapshot,
        readiness: &Readiness,
        memory: &Memory,
    ) -> std::io::Result<StepEnd> {
        Ok(match &step.body {
            Body::Check(check) => self.evaluate(check, snapshot, readiness).into(),
            Body::Wait {
                check,
                interval,
                timeout,
            } => match self.wait(check, *interval, *timeout, memory).await {
                Waited::Held(detail) => StepEnd::Done(detail),
                Waited::Failed(reason) => StepEnd::Failed(reason, FailureKind::Step),
                Waited::Blind(reason) => StepEnd::Failed(reason, FailureKind::Credentials),
                // Stopped mid-wait: nothing was changed, so the step is left in flight and
                // `resume` waits again.
                Waited::Paused => StepEnd::Paused,
            },
            Body::Gate { .. } | Body::Manual { .. } => {
                self.gate(log, step, readiness, memory).await?
            }
            Body::Action { timeout, .. } => match mutation {
                Err(why) => StepEnd::Failed(why, FailureKind::Step),
                Ok(mutation) => {
                    // Remembered before it starts: the postconditions ask after it.
                    if let Mutation::StartExecution { name } = &mutation
                        && let Ok(mut started) = memory.executions.lock()
                    {
                        started.insert(name.clone());
                    }
                    self.action(log, step, &mutation, *timeout, snapshot, readiness)
                        .await?
                }
            },
        })
    }

    /// A gate or manual step: approved (journalled with the data at risk at that moment and
    /// its age) or blocked. Before a data-loss action, a figure beyond the pair's cap (or
    /// unknown) stops playback even with `--approve-all`; the TUI asks for `accept` as well.
    async fn gate(
        &self,
        log: &mut Log<'_>,
        step: &Step,
        readiness: &Readiness,
        memory: &Memory,
    ) -> std::io::Result<StepEnd> {
        if self.gatekeeper.is_none()
            && let Some(why) = self.over_cap(step, readiness)
        {
            return Ok(StepEnd::OverCap(why, readiness.data_at_risk_ms));
        }
        let question = || self.gate_question(step, log.run_id, readiness);
        let Some(how) = self.approval(&step.id, question).await else {
            return Ok(StepEnd::Blocked);
        };
        // The approval is journalled with the figure now, not the one the gate opened with: a
        // person may have read the question for minutes while the lag grew (the TUI's gate shows
        // the live figure, and asks for `accept` as soon as it passes the cap).
        let (snapshot, now) = self.observe(memory).await;
        self.record(log, self.approved(&step.id, how, &now, Some(&snapshot)))?;
        Ok(StepEnd::Done(match now.data_at_risk_ms {
            Some(lag) => format!("approved; data at risk {}", readiness::format_ms(lag)),
            None => "approved; data at risk unknown".to_owned(),
        }))
    }

    /// An action, unless read-only or a deployment that would do harm now refuses it.
    async fn action(
        &self,
        log: &mut Log<'_>,
        step: &Step,
        mutation: &Mutation,
        timeout: std::time::Duration,
        snapshot: &Snapshot,
        readiness: &Readiness,
    ) -> std::io::Result<StepEnd> {
        if self.read_only {
            return Ok(Err("--read-only refuses every mutating step".to_owned()).into());
        }
        let refusal = step.deployment().and_then(|deployment| {
            let now = self.clock.now();
            deploy::refusal(
                deployment,
                self.pair,
                snapshot,
                now,
                self.pair.stale_after(),
            )
        });
        if let Some(why) = refusal {
            return Ok(Err(why).into());
        }
        Ok(
            match self
                .act_step(log, step, mutation, timeout, readiness)
                .await?
            {
                ActEnd::Done(result) => result.into(),
                ActEnd::Blocked => StepEnd::Blocked,
                ActEnd::Paused => StepEnd::Paused,
            },
        )
    }

    /// Journals how the step ended; what stops the run is returned as its outcome.
    fn end_step(&self, log: &mut Log<'_>, step: &Step, end: StepEnd) -> StepResult {
        let id = step.id.clone();
        match end {
            StepEnd::Done(detail) => {
                self.record(log, step_finished(step, StepOutcome::Ok, detail))?;
                Ok(Ok(()))
            }
            StepEnd::Failed(reason, kind) => {
                self.record(
                    log,
                    step_finished(step, StepOutcome::Failed, reason.clone()),
                )?;
                Ok(Err(Outcome::Failed {
                    step: id,
                    reason,
                    kind,
                }))
            }
            StepEnd::Blocked => {
                self.record(log, Event::GateBlocked { step: id.clone() })?;
                Ok(Err(Outcome::Blocked { step: id }))
            }
            StepEnd::OverCap(reason, data_at_risk_ms) => {
                self.record(log, Event::GateBlocked { step: id.clone() })?;
                Ok(Err(Outcome::OverCap {
                    step: id,
                    reason,
                    data_at_risk_ms,
                }))
            }
            StepEnd::Paused => {
                let detail = format!("paused by {} during {id}", self.operator);
                self.run_finished(log, RunOutcomeKind::Blocked, detail)?;
                Ok(Err(Outcome::Paused { step: id }))
            }
        }
    }
}
