//! The global strip: verdict, DNS weights, global database, failover state machine.
//! One glance answers: can we fail over now, what would it lose, where do traffic and the writer go.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::App;
use crate::format;
use crate::theme::{Theme, Tone};
use drtui_core::model::{Freshness, Role, Source};
use drtui_core::phase::Phase;
use drtui_core::ports::ROUTE53_CONTROL_REGION;
use drtui_core::readiness::{CheckStatus, Next};
use drtui_core::text::sanitize;

pub fn render(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let global_sources = [
        Source::GlobalCluster,
        Source::Dns,
        Source::HealthChecks,
        Source::StateMachine,
    ];
    let (age, age_tone) = super::age::badge(app, &global_sources);
    let block = Block::bordered()
        .title(" Failover readiness ")
        .title(Line::styled(format!(" global {age} "), theme.style(age_tone)).right_aligned())
        .border_style(theme.border(false));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![
        phase_line(app, theme),
        verdict_line(app, theme),
        estate_line(app, theme),
    ];
    if let Some(banner) = stopped_run_line(app, theme) {
        lines.push(banner);
    }
    if inner.height as usize > lines.len() {
        lines.push(reason_line(app, theme));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A run that changed the estate and stopped: said when the dashboard opens, with the keys that
/// continue it here.
fn stopped_run_line(app: &App, theme: Theme) -> Option<Line<'static>> {
    let stopped = app.stopped_run()?;
    let at = stopped
        .step
        .as_deref()
        .map(|step| format!(" at {}", sanitize(step)))
        .unwrap_or_default();
    // The keys first: at 80 columns the run id may be cut, the way to act must not be.
    let keys = if app.read_only {
        "(read-only: resume it elsewhere)"
    } else if stopped.step.is_some() && app.escalation().is_some() {
        "(R resumes, retrying a failed step · S skips the step · F goes on as a failover)"
    } else if stopped.step.is_some() {
        "(R resumes, retrying a failed step · S skips the step)"
    } else {
        "(R resumes)"
    };
    Some(Line::styled(
        format!(
            "▲ STOPPED RUN {keys} {} {}{at}",
            sanitize(&stopped.run_id),
            stopped.state
        ),
        theme.style(Tone::Warn),
    ))
}

/// The strip that names the phase and says what to do about it, in one line.
fn phase_line(app: &App, theme: Theme) -> Line<'static> {
    let readiness = &app.readiness;
    let writer = readiness.estate.writer.as_deref().unwrap_or("?");
    let (label, tone) = match readiness.phase {
        Phase::Steady => (format!("STEADY in {writer}"), Tone::Good),
        Phase::FailedOver => (format!("FAILED OVER to {writer}"), Tone::Warn),
        Phase::Moving => ("MOVING".to_owned(), Tone::Warn),
        Phase::Split => ("SPLIT".to_owned(), Tone::Bad),
        Phase::Unknown => ("UNKNOWN".to_owned(), Tone::Unknown),
    };
    let since = app
        .phase_since
        .filter(|(phase, _)| *phase == readiness.phase)
        .map(|(_, at)| format!(" since {}", at.format("%H:%M:%S")))
        .unwrap_or_default();
    Line::from(vec![
        Span::styled(
            format!("▌{label}{since} "),
            theme.style(tone).add_modifier(Modifier::BOLD),
        ),
        Span::raw(sanitize(&readiness.recommendation.reason).into_owned()),
    ])
}

fn verdict_line(app: &App, theme: Theme) -> Line<'static> {
    let readiness = &app.readiness;
    let tone = Tone::of_verdict(readiness.verdict);
    let verdict = readiness.verdict.as_str().replace('_', " ").to_uppercase();
    let recommendation = match readiness.recommendation.next {
        Next::None => "next: nothing recommended".to_owned(),
        Next::Resume => format!(
            "next: resume {}",
            readiness
                .estate
                .unfinished_run
                .as_ref()
                .map_or("", |run| run.run_id.as_str())
        ),
        Next::MoveTraffic => format!(
            "next: move traffic to {}",
            readiness.estate.writer.as_deref().unwrap_or("the writer")
        ),
        Next::Wait if readiness.phase == Phase::Moving => "next: wait for the move".to_owned(),
        Next::Wait => "next: wait for the run".to_owned(),
        next => format!("next: {} (r)", next.as_str()),
    };
    let recommendation = match &readiness.settling {
        Some(_) => format!("{recommendation} [confirming a change]"),
        None => recommendation,
    };
    let budget_ms = app.pair.rpo_budget.as_secs_f64() * 1000.0;
    let budget = format::lag(budget_ms);
    let (risk, risk_tone) = match readiness.data_at_risk_ms {
        Some(lag) if lag <= budget_ms => (
            format!("at risk {} (budget {budget})", format::lag(lag)),
            Tone::Plain,
        ),
        Some(lag) => (
            format!("at risk ▲ {} > budget {budget}", format::lag(lag)),
            Tone::Warn,
        ),
        None => (format!("at risk ? (budget {budget})"), Tone::Unknown),
    };
    Line::from(vec![
        Span::styled(format!("{} {verdict}", tone.symbol()), theme.style(tone)),
        Span::raw(format!("  {recommendation} · ")),
        Span::styled(risk, theme.style(risk_tone)),
    ])
}

