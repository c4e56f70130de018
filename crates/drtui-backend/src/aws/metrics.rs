//! One `GetMetricData` call per region per poll: which metrics it asks for, and how the raw
//! series become the figures drtui shows. The percentages the reference alarms on are
//! computed here from raw sums (the emulator does not evaluate metric math, and one tested
//! function is easier to trust than an expression string).

use std::collections::BTreeMap;

use drtui_core::clock::Timestamp;
use drtui_core::config::RegionPair;
use drtui_core::model::{
    HealthCheck, LambdaMetrics, MetricHistory, RegionMetrics, Role, StoreFigures, StoreKind,
};

/// One period of every series: a minute, as CloudWatch stores these metrics.
pub const PERIOD_S: i32 = 60;
/// How far back each poll reads, so sparklines have an hour of history.
pub const WINDOW_S: i64 = 3_600;

/// What one query of the call measures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Measure {
    ApiCount,
    Api5xx,
    Api4xx,
    ApiLatency,
    LambdaInvocations(usize),
    LambdaErrors(usize),
    LambdaDuration(usize),
    DbConnections,
    DbCpu,
    /// `AuroraGlobalDBRPOLag` (Aurora PostgreSQL), preferred.
    RpoLag,
    /// `AuroraGlobalDBReplicationLag`, the fallback.
    ReplicationLag,
    /// Route 53 health-check metrics (they exist only in us-east-1), by the region probed.
    HealthStatus(String),
    HealthPercent(String),
    /// A DynamoDB global table's `ReplicationLatency` out of this region (its index in the
    /// pair's `dynamodb_tables`).
    TableLatency(usize),
    /// An S3 replication rule's metrics (its index in the pair's `replicated_buckets`).
    BucketLatency(usize),
    BucketPendingOperations(usize),
    BucketPendingBytes(usize),
    BucketFailedOperations(usize),
}

/// One metric of the `GetMetricData` call.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub id: String,
    pub namespace: &'static str,
    pub metric: &'static str,
    pub dimensions: Vec<(&'static str, String)>,
    pub stat: &'static str,
    pub measure: Measure,
}

/// What a query asks for, whoever asks: pairs asking the same metric share its series.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricKey {
    pub namespace: &'static str,
    pub metric: &'static str,
    pub dimensions: Vec<(&'static str, String)>,
    pub stat: &'static str,
}

impl Query {
    pub fn key(&self) -> MetricKey {
        MetricKey {
            namespace: self.namespace,
            metric: self.metric,
            dimensions: self.dimensions.clone(),
            stat: self.stat,
        }
    }
}

