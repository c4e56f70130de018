//! Elm-style core of the dashboard: state, messages, and `update`, which never does I/O;
//! it returns commands for the runtime to carry out.

use drtui_core::runbook::gate::GateQuestion;
use drtui_engine::session::{Resume, SessionEvent, StepSummary};
use std::collections::BTreeSet;

use crossterm::event::{KeyEvent, KeyEventKind};

use super::keys::{self, Action, Availability, Context};
use drtui_core::changes::{self, Change, ChangeKind};
use drtui_core::clock::Timestamp;
use drtui_core::config::RegionPair;
use drtui_core::fault::Fault;
use drtui_core::model::{CallCounts, RegionStatus, Role, Snapshot, SourceUpdate};
use drtui_core::phase::{Phase, UnfinishedRun};
use drtui_core::readiness::{self, Readiness};
use drtui_core::settle::Settled;

/// Panels that can take focus, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Primary,
    Secondary,
    Checks,
    Alarms,
    Executions,
    Stacks,
}

impl Panel {
    pub const ORDER: [Panel; 6] = [
        Panel::Primary,
        Panel::Secondary,
        Panel::Checks,
        Panel::Alarms,
        Panel::Executions,
        Panel::Stacks,
    ];
    pub const LISTS: [Panel; 4] = [
        Panel::Checks,
        Panel::Alarms,
        Panel::Executions,
        Panel::Stacks,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Panel::Primary => "primary",
            Panel::Secondary => "secondary",
            Panel::Checks => "Readiness checks",
            Panel::Alarms => "Alarms",
            Panel::Executions => "Failover executions",
            Panel::Stacks => "Stacks",
        }
    }

    fn step(self, forward: bool) -> Panel {
        let index = Panel::ORDER
            .iter()
            .position(|panel| *panel == self)
            .unwrap_or(0);
        let len = Panel::ORDER.len();
        Panel::ORDER[if forward {
            (index + 1) % len
        } else {
            (index + len - 1) % len
        }]
    }

    pub fn is_list(self) -> bool {
        Panel::LISTS.contains(&self)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    Faults {
        selected: usize,
    },
    Debug,
    Timeline,
    Runbooks {
        selected: usize,
    },
    /// The focused panel's selected row in full.
    Detail,
}

pub use drtui_core::runbook::journal::StepState;

impl RunView {
    /// The run's id once its first journal record arrived.
    pub fn run_id(&self) -> Option<&str> {
        Some(self.summary.run_id.as_str()).filter(|id| !id.is_empty())
    }

    /// Where `step` stands: `Pending` until the journal mentions it.
    pub fn state(&self, step: &str) -> StepState {
        self.summary
            .progress(step)
            .map_or(StepState::Pending, |progress| progress.state)
    }
}

/// The run shown beside the dashboard.
#[derive(Clone, Debug, PartialEq)]
pub struct RunView {
    pub runbook: String,
    /// The journal so far, folded (the same fold `resume` and `runs show` read).
    pub summary: drtui_core::runbook::journal::RunSummary,
    /// The runbook's steps in order; where each stands comes from `summary`.
    pub steps: Vec<StepSummary>,
    /// Set when the run has ended: how.
    pub outcome: Option<String>,
}

/// A gate waiting for the person at the keyboard.
#[derive(Clone, Debug, PartialEq)]
pub struct GatePrompt {
    pub question: GateQuestion,
    /// What the person has typed so far (approval needs the pair name).
    pub input: String,
    pub confirm_abort: bool,
    /// First line shown of the calls list, when it does not fit.
    pub scroll: usize,
}

impl GatePrompt {
    pub fn new(question: GateQuestion) -> Self {
        Self {
            question,
            input: String::new(),
            confirm_abort: false,
            scroll: 0,
        }
    }
}