/// The DNS weights, and why they may not be current (Route 53's control plane lives in
/// us-east-1; credentials may be rejected).
fn dns_spans(app: &App, theme: Theme) -> Vec<Span<'static>> {
    let snapshot = &app.snapshot;
    let stale_after = app.pair.stale_after();
    let mut spans = Vec::new();
    // DNS weights: Route 53's control plane lives in us-east-1; say so when it is not answering.
    let dns_freshness = snapshot.dns.freshness(app.now, stale_after);
    match &snapshot.dns.value {
        Some(dns) => {
            let weights: Vec<String> = Role::BOTH
                .iter()
                .map(|&role| {
                    let region = app.pair.region(role);
                    let weight = dns.weights.get(region).copied().flatten();
                    format!(
                        "{region} {}",
                        weight.map_or_else(|| "?".to_owned(), |w| w.to_string())
                    )
                })
                .collect();
            let tone = if dns_freshness == Freshness::Fresh {
                Tone::Plain
            } else {
                Tone::Unknown
            };
            spans.push(Span::styled(
                format!("DNS {}", weights.join(" / ")),
                theme.style(tone),
            ));
        }
        None => spans.push(Span::styled(
            "DNS ? weights unknown",
            theme.style(Tone::Unknown),
        )),
    }
    if dns_freshness != Freshness::Fresh {
        let age = snapshot.dns.age(app.now).map_or_else(
            || "never read".to_owned(),
            |age| format!("as of {} ago", format::age(age)),
        );
        let why = match &snapshot.dns.error {
            Some(failure) if failure.error.is_credentials() => {
                "AWS credentials rejected".to_owned()
            }
            _ => format!("Route 53 control plane {ROUTE53_CONTROL_REGION} not answering"),
        };
        spans.push(Span::styled(
            format!(" ({age}; {why})"),
            theme.style(Tone::Warn),
        ));
    }
    spans
}

fn estate_line(app: &App, theme: Theme) -> Line<'static> {
    let snapshot = &app.snapshot;
    let stale_after = app.pair.stale_after();
    let mut spans = dns_spans(app, theme);
    spans.push(Span::styled(" │ ", theme.style(Tone::Muted)));
    match snapshot.global_cluster.usable(app.now, stale_after) {
        Some(global) => {
            let writer = global.writer_region().unwrap_or("none");
            let tone = if writer == app.pair.primary {
                Tone::Plain
            } else {
                Tone::Warn
            };
            spans.push(Span::styled(format!("writer {writer}"), theme.style(tone)));
            if let Some(state) = &global.failover_state {
                spans.push(Span::styled(
                    format!(" ({} in progress)", sanitize(&state.status)),
                    theme.style(Tone::Warn),
                ));
            }
        }
        None => spans.push(Span::styled("writer ?", theme.style(Tone::Unknown))),
    }
    spans.push(Span::styled(" │ ", theme.style(Tone::Muted)));
    match snapshot.state_machine.usable(app.now, stale_after) {
        Some(Some(machine)) => match machine.executions.first() {
            Some(execution) => {
                let ago = format::age(drtui_core::clock::elapsed(execution.started_at, app.now));
                spans.push(Span::raw(format!(
                    "SFN {} {ago} ago",
                    sanitize(&execution.status)
                )));
            }
            None => spans.push(Span::raw("SFN: no executions")),
        },
        Some(None) => spans.push(Span::styled(
            "SFN: none configured",
            theme.style(Tone::Warn),
        )),
        None => spans.push(Span::styled("SFN ?", theme.style(Tone::Unknown))),
    }
    Line::from(spans)
}

/// The most serious check that is not passing: the "why" behind the verdict.
fn reason_line(app: &App, theme: Theme) -> Line<'static> {
    let worst = app
        .readiness
        .checks
        .iter()
        .filter(|check| check.status != CheckStatus::Pass)
        .max_by_key(|check| check.status);
    match worst {
        Some(check) => {
            let tone = Tone::of_check(check.status);
            Line::from(vec![
                Span::styled(
                    format!("{} {}: ", tone.symbol(), check.id),
                    theme.style(tone),
                ),
                Span::raw(sanitize(&check.detail).into_owned()),
            ])
        }
        None => Line::styled("✔ every readiness check passes", theme.style(Tone::Good)),
    }
}
