//! The pair's run lock across machines: one item `drtui/<pair>` in a DynamoDB table
//! (partition key `LockID`, string, as Terraform's state-lock tables), in one region (the
//! secondary by default). Taken with a conditional `PutItem` that only succeeds when no live
//! lease exists; the holder renews its lease while it runs, so a holder that dies frees the
//! lock when the lease runs out. Why one region's table and not a global table: README.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use drtui_core::ports::{BoxFuture, Holder, RemoteLock, RemoteLockError};

/// How long a lease lasts without renewal.
const LEASE: Duration = Duration::from_secs(90);

pub struct DynamoLock {
    client: aws_sdk_dynamodb::Client,
    table: String,
    region: String,
    pair: drtui_core::commands::PairCommands,
}

impl DynamoLock {
    pub fn new(
        client: aws_sdk_dynamodb::Client,
        table: &str,
        region: &str,
        pair: drtui_core::commands::PairCommands,
    ) -> Self {
        Self {
            client,
            table: table.to_owned(),
            region: region.to_owned(),
            pair,
        }
    }

    fn key(&self) -> AttributeValue {
        AttributeValue::S(format!("drtui/{}", self.pair.pair))
    }

    /// The table cannot be used: the service's code and message (or why it was not
    /// reached), never the SDK's debug form.
    fn unavailable<E, R>(
        &self,
        error: aws_smithy_runtime_api::client::result::SdkError<E, R>,
    ) -> RemoteLockError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        use aws_smithy_types::error::metadata::ProvideErrorMetadata as _;
        if error.code() == Some("ResourceNotFoundException") {
            return RemoteLockError::Missing {
                table: self.describe(),
            };
        }
        RemoteLockError::Unavailable {
            table: self.describe(),
            message: super::sdk_error_text(&error),
        }
    }

    async fn read(&self) -> Result<Option<(Holder, bool)>, RemoteLockError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("LockID", self.key())
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| self.unavailable(error))?
            .item;
        Ok(item.as_ref().and_then(holder_of))
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

