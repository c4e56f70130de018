//! The built-in `demo` backend: a deterministic two-region simulator with fault injection.
//! Same seed, same estate; faults from `--scenario` or the fault menu change it from now on.

mod estate;
mod parity;
mod stacks;
mod stores;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use drtui_core::fault::{Fault, FaultControl, UnknownFault};
pub use estate::{CHECKERS, FAILURE_THRESHOLD, LAMBDA_FUNCTIONS, Simulation};

use drtui_core::calls::Operation;
use drtui_core::clock::Clock;
use drtui_core::config::RegionPair;
use drtui_core::model::{Role, Source, SourceData};
use drtui_core::ports::{
    ActBackend, ActOutcome, BackendError, BoxFuture, CallCounter, ChangePreview, Mutation,
    ROUTE53_CONTROL_REGION, Report, StatusBackend,
};

/// Who the simulator says drtui acts as: no AWS identity is involved.
pub const SIMULATED_IDENTITY: &str = "simulator (no AWS credentials used)";

/// How the simulator starts.
#[derive(Clone, Debug, PartialEq)]
pub struct SimOptions {
    pub seed: u64,
    /// Faults already running when drtui starts (from `--scenario`).
    pub scenario: Vec<Fault>,
    /// How much history exists before "now", so sparklines are full from the first frame.
    pub history: Duration,
    /// How long before "now" the scenario's faults began.
    pub scenario_age: Duration,
    /// Simulate API latency (5–25 ms per call); off in tests.
    pub latency: bool,
    /// Where runbook actions on the simulated estate are recorded (append-only JSONL, fsync
    /// per record) and replayed from, so the demo world survives a restart, a crash or a
    /// `kill -9` mid-runbook just as a real estate would.
    pub action_log: Option<std::path::PathBuf>,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            scenario: Vec::new(),
            history: Duration::from_secs(600),
            scenario_age: Duration::from_secs(300),
            latency: true,
            action_log: None,
        }
    }
}

/// A [`StatusBackend`] over a [`Simulation`], driven by a [`Clock`].
pub struct SimBackend {
    action_log: Option<std::path::PathBuf>,
    sim: Mutex<Simulation>,
    calls: CallCounter,
    clock: Arc<dyn Clock>,
    seed: u64,
    latency: bool,
    /// Fetches made per source (in `Source::all` order).
    attempts: Vec<std::sync::atomic::AtomicU64>,
}

