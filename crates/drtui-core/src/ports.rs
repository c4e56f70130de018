//! The ports the engine and the backends meet at: reads ([`StatusBackend`]), changes
//! ([`ActBackend`], [`Mutation`]), so the simulator and AWS are interchangeable.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::model::{CallCounts, Source, SourceData};

/// Route 53's control plane (and its health-check metrics) live here whatever the pair.
pub const ROUTE53_CONTROL_REGION: &str = "us-east-1";

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a fetch failed, as the backend saw it.
#[derive(Clone, Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum BackendError {
    #[error("timed out after {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error("{code}: {message}")]
    Service { code: String, message: String },
    #[error("cannot reach {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("{0}")]
    Refused(String),
    /// The credentials are missing, expired or rejected: not the region's fault.
    #[error("AWS credentials: {0}")]
    Credentials(String),
}

/// AWS error codes that mean the caller's credentials are expired or not accepted.
pub fn is_credentials_code(code: &str) -> bool {
    matches!(
        code,
        "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch"
            | "AuthFailure"
            | "MissingAuthenticationToken"
            | "IncompleteSignature"
    )
}

/// The code of a read that a process-wide budget had no room for within its timeout (Route
/// 53's reads, `route53_reads_per_second`): not the service failing, its turn not come yet.
pub const DEFERRED_CODE: &str = "Route53ReadBudget";

impl BackendError {
    /// A read deferred by a budget (see [`DEFERRED_CODE`]): the pollers keep the last answer,
    /// which ages, and ask again shortly.
    pub fn is_deferred(&self) -> bool {
        matches!(self, BackendError::Service { code, .. } if code == DEFERRED_CODE)
    }

    /// The service said "slow down": worth retrying after a short pause, unlike a timeout
    /// (a hung region) or a refusal.
    pub fn is_throttling(&self) -> bool {
        matches!(self, BackendError::Service { code, .. } if is_throttling_code(code))
    }

    /// The credentials failed, not the estate: nothing was learned about the region.
    pub fn is_credentials(&self) -> bool {
        matches!(self, BackendError::Credentials(_))
    }
}

/// AWS error codes that mean throttling, across the services drtui calls.
pub(crate) fn is_throttling_code(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "PriorRequestNotComplete"
            | "RequestThrottled"
            | "RequestThrottledException"
    )
}

/// The read side of a backend: one call per source.
pub trait StatusBackend: Send + Sync {
    /// Fetches one source. May never complete (a hung region); callers bound it with a timeout.
    fn fetch(&self, source: Source) -> BoxFuture<'_, Result<SourceData, BackendError>>;

    /// One line for the header: what is answering ("simulator, seed 42", "AWS ...").
    fn describe(&self) -> String;

    /// Every API call made so far, by service and operation.
    fn call_counts(&self) -> CallCounts;

    /// Whether the caller may make `requests` (IAM's policy simulator): the permission
    /// preflight of `plan`, `run` and `resume`, and the dashboard's `operator_permissions`.
    /// A simulation that cannot be made is `Simulation::Unknown`, not an error; a backend
    /// without a simulator (a test's) says so.
    fn simulate(
        &self,
        requests: Vec<crate::permissions::AccessRequest>,
    ) -> BoxFuture<'_, Result<crate::permissions::Permissions, BackendError>> {
        let _ = requests;
        let reason = format!("{} has no policy simulator", self.describe());
        Box::pin(async move {
            Ok(crate::permissions::Permissions {
                principal: None,
                answer: crate::permissions::Simulation::Unknown { reason },
            })
        })
    }
}

pub use crate::mutation::Mutation;

/// What an applied mutation did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActOutcome {
    /// False when live state already matched and nothing was called.
    pub changed: bool,
    pub detail: String,
}

/// One resource a change set would touch.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResourceChange {
    /// `Add`, `Modify`, `Remove` (CloudFormation's words).
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// `True`, `False` or `Conditional` for a Modify; empty otherwise.
    #[serde(default)]
    pub replacement: String,
}

impl ResourceChange {
    /// Whether the change destroys something: a removal or a replacement (a new physical
    /// resource; the old one and its data go).
    pub fn destroys(&self) -> bool {
        self.action == "Remove" || matches!(self.replacement.as_str(), "True" | "Conditional")
    }

    /// One line for gates, plans and the journal: `Modify Cluster (AWS::RDS::DBCluster), REPLACES`.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} {} ({})",
            self.action, self.logical_id, self.resource_type
        );
        match self.replacement.as_str() {
            "True" => line.push_str(", REPLACES it"),
            "Conditional" => line.push_str(", may REPLACE it"),
            _ => {}
        }
        line
    }
}

/// What a deployment would do, before anything is executed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangePreview {
    /// False when the stack does not exist yet (the change set creates it).
    pub exists: bool,
    pub changes: Vec<ResourceChange>,
}

impl ChangePreview {
    pub fn destroys(&self) -> bool {
        self.changes.iter().any(ResourceChange::destroys)
    }
}

/// How a deployment that did not settle is reported, by every backend: the stack's end state,
/// the first resource that failed (event line with its reason) and what the rollback did.
pub fn stack_failure(
    stack: &str,
    status: &str,
    first_failure: Option<&str>,
    rollback: &[String],
) -> String {
    format!(
        "stack {stack} ended {status}; failed: {}; rolled back: {}",
        first_failure.unwrap_or("no resource event said why"),
        match rollback.last() {
            Some(last) => format!("{} events, last {last}", rollback.len()),
            None => "nothing".to_owned(),
        }
    )
}

