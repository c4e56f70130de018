//! Runbooks that take the lossless path when it exists and leave nothing behind, on the `demo`
//! simulator: the recommended runbook under every fault, a hung state machine stopped and
//! covered, and a foreign execution that refuses a move.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use std::time::Duration;

use drtui_backend::sim::{Fault, FaultControl};
use drtui_core::ports::Mutation;
use drtui_core::runbook::journal::{Event, StepOutcome};
use drtui_engine::engine::Outcome;
use drtui_testkit::DemoEstate;
use drtui_testkit::runs::{play_approved, weights, writer};

#[path = "support/run_binary.rs"]
mod run_binary;

/// The lossless path when it exists: under every demo fault, 60 s in, whatever `status`
/// recommends is run with every gate approved. A recommended switchover completes and loses
/// nothing; a failover is recommended only when a switchover cannot succeed (and then the
/// switchover itself refuses before its first gate).
#[tokio::test]
async fn the_recommended_runbook_completes_and_a_switchover_loses_nothing() {
    use drtui_core::readiness::Next;
    let mut table = Vec::new();
    let scenarios = std::iter::once(None).chain(Fault::ALL.into_iter().map(Some));
    for fault in scenarios {
        let label = fault.map_or("no fault", Fault::name);
        let estate = faulted(fault);
        let (_, readiness) = estate.observe().await;
        let next = readiness.recommendation.next;
        table.push(format!(
            "{label}: {next:?} ({})",
            readiness.recommendation.reason
        ));
        let Some(runbook) = next.runbook() else {
            continue;
        };
        let state = tempfile::tempdir().expect("state");
        let played = play_approved(&estate, runbook.as_str(), state.path()).await;
        assert_eq!(
            played.outcome,
            Outcome::Completed,
            "{label}: recommended {next:?} ({}), did not complete: {:#?}",
            readiness.recommendation.reason,
            played.records
        );
        let lost = estate.backend.state().data_lost_ms;
        if next == Next::Switchover {
            assert_eq!(lost, 0.0, "{label}: the switchover lost {lost} ms");
        } else if next == Next::Failover {
            // Only because a switchover could not succeed: it refuses before any gate.
            let other = faulted(fault);
            let state = tempfile::tempdir().expect("state");
            let switchover = play_approved(&other, "switchover", state.path()).await;
            assert!(
                matches!(&switchover.outcome, Outcome::Failed { step, .. } if step == "switchover-possible"),
                "{label}: failover recommended but a switchover {:?}",
                switchover.outcome
            );
        }
    }
    eprintln!("{}", table.join("\n"));
    for (scenario, expected) in [
        ("no fault", "Switchover"),
        ("api-5xx-burst", "Switchover"),
        ("primary-outage", "Failover"),
    ] {
        assert!(
            table
                .iter()
                .any(|line| line.starts_with(&format!("{scenario}: {expected}"))),
            "{}",
            table.join("\n")
        );
    }
}

/// The demo estate with `fault` running for a minute.
fn faulted(fault: Option<Fault>) -> DemoEstate {
    let mut estate = DemoEstate::new(42, &[]);
    estate.pair.call_timeout = Duration::from_millis(100);
    // What each recommendation costs is the point here, not the cap on it (tested below).
    estate.pair.max_data_loss = Duration::from_secs(3600);
    if let Some(fault) = fault {
        estate.backend.set_fault(fault, true);
    }
    estate.clock.advance(Duration::from_secs(60));
    estate
}

