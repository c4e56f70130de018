//! The engine alone, against the simulator on a manual clock: what each kind of step does to
//! the journal and the estate, and what stops a run.

#![allow(
    clippy::expect_used,
    reason = "test code: a failed expectation is the test failing"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use drtui_backend::sim::{Fault, SimBackend, SimOptions};
use drtui_core::clock::{Clock, ManualClock};
use drtui_core::ports::{ActBackend, ActOutcome, BackendError, BoxFuture, Mutation};
use drtui_core::runbook::journal::{Event, Record, StepOutcome};
use drtui_core::runbook::validate;

use super::*;

const GATE: &str = "  - id: approve\n    title: Approve\n    kind: gate\n    prompt: Go?\n";
const SHIFT: &str = "  - id: shift\n    title: Shift\n    kind: action\n    action: set_weights\n    weights: { primary: 0, secondary: 100 }\n";

/// The demo simulator on a manual clock, and a counter of the mutations asked of it.
struct Fixture {
    pair: RegionPair,
    clock: Arc<ManualClock>,
    sim: SimBackend,
    acts: AtomicUsize,
}

impl Fixture {
    fn new(faults: &[Fault]) -> Self {
        let pair = RegionPair::demo();
        let clock = Arc::new(ManualClock::new(
            chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("a time"),
        ));
        let options = SimOptions {
            scenario: faults.to_vec(),
            latency: false,
            ..SimOptions::default()
        };
        let sim = SimBackend::new(&pair, Arc::clone(&clock) as Arc<dyn Clock>, &options);
        Self {
            pair,
            clock,
            sim,
            acts: AtomicUsize::new(0),
        }
    }
}

impl ActBackend for Fixture {
    fn act(&self, mutation: &Mutation) -> BoxFuture<'_, Result<ActOutcome, BackendError>> {
        self.acts.fetch_add(1, Ordering::SeqCst);
        self.sim.act(mutation)
    }
}

fn runbook_of(steps: &str) -> Runbook {
    validate::load(
        &format!("name: t\ndescription: t\nsteps:\n{steps}"),
        "t.yaml",
    )
    .expect("a valid runbook")
}

fn engine<'a>(fixture: &'a Fixture, runbook: &'a Runbook, approvals: Approvals) -> Engine<'a> {
    Engine {
        pair: &fixture.pair,
        runbook,
        status: &fixture.sim,
        act: fixture,
        clock: fixture.clock.as_ref(),
        operator: "tester".to_owned(),
        approvals,
        read_only: false,
        gatekeeper: None,
        pause: None,
    }
}

fn all() -> Approvals {
    Approvals {
        all: true,
        ids: BTreeSet::new(),
    }
}

/// Runs the engine to its outcome; the journal it wrote, in order.
async fn run(engine: &Engine<'_>) -> (Outcome, Vec<Record>) {
    let state = tempfile::tempdir().expect("state");
    let mut journal = Journal::open(state.path(), "run-1").expect("journal");
    let mut records = Vec::new();
    let outcome = engine
        .run(&mut journal, "run-1", &BTreeSet::new(), &mut |record| {
            records.push(record.clone());
        })
        .await
        .expect("the journal takes every record");
    (outcome, records)
}

fn finished(records: &[Record], step: &str) -> Option<(StepOutcome, String)> {
    records.iter().find_map(|record| match &record.event {
        Event::StepFinished {
            step: id,
            outcome,
            detail,
        } if id == step => Some((*outcome, detail.clone())),
        _ => None,
    })
}

#[tokio::test]
async fn an_unapproved_gate_blocks_before_anything_changes() {
    let fixture = Fixture::new(&[]);
    let runbook = runbook_of(&format!("{GATE}{SHIFT}"));
    let (outcome, records) = run(&engine(&fixture, &runbook, Approvals::default())).await;
    assert_eq!(
        outcome,
        Outcome::Blocked {
            step: "approve".to_owned()
        }
    );
    assert_eq!(fixture.acts.load(Ordering::SeqCst), 0);
    assert!(
        records.iter().any(
            |record| matches!(&record.event, Event::GateBlocked { step } if step == "approve")
        )
    );
}

#[tokio::test]
async fn an_approved_action_is_journalled_with_the_mutation_it_asked_for() {
    let fixture = Fixture::new(&[]);
    let runbook = runbook_of(&format!("{GATE}{SHIFT}"));
    let (outcome, records) = run(&engine(&fixture, &runbook, all())).await;
    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(fixture.acts.load(Ordering::SeqCst), 1);
    let inputs = records.iter().find_map(|record| match &record.event {
        Event::StepStarted { step, inputs, .. } if step == "shift" => Some(inputs.clone()),
        _ => None,
    });
    assert_eq!(
        inputs,
        Some(serde_json::json!({"mutation": "set_weights", "primary": 0, "secondary": 100}))
    );
    let (approved, detail) = finished(&records, "approve").expect("approved");
    assert_eq!(approved, StepOutcome::Ok);
    assert!(detail.starts_with("approved; data at risk"), "{detail}");
}