impl SimBackend {
    pub fn new(pair: &RegionPair, clock: Arc<dyn Clock>, options: &SimOptions) -> Self {
        let now = clock.now();
        let history = chrono::Duration::from_std(options.history).unwrap_or_default();
        let scenario_age = chrono::Duration::from_std(options.scenario_age)
            .unwrap_or_default()
            .min(history);
        let mut sim = Simulation::new(pair, options.seed, now - history);
        sim.advance_to(now - scenario_age);
        for fault in &options.scenario {
            sim.set_fault(*fault, true);
        }
        let recorded = options
            .action_log
            .as_deref()
            .map(read_action_log)
            .unwrap_or_default();
        // Every recorded action is replayed, at its time or now if that lies ahead (another
        // process may have run the demo world faster, see DRTUI_DEMO_SPEED).
        let mut from_the_future = false;
        for record in &recorded {
            sim.advance_to(record.at.min(now));
            let _ = sim.apply(&record.mutation);
            from_the_future |= record.at > now;
        }
        sim.advance_to(now);
        // Actions recorded ahead of now ran on a faster clock, whose world has moved on: what
        // they started (a switchover, an execution, a stack update) has finished there.
        if from_the_future {
            sim.finish_pending_work();
        }
        Self {
            action_log: options.action_log.clone(),
            sim: Mutex::new(sim),
            calls: CallCounter::default(),
            clock,
            seed: options.seed,
            latency: options.latency,
            attempts: Source::all()
                .iter()
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Simulation> {
        self.sim
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A copy of the simulation as of now (tests compare these for determinism).
    pub fn state(&self) -> Simulation {
        let mut sim = self.lock();
        sim.advance_to(self.clock.now());
        sim.clone()
    }
}

impl FaultControl for SimBackend {
    fn faults(&self) -> BTreeSet<Fault> {
        self.lock().faults().clone()
    }

    fn set_fault(&self, fault: Fault, active: bool) {
        let mut sim = self.lock();
        let now = self.clock.now();
        sim.advance_to(now);
        sim.set_fault(fault, active);
    }
}

/// One recorded runbook action on the simulated estate.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActionRecord {
    pub at: drtui_core::clock::Timestamp,
    #[serde(flatten)]
    pub mutation: Mutation,
    pub changed: bool,
    pub detail: String,
}

/// The demo's action log: every record that parses (a torn last line is ignored).
pub fn read_action_log(path: &std::path::Path) -> Vec<ActionRecord> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Appends one record as a line and waits until it is on disk (the file 0600, its directory
/// 0700): the demo world's memory of what it did, written before it is believed.
fn append_record(path: &std::path::Path, record: &ActionRecord) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let mut line = serde_json::to_string(record).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(line.as_bytes())?;
    file.sync_all()
}

impl ActBackend for SimBackend {
    fn act(&self, mutation: &Mutation) -> BoxFuture<'_, Result<ActOutcome, BackendError>> {
        self.act_reporting(mutation, std::sync::Arc::new(|_| {}))
    }

    fn preview(
        &self,
        mutation: &Mutation,
    ) -> BoxFuture<'_, Result<Option<ChangePreview>, BackendError>> {
        let preview = {
            let mut sim = self.lock();
            sim.advance_to(self.clock.now());
            // A hung region's CloudFormation answers nothing: one call timeout, as in `act`.
            if control_plane_hung(&sim, mutation) {
                Err(BackendError::Timeout(sim.pair().call_timeout))
            } else {
                sim.change_set(mutation)
                    .map(|found| found.map(|(preview, _)| preview))
                    .map_err(BackendError::Refused)
            }
        };
        Box::pin(async move { preview })
    }

    /// Stops an execution the run started (the one mutation that would go on alone).
    fn abandon(
        &self,
        mutation: &Mutation,
    ) -> BoxFuture<'_, Result<Option<ActOutcome>, BackendError>> {
        let result = match mutation {
            Mutation::StartExecution { name } => {
                let mut sim = self.lock();
                sim.advance_to(self.clock.now());
                if control_plane_hung(&sim, mutation) {
                    Err(BackendError::Timeout(sim.pair().call_timeout))
                } else {
                    let stopped = sim.stop_execution(name).map_err(BackendError::Refused);
                    if stopped.is_ok() {
                        self.calls
                            .record(drtui_core::calls::Operation::StopExecution);
                    }
                    stopped.map(|detail| {
                        Some(ActOutcome {
                            changed: true,
                            detail,
                        })
                    })
                }
            }
            _ => Ok(None),
        };
        Box::pin(async move { result })
    }

    /// Applies the mutation with its record, then waits like the AWS backend for what takes
    /// time (an execution, a stack), reporting the stack's events as they happen.
    fn act_reporting(
        &self,
        mutation: &Mutation,
        report: Report,
    ) -> BoxFuture<'_, Result<ActOutcome, BackendError>> {
        let result = self.apply_recorded(mutation);
        let mutation = mutation.clone();
        Box::pin(async move {
            let mut outcome = result?;
            match &mutation {
                // StartExecution waits for the execution to end, as the AWS backend does.
                Mutation::StartExecution { name } => {
                    self.execution_ended(name).await?;
                    outcome.detail = format!("{}; SUCCEEDED", outcome.detail);
                }
                Mutation::DeployStack { stack, .. } if outcome.changed => {
                    let status = self.stack_settled(stack, &report).await?;
                    report(format!("{stack} AWS::CloudFormation::Stack {status}"));
                    outcome.detail = format!("stack {stack} {status}: {}", outcome.detail);
                }
                _ => {}
            }
            Ok(outcome)
        })
    }
}

