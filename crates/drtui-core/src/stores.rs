//! What each replicated store risks on a move, and how old each figure is: Aurora (the lag of
//! whichever cluster reads), the DynamoDB global tables and the S3 replication rules, in both
//! directions. Data at risk is the worst of the stores replicating out of the writer's region,
//! and unknown when any of them is: silence is not a figure.

use serde::Serialize;

use crate::clock::{Timestamp, elapsed};
use crate::config::ReplicatedBucket;
use crate::model::{DATAPOINT_FRESH, Role, Snapshot, StoreFigures, StoreKind};
use crate::readiness::Policy;

/// The stores the pair's configuration names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Configured {
    pub global_cluster: String,
    pub dynamodb_tables: Vec<String>,
    pub replicated_buckets: Vec<ReplicatedBucket>,
    pub replicated_secrets: Vec<String>,
}

/// One store in one direction, as the status JSON reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoreReport {
    pub kind: StoreKind,
    pub name: String,
    /// The region its data replicates from, and to.
    pub from: String,
    pub to: String,
    pub lag_ms: Option<f64>,
    pub pending_operations: Option<f64>,
    pub pending_bytes: Option<f64>,
    pub failed_operations: Option<f64>,
    /// A replica's status, where the store reports one.
    pub status: Option<String>,
    /// What the service says about that status (a failed secret replica's reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// When the answer holding the figure arrived.
    pub observed_at: Option<Timestamp>,
    /// How old its newest datapoint is.
    pub age_s: Option<f64>,
    /// The figure is older than its freshness window, or its answer is: not a current figure.
    pub stale: bool,
    /// What happens to the unreplicated data if the move happens now.
    pub on_failover: &'static str,
}

impl StoreReport {
    /// "dynamodb payment-transactions-prod", as the data at risk names its store.
    pub fn label(&self) -> String {
        format!("{} {}", self.kind.as_str(), self.name)
    }

    /// "2.8 s, 8 pending (12.0 MB), 3 failed"; "? stale: newest 14 min 0 s old"; "? unknown".
    pub fn figures_text(&self) -> String {
        if self.kind == StoreKind::Secret {
            return match (&self.status, self.stale) {
                (Some(status), false) => status.clone(),
                (Some(status), true) => format!("? stale: {status}"),
                (None, _) => "? unknown".to_owned(),
            };
        }
        let Some(lag) = self.current_lag_ms() else {
            return match self.age_s.filter(|_| self.stale) {
                Some(age) => format!(
                    "? stale: newest datapoint {} old",
                    crate::readiness::format_ms(age * 1000.0)
                ),
                None => "? unknown (no current datapoint)".to_owned(),
            };
        };
        let mut text = crate::readiness::format_ms(lag);
        if let Some(pending) = self.pending_operations.filter(|pending| *pending >= 1.0) {
            text.push_str(&format!(", {pending:.0} pending"));
            if let Some(bytes) = self.pending_bytes {
                text.push_str(&format!(" ({})", format_bytes(bytes)));
            }
        }
        if let Some(failed) = self.failed_operations.filter(|failed| *failed >= 1.0) {
            text.push_str(&format!(", {failed:.0} failed"));
        }
        text
    }

    /// One line per store: "dynamodb payment-transactions-prod us-east-1 → us-east-2: 1.1 s
    /// (delayed: …)".
    pub fn line(&self) -> String {
        format!(
            "{} {} → {}: {} ({})",
            self.label(),
            self.from,
            self.to,
            self.figures_text(),
            self.on_failover
        )
    }

    /// The figure a move would lose or delay, when it is current.
    pub fn current_lag_ms(&self) -> Option<f64> {
        self.lag_ms.filter(|_| !self.stale)
    }
}

/// Bytes as "12.0 MB", "3.4 GB".
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// What a move does to a store's unreplicated data, in a word (the gate's column).
pub fn consequence(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Aurora => "lost",
        StoreKind::Dynamodb | StoreKind::S3 => "delayed",
        StoreKind::Secret => "logins",
    }
}