/// Everything the dashboard shows; `render` reads only this.
#[derive(Clone, Debug)]
pub struct App {
    pub pair: RegionPair,
    pub backend_label: String,
    /// What the shown assessment (`readiness`) was made of: every panel, list and the picker
    /// read this, so the screen never shows one poll's figures beside another's verdict.
    pub snapshot: Snapshot,
    /// Every update as it arrives; it becomes `snapshot` once its assessment is shown (at
    /// once, or after the hysteresis confirmed it).
    pub incoming: Snapshot,
    /// When the shown assessment was made: what it judged is judged again as of then (the
    /// picker's marks), not as of a later second in which its data has aged.
    pub assessed_at: Timestamp,
    pub readiness: Readiness,
    pub now: Timestamp,
    pub focus: Panel,
    /// The list shown when the screen has room for only one.
    pub shown_list: Panel,
    /// The selected row of each list, in [`Panel::LISTS`] order.
    pub selected: [usize; 4],
    pub overlay: Overlay,
    /// Active simulator faults; `None` when the backend cannot inject faults.
    pub faults: Option<BTreeSet<Fault>>,
    pub read_only: bool,
    pub color: bool,
    pub flash: Option<(String, Timestamp)>,
    pub should_quit: bool,
    /// Cumulative API call counts sampled once a second, oldest first (about a minute).
    pub calls: std::collections::VecDeque<(Timestamp, CallCounts)>,
    /// Runbooks the picker offers.
    pub runbooks: Vec<drtui_core::runbook::step::Runbook>,
    pub run: Option<RunView>,
    pub gate: Option<GatePrompt>,
    /// `q` during a run asks once before leaving it.
    pub quit_armed: bool,
    /// The pair's newest run that changed the estate and did not complete (from the journal).
    pub unfinished: Option<UnfinishedRun>,
    /// The verdict as shown, with hysteresis.
    pub settled: Settled,
    /// When the shown phase began, if it changed while the dashboard was open.
    pub phase_since: Option<(Phase, Timestamp)>,
    /// On a shared pair, where the data comes from: in full ("shared from host-a 3 s ago")
    /// and short for a narrow header ("⇆ host-a 3s").
    pub sharing: Option<(String, String)>,
    /// The terminal's size, when known: a gate is approved only where it can be read.
    pub screen: Option<(u16, u16)>,
    /// The reason being typed for skipping the stopped run's step, while the prompt is open.
    pub skip_reason: Option<String>,
    /// What changed since the dashboard opened, oldest first (the newest `TIMELINE_LEN`).
    pub timeline: std::collections::VecDeque<Change>,
    /// Changes the runtime has not yet written to the pair's timeline file.
    pub timeline_unsaved: Vec<Change>,
}

/// How many changes the dashboard keeps in memory (the file keeps them all).
pub const TIMELINE_LEN: usize = 500;

/// What happened.
#[derive(Clone, Debug)]
pub enum Msg {
    Key(KeyEvent),
    Update(Box<SourceUpdate>),
    Tick(Timestamp),
    FaultsChanged(BTreeSet<Fault>),
    /// The backend's cumulative call counts, sampled by the runtime.
    Calls(Timestamp, CallCounts),
    /// A run began: its runbook's steps, in order.
    RunStarted(String, Vec<StepSummary>),
    RunRecord(Box<drtui_core::runbook::journal::Record>),
    GateAsked(GatePrompt),
    /// The run task ended without a final journal record (lock refused, journal error).
    RunEnded(String),
    /// The journal's newest unfinished run of the pair, re-read by the runtime.
    Unfinished(Option<UnfinishedRun>),
    /// The terminal now has this many columns and rows.
    Resize(u16, u16),
}

impl From<SessionEvent> for Msg {
    fn from(event: SessionEvent) -> Self {
        match event {
            SessionEvent::Started { runbook, steps } => Msg::RunStarted(runbook, steps),
            SessionEvent::Record(record) => Msg::RunRecord(record),
            SessionEvent::Gate(question) => Msg::GateAsked(GatePrompt::new(question)),
            SessionEvent::Ended(message) => Msg::RunEnded(message),
        }
    }
}

/// What the runtime must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    SetFault(Fault, bool),
    ClearFaults,
    StartRun(String),
    /// Continue a stopped run: retried, past a skipped step, or as another runbook.
    ResumeRun {
        run_id: String,
        how: drtui_engine::session::Resume,
    },
    PauseRun,
    /// The person's answer to the pending gate.
    AnswerGate(bool),
    /// Read parity and permissions again now, between their slow ticks.
    Recheck,
}

impl App {
    /// Whether the estate rests (steady or failed over, no run of this dashboard and no
    /// unfinished run moving it): then the Route 53 weights are read every 30 s, not every poll.
    pub fn settled_for_polling(&self) -> bool {
        let rests = self.readiness.phase.rests();
        let running_here = self.run.as_ref().is_some_and(|run| run.outcome.is_none());
        rests && !running_here && self.unfinished.is_none()
    }

