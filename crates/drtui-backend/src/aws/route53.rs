//! Route 53 as the dashboard reads it: the weighted records of the pair's name (one reader,
//! also for the weights change), and the health checks' status.

use std::collections::BTreeMap;

use aws_sdk_route53::types::ResourceRecordSet;
use drtui_core::calls::Operation;
use drtui_core::clock::elapsed;
use drtui_core::model::*;
use drtui_core::ports::BackendError;

use super::route53_budget::Lane;
use super::*;

impl AwsBackend {
    /// The weighted records of the pair's name, every page: what the dashboard reads (in one
    /// listing with the other pairs of the hosted zone, in the read lane) and what a weights
    /// change is made from (its own listing, in the act lane: never queued behind reads).
    pub(super) async fn weighted_records(
        &self,
        lane: Lane,
    ) -> Result<Vec<ResourceRecordSet>, BackendError> {
        let name = &self.pair.record_name;
        let records = match lane {
            Lane::Act => self.records_of(lane, vec![name.clone()]).await?,
            Lane::Read => self
                .clients
                .route53_reads
                .records
                .of(&self.pair.hosted_zone_id)
                .ask((), name.clone(), |names| self.records_of(lane, names))
                .await?
                .as_ref()
                .clone(),
        };
        Ok(records
            .into_iter()
            .filter(|record| same_dns_name(record.name(), name))
            .collect())
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
        let records = self.weighted_records(Lane::Read).await?;
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
        let mut checks = Vec::new();
        for (region, id) in self.health_check_ids() {
            let request = self
                .clients
                .route53
                .get_health_check_status()
                .health_check_id(&id)
                .send();
            let output = self
                .route53_call(Lane::Read, Operation::GetHealthCheckStatus, request)
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
