//! The replicas' own statuses, on the slow control-plane cadence: each DynamoDB global table's
//! replicas, asked of the secondary (the side that must answer during a primary outage; its
//! `DescribeTable` lists every replica), and each replicated secret's replication, asked of the
//! primary where the secret lives (`DescribeSecret`, billed per call). A call that fails leaves
//! its replicas unknown with the reason; the source fails only when every call does.

use drtui_core::calls::Operation;
use drtui_core::model::{ReplicaStatus, Replicas, Role, SourceData};
use drtui_core::ports::BackendError;

use super::AwsBackend;

impl AwsBackend {
    pub(super) async fn replicas(&self) -> Result<SourceData, BackendError> {
        let tables = futures::future::join_all(
            self.pair
                .dynamodb_tables
                .iter()
                .map(|table| self.table_replicas(table)),
        );
        let secrets = futures::future::join_all(
            self.pair
                .replicated_secrets
                .iter()
                .map(|secret| self.secret_replicas(secret)),
        );
        let (tables, secrets) = futures::future::join(tables, secrets).await;
        // Every call failed (none asked is an empty answer): the source itself failed.
        let mut answers = tables.iter().chain(&secrets);
        if let Some(error) = answers.clone().find_map(|answer| answer.as_ref().err())
            && answers.all(Result::is_err)
        {
            return Err(error.clone());
        }
        let unknown = |name: &str, region: &str, error: &BackendError| ReplicaStatus {
            name: name.to_owned(),
            region: region.to_owned(),
            status: None,
            message: Some(error.to_string()),
        };
        let flatten = |names: &[String],
                       answers: Vec<Result<Vec<ReplicaStatus>, BackendError>>,
                       region: &str| {
            names
                .iter()
                .zip(answers)
                .flat_map(|(name, answer)| {
                    answer.unwrap_or_else(|error| vec![unknown(name, region, &error)])
                })
                .collect()
        };
        Ok(SourceData::Replicas(Replicas {
            tables: flatten(&self.pair.dynamodb_tables, tables, &self.pair.secondary),
            secrets: flatten(&self.pair.replicated_secrets, secrets, &self.pair.secondary),
        }))
    }

    async fn table_replicas(&self, table: &str) -> Result<Vec<ReplicaStatus>, BackendError> {
        let output = self
            .call(
                Operation::DescribeTable,
                Role::Secondary,
                self.region_clients(Role::Secondary)
                    .dynamodb
                    .describe_table()
                    .table_name(table)
                    .send(),
            )
            .await?;
        let Some(description) = output.table() else {
            return Ok(Vec::new());
        };
        Ok(description
            .replicas()
            .iter()
            .map(|replica| ReplicaStatus {
                name: table.to_owned(),
                region: replica.region_name().unwrap_or("?").to_owned(),
                status: replica
                    .replica_status()
                    .map(|status| status.as_str().to_owned()),
                message: replica.replica_status_description().map(str::to_owned),
            })
            .collect())
    }

    async fn secret_replicas(&self, secret: &str) -> Result<Vec<ReplicaStatus>, BackendError> {
        let output = self
            .call(
                Operation::DescribeSecret,
                Role::Primary,
                self.region_clients(Role::Primary)
                    .secretsmanager
                    .describe_secret()
                    .secret_id(secret)
                    .send(),
            )
            .await?;
        Ok(output
            .replication_status()
            .iter()
            .map(|replica| ReplicaStatus {
                name: secret.to_owned(),
                region: replica.region().unwrap_or("?").to_owned(),
                status: replica.status().map(|status| status.as_str().to_owned()),
                message: replica.status_message().map(str::to_owned),
            })
            .collect())
    }
}
