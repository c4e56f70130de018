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
            if let Some(sim) = &simulator {
                match command {
                    Cmd::SetFault(fault, on) => sim.set_fault(fault, on),
                    Cmd::ClearFaults => {
                        for fault in sim.faults() {
                            sim.set_fault(fault, false);
                        }
                    }
                }
                app::update(&mut app, Msg::FaultsChanged(sim.faults()));
            }
        }
        if app.should_quit {
            break;
        }
        terminal.draw(|frame| render::render(&app, frame))?;
    }
    Ok(())
}
