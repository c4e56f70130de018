//! Pairs sharing credentials and regions share their reads: one call per kind per region per
//! poll whatever the number of pairs, each pair cut its own part (and its own missing
//! resource), and pairs signing with other credentials never share.

use std::sync::Arc;

use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};
use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
use aws_sdk_rds::operation::describe_global_clusters::DescribeGlobalClustersOutput;
use aws_sdk_rds::types::{DbCluster, GlobalCluster as RdsGlobalCluster};
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_sdk_route53::types::{ResourceRecordSet, RrType};
use aws_sdk_sfn::operation::list_executions::ListExecutionsOutput;
use aws_smithy_mocks::{Rule, mock};

use super::tests::{Rules, clients};
use super::*;
use drtui_core::clock::ManualClock;

const PAIRS: usize = 10;

/// Pair `n` of a fleet in one account: its own clusters, alarms, record and stacks; pairs
/// alternate between two state machines; the last pair's primary cluster does not exist.
fn fleet_pair(n: usize) -> RegionPair {
    let mut pair = RegionPair::demo();
    pair.name = format!("p{n}");
    pair.global_cluster = format!("global-{n}");
    for (region, role) in [("us-east-1", "primary"), ("us-east-2", "secondary")] {
        pair.clusters
            .insert(region.to_owned(), format!("{role}-{n}"));
        pair.stacks
            .insert(region.to_owned(), vec![format!("Stack-{role}-{n}")]);
    }
    pair.alarm_prefix = format!("p{n}-");
    pair.record_name = format!("api{n}.example.com");
    pair.state_machine = Some(format!(
        "arn:aws:states:us-east-1:000000000000:stateMachine:machine-{}",
        n % 2
    ));
    pair
}

/// Mocks that answer every pair asked in the request (all the fleet's resources but
/// `primary-9`), so a call made for one pair only would leave the others missing.
struct FleetRules {
    clusters: Rule,
    globals: Rule,
    alarms: Rule,
    stacks: Rule,
    metrics: Rule,
    executions: Rule,
    records: Rule,
    /// The alarm-name prefixes asked of `DescribeAlarms`.
    prefixes: Arc<std::sync::Mutex<Vec<String>>>,
}

