//! The lists under the regions: readiness checks, alarms, failover executions, stacks.
//! Most urgent first; what does not fit is counted, never silently dropped. Every row carries
//! its detail (Enter on the focused list), built from the same data in the same pass, so the
//! row and its detail cannot disagree.

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
    let all = rows(app, panel, theme, false);
    let selected = app
        .selected_row(panel)
        .filter(|_| focused)
        .map(|row| row.min(all.len().saturating_sub(1)));
    let capacity = inner.height as usize;
    // The window keeps the selected row in view; what is cut is counted.
    let first = match selected {
        Some(row) if capacity > 1 && row >= capacity - 1 => row + 2 - capacity,
        _ => 0,
    };
    let total = all.len();
    let mut rows: Vec<Line> = all
        .into_iter()
        .enumerate()
        .skip(first)
        .map(|(index, row)| {
            if Some(index) == selected {
                Line::styled(line_text(&row.line), theme.selected())
            } else {
                row.line
            }
        })
        .collect();
    if rows.len() > capacity && capacity > 0 {
        let hidden = total - first - (capacity - 1);
        rows.truncate(capacity - 1);
        rows.push(Line::styled(
            format!("  … {hidden} more (↓ or a larger terminal shows them)"),
            theme.style(Tone::Muted),
        ));
    }
    let width = inner.width as usize;
    let rows: Vec<Line> = rows
        .into_iter()
        .map(|line| {
            let text = line_text(&line);
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

/// An alarm's reason without CloudWatch's category prefix (the state column says it); the
/// detail view keeps it whole.
fn short_reason(reason: &str) -> &str {
    ["Threshold Crossed: ", "Insufficient Data: "]
        .iter()
        .find_map(|prefix| reason.strip_prefix(prefix))
        .unwrap_or(reason)
}

fn line_text(line: &Line) -> String {
    line.spans
        .iter()
        .map(|span| span.content.as_ref())
        .collect()
}

/// One row of a list and what its detail view shows.
pub struct Row {
    pub line: Line<'static>,
    /// Built only when asked for (`detailed`): drawing a frame needs the lines alone.
    pub detail: Option<Detail>,
}

/// The facts of one item, label and value, for the detail view.
#[derive(Clone, Debug, PartialEq)]
pub struct Detail {
    pub title: String,
    pub facts: Vec<(&'static str, String)>,
}

/// The rows of a list, in the order they are drawn.
pub fn rows(app: &App, panel: Panel, theme: Theme, detailed: bool) -> Vec<Row> {
    match panel {
        Panel::Checks => checks(app, theme, detailed),
        Panel::Alarms => alarms(app, theme, detailed),
        Panel::Executions => executions(app, theme, detailed),
        Panel::Stacks => stacks(app, theme, detailed),
        Panel::Primary | Panel::Secondary => Vec::new(),
    }
}

fn ago(app: &App, at: drtui_core::clock::Timestamp) -> String {
    format!(
        "{} ({} ago)",
        at.format("%Y-%m-%d %H:%M:%SZ"),
        format::age(drtui_core::clock::elapsed(at, app.now))
    )
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
    detailed: bool,
) -> (Vec<Row>, Vec<(String, &'a T)>) {
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
                detailed,
            )),
        }
    }
    (rows, entries)
}

fn unknown_row(
    what: &str,
    error: Option<&drtui_core::model::FetchFailure>,
    theme: Theme,
    detailed: bool,
) -> Row {
    let reason = error
        .map(|error| format!(": {}", sanitize(&error.message())))
        .unwrap_or_default();
    Row {
        line: Line::styled(
            format!("? {what} unknown{reason}"),
            theme.style(Tone::Unknown),
        ),
        detail: detailed.then(|| Detail {
            title: format!("{what}: unknown"),
            facts: vec![(
                "why",
                error.map_or_else(
                    || {
                        "no answer yet, or the last one is older than the staleness limit"
                            .to_owned()
                    },
                    |error| sanitize(&error.message()).into_owned(),
                ),
            )],
        }),
    }
}

fn checks(app: &App, theme: Theme, detailed: bool) -> Vec<Row> {
    let mut checks: Vec<_> = app.readiness.checks.iter().collect();
    checks.sort_by_key(|check| std::cmp::Reverse(check.status));
    checks
        .into_iter()
        .map(|check| {
            let tone = Tone::of_check(check.status);
            let detail = detailed.then(|| Detail {
                title: format!("check {}", check.id),
                facts: vec![
                    ("status", check.status.as_str().to_uppercase()),
                    ("asks", check.id.question().to_owned()),
                    ("found", sanitize(&check.detail).into_owned()),
                    (
                        "looked at",
                        check
                            .id
                            .sources()
                            .into_iter()
                            .map(|source| {
                                let (age, _) = super::age::badge(app, &[source]);
                                format!("{} {age}", format::source_label(&app.pair, source))
                            })
                            .collect::<Vec<_>>()
                            .join(" · "),
                    ),
                ],
            });
            let line = Line::from(vec![
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
            ]);
            Row { line, detail }
        })
        .collect()
}

