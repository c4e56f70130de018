//! `drtui runs list|show|reset-demo`: past runs from their journals, one run's timeline (the
//! measured RTO) as text or Markdown, and forgetting the demo estate's actions.

use crate::output::{errln, out, outln};
use color_eyre::eyre::{Result, eyre};
use drtui::present::timeline;
use drtui_core::runbook::journal::RunSummary;
use drtui_core::text::sanitize;
use drtui_engine::journal_file;

use super::{DEMO_ACTION_LOG, UsageError, state_dir};
use crate::cli::RunsCommand;
use crate::exit::Exit;

/// What the estate did around the run (alarms, writer, weights, health, phase), as the
/// dashboards watching the pair recorded it: from 15 minutes before the run to 5 after.
fn estate_changes(
    state: &std::path::Path,
    records: &[drtui_core::runbook::journal::Record],
    markdown: bool,
) -> String {
    use std::fmt::Write as _;
    let summary = RunSummary::of(records);
    let (Some(header), Some(last)) = (summary.header.as_ref(), records.last()) else {
        return String::new();
    };
    let from = header.at - chrono::Duration::minutes(15);
    let to = last.at + chrono::Duration::minutes(5);
    let changes = drtui_engine::changes_file::between(state, &header.pair, from, to);
    let mut out = String::new();
    let title = "What the estate did (timeline of the dashboards watching the pair, 15 min before to 5 min after)";
    if markdown {
        let _ = writeln!(out, "\n## {title}\n");
        if changes.is_empty() {
            let _ = writeln!(
                out,
                "No dashboard recorded a change of pair `{}` in that window.",
                sanitize(&header.pair)
            );
        } else {
            let _ = writeln!(out, "| time (UTC) | what | change |\n|---|---|---|");
            for change in &changes {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    change.at.format("%H:%M:%S"),
                    change.kind.as_str(),
                    sanitize(&change.what).replace('|', "\\|")
                );
            }
        }
    } else if !changes.is_empty() {
        let _ = writeln!(out, "\n{title}:");
        for change in &changes {
            let _ = writeln!(out, "  {}", drtui_core::changes::line(change));
        }
    }
    out
}

pub fn run(command: &RunsCommand) -> Result<Exit> {
    let state = state_dir()?;
    match command {
        RunsCommand::List => {
            outln!(
                "{:<44} {:<11} {:<8} {:<11} STARTED",
                "RUN",
                "RUNBOOK",
                "PAIR",
                "OUTCOME"
            );
            for path in journal_file::list(&state) {
                let Ok(replay) = journal_file::read(&path) else {
                    continue;
                };
                let summary = RunSummary::of(&replay.records);
                let Some(header) = &summary.header else {
                    continue;
                };
                outln!(
                    "{:<44} {:<11} {:<8} {:<11} {}",
                    summary.run_id,
                    header.runbook,
                    header.pair,
                    summary.outcome_name(),
                    header.at.to_rfc3339()
                );
            }
            Ok(Exit::Ok)
        }
        RunsCommand::Show { run_id, markdown } => {
            let path = journal_file::journal_path(&state, run_id)
                .map_err(|error| UsageError(error.to_string()))?;
            let replay = journal_file::read(&path).map_err(|error| {
                UsageError(format!(
                    "no run {}: {}: {error}",
                    sanitize(run_id),
                    path.display()
                ))
            })?;
            out!("{}", timeline::render(&replay.records, *markdown));
            out!("{}", estate_changes(&state, &replay.records, *markdown));
            if replay.truncated_tail.is_some() {
                errln!(
                    "drtui: the journal's last line was torn (a crash mid-write) and is not shown"
                );
            }
            Ok(Exit::Ok)
        }
        RunsCommand::ResetDemo => {
            let path = state.join(DEMO_ACTION_LOG);
            match std::fs::remove_file(&path) {
                Ok(()) => outln!(
                    "the demo estate starts healthy again ({} removed)",
                    path.display()
                ),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    outln!("the demo estate is already untouched")
                }
                Err(error) => return Err(eyre!("cannot remove {}: {error}", path.display())),
            }
            Ok(Exit::Ok)
        }
    }
}