#[tokio::test]
async fn read_only_refuses_the_action_without_asking_the_backend() {
    let fixture = Fixture::new(&[]);
    let runbook = runbook_of(&format!("{GATE}{SHIFT}"));
    let mut engine = engine(&fixture, &runbook, all());
    engine.read_only = true;
    let (outcome, _) = run(&engine).await;
    assert!(
        matches!(&outcome, Outcome::Failed { step, reason, kind: FailureKind::Step }
            if step == "shift" && reason.contains("--read-only")),
        "{outcome:?}"
    );
    assert_eq!(fixture.acts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_failed_check_continues_or_runs_its_rollback_as_the_step_says() {
    let fixture = Fixture::new(&[]);
    // The writer is in the primary: writer_in secondary fails.
    let failing = "  - id: moved\n    title: Moved\n    kind: check\n    check: writer_in\n    region: secondary\n";
    let runbook = runbook_of(&format!(
        "{failing}    on_failure: continue\n  - id: fresh\n    title: Fresh\n    kind: check\n    check: data_fresh\n"
    ));
    let (outcome, records) = run(&engine(&fixture, &runbook, all())).await;
    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(
        finished(&records, "moved").map(|(outcome, _)| outcome),
        Some(StepOutcome::Failed)
    );
    let restore = "  - id: restore\n    title: Restore\n    kind: action\n    action: set_weights\n    weights: { primary: 100, secondary: 0 }\n";
    let runbook = runbook_of(&format!(
        "{GATE}{SHIFT}{failing}    on_failure: !rollback [restore]\n{restore}"
    ));
    let (outcome, records) = run(&engine(&fixture, &runbook, all())).await;
    assert!(
        matches!(&outcome, Outcome::Failed { step, .. } if step == "moved"),
        "{outcome:?}"
    );
    // The rollback ran (weights back), and only as the rollback: once.
    let restored: Vec<_> = records
        .iter()
        .filter(
            |record| matches!(&record.event, Event::StepStarted { step, .. } if step == "restore"),
        )
        .collect();
    assert_eq!(restored.len(), 1);
    assert_eq!(
        fixture.acts.load(Ordering::SeqCst),
        2,
        "shift, then restore"
    );
}

#[tokio::test]
async fn a_wait_that_never_holds_fails_at_its_timeout_saying_what_it_saw() {
    let fixture = Fixture::new(&[]);
    let runbook = runbook_of(
        "  - id: writer\n    title: Writer\n    kind: wait\n    check: writer_in\n    region: secondary\n    interval: 5s\n    timeout: 30s\n",
    );
    let began = fixture.clock.now();
    let (outcome, records) = run(&engine(&fixture, &runbook, all())).await;
    assert!(matches!(outcome, Outcome::Failed { .. }), "{outcome:?}");
    let (_, detail) = finished(&records, "writer").expect("finished");
    assert_eq!(detail, "still not true after 30s: writer is in us-east-1");
    assert!(drtui_core::clock::elapsed(began, fixture.clock.now()) >= Duration::from_secs(30));
}

#[tokio::test]
async fn a_pause_stops_the_run_before_its_next_step() {
    let fixture = Fixture::new(&[]);
    let runbook = runbook_of(&format!("{GATE}{SHIFT}"));
    let mut engine = engine(&fixture, &runbook, all());
    engine.pause = Some(Arc::new(AtomicBool::new(true)));
    let (outcome, records) = run(&engine).await;
    assert_eq!(
        outcome,
        Outcome::Paused {
            step: "approve".to_owned()
        }
    );
    assert!(
        records
            .iter()
            .all(|record| !matches!(record.event, Event::StepStarted { .. }))
    );
}

#[tokio::test]
async fn the_gate_asks_with_exactly_the_calls_approving_lets_run() {
    let fixture = Fixture::new(&[]);
    let runbook = runbook_of(&format!("{GATE}{SHIFT}"));
    let (sender, mut requests) = tokio::sync::mpsc::channel(1);
    let mut engine = engine(&fixture, &runbook, Approvals::default());
    engine.gatekeeper = Some(sender);
    let answer = async {
        let request: GateRequest = requests.recv().await.expect("asked");
        let question = request.question.clone();
        let _ = request.reply.send(true);
        question
    };
    let ((outcome, _), question) = tokio::join!(run(&engine), answer);
    assert_eq!(outcome, Outcome::Completed);
    let expected: Vec<String> = std::iter::once("Shift".to_owned())
        .chain(
            Mutation::SetWeights {
                primary: 0,
                secondary: 100,
            }
            .calls(&fixture.pair)
            .iter()
            .map(|call| format!("  {call}")),
        )
        .collect();
    assert_eq!(question.next, expected);
    assert_eq!(question.prompt, "Go?");
}

#[tokio::test]
async fn credentials_that_fail_stop_the_step_as_a_credentials_failure() {
    struct Refused;
    impl drtui_core::ports::StatusBackend for Refused {
        fn fetch(
            &self,
            _source: drtui_core::model::Source,
        ) -> BoxFuture<'_, Result<drtui_core::model::SourceData, BackendError>> {
            Box::pin(async {
                Err(BackendError::Credentials(
                    "ExpiredToken: expired".to_owned(),
                ))
            })
        }
        fn describe(&self) -> String {
            "refuses every call".to_owned()
        }
        fn call_counts(&self) -> drtui_core::model::CallCounts {
            drtui_core::model::CallCounts::default()
        }
    }
    let fixture = Fixture::new(&[]);
    let runbook = runbook_of(&format!("{GATE}{SHIFT}"));
    let mut engine = engine(&fixture, &runbook, all());
    engine.status = &Refused;
    let (outcome, _) = run(&engine).await;
    assert!(
        matches!(&outcome, Outcome::Failed { step, kind: FailureKind::Credentials, reason }
            if step == "approve" && reason.starts_with("AWS credentials: ExpiredToken")),
        "{outcome:?}"
    );
    assert_eq!(fixture.acts.load(Ordering::SeqCst), 0);
}
