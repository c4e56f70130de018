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
    pub operator: drtui_engine::session::Operator,
    /// The pair's cross-machine run lock, when it has a `lock_table`.
    pub remote_lock: Option<Arc<dyn drtui_core::ports::RemoteLock>>,
    /// The crowd's shared poller (`share = true`): this process polls for the others, or
    /// reads what another wrote.
    pub shared: Option<Arc<dyn drtui_core::share::SharedPoll>>,
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

/// One pair on screen: its state, its run session and the handles its commands need.
struct PairView {
    app: App,
    session: RunSession,
    backend: Arc<dyn StatusBackend>,
    faults: Option<Arc<dyn FaultControl>>,
    clock: Arc<dyn Clock>,
    journal_dir: Option<std::path::PathBuf>,
    /// Asks the pollers to read parity and permissions now (the `c` key), and tells them
    /// whether the estate is settled (the weights' pace).
    polling: drtui_engine::poll::PollControl,
}

/// Where the pollers and run sessions of every pair report, tagged with the pair's index.
struct Inboxes {
    updates: mpsc::Sender<(usize, drtui_core::model::SourceUpdate)>,
    runs: mpsc::UnboundedSender<(usize, drtui_engine::session::SessionEvent)>,
    cancel: CancellationToken,
}

/// The pair's pollers: the crowd's shared poller when the pair is shared, else this
/// process's own.
fn start_polling(
    pair: &RegionPair,
    backend: &Arc<dyn StatusBackend>,
    clock: &Arc<dyn Clock>,
    shared: Option<Arc<dyn drtui_core::share::SharedPoll>>,
    updates: mpsc::Sender<drtui_core::model::SourceUpdate>,
    cancel: &CancellationToken,
) -> drtui_engine::poll::PollControl {
    let cadence = drtui_engine::poll::Cadence::of(pair);
    match shared {
        Some(table) => drtui_engine::share::spawn_shared_pollers(
            drtui_engine::share::Polling {
                backend: Arc::clone(backend),
                clock: Arc::clone(clock),
                cadence,
                timeout: pair.call_timeout,
            },
            drtui_engine::share::Shared {
                table,
                me: drtui_engine::share::this_process(clock.as_ref()),
            },
            updates,
            cancel.clone(),
        ),
        None => drtui_engine::poll::spawn_pollers(
            Arc::clone(backend),
            Arc::clone(clock),
            cadence,
            pair.call_timeout,
            updates,
            cancel.clone(),
        ),
    }
}

impl PairView {
    /// Starts the pair's pollers and run session, forwarding what they send to `inboxes`.
    fn start(index: usize, dashboard: Dashboard, inboxes: &Inboxes) -> Self {
        let Dashboard {
            pair,
            backend,
            faults,
            clock,
            act,
            state_dir,
            operator,
            remote_lock,
            shared,
            read_only,
            color,
        } = dashboard;
        let (updates_tx, mut updates) = mpsc::channel(256);
        let polling = start_polling(&pair, &backend, &clock, shared, updates_tx, &inboxes.cancel);
        let forward = inboxes.updates.clone();
        tokio::spawn(async move {
            while let Some(update) = updates.recv().await {
                if forward.send((index, update)).await.is_err() {
                    break;
                }
            }
        });
        let snapshot = pair.empty_snapshot();
        let mut app = App::new(pair, backend.describe(), snapshot, clock.now());
        app.faults = faults.as_ref().map(|control| control.faults());
        app.read_only = read_only;
        app.color = color;
        if state_dir.is_some() {
            app.runbooks = drtui_engine::catalog::all()
                .into_iter()
                .filter_map(|(_, runbook)| runbook.ok())
                .collect();
        }
        let (session, mut run_events) = RunSession::new(SessionConfig {
            pair: app.pair.clone(),
            status: Arc::clone(&backend),
            act,
            clock: Arc::clone(&clock),
            operator,
            read_only,
            state_dir: state_dir.clone(),
            remote_lock,
        });
        let forward = inboxes.runs.clone();
        tokio::spawn(async move {
            while let Some(event) = run_events.recv().await {
                if forward.send((index, event)).is_err() {
                    break;
                }
            }
        });
        let mut view = Self {
            app,
            session,
            backend,
            faults,
            clock,
            journal_dir: state_dir,
            polling,
        };
        view.refresh_unfinished();
        view
    }

