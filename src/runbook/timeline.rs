//! A run's journal as a timeline: per-step durations and the total (the measured RTO), as
//! text or Markdown for the incident review.

use std::fmt::Write as _;

use super::journal::{Event, Record};
use crate::clock::elapsed;

#[derive(Clone, Debug, PartialEq)]
pub struct StepLine {
    pub step: String,
    pub kind: String,
    pub outcome: String,
    pub seconds: Option<f64>,
    pub detail: String,
}

pub fn steps(records: &[Record]) -> Vec<StepLine> {
    let mut lines: Vec<StepLine> = Vec::new();
    let mut started: Vec<(String, crate::clock::Timestamp, String)> = Vec::new();
    for record in records {
        match &record.event {
            Event::StepStarted { step, kind, .. } => {
                started.push((step.clone(), record.at, kind.clone()))
            }
            Event::StepFinished {
                step,
                outcome,
                detail,
            } => {
                let start = started.iter().rev().find(|(id, _, _)| id == step);
                lines.push(StepLine {
                    step: step.clone(),
                    kind: start.map(|(_, _, kind)| kind.clone()).unwrap_or_default(),
                    outcome: format!("{outcome:?}").to_lowercase(),
                    seconds: start.map(|(_, at, _)| elapsed(*at, record.at).as_secs_f64()),
                    detail: detail.clone(),
                });
            }
            Event::GateBlocked { step } => lines.push(StepLine {
                step: step.clone(),
                kind: "gate".to_owned(),
                outcome: "waiting for approval".to_owned(),
                seconds: None,
                detail: String::new(),
            }),
            _ => {}
        }
    }
    lines
}

/// Total wall time from the first record to the last.
pub fn total_seconds(records: &[Record]) -> Option<f64> {
    Some(elapsed(records.first()?.at, records.last()?.at).as_secs_f64())
}

pub fn render(records: &[Record], markdown: bool) -> String {
    let mut out = String::new();
    let header = records.iter().find_map(|record| match &record.event {
        Event::RunStarted {
            runbook,
            pair,
            operator,
            runbook_hash,
            mode,
        } => Some((record, runbook, pair, operator, runbook_hash, mode)),
        _ => None,
    });
    let outcome = records.iter().rev().find_map(|record| match &record.event {
        Event::RunFinished { outcome, detail } => {
            Some(format!("{outcome:?}: {detail}").to_lowercase())
        }
        _ => None,
    });
    let total =
        total_seconds(records).map_or_else(|| "?".to_owned(), |secs| format!("{secs:.1} s"));
    if let Some((record, runbook, pair, operator, hash, mode)) = header {
        if markdown {
            let _ = writeln!(out, "## Run `{}`\n", record.run_id);
            let _ = writeln!(
                out,
                "- runbook: `{runbook}` ({mode}), sha256 `{}`",
                &hash[..hash.len().min(12)]
            );
            let _ = writeln!(out, "- pair: `{pair}`, operator: {operator}");
            let _ = writeln!(out, "- started: {}", record.at.to_rfc3339());
            let _ = writeln!(
                out,
                "- outcome: {}",
                outcome.clone().unwrap_or_else(|| "unfinished".to_owned())
            );
            let _ = writeln!(out, "- total duration (RTO): {total}\n");
            let _ = writeln!(
                out,
                "| step | kind | outcome | duration | detail |\n|---|---|---|---|---|"
            );
        } else {
            let _ = writeln!(
                out,
                "run {} · {runbook} ({mode}) on {pair} by {operator}",
                record.run_id
            );
            let _ = writeln!(
                out,
                "started {} · {} · total {total}\n",
                record.at.to_rfc3339(),
                outcome.clone().unwrap_or_else(|| "unfinished".to_owned())
            );
        }
    }
    for line in steps(records) {
        let duration = line
            .seconds
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