    pub fn new(
        pair: RegionPair,
        backend_label: String,
        snapshot: Snapshot,
        now: Timestamp,
    ) -> Self {
        let readiness = readiness::assess(&snapshot, now, &pair.policy());
        Self {
            pair,
            backend_label,
            incoming: snapshot.clone(),
            assessed_at: now,
            snapshot,
            readiness,
            now,
            focus: Panel::Primary,
            shown_list: Panel::Checks,
            selected: [0; 4],
            overlay: Overlay::None,
            faults: None,
            read_only: false,
            color: true,
            flash: None,
            should_quit: false,
            calls: std::collections::VecDeque::new(),
            runbooks: Vec::new(),
            run: None,
            gate: None,
            quit_armed: false,
            unfinished: None,
            settled: Settled::default(),
            phase_since: None,
            sharing: None,
            screen: None,
            skip_reason: None,
            timeline: std::collections::VecDeque::new(),
            timeline_unsaved: Vec::new(),
        }
    }

    pub fn availability(&self) -> Availability {
        Availability {
            read_only: self.read_only,
            demo: self.faults.is_some(),
            stopped_run: self.stopped_run().is_some(),
            escalation: self.escalation().is_some(),
        }
    }

    /// The runbook the stopped run can go on as (a failed switchover: `failover`), among the
    /// runbooks this dashboard offers.
    pub fn escalation(&self) -> Option<&str> {
        let stopped = self.stopped_run()?;
        let find = |name: &str| self.runbooks.iter().find(|runbook| runbook.name == name);
        let from = find(&stopped.runbook)?;
        let to = find("failover")?;
        from.can_go_on_as(to).then_some(to.name.as_str())
    }

    /// The pair's stopped run this dashboard may continue: nobody else runs it and no run of
    /// this dashboard is in progress.
    pub fn stopped_run(&self) -> Option<&UnfinishedRun> {
        let running_here = self.run.as_ref().is_some_and(|run| run.outcome.is_none());
        self.unfinished
            .as_ref()
            .filter(|unfinished| !unfinished.active && !running_here)
    }

    /// The key contexts active right now, most specific first.
    /// How many rows a list has: what the selection moves over. Counted from the model, as
    /// the list draws it: a region whose source cannot be trusted is one "unknown" row.
    pub fn list_len(&self, panel: Panel) -> usize {
        let max_age = self.pair.stale_after();
        // Each region's entries, or its one "unknown" row.
        let per_region = |entries: &dyn Fn(&RegionStatus) -> Option<usize>| {
            Role::BOTH
                .iter()
                .map(|role| entries(self.snapshot.region(*role)).unwrap_or(1))
                .sum::<usize>()
        };
        match panel {
            Panel::Checks => self.readiness.checks.len(),
            Panel::Alarms => {
                per_region(&|region| region.alarms.usable(self.now, max_age).map(Vec::len))
            }
            // An empty list says so in one row.
            Panel::Stacks => {
                per_region(&|region| region.stacks.usable(self.now, max_age).map(Vec::len)).max(1)
            }
            Panel::Executions => match self.snapshot.state_machine.usable(self.now, max_age) {
                Some(Some(machine)) => machine.executions.len().max(1),
                _ => 1,
            },
            Panel::Primary | Panel::Secondary => 0,
        }
    }

    pub fn contexts(&self) -> Vec<Context> {
        if self.gate.is_some() {
            return vec![Context::Global, Context::Gate];
        }
        if self.skip_reason.is_some() {
            return vec![Context::Global, Context::Prompt];
        }
        match self.overlay {
            Overlay::None => vec![Context::Global, Context::Dashboard],
            Overlay::Help => vec![Context::Global, Context::Overlay],
            Overlay::Faults { .. } => vec![Context::Global, Context::FaultMenu, Context::Overlay],
            Overlay::Debug | Overlay::Detail | Overlay::Timeline => {
                vec![Context::Global, Context::Overlay]
            }
            Overlay::Runbooks { .. } => {
                vec![Context::Global, Context::RunbookMenu, Context::Overlay]
            }
        }
    }

    /// Calls made over the last poll interval (what one poll costs), and in total.
    pub fn calls_per_poll(&self) -> (CallCounts, CallCounts) {
        let Some((now, latest)) = self.calls.back() else {
            return (CallCounts::new(), CallCounts::new());
        };
        let since = *now - chrono::Duration::from_std(self.pair.poll_interval).unwrap_or_default();
        let earlier = self
            .calls
            .iter()
            .rev()
            .find(|(at, _)| *at <= since)
            .map(|(_, counts)| counts.clone())
            .unwrap_or_default();
        (
            drtui_core::model::calls_between(&earlier, latest),
            latest.clone(),
        )
    }

