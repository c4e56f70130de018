//! Faults a simulated estate can inject (the failure modes an on-call engineer meets), and the
//! `FaultControl` port through which the UI drives them without naming the simulator.

use std::fmt;
use std::str::FromStr;

use crate::model::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// The primary's application is down: health checks fail, 5XX and Lambda errors soar,
    /// replication stalls so the secondary's lag grows.
    PrimaryOutage,
    /// Replication lag climbs to 30–45 s while everything else looks fine.
    LagSpike,
    /// The primary answers a few percent of API requests with 5XX.
    Api5xxBurst,
    /// The secondary's endpoint fails its health checks and its database is saturated.
    SecondaryDegraded,
    /// Control-plane calls (RDS, Route 53, CloudFormation, Step Functions) are throttled.
    ThrottledControlPlane,
    /// Every call to the region's APIs hangs and never answers.
    HungRegion(Role),
    /// A stack deployment fails on its first changed resource and rolls back.
    StackUpdateFails,
    /// State-machine executions start and never end (a task that never returns).
    HungStateMachine,
    /// The DynamoDB global table's replication toward the secondary stalls: its latency grows
    /// without bound.
    DynamoDbReplicationStall,
    /// S3 replication toward the secondary falls behind: thousands of operations and GBs
    /// pending, some failing.
    S3ReplicationBacklog,
    /// The database secret's replica in the secondary fails to sync.
    SecretReplicaFailed,
    /// The secondary's transaction function is an older build than the primary's.
    CodeDrift,
    /// The secondary's Aurora cluster has no instance (a headless secondary).
    SecondaryHeadless,
    /// The operator's permissions lack `rds:FailoverGlobalCluster`.
    OperatorCannotFailover,
}

impl Fault {
    pub const ALL: [Fault; 15] = [
        Fault::PrimaryOutage,
        Fault::LagSpike,
        Fault::Api5xxBurst,
        Fault::SecondaryDegraded,
        Fault::ThrottledControlPlane,
        Fault::HungRegion(Role::Primary),
        Fault::HungRegion(Role::Secondary),
        Fault::StackUpdateFails,
        Fault::HungStateMachine,
        Fault::DynamoDbReplicationStall,
        Fault::S3ReplicationBacklog,
        Fault::SecretReplicaFailed,
        Fault::CodeDrift,
        Fault::SecondaryHeadless,
        Fault::OperatorCannotFailover,
    ];

    /// The name used by `--scenario` and in the fault menu.
    pub fn name(self) -> &'static str {
        match self {
            Fault::PrimaryOutage => "primary-outage",
            Fault::LagSpike => "lag-spike",
            Fault::Api5xxBurst => "api-5xx-burst",
            Fault::SecondaryDegraded => "secondary-degraded",
            Fault::ThrottledControlPlane => "throttled-control-plane",
            Fault::HungRegion(Role::Primary) => "hung-primary",
            Fault::HungRegion(Role::Secondary) => "hung-secondary",
            Fault::StackUpdateFails => "stack-update-fails",
            Fault::HungStateMachine => "hung-state-machine",
            Fault::DynamoDbReplicationStall => "dynamodb-replication-stall",
            Fault::S3ReplicationBacklog => "s3-replication-backlog",
            Fault::SecretReplicaFailed => "secret-replica-failed",
            Fault::CodeDrift => "code-drift",
            Fault::SecondaryHeadless => "secondary-headless",
            Fault::OperatorCannotFailover => "operator-cannot-failover",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Fault::PrimaryOutage => {
                "primary region outage: API down, health checks failing, replication stalled"
            }
            Fault::LagSpike => "replication lag spike to 30-45 s",
            Fault::Api5xxBurst => "burst of API 5XX errors in the primary (3-6 %)",
            Fault::SecondaryDegraded => {
                "secondary degraded: health checks failing, DB connections saturated"
            }
            Fault::ThrottledControlPlane => {
                "control-plane APIs throttled (about half the calls fail)"
            }
            Fault::HungRegion(Role::Primary) => "primary region hung: its API calls never answer",
            Fault::HungRegion(Role::Secondary) => {
                "secondary region hung: its API calls never answer"
            }
            Fault::StackUpdateFails => {
                "stack deployments fail on their first changed resource and roll back"
            }
            Fault::HungStateMachine => "failover state-machine executions start and never end",
            Fault::DynamoDbReplicationStall => {
                "DynamoDB global table replication toward the secondary stalls"
            }
            Fault::S3ReplicationBacklog => {
                "S3 replication toward the secondary falls behind (thousands pending, some failing)"
            }
            Fault::SecretReplicaFailed => {
                "the database secret's replica in the secondary fails to sync"
            }
            Fault::CodeDrift => {
                "the secondary's transaction function runs an older build than the primary's"
            }
            Fault::SecondaryHeadless => "the secondary's Aurora cluster has no instance",
            Fault::OperatorCannotFailover => {
                "the operator's permissions lack rds:FailoverGlobalCluster"
            }
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A backend that can inject faults (the simulator). The TUI's fault menu holds one of these,
/// never the simulator itself.
pub trait FaultControl: Send + Sync {
    /// The faults running now.
    fn faults(&self) -> std::collections::BTreeSet<Fault>;

    /// Turns a fault on or off from now on.
    fn set_fault(&self, fault: Fault, active: bool);
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown scenario `{0}`; known: {known}", known = Fault::ALL.map(Fault::name).join(", "))]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let name = name.trim();
        if name == "hung-region" {
            return Ok(Fault::HungRegion(Role::Primary));
        }
        Fault::ALL
            .into_iter()
            .find(|fault| fault.name() == name)
            .ok_or_else(|| UnknownFault(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_round_trips_through_its_name() {
        for fault in Fault::ALL {
            assert_eq!(fault.name().parse::<Fault>(), Ok(fault));
        }
        assert_eq!(
            "hung-region".parse::<Fault>(),
            Ok(Fault::HungRegion(Role::Primary))
        );
        let error = "meteor".parse::<Fault>().expect_err("unknown");
        assert!(error.to_string().contains("primary-outage"), "{error}");
    }
}
