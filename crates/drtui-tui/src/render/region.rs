//! One region's panel: health, Aurora role and lag, API and Lambda figures, alarms, stacks,
//! sparklines, and the age (or error) of everything shown.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};

use crate::app::App;
use crate::format::{self, truncate};
use crate::theme::{Theme, Tone};
use drtui_core::model::{AlarmState, RegionMetrics, RegionStatus, Role, Source, thresholds};
use drtui_core::text::sanitize;

const LABEL_WIDTH: u16 = 18;
/// Health, Aurora, API, Lambda, DB, Alarms.
const SUMMARY_LINES: u16 = 6;

pub fn render(app: &App, role: Role, focused: bool, frame: &mut Frame, area: Rect, theme: Theme) {
    let snapshot = &app.snapshot;
    let region = snapshot.region(role);
    let moving = snapshot
        .global_cluster
        .value
        .as_ref()
        .and_then(|global| global.failover_state.as_ref())
        .map(|state| {
            let region = region.region.as_str();
            if state.from_region.as_deref() == Some(region) {
                format!(" {} ↦ out", sanitize(&state.status))
            } else if state.to_region.as_deref() == Some(region) {
                format!(" {} ↤ in", sanitize(&state.status))
            } else {
                format!(" {}", sanitize(&state.status))
            }
        })
        .unwrap_or_default();
    let writer = match snapshot.is_writer(role) {
        Some(true) => format!("WRITER{moving}"),
        Some(false) => format!("reader{moving}"),
        None => format!("role ?{moving}"),
    };
    let sources: Vec<Source> = Source::all()
        .into_iter()
        .filter(|source| source.role() == Some(role))
        .collect();
    let (mut age_text, age_tone) = super::age::badge(app, &sources);
    if area.width < 60 {
        age_text = age_text.trim_end_matches(" ago").to_owned();
    }
    let block = Block::bordered()
        .title(Line::from(vec![
            Span::styled(format!(" {} ", region.region), theme.style(Tone::Accent)),
            Span::raw(format!("· {} · {writer} ", role.as_str())),
        ]))
        .title(Line::styled(format!(" {age_text} "), theme.style(age_tone)).right_aligned())
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let width = inner.width as usize;
    let mut lines = summary_lines(app, role, theme);
    let errors = error_lines(app, role, width, theme);
    let chart_budget = inner.height.saturating_sub(lines.len() as u16);
    // Errors matter more than the third chart: give them rows first, keep at least one chart.
    let error_rows = errors.len().min(chart_budget.saturating_sub(1) as usize);
    lines.extend(errors.into_iter().take(error_rows));
    let lines: Vec<Line> = lines.into_iter().map(|line| clip(line, width)).collect();
    let text_height = (lines.len() as u16).min(inner.height);
    let [text_area, chart_area] =
        Layout::vertical([Constraint::Length(text_height), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(Paragraph::new(lines), text_area);
    render_charts(app, role, frame, chart_area, theme);
}

/// What the region panels hold, in rows (the taller of the two): the layout gives the lists
/// their rows first and the charts what is left, between one and two rows each.
pub struct Needs {
    text: u16,
    charts: u16,
    notes: u16,
}

impl Needs {
    /// Rows with `chart_rows` rows per chart, borders included.
    pub fn height(&self, chart_rows: u16) -> u16 {
        2 + self.text + self.charts * chart_rows + self.notes
    }
}

/// Counted, not drawn: the layout asks every frame.
pub fn needs(app: &App) -> Needs {
    Role::BOTH
        .into_iter()
        .map(|role| {
            let errors = app
                .snapshot
                .errors()
                .into_iter()
                .filter(|(source, _)| source.role() == Some(role))
                .count();
            let (charts, notes) = match app
                .snapshot
                .region(role)
                .metrics
                .usable(app.now, app.pair.stale_after())
            {
                None => (0, 1),
                Some(metrics) if charts_lag(metrics) => (3, 0),
                Some(_) => (2, 1),
            };
            Needs {
                text: SUMMARY_LINES + stores_out_of(app, role).len() as u16 + errors as u16,
                charts,
                notes,
            }
        })
        .max_by_key(|needs| needs.height(2))
        .unwrap_or(Needs {
            text: 0,
            charts: 0,
            notes: 0,
        })
}

fn label(text: &str, theme: Theme) -> Span<'static> {
    Span::styled(format!("{text:<8}"), theme.style(Tone::Muted))
}

/// A symbol and word for a value that is present and fresh, stale, or missing.
fn unknown(reason: &str, theme: Theme) -> Span<'static> {
    Span::styled(format!("? {reason}"), theme.style(Tone::Unknown))
}

