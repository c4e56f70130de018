//! Command-line interface: flags and subcommands (exit codes: `exit.rs`).
//! Each command takes the flag groups that mean something to it (pair, AWS, demo, safety);
//! `--config`, `--log-file` and `--no-color` go everywhere. `--scenario` parses through the
//! core's `Fault`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::ArgValueCandidates;

use crate::complete;

use drtui_core::fault::Fault;

use crate::exit::Exit;

/// drtui: two-region DR dashboard and failover runbooks for the payment estate.
#[derive(Debug, Parser)]
#[command(name = "drtui", version, about, after_help = Exit::help())]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub common: CommonArgs,
    /// The dashboard's own flags (no command); a command takes those that mean something to it.
    #[command(flatten)]
    pub pair: PairArgs,
    #[command(flatten)]
    pub many: ManyArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub demo: DemoArgs,
    #[command(flatten)]
    pub safety: SafetyArgs,
}

/// Flags every command takes.
#[derive(Clone, Debug, Default, Args)]
pub struct CommonArgs {
    /// Config file (default: $DRTUI_CONFIG, else drtui.toml in the platform config dir).
    #[arg(long, global = true, env = "DRTUI_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write diagnostics to this file (filter with DRTUI_LOG, e.g. DRTUI_LOG=debug).
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Plain output without colour (also when NO_COLOR is set).
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// Which pair a command works on.
#[derive(Clone, Debug, Default, Args)]
pub struct PairArgs {
    /// Region pair: `demo` (built-in simulator, the default) or one from the config file.
    /// `status` and the dashboard take it several times. Before or after a subcommand
    /// (`lock --region-pair prod show` = `lock show --region-pair prod`).
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        add = ArgValueCandidates::new(complete::pair_names)
    )]
    pub region_pair: Vec<String>,
}

/// Several pairs at once.
#[derive(Clone, Debug, Default, Args)]
pub struct ManyArgs {
    /// Every configured pair at once: the fleet view in the dashboard, a JSON array (text: one
    /// block per pair) in `status`.
    #[arg(long)]
    pub all_pairs: bool,
}

