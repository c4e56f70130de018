//! May this principal make the calls a run needs? The calls come from the catalogue
//! ([`Operation`]) and land on the pair's own ARNs (the same ones `drtui iam policy` grants);
//! a backend asks IAM's policy simulator and answers with what would be denied.

use serde::{Deserialize, Serialize};

use crate::calls::{Access, Operation};
use crate::config::RegionPair;
use crate::iam::{PolicyRole, resources};

/// One call to simulate: the operation on each of its resources, with the request's context
/// the policies' conditions read (the lever's `cloudwatch:namespace`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccessRequest {
    pub operation: Operation,
    pub resources: Vec<String>,
    pub context: Vec<(String, String)>,
}

/// What the simulation said.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Permissions {
    /// The principal simulated (a role for an assumed-role session), when known.
    pub principal: Option<String>,
    pub answer: Simulation,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Simulation {
    /// Every request was simulated: these would be denied.
    Checked { asked: usize, denied: Vec<Denial> },
    /// The simulation could not be made (not allowed, a root or federated caller): nothing is
    /// known of the permissions, which is not a pass.
    Unknown { reason: String },
}

/// One call that would be denied, on one resource.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Denial {
    /// `rds:FailoverGlobalCluster`.
    pub action: String,
    pub resource: String,
    /// `implicitDeny` (nothing allows it) or `explicitDeny`.
    pub decision: String,
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} on {} ({})",
            self.action, self.resource, self.decision
        )
    }
}

impl Simulation {
    /// Every request simulated: each call on each of its resources counted as asked, the
    /// denials in one order, each once.
    /// A simulation evaluates every action of a call on every resource of it: denials of an
    /// action on a resource nobody asked it for (another request's, another pair's) are
    /// dropped here.
    pub fn checked(requests: &[AccessRequest], mut denied: Vec<Denial>) -> Self {
        let asked: std::collections::BTreeSet<(String, &str)> = requests
            .iter()
            .flat_map(|request| {
                let action = request.operation.iam_action();
                request
                    .resources
                    .iter()
                    .map(move |resource| (action.clone(), resource.as_str()))
            })
            .collect();
        denied.retain(|denial| asked.contains(&(denial.action.clone(), denial.resource.as_str())));
        denied.sort();
        denied.dedup();
        Simulation::Checked {
            asked: requests.iter().map(|request| request.resources.len()).sum(),
            denied,
        }
    }
}

impl Permissions {
    /// The denials, when the simulation was made.
    pub fn denied(&self) -> Option<&[Denial]> {
        match &self.answer {
            Simulation::Checked { denied, .. } => Some(denied),
            Simulation::Unknown { .. } => None,
        }
    }
}

/// The requests for `operations` on `pair`: each on its own resources, one request per
/// operation. Operations whose resources the pair lacks (no lock table) are never made.
pub fn requests(
    pair: &RegionPair,
    operations: impl IntoIterator<Item = Operation>,
) -> Vec<AccessRequest> {
    let mut requests: Vec<AccessRequest> = operations
        .into_iter()
        .filter_map(|operation| {
            let resources = resources(operation, pair)?;
            Some(AccessRequest {
                operation,
                resources,
                context: context(operation, pair),
            })
        })
        .collect();
    requests.sort();
    requests.dedup();
    requests
}

/// The context the call is made in, as the policies' conditions read it: the lever's metric
/// is put in its namespace (the one condition `drtui iam policy` writes).
fn context(operation: Operation, pair: &RegionPair) -> Vec<(String, String)> {
    match (operation, &pair.traffic_lever) {
        (Operation::PutMetricData, Some(lever)) => {
            vec![("cloudwatch:namespace".to_owned(), lever.namespace.clone())]
        }
        _ => Vec::new(),
    }
}

/// What an operator needs to operate the pair (every runbook but `provision`'s deployments is
/// covered by the operator's policy): the dashboard's `operator_permissions`.
pub fn operator_requests(pair: &RegionPair) -> Vec<AccessRequest> {
    requests(
        pair,
        Operation::ALL
            .iter()
            .copied()
            .filter(|operation| PolicyRole::Operator.grants(*operation))
            .filter(|operation| operation.access() != Access::Read),
    )
}