/// The queries of one region's call. `health_checks` (region -> id) are added to the call of
/// the region that is us-east-1, where Route 53 publishes its metrics.
#[expect(
    clippy::too_many_lines,
    reason = "the one GetMetricData request: one query per metric, in a flat list"
)]
pub fn queries(
    pair: &RegionPair,
    role: Role,
    health_checks: &BTreeMap<String, String>,
) -> Vec<Query> {
    let region = pair.region(role);
    let mut queries = Vec::new();
    let mut add = |namespace, metric, dimensions: Vec<(&'static str, String)>, stat, measure| {
        queries.push(Query {
            id: format!("q{}", queries.len()),
            namespace,
            metric,
            dimensions,
            stat,
            measure,
        });
    };
    if let Some(api) = pair.api_names.get(region) {
        let dimension = ("ApiName", api.clone());
        add(
            "AWS/ApiGateway",
            "Count",
            vec![dimension.clone()],
            "Sum",
            Measure::ApiCount,
        );
        add(
            "AWS/ApiGateway",
            "5XXError",
            vec![dimension.clone()],
            "Sum",
            Measure::Api5xx,
        );
        add(
            "AWS/ApiGateway",
            "4XXError",
            vec![dimension.clone()],
            "Sum",
            Measure::Api4xx,
        );
        add(
            "AWS/ApiGateway",
            "Latency",
            vec![dimension],
            "Average",
            Measure::ApiLatency,
        );
    }
    for (index, function) in pair.lambda_functions_in(role).iter().enumerate() {
        let dimension = ("FunctionName", function.clone());
        add(
            "AWS/Lambda",
            "Invocations",
            vec![dimension.clone()],
            "Sum",
            Measure::LambdaInvocations(index),
        );
        add(
            "AWS/Lambda",
            "Errors",
            vec![dimension.clone()],
            "Sum",
            Measure::LambdaErrors(index),
        );
        add(
            "AWS/Lambda",
            "Duration",
            vec![dimension],
            "Average",
            Measure::LambdaDuration(index),
        );
    }
    let cluster = ("DBClusterIdentifier", pair.cluster(role).to_owned());
    add(
        "AWS/RDS",
        "DatabaseConnections",
        vec![cluster.clone()],
        "Maximum",
        Measure::DbConnections,
    );
    add(
        "AWS/RDS",
        "CPUUtilization",
        vec![cluster.clone()],
        "Average",
        Measure::DbCpu,
    );
    // Asked of both regions: whichever cluster reads now (the secondary in steady state, the
    // old primary after a failover) publishes the lag; the writer's query comes back empty.
    add(
        "AWS/RDS",
        "AuroraGlobalDBRPOLag",
        vec![cluster.clone()],
        "Maximum",
        Measure::RpoLag,
    );
    add(
        "AWS/RDS",
        "AuroraGlobalDBReplicationLag",
        vec![cluster],
        "Maximum",
        Measure::ReplicationLag,
    );
    // Replication out of this region: where DynamoDB and S3 publish it.
    let other = pair.region(role.other()).to_owned();
    for (index, table) in pair.dynamodb_tables.iter().enumerate() {
        add(
            "AWS/DynamoDB",
            "ReplicationLatency",
            vec![
                ("TableName", table.clone()),
                ("ReceivingRegion", other.clone()),
            ],
            "Maximum",
            Measure::TableLatency(index),
        );
    }
    for (index, bucket) in pair.replicated_buckets.iter().enumerate() {
        if !bucket.read_in(region) {
            continue;
        }
        let dimensions = vec![
            ("SourceBucket", bucket.source.clone()),
            ("DestinationBucket", bucket.destination.clone()),
            ("RuleId", bucket.rule_id.clone()),
        ];
        for (metric, measure) in [
            ("ReplicationLatency", Measure::BucketLatency(index)),
            (
                "OperationsPendingReplication",
                Measure::BucketPendingOperations(index),
            ),
            (
                "BytesPendingReplication",
                Measure::BucketPendingBytes(index),
            ),
            (
                "OperationsFailedReplication",
                Measure::BucketFailedOperations(index),
            ),
        ] {
            add("AWS/S3", metric, dimensions.clone(), "Maximum", measure);
        }
    }
    if region == drtui_core::ports::ROUTE53_CONTROL_REGION {
        for (probed, id) in health_checks {
            let dimension = ("HealthCheckId", id.clone());
            add(
                "AWS/Route53",
                "HealthCheckStatus",
                vec![dimension.clone()],
                "Minimum",
                Measure::HealthStatus(probed.clone()),
            );
            add(
                "AWS/Route53",
                "HealthCheckPercentageHealthy",
                vec![dimension],
                "Average",
                Measure::HealthPercent(probed.clone()),
            );
        }
    }
    queries
}

/// A series as CloudWatch returned it: (period start, value).
pub type Series = BTreeMap<Timestamp, f64>;

/// `100 * numerator / denominator` for each period where the denominator was reported.
/// A period with no requests has no errors: 0 %. A missing numerator datapoint means CloudWatch
/// saw no errors in that period (it omits zero sums), so it counts as 0.
pub fn rate_pct(numerator: &Series, denominator: &Series) -> Series {
    denominator
        .iter()
        .map(|(at, total)| {
            let errors = numerator.get(at).copied().unwrap_or(0.0);
            let rate = if *total > 0.0 {
                100.0 * errors / total
            } else {
                0.0
            };
            (*at, rate)
        })
        .collect()
}

/// Adds series period by period.
pub fn sum(series: &[&Series]) -> Series {
    let mut total = Series::new();
    for one in series {
        for (at, value) in *one {
            *total.entry(*at).or_default() += value;
        }
    }
    total
}

/// The newest datapoint, if it is recent enough to be the current figure (see
/// [`drtui_core::model::DATAPOINT_FRESH`]); an older one is no figure at all.
fn latest_since(series: &Series, cutoff: Timestamp) -> Option<f64> {
    series
        .last_key_value()
        .filter(|(at, _)| **at >= cutoff)
        .map(|(_, value)| *value)
}

