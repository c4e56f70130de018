//! Popups over the dashboard: the `?` help (generated from the action table) and the fault menu.
//! Also the debug view (`d`) and the runbook picker (`r`); each draws over the middle of the screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::app::{App, Panel};
use crate::keys::{self, Context};
use crate::theme::{Theme, Tone};
use drtui_core::fault::Fault;
use drtui_core::model::Role;
use drtui_core::text::sanitize;

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// Draws `lines` in a bordered box centred over whatever is below; a line wider than the box
/// wraps instead of being cut.
fn popup(frame: &mut Frame, area: Rect, width: u16, title: &str, lines: Vec<Line>, theme: Theme) {
    let inner = usize::from(width.min(area.width).saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|line| line.width().div_ceil(inner).max(1))
        .sum();
    let cell = centered(area, width, u16::try_from(rows + 2).unwrap_or(u16::MAX));
    frame.render_widget(Clear, cell);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(title)
                .border_style(theme.border(true)),
        ),
        cell,
    );
}

pub fn help(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let availability = app.availability();
    let mut lines = Vec::new();
    for context in [
        Context::Global,
        Context::Dashboard,
        Context::FaultMenu,
        Context::RunbookMenu,
        Context::Gate,
        Context::Overlay,
    ] {
        let entries: Vec<_> = keys::visible(&[context], availability).collect();
        if entries.is_empty() {
            continue;
        }
        lines.push(Line::styled(context.title(), theme.style(Tone::Accent)));
        for entry in entries {
            let danger = if entry.dangerous {
                " ⚠ changes the estate"
            } else {
                ""
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<8}", entry.label), theme.selected()),
                Span::raw(format!(" {}{danger}", entry.description)),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Symbols", theme.style(Tone::Accent)));
    lines.push(Line::from(vec![
        Span::styled("  ✔ ok  ", theme.style(Tone::Good)),
        Span::styled("▲ warning  ", theme.style(Tone::Warn)),
        Span::styled("✖ failing  ", theme.style(Tone::Bad)),
        Span::styled("? unknown or stale", theme.style(Tone::Unknown)),
    ]));
    if app.read_only {
        lines.push(Line::styled(
            "Read-only: actions that change the estate are hidden.",
            theme.style(Tone::Warn),
        ));
    }
    popup(frame, area, 76, " Keys · Esc to close ", lines, theme);
}

pub fn faults(app: &App, selected: usize, frame: &mut Frame, area: Rect, theme: Theme) {
    let active = app.faults.clone().unwrap_or_default();
    let mut lines: Vec<Line> = Fault::ALL
        .iter()
        .enumerate()
        .map(|(index, fault)| {
            let on = active.contains(fault);
            let (marker, style) = theme.row(index == selected);
            Line::from(vec![
                Span::styled(
                    format!(
                        "{marker} [{}] {:<24}",
                        if on { "x" } else { " " },
                        fault.name()
                    ),
                    style,
                ),
                Span::styled(
                    format!(" {}", fault.description()),
                    theme.style(if on { Tone::Warn } else { Tone::Muted }),
                ),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Enter toggles · c clears all · Esc closes · the same faults: drtui --scenario NAME",
        theme.style(Tone::Muted),
    ));
    popup(
        frame,
        area,
        118,
        " Inject faults (demo simulator) ",
        lines,
        theme,
    );
}

/// API calls per poll and in total, and every source's age and latest error.
pub fn debug(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let (per_poll, total) = app.calls_per_poll();
    let mut lines = vec![Line::styled(
        format!(
            "API calls: last {} (one poll) / since start",
            humantime::format_duration(app.pair.poll_interval)
        ),
        theme.style(Tone::Accent),
    )];
    for (service, operations) in &total {
        for (operation, count) in operations {
            let recent = per_poll
                .get(service)
                .and_then(|ops| ops.get(operation))
                .copied()
                .unwrap_or(0);
            lines.push(Line::raw(format!(
                "  {:<15} {:<26} {recent:>4} / {count}",
                service, operation
            )));
        }
    }
    if total.is_empty() {
        lines.push(Line::styled(
            "  no calls counted yet",
            theme.style(Tone::Muted),
        ));
    }
    let cost = drtui_core::cost::of(&app.pair);
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "CloudWatch cost left open: ${:.2}/day ({:.0} metrics/hour)",
            cost.usd_per_day, cost.metrics_per_hour
        ),
        theme.style(Tone::Accent),
    ));
    lines.push(Line::styled(
        format!("  {}", cost.formula),
        theme.style(Tone::Muted),
    ));
    // Before the long list of sources, so an 80x24 terminal shows it.
    lines.extend(parity_cadence(app, theme));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Sources", theme.style(Tone::Accent)));
    let stale_after = app.pair.stale_after();
    for source in drtui_core::model::Source::all() {
        let meta = app.snapshot.meta(source);
        let freshness = meta.freshness(app.now, stale_after);
        let tone = Tone::of_freshness(freshness);
        let name = crate::format::source_label(&app.pair, source);
        let age = meta.age(app.now).map_or_else(
            || "never".to_owned(),
            |age| format!("{} ago", crate::format::age(age)),
        );
        let error = meta
            .error
            .map(|error| format!("  ✖ {}", drtui_core::text::sanitize(&error.message())))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} {:<24}", tone.symbol(), name),
                theme.style(tone),
            ),
            Span::raw(format!(" {age:<10}")),
            Span::styled(error, theme.style(Tone::Bad)),
        ]));
    }
    popup(frame, area, 96, " Debug · Esc to close ", lines, theme);
}

