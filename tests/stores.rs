//! The replicated stores beside Aurora on the demo: each fault changes the verdict, the data
//! at risk and what playback accepts under the cap; `status --format json` reports every
//! store in each direction with its age and what a move does to it.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failed expectation is the test failing"
)]

use std::time::Duration;

use drtui_core::fault::Fault;
use drtui_core::model::{Role, StoreKind};
use drtui_core::readiness::{CheckId, CheckStatus, Verdict};
use drtui_testkit::DemoEstate;

#[path = "support/run_binary.rs"]
mod run_binary;
use run_binary::drtui;

/// The store of `kind` the primary's CloudWatch reported (replicating toward the secondary).
fn out_of_primary(
    snapshot: &drtui_core::model::Snapshot,
    kind: StoreKind,
) -> drtui_core::model::StoreFigures {
    snapshot
        .region(Role::Primary)
        .metrics
        .value
        .as_ref()
        .expect("metrics")
        .stores
        .iter()
        .find(|store| store.kind == kind)
        .expect("the store")
        .clone()
}

fn status(readiness: &drtui_core::readiness::Readiness, id: CheckId) -> CheckStatus {
    readiness
        .check(id)
        .map(|check| check.status)
        .expect("check")
}

#[tokio::test]
async fn a_stalled_global_table_is_the_data_at_risk_while_aurora_is_fine() {
    let (snapshot, readiness) = DemoEstate::observed_under(&[Fault::DynamoDbReplicationStall])
        .observe()
        .await;
    assert_eq!(readiness.verdict, Verdict::Degraded);
    assert_eq!(
        status(&readiness, CheckId::DynamodbReplication),
        CheckStatus::Warn
    );
    assert_eq!(
        status(&readiness, CheckId::ReplicationLag),
        CheckStatus::Pass
    );
    assert_eq!(
        status(&readiness, CheckId::S3Replication),
        CheckStatus::Pass
    );
    assert_eq!(
        readiness.data_at_risk_store.as_deref(),
        Some("dynamodb payment-transactions-demo")
    );
    let table = out_of_primary(&snapshot, StoreKind::Dynamodb);
    assert_eq!(readiness.data_at_risk_ms, table.lag_ms);
    assert!(table.lag_ms.expect("lag") > 60_000.0, "{table:?}");
    // Growing without bound while it lasts.
    let estate = DemoEstate::observed_under(&[Fault::DynamoDbReplicationStall]);
    let before = estate.observe().await.1.data_at_risk_ms.expect("known");
    estate.clock.advance(Duration::from_secs(30));
    let after = estate.observe().await.1.data_at_risk_ms.expect("known");
    assert!(after >= before + 25_000.0, "{before} -> {after}");
}