fn alarms(app: &App, theme: Theme, detailed: bool) -> Vec<Row> {
    let (mut rows, mut entries) =
        per_region(app, "alarms", |region| &region.alarms, theme, detailed);
    let rank = |state: &AlarmState| match state {
        AlarmState::Alarm => 0,
        AlarmState::InsufficientData => 1,
        AlarmState::Ok => 2,
    };
    entries.sort_by_key(|(_, alarm)| rank(&alarm.state));
    let state_width = entries
        .iter()
        .map(|(_, alarm)| alarm.state.as_str().len())
        .max()
        .unwrap_or(0);
    rows.extend(entries.into_iter().map(|(region, alarm)| {
        let tone = Tone::of_alarm(&alarm.state);
        let detail = detailed.then(|| Detail {
            title: format!("alarm {}", sanitize(&alarm.name)),
            facts: vec![
                ("state", alarm.state.as_str().to_owned()),
                ("region", region),
                ("reason", sanitize(&alarm.reason).into_owned()),
                (
                    "since",
                    alarm
                        .since
                        .map_or_else(|| "unknown".to_owned(), |at| ago(app, at)),
                ),
                (
                    "rule",
                    alarm.rule.as_deref().map_or_else(
                        || "not reported".to_owned(),
                        |rule| sanitize(rule).into_owned(),
                    ),
                ),
            ],
        });
        let since = alarm
            .since
            .map(|since| {
                format!(
                    " {} ago",
                    format::age(drtui_core::clock::elapsed(since, app.now))
                )
            })
            .unwrap_or_default();
        let line = Line::from(vec![
            Span::styled(
                format!("{} {:<state_width$} ", tone.symbol(), alarm.state.as_str()),
                theme.style(tone),
            ),
            // The pair's alarm prefix is on every row: the rest tells them apart.
            Span::raw(
                sanitize(format::without_prefix(&alarm.name, &app.pair.alarm_prefix)).into_owned(),
            ),
            // An OK alarm's reason is CloudWatch boilerplate; the others' is the news.
            Span::styled(
                if alarm.state == AlarmState::Ok {
                    since
                } else {
                    format!("{since} · {}", sanitize(short_reason(&alarm.reason)))
                },
                theme.style(Tone::Muted),
            ),
        ]);
        Row { line, detail }
    }));
    rows
}

fn executions(app: &App, theme: Theme, detailed: bool) -> Vec<Row> {
    let machine = &app.snapshot.state_machine;
    let note = |text: &str, tone: Tone, why: String| Row {
        line: Line::styled(text.to_owned(), theme.style(tone)),
        detail: detailed.then(|| Detail {
            title: "failover state machine".to_owned(),
            facts: vec![("state machine", why)],
        }),
    };
    match machine.usable(app.now, app.pair.stale_after()) {
        None => vec![unknown_row(
            "executions",
            machine.error.as_ref(),
            theme,
            detailed,
        )],
        Some(None) => vec![note(
            "▲ no failover state machine",
            Tone::Warn,
            "none is configured or found for this pair".to_owned(),
        )],
        Some(Some(machine)) if machine.executions.is_empty() => vec![note(
            "no executions yet",
            Tone::Muted,
            format!("{} has never run", sanitize(&machine.arn)),
        )],
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
                let detail = detailed.then(|| Detail {
                    title: format!("execution {}", sanitize(&execution.name)),
                    facts: vec![
                        ("status", sanitize(&execution.status).into_owned()),
                        ("state machine", sanitize(&machine.arn).into_owned()),
                        ("started", ago(app, execution.started_at)),
                        (
                            "stopped",
                            execution
                                .stopped_at
                                .map_or_else(|| "still running".to_owned(), |at| ago(app, at)),
                        ),
                    ],
                });
                let line = Line::from(vec![
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
                ]);
                Row { line, detail }
            })
            .collect(),
    }
}

