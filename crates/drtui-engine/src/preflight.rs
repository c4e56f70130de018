//! Before a run's first gate: may the caller make every call the run still needs, on the
//! pair's own resources? Asked of IAM's policy simulator through the backend; a denied call
//! refuses the run before it locks or journals anything, so no one learns at the promote
//! that they lack `rds:FailoverGlobalCluster`.

use std::collections::BTreeSet;
use std::time::Duration;

use drtui_core::config::RegionPair;
use drtui_core::permissions::{self, Denial, Simulation};
use drtui_core::ports::StatusBackend;
use drtui_core::runbook::step::Runbook;

/// What the preflight found.
#[derive(Clone, Debug, PartialEq)]
pub enum Preflight {
    /// Every call the run needs is allowed.
    Allowed { principal: String, asked: usize },
    /// Some are denied: the run must not start.
    Denied {
        principal: String,
        denied: Vec<Denial>,
    },
    /// The simulation could not be made or answered: the run goes on, and says so.
    Unknown { reason: String },
}

impl Preflight {
    /// The journal's note for a run that goes on.
    pub fn note(&self) -> Option<String> {
        match self {
            Preflight::Allowed { principal, asked } => Some(format!(
                "permission preflight: {principal} may make the {asked} calls this run needs"
            )),
            Preflight::Unknown { reason } => Some(format!(
                "permission preflight unknown ({reason}): a denied call stops the run at its step"
            )),
            Preflight::Denied { .. } => None,
        }
    }
}

/// The calls `runbook` still needs on `pair` (steps in `done` aside), simulated for the
/// caller within `timeout`.
pub async fn check(
    status: &dyn StatusBackend,
    runbook: &Runbook,
    pair: &RegionPair,
    done: &BTreeSet<String>,
    timeout: Duration,
) -> Preflight {
    let requests = permissions::for_run(runbook, pair, done);
    let simulated = tokio::time::timeout(timeout, status.simulate(requests)).await;
    let permissions = match simulated {
        Ok(Ok(permissions)) => permissions,
        Ok(Err(error)) => {
            return Preflight::Unknown {
                reason: error.to_string(),
            };
        }
        Err(_) => {
            return Preflight::Unknown {
                reason: format!("the simulator did not answer within {timeout:?}"),
            };
        }
    };
    let principal = permissions
        .principal
        .clone()
        .unwrap_or_else(|| "the caller".to_owned());
    match permissions.answer {
        Simulation::Unknown { reason } => Preflight::Unknown { reason },
        Simulation::Checked { asked, denied } if denied.is_empty() => {
            Preflight::Allowed { principal, asked }
        }
        Simulation::Checked { denied, .. } => Preflight::Denied { principal, denied },
    }
}
