//! The pure half of running a step: whether a named check holds on a snapshot, what mutation
//! an action asks for, and when ungraceful mode may replace a failed call. No I/O, no clock.

use std::time::Duration;

use super::spec::{Mode, Weights};
use super::step::{Action, Body, Check, Runbook, Step};
use crate::clock::Timestamp;
use crate::config::RegionPair;
use crate::model::{Role, Snapshot, firing_alarms, thresholds};
use crate::phase::{self, Condition};
use crate::ports::Mutation;
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

/// Evaluates a check on the observation.
pub fn evaluate(check: &Check, seen: &Observation) -> Verdict {
    match *check {
        Check::SecondaryClusterAvailable => cluster_available(Role::Secondary, seen),
        Check::ClusterAvailable(role) => cluster_available(role, seen),
        Check::DataFresh => verdict_check(seen.readiness, CheckId::DataFresh),
        Check::PrimaryHealthy => region_serving(Role::Primary, seen),
        Check::RegionServing(role) => region_serving(role, seen),
        Check::EngineVersionsMatch => engine_versions_match(seen),
        Check::SwitchoverPossible => switchover_possible(seen),
        Check::TrafficIn(role) => traffic_in(role, seen),
        Check::ServingFrom(role) => serving_from(role, seen),
        Check::StateMachinePresent => state_machine_present(seen),
        Check::WriterIn(role) => writer_in(role, seen),
        Check::NoFailoverInProgress => no_failover_in_progress(seen),
        Check::StoresReplicateBack => stores_replicate_back(seen),
        Check::EstateReady => estate_ready(seen),
        Check::LagBelow(max) => lag_below(max, seen),
        Check::HealthCheckHealthy(role) => health_check_healthy(role, seen),
        Check::AlarmsQuiet(role) => alarms_quiet(role, seen),
        Check::StacksComplete(role) => stacks_complete(role, seen),
        Check::WeightsEqual(weights) => weights_equal(weights, seen),
    }
}

