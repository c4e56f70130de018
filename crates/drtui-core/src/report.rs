//! The snapshot as it leaves drtui outside the TUI: the stable status JSON contract (the text
//! table is drawn from it where it is shown, in the binary). Unknown values are `null`, never
//! invented.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::clock::Timestamp;
use crate::config::RegionPair;
use crate::model::{AlarmState, Execution, RegionMetrics, Role, Snapshot, StackStatus};
use crate::readiness::Readiness;

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub pair: String,
    pub taken_at: String,
    pub complete: bool,
    pub regions: Vec<RegionReport>,
    pub global_cluster: GlobalClusterReport,
    pub dns: DnsReport,
    pub failover_state_machine: StateMachineReport,
    pub readiness: Readiness,
    /// Every replicated store in each direction: its figures, their age, and what a move now
    /// does to its unreplicated data.
    pub stores: Vec<crate::stores::StoreReport>,
    /// What each region said of its code, capacity and configuration, and what the caller may
    /// do, with the age of each read (read every `parity_interval`).
    pub parity: ParityReport,
    /// Who drtui acted as (the STS caller ARN on AWS).
    pub identity: Option<String>,
    /// On a shared pair, where this snapshot came from ("shared from host-a 3 s ago", or this
    /// process polling for the crowd).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared: Option<String>,
    /// API calls this snapshot cost, by service and operation.
    pub api_calls: crate::model::CallCounts,
    /// What a dashboard left open with these settings costs in CloudWatch metrics.
    pub cost: crate::cost::Cost,
}

#[derive(Debug, Serialize)]
pub struct RegionReport {
    pub region: String,
    pub configured_role: Role,
    pub aurora: AuroraReport,
    pub health_checks: Vec<crate::model::HealthCheck>,
    pub alarms: Vec<AlarmReport>,
    pub metrics: Option<crate::model::RegionMetrics>,
    /// Seconds since the newest CloudWatch datapoint, when that is too old to be current (the
    /// figures in `metrics` are then null): CloudWatch answers but has nothing recent.
    pub metrics_silent_s: Option<f64>,
    pub stacks: Vec<crate::model::StackStatus>,
    /// Set after a failover: the database stacks' drift is expected (and why).
    pub database_stacks_drift: Option<String>,
    pub errors: Vec<ErrorReport>,
    /// Seconds since each source of this region last answered (`null`: never).
    pub data_age_s: BTreeMap<&'static str, Option<f64>>,
}