/// Turns the call's series (by query id) into the region's figures and, for us-east-1, the
/// Route 53 health checks. Absent series become `None`, never zero.
pub fn interpret(
    pair: &RegionPair,
    role: Role,
    queries: &[Query],
    results: &BTreeMap<String, Series>,
    health_check_ids: &BTreeMap<String, String>,
    now: Timestamp,
) -> (RegionMetrics, Vec<HealthCheck>) {
    let empty = Series::new();
    let cutoff =
        now - chrono::Duration::from_std(drtui_core::model::DATAPOINT_FRESH).unwrap_or_default();
    let latest = |series: &Series| latest_since(series, cutoff);
    let newest_datapoint_at = results
        .values()
        .filter_map(|series| series.last_key_value().map(|(at, _)| *at))
        .max();
    let series = |measure: &Measure| {
        queries
            .iter()
            .find(|query| &query.measure == measure)
            .and_then(|query| results.get(&query.id))
            .filter(|series| !series.is_empty())
    };
    let api_count = series(&Measure::ApiCount);
    let api_5xx =
        api_count.map(|count| rate_pct(series(&Measure::Api5xx).unwrap_or(&empty), count));
    let api_4xx =
        api_count.map(|count| rate_pct(series(&Measure::Api4xx).unwrap_or(&empty), count));

    let functions = pair.lambda_functions_in(role);
    let invocations: Vec<&Series> = (0..functions.len())
        .filter_map(|index| series(&Measure::LambdaInvocations(index)))
        .collect();
    let errors: Vec<&Series> = (0..functions.len())
        .filter_map(|index| series(&Measure::LambdaErrors(index)))
        .collect();
    let lambda_rate =
        (!invocations.is_empty()).then(|| rate_pct(&sum(&errors), &sum(&invocations)));

    let lag = series(&Measure::RpoLag).or_else(|| series(&Measure::ReplicationLag));

    let metrics = RegionMetrics {
        api_requests_per_min: api_count
            .and_then(&latest)
            .map(|count| count * 60.0 / f64::from(PERIOD_S)),
        api_latency_ms: series(&Measure::ApiLatency).and_then(&latest),
        api_4xx_rate_pct: api_4xx.as_ref().and_then(&latest),
        api_5xx_rate_pct: api_5xx.as_ref().and_then(&latest),
        lambda_error_rate_pct: lambda_rate.as_ref().and_then(&latest),
        lambdas: functions
            .iter()
            .enumerate()
            .map(|(index, function)| LambdaMetrics {
                function: function.clone(),
                invocations: series(&Measure::LambdaInvocations(index)).and_then(&latest),
                errors: series(&Measure::LambdaErrors(index)).and_then(&latest),
                duration_ms: series(&Measure::LambdaDuration(index)).and_then(&latest),
            })
            .collect(),
        db_connections: series(&Measure::DbConnections).and_then(&latest),
        db_cpu_pct: series(&Measure::DbCpu).and_then(&latest),
        replication_lag_ms: lag.and_then(&latest),
        newest_datapoint_at,
        stores: stores(pair, role, queries, &series, &latest),
        history: MetricHistory {
            period_s: PERIOD_S as u64,
            replication_lag_ms: lag
                .map(|lag| lag.values().map(|value| Some(*value)).collect())
                .unwrap_or_default(),
            api_5xx_rate_pct: api_5xx
                .map(|rates| rates.into_values().collect())
                .unwrap_or_default(),
            lambda_error_rate_pct: lambda_rate
                .map(|rates| rates.into_values().collect())
                .unwrap_or_default(),
        },
    };
    let health = health_checks(health_check_ids, queries, &series, &latest);
    (metrics, health)
}

