//! `drtui run` and `drtui resume`: play a runbook back without a person at the keyboard,
//! printing each journal record as it lands; `--skip` records an operator's skip first.

use crate::output::{errln, outln};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use color_eyre::eyre::Result;
use drtui_core::commands::PairCommands;
use drtui_core::config::RegionPair;
use drtui_core::runbook::journal::{Event, Record, StepOutcome, StepState};
use drtui_core::runbook::step::Runbook;
use drtui_core::text::sanitize;
use drtui_core::wire::wire_name;
use drtui_engine::catalog;
use drtui_engine::engine::{Approvals, Engine, FailureKind, Outcome};
use drtui_engine::playback::{self, Playback, PlaybackError, Resumable};

use super::{UsageError, clock_for, open_backend, select_pair, state_dir, user};
use crate::cli::{Format, GlobalArgs, Playback as PlaybackArgs};
use crate::exit::Exit;
use drtui_backend::aws::ClientPool;

/// `drtui run RUNBOOK`.
pub async fn start(global: &GlobalArgs, name: &str, args: &PlaybackArgs) -> Result<Exit> {
    let pair = select_pair(global)?;
    play(global, name, pair, None, args, state_dir()?).await
}

/// How `drtui resume` goes on besides retrying: skipping a step first, or as another runbook.
pub struct Resume<'a> {
    /// `--skip STEP --reason TEXT`.
    pub skip: Option<(&'a str, &'a str)>,
    /// `--as RUNBOOK`.
    pub as_runbook: Option<&'a str>,
}

/// `drtui resume RUN_ID [--skip STEP --reason TEXT | --as RUNBOOK]`.
pub async fn resume(
    global: &GlobalArgs,
    run_id: &str,
    args: &PlaybackArgs,
    how: Resume<'_>,
) -> Result<Exit> {
    let state = state_dir()?;
    if let Some((step, reason)) = how.skip {
        playback::skip_step(&state, run_id, step, reason, &user(), chrono::Utc::now())
            .map_err(|error| UsageError(error.to_string()))?;
    }
    let mut resumable =
        playback::resumable(&state, run_id).map_err(|error| UsageError(error.to_string()))?;
    let catalog = super::catalog(global)?;
    let pair = catalog.get(&resumable.pair)?.clone();
    if let Some(to) = how.as_runbook {
        let (_, from) = catalog::find(resumable.runbook_ref())?;
        let (_, to, hash) = catalog::find_with_hash(to)?;
        resumable = playback::escalate(resumable, &from, &to, hash)
            .map_err(|error| UsageError(error.to_string()))?;
    }
    let name = resumable.runbook_ref().to_owned();
    play(global, &name, pair, Some(resumable), args, state).await
}

/// Runs (or resumes) `name` on `pair` to an outcome and maps it to an exit code.
async fn play(
    global: &GlobalArgs,
    name: &str,
    pair: RegionPair,
    resumable: Option<Resumable>,
    args: &PlaybackArgs,
    state: PathBuf,
) -> Result<Exit> {
    let (_, runbook, hash) = catalog::find_with_hash(name)?;
    let mut pair = pair;
    if let Some(cap) = args.max_data_loss {
        pair.max_data_loss = cap;
    }
    refuse_early(&runbook, &pair, args, global.read_only)?;
    if let Some(resumable) = &resumable {
        check_resumable(resumable, &hash)?;
    }
    let clock = clock_for(&pair);
    let opened = open_backend(&pair, global, &clock, &ClientPool::default()).await?;
    let mut approvals = Approvals {
        all: args.approve_all,
        ids: args.approve.iter().cloned().collect(),
    };
    approvals.ids.retain(|id| !id.is_empty());
    let stop = Arc::new(AtomicBool::new(false));
    let signalled = Arc::new(AtomicU8::new(0));
    let watcher = tokio::spawn(stop_on_signals(Arc::clone(&stop), Arc::clone(&signalled)));
    let player = Playback {
        engine: Engine {
            pair: &pair,
            runbook: &runbook,
            status: opened.status.as_ref(),
            act: opened.act.as_ref(),
            clock: clock.as_ref(),
            operator: opened.operator().await,
            approvals,
            read_only: global.read_only,
            gatekeeper: None,
            pause: Some(Arc::clone(&stop)),
        },
        runbook_hash: hash,
        state,
        remote_lock: opened.remote_lock.clone(),
        hold: None,
    };
    if let Some(resumable) = &resumable {
        announce_fresh_decision(&player, resumable, &pair);
    }
    let json = args.format == Format::Json;
    let mut print = |record: &Record| {
        if json {
            crate::output::json(&format!(
                "{}\n",
                serde_json::to_string(record).unwrap_or_default()
            ));
        } else {
            outln!("{}", progress_line(record));
        }
    };
    let played = player.play(resumable.as_ref(), &mut print).await;
    watcher.abort();
    report(
        played,
        signalled.load(Ordering::SeqCst),
        catalog::escalation(&runbook),
        &player.state,
        &pair.commands(),
    )
}