    fn reassess(&mut self) {
        let fresh = readiness::assess_with(
            &self.incoming,
            self.now,
            &self.pair.policy(),
            self.unfinished.as_ref(),
        );
        let before = self.readiness.phase;
        let loading = drtui_core::model::Source::all().into_iter().any(|source| {
            let meta = self.incoming.meta(source);
            meta.observed_at.is_none() && meta.error.is_none()
        });
        self.readiness = if loading {
            self.settled.provisional(fresh)
        } else {
            self.settled
                .settle(fresh, self.now, self.pair.poll_interval)
        };
        // Shown as assessed: the figures move with the verdict, never ahead of it.
        if self.readiness.settling.is_none() {
            self.snapshot.clone_from(&self.incoming);
            self.assessed_at = self.now;
        }
        // The first phase seen is where the estate was, not a change.
        if self.readiness.phase != before && before != Phase::Unknown {
            self.phase_since = Some((self.readiness.phase, self.now));
            self.record(
                self.now,
                ChangeKind::Phase,
                format!(
                    "phase {} → {}",
                    before.as_str(),
                    self.readiness.phase.as_str()
                ),
            );
        }
    }

    /// Why approving the open gate goes beyond the pair's cap on accepted loss, judged on the
    /// live figure (it refreshes with every poll while the gate is open).
    pub fn gate_over_cap(&self) -> Option<String> {
        let gate = self.gate.as_ref()?;
        if !gate.question.loses_data_next {
            return gate.question.over_cap.clone();
        }
        drtui_core::runbook::gate::over_cap(
            self.readiness.data_at_risk_ms,
            self.readiness.data_at_risk_store.as_deref(),
            self.pair.max_data_loss,
        )
    }

    /// What the person must type to approve the open gate: the pair name, and `accept` after
    /// it when the data at risk is beyond the cap.
    pub fn gate_answer(&self) -> Option<String> {
        self.gate.as_ref()?;
        Some(match self.gate_over_cap() {
            Some(_) => format!("{} {}", self.pair.name, drtui_core::runbook::gate::ACCEPT),
            None => self.pair.name.clone(),
        })
    }

    /// What would stop `runbook` before its first gate if it started now.
    pub fn failing_preconditions(
        &self,
        runbook: &drtui_core::runbook::step::Runbook,
    ) -> Vec<String> {
        drtui_core::runbook::evaluate::failing_preconditions(
            &drtui_core::runbook::evaluate::Observation {
                pair: &self.pair,
                runbook,
                snapshot: &self.snapshot,
                readiness: &self.readiness,
                now: self.assessed_at,
            },
        )
    }

    /// The selected row of `panel`, when it is a list.
    pub fn selected_row(&self, panel: Panel) -> Option<usize> {
        Panel::LISTS
            .iter()
            .position(|list| *list == panel)
            .map(|index| self.selected[index])
    }

    /// Adds a change seen at `at` to the timeline (and to what the runtime still has to write).
    fn record(&mut self, at: Timestamp, kind: ChangeKind, what: String) {
        self.remember(vec![Change {
            at,
            pair: self.pair.name.clone(),
            kind,
            what,
        }]);
    }

    fn remember(&mut self, changes: Vec<Change>) {
        for change in changes {
            if self.timeline.len() >= TIMELINE_LEN {
                self.timeline.pop_front();
            }
            self.timeline.push_back(change.clone());
            self.timeline_unsaved.push(change);
        }
    }

    fn flash(&mut self, message: impl Into<String>) {
        self.flash = Some((message.into(), self.now));
    }
}

/// The smallest terminal the dashboard is drawn in (below it, a notice): a gate is never
/// approved unseen.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Applies one message; returns the commands the runtime must run.
pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Update(update) => {
            app.now = app.now.max(update.at);
            let changes = changes::of_update(&app.incoming, &update);
            app.remember(changes);
            app.incoming.apply(*update);
            app.reassess();
        }
        Msg::Tick(now) => tick(app, now),
        Msg::Resize(width, height) => app.screen = Some((width, height)),
        Msg::Unfinished(unfinished) => {
            if app.unfinished != unfinished {
                app.unfinished = unfinished;
                app.reassess();
            }
        }
        Msg::FaultsChanged(faults) => app.faults = Some(faults),
        Msg::Calls(at, counts) => {
            if app.calls.len() >= 64 {
                app.calls.pop_front();
            }
            app.calls.push_back((at, counts));
        }
        Msg::Key(event) if event.kind == KeyEventKind::Release => {}
        Msg::Key(event) => {
            return match keys::lookup(&event, &app.contexts(), app.availability()) {
                Some((context, action)) => perform(app, context, action),
                None => {
                    typed(app, event.code);
                    Vec::new()
                }
            };
        }
        Msg::RunStarted(runbook, steps) => {
            app.run = Some(RunView {
                runbook,
                summary: Default::default(),
                steps,
                outcome: None,
            });
        }
        Msg::RunRecord(record) => apply_record(app, &record),
        Msg::GateAsked(prompt) => {
            app.gate = Some(prompt);
            app.overlay = Overlay::None;
        }
        Msg::RunEnded(message) => {
            if let Some(run) = app.run.as_mut()
                && run.outcome.is_none()
            {
                run.outcome = Some(message.clone());
            }
            app.gate = None;
            app.flash(message);
        }
    }
    Vec::new()
}

