//! The global strip: verdict, DNS weights, global database, failover state machine.
//! One glance answers: can we fail over now, what would it lose, where do traffic and the writer go.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::App;
use crate::format;
use crate::theme::{Theme, Tone};
use drtui_core::model::{Freshness, Role, Source};
use drtui_core::ports::ROUTE53_CONTROL_REGION;
use drtui_core::readiness::CheckStatus;
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
    let mut lines = vec![verdict_line(app, theme), estate_line(app, theme)];
    if inner.height >= 3 {
        lines.push(reason_line(app, theme));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn verdict_line(app: &App, theme: Theme) -> Line<'static> {
    let readiness = &app.readiness;
    let tone = Tone::of_verdict(readiness.verdict);
    let verdict = readiness.verdict.as_str().replace('_', " ").to_uppercase();
    let primary = if readiness.primary_healthy {
        "primary serving"
    } else {
        "primary impaired"
    };
    let recommendation = match readiness.recommended_runbook {
        Some(runbook) => format!("{} recommended ({primary})", runbook.as_str()),
        None => format!("no runbook: secondary cannot take traffic ({primary})"),
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

fn estate_line(app: &App, theme: Theme) -> Line<'static> {
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
        spans.push(Span::styled(
            format!(" ({age}; Route 53 control plane {ROUTE53_CONTROL_REGION} not answering)"),
            theme.style(Tone::Warn),
        ));
    }
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
