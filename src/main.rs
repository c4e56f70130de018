//! drtui binary: error reporting, logging, and the choice of command.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser};
use color_eyre::eyre::{Result, WrapErr, eyre};

use drtui::backend::StatusBackend;
use drtui::backend::aws::{AwsBackend, Clients, Overrides};
use drtui::backend::sim::{SimBackend, SimOptions};
use drtui::cli::{Cli, Command, Format, GlobalArgs, Playback, RunbookCommand, RunsCommand};
use drtui::clock::{Clock, SystemClock};
use drtui::config::{self, BackendKind, ConfigError, RegionPair};
use drtui::runbook::catalog::{self, CatalogError};
use drtui::{poll, readiness, report, tui};

/// Bad usage or input: reported plainly, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

const EXIT_FAILURE: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_INCOMPLETE: u8 = 3;
const EXIT_GATE: u8 = 4;
const EXIT_LOCKED: u8 = 5;

fn main() -> ExitCode {
    if let Err(error) = color_eyre::install() {
        eprintln!("drtui: cannot install error reporting: {error}");
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap exits 0 for --help/--version and 2 for usage errors.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("drtui: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let outcome = runtime.block_on(run(cli));
    // Pollers of a hung region may still be waiting; do not wait for them.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(report) if is_usage(&report) => {
            eprintln!("drtui: error: {report}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(report) => {
            eprintln!("drtui: {report:?}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn is_usage(report: &color_eyre::Report) -> bool {
    report.downcast_ref::<ConfigError>().is_some()
        || report.downcast_ref::<UsageError>().is_some()
        || report.downcast_ref::<CatalogError>().is_some()
}

async fn run(cli: Cli) -> Result<u8> {
    let global = &cli.global;
    init_logging(global)?;
    match &cli.command {
        Some(Command::Completions { shell }) => {
            clap_complete::generate(*shell, &mut Cli::command(), "drtui", &mut std::io::stdout());
            Ok(0)
        }
        Some(Command::Pairs) => {
            let catalog = config::load_catalog(global.config.as_deref())?;
            print!("{}", pairs_table(&catalog));
            Ok(0)
        }
        Some(Command::Discover {
            stack_prefix,
            primary,
            secondary,
            write,
        }) => discover(global, stack_prefix, [primary, secondary], *write).await,
        Some(Command::Runbook { command }) => runbook_command(command),
        Some(Command::Run { runbook, playback }) => {
            run_runbook(global, Some(runbook), None, playback).await
        }
        Some(Command::Resume {
            run_id,
            playback,
            skip,
            reason,
        }) => {
            if let (Some(step), Some(reason)) = (skip, reason) {
                skip_step(run_id, step, reason)?;
            }
            run_runbook(global, None, Some(run_id), playback).await
        }
        Some(Command::Runs { command }) => runs_command(command),
        Some(Command::Plan { runbook }) => {
            let pair = select_pair(global)?;
            let (_, runbook) = catalog::find(runbook)?;
            let steps = drtui::runbook::plan::plan(&runbook, &pair);
            print!("{}", drtui::runbook::plan::render(&runbook, &pair, &steps));
            Ok(0)
        }
        Some(Command::Status { format, watch }) => {
            let pair = select_pair(global)?;
            let clock = clock_for(&pair);
            let backend = open_backend(&pair, global, &clock).await?.status;
            status(&pair, backend.as_ref(), clock.as_ref(), *format, *watch).await
        }
        None => {
            if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
                return Err(UsageError(format!(
                    "the dashboard needs an interactive terminal; for scripts use `drtui status --region-pair {}`",
                    global.region_pair
                ))
                .into());
            }
            let pair = select_pair(global)?;
            let clock = clock_for(&pair);
            let Backends {
                status: backend,
                simulator,
                act,
            } = open_backend(&pair, global, &clock).await?;
            let act: Arc<dyn drtui::backend::ActBackend> = if global.read_only {
                Arc::new(drtui::backend::ReadOnly)
            } else {
                act
            };
            let operator = operator_name(simulator.is_some(), backend.as_ref()).await;
            tui::run(tui::Dashboard {
                pair,
                backend,
                simulator,
                clock,
                act,
                state_dir: config::state_dir(),
                operator,
                read_only: global.read_only,
                color: !(global.no_color
                    || std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())),
            })
            .await?;
            Ok(0)
        }
    }
}

fn init_logging(global: &GlobalArgs) -> Result<()> {
    let Some(path) = &global.log_file else {
        return Ok(());
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|error| UsageError(format!("cannot open log file {}: {error}", path.display())))?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("DRTUI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .map_err(|error| eyre!("cannot start logging: {error}"))?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "drtui started");
    Ok(())
}

fn select_pair(global: &GlobalArgs) -> Result<RegionPair> {
    let catalog = config::load_catalog(global.config.as_deref())?;
    let pair = catalog.get(&global.region_pair)?.clone();
    if !global.scenario.is_empty() && !pair.is_demo() {
        return Err(UsageError(format!(
            "--scenario injects simulated faults and works only with --region-pair {}",
            config::DEMO_PAIR
        ))
        .into());
    }
    Ok(pair)
}

/// The read side, the act side, and the simulator when it is one (for its fault menu).
struct Backends {
    status: Arc<dyn StatusBackend>,
    act: Arc<dyn drtui::backend::ActBackend>,
    simulator: Option<Arc<SimBackend>>,
}

fn overrides(global: &GlobalArgs) -> Overrides {
    Overrides {
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
        static_credentials: None,
    }
}

async fn open_backend(
    pair: &RegionPair,
    global: &GlobalArgs,
    clock: &Arc<dyn Clock>,
) -> Result<Backends> {
    match pair.backend {
        BackendKind::Simulator => {
            let options = SimOptions {
                seed: global.seed,
                scenario: global.scenario.clone(),
                action_log: config::state_dir().map(|dir| dir.join(DEMO_ACTION_LOG)),
                ..SimOptions::default()
            };
            let sim = Arc::new(SimBackend::new(pair, Arc::clone(clock), &options));
            Ok(Backends {
                status: Arc::clone(&sim) as Arc<dyn StatusBackend>,
                act: Arc::clone(&sim) as Arc<dyn drtui::backend::ActBackend>,
                simulator: Some(sim),
            })
        }
        BackendKind::Aws => {
            let clients = Clients::load(pair, &overrides(global)).await;
            let aws = Arc::new(AwsBackend::new(pair, clients, Arc::clone(clock)));
            Ok(Backends {
                status: Arc::clone(&aws) as Arc<dyn StatusBackend>,
                act: aws,
                simulator: None,
            })
        }
    }
}

async fn status(
    pair: &RegionPair,
    backend: &dyn StatusBackend,
    clock: &dyn Clock,
    format: Format,
    watch: bool,
) -> Result<u8> {
    let mut snapshot = pair.empty_snapshot();
    loop {
        let calls_before = backend.call_counts();
        for update in poll::poll_once(backend, clock, pair.call_timeout).await {
            snapshot.apply(update);
        }
        let calls = drtui::model::calls_between(&calls_before, &backend.call_counts());
        let now = clock.now();
        let readiness = readiness::assess(&snapshot, now, &pair.policy());
        let report = report::build(pair, &snapshot, &readiness, now, calls);
        let output = match (format, watch) {
            (Format::Json, true) => serde_json::to_string(&report)? + "\n",
            (Format::Json, false) => serde_json::to_string_pretty(&report)? + "\n",
            (Format::Text, _) => report::render_text(&report),
        };
        let clear = watch && format == Format::Text && std::io::stdout().is_terminal();
        print!("{}{output}", if clear { "\x1b[2J\x1b[H" } else { "" });
        use std::io::Write as _;
        std::io::stdout()
            .flush()
            .wrap_err("cannot write to stdout")?;
        if !watch {
            return Ok(if report.complete { 0 } else { EXIT_INCOMPLETE });
        }
        tokio::select! {
            _ = tokio::time::sleep(pair.poll_interval) => {}
            _ = tokio::signal::ctrl_c() => return Ok(0),
        }
    }
}

/// Where the demo estate's runbook actions are kept, in the state dir.
const DEMO_ACTION_LOG: &str = "demo-actions.jsonl";

/// The demo world's clock: wall time, or `DRTUI_DEMO_SPEED` times faster (game days in
/// seconds, and fast end-to-end tests).
fn clock_for(pair: &RegionPair) -> Arc<dyn Clock> {
    let speed = std::env::var("DRTUI_DEMO_SPEED")
        .ok()
        .and_then(|speed| speed.parse::<f64>().ok());
    match speed {
        Some(speed) if pair.is_demo() && speed > 1.0 => {
            Arc::new(drtui::clock::ScaledClock::new(speed))
        }
        _ => Arc::new(SystemClock),
    }
}

fn state_dir() -> Result<std::path::PathBuf> {
    config::state_dir().ok_or_else(|| {
        UsageError("no state directory on this platform: set DRTUI_STATE_DIR".to_owned()).into()
    })
}

async fn run_runbook(
    global: &GlobalArgs,
    name: Option<&String>,
    resume: Option<&String>,
    playback: &Playback,
) -> Result<u8> {
    use drtui::runbook::engine::{Approvals, Outcome};
    use drtui::runbook::playback::{self as play, PlaybackError};
    let state = state_dir()?;
    let resumable = match resume {
        Some(run_id) => {
            Some(play::resumable(&state, run_id).map_err(|error| UsageError(error.to_string()))?)
        }
        None => None,
    };
    let (runbook_name, pair) = match &resumable {
        Some(resumable) => {
            let catalog = config::load_catalog(global.config.as_deref())?;
            (
                resumable.runbook.clone(),
                catalog.get(&resumable.pair)?.clone(),
            )
        }
        None => (name.cloned().unwrap_or_default(), select_pair(global)?),
    };
    let (_, runbook, hash) = catalog::find_with_hash(&runbook_name)?;
    if let Some(resumable) = &resumable {
        if resumable.runbook_hash != hash {
            return Err(UsageError(format!(
                "runbook `{runbook_name}` changed since run {} started; resuming it could skip or repeat the wrong steps",
                resumable.run_id
            ))
            .into());
        }
        if resumable.truncated_tail {
            eprintln!("drtui: the journal's last line was torn (a crash mid-write); it is ignored");
        }
        if let Some(step) = &resumable.in_flight {
            eprintln!(
                "drtui: step `{step}` was in flight; it is re-checked against live state before it is retried"
            );
        }
    }
    let clock = clock_for(&pair);
    let Backends {
        status,
        act,
        simulator,
    } = open_backend(&pair, global, &clock).await?;
    // Read-only is enforced where actions are performed: the backend itself is replaced.
    let act: Arc<dyn drtui::backend::ActBackend> = if global.read_only {
        Arc::new(drtui::backend::ReadOnly)
    } else {
        act
    };
    let operator = operator_name(simulator.is_some(), status.as_ref()).await;
    let mut approvals = Approvals {
        all: playback.approve_all,
        ids: playback.approve.iter().cloned().collect(),
    };
    approvals.ids.retain(|id| !id.is_empty());
    let player = play::Playback {
        pair: &pair,
        runbook: &runbook,
        runbook_hash: hash,
        status: status.as_ref(),
        act: act.as_ref(),
        clock: clock.as_ref(),
        operator,
        approvals,
        read_only: global.read_only,
        state,
        gatekeeper: None,
        pause: None,
    };
    let json = playback.format == Format::Json;
    let mut print = |record: &drtui::runbook::journal::Record| {
        if json {
            println!("{}", serde_json::to_string(record).unwrap_or_default());
        } else {
            println!("{}", progress_line(record));
        }
    };
    let result = player.play(resumable.as_ref(), &mut print).await;
    match result {
        Ok((_, Outcome::Completed)) => Ok(0),
        Ok((run_id, Outcome::Blocked { step })) => {
            eprintln!(
                "drtui: stopped at `{step}`, which needs an approval; continue with: drtui resume {run_id} --approve {step}"
            );
            Ok(EXIT_GATE)
        }
        Ok((run_id, Outcome::Paused { step })) => {
            eprintln!("drtui: paused before `{step}`; continue with: drtui resume {run_id}");
            Ok(EXIT_GATE)
        }
        Ok((run_id, Outcome::Failed { step, reason })) => {
            eprintln!("drtui: run {run_id} failed at `{step}`: {reason}");
            Ok(EXIT_FAILURE)
        }
        Err(PlaybackError::Lock(error)) => {
            eprintln!("drtui: {error}");
            Ok(EXIT_LOCKED)
        }
        Err(error) => Err(error.into()),
    }
}

/// Records an operator's decision to skip a step, with the reason, before the run resumes.
fn skip_step(run_id: &str, step: &str, reason: &str) -> Result<()> {
    use drtui::runbook::journal::{Event, Journal, Record, StepOutcome};
    let state = state_dir()?;
    let resumable = drtui::runbook::playback::resumable(&state, run_id)
        .map_err(|error| UsageError(error.to_string()))?;
    let (_, runbook) = catalog::find(&resumable.runbook)?;
    if !runbook
        .steps
        .iter()
        .any(|candidate| candidate.id.value == step)
    {
        return Err(UsageError(format!(
            "runbook `{}` has no step `{step}`",
            resumable.runbook
        ))
        .into());
    }
    if resumable.done.contains(step) {
        return Err(UsageError(format!("step `{step}` already finished in run {run_id}")).into());
    }
    let mut journal = Journal::open(&state, run_id)?;
    journal.append(&Record {
        at: chrono::Utc::now(),
        run_id: run_id.to_owned(),
        event: Event::StepFinished {
            step: step.to_owned(),
            outcome: StepOutcome::Skipped,
            detail: format!(
                "skipped by {}: {reason}",
                std::env::var("USER").unwrap_or_else(|_| "operator".to_owned())
            ),
        },
    })?;
    Ok(())
}

/// Who approvals are recorded as: `user@host` on the simulator, the STS caller on AWS.
async fn operator_name(simulated: bool, status: &dyn StatusBackend) -> String {
    if simulated {
        return format!(
            "{}@{}",
            std::env::var("USER").unwrap_or_else(|_| "operator".to_owned()),
            drtui::runbook::lock::host_name()
        );
    }
    match status.fetch(drtui::model::Source::Identity).await {
        Ok(drtui::model::SourceData::Identity(arn)) => arn,
        _ => "unknown AWS caller".to_owned(),
    }
}

fn progress_line(record: &drtui::runbook::journal::Record) -> String {
    use drtui::runbook::journal::Event;
    let at = record.at.format("%H:%M:%S");
    match &record.event {
        Event::RunStarted {
            runbook,
            pair,
            operator,
            ..
        } => format!(
            "{at} ▶ run {} · {runbook} on {pair} by {operator}",
            record.run_id
        ),
        Event::Resumed { by } => format!("{at} ▶ resumed {} by {by}", record.run_id),
        Event::StepStarted { step, kind, .. } => format!("{at}   · {step} ({kind})"),
        Event::StepFinished {
            step,
            outcome,
            detail,
        } => {
            let symbol = match outcome {
                drtui::runbook::journal::StepOutcome::Ok => "✔",
                drtui::runbook::journal::StepOutcome::Skipped => "↷",
                drtui::runbook::journal::StepOutcome::Failed => "✖",
            };
            format!("{at}   {symbol} {step}: {}", drtui::text::sanitize(detail))
        }
        Event::Approved { step, by, how, .. } => {
            format!("{at}   ✔ {step} approved by {by} ({how})")
        }
        Event::GateBlocked { step } => format!("{at}   ⏸ {step} waits for approval"),
        Event::RunFinished { outcome, detail } => format!(
            "{at} ■ {} ({detail})",
            format!("{outcome:?}").to_lowercase()
        ),
    }
}

fn runs_command(command: &RunsCommand) -> Result<u8> {
    let state = state_dir()?;
    match command {
        RunsCommand::List => {
            println!(
                "{:<44} {:<11} {:<8} {:<11} STARTED",
                "RUN", "RUNBOOK", "PAIR", "OUTCOME"
            );
            for path in drtui::runbook::journal::list(&state) {
                let Ok(replay) = drtui::runbook::journal::read(&path) else {
                    continue;
                };
                let records = &replay.records;
                let Some((first, runbook, pair)) =
                    records.iter().find_map(|record| match &record.event {
                        drtui::runbook::journal::Event::RunStarted { runbook, pair, .. } => {
                            Some((record, runbook, pair))
                        }
                        _ => None,
                    })
                else {
                    continue;
                };
                let outcome = records
                    .iter()
                    .rev()
                    .find_map(|record| match &record.event {
                        drtui::runbook::journal::Event::RunFinished { outcome, .. } => {
                            Some(format!("{outcome:?}").to_lowercase())
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| "unfinished".to_owned());
                println!(
                    "{:<44} {:<11} {:<8} {:<11} {}",
                    first.run_id,
                    runbook,
                    pair,
                    outcome,
                    first.at.to_rfc3339()
                );
            }
            Ok(0)
        }
        RunsCommand::Show { run_id, markdown } => {
            let path = drtui::runbook::playback::journal_path(&state, run_id);
            let replay = drtui::runbook::journal::read(&path).map_err(|error| {
                UsageError(format!("no run {run_id}: {}: {error}", path.display()))
            })?;
            print!(
                "{}",
                drtui::runbook::timeline::render(&replay.records, *markdown)
            );
            if replay.truncated_tail.is_some() {
                eprintln!(
                    "drtui: the journal's last line was torn (a crash mid-write) and is not shown"
                );
            }
            Ok(0)
        }
        RunsCommand::ResetDemo => {
            let path = state.join(DEMO_ACTION_LOG);
            match std::fs::remove_file(&path) {
                Ok(()) => println!(
                    "the demo estate starts healthy again ({} removed)",
                    path.display()
                ),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    println!("the demo estate is already untouched")
                }
                Err(error) => return Err(eyre!("cannot remove {}: {error}", path.display())),
            }
            Ok(0)
        }
    }
}

fn runbook_command(command: &RunbookCommand) -> Result<u8> {
    match command {
        RunbookCommand::Validate { files } => {
            let mut failed = false;
            for file in files {
                match catalog::load_file(file) {
                    Ok(runbook) => println!(
                        "{}: ok ({}, {} steps)",
                        file.display(),
                        runbook.name.value,
                        runbook.steps.len()
                    ),
                    Err(error) => {
                        failed = true;
                        eprintln!("{error}");
                    }
                }
            }
            Ok(if failed { EXIT_USAGE } else { 0 })
        }
        RunbookCommand::List => {
            println!(
                "{:<14} {:<11} {:<10} DESCRIPTION",
                "RUNBOOK", "MODE", "FROM"
            );
            for (origin, runbook) in catalog::all() {
                match runbook {
                    Ok(runbook) => println!(
                        "{:<14} {:<11} {:<10} {}",
                        drtui::text::sanitize(&runbook.name.value),
                        format!("{:?}", runbook.mode).to_lowercase(),
                        origin,
                        drtui::text::sanitize(&runbook.description)
                    ),
                    Err(error) => println!("{:<14} {:<11} {origin:<10} INVALID: {error}", "?", "?"),
                }
            }
            Ok(0)
        }
        RunbookCommand::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&drtui::runbook::spec::schema())?
            );
            Ok(0)
        }
    }
}

/// Reads stack outputs in both regions and prints (or appends) the pair's config section.
async fn discover(
    global: &GlobalArgs,
    prefix: &str,
    regions: [&String; 2],
    write: bool,
) -> Result<u8> {
    let [primary, secondary] = regions;
    let name = &global.region_pair;
    if name == config::DEMO_PAIR {
        return Err(UsageError(format!(
            "name the new pair with --region-pair NAME (`{}` is the built-in simulator)",
            config::DEMO_PAIR
        ))
        .into());
    }
    let skeleton = RegionPair::skeleton(name, primary, secondary);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let backend = AwsBackend::new(
        &skeleton,
        Clients::load(&skeleton, &overrides(global)).await,
        clock,
    );
    let (primary_outputs, secondary_outputs) = tokio::try_join!(
        backend.stack_outputs(drtui::model::Role::Primary, prefix),
        backend.stack_outputs(drtui::model::Role::Secondary, prefix),
    )?;
    if primary_outputs.is_empty() && secondary_outputs.is_empty() {
        return Err(UsageError(format!(
            "no stack named {prefix}* in {primary} or {secondary}"
        ))
        .into());
    }
    let section = drtui::backend::aws::discover::pair_section(
        name,
        [primary, secondary],
        [&primary_outputs, &secondary_outputs],
    );
    if !write {
        print!("{section}");
        return Ok(0);
    }
    let path = global
        .config
        .clone()
        .or_else(config::default_config_path)
        .ok_or_else(|| {
            UsageError("no config directory on this platform: pass --config FILE".to_owned())
        })?;
    if path.exists() && config::load_catalog(Some(&path))?.get(name).is_ok() {
        return Err(UsageError(format!(
            "pair `{name}` already exists in {}",
            path.display()
        ))
        .into());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .wrap_err_with(|| format!("cannot open {}", path.display()))?;
    use std::io::Write as _;
    writeln!(file, "\n{section}").wrap_err_with(|| format!("cannot write {}", path.display()))?;
    config::load_catalog(Some(&path))?;
    eprintln!("wrote pair `{name}` to {}", path.display());
    Ok(0)
}

fn pairs_table(catalog: &config::PairCatalog) -> String {
    let mut out = format!(
        "{:<16} {:<12} {:<12} {:<10} {}\n",
        "PAIR", "PRIMARY", "SECONDARY", "BACKEND", "DEFINED IN"
    );
    for pair in &catalog.pairs {
        let backend = match pair.backend {
            BackendKind::Simulator => "simulator",
            BackendKind::Aws => "aws",
        };
        out.push_str(&format!(
            "{:<16} {:<12} {:<12} {:<10} {}\n",
            drtui::text::sanitize(&pair.name),
            pair.primary,
            pair.secondary,
            backend,
            pair.origin
        ));
    }
    if catalog.file.is_none() {
        let default = config::default_config_path().map_or_else(
            || "(no config dir on this platform)".to_owned(),
            |path| path.display().to_string(),
        );
        out.push_str(&format!(
            "\nNo config file loaded (looked for {default}; see drtui.example.toml).\n"
        ));
    }
    out
}
