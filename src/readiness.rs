//! Snapshot -> verdict: can we fail over now, and what would it cost? Pure and table-tested.

use std::time::Duration;

use serde::Serialize;

use crate::clock::Timestamp;
use crate::model::{AlarmState, Freshness, Role, Snapshot};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ready,
    Degraded,
    NotReady,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::Degraded => "degraded",
            Verdict::NotReady => "not_ready",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Runbook {
    Switchover,
    Failover,
}

impl Runbook {
    pub fn as_str(self) -> &'static str {
        match self {
            Runbook::Switchover => "switchover",
            Runbook::Failover => "failover",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub status: CheckStatus,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Readiness {
    pub verdict: Verdict,
    /// Replication lag right now: what an unplanned failover would lose.
    pub data_at_risk_ms: Option<f64>,
    pub recommended_runbook: Option<Runbook>,
    pub checks: Vec<Check>,
    /// Whether the primary looks able to serve (drives switchover vs failover).
    #[serde(skip)]
    pub primary_healthy: bool,
}

/// What the verdict is measured against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    pub rpo_budget: Duration,
    pub stale_after: Duration,
    pub state_machine_configured: bool,
}

/// Judges the snapshot as of `now`.
pub fn assess(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Readiness {
    let data_at_risk_ms = replication_lag_ms(snapshot, now, policy);
    let checks = vec![
        secondary_cluster_available(snapshot, now, policy),
        writer_in_primary(snapshot, now, policy),
        replication_lag(data_at_risk_ms, policy),
        secondary_health_checks(snapshot, now, policy),
        secondary_alarms_quiet(snapshot, now, policy),
        failover_state_machine(snapshot, now, policy),
        dns_weights(snapshot, now, policy),
        data_fresh(snapshot, now, policy),
    ];
    let worst = checks
        .iter()
        .map(|check| check.status)
        .max()
        .unwrap_or(CheckStatus::Pass);
    let verdict = match worst {
        CheckStatus::Pass => Verdict::Ready,
        CheckStatus::Warn => Verdict::Degraded,
        CheckStatus::Fail => Verdict::NotReady,
    };
    let primary_healthy = primary_healthy(snapshot, now, policy);
    let recommended_runbook = match verdict {
        Verdict::NotReady => None,
        _ if primary_healthy => Some(Runbook::Switchover),
        _ => Some(Runbook::Failover),
    };
    Readiness {
        verdict,
        data_at_risk_ms,
        recommended_runbook,
        checks,
        primary_healthy,
    }
}

fn check(id: &'static str, status: CheckStatus, detail: impl Into<String>) -> Check {
    Check {
        id,
        status,
        detail: detail.into(),
    }
}

fn replication_lag_ms(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Option<f64> {
    snapshot
        .region(Role::Secondary)
        .metrics
        .usable(now, policy.stale_after)
        .and_then(|metrics| metrics.replication_lag_ms)
}

fn secondary_cluster_available(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: &str = "secondary_cluster_available";
    let region = snapshot.region(Role::Secondary);
    match region.aurora.usable(now, policy.stale_after) {
        Some(cluster) if cluster.status == "available" => check(
            ID,
            CheckStatus::Pass,
            format!("{} is available", cluster.cluster_id),
        ),
        Some(cluster) => check(
            ID,
            CheckStatus::Fail,
            format!(
                "{} is {}, not available",
                cluster.cluster_id, cluster.status
            ),
        ),
        None => check(
            ID,
            CheckStatus::Fail,
            format!(
                "status of {} unknown{}",
                region.cluster_id,
                error_suffix(region.aurora.error.as_ref())
            ),
        ),
    }
}

fn writer_in_primary(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: &str = "writer_in_primary";
    let primary = &snapshot.region(Role::Primary).region;
    let Some(global) = snapshot.global_cluster.usable(now, policy.stale_after) else {
        return check(
            ID,
            CheckStatus::Warn,
            format!(
                "global cluster state unknown{}",
                error_suffix(snapshot.global_cluster.error.as_ref())
            ),
        );
    };
    if let Some(state) = &global.failover_state {
        return check(
            ID,
            CheckStatus::Fail,
            format!(
                "a failover/switchover is already in progress ({})",
                state.status
            ),
        );
    }
    match global.writer_region() {
        Some(region) if region == primary => {
            check(ID, CheckStatus::Pass, format!("writer is in {region}"))
        }
        Some(region) => check(
            ID,
            CheckStatus::Fail,
            format!("writer is already in {region}; failing over again needs failback first"),
        ),
        None => check(
            ID,
            CheckStatus::Fail,
            format!("{} has no writer", global.id),
        ),
    }
}

fn replication_lag(lag_ms: Option<f64>, policy: &Policy) -> Check {
    const ID: &str = "replication_lag";
    let budget_ms = policy.rpo_budget.as_secs_f64() * 1000.0;
    match lag_ms {
        Some(lag) if lag <= budget_ms => check(
            ID,
            CheckStatus::Pass,
            format!(
                "lag {} within RPO budget {}",
                format_ms(lag),
                format_ms(budget_ms)
            ),
        ),
        Some(lag) => check(
            ID,
            CheckStatus::Warn,
            format!(
                "lag {} exceeds RPO budget {}: a failover now loses that much",
                format_ms(lag),
                format_ms(budget_ms)
            ),
        ),
        None => check(
            ID,
            CheckStatus::Warn,
            "replication lag unknown: data at risk cannot be measured",
        ),
    }
}

fn secondary_health_checks(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: &str = "secondary_health_checks";
    if snapshot
        .health_checks
        .usable(now, policy.stale_after)
        .is_none()
    {
        return check(
            ID,
            CheckStatus::Warn,
            format!(
                "health check state unknown{}",
                error_suffix(snapshot.health_checks.error.as_ref())
            ),
        );
    }
    let region = &snapshot.region(Role::Secondary).region;
    let checks: Vec<_> = snapshot.health_checks_for(region).collect();
    if checks.is_empty() {
        return check(
            ID,
            CheckStatus::Warn,
            format!("no health check probes {region}"),
        );
    }
    let unhealthy: Vec<&str> = checks
        .iter()
        .filter(|check| check.healthy != Some(true))
        .map(|check| check.id.as_str())
        .collect();
    if unhealthy.is_empty() {
        check(
            ID,
            CheckStatus::Pass,
            format!("{} of {} healthy in {region}", checks.len(), checks.len()),
        )
    } else {
        check(
            ID,
            CheckStatus::Fail,
            format!("not healthy in {region}: {}", unhealthy.join(", ")),
        )
    }
}

fn secondary_alarms_quiet(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: &str = "secondary_alarms_quiet";
    let region = snapshot.region(Role::Secondary);
    match region.alarms.usable(now, policy.stale_after) {
        Some(alarms) => {
            let firing: Vec<&str> = alarms
                .iter()
                .filter(|alarm| alarm.state == AlarmState::Alarm)
                .map(|alarm| alarm.name.as_str())
                .collect();
            if firing.is_empty() {
                check(
                    ID,
                    CheckStatus::Pass,
                    format!("no alarm firing in {}", region.region),
                )
            } else {
                check(
                    ID,
                    CheckStatus::Warn,
                    format!("firing in {}: {}", region.region, firing.join(", ")),
                )
            }
        }
        None => check(
            ID,
            CheckStatus::Warn,
            format!(
                "alarms of {} unknown{}",
                region.region,
                error_suffix(region.alarms.error.as_ref())
            ),
        ),
    }
}

fn failover_state_machine(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: &str = "failover_state_machine";
    if !policy.state_machine_configured {
        return check(
            ID,
            CheckStatus::Warn,
            "no failover state machine configured: weights will be set directly",
        );
    }
    match snapshot.state_machine.usable(now, policy.stale_after) {
        Some(Some(machine)) => check(
            ID,
            CheckStatus::Pass,
            format!("{} present", short_arn(&machine.arn)),
        ),
        Some(None) => check(
            ID,
            CheckStatus::Warn,
            "configured state machine not found: weights will be set directly",
        ),
        None => check(
            ID,
            CheckStatus::Warn,
            format!(
                "state machine unknown{}",
                error_suffix(snapshot.state_machine.error.as_ref())
            ),
        ),
    }
}

fn dns_weights(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: &str = "dns_weights";
    let Some(dns) = snapshot.dns.usable(now, policy.stale_after) else {
        return check(
            ID,
            CheckStatus::Warn,
            format!(
                "DNS weights unknown{}",
                error_suffix(snapshot.dns.error.as_ref())
            ),
        );
    };
    let weight = |role: Role| {
        dns.weights
            .get(&snapshot.region(role).region)
            .copied()
            .flatten()
    };
    match (weight(Role::Primary), weight(Role::Secondary)) {
        (Some(p), Some(0)) if p > 0 => check(
            ID,
            CheckStatus::Pass,
            format!("all traffic to primary ({p}/0)"),
        ),
        (Some(p), Some(s)) => check(
            ID,
            CheckStatus::Warn,
            format!("traffic is split {p}/{s}, expected all on primary"),
        ),
        _ => check(
            ID,
            CheckStatus::Warn,
            format!("weighted records for {} incomplete", dns.record_name),
        ),
    }
}

fn data_fresh(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: &str = "data_fresh";
    let not_fresh: Vec<String> = snapshot
        .freshness(now, policy.stale_after)
        .into_iter()
        .filter(|(_, freshness)| *freshness != Freshness::Fresh)
        .map(|(source, freshness)| {
            let state = match freshness {
                Freshness::Pending => "pending",
                Freshness::Stale => "stale",
                _ => "failed",
            };
            match source.role() {
                Some(role) => format!("{} {} {state}", snapshot.region(role).region, source.name()),
                None => format!("{} {state}", source.name()),
            }
        })
        .collect();
    if not_fresh.is_empty() {
        check(
            ID,
            CheckStatus::Pass,
            "every source answered within the last polls",
        )
    } else {
        check(ID, CheckStatus::Warn, not_fresh.join(", "))
    }
}

/// The primary can serve when its health checks pass and its writer answers; otherwise a
/// planned switchover (which needs the primary) is off the table.
fn primary_healthy(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> bool {
    let primary = snapshot.region(Role::Primary);
    let cluster_ok = primary
        .aurora
        .usable(now, policy.stale_after)
        .is_some_and(|cluster| cluster.status == "available");
    let checks_ok = snapshot
        .health_checks
        .usable(now, policy.stale_after)
        .is_some()
        && {
            let mut checks = snapshot.health_checks_for(&primary.region).peekable();
            checks.peek().is_some() && checks.all(|check| check.healthy == Some(true))
        };
    cluster_ok && checks_ok
}

fn error_suffix(error: Option<&crate::model::FetchFailure>) -> String {
    error
        .map(|error| format!(": {}", error.message))
        .unwrap_or_default()
}

fn short_arn(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// Milliseconds as a human figure: "850 ms", "12.4 s", "3 min 5 s".
pub fn format_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        let secs = (ms / 1000.0).round() as u64;
        format!("{} min {} s", secs / 60, secs % 60)
    }
}
