//! The reference estate in miniature: two regions stepped one simulated second at a time,
//! deterministic for a given seed, start time and fault schedule.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::Duration as ChronoDuration;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use drtui_core::clock::Timestamp;
use drtui_core::config::RegionPair;
use drtui_core::fault::Fault;
use drtui_core::model::{
    Alarm, AlarmState, AuroraCluster, DnsWeights, Execution, GlobalCluster, GlobalMember,
    HealthCheck, LambdaMetrics, MetricHistory, RegionMetrics, Role, StackStatus,
    StateMachineStatus, thresholds,
};

/// Seconds between points of the metric history (one CloudWatch period).
pub const PERIOD_S: i64 = 5;
/// Points of history kept: ten minutes.
pub const HISTORY_LEN: usize = 120;
/// Route 53 health checkers per health check and their request interval.
pub const CHECKERS: usize = 8;
const CHECK_INTERVAL_S: i64 = 10;
/// Route 53 marks an endpoint unhealthy after this many consecutive failures (and back).
pub const FAILURE_THRESHOLD: u32 = 3;
/// An alarm changes state after this many consecutive periods on the other side.
const ALARM_PERIODS: u32 = 3;
/// Longest stretch simulated on one call; a clock that jumps further skips ahead.
const MAX_CATCH_UP_S: i64 = 3_600;
/// Total request rate the estate serves, per minute.
const TRAFFIC_RPM: f64 = 1_200.0;
/// Canary traffic a region receives at weight 0, per minute.
const CANARY_RPM: f64 = 30.0;

pub const LAMBDA_FUNCTIONS: [&str; 3] = [
    "payment-validation",
    "transaction-processing",
    "notification",
];

/// How a region's application is doing; each simulated figure has a range per condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Condition {
    Normal,
    Burst,
    Degraded,
    Outage,
}

/// (low, high) for Normal, Burst, Degraded and Outage, in that order.
type Ranges = [(f64, f64); 4];
const RATE_5XX_PCT: Ranges = [(0.02, 0.2), (3.0, 6.0), (25.0, 35.0), (96.0, 100.0)];
const LAMBDA_ERROR_FRACTION: Ranges = [(0.001, 0.004), (0.015, 0.03), (0.10, 0.15), (0.6, 0.8)];
/// Latency and duration multiplier.
const SLOWDOWN: Ranges = [(0.9, 1.1), (1.5, 2.5), (6.0, 9.0), (20.0, 30.0)];
/// Invocations of each function per API request, and its normal duration.
const LAMBDA_VOLUMES: [f64; 3] = [1.0, 0.97, 0.95];
const LAMBDA_DURATIONS_MS: [f64; 3] = [45.0, 120.0, 30.0];

impl Condition {
    fn pick(self, ranges: Ranges) -> (f64, f64) {
        ranges[self as usize]
    }
}

/// The four reference alarms: metric, threshold, and how to read the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlarmKind {
    ReplicationLag,
    LambdaErrorRate,
    Api5xxRate,
    DbConnections,
}

impl AlarmKind {
    pub const ALL: [AlarmKind; 4] = [
        AlarmKind::ReplicationLag,
        AlarmKind::LambdaErrorRate,
        AlarmKind::Api5xxRate,
        AlarmKind::DbConnections,
    ];

