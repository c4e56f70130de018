//! Runbooks played in-process against the `demo` simulator: every built-in end to end, healthy
//! and with faults, gates that stop, read-only that refuses, pause and resume, and `completed`
//! only when the postconditions hold.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use std::collections::BTreeSet;
use std::time::Duration;

use drtui_backend::sim::{Fault, FaultControl};
use drtui_core::model::Role;
use drtui_core::ports::{ActBackend, Mutation, ReadOnly};
use drtui_core::runbook::journal::{self, Event, StepOutcome};
use drtui_engine::catalog;
use drtui_engine::engine::{Approvals, Outcome};
use drtui_engine::playback::{self};
use drtui_testkit::DemoEstate;
use drtui_testkit::runs::{
    approve_all as all, finished_ok, pausable, play, play_approved, playback, try_play_approved,
    weights, writer,
};

#[tokio::test]
async fn switchover_then_failback_end_to_end() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[]);
    let played = play_approved(&estate, "switchover", state.path()).await;
    assert_eq!(played.outcome, Outcome::Completed, "{:#?}", played.records);
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-2"));
    assert_eq!(weights(&estate).await, (Some(0), Some(100)));
    assert!(
        !finished_ok(&played.records).contains(&"restore-traffic".to_owned()),
        "rollback-only steps stay out of the normal flow"
    );
    // The old primary catches up, then failback returns everything.
    estate.clock.advance(Duration::from_secs(30));
    let back = play_approved(&estate, "failback", state.path()).await;
    assert_eq!(back.outcome, Outcome::Completed, "{:#?}", back.records);
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-1"));
    assert_eq!(weights(&estate).await, (Some(100), Some(0)));
}

#[tokio::test]
async fn failover_during_a_primary_outage_records_the_data_at_risk() {
    let state = tempfile::tempdir().expect("state");
    let mut estate = DemoEstate::new(42, &[Fault::PrimaryOutage]);
    // Five minutes at risk: this test is about the figure, not the cap on it.
    estate.pair.max_data_loss = Duration::from_secs(3600);
    let played = play_approved(&estate, "failover", state.path()).await;
    assert_eq!(played.outcome, Outcome::Completed, "{:#?}", played.records);
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-2"));
    assert_eq!(
        weights(&estate).await,
        (Some(0), Some(100)),
        "the state machine shifted the weights"
    );
    let approval = played
        .records
        .iter()
        .find_map(|record| match &record.event {
            Event::Approved {
                step,
                data_at_risk_ms,
                ..
            } if step == "approve-promote" => Some(*data_at_risk_ms),
            _ => None,
        });
    assert!(
        approval.flatten().is_some_and(|lag| lag > 10_000.0),
        "the data-loss gate recorded the lag: {approval:?}"
    );
    assert!(estate.backend.state().data_lost_ms > 10_000.0);
}

#[tokio::test]
async fn drill_switches_over_and_back() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[]);
    let played = play_approved(&estate, "drill", state.path()).await;
    assert_eq!(played.outcome, Outcome::Completed, "{:#?}", played.records);
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-1"));
    assert_eq!(weights(&estate).await, (Some(100), Some(0)));
}

#[tokio::test]
async fn a_fault_mid_run_stops_the_switchover_at_the_step_that_needs_the_primary() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[]);
    // The primary goes down between the checks and the switchover.
    estate.backend.set_fault(Fault::PrimaryOutage, true);
    let played = play_approved(&estate, "switchover", state.path()).await;
    match &played.outcome {
        Outcome::Failed { step, reason, .. } => {
            assert_eq!(step, "switchover-writer", "{reason}");
            assert!(reason.contains("use failover"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        writer(&estate).await.as_deref(),
        Some("us-east-1"),
        "nothing moved"
    );
}

#[tokio::test]
async fn a_degraded_secondary_fails_the_checks_before_anything_changes() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[Fault::SecondaryDegraded]);
    let played = play_approved(&estate, "failover", state.path()).await;
    assert!(
        matches!(&played.outcome, Outcome::Failed { step, .. } if step == "secondary-healthy"),
        "{:?}",
        played.outcome
    );
    assert!(!played.records.iter().any(
        |record| matches!(&record.event, Event::StepStarted { kind, .. } if kind == "action")
    ));
}

