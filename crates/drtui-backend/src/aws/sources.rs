//! The sources read from each region's APIs: the Aurora clusters and the global cluster,
//! CloudWatch metrics and alarms, the stacks, the failover state machine, the caller.

use std::collections::BTreeMap;

use drtui_core::calls::Operation;

use drtui_core::model::*;
use drtui_core::ports::BackendError;

use super::*;

/// How long the first region may take before the second is asked as well.
pub(super) fn hedge_delay(call_timeout: std::time::Duration) -> std::time::Duration {
    call_timeout / 3
}

/// One metric as a `GetMetricData` query under `id`.
pub(super) fn metric_data_query(
    id: &str,
    key: &metrics::MetricKey,
) -> aws_sdk_cloudwatch::types::MetricDataQuery {
    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
    let dimensions = key
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(*name).value(value).build())
        .collect();
    let metric = Metric::builder()
        .namespace(key.namespace)
        .metric_name(key.metric)
        .set_dimensions(Some(dimensions))
        .build();
    let stat = MetricStat::builder()
        .metric(metric)
        .period(metrics::PERIOD_S)
        .stat(key.stat)
        .build();
    MetricDataQuery::builder()
        .id(id)
        .return_data(true)
        .metric_stat(stat)
        .build()
}

/// One CloudWatch alarm as the dashboard shows it.
pub(super) fn alarm(alarm: &aws_sdk_cloudwatch::types::MetricAlarm) -> Alarm {
    use aws_sdk_cloudwatch::types::StateValue;
    let state = match alarm.state_value() {
        Some(StateValue::Ok) => AlarmState::Ok,
        Some(StateValue::Alarm) => AlarmState::Alarm,
        _ => AlarmState::InsufficientData,
    };
    Alarm {
        name: alarm.alarm_name().unwrap_or("(unnamed)").to_owned(),
        state,
        reason: alarm.state_reason().unwrap_or_default().to_owned(),
        since: alarm.state_updated_timestamp().and_then(timestamp),
        rule: Some(alarm_rule(alarm)),
    }
}

