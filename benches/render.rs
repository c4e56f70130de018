//! Per-frame render cost and the pure functions on the hot path (criterion).
//! Run: cargo bench --bench render

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use drtui::backend::StatusBackend;
use drtui::backend::sim::{Fault, SimBackend, SimOptions};
use drtui::clock::{Clock, ManualClock};
use drtui::config::RegionPair;
use drtui::model::SourceUpdate;
use drtui::tui::app::{self, App, Msg};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn polled(scenario: &[Fault]) -> (App, Vec<SourceUpdate>) {
    let pair = RegionPair::demo();
    let start = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("valid");
    let clock = Arc::new(ManualClock::new(start));
    let options = SimOptions {
        scenario: scenario.to_vec(),
        latency: false,
        ..SimOptions::default()
    };
    let backend = SimBackend::new(&pair, clock.clone() as Arc<dyn Clock>, &options);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let updates = runtime.block_on(drtui::poll::poll_once(
        &backend,
        clock.as_ref(),
        Duration::from_millis(100),
    ));
    let mut app = App::new(
        pair.clone(),
        backend.describe(),
        pair.empty_snapshot(),
        clock.now(),
    );
    for update in updates.clone() {
        app::update(&mut app, Msg::Update(Box::new(update)));
    }
    (app, updates)
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
    ] {
        let (app, _) = polled(&scenario);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        c.bench_function(name, |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| drtui::tui::render::render(&app, frame))
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
            drtui::readiness::assess(&snapshot, app.now, &app.pair.policy())
        })
    });
}

criterion_group!(benches, render, model);
criterion_main!(benches);