/// What a resume will do again, said before it does it.
fn announce_fresh_decision(player: &Playback, resumable: &Resumable, pair: &RegionPair) {
    let still_done = player.still_done(resumable);
    let again: Vec<&str> = resumable
        .done
        .difference(&still_done)
        .map(String::as_str)
        .collect();
    if !again.is_empty() {
        errln!(
            "drtui: a resume is a fresh decision: {} run again (checks on the destination; approvals given before a failure or older than {})",
            again.join(", "),
            humantime::format_duration(pair.approval_window)
        );
    }
}

/// How a run ended, said on stderr, as an exit code; a failed run that can go on as another
/// runbook (`escalation`) says how.
fn report(
    played: Result<(String, Outcome), PlaybackError>,
    signal: u8,
    escalation: Option<&str>,
    state: &std::path::Path,
    commands: &PairCommands,
) -> Result<Exit> {
    match played {
        Ok((run_id, Outcome::Paused { step })) if signal != 0 => {
            errln!(
                "drtui: {} stopped the run at a safe point, before `{step}`; the lock is released. Continue with: {}",
                signal_name(signal),
                commands.resume(&run_id, "")
            );
            Ok(match signal {
                1 => Exit::Hangup,
                15 => Exit::Terminated,
                _ => Exit::Interrupted,
            })
        }
        Ok((_, Outcome::Completed)) => Ok(Exit::Ok),
        Ok((run_id, Outcome::Blocked { step })) => {
            errln!(
                "drtui: stopped at `{step}`, which needs an approval; continue with: {}",
                commands.resume(&run_id, &format!("--approve {step}"))
            );
            Ok(Exit::Gate)
        }
        Ok((
            run_id,
            Outcome::OverCap {
                step,
                reason,
                data_at_risk_ms,
            },
        )) => {
            over_cap(commands, &run_id, &step, &reason, data_at_risk_ms);
            Ok(Exit::Gate)
        }
        Ok((run_id, Outcome::Paused { step })) => {
            errln!(
                "drtui: paused before `{step}`; continue with: {}",
                commands.resume(&run_id, "")
            );
            Ok(Exit::Gate)
        }
        Ok((
            run_id,
            Outcome::Failed {
                step,
                reason,
                kind: FailureKind::Credentials,
            },
        )) => {
            errln!(
                "drtui: run {run_id} stopped at `{step}` because the AWS credentials failed: {reason}\nLog in again, then continue with: {}",
                commands.resume(&run_id, "")
            );
            Ok(Exit::Usage)
        }
        Ok((run_id, Outcome::Failed { step, reason, .. })) => {
            errln!("drtui: run {run_id} failed at `{step}`: {reason}");
            if let Some(to) = escalation {
                errln!(
                    "Retry with: {}\nOr go on as a {to} from where it is (it asks again before promoting, with the data at risk then): {}",
                    commands.resume(&run_id, ""),
                    commands.resume(&run_id, &format!("--as {to}"))
                );
            }
            Ok(Exit::Failure)
        }
        Err(error) => playback_error(error, state, commands),
    }
}

