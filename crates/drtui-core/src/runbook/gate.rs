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
    /// Why approving goes beyond the pair's cap on accepted loss (the data at risk exceeds it,
    /// or is unknown): the TUI then asks for the pair name plus `accept`.
    pub over_cap: Option<String>,
}

/// A cap that accepts any loss, an unknown one included (`--max-data-loss any`).
pub const ANY_LOSS: std::time::Duration = std::time::Duration::MAX;

/// The word typed after the pair name to accept a loss beyond the cap.
pub const ACCEPT: &str = "accept";

/// Why a data-loss action would exceed the cap `cap` with `data_at_risk_ms` at risk (unknown
/// counts as exceeding: silence is not a figure); `None` within it.
pub fn over_cap(
    data_at_risk_ms: Option<f64>,
    store: Option<&str>,
    cap: std::time::Duration,
) -> Option<String> {
    if cap == ANY_LOSS {
        return None;
    }
    let cap_ms = cap.as_secs_f64() * 1000.0;
    let cap_text = crate::readiness::format_ms(cap_ms);
    let store = store.unwrap_or("aurora");
    match data_at_risk_ms {
        Some(lag) if lag <= cap_ms => None,
        Some(lag) => Some(format!(
            "data at risk {} ({store}) exceeds the cap on accepted loss {cap_text}",
            crate::readiness::format_ms(lag)
        )),
        None => Some(format!(
            "data at risk unknown (no current figure for {store}): it cannot be held to the cap on accepted loss {cap_text}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn the_cap_holds_a_known_figure_and_refuses_an_unknown_one() {
        let cap = Duration::from_secs(10);
        assert_eq!(super::over_cap(Some(10_000.0), None, cap), None);
        let over = super::over_cap(Some(300_000.0), Some("dynamodb t"), cap).expect("over");
        assert!(
            over.contains("5 min 0 s") && over.contains("10.0 s") && over.contains("dynamodb t"),
            "{over}"
        );
        assert!(
            super::over_cap(None, Some("dynamodb t"), cap)
                .expect("unknown")
                .contains("unknown")
        );
    }
}
