//! Runs a runbook step by step against a backend, like a safety interlock: checks before
//! anything mutates, nothing mutates without an approval, every step journalled (fsync) before
//! and after, and every action idempotent against live state so `resume` never repeats one.

use std::collections::BTreeSet;
use std::time::Duration;

use super::journal::{Event, Journal, Record, RunOutcomeKind, StepOutcome};
use super::spec::{ActionName, CheckName, OnFailure, Runbook, Side, Step, StepKind};
use super::validate::snake_case;
use crate::backend::{ActBackend, Mutation, StatusBackend};
use crate::clock::{Clock, elapsed};
use crate::config::RegionPair;
use crate::model::{Role, Snapshot};
use crate::readiness::{self, CheckStatus, Readiness};

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
    pub step: String,
    pub title: String,
    pub prompt: String,
    pub data_at_risk_ms: Option<f64>,
    pub loses_data_next: bool,
    /// What approving lets happen, up to the next gate: step titles and their exact calls.
    pub next: Vec<String>,
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

const DEFAULT_ACTION_TIMEOUT: Duration = Duration::from_secs(15 * 60);

impl Engine<'_> {
    /// A `${parameter}` resolved to its default, or the literal duration.
    fn duration(&self, value: Option<&str>, default: Duration) -> Duration {
        let Some(value) = value else { return default };
        let literal = match value
            .strip_prefix("${")
            .and_then(|rest| rest.strip_suffix('}'))
        {
            Some(name) => self
                .runbook
                .parameters
                .get(name)
                .and_then(|parameter| parameter.default.as_ref())
                .map(|default| default.value.as_str())
                .unwrap_or_default(),
            None => value,
        };
        humantime::parse_duration(literal).unwrap_or(default)
    }

    async fn observe(&self) -> (Snapshot, Readiness) {
        let mut snapshot = self.pair.empty_snapshot();
        // A faster demo clock gets proportionally shorter timeouts, so a hung region costs the
        // same share of a step at any speed.
        let timeout = self.pair.call_timeout.div_f64(self.clock.speed().max(1.0));
        for update in crate::poll::poll_once(self.status, self.clock, timeout).await {
            snapshot.apply(update);
        }
        let readiness = readiness::assess(&snapshot, self.clock.now(), &self.pair.policy());
        (snapshot, readiness)
    }

    /// Evaluates a named check: `Ok(what holds)` or `Err(why not)`.
    fn evaluate(
        &self,
        check: CheckName,
        step: &Step,
        snapshot: &Snapshot,
        readiness: &Readiness,
    ) -> Result<String, String> {
        let now = self.clock.now();
        let max_age = self.pair.stale_after();
        let side_region = |step: &Step| {
            self.pair
                .region(step.region.unwrap_or(Side::Secondary).role())
                .to_owned()
        };
        let readiness_check = |id: &str| {
            readiness
                .checks
                .iter()
                .find(|check| check.id == id)
                .map(|check| (check.status == CheckStatus::Pass, check.detail.clone()))
                .unwrap_or((false, format!("{id} not assessed")))
        };
        let verdict = |ok: bool, detail: String| if ok { Ok(detail) } else { Err(detail) };
        match check {
            CheckName::SecondaryClusterAvailable => {
                let (ok, detail) = readiness_check("secondary_cluster_available");
                verdict(ok, detail)
            }
            CheckName::DataFresh => {
                let (ok, detail) = readiness_check("data_fresh");
                verdict(ok, detail)
            }
            CheckName::PrimaryHealthy => {
                verdict(readiness.primary_healthy, "primary serving".to_owned())
            }
            CheckName::StateMachinePresent => match snapshot.state_machine.usable(now, max_age) {
                Some(Some(machine)) => Ok(format!("{} present", machine.arn)),
                Some(None) => Err("no failover state machine".to_owned()),
                None => Err("state machine unknown".to_owned()),
            },
            CheckName::WriterIn => {
                let region = side_region(step);
                match snapshot
                    .global_cluster
                    .usable(now, max_age)
                    .and_then(|global| global.writer_region())
                {
                    Some(writer) => verdict(writer == region, format!("writer is in {writer}")),
                    None => Err("writer unknown".to_owned()),
                }
            }
            CheckName::NoFailoverInProgress => match snapshot.global_cluster.usable(now, max_age) {
                Some(global) => match &global.failover_state {
                    Some(state) => Err(format!("{} in progress", state.status)),
                    None => Ok("no failover in progress".to_owned()),
                },
                None => Err("global cluster unknown".to_owned()),
            },
            CheckName::LagBelow => {
                let max = self.duration(
                    step.max.as_ref().map(|max| max.value.as_str()),
                    Duration::ZERO,
                );
                match readiness.data_at_risk_ms {
                    Some(lag) => verdict(
                        lag <= max.as_secs_f64() * 1000.0,
                        format!(
                            "lag {} (max {})",
                            readiness::format_ms(lag),
                            humantime::format_duration(max)
                        ),
                    ),
                    None => Err("replication lag unknown".to_owned()),
                }
            }
            CheckName::HealthCheckHealthy => {
                let region = side_region(step);
                if snapshot.health_checks.usable(now, max_age).is_none() {
                    // Ungraceful: Route 53's health-check APIs live in us-east-1; when they do not
                    // answer,
                    // the region's API 5XX rate (read from its own CloudWatch) stands in.
                    if self.runbook.mode == super::spec::Mode::Ungraceful {
                        let side = step.region.unwrap_or(Side::Secondary).role();
                        let rate = snapshot
                            .region(side)
                            .metrics
                            .usable(now, max_age)
                            .and_then(|metrics| metrics.api_5xx_rate_pct);
                        let threshold = crate::model::thresholds::API_5XX_RATE_PCT;
                        return match rate {
                            Some(rate) => verdict(
                                rate <= threshold,
                                format!(
                                    "health checks unobservable (Route 53 control plane not answering); instead API 5XX in {region} is {rate:.2} % (alarm at {threshold} %)"
                                ),
                            ),
                            None => Err(format!(
                                "neither health checks nor API metrics of {region} are known"
                            )),
                        };
                    }
                    return Err("health checks unknown".to_owned());
                }
                let checks: Vec<_> = snapshot.health_checks_for(&region).collect();
                let healthy =
                    !checks.is_empty() && checks.iter().all(|check| check.healthy == Some(true));
                verdict(
                    healthy,
                    format!(
                        "{} health check(s) of {region} {}",
                        checks.len(),
                        if healthy {
                            "healthy"
                        } else {
                            "not all healthy"
                        }
                    ),
                )
            }
            CheckName::AlarmsQuiet => {
                let side = step.region.unwrap_or(Side::Secondary).role();
                match snapshot.region(side).alarms.usable(now, max_age) {
                    Some(alarms) => {
                        let firing = crate::model::firing_alarms(alarms);
                        verdict(
                            firing.is_empty(),
                            if firing.is_empty() {
                                "no alarm firing".to_owned()
                            } else {
                                format!("firing: {}", firing.join(", "))
                            },
                        )
                    }
                    None => Err("alarms unknown".to_owned()),
                }
            }
            CheckName::StacksComplete => {
                let side = step.region.unwrap_or(Side::Secondary).role();
                match snapshot.region(side).stacks.usable(now, max_age) {
                    Some(stacks) => {
                        let pending: Vec<String> = stacks
                            .iter()
                            .filter(|stack| {
                                !stack.status.ends_with("_COMPLETE")
                                    || stack.status.contains("ROLLBACK")
                            })
                            .map(|stack| format!("{} {}", stack.name, stack.status))
                            .collect();
                        verdict(
                            pending.is_empty(),
                            if pending.is_empty() {
                                "stacks complete".to_owned()
                            } else {
                                pending.join(", ")
                            },
                        )
                    }
                    None => Err("stacks unknown".to_owned()),
                }
            }
            CheckName::WeightsEqual => {
                let wanted = step.weights.unwrap_or(super::spec::Weights {
                    primary: 100,
                    secondary: 0,
                });
                match snapshot.dns.usable(now, max_age) {
                    Some(dns) => {
                        let weight =
                            |role: Role| dns.weights.get(self.pair.region(role)).copied().flatten();
                        let actual = (weight(Role::Primary), weight(Role::Secondary));
                        verdict(
                            actual
                                == (
                                    Some(u64::from(wanted.primary)),
                                    Some(u64::from(wanted.secondary)),
                                ),
                            format!("weights {:?}/{:?}", actual.0, actual.1),
                        )
                    }
                    None => Err("weights unknown".to_owned()),
                }
            }
        }
    }

    /// The mutation an action step asks for.
    fn mutation(&self, step: &Step, run_id: &str) -> Option<Mutation> {
        let action = step.action.as_ref()?.value;
        Some(match action {
            ActionName::SetWeights => {
                let weights = step.weights?;
                Mutation::SetWeights {
                    primary: weights.primary,
                    secondary: weights.secondary,
                }
            }
            ActionName::AuroraSwitchover => Mutation::AuroraSwitchover {
                target: step.target?.role(),
            },
            ActionName::AuroraFailover => Mutation::AuroraFailover {
                target: step.target?.role(),
                allow_data_loss: step.allow_data_loss.unwrap_or(false),
            },
            // Deterministic: a retry or resume asks for the same execution, never a second one.
            ActionName::StartExecution => Mutation::StartExecution {
                name: format!("{run_id}-{}", step.id.value)
                    .chars()
                    .take(80)
                    .collect(),
            },
            ActionName::DeployStack => Mutation::DeployStack {
                role: step.region.unwrap_or(Side::Primary).role(),
                stack: step.stack.clone()?,
                template: step.template.clone()?,
            },
            ActionName::AlarmActions => Mutation::AlarmActions {
                role: step.region?.role(),
                enabled: step.enabled?,
            },
        })
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
    pub async fn run(
        &self,
        journal: &mut Journal,
        run_id: &str,
        done: &BTreeSet<String>,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<Outcome> {
        let rollback_only: BTreeSet<&str> = self
            .runbook
            .steps
            .iter()
            .filter_map(|step| match &step.on_failure {
                Some(OnFailure::Rollback(targets)) => {
                    Some(targets.iter().map(|target| target.value.as_str()))
                }
                _ => None,
            })
            .flatten()
            .collect();
        for step in &self.runbook.steps {
            let id = step.id.value.as_str();
            if done.contains(id) || rollback_only.contains(id) {
                continue;
            }
            if self
                .pause
                .as_ref()
                .is_some_and(|pause| pause.load(std::sync::atomic::Ordering::SeqCst))
            {
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
            let outcome = self.run_step(journal, run_id, step, on_record).await?;
            match outcome {
                Ok(()) => {}
                Err(Outcome::Failed {
                    step: failed,
                    reason,
                }) => {
                    if let Some(OnFailure::Rollback(targets)) = &step.on_failure {
                        for target in targets {
                            if let Some(rollback) = self
                                .runbook
                                .steps
                                .iter()
                                .find(|candidate| candidate.id.value == target.value)
                            {
                                let _ = self.run_step(journal, run_id, rollback, on_record).await?;
                            }
                        }
                    }
                    self.record(
                        journal,
                        run_id,
                        Event::RunFinished {
                            outcome: RunOutcomeKind::Failed,
                            detail: format!("{failed}: {reason}"),
                        },
                        on_record,
                    )?;
                    return Ok(Outcome::Failed {
                        step: failed,
                        reason,
                    });
                }
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
        self.record(
            journal,
            run_id,
            Event::RunFinished {
                outcome: RunOutcomeKind::Completed,
                detail: "every step done".to_owned(),
            },
            on_record,
        )?;
        Ok(Outcome::Completed)
    }

    /// One step: `Ok(Ok(()))` done or skipped, `Ok(Err(outcome))` the run stops there.
    async fn run_step(
        &self,
        journal: &mut Journal,
        run_id: &str,
        step: &Step,
        on_record: &mut (dyn FnMut(&Record) + Send),
    ) -> std::io::Result<Result<(), Outcome>> {
        let id = step.id.value.clone();
        let kind = snake_case(&format!("{:?}", step.kind.value));
        let mutation = self.mutation(step, run_id);
        let inputs = mutation
            .as_ref()
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
        let (snapshot, readiness) = self.observe().await;
        let condition =
            |check: CheckName| self.evaluate(check, step, &snapshot, &readiness).is_ok();
        if let Some(when) = &step.when
            && !condition(when.value)
        {
            self.record(
                journal,
                run_id,
                finish(
                    StepOutcome::Skipped,
                    format!("{} does not hold", snake_case(&format!("{:?}", when.value))),
                ),
                on_record,
            )?;
            return Ok(Ok(()));
        }
        if let Some(unless) = &step.unless
            && condition(unless.value)
        {
            self.record(
                journal,
                run_id,
                finish(
                    StepOutcome::Skipped,
                    format!("{} holds", snake_case(&format!("{:?}", unless.value))),
                ),
                on_record,
            )?;
            return Ok(Ok(()));
        }
        let failed = |reason: String| Outcome::Failed {
            step: id.clone(),
            reason,
        };
        let result: Result<String, String> = match step.kind.value {
            StepKind::Check => match step.check.as_ref() {
                Some(check) => self.evaluate(check.value, step, &snapshot, &readiness),
                None => Err("no check named".to_owned()),
            },
            StepKind::Wait => self.wait(step).await,
            StepKind::Gate | StepKind::Manual => {
                let how = if self.approvals.allows(&id) {
                    Some(if self.approvals.all {
                        "--approve-all".to_owned()
                    } else {
                        format!("--approve {id}")
                    })
                } else {
                    self.ask(step, &readiness).await
                };
                match how {
                    Some(how) => {
                        self.record(
                            journal,
                            run_id,
                            Event::Approved {
                                step: id.clone(),
                                by: self.operator.clone(),
                                how,
                                data_at_risk_ms: readiness.data_at_risk_ms,
                            },
                            on_record,
                        )?;
                        Ok(match readiness.data_at_risk_ms {
                            Some(lag) => {
                                format!("approved; data at risk {}", readiness::format_ms(lag))
                            }
                            None => "approved; data at risk unknown".to_owned(),
                        })
                    }
                    None => {
                        self.record(
                            journal,
                            run_id,
                            Event::GateBlocked { step: id.clone() },
                            on_record,
                        )?;
                        return Ok(Err(Outcome::Blocked { step: id }));
                    }
                }
            }
            StepKind::Action => match mutation {
                None => Err("the step does not say what to change".to_owned()),
                Some(_) if self.read_only => {
                    Err("--read-only refuses every mutating step".to_owned())
                }
                Some(mutation) => {
                    let timeout = self.duration(
                        step.timeout.as_ref().map(|t| t.value.as_str()),
                        DEFAULT_ACTION_TIMEOUT,
                    );
                    match tokio::time::timeout(timeout, self.act.act(&mutation)).await {
                        Ok(Ok(outcome)) => Ok(if outcome.changed {
                            outcome.detail
                        } else {
                            format!("nothing to do: {}", outcome.detail)
                        }),
                        Ok(Err(error))
                            if self.replaced_by_data_plane(&mutation, &error, &readiness) =>
                        {
                            self.record(
                                journal,
                                run_id,
                                finish(
                                    StepOutcome::Skipped,
                                    format!(
                                        "{} failed ({error}); ungraceful mode: replaced by Route 53's data plane, whose health checks already send traffic away from the impaired primary",
                                        mutation.call()
                                    ),
                                ),
                                on_record,
                            )?;
                            return Ok(Ok(()));
                        }
                        Ok(Err(error)) => Err(format!("{}: {error}", mutation.call())),
                        Err(_) => Err(format!(
                            "{} did not finish within {}",
                            mutation.call(),
                            humantime::format_duration(timeout)
                        )),
                    }
                }
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

    /// Ungraceful mode: a weights change that fails because the Route 53 control plane (in the
    /// impaired region) does not answer is replaced by the data plane, as long as the primary is
    /// not known to be healthy: Route 53 then withholds traffic from its failing record and sends
    /// it to the healthy secondary even at weight 0.
    fn replaced_by_data_plane(
        &self,
        mutation: &Mutation,
        error: &crate::backend::BackendError,
        readiness: &Readiness,
    ) -> bool {
        use crate::backend::BackendError;
        self.runbook.mode == super::spec::Mode::Ungraceful
            && matches!(mutation, Mutation::SetWeights { .. })
            && matches!(
                error,
                BackendError::Timeout(_) | BackendError::Unreachable { .. }
            )
            && !readiness.primary_healthy
    }

    /// Asks the person at the TUI, if there is one; `Some(how)` when they approved.
    async fn ask(&self, step: &Step, readiness: &Readiness) -> Option<String> {
        let gatekeeper = self.gatekeeper.as_ref()?;
        let index = self
            .runbook
            .steps
            .iter()
            .position(|candidate| candidate.id.value == step.id.value)?;
        let until_next_gate: Vec<&Step> = self.runbook.steps[index + 1..]
            .iter()
            .take_while(|next| next.kind.value != StepKind::Gate)
            .collect();
        let loses_data_next = until_next_gate.iter().any(|step| step.loses_data());
        let next = until_next_gate
            .iter()
            .filter(|step| step.mutates())
            .flat_map(|step| {
                let planned = super::plan::planned(self.pair, step);
                std::iter::once(step.title.clone())
                    .chain(planned.calls.into_iter().map(|call| format!("  {call}")))
            })
            .collect();
        let (reply, answer) = tokio::sync::oneshot::channel();
        let request = GateRequest {
            step: step.id.value.clone(),
            title: step.title.clone(),
            prompt: step
                .prompt
                .clone()
                .or_else(|| step.instruction.clone())
                .unwrap_or_default(),
            data_at_risk_ms: readiness.data_at_risk_ms,
            loses_data_next,
            next,
            reply,
        };
        gatekeeper.send(request).await.ok()?;
        match answer.await {
            Ok(true) => Some(format!("typed `{}` in the TUI", self.pair.name)),
            _ => None,
        }
    }

    async fn wait(&self, step: &Step) -> Result<String, String> {
        let Some(check) = step.check.as_ref().map(|check| check.value) else {
            return Err("no check named".to_owned());
        };
        let timeout = self.duration(
            step.timeout.as_ref().map(|t| t.value.as_str()),
            Duration::from_secs(300),
        );
        let interval = self
            .duration(
                step.interval.as_ref().map(|i| i.value.as_str()),
                Duration::from_secs(10),
            )
            .min(self.pair.poll_interval);
        let began = self.clock.now();
        loop {
            let (snapshot, readiness) = self.observe().await;
            let last = match self.evaluate(check, step, &snapshot, &readiness) {
                Ok(detail) => {
                    return Ok(format!(
                        "{detail} after {:.1} s",
                        elapsed(began, self.clock.now()).as_secs_f64()
                    ));
                }
                Err(reason) => reason,
            };
            if elapsed(began, self.clock.now()) >= timeout {
                return Err(format!(
                    "still not true after {}: {last}",
                    humantime::format_duration(timeout)
                ));
            }
            self.clock.sleep(interval).await;
        }
    }
}
