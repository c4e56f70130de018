//! `provision` on the demo: deployments by change set with their events, nothing twice, the
//! refusal after a failover, a change set that deletes waiting for its own approval, a failing
//! stack, and a pause, a signal or `kill -9` mid-deployment followed by `resume`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use std::collections::BTreeSet;
use std::time::Duration;

use drtui_backend::sim::{Fault, FaultControl, read_action_log};
use drtui_core::model::{Role, Source, SourceData};
use drtui_core::ports::Mutation;
use drtui_core::runbook::journal::{self, Event};
use drtui_engine::catalog;
use drtui_engine::engine::{Approvals, Outcome};
use drtui_engine::playback::{self};
use drtui_testkit::DemoEstate;
use drtui_testkit::runs::{finished_ok, pausable, play, play_approved, writer};

#[path = "support/run_binary.rs"]
mod run_binary;
use run_binary::{drtui, kill_9_at, run_signalled_when};

/// The stack events a run journalled for `step`.
fn progress_of(records: &[journal::Record], step: &str) -> Vec<String> {
    records
        .iter()
        .filter_map(|record| match &record.event {
            Event::StepProgress { step: id, detail } if id == step => Some(detail.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn provision_on_demo_deploys_what_changed_with_its_events_and_a_second_run_changes_nothing() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[]);
    let first = play_approved(&estate, "provision", state.path()).await;
    assert_eq!(first.outcome, Outcome::Completed, "{:#?}", first.records);
    // The demo's API stacks predate /health through the function: that change set, its
    // events in order, the stack's own completion last.
    let api = progress_of(&first.records, "primary-api");
    assert_eq!(
        api,
        [
            "change set (update), 1 change: Modify HealthMethod (AWS::ApiGateway::Method)",
            "HealthMethod AWS::ApiGateway::Method UPDATE_IN_PROGRESS",
            "HealthMethod AWS::ApiGateway::Method UPDATE_COMPLETE",
            "PaymentDR-Api-primary-demo AWS::CloudFormation::Stack UPDATE_COMPLETE",
        ]
    );
    assert_eq!(
        progress_of(&first.records, "primary-network"),
        ["change set (update): no changes"]
    );
    assert!(finished_ok(&first.records).contains(&"readiness".to_owned()));
    let second = play_approved(&estate, "provision", state.path()).await;
    assert_eq!(second.outcome, Outcome::Completed);
    let changed: Vec<String> = second
        .records
        .iter()
        .filter_map(|record| match &record.event {
            Event::StepFinished { step, detail, .. }
                if detail.contains("_COMPLETE") && !detail.contains("stacks complete") =>
            {
                Some(format!("{step}: {detail}"))
            }
            _ => None,
        })
        .collect();
    assert!(changed.is_empty(), "a re-run deployed again: {changed:?}");
}

#[tokio::test]
async fn provision_refuses_to_update_the_database_stacks_after_a_failover() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[]);
    estate.fail_over_by_hand().await;
    estate.clock.advance(Duration::from_secs(10));
    let played = play_approved(&estate, "provision", state.path()).await;
    let Outcome::Failed { step, reason, .. } = &played.outcome else {
        panic!("provision went on after a failover: {:?}", played.outcome);
    };
    assert_eq!(step, "primary-database");
    assert!(
        reason.contains("refusing to update PaymentDR-Database-primary-demo")
            && reason.contains("drtui run failback"),
        "{reason}"
    );
    assert!(
        progress_of(&played.records, "primary-database").is_empty(),
        "no change set was made"
    );
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-2"));
}

/// The primary's database stack deployed with the secondary's parameters: a change set that
/// removes the global cluster.
const SWAP_DATABASE: &str = "name: swap\ndescription: t\nsteps:\n  - id: go\n    title: go\n    kind: gate\n    prompt: go\n  - id: swap\n    title: Swap\n    kind: action\n    action: deploy_stack\n    region: primary\n    stack: Database\n    template: cfn/database.yaml\n    parameters:\n      EnvironmentSuffix: demo\n      RegionRole: secondary\n";

