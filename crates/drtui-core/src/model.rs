//! Plain data: what drtui knows about both regions, when it learned it, and what failed.
//!
//! Every observed value is wrapped in [`Observed`] so that stale or failed data can never be
//! mistaken for a current zero.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::{Timestamp, elapsed};

/// The reference estate's alarm thresholds (payment-dr-architecture.md, "Alarms"): the
/// simulator alarms on them and the dashboard flags figures beyond them.
pub mod thresholds {
    pub const REPLICATION_LAG_MS: f64 = 10_000.0;
    pub const LAMBDA_ERROR_RATE_PCT: f64 = 5.0;
    pub const API_5XX_RATE_PCT: f64 = 1.0;
    pub const DB_CONNECTIONS: f64 = 100.0;
}

/// How old a one-minute CloudWatch datapoint may be and still be the current figure: three
/// periods plus CloudWatch's publishing delay. An older one is not shown as current.
pub const DATAPOINT_FRESH: Duration = Duration::from_secs(3 * 60 + 120);

/// Which side of the pair a region is configured as.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Primary,
    Secondary,
}

impl Role {
    pub const BOTH: [Role; 2] = [Role::Primary, Role::Secondary];

    pub fn index(self) -> usize {
        match self {
            Role::Primary => 0,
            Role::Secondary => 1,
        }
    }

    pub fn other(self) -> Role {
        match self {
            Role::Primary => Role::Secondary,
            Role::Secondary => Role::Primary,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Secondary => "secondary",
        }
    }
}

/// The latest failed attempt to fetch a value, with its kind (a timeout, the credentials, the
/// service's own error).
#[derive(Clone, Debug, PartialEq)]
pub struct FetchFailure {
    pub error: crate::ports::BackendError,
    pub at: Timestamp,
}

impl FetchFailure {
    /// What it says on screen and in reports.
    pub fn message(&self) -> String {
        self.error.to_string()
    }
}

/// How much a value can be trusted right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Freshness {
    /// Observed recently and the latest attempt succeeded.
    Fresh,
    /// Never fetched yet.
    Pending,
    /// A value exists but it is old or the latest attempt to refresh it failed.
    Stale,
    /// No value at all and the latest attempt failed.
    Failed,
}

/// A value as last observed, when it was observed, and the latest error.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed<T> {
    pub value: Option<T>,
    pub observed_at: Option<Timestamp>,
    pub error: Option<FetchFailure>,
    /// A source refreshed less often than the poll (CloudWatch metrics, once a minute) stays
    /// fresh at least this long: staleness is judged against the source's own interval.
    pub fresh_for_at_least: Duration,
}

impl<T> Default for Observed<T> {
    fn default() -> Self {
        Self {
            value: None,
            observed_at: None,
            error: None,
            fresh_for_at_least: Duration::ZERO,
        }
    }
}

impl<T> Observed<T> {
    /// Records one fetch attempt: a success replaces the value and clears the error, a failure
    /// keeps the last good value (now ageing) and remembers why.
    pub fn record(&mut self, result: Result<T, crate::ports::BackendError>, at: Timestamp) {
        match result {
            Ok(value) => {
                self.value = Some(value);
                self.observed_at = Some(at);
                self.error = None;
            }
            Err(error) => self.error = Some(FetchFailure { error, at }),
        }
    }

    pub fn age(&self, now: Timestamp) -> Option<Duration> {
        self.meta().age(now)
    }

    pub fn freshness(&self, now: Timestamp, stale_after: Duration) -> Freshness {
        self.meta().freshness(now, stale_after)
    }

    /// Everything about this observation except the value itself.
    pub fn meta(&self) -> ObservedMeta<'_> {
        ObservedMeta {
            has_value: self.value.is_some(),
            observed_at: self.observed_at,
            error: self.error.as_ref(),
            fresh_for_at_least: self.fresh_for_at_least,
        }
    }

    /// The value if it is recent enough to act on, even when the very latest refresh failed.
    pub fn usable(&self, now: Timestamp, max_age: Duration) -> Option<&T> {
        match self.age(now) {
            Some(age) if age <= max_age.max(self.fresh_for_at_least) => self.value.as_ref(),
            _ => None,
        }
    }
}

/// The value-independent part of an [`Observed`], so sources of different types can be
/// listed together.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ObservedMeta<'a> {
    pub has_value: bool,
    pub observed_at: Option<Timestamp>,
    pub error: Option<&'a FetchFailure>,
    pub fresh_for_at_least: Duration,
}

