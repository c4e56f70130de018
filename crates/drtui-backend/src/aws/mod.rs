//! The AWS backend: the same sources as the simulator, read from the real APIs of both
//! regions. This crate is the only one that links the AWS SDK.

pub mod act;
pub mod clients;
pub mod deploy;
pub mod discover;
pub mod lock;
pub mod metrics;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aws_sdk_cloudwatch::error::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

pub use clients::{ClientPool, Clients, Overrides};
use drtui_core::clock::{Clock, Timestamp, elapsed};
use drtui_core::config::RegionPair;
use drtui_core::model::{
    Alarm, AlarmState, AuroraCluster, CallCounts, DnsWeights, Execution, FailoverState,
    GlobalCluster, GlobalMember, HealthCheck, RegionMetrics, Role, Source, SourceData, StackStatus,
    StateMachineStatus,
};
use drtui_core::ports::{BackendError, BoxFuture, CallCounter, StatusBackend};

/// AWS documents `GetHealthCheckStatus` as not meant for high rates: at most this often.
pub const HEALTH_STATUS_MIN_INTERVAL: Duration = Duration::from_secs(30);
/// Route 53 calls an endpoint healthy when more than this share of its checkers do.
const HEALTHY_CHECKER_SHARE: f64 = 0.18;
/// How many executions of the failover state machine to show.
const RECENT_EXECUTIONS: i32 = 10;

/// Health-check state learned as a side effect of other calls.
#[derive(Debug, Default)]
struct HealthCache {
    /// Region -> health check id, from the weighted records, when the config names none.
    discovered_ids: BTreeMap<String, String>,
    /// From the us-east-1 `GetMetricData` call.
    from_metrics: Option<(Timestamp, Vec<HealthCheck>)>,
    /// From the rate-limited `GetHealthCheckStatus` fallback.
    from_api: Option<(Timestamp, Vec<HealthCheck>)>,
}

