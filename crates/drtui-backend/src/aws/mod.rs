//! The AWS backend: the same sources as the simulator, read from the real APIs of both
//! regions. This crate is the only one that links the AWS SDK.

pub mod act;
mod batch;
mod call;
pub mod clients;
pub mod deploy;
pub mod discover;
pub mod lock;
pub mod metrics;
mod parity;
pub mod reads;
mod replicas;
mod route53;
pub mod route53_budget;
pub mod shared;
mod sources;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aws_sdk_cloudwatch::error::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

pub use clients::{ClientPool, Clients, Overrides};
use drtui_core::clock::{Clock, Timestamp};
use drtui_core::config::RegionPair;
use drtui_core::model::{CallCounts, HealthCheck, Role, Source, SourceData};
use drtui_core::ports::{BackendError, BoxFuture, CallCounter, StatusBackend};

/// AWS documents `GetHealthCheckStatus` as not meant for high rates: at most this often.
pub const HEALTH_STATUS_MIN_INTERVAL: Duration = Duration::from_secs(30);
/// Route 53 calls an endpoint healthy when more than this share of its checkers do.
const HEALTHY_CHECKER_SHARE: f64 = 0.18;
/// How many executions of the failover state machine to show.
pub(crate) const RECENT_EXECUTIONS: i32 = 10;

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
    calls: Arc<CallCounter>,
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

/// An SDK failure as one line: `Code: message` from the service, else what stopped the call
/// (a dispatch failure, a timeout), never the SDK's debug form; at most 300 characters.
pub(crate) fn sdk_error_text<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let text = match (error, error.code()) {
        (SdkError::ServiceError(_), Some(code)) => {
            format!("{code}: {}", error.message().unwrap_or("no message"))
        }
        _ => DisplayErrorContext(error).to_string(),
    };
    drtui_core::text::sanitize(&text)
        .chars()
        .take(300)
        .collect()
}

impl AwsBackend {
    pub fn new(pair: &RegionPair, clients: Clients, clock: Arc<dyn Clock>) -> Self {
        let backend = Self {
            pair: pair.clone(),
            clients,
            clock,
            calls: Arc::default(),
            health: Mutex::new(HealthCache::default()),
        };
        backend.share_reads(true);
        backend
    }

    /// Joins (or leaves) the shared reads of the pair's regions, its state machine and its
    /// hosted zone: a batch waits for every member before it calls.
    fn share_reads(&self, joins: bool) {
        use reads::Member as _;
        for role in Role::BOTH {
            self.region_clients(role).reads.join(joins);
        }
        if let Some(arn) = &self.pair.state_machine {
            let reads = &self.region_clients(self.side_of_arn(arn)).reads;
            reads.executions.of(arn).count(joins);
        }
        let zone = &self.pair.hosted_zone_id;
        self.clients.route53_reads.records.of(zone).count(joins);
        self.clients.route53_reads.simulations.count(joins);
    }

    /// The pair's cross-machine run lock, when it names a `lock_table`.
    pub fn remote_lock(&self) -> Option<lock::DynamoLock> {
        let table = self.pair.lock_table.as_deref()?;
        let role = self.pair.lock_role;
        Some(lock::DynamoLock::new(
            self.clients.regions[role.index()].dynamodb.clone(),
            table,
            self.pair.region(role),
            self.pair.commands(),
        ))
    }

    /// The pair's shared poller lease and snapshot, when it is shared (`share = true` and a
    /// `lock_table`, which the config checks go together).
    pub fn shared_poll(&self) -> Option<shared::DynamoShared> {
        let table = self
            .pair
            .lock_table
            .as_deref()
            .filter(|_| self.pair.share)?;
        let role = self.pair.lock_role;
        Some(shared::DynamoShared::new(
            self.clients.regions[role.index()].dynamodb.clone(),
            table,
            self.pair.region(role),
            &self.pair,
            Arc::clone(&self.calls),
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

    /// The side whose region an ARN names (the primary when it names neither): where its
    /// service is asked.
    fn side_of_arn(&self, arn: &str) -> Role {
        arn_region(arn)
            .and_then(|region| self.role_of(region))
            .unwrap_or(Role::Primary)
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
}

impl Drop for AwsBackend {
    fn drop(&mut self) {
        self.share_reads(false);
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
                Source::Replicas => self.replicas().await,
                Source::Parity(role) => self.parity(role).await,
                Source::Permissions => {
                    let requests = drtui_core::permissions::operator_requests(&self.pair);
                    self.simulated(requests).await.map(SourceData::Permissions)
                }
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

    fn simulate(
        &self,
        requests: Vec<drtui_core::permissions::AccessRequest>,
    ) -> BoxFuture<'_, Result<drtui_core::permissions::Permissions, BackendError>> {
        Box::pin(self.simulated(requests))
    }
}

#[cfg(test)]
mod shared_tests;
#[cfg(test)]
mod tests;