impl ObservedMeta<'_> {
    pub fn age(&self, now: Timestamp) -> Option<Duration> {
        self.observed_at.map(|at| elapsed(at, now))
    }

    pub fn freshness(&self, now: Timestamp, stale_after: Duration) -> Freshness {
        match (self.has_value, self.error) {
            (false, None) => Freshness::Pending,
            (false, Some(_)) => Freshness::Failed,
            (true, Some(_)) => Freshness::Stale,
            (true, None)
                if self
                    .age(now)
                    .is_some_and(|age| age > stale_after.max(self.fresh_for_at_least)) =>
            {
                Freshness::Stale
            }
            (true, None) => Freshness::Fresh,
        }
    }
}

/// Aurora cluster as DescribeDBClusters reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuroraCluster {
    pub cluster_id: String,
    pub status: String,
    pub endpoint: Option<String>,
    pub reader_endpoint: Option<String>,
    /// e.g. `16.4`: a switchover needs both members on the same version.
    pub engine_version: Option<String>,
}

/// A member of the Aurora global database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlobalMember {
    pub cluster_id: String,
    /// The member cluster's ARN, as the API reports it (the target of a switchover).
    pub arn: Option<String>,
    pub region: String,
    pub is_writer: bool,
    /// `connected`, `pending-resync`, or whatever newer value AWS sends, as it comes.
    pub synchronization_status: Option<String>,
}

/// A switchover or failover in progress on the global database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailoverState {
    pub status: String,
    pub from_region: Option<String>,
    pub to_region: Option<String>,
    pub from_db_cluster_arn: Option<String>,
    pub to_db_cluster_arn: Option<String>,
    pub is_data_loss_allowed: Option<bool>,
}

/// The Aurora global database as DescribeGlobalClusters reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlobalCluster {
    pub id: String,
    pub status: String,
    pub members: Vec<GlobalMember>,
    pub failover_state: Option<FailoverState>,
}

impl GlobalCluster {
    pub fn writer_region(&self) -> Option<&str> {
        self.members
            .iter()
            .find(|member| member.is_writer)
            .map(|member| member.region.as_str())
    }

    pub fn member_in(&self, region: &str) -> Option<&GlobalMember> {
        self.members.iter().find(|member| member.region == region)
    }
}

/// A Route 53 health check and what its checkers currently report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub id: String,
    /// The region whose endpoint this check probes, when known.
    pub region: Option<String>,
    pub healthy: Option<bool>,
    pub checkers_healthy: Option<u32>,
    pub checkers_total: Option<u32>,
    /// From the `HealthCheckPercentageHealthy` metric, when that is the source.
    pub percent_healthy: Option<f64>,
}

/// CloudWatch alarm states, as AWS names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlarmState {
    #[serde(rename = "OK")]
    Ok,
    #[serde(rename = "ALARM")]
    Alarm,
    #[serde(rename = "INSUFFICIENT_DATA")]
    InsufficientData,
}

impl AlarmState {
    pub fn as_str(&self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    pub state: AlarmState,
    pub reason: String,
    pub since: Option<Timestamp>,
    /// What it watches and when it fires, in one line (metric, statistic, comparison,
    /// threshold, periods), for the detail view.
    pub rule: Option<String>,
}

/// Names of the alarms in ALARM.
pub fn firing_alarms(alarms: &[Alarm]) -> Vec<&str> {
    alarms
        .iter()
        .filter(|alarm| alarm.state == AlarmState::Alarm)
        .map(|alarm| alarm.name.as_str())
        .collect()
}

/// Per-function Lambda figures over the latest period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LambdaMetrics {
    pub function: String,
    pub invocations: Option<f64>,
    pub errors: Option<f64>,
    pub duration_ms: Option<f64>,
}

/// Recent history of the figures the dashboard draws as sparklines, oldest first, one point
/// per `period`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricHistory {
    pub period_s: u64,
    /// `None` where no lag was published (the region was the writer then).
    pub replication_lag_ms: Vec<Option<f64>>,
    pub api_5xx_rate_pct: Vec<f64>,
    pub lambda_error_rate_pct: Vec<f64>,
}

impl MetricHistory {
    pub fn is_empty(&self) -> bool {
        self.replication_lag_ms.is_empty()
            && self.api_5xx_rate_pct.is_empty()
            && self.lambda_error_rate_pct.is_empty()
    }
}