/// A run that could not go on: which exit and what to do.
fn playback_error(
    error: PlaybackError,
    state: &std::path::Path,
    commands: &PairCommands,
) -> Result<Exit> {
    match error {
        PlaybackError::Lock(error @ drtui_engine::lock::LockError::Io { .. }) => {
            // The state dir cannot be written: an I/O failure, not another operator.
            errln!("drtui: {error}");
            Ok(Exit::Failure)
        }
        PlaybackError::Lock(error) => {
            errln!("drtui: {error}");
            Ok(Exit::Locked)
        }
        PlaybackError::RemoteLock(error @ drtui_core::ports::RemoteLockError::Held { .. }) => {
            errln!("drtui: {error}");
            Ok(Exit::Locked)
        }
        PlaybackError::RemoteLock(error) => {
            errln!("drtui: {error}");
            Ok(Exit::Failure)
        }
        PlaybackError::Denied { .. } => {
            errln!("drtui: {error}");
            errln!(
                "Nothing was changed or locked. The policy that allows them: {}",
                commands.iam_policy("operator")
            );
            Ok(Exit::Usage)
        }
        PlaybackError::Midway { run_id, source } => {
            errln!("drtui: run {run_id} stopped: {source}");
            // A journal that holds the run can be resumed once the cause is fixed (a full
            // disk, a state dir made read-only); one that never began cannot.
            if playback::resumable(state, &run_id).is_ok() {
                errln!(
                    "Once that is fixed, continue with: {}",
                    commands.resume(&run_id, "")
                );
            }
            Ok(Exit::Failure)
        }
        error => Err(error.into()),
    }
}

/// A data-loss gate the cap did not allow: why, and the command that accepts the loss.
fn over_cap(
    commands: &PairCommands,
    run_id: &str,
    step: &str,
    reason: &str,
    data_at_risk_ms: Option<f64>,
) {
    errln!("drtui: stopped at `{step}`: {reason}");
    match data_at_risk_ms {
        Some(lag) => {
            // The figure in whole minutes plus one: a stalled lag grows a second per second
            // while the operator reads this (one word, so it runs as printed).
            let cap_min = (lag / 60_000.0).ceil() as u64 + 1;
            errln!(
                "To accept up to {cap_min} min of loss for this run: {}",
                commands.resume(
                    run_id,
                    &format!("--approve {step} --max-data-loss {cap_min}m")
                )
            );
        }
        None => errln!(
            "Once the figure is known again: {}\nOr to accept whatever it is for this run: {}",
            commands.resume(run_id, &format!("--approve {step}")),
            commands.resume(run_id, &format!("--approve {step} --max-data-loss any"))
        ),
    }
}

/// SIGINT, SIGTERM or SIGHUP ask the run to stop at its next safe point (between steps, or
/// between the polls of a wait; an action in flight finishes and is recorded first). A second
/// signal quits at once: the journal shows the step in flight and `resume` re-checks it.
async fn stop_on_signals(stop: Arc<AtomicBool>, signalled: Arc<AtomicU8>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate), Ok(mut hangup)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return;
    };
    loop {
        let number: u8 = tokio::select! {
            _ = interrupt.recv() => 2,
            _ = terminate.recv() => 15,
            _ = hangup.recv() => 1,
        };
        if stop.swap(true, Ordering::SeqCst) {
            errln!("drtui: {} again: quitting now", signal_name(number));
            std::process::exit(128 + i32::from(number));
        }
        signalled.store(number, Ordering::SeqCst);
        errln!(
            "drtui: {}: stopping at the next safe point (send it again to quit at once)",
            signal_name(number)
        );
    }
}

fn signal_name(number: u8) -> &'static str {
    match number {
        1 => "SIGHUP",
        15 => "SIGTERM",
        _ => "SIGINT",
    }
}