/// One line per fact of the region panel, in screen order.
fn summary_lines(app: &App, role: Role, theme: Theme) -> Vec<Line<'static>> {
    let region = app.snapshot.region(role);
    let metrics = region.metrics.usable(app.now, app.pair.stale_after());
    let silent_for = metrics.and_then(|metrics| metrics.silent_for(app.now));
    let (api, lambda, db) = match (metrics, silent_for) {
        // CloudWatch answered, but with nothing recent: never an old datapoint as current.
        (Some(_), Some(age)) => {
            let silent = || {
                vec![Span::styled(
                    format!("? STALE: newest datapoint {} old", crate::format::age(age)),
                    theme.style(Tone::Warn),
                )]
            };
            (silent(), silent(), silent())
        }
        (Some(metrics), None) => metric_spans(metrics, theme),
        (None, _) => (
            vec![unknown("no metrics", theme)],
            vec![unknown("no metrics", theme)],
            vec![unknown("no metrics", theme)],
        ),
    };
    let mut status = alarm_spans(app, region, theme);
    status.push(Span::styled(" │ ", theme.style(Tone::Muted)));
    status.push(stacks_span(app, region, theme));
    let lines: [(&str, Spans); SUMMARY_LINES as usize] = [
        ("Health", health_spans(app, region, theme)),
        ("Aurora", aurora_spans(app, region, theme)),
        ("API", api),
        ("Lambda", lambda),
        ("DB", db),
        ("Alarms", status),
    ];
    let mut lines: Vec<Line<'static>> = lines
        .into_iter()
        .map(|(name, mut spans)| {
            spans.insert(0, label(name, theme));
            Line::from(spans)
        })
        .collect();
    // Each store replicating out of the region on its own line, after Aurora's.
    let stores = store_lines(app, role, theme);
    lines.splice(2..2, stores);
    lines
}

/// The stores beside Aurora that replicate out of `role`'s region (the reports' order).
fn stores_out_of(app: &App, role: Role) -> Vec<drtui_core::stores::StoreReport> {
    let region = &app.snapshot.region(role).region;
    drtui_core::stores::reports(&app.snapshot, app.now, &app.pair.policy())
        .into_iter()
        .filter(|store| store.kind != drtui_core::model::StoreKind::Aurora && store.from == *region)
        .collect()
}

/// "Table   1.1 s → us-east-2 · payment-transactions-prod" (a DynamoDB global table; "Bucket"
/// for an S3 rule, its pending operations and failures after the figure), warn-toned beyond the RPO budget
/// or with failed operations, unknown-toned without a current figure.
fn store_lines(app: &App, role: Role, theme: Theme) -> Vec<Line<'static>> {
    let budget_ms = app.pair.rpo_budget.as_secs_f64() * 1000.0;
    stores_out_of(app, role)
        .into_iter()
        .map(|store| {
            let tone = match store.current_lag_ms() {
                None if store.kind == drtui_core::model::StoreKind::Secret => {
                    match store.status.as_deref() {
                        Some("InSync") if !store.stale => Tone::Plain,
                        Some(_) => Tone::Warn,
                        None => Tone::Unknown,
                    }
                }
                None => Tone::Unknown,
                Some(lag) if lag > budget_ms => Tone::Warn,
                Some(_) if store.failed_operations.is_some_and(|failed| failed >= 1.0) => {
                    Tone::Warn
                }
                Some(_) => Tone::Plain,
            };
            // The figure first: a narrow panel clips the name, never the number.
            let name = match store.kind {
                drtui_core::model::StoreKind::Dynamodb => "Table",
                drtui_core::model::StoreKind::S3 => "Bucket",
                drtui_core::model::StoreKind::Secret => "Secret",
                _ => store.kind.as_str(),
            };
            Line::from(vec![
                label(name, theme),
                Span::styled(
                    format!(
                        "{}{} → {} · {}",
                        if tone == Tone::Warn { "▲ " } else { "" },
                        store.figures_text(),
                        sanitize(&store.to),
                        sanitize(&store.name)
                    ),
                    theme.style(tone),
                ),
            ])
        })
        .collect()
}