pub(super) fn string(item: &HashMap<String, AttributeValue>, key: &str) -> String {
    item.get(key)
        .and_then(|value| value.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

pub(super) fn number<N: std::str::FromStr>(
    item: &HashMap<String, AttributeValue>,
    key: &str,
) -> Option<N> {
    item.get(key)
        .and_then(|value| value.as_n().ok())
        .and_then(|number| number.parse().ok())
}

/// The holder an item names, and whether its lease is still running.
fn holder_of(item: &HashMap<String, AttributeValue>) -> Option<(Holder, bool)> {
    let run_id = string(item, "run_id");
    if run_id.is_empty() {
        return None;
    }
    let holder = Holder {
        run_id,
        operator: string(item, "operator"),
        host: string(item, "host"),
        pid: number::<u64>(item, "pid")
            .and_then(|pid| u32::try_from(pid).ok())
            .unwrap_or(0),
        since: string(item, "since"),
        pid_start: number(item, "pid_start"),
        paused_since: None,
    };
    let live = number::<u64>(item, "expires_at").is_some_and(|expires| expires > now_secs());
    Some((holder, live))
}

impl RemoteLock for DynamoLock {
    fn acquire(&self, holder: &Holder) -> BoxFuture<'_, Result<(), RemoteLockError>> {
        let holder = holder.clone();
        Box::pin(async move {
            let now = now_secs();
            let mut put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("LockID", self.key())
                .item("run_id", AttributeValue::S(holder.run_id.clone()))
                .item("operator", AttributeValue::S(holder.operator.clone()))
                .item("host", AttributeValue::S(holder.host.clone()))
                .item("pid", AttributeValue::N(holder.pid.to_string()))
                .item("since", AttributeValue::S(holder.since.clone()))
                .item(
                    "expires_at",
                    AttributeValue::N((now + LEASE.as_secs()).to_string()),
                )
                // Free, expired, or already ours (a resume of the same run).
                .condition_expression(
                    "attribute_not_exists(LockID) OR expires_at < :now OR run_id = :run",
                )
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .expression_attribute_values(":run", AttributeValue::S(holder.run_id.clone()));
            if let Some(start) = holder.pid_start {
                put = put.item("pid_start", AttributeValue::N(start.to_string()));
            }
            match put.send().await {
                Ok(_) => Ok(()),
                Err(error)
                    if error
                        .as_service_error()
                        .is_some_and(|service| service.is_conditional_check_failed_exception()) =>
                {
                    let current = self.read().await?.map(|(holder, _)| holder);
                    Err(RemoteLockError::Held {
                        pair: Box::new(self.pair.clone()),
                        table: self.describe(),
                        holder: Box::new(current.unwrap_or_else(|| Holder {
                            run_id: "?".to_owned(),
                            operator: "?".to_owned(),
                            host: "?".to_owned(),
                            pid: 0,
                            since: "?".to_owned(),
                            pid_start: None,
                            paused_since: None,
                        })),
                    })
                }
                Err(error) => Err(self.unavailable(error)),
            }
        })
    }

    fn renew(&self, run_id: &str) -> BoxFuture<'_, Result<(), RemoteLockError>> {
        let run_id = run_id.to_owned();
        Box::pin(async move {
            let expires = now_secs() + LEASE.as_secs();
            self.client
                .update_item()
                .table_name(&self.table)
                .key("LockID", self.key())
                .update_expression("SET expires_at = :expires")
                .condition_expression("run_id = :run")
                .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
                .expression_attribute_values(":run", AttributeValue::S(run_id))
                .send()
                .await
                .map(|_| ())
                .map_err(|error| self.unavailable(error))
        })
    }

    fn release(&self, run_id: &str) -> BoxFuture<'_, Result<(), RemoteLockError>> {
        let run_id = run_id.to_owned();
        Box::pin(async move {
            match self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("LockID", self.key())
                .condition_expression("run_id = :run")
                .expression_attribute_values(":run", AttributeValue::S(run_id))
                .send()
                .await
            {
                Ok(_) => Ok(()),
                // Not ours any more (broken by hand, or expired and taken): nothing to give up.
                Err(error)
                    if error
                        .as_service_error()
                        .is_some_and(|service| service.is_conditional_check_failed_exception()) =>
                {
                    Ok(())
                }
                Err(error) => Err(self.unavailable(error)),
            }
        })
    }

    fn show(&self) -> BoxFuture<'_, Result<Option<(Holder, bool)>, RemoteLockError>> {
        Box::pin(self.read())
    }

    fn force_break(&self) -> BoxFuture<'_, Result<Option<Holder>, RemoteLockError>> {
        Box::pin(async move {
            let old = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("LockID", self.key())
                .return_values(ReturnValue::AllOld)
                .send()
                .await
                .map_err(|error| self.unavailable(error))?
                .attributes;
            Ok(old.as_ref().and_then(holder_of).map(|(holder, _)| holder))
        })
    }

    fn describe(&self) -> String {
        format!("DynamoDB table {} in {}", self.table, self.region)
    }

    fn renew_every(&self) -> Duration {
        LEASE / 3
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;

    fn failing(code: &'static str, message: &'static str) -> DynamoLock {
        let meta = move || ErrorMetadata::builder().code(code).message(message).build();
        let get = mock!(aws_sdk_dynamodb::Client::get_item)
            .then_error(move || GetItemError::generic(meta()));
        let put = mock!(aws_sdk_dynamodb::Client::put_item)
            .then_error(move || PutItemError::generic(meta()));
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&get, &put]);
        DynamoLock::new(
            client,
            "drtui-locks-prod",
            "us-east-2",
            drtui_core::config::RegionPair::demo().commands(),
        )
    }

    /// A lock table that cannot be used says the service's code and message (a missing one
    /// says so by name), never the SDK's debug form.
    #[tokio::test]
    async fn a_failing_table_is_named_with_the_services_words() {
        let missing = failing("ResourceNotFoundException", "Requested resource not found");
        assert!(matches!(
            missing.show().await,
            Err(RemoteLockError::Missing { .. })
        ));
        let failing = failing("InternalServerError", "the table is having a bad day");
        let holder = Holder {
            run_id: "failover-1".into(),
            operator: "me".into(),
            host: "here".into(),
            pid: 1,
            since: "now".into(),
            pid_start: None,
            paused_since: None,
        };
        for error in [
            failing.show().await.expect_err("show"),
            failing.acquire(&holder).await.expect_err("acquire"),
        ] {
            let text = error.to_string();
            assert!(
                text.contains("InternalServerError: the table is having a bad day")
                    && !text.contains("ServiceError")
                    && !text.contains('{'),
                "{text}"
            );
        }
    }
}
