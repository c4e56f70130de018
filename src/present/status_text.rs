//! `drtui status --format text`: the compact human table, drawn from the status report.
//! Unknown values read "unknown", never invented.

use std::fmt::Write as _;

use drtui_core::model::AlarmState;
use drtui_core::readiness::format_ms;
use drtui_core::report::{RegionReport, StatusReport};
use drtui_core::text::sanitize;

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

/// The compact human table of `drtui status --format text`: the verdict, one column per
/// region, the pair-wide facts, then what is wrong in full.
pub fn render_text(report: &StatusReport) -> String {
    let mut out = String::new();
    verdict(&mut out, report);
    regions_table(&mut out, &report.regions);
    pair_facts(&mut out, report);
    let stores: Vec<String> = report
        .stores
        .iter()
        .map(|store| format!("  {}", sanitize(&store.line())))
        .collect();
    section(
        &mut out,
        "STORES (data at risk on a move, by direction)",
        &stores,
    );
    section(&mut out, "PARITY AND PERMISSIONS", &parity_lines(report));
    section(&mut out, "FIRING ALARMS", &firing_alarms(report));
    section(&mut out, "STACKS NOT COMPLETE", &unsettled_stacks(report));
    checks(&mut out, report);
    section(&mut out, "ERRORS", &errors(report));
    out
}

