//! Pure rendering: `render(&App, &mut Frame)` reads state and draws; it never awaits, never
//! touches the network, and copes with any terminal size.
//!
//! The screen, top to bottom (at least 80x24; below that, a message asks for more room):
//!
//! ```text
//! ┌ header: drtui · pair · regions · backend · identity ─────────────────── clock ┐  1 row
//! ┌ Failover readiness (global.rs): verdict · data at risk · DNS · writer · SFN  ┐  4-5 rows
//! ┌ primary region (region.rs) ──────────┐┌ secondary region (region.rs) ───────┐  the rest
//! │ health · Aurora · API · Lambda · DB  ││ (the same facts, side by side)      │
//! │ alarms · stacks · sparklines (lag)   ││                                     │
//! ┌ lists (lists.rs): checks │ alarms │ executions │ stacks ───────────────────┐  7 rows, or
//! │ side by side from 160 columns, one (Tab to switch) below that            │  2/5 when tall
//! │ or, during a run, the run panel and its gate prompt (run.rs)             │
//! footer: the keys of this view, from the action table (keys.rs)               1 row
//! ```
//! Overlays (overlay.rs: help, fault menu, debug, runbook picker) draw over the middle.

mod age;
pub mod fleet;
mod global;
mod lists;
mod overlay;
mod region;
mod run;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, Overlay, Panel};
use super::keys;
use super::theme::{Theme, Tone};
use drtui_core::model::Role;
use drtui_core::text::sanitize;

/// The smallest terminal the dashboard draws on.
pub use crate::app::{MIN_HEIGHT, MIN_WIDTH};
/// From this width the four lists stand side by side.
const WIDE_LISTS: u16 = 160;
/// From this width checks and alarms take a full row each, when the height allows.
const FULL_WIDTH_LISTS: u16 = 180;

/// How the four lists share their area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ListArrangement {
    /// Very wide and tall enough: checks, then alarms, each the full width (their rows are
    /// long), over executions | stacks.
    Stacked,
    /// Wide and tall: checks | alarms over executions | stacks, each half the width.
    Grid,
    /// Wide: the four side by side.
    Row,
    /// Narrow: one at a time (Tab switches).
    Tabbed,
}

impl ListArrangement {
    fn of(area: Rect, tall: bool) -> Self {
        match (area.width >= WIDE_LISTS, tall) {
            (true, true) => ListArrangement::Grid,
            (true, false) => ListArrangement::Row,
            (false, _) => ListArrangement::Tabbed,
        }
    }
}

fn rows_of(app: &App, panel: Panel) -> u16 {
    u16::try_from(app.list_len(panel)).unwrap_or(u16::MAX)
}

/// Rows for the region panels and for the lists: the lists get the rows they need first, the
/// charts what is left (two rows each at most, one at least); during a run, its panel takes
/// every row the regions do not need.
fn share_rows(app: &App, available: u16, area: Rect, mut arrangement: ListArrangement) -> Shares {
    const MIN_LIST: u16 = 6;
    if app.run.is_some() {
        let regions = region::needs(app)
            .height(2)
            .min(available.saturating_sub(MIN_LIST));
        return Shares {
            regions,
            lists: available - regions,
            tops: [0, 0],
            arrangement,
        };
    }
    let needs = region::needs(app);
    let regions_min = needs.height(1);
    let mut tops = [0, 0];
    let lists_need = match arrangement {
        ListArrangement::Grid | ListArrangement::Stacked => {
            let [checks, alarms, executions, stacks] =
                Panel::LISTS.map(|panel| rows_of(app, panel));
            let bottom = executions.max(stacks) + 2;
            let stacked = checks + alarms + 4 + bottom;
            if area.width >= FULL_WIDTH_LISTS && regions_min + stacked <= available {
                arrangement = ListArrangement::Stacked;
                tops = [checks + 2, alarms + 2];
                stacked
            } else {
                arrangement = ListArrangement::Grid;
                tops = [checks.max(alarms) + 2, 0];
                tops[0] + bottom
            }
        }
        ListArrangement::Row => {
            Panel::LISTS
                .map(|panel| rows_of(app, panel))
                .into_iter()
                .max()
                .unwrap_or(0)
                + 2
        }
        ListArrangement::Tabbed => rows_of(app, app.shown_list) + 2,
    };
    let regions_comfortable = needs.height(2);
    let regions = if available >= regions_comfortable + lists_need {
        regions_comfortable
    } else {
        available
            .saturating_sub(lists_need)
            .max(regions_min)
            .min(available.saturating_sub(MIN_LIST))
    };
    Shares {
        regions,
        lists: available - regions,
        tops,
        arrangement,
    }
}