/// What a run of these steps' calls needs: the reads its checks make, its steps' calls, and
/// the lock's calls when the pair has a lock table.
pub fn run_requests(
    pair: &RegionPair,
    calls: impl IntoIterator<Item = Operation>,
    locks: bool,
) -> Vec<AccessRequest> {
    let reads = Operation::ALL
        .iter()
        .copied()
        .filter(|operation| operation.access() == Access::Read);
    let lock = Operation::ALL
        .iter()
        .copied()
        .filter(move |operation| locks && operation.access() == Access::Lock);
    requests(pair, reads.chain(calls).chain(lock))
}

/// What a run of `runbook` needs from here, its steps in `done` aside: its checks' reads, the
/// calls of the steps still to run (as `plan` shows them), and the lock's when it locks.
pub fn for_run(
    runbook: &crate::runbook::step::Runbook,
    pair: &RegionPair,
    done: &std::collections::BTreeSet<String>,
) -> Vec<AccessRequest> {
    let calls = runbook
        .steps
        .iter()
        .filter(|step| !done.contains(&step.id))
        .flat_map(|step| crate::runbook::plan::planned(pair, step).calls)
        .map(|call| call.operation)
        .collect::<Vec<_>>();
    run_requests(pair, calls, runbook.mutates() && pair.lock_table.is_some())
}

/// The denials of the dashboard's simulation that a run of `runbook` would meet (its calls
/// and its checks' reads): what the picker warns of before the preflight refuses it.
pub fn denied_for<'a>(
    runbook: &crate::runbook::step::Runbook,
    pair: &RegionPair,
    permissions: &'a Permissions,
) -> Vec<&'a Denial> {
    let Some(denied) = permissions.denied() else {
        return Vec::new();
    };
    let needed: Vec<String> = for_run(runbook, pair, &Default::default())
        .iter()
        .map(|request| request.operation.iam_action())
        .collect();
    denied
        .iter()
        .filter(|denial| needed.contains(&denial.action))
        .collect()
}

/// A set of calls simulated together: the same resources, the same context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simulated {
    pub resources: Vec<String>,
    pub context: Vec<(String, String)>,
    pub operations: Vec<Operation>,
}

/// Groups requests by their context: one simulation per context, of every action on every
/// resource of the group (the simulator takes one context a call; the cross product it
/// evaluates is cut back to what was asked by [`Simulation::checked`]). The pairs of an
/// account share these calls.
pub fn by_context(requests: &[AccessRequest]) -> Vec<Simulated> {
    type Group = (
        std::collections::BTreeSet<String>,
        std::collections::BTreeSet<Operation>,
    );
    let mut groups: std::collections::BTreeMap<Vec<(String, String)>, Group> = Default::default();
    for request in requests {
        let (resources, operations) = groups.entry(request.context.clone()).or_default();
        resources.extend(request.resources.iter().cloned());
        operations.insert(request.operation);
    }
    groups
        .into_iter()
        .map(|(context, (resources, operations))| Simulated {
            resources: resources.into_iter().collect(),
            context,
            operations: operations.into_iter().collect(),
        })
        .collect()
}

/// The `SimulatePrincipalPolicy` calls one check of the operator's permissions makes (one per
/// context; shared with the other pairs of the account).
pub fn simulations_per_read(pair: &RegionPair) -> usize {
    by_context(&operator_requests(pair)).len()
}

/// The IAM principal to simulate for a caller's ARN from STS: an assumed-role session maps
/// to its role (without the role's path, which STS does not say), a user to itself. Root and
/// federated callers cannot be simulated.
pub fn principal_of(caller: &str) -> Result<String, String> {
    let parts: Vec<&str> = caller.splitn(6, ':').collect();
    let [_, partition, service, _, account, resource] = parts.as_slice() else {
        return Err(format!("`{caller}` is not an ARN"));
    };
    let iam = |path: &str| format!("arn:{partition}:iam::{account}:{path}");
    match (*service, resource.split_once('/')) {
        ("sts", Some(("assumed-role", rest))) => {
            let role = rest.split('/').next().unwrap_or(rest);
            Ok(iam(&format!("role/{role}")))
        }
        ("iam" | "sts", Some(("user", name))) => Ok(iam(&format!("user/{name}"))),
        ("iam", Some(("role", name))) => Ok(iam(&format!("role/{name}"))),
        _ if resource.ends_with("root") => Err(format!(
            "{caller} is the account's root user: IAM simulates users and roles only"
        )),
        _ => Err(format!(
            "{caller} is not an IAM user or role session: IAM cannot simulate it"
        )),
    }
}