    fn suffix(self) -> &'static str {
        match self {
            AlarmKind::ReplicationLag => "rds-replication-lag",
            AlarmKind::LambdaErrorRate => "lambda-error-rate",
            AlarmKind::Api5xxRate => "api-5xx-rate",
            AlarmKind::DbConnections => "db-connections",
        }
    }

    fn threshold(self) -> f64 {
        match self {
            AlarmKind::ReplicationLag => thresholds::REPLICATION_LAG_MS,
            AlarmKind::LambdaErrorRate => thresholds::LAMBDA_ERROR_RATE_PCT,
            AlarmKind::Api5xxRate => thresholds::API_5XX_RATE_PCT,
            AlarmKind::DbConnections => thresholds::DB_CONNECTIONS,
        }
    }

    /// The alarm's rule as the reference estate defines it.
    fn rule(self) -> &'static str {
        match self {
            AlarmKind::ReplicationLag => {
                "AWS/RDS AuroraGlobalDBRPOLag Maximum > 10000 ms for 3 of 3 periods of 60 s"
            }
            AlarmKind::LambdaErrorRate => {
                "metric math 100 × Errors / Invocations (AWS/Lambda, Sum) > 5 % for 2 of 2 periods of 60 s"
            }
            AlarmKind::Api5xxRate => {
                "metric math 100 × 5XXError / Count (AWS/ApiGateway, Sum) > 1 % for 2 of 2 periods of 60 s"
            }
            AlarmKind::DbConnections => {
                "AWS/RDS DatabaseConnections Average > 100 for 2 of 2 periods of 60 s"
            }
        }
    }

    fn describe(self, value: f64) -> String {
        match self {
            AlarmKind::ReplicationLag => {
                format!("replication lag {:.1} s (threshold 10 s)", value / 1000.0)
            }
            AlarmKind::LambdaErrorRate => format!("Lambda error rate {value:.2} % (threshold 5 %)"),
            AlarmKind::Api5xxRate => format!("API 5XX rate {value:.2} % (threshold 1 %)"),
            AlarmKind::DbConnections => format!("{value:.0} DB connections (threshold 100)"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
struct SimAlarm {
    kind: AlarmKind,
    state: AlarmState,
    since: Timestamp,
    reason: String,
    streak: u32,
}

#[derive(Clone, Debug, PartialEq)]
struct Checker {
    healthy: bool,
    streak: u32,
}

/// The figures of one region over the latest second.
#[derive(Clone, Debug, Default, PartialEq)]
struct Figures {
    requests_per_min: f64,
    latency_ms: f64,
    rate_4xx_pct: f64,
    rate_5xx_pct: f64,
    lambda_invocations: [f64; 3],
    lambda_errors: [f64; 3],
    lambda_duration_ms: [f64; 3],
    db_connections: f64,
    db_cpu_pct: f64,
}

impl Figures {
    fn lambda_error_rate_pct(&self) -> f64 {
        let invocations: f64 = self.lambda_invocations.iter().sum();
        if invocations <= 0.0 {
            0.0
        } else {
            100.0 * self.lambda_errors.iter().sum::<f64>() / invocations
        }
    }
}

/// One period's point: replication lag (reader only), API 5XX %, Lambda error %.
type Sample = (Option<f64>, f64, f64);

#[derive(Clone, Debug, PartialEq)]
struct SimRegion {
    cluster_status: String,
    checkers: Vec<Checker>,
    figures: Figures,
    history: VecDeque<Sample>,
    alarms: Vec<SimAlarm>,
}

/// A switchover or failover under way: the writer moves when it completes.
#[derive(Clone, Debug, PartialEq)]
struct Transition {
    status: &'static str,
    from: Role,
    to: Role,
    allow_data_loss: bool,
    completes_at: Timestamp,
}

/// Both clusters' Aurora PostgreSQL version.
const ENGINE_VERSION: &str = "16.4";
/// The lever's alarm evaluates one high-resolution datapoint: it follows the metric this fast.
const LEVER_ALARM_S: i64 = 10;

/// The data-plane traffic lever: the metric drtui puts in the secondary and its alarm.
#[derive(Clone, Debug, PartialEq)]
struct Lever {
    engaged: bool,
    changed_at: Timestamp,
    alarm: AlarmState,
    since: Timestamp,
}

/// How long the simulated control plane takes.
const SWITCHOVER_S: i64 = 20;
const FAILOVER_S: i64 = 12;
const EXECUTION_S: i64 = 8;
const STACK_UPDATE_S: i64 = 15;

/// The whole simulated estate.
/// A stack deployment under way in the demo.
#[derive(Clone, Debug, PartialEq)]
struct Deployment {
    /// Its resource events not yet reported.
    events: Vec<String>,
    /// It creates the stack (rather than updating it).
    creates: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Simulation {
    pair: RegionPair,
    rng: ChaCha8Rng,
    now: Timestamp,
    faults: BTreeSet<Fault>,
    regions: [SimRegion; 2],
    writer: Role,
    lag_ms: f64,
    /// The DynamoDB table and S3 rules beside Aurora.
    stores: super::stores::Stores,
    weights: [u64; 2],
    executions: Vec<Execution>,
    transition: Option<Transition>,
    alarm_actions: [bool; 2],
    /// Stacks being updated, and when they finish.
    stack_updates: BTreeMap<String, Timestamp>,
    /// What drtui deployed into each stack (a stack absent here holds what the demo started
    /// with: see `stacks::as_first_found`).
    deployed: BTreeMap<String, super::stacks::Resources>,
    /// Each stack's latest deployment: its resource events not yet reported, and whether it
    /// creates the stack.
    deployments: BTreeMap<String, Deployment>,
    /// Stacks whose latest deployment failed and rolled back, until one succeeds.
    failed_deploys: BTreeMap<String, super::stacks::Failed>,
    /// Writes lost to failovers that allowed data loss, in ms of replication lag.
    pub data_lost_ms: f64,
    lever: Lever,
}

/// What applying a mutation to the simulated estate says.
type ActResult = Result<drtui_core::ports::ActOutcome, String>;

fn unchanged(detail: String) -> ActResult {
    Ok(drtui_core::ports::ActOutcome {
        changed: false,
        detail,
    })
}

fn changed(detail: String) -> ActResult {
    Ok(drtui_core::ports::ActOutcome {
        changed: true,
        detail,
    })
}

impl Simulation {
    pub fn new(pair: &RegionPair, seed: u64, start: Timestamp) -> Self {
        let region = |role: Role| SimRegion {
            cluster_status: "available".to_owned(),
            checkers: vec![
                Checker {
                    healthy: true,
                    streak: 0
                };
                CHECKERS
            ],
            figures: Figures::default(),
            history: VecDeque::with_capacity(HISTORY_LEN),
            alarms: AlarmKind::ALL
                .iter()
                .map(|&kind| {
                    let no_data = kind == AlarmKind::ReplicationLag && role == Role::Primary;
                    SimAlarm {
                        kind,
                        state: if no_data {
                            AlarmState::InsufficientData
                        } else {
                            AlarmState::Ok
                        },
                        since: start - ChronoDuration::days(3),
                        reason: if no_data {
                            "Insufficient Data: the writer region publishes no replication lag"
                                .to_owned()
                        } else {
                            "Threshold Crossed: datapoints were not breaching the threshold"
                                .to_owned()
                        },
                        streak: 0,
                    }
                })
                .collect(),
        };
        let executions = [(12, "gameday"), (40, "gameday")]
            .iter()
            .map(|(days_ago, kind)| {
                let started_at = start - ChronoDuration::days(*days_ago);
                Execution {
                    name: format!("{kind}-{}", started_at.format("%Y%m%d")),
                    status: "SUCCEEDED".to_owned(),
                    started_at,
                    stopped_at: Some(started_at + ChronoDuration::seconds(94)),
                }
            })
            .collect();
        Self {
            pair: pair.clone(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            now: start,
            faults: BTreeSet::new(),
            regions: [region(Role::Primary), region(Role::Secondary)],
            writer: Role::Primary,
            lag_ms: 150.0,
            stores: super::stores::Stores::new(seed),
            weights: [100, 0],
            executions,
            transition: None,
            alarm_actions: [true, true],
            stack_updates: BTreeMap::new(),
            deployed: BTreeMap::new(),
            deployments: BTreeMap::new(),
            failed_deploys: BTreeMap::new(),
            data_lost_ms: 0.0,
            lever: Lever {
                engaged: false,
                changed_at: start,
                alarm: AlarmState::Ok,
                since: start - ChronoDuration::days(3),
            },
        }
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    pub fn pair(&self) -> &RegionPair {
        &self.pair
    }

    pub fn faults(&self) -> &BTreeSet<Fault> {
        &self.faults
    }

    pub fn set_fault(&mut self, fault: Fault, active: bool) {
        if active {
            self.faults.insert(fault);
        } else {
            self.faults.remove(&fault);
        }
    }

    pub fn has(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// Steps the estate forward one second at a time until `until`.
    pub fn advance_to(&mut self, until: Timestamp) {
        if (until - self.now).num_seconds() > MAX_CATCH_UP_S {
            self.now = until - ChronoDuration::seconds(MAX_CATCH_UP_S);
        }
        while self.now + ChronoDuration::seconds(1) <= until {
            self.step();
        }
    }

    fn step(&mut self) {
        self.now += ChronoDuration::seconds(1);
        self.complete_control_plane_work();
        let second = self.now.timestamp();
        self.step_replication();
        for role in Role::BOTH {
            let down = role == Role::Primary && self.has(Fault::PrimaryOutage);
            let toward_secondary = role == Role::Primary;
            let stalls = super::stores::Stalls {
                all: down,
                table: toward_secondary && self.has(Fault::DynamoDbReplicationStall),
                buckets: toward_secondary && self.has(Fault::S3ReplicationBacklog),
            };
            self.stores.step(role, stalls);
        }
        for role in Role::BOTH {
            let figures = self.figures_for(role);
            let probe_ok = self.probe_succeeds(role);
            let reader_lag = (role != self.writer).then_some(self.lag_ms);
            let rng = &mut self.rng;
            let region = &mut self.regions[role.index()];
            region.figures = figures;
            for (index, checker) in region.checkers.iter_mut().enumerate() {
                if (second + index as i64) % CHECK_INTERVAL_S == 0 {
                    let success = rng.random::<f64>() < probe_ok;
                    if success == checker.healthy {
                        checker.streak = 0;
                    } else {
                        checker.streak += 1;
                        if checker.streak >= FAILURE_THRESHOLD {
                            checker.healthy = success;
                            checker.streak = 0;
                        }
                    }
                }
            }
            if second % PERIOD_S == 0 {
                let sample = (
                    reader_lag,
                    region.figures.rate_5xx_pct,
                    region.figures.lambda_error_rate_pct(),
                );
                if region.history.len() == HISTORY_LEN {
                    region.history.pop_front();
                }
                region.history.push_back(sample);
                let now = self.now;
                for alarm in &mut region.alarms {
                    let value = match alarm.kind {
                        AlarmKind::ReplicationLag => reader_lag,
                        AlarmKind::LambdaErrorRate => Some(region.figures.lambda_error_rate_pct()),
                        AlarmKind::Api5xxRate => Some(region.figures.rate_5xx_pct),
                        AlarmKind::DbConnections => Some(region.figures.db_connections),
                    };
                    evaluate_alarm(alarm, value, now);
                }
            }
        }
    }

    /// Finishes switchovers, failovers, executions and stack updates whose time has come.
    fn complete_control_plane_work(&mut self) {
        if let Some(transition) = self.transition.clone()
            && self.now >= transition.completes_at
        {
            self.writer = transition.to;
            self.transition = None;
            // The new reader resynchronises from scratch.
            self.lag_ms = 200.0;
        }
        let now = self.now;
        let mut flip_weights = false;
        let hung = self.has(Fault::HungStateMachine);
        for execution in &mut self.executions {
            if execution.status == "RUNNING"
                && !hung
                && now >= execution.started_at + ChronoDuration::seconds(EXECUTION_S)
            {
                execution.status = "SUCCEEDED".to_owned();
                execution.stopped_at = Some(now);
                flip_weights = true;
            }
        }
        if flip_weights {
            // The reference failover state machine's Lambda sets the weights 0/100.
            self.weights = [0, 100];
        }
        self.stack_updates.retain(|_, done| *done > now);
        let wanted = if self.lever.engaged {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        };
        if self.lever.alarm != wanted
            && now >= self.lever.changed_at + ChronoDuration::seconds(LEVER_ALARM_S)
        {
            self.lever.alarm = wanted;
            self.lever.since = now;
        }
    }

    /// Each region's share of the traffic as Route 53's weighted routing answers it: records
    /// of non-zero weight whose health check passes (the primary's also needs the lever
    /// released); else the healthy zero-weight ones; else every non-zero one.
    fn routed_shares(&self) -> [f64; 2] {
        let healthy = |role: Role| {
            let checkers = &self.regions[role.index()].checkers;
            let up = checkers.iter().filter(|checker| checker.healthy).count();
            let endpoint = up as f64 > 0.18 * checkers.len() as f64;
            endpoint && !(role == Role::Primary && self.lever.alarm == AlarmState::Alarm)
        };
        let nonzero: Vec<Role> = Role::BOTH
            .into_iter()
            .filter(|role| self.weights[role.index()] > 0)
            .collect();
        let by_weight = |roles: &[Role]| {
            let total: u64 = roles.iter().map(|role| self.weights[role.index()]).sum();
            let mut shares = [0.0; 2];
            for role in roles {
                shares[role.index()] = if total == 0 {
                    1.0 / roles.len() as f64
                } else {
                    self.weights[role.index()] as f64 / total as f64
                };
            }
            shares
        };
        let live: Vec<Role> = nonzero
            .iter()
            .copied()
            .filter(|role| healthy(*role))
            .collect();
        if !live.is_empty() {
            return by_weight(&live);
        }
        let standby: Vec<Role> = Role::BOTH
            .into_iter()
            .filter(|role| !nonzero.contains(role) && healthy(*role))
            .collect();
        if !standby.is_empty() {
            return by_weight(&standby);
        }
        if nonzero.is_empty() {
            by_weight(&Role::BOTH)
        } else {
            by_weight(&nonzero)
        }
    }

    /// Completes every switchover, failover, execution, stack update and lever alarm change
    /// under way, as if their time had come.
    pub fn finish_pending_work(&mut self) {
        let later = self.now + ChronoDuration::seconds(3_600);
        if let Some(transition) = self.transition.as_mut() {
            transition.completes_at = self.now;
        }
        for execution in &mut self.executions {
            if execution.status == "RUNNING" {
                execution.started_at = later - ChronoDuration::seconds(2 * 3_600);
            }
        }
        self.stack_updates.clear();
        self.lever.changed_at = self.now - ChronoDuration::seconds(LEVER_ALARM_S);
        self.complete_control_plane_work();
    }

    /// Parameters with `${exists:ROLE:NAME}` answered as CloudFormation would: a stack the demo
    /// started with or drtui deployed exists.
    fn with_existence(
        &self,
        parameters: &std::collections::BTreeMap<String, String>,
    ) -> std::collections::BTreeMap<String, String> {
        parameters
            .iter()
            .map(|(key, value)| {
                let value = drtui_core::runbook::deploy::substitute(value, |name| {
                    let Some((side, stack)) = name
                        .strip_prefix("exists:")
                        .and_then(|reference| reference.split_once(':'))
                    else {
                        return Ok(format!("${{{name}}}"));
                    };
                    let role = drtui_core::runbook::deploy::role(side)?;
                    let exists = self.deployed.contains_key(stack)
                        || self.pair.stacks_in(role).iter().any(|own| own == stack);
                    Ok(exists.to_string())
                })
                .unwrap_or_else(|_| value.clone());
                (key.clone(), value)
            })
            .collect()
    }

    /// The change set a deployment would make, and the resources the stack would then hold;
    /// `None` for a mutation that is not a deployment.
    pub fn change_set(
        &self,
        mutation: &drtui_core::ports::Mutation,
    ) -> Result<Option<(drtui_core::ports::ChangePreview, super::stacks::Resources)>, String> {
        let drtui_core::ports::Mutation::DeployStack {
            role,
            stack,
            template,
            parameters,
            ..
        } = mutation
        else {
            return Ok(None);
        };
        let text = crate::assets::template(template)?;
        let parameters = &self.with_existence(parameters);
        let requested = super::stacks::declared(&text, *role, parameters);
        let deployed = match self.deployed.get(stack) {
            Some(held) => Some(held.clone()),
            // What the demo started with: the template as its own region and environment
            // would have it, whatever this deployment asks for.
            None => self.pair.stacks_in(*role).contains(stack).then(|| {
                let mut own = parameters.clone();
                if let Some(value) = own.get_mut("RegionRole") {
                    *value = drtui_core::wire::wire_name(role);
                }
                if let (Some(value), Some(suffix)) = (
                    own.get_mut("EnvironmentSuffix"),
                    self.pair.environment_suffix.as_ref(),
                ) {
                    value.clone_from(suffix);
                }
                super::stacks::as_first_found(stack, &super::stacks::declared(&text, *role, &own))
            }),
        };
        Ok(Some((
            super::stacks::change_set(deployed.as_ref(), &requested),
            requested,
        )))
    }

    /// How the stack's latest deployment failed, if it did.
    pub fn failed_deploy(&self, stack: &str) -> Option<&super::stacks::Failed> {
        self.failed_deploys.get(stack)
    }

    /// The resource events of the stack's latest deployment not yet reported.
    pub fn take_stack_events(&mut self, stack: &str, at_most: usize) -> Vec<String> {
        let Some(deployment) = self.deployments.get_mut(stack) else {
            return Vec::new();
        };
        let events = &mut deployment.events;
        events.drain(..at_most.min(events.len())).collect()
    }

    /// Whether the stack's latest deployment creates it (rather than updating it).
    pub fn deployment_creates(&self, stack: &str) -> bool {
        self.deployments
            .get(stack)
            .is_some_and(|deployment| deployment.creates)
    }

    pub fn stack_updating(&self, stack: &str) -> bool {
        self.stack_updates.contains_key(stack)
    }

    /// Stops a running execution (`StopExecution`): it ends ABORTED and flips nothing. An
    /// execution that already ended keeps its status.
    pub fn stop_execution(&mut self, name: &str) -> Result<String, String> {
        let now = self.now;
        let execution = self
            .executions
            .iter_mut()
            .find(|execution| execution.name == name)
            .ok_or_else(|| format!("ExecutionDoesNotExist: {name}"))?;
        if execution.status == "RUNNING" {
            execution.status = "ABORTED".to_owned();
            execution.stopped_at = Some(now);
            Ok(format!("execution {name} stopped: ABORTED"))
        } else {
            Ok(format!(
                "execution {name} had already ended {}",
                execution.status
            ))
        }
    }

    pub fn execution_status(&self, name: &str) -> Option<String> {
        self.executions
            .iter()
            .find(|execution| execution.name == name)
            .map(|execution| execution.status.clone())
    }

    /// Applies a runbook mutation, idempotently: what is already true changes nothing.
    pub fn apply(
        &mut self,
        mutation: &drtui_core::ports::Mutation,
    ) -> Result<drtui_core::ports::ActOutcome, String> {
        use drtui_core::ports::Mutation;
        match mutation {
            Mutation::SetWeights { primary, secondary } => {
                let wanted = [u64::from(*primary), u64::from(*secondary)];
                if self.weights == wanted {
                    return unchanged(format!("weights already {primary}/{secondary}"));
                }
                self.weights = wanted;
                changed(format!("weights now {primary}/{secondary}; change INSYNC"))
            }
            Mutation::AuroraSwitchover { target } => self.move_writer(*target, None),
            Mutation::AuroraFailover {
                target,
                allow_data_loss,
            } => self.move_writer(*target, Some(*allow_data_loss)),
            Mutation::StartExecution { name } => {
                if self
                    .executions
                    .iter()
                    .any(|execution| &execution.name == name)
                {
                    return unchanged(format!("execution {name} already exists"));
                }
                self.executions.push(Execution {
                    name: name.clone(),
                    status: "RUNNING".to_owned(),
                    started_at: self.now,
                    stopped_at: None,
                });
                changed(format!("execution {name} started"))
            }
            Mutation::DeployStack { stack, .. } => self.deploy(mutation, stack),
            Mutation::DataPlaneLever { engaged } => self.pull_lever(*engaged),
            Mutation::AlarmActions { role, enabled } => {
                let word = if *enabled { "enabled" } else { "disabled" };
                if self.alarm_actions[role.index()] == *enabled {
                    return unchanged(format!("alarm actions already {word}"));
                }
                self.alarm_actions[role.index()] = *enabled;
                changed(format!("alarm actions {word}"))
            }
        }
    }

    /// A switchover (`failover` none) or failover to `target`: refused while another move is
    /// under way, nothing when the target already writes.
    fn move_writer(&mut self, target: Role, failover: Option<bool>) -> ActResult {
        if let Some(transition) = &self.transition {
            return if transition.to == target {
                unchanged(format!(
                    "{} to {} already in progress",
                    transition.status,
                    self.pair.region(target)
                ))
            } else {
                Err(format!(
                    "InvalidGlobalClusterStateFault: {} already in progress",
                    transition.status
                ))
            };
        }
        if self.writer == target {
            return unchanged(format!(
                "{} is already the writer",
                self.pair.cluster(target)
            ));
        }
        if failover.is_none() && self.has(Fault::PrimaryOutage) {
            return Err("InvalidGlobalClusterStateFault: a switchover needs the current writer to answer; use failover".to_owned());
        }
        let allow_data_loss = failover == Some(true);
        if allow_data_loss {
            self.data_lost_ms += self.lag_ms;
        }
        let (status, seconds) = if failover.is_some() {
            ("failing-over", FAILOVER_S)
        } else {
            ("switching-over", SWITCHOVER_S)
        };
        self.transition = Some(Transition {
            status,
            from: self.writer,
            to: target,
            allow_data_loss,
            completes_at: self.now + ChronoDuration::seconds(seconds),
        });
        let at_risk = if allow_data_loss {
            format!("; {:.0} ms of writes at risk", self.lag_ms)
        } else {
            String::new()
        };
        changed(format!(
            "{status} to {} started{at_risk}",
            self.pair.cluster(target)
        ))
    }

    /// A deployment: its change set, then the stack updating (or failing, under the fault).
    fn deploy(&mut self, mutation: &drtui_core::ports::Mutation, stack: &str) -> ActResult {
        let Some((preview, requested)) = self.change_set(mutation)? else {
            return Err("not a deployment".to_owned());
        };
        if preview.changes.is_empty() {
            return unchanged(format!(
                "stack {stack} already matches its template (empty change set)"
            ));
        }
        let failing = self
            .has(Fault::StackUpdateFails)
            .then(|| super::stacks::failing(stack, &preview))
            .flatten();
        let events = if let Some((events, failed)) = failing {
            // Rolled back: the stack keeps what it held.
            self.failed_deploys.insert(stack.to_owned(), failed);
            events
        } else {
            self.failed_deploys.remove(stack);
            self.deployed.insert(stack.to_owned(), requested);
            super::stacks::events(&preview)
        };
        self.deployments.insert(
            stack.to_owned(),
            Deployment {
                events,
                creates: !preview.exists,
            },
        );
        self.stack_updates.insert(
            stack.to_owned(),
            self.now + ChronoDuration::seconds(STACK_UPDATE_S),
        );
        let count = preview.changes.len();
        changed(format!(
            "{count} change{}",
            if count == 1 { "" } else { "s" }
        ))
    }

    /// The data-plane lever: its metric set, the alarm following a little later.
    fn pull_lever(&mut self, engaged: bool) -> ActResult {
        let Some(metric) = self
            .pair
            .traffic_lever
            .as_ref()
            .map(|lever| lever.metric.clone())
        else {
            return if engaged {
                Err(format!(
                    "pair {} has no traffic_lever configured",
                    self.pair.name
                ))
            } else {
                unchanged("no traffic_lever configured: nothing to release".to_owned())
            };
        };
        if self.lever.engaged == engaged {
            let word = if engaged { "engaged" } else { "released" };
            return unchanged(format!("lever already {word}"));
        }
        self.lever.engaged = engaged;
        self.lever.changed_at = self.now;
        changed(format!(
            "PutMetricData {metric} = {} in {}; the alarm follows within {LEVER_ALARM_S} s",
            u8::from(engaged),
            self.pair.secondary
        ))
    }

    fn step_replication(&mut self) {
        let stalled = self.has(Fault::PrimaryOutage) && self.writer == Role::Primary;
        let baseline = 80.0 + self.rng.random::<f64>() * 220.0;
        if stalled {
            self.lag_ms += 1000.0;
        } else if self.has(Fault::LagSpike) {
            let target = 30_000.0 + self.rng.random::<f64>() * 15_000.0;
            self.lag_ms = (self.lag_ms + 2_500.0).min(target);
        } else if self.lag_ms > 1_000.0 {
            self.lag_ms = (self.lag_ms - 4_000.0).max(baseline);
        } else {
            self.lag_ms = 0.7 * self.lag_ms + 0.3 * baseline;
        }
    }

    /// Probability that one health-checker request to the region's endpoint succeeds.
    fn probe_succeeds(&self, role: Role) -> f64 {
        let down = match role {
            Role::Primary => self.has(Fault::PrimaryOutage),
            Role::Secondary => self.has(Fault::SecondaryDegraded),
        };
        if down { 0.0 } else { 0.995 }
    }

    fn condition_of(&self, role: Role) -> Condition {
        match role {
            Role::Primary if self.has(Fault::PrimaryOutage) => Condition::Outage,
            Role::Secondary if self.has(Fault::SecondaryDegraded) => Condition::Degraded,
            Role::Primary if self.has(Fault::Api5xxBurst) => Condition::Burst,
            _ => Condition::Normal,
        }
    }

    fn figures_for(&mut self, role: Role) -> Figures {
        let condition = self.condition_of(role);
        let is_writer = role == self.writer;
        let share = self.routed_shares()[role.index()];
        let rng = &mut self.rng;
        let mut jitter = |(low, high): (f64, f64)| low + rng.random::<f64>() * (high - low);
        let requests_per_min = (TRAFFIC_RPM * share).max(CANARY_RPM) * jitter((0.95, 1.05));
        let rate_5xx_pct = jitter(condition.pick(RATE_5XX_PCT));
        let error_fraction = jitter(condition.pick(LAMBDA_ERROR_FRACTION));
        let slowdown = jitter(condition.pick(SLOWDOWN));
        let lambda_invocations = LAMBDA_VOLUMES.map(|volume| (requests_per_min * volume).round());
        let lambda_errors =
            lambda_invocations.map(|invocations| (invocations * error_fraction).round());
        let lambda_duration_ms = LAMBDA_DURATIONS_MS.map(|duration| duration * slowdown);
        let (db_connections, db_cpu_pct) = match condition {
            Condition::Outage => (jitter((0.0, 2.0)), jitter((0.0, 2.0))),
            Condition::Degraded => (jitter((110.0, 130.0)), jitter((85.0, 97.0))),
            _ if is_writer => (jitter((35.0, 50.0)) * (0.5 + share), jitter((15.0, 25.0))),
            _ => (jitter((8.0, 14.0)), jitter((5.0, 10.0))),
        };
        Figures {
            requests_per_min: requests_per_min.round(),
            latency_ms: jitter((70.0, 95.0)) * slowdown,
            rate_4xx_pct: jitter((0.5, 1.2)),
            rate_5xx_pct,
            lambda_invocations,
            lambda_errors,
            lambda_duration_ms,
            db_connections: db_connections.round(),
            db_cpu_pct,
        }
    }

    // ----- reads: what each API would answer -----

    pub fn aurora(&self, role: Role) -> AuroraCluster {
        let cluster_id = self.pair.cluster(role);
        let region = self.pair.region(role);
        AuroraCluster {
            cluster_id: cluster_id.to_owned(),
            status: self.regions[role.index()].cluster_status.clone(),
            endpoint: Some(format!(
                "{cluster_id}.cluster-demo.{region}.rds.amazonaws.com"
            )),
            reader_endpoint: Some(format!(
                "{cluster_id}.cluster-ro-demo.{region}.rds.amazonaws.com"
            )),
            engine_version: Some(ENGINE_VERSION.to_owned()),
        }
    }

    pub fn metrics(&self, role: Role) -> RegionMetrics {
        let region = &self.regions[role.index()];
        let figures = &region.figures;
        let is_reader = role != self.writer;
        let column = |pick: fn(&Sample) -> f64| region.history.iter().map(pick).collect::<Vec<_>>();
        RegionMetrics {
            api_requests_per_min: Some(figures.requests_per_min),
            api_latency_ms: Some(figures.latency_ms),
            api_4xx_rate_pct: Some(figures.rate_4xx_pct),
            api_5xx_rate_pct: Some(figures.rate_5xx_pct),
            lambda_error_rate_pct: Some(figures.lambda_error_rate_pct()),
            lambdas: LAMBDA_FUNCTIONS
                .iter()
                .enumerate()
                .map(|(index, function)| LambdaMetrics {
                    // As the pair names its functions, else as the templates would.
                    function: self
                        .pair
                        .lambda_functions_in(role)
                        .get(index)
                        .cloned()
                        .unwrap_or_else(|| format!("{function}-{}", self.pair.name)),
                    invocations: Some(figures.lambda_invocations[index]),
                    errors: Some(figures.lambda_errors[index]),
                    duration_ms: Some(figures.lambda_duration_ms[index]),
                })
                .collect(),
            db_connections: Some(figures.db_connections),
            db_cpu_pct: Some(figures.db_cpu_pct),
            replication_lag_ms: is_reader.then_some(self.lag_ms.round()),
            newest_datapoint_at: Some(self.now),
            stores: self.stores.figures(&self.pair, role, self.now),
            history: MetricHistory {
                period_s: PERIOD_S as u64,
                replication_lag_ms: if is_reader {
                    region.history.iter().map(|sample| sample.0).collect()
                } else {
                    Vec::new()
                },
                api_5xx_rate_pct: column(|sample| sample.1),
                lambda_error_rate_pct: column(|sample| sample.2),
            },
        }
    }

    /// The table's replicas (active in both regions) and each secret's replica in the
    /// secondary: in sync, failed under `secret-replica-failed`, unknown while the primary,
    /// where the secret lives, hangs.
    pub fn replicas(&self) -> drtui_core::model::Replicas {
        use drtui_core::model::{ReplicaStatus, Replicas};
        let tables = self
            .pair
            .dynamodb_tables
            .iter()
            .flat_map(|table| {
                Role::BOTH.map(|role| ReplicaStatus {
                    name: table.clone(),
                    region: self.pair.region(role).to_owned(),
                    status: Some("ACTIVE".to_owned()),
                    message: None,
                })
            })
            .collect();
        let (status, message) = if self.has(Fault::HungRegion(Role::Primary)) {
            (
                None,
                Some("Secrets Manager in the primary does not answer".to_owned()),
            )
        } else if self.has(Fault::SecretReplicaFailed) {
            (
                Some("Failed".to_owned()),
                Some("Access to KMS is not allowed for the replica's key".to_owned()),
            )
        } else {
            (
                Some("InSync".to_owned()),
                Some("Replication succeeded".to_owned()),
            )
        };
        let secrets = self
            .pair
            .replicated_secrets
            .iter()
            .map(|secret| ReplicaStatus {
                name: secret.clone(),
                region: self.pair.secondary.clone(),
                status: status.clone(),
                message: message.clone(),
            })
            .collect();
        Replicas { tables, secrets }
    }

    pub fn alarms(&self, role: Role) -> Vec<Alarm> {
        let region = self.pair.region(role);
        let mut alarms: Vec<Alarm> = self.regions[role.index()]
            .alarms
            .iter()
            .map(|alarm| Alarm {
                name: format!(
                    "{}-{region}-{}",
                    self.pair.alarm_prefix,
                    alarm.kind.suffix()
                ),
                state: alarm.state.clone(),
                reason: alarm.reason.clone(),
                since: Some(alarm.since),
                rule: Some(alarm.kind.rule().to_owned()),
            })
            .collect();
        if let (Role::Secondary, Some(lever)) = (role, &self.pair.traffic_lever) {
            alarms.push(Alarm {
                name: lever.alarm.clone(),
                state: self.lever.alarm.clone(),
                reason: format!(
                    "Threshold Crossed: {} {} (drtui's data-plane traffic lever)",
                    lever.metric,
                    if self.lever.alarm == AlarmState::Alarm {
                        "= 1: the primary's record is withdrawn"
                    } else {
                        "= 0"
                    }
                ),
                since: Some(self.lever.since),
                rule: Some(format!(
                    "{} {} Maximum >= 1 for 1 of 1 period of 60 s",
                    lever.namespace, lever.metric
                )),
            });
        }
        alarms
    }

    pub fn stacks(&self, role: Role) -> Vec<StackStatus> {
        self.pair
            .stacks_in(role)
            .iter()
            .map(|name| StackStatus {
                name: name.clone(),
                status: if self.stack_updates.contains_key(name) {
                    "UPDATE_IN_PROGRESS".to_owned()
                } else if let Some(failed) = self.failed_deploys.get(name) {
                    failed.status.clone()
                } else {
                    "UPDATE_COMPLETE".to_owned()
                },
                reason: if self.stack_updates.contains_key(name) {
                    Some("User Initiated".to_owned())
                } else {
                    self.failed_deploys
                        .get(name)
                        .map(|failed| failed.reason.clone())
                },
            })
            .collect()
    }

    pub fn global_cluster(&self) -> GlobalCluster {
        GlobalCluster {
            id: self.pair.global_cluster.clone(),
            status: "available".to_owned(),
            members: Role::BOTH
                .iter()
                .map(|&role| GlobalMember {
                    arn: Some(format!(
                        "arn:aws:rds:{}:000000000000:cluster:{}",
                        self.pair.region(role),
                        self.pair.cluster(role)
                    )),
                    cluster_id: self.pair.cluster(role).to_owned(),
                    region: self.pair.region(role).to_owned(),
                    is_writer: role == self.writer,
                    synchronization_status: (role != self.writer).then(|| "connected".to_owned()),
                })
                .collect(),
            failover_state: self.transition.as_ref().map(|transition| {
                drtui_core::model::FailoverState {
                    status: transition.status.to_owned(),
                    from_region: Some(self.pair.region(transition.from).to_owned()),
                    to_region: Some(self.pair.region(transition.to).to_owned()),
                    from_db_cluster_arn: None,
                    to_db_cluster_arn: None,
                    is_data_loss_allowed: Some(transition.allow_data_loss),
                }
            }),
        }
    }

    pub fn dns(&self) -> DnsWeights {
        DnsWeights {
            record_name: self.pair.record_name.clone(),
            weights: Role::BOTH
                .iter()
                .map(|&role| {
                    (
                        self.pair.region(role).to_owned(),
                        Some(self.weights[role.index()]),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
        }
    }

    pub fn health_checks(&self) -> Vec<HealthCheck> {
        Role::BOTH
            .iter()
            .filter_map(|&role| {
                let region = self.pair.region(role);
                let id = self.pair.health_checks.get(region)?;
                let healthy_checkers = self.regions[role.index()]
                    .checkers
                    .iter()
                    .filter(|checker| checker.healthy)
                    .count() as u32;
                Some(HealthCheck {
                    id: id.clone(),
                    region: Some(region.to_owned()),
                    // Route 53 considers an endpoint healthy when more than 18 % of checkers do.
                    healthy: Some(f64::from(healthy_checkers) > 0.18 * CHECKERS as f64),
                    checkers_healthy: Some(healthy_checkers),
                    checkers_total: Some(CHECKERS as u32),
                    percent_healthy: Some(100.0 * f64::from(healthy_checkers) / CHECKERS as f64),
                })
            })
            .collect()
    }

    pub fn state_machine(&self) -> Option<StateMachineStatus> {
        let arn = self.pair.state_machine.clone()?;
        let mut executions = self.executions.clone();
        executions.sort_by_key(|execution| std::cmp::Reverse(execution.started_at));
        Some(StateMachineStatus { arn, executions })
    }
}

fn evaluate_alarm(alarm: &mut SimAlarm, value: Option<f64>, now: Timestamp) {
    let Some(value) = value.filter(|value| value.is_finite()) else {
        if alarm.state != AlarmState::InsufficientData {
            alarm.state = AlarmState::InsufficientData;
            alarm.since = now;
            alarm.reason =
                "Insufficient Data: the writer region publishes no replication lag".to_owned();
        }
        return;
    };
    let breaching = value > alarm.kind.threshold();
    let target = if breaching {
        AlarmState::Alarm
    } else {
        AlarmState::Ok
    };
    if alarm.state == target {
        alarm.streak = 0;
        return;
    }
    alarm.streak += 1;
    if alarm.streak >= ALARM_PERIODS || alarm.state == AlarmState::InsufficientData {
        alarm.state = target;
        alarm.since = now;
        alarm.streak = 0;
        let verb = if breaching {
            "breaching"
        } else {
            "not breaching"
        };
        alarm.reason = format!(
            "Threshold Crossed: {ALARM_PERIODS} datapoints were {verb} the threshold; latest: {}",
            alarm.kind.describe(value)
        );
    }
}
