//! The reads every pair of a process shares with the pairs that sign with the same credentials
//! in the same region (see [`super::batch`]): one `DescribeDBClusters` for all their clusters,
//! one `DescribeGlobalClusters`, one `DescribeAlarms` for the union of their prefixes, one
//! `DescribeStacks`, one `GetMetricData` per 500 of their metrics, one `ListExecutions` per
//! state machine and one `ListResourceRecordSets` per hosted zone. Each answer holds every
//! member's part; each pair cuts its own (in `sources` and `route53`).

use std::collections::{BTreeSet, HashMap};

use aws_sdk_route53::types::{ResourceRecordSet, RrType};
use drtui_core::calls::Operation;
use drtui_core::model::{Alarm, Execution, Role};
use drtui_core::parity::DbInstance;
use drtui_core::permissions::{AccessRequest, Denial};
use drtui_core::ports::BackendError;

use super::batch::{Batcher, Keyed};
use super::call::all_pages;
use super::metrics::{MetricKey, Series};
use super::route53_budget::Lane;
use super::{AwsBackend, same_dns_name, timestamp};

/// `GetMetricData` takes at most this many queries.
pub const MAX_QUERIES_PER_CALL: usize = 500;
/// Values of one RDS filter per call.
const MAX_FILTER_VALUES: usize = 100;

/// The shared reads of one region (and, in us-east-1's, of Route 53's hosted zones).
#[derive(Debug, Default)]
pub struct RegionReads {
    pub(crate) clusters: Batcher<(), String, Vec<aws_sdk_rds::types::DbCluster>>,
    pub(crate) global_clusters: Batcher<(), String, Vec<aws_sdk_rds::types::GlobalCluster>>,
    pub(crate) alarms: Batcher<(), String, Vec<Alarm>>,
    pub(crate) stacks: Batcher<(), (), Vec<aws_sdk_cloudformation::types::Stack>>,
    /// Keyed by the window asked (start, end), so a pair a minute behind asks on its own.
    pub(crate) metrics: Batcher<(i64, i64), Vec<MetricKey>, HashMap<MetricKey, Series>>,
    /// By state machine ARN; `None` when it does not exist.
    pub(crate) executions: Keyed<String, (), Option<Vec<Execution>>>,
    /// By hosted zone: the records of every name asked.
    pub(crate) records: Keyed<String, String, Vec<ResourceRecordSet>>,
    /// By principal, in us-east-1's reads (IAM is global): the denials of every pair's
    /// permission check, one simulation per context.
    pub(crate) simulations: Batcher<String, Vec<AccessRequest>, Vec<Denial>>,
    /// Lambda's concurrency limit of the region (the account's, whoever asks).
    pub(crate) account_settings: Batcher<(), (), Option<i64>>,
    /// The region's REST APIs, (name, id).
    pub(crate) rest_apis: Batcher<(), (), Vec<(String, String)>>,
    /// The instances of every cluster asked, with their cluster.
    pub(crate) instances: Batcher<(), String, Vec<(String, DbInstance)>>,
}

impl RegionReads {
    /// A pair reading this region joins (or leaves) every per-region batch.
    pub(crate) fn join(&self, joins: bool) {
        let each: [&dyn Member; 8] = [
            &self.clusters,
            &self.global_clusters,
            &self.alarms,
            &self.stacks,
            &self.metrics,
            &self.account_settings,
            &self.rest_apis,
            &self.instances,
        ];
        for batcher in each {
            batcher.count(joins);
        }
    }
}

/// Membership, whatever a batcher answers.
pub(crate) trait Member {
    fn count(&self, joins: bool);
}

impl<K: Eq + std::hash::Hash + Clone, Q: Clone, A> Member for Batcher<K, Q, A> {
    fn count(&self, joins: bool) {
        if joins { self.join() } else { self.leave() }
    }
}

/// The longest prefix every name starts with: one `DescribeAlarms` for several prefixes.
pub fn common_prefix<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut names = names.into_iter();
    let Some(first) = names.next() else {
        return String::new();
    };
    let mut common = first.len();
    for name in names {
        common = first
            .char_indices()
            .zip(name.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((at, a), _)| at + a.len_utf8())
            .min(common);
    }
    first[..common].to_owned()
}

/// Route 53 lists a zone's records by name with the labels reversed (`com.example.api`).
pub fn route53_order(name: &str) -> String {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.rsplit('.').collect::<Vec<_>>().join(".")
}

