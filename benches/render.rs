//! Per-frame render cost and the pure functions on the hot path (criterion).
//! Run: cargo bench --bench render

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use drtui_backend::sim::Fault;
use drtui_core::model::SourceUpdate;
use drtui_testkit::DemoEstate;
use drtui_tui::app::App;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn polled(scenario: &[Fault]) -> (App, Vec<SourceUpdate>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let estate = DemoEstate::new(42, scenario);
    let updates = runtime.block_on(estate.poll());
    (runtime.block_on(estate.app()), updates)
}

fn render(c: &mut Criterion) {
    for (name, scenario, width, height) in [
        ("render_200x60_healthy", vec![], 200, 60),
        (
            "render_200x60_primary_outage",
            vec![Fault::PrimaryOutage],
            200,
            60,
        ),
        ("render_80x24_healthy", vec![], 80, 24),
        (
            "render_80x24_primary_outage",
            vec![Fault::PrimaryOutage],
            80,
            24,
        ),
    ] {
        let (app, _) = polled(&scenario);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        c.bench_function(name, |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| drtui_tui::render::render(&app, frame))
                    .expect("draw");
            })
        });
    }
}

fn model(c: &mut Criterion) {
    let (app, updates) = polled(&[]);
    c.bench_function("apply_one_poll_and_assess", |b| {
        b.iter(|| {
            let mut snapshot = app.pair.empty_snapshot();
            for update in updates.clone() {
                snapshot.apply(update);
            }
            drtui_core::readiness::assess(&snapshot, app.now, &app.pair.policy())
        })
    });
}

criterion_group!(benches, render, model);
criterion_main!(benches);