/// Rows for the region panels and the lists, how the lists stand, and the heights of the
/// upper rows of the grid (one) or the stack (two).
struct Shares {
    regions: u16,
    lists: u16,
    tops: [u16; 2],
    arrangement: ListArrangement,
}

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let theme = Theme { color: app.color };
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_too_small(app, frame, area, theme);
        return;
    }
    let tall = area.height >= 40;
    // A stopped run gets its own line in the readiness panel, at any size.
    let global_height = if tall { 6 } else { 5 } + u16::from(app.stopped_run().is_some());
    let arrangement = ListArrangement::of(area, tall);
    let Shares {
        regions: region_height,
        lists: list_height,
        tops,
        arrangement,
    } = share_rows(app, area.height - 2 - global_height, area, arrangement);
    let [header, global_area, regions, list_area, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(global_height),
        Constraint::Length(region_height),
        Constraint::Length(list_height),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(app, frame, header, theme);
    global::render(app, frame, global_area, theme);
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(regions);
    region::render(
        app,
        Role::Primary,
        app.focus == Panel::Primary,
        frame,
        left,
        theme,
    );
    region::render(
        app,
        Role::Secondary,
        app.focus == Panel::Secondary,
        frame,
        right,
        theme,
    );
    if let Some(run_view) = &app.run {
        run::panel(app, run_view, frame, list_area, theme);
    } else {
        render_lists(app, arrangement, tops, frame, list_area, theme);
    }
    render_footer(app, frame, footer, theme);
    match app.overlay {
        Overlay::None => {}
        Overlay::Help => overlay::help(app, frame, area, theme),
        Overlay::Faults { selected } => overlay::faults(app, selected, frame, area, theme),
        Overlay::Debug => overlay::debug(app, frame, area, theme),
        Overlay::Runbooks { selected } => overlay::runbooks(app, selected, frame, area, theme),
        Overlay::Detail => overlay::detail(app, frame, area, theme),
        Overlay::Timeline => overlay::timeline(app, frame, area, theme),
    }
    if let Some(reason) = &app.skip_reason {
        overlay::skip_prompt(app, reason, frame, area, theme);
    }
    if let Some(gate) = &app.gate {
        run::gate(app, gate, frame, area, theme);
    }
}

/// The four lists in the arrangement the screen allows.
fn render_lists(
    app: &App,
    arrangement: ListArrangement,
    tops: [u16; 2],
    frame: &mut Frame,
    list_area: Rect,
    theme: Theme,
) {
    let [checks, alarms, executions, stacks] = Panel::LISTS;
    let side_by_side = |frame: &mut Frame, left_panel, right_panel, row: Rect| {
        let [left, right] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(row);
        lists::render(app, left_panel, false, frame, left, theme);
        lists::render(app, right_panel, false, frame, right, theme);
    };
    match arrangement {
        ListArrangement::Stacked => {
            let [first, second, rest] = Layout::vertical([
                Constraint::Length(tops[0]),
                Constraint::Length(tops[1]),
                Constraint::Fill(1),
            ])
            .areas(list_area);
            lists::render(app, checks, false, frame, first, theme);
            lists::render(app, alarms, false, frame, second, theme);
            side_by_side(frame, executions, stacks, rest);
        }
        ListArrangement::Grid => {
            let [upper, lower] =
                Layout::vertical([Constraint::Length(tops[0]), Constraint::Fill(1)])
                    .areas(list_area);
            side_by_side(frame, checks, alarms, upper);
            side_by_side(frame, executions, stacks, lower);
        }
        ListArrangement::Row => {
            let columns = Layout::horizontal([
                Constraint::Fill(3),
                Constraint::Fill(3),
                Constraint::Fill(2),
                Constraint::Fill(2),
            ])
            .split(list_area);
            for (panel, column) in Panel::LISTS.iter().zip(columns.iter()) {
                lists::render(app, *panel, false, frame, *column, theme);
            }
        }
        ListArrangement::Tabbed => {
            lists::render(app, app.shown_list, true, frame, list_area, theme);
        }
    }
}

