//! A runbook action bound to a pair and a run ([`Mutation`]): what the backends apply, what the
//! journal records as a step's inputs, and the exact calls it makes ([`Mutation::calls`]), which
//! the plan, the gate and every failure line read.

use crate::calls::{Call, Operation};
use crate::config::RegionPair;
use crate::model::Role;
use crate::ports::ROUTE53_CONTROL_REGION;

/// A change to the estate, as a runbook action asks for it. Every backend applies these
/// idempotently against live state: asking for what is already true changes nothing, so a
/// retried or resumed step can never repeat a promote.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "mutation", rename_all = "snake_case")]
pub enum Mutation {
    SetWeights {
        primary: u8,
        secondary: u8,
    },
    AuroraSwitchover {
        target: Role,
    },
    AuroraFailover {
        target: Role,
        allow_data_loss: bool,
    },
    /// The execution name is derived from run and step ids, so a retry finds the first one.
    StartExecution {
        name: String,
    },
    DeployStack {
        role: Role,
        stack: String,
        template: String,
        /// Template parameters; `${file:..}` and `${output:..}` are resolved by the backend.
        #[serde(default)]
        parameters: std::collections::BTreeMap<String, String>,
        /// Named from run and step, so a retry or resume finds the change set it made.
        #[serde(default)]
        change_set: String,
    },
    AlarmActions {
        role: Role,
        enabled: bool,
    },
    /// The data-plane traffic lever (see `config::TrafficLever`): `PutMetricData` in the
    /// secondary, 1 to withdraw the primary's DNS record, 0 to give it back.
    DataPlaneLever {
        engaged: bool,
    },
}

impl Mutation {
    /// The call that makes the change, for journals and refusals.
    pub fn call(&self) -> Operation {
        match self {
            Mutation::SetWeights { .. } => Operation::ChangeResourceRecordSets,
            Mutation::AuroraSwitchover { .. } => Operation::SwitchoverGlobalCluster,
            Mutation::AuroraFailover { .. } => Operation::FailoverGlobalCluster,
            Mutation::StartExecution { .. } => Operation::StartExecution,
            Mutation::DeployStack { .. } => Operation::ExecuteChangeSet,
            Mutation::AlarmActions { enabled: true, .. } => Operation::EnableAlarmActions,
            Mutation::AlarmActions { enabled: false, .. } => Operation::DisableAlarmActions,
            Mutation::DataPlaneLever { .. } => Operation::PutMetricData,
        }
    }

    /// The call that abandons it when it does not finish in time, for the mutations that would
    /// otherwise go on alone: an execution left running could still move traffic later.
    pub fn abandon_call(&self) -> Option<Operation> {
        match self {
            Mutation::StartExecution { .. } => Some(Operation::StopExecution),
            _ => None,
        }
    }

    /// The call that previews it, for those that have a preview (a change set).
    pub fn preview_call(&self) -> Operation {
        match self {
            Mutation::DeployStack { .. } => Operation::CreateChangeSet,
            other => other.call(),
        }
    }

    /// Every call it makes against `pair`, in order, with its parameters.
    pub fn calls(&self, pair: &RegionPair) -> Vec<Call> {
        match self {
            Mutation::SetWeights { primary, secondary } => {
                set_weights_calls(pair, *primary, *secondary)
            }
            Mutation::AuroraSwitchover { target } => {
                promote_calls(pair, self.call(), *target, None)
            }
            Mutation::AuroraFailover {
                target,
                allow_data_loss,
            } => promote_calls(pair, self.call(), *target, Some(*allow_data_loss)),
            Mutation::StartExecution { name } => vec![
                Call::new(Operation::StartExecution)
                    .with("stateMachineArn", state_machine(pair))
                    .with("name", name.clone()),
                Call::new(Operation::DescribeExecution)
                    .until("it ends (the same name on a retry never starts a second execution)"),
            ],
            Mutation::DeployStack {
                role,
                stack,
                template,
                parameters,
                change_set,
            } => {
                let region = pair.region(*role);
                let parameters: Vec<String> = parameters
                    .iter()
                    .map(|(key, value)| format!("{key}={value}"))
                    .collect();
                vec![
                    Call::new(Operation::CreateChangeSet)
                        .sent_to(region)
                        .with("StackName", stack.clone())
                        .with("TemplateBody", format!("assets/{template}"))
                        .with("ChangeSetName", change_set.clone())
                        .with("Parameters", format!("[{}]", parameters.join(", "))),
                    Call::new(Operation::DescribeChangeSet)
                        .sent_to(region)
                        .until("computed: an empty change set ends the step (nothing to do)"),
                    Call::new(Operation::ExecuteChangeSet)
                        .sent_to(region)
                        .with("StackName", stack.clone()),
                    Call::new(Operation::DescribeStackEvents)
                        .sent_to(region)
                        .with("StackName", stack.clone())
                        .until("*_COMPLETE"),
                ]
            }
            Mutation::AlarmActions { role, .. } => {
                vec![Call::new(self.call()).sent_to(pair.region(*role)).with(
                    "AlarmNames",
                    format!("<alarms named {}*>", pair.alarm_prefix),
                )]
            }
            Mutation::DataPlaneLever { engaged } => lever_calls(pair, *engaged),
        }
    }