fn tick(app: &mut App, now: Timestamp) {
    app.now = now;
    if app
        .flash
        .as_ref()
        .is_some_and(|(_, at)| (now - *at).num_seconds() >= 5)
    {
        app.flash = None;
    }
    app.reassess();
}

/// A key no action takes: in the reason prompt it is the reason, at a gate the answer.
fn typed(app: &mut App, code: crossterm::event::KeyCode) {
    use crossterm::event::KeyCode;
    let (input, limit) = if let Some(reason) = app.skip_reason.as_mut() {
        (reason, 200)
    } else if let Some(gate) = app.gate.as_mut() {
        gate.confirm_abort = false;
        (&mut gate.input, 64)
    } else {
        return;
    };
    match code {
        KeyCode::Char(c) if input.chars().count() < limit => input.push(c),
        KeyCode::Backspace => {
            input.pop();
        }
        _ => {}
    }
}

/// Folds one journal record into the run view, through the run's `RunSummary`.
fn apply_record(app: &mut App, record: &drtui_core::runbook::journal::Record) {
    use drtui_core::runbook::journal::Event;
    let Some(run) = app.run.as_mut() else { return };
    run.summary.apply(record);
    if let Event::Resumed { .. } | Event::Escalated { .. } = &record.event {
        // Going on again (a paused run resumed under its hold).
        run.outcome = None;
    }
    if let Event::RunFinished { outcome, detail } = &record.event {
        // The detail as recorded: stack, resource and status names keep their case.
        run.outcome = Some(format!(
            "{}: {detail}",
            drtui_core::wire::wire_name(outcome)
        ));
        app.gate = None;
    }
    let step = match &record.event {
        Event::StepFinished {
            step,
            outcome,
            detail,
        } => Some(format!(
            "{}: {step} {} ({detail})",
            record.run_id,
            drtui_core::wire::wire_name(outcome)
        )),
        Event::RunFinished { outcome, detail } => Some(format!(
            "{}: run {} ({detail})",
            record.run_id,
            drtui_core::wire::wire_name(outcome)
        )),
        _ => None,
    };
    if let Some(what) = step {
        app.record(record.at, ChangeKind::Run, what);
    }
}

/// What an action does where its key was pressed.
fn perform(app: &mut App, context: Context, action: Action) -> Vec<Cmd> {
    match context {
        Context::Gate => gate_key(app, action),
        Context::Prompt => prompt_key(app, action),
        Context::FaultMenu | Context::RunbookMenu => menu_key(app, action),
        Context::Dashboard => dashboard_key(app, action),
        Context::Global | Context::Overlay => {
            match action {
                Action::Quit => quit(app),
                Action::ToggleHelp => app.overlay = Overlay::Help,
                Action::Close => {
                    app.overlay = Overlay::None;
                    app.skip_reason = None;
                }
                _ => {}
            }
            Vec::new()
        }
    }
}

/// `q`: leaves, but asks again while a run is in progress.
/// The command that continues the run on screen, as the command line reached the pair.
fn resume_command(app: &App) -> String {
    let id = app
        .run
        .as_ref()
        .and_then(|run| run.run_id().map(str::to_owned))
        .unwrap_or_default();
    app.pair.commands().resume(&id, "")
}

fn quit(app: &mut App) {
    let running = app.run.as_ref().is_some_and(|run| run.outcome.is_none());
    if running && !app.quit_armed {
        app.quit_armed = true;
        app.flash(format!(
            "A run is in progress: q again leaves it; `{}` continues it",
            resume_command(app)
        ));
    } else {
        app.should_quit = true;
    }
}

