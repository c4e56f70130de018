//! The dashboard driven by keys: a gate never approved unseen, the environment label on every
//! screen and gate, Enter on an alarm or a region for its detail, the selection kept in view,
//! a deleting change set's gate.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use drtui_backend::sim::Fault;
use drtui_testkit::DemoEstate;
use drtui_tui::app::{App, Overlay};

#[path = "support/screens.rs"]
mod screens;
use screens::{app_with, draw, press, screen_text};

/// The gate before a promote, asked with 150 ms at risk, `input` already typed.
fn promote_gate(input: &str) -> drtui_tui::app::GatePrompt {
    let mut prompt = drtui_tui::app::GatePrompt::new(drtui_core::runbook::gate::GateQuestion {
        step: "approve-promote".into(),
        title: "Approve promoting the secondary".into(),
        prompt: "Promote.".into(),
        data_at_risk_ms: Some(150.0),
        loses_data_next: true,
        next: Vec::new(),
        next_are_changes: false,
        over_cap: None,
    });
    prompt.input = input.into();
    prompt
}

/// A gate cannot be approved blind: on a screen too small to show it, Enter does nothing.
#[tokio::test]
async fn a_gate_is_never_approved_unseen() {
    use drtui_tui::app::{Cmd, Msg, update};
    use ratatui::crossterm::event::{KeyCode, KeyEvent};
    let estate = DemoEstate::new(42, &[]);
    let mut app = estate.app().await;
    update(&mut app, Msg::GateAsked(promote_gate("demo")));
    update(&mut app, Msg::Resize(70, 20));
    let small = screen_text(&draw(&app, 70, 20));
    assert!(small.contains("A GATE WAITS"), "{small}");
    let enter = || Msg::Key(KeyEvent::from(KeyCode::Enter));
    assert!(update(&mut app, enter()).is_empty(), "approved unseen");
    assert!(app.gate.is_some());
    update(&mut app, Msg::Resize(80, 24));
    assert_eq!(update(&mut app, enter()), vec![Cmd::AnswerGate(true)]);
}

/// A loss beyond the pair's cap needs more than the pair name: the gate says so with the live
/// figure, `demo` alone does nothing, `demo accept` approves; once the lag comes back under the
/// cap (a later poll), the pair name alone approves again.
#[tokio::test]
async fn a_loss_beyond_the_cap_needs_the_word_accept() {
    use drtui_tui::app::{Cmd, Msg, update};
    use ratatui::crossterm::event::{KeyCode, KeyEvent};
    let mut app = app_with(&[Fault::PrimaryOutage]).await;
    update(&mut app, Msg::Resize(100, 30));
    let ask = |app: &mut App, input: &str| {
        update(app, Msg::GateAsked(promote_gate(input)));
    };
    let enter = || Msg::Key(KeyEvent::from(KeyCode::Enter));
    ask(&mut app, "demo");
    let text = screen_text(&draw(&app, 100, 30));
    let live = drtui_core::readiness::format_ms(app.readiness.data_at_risk_ms.expect("known"));
    assert!(
        text.contains(&format!("{live} at risk right now"))
            && text.contains("exceeds the cap")
            && text.contains("Type `demo accept`"),
        "the live figure, not the 150 ms the gate opened with: {text}"
    );
    assert!(update(&mut app, enter()).is_empty(), "the pair name alone");
    assert!(app.gate.is_some());
    ask(&mut app, "demo  accept ");
    assert_eq!(update(&mut app, enter()), vec![Cmd::AnswerGate(true)]);
    // Within the cap, the pair name is enough.
    app.pair.max_data_loss = std::time::Duration::from_secs(3600);
    ask(&mut app, "demo");
    assert_eq!(update(&mut app, enter()), vec![Cmd::AnswerGate(true)]);
}

/// Which estate am I on: a pair's `environment` shows in the header on every screen and in
/// gate prompts, as text too (so `NO_COLOR` keeps it).
#[tokio::test]
async fn the_environment_label_is_on_every_screen_and_every_gate() {
    use drtui_core::runbook::gate::GateQuestion;
    use drtui_tui::app::{GatePrompt, Msg, update};
    let mut app = app_with(&[]).await;
    app.pair.environment = Some("production".into());
    app.color = false;
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.lines()
            .next()
            .expect("header")
            .contains("■ PRODUCTION"),
        "{text}"
    );
    update(
        &mut app,
        Msg::GateAsked(GatePrompt::new(GateQuestion {
            step: "approve-promote".into(),
            title: "Approve".into(),
            prompt: "Promote.".into(),
            data_at_risk_ms: Some(100.0),
            loses_data_next: true,
            next: Vec::new(),
            next_are_changes: false,
            over_cap: None,
        })),
    );
    let gate = screen_text(&draw(&app, 80, 24));
    assert!(
        gate.contains("Gate: approve-promote · PRODUCTION"),
        "{gate}"
    );
}