/// Each health check probing the region: healthy or not, with its checkers.
fn health_spans(app: &App, region: &RegionStatus, theme: Theme) -> Spans {
    let snapshot = &app.snapshot;
    if snapshot
        .health_checks
        .usable(app.now, app.pair.stale_after())
        .is_none()
    {
        return vec![unknown("health unknown", theme)];
    }
    let checks: Vec<_> = snapshot.health_checks_for(&region.region).collect();
    if checks.is_empty() {
        return vec![unknown("no health check configured", theme)];
    }
    checks
        .iter()
        .map(|check| {
            let (tone, word) = match check.healthy {
                Some(true) => (Tone::Good, "healthy"),
                Some(false) => (Tone::Bad, "UNHEALTHY"),
                None => (Tone::Unknown, "unknown"),
            };
            let checkers = match (check.checkers_healthy, check.checkers_total) {
                (Some(up), Some(total)) => format!(" {up}/{total} checkers"),
                _ => String::new(),
            };
            Span::styled(
                format!("{} {word}{checkers} ", tone.symbol()),
                theme.style(tone),
            )
        })
        .collect()
}

/// The cluster's status and, when known, its replication lag against the RPO budget.
fn aurora_spans(app: &App, region: &RegionStatus, theme: Theme) -> Spans {
    let max_age = app.pair.stale_after();
    let Some(cluster) = region.aurora.usable(app.now, max_age) else {
        return vec![unknown("cluster status unknown", theme)];
    };
    let tone = if cluster.status == "available" {
        Tone::Good
    } else {
        Tone::Bad
    };
    let mut spans = vec![Span::styled(
        format!("{} {}", tone.symbol(), sanitize(&cluster.status)),
        theme.style(tone),
    )];
    let lag = region
        .metrics
        .usable(app.now, max_age)
        .and_then(|metrics| metrics.replication_lag_ms);
    if let Some(lag) = lag {
        let over = lag > app.pair.rpo_budget.as_secs_f64() * 1000.0;
        let (lag_tone, symbol) = if over {
            (Tone::Warn, "▲ ")
        } else {
            (Tone::Plain, "")
        };
        spans.push(Span::styled(
            format!(" · lag {symbol}{}", format::lag(lag)),
            theme.style(lag_tone),
        ));
    }
    spans
}

/// The region's alarms counted: firing, OK, without data.
fn alarm_spans(app: &App, region: &RegionStatus, theme: Theme) -> Spans {
    let Some(alarms) = region.alarms.usable(app.now, app.pair.stale_after()) else {
        return vec![unknown("alarms unknown", theme)];
    };
    let count = |state: AlarmState| alarms.iter().filter(|alarm| alarm.state == state).count();
    let (firing, ok) = (count(AlarmState::Alarm), count(AlarmState::Ok));
    let no_data = alarms.len() - firing - ok;
    let mut spans = Vec::new();
    if firing > 0 {
        spans.push(Span::styled(
            format!("✖ {firing} ALARM "),
            theme.style(Tone::Bad),
        ));
    }
    spans.push(Span::styled(format!("✔ {ok} OK"), theme.style(Tone::Good)));
    if no_data > 0 {
        spans.push(Span::styled(
            format!(" ? {no_data} no data"),
            theme.style(Tone::Unknown),
        ));
    }
    spans
}

/// How many of the region's stacks are settled.
fn stacks_span(app: &App, region: &RegionStatus, theme: Theme) -> Span<'static> {
    let Some(stacks) = region.stacks.usable(app.now, app.pair.stale_after()) else {
        return unknown("stacks", theme);
    };
    let complete = stacks.iter().filter(|stack| stack.is_settled()).count();
    let tone = if complete == stacks.len() {
        Tone::Good
    } else {
        Tone::Warn
    };
    Span::styled(
        format!("{} stacks {complete}/{}", tone.symbol(), stacks.len()),
        theme.style(tone),
    )
}

type Spans = Vec<Span<'static>>;

