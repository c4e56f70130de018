//! A pair that cannot be observed is not healthy. What the configuration says drtui should
//! see (alarms under the prefix, datapoints for each API, function and cluster), and what of it
//! the snapshot lacks: silence is named, never passed as health.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::model::{Role, Snapshot};

/// What the pair's configuration names, by region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    pub alarm_prefix: String,
    /// The API Gateway API of each region.
    pub api_names: BTreeMap<String, String>,
    /// The Lambda functions of each region.
    pub lambda_functions: BTreeMap<String, Vec<String>>,
    /// The data-plane lever's alarm: it does not count as one of the estate's alarms.
    pub lever_alarm: Option<String>,
}

/// The alarms of `role` that are the estate's (the lever's own alarm aside), when known.
pub fn estate_alarm_count(
    snapshot: &Snapshot,
    role: Role,
    expected: &Expected,
    now: Timestamp,
    stale_after: Duration,
) -> Option<usize> {
    let alarms = snapshot.region(role).alarms.usable(now, stale_after)?;
    Some(
        alarms
            .iter()
            .filter(|alarm| Some(&alarm.name) != expected.lever_alarm.as_ref())
            .count(),
    )
}

/// Each thing the configuration names that answered with nothing: an alarm prefix matching no
/// alarm, an API, cluster or set of functions with no datapoint, CloudWatch silent. Sources
/// that did not answer at all are the freshness check's to name, not this.
pub fn unobserved(
    snapshot: &Snapshot,
    expected: &Expected,
    now: Timestamp,
    stale_after: Duration,
) -> Vec<String> {
    let mut missing = Vec::new();
    for role in Role::BOTH {
        let region = snapshot.region(role);
        let name = &region.region;
        if estate_alarm_count(snapshot, role, expected, now, stale_after) == Some(0) {
            missing.push(format!(
                "no alarm named {}* in {name} (check alarm_prefix)",
                expected.alarm_prefix
            ));
        }
        let Some(metrics) = region.metrics.usable(now, stale_after) else {
            continue;
        };
        if let Some(silent) = metrics.silent_for(now) {
            missing.push(format!(
                "CloudWatch in {name} has no datapoint newer than {} s",
                silent.as_secs()
            ));
            continue;
        }
        if let Some(api) = expected.api_names.get(name)
            && metrics.api_requests_per_min.is_none()
        {
            missing.push(format!("no datapoint for API {api} (ApiName) in {name}"));
        }
        if metrics.db_connections.is_none() {
            missing.push(format!(
                "no datapoint for cluster {} (DBClusterIdentifier) in {name}",
                region.cluster_id
            ));
        }
        let functions = expected
            .lambda_functions
            .get(name)
            .filter(|functions| !functions.is_empty());
        if let Some(functions) = functions
            && metrics
                .lambdas
                .iter()
                .all(|lambda| lambda.invocations.is_none())
        {
            missing.push(format!(
                "no datapoint for Lambda {} (FunctionName) in {name}",
                functions.join(", ")
            ));
        }
        // The stores replicating out of the writer's region are what a move risks: silence
        // there is not a zero. (The other direction may have no writes to publish.)
        let writer = snapshot
            .writer_role(now, stale_after)
            .unwrap_or(Role::Primary);
        if role == writer {
            missing.extend(silent_stores(metrics, name));
        }
    }
    missing
}

/// The stores a region's call asked about that came back with no datapoint at all.
fn silent_stores(metrics: &crate::model::RegionMetrics, region: &str) -> Vec<String> {
    use crate::model::StoreKind;
    metrics
        .stores
        .iter()
        .filter(|store| store.newest_at.is_none())
        .map(|store| match store.kind {
            StoreKind::Dynamodb => format!(
                "no datapoint for DynamoDB table {} toward {} (TableName, ReceivingRegion) in {region}",
                store.name, store.to
            ),
            _ => format!(
                "no datapoint for S3 replication {} → {} (SourceBucket, DestinationBucket, RuleId) in {region}",
                store.name, store.to
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RegionPair;
    use crate::model::{RegionMetrics, Source, SourceData};
    use crate::readiness::tests::{healthy, set, t};

    fn expected() -> Expected {
        let pair = RegionPair::demo();
        pair.policy().expected
    }

    /// A store a move out of the writer's region risks, asked about and answered with no
    /// datapoint at all, is named; the other direction may simply have no writes.
    #[test]
    fn a_silent_store_out_of_the_writer_is_named() {
        let stale_after = RegionPair::demo().stale_after();
        let mut snapshot = healthy();
        for role in Role::BOTH {
            let mut figures = crate::readiness::tests::metrics(None);
            for store in &mut figures.stores {
                store.newest_at = None;
                store.lag_ms = None;
            }
            set(
                &mut snapshot,
                Source::Metrics(role),
                Ok(SourceData::Metrics(figures)),
            );
        }
        let missing = unobserved(&snapshot, &expected(), t(1), stale_after);
        assert!(
            missing.contains(
                &"no datapoint for DynamoDB table payment-transactions-demo toward us-east-2 (TableName, ReceivingRegion) in us-east-1"
                    .to_owned()
            ),
            "{missing:?}"
        );
        assert!(
            missing.iter().all(|line| line.ends_with("in us-east-1")),
            "only the writer's region: {missing:?}"
        );
    }

    #[test]
    fn silence_is_named_not_passed() {
        let stale_after = RegionPair::demo().stale_after();
        let mut snapshot = healthy();
        assert_eq!(
            unobserved(&snapshot, &expected(), t(1), stale_after),
            Vec::<String>::new()
        );
        // CloudWatch answers for the secondary, with nothing for its API or its cluster.
        set(
            &mut snapshot,
            Source::Metrics(Role::Secondary),
            Ok(SourceData::Metrics(RegionMetrics {
                replication_lag_ms: Some(250.0),
                ..RegionMetrics::default()
            })),
        );
        let missing = unobserved(&snapshot, &expected(), t(1), stale_after);
        assert!(
            missing.contains(
                &"no datapoint for API payment-api-secondary-demo (ApiName) in us-east-2"
                    .to_owned()
            ) && missing
                .iter()
                .any(|line| line.starts_with("no datapoint for cluster")),
            "{missing:?}"
        );
        set(
            &mut snapshot,
            Source::Alarms(Role::Secondary),
            Ok(SourceData::Alarms(vec![])),
        );
        set(
            &mut snapshot,
            Source::Metrics(Role::Primary),
            Ok(SourceData::Metrics(RegionMetrics {
                newest_datapoint_at: Some(t(0) - chrono::Duration::minutes(14)),
                ..RegionMetrics::default()
            })),
        );
        let missing = unobserved(&snapshot, &expected(), t(1), stale_after);
        assert!(
            missing.contains(
                &"no alarm named PaymentDR-demo* in us-east-2 (check alarm_prefix)".to_owned()
            ),
            "{missing:?}"
        );
        assert!(
            missing
                .iter()
                .any(|line| line
                    .starts_with("CloudWatch in us-east-1 has no datapoint newer than 84")),
            "{missing:?}"
        );
    }
}
