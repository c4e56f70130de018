//! `drtui plan`: every step of a runbook with the exact API calls and parameters it would make
//! against a pair, and where it will stop for a person. No call is made and nothing locks.

use super::spec::StepKind;
use super::step::{Action, Body, OnFailure, Runbook, Step};
use crate::calls::Call;
use crate::config::RegionPair;
use crate::wire::wire_name;

/// One step as it would run against the pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedStep {
    pub id: String,
    pub title: String,
    pub kind: StepKind,
    /// The API calls, with parameters, in order: exactly those of the mutation the engine
    /// builds from the step.
    pub calls: Vec<Call>,
    /// Conditions, stops and warnings an operator should read before starting.
    pub notes: Vec<String>,
    /// The region whose control plane the step needs, when it needs one.
    pub needs_region: Option<String>,
}

/// What the run id is before there is a run: the plan names executions and change sets with it.
pub const PLANNED_RUN_ID: &str = "<run id>";

/// One step as it would run against the pair.
pub fn planned(pair: &RegionPair, step: &Step) -> PlannedStep {
    let mut notes = Vec::new();
    if let Some(when) = &step.when {
        notes.push(format!("runs only when {} holds", wire_name(&when.name())));
    }
    if let Some(unless) = &step.unless {
        notes.push(format!("skipped when {} holds", wire_name(&unless.name())));
    }
    notes.extend(kind_note(pair, step));
    let (calls, needs_region) = match step.action() {
        Some(action) => match super::evaluate::mutation(step, pair, PLANNED_RUN_ID) {
            Ok(mutation) => {
                notes.extend(action_notes(pair, action));
                (
                    mutation.calls(pair),
                    mutation.control_region(pair).map(str::to_owned),
                )
            }
            Err(why) => {
                notes.push(format!("this step fails: {why}"));
                (Vec::new(), None)
            }
        },
        None => (Vec::new(), None),
    };
    PlannedStep {
        id: step.id.clone(),
        title: step.title.clone(),
        kind: step.kind(),
        calls,
        notes,
        needs_region,
    }
}

/// What the step's kind means for the run: reads, waits, stops for a person.
fn kind_note(pair: &RegionPair, step: &Step) -> Option<String> {
    match &step.body {
        Body::Check(_) => Some(match step.on_failure {
            OnFailure::Continue => {
                "reads the live snapshot; a failure is recorded and the run goes on".to_owned()
            }
            _ => "reads the live snapshot; a failure stops the run before anything changes"
                .to_owned(),
        }),
        Body::Wait {
            interval, timeout, ..
        } => Some(format!(
            "re-reads the live snapshot every {} for at most {}",
            humantime::format_duration(*interval),
            humantime::format_duration(*timeout)
        )),
        Body::Gate { .. } => Some(format!(
            "STOPS: the approver types `{}` in the TUI, or playback passes --approve {}",
            pair.name, step.id
        )),
        Body::Manual { .. } => Some(format!(
            "STOPS: the operator confirms, or playback passes --approve {}",
            step.id
        )),
        Body::Action { .. } => None,
    }
}

/// What an operator must know of an action before approving it.
fn action_notes(pair: &RegionPair, action: &Action) -> Vec<String> {
    match action {
        Action::AuroraFailover {
            allow_data_loss: true,
            ..
        } => vec!["DATA LOSS: writes not yet replicated are lost; the gate before it shows the replication lag".to_owned()],
        Action::StartExecution => vec![format!(
            "an execution that has not ended within the step's timeout is stopped ({}), so it cannot move traffic later; the run goes on to the next step",
            crate::calls::Operation::StopExecution
        )],
        Action::DeployStack(_) => vec!["STOPS when the change set replaces or deletes a resource: the approver sees each change, or playback passes --approve with this step's id".to_owned()],
        Action::DataPlaneLever { engaged } => vec![match (&pair.traffic_lever, engaged) {
            (None, _) => "no traffic_lever configured for this pair: this step fails".to_owned(),
            (Some(_), true) => format!(
                "DATA PLANE: the alarm fails the calculated health check on {}'s record; Route 53 answers with {} without its control plane",
                pair.primary, pair.secondary
            ),
            (Some(_), false) => {
                format!("DATA PLANE: {}'s record becomes eligible again", pair.primary)
            }
        }],
        _ => Vec::new(),
    }
}

/// The plan of a runbook against a pair.
pub fn plan(runbook: &Runbook, pair: &RegionPair) -> Vec<PlannedStep> {
    runbook
        .steps
        .iter()
        .map(|step| planned(pair, step))
        .collect()
}
