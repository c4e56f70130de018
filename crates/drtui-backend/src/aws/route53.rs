//! Route 53 as the dashboard reads it: the weighted records of the pair's name (one reader,
//! also for the weights change), and the health checks' status.

use std::collections::BTreeMap;

use aws_sdk_route53::types::{ResourceRecordSet, RrType};
use drtui_core::calls::Operation;
use drtui_core::clock::elapsed;
use drtui_core::model::*;
use drtui_core::ports::BackendError;

use super::*;

impl AwsBackend {
    /// The weighted records of the pair's name, every page: what the dashboard reads and what
    /// a weights change updates.
    pub(super) async fn weighted_records(&self) -> Result<Vec<ResourceRecordSet>, BackendError> {
        let mut records = Vec::new();
        let mut start: (Option<String>, Option<RrType>, Option<String>) =
            (Some(self.pair.record_name.clone()), None, None);
        loop {
            let page = self
                .call(
                    Operation::ListResourceRecordSets,
                    self.route53_role(),
                    self.clients
                        .route53
                        .list_resource_record_sets()
                        .hosted_zone_id(&self.pair.hosted_zone_id)
                        .set_start_record_name(start.0.take())
                        .set_start_record_type(start.1.take())
                        .set_start_record_identifier(start.2.take())
                        .send(),
                )
                .await?;
            for record in page.resource_record_sets() {
                // Records come sorted by name: past ours, there are no more of it.
                if !same_dns_name(record.name(), &self.pair.record_name) {
                    return Ok(records);
                }
                records.push(record.clone());
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

    /// The pair's record with `role`'s set identifier.
    pub(super) fn record_of<'r>(
        &self,
        records: &'r [ResourceRecordSet],
        role: Role,
    ) -> Option<&'r ResourceRecordSet> {
        let set = self.pair.set_identifiers.get(self.pair.region(role))?;
        records
            .iter()
            .find(|record| record.set_identifier() == Some(set.as_str()))
    }

    pub(super) async fn dns(&self) -> Result<SourceData, BackendError> {
        let records = self.weighted_records().await?;
        let mut weights = BTreeMap::new();
        let mut discovered = BTreeMap::new();
        for role in Role::BOTH {
            let region = self.pair.region(role).to_owned();
            let record = self.record_of(&records, role);
            let weight = record
                .and_then(ResourceRecordSet::weight)
                .and_then(|weight| u64::try_from(weight).ok());
            if let Some(id) = record.and_then(ResourceRecordSet::health_check_id) {
                discovered.insert(region.clone(), id.to_owned());
            }
            weights.insert(region, weight);
        }
        if !discovered.is_empty() {
            lock(&self.health).discovered_ids = discovered;
        }
        Ok(SourceData::Dns(DnsWeights {
            record_name: self.pair.record_name.clone(),
            weights,
        }))
    }

    pub(super) async fn health_checks(&self) -> Result<SourceData, BackendError> {
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
            let output = self
                .call(
                    Operation::GetHealthCheckStatus,
                    route53_role,
                    self.clients
                        .route53
                        .get_health_check_status()
                        .health_check_id(&id)
                        .send(),
                )
                .await?;
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
}
