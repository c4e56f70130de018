//! `drtui plan` is the page an operator reads before approving: for every built-in runbook,
//! the calls it lists for the steps that changed something are exactly the calls the run made,
//! parameters and all, and the simulator counted exactly those.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failed expectation is the test failing"
)]

use std::collections::BTreeMap;

use drtui_core::calls::Operation;
use drtui_core::ports::{Mutation, StatusBackend};
use drtui_core::runbook::journal::{Event, Record, StepOutcome};
use drtui_core::runbook::plan;
use drtui_engine::catalog;
use drtui_engine::engine::Outcome;
use drtui_testkit::DemoEstate;
use drtui_testkit::runs::play_approved;

/// The steps that changed the estate, in order, with the mutation each was started with.
fn acted(records: &[Record]) -> Vec<(String, Mutation)> {
    let mut started = BTreeMap::new();
    let mut acted = Vec::new();
    for record in records {
        match &record.event {
            Event::StepStarted { step, inputs, .. } if !inputs.is_null() => {
                let mutation: Mutation =
                    serde_json::from_value(inputs.clone()).expect("a journalled mutation");
                started.insert(step.clone(), mutation);
            }
            Event::StepFinished {
                step,
                outcome: StepOutcome::Ok,
                detail,
            } if !detail.starts_with("nothing to do") => {
                if let Some(mutation) = started.remove(step) {
                    acted.push((step.clone(), mutation));
                }
            }
            _ => {}
        }
    }
    acted
}

/// How many calls that change the estate the simulator has counted, by operation.
fn counted(estate: &DemoEstate) -> BTreeMap<String, u64> {
    let counts = estate.backend.call_counts();
    Operation::ALL
        .iter()
        .filter(|operation| operation.mutates())
        .filter_map(|operation| {
            let count = counts
                .get(operation.service().sdk_name())
                .and_then(|calls| calls.get(operation.name()))
                .copied()?;
            Some((operation.to_string(), count))
        })
        .collect()
}

async fn plan_matches_the_run(name: &str) {
    let estate = DemoEstate::new(11, &[]);
    if name == "failback" {
        estate.fail_over_by_hand().await;
    }
    let before = counted(&estate);
    let (_, runbook) = catalog::find(name).expect("built in");
    let planned = plan::plan(&runbook, &estate.pair);
    let state = tempfile::tempdir().expect("state dir");
    let played = play_approved(&estate, name, state.path()).await;
    assert_eq!(played.outcome, Outcome::Completed, "{name}");
    let acted = acted(&played.records);
    assert!(!acted.is_empty(), "{name} changed nothing");
    let changes = |calls: Vec<drtui_core::calls::Call>| -> Vec<String> {
        calls
            .into_iter()
            .filter(|call| call.operation.mutates())
            .map(|call| call.to_string())
            .collect()
    };
    let promised: Vec<String> = acted
        .iter()
        .flat_map(|(step, _)| {
            let step = planned.iter().find(|p| &p.id == step).expect("planned");
            changes(step.calls.clone())
        })
        .map(|call| call.replace(plan::PLANNED_RUN_ID, &played.run_id))
        .collect();
    let made: Vec<String> = acted
        .iter()
        .flat_map(|(_, mutation)| changes(mutation.calls(&estate.pair)))
        .collect();
    assert_eq!(promised, made, "{name}: the plan and the run disagree");
    let mut by_operation: BTreeMap<String, u64> = BTreeMap::new();
    for call in &made {
        let operation = call.split_whitespace().next().unwrap_or_default();
        *by_operation.entry(operation.to_owned()).or_default() += 1;
    }
    let after = counted(&estate);
    let new: BTreeMap<String, u64> = after
        .into_iter()
        .map(|(operation, count)| {
            let was = before.get(&operation).copied().unwrap_or(0);
            (operation, count - was)
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    assert_eq!(
        new, by_operation,
        "{name}: the simulator counted other calls"
    );
}

#[tokio::test]
async fn every_built_in_runbook_makes_exactly_the_calls_its_plan_lists() {
    for (name, _) in drtui_core::runbook::builtin::BUILT_IN {
        plan_matches_the_run(name).await;
    }
}
