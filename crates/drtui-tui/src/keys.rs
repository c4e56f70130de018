//! The one action table: it drives key dispatch, the footer and the `?` help, so help can
//! never drift from behaviour. Dangerous actions disappear in read-only mode.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    ToggleHelp,
    FocusNext,
    FocusPrev,
    OpenFaults,
    OpenRunbooks,
    ToggleDebug,
    StartRunbook,
    PauseRun,
    GateSubmit,
    GateCancel,
    Close,
    Up,
    Down,
    Toggle,
    ClearFaults,
    /// The focused list's selected row (or the focused region) in full.
    OpenDetail,
    /// Continue the pair's stopped run (a failed step is retried after the fresh checks).
    ResumeRun,
    /// Skip the step the stopped run is at, with a typed reason, and continue it.
    SkipStep,
    /// Continue the stopped run as a failover from where it is.
    EscalateRun,
    /// Submit what was typed in a prompt.
    PromptSubmit,
    /// What changed since the dashboard opened.
    OpenTimeline,
    /// Read parity and the operator's permissions again now.
    Recheck,
}

/// Where an action applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Everywhere, including overlays.
    Global,
    Dashboard,
    FaultMenu,
    RunbookMenu,
    /// A gate prompt: typing goes into the answer.
    Gate,
    /// A typed answer other than a gate's (the reason for a skip).
    Prompt,
    Overlay,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Dashboard => "Dashboard",
            Context::FaultMenu => "Fault menu (demo)",
            Context::RunbookMenu => "Runbook picker",
            Context::Gate => "Gate prompt (type the pair name to approve)",
            Context::Prompt => "Reason prompt (type why, Enter to confirm)",
            Context::Overlay => "Help and menus",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const fn key(c: char) -> Binding {
    Binding {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::NONE,
    }
}

const fn special(code: KeyCode) -> Binding {
    Binding {
        code,
        modifiers: KeyModifiers::NONE,
    }
}

pub struct KeyAction {
    pub context: Context,
    pub keys: &'static [Binding],
    /// How the keys are written in the footer and help.
    pub label: &'static str,
    pub action: Action,
    pub description: &'static str,
    /// One or two words for the footer.
    pub hint: &'static str,
    /// Changes the estate (runbooks) or the simulated world (faults); hidden when read-only.
    pub dangerous: bool,
    /// Shown only on the simulator.
    pub demo_only: bool,
    /// Shown only when the pair has a stopped run this dashboard can continue.
    pub needs_stopped_run: bool,
    /// Shown in the footer, not only in help.
    pub in_footer: bool,
}