/// What can be refused before anything runs or is journalled: an `--approve` id the runbook
/// does not have (a typo would otherwise approve nothing and be accepted silently), and a
/// mutating runbook under `--read-only` (it could only fail at its first action).
fn refuse_early(
    runbook: &Runbook,
    pair: &RegionPair,
    args: &PlaybackArgs,
    read_only: bool,
) -> Result<()> {
    let known = runbook.approvable_ids();
    let unknown: Vec<&str> = args
        .approve
        .iter()
        .map(String::as_str)
        .filter(|id| !id.is_empty() && !known.contains(id))
        .collect();
    if !unknown.is_empty() {
        return Err(UsageError(format!(
            "--approve {}: runbook `{}` has no such gate; its gates and manual steps are: {}",
            unknown.join(", "),
            runbook.name,
            known.join(", ")
        ))
        .into());
    }
    // A deployment the pair cannot name (no such stack, no environment_suffix) would fail
    // after the gate, having asked for nothing: say so now, naming the config to fix.
    let unbuildable: Vec<String> = drtui_core::runbook::deploy::unbuildable(runbook, pair)
        .map(|(step, why)| format!("step `{step}`: {why}"))
        .collect();
    if let Some(first) = unbuildable.first() {
        return Err(UsageError(format!(
            "runbook `{}` cannot run on pair `{}`: {first}{}",
            runbook.name,
            pair.name,
            match unbuildable.len() {
                1 => String::new(),
                n => format!(" (and {} more steps)", n - 1),
            }
        ))
        .into());
    }
    if read_only && runbook.mutates() {
        let actions: Vec<&str> = runbook
            .steps
            .iter()
            .filter(|step| step.mutates())
            .map(|step| step.id.as_str())
            .collect();
        return Err(UsageError(format!(
            "--read-only refuses runbook `{}`: it changes the estate ({}); `{}` shows what it would do",
            runbook.name,
            actions.join(", "),
            pair.commands().plan(&runbook.name)
        ))
        .into());
    }
    Ok(())
}

/// A resume goes on only with the runbook the run started with; it warns about a torn journal
/// and a step that was in flight.
fn check_resumable(resumable: &Resumable, hash: &str) -> Result<()> {
    playback::ensure_same_runbook(resumable, hash)
        .map_err(|error| UsageError(error.to_string()))?;
    if resumable.truncated_tail {
        errln!(
            "drtui: the journal's last line was torn (a crash mid-write); it is cut off and kept in {}.torn before the run goes on",
            resumable.run_id
        );
    }
    if let Some(step) = &resumable.in_flight {
        // A gate the run stopped at waits for its approval; only another step was cut short.
        let waiting = resumable
            .summary
            .progress(step)
            .is_some_and(|progress| progress.state == StepState::Waiting);
        if !waiting {
            errln!(
                "drtui: step `{step}` was in flight; it is re-checked against live state before it is retried"
            );
        }
    }
    Ok(())
}

/// One journal record as a line of `run`'s text output.
fn progress_line(record: &Record) -> String {
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
        Event::Escalated {
            by, from, runbook, ..
        } => format!(
            "{at} ▶ {} goes on as {runbook} (was {from}), by {by}",
            record.run_id
        ),
        Event::StepStarted { step, kind, .. } => format!("{at}   · {step} ({kind})"),
        Event::StepFinished {
            step,
            outcome,
            detail,
        } => {
            let symbol = match outcome {
                StepOutcome::Ok => "✔",
                StepOutcome::Skipped => "↷",
                StepOutcome::Failed => "✖",
            };
            format!("{at}   {symbol} {step}: {}", sanitize(detail))
        }
        Event::StepProgress { step, detail } => format!("{at}     {step} │ {}", sanitize(detail)),
        Event::Approved { step, by, how, .. } => {
            format!("{at}   ✔ {step} approved by {by} ({how})")
        }
        Event::GateBlocked { step } => format!("{at}   ⏸ {step} waits for approval"),
        Event::Note { detail } => format!("{at}   ! {}", sanitize(detail)),
        Event::LockBroken { by, reason } => {
            format!("{at}   ! lock broken by {by}: {}", sanitize(reason))
        }
        Event::RunFinished { outcome, detail } => {
            format!("{at} ■ {} ({detail})", wire_name(outcome))
        }
    }
}