/// The slow sources (parity, permissions): when each was last read and what it costs in calls
/// per hour at `parity_interval` (none is a CloudWatch metric; IAM and Lambda reads are free).
fn parity_cadence(app: &App, theme: Theme) -> Vec<Line<'static>> {
    use drtui_core::model::{Role, Source};
    let interval = app.pair.parity_interval;
    let reads_per_hour = 3600.0 / interval.as_secs_f64().max(1.0);
    let mut lines = vec![
        Line::raw(""),
        Line::styled(
            format!(
                "Parity and permissions: every {}, `c` reads them now",
                humantime::format_duration(interval)
            ),
            theme.style(Tone::Accent),
        ),
    ];
    let per_read = |source: Source| match source {
        Source::Parity(role) => drtui_core::parity::calls_per_read(&app.pair, role),
        _ => drtui_core::permissions::simulations_per_read(&app.pair),
    };
    let mut total = 0.0;
    for source in [
        Source::Parity(Role::Primary),
        Source::Parity(Role::Secondary),
        Source::Permissions,
    ] {
        let age = app.snapshot.meta(source).age(app.now).map_or_else(
            || "never".to_owned(),
            |age| format!("{} ago", crate::format::age(age)),
        );
        let calls = per_read(source);
        let hourly = calls as f64 * reads_per_hour;
        total += hourly;
        lines.push(Line::raw(format!(
            "  {:<20} read {age:<9} {calls:>3} calls/read {hourly:>6.0} calls/hour",
            crate::format::source_label(&app.pair, source)
        )));
    }
    lines.push(Line::styled(
        format!("  {total:.0} calls/hour in all; no CloudWatch metric"),
        theme.style(Tone::Muted),
    ));
    lines
}

/// The picker: each runbook, the recommended one starred, and the ones whose preconditions
/// fail right now marked with the first reason.
pub fn runbooks(app: &App, selected: usize, frame: &mut Frame, area: Rect, theme: Theme) {
    let recommended = app
        .readiness
        .recommended_runbook
        .map(|runbook| runbook.as_str());
    let mut lines: Vec<Line> = Vec::new();
    for (index, runbook) in app.runbooks.iter().enumerate() {
        let name = runbook.name.as_str();
        let style = if index == selected {
            theme.selected()
        } else {
            theme.style(Tone::Plain)
        };
        let star = if Some(name) == recommended {
            "★"
        } else {
            " "
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{}{star}{:<12}",
                    if index == selected { "›" } else { " " },
                    name
                ),
                style,
            ),
            Span::styled(
                format!(" {}", drtui_core::text::sanitize(&runbook.description)),
                theme.style(Tone::Muted),
            ),
        ]));
        let denied = app
            .snapshot
            .permissions
            .value
            .as_ref()
            .map(|permissions| drtui_core::permissions::denied_for(runbook, &app.pair, permissions))
            .unwrap_or_default();
        if let Some(first) = denied.first() {
            lines.push(Line::styled(
                format!(
                    "     ✖ refused now: you may not make {} ({} denied)",
                    drtui_core::text::sanitize(&first.action),
                    denied.len()
                ),
                theme.style(Tone::Bad),
            ));
        } else if let Some(first) = app.failing_preconditions(runbook).first() {
            lines.push(Line::styled(
                format!(
                    "     ✖ would stop now at {}",
                    drtui_core::text::sanitize(first)
                ),
                theme.style(Tone::Bad),
            ));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "★ recommended now. Enter starts it; every gate waits for you to type `{}`. `{}` shows its calls.",
            app.pair.name,
            app.pair.commands().plan(
                app.runbooks
                    .get(selected)
                    .map_or("failover", |runbook| runbook.name.as_str())
            )
        ),
        theme.style(Tone::Muted),
    ));
    popup(frame, area, 110, " Runbooks · Esc to close ", lines, theme);
}

