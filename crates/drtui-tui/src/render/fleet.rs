//! The fleet view (`drtui --all-pairs`): one line per pair — phase, verdict, writer, DNS,
//! data at risk, firing alarms, age — so several estates are watched at once. Pure.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::App;
use crate::format;
use crate::theme::{Theme, Tone};
use drtui_core::model::{Role, Source, firing_alarms};
use drtui_core::text::sanitize;

pub fn render(apps: &[&App], selected: usize, frame: &mut Frame) {
    let area = frame.area();
    let theme = Theme {
        color: apps.first().is_none_or(|app| app.color),
    };
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Line::from(vec![
            Span::styled(" drtui ", theme.style(Tone::Accent)),
            Span::raw(format!(" fleet · {} pairs", apps.len())),
        ]),
        header,
    );
    let mut lines = vec![Line::styled(
        format!(
            "  {:<12} {:<11} {:<10} {:<9} {:<7} {:<8} {:<6} {}",
            "PAIR", "PHASE", "VERDICT", "WRITER", "DNS", "AT RISK", "ALARMS", "AGE"
        ),
        theme.style(Tone::Muted),
    )];
    lines.extend(
        apps.iter()
            .enumerate()
            .map(|(index, app)| row(app, index == selected, theme)),
    );
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Region pairs · Enter opens ")),
        body,
    );
    frame.render_widget(
        Line::styled(
            " ↑/↓ select   Enter open (Esc returns here)   q quit",
            theme.style(Tone::Muted),
        ),
        footer,
    );
}

/// One pair's line.
fn row(app: &App, selected: bool, theme: Theme) -> Line<'static> {
    let readiness = &app.readiness;
    let tone = Tone::of_verdict(readiness.verdict);
    let writer = readiness
        .estate
        .writer
        .clone()
        .unwrap_or_else(|| "?".to_owned());
    let dns = app.snapshot.dns.value.as_ref().map_or_else(
        || "?".to_owned(),
        |dns| {
            let weight = |role: Role| {
                dns.weights
                    .get(app.pair.region(role))
                    .copied()
                    .flatten()
                    .map_or_else(|| "?".to_owned(), |weight| weight.to_string())
            };
            format!("{}/{}", weight(Role::Primary), weight(Role::Secondary))
        },
    );
    let risk = readiness
        .data_at_risk_ms
        .map_or_else(|| "?".to_owned(), format::lag);
    let firing: usize = Role::BOTH
        .iter()
        .filter_map(|role| app.snapshot.region(*role).alarms.value.as_ref())
        .map(|alarms| firing_alarms(alarms).len())
        .sum();
    let (age, age_tone) = super::age::badge(app, &Source::all());
    let (marker, base) = theme.row(selected);
    Line::from(vec![
        Span::styled(
            format!(
                "{marker} {:<12} {:<11} ",
                format::truncate(&sanitize(&app.pair.name), 12),
                readiness.phase.as_str()
            ),
            base,
        ),
        Span::styled(
            format!(
                "{} {:<8} ",
                tone.symbol(),
                readiness.verdict.as_str().replace('_', " ")
            ),
            theme.style(tone),
        ),
        Span::styled(format!("{writer:<9} {dns:<7} {risk:<8} {firing:<6} "), base),
        Span::styled(
            age.trim_end_matches(" ago").to_owned(),
            theme.style(age_tone),
        ),
        // Which estate, as loud as in its dashboard's header.
        match &app.pair.environment {
            Some(environment) => Span::styled(
                format!("  ■ {}", sanitize(&environment.to_uppercase())),
                theme.environment(app.pair.color),
            ),
            None => Span::raw(""),
        },
    ])
}
