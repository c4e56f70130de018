//! Dashboard rendering at fixed sizes (ratatui TestBackend + insta snapshots), from a
//! deterministic simulator, and its behaviour at odd terminal sizes.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use drtui_backend::sim::Fault;
use drtui_core::model::Role;
use drtui_testkit::DemoEstate;
use drtui_tui::app::{App, Overlay};
use drtui_tui::render;

#[path = "support/screens.rs"]
mod screens;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use screens::{app_with, draw, press, screen_text};

/// The states an incident passes through, each at the three sizes people run it at.
async fn state(name: &str) -> App {
    match name {
        "healthy" => app_with(&[]).await,
        "primary_outage" => app_with(&[Fault::PrimaryOutage]).await,
        "lag_spike" => app_with(&[Fault::LagSpike]).await,
        "after_failover" => {
            let estate = DemoEstate::new(42, &[]);
            estate.fail_over_by_hand().await;
            estate.app().await
        }
        "unfinished_run" => {
            let mut app = app_with(&[Fault::PrimaryOutage]).await;
            drtui_tui::app::update(
                &mut app,
                drtui_tui::app::Msg::Unfinished(Some(drtui_core::phase::UnfinishedRun {
                    run_id: "failover-20270115T080000Z-4242".into(),
                    runbook: "failover".into(),
                    state: "failed",
                    step: Some("shift-traffic".into()),
                    at: None,
                    active: false,
                    moves: true,
                })),
            );
            app
        }
        // Another operator provisions: the estate is steady (nothing moves), but nothing else
        // should start until that run ends.
        "provision_elsewhere" => {
            let mut app = app_with(&[]).await;
            drtui_tui::app::update(
                &mut app,
                drtui_tui::app::Msg::Unfinished(Some(drtui_core::phase::UnfinishedRun {
                    run_id: "provision-20270115T080000Z-4242".into(),
                    runbook: "provision".into(),
                    state: "in_flight",
                    step: Some("primary-api".into()),
                    at: None,
                    active: true,
                    moves: false,
                })),
            );
            app
        }
        // A provision run that failed on a stack: the failure's resource and rollback wrap
        // under the step.
        "provision_failed" => {
            let mut app = app_with(&[Fault::StackUpdateFails]).await;
            feed_failed_provision(&mut app);
            app
        }
        "production" => {
            let mut app = app_with(&[]).await;
            app.pair.environment = Some("production".into());
            app
        }
        other => panic!("no state {other}"),
    }
}

/// The journal of a provision run that failed at its API stack, fed to the run view.
fn feed_failed_provision(app: &mut drtui_tui::app::App) {
    use drtui_core::runbook::journal::{Event, Record, RunOutcomeKind, StepOutcome};
    use drtui_tui::app::{Msg, update};
    let steps = [
        "approve-provision",
        "primary-network",
        "primary-api",
        "primary-monitoring",
    ];
    update(
        app,
        Msg::RunStarted(
            "provision".into(),
            steps
                .iter()
                .map(|id| drtui_engine::session::StepSummary {
                    id: (*id).into(),
                    title: (*id).into(),
                    kind: if *id == "approve-provision" {
                        "gate"
                    } else {
                        "action"
                    }
                    .into(),
                })
                .collect(),
        ),
    );
    let at = app.now;
    let mut record = |event: Event| {
        update(
            app,
            Msg::RunRecord(Box::new(Record {
                at,
                run_id: "provision-20270115T080000Z-4242".into(),
                event,
            })),
        );
    };
    let finished = |step: &str, outcome: StepOutcome, detail: &str| Event::StepFinished {
        step: step.into(),
        outcome,
        detail: detail.into(),
    };
    let started = |step: &str, kind: &str| Event::StepStarted {
        step: step.into(),
        kind: kind.into(),
        inputs: serde_json::Value::Null,
    };
    record(started("approve-provision", "gate"));
    record(finished(
        "approve-provision",
        StepOutcome::Ok,
        "approved; data at risk 175 ms",
    ));
    record(started("primary-network", "action"));
    record(finished(
        "primary-network",
        StepOutcome::Ok,
        "nothing to do: the stack already matches its template and parameters (empty change set)",
    ));
    record(started("primary-api", "action"));
    let failure = "cloudformation:ExecuteChangeSet: stack PaymentDR-Api-primary-demo ended UPDATE_ROLLBACK_COMPLETE; failed: HealthMethod AWS::ApiGateway::Method UPDATE_FAILED: Resource handler returned message: \"Simulated failure (fault stack-update-fails)\"; rolled back: 3 events, last PaymentDR-Api-primary-demo AWS::CloudFormation::Stack UPDATE_ROLLBACK_COMPLETE";
    record(finished("primary-api", StepOutcome::Failed, failure));
    record(Event::RunFinished {
        outcome: RunOutcomeKind::Failed,
        detail: format!("primary-api: {failure}"),
    });
}

