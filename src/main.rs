//! drtui binary: parse the command line, install error reporting, and hand each command to its
//! module in `commands/`; every exit code comes from `exit::Exit`.

mod cli;
mod commands;
mod complete;
mod exit;
mod logging;
mod output;

use crate::output::errln;
use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::Result;
use drtui_core::config::ConfigError;
use drtui_engine::catalog::CatalogError;

use cli::{Cli, Command};
use commands::UsageError;
use exit::Exit;

fn main() -> ExitCode {
    // When the shell asks for completions (COMPLETE=bash drtui ...), answer and exit.
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command).complete();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap exits 0 for --help/--version and 2 for usage errors.
            let _ = error.print();
            return if error.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            }
            .into();
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // A run's futures nest deep (a step that starts, watches and stops an execution, then
        // sets the weights itself): the main thread's 8 MiB, not tokio's 2 MiB default.
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            errln!("drtui: cannot start the async runtime: {error}");
            return Exit::Failure.into();
        }
    };
    let outcome = runtime.block_on(dispatch(cli));
    // Pollers of a hung region may still be waiting; do not wait for them.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => code.into(),
        Err(report) if is_usage(&report) => {
            errln!("drtui: error: {report}");
            Exit::Usage.into()
        }
        Err(report) => {
            errln!("drtui: {}", one_line(&report));
            Exit::Failure.into()
        }
    }
}

/// An unexpected error as one clean line: what failed, then why, each cause after a colon. No
/// colour codes, no backtrace hints: a report for the person, read in a pipe or a terminal.
fn one_line(report: &color_eyre::Report) -> String {
    report
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

fn is_usage(report: &color_eyre::Report) -> bool {
    report.downcast_ref::<ConfigError>().is_some()
        || report.downcast_ref::<UsageError>().is_some()
        || report.downcast_ref::<CatalogError>().is_some()
}

/// One arm per command.
async fn dispatch(cli: Cli) -> Result<Exit> {
    let global = &cli.resolve()?;
    logging::init(global)?;
    match &cli.command {
        Some(Command::Completions { shell }) => commands::completions::run(*shell),
        Some(Command::Pairs) => commands::pairs::run(global),
        Some(Command::Discover {
            stack_prefix,
            primary,
            secondary,
            write,
            update,
            ..
        }) => {
            let target = if *update {
                commands::discover::Target::Update
            } else if *write {
                commands::discover::Target::Append
            } else {
                commands::discover::Target::Print
            };
            commands::discover::run(global, stack_prefix, [primary, secondary], target).await
        }
        Some(Command::Runbook { command }) => commands::runbook::run(command),
        Some(Command::Run {
            runbook, playback, ..
        }) => commands::run::start(global, runbook, playback).await,
        Some(Command::Resume {
            run_id,
            playback,
            skip,
            reason,
            as_runbook,
            ..
        }) => {
            let how = commands::run::Resume {
                skip: skip.as_deref().zip(reason.as_deref()),
                as_runbook: as_runbook.as_deref(),
            };
            commands::run::resume(global, run_id, playback, how).await
        }
        Some(Command::Runs { command }) => commands::runs::run(command),
        Some(Command::Lock { command, .. }) => commands::lock::run(global, command).await,
        Some(Command::Iam {
            command: cli::IamCommand::Policy { role },
            ..
        }) => commands::iam::policy(global, role),
        Some(Command::Config {
            command: cli::ConfigCommand::Schema,
        }) => {
            output::json(&format!(
                "{}\n",
                serde_json::to_string_pretty(&drtui_core::config::schema())?
            ));
            Ok(Exit::Ok)
        }
        Some(Command::Plan { runbook, .. }) => commands::plan::run(global, runbook).await,
        Some(Command::Status { format, watch, .. }) => {
            commands::status::run(global, *format, *watch).await
        }
        None => commands::dashboard::run(global).await,
    }
}
