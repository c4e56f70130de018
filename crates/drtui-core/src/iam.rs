//! Least-privilege IAM policies for one pair (`drtui iam policy`), derived from the catalogue
//! of calls ([`Operation`]): each call is granted on the pair's own resources (its global
//! cluster and clusters, hosted zone, health checks, state machine and its executions,
//! stacks and change sets, lock table, lever alarm). Calls AWS grants only on `*` stay on `*`
//! in a statement whose `Sid` says so; the one mutating such call (`PutMetricData`, the
//! data-plane lever) is held to the lever's namespace by a condition.

use serde_json::{Value, json};

use crate::calls::{Access, Operation, Service};
use crate::config::RegionPair;
use crate::model::Role;

/// Who the policy is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyRole {
    /// The dashboard, `status`, `discover`, `plan`.
    Readonly,
    /// Every runbook: the reads, the actions, the lock.
    Operator,
    /// `provision`: the reads, the change sets, the lock (CloudFormation then creates the
    /// templates' resources as the caller, whose own rights must cover them).
    Provisioner,
}

impl PolicyRole {
    pub const ALL: [PolicyRole; 3] = [
        PolicyRole::Readonly,
        PolicyRole::Operator,
        PolicyRole::Provisioner,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PolicyRole::Readonly => "readonly",
            PolicyRole::Operator => "operator",
            PolicyRole::Provisioner => "provisioner",
        }
    }

    /// Whether the role makes `operation`.
    pub fn grants(self, operation: Operation) -> bool {
        match (self, operation.access()) {
            (_, Access::Read) => true,
            (PolicyRole::Readonly, _) => false,
            (PolicyRole::Operator, _) => true,
            (PolicyRole::Provisioner, Access::Lock) => true,
            (PolicyRole::Provisioner, Access::Act) => {
                operation.service() == Service::CloudFormation
            }
        }
    }
}

impl std::str::FromStr for PolicyRole {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        PolicyRole::ALL
            .into_iter()
            .find(|role| role.name() == text)
            .ok_or_else(|| format!("`{text}` is not a role: readonly, operator, provisioner"))
    }
}

/// What a call is granted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// AWS grants the call only on `*`.
    AnyResource,
    GlobalCluster,
    Clusters,
    HostedZone,
    HealthChecks,
    Changes,
    StateMachine,
    Executions,
    Stacks,
    ChangeSets,
    Alarms,
    LeverAlarm,
    LockTable,
    Tables,
    Secrets,
    Functions,
    Instances,
    Apis,
    Parameters,
    Principals,
}

impl Target {
    /// The statement's `Sid` part for it.
    fn sid(self) -> &'static str {
        match self {
            Target::AnyResource => "OnlyGrantableOnAnyResource",
            Target::GlobalCluster => "GlobalCluster",
            Target::Clusters => "Clusters",
            Target::HostedZone => "HostedZone",
            Target::HealthChecks => "HealthChecks",
            Target::Changes => "Route53Changes",
            Target::StateMachine => "StateMachine",
            Target::Executions => "Executions",
            Target::Stacks => "Stacks",
            Target::ChangeSets => "ChangeSets",
            Target::Alarms => "Alarms",
            Target::LeverAlarm => "LeverAlarm",
            Target::LockTable => "LockTable",
            Target::Tables => "GlobalTables",
            Target::Secrets => "ReplicatedSecrets",
            Target::Functions => "PaymentFunctions",
            Target::Instances => "ClusterInstances",
            Target::Apis => "PaymentApis",
            Target::Parameters => "PairParameters",
            Target::Principals => "SimulateTheCallersOwnPolicies",
        }
    }
}

