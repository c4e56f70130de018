//! Snapshot -> verdict: can we move now, and what would it cost? Pure and table-tested.
//! The verdict follows the estate's phase (see [`crate::phase`]): in steady state it judges a
//! move to the secondary, after a failover a move back; unknown and stale data are never a pass.

use std::time::Duration;

use serde::Serialize;

use crate::clock::Timestamp;
use crate::model::{Freshness, Role, Snapshot, Source};
use crate::phase::{
    self, Condition, Phase, PhaseInputs, PhaseReport, RegionCondition, UnfinishedRun,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ready,
    Degraded,
    NotReady,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::Degraded => "degraded",
            Verdict::NotReady => "not_ready",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
        }
    }
}

/// The built-in runbook the verdict recommends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Runbook {
    Switchover,
    Failover,
    Failback,
}

impl Runbook {
    pub fn as_str(self) -> &'static str {
        match self {
            Runbook::Switchover => "switchover",
            Runbook::Failover => "failover",
            Runbook::Failback => "failback",
        }
    }
}

/// The next step the verdict recommends, whatever the phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Next {
    Switchover,
    Failover,
    Failback,
    /// Continue the unfinished run.
    Resume,
    /// The writer moved but the traffic did not (or is split): send it to the writer.
    MoveTraffic,
    /// A move is under way: wait for it.
    Wait,
    /// Nothing to do, or nothing safe to recommend; the reason says which.
    None,
}

impl Next {
    pub fn as_str(self) -> &'static str {
        match self {
            Next::Switchover => "switchover",
            Next::Failover => "failover",
            Next::Failback => "failback",
            Next::Resume => "resume",
            Next::MoveTraffic => "move_traffic",
            Next::Wait => "wait",
            Next::None => "none",
        }
    }

    pub fn runbook(self) -> Option<Runbook> {
        match self {
            Next::Switchover => Some(Runbook::Switchover),
            Next::Failover => Some(Runbook::Failover),
            Next::Failback => Some(Runbook::Failback),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    pub next: Next,
    /// The command that does it, when there is one.
    pub command: Option<String>,
    /// Why, in one sentence: what the recommendation rests on.
    pub reason: String,
}

/// The verdict's named checks. `as_str` is the one spelling of each name: in JSON (through
/// `Serialize`), in the text status and on screen. Role-bound checks are about the side a move
/// would go to (the secondary in steady state, the primary after a failover) or come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckId {
    ClusterAvailable(Role),
    WriterIn(Role),
    ReplicationLag,
    DynamodbReplication,
    S3Replication,
    SecretsInSync,
    HealthChecks(Role),
    AlarmsQuiet(Role),
    FailoverStateMachine,
    DnsWeights,
    DataFresh,
    CodeParity,
    CapacityParity,
    ConfigParity,
    EngineParity,
    OperatorPermissions,
}

impl CheckId {
    pub fn as_str(self) -> &'static str {
        use Role::{Primary, Secondary};
        match self {
            CheckId::ClusterAvailable(Secondary) => "secondary_cluster_available",
            CheckId::ClusterAvailable(Primary) => "primary_cluster_available",
            CheckId::WriterIn(Primary) => "writer_in_primary",
            CheckId::WriterIn(Secondary) => "writer_in_secondary",
            CheckId::ReplicationLag => "replication_lag",
            CheckId::DynamodbReplication => "dynamodb_replication",
            CheckId::S3Replication => "s3_replication",
            CheckId::SecretsInSync => "secrets_in_sync",
            CheckId::HealthChecks(Secondary) => "secondary_health_checks",
            CheckId::HealthChecks(Primary) => "primary_health_checks",
            CheckId::AlarmsQuiet(Secondary) => "secondary_alarms_quiet",
            CheckId::AlarmsQuiet(Primary) => "primary_alarms_quiet",
            CheckId::FailoverStateMachine => "failover_state_machine",
            CheckId::DnsWeights => "dns_weights",
            CheckId::DataFresh => "data_fresh",
            CheckId::CodeParity => "code_parity",
            CheckId::CapacityParity => "capacity_parity",
            CheckId::ConfigParity => "config_parity",
            CheckId::EngineParity => "engine_parity",
            CheckId::OperatorPermissions => "operator_permissions",
        }
    }
}

impl CheckId {
    /// What the check asks, in a sentence (the detail view and `status` text).
    pub fn question(self) -> &'static str {
        match self {
            CheckId::ClusterAvailable(_) => "Is the region's Aurora cluster `available`?",
            CheckId::WriterIn(_) => "Is the global database's writer in this region?",
            CheckId::ReplicationLag => {
                "Is the lag of the cluster that reads now (the data a failover loses) within the RPO budget?"
            }
            CheckId::DynamodbReplication => {
                "Does every DynamoDB global table replicate out of the writer's region within the RPO budget?"
            }
            CheckId::S3Replication => {
                "Does every S3 rule out of the writer's region replicate within the RPO budget, nothing failing?"
            }
            CheckId::SecretsInSync => {
                "Is every replicated secret in sync where a move would go (else logins fail there)?"
            }
            CheckId::HealthChecks(_) => "Do the region's Route 53 health checks pass?",
            CheckId::AlarmsQuiet(_) => "Is no CloudWatch alarm of the region in ALARM?",
            CheckId::FailoverStateMachine => {
                "Is the failover state machine there, and is no execution of it running?"
            }
            CheckId::DnsWeights => "Do the Route 53 weights send all traffic to one region?",
            CheckId::DataFresh => "Did every source answer within its staleness limit?",
            CheckId::CodeParity => {
                "Does every payment function run the same code and settings where a move would go?"
            }
            CheckId::CapacityParity => {
                "Can the region a move goes to carry the load: a database instance at least as large, as much Lambda concurrency, the same API throttling?"
            }
            CheckId::ConfigParity => {
                "Does the region a move goes to have the same SSM parameters (role and region aside)?"
            }
            CheckId::EngineParity => "Do both Aurora clusters run one engine version?",
            CheckId::OperatorPermissions => {
                "May the caller make every call the runbooks make on this pair (IAM's policy simulator)?"
            }
        }
    }

    /// The sources the check reads.
    pub fn sources(self) -> Vec<Source> {
        match self {
            CheckId::ClusterAvailable(role) => vec![Source::Aurora(role)],
            CheckId::WriterIn(_) => vec![Source::GlobalCluster],
            CheckId::ReplicationLag | CheckId::DynamodbReplication | CheckId::S3Replication => {
                Role::BOTH.map(Source::Metrics).to_vec()
            }
            CheckId::SecretsInSync => vec![Source::Replicas],
            CheckId::HealthChecks(_) => vec![Source::HealthChecks],
            CheckId::AlarmsQuiet(role) => vec![Source::Alarms(role)],
            CheckId::FailoverStateMachine => vec![Source::StateMachine],
            CheckId::DnsWeights => vec![Source::Dns],
            CheckId::DataFresh => Source::all(),
            CheckId::CodeParity | CheckId::CapacityParity | CheckId::ConfigParity => {
                Role::BOTH.map(Source::Parity).to_vec()
            }
            CheckId::EngineParity => Role::BOTH.map(Source::Aurora).to_vec(),
            CheckId::OperatorPermissions => vec![Source::Permissions],
        }
    }
}

impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub id: CheckId,
    pub status: CheckStatus,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Readiness {
    pub verdict: Verdict,
    /// The worst lag of the stores replicating out of the writer's region (Aurora, DynamoDB,
    /// S3): what an unplanned move would lose or delay; unknown when any of them is.
    pub data_at_risk_ms: Option<f64>,
    /// The store that figure is (or the first without a current figure).
    pub data_at_risk_store: Option<String>,
    pub recommended_runbook: Option<Runbook>,
    pub checks: Vec<Check>,
    /// The estate's phase (`steady`, `failed_over`, `moving`, `split`, `unknown`).
    pub phase: Phase,
    /// What the phase rests on: writer, traffic side, the unfinished run.
    pub estate: PhaseReport,
    pub recommendation: Recommendation,
    /// Each region's condition from every signal, primary first.
    pub regions: Vec<RegionCondition>,
    /// Set while a new verdict waits for confirmation (see [`crate::settle`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settling: Option<String>,
}

impl Readiness {
    /// One named check of the verdict.
    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|check| check.id == id)
    }

    /// Whether the primary serves (positive evidence, none of failure).
    pub fn primary_healthy(&self) -> bool {
        self.condition(Role::Primary)
            .is_some_and(|region| region.condition == Condition::Serving)
    }

    /// The condition of the region with `role`.
    pub fn condition(&self, role: Role) -> Option<&RegionCondition> {
        self.regions.iter().find(|region| region.role == role)
    }
}

/// What the verdict is measured against.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// How the commands it recommends name the pair.
    pub commands: crate::commands::PairCommands,
    /// The replicated stores beside Aurora whose lag is data at risk.
    pub stores: crate::stores::Configured,
    pub rpo_budget: Duration,
    pub stale_after: Duration,
    pub state_machine_configured: bool,
    /// The data-plane lever's alarm in the secondary, when the estate has one.
    pub lever_alarm: Option<String>,
    /// What the configuration says should be observable (see [`crate::observability`]).
    pub expected: crate::observability::Expected,
}

impl Policy {
    pub(crate) fn phase_inputs(&self) -> PhaseInputs<'_> {
        PhaseInputs {
            stale_after: self.stale_after,
            lever_alarm: self.lever_alarm.as_deref(),
        }
    }
}

/// Judges the snapshot as of `now`, with no unfinished run.
pub fn assess(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Readiness {
    assess_with(snapshot, now, policy, None)
}

/// Judges the snapshot as of `now`, knowing the pair's newest unfinished run.
pub fn assess_with(
    snapshot: &Snapshot,
    now: Timestamp,
    policy: &Policy,
    unfinished: Option<&UnfinishedRun>,
) -> Readiness {
    let estate = phase::phase(snapshot, now, &policy.phase_inputs(), unfinished);
    let regions: Vec<RegionCondition> = Role::BOTH
        .iter()
        .map(|role| phase::region_condition(snapshot, *role, now, policy.stale_after))
        .collect();
    let from = move_from(snapshot, now, policy);
    let to = from.other();
    let stores = crate::stores::reports(snapshot, now, policy);
    let at_risk = crate::stores::at_risk(&stores, &snapshot.region(from).region);
    let mut checks = vec![
        cluster_available(snapshot, to, now, policy),
        writer_in(snapshot, from, now, policy),
        replication_lag(reader_lag_ms(snapshot, now, policy), policy),
        health_checks(snapshot, to, now, policy),
        alarms_quiet(snapshot, to, now, policy),
        failover_state_machine(snapshot, now, policy),
        dns_weights(snapshot, from, now, policy),
        data_fresh(snapshot, now, policy),
    ];
    let from_region = &snapshot.region(from).region;
    checks.extend(crate::stores::checks(&stores, from_region, policy));
    checks.extend(crate::fitness::checks(snapshot, from, now, policy));
    let worst = checks
        .iter()
        .map(|check| check.status)
        .max()
        .unwrap_or(CheckStatus::Pass);
    let mut verdict = match worst {
        CheckStatus::Pass => Verdict::Ready,
        CheckStatus::Warn => Verdict::Degraded,
        CheckStatus::Fail => Verdict::NotReady,
    };
    if matches!(estate.phase, Phase::Moving | Phase::Split) {
        verdict = Verdict::NotReady;
    }
    let judged = Judged {
        checks: &checks,
        verdict,
        at_risk: &at_risk,
    };
    let recommendation = recommend(snapshot, policy, &estate, &regions, &judged, now);
    Readiness {
        verdict,
        data_at_risk_ms: at_risk.ms,
        data_at_risk_store: at_risk.store,
        recommended_runbook: recommendation.next.runbook(),
        checks,
        phase: estate.phase,
        estate,
        recommendation,
        regions,
        settling: None,
    }
}

impl Recommendation {
    fn new(next: Next, command: Option<String>, reason: String) -> Self {
        Self {
            next,
            command,
            reason,
        }
    }

    /// Running a built-in runbook on the pair.
    fn run(runbook: Runbook, commands: &crate::commands::PairCommands, reason: String) -> Self {
        let next = match runbook {
            Runbook::Switchover => Next::Switchover,
            Runbook::Failover => Next::Failover,
            Runbook::Failback => Next::Failback,
        };
        Self::new(next, Some(commands.run(runbook.as_str())), reason)
    }
}

/// What the checks concluded: the recommendation rests on it.
struct Judged<'a> {
    checks: &'a [Check],
    verdict: Verdict,
    at_risk: &'a crate::stores::AtRisk,
}