/// Under `hung-state-machine` (executions start and never end) a failover promotes, runs the
/// state machine for at most its 2 min, stops it with StopExecution, sets the weights itself,
/// and completes: the traffic moved and no execution it started is left RUNNING.
#[tokio::test]
async fn a_hung_state_machine_is_stopped_and_the_weights_set_directly() {
    let mut estate = DemoEstate::new(42, &[Fault::PrimaryOutage, Fault::HungStateMachine]);
    estate.pair.max_data_loss = Duration::from_secs(3600);
    estate.clock.advance(Duration::from_secs(60));
    let state = tempfile::tempdir().expect("state");
    let start = drtui_core::clock::Clock::now(estate.clock.as_ref());
    let played = play_approved(&estate, "failover", state.path()).await;
    assert_eq!(played.outcome, Outcome::Completed, "{:#?}", played.records);
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-2"));
    assert_eq!(weights(&estate).await, (Some(0), Some(100)));
    let name = format!("{}-shift-traffic-sfn", played.run_id);
    assert_eq!(
        estate.backend.state().execution_status(&name).as_deref(),
        Some("ABORTED")
    );
    let failed = played
        .records
        .iter()
        .find_map(|record| match &record.event {
            Event::StepFinished {
                step,
                outcome: StepOutcome::Failed,
                detail,
            } if step == "shift-traffic-sfn" => Some(detail.clone()),
            _ => None,
        })
        .expect("the state-machine step failed");
    assert!(
        failed.contains("did not finish within 2m")
            && failed.contains("states:StopExecution: execution")
            && failed.contains("ABORTED"),
        "{failed}"
    );
    let still_running = played.records.iter().any(|record| {
        matches!(&record.event, Event::StepProgress { step, detail }
            if step == "shift-traffic-sfn" && detail.contains("running for"))
    });
    assert!(still_running, "the wait shows progress");
    let postconditions = played
        .records
        .iter()
        .find_map(|record| match &record.event {
            Event::StepFinished { step, detail, .. } if step == "postconditions" => {
                Some(detail.clone())
            }
            _ => None,
        })
        .expect("postconditions");
    assert!(postconditions.contains("not running"), "{postconditions}");
    let took =
        drtui_core::clock::elapsed(start, drtui_core::clock::Clock::now(estate.clock.as_ref()));
    assert!(
        took < Duration::from_secs(6 * 60),
        "within its timeouts: {took:?}"
    );
    eprintln!("{}", timeline(&played.records));
}

/// Each step with how long it took, for the closing note.
fn timeline(records: &[drtui_core::runbook::journal::Record]) -> String {
    let mut started = std::collections::BTreeMap::new();
    let mut lines = Vec::new();
    for record in records {
        match &record.event {
            Event::StepStarted { step, .. } => {
                started.insert(step.clone(), record.at);
            }
            Event::StepFinished { step, outcome, .. } => {
                let took = started
                    .get(step)
                    .map(|at| drtui_core::clock::elapsed(*at, record.at))
                    .unwrap_or_default();
                lines.push(format!("{step:<26} {outcome:?} {took:?}"));
            }
            _ => {}
        }
    }
    lines.join("\n")
}

/// An execution someone else started, still running, could flip the weights when it ends:
/// switchover and failback refuse to start, naming it and how to stop it.
#[tokio::test]
async fn a_foreign_running_execution_refuses_a_move() {
    let estate = DemoEstate::new(42, &[Fault::HungStateMachine]);
    estate
        .backend
        .apply_by_hand(&Mutation::StartExecution {
            name: "console-started".into(),
        })
        .expect("started");
    estate.clock.advance(Duration::from_secs(30));
    let (_, readiness) = estate.observe().await;
    let check = readiness
        .check(drtui_core::readiness::CheckId::FailoverStateMachine)
        .expect("check");
    assert_eq!(check.status, drtui_core::readiness::CheckStatus::Fail);
    assert!(
        check.detail.contains("console-started RUNNING"),
        "{}",
        check.detail
    );
    assert_eq!(readiness.recommended_runbook, None);
    for runbook in ["switchover", "failover"] {
        let state = tempfile::tempdir().expect("state");
        let played = play_approved(&estate, runbook, state.path()).await;
        match &played.outcome {
            Outcome::Failed { step, reason, .. } => {
                assert_eq!(step, "no-failover-running", "{runbook}");
                assert!(
                    reason.contains("console-started")
                        && reason.contains("aws stepfunctions stop-execution --region us-east-1 --execution-arn arn:aws:states:us-east-1:"),
                    "{reason}"
                );
            }
            other => panic!("{runbook}: {other:?}"),
        }
    }
    // After a failover by hand, failback refuses too.
    estate.fail_over_by_hand().await;
    let state = tempfile::tempdir().expect("state");
    let played = play_approved(&estate, "failback", state.path()).await;
    assert!(
        matches!(&played.outcome, Outcome::Failed { step, .. } if step == "no-failover-running"),
        "{:?}",
        played.outcome
    );
}

