//! A runbook as it runs: what `validate` makes of a file. Each step carries exactly the fields
//! its kind needs, typed, with durations and parameters resolved, so `plan`, the engine, the
//! simulator and the AWS backend read one value and none of them invents a default.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::spec::{ActionName, CheckName, Mode, StepKind, Weights};
use crate::model::Role;

/// A validated runbook.
#[derive(Clone, Debug, PartialEq)]
pub struct Runbook {
    pub name: String,
    pub description: String,
    pub mode: Mode,
    pub steps: Vec<Step>,
    /// The file it was loaded from when named by path (not a built-in or the user's
    /// directory): recorded in the journal so `resume` finds it again by path.
    pub source: Option<PathBuf>,
}

/// One validated step.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// Run the step only when this check holds.
    pub when: Option<Check>,
    /// Skip the step when this check holds.
    pub unless: Option<Check>,
    pub on_failure: OnFailure,
    pub body: Body,
}

/// What a failed step does to the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum OnFailure {
    #[default]
    Stop,
    /// Record the failure and go on: a later step covers for this one.
    Continue,
    /// Run these steps (by id), in order, then stop.
    Rollback(Vec<String>),
}

/// What a step does, by kind, with what that kind needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Check(Check),
    Wait {
        check: Check,
        interval: Duration,
        timeout: Duration,
    },
    Gate {
        prompt: String,
    },
    Manual {
        instruction: String,
    },
    Action {
        action: Action,
        timeout: Duration,
    },
}

/// A named check with what it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    SecondaryClusterAvailable,
    ClusterAvailable(Role),
    RegionServing(Role),
    EngineVersionsMatch,
    SwitchoverPossible,
    TrafficIn(Role),
    ServingFrom(Role),
    WriterIn(Role),
    LagBelow(Duration),
    HealthCheckHealthy(Role),
    AlarmsQuiet(Role),
    StacksComplete(Role),
    WeightsEqual(Weights),
    PrimaryHealthy,
    DataFresh,
    StateMachinePresent,
    NoFailoverInProgress,
    StoresReplicateBack,
    EstateReady,
}

/// A change to the estate, with exactly what it changes. Bound to a pair and a run it becomes
/// a [`crate::ports::Mutation`] (names resolved), whose calls the plan shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    SetWeights(Weights),
    AuroraSwitchover { target: Role },
    AuroraFailover { target: Role, allow_data_loss: bool },
    StartExecution,
    DeployStack(Deploy),
    AlarmActions { role: Role, enabled: bool },
    DataPlaneLever { engaged: bool },
}

/// A `deploy_stack` action: which of the pair's stacks, from which template, with which
/// parameters (placeholders checked; the pair's values are filled in when bound).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deploy {
    pub role: Role,
    /// A word of the stack's name (`Vpc` finds `PaymentDR-Vpc-primary-demo`).
    pub stack: String,
    /// A file under assets/.
    pub template: String,
    pub parameters: BTreeMap<String, String>,
}

impl Check {
    /// The catalogue name, as runbook files and journals spell it.
    pub fn name(&self) -> CheckName {
        match self {
            Check::SecondaryClusterAvailable => CheckName::SecondaryClusterAvailable,
            Check::ClusterAvailable(_) => CheckName::ClusterAvailable,
            Check::RegionServing(_) => CheckName::RegionServing,
            Check::EngineVersionsMatch => CheckName::EngineVersionsMatch,
            Check::SwitchoverPossible => CheckName::SwitchoverPossible,
            Check::TrafficIn(_) => CheckName::TrafficIn,
            Check::ServingFrom(_) => CheckName::ServingFrom,
            Check::WriterIn(_) => CheckName::WriterIn,
            Check::LagBelow(_) => CheckName::LagBelow,
            Check::HealthCheckHealthy(_) => CheckName::HealthCheckHealthy,
            Check::AlarmsQuiet(_) => CheckName::AlarmsQuiet,
            Check::StacksComplete(_) => CheckName::StacksComplete,
            Check::WeightsEqual(_) => CheckName::WeightsEqual,
            Check::PrimaryHealthy => CheckName::PrimaryHealthy,
            Check::DataFresh => CheckName::DataFresh,
            Check::StoresReplicateBack => CheckName::StoresReplicateBack,
            Check::StateMachinePresent => CheckName::StateMachinePresent,
            Check::NoFailoverInProgress => CheckName::NoFailoverInProgress,
            Check::EstateReady => CheckName::EstateReady,
        }
    }
}

impl Check {
    /// The side the check is about, for checks about one side.
    pub fn side(&self) -> Option<Role> {
        match *self {
            Check::ClusterAvailable(role)
            | Check::RegionServing(role)
            | Check::TrafficIn(role)
            | Check::ServingFrom(role)
            | Check::WriterIn(role)
            | Check::HealthCheckHealthy(role)
            | Check::AlarmsQuiet(role)
            | Check::StacksComplete(role) => Some(role),
            _ => None,
        }
    }
}

