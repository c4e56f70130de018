//! A run's journal as a timeline: per-step durations and the total (the measured RTO), as
//! text or Markdown for the incident review.

use std::fmt::Write as _;

use super::journal::{Event, Record, RunHeader, RunSummary};
use crate::wire::wire_name;

/// A run as text (or Markdown): header, one line per step attempt, and every approval.
#[allow(
    clippy::too_many_lines,
    reason = "the timeline top to bottom: header, steps, approvals, in text and Markdown"
)]
pub fn render(records: &[Record], markdown: bool) -> String {
    let mut out = String::new();
    let summary = RunSummary::of(records);
    let outcome = summary
        .finished
        .as_ref()
        .map(|(kind, detail)| format!("{}: {}", wire_name(kind), detail.to_lowercase()));
    let seconds =
        |secs: Option<f64>| secs.map_or_else(|| "?".to_owned(), |secs| format!("{secs:.1} s"));
    let total = seconds(summary.total_seconds());
    let active = seconds(summary.active_seconds());
    let gates = seconds(Some(summary.gate_wait_s));
    let idle = seconds(Some(summary.idle_s));
    if let Some(RunHeader {
        at,
        runbook,
        runbook_hash: hash,
        pair,
        operator,
        mode,
        ..
    }) = &summary.header
    {
        let run_id = &summary.run_id;
        if markdown {
            let _ = writeln!(out, "## Run `{}`\n", run_id);
            let _ = writeln!(
                out,
                "- runbook: `{runbook}` ({mode}), sha256 `{}`",
                &hash[..hash.len().min(12)]
            );
            let _ = writeln!(out, "- pair: `{pair}`, operator: {operator}");
            let _ = writeln!(out, "- started: {}", at.to_rfc3339());
            let _ = writeln!(
                out,
                "- outcome: {}",
                outcome.clone().unwrap_or_else(|| "unfinished".to_owned())
            );
            let _ = writeln!(
                out,
                "- active time{}: {active}",
                rto_label(&summary, " (RTO)")
            );
            let _ = writeln!(out, "- waiting at gates: {gates}");
            let _ = writeln!(out, "- idle between a stop and a resume: {idle}");
            let _ = writeln!(out, "- wall clock: {total}\n");
            let _ = writeln!(
                out,
                "| step | kind | outcome | duration | detail |\n|---|---|---|---|---|"
            );
        } else {
            let _ = writeln!(
                out,
                "run {} · {runbook} ({mode}) on {pair} by {operator}",
                run_id
            );
            let _ = writeln!(
                out,
                "started {} · {}\nactive {active}{} · at gates {gates} · idle {idle} · wall clock {total}\n",
                at.to_rfc3339(),
                outcome.clone().unwrap_or_else(|| "unfinished".to_owned()),
                rto_label(&summary, " (the RTO)")
            );
        }
    }
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
                line.step, line.kind, line.outcome, duration, line.detail
            );
        }
    }
    for record in records {
        if let Event::LockBroken { by, reason } = &record.event {
            let _ = writeln!(
                out,
                "{}lock broken by {by} at {}: {reason}",
                if markdown { "- " } else { "  " },
                record.at.to_rfc3339()
            );
        }
        if let Event::Approved {
            step,
            by,
            how,
            data_at_risk_ms,
        } = &record.event
        {
            let risk =
                data_at_risk_ms.map_or_else(|| "unknown".to_owned(), crate::readiness::format_ms);
            let _ = writeln!(
                out,
                "{}approved {step} by {by} ({how}) at {}, data at risk {risk}",
                if markdown { "- " } else { "  " },
                record.at.to_rfc3339()
            );
        }
    }
    out
}

/// The active time is the RTO only for a run that moved the writer or the traffic (not for a
/// `provision` run, say).
fn rto_label(summary: &RunSummary, label: &'static str) -> &'static str {
    if summary.moved { label } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::journal::Event;

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