/// The region's CloudWatch figures over the latest period. `None` means no datapoint.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionMetrics {
    pub api_requests_per_min: Option<f64>,
    pub api_latency_ms: Option<f64>,
    pub api_4xx_rate_pct: Option<f64>,
    pub api_5xx_rate_pct: Option<f64>,
    pub lambda_error_rate_pct: Option<f64>,
    pub lambdas: Vec<LambdaMetrics>,
    pub db_connections: Option<f64>,
    pub db_cpu_pct: Option<f64>,
    /// Aurora global replication lag; only reported in the secondary region.
    pub replication_lag_ms: Option<f64>,
    /// The period start of the newest datapoint of any figure, fresh or not: with every figure
    /// unknown, how long CloudWatch has been silent.
    pub newest_datapoint_at: Option<Timestamp>,
    /// The replicated stores whose figures this region's CloudWatch publishes (DynamoDB and
    /// S3 replication out of this region).
    pub stores: Vec<StoreFigures>,
    /// Kept in the crowd's shared snapshot (the readers draw the same sparklines); `status`
    /// leaves it out (see `report`).
    #[serde(default, skip_serializing_if = "MetricHistory::is_empty")]
    pub history: MetricHistory,
}

/// A replicated store, as the status JSON names its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Aurora,
    Dynamodb,
    S3,
    Secret,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Aurora => "aurora",
            StoreKind::Dynamodb => "dynamodb",
            StoreKind::S3 => "s3",
            StoreKind::Secret => "secret",
        }
    }
}

/// One store's replication out of a region, as that region's CloudWatch reported it: `None`
/// where no current datapoint came (unknown, never zero).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoreFigures {
    pub kind: StoreKind,
    /// The table, or the source bucket.
    pub name: String,
    /// The receiving region (DynamoDB) or destination bucket (S3).
    pub to: String,
    pub lag_ms: Option<f64>,
    pub pending_operations: Option<f64>,
    pub pending_bytes: Option<f64>,
    pub failed_operations: Option<f64>,
    /// The period start of its newest datapoint, current or not.
    pub newest_at: Option<Timestamp>,
}

impl RegionMetrics {
    /// How long ago the newest datapoint was, when it is older than [`DATAPOINT_FRESH`]: the
    /// figures are then unknown, and this says since when.
    pub fn silent_for(&self, now: Timestamp) -> Option<Duration> {
        let age = crate::clock::elapsed(self.newest_datapoint_at?, now);
        (age > DATAPOINT_FRESH).then_some(age)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StackStatus {
    pub name: String,
    pub status: String,
    /// CloudFormation's reason for the status, when it gives one (a failed resource).
    pub reason: Option<String>,
}

impl StackStatus {
    /// The status drtui gives a configured stack the region does not have.
    pub const NOT_FOUND: &'static str = "NOT_FOUND";

    /// Whether the stack is there at all (configured but never created, or deleted, is not).
    pub fn exists(&self) -> bool {
        self.status != Self::NOT_FOUND && self.status != "DELETE_COMPLETE"
    }

    /// A stack of the Aurora global database (the reference names them `…-Database-…`): the one
    /// a failover drifts.
    pub fn is_database(&self) -> bool {
        self.name.to_ascii_lowercase().contains("database")
    }

    /// The one rule for "this stack is as deployed": a `*_COMPLETE` status that is not a
    /// rollback. `UPDATE_ROLLBACK_COMPLETE` is stable but means the last change failed, so it is
    /// not OK anywhere (panel, status, Stacks list, runbook checks).
    pub fn is_settled(&self) -> bool {
        Self::settled(&self.status)
    }

    /// [`StackStatus::is_settled`] for a bare CloudFormation status string.
    pub fn settled(status: &str) -> bool {
        status.ends_with("_COMPLETE") && !status.contains("ROLLBACK")
    }
}

/// Route 53 weighted records of the pair's name, by region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DnsWeights {
    pub record_name: String,
    pub weights: BTreeMap<String, Option<u64>>,
}

impl DnsWeights {
    /// `us-east-1 100<sep>us-east-2 0` (`unknown` for a weight not read).
    pub fn text(weights: &BTreeMap<String, Option<u64>>, separator: &str) -> String {
        weights
            .iter()
            .map(|(region, weight)| {
                format!(
                    "{region} {}",
                    weight.map_or_else(|| "unknown".to_owned(), |weight| weight.to_string())
                )
            })
            .collect::<Vec<_>>()
            .join(separator)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub name: String,
    pub status: String,
    pub started_at: Timestamp,
    pub stopped_at: Option<Timestamp>,
}

/// The failover state machine and its recent executions, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateMachineStatus {
    pub arn: String,
    pub executions: Vec<Execution>,
}

impl StateMachineStatus {
    /// The executions still running: each could move traffic when it ends.
    pub fn running(&self) -> impl Iterator<Item = &Execution> {
        self.executions
            .iter()
            .filter(|execution| execution.status == "RUNNING")
    }