/// The resources each call acts on (from the IAM service authorization reference).
fn targets(operation: Operation) -> &'static [Target] {
    use Operation as O;
    use Target as T;
    match operation {
        // No resource types: `*` only (PutMetricData is held to a namespace below).
        O::GetMetricData | O::GetCallerIdentity | O::PutMetricData | O::GetAccountSettings => {
            &[T::AnyResource]
        }
        O::GetFunction => &[T::Functions],
        O::DescribeDbInstances => &[T::Instances],
        O::GetRestApis | O::GetStages => &[T::Apis],
        O::GetParametersByPath => &[T::Parameters],
        O::SimulatePrincipalPolicy => &[T::Principals],
        // Listed without a stack name: every stack of the region.
        O::DescribeStacks => &[T::AnyResource],
        O::DescribeAlarms => &[T::Alarms],
        O::EnableAlarmActions | O::DisableAlarmActions => &[T::LeverAlarm],
        O::DescribeDbClusters => &[T::Clusters],
        O::DescribeGlobalClusters => &[T::GlobalCluster],
        O::FailoverGlobalCluster | O::SwitchoverGlobalCluster => &[T::GlobalCluster, T::Clusters],
        O::ListResourceRecordSets | O::ChangeResourceRecordSets => &[T::HostedZone],
        O::GetHealthCheckStatus => &[T::HealthChecks],
        O::GetChange => &[T::Changes],
        O::ListExecutions | O::StartExecution => &[T::StateMachine],
        O::DescribeExecution | O::StopExecution => &[T::Executions],
        O::CreateChangeSet
        | O::DescribeChangeSet
        | O::ExecuteChangeSet
        | O::DeleteChangeSet
        | O::DescribeStackEvents => &[T::Stacks, T::ChangeSets],
        O::GetItem | O::PutItem | O::UpdateItem | O::DeleteItem => &[T::LockTable],
        O::DescribeTable => &[T::Tables],
        O::DescribeSecret => &[T::Secrets],
    }
}

/// The account the pair's ARNs name: the state machine's, else any (`*`).
fn account(pair: &RegionPair) -> &str {
    pair.state_machine
        .as_deref()
        .and_then(|arn| arn.split(':').nth(4))
        .filter(|account| !account.is_empty())
        .unwrap_or("*")
}

/// The ARNs of a target on `pair`; empty when the pair has none (no lock table, no lever).
fn arns(target: Target, pair: &RegionPair) -> Vec<String> {
    let account = account(pair);
    match target {
        Target::AnyResource => vec!["*".to_owned()],
        Target::GlobalCluster => vec![format!(
            "arn:aws:rds::{account}:global-cluster:{}",
            pair.global_cluster
        )],
        Target::Clusters => Role::BOTH
            .iter()
            .map(|role| {
                format!(
                    "arn:aws:rds:{}:{account}:cluster:{}",
                    pair.region(*role),
                    pair.cluster(*role)
                )
            })
            .collect(),
        Target::HostedZone => vec![format!(
            "arn:aws:route53:::hostedzone/{}",
            pair.hosted_zone_id
        )],
        Target::HealthChecks if pair.health_checks.is_empty() => {
            // Learnt from the weighted records at run time: any of the account's.
            vec!["arn:aws:route53:::healthcheck/*".to_owned()]
        }
        Target::HealthChecks => pair
            .health_checks
            .values()
            .map(|id| format!("arn:aws:route53:::healthcheck/{id}"))
            .collect(),
        Target::Changes => vec!["arn:aws:route53:::change/*".to_owned()],
        Target::StateMachine => pair.state_machine.iter().cloned().collect(),
        Target::Executions => pair
            .state_machine
            .iter()
            .map(|machine| crate::arn::execution(machine, "*"))
            .collect(),
        Target::Stacks => Role::BOTH
            .iter()
            .flat_map(|role| {
                pair.stacks_in(*role).iter().map(move |stack| {
                    format!(
                        "arn:aws:cloudformation:{}:{account}:stack/{stack}/*",
                        pair.region(*role)
                    )
                })
            })
            .collect(),
        Target::ChangeSets => regions(pair)
            .map(|region| format!("arn:aws:cloudformation:{region}:{account}:changeSet/drtui-*/*"))
            .collect(),
        Target::Alarms => regions(pair)
            .map(|region| {
                format!(
                    "arn:aws:cloudwatch:{region}:{account}:alarm:{}*",
                    pair.alarm_prefix
                )
            })
            .collect(),
        Target::LeverAlarm => pair
            .traffic_lever
            .iter()
            .map(|lever| {
                format!(
                    "arn:aws:cloudwatch:{}:{account}:alarm:{}",
                    pair.secondary, lever.alarm
                )
            })
            .collect(),
        Target::Tables | Target::Secrets => store_arns(target, pair, account),
        Target::Functions
        | Target::Instances
        | Target::Apis
        | Target::Parameters
        | Target::Principals => parity_arns(target, pair, account),
        Target::LockTable => pair
            .lock_table
            .iter()
            .map(|table| {
                format!(
                    "arn:aws:dynamodb:{}:{account}:table/{table}",
                    pair.region(pair.lock_role)
                )
            })
            .collect(),
    }
}