#[tokio::test]
async fn every_state_at_every_size() {
    for name in [
        "healthy",
        "primary_outage",
        "lag_spike",
        "after_failover",
        "unfinished_run",
        "provision_elsewhere",
        "provision_failed",
        "production",
    ] {
        let app = state(name).await;
        for (width, height) in [(80, 24), (120, 40), (200, 60)] {
            insta::assert_snapshot!(
                format!("{name}_{width}x{height}"),
                draw(&app, width, height).backend()
            );
        }
    }
}

/// Each detail view (Enter on a focused list, or on a region), at 120x40.
#[tokio::test]
async fn every_detail_view() {
    use ratatui::crossterm::event::KeyCode;
    for (name, tabs, downs) in [
        ("detail_region", 0, 0),
        ("detail_check", 2, 1),
        ("detail_alarm", 3, 0),
        ("detail_execution", 4, 0),
        ("detail_stack", 5, 2),
    ] {
        let mut app = app_with(&[Fault::PrimaryOutage]).await;
        for _ in 0..tabs {
            press(&mut app, KeyCode::Tab);
        }
        for _ in 0..downs {
            press(&mut app, KeyCode::Down);
        }
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.overlay, Overlay::Detail);
        insta::assert_snapshot!(name, draw(&app, 120, 40).backend());
    }
}