pub struct AwsBackend {
    pair: RegionPair,
    clients: Clients,
    clock: Arc<dyn Clock>,
    calls: CallCounter,
    health: Mutex<HealthCache>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// SDK timestamps to chrono.
pub fn timestamp(at: &aws_smithy_types::DateTime) -> Option<Timestamp> {
    chrono::DateTime::from_timestamp(at.secs(), at.subsec_nanos())
}

use drtui_core::arn::{region as arn_region, resource as arn_resource};

/// An alarm's rule in one line: `NAMESPACE METRIC STAT > THRESHOLD for M of N periods of P s`,
/// or the metric-math expression it evaluates.
fn alarm_rule(alarm: &aws_sdk_cloudwatch::types::MetricAlarm) -> String {
    use aws_sdk_cloudwatch::types::ComparisonOperator as Op;
    let watched = match (alarm.namespace(), alarm.metric_name()) {
        (Some(namespace), Some(metric)) => format!(
            "{namespace} {metric} {}",
            alarm
                .statistic()
                .map(|stat| stat.as_str().to_owned())
                .or_else(|| alarm.extended_statistic().map(str::to_owned))
                .unwrap_or_default()
        ),
        _ => alarm
            .metrics()
            .iter()
            .find(|query| query.return_data() != Some(false) && query.expression().is_some())
            .and_then(|query| query.expression())
            .map_or_else(
                || "metric math".to_owned(),
                |expression| format!("metric math {expression}"),
            ),
    };
    let comparison = match alarm.comparison_operator() {
        Some(Op::GreaterThanThreshold) => ">",
        Some(Op::GreaterThanOrEqualToThreshold) => ">=",
        Some(Op::LessThanThreshold) => "<",
        Some(Op::LessThanOrEqualToThreshold) => "<=",
        Some(other) => other.as_str(),
        None => "?",
    };
    let threshold = alarm
        .threshold()
        .map_or_else(|| "?".to_owned(), |value| format!("{value}"));
    let periods = alarm.evaluation_periods().unwrap_or(1);
    let datapoints = alarm.datapoints_to_alarm().unwrap_or(periods);
    let period = alarm
        .period()
        .or_else(|| {
            alarm
                .metrics()
                .iter()
                .find_map(|query| query.metric_stat().and_then(|stat| stat.period()))
        })
        .map_or_else(String::new, |seconds| format!(" of {seconds} s"));
    format!("{watched} {comparison} {threshold} for {datapoints} of {periods} periods{period}")
}

/// Whether a credentials provider's failure is somewhere in the error's chain of causes (none
/// could be loaded, or the provider refused): the SDK never got as far as asking AWS.
fn caused_by_credentials(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error
            .downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
            .is_some()
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Route 53 names end with a dot and may differ in case.
fn same_dns_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

impl AwsBackend {
    pub fn new(pair: &RegionPair, clients: Clients, clock: Arc<dyn Clock>) -> Self {
        Self {
            pair: pair.clone(),
            clients,
            clock,
            calls: CallCounter::default(),
            health: Mutex::new(HealthCache::default()),
        }
    }

    /// The pair's cross-machine run lock, when it names a `lock_table`.
    pub fn remote_lock(&self) -> Option<lock::DynamoLock> {
        let table = self.pair.lock_table.as_deref()?;
        let role = self.pair.lock_role;
        Some(lock::DynamoLock::new(
            self.clients.regions[role.index()].dynamodb.clone(),
            table,
            self.pair.region(role),
            &self.pair.name,
        ))
    }

    /// Turns an SDK failure into what the screen shows: a timeout, an unreachable endpoint,
    /// or the service's own error code and message.
    fn error<E, R>(&self, role: Role, error: SdkError<E, R>) -> BackendError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        if let Some(code) = error.code()
            && drtui_core::ports::is_credentials_code(code)
        {
            return BackendError::Credentials(format!(
                "{code}: {}; log in again (e.g. `aws sso login`), then resume",
                error.message().unwrap_or("rejected")
            ));
        }
        if caused_by_credentials(&error) {
            return BackendError::Credentials(
                "none could be loaded; log in (e.g. `aws sso login`), then resume".to_owned(),
            );
        }
        match &error {
            SdkError::TimeoutError(_) => BackendError::Timeout(self.pair.call_timeout),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => {
                BackendError::Timeout(self.pair.call_timeout)
            }
            SdkError::DispatchFailure(_) => BackendError::Unreachable {
                endpoint: self.clients.regions[role.index()]
                    .endpoint
                    .clone()
                    .unwrap_or_else(|| format!("AWS in {}", self.pair.region(role))),
                message: DisplayErrorContext(&error).to_string(),
            },
            SdkError::ServiceError(_) => BackendError::Service {
                code: error.code().unwrap_or("UnknownError").to_owned(),
                message: error.message().unwrap_or("no message").to_owned(),
            },
            _ => BackendError::Service {
                code: "ResponseError".to_owned(),
                message: DisplayErrorContext(&error).to_string(),
            },
        }
    }

    fn region_clients(&self, role: Role) -> &clients::RegionClients {
        &self.clients.regions[role.index()]
    }

    fn role_of(&self, region: &str) -> Option<Role> {
        Role::BOTH
            .into_iter()
            .find(|role| self.pair.region(*role) == region)
    }

    /// The side whose region hosts Route 53's control plane (errors are reported against it).
    fn route53_role(&self) -> Role {
        self.role_of(drtui_core::ports::ROUTE53_CONTROL_REGION)
            .unwrap_or(Role::Primary)
    }

    /// Health checks by probed region: from the config, else from the weighted records.
    fn health_check_ids(&self) -> BTreeMap<String, String> {
        if self.pair.health_checks.is_empty() {
            lock(&self.health).discovered_ids.clone()
        } else {
            self.pair.health_checks.clone()
        }
    }

    async fn aurora(&self, role: Role) -> Result<SourceData, BackendError> {
        let cluster_id = self.pair.cluster(role);
        self.calls
            .record(drtui_core::calls::Operation::DescribeDbClusters);
        let output = self
            .region_clients(role)
            .rds
            .describe_db_clusters()
            .db_cluster_identifier(cluster_id)
            .send()
            .await
            .map_err(|error| self.error(role, error))?;
        let cluster = output
            .db_clusters()
            .first()
            .ok_or_else(|| BackendError::Service {
                code: "DBClusterNotFoundFault".to_owned(),
                message: format!("no cluster {cluster_id} in {}", self.pair.region(role)),
            })?;
        Ok(SourceData::Aurora(AuroraCluster {
            cluster_id: cluster
                .db_cluster_identifier()
                .unwrap_or(cluster_id)
                .to_owned(),
            status: cluster.status().unwrap_or("unknown").to_owned(),
            endpoint: cluster.endpoint().map(str::to_owned),
            reader_endpoint: cluster.reader_endpoint().map(str::to_owned),
            engine_version: cluster.engine_version().map(str::to_owned),
        }))
    }

    async fn metrics(&self, role: Role) -> Result<SourceData, BackendError> {
        use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
        let health_ids = self.health_check_ids();
        let queries = metrics::queries(&self.pair, role, &health_ids);
        let now = self.clock.now();
        // Up to the start of the current period: the newest datapoint is a complete minute,
        // fetched once (the metrics pollers wake just after each boundary).
        let period = i64::from(metrics::PERIOD_S);
        let end = now.timestamp() - now.timestamp().rem_euclid(period);
        let start = end - metrics::WINDOW_S;
        let mut results: BTreeMap<String, metrics::Series> = BTreeMap::new();
        let mut next_token: Option<String> = None;
        loop {
            let mut request = self
                .region_clients(role)
                .cloudwatch
                .get_metric_data()
                .start_time(aws_smithy_types::DateTime::from_secs(start))
                .end_time(aws_smithy_types::DateTime::from_secs(end))
                .set_next_token(next_token.take());
            for query in &queries {
                request = request.metric_data_queries(
                    MetricDataQuery::builder()
                        .id(&query.id)
                        .return_data(true)
                        .metric_stat(
                            MetricStat::builder()
                                .metric(
                                    Metric::builder()
                                        .namespace(query.namespace)
                                        .metric_name(query.metric)
                                        .dimensions(
                                            Dimension::builder()
                                                .name(query.dimension.0)
                                                .value(&query.dimension.1)
                                                .build(),
                                        )
                                        .build(),
                                )
                                .period(metrics::PERIOD_S)
                                .stat(query.stat)
                                .build(),
                        )
                        .build(),
                );
            }
            self.calls
                .record(drtui_core::calls::Operation::GetMetricData);
            let output = request
                .send()
                .await
                .map_err(|error| self.error(role, error))?;
            for result in output.metric_data_results() {
                let Some(id) = result.id() else { continue };
                let series = results.entry(id.to_owned()).or_default();
                for (at, value) in result.timestamps().iter().zip(result.values()) {
                    if let Some(at) = timestamp(at) {
                        series.insert(at, *value);
                    }
                }
            }
            match output.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => break,
            }
        }
        let (region_metrics, health): (RegionMetrics, Vec<HealthCheck>) =
            metrics::interpret(&self.pair, role, &queries, &results, &health_ids);
        if health.iter().any(|check| check.healthy.is_some()) {
            lock(&self.health).from_metrics = Some((now, health));
        }
        Ok(SourceData::Metrics(region_metrics))
    }

