//! Runbooks played against the `demo` simulator: every built-in end to end, healthy and with
//! faults, gates that stop, read-only that refuses, and a `kill -9` mid-failover followed by
//! `resume` that performs each mutating action exactly once.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use drtui_backend::sim::{Fault, FaultControl, read_action_log};
use drtui_core::model::{Role, Source, SourceData};
use drtui_core::ports::{ActBackend, Mutation, ReadOnly};
use drtui_core::runbook::catalog;
use drtui_core::runbook::journal::{self, Event, StepOutcome};
use drtui_engine::engine::{Approvals, Engine, Outcome};
use drtui_engine::playback::{self, Playback};
use drtui_testkit::DemoEstate;

struct Played {
    outcome: Outcome,
    run_id: String,
    records: Vec<journal::Record>,
}

/// The run of `runbook` on the demo estate, not yet started.
fn playback<'a>(
    estate: &'a DemoEstate,
    runbook: &'a drtui_core::runbook::step::Runbook,
    hash: String,
    approvals: Approvals,
    read_only: bool,
    act: &'a dyn ActBackend,
    state: &std::path::Path,
) -> Playback<'a> {
    Playback {
        engine: Engine {
            pair: &estate.pair,
            runbook,
            status: &estate.backend,
            act,
            clock: estate.clock.as_ref(),
            operator: "tester@test".to_owned(),
            approvals,
            read_only,
            gatekeeper: None,
            pause: None,
        },
        runbook_hash: hash,
        state: state.to_path_buf(),
        remote_lock: None,
    }
}

async fn play(
    estate: &DemoEstate,
    runbook: &str,
    approvals: Approvals,
    read_only: bool,
    act: &dyn ActBackend,
    state: &std::path::Path,
) -> Played {
    let (_, runbook, hash) = catalog::find_with_hash(runbook).expect("runbook");
    let player = playback(estate, &runbook, hash, approvals, read_only, act, state);
    let mut records = Vec::new();
    let (run_id, outcome) = player
        .play(None, &mut |record| records.push(record.clone()))
        .await
        .expect("played");
    Played {
        outcome,
        run_id,
        records,
    }
}

fn all() -> Approvals {
    Approvals {
        all: true,
        ids: BTreeSet::new(),
    }
}

async fn writer(estate: &DemoEstate) -> Option<String> {
    match drtui_core::ports::StatusBackend::fetch(&estate.backend, Source::GlobalCluster).await {
        Ok(SourceData::GlobalCluster(global)) => global.writer_region().map(str::to_owned),
        _ => None,
    }
}

async fn weights(estate: &DemoEstate) -> (Option<u64>, Option<u64>) {
    match drtui_core::ports::StatusBackend::fetch(&estate.backend, Source::Dns).await {
        Ok(SourceData::Dns(dns)) => (dns.weights["us-east-1"], dns.weights["us-east-2"]),
        _ => (None, None),
    }
}