/// Tab to the alarms, ↓ to the second row, Enter: the alarm in full (state, region, reason,
/// since, rule) with its whole name; Esc closes it.
#[tokio::test]
async fn enter_on_an_alarm_opens_its_detail_and_esc_closes_it() {
    use ratatui::crossterm::event::KeyCode;
    let mut app = app_with(&[Fault::PrimaryOutage]).await;
    for _ in 0..3 {
        press(&mut app, KeyCode::Tab);
    }
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.overlay, Overlay::Detail);
    let terminal = draw(&app, 120, 40);
    let text = screen_text(&terminal);
    // The most urgent alarm is first: the primary's API 5XX rate in ALARM.
    for expected in [
        "alarm PaymentDR-demo-us-east-1-",
        "state",
        "ALARM",
        "reason",
        "since",
        "rule",
        "for 2 of 2 periods of 60 s",
        "Esc closes",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, Overlay::None);
}

/// ↓ past the end stays on the last row; the selected row is drawn highlighted and kept in
/// view when the list is longer than its panel.
#[tokio::test]
async fn selection_moves_within_the_list_and_stays_in_view() {
    use ratatui::crossterm::event::KeyCode;
    let mut app = app_with(&[]).await;
    for _ in 0..5 {
        press(&mut app, KeyCode::Tab);
    }
    assert_eq!(app.focus, drtui_tui::app::Panel::Stacks);
    for _ in 0..40 {
        press(&mut app, KeyCode::Down);
    }
    let rows = app.list_len(drtui_tui::app::Panel::Stacks);
    assert_eq!(
        app.selected_row(drtui_tui::app::Panel::Stacks),
        Some(rows - 1)
    );
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.contains("Parameters-secondary"),
        "the last stack is in view:\n{text}"
    );
    press(&mut app, KeyCode::Enter);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.contains("stack PaymentDR-Parameters-secondary-demo"),
        "{text}"
    );
    assert!(text.contains("UPDATE_COMPLETE"), "{text}");
}

/// Enter on a region panel: its cluster and each Lambda function's figures.
#[tokio::test]
async fn enter_on_a_region_lists_its_lambda_functions() {
    use ratatui::crossterm::event::KeyCode;
    let mut app = app_with(&[]).await;
    press(&mut app, KeyCode::Enter);
    let text = screen_text(&draw(&app, 120, 40));
    for expected in [
        "us-east-1 · primary",
        "payment-primary-demo",
        "payment-validation",
        "transaction-processing",
        "notification",
        "inv/min",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
}

/// A pair's configured colour paints its label (reversed and bold, so it is loud in any
/// palette); without one the label is red.
#[tokio::test]
async fn the_environment_label_takes_the_pairs_colour() {
    use ratatui::style::{Color, Modifier};
    let mut app = app_with(&[]).await;
    app.pair.environment = Some("staging".into());
    let label_cell = |app: &App| {
        let terminal = draw(app, 120, 40);
        let buffer = terminal.backend().buffer().clone();
        let x = (0..120)
            .find(|x| buffer[(*x, 0)].symbol() == "■")
            .expect("the label in the header");
        buffer[(x, 0)].clone()
    };
    let default = label_cell(&app);
    assert_eq!(default.fg, Color::Red);
    assert!(default.modifier.contains(Modifier::REVERSED));
    app.pair.color = Some(drtui_core::config::PairColor::Blue);
    assert_eq!(label_cell(&app).fg, Color::Blue);
}

/// The gate before a change set that deletes: its changes, removals first, under their own
/// heading, and the typed-name prompt, at 80x24.
#[tokio::test]
async fn a_deleting_change_set_gate_lists_its_changes() {
    use drtui_core::runbook::gate::GateQuestion;
    use drtui_tui::app::{GatePrompt, Msg, update};
    let mut app = app_with(&[]).await;
    update(
        &mut app,
        Msg::GateAsked(GatePrompt::new(GateQuestion {
            step: "primary-database".into(),
            title: "Database in the primary".into(),
            prompt: "This change set replaces or deletes resources in us-east-1.".into(),
            data_at_risk_ms: Some(200.0),
            loses_data_next: false,
            next: vec![
                "Remove GlobalCluster (AWS::RDS::GlobalCluster)".into(),
                "Modify Cluster (AWS::RDS::DBCluster), REPLACES it".into(),
                "Add RunLockTable (AWS::DynamoDB::Table)".into(),
            ],
            next_are_changes: true,
            over_cap: None,
        })),
    );
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.contains("Approving executes this change set:")
            && text.contains("Remove GlobalCluster (AWS::RDS::GlobalCluster)")
            && text.contains("REPLACES it")
            && text.contains("Type `demo` and Enter to approve"),
        "{text}"
    );
}