/// How to reach AWS.
#[derive(Clone, Debug, Default, Args)]
pub struct AwsArgs {
    /// AWS profile to use (default: the pair's `profile`, else AWS_PROFILE / the default chain).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (an emulator), overriding the pair's endpoint_url.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// The simulator's world (the `demo` pair).
#[derive(Clone, Debug, Default, Args)]
pub struct DemoArgs {
    /// Demo only: faults already running at start, comma-separated. One of: primary-outage,
    /// lag-spike, api-5xx-burst, secondary-degraded, throttled-control-plane, hung-primary
    /// (alias hung-region), hung-secondary, stack-update-fails, hung-state-machine,
    /// dynamodb-replication-stall, s3-replication-backlog, secret-replica-failed, code-drift,
    /// secondary-headless, operator-cannot-failover.
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    pub scenario: Vec<Fault>,
    /// Demo only: simulator seed (same seed, same estate; default 42).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// For commands that can change the estate.
#[derive(Clone, Debug, Default, Args)]
pub struct SafetyArgs {
    /// Refuse every mutating action (runbook steps, the `r` key).
    #[arg(long)]
    pub read_only: bool,
}

/// Everything a command reads from the command line, merged: the dashboard's flags given
/// before a command and the command's own.
#[derive(Clone, Debug, Default)]
pub struct GlobalArgs {
    pub region_pair: Vec<String>,
    pub all_pairs: bool,
    pub config: Option<PathBuf>,
    pub read_only: bool,
    pub log_file: Option<PathBuf>,
    pub no_color: bool,
    pub scenario: Vec<Fault>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub seed: u64,
}

/// The flag groups a command takes (`None`: the command has no use for them).
#[derive(Default)]
struct Scope<'a> {
    pair: Option<&'a PairArgs>,
    many: Option<&'a ManyArgs>,
    aws: Option<&'a AwsArgs>,
    demo: Option<&'a DemoArgs>,
    safety: Option<&'a SafetyArgs>,
}

impl Cli {
    /// The merged flags for the command: a flag given before the command counts when the
    /// command takes it (the command's own value wins) and is refused when it means nothing
    /// to it, instead of being silently ignored.
    pub fn resolve(&self) -> Result<GlobalArgs, crate::commands::UsageError> {
        let scope = match &self.command {
            None => Scope {
                pair: Some(&self.pair),
                many: Some(&self.many),
                aws: Some(&self.aws),
                demo: Some(&self.demo),
                safety: Some(&self.safety),
            },
            Some(command) => command.scope(),
        };
        let name = self.command.as_ref().map_or("the dashboard", Command::name);
        let refuse = |flag: &str| {
            crate::commands::UsageError(format!("{flag} means nothing to `drtui {name}`"))
        };
        let top_given = |given: bool, flag: &str, taken: bool| {
            if given && !taken && self.command.is_some() {
                Err(refuse(flag))
            } else {
                Ok(())
            }
        };
        top_given(
            !self.pair.region_pair.is_empty(),
            "--region-pair",
            scope.pair.is_some(),
        )?;
        top_given(self.many.all_pairs, "--all-pairs", scope.many.is_some())?;
        top_given(
            self.aws.profile.is_some() || self.aws.endpoint_url.is_some(),
            "--profile / --endpoint-url",
            scope.aws.is_some(),
        )?;
        top_given(
            !self.demo.scenario.is_empty() || self.demo.seed.is_some(),
            "--scenario / --seed",
            scope.demo.is_some(),
        )?;
        top_given(self.safety.read_only, "--read-only", scope.safety.is_some())?;
        let own = |group: Option<&PairArgs>| group.map(|pair| pair.region_pair.clone());
        let region_pair = own(scope.pair)
            .filter(|pairs| !pairs.is_empty())
            .unwrap_or_else(|| self.pair.region_pair.clone());
        let demo = scope.demo.cloned().unwrap_or_default();
        let aws = scope.aws.cloned().unwrap_or_default();
        Ok(GlobalArgs {
            region_pair,
            all_pairs: self.many.all_pairs || scope.many.is_some_and(|many| many.all_pairs),
            config: self.common.config.clone(),
            read_only: self.safety.read_only || scope.safety.is_some_and(|safety| safety.read_only),
            log_file: self.common.log_file.clone(),
            no_color: self.common.no_color,
            scenario: if demo.scenario.is_empty() {
                self.demo.scenario.clone()
            } else {
                demo.scenario
            },
            profile: aws.profile.or_else(|| self.aws.profile.clone()),
            endpoint_url: aws.endpoint_url.or_else(|| self.aws.endpoint_url.clone()),
            seed: demo.seed.or(self.demo.seed).unwrap_or(42),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print one snapshot of both regions and the readiness verdict (or keep refreshing).
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage, Exit::Incomplete]))]
    Status {
        #[command(flatten)]
        pair: PairArgs,
        #[command(flatten)]
        many: ManyArgs,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        demo: DemoArgs,
        /// text: a table and what is wrong in full; json: the report (an array for several pairs).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Refresh at the pair's poll interval until interrupted (JSON: one object per line).
        #[arg(long)]
        watch: bool,
    },
    /// List the configured region pairs and where each was defined.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Pairs,
    /// Read CloudFormation stack outputs in both regions and print the pair's config section.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Discover {
        /// The new pair's name.
        #[command(flatten)]
        pair: PairArgs,
        #[command(flatten)]
        aws: AwsArgs,
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
        #[arg(long, conflicts_with = "update")]
        write: bool,
        /// Write the ids found into the pair that already exists in the config file (after
        /// `drtui run provision`), keeping its other settings; reads with the pair's own
        /// regions, endpoint and profile unless flags say otherwise.
        #[arg(long)]
        update: bool,
    },
    /// Runbooks: validate files, list what is available, print the JSON Schema.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Runbook {
        #[command(subcommand)]
        command: RunbookCommand,
    },
    /// Every step of a runbook with the exact API calls it would make against the pair, and
    /// where it stops for a person. Makes no call and takes no lock.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Plan {
        /// A built-in or user runbook name, or a path to a runbook file.
        #[arg(add = ArgValueCandidates::new(complete::runbook_names))]
        runbook: String,
        #[command(flatten)]
        pair: PairArgs,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        demo: DemoArgs,
    },
    /// Play a runbook back without a person at the keyboard: gates pass only with --approve.
    #[command(after_help = Exit::help_for(&RUN_EXITS))]
    Run {
        /// A built-in or user runbook name, or a path to a runbook file.
        #[arg(add = ArgValueCandidates::new(complete::runbook_names))]
        runbook: String,
        #[command(flatten)]
        playback: Playback,
        #[command(flatten)]
        pair: PairArgs,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        demo: DemoArgs,
        #[command(flatten)]
        safety: SafetyArgs,
    },
    /// Continue a run after a crash, kill, Ctrl-C, failed step or unapproved gate: completed
    /// steps are not repeated, an in-flight step is re-checked against live state, and a
    /// failed step is retried (after you fixed its cause) unless you --skip it.
    /// The run's pair comes from its journal.
    #[command(after_help = Exit::help_for(&RUN_EXITS))]
    Resume {
        /// The run to continue (`drtui runs list` shows them).
        #[arg(value_name = "RUN_ID", add = ArgValueCandidates::new(complete::run_ids))]
        run_id: String,
        #[command(flatten)]
        playback: Playback,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        demo: DemoArgs,
        #[command(flatten)]
        safety: SafetyArgs,
        /// Skip this step instead of retrying it; needs --reason, which the journal keeps.
        #[arg(long, value_name = "STEP", requires = "reason")]
        skip: Option<String>,
        /// Why the step is skipped (for the incident review).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// Go on as another runbook from where the run is: a switchover that failed or did not
        /// finish continues as `failover` (its gates asked anew, the data loss with the live
        /// figure).
        #[arg(long = "as", value_name = "RUNBOOK", conflicts_with = "skip")]
        as_runbook: Option<String>,
    },
    /// Past runs and their journals.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Runs {
        #[command(subcommand)]
        command: RunsCommand,
    },
    /// The config file: its JSON Schema, for editors.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The pair's run lock: who holds it, or break it (the reason goes to the holder's journal).
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Lock {
        #[command(subcommand)]
        command: LockCommand,
        #[command(flatten)]
        pair: PairArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Least-privilege IAM policies for the pair, naming its own resources.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Usage]))]
    Iam {
        #[command(subcommand)]
        command: IamCommand,
        #[command(flatten)]
        pair: PairArgs,
    },
    /// Print the shell hook that completes flags, pair names (from the config), runbook names
    /// and run ids: e.g. `source <(drtui completions bash)` in ~/.bashrc.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Usage]))]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// What `run` and `resume` can end with.