/// The steps that finished ok, in order.
fn finished_ok(records: &[journal::Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|record| match &record.event {
            Event::StepFinished {
                step,
                outcome: StepOutcome::Ok,
                ..
            } => Some(step.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn switchover_then_failback_end_to_end() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[]);
    let played = play(
        &estate,
        "switchover",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
    assert_eq!(played.outcome, Outcome::Completed, "{:#?}", played.records);
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-2"));
    assert_eq!(weights(&estate).await, (Some(0), Some(100)));
    assert!(
        !finished_ok(&played.records).contains(&"restore-traffic".to_owned()),
        "rollback-only steps stay out of the normal flow"
    );
    // The old primary catches up, then failback returns everything.
    estate.clock.advance(Duration::from_secs(30));
    let back = play(
        &estate,
        "failback",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
    assert_eq!(back.outcome, Outcome::Completed, "{:#?}", back.records);
    assert_eq!(writer(&estate).await.as_deref(), Some("us-east-1"));
    assert_eq!(weights(&estate).await, (Some(100), Some(0)));
}

#[tokio::test]
async fn failover_during_a_primary_outage_records_the_data_at_risk() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[Fault::PrimaryOutage]);
    let played = play(
        &estate,
        "failover",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
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
    let played = play(
        &estate,
        "drill",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
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
    let played = play(
        &estate,
        "switchover",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
    match &played.outcome {
        Outcome::Failed { step, reason } => {
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
    let played = play(
        &estate,
        "failover",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
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

#[test]
fn a_second_operator_is_refused_by_name_while_a_run_holds_the_pair() {
    let state = tempfile::tempdir().expect("state");
    let holder =
        |run: &str| drtui_engine::lock::this_process(run, &format!("{run}@host"), "now".to_owned());
    let first = drtui_engine::lock::acquire(state.path(), "demo", holder("alice")).expect("first");
    let refused =
        drtui_engine::lock::acquire(state.path(), "demo", holder("bob")).expect_err("refused");
    assert!(
        refused
            .to_string()
            .contains("locked by run alice of alice@host"),
        "{refused}"
    );
    drop(first);
    assert!(
        drtui_engine::lock::acquire(state.path(), "demo", holder("bob")).is_ok(),
        "released on drop"
    );
}

/// The binary, with its own state dir and the demo world 10x faster.
fn drtui(state: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_drtui"));
    command
        .args(args)
        .env("DRTUI_STATE_DIR", state)
        .env("DRTUI_DEMO_SPEED", "10")
        .env_remove("DRTUI_CONFIG")
        .stdin(Stdio::null());
    command
}

/// Starts `drtui run RUNBOOK --approve-all` and kills it (SIGKILL) as soon as it journals an
/// event `at` matches; returns the run id.
fn kill_9_at(state: &std::path::Path, runbook: &str, at: impl Fn(&Event) -> bool) -> String {
    run_signalled_when(state, runbook, "KILL", |record, _| at(&record.event))
        .0
        .expect("a run id")
}

#[test]
fn kill_9_mid_failover_then_resume_performs_each_action_exactly_once() {
    let state = tempfile::tempdir().expect("state");
    // Kill it while it waits for the writer to move, right after the promote was issued.
    let run_id = kill_9_at(
        state.path(),
        "failover",
        |event| matches!(event, Event::StepStarted { step, .. } if step == "wait-writer"),
    );
    let resumed = drtui(state.path(), &["resume", &run_id, "--approve-all"])
        .output()
        .expect("resume");
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&resumed.stdout),
        String::from_utf8_lossy(&resumed.stderr)
    );
    let actions = read_action_log(&state.path().join("demo-actions.jsonl"));
    let performed = |kind: &str| {
        actions
            .iter()
            .filter(|record| {
                record.changed
                    && serde_json::to_value(&record.mutation).expect("json")["mutation"] == kind
            })
            .count()
    };
    assert_eq!(performed("aurora_failover"), 1, "{actions:#?}");
    assert_eq!(performed("start_execution"), 1, "{actions:#?}");
    let listed = String::from_utf8_lossy(
        &drtui(state.path(), &["runs", "list"])
            .output()
            .expect("list")
            .stdout,
    )
    .into_owned();
    assert!(
        listed
            .lines()
            .any(|line| line.starts_with(&run_id) && line.contains("completed")),
        "{listed}"
    );
    let shown = drtui(state.path(), &["runs", "show", &run_id, "--markdown"])
        .output()
        .expect("show");
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("| promote-secondary | action | ok |") && text.contains("active time (RTO)"),
        "{text}"
    );
}

#[test]
fn gate_refusal_in_playback_exits_4_and_says_how_to_continue() {
    let state = tempfile::tempdir().expect("state");
    let output = drtui(state.path(), &["run", "failover", "--approve", "announce"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--approve confirm-primary-serving")
            && stderr.contains("drtui resume failover-"),
        "{stderr}"
    );
    assert!(
        read_action_log(&state.path().join("demo-actions.jsonl")).is_empty(),
        "nothing changed"
    );
}

#[test]
fn a_failed_step_is_retried_on_resume_or_skipped_with_a_recorded_reason() {
    let state = tempfile::tempdir().expect("state");
    let failed = drtui(
        state.path(),
        &[
            "run",
            "failover",
            "--approve-all",
            "--scenario",
            "secondary-degraded",
        ],
    )
    .output()
    .expect("run");
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    let listed = String::from_utf8_lossy(
        &drtui(state.path(), &["runs", "list"])
            .output()
            .expect("list")
            .stdout,
    )
    .into_owned();
    let run_id = listed
        .lines()
        .nth(1)
        .and_then(|line| line.split_whitespace().next())
        .expect("a run")
        .to_owned();
    // Retrying while the cause persists fails the same way.
    let retried = drtui(
        state.path(),
        &[
            "resume",
            &run_id,
            "--approve-all",
            "--scenario",
            "secondary-degraded",
        ],
    )
    .output()
    .expect("resume");
    assert_eq!(retried.status.code(), Some(1));
    let skip = drtui(
        state.path(),
        &[
            "resume",
            &run_id,
            "--approve-all",
            "--skip",
            "secondary-healthy",
        ],
    )
    .output()
    .expect("resume");
    assert_eq!(skip.status.code(), Some(2), "--skip needs --reason");
    let skipped = drtui(
        state.path(),
        &[
            "resume",
            &run_id,
            "--approve-all",
            "--skip",
            "secondary-healthy",
            "--reason",
            "checked the endpoint by hand",
        ],
    )
    .output()
    .expect("resume");
    assert_eq!(
        skipped.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&skipped.stderr)
    );
    let shown = String::from_utf8_lossy(
        &drtui(state.path(), &["runs", "show", &run_id])
            .output()
            .expect("show")
            .stdout,
    )
    .into_owned();
    assert!(
        shown.contains("skipped") && shown.contains("checked the endpoint by hand"),
        "{shown}"
    );
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
    let played = play(
        &estate,
        "failover",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
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

/// A run of `runbook` with every gate approved and a pause flag the test sets.
fn pausable<'a>(
    estate: &'a DemoEstate,
    runbook: &'a drtui_core::runbook::step::Runbook,
    hash: String,
    state: &std::path::Path,
) -> (Playback<'a>, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let pause = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut player = playback(estate, runbook, hash, all(), false, &estate.backend, state);
    player.engine.pause = Some(std::sync::Arc::clone(&pause));
    (player, pause)
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

#[test]
fn a_typo_in_approve_and_read_only_are_refused_before_anything_runs() {
    let state = tempfile::tempdir().expect("state");
    let output = drtui(state.path(), &["run", "failover", "--approve", "anounce"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--approve anounce")
            && stderr.contains("announce, confirm-primary-serving, approve-promote"),
        "{stderr}"
    );
    let output = drtui(
        state.path(),
        &["--read-only", "run", "switchover", "--approve-all"],
    )
    .output()
    .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--read-only refuses runbook `switchover`")
            && stderr.contains("switchover-writer"),
        "{stderr}"
    );
    assert!(
        drtui_engine::journal_file::list(state.path()).is_empty(),
        "nothing journalled: {:?}",
        drtui_engine::journal_file::list(state.path())
    );
}

#[tokio::test]
async fn resume_is_a_fresh_decision_checks_again_and_asks_again_after_a_failure() {
    let state = tempfile::tempdir().expect("state");
    let estate = DemoEstate::new(42, &[Fault::PrimaryOutage]);
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
            let played = play(&estate, name, all(), false, &estate.backend, state.path()).await;
            let label = format!("{name} under {}", fault.map_or("no fault", Fault::name));
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

/// Eight operators start the same failover at the same instant on one machine: exactly one
/// acts, every other is refused by name with exit 5, and the demo estate saw one promote.
#[test]
fn simultaneous_starts_on_one_machine_let_exactly_one_act() {
    let state = tempfile::tempdir().expect("state");
    let children: Vec<_> = (0..8)
        .map(|_| {
            drtui(
                state.path(),
                &[
                    "run",
                    "failover",
                    "--scenario",
                    "primary-outage",
                    "--approve-all",
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|child| child.wait_with_output().expect("wait"))
        .collect();
    let codes: Vec<Option<i32>> = outputs.iter().map(|output| output.status.code()).collect();
    assert_eq!(
        codes.iter().filter(|code| **code == Some(0)).count(),
        1,
        "{codes:?}"
    );
    for output in outputs
        .iter()
        .filter(|output| output.status.code() != Some(0))
    {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(5), "{stderr}");
        assert!(stderr.contains("is locked by run failover-"), "{stderr}");
    }
    let promotes = read_action_log(&state.path().join("demo-actions.jsonl"))
        .iter()
        .filter(|record| matches!(record.mutation, Mutation::AuroraFailover { .. }))
        .count();
    assert_eq!(promotes, 1);
}

/// SIGTERM, SIGINT or SIGHUP while a failover waits for the writer: the run stops at the next
/// safe point, releases the lock, says how to resume, exits 128 + the signal; the resume then
/// finishes with each action done exactly once.
#[test]
fn a_signal_stops_the_run_at_a_safe_point_and_resume_finishes_it() {
    for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let state = tempfile::tempdir().expect("state");
        let (run_id, output) = run_signalled_when(
            state.path(),
            "failover",
            signal,
            |record, _| matches!(&record.event, Event::StepStarted { step, .. } if step == "wait-writer"),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        let run_id = run_id.expect("run id");
        assert_eq!(output.status.code(), Some(code), "SIG{signal}: {stderr}");
        assert!(
            stderr.contains("stopped the run at a safe point")
                && stderr.contains(&format!("drtui resume {run_id}")),
            "SIG{signal}: {stderr}"
        );
        assert!(
            !state.path().join("locks/demo.lock").exists(),
            "SIG{signal}: the lock is released"
        );
        let resumed = drtui(state.path(), &["resume", &run_id, "--approve-all"])
            .output()
            .expect("resume");
        assert_eq!(
            resumed.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&resumed.stderr)
        );
        let actions = read_action_log(&state.path().join("demo-actions.jsonl"));
        let promotes = actions
            .iter()
            .filter(|record| {
                matches!(record.mutation, Mutation::AuroraFailover { .. }) && record.changed
            })
            .count();
        assert_eq!(promotes, 1, "SIG{signal}");
    }
}

/// The demo world cannot write down an action (here its log is a directory; a full disk does
/// the same): the action is undone and refused, the run stops failed with exit 1, and nothing
/// claims the writer moved.
#[test]
fn an_action_that_cannot_be_recorded_is_not_taken() {
    let state = tempfile::tempdir().expect("state");
    std::fs::create_dir_all(state.path().join("demo-actions.jsonl")).expect("block the log");
    let output = drtui(
        state.path(),
        &[
            "run",
            "failover",
            "--scenario",
            "primary-outage",
            "--approve-all",
        ],
    )
    .output()
    .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("failed at `promote-secondary`")
            && stderr.contains("cannot record the demo action"),
        "{stderr}"
    );
    let status = drtui(state.path(), &["status", "--format", "json"])
        .output()
        .expect("status");
    let report: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(report["global_cluster"]["writer_region"], "us-east-1");
}

/// SIGKILL and SIGTERM at every step of a failover (13 steps, the final postcondition check
/// included), each followed by `resume`: the run completes and the promote and the state
/// machine execution each happened exactly once.
#[test]
fn a_kill_or_term_at_every_step_of_failover_then_resume_acts_exactly_once() {
    let trials: Vec<(usize, &str)> = (0..13)
        .flat_map(|step| [(step, "KILL"), (step, "TERM")])
        .collect();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = trials
            .iter()
            .map(|&(step, signal)| scope.spawn(move || kill_at_step_then_resume(step, signal)))
            .collect();
        handles
            .into_iter()
            .filter_map(|handle| handle.join().expect("trial").err())
            .collect()
    });
    assert!(failures.is_empty(), "{failures:#?}");
}

fn kill_at_step_then_resume(step: usize, signal: &str) -> Result<(), String> {
    let state = tempfile::tempdir().expect("state");
    let (run_id, _) = run_signalled_when(state.path(), "failover", signal, |record, started| {
        matches!(record.event, Event::StepStarted { .. }) && started == step
    });
    let run_id = run_id.ok_or("no run id")?;
    let resumed = drtui(state.path(), &["resume", &run_id, "--approve-all"])
        .output()
        .expect("resume");
    let label = format!("SIG{signal} at step {step}");
    if resumed.status.code() != Some(0) {
        return Err(format!(
            "{label}: resume exit {:?}: {}",
            resumed.status.code(),
            String::from_utf8_lossy(&resumed.stderr)
        ));
    }
    let actions = read_action_log(&state.path().join("demo-actions.jsonl"));
    let changed = |wanted: fn(&Mutation) -> bool| {
        actions
            .iter()
            .filter(|record| record.changed && wanted(&record.mutation))
            .count()
    };
    let promotes = changed(|mutation| matches!(mutation, Mutation::AuroraFailover { .. }));
    let executions = changed(|mutation| matches!(mutation, Mutation::StartExecution { .. }));
    if (promotes, executions) != (1, 1) {
        return Err(format!(
            "{label}: {promotes} promotes and {executions} executions"
        ));
    }
    Ok(())
}

/// A state directory that cannot be written is an I/O failure (exit 1, saying which path),
/// never "another run holds the lock" (exit 5); nothing is done to the estate.
#[test]
fn an_unwritable_state_dir_is_an_io_error_not_a_lock_refusal() {
    let dir = tempfile::tempdir().expect("dir");
    let not_a_dir = dir.path().join("state");
    std::fs::write(&not_a_dir, "a file where the state dir should be").expect("file");
    let output = drtui(&not_a_dir, &["run", "switchover", "--approve-all"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write the lock"), "{stderr}");
    assert!(!stderr.contains("is locked by"), "{stderr}");
}

/// `drtui run … --format json | head -1`: the reader goes away after one line; the run goes
/// on to its end and its journal says so (no panic, no half-done run).
#[test]
fn a_closed_stdout_never_stops_a_run() {
    let state = tempfile::tempdir().expect("state");
    let mut child = drtui(
        state.path(),
        &["run", "switchover", "--approve-all", "--format", "json"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("run");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("one line");
    // The reader is dropped here: stdout is closed.
    let output = child.wait_with_output().expect("wait");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let record: journal::Record = serde_json::from_str(&first).expect("a record");
    let replay = drtui_engine::journal_file::read(
        &drtui_engine::journal_file::journal_path(state.path(), &record.run_id).expect("path"),
    )
    .expect("journal");
    assert!(replay.records.iter().any(|record| matches!(
        &record.event,
        Event::RunFinished {
            outcome: journal::RunOutcomeKind::Completed,
            ..
        }
    )));
}

/// Starts `drtui run failover --approve-all --format json`, reads its journal records until
/// `stop(record, steps started before it)` holds, sends `signal` (`KILL`, `TERM`, …) and waits.
/// Returns the run id and the process's output.
fn run_signalled_when(
    state: &std::path::Path,
    runbook: &str,
    signal: &str,
    stop: impl Fn(&journal::Record, usize) -> bool,
) -> (Option<String>, std::process::Output) {
    let mut child = drtui(
        state,
        &["run", runbook, "--approve-all", "--format", "json"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("run");
    let stdout = child.stdout.take().expect("stdout");
    let mut run_id = None;
    let mut started = 0;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let record: journal::Record = serde_json::from_str(&line).expect("a record per line");
        run_id = Some(record.run_id.clone());
        if stop(&record, started) {
            break;
        }
        if matches!(record.event, Event::StepStarted { .. }) {
            started += 1;
        }
    }
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status();
    (run_id, child.wait_with_output().expect("wait"))
}

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
    let first = play(
        &estate,
        "provision",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
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
    let second = play(
        &estate,
        "provision",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
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
    let played = play(
        &estate,
        "provision",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
    let Outcome::Failed { step, reason } = &played.outcome else {
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
    let played = play(
        &estate,
        "provision",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
    let Outcome::Failed { step, reason } = &played.outcome else {
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
    let again = play(
        &estate,
        "provision",
        all(),
        false,
        &estate.backend,
        state.path(),
    )
    .await;
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
        let played = play(
            &estate,
            "provision",
            all(),
            false,
            &estate.backend,
            state.path(),
        )
        .await;
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