    /// Re-reads the journal: another operator's run, or one that just ended here.
    fn refresh_unfinished(&mut self) {
        let unfinished = self.journal_dir.as_deref().and_then(|state| {
            drtui_engine::journal_file::newest_unfinished(state, &self.app.pair.name)
        });
        app::update(&mut self.app, Msg::Unfinished(unfinished));
    }

    /// One second passed.
    fn tick(&mut self, ticks: u64) {
        let now = self.clock.now();
        app::update(&mut self.app, Msg::Calls(now, self.backend.call_counts()));
        if ticks.is_multiple_of(UNFINISHED_EVERY_TICKS) {
            self.refresh_unfinished();
        }
        let commands = app::update(&mut self.app, Msg::Tick(now));
        self.perform(commands);
        self.polling.set_settled(self.app.settled_for_polling());
        let sharing = self.polling.sharing();
        self.app.sharing = sharing.line(now).zip(sharing.short(now));
        self.save_timeline();
    }

    /// Writes what changed since the last save to the pair's timeline file (once a second).
    fn save_timeline(&mut self) {
        if self.app.timeline_unsaved.is_empty() {
            return;
        }
        let changes = std::mem::take(&mut self.app.timeline_unsaved);
        if let Some(state) = &self.journal_dir
            && let Err(error) = drtui_engine::changes_file::append(state, &changes)
        {
            tracing::warn!(%error, "cannot write the timeline");
        }
    }

    /// Carries out what `update` asked for.
    fn perform(&mut self, commands: Vec<Cmd>) {
        for command in commands {
            match command {
                Cmd::StartRun(name) => self.session.start(&name),
                Cmd::ResumeRun { run_id, how } => self.session.resume(&run_id, how),
                Cmd::PauseRun => self.session.pause(),
                Cmd::Recheck => self.polling.recheck_now(),
                Cmd::AnswerGate(true) => self.session.answer_gate(true),
                // Declining a gate (Esc twice) aborts the run.
                Cmd::AnswerGate(false) => self.session.abort(),
                Cmd::SetFault(..) | Cmd::ClearFaults => {
                    if let Some(control) = &self.faults {
                        if let Cmd::SetFault(fault, on) = command {
                            control.set_fault(fault, on);
                        } else {
                            for fault in control.faults() {
                                control.set_fault(fault, false);
                            }
                        }
                        app::update(&mut self.app, Msg::FaultsChanged(control.faults()));
                    }
                }
            }
        }
    }
}

/// Which screen shows: the fleet list (several pairs), or one pair's dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetState {
    /// More than one pair: Esc in a pair's dashboard returns to the list.
    pub many: bool,
    pub selected: usize,
    pub open: Option<usize>,
}

/// Runs the dashboard of one pair until the user quits.
pub async fn run(dashboard: Dashboard) -> color_eyre::Result<()> {
    run_fleet(vec![dashboard]).await
}

/// Runs the dashboard of several pairs: a fleet list (one line per pair), Enter opens a
/// pair's dashboard, Esc returns. With one pair, its dashboard directly.
/// Whether the event loop goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Go,
    Quit,
}

fn apply_update(views: &mut [PairView], index: usize, update: drtui_core::model::SourceUpdate) {
    if let Some(view) = views.get_mut(index) {
        app::update(&mut view.app, Msg::Update(Box::new(update)));
    }
}

/// A key or a resize from the terminal; the end of its event stream ends the loop.
fn on_terminal_event(
    views: &mut [PairView],
    fleet: &mut FleetState,
    event: Option<std::io::Result<Event>>,
) -> color_eyre::Result<Flow> {
    match event {
        Some(Ok(Event::Key(key))) if key.kind != crossterm::event::KeyEventKind::Release => {
            Ok(on_key(views, fleet, key))
        }
        Some(Ok(Event::Resize(width, height))) => {
            for view in views.iter_mut() {
                app::update(&mut view.app, Msg::Resize(width, height));
            }
            Ok(Flow::Go)
        }
        Some(Ok(_)) => Ok(Flow::Go),
        Some(Err(error)) => Err(error.into()),
        None => Ok(Flow::Quit),
    }
}

