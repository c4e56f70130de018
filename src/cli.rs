//! Command-line interface: flags and subcommands (exit codes: `exit.rs`).
//! Global flags apply to every command; `--scenario` parses through the core's `Fault`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use drtui_core::fault::Fault;

use crate::exit::Exit;

/// drtui: two-region DR dashboard and failover runbooks for the payment estate.
#[derive(Debug, Parser)]
#[command(name = "drtui", version, about, after_help = Exit::help())]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Region pair to show: `demo` (built-in simulator) or one from the config file. `status`
    /// takes it several times.
    #[arg(long, global = true, default_value = "demo", value_name = "NAME", action = clap::ArgAction::Append)]
    pub region_pair: Vec<String>,
    /// Every configured pair at once: the fleet view in the dashboard, a JSON array (text: one
    /// block per pair) in `status`.
    #[arg(long, global = true)]
    pub all_pairs: bool,
    /// Config file (default: $DRTUI_CONFIG, else drtui.toml in the platform config dir).
    #[arg(long, global = true, env = "DRTUI_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Refuse every mutating action (runbook steps, the `r` key).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Write diagnostics to this file (filter with DRTUI_LOG, e.g. DRTUI_LOG=debug).
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Plain output without colour (also when NO_COLOR is set).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Demo only: faults already running at start, comma-separated. One of: primary-outage,
    /// lag-spike, api-5xx-burst, secondary-degraded, throttled-control-plane, hung-primary
    /// (alias hung-region), hung-secondary.
    #[arg(long, global = true, value_delimiter = ',', value_name = "NAME")]
    pub scenario: Vec<Fault>,
    /// AWS profile to use (default: the pair's `profile`, else AWS_PROFILE / the default chain).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (an emulator), overriding the pair's endpoint_url.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Demo only: simulator seed (same seed, same estate).
    #[arg(long, global = true, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print one snapshot of both regions and the readiness verdict (or keep refreshing).
    #[command(after_help = Exit::help())]
    Status {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Refresh at the pair's poll interval until interrupted (JSON: one object per line).
        #[arg(long)]
        watch: bool,
    },
    /// List the configured region pairs and where each was defined.
    Pairs,
    /// Read CloudFormation stack outputs in both regions and print the pair's config section.
    Discover {
        /// Only stacks whose name starts with this (e.g. TapStackprod).
        #[arg(long, value_name = "PREFIX")]
        stack_prefix: String,
        /// Primary region of the new pair.
        #[arg(long, default_value = "us-east-1")]
        primary: String,
        /// Secondary region of the new pair.
        #[arg(long, default_value = "us-east-2")]
        secondary: String,
        /// Append the section to the config file instead of printing it.
        #[arg(long)]
        write: bool,
    },
    /// Runbooks: validate files, list what is available, print the JSON Schema.
    Runbook {
        #[command(subcommand)]
        command: RunbookCommand,
    },
    /// Every step of a runbook with the exact API calls it would make against the pair, and
    /// where it stops for a person. Makes no call and takes no lock.
    Plan {
        /// A built-in or user runbook name, or a path to a runbook file.
        runbook: String,
    },
    /// Play a runbook back without a person at the keyboard: gates pass only with --approve.
    #[command(after_help = Exit::help())]
    Run {
        /// A built-in or user runbook name, or a path to a runbook file.
        runbook: String,
        #[command(flatten)]
        playback: Playback,
    },
    /// Continue a run after a crash, kill, Ctrl-C, failed step or unapproved gate: completed
    /// steps are not repeated, an in-flight step is re-checked against live state, and a
    /// failed step is retried (after you fixed its cause) unless you --skip it.
    #[command(after_help = Exit::help())]
    Resume {
        run_id: String,
        #[command(flatten)]
        playback: Playback,
        /// Skip this step instead of retrying it; needs --reason, which the journal keeps.
        #[arg(long, value_name = "STEP", requires = "reason")]
        skip: Option<String>,
        /// Why the step is skipped (for the incident review).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Past runs and their journals.
    Runs {
        #[command(subcommand)]
        command: RunsCommand,
    },
    /// The config file: its JSON Schema, for editors.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The pair's run lock: who holds it, or break it (the reason goes to the holder's journal).
    Lock {
        #[command(subcommand)]
        command: LockCommand,
    },
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct Playback {
    /// Approve these gates and manual steps (comma-separated step ids).
    #[arg(long, value_delimiter = ',', value_name = "STEP")]
    pub approve: Vec<String>,
    /// Approve every gate and manual step (game days, CI).
    #[arg(long)]
    pub approve_all: bool,
    /// text: one line per event; json: one JSON journal record per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the JSON Schema of the config file (point your editor at it).
    Schema,
}

#[derive(Debug, Subcommand)]
pub enum LockCommand {
    /// Who holds the pair's lock, since when, and whether that process is alive.
    Show,
    /// Remove the pair's lock whoever holds it (a holder that is gone for good).
    Break {
        /// Why (kept in the holder run's journal).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Every run in the journal directory, newest first.
    List,
    /// One run's timeline with per-step and total durations (the measured RTO).
    Show {
        run_id: String,
        /// Markdown for the incident review.
        #[arg(long)]
        markdown: bool,
    },
    /// Forget every action taken on the demo estate (it starts healthy again).
    ResetDemo,
}

#[derive(Debug, Subcommand)]
pub enum RunbookCommand {
    /// Check runbook files; every error with file:line:column. Exit 2 on any error.
    Validate {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Built-in and user runbooks with one-line descriptions.
    List,
    /// The JSON Schema of the runbook format, for editors.
    Schema,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

impl GlobalArgs {
    /// The one pair a command works on; several `--region-pair` are for `status` only.
    pub fn pair_name(&self) -> Result<&str, crate::commands::UsageError> {
        match self.region_pair.as_slice() {
            [one] => Ok(one),
            [] => Ok(drtui_core::config::DEMO_PAIR),
            _ => Err(crate::commands::UsageError(
                "--region-pair is given several times; only `status` takes several pairs"
                    .to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn scenario_list_parses_and_rejects_unknown_names() {
        let cli = Cli::try_parse_from(["drtui", "--scenario", "primary-outage,lag-spike"]).unwrap();
        assert_eq!(
            cli.global.scenario,
            vec![Fault::PrimaryOutage, Fault::LagSpike]
        );
        assert!(Cli::try_parse_from(["drtui", "--scenario", "meteor"]).is_err());
    }
}