    /// "execution NAME RUNNING since HH:MM:SS, ...", when any runs.
    pub fn running_text(&self) -> Option<String> {
        let running: Vec<String> = self
            .running()
            .map(|execution| {
                format!(
                    "execution {} RUNNING since {}",
                    execution.name,
                    execution.started_at.format("%H:%M:%S")
                )
            })
            .collect();
        (!running.is_empty()).then(|| running.join(", "))
    }
}

/// API calls made, by service then operation (e.g. `cloudwatch` -> `GetMetricData` -> 2).
pub type CallCounts = BTreeMap<String, BTreeMap<String, u64>>;

/// The calls of `after` not yet made at `before`: the cost of what happened in between.
pub fn calls_between(before: &CallCounts, after: &CallCounts) -> CallCounts {
    after
        .iter()
        .map(|(service, operations)| {
            let operations = operations
                .iter()
                .map(|(operation, count)| {
                    let earlier = before
                        .get(service)
                        .and_then(|ops| ops.get(operation))
                        .copied()
                        .unwrap_or(0);
                    (operation.clone(), count.saturating_sub(earlier))
                })
                .filter(|(_, count)| *count > 0)
                .collect::<BTreeMap<_, _>>();
            (service.clone(), operations)
        })
        .filter(|(_, operations)| !operations.is_empty())
        .collect()
}

/// One thing the pollers fetch. Region-scoped sources name the side of the pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Source {
    Aurora(Role),
    Metrics(Role),
    Alarms(Role),
    Stacks(Role),
    GlobalCluster,
    Dns,
    HealthChecks,
    StateMachine,
    /// Who drtui is acting as (STS caller); fetched once, then cached by the backend.
    Identity,
    /// The replicas' statuses (tables, secrets), on a slow cadence.
    Replicas,
    /// What must match between the regions (functions, instances, limits, parameters), on
    /// the parity cadence.
    Parity(Role),
    /// What the caller may do (IAM's policy simulator), on the parity cadence.
    Permissions,
}

impl Source {
    /// Every source of a pair, in a stable order.
    pub fn all() -> Vec<Source> {
        let mut sources = Vec::with_capacity(15);
        for role in Role::BOTH {
            sources.extend([
                Source::Aurora(role),
                Source::Metrics(role),
                Source::Alarms(role),
                Source::Stacks(role),
            ]);
        }
        sources.extend([
            Source::GlobalCluster,
            Source::Dns,
            Source::HealthChecks,
            Source::StateMachine,
            Source::Identity,
            Source::Replicas,
            Source::Parity(Role::Primary),
            Source::Parity(Role::Secondary),
            Source::Permissions,
        ]);
        sources
    }

    pub fn role(self) -> Option<Role> {
        match self {
            Source::Aurora(role)
            | Source::Metrics(role)
            | Source::Alarms(role)
            | Source::Stacks(role)
            | Source::Parity(role) => Some(role),
            _ => None,
        }
    }

    /// Which interval this source is fetched at: CloudWatch `GetMetricData` (and the Route 53
    /// health-check metrics that ride in it) at the metrics interval, the replicas' statuses
    /// at their slow one, the rest every poll.
    pub fn pace(self) -> Pace {
        match self {
            Source::Metrics(_) | Source::HealthChecks => Pace::Metrics,
            Source::Replicas => Pace::Replicas,
            Source::Parity(_) | Source::Permissions => Pace::Parity,
            _ => Pace::Poll,
        }
    }

    /// Whether this source's data comes as a side effect of other calls of the same poll
    /// (Route 53 health-check metrics ride in us-east-1's `GetMetricData`).
    pub fn rides_on_others(self) -> bool {
        self == Source::HealthChecks
    }

    /// Short stable name used in JSON `errors[].source` and on screen.
    pub fn name(self) -> &'static str {
        match self {
            Source::Aurora(_) => "aurora",
            Source::Metrics(_) => "metrics",
            Source::Alarms(_) => "alarms",
            Source::Stacks(_) => "stacks",
            Source::GlobalCluster => "global_cluster",
            Source::Dns => "dns",
            Source::HealthChecks => "health_checks",
            Source::StateMachine => "state_machine",
            Source::Identity => "identity",
            Source::Replicas => "replicas",
            Source::Parity(_) => "parity",
            Source::Permissions => "permissions",
        }
    }
}

