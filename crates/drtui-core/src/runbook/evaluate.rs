//! The pure half of running a step: whether a named check holds on a snapshot, what mutation
//! an action asks for, and when ungraceful mode may replace a failed call. No I/O, no clock.

use std::time::Duration;

use super::spec::{ActionName, CheckName, Mode, Runbook, Step, Weights};
use crate::clock::Timestamp;
use crate::config::RegionPair;
use crate::model::{Role, Snapshot, firing_alarms, thresholds};
use crate::ports::{BackendError, Mutation};
use crate::readiness::{self, CheckId, CheckStatus, Readiness};

/// What a step is judged against: one fresh observation of the pair, as of `now`.
#[derive(Clone, Copy)]
pub struct Observation<'a> {
    pub pair: &'a RegionPair,
    pub runbook: &'a Runbook,
    pub snapshot: &'a Snapshot,
    pub readiness: &'a Readiness,
    pub now: Timestamp,
}

/// `Ok(what holds)` or `Err(why not)`.
pub type Verdict = Result<String, String>;

fn verdict(ok: bool, detail: String) -> Verdict {
    if ok { Ok(detail) } else { Err(detail) }
}

/// A `${parameter}` resolved to its default, or the literal duration; `default` when absent
/// or unparsable.
pub fn duration(runbook: &Runbook, value: Option<&str>, default: Duration) -> Duration {
    let Some(value) = value else { return default };
    let literal = match value
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
    {
        Some(name) => runbook
            .parameters
            .get(name)
            .and_then(|parameter| parameter.default.as_ref())
            .map(|default| default.value.as_str())
            .unwrap_or_default(),
        None => value,
    };
    humantime::parse_duration(literal).unwrap_or(default)
}

/// Evaluates a named check of `step` on the observation.
pub fn evaluate(check: CheckName, step: &Step, seen: &Observation) -> Verdict {
    match check {
        CheckName::SecondaryClusterAvailable => {
            verdict_check(seen.readiness, CheckId::SecondaryClusterAvailable)
        }
        CheckName::DataFresh => verdict_check(seen.readiness, CheckId::DataFresh),
        CheckName::PrimaryHealthy => {
            verdict(seen.readiness.primary_healthy, "primary serving".to_owned())
        }
        CheckName::StateMachinePresent => state_machine_present(seen),
        CheckName::WriterIn => writer_in(step, seen),
        CheckName::NoFailoverInProgress => no_failover_in_progress(seen),
        CheckName::LagBelow => lag_below(step, seen),
        CheckName::HealthCheckHealthy => health_check_healthy(step, seen),
        CheckName::AlarmsQuiet => alarms_quiet(step, seen),
        CheckName::StacksComplete => stacks_complete(step, seen),
        CheckName::WeightsEqual => weights_equal(step, seen),
    }
}

/// The side a check step is about: `region`, the secondary by default.
fn side(step: &Step) -> Role {
    step.region.unwrap_or(Role::Secondary)
}

fn max_age(seen: &Observation) -> Duration {
    seen.pair.stale_after()
}

/// A check the verdict already made, passed through.
fn verdict_check(readiness: &Readiness, id: CheckId) -> Verdict {
    match readiness.check(id) {
        Some(check) => verdict(check.status == CheckStatus::Pass, check.detail.clone()),
        None => Err(format!("{id} not assessed")),
    }
}

fn state_machine_present(seen: &Observation) -> Verdict {
    match seen.snapshot.state_machine.usable(seen.now, max_age(seen)) {
        Some(Some(machine)) => Ok(format!("{} present", machine.arn)),
        Some(None) => Err("no failover state machine".to_owned()),
        None => Err("state machine unknown".to_owned()),
    }
}

fn writer_in(step: &Step, seen: &Observation) -> Verdict {
    let region = seen.pair.region(side(step));
    match seen
        .snapshot
        .global_cluster
        .usable(seen.now, max_age(seen))
        .and_then(|global| global.writer_region())
    {
        Some(writer) => verdict(writer == region, format!("writer is in {writer}")),
        None => Err("writer unknown".to_owned()),
    }
}

