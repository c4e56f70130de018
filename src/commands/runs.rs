//! `drtui runs list|show|reset-demo`: past runs from their journals, one run's timeline (the
//! measured RTO) as text or Markdown, and forgetting the demo estate's actions.

use crate::output::{errln, out, outln};
use color_eyre::eyre::{Result, eyre};
use drtui_core::runbook::journal::RunSummary;
use drtui_core::runbook::timeline;
use drtui_core::text::sanitize;
use drtui_engine::journal_file;

use super::{DEMO_ACTION_LOG, UsageError, state_dir};
use crate::cli::RunsCommand;
use crate::exit::Exit;

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
