//! Response shapes that matter, through `aws-smithy-mocks`: empty datapoints, missing
//! optional fields, pagination, unknown enum values, throttling then success, and access
//! denied on one API while the others answer.

use std::sync::Arc;

use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::operation::get_metric_data::{GetMetricDataError, GetMetricDataOutput};
use aws_sdk_cloudwatch::types::{MetricAlarm, MetricDataResult, StateValue};
use aws_sdk_rds::operation::describe_db_clusters::{
    DescribeDBClustersError, DescribeDbClustersOutput,
};
use aws_sdk_rds::operation::describe_global_clusters::DescribeGlobalClustersOutput;
use aws_sdk_rds::types::{
    DbCluster, FailoverState as RdsFailoverState, FailoverStatus,
    GlobalCluster as RdsGlobalCluster, GlobalClusterMember,
    GlobalClusterMemberSynchronizationStatus,
};
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_sdk_route53::types::{ResourceRecordSet, RrType};
use aws_sdk_sfn::operation::list_executions::{ListExecutionsError, ListExecutionsOutput};
use aws_sdk_sfn::types::{ExecutionListItem, ExecutionStatus};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;

use super::clients::{Clients, RegionClients};
use super::*;
use drtui_core::clock::ManualClock;
use drtui_core::model::AlarmState;

/// Rules per client; a client without rules fails every call.
#[derive(Default)]
pub(super) struct Rules<'a> {
    pub cloudformation: Vec<&'a Rule>,
    pub cloudwatch: Vec<&'a Rule>,
    pub rds: Vec<&'a Rule>,
    pub route53: Vec<&'a Rule>,
    pub sfn: Vec<&'a Rule>,
    pub lambda: Vec<&'a Rule>,
    pub iam: Vec<&'a Rule>,
    pub sts: Vec<&'a Rule>,
}

/// Clients answering from `rules` (each call shares the reads of the clients it was cloned from).
pub(super) fn clients(rules: &Rules) -> Clients {
    let retry = || aws_smithy_types::retry::RetryConfig::standard().with_max_attempts(3);
    let region = || RegionClients {
        cloudwatch: mock_client!(
            aws_sdk_cloudwatch,
            RuleMode::MatchAny,
            rules.cloudwatch.clone(),
            |c| c.retry_config(retry())
        ),
        rds: mock_client!(aws_sdk_rds, RuleMode::MatchAny, rules.rds.clone()),
        cloudformation: mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            rules.cloudformation.clone()
        ),
        sfn: mock_client!(aws_sdk_sfn, RuleMode::MatchAny, rules.sfn.clone()),
        // Never called here (the lock has its emulator tests); an unmocked client will do.
        dynamodb: aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::Config::builder()
                .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                .region(aws_sdk_dynamodb::config::Region::new("us-east-2"))
                .build(),
        ),
        secretsmanager: aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::Config::builder()
                .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
                .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
                .build(),
        ),
        lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, rules.lambda.clone()),
        // Never called here (the emulator tests read parameters and stages).
        ssm: aws_sdk_ssm::Client::from_conf(
            aws_sdk_ssm::Config::builder()
                .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
                .region(aws_sdk_ssm::config::Region::new("us-east-1"))
                .build(),
        ),
        apigateway: aws_sdk_apigateway::Client::from_conf(
            aws_sdk_apigateway::Config::builder()
                .behavior_version(aws_sdk_apigateway::config::BehaviorVersion::latest())
                .region(aws_sdk_apigateway::config::Region::new("us-east-1"))
                .build(),
        ),
        endpoint: Some("http://127.0.0.1:9".to_owned()),
        reads: Arc::default(),
    };
    Clients {
        regions: [region(), region()],
        route53: mock_client!(aws_sdk_route53, RuleMode::MatchAny, rules.route53.clone()),
        route53_reads: Arc::default(),
        route53_budget: Arc::default(),
        sts: mock_client!(aws_sdk_sts, RuleMode::MatchAny, rules.sts.clone()),
        iam: mock_client!(aws_sdk_iam, RuleMode::MatchAny, rules.iam.clone()),
        credentials: None,
        profile: None,
        credentials_key: Default::default(),
        identity: Default::default(),
    }
}