fn no_failover_in_progress(seen: &Observation) -> Verdict {
    match seen.snapshot.global_cluster.usable(seen.now, max_age(seen)) {
        Some(global) => match &global.failover_state {
            Some(state) => Err(format!("{} in progress", state.status)),
            None => Ok("no failover in progress".to_owned()),
        },
        None => Err("global cluster unknown".to_owned()),
    }
}

fn lag_below(step: &Step, seen: &Observation) -> Verdict {
    let max = duration(
        seen.runbook,
        step.max.as_ref().map(|max| max.value.as_str()),
        Duration::ZERO,
    );
    match seen.readiness.data_at_risk_ms {
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

fn health_check_healthy(step: &Step, seen: &Observation) -> Verdict {
    let region = seen.pair.region(side(step));
    if seen
        .snapshot
        .health_checks
        .usable(seen.now, max_age(seen))
        .is_none()
    {
        return if seen.runbook.mode == Mode::Ungraceful {
            api_health_instead(step, seen)
        } else {
            Err("health checks unknown".to_owned())
        };
    }
    let checks: Vec<_> = seen.snapshot.health_checks_for(region).collect();
    let healthy = !checks.is_empty() && checks.iter().all(|check| check.healthy == Some(true));
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

/// Ungraceful: Route 53's health-check APIs live in us-east-1; when they do not answer, the
/// region's API 5XX rate (read from its own CloudWatch) stands in.
fn api_health_instead(step: &Step, seen: &Observation) -> Verdict {
    let region = seen.pair.region(side(step));
    let rate = seen
        .snapshot
        .region(side(step))
        .metrics
        .usable(seen.now, max_age(seen))
        .and_then(|metrics| metrics.api_5xx_rate_pct);
    let threshold = thresholds::API_5XX_RATE_PCT;
    match rate {
        Some(rate) => verdict(
            rate <= threshold,
            format!(
                "health checks unobservable (Route 53 control plane not answering); instead API 5XX in {region} is {rate:.2} % (alarm at {threshold} %)"
            ),
        ),
        None => Err(format!(
            "neither health checks nor API metrics of {region} are known"
        )),
    }
}

fn alarms_quiet(step: &Step, seen: &Observation) -> Verdict {
    match seen
        .snapshot
        .region(side(step))
        .alarms
        .usable(seen.now, max_age(seen))
    {
        Some(alarms) => {
            let firing = firing_alarms(alarms);
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

fn stacks_complete(step: &Step, seen: &Observation) -> Verdict {
    match seen
        .snapshot
        .region(side(step))
        .stacks
        .usable(seen.now, max_age(seen))
    {
        Some(stacks) => {
            let pending: Vec<String> = stacks
                .iter()
                .filter(|stack| !stack.is_settled())
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

fn weights_equal(step: &Step, seen: &Observation) -> Verdict {
    let wanted = step.weights.unwrap_or(Weights {
        primary: 100,
        secondary: 0,
    });
    match seen.snapshot.dns.usable(seen.now, max_age(seen)) {
        Some(dns) => {
            let weight = |role: Role| dns.weights.get(seen.pair.region(role)).copied().flatten();
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

/// The mutation an action step asks for; `None` when the step does not say what to change.
pub fn mutation(step: &Step, run_id: &str) -> Option<Mutation> {
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
            target: step.target?,
        },
        ActionName::AuroraFailover => Mutation::AuroraFailover {
            target: step.target?,
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
            role: step.region.unwrap_or(Role::Primary),
            stack: step.stack.clone()?,
            template: step.template.clone()?,
        },
        ActionName::AlarmActions => Mutation::AlarmActions {
            role: step.region?,
            enabled: step.enabled?,
        },
    })
}

/// Ungraceful mode: a weights change that fails because the Route 53 control plane (in the
/// impaired region) does not answer is replaced by the data plane, as long as the primary is
/// not known to be healthy: Route 53 then withholds traffic from its failing record and sends
/// it to the healthy secondary even at weight 0.
pub fn replaced_by_data_plane(
    mode: Mode,
    mutation: &Mutation,
    error: &BackendError,
    readiness: &Readiness,
) -> bool {
    mode == Mode::Ungraceful
        && matches!(mutation, Mutation::SetWeights { .. })
        && matches!(
            error,
            BackendError::Timeout(_) | BackendError::Unreachable { .. }
        )
        && !readiness.primary_healthy
}