/// The header: pair, time, verdict, phase and the next step.
fn verdict(out: &mut String, report: &StatusReport) {
    let readiness = &report.readiness;
    let incomplete = if report.complete {
        ""
    } else {
        " (INCOMPLETE: some sources failed)"
    };
    let _ = writeln!(
        out,
        "drtui status: {} at {}{incomplete}",
        sanitize(&report.pair),
        report.taken_at,
    );
    if let Some(shared) = &report.shared {
        let _ = writeln!(out, "{}", sanitize(shared));
    }
    let _ = writeln!(
        out,
        "VERDICT {}  recommended: {}  data at risk: {}{}",
        readiness.verdict.as_str().to_uppercase(),
        readiness.recommendation.next.as_str(),
        readiness
            .data_at_risk_ms
            .map_or_else(|| "unknown".to_owned(), format_ms),
        readiness
            .data_at_risk_store
            .as_ref()
            .map(|store| format!(" ({})", sanitize(store)))
            .unwrap_or_default(),
    );
    let command = readiness
        .recommendation
        .command
        .as_ref()
        .map(|command| format!("\n      {}", sanitize(command)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "PHASE {}: {}\nNEXT  {}{command}\n",
        readiness.phase.as_str(),
        sanitize(&readiness.estate.detail),
        sanitize(&readiness.recommendation.reason),
    );
}

/// How one fact of one region reads in its table cell.
type Cell = fn(&RegionReport) -> String;

/// One column per region, one row per fact.
fn regions_table(out: &mut String, regions: &[RegionReport]) {
    let width = regions
        .iter()
        .map(|region| region.aurora.cluster_id.chars().count() + 28)
        .max()
        .unwrap_or(34);
    let rows: [(&str, Cell); 10] = [
        ("", |region| {
            format!("{} ({})", region.region, region.configured_role.as_str())
        }),
        ("Aurora", aurora_cell),
        ("Replication lag", lag_cell),
        ("Health checks", health_cell),
        ("CloudWatch", |region| {
            match (&region.metrics, region.metrics_silent_s) {
                (_, Some(silent)) => {
                    format!("STALE: newest datapoint {} old", format_ms(silent * 1000.0))
                }
                (Some(_), None) => "current".to_owned(),
                (None, None) => "unknown".to_owned(),
            }
        }),
        ("API 5XX rate", |region| {
            pct(region.metrics.as_ref().and_then(|m| m.api_5xx_rate_pct))
        }),
        ("Lambda error rate", |region| {
            pct(region
                .metrics
                .as_ref()
                .and_then(|m| m.lambda_error_rate_pct))
        }),
        ("DB connections", |region| {
            region
                .metrics
                .as_ref()
                .and_then(|m| m.db_connections)
                .map_or_else(|| "unknown".to_owned(), |value| format!("{value:.0}"))
        }),
        ("Alarms", alarms_cell),
        ("Stacks", stacks_cell),
    ];
    for (label, cell) in rows {
        let _ = write!(out, "{label:<18}");
        for region in regions {
            let _ = write!(out, "{:<width$}", sanitize(&cell(region)));
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    }
}

fn aurora_cell(region: &RegionReport) -> String {
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
}

fn lag_cell(region: &RegionReport) -> String {
    match (region.aurora.is_writer, region.aurora.replication_lag_ms) {
        (_, Some(lag)) => format_ms(lag),
        (Some(true), None) => "n/a (writer)".to_owned(),
        _ => "unknown".to_owned(),
    }
}

fn health_cell(region: &RegionReport) -> String {
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
}

fn alarms_cell(region: &RegionReport) -> String {
    if region.alarms.is_empty() {
        return "unknown".to_owned();
    }
    let firing = region
        .alarms
        .iter()
        .filter(|alarm| alarm.state == AlarmState::Alarm)
        .count();
    if firing == 0 {
        format!("{} quiet", region.alarms.len())
    } else {
        format!("{firing} ALARM")
    }
}

fn stacks_cell(region: &RegionReport) -> String {
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
}

/// DNS, the global cluster and the failover state machine.
fn pair_facts(out: &mut String, report: &StatusReport) {
    let weights = drtui_core::model::DnsWeights::text(&report.dns.weights, ", ");
    let _ = writeln!(
        out,
        "\nDNS {}: {}",
        sanitize(&report.dns.record_name),
        weights
    );
    let moving = report
        .global_cluster
        .failover_state
        .as_ref()
        .map(|state| format!(", {} in progress", state.status))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Global cluster {}: writer {}{moving}",
        sanitize(&report.global_cluster.id),
        or_unknown(report.global_cluster.writer_region.clone()),
    );
    let machine = &report.failover_state_machine;
    let execution = match (&machine.arn, &machine.last_execution) {
        (None, _) => "not configured".to_owned(),
        (Some(_), Some(execution)) => format!(
            "last execution {} {} at {}",
            sanitize(&execution.name),
            execution.status,
            execution.started_at
        ),
        (Some(_), None) => "no recent execution known".to_owned(),
    };
    let _ = writeln!(out, "Failover state machine: {execution}");
}

/// Every firing alarm in full: the table above only counts them.
fn firing_alarms(report: &StatusReport) -> Vec<String> {
    let mut lines = Vec::new();
    for region in &report.regions {
        for alarm in region
            .alarms
            .iter()
            .filter(|alarm| alarm.state == AlarmState::Alarm)
        {
            let since = alarm
                .since
                .as_ref()
                .map(|since| format!(" since {since}"))
                .unwrap_or_default();
            lines.push(format!(
                "  {} {}{since}\n      {}",
                region.region,
                sanitize(&alarm.name),
                sanitize(&alarm.reason)
            ));
        }
    }
    lines
}

fn unsettled_stacks(report: &StatusReport) -> Vec<String> {
    let mut lines = Vec::new();
    for region in &report.regions {
        for stack in region.stacks.iter().filter(|stack| !stack.is_settled()) {
            let reason = stack
                .reason
                .as_deref()
                .map(|reason| format!(": {}", sanitize(reason)))
                .unwrap_or_default();
            lines.push(format!(
                "  {} {} {}{reason}",
                region.region,
                sanitize(&stack.name),
                sanitize(&stack.status),
            ));
        }
    }
    lines
}

/// Every readiness check, failing first: the reason the verdict is what it is.
fn checks(out: &mut String, report: &StatusReport) {
    let _ = writeln!(out, "\nCHECKS");
    let mut checks: Vec<_> = report.readiness.checks.iter().collect();
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
}

fn errors(report: &StatusReport) -> Vec<String> {
    report
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
        .collect()
}

/// When parity and the permissions were read (their checks say what they found).
fn parity_lines(report: &StatusReport) -> Vec<String> {
    let parity = &report.parity;
    let age =
        |age: Option<f64>| age.map_or_else(|| "never".to_owned(), |s| format!("{s:.0} s ago"));
    let mut lines: Vec<String> = parity
        .regions
        .iter()
        .map(|region| {
            let unread = region.facts.as_ref().map_or(0, |facts| facts.unread.len());
            format!(
                "  {} read {}{}",
                sanitize(&region.region),
                age(region.age_s),
                if unread > 0 {
                    format!(", {unread} part(s) unread")
                } else {
                    String::new()
                }
            )
        })
        .collect();
    let principal = parity
        .permissions
        .as_ref()
        .and_then(|permissions| permissions.principal.as_deref())
        .unwrap_or("the caller");
    lines.push(format!(
        "  permissions of {} simulated {}",
        sanitize(principal),
        age(parity.permissions_age_s)
    ));
    lines.push(format!(
        "  (read every {} s; the checks below say what differs)",
        parity.interval_s
    ));
    lines
}