impl AwsBackend {
    pub(super) async fn aurora(&self, role: Role) -> Result<SourceData, BackendError> {
        let cluster_id = self.pair.cluster(role);
        let clusters = self
            .region_clients(role)
            .reads
            .clusters
            .ask((), cluster_id.to_owned(), |ids| {
                self.shared_clusters(role, ids)
            })
            .await?;
        let cluster = clusters
            .iter()
            .find(|cluster| {
                cluster
                    .db_cluster_identifier()
                    .is_some_and(|id| id.eq_ignore_ascii_case(cluster_id))
            })
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

    pub(super) async fn metrics(&self, role: Role) -> Result<SourceData, BackendError> {
        let health_ids = self.health_check_ids();
        let queries = metrics::queries(&self.pair, role, &health_ids);
        let now = self.clock.now();
        // Up to the start of the current period: the newest datapoint is a complete minute,
        // fetched once (the metrics pollers wake just after each boundary).
        let period = i64::from(metrics::PERIOD_S);
        let end = now.timestamp() - now.timestamp().rem_euclid(period);
        let window = (end - metrics::WINDOW_S, end);
        let keys = queries.iter().map(metrics::Query::key).collect();
        let shared = self
            .region_clients(role)
            .reads
            .metrics
            .ask(window, keys, |asked| {
                self.shared_metric_data(role, window, asked)
            })
            .await?;
        let results: BTreeMap<String, metrics::Series> = queries
            .iter()
            .filter_map(|query| Some((query.id.clone(), shared.get(&query.key())?.clone())))
            .collect();
        let (region_metrics, health): (RegionMetrics, Vec<HealthCheck>) =
            metrics::interpret(&self.pair, role, &queries, &results, &health_ids, now);
        if health.iter().any(|check| check.healthy.is_some()) {
            lock(&self.health).from_metrics = Some((now, health));
        }
        Ok(SourceData::Metrics(region_metrics))
    }

    pub(super) async fn alarms(&self, role: Role) -> Result<SourceData, BackendError> {
        let prefix = &self.pair.alarm_prefix;
        let alarms = self
            .region_clients(role)
            .reads
            .alarms
            .ask((), prefix.clone(), |prefixes| {
                self.shared_alarms(role, prefixes)
            })
            .await?;
        Ok(SourceData::Alarms(
            alarms
                .iter()
                .filter(|alarm| alarm.name.starts_with(prefix.as_str()))
                .cloned()
                .collect(),
        ))
    }

    /// Every stack of the region (all pages of `DescribeStacks`).
    pub(super) async fn all_stacks(
        &self,
        role: Role,
    ) -> Result<Vec<aws_sdk_cloudformation::types::Stack>, BackendError> {
        super::call::all_pages(|token| async move {
            let page = self
                .call(
                    Operation::DescribeStacks,
                    role,
                    self.region_clients(role)
                        .cloudformation
                        .describe_stacks()
                        .set_next_token(token)
                        .send(),
                )
                .await?;
            Ok((page.stacks().to_vec(), page.next_token().map(str::to_owned)))
        })
        .await
    }

    pub(super) async fn stacks(&self, role: Role) -> Result<SourceData, BackendError> {
        let wanted = self.pair.stacks_in(role);
        if wanted.is_empty() {
            return Ok(SourceData::Stacks(Vec::new()));
        }
        let all = self
            .region_clients(role)
            .reads
            .stacks
            .ask((), (), |_| self.all_stacks(role))
            .await?;
        let found: BTreeMap<String, StackStatus> = all
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

    /// The global cluster, asked of the secondary (the side that must answer during a primary
    /// outage) and, when it has not answered well within a third of the call timeout, of the
    /// primary too: the first complete answer wins, so one hung or failing region never leaves
    /// the writer unknown while the other answers.
    pub(super) async fn global_cluster(&self) -> Result<SourceData, BackendError> {
        super::call::hedged(
            self.global_cluster_in(Role::Secondary),
            self.global_cluster_in(Role::Primary),
            hedge_delay(self.pair.call_timeout),
        )
        .await
    }

    async fn global_cluster_in(&self, role: Role) -> Result<SourceData, BackendError> {
        let id = &self.pair.global_cluster;
        let globals = self
            .region_clients(role)
            .reads
            .global_clusters
            .ask((), id.clone(), |ids| self.shared_global_clusters(role, ids))
            .await?;
        let global = globals
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

    pub(super) async fn state_machine(&self) -> Result<SourceData, BackendError> {
        let Some(arn) = self.pair.state_machine.clone() else {
            return Ok(SourceData::StateMachine(None));
        };
        let executions = self
            .region_clients(self.side_of_arn(&arn))
            .reads
            .executions
            .of(&arn)
            .ask((), (), |_| self.shared_executions(&arn))
            .await?;
        let Some(executions) = executions.as_ref() else {
            return Ok(SourceData::StateMachine(None));
        };
        let mut executions = executions.clone();
        executions.sort_by_key(|execution| std::cmp::Reverse(execution.started_at));
        Ok(SourceData::StateMachine(Some(StateMachineStatus {
            arn,
            executions,
        })))
    }

    /// The caller, asked of STS once for every pair signing with the same credentials.
    pub(super) async fn identity(&self) -> Result<SourceData, BackendError> {
        let arn = self
            .clients
            .identity
            .get_or_try_init(|| async {
                let output = self
                    .call(
                        Operation::GetCallerIdentity,
                        Role::Primary,
                        self.clients.sts.get_caller_identity().send(),
                    )
                    .await?;
                Ok::<_, BackendError>(output.arn().unwrap_or("unknown caller").to_owned())
            })
            .await?;
        Ok(SourceData::Identity(arn.clone()))
    }
}
