//! The dashboard drawn in memory: the demo estate's app after one poll, drawn at a size, and
//! the screen as text.

#![allow(dead_code, clippy::expect_used, reason = "test code")]

use drtui_backend::sim::Fault;
use drtui_testkit::DemoEstate;
use drtui_tui::app::App;
use drtui_tui::render;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub async fn app_with(scenario: &[Fault]) -> App {
    DemoEstate::new(42, scenario).app().await
}

pub fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| render::render(app, frame))
        .expect("draw");
    terminal
}

pub fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().to_string()
}

pub fn press(app: &mut App, code: ratatui::crossterm::event::KeyCode) {
    drtui_tui::app::update(
        app,
        drtui_tui::app::Msg::Key(ratatui::crossterm::event::KeyEvent::new(
            code,
            ratatui::crossterm::event::KeyModifiers::NONE,
        )),
    );
}
