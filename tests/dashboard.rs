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
use ratatui::Terminal;
use ratatui::backend::TestBackend;

async fn app_with(scenario: &[Fault]) -> App {
    DemoEstate::new(42, scenario).app().await
}

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| render::render(app, frame))
        .expect("draw");
    terminal
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().to_string()
}

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
            },
            input: "de".into(),
            confirm_abort: false,
            scroll: 0,
        }),
    );
    let text = screen_text(&draw(&app, 100, 30));
    assert!(
        text.contains("DATA LOSS") && text.contains("Type `demo` and Enter to approve: de"),
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
    let (_, runbook) = drtui_core::runbook::catalog::find("failover").expect("built-in");
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
    });
    prompt.input = "dem".into();
    update(&mut app, Msg::GateAsked(prompt.clone()));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("Approve promoting the secondary"), "{text}");
    assert!(text.contains("DATA LOSS") && text.contains(&risk), "{text}");
    assert!(
        text.contains("Type `demo` and Enter to approve: dem"),
        "{text}"
    );
    assert!(
        text.contains("PutMetricData"),
        "the whole list fits: {text}"
    );
    insta::assert_snapshot!(text);
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
        "Type `demo` and Enter to approve: dem",
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

/// Under a throttled control plane half the control-plane calls fail: the last values stay in
/// use, and the verdict shown does not flap with each lost poll.
#[tokio::test]
async fn a_throttled_control_plane_does_not_flap_the_verdict() {
    use drtui_tui::app::{Msg, update};
    let estate = DemoEstate::new(42, &[Fault::ThrottledControlPlane]);
    let mut app = estate.app().await;
    let mut shown = Vec::new();
    for _ in 0..60 {
        for _ in 0..estate.pair.poll_interval.as_secs() {
            estate.clock.advance(std::time::Duration::from_secs(1));
            update(
                &mut app,
                Msg::Tick(drtui_core::clock::Clock::now(estate.clock.as_ref())),
            );
        }
        for poll in estate.poll().await {
            update(&mut app, Msg::Update(Box::new(poll)));
        }
        let readiness = &app.readiness;
        shown.push((
            readiness.phase,
            readiness.verdict,
            readiness.recommendation.next,
        ));
    }
    let changes = shown.windows(2).filter(|pair| pair[0] != pair[1]).count();
    // Measured: 18 changes in these 60 polls before hysteresis and throttle retries, 3 after
    // (startup settling, and one source really unreadable for several polls).
    assert!(
        changes <= 4,
        "{changes} changes in {} polls: {shown:?}",
        shown.len()
    );
}

/// Outage onset: the primary answers 5XX at once, its health checks need three failed probes
/// (about 30 s). The dashboard stops recommending a switchover on the 5XX evidence within a
/// few seconds, long before Route 53 notices.
#[tokio::test]
async fn outage_onset_turns_to_failover_on_5xx_before_the_health_checks_fail() {
    use drtui_core::fault::FaultControl;
    use drtui_core::readiness::Next;
    use drtui_tui::app::{Msg, update};
    let estate = DemoEstate::new(42, &[]);
    let mut app = estate.app().await;
    assert_eq!(app.readiness.recommendation.next, Next::Switchover);
    estate.backend.set_fault(Fault::PrimaryOutage, true);
    let mut seconds = 0;
    while app.readiness.recommendation.next != Next::Failover {
        estate.clock.advance(std::time::Duration::from_secs(1));
        seconds += 1;
        update(
            &mut app,
            Msg::Tick(drtui_core::clock::Clock::now(estate.clock.as_ref())),
        );
        if seconds % estate.pair.poll_interval.as_secs() == 0 {
            for poll in estate.poll().await {
                update(&mut app, Msg::Update(Box::new(poll)));
            }
        }
        // The first poll sees the 5XX, the next confirms it.
        assert!(
            seconds <= 3 * estate.pair.poll_interval.as_secs(),
            "still {:?} after {seconds} s",
            app.readiness.recommendation
        );
    }
    let primary_health = app
        .snapshot
        .health_checks_for("us-east-1")
        .map(|check| check.healthy)
        .collect::<Vec<_>>();
    assert_eq!(
        primary_health,
        vec![Some(true)],
        "Route 53 has not noticed yet"
    );
}