fn dashboard_key(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::Quit => quit(app),
        Action::ToggleHelp => app.overlay = Overlay::Help,
        Action::ResumeRun => return resume(app),
        Action::EscalateRun => return escalate(app),
        Action::SkipStep => match app.stopped_run().map(|stopped| stopped.step.clone()) {
            Some(Some(_)) => app.skip_reason = Some(String::new()),
            Some(None) => app.flash("The stopped run is not at a step; R resumes it"),
            None => {}
        },
        Action::FocusNext | Action::FocusPrev => {
            app.focus = app.focus.step(action == Action::FocusNext);
            if app.focus.is_list() {
                app.shown_list = app.focus;
            }
        }
        Action::OpenFaults => app.overlay = Overlay::Faults { selected: 0 },
        Action::ToggleDebug => app.overlay = Overlay::Debug,
        Action::OpenTimeline => app.overlay = Overlay::Timeline,
        Action::Recheck => {
            app.flash("Reading parity and permissions again…");
            return vec![Cmd::Recheck];
        }
        Action::OpenRunbooks => open_runbooks(app),
        Action::PauseRun => {
            if app.run.as_ref().is_some_and(|run| run.outcome.is_none()) {
                app.flash("Pausing before the next step…");
                return vec![Cmd::PauseRun];
            }
            app.flash("No run in progress to pause.");
        }
        Action::OpenDetail => app.overlay = Overlay::Detail,
        Action::Up | Action::Down => {
            if let Some(index) = Panel::LISTS.iter().position(|list| *list == app.focus) {
                let last = app.list_len(app.focus).saturating_sub(1);
                let row = &mut app.selected[index];
                *row = if action == Action::Down {
                    (*row + 1).min(last)
                } else {
                    row.saturating_sub(1).min(last)
                };
            }
        }
        _ => {}
    }
    Vec::new()
}

/// `R`: resumes the stopped run where it stopped.
fn resume(app: &mut App) -> Vec<Cmd> {
    let Some(stopped) = app.stopped_run() else {
        return Vec::new();
    };
    let run_id = stopped.run_id.clone();
    app.flash(format!(
        "Resuming {run_id}: finished steps stay done, checks on the destination run again"
    ));
    vec![Cmd::ResumeRun {
        run_id,
        how: Resume::Retry,
    }]
}

/// `F`: the stopped run goes on as a failover from where it is (a switchover that failed).
fn escalate(app: &mut App) -> Vec<Cmd> {
    let (Some(stopped), Some(to)) = (app.stopped_run(), app.escalation()) else {
        return Vec::new();
    };
    let (run_id, to) = (stopped.run_id.clone(), to.to_owned());
    app.flash(format!(
        "{run_id} goes on as a {to}: its gates are asked anew, the data loss with the figure then"
    ));
    vec![Cmd::ResumeRun {
        run_id,
        how: Resume::As(to),
    }]
}

/// `r`: the runbook picker, on the runbook the verdict recommends.
fn open_runbooks(app: &mut App) {
    if app.run.as_ref().is_some_and(|run| run.outcome.is_none()) {
        app.flash("A run is in progress; it must end (or be aborted at a gate) first.");
    } else if app.runbooks.is_empty() {
        app.flash("No runbook is available.");
    } else {
        let recommended = app
            .readiness
            .recommended_runbook
            .map(|runbook| runbook.as_str());
        let selected = app
            .runbooks
            .iter()
            .position(|runbook| Some(runbook.name.as_str()) == recommended)
            .unwrap_or(0);
        app.overlay = Overlay::Runbooks { selected };
    }
}

/// The reason prompt of a skip: Enter skips the step with the reason and resumes.
fn prompt_key(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::Close => {
            app.overlay = Overlay::None;
            app.skip_reason = None;
        }
        Action::PromptSubmit => {
            let reason = app.skip_reason.take().unwrap_or_default();
            let stopped = app
                .stopped_run()
                .and_then(|stopped| Some((stopped.run_id.clone(), stopped.step.clone()?)));
            match stopped {
                _ if reason.trim().is_empty() => {
                    app.skip_reason = Some(reason);
                    app.flash("Type why the step is skipped (the journal keeps it), then Enter");
                }
                Some((run_id, step)) => {
                    app.flash(format!("Skipping {step} and resuming {run_id}"));
                    return vec![Cmd::ResumeRun {
                        run_id,
                        how: Resume::Skip {
                            step,
                            reason: reason.trim().to_owned(),
                        },
                    }];
                }
                None => app.flash("No stopped run to skip a step of"),
            }
        }
        _ => {}
    }
    Vec::new()
}