/// The next step, from the phase first, then the regions' conditions and the checks.
fn recommend(
    snapshot: &Snapshot,
    policy: &Policy,
    estate: &PhaseReport,
    regions: &[RegionCondition],
    judged: &Judged,
    now: Timestamp,
) -> Recommendation {
    let Judged {
        checks,
        verdict,
        at_risk: lag_ms,
    } = *judged;
    if let Some(resume) = resume(snapshot, policy, estate) {
        return resume;
    }
    // A run that changes stacks but moves nothing (provision) leaves the phase as it is, but
    // nothing else should start while it holds the pair.
    if let Some(run) = estate
        .unfinished_run
        .as_ref()
        .filter(|run| run.active && !run.moves && estate.phase != Phase::Moving)
    {
        return Recommendation::new(
            Next::Wait,
            None,
            format!("{}: wait for it to finish", run.in_progress()),
        );
    }
    let failing: Vec<String> = checks
        .iter()
        .filter(|check| check.status == CheckStatus::Fail)
        .map(|check| format!("{}: {}", check.id, check.detail))
        .collect();
    let primary = &regions[Role::Primary.index()];
    match estate.phase {
        Phase::Moving => Recommendation::new(
            Next::Wait,
            None,
            format!("{}: wait for it to finish", estate.detail),
        ),
        Phase::Unknown => Recommendation::new(
            Next::None,
            None,
            format!(
                "{}; {} is {} ({}): nothing is recommended without them",
                estate.detail,
                primary.region,
                primary.condition.as_str(),
                primary.evidence.join(", ")
            ),
        ),
        Phase::Split => Recommendation::new(
            Next::MoveTraffic,
            None,
            format!(
                "{}: send all traffic to the writer's region {} (set its weight to 100, the other's to 0)",
                estate.detail,
                estate.writer.as_deref().unwrap_or("?")
            ),
        ),
        Phase::Steady if verdict == Verdict::NotReady => Recommendation::new(
            Next::None,
            None,
            format!(
                "not ready to move to {}: {}",
                snapshot.region(Role::Secondary).region,
                failing.join("; ")
            ),
        ),
        Phase::Steady => steady(snapshot, now, policy, regions, lag_ms),
        Phase::FailedOver => failed_over(snapshot, policy, primary, verdict, failing, lag_ms),
    }
}

/// An unfinished run comes first, unless a move is under way on the cluster right now.
fn resume(snapshot: &Snapshot, policy: &Policy, estate: &PhaseReport) -> Option<Recommendation> {
    let unfinished = estate.unfinished_run.as_ref().filter(|run| !run.active)?;
    let moving_on_cluster = snapshot
        .global_cluster
        .value
        .as_ref()
        .is_some_and(|global| global.failover_state.is_some());
    if moving_on_cluster {
        return None;
    }
    Some(Recommendation::new(
        Next::Resume,
        Some(policy.commands.resume(&unfinished.run_id, "")),
        format!(
            "unfinished run {} ({}) {}{}: resume it (it re-checks before acting) or finish by hand",
            unfinished.run_id,
            unfinished.runbook,
            unfinished.state.replace('_', " "),
            unfinished
                .step
                .as_ref()
                .map(|step| format!(" at {step}"))
                .unwrap_or_default()
        ),
    ))
}

/// Steady and ready: the lossless move when the database estate allows it, whatever the API
/// in the primary does; a failover when only it can move (the writer's side is down or
/// stalled); and silence decides nothing.
fn steady(
    snapshot: &Snapshot,
    now: Timestamp,
    policy: &Policy,
    regions: &[RegionCondition],
    lag_ms: &crate::stores::AtRisk,
) -> Recommendation {
    let (primary, secondary) = (
        &regions[Role::Primary.index()],
        &regions[Role::Secondary.index()],
    );
    if secondary.condition != Condition::Serving {
        // Moving into a region that does not serve helps nobody, whatever the primary does.
        return Recommendation::new(
            Next::None,
            None,
            format!(
                "no move recommended: {} is {} ({}), and a move would send everything there",
                secondary.region,
                secondary.condition.as_str(),
                secondary.evidence.join(", ")
            ),
        );
    }
    let evidence = primary.evidence.join(", ");
    let loss = risk_text(lag_ms, "an unknown amount");
    let switchover = crate::switchover::assess(snapshot, Role::Primary, now, policy);
    if switchover.possible() {
        let why = match primary.condition {
            Condition::Serving => format!("primary serves: {evidence}"),
            _ => format!(
                "primary {}: {evidence}; its database answers and replicates",
                primary.condition.as_str()
            ),
        };
        return Recommendation::run(
            Runbook::Switchover,
            &policy.commands,
            format!("a switchover loses nothing; a failover would risk up to {loss} ({why})"),
        );
    }
    let blockers = switchover.blockers.join("; ");
    match primary.condition {
        Condition::Impaired => Recommendation::run(
            Runbook::Failover,
            &policy.commands,
            format!(
                "failover, risking {loss}: a switchover cannot succeed ({blockers}); primary impaired ({evidence})"
            ),
        ),
        Condition::Serving => Recommendation::new(
            Next::None,
            None,
            format!(
                "no move recommended: a switchover cannot succeed now ({blockers}); primary serves ({evidence})"
            ),
        ),
        Condition::Unobservable => Recommendation::new(
            Next::None,
            None,
            format!(
                "primary unobservable ({evidence}): fail over on evidence of failure (its endpoint, AWS Health), not on silence"
            ),
        ),
    }
}

/// "1.2 s (dynamodb payment-transactions-prod)": the data at risk and its store; `unknown`
/// and the store without a current figure when it is not known.
fn risk_text(at_risk: &crate::stores::AtRisk, unknown: &str) -> String {
    let figure = at_risk.ms.map_or_else(|| unknown.to_owned(), format_ms);
    match &at_risk.store {
        Some(store) if at_risk.ms.is_some() => format!("{figure} ({store})"),
        Some(store) => format!("{figure} (no current figure for {store})"),
        None => figure,
    }
}