/// Every page of an RDS `Describe…` call for the clusters asked (each once, in `db-cluster-id`
/// filters of up to 100): `page(filter, marker)` fetches one page.
pub(super) async fn by_cluster_filter<T, Page>(
    clusters: Vec<String>,
    mut page: impl FnMut(aws_sdk_rds::types::Filter, Option<String>) -> Page,
) -> Result<Vec<T>, BackendError>
where
    Page: std::future::Future<Output = Result<(Vec<T>, Option<String>), BackendError>>,
{
    let clusters: Vec<String> = clusters
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut found = Vec::new();
    for chunk in clusters.chunks(MAX_FILTER_VALUES) {
        let filter = aws_sdk_rds::types::Filter::builder()
            .name("db-cluster-id")
            .set_values(Some(chunk.to_vec()))
            .build();
        found.append(&mut all_pages(|marker| page(filter.clone(), marker)).await?);
    }
    Ok(found)
}

impl AwsBackend {
    /// Every cluster asked, by identifier (a filter of up to 100 per call, every page).
    pub(super) async fn shared_clusters(
        &self,
        role: Role,
        ids: Vec<String>,
    ) -> Result<Vec<aws_sdk_rds::types::DbCluster>, BackendError> {
        let rds = &self.region_clients(role).rds;
        by_cluster_filter(ids, |filter, marker| {
            let request = rds
                .describe_db_clusters()
                .filters(filter)
                .set_marker(marker)
                .send();
            async move {
                let page = self
                    .call(Operation::DescribeDbClusters, role, request)
                    .await?;
                Ok((
                    page.db_clusters().to_vec(),
                    page.marker().map(str::to_owned),
                ))
            }
        })
        .await
    }

    /// The global clusters asked: by identifier when one is, else every one of the account.
    pub(super) async fn shared_global_clusters(
        &self,
        role: Role,
        ids: Vec<String>,
    ) -> Result<Vec<aws_sdk_rds::types::GlobalCluster>, BackendError> {
        let ids: BTreeSet<String> = ids.into_iter().collect();
        let only = (ids.len() == 1)
            .then(|| ids.iter().next().cloned())
            .flatten();
        let rds = &self.region_clients(role).rds;
        all_pages(|marker| {
            let request = rds
                .describe_global_clusters()
                .set_global_cluster_identifier(only.clone())
                .set_marker(marker)
                .send();
            async move {
                let page = self
                    .call(Operation::DescribeGlobalClusters, role, request)
                    .await?;
                Ok((
                    page.global_clusters().to_vec(),
                    page.marker().map(str::to_owned),
                ))
            }
        })
        .await
    }

    /// The alarms under the prefixes asked: one listing under their common prefix.
    pub(super) async fn shared_alarms(
        &self,
        role: Role,
        prefixes: Vec<String>,
    ) -> Result<Vec<Alarm>, BackendError> {
        let prefix = common_prefix(prefixes.iter().map(String::as_str));
        let cloudwatch = &self.region_clients(role).cloudwatch;
        all_pages(|token| {
            let request = cloudwatch
                .describe_alarms()
                .set_alarm_name_prefix((!prefix.is_empty()).then(|| prefix.clone()))
                .set_next_token(token)
                .send();
            async move {
                let page = self.call(Operation::DescribeAlarms, role, request).await?;
                let alarms = page
                    .metric_alarms()
                    .iter()
                    .map(super::sources::alarm)
                    .collect();
                Ok((alarms, page.next_token().map(str::to_owned)))
            }
        })
        .await
    }