const RUN_EXITS: [Exit; 8] = [
    Exit::Ok,
    Exit::Failure,
    Exit::Usage,
    Exit::Gate,
    Exit::Locked,
    Exit::Hangup,
    Exit::Interrupted,
    Exit::Terminated,
];

impl Command {
    /// The command's name as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Status { .. } => "status",
            Command::Pairs => "pairs",
            Command::Discover { .. } => "discover",
            Command::Runbook { .. } => "runbook",
            Command::Plan { .. } => "plan",
            Command::Run { .. } => "run",
            Command::Resume { .. } => "resume",
            Command::Runs { .. } => "runs",
            Command::Config { .. } => "config",
            Command::Lock { .. } => "lock",
            Command::Iam { .. } => "iam",
            Command::Completions { .. } => "completions",
        }
    }

    fn scope(&self) -> Scope<'_> {
        match self {
            Command::Status {
                pair,
                many,
                aws,
                demo,
                ..
            } => Scope {
                pair: Some(pair),
                many: Some(many),
                aws: Some(aws),
                demo: Some(demo),
                safety: None,
            },
            Command::Discover { pair, aws, .. } | Command::Lock { pair, aws, .. } => Scope {
                pair: Some(pair),
                aws: Some(aws),
                ..Scope::default()
            },
            Command::Plan {
                pair, aws, demo, ..
            } => Scope {
                pair: Some(pair),
                aws: Some(aws),
                demo: Some(demo),
                ..Scope::default()
            },
            Command::Iam { pair, .. } => Scope {
                pair: Some(pair),
                ..Scope::default()
            },
            Command::Run {
                pair,
                aws,
                demo,
                safety,
                ..
            } => Scope {
                pair: Some(pair),
                many: None,
                aws: Some(aws),
                demo: Some(demo),
                safety: Some(safety),
            },
            Command::Resume {
                aws, demo, safety, ..
            } => Scope {
                aws: Some(aws),
                demo: Some(demo),
                safety: Some(safety),
                ..Scope::default()
            },
            Command::Pairs
            | Command::Runbook { .. }
            | Command::Runs { .. }
            | Command::Config { .. }
            | Command::Completions { .. } => Scope::default(),
        }
    }
}

#[derive(Debug, Args)]
pub struct Playback {
    /// Approve these gates and manual steps (comma-separated step ids).
    #[arg(long, value_delimiter = ',', value_name = "STEP")]
    pub approve: Vec<String>,
    /// Approve every gate and manual step (game days, CI).
    #[arg(long)]
    pub approve_all: bool,
    /// The most data at risk a data-loss promote may be approved with, for this run (default:
    /// the pair's max_data_loss, else its rpo_budget): beyond it, or unknown, the run stops at
    /// the gate even with --approve-all ("5m", "30s"; `any` accepts whatever is at risk, an
    /// unknown figure included).
    #[arg(long, value_name = "DURATION|any", value_parser = parse_max_data_loss)]
    pub max_data_loss: Option<std::time::Duration>,
    /// text: one line per event; json: one JSON journal record per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the JSON Schema of the config file (point your editor at it).
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Schema,
}

#[derive(Debug, Subcommand)]
pub enum LockCommand {
    /// Who holds the pair's lock, since when, and whether that process is alive.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Show,
    /// Remove the pair's lock whoever holds it (a holder that is gone for good).
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Break {
        /// Why (kept in the holder run's journal).
        #[arg(long)]
        reason: String,
    },
}

