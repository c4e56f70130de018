//! Where the estate is in its failover life: steady, moving, failed over, split or unknown.
//! Pure: from one snapshot (and the newest unfinished run) to a named phase, each region's
//! condition from every signal, and which region Route 53 actually sends traffic to.

use std::time::Duration;

use serde::Serialize;

use crate::clock::Timestamp;
use crate::model::{AlarmState, Role, Snapshot, thresholds};

/// The estate's phase. The verdict, its reasons and the recommended next step follow from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Writer and traffic in the configured primary.
    Steady,
    /// Writer and traffic in the configured secondary.
    FailedOver,
    /// A switchover/failover is under way on the global cluster, or a run is in progress.
    Moving,
    /// The writer's region is not the region taking traffic, or traffic is split.
    Split,
    /// The writer or the traffic cannot be seen.
    Unknown,
}

impl Phase {
    /// A phase the estate can rest in (writer and traffic together, nothing moving): the
    /// Route 53 weights need not be read every poll.
    pub fn rests(self) -> bool {
        matches!(self, Phase::Steady | Phase::FailedOver)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Steady => "steady",
            Phase::FailedOver => "failed_over",
            Phase::Moving => "moving",
            Phase::Split => "split",
            Phase::Unknown => "unknown",
        }
    }
}

/// Whether a region serves, judged from every signal drtui has of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Positive evidence that it serves and none that it fails.
    Serving,
    /// Evidence that it fails: health checks, API 5XX or Lambda errors beyond the alarms'
    /// thresholds, or its cluster not available.
    Impaired,
    /// Neither: its data cannot be fetched. Not serving, and not proven failing either.
    Unobservable,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Serving => "serving",
            Condition::Impaired => "impaired",
            Condition::Unobservable => "unobservable",
        }
    }
}

/// One region's condition and what it rests on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegionCondition {
    pub region: String,
    pub role: Role,
    pub condition: Condition,
    /// The signals the condition rests on, each a short sentence.
    pub evidence: Vec<String>,
}

/// A run of this pair that changed the estate and did not complete.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnfinishedRun {
    pub run_id: String,
    pub runbook: String,
    /// `failed`, `blocked` (at a gate or paused) or `in_flight` (the process stopped mid-step).
    pub state: &'static str,
    /// The step it stopped at, when known.
    pub step: Option<String>,
    pub at: Option<Timestamp>,
    /// Its lock is held by a live process: another operator is running it now.
    pub active: bool,
    /// It started an action that moves the writer or the traffic (a `provision` run does not):
    /// only such a run makes the estate "moving".
    pub moves: bool,
}

impl UnfinishedRun {
    /// The run as the phase sees it, when it changed the estate and did not complete.
    pub fn of(summary: &crate::runbook::journal::RunSummary, active: bool) -> Option<Self> {
        use crate::runbook::journal::RunOutcomeKind;
        if !summary.acted {
            return None;
        }
        let state = match summary.finished.as_ref().map(|(kind, _)| *kind) {
            Some(RunOutcomeKind::Completed) => return None,
            Some(RunOutcomeKind::Failed) => "failed",
            Some(RunOutcomeKind::Blocked) => "blocked",
            None => "in_flight",
        };
        let step = summary.in_flight().map(str::to_owned).or_else(|| {
            summary
                .lines
                .iter()
                .rev()
                .find(|line| !line.outcome.passed())
                .map(|line| line.step.clone())
        });
        Some(Self {
            run_id: summary.run_id.clone(),
            runbook: summary
                .header
                .as_ref()
                .map(|header| header.runbook.clone())
                .unwrap_or_default(),
            state,
            step,
            at: summary.last_at,
            active,
            moves: summary.moved,
        })
    }

    /// "run ID (RUNBOOK) in progress at STEP", for the verdict while it runs.
    pub(crate) fn in_progress(&self) -> String {
        format!(
            "run {} ({}) in progress{}",
            self.run_id,
            self.runbook,
            self.step
                .as_ref()
                .map(|step| format!(" at {step}"))
                .unwrap_or_default()
        )
    }
}

