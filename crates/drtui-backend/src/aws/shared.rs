//! A shared pair's poller lease and snapshot: one item `drtui/<pair>/poller` in the pair's lock
//! table (beside the run lock `drtui/<pair>`), taken and renewed with the run lock's
//! conditional-write scheme. The snapshot is JSON compressed with deflate (a pair's is tens of
//! kilobytes; DynamoDB's item limit is 400 KB). Every call is counted with the backend's.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::Blob;
use drtui_core::calls::Operation;
use drtui_core::ports::{BackendError, BoxFuture, CallCounter};
use drtui_core::share::{Poller, SharedItem, SharedPoll, SharedSnapshot};

use super::lock::{number, string as text};

/// DynamoDB's item limit, less room for the lease's own attributes.
pub const MAX_SNAPSHOT_BYTES: usize = 400 * 1024 - 4 * 1024;

pub struct DynamoShared {
    client: aws_sdk_dynamodb::Client,
    table: String,
    region: String,
    pair: String,
    lease: Duration,
    calls: Arc<CallCounter>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The snapshot as stored: deflated JSON.
pub fn encode(snapshot: &SharedSnapshot) -> Result<Vec<u8>, BackendError> {
    let json =
        serde_json::to_vec(snapshot).map_err(|error| BackendError::Refused(error.to_string()))?;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .map_err(|error| BackendError::Refused(error.to_string()))
}

pub fn decode(bytes: &[u8]) -> Result<SharedSnapshot, BackendError> {
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .take(16 * 1024 * 1024)
        .read_to_end(&mut json)
        .map_err(|error| garbled(&error.to_string()))?;
    serde_json::from_slice(&json).map_err(|error| garbled(&error.to_string()))
}

fn garbled(why: &str) -> BackendError {
    BackendError::Service {
        code: "SharedSnapshotUnreadable".to_owned(),
        message: format!(
            "the shared snapshot cannot be read ({why}); another drtui version may write it"
        ),
    }
}

impl DynamoShared {
    pub(super) fn new(
        client: aws_sdk_dynamodb::Client,
        table: &str,
        region: &str,
        pair: &drtui_core::config::RegionPair,
        calls: Arc<CallCounter>,
    ) -> Self {
        Self {
            client,
            table: table.to_owned(),
            region: region.to_owned(),
            pair: pair.name.clone(),
            lease: drtui_core::share::lease_for(pair.poll_interval),
            calls,
        }
    }

    fn key(&self) -> AttributeValue {
        AttributeValue::S(format!("drtui/{}/poller", self.pair))
    }

    fn failed<E, R>(
        &self,
        error: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
    ) -> BackendError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        BackendError::Service {
            code: "SharedTable".to_owned(),
            message: format!("{}: {}", self.describe(), super::sdk_error_text(error)),
        }
    }

    fn item_of(item: &HashMap<String, AttributeValue>) -> Result<Option<SharedItem>, BackendError> {
        let id = text(item, "poller_id");
        if id.is_empty() {
            return Ok(None);
        }
        let expires_at = number::<i64>(item, "expires_at_ms")
            .and_then(chrono::DateTime::from_timestamp_millis)
            .unwrap_or_default();
        let snapshot = match item.get("snapshot").and_then(|value| value.as_b().ok()) {
            Some(bytes) => Some(decode(bytes.as_ref())?),
            None => None,
        };
        Ok(Some(SharedItem {
            poller: Poller {
                host: text(item, "host"),
                pid: number(item, "pid").unwrap_or(0),
                id,
            },
            expires_at,
            snapshot,
        }))
    }

    /// A conditional update: false when its condition did not hold (the lease is another's).
    fn conditional<R: std::fmt::Debug + 'static>(
        &self,
        result: Result<
            aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
            aws_smithy_runtime_api::client::result::SdkError<
                aws_sdk_dynamodb::operation::update_item::UpdateItemError,
                R,
            >,
        >,
    ) -> Result<bool, BackendError> {
        match result {
            Ok(_) => Ok(true),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(error) => Err(self.failed(&error)),
        }
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX)
    }
}

