//! The snapshot as it leaves drtui outside the TUI: the stable status JSON contract and the
//! compact text table. Unknown values are `null` (or "unknown"), never invented.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::clock::Timestamp;
use crate::config::RegionPair;
use crate::model::{AlarmState, Execution, Role, Snapshot, StackStatus};
use crate::readiness::{Readiness, format_ms};
use crate::text::sanitize;

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
    /// Who drtui acted as (the STS caller ARN on AWS).
    pub identity: Option<String>,
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
#[allow(
    clippy::too_many_lines,
    reason = "one field per line of the status JSON contract"
)]
pub fn build(
    pair: &RegionPair,
    snapshot: &Snapshot,
    readiness: &Readiness,
    now: Timestamp,
    api_calls: crate::model::CallCounts,
) -> StatusReport {
    let max_age = pair.stale_after();
    let regions = Role::BOTH
        .iter()
        .map(|&role| {
            let region = snapshot.region(role);
            let metrics = region.metrics.usable(now, max_age).cloned();
            let errors = snapshot
                .errors()
                .into_iter()
                .filter(|(source, _)| match source.role() {
                    Some(source_role) => source_role == role,
                    // Global sources are reported under the region whose API answers for them.
                    None => role == Role::Primary,
                })
                .map(|(source, error)| ErrorReport {
                    source: source.name(),
                    message: error.message(),
                    at: rfc3339(error.at),
                })
                .collect();
            let data_age_s = crate::model::Source::all()
                .into_iter()
                .filter(|source| source.role() == Some(role))
                .map(|source| {
                    let age = snapshot.meta(source).age(now).map(|age| age.as_secs_f64());
                    (source.name(), age)
                })
                .collect();
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
                    replication_lag_ms: metrics
                        .as_ref()
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
                metrics,
                stacks: region
                    .stacks
                    .usable(now, max_age)
                    .cloned()
                    .unwrap_or_default(),
                database_stacks_drift: region
                    .stacks
                    .usable(now, max_age)
                    .is_some_and(|stacks| stacks.iter().any(StackStatus::is_database))
                    .then(|| snapshot.failover_drift(now, max_age))
                    .flatten(),
                errors,
                data_age_s,
            }
        })
        .collect();
    let global = snapshot.global_cluster.usable(now, max_age);
    let dns = snapshot.dns.usable(now, max_age);
    let machine = snapshot
        .state_machine
        .usable(now, max_age)
        .and_then(Option::as_ref);
    StatusReport {
        pair: snapshot.pair.clone(),
        taken_at: rfc3339(now),
        complete: snapshot.is_complete(now, max_age),
        regions,
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
        identity: snapshot.identity.usable(now, max_age).cloned(),
        api_calls,
        cost: crate::cost::of(pair),
    }
}

fn execution_report(execution: &Execution) -> ExecutionReport {
    ExecutionReport {
        name: execution.name.clone(),
        status: execution.status.clone(),
        started_at: rfc3339(execution.started_at),
    }
}

fn or_unknown(value: Option<String>) -> String {
    value.unwrap_or_else(|| "unknown".to_owned())
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "unknown".to_owned(), |value| format!("{value:.2} %"))
}

/// A titled block of lines, or nothing when there are none.
fn section(out: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}");
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
}