/// The focused list's selected row in full (Enter), or the focused region's Lambda functions.
pub fn detail(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let detail = match app.focus {
        Panel::Primary => super::region::detail(app, Role::Primary),
        Panel::Secondary => super::region::detail(app, Role::Secondary),
        list => {
            let rows = super::lists::rows(app, list, theme, true);
            let row = app.selected_row(list).unwrap_or(0);
            match rows.into_iter().nth(row).and_then(|row| row.detail) {
                Some(detail) => detail,
                None => super::lists::Detail {
                    title: list.title().to_owned(),
                    facts: vec![("rows", "nothing to show".to_owned())],
                },
            }
        }
    };
    let label_width = detail
        .facts
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = detail
        .facts
        .into_iter()
        .map(|(label, value)| {
            Line::from(vec![
                Span::styled(format!("{label:<label_width$}  "), theme.style(Tone::Muted)),
                Span::raw(value),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled("Esc closes", theme.style(Tone::Muted)));
    let width = area.width.saturating_sub(8).min(110);
    popup(
        frame,
        area,
        width,
        &format!(" {} ", detail.title),
        lines,
        theme,
    );
}

/// The reason prompt for skipping the stopped run's step.
pub fn skip_prompt(app: &App, reason: &str, frame: &mut Frame, area: Rect, theme: Theme) {
    let Some(stopped) = app.stopped_run() else {
        return;
    };
    let step = stopped.step.as_deref().unwrap_or("?");
    let lines = vec![
        Line::raw(format!(
            "Skip step `{}` of run {} and resume it?",
            sanitize(step),
            sanitize(&stopped.run_id)
        )),
        Line::styled(
            "The step is recorded as skipped by you, with your reason, for the incident review.",
            theme.style(Tone::Muted),
        ),
        Line::raw(""),
        Line::from(vec![
            Span::raw("Why: "),
            Span::styled(format!("{}▏", sanitize(reason)), theme.selected()),
        ]),
        Line::raw(""),
        Line::styled(
            "Enter skips and resumes · Esc cancels",
            theme.style(Tone::Muted),
        ),
    ];
    let width = area.width.saturating_sub(8).min(100);
    popup(frame, area, width, " Skip a step ", lines, theme);
}

/// What changed since the dashboard opened, newest first, as many as fit.
pub fn timeline(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let room = usize::from(area.height.saturating_sub(6)).max(1);
    let mut lines: Vec<Line> = if app.timeline.is_empty() {
        vec![Line::styled(
            "Nothing changed yet since the dashboard opened.",
            theme.style(Tone::Muted),
        )]
    } else {
        app.timeline
            .iter()
            .rev()
            .take(room)
            .map(|change| {
                let tone = match change.kind {
                    drtui_core::changes::ChangeKind::Alarm
                    | drtui_core::changes::ChangeKind::Health => Tone::Warn,
                    drtui_core::changes::ChangeKind::Run => Tone::Accent,
                    _ => Tone::Plain,
                };
                Line::styled(drtui_core::changes::line(change), theme.style(tone))
            })
            .collect()
    };
    let hidden = app.timeline.len().saturating_sub(room);
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "{}kept in the state dir; `drtui runs show RUN --markdown` includes a run's window · Esc closes",
            if hidden > 0 {
                format!("{hidden} older not shown; ")
            } else {
                String::new()
            }
        ),
        theme.style(Tone::Muted),
    ));
    let width = area.width.saturating_sub(4).min(150);
    popup(frame, area, width, " Events, newest first ", lines, theme);
}