/// `--max-data-loss`: a duration, or `any` (this run accepts whatever is at risk, even an
/// unknown figure: a region whose metrics cannot be read).
fn parse_max_data_loss(text: &str) -> Result<std::time::Duration, String> {
    if text == "any" {
        return Ok(drtui_core::runbook::gate::ANY_LOSS);
    }
    humantime::parse_duration(text).map_err(|error| format!("{error} (or `any`)"))
}

#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Print the IAM policy (JSON) a role needs on the pair: the pair's own ARNs for every
    /// call drtui makes; `*` only where AWS grants a call on nothing narrower.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Usage]))]
    Policy {
        /// readonly (dashboard, status, discover, plan), operator (every runbook) or
        /// provisioner (`provision`'s change sets).
        #[arg(long, value_parser = ["readonly", "operator", "provisioner"])]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Every run in the journal directory, newest first.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    List,
    /// One run's timeline with per-step and total durations (the measured RTO), and what the
    /// estate did around it (the dashboards' timeline).
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Show {
        /// The run (`drtui runs list` shows them).
        #[arg(value_name = "RUN_ID", add = ArgValueCandidates::new(complete::run_ids))]
        run_id: String,
        /// Markdown for the incident review.
        #[arg(long)]
        markdown: bool,
    },
    /// Forget every action taken on the demo estate (it starts healthy again).
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    ResetDemo,
}

#[derive(Debug, Subcommand)]
pub enum RunbookCommand {
    /// Check runbook files; every error with file:line:column. Exit 2 on any error.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Validate {
        /// Runbook files (YAML) to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Built-in and user runbooks with one-line descriptions.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    List,
    /// The JSON Schema of the runbook format, for editors.
    #[command(after_help = Exit::help_for(&[Exit::Ok, Exit::Failure, Exit::Usage]))]
    Schema,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

impl GlobalArgs {
    /// The pairs named with `--region-pair`, or `demo` when none is.
    pub fn pair_names(&self) -> Vec<&str> {
        if self.region_pair.is_empty() {
            vec![drtui_core::config::DEMO_PAIR]
        } else {
            self.region_pair.iter().map(String::as_str).collect()
        }
    }

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

    fn resolved(args: &[&str]) -> Result<GlobalArgs, String> {
        let cli = Cli::try_parse_from(args).map_err(|error| error.to_string())?;
        cli.resolve().map_err(|error| error.0)
    }

    #[test]
    fn flags_go_where_they_mean_something() {
        // Before the command or after it, the same.
        for args in [
            &["drtui", "--region-pair", "prod", "status"][..],
            &["drtui", "status", "--region-pair", "prod"][..],
        ] {
            assert_eq!(resolved(args).unwrap().region_pair, ["prod"]);
        }
        assert_eq!(
            resolved(&["drtui", "run", "failover", "--seed", "7"])
                .unwrap()
                .seed,
            7
        );
        assert_eq!(resolved(&["drtui", "status"]).unwrap().seed, 42);
        // Where they mean nothing: refused, by clap after the command, by us before it.
        assert!(resolved(&["drtui", "completions", "bash", "--scenario", "lag-spike"]).is_err());
        let before = resolved(&["drtui", "--scenario", "lag-spike", "completions", "bash"]);
        assert!(
            before
                .unwrap_err()
                .contains("--scenario / --seed means nothing to `drtui completions`")
        );
        assert!(resolved(&["drtui", "runs", "list", "--region-pair", "prod"]).is_err());
        assert!(resolved(&["drtui", "--region-pair", "prod", "runs", "list"]).is_err());
        assert!(resolved(&["drtui", "resume", "r1", "--region-pair", "prod"]).is_err());
        assert!(resolved(&["drtui", "--read-only", "status"]).is_err());
        // Common flags go everywhere.
        assert!(resolved(&["drtui", "runs", "list", "--config", "x.toml"]).is_ok());
    }

    #[test]
    fn every_positional_argument_has_help() {
        fn check(command: &clap::Command) {
            for arg in command.get_positionals() {
                assert!(
                    arg.get_help().is_some(),
                    "`{}` of `{}` has no help",
                    arg.get_id(),
                    command.get_name()
                );
            }
            for sub in command.get_subcommands() {
                check(sub);
            }
        }
        check(&Cli::command());
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn scenario_list_parses_and_rejects_unknown_names() {
        let cli = Cli::try_parse_from(["drtui", "--scenario", "primary-outage,lag-spike"]).unwrap();
        assert_eq!(
            cli.resolve().unwrap().scenario,
            vec![Fault::PrimaryOutage, Fault::LagSpike]
        );
        assert!(Cli::try_parse_from(["drtui", "--scenario", "meteor"]).is_err());
    }
}