/// A switchover whose writer stops answering after its approval fails at the switchover and
/// goes on as a failover from where it is: one run, one journal, the failover's gates asked
/// anew (the data loss with the live figure), the writer and the traffic in the secondary.
#[tokio::test]
async fn a_failed_switchover_goes_on_as_a_failover_in_the_same_run() {
    use drtui_engine::engine::Approvals;
    use drtui_engine::playback;
    let estate = DemoEstate::new(42, &[]);
    let state = tempfile::tempdir().expect("state");
    let none = Approvals {
        all: false,
        ids: ["announce".to_owned()].into(),
    };
    let blocked = drtui_testkit::runs::play(
        &estate,
        "switchover",
        none,
        false,
        &estate.backend,
        state.path(),
    )
    .await;
    assert_eq!(
        blocked.outcome,
        Outcome::Blocked {
            step: "approve-switchover".into()
        }
    );
    // The primary goes down while the approver reads the gate.
    estate.backend.set_fault(Fault::PrimaryOutage, true);
    let (_, switchover, hash) = drtui_engine::catalog::find_with_hash("switchover").expect("rb");
    let resumable = playback::resumable(state.path(), &blocked.run_id).expect("resumable");
    let (_, outcome, _) =
        resume_approved(&estate, &switchover, hash, &resumable, state.path()).await;
    assert!(
        matches!(&outcome, Outcome::Failed { step, reason, .. }
            if step == "switchover-writer" && reason.contains("use failover")),
        "{outcome:?}"
    );
    assert_eq!(
        drtui_engine::catalog::escalation(&switchover),
        Some("failover")
    );
    // Go on as a failover.
    let (_, failover, hash) = drtui_engine::catalog::find_with_hash("failover").expect("rb");
    let resumable = playback::resumable(state.path(), &blocked.run_id).expect("resumable");
    let escalated =
        playback::escalate(resumable, &switchover, &failover, hash.clone()).expect("escalated");
    let (run_id, outcome, records) =
        resume_approved(&estate, &failover, hash, &escalated, state.path()).await;
    assert_eq!(run_id, blocked.run_id, "the same run goes on");
    assert_eq!(outcome, Outcome::Completed, "{records:#?}");
    assert!(matches!(
        &records[0].event,
        Event::Escalated { from, runbook, .. } if from == "switchover" && runbook == "failover"
    ));
    let promote_approved = records.iter().find_map(|record| match &record.event {
        Event::Approved {
            step,
            data_at_risk_ms,
            ..
        } if step == "approve-promote" => Some(*data_at_risk_ms),
        _ => None,
    });
    assert!(
        matches!(promote_approved, Some(Some(lag)) if lag > 0.0),
        "the data-loss gate was asked anew with the live figure: {promote_approved:?}"
    );
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-2"));
    assert_eq!(weights(&estate).await, (Some(0), Some(100)));
    // The journal now reads as a failover run: a later resume finds the failover.
    let summary = playback::resumable(state.path(), &run_id).expect("resumable");
    assert_eq!(summary.runbook, "failover");
    // A completed run cannot be escalated, nor a failover into itself.
    let (_, switchover_again, _) = drtui_engine::catalog::find_with_hash("switchover").expect("rb");
    let error = playback::escalate(summary, &switchover_again, &failover, String::new())
        .expect_err("completed");
    assert!(error.to_string().contains("completed"), "{error}");
}