/// The replicated stores this region's call asked about: each table toward the other region,
/// each replication rule read here. A store whose query came back empty has unknown figures.
fn stores<'a>(
    pair: &RegionPair,
    role: Role,
    queries: &[Query],
    series: &dyn Fn(&Measure) -> Option<&'a Series>,
    latest: &dyn Fn(&Series) -> Option<f64>,
) -> Vec<StoreFigures> {
    let asked = |measure: &Measure| queries.iter().any(|query| &query.measure == measure);
    let newest = |measures: &[Measure]| {
        measures
            .iter()
            .filter_map(|measure| series(measure)?.last_key_value().map(|(at, _)| *at))
            .max()
    };
    let figure = |measure: &Measure| series(measure).and_then(latest);
    let mut stores = Vec::new();
    for (index, table) in pair.dynamodb_tables.iter().enumerate() {
        let measure = Measure::TableLatency(index);
        if asked(&measure) {
            stores.push(StoreFigures {
                kind: StoreKind::Dynamodb,
                name: table.clone(),
                to: pair.region(role.other()).to_owned(),
                lag_ms: figure(&measure),
                pending_operations: None,
                pending_bytes: None,
                failed_operations: None,
                newest_at: newest(std::slice::from_ref(&measure)),
            });
        }
    }
    for (index, bucket) in pair.replicated_buckets.iter().enumerate() {
        let measures = [
            Measure::BucketLatency(index),
            Measure::BucketPendingOperations(index),
            Measure::BucketPendingBytes(index),
            Measure::BucketFailedOperations(index),
        ];
        if asked(&measures[0]) {
            stores.push(StoreFigures {
                kind: StoreKind::S3,
                name: bucket.source.clone(),
                to: bucket.destination.clone(),
                // S3 reports the latency in seconds.
                lag_ms: figure(&measures[0]).map(|seconds| seconds * 1000.0),
                pending_operations: figure(&measures[1]),
                pending_bytes: figure(&measures[2]),
                failed_operations: figure(&measures[3]),
                newest_at: newest(&measures),
            });
        }
    }
    stores
}