/// Failed over: failback once the old primary serves and has caught up.
fn failed_over(
    snapshot: &Snapshot,
    policy: &Policy,
    home: &RegionCondition,
    verdict: Verdict,
    failing: Vec<String>,
    at_risk: &crate::stores::AtRisk,
) -> Recommendation {
    let budget_ms = policy.rpo_budget.as_secs_f64() * 1000.0;
    let caught_up = at_risk.ms.is_some_and(|lag| lag <= budget_ms);
    let away = &snapshot.region(Role::Secondary).region;
    if verdict != Verdict::NotReady && home.condition == Condition::Serving && caught_up {
        return Recommendation::run(
            Runbook::Failback,
            &policy.commands,
            format!(
                "failback ready: {} serves again and lags {} (failed over to {away})",
                home.region,
                risk_text(at_risk, ""),
            ),
        );
    }
    let mut waits = Vec::new();
    if home.condition != Condition::Serving {
        waits.push(format!(
            "{} is {} ({})",
            home.region,
            home.condition.as_str(),
            home.evidence.join(", ")
        ));
    }
    if !caught_up {
        waits.push(format!("its lag is {}", risk_text(at_risk, "unknown")));
    }
    waits.extend(failing);
    Recommendation::new(
        Next::None,
        None,
        format!(
            "failback when {} serves and has caught up: {}",
            home.region,
            waits.join("; ")
        ),
    )
}

fn check(id: CheckId, status: CheckStatus, detail: impl Into<String>) -> Check {
    Check {
        id,
        status,
        detail: detail.into(),
    }
}