fn backend(rules: &Rules) -> AwsBackend {
    let clients = clients(rules);
    let mut pair = RegionPair::demo();
    pair.lambda_functions = BTreeMap::from([("us-east-1".to_owned(), vec!["validate".to_owned()])]);
    AwsBackend::new(
        &pair,
        clients,
        Arc::new(ManualClock::new(
            chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        )),
    )
}

async fn fetch(backend: &AwsBackend, source: Source) -> Result<SourceData, BackendError> {
    backend.fetch(source).await
}

#[tokio::test]
async fn empty_datapoints_are_unknown_not_zero() {
    let empty = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_output(|| {
        GetMetricDataOutput::builder()
            .metric_data_results(MetricDataResult::builder().id("q0").build())
            .build()
    });
    let backend = backend(&Rules {
        cloudwatch: vec![&empty],
        ..Rules::default()
    });
    let Ok(SourceData::Metrics(metrics)) = fetch(&backend, Source::Metrics(Role::Primary)).await
    else {
        panic!("metrics");
    };
    assert_eq!(metrics.api_5xx_rate_pct, None);
    assert_eq!(metrics.db_connections, None);
    assert_eq!(metrics.lambdas[0].invocations, None);
    assert!(metrics.history.api_5xx_rate_pct.is_empty());
}

