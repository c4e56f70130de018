//! The runbook view beside the live dashboard: each step's state and duration, the current
//! step's output, and the gate prompt.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::app::{App, GatePrompt, RunView, StepState};
use crate::format::{self, truncate};
use crate::theme::{Theme, Tone};
use drtui_core::clock::elapsed;
use drtui_core::text::sanitize;

fn state_symbol(state: StepState) -> (&'static str, Tone) {
    match state {
        StepState::Pending => ("·", Tone::Muted),
        StepState::Running => ("▶", Tone::Accent),
        StepState::Ok => ("✔", Tone::Good),
        StepState::Skipped => ("↷", Tone::Muted),
        StepState::Failed => ("✖", Tone::Bad),
        StepState::Waiting => ("⏸", Tone::Warn),
    }
}

pub fn panel(app: &App, run: &RunView, frame: &mut Frame, area: Rect, theme: Theme) {
    let status = match &run.outcome {
        Some(outcome) => outcome.clone(),
        None if app.gate.is_some() => "waiting at a gate".to_owned(),
        None => "running".to_owned(),
    };
    let title = format!(
        " Runbook {} · {} · {} ",
        run.runbook,
        // A run refused before its first record (the permission preflight) never started.
        run.run_id().unwrap_or(if run.outcome.is_some() {
            "not started"
        } else {
            "starting"
        }),
        status
    );
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    // Keep the current step in view: show the rows around the last step that moved.
    let current = run
        .steps
        .iter()
        .rposition(|step| run.state(&step.id) != StepState::Pending)
        .unwrap_or(0);
    let rows = inner.height as usize;
    // Room below the current step: one row, or a failure's rows.
    let below = if run
        .steps
        .get(current)
        .is_some_and(|step| run.state(&step.id) == StepState::Failed)
    {
        FAILURE_ROWS
    } else {
        2
    };
    let first = current.saturating_sub(rows.saturating_sub(below));
    let lines: Vec<Line> = run
        .steps
        .iter()
        .skip(first)
        .take(rows)
        .map(|step| {
            let progress = run.summary.progress(&step.id);
            let (symbol, tone) = state_symbol(run.state(&step.id));
            let started = progress.and_then(|progress| progress.started);
            let finished = progress.and_then(|progress| progress.finished);
            let mut detail = sanitize(progress.map_or("", |progress| progress.detail.as_str()));
            let duration = match (started, finished, stopped_at(run)) {
                (Some(start), Some(end), _) => {
                    format!("{:.1}s", elapsed(start, end).as_secs_f64())
                }
                // The run stopped mid-step (paused, killed): the clock stopped with it.
                (Some(start), None, Some((word, stop))) => {
                    let since = format!("{word} since {}", stop.format("%H:%M:%S"));
                    detail = if detail.is_empty() {
                        since.into()
                    } else {
                        format!("{since} · {detail}").into()
                    };
                    format!("{:.1}s", elapsed(start, stop).as_secs_f64())
                }
                (Some(start), None, None) => format!("{}…", format::age(elapsed(start, app.now))),
                _ => String::new(),
            };
            let text = format!(
                "{symbol} {:<22} {:<7} {:>7}  {detail}",
                step.id, step.kind, duration,
            );
            // A failure's reason (the resource that failed, the rollback) is what the operator
            // needs next: it wraps onto a few more rows; every other step keeps to one.
            let rows_for_it = if run.state(&step.id) == StepState::Failed {
                FAILURE_ROWS
            } else {
                1
            };
            Line::styled(truncate(&text, width * rows_for_it), theme.style(tone))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// When the run stopped, if it has, and how to say it: a run stopped without failing or
/// completing is paused (at a safe point, or mid-wait).
fn stopped_at(run: &RunView) -> Option<(&'static str, drtui_core::clock::Timestamp)> {
    use drtui_core::runbook::journal::RunOutcomeKind;
    let (outcome, _) = run.summary.finished.as_ref()?;
    let word = match outcome {
        RunOutcomeKind::Blocked => "paused",
        RunOutcomeKind::Failed | RunOutcomeKind::Completed => "stopped",
    };
    Some((word, run.summary.last_at?))
}

/// Rows a failed step's reason may take in the run panel.
const FAILURE_ROWS: usize = 4;

/// The gate's data-at-risk line: the live figure (it refreshes with every poll while the gate
/// is open) and, before a data-loss action, the cap it is held to.
fn risk_line(app: &App, gate: &GatePrompt, theme: Theme) -> Line<'static> {
    // The live figure, refreshed with every poll while the gate is open.
    let risk = app
        .readiness
        .data_at_risk_ms
        .map_or_else(|| "unknown".to_owned(), drtui_core::readiness::format_ms);
    if gate.question.loses_data_next {
        // The stores follow, one per line: this line says the worst and the cap.
        let cap_text =
            drtui_core::readiness::format_ms(app.pair.max_data_loss.as_secs_f64() * 1000.0);
        let cap = match (app.gate_over_cap(), app.readiness.data_at_risk_ms) {
            (None, _) => format!(" (cap {cap_text})"),
            (Some(_), Some(_)) => format!(" · ✖ exceeds the cap {cap_text}"),
            (Some(_), None) => format!(" · ✖ unknown exceeds any cap {cap_text}"),
        };
        Line::styled(
            format!("✖ DATA LOSS: {risk} at risk right now{cap}"),
            theme.style(Tone::Bad),
        )
    } else {
        Line::styled(
            format!("Data at risk now (replication lag): {risk}"),
            theme.style(Tone::Muted),
        )
    }
}

/// Each store a move out of the writer's region puts at risk, live, on its own line, what a
/// move does to its unreplicated data first: "  delayed dynamodb payment-transactions-prod 1.1 s".
fn store_lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let policy = app.pair.policy();
    let from = drtui_core::readiness::move_from(&app.snapshot, app.now, &policy);
    let from = &app.snapshot.region(from).region;
    drtui_core::stores::reports(&app.snapshot, app.now, &policy)
        .into_iter()
        .filter(|store| store.from == *from)
        .map(|store| {
            let what = drtui_core::stores::consequence(store.kind);
            let tone = if store.current_lag_ms().is_none() {
                Tone::Unknown
            } else {
                Tone::Muted
            };
            Line::styled(
                format!(
                    "  {what:<7} {} {}",
                    sanitize(&store.label()),
                    store.figures_text()
                ),
                theme.style(tone),
            )
        })
        .collect()
}

/// The gate prompt. Whatever the terminal size, it shows the gate's title, the data at risk
/// now and the typed-name prompt; the calls it lets run get the rows that are left, and scroll
/// (↑/↓) when they do not fit.
pub fn gate(app: &App, gate: &GatePrompt, frame: &mut Frame, area: Rect, theme: Theme) {
    let width = 120.min(area.width);
    let text_width = usize::from(width.saturating_sub(2)).max(1);
    let risk_line = risk_line(app, gate, theme);
    let mut head = vec![
        Line::styled(
            sanitize(&gate.question.title).into_owned(),
            theme.style(Tone::Accent),
        ),
        risk_line,
    ];
    if gate.question.loses_data_next {
        head.extend(store_lines(app, theme));
    }
    head.push(Line::raw(sanitize(&gate.question.prompt).into_owned()));
    let answer = app.gate_answer().unwrap_or_else(|| app.pair.name.clone());
    let mut foot = vec![Line::from(vec![
        Span::raw(format!("Type `{answer}` and Enter to approve: ")),
        Span::styled(format!("{}▏", sanitize(&gate.input)), theme.selected()),
    ])];
    foot.push(if gate.confirm_abort {
        Line::styled(
            "Press Esc again to abort the run (it can be resumed later).",
            theme.style(Tone::Warn),
        )
    } else {
        Line::styled("Esc aborts (asks to confirm).", theme.style(Tone::Muted))
    });
    // Rows each line takes once wrapped to the box.
    let rows = |lines: &[Line]| -> usize {
        lines
            .iter()
            .map(|line| line.width().div_ceil(text_width).max(1))
            .sum()
    };
    // Pinned to the top, so the run's steps below stay in view while you decide.
    let top = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    let fixed = rows(&head) + rows(&foot) + 2;
    let room = usize::from(top.height).saturating_sub(fixed);
    let middle = calls_window(gate, room, text_width, theme);
    let mut lines = head;
    lines.extend(middle);
    lines.extend(foot);
    let height = (rows(&lines) as u16 + 2).min(top.height);
    let [row] = ratatui::layout::Layout::vertical([ratatui::layout::Constraint::Length(height)])
        .flex(ratatui::layout::Flex::Start)
        .areas(top);
    let [cell] = ratatui::layout::Layout::horizontal([ratatui::layout::Constraint::Length(width)])
        .flex(ratatui::layout::Flex::Center)
        .areas(row);
    frame.render_widget(ratatui::widgets::Clear, cell);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(match &app.pair.environment {
                    Some(environment) => format!(
                        " Gate: {} · {} ",
                        gate.question.step,
                        sanitize(&environment.to_uppercase())
                    ),
                    None => format!(" Gate: {} ", gate.question.step),
                })
                .border_style(theme.style(Tone::Warn)),
        ),
        cell,
    );
}

/// As many of the calls the gate lets run as fit in `room` rows, from the scroll position,
/// under a heading that says which of them are shown.
fn calls_window(
    gate: &GatePrompt,
    room: usize,
    text_width: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let next = &gate.question.next;
    if next.is_empty() || room < 2 {
        return Vec::new();
    }
    let shown = (room - 1).min(next.len());
    let first = gate.scroll.min(next.len() - shown);
    let what = if gate.question.next_are_changes {
        "Approving executes this change set"
    } else {
        "Approving lets these run"
    };
    let heading = if shown < next.len() {
        format!(
            "{what} ({}-{} of {}, ↑/↓ scroll):",
            first + 1,
            first + shown,
            next.len()
        )
    } else {
        format!("{what}:")
    };
    std::iter::once(Line::styled(heading, theme.style(Tone::Accent)))
        .chain(
            next[first..first + shown]
                .iter()
                .map(|line| Line::raw(crate::format::truncate(&sanitize(line), text_width))),
        )
        .collect()
}