impl Action {
    /// The catalogue name, as runbook files spell it.
    pub fn name(&self) -> ActionName {
        match self {
            Action::SetWeights(_) => ActionName::SetWeights,
            Action::AuroraSwitchover { .. } => ActionName::AuroraSwitchover,
            Action::AuroraFailover { .. } => ActionName::AuroraFailover,
            Action::StartExecution => ActionName::StartExecution,
            Action::DeployStack(_) => ActionName::DeployStack,
            Action::AlarmActions { .. } => ActionName::AlarmActions,
            Action::DataPlaneLever { .. } => ActionName::DataPlaneLever,
        }
    }

    /// The side the writer moves to, for actions that move it.
    pub(crate) fn writer_target(&self) -> Option<Role> {
        match self {
            Action::AuroraSwitchover { target } | Action::AuroraFailover { target, .. } => {
                Some(*target)
            }
            _ => None,
        }
    }

    /// Whether it can lose data (an unplanned promote that allows it).
    pub fn loses_data(&self) -> bool {
        matches!(
            self,
            Action::AuroraFailover {
                allow_data_loss: true,
                ..
            }
        )
    }
}

impl Step {
    pub fn kind(&self) -> StepKind {
        match self.body {
            Body::Check(_) => StepKind::Check,
            Body::Wait { .. } => StepKind::Wait,
            Body::Gate { .. } => StepKind::Gate,
            Body::Manual { .. } => StepKind::Manual,
            Body::Action { .. } => StepKind::Action,
        }
    }

    /// The action, for action steps.
    pub fn action(&self) -> Option<&Action> {
        match &self.body {
            Body::Action { action, .. } => Some(action),
            _ => None,
        }
    }

    /// The deployment, for `deploy_stack` steps.
    pub fn deployment(&self) -> Option<&Deploy> {
        match self.action() {
            Some(Action::DeployStack(deploy)) => Some(deploy),
            _ => None,
        }
    }

    /// Whether running this step changes the estate.
    pub fn mutates(&self) -> bool {
        self.action().is_some()
    }

    /// Whether this step deploys a stack (`deploy_stack`).
    pub fn deploys(&self) -> bool {
        self.deployment().is_some()
    }

    /// Whether this step can lose data (an unplanned promote that allows it).
    pub fn loses_data(&self) -> bool {
        self.action().is_some_and(Action::loses_data)
    }

    /// Whether a person must approve it (a gate or a manual step).
    pub(crate) fn stops_for_a_person(&self) -> bool {
        matches!(self.body, Body::Gate { .. } | Body::Manual { .. })
    }

    /// What a gate asks, or what a manual step tells the operator to do.
    pub fn question(&self) -> Option<&str> {
        match &self.body {
            Body::Gate { prompt } => Some(prompt),
            Body::Manual { instruction } => Some(instruction),
            _ => None,
        }
    }
}

impl Runbook {
    /// The side the writer ends up in: the target of the last writer move, if any.
    pub fn destination(&self) -> Option<Role> {
        self.steps
            .iter()
            .rev()
            .find_map(|step| step.action().and_then(Action::writer_target))
    }

    /// Whether a stopped run of this runbook can go on as `other` from where it is: this one
    /// switches the writer over (a graceful move) and `other`, another runbook, takes the
    /// writer to the same side (a switchover continued as a failover).
    pub fn can_go_on_as(&self, other: &Runbook) -> bool {
        let switches = self
            .steps
            .iter()
            .any(|step| matches!(step.action(), Some(Action::AuroraSwitchover { .. })));
        switches
            && self.name != other.name
            && self.destination().is_some()
            && self.destination() == other.destination()
    }

    /// Whether any step changes the estate.
    pub fn mutates(&self) -> bool {
        self.steps.iter().any(Step::mutates)
    }

    /// The ids `--approve` accepts: gates, manual steps, and stack deployments (whose change
    /// set may replace or delete resources).
    pub fn approvable_ids(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter(|step| step.stops_for_a_person() || step.deploys())
            .map(|step| step.id.as_str())
            .collect()
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|step| step.id == id)
    }

    /// The `deploy_stack` steps.
    pub(crate) fn deploy_steps(&self) -> impl Iterator<Item = (&Step, &Deploy)> {
        self.steps
            .iter()
            .filter_map(|step| step.deployment().map(|deploy| (step, deploy)))
    }

    /// The ids only a rollback runs (never in the normal order).
    pub fn rollback_only(&self) -> std::collections::BTreeSet<&str> {
        self.steps
            .iter()
            .filter_map(|step| match &step.on_failure {
                OnFailure::Rollback(targets) => Some(targets.iter().map(String::as_str)),
                _ => None,
            })
            .flatten()
            .collect()
    }
}