/// The ARNs of the replicated stores (see [`arns`]).
fn store_arns(target: Target, pair: &RegionPair, account: &str) -> Vec<String> {
    match target {
        Target::Tables => pair
            .dynamodb_tables
            .iter()
            .flat_map(|table| {
                regions(pair)
                    .map(move |region| format!("arn:aws:dynamodb:{region}:{account}:table/{table}"))
            })
            .collect(),
        Target::Secrets => pair
            .replicated_secrets
            .iter()
            .map(|secret| {
                if secret.starts_with("arn:") {
                    secret.clone()
                } else {
                    // Secrets Manager appends six random characters to a secret's name.
                    format!(
                        "arn:aws:secretsmanager:{}:{account}:secret:{secret}-??????",
                        pair.primary
                    )
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The ARNs of the parity reads and of the policy simulator (see [`arns`]).
fn parity_arns(target: Target, pair: &RegionPair, account: &str) -> Vec<String> {
    match target {
        Target::Functions => Role::BOTH
            .iter()
            .flat_map(|role| {
                pair.lambda_functions_in(*role).iter().map(move |name| {
                    format!(
                        "arn:aws:lambda:{}:{account}:function:{name}",
                        pair.region(*role)
                    )
                })
            })
            .collect(),
        // The cluster's instances are named by whoever added them: any of the region's.
        Target::Instances => regions(pair)
            .map(|region| format!("arn:aws:rds:{region}:{account}:db:*"))
            .collect(),
        Target::Apis if pair.api_names.is_empty() => Vec::new(),
        Target::Apis => regions(pair)
            .flat_map(|region| {
                [
                    format!("arn:aws:apigateway:{region}::/restapis"),
                    format!("arn:aws:apigateway:{region}::/restapis/*/stages"),
                ]
            })
            .collect(),
        Target::Parameters => pair
            .parameter_path
            .iter()
            .flat_map(|path| {
                let path = path.trim_end_matches('/').to_owned();
                regions(pair).flat_map(move |region| {
                    [
                        format!("arn:aws:ssm:{region}:{account}:parameter{path}"),
                        format!("arn:aws:ssm:{region}:{account}:parameter{path}/*"),
                    ]
                })
            })
            .collect(),
        // Whoever runs drtui simulates their own policies: a user or a role of the account.
        Target::Principals => vec![
            format!("arn:aws:iam::{account}:role/*"),
            format!("arn:aws:iam::{account}:user/*"),
        ],
        _ => Vec::new(),
    }
}

/// The pair's two regions, primary first.
fn regions(pair: &RegionPair) -> impl Iterator<Item = &str> {
    Role::BOTH.iter().map(|role| pair.region(*role))
}

/// The resources `operation` acts on for `pair`, as policies grant and the simulator asks
/// it; `None` when the pair has none of them (the call is never made).
pub(crate) fn resources(operation: Operation, pair: &RegionPair) -> Option<Vec<String>> {
    let mut resources = Vec::new();
    for target in targets(operation) {
        let arns = arns(*target, pair);
        if arns.is_empty() {
            return None;
        }
        resources.extend(arns);
    }
    resources.dedup();
    Some(resources)
}

/// The policy for `role` on `pair`: one statement per set of resources, its calls sorted.
/// A call whose resources the pair does not have (no lock table, no state machine) is left
/// out: it is never made.
pub fn policy(pair: &RegionPair, role: PolicyRole) -> Value {
    let mut groups: std::collections::BTreeMap<Vec<Target>, Vec<String>> = Default::default();
    for operation in Operation::ALL.iter().filter(|op| role.grants(**op)) {
        let targets = targets(*operation);
        if resources(*operation, pair).is_some() {
            groups
                .entry(targets.to_vec())
                .or_default()
                .push(operation.iam_action());
        }
    }
    let mut statements = Vec::new();
    for (targets, mut actions) in groups {
        actions.sort();
        // API Gateway's IAM actions are HTTP verbs: two reads are one `apigateway:GET`.
        actions.dedup();
        let mut resources: Vec<String> = targets
            .iter()
            .flat_map(|target| arns(*target, pair))
            .collect();
        resources.dedup();
        let sid: String = targets.iter().map(|target| target.sid()).collect();
        let lever_metric = actions
            .iter()
            .any(|action| action == "cloudwatch:PutMetricData");
        match (&pair.traffic_lever, lever_metric) {
            // The lever's metric goes on `*` held to its namespace, apart from the reads.
            (Some(lever), true) => {
                actions.retain(|action| action != "cloudwatch:PutMetricData");
                statements.push(json!({
                    "Sid": "LeverMetricOnlyGrantableOnAnyResourceInItsNamespace",
                    "Effect": "Allow",
                    "Action": ["cloudwatch:PutMetricData"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"cloudwatch:namespace": lever.namespace}},
                }));
            }
            (None, true) => actions.retain(|action| action != "cloudwatch:PutMetricData"),
            _ => {}
        }
        statements.push(json!({
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions,
            "Resource": if resources.len() == 1 { json!(resources[0]) } else { json!(resources) },
        }));
    }
    statements.sort_by_key(|statement| statement["Sid"].as_str().map(str::to_owned));
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(policy: &Value) -> &Vec<Value> {
        policy["Statement"].as_array().expect("statements")
    }

    /// No call that changes the estate is granted on `*` except the lever's metric, and that
    /// only in the lever's namespace.
    #[test]
    fn no_mutating_call_on_any_resource() {
        let pair = RegionPair::demo();
        for role in PolicyRole::ALL {
            let policy = policy(&pair, role);
            for statement in statements(&policy) {
                if statement["Resource"] != "*" {
                    continue;
                }
                for action in statement["Action"].as_array().expect("actions") {
                    let mutating = Operation::ALL
                        .iter()
                        .any(|op| op.iam_action() == *action && op.mutates());
                    if mutating {
                        assert_eq!(action, "cloudwatch:PutMetricData", "{policy:#}");
                        assert!(statement["Condition"].is_object(), "{policy:#}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_promote_names_the_pairs_global_cluster_and_clusters() {
        let pair = RegionPair::demo();
        let policy = policy(&pair, PolicyRole::Operator);
        let promote = statements(&policy)
            .iter()
            .find(|statement| {
                statement["Action"]
                    .as_array()
                    .is_some_and(|actions| actions.iter().any(|a| a == "rds:FailoverGlobalCluster"))
            })
            .expect("the promote");
        let resources = promote["Resource"].to_string();
        assert!(
            resources.contains(&format!("global-cluster:{}", pair.global_cluster))
                && resources.contains(&format!("cluster:{}", pair.cluster(Role::Secondary))),
            "{promote:#}"
        );
        assert!(
            PolicyRole::Readonly.grants(Operation::DescribeStacks)
                && !PolicyRole::Readonly.grants(Operation::FailoverGlobalCluster)
                && !PolicyRole::Provisioner.grants(Operation::FailoverGlobalCluster)
                && PolicyRole::Provisioner.grants(Operation::ExecuteChangeSet)
        );
    }
}