/// The same from the command line: a switchover under a primary outage fails and prints the
/// command that goes on as a failover; that command, as printed (with the approvals a
/// playback needs), completes the same run.
#[test]
fn the_printed_escalation_command_goes_on_as_a_failover() {
    let state = tempfile::tempdir().expect("state");
    let output = run_binary::drtui(
        state.path(),
        &[
            "run",
            "switchover",
            "--approve-all",
            "--scenario",
            "primary-outage",
        ],
    )
    .output()
    .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut args = run_binary::printed_command(&stderr, "--as failover");
    // The printed command repeats the scenario; a playback adds its approvals and cap.
    assert!(args.contains(&"primary-outage"), "{args:?}");
    args.extend(["--approve-all", "--max-data-loss", "1h"]);
    let output = run_binary::drtui(state.path(), &args)
        .output()
        .expect("resume");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("goes on as failover (was switchover)") && stdout.contains("completed"),
        "{stdout}"
    );
}

/// A run paused in a dashboard keeps the pair: its lock file says "paused since", another
/// process's run is refused (exit 5) naming the paused run and how to resume it, and the
/// dashboard's resume goes on under the same lock to completion.
#[tokio::test]
async fn a_paused_run_keeps_the_pair_until_its_dashboard_resumes_it() {
    use drtui_engine::playback::{HoldDecision, PauseHold};
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    let estate = DemoEstate::new(42, &[]);
    let state = tempfile::tempdir().expect("state");
    let (_, runbook, hash) = drtui_engine::catalog::find_with_hash("switchover").expect("rb");
    let (mut player, pause) = drtui_testkit::runs::pausable(&estate, &runbook, hash, state.path());
    let hold = Arc::new(PauseHold::default());
    player.hold = Some(Arc::clone(&hold));
    let pause_at_gate = Arc::clone(&pause);
    let mut records = Vec::new();
    let mut on_record = |record: &drtui_core::runbook::journal::Record| {
        // The operator presses p as the writer moves.
        if matches!(&record.event, Event::StepFinished { step, .. } if step == "switchover-writer")
        {
            pause_at_gate.store(true, Ordering::SeqCst);
        }
        records.push(record.clone());
    };
    let play = player.play(None, &mut on_record);
    let other_operator = async {
        while !hold.holding() {
            tokio::task::yield_now().await;
        }
        let lock = drtui_engine::lock::holder(state.path(), "demo");
        let output = run_binary::drtui(state.path(), &["run", "failback", "--approve-all"])
            .output()
            .expect("second run");
        pause.store(false, Ordering::SeqCst);
        hold.decide(HoldDecision::Resume);
        (lock, output)
    };
    let (played, (lock, output)) = tokio::join!(play, other_operator);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("PAUSED since")
            && stderr.contains("switchover-")
            && stderr.contains("R there resumes it"),
        "{stderr}"
    );
    assert!(
        lock.is_some_and(|holder| holder.paused_since.is_some()),
        "the lock file says the run is paused"
    );
    let (run_id, outcome) = played.expect("played");
    assert_eq!(outcome, Outcome::Completed, "{records:#?}");
    assert!(
        records
            .iter()
            .any(|record| matches!(&record.event, Event::Resumed { .. })),
        "resumed under the same lock"
    );
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-2"));
    assert!(
        drtui_engine::lock::holder(state.path(), "demo").is_none(),
        "released at the end of {run_id}"
    );
}