#[expect(
    clippy::too_many_lines,
    reason = "a data table: one mock per shared call of the fleet"
)]
fn fleet_rules() -> FleetRules {
    let clusters = mock!(aws_sdk_rds::Client::describe_db_clusters).then_compute_output(|input| {
        let ids = input
            .filters()
            .iter()
            .flat_map(|filter| filter.values().iter().cloned())
            .filter(|id| id != "primary-9");
        DescribeDbClustersOutput::builder()
            .set_db_clusters(Some(
                ids.map(|id| {
                    DbCluster::builder()
                        .db_cluster_identifier(id)
                        .status("available")
                        .build()
                })
                .collect(),
            ))
            .build()
    });
    let globals = mock!(aws_sdk_rds::Client::describe_global_clusters).then_output(|| {
        DescribeGlobalClustersOutput::builder()
            .set_global_clusters(Some(
                (0..PAIRS)
                    .map(|n| {
                        RdsGlobalCluster::builder()
                            .global_cluster_identifier(format!("global-{n}"))
                            .status("available")
                            .build()
                    })
                    .collect(),
            ))
            .build()
    });
    let prefixes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let asked = Arc::clone(&prefixes);
    let alarms =
        mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_compute_output(move |input| {
            let prefix = input.alarm_name_prefix().unwrap_or_default().to_owned();
            asked.lock().expect("prefixes").push(prefix);
            DescribeAlarmsOutput::builder()
                .set_metric_alarms(Some(
                    (0..PAIRS)
                        .map(|n| {
                            MetricAlarm::builder()
                                .alarm_name(format!("p{n}-api-5xx"))
                                .state_value(StateValue::Ok)
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let stacks = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .then_output(|| DescribeStacksOutput::builder().build());
    let metrics = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_compute_output(|input| {
        assert!(input.metric_data_queries().len() <= reads::MAX_QUERIES_PER_CALL);
        GetMetricDataOutput::builder().build()
    });
    let executions = mock!(aws_sdk_sfn::Client::list_executions).then_output(|| {
        ListExecutionsOutput::builder()
            .set_executions(Some(Vec::new()))
            .build()
            .expect("executions")
    });
    let records = mock!(aws_sdk_route53::Client::list_resource_record_sets).then_output(|| {
        let record = |n: usize, set: &str, weight: i64| {
            ResourceRecordSet::builder()
                .name(format!("api{n}.example.com."))
                .r#type(RrType::Cname)
                .set_identifier(set)
                .weight(weight)
                .build()
                .expect("record")
        };
        ListResourceRecordSetsOutput::builder()
            .set_resource_record_sets(Some(
                (0..PAIRS)
                    .flat_map(|n| {
                        let n_weight = i64::try_from(n).expect("small");
                        [
                            record(n, "primary", 100 - n_weight),
                            record(n, "secondary", n_weight),
                        ]
                    })
                    .collect(),
            ))
            .is_truncated(false)
            .max_items(300)
            .build()
            .expect("page")
    });
    FleetRules {
        clusters,
        globals,
        alarms,
        stacks,
        metrics,
        executions,
        records,
        prefixes,
    }
}

fn fleet_clients(rules: &FleetRules) -> Clients {
    clients(&Rules {
        rds: vec![&rules.clusters, &rules.globals],
        cloudwatch: vec![&rules.alarms, &rules.metrics],
        cloudformation: vec![&rules.stacks],
        sfn: vec![&rules.executions],
        route53: vec![&rules.records],
        ..Rules::default()
    })
}

fn clock() -> Arc<dyn drtui_core::clock::Clock> {
    Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
    ))
}

/// The sources one poll reads, less those riding on others or read at a slower pace.
const POLLED: [Source; 10] = [
    Source::Aurora(Role::Primary),
    Source::Aurora(Role::Secondary),
    Source::Metrics(Role::Primary),
    Source::Metrics(Role::Secondary),
    Source::Alarms(Role::Primary),
    Source::Alarms(Role::Secondary),
    Source::Stacks(Role::Primary),
    Source::Stacks(Role::Secondary),
    Source::GlobalCluster,
    Source::StateMachine,
];

/// Every pair fetches every polled source at once, as their pollers do on a shared tick.
async fn poll_all(backends: &[AwsBackend]) -> Vec<Vec<Result<SourceData, BackendError>>> {
    let mut sources = POLLED.to_vec();
    sources.push(Source::Dns);
    futures::future::join_all(backends.iter().map(|backend| {
        futures::future::join_all(sources.iter().map(|source| backend.fetch(*source)))
    }))
    .await
}

#[tokio::test]
async fn ten_pairs_in_one_account_make_one_call_per_kind_per_region_and_keep_their_own_answers() {
    let rules = fleet_rules();
    let clients = fleet_clients(&rules);
    let backends: Vec<AwsBackend> = (0..PAIRS)
        .map(|n| AwsBackend::new(&fleet_pair(n), clients.clone(), clock()))
        .collect();
    let answers = poll_all(&backends).await;
    let calls = [
        ("DescribeDBClusters", rules.clusters.num_calls(), 2),
        ("DescribeGlobalClusters", rules.globals.num_calls(), 1),
        ("DescribeAlarms", rules.alarms.num_calls(), 2),
        ("DescribeStacks", rules.stacks.num_calls(), 2),
        ("GetMetricData", rules.metrics.num_calls(), 2),
        (
            "ListExecutions (two machines)",
            rules.executions.num_calls(),
            2,
        ),
        (
            "ListResourceRecordSets (one zone)",
            rules.records.num_calls(),
            1,
        ),
    ];
    for (kind, made, expected) in calls {
        assert_eq!(made, expected, "{kind} for {PAIRS} pairs");
    }
    assert_eq!(
        *rules.prefixes.lock().expect("prefixes"),
        ["p", "p"],
        "one listing per region under the prefixes' common part"
    );
    for (n, answers) in answers.iter().enumerate() {
        let aurora = &answers[0];
        if n == 9 {
            let Err(BackendError::Service { code, message }) = aurora else {
                panic!("pair 9's missing cluster: {aurora:?}");
            };
            assert_eq!(code, "DBClusterNotFoundFault");
            assert!(message.contains("primary-9"), "{message}");
        } else {
            let Ok(SourceData::Aurora(cluster)) = aurora else {
                panic!("pair {n}: {aurora:?}");
            };
            assert_eq!(cluster.cluster_id, format!("primary-{n}"));
        }
        assert!(
            matches!(&answers[1], Ok(SourceData::Aurora(c)) if c.cluster_id == format!("secondary-{n}")),
            "pair {n}'s secondary is its own, whatever pair 9 lacks"
        );
        let Ok(SourceData::Alarms(alarms)) = &answers[4] else {
            panic!("alarms");
        };
        let names: Vec<&str> = alarms.iter().map(|alarm| alarm.name.as_str()).collect();
        assert_eq!(names, [format!("p{n}-api-5xx")], "pair {n}'s alarms only");
        let Ok(SourceData::GlobalCluster(global)) = &answers[8] else {
            panic!("global");
        };
        assert_eq!(global.id, format!("global-{n}"));
        let Ok(SourceData::Dns(dns)) = &answers[10] else {
            panic!("dns");
        };
        let n_weight = u64::try_from(n).expect("small");
        assert_eq!(dns.weights.get("us-east-2"), Some(&Some(n_weight)));
    }
    let made: u64 = backends
        .iter()
        .flat_map(|backend| backend.call_counts().into_values())
        .flat_map(std::collections::BTreeMap::into_values)
        .sum();
    assert_eq!(
        made, 12,
        "each shared call counted once, by the pair that made it"
    );
}

#[tokio::test]
async fn pairs_signing_with_other_credentials_never_share() {
    let rules = fleet_rules();
    // Two accounts: each pair's clients are its own (as `Clients::load` builds them for
    // another profile or keys), so nothing is shared.
    let backends: Vec<AwsBackend> = (0..2)
        .map(|n| AwsBackend::new(&fleet_pair(n), fleet_clients(&rules), clock()))
        .collect();
    poll_all(&backends).await;
    assert_eq!(rules.clusters.num_calls(), 4, "two regions, two accounts");
    assert_eq!(rules.records.num_calls(), 2, "one listing per account");
}

#[tokio::test]
async fn the_pairs_of_an_account_share_their_permission_simulations() {
    let caller = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
        aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput::builder()
            .arn("arn:aws:iam::123456789012:user/oncall")
            .build()
    });
    let simulate = simulation_denying_the_promote_of_pair_3();
    let clients = clients(&Rules {
        sts: vec![&caller],
        iam: vec![&simulate],
        ..Rules::default()
    });
    let backends: Vec<AwsBackend> = (0..PAIRS)
        .map(|n| AwsBackend::new(&fleet_pair(n), clients.clone(), clock()))
        .collect();
    let answers = futures::future::join_all(
        backends
            .iter()
            .map(|backend| backend.fetch(Source::Permissions)),
    )
    .await;
    let contexts = drtui_core::permissions::simulations_per_read(&fleet_pair(0));
    assert_eq!(
        simulate.num_calls(),
        contexts,
        "one simulation per context for the {PAIRS} pairs of the account"
    );
    for (n, answer) in answers.iter().enumerate() {
        let Ok(SourceData::Permissions(permissions)) = answer else {
            panic!("pair {n}: {answer:?}");
        };
        let denied = permissions.denied().expect("checked");
        if n == 3 {
            assert!(
                !denied.is_empty()
                    && denied
                        .iter()
                        .all(|denial| denial.action == "rds:FailoverGlobalCluster"
                            && denial.resource.ends_with("cluster:secondary-3")),
                "{denied:?}"
            );
        } else {
            assert!(
                denied.is_empty(),
                "pair {n} keeps only its own answers: {denied:?}"
            );
        }
    }
}

/// IAM's simulator for the fleet: pair 3 may not promote its own secondary; everything else
/// is allowed.
fn simulation_denying_the_promote_of_pair_3() -> Rule {
    use aws_sdk_iam::operation::simulate_principal_policy::SimulatePrincipalPolicyOutput;
    use aws_sdk_iam::types::{
        EvaluationResult, PolicyEvaluationDecisionType, ResourceSpecificResult,
    };
    mock!(aws_sdk_iam::Client::simulate_principal_policy).then_compute_output(|input| {
        let decision = |action: &str, resource: &str| {
            if action == "rds:FailoverGlobalCluster" && resource.ends_with("cluster:secondary-3") {
                PolicyEvaluationDecisionType::ImplicitDeny
            } else {
                PolicyEvaluationDecisionType::Allowed
            }
        };
        let results = input
            .action_names()
            .iter()
            .map(|action| {
                let per_resource = input
                    .resource_arns()
                    .iter()
                    .map(|resource| {
                        ResourceSpecificResult::builder()
                            .eval_resource_name(resource)
                            .eval_resource_decision(decision(action, resource))
                            .build()
                            .expect("result")
                    })
                    .collect();
                EvaluationResult::builder()
                    .eval_action_name(action)
                    .eval_decision(PolicyEvaluationDecisionType::Allowed)
                    .set_resource_specific_results(Some(per_resource))
                    .build()
                    .expect("evaluation")
            })
            .collect();
        SimulatePrincipalPolicyOutput::builder()
            .set_evaluation_results(Some(results))
            .is_truncated(false)
            .build()
    })
}