    /// The region whose control plane it needs.
    pub fn control_region<'a>(&self, pair: &'a RegionPair) -> Option<&'a str> {
        match self {
            Mutation::SetWeights { .. } => Some(ROUTE53_CONTROL_REGION),
            // A switchover needs both regions' control planes; a failover only the target's.
            Mutation::AuroraSwitchover { target } => Some(pair.region(target.other())),
            Mutation::AuroraFailover { target, .. } => Some(pair.region(*target)),
            Mutation::StartExecution { .. } => {
                pair.state_machine.as_deref().and_then(crate::arn::region)
            }
            Mutation::DeployStack { role, .. } | Mutation::AlarmActions { role, .. } => {
                Some(pair.region(*role))
            }
            Mutation::DataPlaneLever { .. } => Some(pair.region(Role::Secondary)),
        }
    }
}

fn set_weights_calls(pair: &RegionPair, primary: u8, secondary: u8) -> Vec<Call> {
    let set = |side: Role| {
        pair.set_identifiers
            .get(pair.region(side))
            .cloned()
            .unwrap_or_default()
    };
    let upsert = |side: Role, weight: u8| {
        format!(
            "UPSERT {} SetIdentifier={} Weight={weight}",
            pair.record_name,
            set(side)
        )
    };
    vec![
        Call::new(Operation::ChangeResourceRecordSets)
            .with("HostedZoneId", pair.hosted_zone_id.clone())
            .with(
                "Changes",
                format!(
                    "[{}, {}]",
                    upsert(Role::Primary, primary),
                    upsert(Role::Secondary, secondary)
                ),
            ),
        Call::new(Operation::GetChange)
            .with("Id", "<change id>")
            .until("Status=INSYNC"),
    ]
}

/// A switchover or failover (`allow_data_loss` set) to `target`, then its wait for the writer.
fn promote_calls(
    pair: &RegionPair,
    operation: Operation,
    target: Role,
    allow_data_loss: Option<bool>,
) -> Vec<Call> {
    let region = pair.region(target);
    let mut promote = Call::new(operation)
        .sent_to(region)
        .with("GlobalClusterIdentifier", pair.global_cluster.clone())
        .with("TargetDbClusterIdentifier", cluster_arn(pair, target));
    if let Some(allow) = allow_data_loss {
        promote = promote.with("AllowDataLoss", allow.to_string());
    }
    vec![
        promote,
        Call::new(Operation::DescribeGlobalClusters)
            .sent_to(region)
            .until(format!("the writer is {}", pair.cluster(target))),
    ]
}

fn lever_calls(pair: &RegionPair, engaged: bool) -> Vec<Call> {
    let Some(lever) = &pair.traffic_lever else {
        return Vec::new();
    };
    let region = pair.region(Role::Secondary);
    vec![
        Call::new(Operation::PutMetricData)
            .sent_to(region)
            .with("Namespace", lever.namespace.clone())
            .with("MetricName", lever.metric.clone())
            .with("Dimensions", format!("[Pair={}]", pair.name))
            .with("Value", u8::from(engaged).to_string()),
        Call::new(Operation::DescribeAlarms)
            .sent_to(region)
            .with("AlarmNames", format!("[{}]", lever.alarm))
            .until(if engaged { "ALARM" } else { "OK" }),
    ]
}

fn state_machine(pair: &RegionPair) -> String {
    pair.state_machine
        .clone()
        .unwrap_or_else(|| "<no state machine configured>".to_owned())
}

/// The ARN of a cluster; the account is only known once STS answers, at run time.
fn cluster_arn(pair: &RegionPair, role: Role) -> String {
    format!(
        "arn:aws:rds:{}:<account>:cluster:{}",
        pair.region(role),
        pair.cluster(role)
    )
}