/// What the estate looks like as a whole.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseReport {
    pub phase: Phase,
    /// The region of the global writer, when known.
    pub writer: Option<String>,
    /// The region Route 53 sends traffic to, when it is exactly one.
    pub traffic: Option<String>,
    /// How the traffic side was worked out (weights, health, the data-plane lever).
    pub traffic_detail: String,
    /// One line for the dashboard's strip.
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfinished_run: Option<UnfinishedRun>,
}

/// What the phase is judged with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhaseInputs<'a> {
    pub stale_after: Duration,
    /// The alarm (in the secondary) whose ALARM state withdraws the primary's DNS record.
    pub lever_alarm: Option<&'a str>,
}

/// A region's condition from health checks, API 5XX and Lambda error rates, its cluster, and
/// whether any of it could be fetched.
pub(crate) fn region_condition(
    snapshot: &Snapshot,
    role: Role,
    now: Timestamp,
    stale_after: Duration,
) -> RegionCondition {
    let region = snapshot.region(role);
    let mut failing = Vec::new();
    let mut serving = Vec::new();
    if snapshot.health_checks.usable(now, stale_after).is_some() {
        let checks: Vec<_> = snapshot.health_checks_for(&region.region).collect();
        for check in &checks {
            match check.healthy {
                Some(false) => failing.push(format!("health check {} failing", check.id)),
                Some(true) => serving.push(format!("health check {} healthy", check.id)),
                None => {}
            }
        }
    }
    if let Some(metrics) = region.metrics.usable(now, stale_after) {
        if let Some(rate) = metrics.api_5xx_rate_pct {
            let threshold = thresholds::API_5XX_RATE_PCT;
            if rate > threshold {
                failing.push(format!("API 5XX {rate:.1} % (alarm at {threshold} %)"));
            } else {
                serving.push(format!("API 5XX {rate:.2} %"));
            }
        }
        if let Some(rate) = metrics.lambda_error_rate_pct {
            let threshold = thresholds::LAMBDA_ERROR_RATE_PCT;
            if rate > threshold {
                failing.push(format!(
                    "Lambda errors {rate:.1} % (alarm at {threshold} %)"
                ));
            }
        }
    }
    if let Some(cluster) = region.aurora.usable(now, stale_after)
        && cluster.status != "available"
    {
        failing.push(format!(
            "cluster {} is {}",
            cluster.cluster_id, cluster.status
        ));
    }
    let (condition, evidence) = if !failing.is_empty() {
        (Condition::Impaired, failing)
    } else if !serving.is_empty() {
        (Condition::Serving, serving)
    } else {
        let why = region
            .metrics
            .error
            .as_ref()
            .or(region.aurora.error.as_ref())
            .or(snapshot.health_checks.error.as_ref())
            .map_or_else(
                || "no health check or API figure yet".to_owned(),
                |error| {
                    if error.error.is_credentials() {
                        format!("not the region's fault: {}", error.message())
                    } else {
                        format!("its data cannot be fetched: {}", error.message())
                    }
                },
            );
        (Condition::Unobservable, vec![why])
    };
    RegionCondition {
        region: region.region.clone(),
        role,
        condition,
        evidence,
    }
}

/// Whether the data-plane lever is engaged: `None` when there is none or its alarm is unknown.
pub(crate) fn lever_engaged(
    snapshot: &Snapshot,
    now: Timestamp,
    inputs: &PhaseInputs,
) -> Option<bool> {
    let name = inputs.lever_alarm?;
    let alarms = snapshot
        .region(Role::Secondary)
        .alarms
        .usable(now, inputs.stale_after)?;
    Some(
        alarms
            .iter()
            .any(|alarm| alarm.name == name && alarm.state == AlarmState::Alarm),
    )
}

