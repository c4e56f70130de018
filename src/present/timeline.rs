//! A run's journal as a timeline: per-step durations and the total (the measured RTO), as
//! text or Markdown for the incident review.

use std::fmt::Write as _;

use drtui_core::runbook::journal::{Event, Record, RunHeader, RunSummary};
use drtui_core::wire::wire_name;

/// A run as text (or Markdown): header, one line per step attempt, and every approval.
pub fn render(records: &[Record], markdown: bool) -> String {
    let mut out = String::new();
    let summary = RunSummary::of(records);
    if let Some(header) = &summary.header {
        if markdown {
            markdown_header(&mut out, &summary, header);
        } else {
            text_header(&mut out, &summary, header);
        }
    }
    steps(&mut out, &summary, markdown);
    approvals_and_breaks(&mut out, records, markdown);
    out
}

/// The run's times, as the header prints them.
struct Times {
    outcome: String,
    total: String,
    active: String,
    gates: String,
    idle: String,
}

fn times(summary: &RunSummary) -> Times {
    let seconds =
        |secs: Option<f64>| secs.map_or_else(|| "?".to_owned(), |secs| format!("{secs:.1} s"));
    Times {
        outcome: summary.finished.as_ref().map_or_else(
            || "unfinished".to_owned(),
            |(kind, detail)| format!("{}: {}", wire_name(kind), detail.to_lowercase()),
        ),
        total: seconds(summary.total_seconds()),
        active: seconds(summary.active_seconds()),
        gates: seconds(Some(summary.gate_wait_s)),
        idle: seconds(Some(summary.idle_s)),
    }
}

fn markdown_header(out: &mut String, summary: &RunSummary, header: &RunHeader) {
    let RunHeader {
        at,
        runbook,
        runbook_hash: hash,
        pair,
        operator,
        mode,
        ..
    } = header;
    let Times {
        outcome,
        total,
        active,
        gates,
        idle,
    } = times(summary);
    let (active_label, run_id) = (rto_label(summary, " (RTO)"), &summary.run_id);
    let _ = writeln!(out, "## Run `{run_id}`\n");
    let _ = writeln!(
        out,
        "- runbook: `{runbook}` ({mode}), sha256 `{}`",
        &hash[..hash.len().min(12)]
    );
    let _ = writeln!(out, "- pair: `{pair}`, operator: {operator}");
    let _ = writeln!(out, "- started: {}", at.to_rfc3339());
    let _ = writeln!(out, "- outcome: {outcome}");
    let _ = writeln!(out, "- active time{active_label}: {active}");
    let _ = writeln!(out, "- waiting at gates: {gates}");
    let _ = writeln!(out, "- idle between a stop and a resume: {idle}");
    let _ = writeln!(out, "- wall clock: {total}\n");
    let _ = writeln!(
        out,
        "| step | kind | outcome | duration | detail |\n|---|---|---|---|---|"
    );
}

fn text_header(out: &mut String, summary: &RunSummary, header: &RunHeader) {
    let times = times(summary);
    let _ = writeln!(
        out,
        "run {} · {} ({}) on {} by {}",
        summary.run_id, header.runbook, header.mode, header.pair, header.operator
    );
    let _ = writeln!(
        out,
        "started {} · {}\nactive {}{} · at gates {} · idle {} · wall clock {}\n",
        header.at.to_rfc3339(),
        times.outcome,
        times.active,
        rto_label(summary, " (the RTO)"),
        times.gates,
        times.idle,
        times.total
    );
}

/// One line (or table row) per step attempt.
fn steps(out: &mut String, summary: &RunSummary, markdown: bool) {
    for line in &summary.lines {
        let duration = line
            .seconds()
            .map_or_else(|| "-".to_owned(), |secs| format!("{secs:.1} s"));
        if markdown {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {duration} | {} |",
                line.step,
                line.kind,
                line.outcome,
                line.detail.replace('|', "/")
            );
        } else {
            let _ = writeln!(
                out,
                "  {:<24} {:<7} {:<9} {:>8}  {}",
                line.step,
                line.kind,
                line.outcome.to_string(),
                duration,
                line.detail
            );
        }
    }
}

/// Every approval with the data at risk when it was given, every broken lock and every
/// escalation to another runbook.
fn approvals_and_breaks(out: &mut String, records: &[Record], markdown: bool) {
    let bullet = if markdown { "- " } else { "  " };
    for record in records {
        let at = record.at.to_rfc3339();
        match &record.event {
            Event::LockBroken { by, reason } => {
                let _ = writeln!(out, "{bullet}lock broken by {by} at {at}: {reason}");
            }
            Event::Note { detail } => {
                let _ = writeln!(out, "{bullet}note at {at}: {detail}");
            }
            Event::Escalated {
                by, from, runbook, ..
            } => {
                let _ = writeln!(
                    out,
                    "{bullet}escalated from {from} to {runbook} by {by} at {at}"
                );
            }
            Event::Approved {
                step,
                by,
                how,
                data_at_risk_ms,
                data_at_risk_age_s,
                stores,
            } => {
                let risk = data_at_risk_ms
                    .map_or_else(|| "unknown".to_owned(), drtui_core::readiness::format_ms);
                let risk = match data_at_risk_age_s {
                    Some(age) => format!("{risk} (read {age:.0} s before)"),
                    None => risk,
                };
                let _ = writeln!(
                    out,
                    "{bullet}approved {step} by {by} ({how}) at {at}, data at risk {risk}"
                );
                for store in stores {
                    let figure = store
                        .lag_ms
                        .map_or_else(|| "unknown".to_owned(), drtui_core::readiness::format_ms);
                    let read = store
                        .age_s
                        .map(|age| format!(" (read {age:.0} s before)"))
                        .unwrap_or_default();
                    let _ = writeln!(out, "{bullet}  {}: {figure}{read}", store.store);
                }
            }
            _ => {}
        }
    }
}

/// The active time is the RTO only for a run that moved the writer or the traffic (not for a
/// `provision` run, say).
fn rto_label(summary: &RunSummary, label: &'static str) -> &'static str {
    if summary.moved { label } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drtui_core::runbook::journal::Event;

    fn run(mutation: &str) -> Vec<Record> {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("valid");
        let record = |event| Record {
            at,
            run_id: "r".into(),
            event,
        };
        vec![
            record(Event::RunStarted {
                runbook: "x".into(),
                runbook_hash: "h".into(),
                pair: "demo".into(),
                operator: "me".into(),
                mode: "graceful".into(),
                source: None,
            }),
            record(Event::StepStarted {
                step: "s".into(),
                kind: "action".into(),
                inputs: serde_json::json!({ "mutation": mutation }),
            }),
        ]
    }

    #[test]
    fn active_time_is_called_the_rto_only_for_a_run_that_moved_something() {
        assert!(render(&run("aurora_failover"), false).contains("(the RTO)"));
        assert!(render(&run("aurora_failover"), true).contains("active time (RTO)"));
        assert!(!render(&run("deploy_stack"), false).contains("RTO"));
        assert!(!render(&run("deploy_stack"), true).contains("RTO"));
    }
}