/// The fault menu and the runbook picker: move, toggle a fault, start a runbook.
fn menu_key(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::Up | Action::Down => {
            let len = match app.overlay {
                Overlay::Faults { .. } => Fault::ALL.len(),
                Overlay::Runbooks { .. } => app.runbooks.len().max(1),
                _ => 1,
            };
            if let Overlay::Faults { selected } | Overlay::Runbooks { selected } = &mut app.overlay
            {
                *selected = if action == Action::Down {
                    (*selected + 1) % len
                } else {
                    (*selected + len - 1) % len
                };
            }
        }
        Action::Toggle => {
            if let (Overlay::Faults { selected }, Some(active)) = (app.overlay, &app.faults) {
                let fault = Fault::ALL[selected % Fault::ALL.len()];
                let on = !active.contains(&fault);
                let verb = if on { "Injected" } else { "Cleared" };
                app.flash(format!("{verb} fault {fault}"));
                return vec![Cmd::SetFault(fault, on)];
            }
        }
        Action::ClearFaults => {
            app.flash("Cleared every fault");
            return vec![Cmd::ClearFaults];
        }
        Action::StartRunbook => {
            if let Overlay::Runbooks { selected } = app.overlay
                && let Some(runbook) = app.runbooks.get(selected)
            {
                let name = runbook.name.clone();
                app.overlay = Overlay::None;
                app.flash(format!(
                    "Starting {name}: it stops at every gate for you to type `{}`",
                    app.pair.name
                ));
                return vec![Cmd::StartRun(name)];
            }
        }
        _ => {}
    }
    Vec::new()
}