/// The interval a source follows (see [`Source::pace`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    Poll,
    Metrics,
    Replicas,
    /// Parity and permissions (see [`crate::parity`]): every `parity_interval`, or on demand.
    Parity,
}

/// What a source returned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SourceData {
    Aurora(AuroraCluster),
    Metrics(RegionMetrics),
    Alarms(Vec<Alarm>),
    Stacks(Vec<StackStatus>),
    GlobalCluster(GlobalCluster),
    Dns(DnsWeights),
    HealthChecks(Vec<HealthCheck>),
    StateMachine(Option<StateMachineStatus>),
    Identity(String),
    Replicas(Replicas),
    Parity(crate::parity::RegionParity),
    Permissions(crate::permissions::Permissions),
}

/// The replicas' own statuses, read on a slow cadence: each DynamoDB global table's replicas
/// (`DescribeTable`) and each secret's replication (`DescribeSecret`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Replicas {
    pub tables: Vec<ReplicaStatus>,
    pub secrets: Vec<ReplicaStatus>,
}

/// One replica of a table or secret in a region: its status as the service words it
/// (`ACTIVE`, `InSync`, `Failed`, …), `None` when it could not be read (and why, in `message`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaStatus {
    pub name: String,
    pub region: String,
    pub status: Option<String>,
    pub message: Option<String>,
}

/// One finished fetch, as it travels from a poller to the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceUpdate {
    pub source: Source,
    pub at: Timestamp,
    pub result: Result<SourceData, crate::ports::BackendError>,
}

/// Everything known about one region.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionStatus {
    pub region: String,
    pub role: Role,
    pub cluster_id: String,
    pub aurora: Observed<AuroraCluster>,
    pub metrics: Observed<RegionMetrics>,
    pub alarms: Observed<Vec<Alarm>>,
    pub stacks: Observed<Vec<StackStatus>>,
    pub parity: Observed<crate::parity::RegionParity>,
}

impl RegionStatus {
    pub fn new(region: &str, role: Role, cluster_id: &str) -> Self {
        Self {
            region: region.to_owned(),
            role,
            cluster_id: cluster_id.to_owned(),
            aurora: Observed::default(),
            metrics: Observed::default(),
            alarms: Observed::default(),
            stacks: Observed::default(),
            parity: Observed::default(),
        }
    }
}

/// Everything known about the pair: the model the UI, the verdict and the JSON read.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub pair: String,
    /// Indexed by [`Role::index`]: primary first.
    pub regions: [RegionStatus; 2],
    pub global_cluster: Observed<GlobalCluster>,
    pub dns: Observed<DnsWeights>,
    pub health_checks: Observed<Vec<HealthCheck>>,
    /// `Some(None)` once fetched means no state machine is configured or it does not exist.
    pub state_machine: Observed<Option<StateMachineStatus>>,
    pub identity: Observed<String>,
    pub replicas: Observed<Replicas>,
    pub permissions: Observed<crate::permissions::Permissions>,
}

impl Snapshot {
    pub fn new(pair: &str, primary: RegionStatus, secondary: RegionStatus) -> Self {
        Self {
            pair: pair.to_owned(),
            regions: [primary, secondary],
            global_cluster: Observed::default(),
            dns: Observed::default(),
            health_checks: Observed::default(),
            state_machine: Observed::default(),
            identity: Observed::default(),
            replicas: Observed::default(),
            permissions: Observed::default(),
        }
    }

    pub fn region(&self, role: Role) -> &RegionStatus {
        &self.regions[role.index()]
    }