/// A failover left blocked at its data-loss gate, resumed after someone else already failed
/// over: the promote finds the writer already there and the state machine and weights steps
/// find the traffic already moved, so the resume starts nothing and completes.
#[tokio::test]
async fn resuming_a_stale_blocked_failover_starts_nothing() {
    use drtui_engine::engine::Approvals;
    use drtui_engine::playback;
    let estate = DemoEstate::new(42, &[]);
    let state = tempfile::tempdir().expect("state");
    let announce = Approvals {
        all: false,
        ids: ["announce".to_owned(), "confirm-primary-serving".to_owned()].into(),
    };
    let blocked = drtui_testkit::runs::play(
        &estate,
        "failover",
        announce,
        false,
        &estate.backend,
        state.path(),
    )
    .await;
    assert_eq!(
        blocked.outcome,
        Outcome::Blocked {
            step: "approve-promote".into()
        }
    );
    estate.fail_over_by_hand().await;
    let before = estate.backend.state();
    let calls_before = drtui_core::ports::StatusBackend::call_counts(&estate.backend);
    let (_, failover, hash) = drtui_engine::catalog::find_with_hash("failover").expect("rb");
    let resumable = playback::resumable(state.path(), &blocked.run_id).expect("resumable");
    let (_, outcome, records) =
        resume_approved(&estate, &failover, hash, &resumable, state.path()).await;
    assert_eq!(outcome, Outcome::Completed, "{records:#?}");
    let calls_after = drtui_core::ports::StatusBackend::call_counts(&estate.backend);
    let mutating = |counts: &drtui_core::model::CallCounts| {
        drtui_core::calls::Operation::ALL
            .iter()
            .filter(|operation| operation.mutates())
            .map(|operation| {
                counts
                    .get(operation.service().sdk_name())
                    .and_then(|calls| calls.get(operation.name()))
                    .copied()
                    .unwrap_or(0)
            })
            .sum::<u64>()
    };
    assert_eq!(
        mutating(&calls_after),
        mutating(&calls_before),
        "the resume changed nothing: {records:#?}"
    );
    let finished = |id: &str| {
        records.iter().find_map(|record| match &record.event {
            Event::StepFinished {
                step,
                outcome,
                detail,
            } if step == id => Some((*outcome, detail.clone())),
            _ => None,
        })
    };
    let (_, promote) = finished("promote-secondary").expect("promote");
    assert!(promote.starts_with("nothing to do"), "{promote}");
    assert_eq!(
        finished("shift-traffic-sfn").map(|(outcome, _)| outcome),
        Some(StepOutcome::Skipped)
    );
    assert_eq!(before.data_lost_ms, estate.backend.state().data_lost_ms);
}

/// Playback accepts no loss beyond the pair's cap: a failover with five minutes at risk stops
/// at its data-loss gate even with `--approve-all` (exit 4, naming the figure and the cap) and
/// prints the command that accepts it; that command, as printed, completes the run.
#[test]
fn a_loss_beyond_the_cap_stops_playback_at_the_gate() {
    let state = tempfile::tempdir().expect("state");
    let output = run_binary::drtui(
        state.path(),
        &[
            "run",
            "failover",
            "--approve-all",
            "--scenario",
            "primary-outage",
        ],
    )
    .output()
    .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("stopped at `approve-promote`: data at risk 5 min")
            && stderr.contains("exceeds the cap on accepted loss 10.0 s"),
        "{stderr}"
    );
    assert!(
        drtui_backend::sim::read_action_log(&state.path().join("demo-actions.jsonl")).is_empty(),
        "nothing was promoted"
    );
    // As printed: it repeats the demo's scenario itself.
    let args = run_binary::printed_command(&stderr, "--max-data-loss");
    assert!(args.contains(&"primary-outage"), "{args:?}");
    let output = run_binary::drtui(state.path(), &args)
        .output()
        .expect("resume");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("approve-promote approved"), "{stdout}");
}

/// Resumes (or escalates) a run with every gate approved; its run id, outcome and records.
async fn resume_approved(
    estate: &DemoEstate,
    runbook: &drtui_core::runbook::step::Runbook,
    hash: String,
    resumable: &drtui_engine::playback::Resumable,
    state: &std::path::Path,
) -> (String, Outcome, Vec<drtui_core::runbook::journal::Record>) {
    let player = drtui_testkit::runs::playback(
        estate,
        runbook,
        hash,
        drtui_testkit::runs::approve_all(),
        false,
        &estate.backend,
        state,
    );
    let mut records = Vec::new();
    let (run_id, outcome) = player
        .play(Some(resumable), &mut |record| records.push(record.clone()))
        .await
        .expect("played");
    (run_id, outcome, records)
}