#[tokio::test]
async fn an_unapproved_gate_stops_with_nothing_changed() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[]);
    let approvals = Approvals {
        all: false,
        ids: BTreeSet::from(["announce".to_owned()]),
    };
    let played = play(
        &estate,
        "failover",
        approvals,
        false,
        &estate.backend,
        state.path(),
    )
    .await;
    // The primary serves: a data-loss failover first asks to confirm it over a switchover.
    assert_eq!(
        played.outcome,
        Outcome::Blocked {
            step: "confirm-primary-serving".to_owned()
        }
    );
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-1"));
    let resumable = playback::resumable(state.path(), &played.run_id).expect("journal");
    assert!(
        resumable.done.contains("announce") && !resumable.done.contains("confirm-primary-serving")
    );
}

#[tokio::test]
async fn read_only_makes_zero_mutating_calls() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[]);
    struct Counting(std::sync::atomic::AtomicUsize, ReadOnly);
    impl ActBackend for Counting {
        fn act(
            &self,
            mutation: &Mutation,
        ) -> drtui_core::ports::BoxFuture<
            '_,
            Result<drtui_core::ports::ActOutcome, drtui_core::ports::BackendError>,
        > {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.1.act(mutation)
        }
    }
    let act = Counting(Default::default(), ReadOnly);
    let played = play(&estate, "switchover", all(), true, &act, state.path()).await;
    assert!(
        matches!(&played.outcome, Outcome::Failed { reason, .. } if reason.contains("--read-only")),
        "{:?}",
        played.outcome
    );
    assert_eq!(
        act.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the engine never asked"
    );
    // And the backend side refuses on its own, whatever asks it.
    let refused = ReadOnly
        .act(&Mutation::AuroraFailover {
            target: Role::Secondary,
            allow_data_loss: true,
        })
        .await;
    assert!(
        refused
            .expect_err("refused")
            .to_string()
            .contains("--read-only refuses rds:FailoverGlobalCluster")
    );
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-1"));
}