/// The check steps before the runbook's first gate that fail now, and the deployments that
/// would be refused now (anywhere in the runbook), as "step: why": what the picker marks, so
/// a runbook that would refuse is known before it is started.
pub fn failing_preconditions(seen: &Observation) -> Vec<String> {
    let checks = seen
        .runbook
        .steps
        .iter()
        .take_while(|step| !matches!(step.body, Body::Gate { .. }))
        .filter_map(|step| match &step.body {
            Body::Check(check) => evaluate(check, seen)
                .err()
                .map(|why| format!("{}: {why}", step.id)),
            _ => None,
        });
    let unbuildable = super::deploy::unbuildable(seen.runbook, seen.pair)
        .map(|(step, why)| format!("{step}: {why}"));
    let refused = seen.runbook.deploy_steps().filter_map(|(step, deploy)| {
        super::deploy::refusal(deploy, seen.pair, seen.snapshot, seen.now, max_age(seen))
            .map(|why| format!("{}: {why}", step.id))
    });
    checks.chain(unbuildable).chain(refused).collect()
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

fn cluster_available(role: Role, seen: &Observation) -> Verdict {
    let check = readiness::cluster_available(seen.snapshot, role, seen.now, &seen.pair.policy());
    verdict(check.status == CheckStatus::Pass, check.detail)
}

/// The region serves, from every signal.
fn region_serving(role: Role, seen: &Observation) -> Verdict {
    let condition = phase::region_condition(seen.snapshot, role, seen.now, max_age(seen));
    let detail = format!(
        "{} is {}: {}",
        condition.region,
        condition.condition.as_str(),
        condition.evidence.join(", ")
    );
    verdict(condition.condition == Condition::Serving, detail)
}

fn engine_versions_match(seen: &Observation) -> Verdict {
    crate::switchover::engine_versions_match(seen.snapshot, seen.now, &seen.pair.policy())
}

/// A managed switchover away from the side the runbook leaves (the primary when it names no
/// destination) can succeed now: the same answer the recommendation gives.
fn switchover_possible(seen: &Observation) -> Verdict {
    let from = seen
        .runbook
        .destination()
        .map_or(Role::Primary, Role::other);
    let assessment = crate::switchover::assess(seen.snapshot, from, seen.now, &seen.pair.policy());
    if assessment.possible() {
        Ok(format!(
            "a switchover can succeed: {}",
            assessment.held.join("; ")
        ))
    } else {
        Err(format!(
            "a switchover cannot succeed: {}",
            assessment.blockers.join("; ")
        ))
    }
}

/// Route 53 sends all traffic to `role`'s region.
fn traffic_in(role: Role, seen: &Observation) -> Verdict {
    let policy = seen.pair.policy();
    let (side, how) = phase::traffic_side(seen.snapshot, seen.now, &policy.phase_inputs());
    let region = seen.pair.region(role);
    match side {
        Ok(Some(to)) => verdict(
            to == role,
            format!("traffic to {} ({how})", seen.pair.region(to)),
        ),
        Ok(None) => Err(format!("traffic split ({how}), not all in {region}")),
        Err(()) => Err(format!("traffic side unknown: {how}")),
    }
}

/// The postcondition of a move to `role`'s region: the writer there, all traffic reaching it
/// (weights, or the data-plane lever), and it healthy.
pub fn serving_from(role: Role, seen: &Observation) -> Verdict {
    let mut held = Vec::new();
    let mut wrong = Vec::new();
    for part in [
        writer_in(role, seen),
        traffic_in(role, seen),
        health_check_healthy(role, seen),
    ] {
        match part {
            Ok(detail) => held.push(detail),
            Err(detail) => wrong.push(detail),
        }
    }
    if wrong.is_empty() {
        Ok(held.join("; "))
    } else {
        Err(format!(
            "NOT serving from {}: {}",
            seen.pair.region(role),
            wrong.join("; ")
        ))
    }
}

/// None of the executions the run started (by name) still runs: one left running could move
/// traffic behind the operator's back. Unknown is not a pass.
pub fn no_execution_left_running(started: &[String], seen: &Observation) -> Verdict {
    if started.is_empty() {
        return Ok("the run started no execution".to_owned());
    }
    let Some(machine) = seen.snapshot.state_machine.usable(seen.now, max_age(seen)) else {
        return Err(format!(
            "cannot confirm that execution {} ended: the state machine is unknown",
            started.join(", ")
        ));
    };
    let Some(machine) = machine else {
        return Ok("no state machine: nothing can run".to_owned());
    };
    let running: Vec<&str> = machine
        .executions
        .iter()
        .filter(|execution| execution.status == "RUNNING" && started.contains(&execution.name))
        .map(|execution| execution.name.as_str())
        .collect();
    if running.is_empty() {
        return Ok(format!("execution {} not running", started.join(", ")));
    }
    Err(format!(
        "execution {} started by this run is still RUNNING and could move traffic later; stop it: {}",
        running.join(", "),
        running
            .iter()
            .map(|name| stop_command(&machine.arn, name))
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

/// The AWS CLI command that stops an execution of `state_machine`.
pub fn stop_command(state_machine: &str, name: &str) -> String {
    let region = crate::arn::region(state_machine)
        .map(|region| format!(" --region {region}"))
        .unwrap_or_default();
    format!(
        "aws stepfunctions stop-execution{region} --execution-arn {}",
        crate::arn::execution(state_machine, name)
    )
}

fn state_machine_present(seen: &Observation) -> Verdict {
    match seen.snapshot.state_machine.usable(seen.now, max_age(seen)) {
        Some(Some(machine)) => Ok(format!("{} present", machine.arn)),
        Some(None) => Err("no failover state machine".to_owned()),
        None => Err("state machine unknown".to_owned()),
    }
}

fn writer_in(role: Role, seen: &Observation) -> Verdict {
    let region = seen.pair.region(role);
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

/// Every check of the verdict passes; otherwise the ones that do not, with why.
fn estate_ready(seen: &Observation) -> Verdict {
    let failing: Vec<String> = seen
        .readiness
        .checks
        .iter()
        .filter(|check| check.status != CheckStatus::Pass)
        .map(|check| format!("{} {}: {}", check.id, check.status.as_str(), check.detail))
        .collect();
    verdict(
        failing.is_empty(),
        if failing.is_empty() {
            format!(
                "every readiness check passes ({})",
                seen.readiness.checks.len()
            )
        } else {
            failing.join("; ")
        },
    )
}

/// Nothing is moving the writer or the traffic (see [`crate::switchover::nothing_moving`]).
fn no_failover_in_progress(seen: &Observation) -> Verdict {
    crate::switchover::nothing_moving(seen.snapshot, seen.now, &seen.pair.policy())
}

/// Caught up: the Aurora lag of the cluster that reads within `max` (what a switchover back
/// needs), and every other store replicating out of the writer's region with a current figure
/// within the RPO budget (their normal latency is seconds, not what `max` bounds).
fn lag_below(max: Duration, seen: &Observation) -> Verdict {
    let policy = seen.pair.policy();
    let aurora = match readiness::reader_lag_ms(seen.snapshot, seen.now, &policy) {
        Some(lag) => verdict(
            lag <= max.as_secs_f64() * 1000.0,
            format!(
                "lag {} (max {})",
                readiness::format_ms(lag),
                humantime::format_duration(max)
            ),
        ),
        None => Err("replication lag unknown".to_owned()),
    }?;
    // The verdict already judged the stores out of the writer's region.
    let stores: Vec<&readiness::Check> = seen
        .readiness
        .checks
        .iter()
        .filter(|check| {
            matches!(
                check.id,
                CheckId::DynamodbReplication | CheckId::S3Replication | CheckId::SecretsInSync
            )
        })
        .collect();
    match stores
        .iter()
        .find(|check| check.status != readiness::CheckStatus::Pass)
    {
        Some(behind) => Err(format!(
            "{aurora}; {}: {}",
            behind.id.as_str(),
            behind.detail
        )),
        None if stores.is_empty() => Ok(aurora),
        None => Ok(format!("{aurora}; every other store within the RPO budget")),
    }
}

/// Every replicated bucket has a rule back: objects written while failed over would
/// otherwise be stranded in the secondary.
fn stores_replicate_back(seen: &Observation) -> Verdict {
    let stranded = crate::stores::without_a_way_back(&seen.pair.replicated_buckets);
    verdict(
        stranded.is_empty(),
        if stranded.is_empty() {
            "every replicated bucket replicates back".to_owned()
        } else {
            format!(
                "{}: objects written while failed over would be stranded; add the reverse rule (and it to replicated_buckets) first",
                stranded.join("; ")
            )
        },
    )
}

fn health_check_healthy(role: Role, seen: &Observation) -> Verdict {
    let region = seen.pair.region(role);
    if seen
        .snapshot
        .health_checks
        .usable(seen.now, max_age(seen))
        .is_none()
    {
        return if seen.runbook.mode == Mode::Ungraceful {
            api_health_instead(role, seen)
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
fn api_health_instead(role: Role, seen: &Observation) -> Verdict {
    let region = seen.pair.region(role);
    let rate = seen
        .snapshot
        .region(role)
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

fn alarms_quiet(role: Role, seen: &Observation) -> Verdict {
    match seen
        .snapshot
        .region(role)
        .alarms
        .usable(seen.now, max_age(seen))
    {
        Some(_)
            if crate::observability::estate_alarm_count(
                seen.snapshot,
                role,
                &seen.pair.policy().expected,
                seen.now,
                max_age(seen),
            ) == Some(0) =>
        {
            Err(format!(
                "no alarm named {}* in {}: nothing to judge",
                seen.pair.alarm_prefix,
                seen.pair.region(role)
            ))
        }
        Some(alarms) => {
            let lever = seen
                .pair
                .traffic_lever
                .as_ref()
                .map(|lever| lever.alarm.as_str());
            let firing: Vec<&str> = firing_alarms(alarms)
                .into_iter()
                .filter(|name| Some(*name) != lever)
                .collect();
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

fn stacks_complete(role: Role, seen: &Observation) -> Verdict {
    match seen
        .snapshot
        .region(role)
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

fn weights_equal(wanted: Weights, seen: &Observation) -> Verdict {
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

/// The mutation an action step asks for, bound to the pair and the run, or why there is none:
/// the step changes nothing, or (a deployment) the pair cannot name what it deploys.
pub fn mutation(step: &Step, pair: &RegionPair, run_id: &str) -> Result<Mutation, String> {
    let action = step
        .action()
        .ok_or_else(|| "the step does not say what to change".to_owned())?;
    Ok(match action {
        Action::SetWeights(weights) => Mutation::SetWeights {
            primary: weights.primary,
            secondary: weights.secondary,
        },
        Action::AuroraSwitchover { target } => Mutation::AuroraSwitchover { target: *target },
        Action::AuroraFailover {
            target,
            allow_data_loss,
        } => Mutation::AuroraFailover {
            target: *target,
            allow_data_loss: *allow_data_loss,
        },
        // Deterministic: a retry or resume asks for the same execution, never a second one.
        Action::StartExecution => Mutation::StartExecution {
            name: format!("{run_id}-{}", step.id).chars().take(80).collect(),
        },
        Action::DeployStack(deploy) => super::deploy::mutation(deploy, &step.id, pair, run_id)?,
        Action::AlarmActions { role, enabled } => Mutation::AlarmActions {
            role: *role,
            enabled: *enabled,
        },
        Action::DataPlaneLever { engaged } => Mutation::DataPlaneLever { engaged: *engaged },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlarmState, Source, SourceData, StackStatus};
    use crate::readiness::tests::{alarm, global, health, healthy, set, t, weights};
    use crate::runbook::validate;

    const RUNBOOK: &str = r#"name: probe
description: every check the engine evaluates
mode: MODE
parameters:
  budget:
    type: duration
    default: 2s
    description: lag budget
steps:
  - id: secondary-available
    title: t
    kind: check
    check: secondary_cluster_available
  - id: writer-secondary
    title: t
    kind: check
    check: writer_in
    region: secondary
  - id: lag
    title: t
    kind: check
    check: lag_below
    max: ${budget}
  - id: healthy-secondary
    title: t
    kind: check
    check: health_check_healthy
    region: secondary
  - id: quiet-secondary
    title: t
    kind: check
    check: alarms_quiet
    region: secondary
  - id: stacks-primary
    title: t
    kind: check
    check: stacks_complete
    region: primary
  - id: weights-moved
    title: t
    kind: check
    check: weights_equal
    weights: { primary: 0, secondary: 100 }
  - id: no-failover
    title: t
    kind: check
    check: no_failover_in_progress
  - id: machine
    title: t
    kind: check
    check: state_machine_present
  - id: approve
    title: t
    kind: gate
    prompt: go?
  - id: promote
    title: t
    kind: action
    action: aurora_failover
    target: secondary
    allow_data_loss: true
  - id: shift
    title: t
    kind: action
    action: set_weights
    weights: { primary: 0, secondary: 100 }
  - id: execution
    title: t
    kind: action
    action: start_execution
"#;

    fn runbook(mode: &str) -> Runbook {
        validate::load(&RUNBOOK.replace("MODE", mode), "probe.yaml").expect("valid runbook")
    }

    fn step<'a>(runbook: &'a Runbook, id: &str) -> &'a Step {
        runbook.step(id).expect("step")
    }

    /// Evaluates step `id`'s check on `snapshot` one second after it was taken.
    fn judge(runbook: &Runbook, snapshot: &Snapshot, id: &str) -> Verdict {
        let pair = RegionPair::demo();
        let now = t(1);
        let readiness = readiness::assess(snapshot, now, &pair.policy());
        let Body::Check(check) = &step(runbook, id).body else {
            panic!("a check step")
        };
        evaluate(
            check,
            &Observation {
                pair: &pair,
                runbook,
                snapshot,
                readiness: &readiness,
                now,
            },
        )
    }

    #[test]
    fn checks_pass_on_a_healthy_estate_and_say_what_they_saw() {
        let runbook = runbook("graceful");
        let snapshot = healthy();
        assert!(judge(&runbook, &snapshot, "secondary-available").is_ok());
        assert_eq!(
            judge(&runbook, &snapshot, "writer-secondary"),
            Err("writer is in us-east-1".to_owned())
        );
        assert_eq!(
            judge(&runbook, &snapshot, "lag"),
            Ok("lag 250 ms (max 2s); every other store within the RPO budget".to_owned())
        );
        assert_eq!(
            judge(&runbook, &snapshot, "healthy-secondary"),
            Ok("1 health check(s) of us-east-2 healthy".to_owned())
        );
        assert_eq!(
            judge(&runbook, &snapshot, "quiet-secondary"),
            Ok("no alarm firing".to_owned())
        );
        assert_eq!(
            judge(&runbook, &snapshot, "weights-moved"),
            Err("weights Some(100)/Some(0)".to_owned())
        );
        assert!(judge(&runbook, &snapshot, "no-failover").is_ok());
        assert!(judge(&runbook, &snapshot, "machine").is_ok());
    }

    #[test]
    fn checks_fail_on_what_moved_or_broke() {
        let runbook = runbook("graceful");
        let mut snapshot = healthy();
        set(
            &mut snapshot,
            Source::GlobalCluster,
            Ok(SourceData::GlobalCluster(global(
                "us-east-2",
                Some("switching-over"),
            ))),
        );
        set(
            &mut snapshot,
            Source::Dns,
            Ok(SourceData::Dns(weights(Some(0), Some(100)))),
        );
        set(
            &mut snapshot,
            Source::HealthChecks,
            Ok(SourceData::HealthChecks(vec![
                health("us-east-1", true),
                health("us-east-2", false),
            ])),
        );
        set(
            &mut snapshot,
            Source::Alarms(Role::Secondary),
            Ok(SourceData::Alarms(vec![alarm("s-5xx", AlarmState::Alarm)])),
        );
        set(
            &mut snapshot,
            Source::StateMachine,
            Ok(SourceData::StateMachine(None)),
        );
        assert_eq!(
            judge(&runbook, &snapshot, "writer-secondary"),
            Ok("writer is in us-east-2".to_owned())
        );
        assert!(judge(&runbook, &snapshot, "weights-moved").is_ok());
        assert_eq!(
            judge(&runbook, &snapshot, "no-failover"),
            Err("switching-over in progress".to_owned())
        );
        assert_eq!(
            judge(&runbook, &snapshot, "healthy-secondary"),
            Err("1 health check(s) of us-east-2 not all healthy".to_owned())
        );
        assert_eq!(
            judge(&runbook, &snapshot, "quiet-secondary"),
            Err("firing: s-5xx".to_owned())
        );
        assert_eq!(
            judge(&runbook, &snapshot, "machine"),
            Err("no failover state machine".to_owned())
        );
    }

    #[test]
    fn a_rolled_back_stack_is_not_complete() {
        let runbook = runbook("graceful");
        let mut snapshot = healthy();
        let stacks = |status: &str| {
            Ok(SourceData::Stacks(vec![StackStatus {
                name: "TapStackdemo-primary".into(),
                status: status.into(),
                reason: None,
            }]))
        };
        set(
            &mut snapshot,
            Source::Stacks(Role::Primary),
            stacks("UPDATE_COMPLETE"),
        );
        assert!(judge(&runbook, &snapshot, "stacks-primary").is_ok());
        set(
            &mut snapshot,
            Source::Stacks(Role::Primary),
            stacks("UPDATE_ROLLBACK_COMPLETE"),
        );
        assert_eq!(
            judge(&runbook, &snapshot, "stacks-primary"),
            Err("TapStackdemo-primary UPDATE_ROLLBACK_COMPLETE".to_owned())
        );
        set(
            &mut snapshot,
            Source::Stacks(Role::Primary),
            stacks("UPDATE_IN_PROGRESS"),
        );
        assert!(judge(&runbook, &snapshot, "stacks-primary").is_err());
    }

    #[test]
    fn unknown_is_never_a_pass() {
        let runbook = runbook("graceful");
        // Sources that never answered (a first poll that failed): nothing to judge by.
        let mut snapshot = RegionPair::demo().empty_snapshot();
        for source in [
            Source::GlobalCluster,
            Source::Dns,
            Source::HealthChecks,
            Source::Alarms(Role::Secondary),
            Source::StateMachine,
            Source::Stacks(Role::Primary),
        ] {
            set(&mut snapshot, source, Err("ThrottlingException: slow down"));
        }
        for (id, reason) in [
            ("writer-secondary", "writer unknown"),
            ("weights-moved", "weights unknown"),
            ("healthy-secondary", "health checks unknown"),
            ("quiet-secondary", "alarms unknown"),
            ("machine", "state machine unknown"),
            ("stacks-primary", "stacks unknown"),
            ("no-failover", "global cluster unknown"),
        ] {
            assert_eq!(
                judge(&runbook, &snapshot, id),
                Err(reason.to_owned()),
                "{id}"
            );
        }
    }

    #[test]
    fn ungraceful_mode_judges_health_by_the_regions_own_api_metrics() {
        let runbook = runbook("ungraceful");
        let mut snapshot = healthy();
        // Route 53's control plane never answered this session.
        snapshot.health_checks = crate::model::Observed::default();
        set(
            &mut snapshot,
            Source::HealthChecks,
            Err("Route 53 control plane not answering"),
        );
        let verdict = judge(&runbook, &snapshot, "healthy-secondary");
        let detail = verdict.expect_err("no API 5XX figure in the healthy fixture");
        assert_eq!(
            detail,
            "neither health checks nor API metrics of us-east-2 are known"
        );
        let metrics = crate::model::RegionMetrics {
            api_5xx_rate_pct: Some(0.2),
            ..crate::model::RegionMetrics::default()
        };
        set(
            &mut snapshot,
            Source::Metrics(Role::Secondary),
            Ok(SourceData::Metrics(metrics)),
        );
        let detail = judge(&runbook, &snapshot, "healthy-secondary").expect("below the alarm");
        assert!(
            detail.contains("API 5XX in us-east-2 is 0.20 %"),
            "{detail}"
        );
    }

    #[test]
    fn actions_ask_for_exactly_one_mutation_named_from_run_and_step() {
        let runbook = runbook("graceful");
        assert_eq!(
            mutation(step(&runbook, "promote"), &RegionPair::demo(), "run-1"),
            Ok(Mutation::AuroraFailover {
                target: Role::Secondary,
                allow_data_loss: true,
            })
        );
        assert_eq!(
            mutation(step(&runbook, "shift"), &RegionPair::demo(), "run-1"),
            Ok(Mutation::SetWeights {
                primary: 0,
                secondary: 100,
            })
        );
        assert_eq!(
            mutation(step(&runbook, "execution"), &RegionPair::demo(), "run-1"),
            Ok(Mutation::StartExecution {
                name: "run-1-execution".into(),
            })
        );
        assert_eq!(
            mutation(step(&runbook, "approve"), &RegionPair::demo(), "run-1"),
            Err("the step does not say what to change".to_owned())
        );
    }

    #[test]
    fn parameters_resolve_to_their_defaults_when_validated() {
        let runbook = runbook("graceful");
        assert_eq!(
            step(&runbook, "lag").body,
            Body::Check(Check::LagBelow(Duration::from_secs(2)))
        );
    }

    #[test]
    fn the_picker_knows_provision_would_refuse_the_database_after_a_failover() {
        let runbook = crate::runbook::builtin::find("provision")
            .expect("built in")
            .expect("valid");
        let pair = RegionPair::demo();
        let mut snapshot = healthy();
        for role in Role::BOTH {
            set(
                &mut snapshot,
                Source::Stacks(role),
                Ok(SourceData::Stacks(
                    pair.stacks_in(role)
                        .iter()
                        .map(|name| StackStatus {
                            name: name.clone(),
                            status: "UPDATE_COMPLETE".into(),
                            reason: None,
                        })
                        .collect(),
                )),
            );
        }
        let judge = |snapshot: &Snapshot| {
            let readiness = readiness::assess(snapshot, t(1), &pair.policy());
            failing_preconditions(&Observation {
                pair: &pair,
                runbook: &runbook,
                snapshot,
                readiness: &readiness,
                now: t(1),
            })
        };
        assert!(judge(&snapshot).is_empty(), "{:?}", judge(&snapshot));
        set(
            &mut snapshot,
            Source::GlobalCluster,
            Ok(SourceData::GlobalCluster(global("us-east-2", None))),
        );
        let refused = judge(&snapshot);
        assert_eq!(refused.len(), 2, "both database stacks: {refused:?}");
        assert!(
            refused[0].starts_with(
                "primary-database: refusing to update PaymentDR-Database-primary-demo"
            ),
            "{refused:?}"
        );
    }
}