    /// Every metric asked, deduplicated, in calls of at most 500 queries (every page).
    pub(super) async fn shared_metric_data(
        &self,
        role: Role,
        (start, end): (i64, i64),
        asked: Vec<Vec<MetricKey>>,
    ) -> Result<HashMap<MetricKey, Series>, BackendError> {
        let wanted: Vec<MetricKey> = asked
            .into_iter()
            .flatten()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut series: HashMap<MetricKey, Series> = HashMap::new();
        for chunk in wanted.chunks(MAX_QUERIES_PER_CALL) {
            let queries: Vec<_> = chunk
                .iter()
                .enumerate()
                .map(|(n, key)| super::sources::metric_data_query(&format!("m{n}"), key))
                .collect();
            let cloudwatch = &self.region_clients(role).cloudwatch;
            let pages = all_pages(|token| {
                let request = cloudwatch
                    .get_metric_data()
                    .start_time(aws_smithy_types::DateTime::from_secs(start))
                    .end_time(aws_smithy_types::DateTime::from_secs(end))
                    .set_metric_data_queries(Some(queries.clone()))
                    .set_next_token(token)
                    .send();
                async move {
                    let page = self.call(Operation::GetMetricData, role, request).await?;
                    let results = page.metric_data_results().to_vec();
                    Ok((results, page.next_token().map(str::to_owned)))
                }
            })
            .await?;
            for result in pages {
                let Some(key) = result
                    .id()
                    .and_then(|id| id.strip_prefix('m')?.parse::<usize>().ok())
                    .and_then(|n| chunk.get(n))
                else {
                    continue;
                };
                let points = series.entry(key.clone()).or_default();
                for (at, value) in result.timestamps().iter().zip(result.values()) {
                    if let Some(at) = timestamp(at) {
                        points.insert(at, *value);
                    }
                }
            }
        }
        Ok(series)
    }

    /// The newest executions of a state machine; `None` when it does not exist.
    pub(super) async fn shared_executions(
        &self,
        arn: &str,
    ) -> Result<Option<Vec<Execution>>, BackendError> {
        let role = self.side_of_arn(arn);
        let request = self
            .region_clients(role)
            .sfn
            .list_executions()
            .state_machine_arn(arn)
            .max_results(super::RECENT_EXECUTIONS);
        let output = match self.sent(Operation::ListExecutions, request.send()).await {
            Ok(output) => output,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_state_machine_does_not_exist()) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(self.error(role, error)),
        };
        Ok(Some(
            output
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
                .collect(),
        ))
    }

    /// The records of every name asked in the pair's hosted zone: from the first name in
    /// Route 53's order to past the last, every page, in `lane`.
    pub(super) async fn records_of(
        &self,
        lane: Lane,
        names: Vec<String>,
    ) -> Result<Vec<ResourceRecordSet>, BackendError> {
        let mut ordered: Vec<(String, String)> = names
            .into_iter()
            .map(|name| (route53_order(&name), name))
            .collect();
        ordered.sort();
        ordered.dedup_by(|a, b| a.0 == b.0);
        let (Some((_, first)), Some((last, _))) = (ordered.first(), ordered.last()) else {
            return Ok(Vec::new());
        };
        let wanted = |name: &str| ordered.iter().any(|(_, asked)| same_dns_name(asked, name));
        let mut records = Vec::new();
        let mut start: (Option<String>, Option<RrType>, Option<String>) =
            (Some(first.clone()), None, None);
        loop {
            let request = self
                .clients
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(&self.pair.hosted_zone_id)
                .set_start_record_name(start.0.take())
                .set_start_record_type(start.1.take())
                .set_start_record_identifier(start.2.take())
                .send();
            let page = self
                .route53_call(lane, Operation::ListResourceRecordSets, request)
                .await?;
            for record in page.resource_record_sets() {
                // Records come in Route 53's order: past the last name asked, nothing more.
                if route53_order(record.name()) > *last {
                    return Ok(records);
                }
                if wanted(record.name()) {
                    records.push(record.clone());
                }
            }
            if !page.is_truncated() {
                return Ok(records);
            }
            start = (
                page.next_record_name().map(str::to_owned),
                page.next_record_type().cloned(),
                page.next_record_identifier().map(str::to_owned),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_prefix_lists_the_alarms_of_every_prefix() {
        assert_eq!(
            common_prefix(["payment-dr-prod-", "payment-dr-stage-", "payment-dr-prod-"]),
            "payment-dr-"
        );
        assert_eq!(common_prefix(["a-", "b-"]), "");
        assert_eq!(common_prefix(["only-"]), "only-");
        assert_eq!(common_prefix(["é-x", "é-y"]), "é-");
    }

    #[test]
    fn route53_orders_names_by_reversed_labels() {
        let mut names = [
            "b.example.com.",
            "a.other.com",
            "api.example.com",
            "example.com",
        ];
        names.sort_by_key(|name| route53_order(name));
        assert_eq!(
            names,
            [
                "example.com",
                "api.example.com",
                "b.example.com.",
                "a.other.com"
            ]
        );
    }
}
