//! The lists under the regions: readiness checks, alarms, failover executions, stacks.
//! Most urgent first; what does not fit is counted, never silently dropped.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::{App, Panel};
use crate::format::{self, truncate};
use crate::theme::{Theme, Tone};
use drtui_core::model::{AlarmState, Observed, RegionStatus, Role, Source};
use drtui_core::text::sanitize;

pub fn render(app: &App, panel: Panel, tabbed: bool, frame: &mut Frame, area: Rect, theme: Theme) {
    let focused = app.focus == panel;
    let title = if tabbed {
        let mut spans = vec![Span::raw(" ")];
        for list in Panel::LISTS {
            let style = if list == panel {
                theme.selected()
            } else {
                theme.style(Tone::Muted)
            };
            spans.push(Span::styled(format!(" {} ", list.title()), style));
        }
        spans.push(Span::styled(" Tab ▸ ", theme.style(Tone::Muted)));
        Line::from(spans)
    } else {
        Line::from(format!(" {} ", panel.title()))
    };
    let (age, age_tone) = super::age::badge(app, &panel_sources(panel));
    let block = Block::bordered()
        .title(title)
        .title(Line::styled(format!(" {age} "), theme.style(age_tone)).right_aligned())
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut rows = match panel {
        Panel::Checks => checks(app, theme),
        Panel::Alarms => alarms(app, theme),
        Panel::Executions => executions(app, theme),
        Panel::Stacks => stacks(app, theme),
        Panel::Primary | Panel::Secondary => Vec::new(),
    };
    let capacity = inner.height as usize;
    if rows.len() > capacity && capacity > 0 {
        let hidden = rows.len() - (capacity - 1);
        rows.truncate(capacity - 1);
        rows.push(Line::styled(
            format!("  … {hidden} more (widen the terminal to see all)"),
            theme.style(Tone::Muted),
        ));
    }
    let width = inner.width as usize;
    let rows: Vec<Line> = rows
        .into_iter()
        .map(|line| {
            let text: String = line
                .spans
                .iter()
                .map(|span| span.content.as_ref())
                .collect();
            let style = line
                .spans
                .first()
                .map(|span| span.style)
                .unwrap_or_default();
            if text.chars().count() > width {
                Line::styled(truncate(&text, width), style)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(rows), inner);
}

/// The sources a list is drawn from (the checks read all of them).
fn panel_sources(panel: Panel) -> Vec<Source> {
    match panel {
        Panel::Alarms => Role::BOTH.map(Source::Alarms).to_vec(),
        Panel::Stacks => Role::BOTH.map(Source::Stacks).to_vec(),
        Panel::Executions => vec![Source::StateMachine],
        Panel::Checks | Panel::Primary | Panel::Secondary => Source::all(),
    }
}

/// Both regions' entries of one list source, with a "? unknown" row for a region whose data
/// cannot be trusted.
fn per_region<'a, T>(
    app: &'a App,
    what: &str,
    pick: fn(&RegionStatus) -> &Observed<Vec<T>>,
    theme: Theme,
) -> (Vec<Line<'static>>, Vec<(String, &'a T)>) {
    let mut rows = Vec::new();
    let mut entries = Vec::new();
    for role in Role::BOTH {
        let region = app.snapshot.region(role);
        let observed = pick(region);
        match observed.usable(app.now, app.pair.stale_after()) {
            Some(items) => entries.extend(items.iter().map(|item| (region.region.clone(), item))),
            None => rows.push(unknown_row(
                &format!("{} {what}", region.region),
                observed.error.as_ref(),
                theme,
            )),
        }
    }
    (rows, entries)
}

fn unknown_row(
    what: &str,
    error: Option<&drtui_core::model::FetchFailure>,
    theme: Theme,
) -> Line<'static> {
    let reason = error
        .map(|error| format!(": {}", sanitize(&error.message)))
        .unwrap_or_default();
    Line::styled(
        format!("? {what} unknown{reason}"),
        theme.style(Tone::Unknown),
    )
}