#[tokio::test]
async fn throttling_is_retried_and_then_succeeds() {
    let throttled_then_ok = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .sequence()
        .error(|| {
            GetMetricDataError::generic(
                ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .output(|| {
            GetMetricDataOutput::builder()
                .metric_data_results(
                    MetricDataResult::builder()
                        .id("q0")
                        .timestamps(aws_smithy_types::DateTime::from_secs(1_800_000_000))
                        .values(1000.0)
                        .build(),
                )
                .build()
        })
        .build();
    let backend = backend(&Rules {
        cloudwatch: vec![&throttled_then_ok],
        ..Rules::default()
    });
    let result = fetch(&backend, Source::Metrics(Role::Primary)).await;
    assert!(matches!(result, Ok(SourceData::Metrics(_))), "{result:?}");
    assert_eq!(
        throttled_then_ok.num_calls(),
        2,
        "one throttled attempt, one retry"
    );
    assert_eq!(
        backend.call_counts()["cloudwatch"]["GetMetricData"],
        1,
        "drtui counts calls, the SDK retries within one"
    );
}

#[tokio::test]
async fn access_denied_on_one_api_leaves_the_others_answering() {
    let denied = mock!(aws_sdk_rds::Client::describe_db_clusters).then_error(|| {
        DescribeDBClustersError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("not authorized to perform rds:DescribeDBClusters")
                .build(),
        )
    });
    let global = mock!(aws_sdk_rds::Client::describe_global_clusters).then_output(|| {
        DescribeGlobalClustersOutput::builder()
            .global_clusters(
                RdsGlobalCluster::builder()
                    .global_cluster_identifier("payment-global-demo")
                    .status("available")
                    .build(),
            )
            .build()
    });
    let backend = backend(&Rules {
        rds: vec![&denied, &global],
        ..Rules::default()
    });
    let error = fetch(&backend, Source::Aurora(Role::Secondary))
        .await
        .expect_err("denied");
    assert_eq!(
        error,
        BackendError::Service {
            code: "AccessDenied".to_owned(),
            message: "not authorized to perform rds:DescribeDBClusters".to_owned()
        }
    );
    assert!(matches!(
        fetch(&backend, Source::GlobalCluster).await,
        Ok(SourceData::GlobalCluster(_))
    ));
}

#[tokio::test]
async fn missing_optional_fields_and_unknown_enum_values_come_through_as_they_are() {
    let cluster = mock!(aws_sdk_rds::Client::describe_db_clusters).then_output(|| {
        // Only the identifier (it is how a pair finds its cluster in the shared answer).
        DescribeDbClustersOutput::builder()
            .db_clusters(
                DbCluster::builder()
                    .db_cluster_identifier("payment-primary-demo")
                    .build(),
            )
            .build()
    });
    let global = mock!(aws_sdk_rds::Client::describe_global_clusters).then_output(|| {
        DescribeGlobalClustersOutput::builder()
            .global_clusters(
                RdsGlobalCluster::builder()
                    .global_cluster_identifier("payment-global-demo")
                    .global_cluster_members(
                        GlobalClusterMember::builder()
                            .db_cluster_arn("arn:aws:rds:us-east-1:1:cluster:payment-primary-demo")
                            .is_writer(true)
                            .build(),
                    )
                    .global_cluster_members(
                        GlobalClusterMember::builder()
                            .db_cluster_arn(
                                "arn:aws:rds:us-east-2:1:cluster:payment-secondary-demo",
                            )
                            .synchronization_status(GlobalClusterMemberSynchronizationStatus::from(
                                "resyncing-fast",
                            ))
                            .build(),
                    )
                    .failover_state(
                        RdsFailoverState::builder()
                            .status(FailoverStatus::from("teleporting"))
                            .to_db_cluster_arn(
                                "arn:aws:rds:us-east-2:1:cluster:payment-secondary-demo",
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let backend = backend(&Rules {
        rds: vec![&cluster, &global],
        ..Rules::default()
    });
    let Ok(SourceData::Aurora(aurora)) = fetch(&backend, Source::Aurora(Role::Primary)).await
    else {
        panic!("aurora");
    };
    assert_eq!(
        (aurora.cluster_id.as_str(), aurora.status.as_str()),
        ("payment-primary-demo", "unknown")
    );
    assert_eq!(aurora.endpoint, None);
    let Ok(SourceData::GlobalCluster(global)) = fetch(&backend, Source::GlobalCluster).await else {
        panic!("global");
    };
    assert_eq!(global.status, "unknown");
    assert_eq!(global.writer_region(), Some("us-east-1"));
    assert!(
        !global.members[1].is_writer,
        "a missing IsWriter is not a writer"
    );
    assert_eq!(
        global.members[1].synchronization_status.as_deref(),
        Some("resyncing-fast")
    );
    let state = global.failover_state.expect("state");
    assert_eq!(state.status, "teleporting");
    assert_eq!(
        (state.from_region, state.to_region.as_deref()),
        (None, Some("us-east-2"))
    );
    assert_eq!(state.is_data_loss_allowed, None);
}

#[tokio::test]
async fn alarms_are_read_across_pages() {
    let pages = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .sequence()
        .output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("PaymentDR-demo-a")
                        .state_value(StateValue::Alarm)
                        .build(),
                )
                .next_token("page-2")
                .build()
        })
        .output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("PaymentDR-demo-b")
                        .state_value(StateValue::from("NEW_STATE"))
                        .build(),
                )
                .build()
        })
        .build();
    let backend = backend(&Rules {
        cloudwatch: vec![&pages],
        ..Rules::default()
    });
    let Ok(SourceData::Alarms(alarms)) = fetch(&backend, Source::Alarms(Role::Primary)).await
    else {
        panic!("alarms");
    };
    assert_eq!(alarms.len(), 2);
    assert_eq!(alarms[0].state, AlarmState::Alarm);
    assert_eq!(
        alarms[1].state,
        AlarmState::InsufficientData,
        "an unknown state is not OK"
    );
    assert_eq!(backend.call_counts()["cloudwatch"]["DescribeAlarms"], 2);
}

#[tokio::test]
async fn weighted_records_are_read_across_pages_and_stop_at_the_next_name() {
    let record = |set: &str, weight: Option<i64>, check: &str| {
        let mut builder = ResourceRecordSet::builder()
            .name("api.payments-demo.example.com.")
            .r#type(RrType::Cname)
            .set_identifier(set)
            .health_check_id(check);
        if let Some(weight) = weight {
            builder = builder.weight(weight);
        }
        builder.build().expect("record")
    };
    let pages = mock!(aws_sdk_route53::Client::list_resource_record_sets)
        .sequence()
        .output(move || {
            ListResourceRecordSetsOutput::builder()
                .resource_record_sets(record("primary", Some(100), "hc-1"))
                .is_truncated(true)
                .next_record_name("api.payments-demo.example.com.")
                .next_record_type(RrType::Cname)
                .next_record_identifier("secondary")
                .max_items(1)
                .build()
                .expect("page")
        })
        .output(move || {
            ListResourceRecordSetsOutput::builder()
                .resource_record_sets(record("secondary", None, "hc-2"))
                .resource_record_sets(
                    ResourceRecordSet::builder()
                        .name("zzz.payments-demo.example.com.")
                        .r#type(RrType::A)
                        .build()
                        .expect("record"),
                )
                .is_truncated(false)
                .max_items(2)
                .build()
                .expect("page")
        })
        .build();
    let backend = backend(&Rules {
        route53: vec![&pages],
        ..Rules::default()
    });
    let Ok(SourceData::Dns(dns)) = fetch(&backend, Source::Dns).await else {
        panic!("dns");
    };
    assert_eq!(dns.weights.get("us-east-1"), Some(&Some(100)));
    assert_eq!(
        dns.weights.get("us-east-2"),
        Some(&None),
        "a record without a weight is unknown"
    );
    assert_eq!(pages.num_calls(), 2);
}

#[tokio::test]
async fn a_missing_state_machine_is_absent_not_an_error_and_statuses_pass_through() {
    let missing = mock!(aws_sdk_sfn::Client::list_executions).then_error(|| {
        ListExecutionsError::StateMachineDoesNotExist(
            aws_sdk_sfn::types::error::StateMachineDoesNotExist::builder()
                .message("gone")
                .build(),
        )
    });
    let backend_missing = backend(&Rules {
        sfn: vec![&missing],
        ..Rules::default()
    });
    assert!(matches!(
        fetch(&backend_missing, Source::StateMachine).await,
        Ok(SourceData::StateMachine(None))
    ));

    let listed = mock!(aws_sdk_sfn::Client::list_executions).then_output(|| {
        let item = |name: &str, secs, status| {
            ExecutionListItem::builder()
                .execution_arn(format!("arn:aws:states:us-east-1:1:execution:fo:{name}"))
                .state_machine_arn("arn:aws:states:us-east-1:1:stateMachine:fo")
                .name(name)
                .status(status)
                .start_date(aws_smithy_types::DateTime::from_secs(secs))
                .build()
                .expect("item")
        };
        ListExecutionsOutput::builder()
            .executions(item("older", 1_700_000_000, ExecutionStatus::Succeeded))
            .executions(item(
                "newer",
                1_800_000_000,
                ExecutionStatus::from("PAUSED_FOR_REVIEW"),
            ))
            .build()
            .expect("output")
    });
    let backend_listed = backend(&Rules {
        sfn: vec![&listed],
        ..Rules::default()
    });
    let Ok(SourceData::StateMachine(Some(machine))) =
        fetch(&backend_listed, Source::StateMachine).await
    else {
        panic!("state machine");
    };
    assert_eq!(machine.executions[0].name, "newer", "newest first");
    assert_eq!(machine.executions[0].status, "PAUSED_FOR_REVIEW");
}

#[tokio::test]
async fn health_status_fallback_counts_checkers_and_is_rate_limited() {
    use aws_sdk_route53::operation::get_health_check_status::GetHealthCheckStatusOutput;
    use aws_sdk_route53::types::{HealthCheckObservation, StatusReport};
    let status = mock!(aws_sdk_route53::Client::get_health_check_status).then_output(|| {
        let observation = |status: &str| {
            HealthCheckObservation::builder()
                .status_report(StatusReport::builder().status(status).build())
                .build()
        };
        GetHealthCheckStatusOutput::builder()
            .health_check_observations(observation("Success: HTTP Status Code 200, OK"))
            .health_check_observations(observation("Failure: Connection timed out"))
            .health_check_observations(observation("Failure: Connection timed out"))
            .build()
            .expect("output")
    });
    let backend = backend(&Rules {
        route53: vec![&status],
        ..Rules::default()
    });
    let Ok(SourceData::HealthChecks(checks)) = fetch(&backend, Source::HealthChecks).await else {
        panic!("health");
    };
    assert_eq!(checks.len(), 2, "one per configured health check");
    assert_eq!(
        (checks[0].checkers_healthy, checks[0].checkers_total),
        (Some(1), Some(3))
    );
    assert_eq!(
        checks[0].healthy,
        Some(true),
        "1 of 3 checkers is more than Route 53's 18 %"
    );
    // Within 30 s the answer comes from the cache: no new calls.
    let _ = fetch(&backend, Source::HealthChecks).await;
    assert_eq!(status.num_calls(), 2);
}

/// A credentials provider that has nothing to give, as with no profile and no SSO session.
#[derive(Debug)]
struct NoCredentials;

impl aws_credential_types::provider::ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(Err(
            aws_credential_types::provider::error::CredentialsError::not_loaded(
                "no profile and no SSO session",
            ),
        ))
    }
}

