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

use crate::backend::StatusBackend;
use crate::backend::sim::SimBackend;
use crate::clock::Clock;
use crate::config::RegionPair;
use app::{App, Cmd, Msg};

/// What the dashboard needs from the outside world.
pub struct Dashboard {
    pub pair: RegionPair,
    pub backend: Arc<dyn StatusBackend>,
    /// Present on the simulator: the fault menu drives it.
    pub simulator: Option<Arc<SimBackend>>,
    pub clock: Arc<dyn Clock>,
    /// The act side runbooks use (already the refusing one when read-only).
    pub act: Arc<dyn crate::backend::ActBackend>,
    /// Where run journals and locks live; runbooks are unavailable without one.
    pub state_dir: Option<std::path::PathBuf>,
    /// Who approvals are recorded as.
    pub operator: String,
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
pub async fn run(dashboard: Dashboard) -> color_eyre::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let _restore = RestoreOnDrop;
    let Dashboard {
        pair,
        backend,
        simulator,
        clock,
        act,
        state_dir,
        operator,
        read_only,
        color,
    } = dashboard;

    let (updates_tx, mut updates) = mpsc::channel(256);
    let cancel = CancellationToken::new();
    let _stop_pollers = cancel.clone().drop_guard();
    crate::poll::spawn_pollers(
        Arc::clone(&backend),
        Arc::clone(&clock),
        pair.poll_interval,
        pair.call_timeout,
        updates_tx,
        cancel,
    );

    let snapshot = pair.empty_snapshot();
    let mut app = App::new(pair, backend.describe(), snapshot, clock.now());
    app.faults = simulator.as_ref().map(|sim| sim.faults());
    app.read_only = read_only;
    app.color = color;
    if state_dir.is_some() {
        app.runbooks = crate::runbook::catalog::all()
            .into_iter()
            .filter_map(|(_, runbook)| runbook.ok())
            .map(|runbook| (runbook.name.value.clone(), runbook.description.clone()))
            .collect();
    }
    let (run_tx, mut run_msgs) = mpsc::unbounded_channel::<Msg>();
    let (gate_tx, mut gate_requests) = mpsc::channel::<crate::runbook::engine::GateRequest>(1);
    let mut pending_gate: Option<tokio::sync::oneshot::Sender<bool>> = None;
    let runner = Runner {
        pair: app.pair.clone(),
        status: Arc::clone(&backend),
        act,
        clock: Arc::clone(&clock),
        operator,
        read_only,
        state_dir,
        messages: run_tx,
        gatekeeper: gate_tx,
        pause: Arc::new(std::sync::atomic::AtomicBool::new(false)),
    };

    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    terminal.draw(|frame| render::render(&app, frame))?;
    loop {
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => Msg::Key(key),
                Some(Ok(Event::Resize(..))) => Msg::Tick(clock.now()),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error.into()),
                None => break,
            },
            Some(update) = updates.recv() => Msg::Update(Box::new(update)),
            Some(msg) = run_msgs.recv() => msg,
            Some(request) = gate_requests.recv() => {
                let prompt = app::GatePrompt {
                    step: request.step,
                    title: request.title,
                    prompt: request.prompt,
                    data_at_risk_ms: request.data_at_risk_ms,
                    loses_data_next: request.loses_data_next,
                    next: request.next,
                    input: String::new(),
                    confirm_abort: false,
                };
                pending_gate = Some(request.reply);
                Msg::GateAsked(prompt)
            }
            _ = ticker.tick() => {
                app::update(&mut app, Msg::Calls(clock.now(), backend.call_counts()));
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
                Cmd::StartRun(name) => runner.start(&name),
                Cmd::PauseRun => runner
                    .pause
                    .store(true, std::sync::atomic::Ordering::SeqCst),
                Cmd::AnswerGate(approved) => {
                    if let Some(reply) = pending_gate.take() {
                        let _ = reply.send(approved);
                    }
                }
                Cmd::SetFault(..) | Cmd::ClearFaults => {
                    if let Some(sim) = &simulator {
                        if let Cmd::SetFault(fault, on) = command {
                            sim.set_fault(fault, on);
                        } else {
                            for fault in sim.faults() {
                                sim.set_fault(fault, false);
                            }
                        }
                        app::update(&mut app, Msg::FaultsChanged(sim.faults()));
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

/// Starts runbook runs in the background; their journal records and gate questions come back
/// to the UI loop as messages, so the dashboard stays live beside the run.
struct Runner {
    pair: RegionPair,
    status: Arc<dyn StatusBackend>,
    act: Arc<dyn crate::backend::ActBackend>,
    clock: Arc<dyn Clock>,
    operator: String,
    read_only: bool,
    state_dir: Option<std::path::PathBuf>,
    messages: mpsc::UnboundedSender<Msg>,
    gatekeeper: mpsc::Sender<crate::runbook::engine::GateRequest>,
    /// Set by `p`; the running engine stops before its next step.
    pause: Arc<std::sync::atomic::AtomicBool>,
}

impl Runner {
    fn start(&self, name: &str) {
        let messages = self.messages.clone();
        let fail = |message: String| {
            let _ = messages.send(Msg::RunEnded(message));
        };
        let Some(state) = self.state_dir.clone() else {
            return fail("no state directory for the run journal: set DRTUI_STATE_DIR".to_owned());
        };
        let (runbook, hash) = match crate::runbook::catalog::find_with_hash(name) {
            Ok((_, runbook, hash)) => (runbook, hash),
            Err(error) => return fail(error.to_string()),
        };
        let steps = runbook
            .steps
            .iter()
            .map(|step| {
                (
                    step.id.value.clone(),
                    step.title.clone(),
                    crate::runbook::validate::snake_case(&format!("{:?}", step.kind.value)),
                )
            })
            .collect();
        let _ = messages.send(Msg::RunStarted(runbook.name.value.clone(), steps));
        let pair = self.pair.clone();
        let status = Arc::clone(&self.status);
        let act = Arc::clone(&self.act);
        let clock = Arc::clone(&self.clock);
        let operator = self.operator.clone();
        let read_only = self.read_only;
        let gatekeeper = self.gatekeeper.clone();
        self.pause.store(false, std::sync::atomic::Ordering::SeqCst);
        let pause = Arc::clone(&self.pause);
        tokio::spawn(async move {
            let player = crate::runbook::playback::Playback {
                pair: &pair,
                runbook: &runbook,
                runbook_hash: hash,
                status: status.as_ref(),
                act: act.as_ref(),
                clock: clock.as_ref(),
                operator,
                approvals: crate::runbook::engine::Approvals::default(),
                read_only,
                state,
                gatekeeper: Some(gatekeeper),
                pause: Some(pause),
            };
            let records = messages.clone();
            let mut forward = |record: &crate::runbook::journal::Record| {
                let _ = records.send(Msg::RunRecord(Box::new(record.clone())));
            };
            if let Err(error) = player.play(None, &mut forward).await {
                let _ = messages.send(Msg::RunEnded(error.to_string()));
            }
        });
    }
}