#[tokio::test]
async fn an_s3_backlog_names_thousands_pending_gigabytes_and_failures() {
    let (snapshot, readiness) = DemoEstate::observed_under(&[Fault::S3ReplicationBacklog])
        .observe()
        .await;
    assert_eq!(
        status(&readiness, CheckId::S3Replication),
        CheckStatus::Warn
    );
    assert_eq!(
        status(&readiness, CheckId::DynamodbReplication),
        CheckStatus::Pass
    );
    let bucket = out_of_primary(&snapshot, StoreKind::S3);
    assert!(
        bucket.pending_operations.expect("pending") >= 1_000.0,
        "{bucket:?}"
    );
    assert!(bucket.pending_bytes.expect("bytes") >= 1e9, "{bucket:?}");
    assert!(
        bucket.failed_operations.expect("failed") >= 1.0,
        "{bucket:?}"
    );
    let detail = &readiness
        .check(CheckId::S3Replication)
        .expect("check")
        .detail;
    assert!(
        detail.contains("operations failed to replicate"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_primary_outage_stalls_every_store() {
    let (_, readiness) = DemoEstate::observed_under(&[Fault::PrimaryOutage])
        .observe()
        .await;
    for id in [
        CheckId::ReplicationLag,
        CheckId::DynamodbReplication,
        CheckId::S3Replication,
    ] {
        assert_eq!(status(&readiness, id), CheckStatus::Warn, "{id:?}");
    }
}

/// `status --format json`: every store in each direction, with its figures, age and what a
/// move does to its unreplicated data.
#[test]
fn status_json_reports_every_store_in_each_direction() {
    let state = tempfile::tempdir().expect("state");
    let output = drtui(
        state.path(),
        &[
            "status",
            "--format",
            "json",
            "--scenario",
            "dynamodb-replication-stall",
        ],
    )
    .output()
    .expect("status");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let stores = report["stores"].as_array().expect("stores");
    let kinds: Vec<(&str, &str, &str)> = stores
        .iter()
        .map(|store| {
            (
                store["kind"].as_str().expect("kind"),
                store["from"].as_str().expect("from"),
                store["to"].as_str().expect("to"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("aurora", "us-east-1", "us-east-2"),
            ("dynamodb", "us-east-1", "us-east-2"),
            ("s3", "us-east-1", "us-east-2"),
            ("dynamodb", "us-east-2", "us-east-1"),
            ("s3", "us-east-2", "us-east-1"),
            ("secret", "us-east-1", "us-east-2"),
        ]
    );
    assert_eq!(stores[5]["status"], "InSync");
    assert_eq!(
        stores[1]["status"], "ACTIVE",
        "the table's replica in us-east-2"
    );
    for store in stores {
        assert!(store["age_s"].is_number(), "{store}");
        assert_eq!(store["stale"], false, "{store}");
        assert!(store["on_failover"].as_str().is_some(), "{store}");
        assert!(store["observed_at"].is_string(), "{store}");
    }
    assert!(
        stores[0]["on_failover"]
            .as_str()
            .expect("text")
            .starts_with("lost")
    );
    assert!(
        stores[1]["on_failover"]
            .as_str()
            .expect("text")
            .starts_with("delayed")
    );
    assert_eq!(
        report["readiness"]["data_at_risk_store"],
        "dynamodb payment-transactions-demo"
    );
    assert_eq!(
        report["readiness"]["data_at_risk_ms"], stores[1]["lag_ms"],
        "the worst store out of the writer"
    );
}

/// Runs `run failover --approve-all` with `args`: it stops at the promote's gate (exit 4)
/// saying each of `said`; the command it prints (the line holding `marker`) then runs as
/// printed and completes the run.
fn capped_then_accepted(args: &[&str], said: &[&str], marker: &str) {
    let state = tempfile::tempdir().expect("state");
    let mut run = vec!["run", "failover", "--approve-all"];
    run.extend(args);
    let capped = drtui(state.path(), &run).output().expect("run");
    let stderr = String::from_utf8_lossy(&capped.stderr);
    assert_eq!(capped.status.code(), Some(4), "{stderr}");
    for words in said {
        assert!(stderr.contains(words), "{words}: {stderr}");
    }
    let resume = run_binary::printed_command(&stderr, marker);
    let resumed = drtui(state.path(), &resume).output().expect("resume");
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "the printed command accepts it: {}",
        String::from_utf8_lossy(&resumed.stderr)
    );
}

/// Playback holds every store to the cap: a stalled table stops the promote at its gate even
/// with --approve-all, naming the store, and prints the command that accepts it; a higher cap
/// lets it through.
#[test]
fn the_cap_holds_the_global_table_too() {
    capped_then_accepted(
        &["--scenario", "dynamodb-replication-stall"],
        &[
            "stopped at `approve-promote`",
            "(dynamodb payment-transactions-demo) exceeds the cap",
        ],
        "--max-data-loss",
    );
}

/// `--max-data-loss any` accepts even an unknown figure (the hung region's stores), and a
/// duration does not.
#[test]
fn only_any_accepts_an_unknown_loss() {
    capped_then_accepted(
        &[
            "--max-data-loss",
            "1h",
            "--scenario",
            "primary-outage,hung-primary",
        ],
        &["unknown (no current figure for", "--max-data-loss any"],
        "--max-data-loss any",
    );
}

/// A failback when a bucket replicates one way only refuses before its gate, naming the
/// bucket whose objects (written while failed over) would be stranded.
#[tokio::test]
async fn failback_refuses_while_a_bucket_has_no_way_back() {
    use drtui_engine::engine::Outcome;
    let mut estate = DemoEstate::observed_under(&[]);
    estate.pair.replicated_buckets.truncate(1);
    estate.fail_over_by_hand().await;
    let state = tempfile::tempdir().expect("state");
    let played = drtui_testkit::runs::play_approved(&estate, "failback", state.path()).await;
    match &played.outcome {
        Outcome::Failed { step, reason, .. } => {
            assert_eq!(step, "replicates-back");
            assert!(
                reason.contains(
                    "payment-documents-secondary-demo has no replication back to payment-documents-primary-demo"
                ) && reason.contains("stranded"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        drtui_testkit::runs::writer(&estate).await.as_deref(),
        Some("us-east-2"),
        "nothing moved"
    );
}

/// A secret whose replica in the secondary failed: `secrets_in_sync` warns with the service's
/// reason, and the secret's report carries its status; a hung primary (where the secret
/// lives) leaves it unknown, never in sync.
#[tokio::test]
async fn a_failed_secret_replica_warns_and_a_silent_one_is_unknown() {
    let (_, readiness) = DemoEstate::observed_under(&[Fault::SecretReplicaFailed])
        .observe()
        .await;
    let check = readiness.check(CheckId::SecretsInSync).expect("check");
    assert_eq!(check.status, CheckStatus::Warn);
    assert!(
        check
            .detail
            .contains("payment-db-credentials-demo replica in us-east-2 is Failed")
            && check.detail.contains("KMS")
            && check.detail.contains("logins there would fail"),
        "{check:?}"
    );
    let (_, readiness) = DemoEstate::observed_under(&[Fault::HungRegion(Role::Primary)])
        .observe()
        .await;
    let check = readiness.check(CheckId::SecretsInSync).expect("check");
    assert_eq!(check.status, CheckStatus::Warn, "{check:?}");
    assert!(check.detail.contains("unknown"), "{check:?}");
    let (_, healthy) = DemoEstate::observed_under(&[]).observe().await;
    assert_eq!(status(&healthy, CheckId::SecretsInSync), CheckStatus::Pass);
}