/// A figure that turns to "✖ …" in the failing style once it passes its alarm threshold.
fn against_threshold(
    text: String,
    value: Option<f64>,
    threshold: f64,
    theme: Theme,
) -> Span<'static> {
    if value.is_some_and(|value| value > threshold) {
        Span::styled(format!("✖ {text}"), theme.style(Tone::Bad))
    } else {
        Span::raw(text)
    }
}

fn metric_spans(metrics: &RegionMetrics, theme: Theme) -> (Spans, Spans, Spans) {
    let api = vec![
        against_threshold(
            format!("5XX {}", format::pct(metrics.api_5xx_rate_pct)),
            metrics.api_5xx_rate_pct,
            thresholds::API_5XX_RATE_PCT,
            theme,
        ),
        Span::raw(format!(
            " · 4XX {} · {} · {} rpm",
            format::pct(metrics.api_4xx_rate_pct),
            format::millis(metrics.api_latency_ms),
            format::count(metrics.api_requests_per_min)
        )),
    ];
    let invocations: f64 = metrics
        .lambdas
        .iter()
        .filter_map(|lambda| lambda.invocations)
        .sum();
    let slowest = metrics
        .lambdas
        .iter()
        .filter_map(|lambda| lambda.duration_ms)
        .reduce(f64::max);
    let lambda = vec![
        against_threshold(
            format!("err {}", format::pct(metrics.lambda_error_rate_pct)),
            metrics.lambda_error_rate_pct,
            thresholds::LAMBDA_ERROR_RATE_PCT,
            theme,
        ),
        Span::raw(format!(
            " · {} inv/min · max {} · {} fns",
            format::count(Some(invocations)),
            format::millis(slowest),
            metrics.lambdas.len()
        )),
    ];
    let db = vec![
        against_threshold(
            format!("{} conn", format::count(metrics.db_connections)),
            metrics.db_connections,
            thresholds::DB_CONNECTIONS,
            theme,
        ),
        Span::raw(format!(" · CPU {}", format::pct(metrics.db_cpu_pct))),
    ];
    (api, lambda, db)
}

fn error_lines(app: &App, role: Role, width: usize, theme: Theme) -> Vec<Line<'static>> {
    app.snapshot
        .errors()
        .into_iter()
        .filter(|(source, _)| source.role() == Some(role))
        .map(|(source, error)| {
            let ago = format::age(drtui_core::clock::elapsed(error.at, app.now));
            Line::styled(
                truncate(
                    &format!(
                        "✖ {}: {} ({ago} ago)",
                        source.name(),
                        sanitize(&error.message())
                    ),
                    width,
                ),
                theme.style(Tone::Bad),
            )
        })
        .collect()
}

