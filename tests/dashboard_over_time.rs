//! The dashboard across polls: a throttled control plane does not flap the verdict, an
//! outage's onset turns to failover once replication stalls, before the health checks fail,
//! an alarm's transition reaches the events view, and the screen never disagrees with itself
//! through any fault's onset.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use drtui_backend::sim::Fault;
use drtui_core::model::Role;
use drtui_testkit::DemoEstate;

#[path = "support/screens.rs"]
mod screens;
use screens::{app_with, draw, press, screen_text};

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

/// Outage onset: the primary answers 5XX at once and its replication stalls; its health checks
/// need three failed probes (about 30 s). While its database still replicates, a switchover
/// (lossless) stays recommended; the dashboard turns to failover once the lag climbs a second
/// per second, within a few polls, long before Route 53 notices.
#[tokio::test]
async fn outage_onset_turns_to_failover_once_replication_stalls_before_the_health_checks_fail() {
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

/// One assessment on screen: under every fault, second by second through its first 60 s, the
/// banner's recommendation, the picker's marks, the checks list and the region panels agree:
/// the recommended runbook would not stop at a check before its first gate, and the checks
/// list's health verdict on the secondary matches what its panel shows.
#[tokio::test]
async fn the_screen_never_disagrees_with_itself_through_every_fault_onset() {
    use drtui_core::fault::{Fault, FaultControl};
    use drtui_core::readiness::{CheckId, CheckStatus};
    use drtui_tui::app::{Msg, update};
    let runbooks: Vec<_> = ["switchover", "failover", "failback"]
        .iter()
        .map(|name| drtui_engine::catalog::find(name).expect("built-in").1)
        .collect();
    let mut disagreements = Vec::new();
    for fault in Fault::ALL {
        let mut estate = DemoEstate::new(42, &[]);
        estate.pair.call_timeout = std::time::Duration::from_millis(100);
        let mut app = estate.app().await;
        estate.backend.set_fault(fault, true);
        for second in 1..=60 {
            estate.clock.advance(std::time::Duration::from_secs(1));
            update(
                &mut app,
                Msg::Tick(drtui_core::clock::Clock::now(estate.clock.as_ref())),
            );
            if second % estate.pair.poll_interval.as_secs() == 0 {
                for poll in estate.poll().await {
                    update(&mut app, Msg::Update(Box::new(poll)));
                }
            }
            let at = format!("{fault} +{second}s");
            let next = app.readiness.recommendation.next;
            if let Some(runbook) = next
                .runbook()
                .and_then(|wanted| runbooks.iter().find(|rb| rb.name == wanted.as_str()))
            {
                let marks = app.failing_preconditions(runbook);
                if !marks.is_empty() {
                    disagreements.push(format!(
                        "{at}: banner says {next:?} ({}) but the picker marks it: {marks:?}",
                        app.readiness.recommendation.reason
                    ));
                }
            }
            if let Some(check) = app.readiness.check(CheckId::HealthChecks(Role::Secondary)) {
                let screen = screen_text(&draw(&app, 200, 60));
                let panel_unhealthy =
                    screen
                        .lines()
                        .filter(|line| line.contains("Health"))
                        .any(|line| {
                            // The secondary's panel is the right half of the row.
                            line.chars()
                                .skip(100)
                                .collect::<String>()
                                .contains("UNHEALTHY")
                        });
                let disagree = match check.status {
                    CheckStatus::Pass => panel_unhealthy,
                    CheckStatus::Fail => !panel_unhealthy,
                    // Unknown: the panel says why, not UNHEALTHY.
                    CheckStatus::Warn => panel_unhealthy,
                };
                if disagree {
                    disagreements.push(format!(
                        "{at}: checks list says secondary_health_checks {:?} ({}) but the panel {}",
                        check.status,
                        check.detail,
                        if panel_unhealthy {
                            "says UNHEALTHY"
                        } else {
                            "does not"
                        }
                    ));
                }
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