#[derive(Debug, Serialize)]
pub struct AuroraReport {
    pub cluster_id: String,
    pub is_writer: Option<bool>,
    pub status: Option<String>,
    pub replication_lag_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct AlarmReport {
    pub name: String,
    pub state: AlarmState,
    pub reason: String,
    pub since: Option<String>,
    /// What it watches and when it fires (metric, comparison, threshold, periods).
    pub rule: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ErrorReport {
    pub source: &'static str,
    pub message: String,
    pub at: String,
}

#[derive(Debug, Serialize)]
pub struct GlobalClusterReport {
    pub id: String,
    pub writer_region: Option<String>,
    pub failover_state: Option<crate::model::FailoverState>,
    pub status: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DnsReport {
    pub record_name: String,
    pub weights: BTreeMap<String, Option<u64>>,
}

#[derive(Debug, Serialize)]
pub struct StateMachineReport {
    pub arn: Option<String>,
    pub last_execution: Option<ExecutionReport>,
}

#[derive(Debug, Serialize)]
pub struct ExecutionReport {
    pub name: String,
    pub status: String,
    pub started_at: String,
}

fn rfc3339(at: Timestamp) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Builds the report. Only values recent enough to trust appear; the rest are `null`.
pub fn build(
    pair: &RegionPair,
    snapshot: &Snapshot,
    readiness: &Readiness,
    now: Timestamp,
    api_calls: crate::model::CallCounts,
) -> StatusReport {
    let max_age = pair.stale_after();
    let global = snapshot.global_cluster.usable(now, max_age);
    let dns = snapshot.dns.usable(now, max_age);
    let machine = snapshot
        .state_machine
        .usable(now, max_age)
        .and_then(Option::as_ref);
    StatusReport {
        pair: snapshot.pair.clone(),
        taken_at: rfc3339(now),
        // Every source answered, and with something: silence is not a complete answer.
        complete: snapshot.is_complete(now, max_age)
            && crate::observability::unobserved(snapshot, &pair.policy().expected, now, max_age)
                .is_empty(),
        regions: Role::BOTH
            .iter()
            .map(|&role| region_report(pair, snapshot, role, now))
            .collect(),
        global_cluster: GlobalClusterReport {
            id: pair.global_cluster.clone(),
            writer_region: global.and_then(|global| global.writer_region().map(str::to_owned)),
            failover_state: global.and_then(|global| global.failover_state.clone()),
            status: global.map(|global| global.status.clone()),
        },
        dns: DnsReport {
            record_name: pair.record_name.clone(),
            weights: Role::BOTH
                .iter()
                .map(|&role| {
                    let region = pair.region(role).to_owned();
                    let weight = dns.and_then(|dns| dns.weights.get(&region).copied().flatten());
                    (region, weight)
                })
                .collect(),
        },
        failover_state_machine: StateMachineReport {
            arn: pair.state_machine.clone(),
            last_execution: machine
                .and_then(|machine| machine.executions.first())
                .map(execution_report),
        },
        readiness: readiness.clone(),
        stores: crate::stores::reports(snapshot, now, &pair.policy()),
        parity: parity_report(snapshot, pair, now),
        identity: snapshot.identity.usable(now, max_age).cloned(),
        shared: None,
        api_calls,
        cost: crate::cost::of(pair),
    }
}

/// One region's part of the report.
fn region_report(
    pair: &RegionPair,
    snapshot: &Snapshot,
    role: Role,
    now: Timestamp,
) -> RegionReport {
    let max_age = pair.stale_after();
    let region = snapshot.region(role);
    // The figures, not the sparklines' history (the report is a snapshot).
    let metrics = region
        .metrics
        .usable(now, max_age)
        .cloned()
        .map(|metrics| RegionMetrics {
            history: crate::model::MetricHistory::default(),
            ..metrics
        });
    let stacks = region.stacks.usable(now, max_age);
    RegionReport {
        region: region.region.clone(),
        configured_role: role,
        aurora: AuroraReport {
            cluster_id: region.cluster_id.clone(),
            is_writer: snapshot.is_writer(role),
            status: region
                .aurora
                .usable(now, max_age)
                .map(|cluster| cluster.status.clone()),
            // A writer has no replication lag, whatever datapoints its days as the reader left.
            replication_lag_ms: metrics
                .as_ref()
                .filter(|_| snapshot.is_writer(role) != Some(true))
                .and_then(|metrics| metrics.replication_lag_ms),
        },
        health_checks: match snapshot.health_checks.usable(now, max_age) {
            Some(_) => snapshot
                .health_checks_for(&region.region)
                .cloned()
                .collect(),
            None => Vec::new(),
        },
        alarms: region
            .alarms
            .usable(now, max_age)
            .into_iter()
            .flatten()
            .map(|alarm| AlarmReport {
                name: alarm.name.clone(),
                state: alarm.state.clone(),
                reason: alarm.reason.clone(),
                since: alarm.since.map(rfc3339),
                rule: alarm.rule.clone(),
            })
            .collect(),
        metrics_silent_s: metrics
            .as_ref()
            .and_then(|metrics| metrics.silent_for(now))
            .map(|age| age.as_secs_f64()),
        metrics,
        stacks: stacks.cloned().unwrap_or_default(),
        database_stacks_drift: stacks
            .is_some_and(|stacks| stacks.iter().any(StackStatus::is_database))
            .then(|| snapshot.failover_drift(now, max_age))
            .flatten(),
        errors: region_errors(snapshot, role),
        data_age_s: crate::model::Source::all()
            .into_iter()
            .filter(|source| source.role() == Some(role))
            .map(|source| {
                let age = snapshot.meta(source).age(now).map(|age| age.as_secs_f64());
                (source.name(), age)
            })
            .collect(),
    }
}

/// The failed fetches reported under a region: its own, and the global sources' under the
/// primary.
fn region_errors(snapshot: &Snapshot, role: Role) -> Vec<ErrorReport> {
    snapshot
        .errors()
        .into_iter()
        .filter(|(source, _)| match source.role() {
            Some(source_role) => source_role == role,
            None => role == Role::Primary,
        })
        .map(|(source, error)| ErrorReport {
            source: source.name(),
            message: error.message(),
            at: rfc3339(error.at),
        })
        .collect()
}

fn execution_report(execution: &Execution) -> ExecutionReport {
    ExecutionReport {
        name: execution.name.clone(),
        status: execution.status.clone(),
        started_at: rfc3339(execution.started_at),
    }
}

#[derive(Debug, Serialize)]
pub struct ParityReport {
    pub interval_s: u64,
    /// Primary first; `facts` null until read.
    pub regions: Vec<RegionParityReport>,
    pub permissions: Option<crate::permissions::Permissions>,
    pub permissions_age_s: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct RegionParityReport {
    pub region: String,
    pub age_s: Option<f64>,
    pub facts: Option<crate::parity::RegionParity>,
}

fn parity_report(snapshot: &Snapshot, pair: &RegionPair, now: Timestamp) -> ParityReport {
    let age = |at: Option<std::time::Duration>| at.map(|age| age.as_secs_f64());
    ParityReport {
        interval_s: pair.parity_interval.as_secs(),
        regions: Role::BOTH
            .iter()
            .map(|role| {
                let region = snapshot.region(*role);
                RegionParityReport {
                    region: region.region.clone(),
                    age_s: age(region.parity.age(now)),
                    facts: region.parity.value.clone(),
                }
            })
            .collect(),
        permissions: snapshot.permissions.value.clone(),
        permissions_age_s: age(snapshot.permissions.age(now)),
    }
}