impl SimBackend {
    /// Applies a mutation at once without waiting for what it starts: someone else acting
    /// from the console (an execution started by hand, say).
    ///
    /// # Errors
    /// When the simulated estate refuses it.
    pub fn apply_by_hand(&self, mutation: &Mutation) -> Result<ActOutcome, BackendError> {
        self.apply_recorded(mutation)
    }

    /// The mutation applied now, and recorded first when the demo keeps an action log: if the
    /// demo world cannot write down what it did, it undoes it and refuses, so a resume never
    /// believes in an action that is lost. A hung region's control plane answers nothing.
    fn apply_recorded(&self, mutation: &Mutation) -> Result<ActOutcome, BackendError> {
        let mut sim = self.lock();
        sim.advance_to(self.clock.now());
        let at = sim.now();
        if control_plane_hung(&sim, mutation) {
            return Err(BackendError::Timeout(sim.pair().call_timeout));
        }
        let before = sim.clone();
        let outcome = sim.apply(mutation).map_err(BackendError::Refused)?;
        // The call that changes the estate is made only when something changes, as on AWS.
        if outcome.changed {
            self.calls.record(mutation.call());
        }
        if let Some(path) = &self.action_log {
            let record = ActionRecord {
                at,
                mutation: mutation.clone(),
                changed: outcome.changed,
                detail: outcome.detail.clone(),
            };
            if let Err(error) = append_record(path, &record) {
                *sim = before;
                return Err(BackendError::Refused(format!(
                    "cannot record the demo action in {}: {error}; nothing was changed",
                    path.display()
                )));
            }
        }
        Ok(outcome)
    }

    /// Waits (in simulated seconds) until the execution ends; anything but success fails.
    async fn execution_ended(&self, name: &str) -> Result<(), BackendError> {
        loop {
            let status = {
                let mut sim = self.lock();
                sim.advance_to(self.clock.now());
                sim.execution_status(name)
            };
            match status.as_deref() {
                Some("RUNNING") => {
                    // A simulated second may pass at once (a fast clock): let the run see
                    // its deadline between them.
                    tokio::task::yield_now().await;
                    self.clock.sleep(Duration::from_secs(1)).await;
                }
                Some("SUCCEEDED") => return Ok(()),
                other => {
                    return Err(BackendError::Refused(format!(
                        "execution {name} ended {}",
                        other.unwrap_or("missing")
                    )));
                }
            }
        }
    }

    /// Follows a deploying stack, reporting its resource events as they happen, until it
    /// settles; its final status, or how it failed.
    async fn stack_settled(
        &self,
        stack: &str,
        report: &Report,
    ) -> Result<&'static str, BackendError> {
        let created = self.lock().deployment_creates(stack);
        loop {
            let (updating, events) = {
                let mut sim = self.lock();
                sim.advance_to(self.clock.now());
                let updating = sim.stack_updating(stack);
                let batch = if updating {
                    STACK_EVENTS_PER_S
                } else {
                    usize::MAX
                };
                (updating, sim.take_stack_events(stack, batch))
            };
            for event in events {
                report(event);
            }
            if !updating {
                break;
            }
            // A simulated second may pass at once (a fast clock): let the caller see the
            // events written so far before the next.
            tokio::task::yield_now().await;
            self.clock.sleep(Duration::from_secs(1)).await;
        }
        if let Some(failed) = self.lock().failed_deploy(stack).cloned() {
            return Err(BackendError::Refused(drtui_core::ports::stack_failure(
                stack,
                &failed.status,
                Some(&failed.failure),
                &failed.rollback,
            )));
        }
        Ok(if created {
            "CREATE_COMPLETE"
        } else {
            "UPDATE_COMPLETE"
        })
    }
}