/// The side of the global writer, when known and fresh.
pub(crate) fn writer_role(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Option<Role> {
    snapshot.writer_role(now, policy.stale_after)
}

/// The side a move goes from: the writer's, the primary while the writer is unknown. The
/// checks, the stores at risk and a gate's store lines all judge this direction.
pub fn move_from(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Role {
    writer_role(snapshot, now, policy).unwrap_or(Role::Primary)
}

/// The lag the reader reports: whichever cluster is not the writer now (the secondary in
/// steady state, the old primary after a failover). With the writer unknown, whichever region
/// reports a lag.
pub(crate) fn reader_lag_ms(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Option<f64> {
    let lag_of = |role: Role| {
        snapshot
            .region(role)
            .metrics
            .usable(now, policy.stale_after)
            .and_then(|metrics| metrics.replication_lag_ms)
    };
    match writer_role(snapshot, now, policy) {
        Some(writer) => lag_of(writer.other()),
        None => [Role::Secondary, Role::Primary]
            .into_iter()
            .find_map(lag_of),
    }
}

/// The cluster of `role` is available.
pub(crate) fn cluster_available(
    snapshot: &Snapshot,
    role: Role,
    now: Timestamp,
    policy: &Policy,
) -> Check {
    let id = CheckId::ClusterAvailable(role);
    let region = snapshot.region(role);
    match region.aurora.usable(now, policy.stale_after) {
        Some(cluster) if cluster.status == "available" => check(
            id,
            CheckStatus::Pass,
            format!("{} is available", cluster.cluster_id),
        ),
        Some(cluster) => check(
            id,
            CheckStatus::Fail,
            format!(
                "{} is {}, not available",
                cluster.cluster_id, cluster.status
            ),
        ),
        None => check(
            id,
            CheckStatus::Fail,
            format!(
                "status of {} unknown{}",
                region.cluster_id,
                error_suffix(region.aurora.error.as_ref())
            ),
        ),
    }
}

fn writer_in(snapshot: &Snapshot, role: Role, now: Timestamp, policy: &Policy) -> Check {
    let id = CheckId::WriterIn(role);
    let home = &snapshot.region(role).region;
    let Some(global) = snapshot.global_cluster.usable(now, policy.stale_after) else {
        return check(
            id,
            CheckStatus::Warn,
            format!(
                "global cluster state unknown{}",
                error_suffix(snapshot.global_cluster.error.as_ref())
            ),
        );
    };
    if let Some(state) = &global.failover_state {
        return check(
            id,
            CheckStatus::Fail,
            format!(
                "a failover/switchover is already in progress ({})",
                state.status
            ),
        );
    }
    match global.writer_region() {
        Some(region) if region == home => {
            check(id, CheckStatus::Pass, format!("writer is in {region}"))
        }
        Some(region) => check(
            id,
            CheckStatus::Fail,
            format!("writer is in {region}, not {home}"),
        ),
        None => check(
            id,
            CheckStatus::Fail,
            format!("{} has no writer", global.id),
        ),
    }
}

fn replication_lag(lag_ms: Option<f64>, policy: &Policy) -> Check {
    const ID: CheckId = CheckId::ReplicationLag;
    let budget_ms = policy.rpo_budget.as_secs_f64() * 1000.0;
    match lag_ms {
        Some(lag) if lag <= budget_ms => check(
            ID,
            CheckStatus::Pass,
            format!(
                "lag {} within RPO budget {}",
                format_ms(lag),
                format_ms(budget_ms)
            ),
        ),
        Some(lag) => check(
            ID,
            CheckStatus::Warn,
            format!(
                "lag {} exceeds RPO budget {}: a failover now loses that much",
                format_ms(lag),
                format_ms(budget_ms)
            ),
        ),
        None => check(
            ID,
            CheckStatus::Warn,
            "replication lag unknown: data at risk cannot be measured",
        ),
    }
}

pub(crate) fn health_checks(
    snapshot: &Snapshot,
    role: Role,
    now: Timestamp,
    policy: &Policy,
) -> Check {
    let id = CheckId::HealthChecks(role);
    if snapshot
        .health_checks
        .usable(now, policy.stale_after)
        .is_none()
    {
        return check(
            id,
            CheckStatus::Warn,
            format!(
                "health check state unknown{}",
                error_suffix(snapshot.health_checks.error.as_ref())
            ),
        );
    }
    let region = &snapshot.region(role).region;
    let checks: Vec<_> = snapshot.health_checks_for(region).collect();
    if checks.is_empty() {
        return check(
            id,
            CheckStatus::Warn,
            format!("no health check probes {region}"),
        );
    }
    let unhealthy: Vec<&str> = checks
        .iter()
        .filter(|check| check.healthy != Some(true))
        .map(|check| check.id.as_str())
        .collect();
    if unhealthy.is_empty() {
        check(
            id,
            CheckStatus::Pass,
            format!("{} of {} healthy in {region}", checks.len(), checks.len()),
        )
    } else {
        check(
            id,
            CheckStatus::Fail,
            format!("not healthy in {region}: {}", unhealthy.join(", ")),
        )
    }
}

fn alarms_quiet(snapshot: &Snapshot, role: Role, now: Timestamp, policy: &Policy) -> Check {
    let id = CheckId::AlarmsQuiet(role);
    let region = snapshot.region(role);
    match region.alarms.usable(now, policy.stale_after) {
        // Zero alarms matched is silence, not quiet: a typo in the prefix looks just like this.
        Some(_)
            if crate::observability::estate_alarm_count(
                snapshot,
                role,
                &policy.expected,
                now,
                policy.stale_after,
            ) == Some(0) =>
        {
            check(
                id,
                CheckStatus::Warn,
                format!(
                    "no alarm named {}* in {}: nothing to judge (check alarm_prefix)",
                    policy.expected.alarm_prefix, region.region
                ),
            )
        }
        Some(alarms) => {
            let firing: Vec<&str> = crate::model::firing_alarms(alarms)
                .into_iter()
                .filter(|name| Some(*name) != policy.lever_alarm.as_deref())
                .collect();
            if firing.is_empty() {
                check(
                    id,
                    CheckStatus::Pass,
                    format!("no alarm firing in {}", region.region),
                )
            } else {
                check(
                    id,
                    CheckStatus::Warn,
                    format!("firing in {}: {}", region.region, firing.join(", ")),
                )
            }
        }
        None => check(
            id,
            CheckStatus::Warn,
            format!(
                "alarms of {} unknown{}",
                region.region,
                error_suffix(region.alarms.error.as_ref())
            ),
        ),
    }
}

fn failover_state_machine(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: CheckId = CheckId::FailoverStateMachine;
    if !policy.state_machine_configured {
        return check(
            ID,
            CheckStatus::Warn,
            "no failover state machine configured: weights will be set directly",
        );
    }
    match snapshot.state_machine.usable(now, policy.stale_after) {
        Some(Some(machine)) => match machine.running_text() {
            Some(running) => check(
                ID,
                CheckStatus::Fail,
                format!("{running}: an execution could still move traffic; stop it or wait for it"),
            ),
            None => check(
                ID,
                CheckStatus::Pass,
                format!("{} present", crate::arn::resource(&machine.arn)),
            ),
        },
        Some(None) => check(
            ID,
            CheckStatus::Warn,
            "configured state machine not found: weights will be set directly",
        ),
        None => check(
            ID,
            CheckStatus::Warn,
            format!(
                "state machine unknown{}",
                error_suffix(snapshot.state_machine.error.as_ref())
            ),
        ),
    }
}

/// Traffic reaches the writer's side (`home`) and only it.
fn dns_weights(snapshot: &Snapshot, home: Role, now: Timestamp, policy: &Policy) -> Check {
    const ID: CheckId = CheckId::DnsWeights;
    let (side, how) = phase::traffic_side(snapshot, now, &policy.phase_inputs());
    let home_region = &snapshot.region(home).region;
    match side {
        Ok(Some(role)) if role == home => check(
            ID,
            CheckStatus::Pass,
            format!("all traffic to {home_region} ({how})"),
        ),
        Ok(Some(role)) => check(
            ID,
            CheckStatus::Warn,
            format!(
                "traffic goes to {}, not the writer's {home_region} ({how})",
                snapshot.region(role).region
            ),
        ),
        Ok(None) => check(
            ID,
            CheckStatus::Warn,
            format!("traffic is split ({how}), expected all on {home_region}"),
        ),
        Err(()) => check(
            ID,
            CheckStatus::Warn,
            format!("{how}{}", error_suffix(snapshot.dns.error.as_ref())),
        ),
    }
}

/// Data is "not fresh" only when a source has no usable value: one failed refresh leaves the
/// last value in use (shown stale with its age on screen) and does not flip the verdict.
fn data_fresh(snapshot: &Snapshot, now: Timestamp, policy: &Policy) -> Check {
    const ID: CheckId = CheckId::DataFresh;
    let not_fresh: Vec<String> = crate::model::Source::all()
        .into_iter()
        .filter_map(|source| {
            let meta = snapshot.meta(source);
            let usable = meta.has_value
                && meta
                    .age(now)
                    .is_some_and(|age| age <= policy.stale_after.max(meta.fresh_for_at_least));
            if usable {
                return None;
            }
            let state = match meta.freshness(now, policy.stale_after) {
                Freshness::Pending => "pending",
                Freshness::Failed => "failed",
                _ => "stale",
            };
            Some(match source.role() {
                Some(role) => format!("{} {} {state}", snapshot.region(role).region, source.name()),
                None => format!("{} {state}", source.name()),
            })
        })
        .collect();
    let unobserved =
        crate::observability::unobserved(snapshot, &policy.expected, now, policy.stale_after);
    if not_fresh.is_empty() && unobserved.is_empty() {
        check(
            ID,
            CheckStatus::Pass,
            "every source answered within the last polls",
        )
    } else {
        let mut lines = not_fresh;
        lines.extend(unobserved);
        check(ID, CheckStatus::Warn, lines.join(", "))
    }
}

fn error_suffix(error: Option<&crate::model::FetchFailure>) -> String {
    error
        .map(|error| format!(": {}", error.message()))
        .unwrap_or_default()
}

/// Milliseconds as a human figure: "850 ms", "12.4 s", "3 min 5 s".
pub fn format_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        let secs = (ms / 1000.0).round() as u64;
        format!("{} min {} s", secs / 60, secs % 60)
    }
}

/// Snapshots of the demo pair in named states, shared by the core's unit tests.
#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::RegionPair;
    use crate::model::{
        Alarm, AlarmState, AuroraCluster, DnsWeights, FailoverState, GlobalCluster, GlobalMember,
        HealthCheck, RegionMetrics, Source, SourceData, SourceUpdate, StateMachineStatus,
    };

    pub(crate) fn t(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("valid")
    }

    fn policy() -> Policy {
        RegionPair::demo().policy()
    }

    pub(crate) fn health(region: &str, healthy: bool) -> HealthCheck {
        HealthCheck {
            id: format!("hc-{region}"),
            region: Some(region.to_owned()),
            healthy: Some(healthy),
            checkers_healthy: Some(if healthy { 8 } else { 0 }),
            checkers_total: Some(8),
            percent_healthy: None,
        }
    }

    pub(crate) fn alarm(name: &str, state: AlarmState) -> Alarm {
        Alarm {
            name: name.to_owned(),
            state,
            reason: String::new(),
            since: None,
            rule: None,
        }
    }

    /// A region's figures: the API and the cluster report datapoints (a pair that reports
    /// nothing is not observable: see `observability`).
    pub(crate) fn metrics(lag: Option<f64>) -> RegionMetrics {
        RegionMetrics {
            replication_lag_ms: lag,
            api_requests_per_min: Some(1_200.0),
            db_connections: Some(40.0),
            stores: store_figures(100.0),
            lambdas: vec![crate::model::LambdaMetrics {
                function: "payment-validation".into(),
                invocations: Some(1_200.0),
                errors: Some(1.0),
                duration_ms: Some(40.0),
            }],
            ..RegionMetrics::default()
        }
    }

    /// The demo's stores replicating out of either region (each region's call reports its
    /// own), every figure `lag_ms`.
    pub(crate) fn store_figures(lag_ms: f64) -> Vec<crate::model::StoreFigures> {
        use crate::model::{StoreFigures, StoreKind};
        let pair = RegionPair::demo();
        let figure = |kind, name: &str, to: &str| StoreFigures {
            kind,
            name: name.to_owned(),
            to: to.to_owned(),
            lag_ms: Some(lag_ms),
            pending_operations: Some(0.0),
            pending_bytes: Some(0.0),
            failed_operations: Some(0.0),
            newest_at: Some(t(0)),
        };
        let mut figures = Vec::new();
        for role in Role::BOTH {
            for table in &pair.dynamodb_tables {
                figures.push(figure(StoreKind::Dynamodb, table, pair.region(role)));
            }
        }
        for bucket in &pair.replicated_buckets {
            figures.push(figure(StoreKind::S3, &bucket.source, &bucket.destination));
        }
        figures
    }

    /// The demo's secret replicated in sync to the secondary, its table active in both.
    pub(crate) fn replicas_in_sync() -> crate::model::Replicas {
        use crate::model::ReplicaStatus;
        let pair = RegionPair::demo();
        let replica = |name: &str, region: &str, status: &str| ReplicaStatus {
            name: name.to_owned(),
            region: region.to_owned(),
            status: Some(status.to_owned()),
            message: None,
        };
        crate::model::Replicas {
            tables: pair
                .dynamodb_tables
                .iter()
                .flat_map(|table| {
                    [
                        replica(table, "us-east-1", "ACTIVE"),
                        replica(table, "us-east-2", "ACTIVE"),
                    ]
                })
                .collect(),
            secrets: pair
                .replicated_secrets
                .iter()
                .map(|secret| replica(secret, "us-east-2", "InSync"))
                .collect(),
        }
    }

    /// A region of the demo whose functions, instance and limits match the other's.
    pub(crate) fn parity_alike(role: Role) -> crate::parity::RegionParity {
        use crate::parity::{DbInstance, FunctionConfig, RegionParity};
        let pair = RegionPair::demo();
        RegionParity {
            functions: pair
                .lambda_functions_in(role)
                .iter()
                .map(|name| FunctionConfig {
                    name: name.clone(),
                    code_sha256: "c0ffee".into(),
                    runtime: Some("python3.12".into()),
                    architecture: Some("x86_64".into()),
                    memory_mb: Some(256),
                    timeout_s: Some(10),
                    environment_names: vec!["TABLE_NAME".into()],
                    reserved_concurrency: None,
                })
                .collect(),
            instances: Some(vec![DbInstance {
                id: format!("{}-1", pair.cluster(role)),
                class: "db.r6g.large".into(),
            }]),
            concurrency_limit: Some(1000),
            stages: Vec::new(),
            parameters: Some(Vec::new()),
            unread: Vec::new(),
        }
    }

    /// Twin regions and a caller who may do everything.
    fn fit() -> [(Source, SourceData); 3] {
        [
            (
                Source::Parity(Role::Primary),
                SourceData::Parity(parity_alike(Role::Primary)),
            ),
            (
                Source::Parity(Role::Secondary),
                SourceData::Parity(parity_alike(Role::Secondary)),
            ),
            (Source::Permissions, SourceData::Permissions(permitted())),
        ]
    }

    /// The caller may make every call.
    pub(crate) fn permitted() -> crate::permissions::Permissions {
        crate::permissions::Permissions {
            principal: Some("arn:aws:iam::1:user/oncall".into()),
            answer: crate::permissions::Simulation::Checked {
                asked: 20,
                denied: Vec::new(),
            },
        }
    }

    /// Every source fresh at t(0): the estate an on-call engineer hopes to see.
    pub(crate) fn healthy() -> Snapshot {
        let pair = RegionPair::demo();
        let mut snapshot = pair.empty_snapshot();
        let updates = [
            (
                Source::Aurora(Role::Primary),
                SourceData::Aurora(AuroraCluster {
                    cluster_id: "p".into(),
                    status: "available".into(),
                    endpoint: None,
                    reader_endpoint: None,
                    engine_version: Some("16.4".into()),
                }),
            ),
            (
                Source::Aurora(Role::Secondary),
                SourceData::Aurora(AuroraCluster {
                    cluster_id: "s".into(),
                    status: "available".into(),
                    endpoint: None,
                    reader_endpoint: None,
                    engine_version: Some("16.4".into()),
                }),
            ),
            (
                Source::Metrics(Role::Primary),
                SourceData::Metrics(metrics(None)),
            ),
            (
                Source::Metrics(Role::Secondary),
                SourceData::Metrics(metrics(Some(250.0))),
            ),
            (
                Source::Alarms(Role::Primary),
                SourceData::Alarms(vec![alarm("p-5xx", AlarmState::Ok)]),
            ),
            (
                Source::Alarms(Role::Secondary),
                SourceData::Alarms(vec![alarm("s-5xx", AlarmState::Ok)]),
            ),
            (Source::Stacks(Role::Primary), SourceData::Stacks(vec![])),
            (Source::Stacks(Role::Secondary), SourceData::Stacks(vec![])),
            (
                Source::GlobalCluster,
                SourceData::GlobalCluster(global("us-east-1", None)),
            ),
            (Source::Dns, SourceData::Dns(weights(Some(100), Some(0)))),
            (
                Source::HealthChecks,
                SourceData::HealthChecks(vec![
                    health("us-east-1", true),
                    health("us-east-2", true),
                ]),
            ),
            (
                Source::StateMachine,
                SourceData::StateMachine(Some(StateMachineStatus {
                    arn: "arn:aws:states:us-east-1:1:stateMachine:fo".into(),
                    executions: vec![],
                })),
            ),
            (
                Source::Identity,
                SourceData::Identity("arn:aws:iam::1:user/oncall".into()),
            ),
            (Source::Replicas, SourceData::Replicas(replicas_in_sync())),
        ];
        for (source, data) in updates.into_iter().chain(fit()) {
            snapshot.apply(SourceUpdate {
                source,
                at: t(0),
                result: Ok(data),
            });
        }
        snapshot
    }

    /// The secondary's lag climbs a second per second (8 s now, up 5 s in its last 5 s
    /// period): the writer ships nothing, so only a failover can move.
    pub(crate) fn stalled_replication(s: &mut Snapshot) {
        set(
            s,
            Source::Metrics(Role::Secondary),
            Ok(SourceData::Metrics(RegionMetrics {
                replication_lag_ms: Some(8_000.0),
                history: crate::model::MetricHistory {
                    period_s: 5,
                    replication_lag_ms: vec![Some(250.0), Some(3_000.0), Some(8_000.0)],
                    ..crate::model::MetricHistory::default()
                },
                ..metrics(Some(8_000.0))
            })),
        );
    }

    pub(crate) fn global(writer: &str, failover: Option<&str>) -> GlobalCluster {
        GlobalCluster {
            id: "g".into(),
            status: "available".into(),
            members: ["us-east-1", "us-east-2"]
                .iter()
                .map(|region| GlobalMember {
                    arn: None,
                    cluster_id: format!("c-{region}"),
                    region: (*region).into(),
                    is_writer: *region == writer,
                    synchronization_status: None,
                })
                .collect(),
            failover_state: failover.map(|status| FailoverState {
                status: status.into(),
                from_region: None,
                to_region: None,
                from_db_cluster_arn: None,
                to_db_cluster_arn: None,
                is_data_loss_allowed: None,
            }),
        }
    }

    pub(crate) fn weights(primary: Option<u64>, secondary: Option<u64>) -> DnsWeights {
        DnsWeights {
            record_name: "api".into(),
            weights: BTreeMap::from([
                ("us-east-1".into(), primary),
                ("us-east-2".into(), secondary),
            ]),
        }
    }

    pub(crate) fn set(snapshot: &mut Snapshot, source: Source, result: Result<SourceData, &str>) {
        snapshot.apply(SourceUpdate {
            source,
            at: t(0),
            result: result
                .map_err(|message| crate::ports::BackendError::Refused(message.to_owned())),
        });
    }

    fn status_of(readiness: &Readiness, id: &str) -> CheckStatus {
        readiness
            .checks
            .iter()
            .find(|check| check.id.as_str() == id)
            .map(|check| check.status)
            .expect(id)
    }

    struct Case {
        name: &'static str,
        change: fn(&mut Snapshot),
        /// Seconds after the snapshot was taken that it is judged.
        at: i64,
        check: &'static str,
        status: CheckStatus,
        verdict: Verdict,
        runbook: Option<Runbook>,
    }

    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "one table row per check and state, read top to bottom"
    )]
    fn every_check_in_every_state() {
        use CheckStatus::{Fail, Pass, Warn};
        let cases = [
            Case {
                name: "healthy estate",
                change: |_| {},
                at: 1,
                check: "data_fresh",
                status: Pass,
                verdict: Verdict::Ready,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "secondary cluster not available",
                change: |s| {
                    set(
                        s,
                        Source::Aurora(Role::Secondary),
                        Ok(SourceData::Aurora(AuroraCluster {
                            cluster_id: "s".into(),
                            status: "backing-up".into(),
                            endpoint: None,
                            reader_endpoint: None,
                            engine_version: Some("16.4".into()),
                        })),
                    )
                },
                at: 1,
                check: "secondary_cluster_available",
                status: Fail,
                verdict: Verdict::NotReady,
                runbook: None,
            },
            Case {
                name: "secondary cluster never answered",
                change: |s| {
                    s.regions[1].aurora = Default::default();
                    set(s, Source::Aurora(Role::Secondary), Err("AccessDenied"));
                },
                at: 1,
                check: "secondary_cluster_available",
                status: Fail,
                verdict: Verdict::NotReady,
                runbook: None,
            },
            Case {
                name: "writer already in secondary",
                change: |s| {
                    set(
                        s,
                        Source::GlobalCluster,
                        Ok(SourceData::GlobalCluster(global("us-east-2", None))),
                    )
                },
                at: 1,
                check: "dns_weights",
                status: Warn,
                verdict: Verdict::NotReady,
                runbook: None,
            },
            Case {
                name: "failover already in progress",
                change: |s| {
                    set(
                        s,
                        Source::GlobalCluster,
                        Ok(SourceData::GlobalCluster(global(
                            "us-east-1",
                            Some("failing-over"),
                        ))),
                    )
                },
                at: 1,
                check: "writer_in_primary",
                status: Fail,
                verdict: Verdict::NotReady,
                runbook: None,
            },
            Case {
                name: "lag over budget",
                change: |s| {
                    set(
                        s,
                        Source::Metrics(Role::Secondary),
                        Ok(SourceData::Metrics(metrics(Some(42_000.0)))),
                    )
                },
                at: 1,
                check: "replication_lag",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: None,
            },
            Case {
                name: "lag exactly at budget passes",
                change: |s| {
                    set(
                        s,
                        Source::Metrics(Role::Secondary),
                        Ok(SourceData::Metrics(metrics(Some(10_000.0)))),
                    )
                },
                at: 1,
                check: "replication_lag",
                status: Pass,
                verdict: Verdict::Ready,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "lag unknown",
                change: |s| {
                    set(
                        s,
                        Source::Metrics(Role::Secondary),
                        Ok(SourceData::Metrics(metrics(None))),
                    )
                },
                at: 1,
                check: "replication_lag",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: None,
            },
            Case {
                name: "secondary health check failing",
                change: |s| {
                    set(
                        s,
                        Source::HealthChecks,
                        Ok(SourceData::HealthChecks(vec![
                            health("us-east-1", true),
                            health("us-east-2", false),
                        ])),
                    )
                },
                at: 1,
                check: "secondary_health_checks",
                status: Fail,
                verdict: Verdict::NotReady,
                runbook: None,
            },
            Case {
                name: "no health check on secondary",
                change: |s| {
                    set(
                        s,
                        Source::HealthChecks,
                        Ok(SourceData::HealthChecks(vec![health("us-east-1", true)])),
                    )
                },
                at: 1,
                check: "secondary_health_checks",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: None,
            },
            Case {
                name: "primary unhealthy, its database fine: switchover loses nothing",
                change: |s| {
                    set(
                        s,
                        Source::HealthChecks,
                        Ok(SourceData::HealthChecks(vec![
                            health("us-east-1", false),
                            health("us-east-2", true),
                        ])),
                    )
                },
                at: 1,
                check: "secondary_health_checks",
                status: Pass,
                verdict: Verdict::Ready,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "primary unhealthy and replication stalled recommends failover",
                change: |s| {
                    set(
                        s,
                        Source::HealthChecks,
                        Ok(SourceData::HealthChecks(vec![
                            health("us-east-1", false),
                            health("us-east-2", true),
                        ])),
                    );
                    stalled_replication(s);
                },
                at: 1,
                check: "secondary_health_checks",
                status: Pass,
                verdict: Verdict::Ready,
                runbook: Some(Runbook::Failover),
            },
            Case {
                name: "primary unhealthy, engine versions differ: only a failover can move",
                change: |s| {
                    set(
                        s,
                        Source::HealthChecks,
                        Ok(SourceData::HealthChecks(vec![
                            health("us-east-1", false),
                            health("us-east-2", true),
                        ])),
                    );
                    set(
                        s,
                        Source::Aurora(Role::Secondary),
                        Ok(SourceData::Aurora(AuroraCluster {
                            cluster_id: "s".into(),
                            status: "available".into(),
                            endpoint: None,
                            reader_endpoint: None,
                            engine_version: Some("16.6".into()),
                        })),
                    );
                },
                at: 1,
                check: "secondary_health_checks",
                status: Pass,
                // The engine_parity check warns: the standby differs.
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Failover),
            },
            Case {
                name: "secondary alarm firing",
                change: |s| {
                    set(
                        s,
                        Source::Alarms(Role::Secondary),
                        Ok(SourceData::Alarms(vec![alarm("s-5xx", AlarmState::Alarm)])),
                    )
                },
                at: 1,
                check: "secondary_alarms_quiet",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "secondary alarms unknown",
                change: |s| {
                    s.regions[1].alarms = Default::default();
                },
                at: 1,
                check: "secondary_alarms_quiet",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "state machine missing",
                change: |s| set(s, Source::StateMachine, Ok(SourceData::StateMachine(None))),
                at: 1,
                check: "failover_state_machine",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "traffic split",
                change: |s| {
                    set(
                        s,
                        Source::Dns,
                        Ok(SourceData::Dns(weights(Some(50), Some(50)))),
                    )
                },
                at: 1,
                check: "dns_weights",
                status: Warn,
                verdict: Verdict::NotReady,
                runbook: None,
            },
            Case {
                name: "weighted record missing",
                change: |s| {
                    set(
                        s,
                        Source::Dns,
                        Ok(SourceData::Dns(weights(Some(100), None))),
                    )
                },
                at: 1,
                check: "dns_weights",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: None,
            },
            Case {
                name: "one failed refresh keeps the last value in use: no flip",
                change: |s| set(s, Source::Stacks(Role::Primary), Err("Throttling")),
                at: 1,
                check: "data_fresh",
                status: Pass,
                verdict: Verdict::Ready,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "a source with no value is not fresh",
                change: |s| {
                    s.regions[0].stacks = Default::default();
                    set(s, Source::Stacks(Role::Primary), Err("Throttling"));
                },
                at: 1,
                check: "data_fresh",
                status: Warn,
                verdict: Verdict::Degraded,
                runbook: Some(Runbook::Switchover),
            },
            Case {
                name: "everything stale: nothing can be trusted",
                change: |_| {},
                at: 60,
                check: "secondary_cluster_available",
                status: Fail,
                verdict: Verdict::NotReady,
                runbook: None,
            },
        ];
        for case in cases {
            let mut snapshot = healthy();
            (case.change)(&mut snapshot);
            let readiness = assess(&snapshot, t(case.at), &policy());
            assert_eq!(
                status_of(&readiness, case.check),
                case.status,
                "{}: {:#?}",
                case.name,
                readiness.checks
            );
            assert_eq!(
                readiness.verdict, case.verdict,
                "{}: {:#?}",
                case.name, readiness.checks
            );
            assert_eq!(readiness.recommended_runbook, case.runbook, "{}", case.name);
        }
    }

    #[test]
    fn data_at_risk_is_the_secondary_lag_and_null_when_unknown() {
        let snapshot = healthy();
        assert_eq!(
            assess(&snapshot, t(1), &policy()).data_at_risk_ms,
            Some(250.0)
        );
        assert_eq!(assess(&snapshot, t(600), &policy()).data_at_risk_ms, None);
    }

    #[test]
    fn unconfigured_state_machine_warns() {
        let policy = Policy {
            state_machine_configured: false,
            ..policy()
        };
        let readiness = assess(&healthy(), t(1), &policy);
        assert_eq!(
            status_of(&readiness, "failover_state_machine"),
            CheckStatus::Warn
        );
    }

    #[test]
    fn human_durations() {
        assert_eq!(format_ms(850.0), "850 ms");
        assert_eq!(format_ms(12_400.0), "12.4 s");
        assert_eq!(format_ms(185_000.0), "3 min 5 s");
    }
}