impl SharedPoll for DynamoShared {
    fn read(&self) -> BoxFuture<'_, Result<Option<SharedItem>, BackendError>> {
        Box::pin(async move {
            self.calls.record(Operation::GetItem);
            let output = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("LockID", self.key())
                .consistent_read(true)
                .send()
                .await
                .map_err(|error| self.failed(&error))?;
            match output.item {
                Some(item) => Self::item_of(&item),
                None => Ok(None),
            }
        })
    }

    fn take(&self, me: &Poller) -> BoxFuture<'_, Result<bool, BackendError>> {
        let me = me.clone();
        Box::pin(async move {
            self.calls.record(Operation::UpdateItem);
            let now = now_ms();
            // The previous poller's snapshot stays until this one writes its own: readers keep
            // showing it, with its age.
            let taken = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("LockID", self.key())
                .update_expression(
                    "SET poller_id = :me, host = :host, pid = :pid, expires_at_ms = :expires",
                )
                .condition_expression(
                    "attribute_not_exists(LockID) OR expires_at_ms < :now OR poller_id = :me",
                )
                .expression_attribute_values(":me", AttributeValue::S(me.id.clone()))
                .expression_attribute_values(":host", AttributeValue::S(me.host.clone()))
                .expression_attribute_values(":pid", AttributeValue::N(me.pid.to_string()))
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .expression_attribute_values(
                    ":expires",
                    AttributeValue::N((now + self.lease_ms()).to_string()),
                )
                .send()
                .await;
            self.conditional(taken)
        })
    }

    fn publish(&self, snapshot: &SharedSnapshot) -> BoxFuture<'_, Result<bool, BackendError>> {
        let encoded = encode(snapshot);
        let me = snapshot.poller.id.clone();
        Box::pin(async move {
            let encoded = encoded?;
            if encoded.len() > MAX_SNAPSHOT_BYTES {
                return Err(BackendError::Refused(format!(
                    "the shared snapshot is {} KB compressed, over DynamoDB's 400 KB item limit",
                    encoded.len() / 1024
                )));
            }
            self.calls.record(Operation::UpdateItem);
            let now = now_ms();
            let written = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("LockID", self.key())
                .update_expression("SET #snapshot = :snapshot, expires_at_ms = :expires")
                .expression_attribute_names("#snapshot", "snapshot")
                .condition_expression("poller_id = :me")
                .expression_attribute_values(":snapshot", AttributeValue::B(Blob::new(encoded)))
                .expression_attribute_values(":me", AttributeValue::S(me))
                .expression_attribute_values(
                    ":expires",
                    AttributeValue::N((now + self.lease_ms()).to_string()),
                )
                .send()
                .await;
            self.conditional(written)
        })
    }

    fn release(&self, me: &Poller) -> BoxFuture<'_, Result<(), BackendError>> {
        let me = me.id.clone();
        Box::pin(async move {
            self.calls.record(Operation::UpdateItem);
            // Expired at once (the snapshot kept): the next reader takes over at its next read.
            let released = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("LockID", self.key())
                .update_expression("SET expires_at_ms = :zero")
                .condition_expression("poller_id = :me")
                .expression_attribute_values(":zero", AttributeValue::N("0".to_owned()))
                .expression_attribute_values(":me", AttributeValue::S(me))
                .send()
                .await;
            // Not ours any more: nothing to give up.
            self.conditional(released).map(|_| ())
        })
    }

    fn lease(&self) -> Duration {
        self.lease
    }

    fn describe(&self) -> String {
        format!("table {} in {}", self.table, self.region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo's estate (every store, function and parameter configured) with an hour of
    /// history behind every metric: its snapshot fits DynamoDB's item many times over, and
    /// comes back as it went.
    #[tokio::test]
    async fn a_whole_estates_snapshot_fits_one_item() {
        use drtui_core::model::{Source, SourceUpdate};
        use drtui_core::ports::StatusBackend as _;
        let pair = drtui_core::config::RegionPair::demo();
        let clock: Arc<dyn drtui_core::clock::Clock> =
            Arc::new(drtui_core::clock::ManualClock::new(
                chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
            ));
        let options = crate::sim::SimOptions {
            history: Duration::from_secs(3600),
            latency: false,
            ..crate::sim::SimOptions::default()
        };
        let sim = crate::sim::SimBackend::new(&pair, Arc::clone(&clock), &options);
        let mut updates = Vec::new();
        for source in Source::all() {
            updates.push(SourceUpdate {
                source,
                at: clock.now(),
                result: sim.fetch(source).await,
            });
        }
        let snapshot = SharedSnapshot {
            poller: Poller {
                host: "ip-10-0-0-1".into(),
                pid: 4242,
                id: "ip-10-0-0-1:4242:0".into(),
            },
            written_at: clock.now(),
            updates,
        };
        let json = serde_json::to_vec(&snapshot).expect("json").len();
        let stored = encode(&snapshot).expect("encoded");
        println!(
            "a whole estate's snapshot: {json} bytes of JSON, {} deflated",
            stored.len()
        );
        assert!(
            stored.len() < MAX_SNAPSHOT_BYTES / 4,
            "{} bytes",
            stored.len()
        );
        // Every figure exactly (floats included), every sparkline's history.
        let decoded = decode(&stored).expect("decoded");
        assert!(
            decoded == snapshot,
            "the snapshot changed on its way through the table"
        );
    }

    #[test]
    fn a_garbled_snapshot_is_an_error_that_says_so() {
        let error = decode(b"not deflate").expect_err("garbage");
        assert!(
            error.to_string().contains("shared snapshot cannot be read"),
            "{error}"
        );
    }
}