/// The denials as the run's refusal and `plan` list them, one per line.
pub fn denial_lines(denied: &[Denial]) -> Vec<String> {
    denied.iter().map(ToString::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_simulated_as_its_role_and_a_user_as_itself() {
        assert_eq!(
            principal_of("arn:aws:sts::123456789012:assumed-role/OnCall/jane@example.com"),
            Ok("arn:aws:iam::123456789012:role/OnCall".to_owned())
        );
        assert_eq!(
            principal_of("arn:aws:iam::123456789012:user/jane"),
            Ok("arn:aws:iam::123456789012:user/jane".to_owned())
        );
        // moto's answer for its default credentials.
        assert_eq!(
            principal_of("arn:aws:sts::123456789012:user/moto"),
            Ok("arn:aws:iam::123456789012:user/moto".to_owned())
        );
        assert!(principal_of("arn:aws:iam::123456789012:root").is_err());
        assert!(principal_of("arn:aws:sts::123456789012:federated-user/bob").is_err());
        assert!(principal_of("not an arn").is_err());
    }

    #[test]
    fn the_promote_is_asked_on_the_global_cluster_and_both_clusters() {
        let pair = RegionPair::demo();
        let requests = operator_requests(&pair);
        let promote = requests
            .iter()
            .find(|request| request.operation == Operation::FailoverGlobalCluster)
            .expect("the promote is an operator's call");
        assert!(
            promote.resources[0].ends_with(&format!("global-cluster:{}", pair.global_cluster)),
            "{promote:?}"
        );
        assert_eq!(promote.resources.len(), 3, "{promote:?}");
        assert!(
            requests
                .iter()
                .all(|request| request.operation.access() != Access::Read)
        );
        for group in by_context(&requests) {
            assert!(!group.resources.is_empty() && !group.operations.is_empty());
        }
        let lever = requests
            .iter()
            .find(|request| request.operation == Operation::PutMetricData)
            .expect("the lever's metric");
        assert_eq!(
            lever.context,
            [(
                "cloudwatch:namespace".to_owned(),
                "PaymentDR/Failover".to_owned()
            )]
        );
    }

    /// The picker warns of a failover the caller may not promote in, not of a switchover.
    #[test]
    fn a_denied_promote_concerns_the_failover_only() {
        let pair = RegionPair::demo();
        let permissions = Permissions {
            principal: Some("arn:aws:iam::1:user/junior".into()),
            answer: Simulation::Checked {
                asked: 3,
                denied: vec![Denial {
                    action: "rds:FailoverGlobalCluster".into(),
                    resource: "arn:aws:rds::1:global-cluster:payment-global-demo".into(),
                    decision: "implicitDeny".into(),
                }],
            },
        };
        let runbook = |name: &str| {
            crate::runbook::builtin::find(name)
                .expect("built-in")
                .expect("valid")
        };
        assert_eq!(
            denied_for(&runbook("failover"), &pair, &permissions).len(),
            1
        );
        assert!(denied_for(&runbook("switchover"), &pair, &permissions).is_empty());
    }

    #[test]
    fn a_run_asks_its_reads_its_calls_and_the_lock() {
        let pair = RegionPair::demo();
        let requests = run_requests(&pair, [Operation::ChangeResourceRecordSets], true);
        let asked: Vec<Operation> = requests.iter().map(|request| request.operation).collect();
        assert!(asked.contains(&Operation::ChangeResourceRecordSets));
        assert!(asked.contains(&Operation::DescribeGlobalClusters));
        assert!(!asked.contains(&Operation::FailoverGlobalCluster));
        assert_eq!(
            asked.contains(&Operation::PutItem),
            pair.lock_table.is_some(),
            "the lock's calls when the pair has a lock table"
        );
    }
}