fn checks(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let mut checks: Vec<_> = app.readiness.checks.iter().collect();
    checks.sort_by_key(|check| std::cmp::Reverse(check.status));
    checks
        .into_iter()
        .map(|check| {
            let tone = Tone::of_check(check.status);
            Line::from(vec![
                Span::styled(
                    format!(
                        "{} {:<4} ",
                        tone.symbol(),
                        check.status.as_str().to_uppercase()
                    ),
                    theme.style(tone),
                ),
                Span::raw(format!("{:<27} ", check.id)),
                Span::styled(
                    sanitize(&check.detail).into_owned(),
                    theme.style(Tone::Muted),
                ),
            ])
        })
        .collect()
}

fn alarms(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let (mut rows, mut entries) = per_region(app, "alarms", |region| &region.alarms, theme);
    let rank = |state: &AlarmState| match state {
        AlarmState::Alarm => 0,
        AlarmState::InsufficientData => 1,
        AlarmState::Ok => 2,
    };
    entries.sort_by_key(|(_, alarm)| rank(&alarm.state));
    rows.extend(entries.into_iter().map(|(_, alarm)| {
        let tone = Tone::of_alarm(&alarm.state);
        let since = alarm
            .since
            .map(|since| {
                format!(
                    " {} ago",
                    format::age(drtui_core::clock::elapsed(since, app.now))
                )
            })
            .unwrap_or_default();
        Line::from(vec![
            Span::styled(
                format!("{} {:<17} ", tone.symbol(), alarm.state.as_str()),
                theme.style(tone),
            ),
            // The pair's alarm prefix is on every row: the rest tells them apart.
            Span::raw(
                sanitize(format::without_prefix(&alarm.name, &app.pair.alarm_prefix)).into_owned(),
            ),
            Span::styled(
                format!("{since} · {}", sanitize(&alarm.reason)),
                theme.style(Tone::Muted),
            ),
        ])
    }));
    rows
}

fn executions(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let machine = &app.snapshot.state_machine;
    match machine.usable(app.now, app.pair.stale_after()) {
        None => vec![unknown_row("executions", machine.error.as_ref(), theme)],
        Some(None) => vec![Line::styled(
            "▲ no failover state machine",
            theme.style(Tone::Warn),
        )],
        Some(Some(machine)) if machine.executions.is_empty() => {
            vec![Line::styled("no executions yet", theme.style(Tone::Muted))]
        }
        Some(Some(machine)) => machine
            .executions
            .iter()
            .map(|execution| {
                let tone = match execution.status.as_str() {
                    "SUCCEEDED" => Tone::Good,
                    "RUNNING" | "PENDING_REDRIVE" => Tone::Accent,
                    _ => Tone::Bad,
                };
                let took = execution
                    .stopped_at
                    .map(|stopped| {
                        format!(
                            " took {}",
                            format::age(drtui_core::clock::elapsed(execution.started_at, stopped))
                        )
                    })
                    .unwrap_or_default();
                Line::from(vec![
                    Span::styled(
                        format!("{} {:<9} ", tone.symbol(), sanitize(&execution.status)),
                        theme.style(tone),
                    ),
                    Span::raw(sanitize(&execution.name).into_owned()),
                    Span::styled(
                        format!(
                            " {} ago{took}",
                            format::age(drtui_core::clock::elapsed(execution.started_at, app.now))
                        ),
                        theme.style(Tone::Muted),
                    ),
                ])
            })
            .collect(),
    }
}

fn stacks(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let (mut rows, mut entries) = per_region(app, "stacks", |region| &region.stacks, theme);
    entries.sort_by_key(|(_, stack)| stack.is_settled());
    let names: Vec<&str> = entries
        .iter()
        .map(|(_, stack)| stack.name.as_str())
        .collect();
    let shared = format::shared_prefix(&names).to_owned();
    rows.extend(entries.into_iter().map(|(region, stack)| {
        let healthy = stack.is_settled();
        let tone = if healthy { Tone::Good } else { Tone::Warn };
        Line::from(vec![
            Span::styled(format!("{} ", tone.symbol()), theme.style(tone)),
            Span::styled(format!("{region} "), theme.style(Tone::Muted)),
            Span::raw(format!(
                "{} ",
                sanitize(format::without_prefix(&stack.name, &shared))
            )),
            Span::styled(
                sanitize(&stack.status).into_owned(),
                theme.style(Tone::Muted),
            ),
        ])
    }));
    if rows.is_empty() {
        rows.push(Line::styled(
            "no stacks configured for this pair",
            theme.style(Tone::Muted),
        ));
    }
    rows
}