    /// Folds one fetch result into the snapshot. A result whose payload does not match its
    /// source is recorded as an error of that source rather than dropped.
    pub fn apply(&mut self, update: SourceUpdate) {
        let SourceUpdate { source, at, result } = update;
        macro_rules! record {
            ($slot:expr, $variant:path) => {
                $slot.record(
                    result.and_then(|data| match data {
                        $variant(value) => Ok(value),
                        other => Err(crate::ports::BackendError::Refused(format!(
                            "internal: unexpected payload {other:?}"
                        ))),
                    }),
                    at,
                )
            };
        }
        match source {
            Source::Aurora(role) => record!(self.regions[role.index()].aurora, SourceData::Aurora),
            Source::Metrics(role) => {
                record!(self.regions[role.index()].metrics, SourceData::Metrics)
            }
            Source::Alarms(role) => record!(self.regions[role.index()].alarms, SourceData::Alarms),
            Source::Stacks(role) => record!(self.regions[role.index()].stacks, SourceData::Stacks),
            Source::GlobalCluster => record!(self.global_cluster, SourceData::GlobalCluster),
            Source::Dns => record!(self.dns, SourceData::Dns),
            Source::HealthChecks => record!(self.health_checks, SourceData::HealthChecks),
            Source::StateMachine => record!(self.state_machine, SourceData::StateMachine),
            Source::Identity => record!(self.identity, SourceData::Identity),
            Source::Replicas => record!(self.replicas, SourceData::Replicas),
            Source::Parity(role) => {
                record!(self.regions[role.index()].parity, SourceData::Parity)
            }
            Source::Permissions => record!(self.permissions, SourceData::Permissions),
        }
    }

    /// Freshness of every source, in [`Source::all`] order.
    pub fn freshness(&self, now: Timestamp, stale_after: Duration) -> Vec<(Source, Freshness)> {
        Source::all()
            .into_iter()
            .map(|source| (source, self.meta(source).freshness(now, stale_after)))
            .collect()
    }

    /// Age and error of one source, whatever its value type.
    pub fn meta(&self, source: Source) -> ObservedMeta<'_> {
        match source {
            Source::Aurora(role) => self.region(role).aurora.meta(),
            Source::Metrics(role) => self.region(role).metrics.meta(),
            Source::Alarms(role) => self.region(role).alarms.meta(),
            Source::Stacks(role) => self.region(role).stacks.meta(),
            Source::GlobalCluster => self.global_cluster.meta(),
            Source::Dns => self.dns.meta(),
            Source::HealthChecks => self.health_checks.meta(),
            Source::StateMachine => self.state_machine.meta(),
            Source::Identity => self.identity.meta(),
            Source::Replicas => self.replicas.meta(),
            Source::Parity(role) => self.region(role).parity.meta(),
            Source::Permissions => self.permissions.meta(),
        }
    }

    /// The latest error of every source that has one.
    pub fn errors(&self) -> Vec<(Source, &FetchFailure)> {
        Source::all()
            .into_iter()
            .filter_map(|source| self.meta(source).error.map(|error| (source, error)))
            .collect()
    }

    /// True when every source has a value and none of the latest attempts failed.
    pub fn is_complete(&self, now: Timestamp, stale_after: Duration) -> bool {
        self.freshness(now, stale_after)
            .iter()
            .all(|(_, freshness)| *freshness == Freshness::Fresh)
    }

    /// Health checks that probe the given region's endpoint.
    pub fn health_checks_for<'a>(
        &'a self,
        region: &'a str,
    ) -> impl Iterator<Item = &'a HealthCheck> + 'a {
        self.health_checks
            .value
            .iter()
            .flatten()
            .filter(move |check| check.region.as_deref() == Some(region))
    }

    /// The side of the global writer, when the global cluster is known within `max_age`.
    pub(crate) fn writer_role(&self, now: Timestamp, max_age: Duration) -> Option<Role> {
        let writer = self.global_cluster.usable(now, max_age)?.writer_region()?;
        Role::BOTH
            .into_iter()
            .find(|role| self.region(*role).region == writer)
    }

    /// After a switchover or failover CloudFormation reports the database stacks as drifted
    /// (their template puts the writer in the configured primary): expected, and said so rather
    /// than alarming anyone. `None` while the writer is where the templates put it, or unseen.
    pub fn failover_drift(&self, now: Timestamp, max_age: Duration) -> Option<String> {
        (self.writer_role(now, max_age)? == Role::Secondary).then(|| {
            format!(
                "drifted by a failover (expected): the writer is in {}, the templates put it in {}; do not update these stacks until a failback",
                self.region(Role::Secondary).region,
                self.region(Role::Primary).region
            )
        })
    }

    /// The latest fetch that failed because the credentials did (missing, expired, rejected),
    /// if any: not the estate's fault.
    pub fn credentials_failure(&self) -> Option<&FetchFailure> {
        self.errors()
            .into_iter()
            .map(|(_, failure)| failure)
            .find(|failure| failure.error.is_credentials())
    }

    /// Whether the region's cluster is the global writer, when the global cluster is known.
    pub fn is_writer(&self, role: Role) -> Option<bool> {
        let global = self.global_cluster.value.as_ref()?;
        global
            .member_in(&self.region(role).region)
            .map(|member| member.is_writer)
    }
}
