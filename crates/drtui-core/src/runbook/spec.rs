//! The runbook file format: YAML, parsed with positions so every error can name its line and
//! column. Steps are one flat record with a `kind`; `validate` checks which fields a kind needs,
//! pointing at the step, and turns the file into the typed [`super::step::Runbook`] that runs.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::model::Role;

/// Graceful: the primary's APIs answer. Ungraceful: the primary is impaired, and steps that
/// need its control plane are skipped or replaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Graceful,
    Ungraceful,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// A precondition over the live snapshot; a failing check stops the run before anything
    /// mutates.
    Check,
    /// Poll a check until it holds, with an interval and a timeout.
    Wait,
    /// Stop until a person approves (types the pair name, or `--approve ID`).
    Gate,
    /// Change the estate through the backend.
    Action,
    /// An instruction for the operator, marked done by a key press or `--approve ID`.
    Manual,
}

/// The catalogue of named checks over the live snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    SecondaryClusterAvailable,
    /// The cluster of `region` is available.
    ClusterAvailable,
    /// `region` serves: positive evidence (health checks, API figures) and none of failure
    /// (failing health checks, API 5XX or Lambda errors beyond the alarms, cluster unavailable).
    RegionServing,
    /// Both clusters run the same engine version (a switchover needs it).
    EngineVersionsMatch,
    /// A managed switchover can succeed now: both clusters available and answering, one
    /// engine version, the writer where the move starts with nothing moving it, replication
    /// flowing within the RPO budget, the destination's health checks passing. The API in the
    /// writer's region may be impaired: a switchover is about the database.
    SwitchoverPossible,
    /// Route 53 sends all traffic to `region` (weights, health, the data-plane lever).
    TrafficIn,
    /// The postcondition of a move: the writer in `region`, all traffic reaching it, and it
    /// healthy.
    ServingFrom,
    /// The global writer is in `region`.
    WriterIn,
    /// Replication lag is at most `max`.
    LagBelow,
    /// Every health check probing `region` is healthy.
    HealthCheckHealthy,
    /// No alarm of `region` is in ALARM.
    AlarmsQuiet,
    /// Every stack of `region` is in a *_COMPLETE state.
    StacksComplete,
    /// The weighted records carry exactly `weights`.
    WeightsEqual,
    /// The primary serves (health checks pass, writer answers).
    PrimaryHealthy,
    /// Every source answered within the last polls.
    DataFresh,
    /// The failover state machine exists.
    StateMachinePresent,
    /// No switchover or failover is in progress on the global cluster.
    NoFailoverInProgress,
    /// Every replicated bucket has a rule back from where it replicates to: objects written
    /// while failed over are not stranded by a failback.
    StoresReplicateBack,
    /// Every readiness check of the verdict passes (what `provision` ends with).
    EstateReady,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionName {
    /// Route 53: both weighted records in one change batch, then wait until INSYNC.
    SetWeights,
    /// Aurora `SwitchoverGlobalCluster` (planned, no data loss).
    AuroraSwitchover,
    /// Aurora `FailoverGlobalCluster` (unplanned; `allow_data_loss` only after a gate).
    AuroraFailover,
    /// Step Functions `StartExecution` of the failover state machine, named from run and step.
    StartExecution,
    /// CloudFormation change set for the pair's `stack` (its name in `region` from the pair's
    /// `stacks`) from `template` in `assets/`, with `parameters`; replacements and deletions
    /// wait for an approval; then executed and followed event by event.
    DeployStack,
    /// CloudWatch enable/disable alarm actions of the pair's alarms in `region`.
    AlarmActions,
    /// The pair's data-plane traffic lever: `PutMetricData` in the secondary; `enabled: true`
    /// withdraws the primary's DNS record without Route 53's control plane, `false` restores it.
    DataPlaneLever,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub primary: u8,
    pub secondary: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[schemars(rename = "OnFailure")]
pub(crate) enum OnFailureSpec {
    Stop,
    /// Record the failure and go on: a later step covers for this one (e.g. the direct
    /// weights step when the state machine fails). The run's postconditions still decide.
    Continue,
    /// Run these steps (by id), in order, then stop.
    Rollback(#[schemars(with = "Vec<String>")] Vec<Spanned<String>>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    String,
    Integer,
    Duration,
    Bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    #[serde(rename = "type")]
    pub kind: ParamType,
    #[schemars(with = "Option<String>")]
    pub default: Option<Spanned<String>>,
    #[serde(default)]
    pub description: String,
}

/// One step. Which optional fields apply depends on `kind` (see the JSON Schema's
/// descriptions); `drtui runbook validate` reports a field a kind needs but lacks.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Step")]
pub(crate) struct StepSpec {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub title: String,
    #[schemars(with = "StepKind")]
    pub kind: Spanned<StepKind>,
    /// Run the step only when this check holds (e.g. `primary_healthy`). Catalogue names are
    /// read as text and checked when typed, so one wrong name never hides the file's other
    /// errors.
    #[schemars(with = "Option<CheckName>")]
    pub when: Option<Spanned<String>>,
    /// Skip the step when this check holds (e.g. `state_machine_present`).
    #[schemars(with = "Option<CheckName>")]
    pub unless: Option<Spanned<String>>,
    /// Humantime duration ("30s", "5m"): the step fails when it takes longer.
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
    pub on_failure: Option<OnFailureSpec>,
    /// check / wait: the named check.
    #[schemars(with = "Option<CheckName>")]
    pub check: Option<Spanned<String>>,
    /// check / wait / action: the side the step is about.
    pub region: Option<Role>,
    /// lag_below: a duration or `${parameter}`.
    #[schemars(with = "Option<String>")]
    pub max: Option<Spanned<String>>,
    /// wait: how often to re-check.
    #[schemars(with = "Option<String>")]
    pub interval: Option<Spanned<String>>,
    /// gate: what the approver is asked.
    pub prompt: Option<String>,
    /// action: what to do.
    #[schemars(with = "Option<ActionName>")]
    pub action: Option<Spanned<String>>,
    /// set_weights / weights_equal.
    pub weights: Option<Weights>,
    /// aurora_switchover / aurora_failover: the cluster that becomes the writer.
    pub target: Option<Role>,
    /// aurora_failover: permit losing the replication lag's worth of writes.
    pub allow_data_loss: Option<bool>,
    /// deploy_stack: template file under assets/, and which of the pair's stacks in `region`
    /// it deploys: the one whose name has this word (`Vpc` finds `PaymentDR-Vpc-primary-prod`).
    pub template: Option<String>,
    pub stack: Option<String>,
    /// deploy_stack: the template's parameters. Values may use `${environment_suffix}`,
    /// `${region:primary}`, `${file:lambda/NAME/index.py}` (a file under assets/) and
    /// `${output:STACK:ROLE:KEY}` (an output of the pair's STACK in ROLE, read when deployed).
    pub parameters: Option<BTreeMap<String, String>>,
    /// alarm_actions: enable (true) or disable (false).
    pub enabled: Option<bool>,
    /// manual: what the operator must do.
    pub instruction: Option<String>,
}

/// A runbook file.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Runbook")]
pub(crate) struct RunbookFile {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    pub description: String,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub parameters: BTreeMap<String, Parameter>,
    pub steps: Vec<StepSpec>,
}

impl StepSpec {
    /// Whether this step deploys a stack (`deploy_stack`).
    pub(crate) fn deploys(&self) -> bool {
        self.is_action(ActionName::DeployStack)
    }

    /// Whether the file names this action (as written; a wrong name is typing's to report).
    pub(crate) fn is_action(&self, name: ActionName) -> bool {
        self.action
            .as_ref()
            .is_some_and(|action| action.value == crate::wire::wire_name(&name))
    }
}

impl CheckName {
    /// Whether the check is about the destination's fitness (so `resume` re-runs it before
    /// the next action) rather than about where the run started (which its own actions change).
    pub fn rechecked_on_resume(self) -> bool {
        matches!(
            self,
            CheckName::SecondaryClusterAvailable
                | CheckName::ClusterAvailable
                | CheckName::RegionServing
                | CheckName::HealthCheckHealthy
                | CheckName::AlarmsQuiet
                | CheckName::StacksComplete
                | CheckName::EngineVersionsMatch
        )
    }
}

/// The JSON Schema of the format, for editors.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RunbookFile)).unwrap_or_default()
}
