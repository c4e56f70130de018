//! Snapshot -> verdict: can we fail over now, and what would it cost? Pure and table-tested.
//! Every check names what it looked at; unknown and stale data are never a pass.

use std::time::Duration;

use serde::Serialize;

use crate::clock::Timestamp;
use crate::model::{Freshness, Role, Snapshot};

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

/// The verdict's named checks. `as_str` is the one spelling of each name: in JSON (through
/// `Serialize`), in the text status and on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckId {
    SecondaryClusterAvailable,
    WriterInPrimary,
    ReplicationLag,
    SecondaryHealthChecks,
    SecondaryAlarmsQuiet,
    FailoverStateMachine,
    DnsWeights,
    DataFresh,
}

impl CheckId {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::SecondaryClusterAvailable => "secondary_cluster_available",
            CheckId::WriterInPrimary => "writer_in_primary",
            CheckId::ReplicationLag => "replication_lag",
            CheckId::SecondaryHealthChecks => "secondary_health_checks",
            CheckId::SecondaryAlarmsQuiet => "secondary_alarms_quiet",
            CheckId::FailoverStateMachine => "failover_state_machine",
            CheckId::DnsWeights => "dns_weights",
            CheckId::DataFresh => "data_fresh",
        }
    }
}

impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub id: CheckId,
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

impl Readiness {
    /// One named check of the verdict.
    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|check| check.id == id)
    }
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

fn check(id: CheckId, status: CheckStatus, detail: impl Into<String>) -> Check {
    Check {
        id,
        status,
        detail: detail.into(),
    }
}