/// How many resource events a deploying demo stack writes per (simulated) second.
const STACK_EVENTS_PER_S: usize = 3;

/// Whether the control plane a mutation needs is in a hung region (it answers nothing).
fn control_plane_hung(sim: &Simulation, mutation: &Mutation) -> bool {
    control_plane_of(sim.pair(), mutation).is_some_and(|role| sim.has(Fault::HungRegion(role)))
}

/// The region whose control plane a mutation needs.
fn control_plane_of(pair: &RegionPair, mutation: &Mutation) -> Option<Role> {
    match mutation {
        Mutation::SetWeights { .. } => answering_role(pair, Source::Dns),
        Mutation::AuroraSwitchover { target } | Mutation::AuroraFailover { target, .. } => {
            Some(*target)
        }
        Mutation::StartExecution { .. } => answering_role(pair, Source::StateMachine),
        Mutation::DeployStack { role, .. } | Mutation::AlarmActions { role, .. } => Some(*role),
        Mutation::DataPlaneLever { .. } => Some(Role::Secondary),
    }
}

/// The region whose API answers for a source, if it is one of the pair's.
fn answering_role(pair: &RegionPair, source: Source) -> Option<Role> {
    let role_of = |region: &str| {
        Role::BOTH
            .into_iter()
            .find(|&role| pair.region(role) == region)
    };
    match source {
        Source::Aurora(role)
        | Source::Metrics(role)
        | Source::Alarms(role)
        | Source::Stacks(role)
        | Source::Parity(role) => Some(role),
        // Asked of the secondary first, the side that must answer during a primary outage
        // (`fetch` asks the primary too when it does not).
        Source::GlobalCluster => Some(Role::Secondary),
        Source::Dns | Source::HealthChecks => role_of(ROUTE53_CONTROL_REGION),
        Source::StateMachine => pair
            .state_machine
            .as_deref()
            .and_then(drtui_core::arn::region)
            .and_then(role_of),
        Source::Identity => Some(Role::Primary),
        // Tables asked of the secondary (its replica lists both); secrets of the primary,
        // which the estate handles itself (`Simulation::replicas`).
        Source::Replicas => Some(Role::Secondary),
        // IAM is global, answered from us-east-1.
        Source::Permissions => role_of("us-east-1"),
    }
}

/// The AWS call a source stands for, so the simulator's call counts read like the real ones.
/// Health checks ride in the us-east-1 `GetMetricData` call and cost nothing of their own.
fn nominal_call(source: Source) -> Option<Operation> {
    match source {
        Source::Aurora(_) => Some(Operation::DescribeDbClusters),
        Source::Metrics(_) => Some(Operation::GetMetricData),
        Source::Alarms(_) => Some(Operation::DescribeAlarms),
        Source::Stacks(_) => Some(Operation::DescribeStacks),
        Source::GlobalCluster => Some(Operation::DescribeGlobalClusters),
        Source::Dns => Some(Operation::ListResourceRecordSets),
        Source::StateMachine => Some(Operation::ListExecutions),
        Source::Replicas => Some(Operation::DescribeTable),
        Source::Parity(_) => Some(Operation::GetFunction),
        Source::Permissions => Some(Operation::SimulatePrincipalPolicy),
        Source::HealthChecks | Source::Identity => None,
    }
}

fn is_control_plane(source: Source) -> bool {
    !matches!(source, Source::Metrics(_) | Source::Alarms(_))
}