    async fn alarms(&self, role: Role) -> Result<SourceData, BackendError> {
        let mut alarms = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            self.calls
                .record(drtui_core::calls::Operation::DescribeAlarms);
            let output = self
                .region_clients(role)
                .cloudwatch
                .describe_alarms()
                .alarm_name_prefix(&self.pair.alarm_prefix)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|error| self.error(role, error))?;
            for alarm in output.metric_alarms() {
                use aws_sdk_cloudwatch::types::StateValue;
                let state = match alarm.state_value() {
                    Some(StateValue::Ok) => AlarmState::Ok,
                    Some(StateValue::Alarm) => AlarmState::Alarm,
                    _ => AlarmState::InsufficientData,
                };
                alarms.push(Alarm {
                    name: alarm.alarm_name().unwrap_or("(unnamed)").to_owned(),
                    state,
                    reason: alarm.state_reason().unwrap_or_default().to_owned(),
                    since: alarm.state_updated_timestamp().and_then(timestamp),
                    rule: Some(alarm_rule(alarm)),
                });
            }
            match output.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => break,
            }
        }
        Ok(SourceData::Alarms(alarms))
    }

    /// Every stack of the region (all pages of `DescribeStacks`).
    async fn all_stacks(
        &self,
        role: Role,
    ) -> Result<Vec<aws_sdk_cloudformation::types::Stack>, BackendError> {
        let mut stacks = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            self.calls
                .record(drtui_core::calls::Operation::DescribeStacks);
            let page = self
                .region_clients(role)
                .cloudformation
                .describe_stacks()
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|error| self.error(role, error))?;
            stacks.extend(page.stacks().iter().cloned());
            match page.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => return Ok(stacks),
            }
        }
    }

    async fn stacks(&self, role: Role) -> Result<SourceData, BackendError> {
        let wanted = self.pair.stacks_in(role);
        if wanted.is_empty() {
            return Ok(SourceData::Stacks(Vec::new()));
        }
        let found: BTreeMap<String, StackStatus> = self
            .all_stacks(role)
            .await?
            .iter()
            .filter_map(|stack| {
                let name = stack.stack_name()?.to_owned();
                Some((
                    name.clone(),
                    StackStatus {
                        name,
                        status: stack.stack_status()?.as_str().to_owned(),
                        reason: stack.stack_status_reason().map(str::to_owned),
                    },
                ))
            })
            .collect();
        Ok(SourceData::Stacks(
            wanted
                .iter()
                .map(|name| {
                    found.get(name).cloned().unwrap_or_else(|| StackStatus {
                        name: name.clone(),
                        status: StackStatus::NOT_FOUND.to_owned(),
                        reason: Some("no stack of this name in the region".to_owned()),
                    })
                })
                .collect(),
        ))
    }

    async fn global_cluster(&self) -> Result<SourceData, BackendError> {
        // Asked of the secondary: the side that must answer during a primary outage.
        let role = Role::Secondary;
        self.calls
            .record(drtui_core::calls::Operation::DescribeGlobalClusters);
        let output = self
            .region_clients(role)
            .rds
            .describe_global_clusters()
            .global_cluster_identifier(&self.pair.global_cluster)
            .send()
            .await
            .map_err(|error| self.error(role, error))?;
        let global = output
            .global_clusters()
            .iter()
            // Some implementations ignore the identifier filter: pick ours from the answer.
            .find(|global| {
                global
                    .global_cluster_identifier()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&self.pair.global_cluster))
            })
            .ok_or_else(|| BackendError::Service {
                code: "GlobalClusterNotFoundFault".to_owned(),
                message: format!("no global cluster {}", self.pair.global_cluster),
            })?;
        let members = global
            .global_cluster_members()
            .iter()
            .filter_map(|member| {
                let arn = member.db_cluster_arn()?;
                Some(GlobalMember {
                    arn: Some(arn.to_owned()),
                    cluster_id: arn_resource(arn).to_owned(),
                    region: arn_region(arn).unwrap_or("unknown").to_owned(),
                    is_writer: member.is_writer().unwrap_or(false),
                    synchronization_status: member
                        .synchronization_status()
                        .map(|status| status.as_str().to_owned()),
                })
            })
            .collect();
        let failover_state = global.failover_state().map(|state| FailoverState {
            status: state
                .status()
                .map_or("unknown", |status| status.as_str())
                .to_owned(),
            from_region: state
                .from_db_cluster_arn()
                .and_then(arn_region)
                .map(str::to_owned),
            to_region: state
                .to_db_cluster_arn()
                .and_then(arn_region)
                .map(str::to_owned),
            from_db_cluster_arn: state.from_db_cluster_arn().map(str::to_owned),
            to_db_cluster_arn: state.to_db_cluster_arn().map(str::to_owned),
            is_data_loss_allowed: state.is_data_loss_allowed(),
        });
        Ok(SourceData::GlobalCluster(GlobalCluster {
            id: global
                .global_cluster_identifier()
                .unwrap_or(&self.pair.global_cluster)
                .to_owned(),
            status: global.status().unwrap_or("unknown").to_owned(),
            members,
            failover_state,
        }))
    }

    async fn dns(&self) -> Result<SourceData, BackendError> {
        use aws_sdk_route53::types::RrType;
        let route53_role = self.route53_role();
        let region_of_set: BTreeMap<&str, &str> = self
            .pair
            .set_identifiers
            .iter()
            .map(|(region, set)| (set.as_str(), region.as_str()))
            .collect();
        let mut weights: BTreeMap<String, Option<u64>> = Role::BOTH
            .iter()
            .map(|role| (self.pair.region(*role).to_owned(), None))
            .collect();
        let mut discovered = BTreeMap::new();
        let mut start: (Option<String>, Option<RrType>, Option<String>) =
            (Some(self.pair.record_name.clone()), None, None);
        'pages: loop {
            self.calls
                .record(drtui_core::calls::Operation::ListResourceRecordSets);
            let output = self
                .clients
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(&self.pair.hosted_zone_id)
                .set_start_record_name(start.0.take())
                .set_start_record_type(start.1.take())
                .set_start_record_identifier(start.2.take())
                .send()
                .await
                .map_err(|error| self.error(route53_role, error))?;
            for record in output.resource_record_sets() {
                if !same_dns_name(record.name(), &self.pair.record_name) {
                    break 'pages;
                }
                let Some(region) = record
                    .set_identifier()
                    .and_then(|set| region_of_set.get(set))
                else {
                    continue;
                };
                weights.insert(
                    (*region).to_owned(),
                    record
                        .weight()
                        .and_then(|weight| u64::try_from(weight).ok()),
                );
                if let Some(id) = record.health_check_id() {
                    discovered.insert((*region).to_owned(), id.to_owned());
                }
            }
            if !output.is_truncated() {
                break;
            }
            start = (
                output.next_record_name().map(str::to_owned),
                output.next_record_type().cloned(),
                output.next_record_identifier().map(str::to_owned),
            );
        }
        if !discovered.is_empty() {
            lock(&self.health).discovered_ids = discovered;
        }
        Ok(SourceData::Dns(DnsWeights {
            record_name: self.pair.record_name.clone(),
            weights,
        }))
    }

    async fn health_checks(&self) -> Result<SourceData, BackendError> {
        let now = self.clock.now();
        {
            let cache = lock(&self.health);
            // Preferred: the metrics that rode in the latest us-east-1 GetMetricData call.
            if let Some((at, checks)) = &cache.from_metrics
                && elapsed(*at, now) <= self.pair.poll_interval * 2
            {
                return Ok(SourceData::HealthChecks(checks.clone()));
            }
            if let Some((at, checks)) = &cache.from_api
                && elapsed(*at, now) < HEALTH_STATUS_MIN_INTERVAL
            {
                return Ok(SourceData::HealthChecks(checks.clone()));
            }
        }
        let route53_role = self.route53_role();
        let mut checks = Vec::new();
        for (region, id) in self.health_check_ids() {
            self.calls
                .record(drtui_core::calls::Operation::GetHealthCheckStatus);
            let output = self
                .clients
                .route53
                .get_health_check_status()
                .health_check_id(&id)
                .send()
                .await
                .map_err(|error| self.error(route53_role, error))?;
            let observations = output.health_check_observations();
            let total = observations.len() as u32;
            let healthy = observations
                .iter()
                .filter(|observation| {
                    observation
                        .status_report()
                        .and_then(|report| report.status())
                        .is_some_and(|status| status.starts_with("Success"))
                })
                .count() as u32;
            checks.push(HealthCheck {
                id,
                region: Some(region),
                healthy: (total > 0)
                    .then(|| f64::from(healthy) > HEALTHY_CHECKER_SHARE * f64::from(total)),
                checkers_healthy: Some(healthy),
                checkers_total: Some(total),
                percent_healthy: (total > 0).then(|| 100.0 * f64::from(healthy) / f64::from(total)),
            });
        }
        lock(&self.health).from_api = Some((now, checks.clone()));
        Ok(SourceData::HealthChecks(checks))
    }

    async fn state_machine(&self) -> Result<SourceData, BackendError> {
        let Some(arn) = self.pair.state_machine.clone() else {
            return Ok(SourceData::StateMachine(None));
        };
        let role = arn_region(&arn)
            .and_then(|region| self.role_of(region))
            .unwrap_or(Role::Primary);
        self.calls
            .record(drtui_core::calls::Operation::ListExecutions);
        let result = self
            .region_clients(role)
            .sfn
            .list_executions()
            .state_machine_arn(&arn)
            .max_results(RECENT_EXECUTIONS)
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_state_machine_does_not_exist()) =>
            {
                return Ok(SourceData::StateMachine(None));
            }
            Err(error) => return Err(self.error(role, error)),
        };
        let mut executions: Vec<Execution> = output
            .executions()
            .iter()
            .filter_map(|execution| {
                Some(Execution {
                    name: execution.name().to_owned(),
                    status: execution.status().as_str().to_owned(),
                    started_at: timestamp(execution.start_date())?,
                    stopped_at: execution.stop_date().and_then(timestamp),
                })
            })
            .collect();
        executions.sort_by_key(|execution| std::cmp::Reverse(execution.started_at));
        Ok(SourceData::StateMachine(Some(StateMachineStatus {
            arn,
            executions,
        })))
    }

    /// The caller, asked of STS once for every pair signing with the same credentials.
    async fn identity(&self) -> Result<SourceData, BackendError> {
        let arn = self
            .clients
            .identity
            .get_or_try_init(|| async {
                self.calls
                    .record(drtui_core::calls::Operation::GetCallerIdentity);
                let output = self
                    .clients
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|error| self.error(Role::Primary, error))?;
                Ok::<_, BackendError>(output.arn().unwrap_or("unknown caller").to_owned())
            })
            .await?;
        Ok(SourceData::Identity(arn.clone()))
    }
}

impl StatusBackend for AwsBackend {
    fn fetch(&self, source: Source) -> BoxFuture<'_, Result<SourceData, BackendError>> {
        Box::pin(async move {
            match source {
                Source::Aurora(role) => self.aurora(role).await,
                Source::Metrics(role) => self.metrics(role).await,
                Source::Alarms(role) => self.alarms(role).await,
                Source::Stacks(role) => self.stacks(role).await,
                Source::GlobalCluster => self.global_cluster().await,
                Source::Dns => self.dns().await,
                Source::HealthChecks => self.health_checks().await,
                Source::StateMachine => self.state_machine().await,
                Source::Identity => self.identity().await,
            }
        })
    }

    fn describe(&self) -> String {
        match &self.pair.endpoint_url {
            Some(_) => "AWS APIs at a custom endpoint".to_owned(),
            None => "AWS".to_owned(),
        }
    }

    fn call_counts(&self) -> CallCounts {
        self.calls.snapshot()
    }
}

#[cfg(test)]
mod tests;