/// A key goes to the open pair's dashboard (Esc back to the fleet list), or to the list.
fn on_key(views: &mut [PairView], fleet: &mut FleetState, key: crossterm::event::KeyEvent) -> Flow {
    let Some(index) = fleet.open else {
        return if fleet_key(fleet, key.code, views.len()) {
            Flow::Quit
        } else {
            Flow::Go
        };
    };
    let view = &mut views[index];
    let back = fleet.many
        && key.code == crossterm::event::KeyCode::Esc
        && view.app.overlay == app::Overlay::None
        && view.app.gate.is_none();
    if back {
        fleet.open = None;
    } else {
        let commands = app::update(&mut view.app, Msg::Key(key));
        view.perform(commands);
    }
    Flow::Go
}

pub async fn run_fleet(dashboards: Vec<Dashboard>) -> color_eyre::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let _restore = RestoreOnDrop;
    let (updates_tx, mut updates) = mpsc::channel(1024);
    let (runs_tx, mut run_events) = mpsc::unbounded_channel();
    let inboxes = Inboxes {
        updates: updates_tx,
        runs: runs_tx,
        cancel: CancellationToken::new(),
    };
    let _stop_pollers = inboxes.cancel.clone().drop_guard();
    let many = dashboards.len() > 1;
    let mut views: Vec<PairView> = dashboards
        .into_iter()
        .enumerate()
        .map(|(index, dashboard)| PairView::start(index, dashboard, &inboxes))
        .collect();
    let mut fleet = FleetState {
        many,
        selected: 0,
        open: if many { None } else { Some(0) },
    };
    let mut ticks: u64 = 0;
    let mut events = EventStream::new();
    // SIGTERM or SIGHUP (a closed terminal, a killed session) end the dashboard like `q`:
    // the terminal is restored on the way out; a run in flight is left to `drtui resume`.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    if let Ok(size) = terminal.size() {
        for view in &mut views {
            app::update(&mut view.app, Msg::Resize(size.width, size.height));
        }
    }
    loop {
        draw(&mut terminal, &views, fleet)?;
        let flow = tokio::select! {
            event = events.next() => on_terminal_event(&mut views, &mut fleet, event)?,
            Some((index, update)) = updates.recv() => {
                apply_update(&mut views, index, update);
                // Coalesce a burst of poll results into one frame.
                while let Ok((index, update)) = updates.try_recv() {
                    apply_update(&mut views, index, update);
                }
                Flow::Go
            }
            _ = terminate.recv() => Flow::Quit,
            _ = hangup.recv() => Flow::Quit,
            Some((index, event)) = run_events.recv() => {
                if let Some(view) = views.get_mut(index) {
                    let commands = app::update(&mut view.app, app::Msg::from(event));
                    view.perform(commands);
                }
                Flow::Go
            }
            _ = ticker.tick() => {
                ticks += 1;
                for view in &mut views {
                    view.tick(ticks);
                }
                Flow::Go
            }
        };
        if flow == Flow::Quit || views.iter().any(|view| view.app.should_quit) {
            break;
        }
    }
    for view in &mut views {
        view.save_timeline();
        view.session.close().await;
    }
    Ok(())
}

/// The fleet list's keys; true when the user quits.
fn fleet_key(fleet: &mut FleetState, code: crossterm::event::KeyCode, len: usize) -> bool {
    use crossterm::event::KeyCode;
    match code {
        KeyCode::Char('q') => return true,
        KeyCode::Up | KeyCode::Char('k') => {
            fleet.selected = (fleet.selected + len.max(1) - 1) % len.max(1);
        }
        KeyCode::Down | KeyCode::Char('j') => fleet.selected = (fleet.selected + 1) % len.max(1),
        KeyCode::Enter => fleet.open = Some(fleet.selected),
        _ => {}
    }
    false
}

fn draw(
    terminal: &mut ratatui::DefaultTerminal,
    views: &[PairView],
    fleet: FleetState,
) -> std::io::Result<()> {
    terminal.draw(
        |frame| match fleet.open.and_then(|index| views.get(index)) {
            Some(view) => render::render(&view.app, frame),
            None => {
                let apps: Vec<&App> = views.iter().map(|view| &view.app).collect();
                render::fleet::render(&apps, fleet.selected, frame);
            }
        },
    )?;
    Ok(())
}