fn on_failover(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Aurora => {
            "lost: unreplicated writes stay only in the old primary (its snapshot)"
        }
        StoreKind::Dynamodb => {
            "delayed: replicated when the region returns, reconciled last-writer-wins"
        }
        StoreKind::S3 => "delayed: objects replicate when the region returns",
        StoreKind::Secret => "a secret not in sync blocks the secondary's logins",
    }
}

/// Every configured store in both directions (Aurora: from the writer to the reader), each
/// with its figures when its region's CloudWatch gave current ones.
pub fn reports(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Vec<StoreReport> {
    let configured = &policy.stores;
    let mut reports = vec![aurora(snapshot, now, policy)];
    for role in Role::BOTH {
        let region = snapshot.region(role);
        let observed = &region.metrics;
        let usable = observed.usable(now, policy.stale_after);
        let figures: &[StoreFigures] = usable.map_or(&[], |metrics| metrics.stores.as_slice());
        let to = snapshot.region(role.other()).region.clone();
        let mut add = |kind: StoreKind, name: &str, destination: &str| {
            let found = figures
                .iter()
                .find(|store| store.kind == kind && store.name == name && store.to == destination);
            let age = found
                .and_then(|store| store.newest_at)
                .map(|at| elapsed(at, now));
            reports.push(StoreReport {
                kind,
                name: name.to_owned(),
                from: region.region.clone(),
                to: to.clone(),
                lag_ms: found.and_then(|store| store.lag_ms),
                pending_operations: found.and_then(|store| store.pending_operations),
                pending_bytes: found.and_then(|store| store.pending_bytes),
                failed_operations: found.and_then(|store| store.failed_operations),
                status: None,
                status_message: None,
                observed_at: observed.observed_at,
                age_s: age.map(|age| age.as_secs_f64()),
                stale: stale(usable.is_some(), observed, age),
                on_failover: on_failover(kind),
            });
        };
        for table in &configured.dynamodb_tables {
            add(StoreKind::Dynamodb, table, &to);
        }
        for bucket in &configured.replicated_buckets {
            let from_here = match &bucket.from {
                Some(from) => *from == region.region,
                // Without `from`, the rule is the one whose figures this region reported.
                None => figures
                    .iter()
                    .any(|store| store.kind == StoreKind::S3 && store.name == bucket.source),
            };
            if from_here {
                add(StoreKind::S3, &bucket.source, &bucket.destination);
            }
        }
    }
    with_replica_statuses(&mut reports, snapshot, now, policy);
    reports
}

/// The slow control-plane answers: each table's replica status in the region it replicates
/// to, and one report per secret replica (a status, no lag).
fn with_replica_statuses(
    reports: &mut Vec<StoreReport>,
    snapshot: &Snapshot,
    now: Timestamp,
    policy: &Policy,
) {
    let observed = &snapshot.replicas;
    let usable = observed.usable(now, policy.stale_after);
    let replicas = usable.cloned().unwrap_or_default();
    for report in reports
        .iter_mut()
        .filter(|report| report.kind == StoreKind::Dynamodb)
    {
        report.status = replicas
            .tables
            .iter()
            .find(|replica| replica.name == report.name && replica.region == report.to)
            .and_then(|replica| replica.status.clone());
    }
    let primary = snapshot.region(Role::Primary).region.clone();
    for secret in &policy.stores.replicated_secrets {
        let replica = replicas
            .secrets
            .iter()
            .find(|replica| replica.name == *secret);
        reports.push(StoreReport {
            kind: StoreKind::Secret,
            name: secret.clone(),
            from: primary.clone(),
            to: replica.map_or_else(
                || snapshot.region(Role::Secondary).region.clone(),
                |replica| replica.region.clone(),
            ),
            lag_ms: None,
            pending_operations: None,
            pending_bytes: None,
            failed_operations: None,
            status: replica.and_then(|replica| replica.status.clone()),
            status_message: replica.and_then(|replica| replica.message.clone()),
            observed_at: observed.observed_at,
            age_s: observed
                .observed_at
                .map(|at| elapsed(at, now).as_secs_f64()),
            stale: stale(usable.is_some(), observed, None),
            on_failover: on_failover(StoreKind::Secret),
        });
    }
}

/// A figure is stale when its answer is too old to use (yet there is one), or its newest
/// datapoint (`age`) is older than a current figure can be.
fn stale<T>(
    usable: bool,
    observed: &crate::model::Observed<T>,
    age: Option<std::time::Duration>,
) -> bool {
    !usable && observed.value.is_some() || age.is_some_and(|age| age > DATAPOINT_FRESH)
}

/// Aurora: the lag of whichever cluster reads now, from the writer's region to it.
fn aurora(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> StoreReport {
    let writer = crate::readiness::move_from(snapshot, now, policy);
    let reader = snapshot.region(writer.other());
    let usable = reader.metrics.usable(now, policy.stale_after);
    let age = usable
        .and_then(|metrics| metrics.newest_datapoint_at)
        .map(|at| elapsed(at, now));
    StoreReport {
        kind: StoreKind::Aurora,
        name: policy.stores.global_cluster.clone(),
        from: snapshot.region(writer).region.clone(),
        to: reader.region.clone(),
        lag_ms: crate::readiness::reader_lag_ms(snapshot, now, policy),
        pending_operations: None,
        pending_bytes: None,
        failed_operations: None,
        status: None,
        status_message: None,
        observed_at: reader.metrics.observed_at,
        age_s: age.map(|age| age.as_secs_f64()),
        stale: stale(usable.is_some(), &reader.metrics, age),
        on_failover: on_failover(StoreKind::Aurora),
    }
}

/// What a move out of `from` (the writer's region) puts at risk: the worst current lag of the
/// stores replicating out of it, naming that store; unknown (naming the first store without a
/// current figure) when any of them has none.
#[derive(Clone, Debug, PartialEq)]
pub struct AtRisk {
    pub ms: Option<f64>,
    pub store: Option<String>,
}

/// Each replication rule with no rule back (its destination replicating to its source), as
/// "payment-documents-secondary-prod has no replication back to payment-documents-primary-prod".
pub fn without_a_way_back(buckets: &[ReplicatedBucket]) -> Vec<String> {
    buckets
        .iter()
        .filter(|rule| {
            !buckets
                .iter()
                .any(|back| back.source == rule.destination && back.destination == rule.source)
        })
        .map(|rule| {
            format!(
                "{} has no replication back to {}",
                rule.destination, rule.source
            )
        })
        .collect()
}

/// What an approval records of the stores (see [`at_approval`]).
#[derive(Clone, Debug, PartialEq)]
pub struct AtApproval {
    /// How long ago the reading the data at risk comes from arrived (its store's answer).
    pub data_at_risk_age: Option<std::time::Duration>,
    /// Every store a move out of the writer's region puts at risk: its figure and how long
    /// ago its reading arrived.
    pub stores: Vec<crate::runbook::journal::StoreAtApproval>,
}

/// The stores as an approval at `now` records them.
pub fn at_approval(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> AtApproval {
    let from = &snapshot
        .region(crate::readiness::move_from(snapshot, now, policy))
        .region;
    let reports = reports(snapshot, now, policy);
    let worst = at_risk(&reports, from).store;
    let read = |store: &StoreReport| store.observed_at.map(|at| elapsed(at, now));
    AtApproval {
        data_at_risk_age: outgoing(&reports, from)
            .find(|store| Some(store.label()) == worst)
            .and_then(read),
        stores: outgoing(&reports, from)
            .map(|store| crate::runbook::journal::StoreAtApproval {
                store: format!("{} {} → {}", store.label(), store.from, store.to),
                lag_ms: store.current_lag_ms(),
                age_s: read(store).map(|age| age.as_secs_f64()),
            })
            .collect(),
    }
}

/// The stores with a lag replicating out of `from` (a secret has a status, not a lag: its own
/// check judges it).
fn outgoing<'a>(
    reports: &'a [StoreReport],
    from: &'a str,
) -> impl Iterator<Item = &'a StoreReport> {
    reports
        .iter()
        .filter(move |store| store.from == from && store.kind != StoreKind::Secret)
}

pub fn at_risk(reports: &[StoreReport], from: &str) -> AtRisk {
    let outgoing: Vec<&StoreReport> = outgoing(reports, from).collect();
    if let Some(unknown) = outgoing
        .iter()
        .find(|store| store.current_lag_ms().is_none())
    {
        return AtRisk {
            ms: None,
            store: Some(unknown.label()),
        };
    }
    outgoing
        .iter()
        .filter_map(|store| Some((store.current_lag_ms()?, store.label())))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(
            AtRisk {
                ms: None,
                store: None,
            },
            |(ms, store)| AtRisk {
                ms: Some(ms),
                store: Some(store),
            },
        )
}

/// `dynamodb_replication` and `s3_replication` (each only when the pair has such stores): the
/// stores replicating out of the writer's region, within the RPO budget, with a current
/// figure and (S3) nothing failing. After a failover they judge the way back.
pub fn checks(
    reports: &[StoreReport],
    from: &str,
    policy: &Policy,
) -> Vec<crate::readiness::Check> {
    use crate::readiness::{Check, CheckId, CheckStatus, format_ms};
    let budget_ms = policy.rpo_budget.as_secs_f64() * 1000.0;
    let judge = |kind: StoreKind, id: CheckId| -> Option<Check> {
        let stores: Vec<&StoreReport> = reports
            .iter()
            .filter(|store| store.kind == kind && store.from == from)
            .collect();
        if stores.is_empty() {
            return None;
        }
        let mut wrong = Vec::new();
        let mut fine = Vec::new();
        for store in &stores {
            let pending = store
                .pending_operations
                .filter(|pending| *pending >= 1.0)
                .map(|pending| format!(", {pending:.0} pending"))
                .unwrap_or_default();
            match store.current_lag_ms() {
                None if store.stale => wrong.push(format!(
                    "{} → {}: newest figure {} old (stale)",
                    store.name,
                    store.to,
                    store
                        .age_s
                        .map_or_else(|| "?".to_owned(), |age| format!("{age:.0} s"))
                )),
                None => wrong.push(format!("{} → {}: no current figure", store.name, store.to)),
                Some(lag) if lag > budget_ms => wrong.push(format!(
                    "{} {} → {}{pending} exceeds the RPO budget {}",
                    store.name,
                    format_ms(lag),
                    store.to,
                    format_ms(budget_ms)
                )),
                Some(lag) => fine.push(format!(
                    "{} {} → {}{pending}",
                    store.name,
                    format_ms(lag),
                    store.to
                )),
            }
            if let Some(failed) = store.failed_operations.filter(|failed| *failed > 0.0) {
                wrong.push(format!(
                    "{}: {failed:.0} operations failed to replicate",
                    store.name
                ));
            }
            if let Some(status) = store.status.as_deref().filter(|status| *status != "ACTIVE") {
                wrong.push(format!(
                    "{}: its replica in {} is {status}",
                    store.name, store.to
                ));
            }
        }
        Some(Check {
            id,
            status: if wrong.is_empty() {
                CheckStatus::Pass
            } else {
                CheckStatus::Warn
            },
            detail: if wrong.is_empty() {
                format!("within the RPO budget: {}", fine.join("; "))
            } else {
                wrong.join("; ")
            },
        })
    };
    [
        judge(StoreKind::Dynamodb, CheckId::DynamodbReplication),
        judge(StoreKind::S3, CheckId::S3Replication),
        secrets_in_sync(reports, from),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `secrets_in_sync` (only when the pair replicates secrets): each secret's replica in the
/// region a move out of `from` goes to is `InSync`; otherwise its logins would fail there.
/// A move back to where the secrets live (after a failover) needs no replica.
fn secrets_in_sync(reports: &[StoreReport], from: &str) -> Option<crate::readiness::Check> {
    use crate::readiness::{Check, CheckId, CheckStatus};
    let secrets: Vec<&StoreReport> = reports
        .iter()
        .filter(|store| store.kind == StoreKind::Secret)
        .collect();
    if secrets.is_empty() {
        return None;
    }
    let toward: Vec<&&StoreReport> = secrets.iter().filter(|secret| secret.to != from).collect();
    let wrong: Vec<String> = toward
        .iter()
        .filter(|secret| secret.stale || secret.status.as_deref() != Some("InSync"))
        .map(|secret| {
            let why = secret
                .status_message
                .as_ref()
                .map(|message| format!(" ({message})"))
                .unwrap_or_default();
            format!(
                "{} replica in {} is {}{why}: logins there would fail",
                secret.name,
                secret.to,
                secret.figures_text()
            )
        })
        .collect();
    Some(Check {
        id: CheckId::SecretsInSync,
        status: if wrong.is_empty() {
            CheckStatus::Pass
        } else {
            CheckStatus::Warn
        },
        detail: if !wrong.is_empty() {
            wrong.join("; ")
        } else if toward.is_empty() {
            format!("the secrets live in {from}: a move there needs no replica")
        } else {
            toward
                .iter()
                .map(|secret| format!("{} in sync in {}", secret.name, secret.to))
                .collect::<Vec<_>>()
                .join("; ")
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RegionPair;
    use crate::model::{Source, SourceData};
    use crate::readiness::tests::{global, healthy, metrics, set, t};
    use crate::readiness::{CheckId, CheckStatus, assess};

    /// The primary's call reports the table toward the secondary at `lag_ms` (the rest as the
    /// healthy estate has them).
    fn table_out_of_primary(snapshot: &mut crate::model::Snapshot, lag_ms: Option<f64>) {
        let mut figures = metrics(None);
        for store in &mut figures.stores {
            if store.kind == StoreKind::Dynamodb && store.to == "us-east-2" {
                store.lag_ms = lag_ms;
            }
        }
        set(
            snapshot,
            Source::Metrics(Role::Primary),
            Ok(SourceData::Metrics(figures)),
        );
    }

    #[test]
    fn the_worst_store_out_of_the_writer_is_the_data_at_risk_and_named() {
        let policy = RegionPair::demo().policy();
        let mut snapshot = healthy();
        table_out_of_primary(&mut snapshot, Some(42_000.0));
        let readiness = assess(&snapshot, t(1), &policy);
        assert_eq!(readiness.data_at_risk_ms, Some(42_000.0));
        assert_eq!(
            readiness.data_at_risk_store.as_deref(),
            Some("dynamodb payment-transactions-demo")
        );
        let check = readiness
            .check(CheckId::DynamodbReplication)
            .expect("check");
        assert_eq!(check.status, CheckStatus::Warn, "{check:?}");
        assert!(
            check.detail.contains("42.0 s → us-east-2 exceeds"),
            "{check:?}"
        );
        assert_eq!(
            readiness
                .check(CheckId::ReplicationLag)
                .map(|check| check.status),
            Some(CheckStatus::Pass),
            "Aurora's own check judges Aurora"
        );
    }

    /// An approval's age is the age of the reading the data at risk comes from: here the
    /// table's, in the primary's answer (3 s older than the secondary's Aurora lag).
    #[test]
    fn an_approval_reads_the_age_of_the_worst_stores_answer() {
        let policy = RegionPair::demo().policy();
        let mut snapshot = healthy();
        let mut figures = metrics(None);
        for store in &mut figures.stores {
            if store.kind == StoreKind::Dynamodb && store.to == "us-east-2" {
                store.lag_ms = Some(42_000.0);
            }
        }
        snapshot.apply(crate::model::SourceUpdate {
            source: Source::Metrics(Role::Primary),
            at: t(-3),
            result: Ok(SourceData::Metrics(figures)),
        });
        let approval = at_approval(&snapshot, t(1), &policy);
        assert_eq!(
            approval.data_at_risk_age,
            Some(std::time::Duration::from_secs(4))
        );
        let aurora = approval
            .stores
            .iter()
            .find(|store| store.store.starts_with("aurora"))
            .expect("aurora");
        assert_eq!(aurora.age_s, Some(1.0), "the secondary's answer");
    }

    #[test]
    fn one_store_without_a_figure_makes_the_data_at_risk_unknown() {
        let policy = RegionPair::demo().policy();
        let mut snapshot = healthy();
        table_out_of_primary(&mut snapshot, None);
        let readiness = assess(&snapshot, t(1), &policy);
        assert_eq!(readiness.data_at_risk_ms, None, "silence is not a figure");
        assert_eq!(
            readiness.data_at_risk_store.as_deref(),
            Some("dynamodb payment-transactions-demo")
        );
        let check = readiness
            .check(CheckId::DynamodbReplication)
            .expect("check");
        assert!(check.detail.contains("no current figure"), "{check:?}");
    }

    #[test]
    fn an_old_datapoint_is_stale_with_its_age_not_a_figure() {
        let policy = RegionPair::demo().policy();
        let mut snapshot = healthy();
        let mut figures = metrics(None);
        for store in &mut figures.stores {
            store.newest_at = Some(t(-14 * 60));
        }
        set(
            &mut snapshot,
            Source::Metrics(Role::Primary),
            Ok(SourceData::Metrics(figures)),
        );
        let reports = reports(&snapshot, t(1), &policy);
        let table = reports
            .iter()
            .find(|store| store.kind == StoreKind::Dynamodb && store.from == "us-east-1")
            .expect("table");
        assert!(table.stale && table.current_lag_ms().is_none(), "{table:?}");
        assert_eq!(table.age_s, Some(14.0 * 60.0 + 1.0));
        assert!(
            table
                .figures_text()
                .starts_with("? stale: newest datapoint 14 min 1 s old"),
            "{}",
            table.figures_text()
        );
    }

    /// After a failover the writer is in the secondary: the stores replicating out of it (the
    /// way back) are what a move would put at risk.
    #[test]
    fn after_a_failover_the_way_back_is_judged() {
        let policy = RegionPair::demo().policy();
        let mut snapshot = healthy();
        set(
            &mut snapshot,
            Source::GlobalCluster,
            Ok(SourceData::GlobalCluster(global("us-east-2", None))),
        );
        let mut back = metrics(None);
        for store in &mut back.stores {
            if store.kind == StoreKind::S3 && store.name == "payment-documents-secondary-demo" {
                store.lag_ms = Some(90_000.0);
                store.failed_operations = Some(3.0);
            }
        }
        set(
            &mut snapshot,
            Source::Metrics(Role::Secondary),
            Ok(SourceData::Metrics(back)),
        );
        // The old primary reads now: Aurora's lag is its.
        set(
            &mut snapshot,
            Source::Metrics(Role::Primary),
            Ok(SourceData::Metrics(metrics(Some(300.0)))),
        );
        let readiness = assess(&snapshot, t(1), &policy);
        assert_eq!(
            readiness.data_at_risk_store.as_deref(),
            Some("s3 payment-documents-secondary-demo")
        );
        let check = readiness.check(CheckId::S3Replication).expect("check");
        assert!(
            check.detail.contains("→ us-east-1") && check.detail.contains("3 operations failed"),
            "{check:?}"
        );
    }

    #[test]
    fn bytes_read_as_people_say_them() {
        assert_eq!(format_bytes(512.0), "512 B");
        assert_eq!(format_bytes(18_200_000_000.0), "18.2 GB");
    }
}