/// Where traffic is deliberately sent: `Ok(Some(role))` one region, `Ok(None)` split, `Err`
/// unknown; with how that was worked out.
///
/// Deliberate means by the weights and the data-plane lever, not by an endpoint's failing
/// health check: Route 53 routes around a failing endpoint only while it fails, so traffic
/// that left a region that way comes back on its own. With the weights 100/0 and the lever
/// engaged, the primary's record is unhealthy and Route 53's weighted routing answers with the
/// zero-weight secondary (it considers zero-weight records once every non-zero one is
/// unhealthy).
pub(crate) fn traffic_side(
    snapshot: &Snapshot,
    now: Timestamp,
    inputs: &PhaseInputs,
) -> (Result<Option<Role>, ()>, String) {
    let lever = lever_engaged(snapshot, now, inputs) == Some(true);
    let region = |role: Role| snapshot.region(role).region.as_str();
    let endpoint_failing = |role: Role| {
        snapshot
            .health_checks
            .usable(now, inputs.stale_after)
            .is_some()
            && snapshot
                .health_checks_for(region(role))
                .any(|check| check.healthy == Some(false))
    };
    let Some(dns) = snapshot.dns.usable(now, inputs.stale_after) else {
        if lever {
            return (
                Ok(Some(Role::Secondary)),
                format!(
                    "Route 53 records unreadable; the data-plane lever withdraws {}'s record",
                    region(Role::Primary)
                ),
            );
        }
        return (Err(()), "Route 53 records unknown".to_owned());
    };
    let weight = |role: Role| dns.weights.get(region(role)).copied().flatten();
    let (Some(primary), Some(secondary)) = (weight(Role::Primary), weight(Role::Secondary)) else {
        return (
            Err(()),
            format!("weighted records of {} incomplete", dns.record_name),
        );
    };
    let mut how = format!("weights {primary}/{secondary}");
    let mut answered: Vec<Role> = [(Role::Primary, primary), (Role::Secondary, secondary)]
        .iter()
        .filter(|(_, weight)| *weight > 0)
        .map(|(role, _)| *role)
        .collect();
    if answered.is_empty() {
        answered = Role::BOTH.to_vec();
    }
    if lever && answered.contains(&Role::Primary) {
        answered.retain(|role| *role != Role::Primary);
        if answered.is_empty() {
            answered.push(Role::Secondary);
        }
        how.push_str(&format!(
            "; data-plane lever engaged: {}'s record withdrawn",
            region(Role::Primary)
        ));
    }
    if let [only] = answered.as_slice()
        && endpoint_failing(*only)
    {
        how.push_str(&format!(
            "; {}'s health check fails, so Route 53 answers with the other record while it does",
            region(*only)
        ));
    }
    match answered.as_slice() {
        [role] => (Ok(Some(*role)), how),
        _ => (Ok(None), how),
    }
}

/// What is moving, if anything: a FailoverState on the global cluster, or a run another
/// process is executing now.
fn moving(
    global: Option<&crate::model::GlobalCluster>,
    unfinished: Option<&UnfinishedRun>,
) -> Option<String> {
    if let Some(state) = global.and_then(|global| global.failover_state.as_ref()) {
        return Some(format!(
            "{} {} -> {} in progress",
            state.status,
            state.from_region.as_deref().unwrap_or("?"),
            state.to_region.as_deref().unwrap_or("?"),
        ));
    }
    unfinished
        .filter(|run| run.active && run.moves)
        .map(UnfinishedRun::in_progress)
}