#[tokio::test]
async fn a_change_set_that_deletes_waits_for_its_own_approval() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[]);
    // The primary's database stack deployed with the secondary's parameters: the global cluster
    // and the instances' definitions go, the lock table comes.
    let runbook = tempfile::NamedTempFile::with_suffix(".yaml").expect("file");
    std::fs::write(runbook.path(), SWAP_DATABASE).expect("write");
    let path = runbook.path().display().to_string();
    let only_the_gate = Approvals {
        all: false,
        ids: BTreeSet::from(["go".to_owned()]),
    };
    let blocked = play(
        &estate,
        &path,
        only_the_gate,
        false,
        &estate.backend,
        state.path(),
    )
    .await;
    assert_eq!(
        blocked.outcome,
        Outcome::Blocked {
            step: "swap".to_owned()
        }
    );
    let preview = progress_of(&blocked.records, "swap");
    assert!(
        preview[0].contains("Remove GlobalCluster (AWS::RDS::GlobalCluster)")
            && preview[0].contains("Add RunLockTable"),
        "{preview:?}"
    );
    assert_eq!(preview.len(), 1, "nothing executed: {preview:?}");
    let approved = Approvals {
        all: false,
        ids: BTreeSet::from(["go".to_owned(), "swap".to_owned()]),
    };
    let done = play(
        &estate,
        &path,
        approved,
        false,
        &estate.backend,
        state.path(),
    )
    .await;
    assert_eq!(done.outcome, Outcome::Completed, "{:#?}", done.records);
    assert!(done.records.iter().any(|record| matches!(
        &record.event,
        Event::Approved { step, how, .. } if step == "swap" && how == "--approve swap"
    )));
    assert!(
        progress_of(&done.records, "swap")
            .iter()
            .any(|line| line == "GlobalCluster AWS::RDS::GlobalCluster DELETE_COMPLETE")
    );
}

#[tokio::test]
async fn a_failing_stack_stops_provision_naming_the_resource_and_the_rollback() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[Fault::StackUpdateFails]);
    let played = play_approved(&estate, "provision", state.path()).await;
    let Outcome::Failed { step, reason, .. } = &played.outcome else {
        panic!("a failed stack did not stop the run: {:?}", played.outcome);
    };
    assert_eq!(step, "primary-api", "the first stack with a change");
    assert!(
        reason.contains("stack PaymentDR-Api-primary-demo ended UPDATE_ROLLBACK_COMPLETE")
            && reason.contains("failed: HealthMethod AWS::ApiGateway::Method UPDATE_FAILED")
            && reason.contains("rolled back: 3 events"),
        "{reason}"
    );
    let events = progress_of(&played.records, "primary-api");
    assert_eq!(
        events.last().map(String::as_str),
        Some("PaymentDR-Api-primary-demo AWS::CloudFormation::Stack UPDATE_ROLLBACK_COMPLETE"),
        "{events:?}"
    );
    // The dashboard sees the rolled-back stack as not settled, with CloudFormation's reason.
    let Ok(SourceData::Stacks(stacks)) =
        drtui_core::ports::StatusBackend::fetch(&estate.backend, Source::Stacks(Role::Primary))
            .await
    else {
        panic!("stacks")
    };
    let api = stacks
        .iter()
        .find(|stack| stack.name == "PaymentDR-Api-primary-demo")
        .expect("api stack");
    assert_eq!(api.status, "UPDATE_ROLLBACK_COMPLETE");
    assert!(!api.is_settled());
    assert_eq!(
        api.reason.as_deref(),
        Some("The following resource(s) failed to update: [HealthMethod].")
    );
    // The fault gone, provisioning again deploys the change and completes.
    estate.backend.set_fault(Fault::StackUpdateFails, false);
    let again = play_approved(&estate, "provision", state.path()).await;
    assert_eq!(again.outcome, Outcome::Completed, "{:#?}", again.records);
}