fn stacks(app: &App, theme: Theme, detailed: bool) -> Vec<Row> {
    let (mut rows, mut entries) =
        per_region(app, "stacks", |region| &region.stacks, theme, detailed);
    entries.sort_by_key(|(_, stack)| stack.is_settled());
    let names: Vec<&str> = entries
        .iter()
        .map(|(_, stack)| stack.name.as_str())
        .collect();
    let shared = format::shared_prefix(&names).to_owned();
    let drift = app.snapshot.failover_drift(app.now, app.pair.stale_after());
    rows.extend(entries.into_iter().map(|(region, stack)| {
        let drifted = drift.as_deref().filter(|_| stack.is_database());
        let healthy = stack.is_settled();
        let tone = if healthy { Tone::Good } else { Tone::Warn };
        let detail = detailed.then(|| Detail {
            title: format!("stack {}", sanitize(&stack.name)),
            facts: vec![
                ("status", sanitize(&stack.status).into_owned()),
                ("region", region.clone()),
                (
                    "drift",
                    drifted.map_or_else(|| "none expected".to_owned(), str::to_owned),
                ),
                (
                    "reason",
                    stack.reason.as_deref().map_or_else(
                        || "none given".to_owned(),
                        |reason| sanitize(reason).into_owned(),
                    ),
                ),
            ],
        });
        let line = Line::from(vec![
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
            Span::styled(
                if drifted.is_some() {
                    " · drifted by a failover (expected)"
                } else {
                    ""
                },
                theme.style(Tone::Muted),
            ),
        ]);
        Row { line, detail }
    }));
    if rows.is_empty() {
        rows.push(Row {
            line: Line::styled(
                "no stacks configured for this pair",
                theme.style(Tone::Muted),
            ),
            detail: detailed.then(|| Detail {
                title: "stacks".to_owned(),
                facts: vec![(
                    "stacks",
                    "none configured: set the pair's `stacks` (drtui discover fills them)"
                        .to_owned(),
                )],
            }),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use drtui_core::config::RegionPair;
    use drtui_core::model::{
        Alarm, Execution, SourceData, SourceUpdate, StackStatus, StateMachineStatus,
    };

    fn app_seeing(updates: Vec<(Source, SourceData)>) -> App {
        let pair = RegionPair::demo();
        let now = chrono::DateTime::UNIX_EPOCH;
        let mut app = App::new(pair.clone(), "test".into(), pair.empty_snapshot(), now);
        for (source, data) in updates {
            crate::app::update(
                &mut app,
                crate::app::Msg::Update(Box::new(SourceUpdate {
                    source,
                    at: now,
                    result: Ok(data),
                })),
            );
        }
        app
    }

    fn alarm(name: &str, state: AlarmState) -> Alarm {
        Alarm {
            name: name.to_owned(),
            state,
            reason: String::new(),
            since: None,
            rule: None,
        }
    }

    /// What the selection moves over (counted from the model) is what the list draws, in every
    /// state a list can be in: unknown, empty, one region known, both full.
    #[test]
    fn the_models_row_count_is_the_drawn_row_count() {
        let stack = |name: &str| StackStatus {
            name: name.to_owned(),
            status: "UPDATE_COMPLETE".to_owned(),
            reason: None,
        };
        let execution = |name: &str| Execution {
            name: name.to_owned(),
            status: "SUCCEEDED".to_owned(),
            started_at: chrono::DateTime::UNIX_EPOCH,
            stopped_at: None,
        };
        let states = [
            Vec::new(),
            vec![
                (
                    Source::Alarms(Role::Primary),
                    SourceData::Alarms(vec![
                        alarm("a", AlarmState::Alarm),
                        alarm("b", AlarmState::Ok),
                    ]),
                ),
                (
                    Source::Stacks(Role::Secondary),
                    SourceData::Stacks(Vec::new()),
                ),
                (Source::StateMachine, SourceData::StateMachine(None)),
            ],
            vec![
                (
                    Source::Alarms(Role::Primary),
                    SourceData::Alarms(vec![alarm("a", AlarmState::Ok)]),
                ),
                (
                    Source::Alarms(Role::Secondary),
                    SourceData::Alarms(Vec::new()),
                ),
                (
                    Source::Stacks(Role::Primary),
                    SourceData::Stacks(vec![stack("x"), stack("y")]),
                ),
                (
                    Source::Stacks(Role::Secondary),
                    SourceData::Stacks(vec![stack("z")]),
                ),
                (
                    Source::StateMachine,
                    SourceData::StateMachine(Some(StateMachineStatus {
                        arn: "arn:aws:states:us-east-1:0:stateMachine:m".to_owned(),
                        executions: vec![execution("e1"), execution("e2"), execution("e3")],
                    })),
                ),
            ],
        ];
        for updates in states {
            let app = app_seeing(updates);
            for panel in Panel::LISTS {
                assert_eq!(
                    app.list_len(panel),
                    rows(&app, panel, Theme { color: false }, false).len(),
                    "{panel:?}"
                );
            }
        }
    }
}
