//! `drtui runbook validate|list|schema`: check runbook files (file:line:col), list what is
//! available, print the JSON Schema for editors.

use crate::output::{errln, outln};
use color_eyre::eyre::Result;
use drtui_core::runbook::spec;
use drtui_core::text::sanitize;
use drtui_core::wire::wire_name;
use drtui_engine::catalog;

use crate::cli::RunbookCommand;
use crate::exit::Exit;

pub fn run(command: &RunbookCommand) -> Result<Exit> {
    match command {
        RunbookCommand::Validate { files } => {
            let mut failed = false;
            for file in files {
                match catalog::load_file(file) {
                    Ok(runbook) => outln!(
                        "{}: ok ({}, {} steps)",
                        file.display(),
                        runbook.name,
                        runbook.steps.len()
                    ),
                    Err(error) => {
                        failed = true;
                        errln!("{error}");
                    }
                }
            }
            Ok(if failed { Exit::Usage } else { Exit::Ok })
        }
        RunbookCommand::List => {
            outln!(
                "{:<14} {:<11} {:<10} DESCRIPTION",
                "RUNBOOK",
                "MODE",
                "FROM"
            );
            for (origin, runbook) in catalog::all() {
                match runbook {
                    Ok(runbook) => outln!(
                        "{:<14} {:<11} {:<10} {}",
                        sanitize(&runbook.name),
                        wire_name(&runbook.mode),
                        origin,
                        sanitize(&runbook.description)
                    ),
                    Err(error) => outln!("{:<14} {:<11} {origin:<10} INVALID: {error}", "?", "?"),
                }
            }
            Ok(Exit::Ok)
        }
        RunbookCommand::Schema => {
            crate::output::json(&format!(
                "{}\n",
                serde_json::to_string_pretty(&spec::schema())?
            ));
            Ok(Exit::Ok)
        }
    }
}