/// An unfinished run: playback stops at the destructive change set (exit 4, nothing executed),
/// and `resume --approve` with that step's id makes the change set again and executes it.
#[test]
fn a_run_stopped_at_a_deleting_change_set_resumes_with_its_approval() {
    let state = tempfile::tempdir().expect("state");
    let runbook = state.path().join("swap.yaml");
    std::fs::write(&runbook, SWAP_DATABASE).expect("write");
    let path = runbook.display().to_string();
    let stopped = drtui(state.path(), &["run", &path, "--approve", "go"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&stopped.stdout).into_owned();
    assert_eq!(stopped.status.code(), Some(4), "{text}");
    assert!(
        text.contains("swap │ change set (update)") && text.contains("Remove GlobalCluster"),
        "{text}"
    );
    assert!(text.contains("⏸ swap waits for approval"), "{text}");
    assert!(
        read_action_log(&state.path().join("demo-actions.jsonl")).is_empty(),
        "nothing executed"
    );
    let run_id = text
        .split_whitespace()
        .find(|word| word.starts_with("swap-"))
        .expect("run id")
        .to_owned();
    let resumed = drtui(state.path(), &["resume", &run_id, "--approve", "swap"])
        .output()
        .expect("resume");
    let after = String::from_utf8_lossy(&resumed.stdout).into_owned();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{after}{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(
        after.contains("✔ swap approved by") && after.contains("(--approve swap)"),
        "{after}"
    );
    assert!(
        after.contains("GlobalCluster AWS::RDS::GlobalCluster DELETE_COMPLETE"),
        "{after}"
    );
    assert_eq!(
        read_action_log(&state.path().join("demo-actions.jsonl")).len(),
        1
    );
}

/// A crash mid-deployment: `kill -9` while the primary's API stack updates; `resume` finds the
/// change already made (an empty change set) and finishes, each stack deployed exactly once.
#[test]
fn kill_9_mid_provision_then_resume_deploys_each_stack_exactly_once() {
    let state = tempfile::tempdir().expect("state");
    let run_id = kill_9_at(state.path(), "provision", |event| {
        matches!(event, Event::StepProgress { step, detail }
            if step == "primary-api" && detail.contains("UPDATE_IN_PROGRESS"))
    });
    let resumed = drtui(state.path(), &["resume", &run_id, "--approve-all"])
        .output()
        .expect("resume");
    let text = String::from_utf8_lossy(&resumed.stdout).into_owned();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(
        text.contains("✔ primary-api: nothing to do"),
        "the in-flight deployment was not repeated:\n{text}"
    );
    let deployed: Vec<String> = read_action_log(&state.path().join("demo-actions.jsonl"))
        .iter()
        .filter(|record| record.changed)
        .filter_map(|record| match &record.mutation {
            Mutation::DeployStack { stack, .. } => Some(stack.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        deployed,
        ["PaymentDR-Api-primary-demo", "PaymentDR-Api-secondary-demo"],
        "each changed stack deployed once"
    );
}

/// `provision` promises its stacks: under every fault it either completes with every stack of
/// both regions settled, or stops at a step; a hung region's deployment times out instead of
/// waiting forever.
#[tokio::test]
async fn provision_completes_only_with_every_stack_settled_under_every_fault() {
    let mut table = Vec::new();
    for fault in std::iter::once(None).chain(Fault::ALL.into_iter().map(Some)) {
        let state = tempfile::tempdir().expect("state");
        let mut estate = DemoEstate::new(42, &[]);
        estate.pair.call_timeout = Duration::from_millis(100);
        if let Some(fault) = fault {
            estate.backend.set_fault(fault, true);
            estate.clock.advance(Duration::from_secs(60));
        }
        let played = play_approved(&estate, "provision", state.path()).await;
        let label = fault.map_or("no fault", Fault::name);
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
        for role in Role::BOTH {
            let stacks = snapshot
                .region(role)
                .stacks
                .value
                .clone()
                .unwrap_or_else(|| panic!("{label}: stacks of {role:?} never read"));
            assert!(
                stacks
                    .iter()
                    .all(drtui_core::model::StackStatus::is_settled),
                "{label} completed with {stacks:?}"
            );
        }
    }
    eprintln!("{}", table.join("\n"));
    let outcome = |name: &str| {
        table
            .iter()
            .find(|line| line.starts_with(&format!("{name}:")))
            .cloned()
            .unwrap_or_default()
    };
    assert!(outcome("no fault").ends_with("Completed"), "{table:#?}");
    assert!(
        outcome("hung-primary").contains("primary-network")
            && outcome("hung-primary").contains("timed out"),
        "{table:#?}"
    );
    assert!(
        outcome("stack-update-fails").contains("primary-api"),
        "{table:#?}"
    );
}

/// A pause (the `p` key, or SIGTERM/SIGINT in playback) while a stack updates stops following it
/// at once: CloudFormation carries on, and the resume finds the change made.
#[tokio::test]
async fn a_pause_during_a_deployment_stops_following_it_and_resume_finds_it_done() {
    use std::sync::atomic::Ordering;
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[]);
    let (_, runbook, hash) = catalog::find_with_hash("provision").expect("runbook");
    let (player, pause) = pausable(&estate, &runbook, hash, state.path());
    let flag = std::sync::Arc::clone(&pause);
    let mut records = Vec::new();
    let (run_id, outcome) = player
        .play(None, &mut |record: &journal::Record| {
            if matches!(&record.event, Event::StepProgress { step, detail }
                if step == "primary-api" && detail.contains("UPDATE_IN_PROGRESS"))
            {
                flag.store(true, Ordering::SeqCst);
            }
            records.push(record.clone());
        })
        .await
        .expect("played");
    assert_eq!(
        outcome,
        Outcome::Paused {
            step: "primary-api".to_owned()
        }
    );
    assert!(
        progress_of(&records, "primary-api")
            .last()
            .is_some_and(|line| line.starts_with("stopped following the stack")),
        "{records:#?}"
    );
    let resumable = playback::resumable(state.path(), &run_id).expect("journal");
    assert_eq!(resumable.in_flight.as_deref(), Some("primary-api"));
    pause.store(false, Ordering::SeqCst);
    let mut resumed_records = Vec::new();
    let (_, resumed) = player
        .play(Some(&resumable), &mut |record: &journal::Record| {
            resumed_records.push(record.clone());
        })
        .await
        .expect("resumed");
    assert_eq!(resumed, Outcome::Completed, "{resumed_records:#?}");
    assert_eq!(
        progress_of(&resumed_records, "primary-api"),
        ["change set (update): no changes"],
        "the change made before the pause is not made again"
    );
}

/// SIGTERM while a stack updates: the run stops following it at once (exit 143, the step left
/// in flight, the lock released) instead of waiting out the stack; resume finishes it.
#[test]
fn sigterm_during_a_deployment_stops_following_it_and_resume_finishes() {
    let state = tempfile::tempdir().expect("state");
    let (run_id, output) = run_signalled_when(state.path(), "provision", "TERM", |record, _| {
        matches!(&record.event, Event::StepProgress { step, detail }
            if step == "primary-api" && detail.contains("UPDATE_IN_PROGRESS"))
    });
    let run_id = run_id.expect("run id");
    assert_eq!(
        output.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let resumable = playback::resumable(state.path(), &run_id).expect("journal");
    assert_eq!(resumable.in_flight.as_deref(), Some("primary-api"));
    assert!(!state.path().join("locks/demo.lock").exists());
    let resumed = drtui(state.path(), &["resume", &run_id, "--approve-all"])
        .output()
        .expect("resume");
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
}
