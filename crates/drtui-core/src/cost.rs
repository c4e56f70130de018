//! What watching a pair costs in CloudWatch: `GetMetricData` is billed per metric requested,
//! whatever the number of datapoints. Pure: from the pair's config alone, so the same figure
//! shows for the simulator as the estate would cost on AWS.

use serde::Serialize;

use crate::config::RegionPair;
use crate::model::Role;
use crate::ports::ROUTE53_CONTROL_REGION;

/// CloudWatch's list price for `GetMetricData`: $0.01 per 1,000 metrics requested.
pub(crate) const USD_PER_1000_METRICS: f64 = 0.01;

/// The metrics one region's `GetMetricData` asks for: API Gateway Count/5XX/4XX/Latency,
/// Lambda Invocations/Errors/Duration per function, RDS connections, CPU and the two lag
/// metrics, `ReplicationLatency` per DynamoDB global table, four metrics per S3 replication
/// rule read in the region, and in us-east-1 two Route 53 metrics per health check. Mirrors
/// `drtui_backend::aws::metrics::queries` (a test there keeps the two equal).
pub fn metrics_per_call(pair: &RegionPair, role: Role, health_checks: usize) -> usize {
    let region = pair.region(role);
    let api = if pair.api_names.contains_key(region) {
        4
    } else {
        0
    };
    let lambdas = 3 * pair.lambda_functions_in(role).len();
    let database = 4;
    let tables = pair.dynamodb_tables.len();
    let buckets = 4 * pair
        .replicated_buckets
        .iter()
        .filter(|bucket| bucket.read_in(region))
        .count();
    let health = if region == ROUTE53_CONTROL_REGION {
        2 * health_checks
    } else {
        0
    };
    api + lambdas + database + tables + buckets + health
}

/// The cost of the current settings, for the debug view and `status --format json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cost {
    pub metrics_per_call: usize,
    pub calls_per_hour: f64,
    pub metrics_per_hour: f64,
    pub usd_per_day: f64,
    pub formula: String,
}

/// What a dashboard left open on `pair` costs per day at its `metrics_interval`.
pub fn of(pair: &RegionPair) -> Cost {
    // Health checks are the configured ones, or one per region learned from the records.
    let health_checks = if pair.health_checks.is_empty() {
        2
    } else {
        pair.health_checks.len()
    };
    let metrics_per_call: usize = Role::BOTH
        .iter()
        .map(|role| metrics_per_call(pair, *role, health_checks))
        .sum();
    let calls_per_hour = 3600.0 / pair.metrics_interval.as_secs_f64().max(1.0);
    let metrics_per_hour = metrics_per_call as f64 * calls_per_hour;
    let usd_per_day = metrics_per_hour * 24.0 * USD_PER_1000_METRICS / 1000.0;
    Cost {
        metrics_per_call,
        calls_per_hour,
        metrics_per_hour,
        usd_per_day,
        formula: format!(
            "{metrics_per_call} metrics per poll (both regions) x {calls_per_hour:.0} polls/hour (metrics_interval {}) x 24 h x ${USD_PER_1000_METRICS} per 1,000 metrics = ${usd_per_day:.2}/day",
            humantime::format_duration(pair.metrics_interval)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference estate (three Lambdas and an API per region, two health checks, the
    /// global table, a replication rule each way) costs under $0.75 a day at the default
    /// minute: 48 metrics a call, $0.69 (without the stores 38, $0.55).
    #[test]
    fn the_reference_estate_at_one_minute_costs_under_seventy_five_cents_a_day() {
        let mut pair = RegionPair::skeleton("prod", "us-east-1", "us-east-2");
        assert!(pair.dynamodb_tables.is_empty() && pair.replicated_buckets.is_empty());
        pair.dynamodb_tables = RegionPair::demo().dynamodb_tables;
        pair.replicated_buckets = RegionPair::demo().replicated_buckets;
        for region in ["us-east-1", "us-east-2"] {
            pair.api_names
                .insert(region.into(), format!("api-{region}"));
            pair.lambda_functions.insert(
                region.into(),
                vec!["validate".into(), "process".into(), "notify".into()],
            );
            pair.health_checks
                .insert(region.into(), format!("hc-{region}"));
        }
        let cost = of(&pair);
        assert_eq!(cost.metrics_per_call, 2 * (4 + 9 + 4) + 4 + 2 * (1 + 4));
        assert_eq!(cost.calls_per_hour, 60.0);
        assert!(cost.usd_per_day <= 0.75, "{}", cost.formula);
        pair.metrics_interval = std::time::Duration::from_secs(5);
        assert!(
            of(&pair).usd_per_day > 6.0,
            "every 5 s re-reads each minute 12 times"
        );
    }
}