/// A gate cannot be approved blind: on a screen too small to show it, Enter does nothing.
#[tokio::test]
async fn a_gate_is_never_approved_unseen() {
    use drtui_core::runbook::gate::GateQuestion;
    use drtui_tui::app::{Cmd, GatePrompt, Msg, update};
    use ratatui::crossterm::event::{KeyCode, KeyEvent};
    let estate = DemoEstate::new(42, &[]);
    let mut app = estate.app().await;
    let mut prompt = GatePrompt::new(GateQuestion {
        step: "approve-promote".into(),
        title: "Approve promoting the secondary".into(),
        prompt: "Promote.".into(),
        data_at_risk_ms: Some(150.0),
        loses_data_next: true,
        next: Vec::new(),
        next_are_changes: false,
    });
    prompt.input = "demo".into();
    update(&mut app, Msg::GateAsked(prompt));
    update(&mut app, Msg::Resize(70, 20));
    let small = screen_text(&draw(&app, 70, 20));
    assert!(small.contains("A GATE WAITS"), "{small}");
    let enter = || Msg::Key(KeyEvent::from(KeyCode::Enter));
    assert!(update(&mut app, enter()).is_empty(), "approved unseen");
    assert!(app.gate.is_some());
    update(&mut app, Msg::Resize(80, 24));
    assert_eq!(update(&mut app, enter()), vec![Cmd::AnswerGate(true)]);
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

/// Which estate am I on: a pair's `environment` shows in the header on every screen and in
/// gate prompts, as text too (so `NO_COLOR` keeps it).
#[tokio::test]
async fn the_environment_label_is_on_every_screen_and_every_gate() {
    use drtui_core::runbook::gate::GateQuestion;
    use drtui_tui::app::{GatePrompt, Msg, update};
    let mut app = app_with(&[]).await;
    app.pair.environment = Some("production".into());
    app.color = false;
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.lines()
            .next()
            .expect("header")
            .contains("■ PRODUCTION"),
        "{text}"
    );
    update(
        &mut app,
        Msg::GateAsked(GatePrompt::new(GateQuestion {
            step: "approve-promote".into(),
            title: "Approve".into(),
            prompt: "Promote.".into(),
            data_at_risk_ms: Some(100.0),
            loses_data_next: true,
            next: Vec::new(),
            next_are_changes: false,
        })),
    );
    let gate = screen_text(&draw(&app, 80, 24));
    assert!(
        gate.contains("Gate: approve-promote · PRODUCTION"),
        "{gate}"
    );
}

fn press(app: &mut App, code: ratatui::crossterm::event::KeyCode) {
    drtui_tui::app::update(
        app,
        drtui_tui::app::Msg::Key(ratatui::crossterm::event::KeyEvent::new(
            code,
            ratatui::crossterm::event::KeyModifiers::NONE,
        )),
    );
}

/// Tab to the alarms, ↓ to the second row, Enter: the alarm in full (state, region, reason,
/// since, rule) with its whole name; Esc closes it.
#[tokio::test]
async fn enter_on_an_alarm_opens_its_detail_and_esc_closes_it() {
    use ratatui::crossterm::event::KeyCode;
    let mut app = app_with(&[Fault::PrimaryOutage]).await;
    for _ in 0..3 {
        press(&mut app, KeyCode::Tab);
    }
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.overlay, Overlay::Detail);
    let terminal = draw(&app, 120, 40);
    let text = screen_text(&terminal);
    // The most urgent alarm is first: the primary's API 5XX rate in ALARM.
    for expected in [
        "alarm PaymentDR-demo-us-east-1-",
        "state",
        "ALARM",
        "reason",
        "since",
        "rule",
        "for 2 of 2 periods of 60 s",
        "Esc closes",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, Overlay::None);
}

/// ↓ past the end stays on the last row; the selected row is drawn highlighted and kept in
/// view when the list is longer than its panel.
#[tokio::test]
async fn selection_moves_within_the_list_and_stays_in_view() {
    use ratatui::crossterm::event::KeyCode;
    let mut app = app_with(&[]).await;
    for _ in 0..5 {
        press(&mut app, KeyCode::Tab);
    }
    assert_eq!(app.focus, drtui_tui::app::Panel::Stacks);
    for _ in 0..40 {
        press(&mut app, KeyCode::Down);
    }
    let rows = app.list_len(drtui_tui::app::Panel::Stacks);
    assert_eq!(
        app.selected_row(drtui_tui::app::Panel::Stacks),
        Some(rows - 1)
    );
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.contains("Parameters-secondary"),
        "the last stack is in view:\n{text}"
    );
    press(&mut app, KeyCode::Enter);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.contains("stack PaymentDR-Parameters-secondary-demo"),
        "{text}"
    );
    assert!(text.contains("UPDATE_COMPLETE"), "{text}");
}