#[tokio::test]
async fn help_overlay_lists_every_dashboard_key() {
    let mut app = app_with(&[]).await;
    app.overlay = Overlay::Help;
    let text = screen_text(&draw(&app, 100, 40));
    for key in ["q ", "? ", "Tab", "S-Tab", "f ", "r ", "Esc"] {
        assert!(text.contains(key), "help lacks {key:?}:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn read_only_hides_the_runbook_key_from_help() {
    let mut app = app_with(&[]).await;
    app.read_only = true;
    app.overlay = Overlay::Help;
    let text = screen_text(&draw(&app, 100, 40));
    assert!(text.contains("[READ-ONLY]"));
    assert!(!text.contains("runbooks (not in this build"), "{text}");
}

#[tokio::test]
async fn fault_menu_marks_active_faults() {
    let mut app = app_with(&[Fault::LagSpike]).await;
    app.overlay = Overlay::Faults { selected: 1 };
    let text = screen_text(&draw(&app, 120, 30));
    assert!(text.contains("› [x] lag-spike"), "{text}");
    assert!(text.contains("[ ] primary-outage"), "{text}");
}

#[tokio::test]
async fn hung_region_shows_its_error_and_the_other_region_stays_live() {
    let app = app_with(&[Fault::HungRegion(Role::Secondary)]).await;
    let text = screen_text(&draw(&app, 120, 30));
    assert!(text.contains("timed out after 100ms"), "{text}");
    assert!(text.contains("✖ NO DATA"), "{text}");
    assert!(
        text.contains("✔ healthy 8/8"),
        "the primary still shows its health:\n{text}"
    );
}

#[tokio::test]
async fn state_is_never_shown_by_colour_alone() {
    let mut app = app_with(&[Fault::PrimaryOutage]).await;
    app.color = false;
    let terminal = draw(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content
            .iter()
            .all(|cell| cell.fg == ratatui::style::Color::Reset)
    );
    let text = screen_text(&terminal);
    assert!(text.contains("✖ UNHEALTHY"), "{text}");
    assert!(text.contains("ALARM"), "{text}");
}

#[tokio::test]
async fn odd_sizes_never_panic_and_say_when_too_small() {
    let app = app_with(&[]).await;
    for (width, height) in [
        (0, 0),
        (0, 30),
        (1, 1),
        (10, 3),
        (79, 24),
        (80, 23),
        (300, 24),
        (80, 100),
    ] {
        let terminal = draw(&app, width, height);
        if width == 0 {
            continue; // drawn without panicking is all a zero-width terminal can show
        }
        let text = screen_text(&terminal);
        if width < render::MIN_WIDTH || height < render::MIN_HEIGHT {
            if width >= 40 {
                assert!(
                    text.contains("Terminal too small"),
                    "{width}x{height}:\n{text}"
                );
            }
        } else {
            assert!(text.contains("us-east-2"), "{width}x{height}:\n{text}");
        }
    }
}

/// CloudWatch answered with nothing newer than 14 minutes: the panel says so at every size,
/// and shows none of the old figures as current.
#[tokio::test]
async fn a_silent_cloudwatch_is_shown_stale_not_current() {
    let mut app = app_with(&[]).await;
    let now = app.now;
    if let Some(metrics) = app.snapshot.regions[1].metrics.value.as_mut() {
        metrics.newest_datapoint_at = Some(now - chrono::Duration::minutes(14));
    }
    for (width, height) in [(80, 24), (200, 60)] {
        let text = screen_text(&draw(&app, width, height));
        assert!(
            text.contains("STALE: newest datapoint 14m"),
            "{width}x{height}:\n{text}"
        );
    }
}

#[tokio::test]
async fn hostile_strings_cannot_reach_the_terminal() {
    let mut app = app_with(&[]).await;
    if let Some(alarms) = app.snapshot.regions[0].alarms.value.as_mut() {
        alarms[0].name = "evil\x1b]0;pwned\x07\x1b[2J".to_owned();
        alarms[0].state = drtui_core::model::AlarmState::Alarm;
    }
    app.shown_list = drtui_tui::app::Panel::Alarms;
    let text = screen_text(&draw(&app, 80, 24));
    assert!(!text.contains('\x1b') && !text.contains('\x07'));
    assert!(text.contains("evil\u{fffd}]0;pwned"), "{text}");
}

#[tokio::test]
async fn debug_overlay_shows_calls_per_poll_and_every_source() {
    use drtui_core::clock::Clock;
    use drtui_core::ports::StatusBackend;
    use drtui_tui::app::{Msg, update};
    let estate = DemoEstate::new(42, &[Fault::HungRegion(Role::Secondary)]);
    let mut app = estate.app().await;
    update(
        &mut app,
        Msg::Calls(estate.clock.now(), estate.backend.call_counts()),
    );
    estate.clock.advance(std::time::Duration::from_secs(2));
    for update_ in estate.poll().await {
        update(&mut app, Msg::Update(Box::new(update_)));
    }
    update(
        &mut app,
        Msg::Calls(estate.clock.now(), estate.backend.call_counts()),
    );
    update(&mut app, Msg::Tick(estate.clock.now()));
    app.overlay = Overlay::Debug;
    let text = screen_text(&draw(&app, 120, 40));
    assert!(
        text.contains("cloudwatch      GetMetricData                 2 / 4"),
        "{text}"
    );
    assert!(text.contains("us-east-2 aurora"), "{text}");
    assert!(text.contains("✖ timed out after 100ms"), "{text}");
}

#[tokio::test]
async fn runbook_view_and_gate_prompt() {
    use drtui_core::runbook::gate::GateQuestion;
    use drtui_engine::session::StepSummary;
    use drtui_tui::app::{GatePrompt, Msg, update};
    let estate = DemoEstate::new(42, &[Fault::PrimaryOutage]);
    let mut app = estate.app().await;
    let steps = [
        "secondary-available",
        "announce",
        "approve-promote",
        "promote-secondary",
    ]
    .iter()
    .zip(["check", "manual", "gate", "action"])
    .map(|(id, kind)| StepSummary {
        id: id.to_string(),
        title: format!("title of {id}"),
        kind: kind.to_owned(),
    })
    .collect();
    update(&mut app, Msg::RunStarted("failover".to_owned(), steps));
    let at = app.now;
    let record = |event| {
        Msg::RunRecord(Box::new(drtui_core::runbook::journal::Record {
            at,
            run_id: "failover-test-1".into(),
            event,
        }))
    };
    use drtui_core::runbook::journal::{Event, StepOutcome};
    for event in [
        Event::StepStarted {
            step: "secondary-available".into(),
            kind: "check".into(),
            inputs: Default::default(),
        },
        Event::StepFinished {
            step: "secondary-available".into(),
            outcome: StepOutcome::Ok,
            detail: "payment-secondary-demo is available".into(),
        },
        Event::StepStarted {
            step: "announce".into(),
            kind: "manual".into(),
            inputs: Default::default(),
        },
        Event::StepFinished {
            step: "announce".into(),
            outcome: StepOutcome::Ok,
            detail: "approved; data at risk 5 min 0 s".into(),
        },
        Event::StepStarted {
            step: "approve-promote".into(),
            kind: "gate".into(),
            inputs: Default::default(),
        },
    ] {
        update(&mut app, record(event));
    }
    let data_at_risk_ms = app.readiness.data_at_risk_ms;
    update(
        &mut app,
        Msg::GateAsked(GatePrompt {
            question: GateQuestion {
            step: "approve-promote".into(),
            title: "Approve promoting the secondary, accepting the data at risk".into(),
            prompt: "Promote the secondary cluster. Writes not yet replicated (the replication lag shown) are lost.".into(),
            data_at_risk_ms,
            loses_data_next: true,
            next: vec![
                "Fail the Aurora global database over to the secondary, allowing data loss".into(),
                "  rds:FailoverGlobalCluster (in us-east-2) GlobalClusterIdentifier=payment-global-demo AllowDataLoss=true".into(),
            ],
            next_are_changes: false,
            over_cap: None,
            },
            input: "de".into(),
            confirm_abort: false,
            scroll: 0,
        }),
    );
    let text = screen_text(&draw(&app, 100, 30));
    assert!(
        text.contains("DATA LOSS") && text.contains("Type `demo accept` and Enter to approve: de"),
        "{text}"
    );
    assert!(
        text.contains("Runbook failover · failover-test-1 · waiting at a gate"),
        "{text}"
    );
    assert!(
        text.contains("rds:FailoverGlobalCluster (in us-east-2)"),
        "the gate shows the call it approves: {text}"
    );
    insta::assert_snapshot!(text);
}

/// `UPDATE_ROLLBACK_COMPLETE` is stable but means the last change failed: the region panel,
/// the text status and the Stacks list all show it as not OK (one rule: `is_settled`).
#[tokio::test]
async fn a_rolled_back_stack_is_a_warning_everywhere() {
    use drtui_core::model::{Source, SourceData, SourceUpdate, StackStatus};
    use drtui_core::{readiness, report};
    let estate = DemoEstate::new(42, &[]);
    let mut app = estate.app().await;
    let rolled_back = SourceUpdate {
        source: Source::Stacks(Role::Primary),
        at: app.now,
        result: Ok(SourceData::Stacks(vec![StackStatus {
            name: "TapStackdemo-primary".into(),
            status: "UPDATE_ROLLBACK_COMPLETE".into(),
            reason: Some("Resource handler returned message: \"Invalid request\"".into()),
        }])),
    };
    drtui_tui::app::update(
        &mut app,
        drtui_tui::app::Msg::Update(Box::new(rolled_back.clone())),
    );
    let text = screen_text(&draw(&app, 200, 60));
    assert!(text.contains("▲ stacks 0/1"), "{text}");
    assert!(
        text.contains("▲ us-east-1 TapStackdemo-primary UPDA"),
        "{text}"
    );

    let mut snapshot = app.snapshot.clone();
    snapshot.apply(rolled_back);
    let readiness = readiness::assess(&snapshot, app.now, &estate.pair.policy());
    let status = drtui::present::status_text::render_text(&report::build(
        &estate.pair,
        &snapshot,
        &readiness,
        app.now,
        Default::default(),
    ));
    let stacks_row = status
        .lines()
        .find(|line| line.starts_with("Stacks"))
        .expect("a Stacks row");
    assert!(stacks_row.contains("0/1 complete"), "{status}");
}

/// The failover's data-loss gate at the smallest size: title, the data at risk now and the
/// typed-name prompt always show; the calls it lets run scroll.
#[tokio::test]
async fn failover_gate_at_80x24_shows_the_data_at_risk_and_the_prompt() {
    use drtui_core::runbook::gate::GateQuestion;
    use drtui_tui::app::{GatePrompt, Msg, update};
    let estate = DemoEstate::new(42, &[Fault::PrimaryOutage]);
    let mut app = estate.app().await;
    let (_, runbook) = drtui_engine::catalog::find("failover").expect("built-in");
    let next: Vec<String> = runbook
        .steps
        .iter()
        .skip_while(|step| step.id != "promote-secondary")
        .filter(|step| step.mutates())
        .flat_map(|step| {
            let planned = drtui_core::runbook::plan::planned(&estate.pair, step);
            std::iter::once(step.title.clone())
                .chain(planned.calls.into_iter().map(|call| format!("  {call}")))
        })
        .collect();
    assert!(next.len() > 10, "{next:?}");
    let data_at_risk_ms = app.readiness.data_at_risk_ms;
    let risk = drtui_core::readiness::format_ms(data_at_risk_ms.expect("lag known"));
    let mut prompt = GatePrompt::new(GateQuestion {
        step: "approve-promote".into(),
        title: "Approve promoting the secondary, accepting the data at risk".into(),
        prompt: "Promote the secondary cluster. Writes not yet replicated (the replication lag shown) are lost.".into(),
        data_at_risk_ms,
        loses_data_next: true,
        next,
        next_are_changes: false,
        over_cap: None,
    });
    prompt.input = "dem".into();
    update(&mut app, Msg::GateAsked(prompt.clone()));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("Approve promoting the secondary"), "{text}");
    assert!(text.contains("DATA LOSS") && text.contains(&risk), "{text}");
    // 5 min at risk is beyond the demo's 10 s cap: the pair name alone does not approve.
    assert!(
        text.contains("exceeds the cap")
            && text.contains("Type `demo accept` and Enter to approve: dem"),
        "{text}"
    );
    for store in [
        "lost    aurora payment-global-demo",
        "delayed dynamodb payment-transactions-demo",
        "delayed s3 payment-documents-primary-demo",
    ] {
        assert!(text.contains(store), "each store on its own line: {text}");
    }
    insta::assert_snapshot!(text);
    let wide = screen_text(&draw(&app, 200, 60));
    assert!(
        wide.contains("PutMetricData"),
        "the whole list fits: {wide}"
    );
    insta::assert_snapshot!("failover_gate_at_200x60", wide);
    insta::assert_snapshot!("failover_gate_at_120x40", screen_text(&draw(&app, 120, 40)));
    // A longer list scrolls; the title, the data at risk and the prompt never move.
    prompt.question.next = [
        prompt.question.next.clone(),
        prompt.question.next.clone(),
        prompt.question.next.clone(),
    ]
    .concat();
    update(&mut app, Msg::GateAsked(prompt));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("↑/↓ scroll"), "{text}");
    for _ in 0..60 {
        update(
            &mut app,
            Msg::Key(ratatui::crossterm::event::KeyEvent::from(
                ratatui::crossterm::event::KeyCode::Down,
            )),
        );
    }
    let scrolled = screen_text(&draw(&app, 80, 24));
    assert_ne!(scrolled, text);
    for expected in [
        "of 36, ↑/↓ scroll",
        "DATA LOSS",
        "Type `demo accept` and Enter to approve: dem",
    ] {
        assert!(scrolled.contains(expected), "{expected}: {scrolled}");
    }
}