pub const ACTIONS: &[KeyAction] = &[
    KeyAction {
        context: Context::Global,
        keys: &[
            key('q'),
            Binding {
                code: KeyCode::Char('c'),
                modifiers: KeyModifiers::CONTROL,
            },
        ],
        label: "q",
        action: Action::Quit,
        description: "quit (Ctrl-C too)",
        hint: "quit",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[key('?')],
        label: "?",
        action: Action::ToggleHelp,
        description: "show this help",
        hint: "help",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[special(KeyCode::Tab)],
        label: "Tab",
        action: Action::FocusNext,
        description: "focus the next panel",
        hint: "focus",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[
            special(KeyCode::BackTab),
            Binding {
                code: KeyCode::BackTab,
                modifiers: KeyModifiers::SHIFT,
            },
        ],
        label: "S-Tab",
        action: Action::FocusPrev,
        description: "focus the previous panel",
        hint: "focus back",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: false,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[key('f')],
        label: "f",
        action: Action::OpenFaults,
        description: "inject or clear simulated faults",
        hint: "faults",
        dangerous: false,
        demo_only: true,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[key('r')],
        label: "r",
        action: Action::OpenRunbooks,
        description: "runbooks: pick one and run it step by step, with gates",
        hint: "runbooks",
        dangerous: true,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[key('d')],
        label: "d",
        action: Action::ToggleDebug,
        description: "debug: API calls per poll and every source's age",
        hint: "debug",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[key('e')],
        label: "e",
        action: Action::OpenTimeline,
        description: "events: what changed and when (alarms, writer, FailoverState, weights, health, phase, run steps); `runs show --markdown` includes them",
        hint: "events",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[key('c')],
        label: "c",
        action: Action::Recheck,
        description: "check again now: parity between the regions (code, capacity, configuration) and the operator's permissions (read every parity_interval)",
        hint: "recheck",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: false,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[key('p')],
        label: "p",
        action: Action::PauseRun,
        description: "pause the running runbook before its next step (resume continues it)",
        hint: "pause",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[special(KeyCode::Enter)],
        label: "Enter",
        action: Action::OpenDetail,
        description: "details of the selected row of the focused list (a region: its functions, instances and builds)",
        hint: "details",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[special(KeyCode::Up), key('k')],
        label: "↑/k",
        action: Action::Up,
        description: "select the previous row of the focused list",
        hint: "up",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: false,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[special(KeyCode::Down), key('j')],
        label: "↓/j",
        action: Action::Down,
        description: "select the next row of the focused list",
        hint: "down",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: false,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[key('R')],
        label: "R",
        action: Action::ResumeRun,
        description: "resume the pair's stopped run here: finished steps stay done, a failed step is retried after the fresh checks",
        hint: "resume run",
        dangerous: true,
        demo_only: false,
        needs_stopped_run: true,
        in_footer: true,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[key('S')],
        label: "S",
        action: Action::SkipStep,
        description: "skip the step the stopped run is at (you type why; the journal keeps it), then resume",
        hint: "skip step",
        dangerous: true,
        demo_only: false,
        needs_stopped_run: true,
        in_footer: true,
    },
    KeyAction {
        context: Context::Dashboard,
        keys: &[key('F')],
        label: "F",
        action: Action::EscalateRun,
        description: "go on as a failover from where the stopped run is (a switchover that failed or hung): one run, the failover's gates asked anew, the data loss with the figure then",
        hint: "as failover",
        dangerous: true,
        demo_only: false,
        needs_stopped_run: true,
        in_footer: true,
    },
    KeyAction {
        context: Context::Prompt,
        keys: &[special(KeyCode::Enter)],
        label: "Enter",
        action: Action::PromptSubmit,
        description: "confirm the reason and go on",
        hint: "confirm",
        dangerous: true,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Prompt,
        keys: &[special(KeyCode::Esc)],
        label: "Esc",
        action: Action::Close,
        description: "cancel",
        hint: "cancel",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::FaultMenu,
        keys: &[special(KeyCode::Up), key('k')],
        label: "↑/k",
        action: Action::Up,
        description: "previous fault",
        hint: "up",
        dangerous: false,
        demo_only: true,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::FaultMenu,
        keys: &[special(KeyCode::Down), key('j')],
        label: "↓/j",
        action: Action::Down,
        description: "next fault",
        hint: "down",
        dangerous: false,
        demo_only: true,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::FaultMenu,
        keys: &[special(KeyCode::Enter), key(' ')],
        label: "Enter",
        action: Action::Toggle,
        description: "turn the selected fault on or off",
        hint: "toggle",
        dangerous: false,
        demo_only: true,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::FaultMenu,
        keys: &[key('c')],
        label: "c",
        action: Action::ClearFaults,
        description: "clear every fault",
        hint: "clear all",
        dangerous: false,
        demo_only: true,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::RunbookMenu,
        keys: &[special(KeyCode::Up), key('k')],
        label: "↑/k",
        action: Action::Up,
        description: "previous runbook",
        hint: "up",
        dangerous: true,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::RunbookMenu,
        keys: &[special(KeyCode::Down), key('j')],
        label: "↓/j",
        action: Action::Down,
        description: "next runbook",
        hint: "down",
        dangerous: true,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::RunbookMenu,
        keys: &[special(KeyCode::Enter)],
        label: "Enter",
        action: Action::StartRunbook,
        description: "start the selected runbook (it stops at every gate)",
        hint: "start",
        dangerous: true,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Gate,
        keys: &[special(KeyCode::Enter)],
        label: "Enter",
        action: Action::GateSubmit,
        description: "approve, when what you typed is the pair name",
        hint: "approve",
        dangerous: true,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Gate,
        keys: &[special(KeyCode::Up)],
        label: "↑",
        action: Action::Up,
        description: "scroll the calls the gate lets run up",
        hint: "scroll",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: false,
    },
    KeyAction {
        context: Context::Gate,
        keys: &[special(KeyCode::Down)],
        label: "↓",
        action: Action::Down,
        description: "scroll the calls the gate lets run down",
        hint: "scroll",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: false,
    },
    KeyAction {
        context: Context::Gate,
        keys: &[special(KeyCode::Esc)],
        label: "Esc",
        action: Action::GateCancel,
        description: "abort the run (press twice to confirm); resume it later from the journal",
        hint: "abort",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
    KeyAction {
        context: Context::Overlay,
        keys: &[special(KeyCode::Esc), key('?')],
        label: "Esc",
        action: Action::Close,
        description: "close help, a menu or a detail view",
        hint: "close",
        dangerous: false,
        demo_only: false,
        needs_stopped_run: false,
        in_footer: true,
    },
];

/// Which actions exist in this session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Availability {
    pub read_only: bool,
    pub demo: bool,
    /// The pair has a stopped run nobody else is running, and none runs here.
    pub stopped_run: bool,
    /// That run can go on as a failover (a switchover that failed or hung).
    pub escalation: bool,
}

