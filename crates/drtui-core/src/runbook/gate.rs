//! What a gate asks the person at the keyboard: the step, the data at risk, and exactly which
//! calls approving lets run. One type for the engine's request and the TUI's prompt.

/// A gate or manual step waiting for a person's approval.
#[derive(Clone, Debug, PartialEq)]
pub struct GateQuestion {
    pub step: String,
    pub title: String,
    pub prompt: String,
    pub data_at_risk_ms: Option<f64>,
    pub loses_data_next: bool,
    /// What approving lets happen, up to the next gate: step titles and their exact calls.
    pub next: Vec<String>,
    /// `next` lists a change set's changes (what the stack would become), not steps and calls.
    pub next_are_changes: bool,
}