/// The estate's phase from the global cluster, the traffic side and the newest unfinished run.
pub fn phase(
    snapshot: &Snapshot,
    now: Timestamp,
    inputs: &PhaseInputs,
    unfinished: Option<&UnfinishedRun>,
) -> PhaseReport {
    let (traffic, traffic_detail) = traffic_side(snapshot, now, inputs);
    let region = |role: Role| snapshot.region(role).region.clone();
    let global = snapshot.global_cluster.usable(now, inputs.stale_after);
    let writer_role = snapshot.writer_role(now, inputs.stale_after);
    let writer = global.and_then(|global| global.writer_region().map(str::to_owned));
    let traffic_region = traffic.ok().flatten().map(region);
    let report = |phase: Phase, detail: String| PhaseReport {
        phase,
        writer: writer.clone(),
        traffic: traffic_region.clone(),
        traffic_detail: traffic_detail.clone(),
        detail,
        unfinished_run: unfinished.cloned(),
    };
    if let Some(detail) = moving(global, unfinished) {
        return report(Phase::Moving, detail);
    }
    let Some(writer_role) = writer_role else {
        return report(
            Phase::Unknown,
            match &snapshot.global_cluster.error {
                Some(error) => format!("writer unknown: {}", error.message()),
                None => "writer unknown".to_owned(),
            },
        );
    };
    let writer_region = region(writer_role);
    match traffic {
        Err(()) => report(
            Phase::Unknown,
            format!("writer in {writer_region}; traffic unknown ({traffic_detail})"),
        ),
        Ok(None) => report(
            Phase::Split,
            format!("writer in {writer_region}; traffic split ({traffic_detail})"),
        ),
        Ok(Some(to)) if to == writer_role => match writer_role {
            Role::Primary => report(
                Phase::Steady,
                format!("writer and traffic in {writer_region} (primary)"),
            ),
            Role::Secondary => report(
                Phase::FailedOver,
                format!("failed over: writer and traffic in {writer_region}"),
            ),
        },
        Ok(Some(to)) => report(
            Phase::Split,
            format!(
                "writer in {writer_region}, traffic to {} ({traffic_detail})",
                region(to)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RegionPair;
    use crate::model::{Observed, RegionMetrics, Source, SourceData};
    use crate::readiness::tests::{
        alarm, global, health, healthy, set, stalled_replication, t, weights,
    };
    use crate::readiness::{Next, Verdict, assess_with};

    fn writer(s: &mut Snapshot, region: &str, moving: Option<&str>) {
        set(
            s,
            Source::GlobalCluster,
            Ok(SourceData::GlobalCluster(global(region, moving))),
        );
    }

    fn dns(s: &mut Snapshot, primary: u64, secondary: u64) {
        set(
            s,
            Source::Dns,
            Ok(SourceData::Dns(weights(Some(primary), Some(secondary)))),
        );
    }

    fn health_of(s: &mut Snapshot, primary: bool, secondary: bool) {
        set(
            s,
            Source::HealthChecks,
            Ok(SourceData::HealthChecks(vec![
                health("us-east-1", primary),
                health("us-east-2", secondary),
            ])),
        );
    }

    fn metrics(s: &mut Snapshot, role: Role, lag: Option<f64>, rate_5xx: f64, lambda: f64) {
        set(
            s,
            Source::Metrics(role),
            Ok(SourceData::Metrics(RegionMetrics {
                replication_lag_ms: lag,
                api_5xx_rate_pct: Some(rate_5xx),
                lambda_error_rate_pct: Some(lambda),
                ..crate::readiness::tests::metrics(lag)
            })),
        );
    }

    /// us-east-1 answers nothing: its own sources and Route 53 (whose control plane is there).
    fn hung_primary(s: &mut Snapshot) {
        s.regions[0].aurora = Observed::default();
        s.regions[0].metrics = Observed::default();
        s.regions[0].alarms = Observed::default();
        s.regions[0].stacks = Observed::default();
        s.dns = Observed::default();
        s.health_checks = Observed::default();
        s.state_machine = Observed::default();
        for source in [
            Source::Aurora(Role::Primary),
            Source::Metrics(Role::Primary),
            Source::Alarms(Role::Primary),
            Source::Stacks(Role::Primary),
            Source::Dns,
            Source::HealthChecks,
            Source::StateMachine,
        ] {
            set(s, source, Err("timed out after 3s"));
        }
    }

    fn lever(s: &mut Snapshot) {
        set(
            s,
            Source::Alarms(Role::Secondary),
            Ok(SourceData::Alarms(vec![
                alarm("s-5xx", crate::model::AlarmState::Ok),
                alarm(
                    "PaymentDR-demo-primary-traffic-off",
                    crate::model::AlarmState::Alarm,
                ),
            ])),
        );
    }

    /// Failed over and healthy again: writer and traffic in us-east-2, the old primary reads
    /// with a lag of 177 ms.
    fn failed_over(s: &mut Snapshot) {
        writer(s, "us-east-2", None);
        dns(s, 0, 100);
        metrics(s, Role::Primary, Some(177.0), 0.1, 0.2);
        metrics(s, Role::Secondary, None, 0.1, 0.2);
    }

    fn run(active: bool) -> UnfinishedRun {
        UnfinishedRun {
            run_id: "switchover-20261125-0101-abcd".into(),
            runbook: "switchover".into(),
            state: "blocked",
            step: Some("shift-traffic".into()),
            at: Some(t(0)),
            active,
            moves: true,
        }
    }

    struct Row {
        name: &'static str,
        change: fn(&mut Snapshot),
        run: Option<UnfinishedRun>,
        phase: Phase,
        verdict: Verdict,
        next: Next,
    }

    fn row(
        name: &'static str,
        change: fn(&mut Snapshot),
        run: Option<UnfinishedRun>,
        (phase, verdict, next): (Phase, Verdict, Next),
    ) -> Row {
        Row {
            name,
            change,
            run,
            phase,
            verdict,
            next,
        }
    }

    /// Every state an incident passes through: fault x writer side x DNS side x FailoverState x
    /// an unfinished run, with the phase, verdict and next step each must give.
    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "one row per state, read top to bottom"
    )]
    fn phase_verdict_and_next_step_in_every_state() {
        use Next::{Failback, Failover, MoveTraffic, Resume, Switchover, Wait};
        use Phase::{FailedOver, Moving, Split, Steady, Unknown};
        use Verdict::{Degraded, NotReady, Ready};
        let rows = [
            row(
                "steady and healthy",
                |_| {},
                None,
                (Steady, Ready, Switchover),
            ),
            row(
                "outage onset: 5XX before the health checks notice",
                |s| metrics(s, Role::Primary, None, 97.0, 60.0),
                None,
                (Steady, Ready, Switchover),
            ),
            row(
                "primary health checks failing",
                |s| health_of(s, false, true),
                None,
                (Steady, Ready, Switchover),
            ),
            row(
                "primary Lambda errors above the alarm",
                |s| metrics(s, Role::Primary, None, 0.1, 40.0),
                None,
                (Steady, Ready, Switchover),
            ),
            row(
                "primary 5XX burst above 1 %",
                |s| metrics(s, Role::Primary, None, 4.0, 0.5),
                None,
                (Steady, Ready, Switchover),
            ),
            row(
                "primary outage: replication stalled (lag up 5 s in a 5 s period)",
                |s| {
                    health_of(s, false, true);
                    stalled_replication(s);
                },
                None,
                (Steady, Ready, Failover),
            ),
            row(
                "primary outage: RDS in the primary does not answer",
                |s| {
                    health_of(s, false, true);
                    set(s, Source::Aurora(Role::Primary), Err("timed out after 3s"));
                    s.regions[0].aurora = Observed::default();
                },
                None,
                (Steady, Degraded, Failover),
            ),
            row(
                "hung primary: unseen is not failing",
                hung_primary,
                None,
                (Unknown, Degraded, Next::None),
            ),
            row(
                "lag spike",
                |s| metrics(s, Role::Secondary, Some(40_000.0), 0.1, 0.1),
                None,
                (Steady, Degraded, Next::None),
            ),
            row(
                "secondary degraded",
                |s| health_of(s, true, false),
                None,
                (Steady, NotReady, Next::None),
            ),
            row(
                "primary outage and secondary degraded",
                |s| health_of(s, false, false),
                None,
                (Steady, NotReady, Next::None),
            ),
            row(
                "throttled: refreshes failed but last values are recent",
                |s| {
                    for source in [
                        Source::GlobalCluster,
                        Source::Dns,
                        Source::Aurora(Role::Secondary),
                    ] {
                        set(s, source, Err("ThrottlingException: Rate exceeded"));
                    }
                },
                None,
                (Steady, Ready, Switchover),
            ),
            row(
                "switchover under way",
                |s| writer(s, "us-east-1", Some("switching-over")),
                None,
                (Moving, NotReady, Wait),
            ),
            row(
                "failover under way with its run unfinished",
                |s| writer(s, "us-east-1", Some("failing-over")),
                Some(run(false)),
                (Moving, NotReady, Wait),
            ),
            row(
                "another operator's run in progress",
                |_| {},
                Some(run(true)),
                (Moving, NotReady, Wait),
            ),
            row(
                "a provision run in progress moves nothing: steady, but wait for it",
                |_| {},
                Some(UnfinishedRun {
                    runbook: "provision".into(),
                    moves: false,
                    ..run(true)
                }),
                (Steady, Ready, Wait),
            ),
            row(
                "failed over, old primary healthy and caught up",
                failed_over,
                None,
                (FailedOver, Ready, Failback),
            ),
            row(
                "failed over, old primary still failing",
                |s| {
                    failed_over(s);
                    health_of(s, false, true);
                },
                None,
                (FailedOver, NotReady, Next::None),
            ),
            row(
                "failed over, old primary lag unknown",
                |s| {
                    failed_over(s);
                    metrics(s, Role::Primary, None, 0.1, 0.1);
                },
                None,
                (FailedOver, Degraded, Next::None),
            ),
            row(
                "failed over through the lever while us-east-1 hangs",
                |s| {
                    hung_primary(s);
                    writer(s, "us-east-2", None);
                    lever(s);
                },
                None,
                (FailedOver, NotReady, Next::None),
            ),
            row(
                "failed over through the lever, weights still 100/0, us-east-1 back",
                |s| {
                    failed_over(s);
                    dns(s, 100, 0);
                    lever(s);
                },
                None,
                (FailedOver, Ready, Failback),
            ),
            row(
                "abandoned switchover: writer moved, traffic did not",
                |s| writer(s, "us-east-2", None),
                None,
                (Split, NotReady, MoveTraffic),
            ),
            row(
                "abandoned switchover with its run in the journal",
                |s| writer(s, "us-east-2", None),
                Some(run(false)),
                (Split, NotReady, Resume),
            ),
            row(
                "traffic moved, writer did not",
                |s| dns(s, 0, 100),
                None,
                (Split, NotReady, MoveTraffic),
            ),
            row(
                "traffic split 50/50",
                |s| dns(s, 50, 50),
                None,
                (Split, NotReady, MoveTraffic),
            ),
            row(
                "steady again but the last run never finished",
                |_| {},
                Some(run(false)),
                (Steady, Ready, Resume),
            ),
            row(
                "global cluster never answered",
                |s| {
                    s.global_cluster = Observed::default();
                    set(s, Source::GlobalCluster, Err("AccessDenied"));
                },
                None,
                (Unknown, Degraded, Next::None),
            ),
        ];
        assert!(rows.len() >= 20);
        let policy = RegionPair::demo().policy();
        for row in rows {
            let mut snapshot = healthy();
            (row.change)(&mut snapshot);
            let readiness = assess_with(&snapshot, t(1), &policy, row.run.as_ref());
            let got = (
                readiness.phase,
                readiness.verdict,
                readiness.recommendation.next,
            );
            assert_eq!(
                got,
                (row.phase, row.verdict, row.next),
                "{}: {}\n{:#?}",
                row.name,
                readiness.recommendation.reason,
                readiness.checks
            );
            assert!(!readiness.recommendation.reason.is_empty(), "{}", row.name);
        }
    }

    #[test]
    fn after_a_failover_the_lag_is_the_old_primarys() {
        let mut snapshot = healthy();
        failed_over(&mut snapshot);
        let readiness = assess_with(&snapshot, t(1), &RegionPair::demo().policy(), None);
        assert_eq!(readiness.data_at_risk_ms, Some(177.0));
        assert!(
            readiness.recommendation.reason.contains("177 ms"),
            "{}",
            readiness.recommendation.reason
        );
    }
}