impl KeyAction {
    pub fn available(&self, availability: Availability) -> bool {
        let hidden_as_dangerous = self.dangerous && availability.read_only;
        let hidden_as_demo_only = self.demo_only && !availability.demo;
        let nothing_to_resume = self.needs_stopped_run && !availability.stopped_run;
        let nothing_to_escalate = self.action == Action::EscalateRun && !availability.escalation;
        !(hidden_as_dangerous || hidden_as_demo_only || nothing_to_resume || nothing_to_escalate)
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        self.keys.iter().any(|binding| {
            binding.code == event.code
                && (binding.modifiers == event.modifiers
                    // Terminals differ on whether Shift accompanies a typed symbol like '?'.
                    || (matches!(binding.code, KeyCode::Char(_)) && binding.modifiers == KeyModifiers::NONE
                        && event.modifiers == KeyModifiers::SHIFT))
        })
    }
}

/// The action a key triggers in the given contexts (searched in order), with the context it
/// was found in, if any: an update acts on what the key meant where it was pressed.
pub fn lookup(
    event: &KeyEvent,
    contexts: &[Context],
    availability: Availability,
) -> Option<(Context, Action)> {
    contexts.iter().find_map(|context| {
        ACTIONS
            .iter()
            .filter(|entry| entry.context == *context && entry.available(availability))
            .find(|entry| entry.matches(event))
            .map(|entry| (entry.context, entry.action))
    })
}

/// The actions to show for the given contexts, in table order.
pub fn visible(
    contexts: &[Context],
    availability: Availability,
) -> impl Iterator<Item = &'static KeyAction> + '_ {
    ACTIONS
        .iter()
        .filter(move |entry| contexts.contains(&entry.context) && entry.available(availability))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: Availability = Availability {
        read_only: false,
        demo: true,
        stopped_run: false,
        escalation: false,
    };

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn dispatch_follows_the_table() {
        let dashboard = [Context::Global, Context::Dashboard];
        assert_eq!(
            lookup(&press(KeyCode::Char('q')), &dashboard, FULL),
            Some((Context::Global, Action::Quit))
        );
        assert_eq!(
            lookup(
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                &dashboard,
                FULL
            ),
            Some((Context::Global, Action::Quit))
        );
        assert_eq!(
            lookup(
                &KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT),
                &dashboard,
                FULL
            ),
            Some((Context::Dashboard, Action::ToggleHelp))
        );
        assert_eq!(
            lookup(&press(KeyCode::Tab), &dashboard, FULL),
            Some((Context::Dashboard, Action::FocusNext))
        );
        assert_eq!(lookup(&press(KeyCode::Char('x')), &dashboard, FULL), None);
        // The same key means what its context says: ↓ at a gate scrolls the gate.
        assert_eq!(
            lookup(
                &press(KeyCode::Down),
                &[Context::Global, Context::Gate],
                FULL
            ),
            Some((Context::Gate, Action::Down))
        );
        assert_eq!(
            lookup(&press(KeyCode::Down), &dashboard, FULL),
            Some((Context::Dashboard, Action::Down))
        );
    }

    #[test]
    fn read_only_hides_dangerous_actions_and_aws_hides_demo_ones() {
        let dashboard = [Context::Global, Context::Dashboard];
        let read_only = Availability {
            read_only: true,
            demo: true,
            stopped_run: false,
            escalation: false,
        };
        assert_eq!(
            lookup(&press(KeyCode::Char('r')), &dashboard, FULL),
            Some((Context::Dashboard, Action::OpenRunbooks))
        );
        assert_eq!(
            lookup(&press(KeyCode::Char('r')), &dashboard, read_only),
            None
        );
        assert!(visible(&dashboard, read_only).all(|entry| !entry.dangerous));
        let aws = Availability {
            read_only: false,
            demo: false,
            stopped_run: false,
            escalation: false,
        };
        assert_eq!(lookup(&press(KeyCode::Char('f')), &dashboard, aws), None);
    }
}
