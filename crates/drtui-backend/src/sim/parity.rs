//! The simulated regions' parity and the demo operator's permissions: both regions deploy the
//! same build, configuration and capacity, until a fault says otherwise (`code-drift`,
//! `secondary-headless`, `operator-cannot-failover`).

use drtui_core::calls::Operation;
use drtui_core::config::RegionPair;
use drtui_core::fault::Fault;
use drtui_core::model::Role;
use drtui_core::parity::{DbInstance, FunctionConfig, Parameter, RegionParity, StageThrottle};
use drtui_core::permissions::{AccessRequest, Denial, Permissions, Simulation};

/// Who the demo's operator is, as IAM would name them.
pub const DEMO_PRINCIPAL: &str = "arn:aws:iam::000000000000:user/demo-operator";

/// The build every region runs, and the older one `code-drift` leaves in the secondary.
const BUILD: &str = "Wq3fT0dXgQ3x7KQ2h1mZfV0c8yP6rB5nL4sJ9eA2uHk=";
const OLDER_BUILD: &str = "3n8Zk1pQw7RtY2xV5bC9mL0aF4sD6gH1jK8lE3uI7oE=";

/// One region's parity as the simulated estate is deployed.
pub fn region(pair: &RegionPair, role: Role, has: impl Fn(Fault) -> bool) -> RegionParity {
    let region = pair.region(role);
    let side = role.as_str();
    let functions = pair
        .lambda_functions_in(role)
        .iter()
        .map(|name| {
            let drifted = role == Role::Secondary
                && has(Fault::CodeDrift)
                && name.starts_with("transaction-processing");
            FunctionConfig {
                name: name.clone(),
                code_sha256: if drifted { OLDER_BUILD } else { BUILD }.to_owned(),
                runtime: Some("python3.12".to_owned()),
                architecture: Some("x86_64".to_owned()),
                memory_mb: Some(if name.starts_with("transaction") {
                    512
                } else {
                    256
                }),
                timeout_s: Some(if name.starts_with("transaction") {
                    30
                } else {
                    10
                }),
                environment_names: vec!["REGION_ROLE".to_owned(), "TABLE_NAME".to_owned()],
                reserved_concurrency: None,
            }
        })
        .collect();
    let cluster = pair.cluster(role);
    let instances = if role == Role::Secondary && has(Fault::SecondaryHeadless) {
        Vec::new()
    } else {
        ["1", "2"]
            .iter()
            .map(|n| DbInstance {
                id: format!("{cluster}-{n}"),
                class: "db.r6g.large".to_owned(),
            })
            .collect()
    };
    let stages = pair
        .api_names
        .get(region)
        .map(|api| StageThrottle {
            api: api.clone(),
            stage: "prod".to_owned(),
            rate_limit: Some(1000.0),
            burst_limit: Some(2000),
        })
        .into_iter()
        .collect();
    let parameters = pair.parameter_path.as_ref().map(|path| {
        let under = format!("{}/{side}", path.trim_end_matches('/'));
        let parameter = |leaf: &str, value: String| Parameter {
            name: format!("{under}/{leaf}"),
            kind: "String".to_owned(),
            value,
        };
        vec![
            parameter("region-role", side.to_owned()),
            parameter("db-cluster", cluster.to_owned()),
            parameter(
                "transactions-table",
                format!("payment-transactions-{}", pair.name),
            ),
            parameter(
                "api-host",
                format!("{side}api.execute-api.{region}.amazonaws.com"),
            ),
        ]
    });
    RegionParity {
        functions,
        instances: Some(instances),
        concurrency_limit: Some(1000),
        stages,
        parameters,
        unread: Vec::new(),
    }
}

/// The demo operator's permissions: everything, or all but the promote.
pub fn permissions(requests: &[AccessRequest], has: impl Fn(Fault) -> bool) -> Permissions {
    let denied = requests
        .iter()
        .filter(|request| {
            request.operation == Operation::FailoverGlobalCluster
                && has(Fault::OperatorCannotFailover)
        })
        .flat_map(|request| {
            request.resources.iter().map(|resource| Denial {
                action: request.operation.iam_action(),
                resource: resource.clone(),
                decision: "implicitDeny".to_owned(),
            })
        })
        .collect();
    Permissions {
        principal: Some(DEMO_PRINCIPAL.to_owned()),
        answer: Simulation::checked(requests, denied),
    }
}