fn render_too_small(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let gate = if app.gate.is_some() {
        " A GATE WAITS for your approval: enlarge the window to read it (it cannot be approved unseen)."
    } else {
        ""
    };
    let text = format!(
        "Terminal too small: {}x{}. drtui needs at least {MIN_WIDTH}x{MIN_HEIGHT}.{gate} Enlarge the window, or use `{}` for a text report. Press q to quit.",
        area.width,
        area.height,
        app.pair.commands().status()
    );
    frame.render_widget(
        Paragraph::new(text)
            .style(theme.style(Tone::Warn))
            .wrap(Wrap { trim: true }),
        area,
    );
}

fn render_header(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let mut spans = vec![Span::styled(" drtui ", theme.style(Tone::Accent))];
    // Which estate: loud on every screen, and readable without colour (NO_COLOR).
    if let Some(environment) = &app.pair.environment {
        spans.push(Span::styled(
            format!(" ■ {} ", sanitize(&environment.to_uppercase())),
            theme.environment(app.pair.color),
        ));
    }
    spans.push(Span::raw(format!(
        " pair {}  {} ⇄ {}  ",
        sanitize(&app.pair.name),
        app.pair.primary,
        app.pair.secondary
    )));
    if area.width >= 100 {
        spans.push(Span::styled(
            sanitize(&app.backend_label).into_owned(),
            theme.style(Tone::Muted),
        ));
    }
    // Whose polling this is, on a shared pair: said at every width (ages are the poller's).
    if let Some((long, short)) = &app.sharing {
        let said = if area.width >= 100 { long } else { short };
        spans.push(Span::styled(
            format!("  {}", sanitize(said)),
            theme.style(Tone::Muted),
        ));
    }
    if area.width >= 140
        && let Some(identity) = app.snapshot.identity.value.as_deref()
    {
        spans.push(Span::styled(
            format!("  as {}", crate::format::truncate(&sanitize(identity), 60)),
            theme.style(Tone::Muted),
        ));
    }
    if app.read_only {
        spans.push(Span::styled("  [READ-ONLY]", theme.style(Tone::Warn)));
    }
    // Rejected credentials are not an outage: say so where it cannot be missed.
    if app.snapshot.credentials_failure().is_some() {
        spans.push(Span::styled(
            "  ✖ AWS CREDENTIALS REJECTED: log in (aws sso login) and restart",
            theme.style(Tone::Bad),
        ));
    }
    if let Some(faults) = app.faults.as_ref().filter(|faults| !faults.is_empty()) {
        let names: Vec<&str> = faults.iter().map(|fault| fault.name()).collect();
        let text = if area.width >= 120 {
            format!("  ▲ faults: {}", names.join(", "))
        } else {
            format!(
                "  ▲ {} fault{} (f)",
                names.len(),
                if names.len() == 1 { "" } else { "s" }
            )
        };
        spans.push(Span::styled(text, theme.style(Tone::Warn)));
    }
    let clock = app.now.format("%H:%M:%SZ ").to_string();
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(clock.len() as u16)])
            .areas(area);
    frame.render_widget(Line::from(spans), left);
    frame.render_widget(Line::from(clock).style(theme.style(Tone::Muted)), right);
}

fn render_footer(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    if let Some((message, _)) = &app.flash {
        frame.render_widget(
            Line::styled(format!(" {message}"), theme.style(Tone::Accent)),
            area,
        );
        return;
    }
    // Every key usable here, the footer's own first; what does not fit is left to `?`.
    let visible: Vec<_> = keys::visible(&app.contexts(), app.availability()).collect();
    let (first, rest): (Vec<_>, Vec<_>) = visible.into_iter().partition(|entry| entry.in_footer);
    let mut spans = Vec::new();
    let mut used = 0;
    let mut seen = std::collections::BTreeSet::new();
    let room = usize::from(area.width).saturating_sub(10);
    for entry in first.into_iter().chain(rest) {
        if !seen.insert(entry.label) {
            continue;
        }
        let width = entry.label.chars().count() + entry.hint.chars().count() + 5;
        if used + width > room {
            spans.push(Span::styled(" … ? ", theme.style(Tone::Muted)));
            break;
        }
        used += width;
        spans.push(Span::styled(format!(" {} ", entry.label), theme.selected()));
        spans.push(Span::raw(format!(" {}  ", entry.hint)));
    }
    frame.render_widget(Line::from(spans), area);
}
