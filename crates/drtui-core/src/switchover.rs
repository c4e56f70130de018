//! Whether a managed switchover can succeed now. A switchover is about the *database* estate
//! (Aurora moves the writer only when both clusters answer, run one engine version and
//! replicate): an impaired API in the writer's region does not forbid it, and it loses
//! nothing. One answer, used by the recommendation, the `switchover_possible` check of the
//! runbooks and the failover's "a switchover would lose nothing" gate, so they never disagree.

use crate::clock::Timestamp;
use crate::model::{Role, Snapshot};
use crate::readiness::{self, CheckStatus, Policy};

/// What a switchover from `from` to the other side needs, part by part.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    /// Parts that hold, with what was seen.
    pub held: Vec<String>,
    /// Parts that do not, with why: empty when a switchover can succeed.
    pub blockers: Vec<String>,
}

impl Assessment {
    pub fn possible(&self) -> bool {
        self.blockers.is_empty()
    }
}

/// Judges a switchover of the writer from `from` to the other side as of `now`.
pub fn assess(snapshot: &Snapshot, from: Role, now: Timestamp, policy: &Policy) -> Assessment {
    let to = from.other();
    let mut assessment = Assessment {
        held: Vec::new(),
        blockers: Vec::new(),
    };
    let health = readiness::health_checks(snapshot, to, now, policy);
    let destination = crate::phase::region_condition(snapshot, to, now, policy.stale_after);
    let serves = if destination.condition == crate::phase::Condition::Serving {
        Ok(format!("{} serves", destination.region))
    } else {
        Err(format!(
            "{} is {} ({})",
            destination.region,
            destination.condition.as_str(),
            destination.evidence.join(", ")
        ))
    };
    let parts = [
        cluster(snapshot, from, now, policy),
        cluster(snapshot, to, now, policy),
        no_move_under_way(snapshot, from, now, policy),
        engine_versions_match(snapshot, now, policy),
        replication_flowing(snapshot, now, policy),
        passed(health),
        serves,
    ];
    for part in parts {
        match part {
            Ok(held) => assessment.held.push(held),
            Err(why) => assessment.blockers.push(why),
        }
    }
    assessment
}

fn cluster(
    snapshot: &Snapshot,
    role: Role,
    now: Timestamp,
    policy: &Policy,
) -> Result<String, String> {
    passed(readiness::cluster_available(snapshot, role, now, policy))
}

fn passed(check: readiness::Check) -> Result<String, String> {
    if check.status == CheckStatus::Pass {
        Ok(check.detail)
    } else {
        Err(check.detail)
    }
}

/// The global cluster answers, the writer is on `from`'s side and nothing is moving it.
fn no_move_under_way(
    snapshot: &Snapshot,
    from: Role,
    now: Timestamp,
    policy: &Policy,
) -> Result<String, String> {
    let moving = nothing_moving(snapshot, now, policy)?;
    let Some(global) = snapshot.global_cluster.usable(now, policy.stale_after) else {
        return Err("global cluster unknown".to_owned());
    };
    let home = &snapshot.region(from).region;
    match global.writer_region() {
        Some(writer) if writer == home => Ok(format!("writer in {writer}; {moving}")),
        Some(writer) => Err(format!("writer is in {writer}, not {home}")),
        None => Err(format!("{} has no writer", global.id)),
    }
}

/// Nothing is moving the writer or the traffic: no FailoverState on the global cluster, and no
/// execution of the failover state machine running (one could flip the weights when it ends),
/// named with the command that stops it. Executions that cannot be read are said so. What
/// every built-in's `no_failover_in_progress` step and a switchover's assessment both ask.
pub fn nothing_moving(
    snapshot: &Snapshot,
    now: Timestamp,
    policy: &Policy,
) -> Result<String, String> {
    let Some(global) = snapshot.global_cluster.usable(now, policy.stale_after) else {
        return Err("global cluster unknown".to_owned());
    };
    if let Some(state) = &global.failover_state {
        return Err(format!("{} in progress", state.status));
    }
    match snapshot.state_machine.usable(now, policy.stale_after) {
        Some(Some(machine)) => match machine.running_text() {
            Some(running) => Err(format!(
                "{running}: it could still move traffic; stop it ({}) or wait for it",
                machine
                    .running()
                    .map(|execution| crate::runbook::evaluate::stop_command(
                        &machine.arn,
                        &execution.name
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            None => Ok("no failover in progress, no execution running".to_owned()),
        },
        None if policy.state_machine_configured => {
            Ok("no failover in progress (the state machine's executions are unknown)".to_owned())
        }
        Some(None) | None => Ok("no failover in progress".to_owned()),
    }
}

/// Both clusters run one engine version (Aurora refuses a switchover otherwise).
pub fn engine_versions_match(
    snapshot: &Snapshot,
    now: Timestamp,
    policy: &Policy,
) -> Result<String, String> {
    let version = |role: Role| {
        snapshot
            .region(role)
            .aurora
            .usable(now, policy.stale_after)
            .and_then(|cluster| cluster.engine_version.clone())
    };
    match (version(Role::Primary), version(Role::Secondary)) {
        (Some(primary), Some(secondary)) if primary == secondary => {
            Ok(format!("both clusters run {primary}"))
        }
        (Some(primary), Some(secondary)) => Err(format!(
            "engine versions differ ({} {primary}, {} {secondary}): a switchover is refused; upgrade first or use failover",
            snapshot.region(Role::Primary).region,
            snapshot.region(Role::Secondary).region
        )),
        _ => Err("engine versions unknown".to_owned()),
    }
}

/// Replication flows: the reader's lag is known, within the RPO budget, and not climbing a
/// second per second (a stalled replica's lag grows with the clock: the writer stopped
/// shipping, and a switchover would wait on it).
fn replication_flowing(
    snapshot: &Snapshot,
    now: Timestamp,
    policy: &Policy,
) -> Result<String, String> {
    let budget_ms = policy.rpo_budget.as_secs_f64() * 1000.0;
    let Some(lag) = readiness::reader_lag_ms(snapshot, now, policy) else {
        return Err("replication lag unknown".to_owned());
    };
    let lag_text = readiness::format_ms(lag);
    if lag > budget_ms {
        return Err(format!(
            "replication lag {lag_text} exceeds the RPO budget {}",
            readiness::format_ms(budget_ms)
        ));
    }
    if let Some(rise) = stalled_rise(snapshot, now, policy) {
        return Err(format!(
            "replication stalled: lag {lag_text}, up {} in one period",
            readiness::format_ms(rise)
        ));
    }
    Ok(format!("replication flowing, lag {lag_text}"))
}

/// How far the reader's lag rose over its latest period, when that is most of the period
/// itself (the replica receives nothing).
fn stalled_rise(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Option<f64> {
    let reader = readiness::writer_role(snapshot, now, policy)?.other();
    let metrics = snapshot
        .region(reader)
        .metrics
        .usable(now, policy.stale_after)?;
    let history = &metrics.history;
    let [.., Some(before), Some(last)] = history.replication_lag_ms[..] else {
        return None;
    };
    let period_ms = history.period_s as f64 * 1000.0;
    let rise = last - before;
    (period_ms > 0.0 && rise >= 0.8 * period_ms).then_some(rise)
}