/// The lag the reader reports: normally the secondary; after a failover, the old primary.
fn replication_lag_ms(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Option<f64> {
    [Role::Secondary, Role::Primary]
        .into_iter()
        .find_map(|role| {
            snapshot
                .region(role)
                .metrics
                .usable(now, policy.stale_after)
                .and_then(|metrics| metrics.replication_lag_ms)
        })
}

fn secondary_cluster_available(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: CheckId = CheckId::SecondaryClusterAvailable;
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
    const ID: CheckId = CheckId::WriterInPrimary;
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
    const ID: CheckId = CheckId::ReplicationLag;
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
    const ID: CheckId = CheckId::SecondaryHealthChecks;
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
    const ID: CheckId = CheckId::SecondaryAlarmsQuiet;
    let region = snapshot.region(Role::Secondary);
    match region.alarms.usable(now, policy.stale_after) {
        Some(alarms) => {
            let firing = crate::model::firing_alarms(alarms);
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
    const ID: CheckId = CheckId::FailoverStateMachine;
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
    const ID: CheckId = CheckId::DnsWeights;
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
    const ID: CheckId = CheckId::DataFresh;
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

/// Snapshots of the demo pair in named states, shared by the core's unit tests.
#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::RegionPair;
    use crate::model::{
        Alarm, AlarmState, AuroraCluster, DnsWeights, FailoverState, GlobalCluster, GlobalMember,
        HealthCheck, RegionMetrics, Source, SourceData, SourceUpdate, StateMachineStatus,
    };

    pub(crate) fn t(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("valid")
    }

    fn policy() -> Policy {
        RegionPair::demo().policy()
    }

    pub(crate) fn health(region: &str, healthy: bool) -> HealthCheck {
        HealthCheck {
            id: format!("hc-{region}"),
            region: Some(region.to_owned()),
            healthy: Some(healthy),
            checkers_healthy: Some(if healthy { 8 } else { 0 }),
            checkers_total: Some(8),
            percent_healthy: None,
        }
    }

    pub(crate) fn alarm(name: &str, state: AlarmState) -> Alarm {
        Alarm {
            name: name.to_owned(),
            state,
            reason: String::new(),
            since: None,
        }
    }

    fn metrics(lag: Option<f64>) -> RegionMetrics {
        RegionMetrics {
            replication_lag_ms: lag,
            ..RegionMetrics::default()
        }
    }

    /// Every source fresh at t(0): the estate an on-call engineer hopes to see.
    pub(crate) fn healthy() -> Snapshot {
        let pair = RegionPair::demo();
        let mut snapshot = pair.empty_snapshot();
        let updates = [
            (
                Source::Aurora(Role::Primary),
                SourceData::Aurora(AuroraCluster {
                    cluster_id: "p".into(),
                    status: "available".into(),
                    endpoint: None,
                    reader_endpoint: None,
                }),
            ),
            (
                Source::Aurora(Role::Secondary),
                SourceData::Aurora(AuroraCluster {
                    cluster_id: "s".into(),
                    status: "available".into(),
                    endpoint: None,
                    reader_endpoint: None,
                }),
            ),
            (
                Source::Metrics(Role::Primary),
                SourceData::Metrics(metrics(None)),
            ),
            (
                Source::Metrics(Role::Secondary),
                SourceData::Metrics(metrics(Some(250.0))),
            ),
            (
                Source::Alarms(Role::Primary),
                SourceData::Alarms(vec![alarm("p-5xx", AlarmState::Ok)]),
            ),
            (
                Source::Alarms(Role::Secondary),
                SourceData::Alarms(vec![alarm("s-5xx", AlarmState::Ok)]),
            ),
            (Source::Stacks(Role::Primary), SourceData::Stacks(vec![])),
            (Source::Stacks(Role::Secondary), SourceData::Stacks(vec![])),
            (
                Source::GlobalCluster,
                SourceData::GlobalCluster(global("us-east-1", None)),
            ),
            (Source::Dns, SourceData::Dns(weights(Some(100), Some(0)))),
            (
                Source::HealthChecks,
                SourceData::HealthChecks(vec![
                    health("us-east-1", true),
                    health("us-east-2", true),
                ]),
            ),
            (
                Source::StateMachine,
                SourceData::StateMachine(Some(StateMachineStatus {
                    arn: "arn:aws:states:us-east-1:1:stateMachine:fo".into(),
                    executions: vec![],
                })),
            ),
            (
                Source::Identity,
                SourceData::Identity("arn:aws:iam::1:user/oncall".into()),
            ),
        ];
        for (source, data) in updates {
            snapshot.apply(SourceUpdate {
                source,
                at: t(0),
                result: Ok(data),
            });
        }
        snapshot
    }

    pub(crate) fn global(writer: &str, failover: Option<&str>) -> GlobalCluster {
        GlobalCluster {
            id: "g".into(),
            status: "available".into(),
            members: ["us-east-1", "us-east-2"]
                .iter()
                .map(|region| GlobalMember {
                    arn: None,
                    cluster_id: format!("c-{region}"),
                    region: (*region).into(),
                    is_writer: *region == writer,
                    synchronization_status: None,
                })
                .collect(),
            failover_state: failover.map(|status| FailoverState {
                status: status.into(),
                from_region: None,
                to_region: None,
                from_db_cluster_arn: None,
                to_db_cluster_arn: None,
                is_data_loss_allowed: None,
            }),
        }
    }

    pub(crate) fn weights(primary: Option<u64>, secondary: Option<u64>) -> DnsWeights {
        DnsWeights {
            record_name: "api".into(),
            weights: BTreeMap::from([
                ("us-east-1".into(), primary),
                ("us-east-2".into(), secondary),
            ]),
        }
    }

    pub(crate) fn set(snapshot: &mut Snapshot, source: Source, result: Result<SourceData, &str>) {
        snapshot.apply(SourceUpdate {
            source,
            at: t(0),
            result: result.map_err(str::to_owned),
        });
    }

    fn status_of(readiness: &Readiness, id: &str) -> CheckStatus {
        readiness
            .checks
            .iter()
            .find(|check| check.id.as_str() == id)
            .map(|check| check.status)
            .expect(id)
    }

    struct Case {
        name: &'static str,
        change: fn(&mut Snapshot),
        /// Seconds after the snapshot was taken that it is judged.
        at: i64,
        check: &'static str,
        status: CheckStatus,
        verdict: Verdict,
        runbook: Option<Runbook>,
    }

    #[test]
    #[allow(
        clippy::too_many_lines,
        reason = "one table row per check and state, read top to bottom"
    )]
    fn every_check_in_every_state() {
        use CheckStatus::{Fail, Pass, Warn};
        let cases = [
            Case {
                name: "healthy estate",
                change: |_| {},
                at: 1,
                check: "data_fresh",
                status: Pass,
                verdict: Verdict::Ready,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "secondary cluster not available",
                change: |s| {
                    set(
                        s,
                        Source::Aurora(Role::Secondary),
                        Ok(SourceData::Aurora(AuroraCluster {
                            cluster_id: "s".into(),
                            status: "backing-up".into(),
                            endpoint: None,
                            reader_endpoint: None,
                        })),
                    )
                },
                at: 1,
                check: "secondary_cluster_available",
                status: Fail,
                verdict: Verdict::NotReady,
                runbook: None,
            },
            Case {
                name: "secondary cluster never answered",
                change: |s| {
                    s.regions[1].aurora = Default::default();
                    set(s, Source::Aurora(Role::Secondary), Err("AccessDenied"));
                },
                at: 1,
                check: "secondary_cluster_available",
                status: Fail,
                verdict: Verdict::NotReady,
                runbook: None,
            },
            Case {
                name: "writer already in secondary",
                change: |s| {
                    set(
                        s,
                        Source::GlobalCluster,
                        Ok(SourceData::GlobalCluster(global("us-east-2", None))),
                    )
                },
                at: 1,
                check: "writer_in_primary",
                status: Fail,
                verdict: Verdict::NotReady,
                runbook: None,
            },
            Case {
                name: "failover already in progress",
                change: |s| {
                    set(
                        s,
                        Source::GlobalCluster,
                        Ok(SourceData::GlobalCluster(global(
                            "us-east-1",
                            Some("failing-over"),
                        ))),
                    )
                },
                at: 1,
                check: "writer_in_primary",
                status: Fail,
                verdict: Verdict::NotReady,
                runbook: None,
            },
            Case {
                name: "lag over budget",
                change: |s| {
                    set(
                        s,
                        Source::Metrics(Role::Secondary),
                        Ok(SourceData::Metrics(metrics(Some(42_000.0)))),
                    )
                },
                at: 1,
                check: "replication_lag",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "lag exactly at budget passes",
                change: |s| {
                    set(
                        s,
                        Source::Metrics(Role::Secondary),
                        Ok(SourceData::Metrics(metrics(Some(10_000.0)))),
                    )
                },
                at: 1,
                check: "replication_lag",
                status: Pass,
                verdict: Verdict::Ready,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "lag unknown",
                change: |s| {
                    set(
                        s,
                        Source::Metrics(Role::Secondary),
                        Ok(SourceData::Metrics(metrics(None))),
                    )
                },
                at: 1,
                check: "replication_lag",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "secondary health check failing",
                change: |s| {
                    set(
                        s,
                        Source::HealthChecks,
                        Ok(SourceData::HealthChecks(vec![
                            health("us-east-1", true),
                            health("us-east-2", false),
                        ])),
                    )
                },
                at: 1,
                check: "secondary_health_checks",
                status: Fail,
                verdict: Verdict::NotReady,
                runbook: None,
            },
            Case {
                name: "no health check on secondary",
                change: |s| {
                    set(
                        s,
                        Source::HealthChecks,
                        Ok(SourceData::HealthChecks(vec![health("us-east-1", true)])),
                    )
                },
                at: 1,
                check: "secondary_health_checks",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "primary unhealthy recommends failover",
                change: |s| {
                    set(
                        s,
                        Source::HealthChecks,
                        Ok(SourceData::HealthChecks(vec![
                            health("us-east-1", false),
                            health("us-east-2", true),
                        ])),
                    )
                },
                at: 1,
                check: "secondary_health_checks",
                status: Pass,
                verdict: Verdict::Ready,
                runbook: Some(Runbook::Failover),
            },
            Case {
                name: "secondary alarm firing",
                change: |s| {
                    set(
                        s,
                        Source::Alarms(Role::Secondary),
                        Ok(SourceData::Alarms(vec![alarm("s-5xx", AlarmState::Alarm)])),
                    )
                },
                at: 1,
                check: "secondary_alarms_quiet",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "secondary alarms unknown",
                change: |s| {
                    s.regions[1].alarms = Default::default();
                },
                at: 1,
                check: "secondary_alarms_quiet",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "state machine missing",
                change: |s| set(s, Source::StateMachine, Ok(SourceData::StateMachine(None))),
                at: 1,
                check: "failover_state_machine",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "traffic split",
                change: |s| {
                    set(
                        s,
                        Source::Dns,
                        Ok(SourceData::Dns(weights(Some(50), Some(50)))),
                    )
                },
                at: 1,
                check: "dns_weights",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "weighted record missing",
                change: |s| {
                    set(
                        s,
                        Source::Dns,
                        Ok(SourceData::Dns(weights(Some(100), None))),
                    )
                },
                at: 1,
                check: "dns_weights",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "one source failing is not fresh",
                change: |s| set(s, Source::Stacks(Role::Primary), Err("Throttling")),
                at: 1,
                check: "data_fresh",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "everything stale: nothing can be trusted",
                change: |_| {},
                at: 60,
                check: "secondary_cluster_available",
                status: Fail,
                verdict: Verdict::NotReady,
                runbook: None,
            },
        ];
        for case in cases {
            let mut snapshot = healthy();
            (case.change)(&mut snapshot);
            let readiness = assess(&snapshot, t(case.at), &policy());
            assert_eq!(
                status_of(&readiness, case.check),
                case.status,
                "{}: {:#?}",
                case.name,
                readiness.checks
            );
            assert_eq!(
                readiness.verdict, case.verdict,
                "{}: {:#?}",
                case.name, readiness.checks
            );
            assert_eq!(readiness.recommended_runbook, case.runbook, "{}", case.name);
        }
    }

    #[test]
    fn data_at_risk_is_the_secondary_lag_and_null_when_unknown() {
        let snapshot = healthy();
        assert_eq!(
            assess(&snapshot, t(1), &policy()).data_at_risk_ms,
            Some(250.0)
        );
        assert_eq!(assess(&snapshot, t(600), &policy()).data_at_risk_ms, None);
    }

    #[test]
    fn unconfigured_state_machine_warns() {
        let policy = Policy {
            state_machine_configured: false,
            ..policy()
        };
        let readiness = assess(&healthy(), t(1), &policy);
        assert_eq!(
            status_of(&readiness, "failover_state_machine"),
            CheckStatus::Warn
        );
    }

    #[test]
    fn human_durations() {
        assert_eq!(format_ms(850.0), "850 ms");
        assert_eq!(format_ms(12_400.0), "12.4 s");
        assert_eq!(format_ms(185_000.0), "3 min 5 s");
    }
}