/// The Route 53 health checks whose status metrics the call asked for (us-east-1 only).
fn health_checks<'a>(
    health_check_ids: &BTreeMap<String, String>,
    queries: &[Query],
    series: &dyn Fn(&Measure) -> Option<&'a Series>,
    latest: &dyn Fn(&Series) -> Option<f64>,
) -> Vec<HealthCheck> {
    health_check_ids
        .iter()
        .filter(|(probed, _)| {
            queries
                .iter()
                .any(|query| query.measure == Measure::HealthStatus((*probed).clone()))
        })
        .map(|(probed, id)| {
            let status = series(&Measure::HealthStatus(probed.clone())).and_then(latest);
            HealthCheck {
                id: id.clone(),
                region: Some(probed.clone()),
                healthy: status.map(|status| status >= 1.0),
                checkers_healthy: None,
                checkers_total: None,
                percent_healthy: series(&Measure::HealthPercent(probed.clone())).and_then(latest),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + 60 * minute, 0).expect("valid")
    }

    fn series(points: &[(i64, f64)]) -> Series {
        points
            .iter()
            .map(|(minute, value)| (at(*minute), *value))
            .collect()
    }

    #[test]
    fn rate_is_per_period_and_missing_errors_count_as_zero() {
        let count = series(&[(0, 200.0), (1, 400.0), (2, 0.0)]);
        let errors = series(&[(0, 3.0)]);
        assert_eq!(
            rate_pct(&errors, &count),
            series(&[(0, 1.5), (1, 0.0), (2, 0.0)])
        );
        assert!(
            rate_pct(&errors, &Series::new()).is_empty(),
            "no requests reported: no rate"
        );
    }

    #[test]
    fn lambda_rate_sums_every_function() {
        let invocations = [series(&[(0, 100.0)]), series(&[(0, 300.0)])];
        let errors = [series(&[(0, 10.0)]), series(&[(0, 10.0)])];
        let rate = rate_pct(
            &sum(&errors.iter().collect::<Vec<_>>()),
            &sum(&invocations.iter().collect::<Vec<_>>()),
        );
        assert_eq!(rate, series(&[(0, 5.0)]));
    }

    /// The id of the query for `metric` (the first, when several ask it).
    fn id_of(queries: &[Query], metric: &str) -> String {
        queries
            .iter()
            .find(|query| query.metric == metric)
            .map(|query| query.id.clone())
            .expect(metric)
    }

    fn pair() -> RegionPair {
        let mut pair = RegionPair::demo();
        pair.lambda_functions = BTreeMap::from([
            (
                "us-east-1".to_owned(),
                vec!["validate".to_owned(), "process".to_owned()],
            ),
            ("us-east-2".to_owned(), vec!["validate".to_owned()]),
        ]);
        pair
    }

    /// Each store is asked with its dimensions in the region that publishes it; S3's seconds
    /// become milliseconds; an old datapoint is not a current figure and a silent metric is
    /// unknown, never zero.
    #[test]
    fn stores_are_read_where_they_are_published_and_unknown_when_silent() {
        let pair = RegionPair::demo();
        let asked = queries(&pair, Role::Primary, &BTreeMap::new());
        let find = |measure: Measure| asked.iter().find(|query| query.measure == measure).cloned();
        let table = find(Measure::TableLatency(0)).expect("the table");
        assert_eq!(
            table.dimensions,
            vec![
                ("TableName", "payment-transactions-demo".to_owned()),
                ("ReceivingRegion", "us-east-2".to_owned())
            ]
        );
        assert!(
            find(Measure::BucketLatency(1)).is_none(),
            "the rule back to the primary is read in the secondary"
        );
        let latency = find(Measure::BucketLatency(0)).expect("the rule");
        let pending = find(Measure::BucketPendingOperations(0)).expect("pending");
        let results = BTreeMap::from([
            (table.id.clone(), series(&[(9, 1_200.0)])),
            (latency.id.clone(), series(&[(9, 40.0)])),
            // Ten minutes old at `now`: not a current figure.
            (pending.id.clone(), series(&[(0, 3_000.0)])),
        ]);
        let (metrics, _) = interpret(
            &pair,
            Role::Primary,
            &asked,
            &results,
            &BTreeMap::new(),
            at(10),
        );
        let store = |kind| {
            metrics
                .stores
                .iter()
                .find(|store| store.kind == kind)
                .expect("store")
        };
        assert_eq!(store(StoreKind::Dynamodb).lag_ms, Some(1_200.0));
        assert_eq!(store(StoreKind::Dynamodb).to, "us-east-2");
        let bucket = store(StoreKind::S3);
        assert_eq!(bucket.lag_ms, Some(40_000.0), "S3 reports seconds");
        assert_eq!(bucket.pending_operations, None, "old: not current");
        assert_eq!(bucket.pending_bytes, None, "silent: unknown, not zero");
        assert_eq!(bucket.newest_at, Some(at(9)));
    }

    /// The cost shown to the user counts exactly the metrics these calls request.
    #[test]
    fn the_cost_model_counts_what_the_calls_request() {
        let checks = BTreeMap::from([
            ("us-east-1".to_owned(), "hc-1".to_owned()),
            ("us-east-2".to_owned(), "hc-2".to_owned()),
        ]);
        for role in Role::BOTH {
            assert_eq!(
                queries(&pair(), role, &checks).len(),
                drtui_core::cost::metrics_per_call(&pair(), role, checks.len()),
                "{role:?}"
            );
        }
    }

    #[test]
    fn one_call_asks_for_everything_and_health_rides_in_us_east_1() {
        let checks = BTreeMap::from([
            ("us-east-1".to_owned(), "hc-1".to_owned()),
            ("us-east-2".to_owned(), "hc-2".to_owned()),
        ]);
        let primary = queries(&pair(), Role::Primary, &checks);
        let secondary = queries(&pair(), Role::Secondary, &checks);
        let names =
            |queries: &[Query]| queries.iter().map(|query| query.metric).collect::<Vec<_>>();
        assert_eq!(
            names(&primary),
            [
                "Count",
                "5XXError",
                "4XXError",
                "Latency",
                "Invocations",
                "Errors",
                "Duration",
                "Invocations",
                "Errors",
                "Duration",
                "DatabaseConnections",
                "CPUUtilization",
                "AuroraGlobalDBRPOLag",
                "AuroraGlobalDBReplicationLag",
                "ReplicationLatency",
                "ReplicationLatency",
                "OperationsPendingReplication",
                "BytesPendingReplication",
                "OperationsFailedReplication",
                "HealthCheckStatus",
                "HealthCheckPercentageHealthy",
                "HealthCheckStatus",
                "HealthCheckPercentageHealthy"
            ]
        );
        assert!(names(&secondary).contains(&"AuroraGlobalDBRPOLag"));
        assert!(
            !names(&secondary).contains(&"HealthCheckStatus"),
            "Route 53 metrics live in us-east-1 only"
        );
        let ids: std::collections::BTreeSet<_> =
            primary.iter().map(|query| query.id.clone()).collect();
        assert_eq!(ids.len(), primary.len(), "query ids are unique");
    }

    #[test]
    fn interpretation_computes_rates_prefers_rpo_lag_and_keeps_missing_as_none() {
        let pair = pair();
        let checks = BTreeMap::from([("us-east-2".to_owned(), "hc-2".to_owned())]);
        let queries = queries(&pair, Role::Secondary, &checks);
        let id = |metric: &str| id_of(&queries, metric);
        let results = BTreeMap::from([
            (id("Count"), series(&[(0, 100.0), (1, 120.0)])),
            (id("5XXError"), series(&[(1, 6.0)])),
            (id("Invocations"), series(&[(1, 50.0)])),
            (id("Errors"), series(&[(1, 5.0)])),
            (
                id("AuroraGlobalDBRPOLag"),
                series(&[(0, 800.0), (1, 1_200.0)]),
            ),
            (id("AuroraGlobalDBReplicationLag"), series(&[(1, 99.0)])),
        ]);
        let (metrics, health) =
            interpret(&pair, Role::Secondary, &queries, &results, &checks, at(2));
        assert_eq!(metrics.api_5xx_rate_pct, Some(5.0));
        assert_eq!(metrics.api_requests_per_min, Some(120.0));
        assert_eq!(metrics.lambda_error_rate_pct, Some(10.0));
        assert_eq!(metrics.replication_lag_ms, Some(1_200.0));
        assert_eq!(metrics.history.api_5xx_rate_pct, vec![0.0, 5.0]);
        assert_eq!(
            metrics.db_connections, None,
            "no datapoints is unknown, not zero"
        );
        assert_eq!(metrics.api_latency_ms, None);
        assert!(health.is_empty(), "no health metrics outside us-east-1");
        assert_eq!(metrics.newest_datapoint_at, Some(at(1)));
        assert_eq!(metrics.silent_for(at(2)), None);
    }

    /// Datapoints older than three periods plus the publishing delay are not current figures:
    /// the same results read 14 minutes later give no figure, and say how long CloudWatch has
    /// been silent.
    #[test]
    fn old_datapoints_are_not_shown_as_current() {
        let pair = pair();
        let queries = queries(&pair, Role::Secondary, &BTreeMap::new());
        let id = |metric: &str| id_of(&queries, metric);
        let results = BTreeMap::from([
            (id("Count"), series(&[(0, 100.0), (1, 120.0)])),
            (id("5XXError"), series(&[(1, 2.4)])),
            (id("AuroraGlobalDBRPOLag"), series(&[(1, 850.0)])),
        ]);
        let read = |minute| {
            interpret(
                &pair,
                Role::Secondary,
                &queries,
                &results,
                &BTreeMap::new(),
                at(minute),
            )
            .0
        };
        assert_eq!(read(4).api_5xx_rate_pct, Some(2.0));
        assert_eq!(read(4).replication_lag_ms, Some(850.0));
        let late = read(15);
        assert_eq!(late.api_5xx_rate_pct, None);
        assert_eq!(late.replication_lag_ms, None);
        assert_eq!(late.api_requests_per_min, None);
        assert_eq!(
            late.silent_for(at(15)),
            Some(std::time::Duration::from_secs(14 * 60))
        );
        assert_eq!(
            late.history.api_5xx_rate_pct,
            vec![0.0, 2.0],
            "the history keeps them, as history"
        );
    }

    #[test]
    fn replication_lag_falls_back_when_rpo_lag_is_absent() {
        let pair = pair();
        let queries = queries(&pair, Role::Secondary, &BTreeMap::new());
        let id = queries
            .iter()
            .find(|query| query.metric == "AuroraGlobalDBReplicationLag")
            .map(|query| query.id.clone())
            .expect("query");
        let results = BTreeMap::from([(id, series(&[(0, 450.0)]))]);
        let (metrics, _) = interpret(
            &pair,
            Role::Secondary,
            &queries,
            &results,
            &BTreeMap::new(),
            at(1),
        );
        assert_eq!(metrics.replication_lag_ms, Some(450.0));
    }
}