/// The compact human table of `drtui status --format text`.
#[allow(
    clippy::too_many_lines,
    reason = "the text report top to bottom, one block per section"
)]
pub fn render_text(report: &StatusReport) -> String {
    let mut out = String::new();
    let readiness = &report.readiness;
    let _ = writeln!(
        out,
        "drtui status: {} at {}{}",
        sanitize(&report.pair),
        report.taken_at,
        if report.complete {
            ""
        } else {
            " (INCOMPLETE: some sources failed)"
        }
    );
    let _ = writeln!(
        out,
        "VERDICT {}  recommended: {}  data at risk: {}",
        readiness.verdict.as_str().to_uppercase(),
        readiness.recommendation.next.as_str(),
        readiness
            .data_at_risk_ms
            .map_or_else(|| "unknown".to_owned(), format_ms),
    );
    let _ = writeln!(
        out,
        "PHASE {}: {}\nNEXT  {}{}\n",
        readiness.phase.as_str(),
        sanitize(&readiness.estate.detail),
        sanitize(&readiness.recommendation.reason),
        readiness
            .recommendation
            .command
            .as_ref()
            .map(|command| format!("\n      {}", sanitize(command)))
            .unwrap_or_default()
    );
    let columns: Vec<&RegionReport> = report.regions.iter().collect();
    let width = columns
        .iter()
        .map(|region| region.aurora.cluster_id.chars().count() + 28)
        .max()
        .unwrap_or(34);
    let row = |out: &mut String, label: &str, cell: &dyn Fn(&RegionReport) -> String| {
        let _ = write!(out, "{label:<18}");
        for region in &columns {
            let _ = write!(out, "{:<width$}", sanitize(&cell(region)));
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    };
    row(&mut out, "", &|region| {
        format!("{} ({})", region.region, region.configured_role.as_str())
    });
    row(&mut out, "Aurora", &|region| {
        let role = match region.aurora.is_writer {
            Some(true) => "writer",
            Some(false) => "reader",
            None => "role unknown",
        };
        format!(
            "{} {}, {role}",
            region.aurora.cluster_id,
            or_unknown(region.aurora.status.clone())
        )
    });
    row(&mut out, "Replication lag", &|region| match (
        region.aurora.is_writer,
        region.aurora.replication_lag_ms,
    ) {
        (_, Some(lag)) => format_ms(lag),
        (Some(true), None) => "n/a (writer)".to_owned(),
        _ => "unknown".to_owned(),
    });
    row(&mut out, "Health checks", &|region| {
        if region.health_checks.is_empty() {
            return "unknown".to_owned();
        }
        region
            .health_checks
            .iter()
            .map(|check| {
                let state = match check.healthy {
                    Some(true) => "healthy",
                    Some(false) => "UNHEALTHY",
                    None => "unknown",
                };
                match (check.checkers_healthy, check.checkers_total) {
                    (Some(up), Some(total)) => format!("{state} {up}/{total}"),
                    _ => state.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    });
    row(&mut out, "API 5XX rate", &|region| {
        pct(region.metrics.as_ref().and_then(|m| m.api_5xx_rate_pct))
    });
    row(&mut out, "Lambda error rate", &|region| {
        pct(region
            .metrics
            .as_ref()
            .and_then(|m| m.lambda_error_rate_pct))
    });
    row(&mut out, "DB connections", &|region| {
        region
            .metrics
            .as_ref()
            .and_then(|m| m.db_connections)
            .map_or_else(|| "unknown".to_owned(), |value| format!("{value:.0}"))
    });
    row(&mut out, "Alarms", &|region| {
        if region.alarms.is_empty() {
            return "unknown".to_owned();
        }
        let firing: Vec<&str> = region
            .alarms
            .iter()
            .filter(|alarm| alarm.state == AlarmState::Alarm)
            .map(|alarm| alarm.name.as_str())
            .collect();
        if firing.is_empty() {
            format!("{} quiet", region.alarms.len())
        } else {
            format!("{} ALARM", firing.len())
        }
    });
    row(&mut out, "Stacks", &|region| {
        let total = region.stacks.len();
        if total == 0 {
            return "none known".to_owned();
        }
        let complete = region
            .stacks
            .iter()
            .filter(|stack| stack.is_settled())
            .count();
        let drift = if region.database_stacks_drift.is_some() {
            ", database drifted by failover (expected)"
        } else {
            ""
        };
        format!("{complete}/{total} complete{drift}")
    });
    let weights = crate::model::DnsWeights::text(&report.dns.weights, ", ");
    let _ = writeln!(
        out,
        "\nDNS {}: {}",
        sanitize(&report.dns.record_name),
        weights
    );
    let _ = writeln!(
        out,
        "Global cluster {}: writer {}{}",
        sanitize(&report.global_cluster.id),
        or_unknown(report.global_cluster.writer_region.clone()),
        report
            .global_cluster
            .failover_state
            .as_ref()
            .map(|state| format!(", {} in progress", state.status))
            .unwrap_or_default()
    );
    let machine = &report.failover_state_machine;
    let _ = writeln!(
        out,
        "Failover state machine: {}",
        match (&machine.arn, &machine.last_execution) {
            (None, _) => "not configured".to_owned(),
            (Some(_), Some(execution)) => format!(
                "last execution {} {} at {}",
                sanitize(&execution.name),
                execution.status,
                execution.started_at
            ),
            (Some(_), None) => "no recent execution known".to_owned(),
        }
    );
    // What is wrong, in full: the table above only counts it.
    let firing: Vec<String> = report
        .regions
        .iter()
        .flat_map(|region| {
            region
                .alarms
                .iter()
                .filter(|alarm| alarm.state == AlarmState::Alarm)
                .map(move |alarm| {
                    format!(
                        "  {} {}{}\n      {}",
                        region.region,
                        sanitize(&alarm.name),
                        alarm
                            .since
                            .as_ref()
                            .map(|since| format!(" since {since}"))
                            .unwrap_or_default(),
                        sanitize(&alarm.reason)
                    )
                })
        })
        .collect();
    section(&mut out, "FIRING ALARMS", &firing);
    let unsettled: Vec<String> = report
        .regions
        .iter()
        .flat_map(|region| {
            region
                .stacks
                .iter()
                .filter(|stack| !stack.is_settled())
                .map(move |stack| {
                    format!(
                        "  {} {} {}{}",
                        region.region,
                        sanitize(&stack.name),
                        sanitize(&stack.status),
                        stack
                            .reason
                            .as_deref()
                            .map(|reason| format!(": {}", sanitize(reason)))
                            .unwrap_or_default()
                    )
                })
        })
        .collect();
    section(&mut out, "STACKS NOT COMPLETE", &unsettled);
    let _ = writeln!(out, "\nCHECKS");
    // Failing first: the reason the verdict is what it is.
    let mut checks: Vec<_> = readiness.checks.iter().collect();
    checks.sort_by_key(|check| std::cmp::Reverse(check.status));
    for check in checks {
        let _ = writeln!(
            out,
            "  {:<4} {:<28} {}",
            check.status.as_str().to_uppercase(),
            check.id,
            sanitize(&check.detail)
        );
    }
    let errors: Vec<String> = report
        .regions
        .iter()
        .flat_map(|region| {
            region.errors.iter().map(move |error| {
                format!(
                    "  {} {}: {}",
                    region.region,
                    error.source,
                    sanitize(&error.message)
                )
            })
        })
        .collect();
    section(&mut out, "ERRORS", &errors);
    out
}