#[tokio::test]
async fn credentials_that_cannot_be_loaded_are_named_as_such_before_any_call() {
    let mut backend = backend(&Rules::default());
    backend.clients.regions[Role::Primary.index()].rds = aws_sdk_rds::Client::from_conf(
        aws_sdk_rds::Config::builder()
            .behavior_version(aws_sdk_rds::config::BehaviorVersion::latest())
            .region(aws_sdk_rds::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(NoCredentials)
            .build(),
    );
    let error = fetch(&backend, Source::Aurora(Role::Primary))
        .await
        .expect_err("no credentials");
    assert!(matches!(error, BackendError::Credentials(_)), "{error:?}");
    assert!(
        error.to_string().contains("none could be loaded"),
        "{error}"
    );
}

#[tokio::test]
async fn expired_credentials_are_named_as_such_not_as_an_outage() {
    let expired = mock!(aws_sdk_rds::Client::describe_db_clusters).then_error(|| {
        DescribeDBClustersError::generic(
            ErrorMetadata::builder()
                .code("ExpiredToken")
                .message("The security token included in the request is expired")
                .build(),
        )
    });
    let backend = backend(&Rules {
        rds: vec![&expired],
        ..Rules::default()
    });
    let error = fetch(&backend, Source::Aurora(Role::Primary))
        .await
        .expect_err("expired");
    assert!(matches!(error, BackendError::Credentials(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("AWS credentials: ") && message.contains("ExpiredToken"),
        "{message}"
    );
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "the stack's whole event history is the fixture"
)]
async fn a_failed_stack_names_the_resource_that_failed_and_the_rollback() {
    use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
    use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
    use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
    use aws_sdk_cloudformation::types::{
        ExecutionStatus, ResourceStatus, Stack, StackEvent, StackStatus as CfnStatus,
    };
    let event = |id: &str, resource: &str, kind: &str, status: &str, reason: Option<&str>| {
        StackEvent::builder()
            .event_id(id)
            .stack_id("s")
            .stack_name("PaymentDR-Database-primary-demo")
            .logical_resource_id(resource)
            .resource_type(kind)
            .resource_status(ResourceStatus::from(status))
            .set_resource_status_reason(reason.map(str::to_owned))
            .timestamp(aws_smithy_types::DateTime::from_secs(1_800_000_000))
            .build()
    };
    let change_set = mock!(aws_sdk_cloudformation::Client::describe_change_set).then_output(|| {
        DescribeChangeSetOutput::builder()
            .execution_status(ExecutionStatus::Available)
            .build()
    });
    let execute = mock!(aws_sdk_cloudformation::Client::execute_change_set)
        .then_output(|| ExecuteChangeSetOutput::builder().build());
    // Newest first, as CloudFormation lists them: before the execution, one old event; after,
    // the failure and the rollback.
    let events = mock!(aws_sdk_cloudformation::Client::describe_stack_events)
        .sequence()
        .output(move || {
            DescribeStackEventsOutput::builder()
                .stack_events(event(
                    "0",
                    "Old",
                    "AWS::CloudFormation::Stack",
                    "CREATE_COMPLETE",
                    None,
                ))
                .build()
        })
        .output(move || {
            DescribeStackEventsOutput::builder()
                .stack_events(event(
                    "5",
                    "PaymentDR-Database-primary-demo",
                    "AWS::CloudFormation::Stack",
                    "UPDATE_ROLLBACK_COMPLETE",
                    None,
                ))
                .stack_events(event(
                    "4",
                    "Instance1",
                    "AWS::RDS::DBInstance",
                    "UPDATE_COMPLETE",
                    None,
                ))
                .stack_events(event(
                    "3",
                    "PaymentDR-Database-primary-demo",
                    "AWS::CloudFormation::Stack",
                    "UPDATE_ROLLBACK_IN_PROGRESS",
                    Some("The following resource(s) failed to update: [Cluster]."),
                ))
                .stack_events(event(
                    "2",
                    "Cluster",
                    "AWS::RDS::DBCluster",
                    "UPDATE_FAILED",
                    Some("Cannot upgrade aurora-postgresql from 16.4 to 15.8"),
                ))
                .stack_events(event(
                    "1",
                    "Cluster",
                    "AWS::RDS::DBCluster",
                    "UPDATE_IN_PROGRESS",
                    None,
                ))
                .stack_events(event(
                    "0",
                    "Old",
                    "AWS::CloudFormation::Stack",
                    "CREATE_COMPLETE",
                    None,
                ))
                .build()
        })
        .build();
    let stacks = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_output(|| {
        DescribeStacksOutput::builder()
            .stacks(
                Stack::builder()
                    .stack_name("PaymentDR-Database-primary-demo")
                    .stack_status(CfnStatus::UpdateRollbackComplete)
                    .creation_time(aws_smithy_types::DateTime::from_secs(1_800_000_000))
                    .build(),
            )
            .build()
    });
    let backend = backend(&Rules {
        cloudformation: vec![&change_set, &execute, &events, &stacks],
        ..Rules::default()
    });
    let reported = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&reported);
    let report: drtui_core::ports::Report = Arc::new(move |line| {
        sink.lock().expect("lines").push(line);
    });
    let mutation = drtui_core::ports::Mutation::DeployStack {
        role: Role::Primary,
        stack: "PaymentDR-Database-primary-demo".to_owned(),
        template: "cfn/database.yaml".to_owned(),
        parameters: BTreeMap::new(),
        change_set: "drtui-run-primary-database".to_owned(),
    };
    let error = drtui_core::ports::ActBackend::act_reporting(&backend, &mutation, report)
        .await
        .expect_err("the stack failed");
    let message = error.to_string();
    assert!(
        message.contains("ended UPDATE_ROLLBACK_COMPLETE")
            && message.contains(
                "failed: Cluster AWS::RDS::DBCluster UPDATE_FAILED: Cannot upgrade aurora-postgresql from 16.4 to 15.8"
            )
            && message.contains("rolled back: 3 events"),
        "{message}"
    );
    let lines = reported.lock().expect("lines").clone();
    assert_eq!(
        lines.len(),
        5,
        "only the new events, oldest first: {lines:?}"
    );
    assert!(
        lines[0].starts_with("Cluster AWS::RDS::DBCluster UPDATE_IN_PROGRESS"),
        "{lines:?}"
    );
}

/// A resumed run finds its stack still updating from the execution it started before it
/// stopped: the preview waits for that to end, then sees the change already made.
#[tokio::test(start_paused = true)]
async fn a_resumed_deployment_waits_for_the_stack_it_left_updating() {
    use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
    use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
    use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
    use aws_sdk_cloudformation::types::{ChangeSetStatus, Stack, StackStatus as CfnStatus};
    let stack = |status: CfnStatus| {
        DescribeStacksOutput::builder()
            .stacks(
                Stack::builder()
                    .stack_name("PaymentDR-Vpc-primary-demo")
                    .stack_status(status)
                    .creation_time(aws_smithy_types::DateTime::from_secs(1_800_000_000))
                    .build(),
            )
            .build()
    };
    let stacks = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .sequence()
        .output(move || stack(CfnStatus::UpdateInProgress))
        .times(2)
        .output(move || stack(CfnStatus::UpdateComplete))
        .build();
    let delete = mock!(aws_sdk_cloudformation::Client::delete_change_set)
        .then_output(|| DeleteChangeSetOutput::builder().build());
    let create = mock!(aws_sdk_cloudformation::Client::create_change_set)
        .then_output(|| CreateChangeSetOutput::builder().build());
    let empty = mock!(aws_sdk_cloudformation::Client::describe_change_set).then_output(|| {
        DescribeChangeSetOutput::builder()
            .status(ChangeSetStatus::Failed)
            .status_reason("The submitted information didn't contain changes. Submit different information to create a change set.")
            .build()
    });
    let backend = backend(&Rules {
        cloudformation: vec![&stacks, &delete, &create, &empty],
        ..Rules::default()
    });
    let mutation = drtui_core::ports::Mutation::DeployStack {
        role: Role::Primary,
        stack: "PaymentDR-Vpc-primary-demo".to_owned(),
        template: "cfn/network.yaml".to_owned(),
        parameters: BTreeMap::new(),
        change_set: "drtui-run-primary-network".to_owned(),
    };
    let preview = drtui_core::ports::ActBackend::preview(&backend, &mutation)
        .await
        .expect("previewed")
        .expect("a deployment");
    assert!(preview.exists && preview.changes.is_empty(), "{preview:?}");
    assert_eq!(stacks.num_calls(), 3, "read until the stack settled");
    assert_eq!(
        create.num_calls(),
        1,
        "one change set, made after it settled"
    );
}
