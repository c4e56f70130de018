//! What changed and when: alarm transitions, writer moves, FailoverState, weight changes,
//! health flips, phase changes and runbook steps, as one timeline for the incident review.
//! Pure: a change is found by comparing an update with what the snapshot held before it.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::model::{Snapshot, Source, SourceData, SourceUpdate};
use crate::text::sanitize;

/// What kind of thing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Alarm,
    Writer,
    FailoverState,
    Weights,
    Health,
    Phase,
    Run,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Alarm => "alarm",
            ChangeKind::Writer => "writer",
            ChangeKind::FailoverState => "failover",
            ChangeKind::Weights => "weights",
            ChangeKind::Health => "health",
            ChangeKind::Phase => "phase",
            ChangeKind::Run => "run",
        }
    }
}

/// One change, as the timeline and its export show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub at: Timestamp,
    pub pair: String,
    pub kind: ChangeKind,
    pub what: String,
}

/// The changes `update` makes to `snapshot` (call before applying it). A source seen for the
/// first time is where things were, not a change; a failed fetch changes nothing.
pub fn of_update(snapshot: &Snapshot, update: &SourceUpdate) -> Vec<Change> {
    let Ok(data) = &update.result else {
        return Vec::new();
    };
    let found = match (update.source, data) {
        (Source::Alarms(role), SourceData::Alarms(alarms)) => alarm_changes(snapshot, role, alarms),
        (Source::GlobalCluster, SourceData::GlobalCluster(global)) => {
            cluster_changes(snapshot, global)
        }
        (Source::Dns, SourceData::Dns(dns)) => weight_changes(snapshot, dns),
        (Source::HealthChecks, SourceData::HealthChecks(checks)) => {
            health_changes(snapshot, checks)
        }
        _ => Vec::new(),
    };
    found
        .into_iter()
        .map(|(kind, what)| Change {
            at: update.at,
            pair: snapshot.pair.clone(),
            kind,
            what,
        })
        .collect()
}

fn alarm_changes(
    snapshot: &Snapshot,
    role: crate::model::Role,
    alarms: &[crate::model::Alarm],
) -> Vec<(ChangeKind, String)> {
    let region = &snapshot.region(role).region;
    let Some(before) = &snapshot.region(role).alarms.value else {
        return Vec::new();
    };
    alarms
        .iter()
        .filter_map(|alarm| {
            let old = before.iter().find(|old| old.name == alarm.name)?;
            (old.state != alarm.state).then(|| {
                (
                    ChangeKind::Alarm,
                    format!(
                        "{region} {}: {} → {} ({})",
                        sanitize(&alarm.name),
                        old.state.as_str(),
                        alarm.state.as_str(),
                        sanitize(&alarm.reason)
                    ),
                )
            })
        })
        .collect()
}

fn cluster_changes(
    snapshot: &Snapshot,
    global: &crate::model::GlobalCluster,
) -> Vec<(ChangeKind, String)> {
    let Some(before) = &snapshot.global_cluster.value else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if before.writer_region() != global.writer_region() {
        found.push((
            ChangeKind::Writer,
            format!(
                "writer {} → {}",
                before.writer_region().unwrap_or("none"),
                global.writer_region().unwrap_or("none")
            ),
        ));
    }
    let status = |state: &Option<crate::model::FailoverState>| {
        state.as_ref().map(|state| {
            format!(
                "{} ({} → {})",
                sanitize(&state.status),
                state.from_region.as_deref().unwrap_or("?"),
                state.to_region.as_deref().unwrap_or("?")
            )
        })
    };
    let (old, new) = (
        status(&before.failover_state),
        status(&global.failover_state),
    );
    if old != new {
        found.push((
            ChangeKind::FailoverState,
            match new {
                Some(new) => format!("FailoverState {new}"),
                None => "FailoverState cleared: no move in progress".to_owned(),
            },
        ));
    }
    found
}