/// The gate prompt: Enter approves with the pair name typed, Esc twice aborts, ↑↓ scroll.
fn gate_key(app: &mut App, action: Action) -> Vec<Cmd> {
    let readable = app
        .screen
        .is_none_or(|(width, height)| width >= MIN_WIDTH && height >= MIN_HEIGHT);
    let Some(expected) = app.gate_answer() else {
        return Vec::new();
    };
    let Some(gate) = app.gate.as_mut() else {
        return Vec::new();
    };
    match action {
        // Typing blind never approves: the gate, its data at risk and its prompt must be on
        // screen.
        Action::GateSubmit if !readable => {
            app.flash("Enlarge the terminal to read the gate before approving it");
        }
        Action::GateSubmit
            if gate.input.split_whitespace().collect::<Vec<_>>().join(" ") == expected =>
        {
            app.gate = None;
            return vec![Cmd::AnswerGate(true)];
        }
        Action::GateSubmit if expected == app.pair.name => {
            app.flash(format!(
                "To approve, type the pair name `{expected}` exactly, then Enter"
            ));
        }
        Action::GateSubmit => {
            app.flash(format!(
                "The data at risk is beyond the cap: to accept it, type `{expected}` exactly, then Enter"
            ));
        }
        Action::GateCancel if gate.confirm_abort => {
            app.gate = None;
            app.flash(format!(
                "Run aborted at the gate; `{}` continues it later",
                resume_command(app)
            ));
            return vec![Cmd::AnswerGate(false)];
        }
        Action::GateCancel => gate.confirm_abort = true,
        Action::Up | Action::Down => {
            let last = gate.question.next.len().saturating_sub(1);
            gate.scroll = if action == Action::Down {
                (gate.scroll + 1).min(last)
            } else {
                gate.scroll.saturating_sub(1)
            };
        }
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn app() -> App {
        let pair = RegionPair::demo();
        let snapshot = pair.empty_snapshot();
        let now = chrono::DateTime::UNIX_EPOCH;
        let mut app = App::new(pair, "test".into(), snapshot, now);
        app.faults = Some(BTreeSet::new());
        app
    }

    fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    #[test]
    fn help_opens_and_closes() {
        let mut app = app();
        key(&mut app, KeyCode::Char('?'));
        assert_eq!(app.overlay, Overlay::Help);
        key(&mut app, KeyCode::Esc);
        assert_eq!(app.overlay, Overlay::None);
        key(&mut app, KeyCode::Char('q'));
        assert!(app.should_quit);
    }

    #[test]
    fn tab_cycles_focus_and_remembers_the_list() {
        let mut app = app();
        for _ in 0..3 {
            key(&mut app, KeyCode::Tab);
        }
        assert_eq!(app.focus, Panel::Alarms);
        assert_eq!(app.shown_list, Panel::Alarms);
        key(&mut app, KeyCode::Tab);
        key(&mut app, KeyCode::Tab);
        key(&mut app, KeyCode::Tab);
        assert_eq!(app.focus, Panel::Primary);
        assert_eq!(app.shown_list, Panel::Stacks);
        key(&mut app, KeyCode::BackTab);
        assert_eq!(app.focus, Panel::Stacks);
    }

    #[test]
    fn fault_menu_toggles_the_selected_fault() {
        let mut app = app();
        key(&mut app, KeyCode::Char('f'));
        key(&mut app, KeyCode::Down);
        assert_eq!(
            key(&mut app, KeyCode::Enter),
            vec![Cmd::SetFault(Fault::LagSpike, true)]
        );
        app.faults = Some(BTreeSet::from([Fault::LagSpike]));
        assert_eq!(
            key(&mut app, KeyCode::Enter),
            vec![Cmd::SetFault(Fault::LagSpike, false)]
        );
        assert_eq!(key(&mut app, KeyCode::Char('c')), vec![Cmd::ClearFaults]);
    }

    fn stopped(app: &mut App, active: bool) {
        app.unfinished = Some(UnfinishedRun {
            run_id: "failover-1".into(),
            runbook: "failover".into(),
            state: "failed",
            step: Some("shift-traffic".into()),
            at: None,
            active,
            moves: true,
        });
    }

    #[test]
    fn a_stopped_switchover_goes_on_as_a_failover_with_f() {
        let mut app = app();
        app.runbooks = ["switchover", "failover", "failback"]
            .iter()
            .map(|name| drtui_engine::catalog::find(name).expect("built-in").1)
            .collect();
        for (runbook, escalates) in [("switchover", true), ("failback", false)] {
            app.unfinished = Some(UnfinishedRun {
                run_id: format!("{runbook}-1"),
                runbook: runbook.into(),
                state: "failed",
                step: Some("switchover-writer".into()),
                at: None,
                active: false,
                moves: true,
            });
            assert_eq!(app.availability().escalation, escalates, "{runbook}");
            let expected = if escalates {
                vec![Cmd::ResumeRun {
                    run_id: format!("{runbook}-1"),
                    how: Resume::As("failover".into()),
                }]
            } else {
                Vec::new()
            };
            assert_eq!(key(&mut app, KeyCode::Char('F')), expected, "{runbook}");
        }
    }

    #[test]
    fn a_stopped_run_resumes_with_r_and_skips_a_step_only_with_a_reason() {
        let mut app = app();
        assert!(
            key(&mut app, KeyCode::Char('R')).is_empty(),
            "nothing to resume"
        );
        stopped(&mut app, false);
        assert_eq!(
            key(&mut app, KeyCode::Char('R')),
            vec![Cmd::ResumeRun {
                run_id: "failover-1".into(),
                how: Resume::Retry,
            }]
        );
        assert!(
            key(&mut app, KeyCode::Char('F')).is_empty(),
            "a failover cannot go on as a failover"
        );
        key(&mut app, KeyCode::Char('S'));
        assert_eq!(app.skip_reason.as_deref(), Some(""));
        assert!(
            key(&mut app, KeyCode::Enter).is_empty(),
            "an empty reason is refused"
        );
        for c in "route53 down".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        assert_eq!(
            key(&mut app, KeyCode::Enter),
            vec![Cmd::ResumeRun {
                run_id: "failover-1".into(),
                how: Resume::Skip {
                    step: "shift-traffic".into(),
                    reason: "route53 down".into()
                },
            }]
        );
        assert_eq!(app.skip_reason, None);
        // Esc cancels the prompt without a command.
        key(&mut app, KeyCode::Char('S'));
        assert!(key(&mut app, KeyCode::Esc).is_empty());
        assert_eq!(app.skip_reason, None);
    }

    #[test]
    fn a_run_another_process_holds_or_read_only_cannot_be_resumed_here() {
        let mut app = app();
        stopped(&mut app, true);
        assert!(key(&mut app, KeyCode::Char('R')).is_empty());
        stopped(&mut app, false);
        app.read_only = true;
        assert!(key(&mut app, KeyCode::Char('R')).is_empty());
        assert!(key(&mut app, KeyCode::Char('S')).is_empty());
        assert_eq!(app.skip_reason, None);
    }

    #[test]
    fn faults_are_unavailable_without_a_simulator() {
        let mut app = app();
        app.faults = None;
        key(&mut app, KeyCode::Char('f'));
        assert_eq!(app.overlay, Overlay::None);
    }

    #[test]
    fn a_failed_runs_outcome_keeps_the_names_it_quotes() {
        use drtui_core::runbook::journal::{Event, Record, RunOutcomeKind};
        let mut app = app();
        update(&mut app, Msg::RunStarted("provision".into(), Vec::new()));
        update(
            &mut app,
            Msg::RunRecord(Box::new(Record {
                at: chrono::DateTime::UNIX_EPOCH,
                run_id: "provision-1".into(),
                event: Event::RunFinished {
                    outcome: RunOutcomeKind::Failed,
                    detail: "primary-api: stack PaymentDR-Api-primary-demo ended UPDATE_ROLLBACK_COMPLETE".into(),
                },
            })),
        );
        assert_eq!(
            app.run.and_then(|run| run.outcome).as_deref(),
            Some(
                "failed: primary-api: stack PaymentDR-Api-primary-demo ended UPDATE_ROLLBACK_COMPLETE"
            )
        );
    }
}