/// Enter on a region panel: its cluster and each Lambda function's figures.
#[tokio::test]
async fn enter_on_a_region_lists_its_lambda_functions() {
    use ratatui::crossterm::event::KeyCode;
    let mut app = app_with(&[]).await;
    press(&mut app, KeyCode::Enter);
    let text = screen_text(&draw(&app, 120, 40));
    for expected in [
        "us-east-1 · primary",
        "payment-primary-demo",
        "payment-validation",
        "transaction-processing",
        "notification",
        "inv/min",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
}

/// A pair's configured colour paints its label (reversed and bold, so it is loud in any
/// palette); without one the label is red.
#[tokio::test]
async fn the_environment_label_takes_the_pairs_colour() {
    use ratatui::style::{Color, Modifier};
    let mut app = app_with(&[]).await;
    app.pair.environment = Some("staging".into());
    let label_cell = |app: &App| {
        let terminal = draw(app, 120, 40);
        let buffer = terminal.backend().buffer().clone();
        let x = (0..120)
            .find(|x| buffer[(*x, 0)].symbol() == "■")
            .expect("the label in the header");
        buffer[(x, 0)].clone()
    };
    let default = label_cell(&app);
    assert_eq!(default.fg, Color::Red);
    assert!(default.modifier.contains(Modifier::REVERSED));
    app.pair.color = Some(drtui_core::config::PairColor::Blue);
    assert_eq!(label_cell(&app).fg, Color::Blue);
}

/// An alarm that flips while the dashboard is open is one line in the events view (e), with
/// the old and new state; the first sight of a source is not an event.
#[tokio::test]
async fn an_alarm_transition_shows_in_the_events_view() {
    use drtui_core::model::{AlarmState, Source, SourceData, SourceUpdate};
    use drtui_tui::app::{Msg, update};
    let mut app = app_with(&[]).await;
    assert!(app.timeline.is_empty(), "{:?}", app.timeline);
    let mut alarms = app
        .snapshot
        .region(Role::Primary)
        .alarms
        .value
        .clone()
        .expect("alarms");
    let firing = alarms
        .iter_mut()
        .find(|alarm| alarm.name.ends_with("api-5xx-rate"))
        .expect("the 5XX alarm");
    firing.state = AlarmState::Alarm;
    firing.reason = "Threshold Crossed: 5XX 3.1 %".into();
    let now = app.now;
    update(
        &mut app,
        Msg::Update(Box::new(SourceUpdate {
            source: Source::Alarms(Role::Primary),
            at: now,
            result: Ok(SourceData::Alarms(alarms)),
        })),
    );
    assert_eq!(app.timeline.len(), 1);
    assert_eq!(
        app.timeline_unsaved.len(),
        1,
        "the runtime writes it to the state dir"
    );
    press(&mut app, ratatui::crossterm::event::KeyCode::Char('e'));
    let text = screen_text(&draw(&app, 120, 40));
    assert!(
        text.contains("alarm    us-east-1 PaymentDR-demo-us-east-1-api-5xx-rate: OK → ALARM"),
        "{text}"
    );
}

/// The gate before a change set that deletes: its changes, removals first, under their own
/// heading, and the typed-name prompt, at 80x24.
#[tokio::test]
async fn a_deleting_change_set_gate_lists_its_changes() {
    use drtui_core::runbook::gate::GateQuestion;
    use drtui_tui::app::{GatePrompt, Msg, update};
    let mut app = app_with(&[]).await;
    update(
        &mut app,
        Msg::GateAsked(GatePrompt::new(GateQuestion {
            step: "primary-database".into(),
            title: "Database in the primary".into(),
            prompt: "This change set replaces or deletes resources in us-east-1.".into(),
            data_at_risk_ms: Some(200.0),
            loses_data_next: false,
            next: vec![
                "Remove GlobalCluster (AWS::RDS::GlobalCluster)".into(),
                "Modify Cluster (AWS::RDS::DBCluster), REPLACES it".into(),
                "Add RunLockTable (AWS::DynamoDB::Table)".into(),
            ],
            next_are_changes: true,
        })),
    );
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.contains("Approving executes this change set:")
            && text.contains("Remove GlobalCluster (AWS::RDS::GlobalCluster)")
            && text.contains("REPLACES it")
            && text.contains("Type `demo` and Enter to approve"),
        "{text}"
    );
}