fn weight_changes(
    snapshot: &Snapshot,
    dns: &crate::model::DnsWeights,
) -> Vec<(ChangeKind, String)> {
    let Some(before) = &snapshot.dns.value else {
        return Vec::new();
    };
    if before.weights == dns.weights {
        return Vec::new();
    }
    let show = |weights| crate::model::DnsWeights::text(weights, " / ");
    vec![(
        ChangeKind::Weights,
        format!("weights {} → {}", show(&before.weights), show(&dns.weights)),
    )]
}

fn health_changes(
    snapshot: &Snapshot,
    checks: &[crate::model::HealthCheck],
) -> Vec<(ChangeKind, String)> {
    let Some(before) = &snapshot.health_checks.value else {
        return Vec::new();
    };
    let word = |healthy: Option<bool>| match healthy {
        Some(true) => "healthy",
        Some(false) => "UNHEALTHY",
        None => "unknown",
    };
    checks
        .iter()
        .filter_map(|check| {
            let old = before.iter().find(|old| old.id == check.id)?;
            (old.healthy != check.healthy && check.healthy.is_some()).then(|| {
                (
                    ChangeKind::Health,
                    format!(
                        "health check {}{}: {} → {}",
                        sanitize(&check.id),
                        check
                            .region
                            .as_deref()
                            .map(|region| format!(" ({region})"))
                            .unwrap_or_default(),
                        word(old.healthy),
                        word(check.healthy)
                    ),
                )
            })
        })
        .collect()
}

/// One change as a line: `08:01:02Z alarm  us-east-1 ...`.
pub fn line(change: &Change) -> String {
    format!(
        "{} {:<8} {}",
        change.at.format("%H:%M:%SZ"),
        change.kind.as_str(),
        sanitize(&change.what)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RegionPair;
    use crate::model::{Alarm, AlarmState, DnsWeights, Role};

    fn at(seconds: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    fn alarms(state: AlarmState) -> SourceUpdate {
        SourceUpdate {
            source: Source::Alarms(Role::Primary),
            at: at(10),
            result: Ok(SourceData::Alarms(vec![Alarm {
                name: "PaymentDR-demo-us-east-1-api-5xx-rate".into(),
                state,
                reason: "5XX 3 %".into(),
                since: None,
                rule: None,
            }])),
        }
    }

    fn weights(primary: u64, secondary: u64) -> SourceUpdate {
        SourceUpdate {
            source: Source::Dns,
            at: at(20),
            result: Ok(SourceData::Dns(DnsWeights {
                record_name: "api".into(),
                weights: [
                    ("us-east-1".to_owned(), Some(primary)),
                    ("us-east-2".to_owned(), Some(secondary)),
                ]
                .into(),
            })),
        }
    }

    #[test]
    fn the_first_sight_is_not_a_change_a_transition_is() {
        let mut snapshot = RegionPair::demo().empty_snapshot();
        assert!(of_update(&snapshot, &alarms(AlarmState::Ok)).is_empty());
        snapshot.apply(alarms(AlarmState::Ok));
        assert!(of_update(&snapshot, &alarms(AlarmState::Ok)).is_empty());
        let found = of_update(&snapshot, &alarms(AlarmState::Alarm));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, ChangeKind::Alarm);
        assert_eq!(
            found[0].what,
            "us-east-1 PaymentDR-demo-us-east-1-api-5xx-rate: OK → ALARM (5XX 3 %)"
        );
        assert_eq!(found[0].at, at(10));
    }

    #[test]
    fn a_weight_flip_is_one_change_and_a_failed_fetch_none() {
        let mut snapshot = RegionPair::demo().empty_snapshot();
        snapshot.apply(weights(100, 0));
        let found = of_update(&snapshot, &weights(0, 100));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].what,
            "weights us-east-1 100 / us-east-2 0 → us-east-1 0 / us-east-2 100"
        );
        let failed = SourceUpdate {
            source: Source::Dns,
            at: at(30),
            result: Err(crate::ports::BackendError::Refused("throttled".into())),
        };
        assert!(of_update(&snapshot, &failed).is_empty());
    }
}
