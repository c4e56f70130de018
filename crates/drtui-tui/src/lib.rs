//! The dashboard: an Elm-style core (`app`), pure rendering (`render`), and this runtime,
//! the only part that touches the terminal, the clock and the pollers.

pub mod app;
pub mod format;
pub mod keys;
pub mod render;
pub mod theme;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use app::{App, Cmd, Msg};
use drtui_core::clock::Clock;
use drtui_core::config::RegionPair;
use drtui_core::fault::FaultControl;
use drtui_core::ports::StatusBackend;
use drtui_engine::session::{RunSession, SessionConfig};

/// Seconds between re-reads of the journal for unfinished runs.
const UNFINISHED_EVERY_TICKS: u64 = 3;

/// What the dashboard needs from the outside world.
pub struct Dashboard {
    pub pair: RegionPair,
    pub backend: Arc<dyn StatusBackend>,
    /// Present when the backend can inject faults (the simulator): the fault menu drives it.
    pub faults: Option<Arc<dyn FaultControl>>,
    pub clock: Arc<dyn Clock>,
    /// The act side runbooks use (already the refusing one when read-only).
    pub act: Arc<dyn drtui_core::ports::ActBackend>,
    /// Where run journals and locks live; runbooks are unavailable without one.
    pub state_dir: Option<std::path::PathBuf>,
    /// Who approvals are recorded as.
    pub operator: String,
    /// The pair's cross-machine run lock, when it has a `lock_table`.
    pub remote_lock: Option<Arc<dyn drtui_core::ports::RemoteLock>>,
    pub read_only: bool,
    pub color: bool,
}

/// Restores the terminal however the dashboard ends (error, early return); panics are covered
/// by the hook `ratatui::init` installs.
struct RestoreOnDrop;

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Runs the dashboard until the user quits.
#[allow(
    clippy::too_many_lines,
    reason = "the event loop: one select over keys, poll results, run events and ticks"
)]
pub async fn run(dashboard: Dashboard) -> color_eyre::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let _restore = RestoreOnDrop;
    let Dashboard {
        pair,
        backend,
        faults,
        clock,
        act,
        state_dir,
        operator,
        remote_lock,
        read_only,
        color,
    } = dashboard;

    let (updates_tx, mut updates) = mpsc::channel(256);
    let cancel = CancellationToken::new();
    let _stop_pollers = cancel.clone().drop_guard();
    drtui_engine::poll::spawn_pollers(
        Arc::clone(&backend),
        Arc::clone(&clock),
        drtui_engine::poll::Cadence::of(&pair),
        pair.call_timeout,
        updates_tx,
        cancel,
    );

    let snapshot = pair.empty_snapshot();
    let mut app = App::new(pair, backend.describe(), snapshot, clock.now());
    app.faults = faults.as_ref().map(|control| control.faults());
    app.read_only = read_only;
    app.color = color;
    if state_dir.is_some() {
        app.runbooks = drtui_core::runbook::catalog::all()
            .into_iter()
            .filter_map(|(_, runbook)| runbook.ok())
            .collect();
    }
    let unfinished_in = |state: &Option<std::path::PathBuf>, pair: &str| {
        state
            .as_deref()
            .and_then(|state| drtui_engine::journal_file::newest_unfinished(state, pair))
    };
    let journal_dir = state_dir.clone();
    let pair_name = app.pair.name.clone();
    app::update(
        &mut app,
        Msg::Unfinished(unfinished_in(&journal_dir, &pair_name)),
    );
    let (session, mut run_events) = RunSession::new(SessionConfig {
        pair: app.pair.clone(),
        status: Arc::clone(&backend),
        act,
        clock: Arc::clone(&clock),
        operator,
        read_only,
        state_dir,
        remote_lock,
    });

    let mut ticks: u64 = 0;
    let mut events = EventStream::new();
    // SIGTERM or SIGHUP (a closed terminal, a killed session) end the dashboard like `q`:
    // the terminal is restored on the way out; a run in flight is left to `drtui resume`.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    if let Ok(size) = terminal.size() {
        app::update(&mut app, Msg::Resize(size.width, size.height));
    }
    terminal.draw(|frame| render::render(&app, frame))?;
    loop {
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => Msg::Key(key),
                Some(Ok(Event::Resize(width, height))) => Msg::Resize(width, height),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error.into()),
                None => break,
            },
            Some(update) = updates.recv() => Msg::Update(Box::new(update)),
            _ = terminate.recv() => break,
            _ = hangup.recv() => break,
            Some(event) = run_events.recv() => app::Msg::from(event),
            _ = ticker.tick() => {
                app::update(&mut app, Msg::Calls(clock.now(), backend.call_counts()));
                // Another operator's run, or one that just ended here, shows within seconds.
                ticks += 1;
                if ticks.is_multiple_of(UNFINISHED_EVERY_TICKS) {
                    app::update(
                        &mut app,
                        Msg::Unfinished(unfinished_in(&journal_dir, &pair_name)),
                    );
                }
                Msg::Tick(clock.now())
            }
        };
        let mut commands = app::update(&mut app, msg);
        // Coalesce a burst of poll results into one frame.
        while let Ok(update) = updates.try_recv() {
            commands.extend(app::update(&mut app, Msg::Update(Box::new(update))));
        }
        for command in commands {
            match command {
                Cmd::StartRun(name) => session.start(&name),
                Cmd::PauseRun => session.pause(),
                Cmd::AnswerGate(true) => session.answer_gate(true),
                // Declining a gate (Esc twice) aborts the run.
                Cmd::AnswerGate(false) => session.abort(),
                Cmd::SetFault(..) | Cmd::ClearFaults => {
                    if let Some(control) = &faults {
                        if let Cmd::SetFault(fault, on) = command {
                            control.set_fault(fault, on);
                        } else {
                            for fault in control.faults() {
                                control.set_fault(fault, false);
                            }
                        }
                        app::update(&mut app, Msg::FaultsChanged(control.faults()));
                    }
                }
            }
        }
        if app.should_quit {
            break;
        }
        terminal.draw(|frame| render::render(&app, frame))?;
    }
    Ok(())
}