impl StatusBackend for SimBackend {
    fn fetch(&self, source: Source) -> BoxFuture<'_, Result<SourceData, BackendError>> {
        let (data, hung, throttled, latency) = {
            let mut sim = self.lock();
            sim.advance_to(self.clock.now());
            let role = answering_role(sim.pair(), source);
            let mut hung = role.is_some_and(|role| sim.has(Fault::HungRegion(role)));
            // The global cluster is asked of the primary too when the secondary does not
            // answer, as on AWS: it is unknown only when neither region answers.
            let hedged = source == Source::GlobalCluster && hung;
            if hedged {
                hung = sim.has(Fault::HungRegion(Role::Primary));
            }
            // Per-call randomness is derived from the call, not drawn from the estate's
            // generator, so concurrent fetches in any order leave the estate identical.
            // The attempt count makes a retry within the same second draw anew.
            let call_index = Source::all().iter().position(|s| *s == source).unwrap_or(0);
            let attempt = self.attempts.get(call_index).map_or(0, |count| {
                count.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            });
            let mut call_rng = ChaCha8Rng::seed_from_u64(
                self.seed
                    ^ ((call_index as u64) << 40)
                    ^ (attempt << 48)
                    ^ sim.now().timestamp() as u64,
            );
            let throttled = sim.has(Fault::ThrottledControlPlane)
                && is_control_plane(source)
                && call_rng.random::<f64>() < 0.5;
            let latency = Duration::from_millis(call_rng.random_range(5..25));
            let data = match source {
                Source::Aurora(role) => SourceData::Aurora(sim.aurora(role)),
                Source::Metrics(role) => SourceData::Metrics(sim.metrics(role)),
                Source::Alarms(role) => SourceData::Alarms(sim.alarms(role)),
                Source::Stacks(role) => SourceData::Stacks(sim.stacks(role)),
                Source::GlobalCluster => SourceData::GlobalCluster(sim.global_cluster()),
                Source::Dns => SourceData::Dns(sim.dns()),
                Source::HealthChecks => SourceData::HealthChecks(sim.health_checks()),
                Source::StateMachine => SourceData::StateMachine(sim.state_machine()),
                Source::Identity => SourceData::Identity(SIMULATED_IDENTITY.to_owned()),
                Source::Replicas => SourceData::Replicas(sim.replicas()),
                Source::Parity(role) => {
                    SourceData::Parity(parity::region(sim.pair(), role, |fault| sim.has(fault)))
                }
                Source::Permissions => {
                    let requests = drtui_core::permissions::operator_requests(sim.pair());
                    SourceData::Permissions(parity::permissions(&requests, |fault| sim.has(fault)))
                }
            };
            for _ in 0..1 + usize::from(hedged) {
                if let Some(operation) = nominal_call(source) {
                    self.calls.record(operation);
                }
            }
            (data, hung, throttled, latency)
        };
        let simulate_latency = self.latency;
        // A faster demo clock answers proportionally faster, as its timeouts are shorter.
        let latency = latency.div_f64(self.clock.speed().max(1.0));
        Box::pin(async move {
            if simulate_latency {
                tokio::time::sleep(latency).await;
            }
            if hung {
                std::future::pending::<()>().await;
            }
            if throttled {
                return Err(BackendError::Service {
                    code: "ThrottlingException".to_owned(),
                    message: "Rate exceeded".to_owned(),
                });
            }
            Ok(data)
        })
    }

    fn describe(&self) -> String {
        format!("simulator, seed {}", self.seed)
    }

    fn call_counts(&self) -> drtui_core::model::CallCounts {
        self.calls.snapshot()
    }

    fn simulate(
        &self,
        requests: Vec<drtui_core::permissions::AccessRequest>,
    ) -> BoxFuture<'_, Result<drtui_core::permissions::Permissions, BackendError>> {
        let (permissions, hung) = {
            let mut sim = self.lock();
            sim.advance_to(self.clock.now());
            self.calls.record(Operation::SimulatePrincipalPolicy);
            let hung = answering_role(sim.pair(), Source::Permissions)
                .is_some_and(|role| sim.has(Fault::HungRegion(role)));
            (parity::permissions(&requests, |fault| sim.has(fault)), hung)
        };
        Box::pin(async move {
            if hung {
                std::future::pending::<()>().await;
            }
            Ok(permissions)
        })
    }
}