#[tokio::test]
async fn ungraceful_failover_with_the_primary_region_hung_uses_the_data_plane_for_traffic() {
    let state = tempfile::tempdir().expect("state");
    let mut estate = DemoEstate::new(
        42,
        &[Fault::PrimaryOutage, Fault::HungRegion(Role::Primary)],
    );
    // Every snapshot waits out the hung region once: keep that short.
    estate.pair.call_timeout = Duration::from_millis(100);
    // The stores replicating out of the hung region have no figure: a cap, however high,
    // cannot hold an unknown loss; only accepting any loss (`--max-data-loss any`) goes on.
    estate.pair.max_data_loss = Duration::from_secs(3600);
    let capped = play_approved(&estate, "failover", state.path()).await;
    match &capped.outcome {
        Outcome::OverCap { reason, .. } => assert!(
            reason.contains("unknown (no current figure for dynamodb payment-transactions-demo)"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    let state = tempfile::tempdir().expect("state");
    estate.pair.max_data_loss = drtui_core::runbook::gate::ANY_LOSS;
    let played = play_approved(&estate, "failover", state.path()).await;
    assert_eq!(played.outcome, Outcome::Completed, "{:#?}", played.records);
    assert_eq!(
        writer(&estate).await.as_deref(),
        Some("us-east-2"),
        "the promote ran in the healthy region"
    );
    let finished = |id: &str| {
        played
            .records
            .iter()
            .find_map(|record| match &record.event {
                Event::StepFinished {
                    step,
                    outcome,
                    detail,
                } if step == id => Some((*outcome, detail.clone())),
                _ => None,
            })
    };
    // Route 53's control plane (us-east-1) does not answer: the weights step fails and the run
    // goes on to the data-plane lever in us-east-2, which moves the traffic.
    let weights = finished("shift-traffic").expect("shift-traffic ran");
    assert_eq!(weights.0, StepOutcome::Failed, "{weights:?}");
    let lever = finished("shift-traffic-data-plane").expect("the lever ran");
    assert_eq!(lever.0, StepOutcome::Ok, "{lever:?}");
    assert!(lever.1.contains("PutMetricData"), "{lever:?}");
    let proof = finished("postconditions").expect("postconditions checked");
    assert_eq!(proof.0, StepOutcome::Ok, "{proof:?}");
    assert!(proof.1.contains("data-plane lever"), "{proof:?}");
    // And the traffic really moved: the secondary now serves nearly all requests.
    estate.clock.advance(Duration::from_secs(10));
    let (snapshot, _) = estate.observe().await;
    let requests = snapshot
        .region(Role::Secondary)
        .metrics
        .value
        .as_ref()
        .and_then(|metrics| metrics.api_requests_per_min)
        .expect("secondary metrics");
    assert!(requests > 1_000.0, "{requests} requests/min in us-east-2");
}

#[tokio::test]
async fn graceful_switchover_does_not_paper_over_an_unreachable_control_plane() {
    let state = tempfile::tempdir().expect("state");
    let mut estate = DemoEstate::new(42, &[]);
    estate.pair.call_timeout = Duration::from_millis(100);
    let approvals = all();
    // The Route 53 control plane (us-east-1) hangs after the checks passed.
    let (_, runbook, hash) = catalog::find_with_hash("switchover").expect("runbook");
    estate
        .backend
        .set_fault(Fault::HungRegion(Role::Primary), true);
    let player = playback(
        &estate,
        &runbook,
        hash,
        approvals,
        false,
        &estate.backend,
        state.path(),
    );
    let (_, outcome) = player.play(None, &mut |_| {}).await.expect("played");
    assert!(matches!(outcome, Outcome::Failed { .. }), "{outcome:?}");
}

#[tokio::test]
async fn a_paused_run_stops_before_its_next_step_and_resumes_where_it_stopped() {
    use std::sync::atomic::Ordering;
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[]);
    let (_, runbook, hash) = catalog::find_with_hash("switchover").expect("runbook");
    let (player, pause) = pausable(&estate, &runbook, hash, state.path());
    // Pause as soon as the switchover has been issued.
    let flag = std::sync::Arc::clone(&pause);
    let mut on_record = move |record: &journal::Record| {
        if matches!(&record.event, Event::StepFinished { step, .. } if step == "switchover-writer")
        {
            flag.store(true, Ordering::SeqCst);
        }
    };
    let (run_id, outcome) = player.play(None, &mut on_record).await.expect("played");
    assert_eq!(
        outcome,
        Outcome::Paused {
            step: "wait-writer".to_owned()
        }
    );
    let resumable = playback::resumable(state.path(), &run_id).expect("journal");
    assert!(
        resumable.done.contains("switchover-writer") && !resumable.done.contains("wait-writer")
    );
    pause.store(false, Ordering::SeqCst);
    let (_, resumed) = player
        .play(Some(&resumable), &mut |_| {})
        .await
        .expect("resumed");
    assert_eq!(resumed, Outcome::Completed);
    assert_eq!(weights(&estate).await, (Some(0), Some(100)));
}

#[tokio::test]
async fn resume_is_a_fresh_decision_checks_again_and_asks_again_after_a_failure() {
    let state = tempfile::tempdir().expect("state");
    let mut estate = DemoEstate::new(42, &[Fault::PrimaryOutage]);
    estate.pair.max_data_loss = Duration::from_secs(3600);
    // The promote is refused (here: by the engine's read-only guard) after the gate passed.
    let failed = play(
        &estate,
        "failover",
        all(),
        true,
        &estate.backend,
        state.path(),
    )
    .await;
    assert!(
        matches!(&failed.outcome, Outcome::Failed { step, .. } if step == "promote-secondary"),
        "{:?}",
        failed.outcome
    );
    let resumable = playback::resumable(state.path(), &failed.run_id).expect("journal");
    assert!(resumable.done.contains("approve-promote"));
    let (_, runbook, hash) = catalog::find_with_hash("failover").expect("runbook");
    let announce = Approvals {
        all: false,
        ids: BTreeSet::from(["announce".to_owned()]),
    };
    let player = playback(
        &estate,
        &runbook,
        hash,
        announce,
        false,
        &estate.backend,
        state.path(),
    );
    let still_done = player.still_done(&resumable);
    assert!(
        !still_done.contains("secondary-available"),
        "{still_done:?}"
    );
    assert!(!still_done.contains("secondary-healthy"), "{still_done:?}");
    assert!(still_done.contains("no-failover-running"), "{still_done:?}");
    let mut records = Vec::new();
    let (_, outcome) = player
        .play(Some(&resumable), &mut |record| records.push(record.clone()))
        .await
        .expect("resumed");
    // The approval was given before the failure: it is asked again, after fresh checks.
    assert_eq!(
        outcome,
        Outcome::Blocked {
            step: "approve-promote".to_owned()
        }
    );
    let rechecked = finished_ok(&records);
    assert!(
        rechecked.contains(&"secondary-available".to_owned())
            && rechecked.contains(&"secondary-healthy".to_owned()),
        "{rechecked:?}"
    );
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-1"));
}

/// The promise every built-in makes: `completed` only when, against live state, the writer
/// is in the destination, all traffic reaches it, and it is healthy. Every runbook under every
/// demo fault: whatever the outcome, a completed run's postconditions hold.
#[tokio::test]
async fn completed_implies_the_postconditions_for_every_runbook_under_every_fault() {
    let scenarios: Vec<Option<Fault>> = std::iter::once(None)
        .chain(Fault::ALL.into_iter().map(Some))
        .collect();
    let mut table = Vec::new();
    for name in ["switchover", "failover", "failback", "drill"] {
        let (_, runbook, _) = catalog::find_with_hash(name).expect("runbook");
        let destination = runbook
            .destination()
            .expect("every built-in moves the writer");
        for fault in &scenarios {
            let state = tempfile::tempdir().expect("state");
            let mut estate = DemoEstate::new(42, &[]);
            estate.pair.call_timeout = Duration::from_millis(100);
            if name == "failback" {
                estate.fail_over_by_hand().await;
            }
            if let Some(fault) = fault {
                estate.backend.set_fault(*fault, true);
                estate.clock.advance(Duration::from_secs(60));
            }
            let label = format!("{name} under {}", fault.map_or("no fault", Fault::name));
            let played = match try_play_approved(&estate, name, state.path()).await {
                Ok(played) => played,
                Err(error) => {
                    // Refused before it began (the operator may not promote): nothing ran.
                    assert!(
                        matches!(error, drtui_engine::playback::PlaybackError::Denied { .. }),
                        "{label}: {error}"
                    );
                    table.push(format!("{label}: refused ({error})"));
                    continue;
                }
            };
            table.push(format!("{label}: {:?}", played.outcome));
            if played.outcome != Outcome::Completed {
                continue;
            }
            // Five polls a second apart, folded: a throttled read keeps its last value.
            let mut snapshot = estate.pair.empty_snapshot();
            for _ in 0..5 {
                for update in estate.poll().await {
                    snapshot.apply(update);
                }
                estate.clock.advance(Duration::from_secs(1));
            }
            let now = drtui_core::clock::Clock::now(estate.clock.as_ref());
            let readiness = drtui_core::readiness::assess(&snapshot, now, &estate.pair.policy());
            let seen = drtui_core::runbook::evaluate::Observation {
                pair: &estate.pair,
                runbook: &runbook,
                snapshot: &snapshot,
                readiness: &readiness,
                now,
            };
            let holds = drtui_core::runbook::evaluate::serving_from(destination, &seen);
            assert!(holds.is_ok(), "{label} completed but {holds:?}");
            assert!(
                played.records.iter().any(|record| matches!(
                    &record.event,
                    Event::StepFinished { step, outcome: StepOutcome::Ok, .. } if step == "postconditions"
                )),
                "{label}: no postcondition record"
            );
        }
    }
    let completed = table
        .iter()
        .filter(|line| line.ends_with("Completed"))
        .count();
    // Some must complete (the healthy estate at least), some must refuse; print the table.
    eprintln!("{}", table.join("\n"));
    assert!(completed >= 4, "{}", table.join("\n"));
    assert!(completed < table.len(), "{}", table.join("\n"));
}