/// After a failover the strip names the phase and the next step: failback, with the old
/// primary's lag.
#[tokio::test]
async fn after_a_failover_the_strip_says_failed_over_and_offers_failback() {
    let app = state("after_failover").await;
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("FAILED OVER"), "{text}");
    assert!(text.contains("failback ready"), "{text}");
    assert!(text.contains("next: failback"), "{text}");
    let wide = screen_text(&draw(&app, 200, 60));
    assert!(wide.contains("lags"), "{wide}");
    // CloudFormation calls the database stacks drifted now: expected, and said so, in the
    // Stacks list and in status (text and JSON), and for no other stack.
    assert!(
        wide.contains("Database-primary-demo UPDATE_COMPLETE · drifted by a failover (expected)"),
        "{wide}"
    );
    assert!(
        !wide.contains("Vpc-primary-demo UPDATE_COMPLETE · drifted"),
        "{wide}"
    );
    let report = drtui_core::report::build(
        &app.pair,
        &app.snapshot,
        &app.readiness,
        app.now,
        Default::default(),
    );
    let text = drtui::present::status_text::render_text(&report);
    assert!(
        text.contains("9/9 complete, database drifted by failover (expected)"),
        "{text}"
    );
    let json = serde_json::to_value(&report).expect("json");
    assert!(
        json["regions"][0]["database_stacks_drift"]
            .as_str()
            .is_some_and(|why| why.contains("the writer is in us-east-2")),
        "{json}"
    );
}

/// The fleet view: one line per pair with its phase, verdict, writer, DNS, data at risk,
/// firing alarms and age, at the smallest and a large size.
#[tokio::test]
async fn fleet_view_lists_every_pair_on_one_line() {
    let healthy = app_with(&[]).await;
    let outage = app_with(&[Fault::PrimaryOutage]).await;
    for (width, height) in [(80, 24), (200, 60)] {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal
            .draw(|frame| render::fleet::render(&[&healthy, &outage], 1, frame))
            .expect("draw");
        let text = screen_text(&terminal);
        assert!(text.contains("fleet · 2 pairs"), "{text}");
        let rows: Vec<&str> = text
            .lines()
            .filter(|line| line.contains(" demo "))
            .collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(
            rows[0].contains("ready") && rows[0].contains("100/0"),
            "{text}"
        );
        assert!(rows[1].contains('›') && rows[1].contains("5m"), "{text}");
        if width == 80 {
            insta::assert_snapshot!(text);
        }
    }
}