/// Cuts a line to the panel width so nothing wraps into the next row.
fn clip(line: Line<'static>, width: usize) -> Line<'static> {
    let mut left = width;
    let style = line.style;
    let spans = line
        .spans
        .into_iter()
        .filter_map(|span| {
            if left == 0 {
                return None;
            }
            let len = span.content.chars().count();
            if len <= left {
                left -= len;
                Some(span)
            } else {
                let cut = truncate(&span.content, left);
                left = 0;
                Some(Span::styled(cut, span.style))
            }
        })
        .collect::<Vec<_>>();
    Line::from(spans).style(style)
}

struct Chart {
    label: String,
    data: Vec<Option<u64>>,
    /// Alarm threshold in the data's unit: bars are drawn relative to it.
    threshold: u64,
    /// The scale's top in the figure's own unit (`1.00%`, `10s`), for the label.
    unit: fn(u64) -> String,
}

/// Only a reader publishes replication lag: the writer's lag chart is a one-line note.
fn charts_lag(metrics: &RegionMetrics) -> bool {
    !metrics.history.replication_lag_ms.is_empty()
}

fn hundredths_pct(value: u64) -> String {
    format!("{:.2}%", value as f64 / 100.0)
}

fn ms_lag(value: u64) -> String {
    format::lag(value as f64)
}

fn charts(app: &App, role: Role) -> Vec<Result<Chart, String>> {
    let region = app.snapshot.region(role);
    let Some(metrics) = region.metrics.usable(app.now, app.pair.stale_after()) else {
        return vec![Err("? charts need fresh metrics".to_owned())];
    };
    let history = &metrics.history;
    let scaled = |values: &mut dyn Iterator<Item = Option<f64>>, factor: f64| {
        values
            .map(|value| {
                value
                    .filter(|value| value.is_finite())
                    .map(|value| (value * factor).round().max(0.0) as u64)
            })
            .collect::<Vec<_>>()
    };
    let lag = if !charts_lag(metrics) {
        Err("Lag n/a: the writer has no replication lag".to_owned())
    } else {
        Ok(Chart {
            label: format!(
                "Lag {}",
                metrics
                    .replication_lag_ms
                    .map_or_else(|| "?".to_owned(), format::lag)
            ),
            data: scaled(&mut history.replication_lag_ms.iter().copied(), 1.0),
            threshold: app.pair.rpo_budget.as_millis() as u64,
            unit: ms_lag,
        })
    };
    let five_xx = Ok(Chart {
        label: format!("5XX {}", format::pct(metrics.api_5xx_rate_pct)),
        data: scaled(
            &mut history.api_5xx_rate_pct.iter().copied().map(Some),
            100.0,
        ),
        threshold: (thresholds::API_5XX_RATE_PCT * 100.0) as u64,
        unit: hundredths_pct,
    });
    let lambda = Ok(Chart {
        label: format!("λerr {}", format::pct(metrics.lambda_error_rate_pct)),
        data: scaled(
            &mut history.lambda_error_rate_pct.iter().copied().map(Some),
            100.0,
        ),
        threshold: (thresholds::LAMBDA_ERROR_RATE_PCT * 100.0) as u64,
        unit: hundredths_pct,
    });
    // The reader's lag is what a failover would lose: it comes first there.
    if !charts_lag(metrics) {
        vec![five_xx, lambda, lag]
    } else {
        vec![lag, five_xx, lambda]
    }
}

fn render_charts(app: &App, role: Role, frame: &mut Frame, area: Rect, theme: Theme) {
    if area.height == 0 {
        return;
    }
    let charts = charts(app, role);
    let count = charts.len().min(area.height as usize);
    // One row each, a second for as many charts as there is room (a note needs one): a taller
    // band is mostly empty, and the lists want the rows.
    let mut spare = area.height.saturating_sub(count as u16);
    let mut constraints: Vec<Constraint> = charts
        .iter()
        .take(count)
        .map(|chart| {
            let second = u16::from(chart.is_ok() && spare > 0);
            spare -= second;
            Constraint::Length(1 + second)
        })
        .collect();
    constraints.push(Constraint::Fill(1));
    let rows = Layout::vertical(constraints).split(area);
    for (chart, row) in charts.into_iter().zip(rows.iter()) {
        match chart {
            Err(note) => frame.render_widget(Line::styled(note, theme.style(Tone::Muted)), *row),
            Ok(chart) => {
                let [label_area, spark_area] =
                    Layout::horizontal([Constraint::Length(LABEL_WIDTH), Constraint::Fill(1)])
                        .areas(*row);
                let width = spark_area.width as usize;
                let start = chart.data.len().saturating_sub(width);
                let visible = &chart.data[start..];
                let peak = visible.iter().flatten().copied().max().unwrap_or(0);
                let top = peak.max(chart.threshold);
                // The scale is labelled: what a full bar means.
                let scale = format!("▕█ {}", (chart.unit)(top));
                let label = if row.height >= 2 {
                    vec![
                        Line::styled(chart.label.clone(), theme.style(Tone::Muted)),
                        Line::styled(scale, theme.style(Tone::Muted)),
                    ]
                } else {
                    vec![Line::styled(
                        format!("{} /{}", chart.label, (chart.unit)(top)),
                        theme.style(Tone::Muted),
                    )]
                };
                frame.render_widget(Paragraph::new(label), label_area);
                let tone = if peak > chart.threshold {
                    Tone::Bad
                } else {
                    Tone::Good
                };
                frame.render_widget(
                    Sparkline::default()
                        .data(visible.iter().copied())
                        .max(top)
                        .style(theme.style(tone)),
                    spark_area,
                );
            }
        }
    }
}

/// The region in full (Enter on a region panel): its cluster, then each Lambda function's
/// invocations, errors and duration over the latest period.
pub fn detail(app: &App, role: Role) -> super::lists::Detail {
    let region = app.snapshot.region(role);
    let max_age = app.pair.stale_after();
    let mut facts: Vec<(&'static str, String)> = Vec::new();
    match region.aurora.usable(app.now, max_age) {
        Some(cluster) => {
            facts.push(("cluster", sanitize(&cluster.cluster_id).into_owned()));
            facts.push(("status", sanitize(&cluster.status).into_owned()));
            if let Some(version) = &cluster.engine_version {
                facts.push(("engine", sanitize(version).into_owned()));
            }
            if let Some(endpoint) = &cluster.endpoint {
                facts.push(("endpoint", sanitize(endpoint).into_owned()));
            }
        }
        None => facts.push(("cluster", "unknown (no fresh answer)".to_owned())),
    }
    match region.metrics.usable(app.now, max_age) {
        Some(metrics) if metrics.lambdas.is_empty() => {
            facts.push(("Lambda", "no functions configured for this pair".to_owned()));
        }
        Some(metrics) => {
            for lambda in &metrics.lambdas {
                let figure = |value: Option<f64>, unit: &str| {
                    value.map_or_else(|| "?".to_owned(), |value| format!("{value:.0}{unit}"))
                };
                facts.push((
                    "λ function",
                    format!(
                        "{}: {} inv/min · {} errors · {} max{}",
                        sanitize(&lambda.function),
                        figure(lambda.invocations, ""),
                        figure(lambda.errors, ""),
                        figure(lambda.duration_ms, " ms"),
                        build_of(app, role, &lambda.function),
                    ),
                ));
            }
        }
        None => facts.push(("Lambda", "unknown (no fresh metrics)".to_owned())),
    }
    parity_facts(app, role, &mut facts);
    super::lists::Detail {
        title: format!("{} · {}", region.region, role.as_str()),
        facts,
    }
}

/// ` · build Wq3fT0dXgQ3x 256 MB`: the function's code as the parity read saw it.
fn build_of(app: &App, role: Role, function: &str) -> String {
    let parity = app.snapshot.region(role).parity.value.as_ref();
    let Some(config) =
        parity.and_then(|parity| parity.functions.iter().find(|f| f.name == function))
    else {
        return String::new();
    };
    format!(
        " · build {} {} MB",
        sanitize(drtui_core::parity::short_hash(&config.code_sha256)),
        config.memory_mb.unwrap_or_default()
    )
}

/// What the region's parity read found: its instances, limits, stage and parameters (the
/// functions' builds are on their lines), with the read's age (read every `parity_interval`).
fn parity_facts(app: &App, role: Role, facts: &mut Vec<(&'static str, String)>) {
    let observed = &app.snapshot.region(role).parity;
    let Some(parity) = observed.value.as_ref() else {
        facts.push(("parity", "not read yet".to_owned()));
        return;
    };
    let age = observed
        .age(app.now)
        .map_or_else(|| "?".to_owned(), crate::format::age);
    facts.push(("parity", format!("read {age} ago (`c` reads it now)")));
    match &parity.instances {
        Some(instances) if instances.is_empty() => {
            facts.push(("instances", "none: the cluster is headless".to_owned()));
        }
        Some(instances) => {
            let mut classes: std::collections::BTreeMap<&str, usize> = Default::default();
            for instance in instances {
                *classes.entry(instance.class.as_str()).or_default() += 1;
            }
            let said: Vec<String> = classes
                .iter()
                .map(|(class, count)| format!("{} × {count}", sanitize(class)))
                .collect();
            facts.push(("instances", said.join(", ")));
        }
        None => {}
    }
    let mut limits = Vec::new();
    if let Some(limit) = parity.concurrency_limit {
        limits.push(format!("λ {limit} concurrent"));
    }
    for stage in &parity.stages {
        limits.push(format!(
            "stage {} {}",
            sanitize(&stage.stage),
            stage.limits()
        ));
    }
    if let Some(parameters) = &parity.parameters {
        limits.push(format!("{} parameters", parameters.len()));
    }
    if !limits.is_empty() {
        facts.push(("limits", limits.join(" · ")));
    }
    for unread in &parity.unread {
        facts.push((
            "unread",
            format!("{}: {}", sanitize(&unread.name), sanitize(&unread.why)),
        ));
    }
}