/// Where an action reports what it sees while it works (stack events), one line at a time.
pub type Report = std::sync::Arc<dyn Fn(String) + Send + Sync>;

/// The act side of a backend: the only way a runbook changes the estate.
pub trait ActBackend: Send + Sync {
    fn act(&self, mutation: &Mutation) -> BoxFuture<'_, Result<ActOutcome, BackendError>>;

    /// What the mutation would change, for those that can say before acting (a stack's change
    /// set); `None` for the others.
    fn preview(
        &self,
        _mutation: &Mutation,
    ) -> BoxFuture<'_, Result<Option<ChangePreview>, BackendError>> {
        Box::pin(async { Ok(None) })
    }

    /// Abandons a mutation that failed or did not finish in time and would otherwise go on
    /// alone (an execution: `StopExecution`), returning what it found; `None` when there is
    /// nothing to abandon.
    fn abandon(
        &self,
        _mutation: &Mutation,
    ) -> BoxFuture<'_, Result<Option<ActOutcome>, BackendError>> {
        Box::pin(async { Ok(None) })
    }

    /// `act`, reporting progress (stack events) through `report` as it goes.
    fn act_reporting(
        &self,
        mutation: &Mutation,
        _report: Report,
    ) -> BoxFuture<'_, Result<ActOutcome, BackendError>> {
        self.act(mutation)
    }
}

/// Refuses every mutation: `--read-only` enforced where actions are performed, not only in
/// the UI.
pub struct ReadOnly;

impl ActBackend for ReadOnly {
    fn act(&self, mutation: &Mutation) -> BoxFuture<'_, Result<ActOutcome, BackendError>> {
        let call = mutation.call();
        Box::pin(async move {
            Err(BackendError::Service {
                code: "ReadOnly".to_owned(),
                message: format!("--read-only refuses {call}"),
            })
        })
    }
}

/// A thread-safe tally of API calls, for the status JSON and the debug panel.
#[derive(Debug, Default)]
pub struct CallCounter {
    counts: std::sync::Mutex<CallCounts>,
}

impl CallCounter {
    pub fn record(&self, operation: crate::calls::Operation) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts
            .entry(operation.service().sdk_name().to_owned())
            .or_default()
            .entry(operation.name().to_owned())
            .or_default() += 1;
    }

    pub fn snapshot(&self) -> CallCounts {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Who holds a pair's run lock: written into the lock (file or table item) and shown to
/// anyone refused.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holder {
    pub run_id: String,
    pub operator: String,
    pub host: String,
    pub pid: u32,
    pub since: String,
    /// The holder process's start time (clock ticks since boot, from /proc), when known.
    #[serde(default)]
    pub pid_start: Option<u64>,
    /// Set while the run is paused in a dashboard that keeps the pair (when it paused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_since: Option<String>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "run {} of {} (pid {} on {}, since {})",
            crate::text::sanitize(&self.run_id),
            crate::text::sanitize(&self.operator),
            self.pid,
            crate::text::sanitize(&self.host),
            crate::text::sanitize(&self.since)
        )?;
        if let Some(paused) = &self.paused_since {
            write!(
                f,
                ", PAUSED since {} in its dashboard (R there resumes it; quitting that dashboard releases the pair)",
                crate::text::sanitize(paused),
            )?;
        }
        Ok(())
    }
}

/// Why the cross-machine lock was not taken (or kept).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RemoteLockError {
    #[error("pair `{}` is locked in {table} by {holder}; {}", pair.pair, pair.when_held(&holder.run_id))]
    Held {
        pair: Box<crate::commands::PairCommands>,
        table: String,
        holder: Box<Holder>,
    },
    #[error("the lock table {table} cannot be used: {message}")]
    Unavailable { table: String, message: String },
    /// The table does not exist (a new account, before `provision` creates it).
    #[error(
        "the pair's lock_table, {table}, does not exist: `provision` creates it, or remove lock_table from the pair"
    )]
    Missing { table: String },
}

/// The pair's lock shared by every machine (a DynamoDB table on AWS): taken with a lease the
/// holder renews while it runs, so a holder that dies frees it when the lease expires.
pub trait RemoteLock: Send + Sync {
    /// Takes the lock for `holder.run_id`, or says who holds it.
    fn acquire(&self, holder: &Holder) -> BoxFuture<'_, Result<(), RemoteLockError>>;
    /// Extends the lease; fails when the lock is no longer this run's.
    fn renew(&self, run_id: &str) -> BoxFuture<'_, Result<(), RemoteLockError>>;
    /// Gives the lock up if it is still this run's.
    fn release(&self, run_id: &str) -> BoxFuture<'_, Result<(), RemoteLockError>>;
    /// The holder and whether its lease is still running.
    fn show(&self) -> BoxFuture<'_, Result<Option<(Holder, bool)>, RemoteLockError>>;
    /// Removes the lock whoever holds it; returns who did.
    fn force_break(&self) -> BoxFuture<'_, Result<Option<Holder>, RemoteLockError>>;
    /// Where the lock lives, for messages (`table in region`).
    fn describe(&self) -> String;
    /// How often the holder renews.
    fn renew_every(&self) -> Duration;
}
