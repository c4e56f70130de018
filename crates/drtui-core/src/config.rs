//! Region pairs: the built-in `demo` pair and pairs defined in a TOML file.
//!
//! Every error names the file, line and column, and suggests the closest known key.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::model::Role;

/// The name of the built-in simulated pair.
pub const DEMO_PAIR: &str = "demo";

/// Which implementation answers for a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Simulator,
    Aws,
}

/// Where a pair was defined, for `drtui pairs` and error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PairOrigin {
    BuiltIn,
    File { path: PathBuf, line: usize },
}

impl std::fmt::Display for PairOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PairOrigin::BuiltIn => f.write_str("built-in"),
            PairOrigin::File { path, line } => write!(f, "{}:{line}", path.display()),
        }
    }
}

/// Where the AWS APIs answer: the real endpoints (None), one URL for every region (an
/// emulator), or one per region (so a test can put a broken proxy in front of one region).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum EndpointUrl {
    All(String),
    PerRegion(BTreeMap<String, String>),
}

impl EndpointUrl {
    pub fn for_region(&self, region: &str) -> Option<&str> {
        match self {
            EndpointUrl::All(url) => Some(url),
            EndpointUrl::PerRegion(urls) => urls.get(region).map(String::as_str),
        }
    }

    fn urls(&self) -> Vec<&str> {
        match self {
            EndpointUrl::All(url) => vec![url],
            EndpointUrl::PerRegion(urls) => urls.values().map(String::as_str).collect(),
        }
    }
}

/// Route 53 reads a second a process makes unless a pair asks for fewer.
pub const DEFAULT_ROUTE53_READS_PER_SECOND: f64 = 1.0;

/// One primary/secondary region pair and the ids of the estate it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionPair {
    pub name: String,
    pub origin: PairOrigin,
    pub backend: BackendKind,
    pub primary: String,
    pub secondary: String,
    pub profile: Option<String>,
    pub endpoint_url: Option<EndpointUrl>,
    pub global_cluster: String,
    pub clusters: BTreeMap<String, String>,
    pub hosted_zone_id: String,
    pub record_name: String,
    pub set_identifiers: BTreeMap<String, String>,
    pub health_checks: BTreeMap<String, String>,
    pub state_machine: Option<String>,
    pub alarm_prefix: String,
    pub stacks: BTreeMap<String, Vec<String>>,
    /// API Gateway `ApiName` per region, for the API metrics.
    pub api_names: BTreeMap<String, String>,
    /// The Lambda functions per region, for the Lambda metrics.
    pub lambda_functions: BTreeMap<String, Vec<String>>,
    /// The DynamoDB global tables (one name, a replica in each region): their replication
    /// latency in both directions is data at risk beside Aurora's lag.
    pub dynamodb_tables: Vec<String>,
    /// The S3 buckets replicated between the regions, one entry per direction.
    pub replicated_buckets: Vec<ReplicatedBucket>,
    /// Secrets (name or ARN) in the primary, replicated to the secondary: a replica not in
    /// sync blocks the secondary's logins.
    pub replicated_secrets: Vec<String>,
    /// How often the replicas' statuses (DynamoDB `DescribeTable`, Secrets Manager
    /// `DescribeSecret`, billed per call) are read: they change slowly.
    pub replicas_interval: Duration,
    /// The SSM path whose parameters must match between the regions (`/payment-dr/prod/`;
    /// each region's are under it with its role word).
    pub parameter_path: Option<String>,
    /// How often the regions' parity (code, capacity, configuration) and the operator's
    /// permissions are read: they change slowly, and on demand from the dashboard.
    pub parity_interval: Duration,
    pub poll_interval: Duration,
    /// How often CloudWatch metrics (and the Route 53 health-check metrics riding with them)
    /// are fetched, aligned to the interval's boundaries: they have one-minute resolution, so
    /// fetching them faster re-reads the same datapoints and only adds cost.
    pub metrics_interval: Duration,
    pub rpo_budget: Duration,
    /// The most data at risk a data-loss action may be approved with (default: the RPO
    /// budget): beyond it, or unknown, playback stops at the gate even with `--approve-all`,
    /// and the TUI asks for the pair name plus `accept`.
    pub max_data_loss: Duration,
    /// Bound on one API call, retries included: what a hung region costs per poll.
    pub call_timeout: Duration,
    pub connect_timeout: Duration,
    /// Attempts per call in the SDK's standard retry mode (1 = no retry).
    pub max_attempts: u32,
    /// The data-plane traffic lever in the secondary, when the estate has one.
    pub traffic_lever: Option<TrafficLever>,
    /// Approvals older than this are asked again on `resume`.
    pub approval_window: Duration,
    /// The DynamoDB table (partition key `LockID`, string) holding the pair's run lock across
    /// machines; without it the lock is this machine's state dir only.
    pub lock_table: Option<String>,
    /// Whether the dashboards of a crowd share one poller through the lock table: one process
    /// polls AWS and writes each snapshot there, the others read it.
    pub share: bool,
    /// Route 53 reads a second this process may make (Route 53 allows five per account, for
    /// every caller, the failover's own changes included); the lowest any open pair asks for.
    pub route53_reads_per_second: f64,
    /// Which of the pair's sides holds the lock table (default: the secondary, the region a
    /// failover runs towards).
    pub lock_role: Role,
    /// Which estate this is, shown loud on every screen and in gate prompts ("production").
    pub environment: Option<String>,
    /// The suffix of every name in the estate's templates (`EnvironmentSuffix`, e.g. "prod"):
    /// what `provision` passes to them.
    pub environment_suffix: Option<String>,
    /// The colour of that label (default red), so two estates differ at a glance.
    pub color: Option<PairColor>,
    /// How the command line reached this pair (set by the binary): printed commands repeat it.
    pub reach: crate::commands::Reach,
}

/// One S3 replication rule: objects written to `source` are copied to `destination` by rule
/// `rule_id` (its replication metrics, or Replication Time Control, must be on for drtui to read
/// its backlog).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplicatedBucket {
    pub source: String,
    pub destination: String,
    pub rule_id: String,
    /// The source bucket's region, where S3 publishes the rule's metrics. Without it they are
    /// asked in both regions (twice the metrics).
    #[serde(default)]
    pub from: Option<String>,
}

impl ReplicatedBucket {
    /// A rule each way between two buckets (`to-secondary`, `to-primary`), as the demo has.
    pub fn both_ways(buckets: [&str; 2], regions: [&str; 2]) -> Vec<Self> {
        let rule = |from: usize, rule_id: &str| ReplicatedBucket {
            source: buckets[from].to_owned(),
            destination: buckets[1 - from].to_owned(),
            rule_id: rule_id.to_owned(),
            from: Some(regions[from].to_owned()),
        };
        vec![rule(0, "to-secondary"), rule(1, "to-primary")]
    }

    /// Whether the rule's metrics are asked in `region`.
    pub fn read_in(&self, region: &str) -> bool {
        self.from.as_deref().is_none_or(|from| from == region)
    }
}

/// A pair's colour in the header (with `NO_COLOR`, the label stays as text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PairColor {
    Red,
    Yellow,
    Green,
    Blue,
    Magenta,
    Cyan,
}

/// A data-plane way to move traffic that the secondary region controls: a custom metric in the
/// secondary, an alarm on it, a CloudWatch-alarm health check on that alarm, and a calculated
/// health check on the primary's weighted record that also requires that one to be healthy.
/// `PutMetricData` of 1 trips the alarm, the primary's record turns unhealthy and Route 53's
/// data plane answers with the secondary — no call to Route 53's control plane (us-east-1).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrafficLever {
    /// The alarm (in the secondary) whose ALARM state withdraws the primary's record.
    pub alarm: String,
    pub namespace: String,
    pub metric: String,
}

impl TrafficLever {
    /// The reference estate's lever for an environment suffix (the route53 template's names).
    pub(crate) fn for_environment(alarm_prefix: &str) -> Self {
        Self {
            alarm: format!("{alarm_prefix}-primary-traffic-off"),
            namespace: "PaymentDR/Failover".to_owned(),
            metric: "PrimaryTrafficOff".to_owned(),
        }
    }
}

impl RegionPair {
    pub fn region(&self, role: Role) -> &str {
        match role {
            Role::Primary => &self.primary,
            Role::Secondary => &self.secondary,
        }
    }

    pub fn cluster(&self, role: Role) -> &str {
        self.clusters
            .get(self.region(role))
            .map(String::as_str)
            .unwrap_or_default()
    }

    pub fn lambda_functions_in(&self, role: Role) -> &[String] {
        self.lambda_functions
            .get(self.region(role))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn stacks_in(&self, role: Role) -> &[String] {
        self.stacks
            .get(self.region(role))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Data older than this is shown as stale: three missed polls, and never less than a
    /// poll plus a call timeout (counted from when the answer arrived), so a fast region's
    /// answer is still fresh when a hung region's call gives up in the same poll.
    pub fn stale_after(&self) -> Duration {
        (self.poll_interval * 3).max(self.poll_interval + self.call_timeout)
    }

    /// A pair with regions and defaults only: what `discover` starts from.
    pub fn skeleton(name: &str, primary: &str, secondary: &str) -> Self {
        let mut pair = Self::demo();
        pair.name = name.to_owned();
        pair.origin = PairOrigin::BuiltIn;
        pair.backend = BackendKind::Aws;
        pair.primary = primary.to_owned();
        pair.secondary = secondary.to_owned();
        pair.poll_interval = Duration::from_secs(5);
        pair.metrics_interval = Duration::from_secs(60);
        pair.traffic_lever = None;
        pair.dynamodb_tables = Vec::new();
        pair.replicated_buckets = Vec::new();
        pair.replicated_secrets = Vec::new();
        pair.replicas_interval = Duration::from_secs(300);
        pair.parameter_path = None;
        pair.parity_interval = Duration::from_secs(600);
        pair.lambda_functions = BTreeMap::new();
        pair
    }

    /// The commands drtui prints for this pair, as the command line reached it.
    pub fn commands(&self) -> crate::commands::PairCommands {
        crate::commands::PairCommands {
            pair: self.name.clone(),
            reach: self.reach.clone(),
        }
    }

    /// What the readiness verdict measures this pair against.
    pub fn policy(&self) -> crate::readiness::Policy {
        crate::readiness::Policy {
            commands: self.commands(),
            stores: crate::stores::Configured {
                global_cluster: self.global_cluster.clone(),
                dynamodb_tables: self.dynamodb_tables.clone(),
                replicated_buckets: self.replicated_buckets.clone(),
                replicated_secrets: self.replicated_secrets.clone(),
            },
            rpo_budget: self.rpo_budget,
            stale_after: self.stale_after(),
            state_machine_configured: self.state_machine.is_some(),
            lever_alarm: self.traffic_lever.as_ref().map(|lever| lever.alarm.clone()),
            expected: crate::observability::Expected {
                alarm_prefix: self.alarm_prefix.clone(),
                api_names: self.api_names.clone(),
                lambda_functions: self.lambda_functions.clone(),
                lever_alarm: self.traffic_lever.as_ref().map(|lever| lever.alarm.clone()),
            },
        }
    }

    /// How long a value of `source` stays fresh: three of its own refresh intervals.
    pub(crate) fn stale_after_of(&self, source: crate::model::Source) -> Duration {
        use crate::model::Pace;
        match source.pace() {
            Pace::Poll => self.stale_after(),
            Pace::Metrics => self.stale_after().max(self.metrics_interval * 3),
            Pace::Replicas => self.stale_after().max(self.replicas_interval * 3),
            Pace::Parity => self.stale_after().max(self.parity_interval * 3),
        }
    }

    /// A snapshot of this pair before anything has been fetched.
    pub fn empty_snapshot(&self) -> crate::model::Snapshot {
        let mut snapshot = crate::model::Snapshot::new(
            &self.name,
            crate::model::RegionStatus::new(
                &self.primary,
                Role::Primary,
                self.cluster(Role::Primary),
            ),
            crate::model::RegionStatus::new(
                &self.secondary,
                Role::Secondary,
                self.cluster(Role::Secondary),
            ),
        );
        let metrics_fresh = self.stale_after_of(crate::model::Source::HealthChecks);
        for region in &mut snapshot.regions {
            region.metrics.fresh_for_at_least = metrics_fresh;
        }
        snapshot.health_checks.fresh_for_at_least = metrics_fresh;
        snapshot.replicas.fresh_for_at_least = self.stale_after_of(crate::model::Source::Replicas);
        let parity_fresh = self.stale_after_of(crate::model::Source::Permissions);
        for region in &mut snapshot.regions {
            region.parity.fresh_for_at_least = parity_fresh;
        }
        snapshot.permissions.fresh_for_at_least = parity_fresh;
        snapshot
    }

    pub fn is_demo(&self) -> bool {
        self.backend == BackendKind::Simulator
    }

    /// The built-in simulated pair: the reference estate with `environmentSuffix=demo`.
    pub fn demo() -> Self {
        let (primary, secondary) = ("us-east-1", "us-east-2");
        let per_region = |p: &str, s: &str| {
            BTreeMap::from([
                (primary.to_owned(), p.to_owned()),
                (secondary.to_owned(), s.to_owned()),
            ])
        };
        let stacks_for = |side: &str| {
            let kinds = ["Vpc", "Database", "Lambda", "Api"].into_iter().chain([
                "Storage",
                "Monitoring",
                "Parameters",
            ]);
            kinds
                .map(|kind| format!("PaymentDR-{kind}-{side}-demo"))
                .collect::<Vec<_>>()
        };
        let mut stacks = BTreeMap::from([
            (primary.to_owned(), stacks_for("primary")),
            (secondary.to_owned(), stacks_for("secondary")),
        ]);
        if let Some(list) = stacks.get_mut(primary) {
            list.extend([
                "PaymentDR-Route53-demo".to_owned(),
                "PaymentDR-Failover-demo".to_owned(),
            ]);
        }
        Self {
            name: DEMO_PAIR.to_owned(),
            origin: PairOrigin::BuiltIn,
            backend: BackendKind::Simulator,
            primary: primary.to_owned(),
            secondary: secondary.to_owned(),
            profile: None,
            endpoint_url: None,
            global_cluster: "payment-global-demo".to_owned(),
            clusters: per_region("payment-primary-demo", "payment-secondary-demo"),
            hosted_zone_id: "Z0DEMO00000000000001".to_owned(),
            record_name: "api.payments-demo.example.com".to_owned(),
            set_identifiers: per_region("primary", "secondary"),
            health_checks: per_region("hc-demo-primary-api", "hc-demo-secondary-api"),
            state_machine: Some(
                "arn:aws:states:us-east-1:000000000000:stateMachine:PaymentDR-failover-demo"
                    .to_owned(),
            ),
            alarm_prefix: "PaymentDR-demo".to_owned(),
            stacks,
            api_names: per_region("payment-api-primary-demo", "payment-api-secondary-demo"),
            lambda_functions: demo_functions(primary, secondary),
            dynamodb_tables: vec!["payment-transactions-demo".to_owned()],
            replicated_buckets: ReplicatedBucket::both_ways(
                [
                    "payment-documents-primary-demo",
                    "payment-documents-secondary-demo",
                ],
                [primary, secondary],
            ),
            replicated_secrets: vec!["payment-db-credentials-demo".to_owned()],
            replicas_interval: Duration::from_secs(10),
            parameter_path: Some("/payment-dr/demo/".to_owned()),
            parity_interval: Duration::from_secs(30),
            poll_interval: Duration::from_secs(2),
            // The simulator's figures change every 5 s (its metric period): cost is no issue.
            metrics_interval: Duration::from_secs(5),
            rpo_budget: Duration::from_secs(10),
            max_data_loss: Duration::from_secs(10),
            call_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(2),
            max_attempts: 2,
            traffic_lever: Some(TrafficLever::for_environment("PaymentDR-demo")),
            approval_window: Duration::from_secs(15 * 60),
            lock_table: None,
            share: false,
            route53_reads_per_second: DEFAULT_ROUTE53_READS_PER_SECOND,
            lock_role: Role::Secondary,
            environment: None,
            environment_suffix: Some("demo".to_owned()),
            color: None,
            reach: crate::commands::Reach::default(),
        }
    }
}

/// Errors at the config seam; every variant is bad input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unknown region pair `{name}`; known pairs: {}", known.join(", "))]
    UnknownPair { name: String, known: Vec<String> },
}

/// The pairs available to this invocation and the file they came from.
#[derive(Clone, Debug)]
pub struct PairCatalog {
    pub file: Option<PathBuf>,
    pub pairs: Vec<RegionPair>,
}

impl PairCatalog {
    pub fn get(&self, name: &str) -> Result<&RegionPair, ConfigError> {
        self.pairs
            .iter()
            .find(|pair| pair.name == name)
            .ok_or_else(|| ConfigError::UnknownPair {
                name: name.to_owned(),
                known: self.pairs.iter().map(|pair| pair.name.clone()).collect(),
            })
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// Region pairs by name (`demo` is built in and reserved).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, PairFile>")]
    pairs: BTreeMap<Spanned<String>, Spanned<PairFile>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct PairFile {
    #[schemars(with = "String")]
    primary: Spanned<String>,
    #[schemars(with = "String")]
    secondary: Spanned<String>,
    profile: Option<String>,
    #[schemars(with = "Option<EndpointUrl>")]
    endpoint_url: Option<Spanned<EndpointUrl>>,
    global_cluster: String,
    #[schemars(with = "BTreeMap<String, String>")]
    clusters: Spanned<BTreeMap<String, String>>,
    hosted_zone_id: String,
    record_name: String,
    #[schemars(with = "BTreeMap<String, String>")]
    set_identifiers: Spanned<BTreeMap<String, String>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    health_checks: Option<Spanned<BTreeMap<String, String>>>,
    state_machine: Option<String>,
    alarm_prefix: String,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    stacks: Option<Spanned<BTreeMap<String, Vec<String>>>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    api_names: Option<Spanned<BTreeMap<String, String>>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    lambda_functions: Option<Spanned<BTreeMap<String, Vec<String>>>>,
    /// The SSM path whose parameters must match between the regions.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    parameter_path: Option<Spanned<String>>,
    /// How often parity and the operator's permissions are read (default 10m).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    parity_interval: Option<Spanned<String>>,
    /// DynamoDB global tables whose replication is data at risk.
    #[serde(default)]
    dynamodb_tables: Vec<String>,
    /// Secrets in the primary replicated to the secondary (names or ARNs).
    #[serde(default)]
    replicated_secrets: Vec<String>,
    /// S3 replication rules, one per direction: `{ source, destination, rule_id, from }`.
    #[serde(default)]
    #[schemars(with = "Vec<ReplicatedBucket>")]
    replicated_buckets: Option<Spanned<Vec<ReplicatedBucket>>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    poll_interval: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    metrics_interval: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    rpo_budget: Option<Spanned<String>>,
    /// The most data at risk a data-loss action may be approved with (default: rpo_budget).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    max_data_loss: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    call_timeout: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    connect_timeout: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    max_attempts: Option<Spanned<u32>>,
    #[serde(default)]
    traffic_lever: Option<TrafficLever>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    approval_window: Option<Spanned<String>>,
    #[serde(default)]
    lock_table: Option<String>,
    /// Share one poller between the processes watching this pair (needs `lock_table`).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    share: Option<Spanned<bool>>,
    /// Route 53 reads a second this process may make (default 1, at most 5).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    route53_reads_per_second: Option<Spanned<f64>>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    environment_suffix: Option<String>,
    #[serde(default)]
    color: Option<PairColor>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    lock_region: Option<Spanned<String>>,
}

/// The config file being read: where its errors point.
struct ConfigText<'a> {
    text: &'a str,
    path: &'a Path,
}

impl ConfigText<'_> {
    /// An error at a byte span of the file, with its line and column.
    fn invalid(&self, span: Range<usize>, message: String) -> ConfigError {
        let (line, column) = line_column(self.text, span.start);
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            message,
        }
    }

    /// A humantime duration field, or its default when absent.
    fn duration(
        &self,
        field: &Option<Spanned<String>>,
        default: Duration,
        max: Duration,
    ) -> Result<Duration, ConfigError> {
        match field {
            None => Ok(default),
            Some(value) => crate::limits::duration(value.get_ref(), max)
                .map_err(|message| self.invalid(value.span(), message)),
        }
    }
}

/// Parses the `[pairs.*]` tables of a config file.
pub fn parse_pairs(text: &str, path: &Path) -> Result<Vec<RegionPair>, ConfigError> {
    let source = ConfigText { text, path };
    let file: ConfigFile = toml::from_str(text).map_err(|error| {
        source.invalid(
            error.span().unwrap_or(0..0),
            with_suggestion(error.message().trim_end()),
        )
    })?;
    file.pairs
        .into_iter()
        .map(|(name, pair)| region_pair(&source, name, pair.into_inner()))
        .collect()
}

/// One `[pairs.NAME]` table, each field checked where it is read, with its position.
fn region_pair(
    source: &ConfigText,
    name: Spanned<String>,
    pair: PairFile,
) -> Result<RegionPair, ConfigError> {
    let name_span = name.span();
    let name = name.into_inner();
    if name == DEMO_PAIR {
        return Err(source.invalid(
            name_span,
            format!("the pair name `{DEMO_PAIR}` is reserved for the built-in simulator"),
        ));
    }
    check_regions(source, &name, &pair)?;
    let primary = pair.primary.get_ref().clone();
    let secondary = pair.secondary.get_ref().clone();
    if let Some(endpoint) = &pair.endpoint_url {
        check_endpoint(source, &name, endpoint, [&primary, &secondary])?;
    }
    if let Some(attempts) = &pair.max_attempts
        && !(1..=10).contains(attempts.get_ref())
    {
        return Err(source.invalid(
            attempts.span(),
            "max_attempts must be between 1 and 10".to_owned(),
        ));
    }
    if let Some(rate) = &pair.route53_reads_per_second
        && !(rate.get_ref().is_finite() && *rate.get_ref() > 0.0 && *rate.get_ref() <= 5.0)
    {
        return Err(source.invalid(
            rate.span(),
            "route53_reads_per_second must be above 0 and at most 5 (Route 53 allows five requests a second per account, shared by every caller)".to_owned(),
        ));
    }
    if let Some(share) = &pair.share
        && *share.get_ref()
        && pair.lock_table.is_none()
    {
        return Err(source.invalid(
            share.span(),
            "share = true needs a `lock_table`: the shared snapshot and the poller's lease live there".to_owned(),
        ));
    }
    if let Some(buckets) = &pair.replicated_buckets
        && let Some(from) = buckets
            .get_ref()
            .iter()
            .filter_map(|bucket| bucket.from.as_deref())
            .find(|from| *from != primary && *from != secondary)
    {
        return Err(source.invalid(
            buckets.span(),
            format!(
                "replicated_buckets: from `{from}` is not one of the pair's regions ({primary}, {secondary})"
            ),
        ));
    }
    let lock_role = match &pair.lock_region {
        None => Role::Secondary,
        Some(region) if *region.get_ref() == primary => Role::Primary,
        Some(region) if *region.get_ref() == secondary => Role::Secondary,
        Some(region) => {
            return Err(source.invalid(
                region.span(),
                format!(
                    "lock_region `{}` is not one of the pair's regions ({primary}, {secondary})",
                    region.get_ref()
                ),
            ));
        }
    };
    let origin = PairOrigin::File {
        path: source.path.to_path_buf(),
        line: line_column(source.text, name_span.start).0,
    };
    build_pair(source, name, origin, lock_role, pair)
}

/// Both regions are region names, different, and every per-region table names both.
fn check_regions(source: &ConfigText, name: &str, pair: &PairFile) -> Result<(), ConfigError> {
    for field in [&pair.primary, &pair.secondary] {
        if !looks_like_region(field.get_ref()) {
            return Err(source.invalid(
                field.span(),
                format!(
                    "`{}` is not an AWS region name (expected e.g. us-east-1)",
                    field.get_ref()
                ),
            ));
        }
    }
    let (primary, secondary) = (pair.primary.get_ref(), pair.secondary.get_ref());
    if primary == secondary {
        return Err(source.invalid(
            pair.secondary.span(),
            "secondary must be a different region from primary".to_owned(),
        ));
    }
    for (key, map) in [
        ("clusters", &pair.clusters),
        ("set_identifiers", &pair.set_identifiers),
    ] {
        for region in [primary, secondary] {
            if !map.get_ref().contains_key(region) {
                return Err(source.invalid(
                    map.span(),
                    format!("`{key}` has no entry for region {region} (pair `{name}`)"),
                ));
            }
        }
    }
    let keyed = [
        ("clusters", Some(map_span(&pair.clusters))),
        ("set_identifiers", Some(map_span(&pair.set_identifiers))),
        ("health_checks", pair.health_checks.as_ref().map(map_span)),
        ("api_names", pair.api_names.as_ref().map(map_span)),
        (
            "lambda_functions",
            pair.lambda_functions.as_ref().map(map_span),
        ),
        ("stacks", pair.stacks.as_ref().map(map_span)),
    ];
    for (key, map) in keyed {
        let Some((keys, span)) = map else { continue };
        if let Some(other) = keys
            .iter()
            .find(|region| ![primary, secondary].contains(region))
        {
            // A key that is not one of the pair's regions is a typo or a line in the wrong
            // table (a pair-level key written below `[pairs.NAME.health_checks]`).
            return Err(source.invalid(
                span,
                format!(
                    "`{key}` names `{other}`, which is not one of pair `{name}`'s regions ({primary}, {secondary})"
                ),
            ));
        }
    }
    Ok(())
}

/// The keys of a region-keyed table and where it is.
fn map_span<V>(map: &Spanned<BTreeMap<String, V>>) -> (Vec<&String>, Range<usize>) {
    (map.get_ref().keys().collect(), map.span())
}

/// Every endpoint is a URL, for one of the pair's regions.
fn check_endpoint(
    source: &ConfigText,
    name: &str,
    endpoint: &Spanned<EndpointUrl>,
    regions: [&String; 2],
) -> Result<(), ConfigError> {
    for url in endpoint.get_ref().urls() {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(source.invalid(
                endpoint.span(),
                format!("endpoint_url `{url}` must start with http:// or https://"),
            ));
        }
    }
    if let EndpointUrl::PerRegion(urls) = endpoint.get_ref()
        && let Some(region) = urls.keys().find(|region| !regions.contains(region))
    {
        return Err(source.invalid(
            endpoint.span(),
            format!("endpoint_url names region {region}, which is not in pair `{name}`"),
        ));
    }
    Ok(())
}

/// An SSM path starts with `/` (`/payment-dr/prod/`).
fn parameter_path(
    source: &ConfigText,
    path: Option<Spanned<String>>,
) -> Result<Option<String>, ConfigError> {
    match path {
        Some(path) if !path.get_ref().starts_with('/') => Err(source.invalid(
            path.span(),
            format!(
                "parameter_path `{}` must start with / (e.g. \"/payment-dr/prod/\")",
                path.get_ref()
            ),
        )),
        path => Ok(path.map(Spanned::into_inner)),
    }
}

/// The demo's functions, as the templates name them (`payment-validation-primary-demo`).
fn demo_functions(primary: &str, secondary: &str) -> BTreeMap<String, Vec<String>> {
    [(primary, "primary"), (secondary, "secondary")]
        .into_iter()
        .map(|(region, side)| {
            let names = [
                "payment-validation",
                "transaction-processing",
                "notification",
            ]
            .iter()
            .map(|function| format!("{function}-{side}-demo"))
            .collect();
            (region.to_owned(), names)
        })
        .collect()
}

/// The checked table as a pair, durations read with their defaults.
fn build_pair(
    source: &ConfigText,
    name: String,
    origin: PairOrigin,
    lock_role: Role,
    pair: PairFile,
) -> Result<RegionPair, ConfigError> {
    use crate::limits::{MAX_POLICY_DURATION as POLICY, MAX_POLL_DURATION as POLL};
    let duration = |field, default, max| source.duration(field, default, max);
    let rpo_budget = duration(&pair.rpo_budget, Duration::from_secs(10), POLICY)?;
    Ok(RegionPair {
        name,
        origin,
        backend: BackendKind::Aws,
        profile: pair.profile,
        endpoint_url: pair.endpoint_url.map(Spanned::into_inner),
        global_cluster: pair.global_cluster,
        clusters: pair.clusters.into_inner(),
        hosted_zone_id: pair.hosted_zone_id,
        record_name: pair.record_name,
        set_identifiers: pair.set_identifiers.into_inner(),
        health_checks: pair
            .health_checks
            .map(Spanned::into_inner)
            .unwrap_or_default(),
        state_machine: pair.state_machine,
        alarm_prefix: pair.alarm_prefix,
        stacks: pair.stacks.map(Spanned::into_inner).unwrap_or_default(),
        api_names: pair.api_names.map(Spanned::into_inner).unwrap_or_default(),
        lambda_functions: pair
            .lambda_functions
            .map(Spanned::into_inner)
            .unwrap_or_default(),
        dynamodb_tables: pair.dynamodb_tables,
        replicated_secrets: pair.replicated_secrets,
        replicas_interval: Duration::from_secs(300),
        parameter_path: parameter_path(source, pair.parameter_path)?,
        parity_interval: duration(&pair.parity_interval, Duration::from_secs(600), POLICY)?,
        replicated_buckets: pair
            .replicated_buckets
            .map(Spanned::into_inner)
            .unwrap_or_default(),
        poll_interval: duration(&pair.poll_interval, Duration::from_secs(5), POLL)?,
        metrics_interval: duration(&pair.metrics_interval, Duration::from_secs(60), POLL)?,
        rpo_budget,
        max_data_loss: duration(&pair.max_data_loss, rpo_budget, POLICY)?,
        call_timeout: duration(&pair.call_timeout, Duration::from_secs(3), POLL)?,
        connect_timeout: duration(&pair.connect_timeout, Duration::from_secs(2), POLL)?,
        max_attempts: pair.max_attempts.map_or(2, Spanned::into_inner),
        traffic_lever: pair.traffic_lever,
        lock_table: pair.lock_table,
        share: pair.share.is_some_and(Spanned::into_inner),
        route53_reads_per_second: pair
            .route53_reads_per_second
            .map_or(DEFAULT_ROUTE53_READS_PER_SECOND, Spanned::into_inner),
        lock_role,
        environment: pair.environment,
        environment_suffix: pair.environment_suffix,
        color: pair.color,
        reach: crate::commands::Reach::default(),
        approval_window: duration(&pair.approval_window, Duration::from_secs(15 * 60), POLICY)?,
        primary: pair.primary.into_inner(),
        secondary: pair.secondary.into_inner(),
    })
}

fn looks_like_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|last| last.chars().all(|c| c.is_ascii_digit()))
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column = before
        .get(line_start..)
        .map_or(0, |rest| rest.chars().count())
        + 1;
    (line, column)
}

/// Adds "did you mean" to serde's "unknown field `x`, expected one of `a`, `b`" message.
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_owned();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return message.to_owned();
    };
    let best = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|candidate| (strsim::jaro_winkler(unknown, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, candidate)) => format!("{message}; did you mean `{candidate}`?"),
        None => message.to_owned(),
    }
}

/// The JSON Schema of the config file, for editors (`drtui config schema`).
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ConfigFile)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With a one-second poll and a three-second call timeout, an answer that arrived at the
    /// start of a poll whose other region hung is still fresh when that poll ends.
    #[test]
    fn a_fast_answer_outlives_a_slow_regions_timeout() {
        let mut pair = RegionPair::demo();
        pair.poll_interval = Duration::from_secs(1);
        pair.call_timeout = Duration::from_secs(3);
        assert!(pair.stale_after() > pair.call_timeout);
        pair.poll_interval = Duration::from_secs(5);
        assert_eq!(pair.stale_after(), Duration::from_secs(15), "three polls");
    }

    const VALID: &str = r#"
[pairs.prod]
primary = "us-east-1"
secondary = "us-east-2"
global_cluster = "payment-global-prod"
hosted_zone_id = "Z123"
record_name = "api.example.com"
alarm_prefix = "PaymentDR"
poll_interval = "5s"

[pairs.prod.clusters]
us-east-1 = "payment-primary-prod"
us-east-2 = "payment-secondary-prod"

[pairs.prod.set_identifiers]
us-east-1 = "primary"
us-east-2 = "secondary"
"#;

    fn parse(text: &str) -> Result<Vec<RegionPair>, ConfigError> {
        parse_pairs(text, Path::new("drtui.toml"))
    }

    fn error_of(text: &str) -> String {
        parse(text).expect_err("should be rejected").to_string()
    }

    #[test]
    fn valid_file_yields_pair_with_defaults() {
        let pairs = parse(VALID).unwrap();
        assert_eq!(pairs.len(), 1);
        let pair = &pairs[0];
        assert_eq!(pair.name, "prod");
        assert_eq!(pair.backend, BackendKind::Aws);
        assert_eq!(pair.cluster(Role::Secondary), "payment-secondary-prod");
        assert_eq!(pair.poll_interval, Duration::from_secs(5));
        assert_eq!(pair.rpo_budget, Duration::from_secs(10));
        assert_eq!(pair.origin.to_string(), "drtui.toml:2");
    }

    #[test]
    fn a_pair_may_name_its_colour_and_an_unknown_colour_points_at_it() {
        let text = VALID.replace(
            "poll_interval = \"5s\"",
            "poll_interval = \"5s\"\nenvironment = \"staging\"\ncolor = \"cyan\"",
        );
        let pair = &parse(&text).unwrap()[0];
        assert_eq!(pair.color, Some(PairColor::Cyan));
        assert_eq!(pair.environment.as_deref(), Some("staging"));
        let message = error_of(&text.replace("\"cyan\"", "\"teal\""));
        assert!(message.starts_with("drtui.toml:11:9:"), "{message}");
        assert!(message.contains("teal"), "{message}");
    }

    #[test]
    fn unknown_key_names_line_column_and_suggestion() {
        let text = VALID.replace("alarm_prefix =", "alarm_prefx =");
        let message = error_of(&text);
        assert!(
            message.starts_with("drtui.toml:8:1: unknown field `alarm_prefx`"),
            "{message}"
        );
        assert!(
            message.contains("did you mean `alarm_prefix`?"),
            "{message}"
        );
    }

    #[test]
    fn bad_duration_points_at_the_value() {
        let message = error_of(&VALID.replace("\"5s\"", "\"soon\""));
        assert!(
            message.starts_with("drtui.toml:9:17: `soon` is not a duration"),
            "{message}"
        );
        let message = error_of(&VALID.replace("\"5s\"", "\"10000000000000000000s\""));
        assert!(
            message.starts_with("drtui.toml:9:17: `10000000000000000000s` is longer than"),
            "{message}"
        );
    }

    /// Line 9 is `poll_interval`; the new keys go just before it.
    fn with_line_9(key: &str) -> String {
        VALID.replace(
            "poll_interval = \"5s\"",
            &format!("{key}\npoll_interval = \"5s\""),
        )
    }

    #[test]
    fn sharing_needs_a_lock_table_and_route53_reads_stay_under_its_limit() {
        let message = error_of(&with_line_9("share = true"));
        assert!(
            message.starts_with("drtui.toml:9:9: share = true needs a `lock_table`"),
            "{message}"
        );
        for rate in ["0", "6", "-1"] {
            let message = error_of(&with_line_9(&format!("route53_reads_per_second = {rate}")));
            assert!(
                message.starts_with(
                    "drtui.toml:9:28: route53_reads_per_second must be above 0 and at most 5"
                ),
                "{rate}: {message}"
            );
        }
        let pairs = parse(&with_line_9(
            "share = true\nlock_table = \"locks\"\nroute53_reads_per_second = 0.5",
        ))
        .unwrap();
        assert!(pairs[0].share);
        assert!((pairs[0].route53_reads_per_second - 0.5).abs() < 1e-9);
        let default = parse(VALID).unwrap().remove(0);
        assert!(!default.share);
        assert!((default.route53_reads_per_second - 1.0).abs() < 1e-9);
    }

    #[test]
    fn syntax_error_has_position() {
        let message = error_of("[pairs.prod\nprimary = 1");
        assert!(message.starts_with("drtui.toml:1:"), "{message}");
    }

    #[test]
    fn missing_cluster_for_a_region_is_reported() {
        let message = error_of(&VALID.replace("us-east-2 = \"payment-secondary-prod\"\n", ""));
        assert!(
            message.contains("`clusters` has no entry for region us-east-2"),
            "{message}"
        );
        assert!(message.starts_with("drtui.toml:11:1:"), "{message}");
    }

    #[test]
    fn same_region_twice_and_bad_region_names_are_rejected() {
        assert!(
            error_of(&VALID.replace("secondary = \"us-east-2\"", "secondary = \"us-east-1\""))
                .contains("different region")
        );
        let message = error_of(&VALID.replace("primary = \"us-east-1\"", "primary = \"virginia\""));
        assert!(
            message.starts_with("drtui.toml:3:11: `virginia` is not an AWS region name"),
            "{message}"
        );
    }

    #[test]
    fn endpoint_url_is_one_url_or_one_per_region() {
        let one = parse(&VALID.replace(
            "alarm_prefix =",
            "endpoint_url = \"http://127.0.0.1:5000\"\nalarm_prefix =",
        ))
        .unwrap();
        assert_eq!(
            one[0]
                .endpoint_url
                .as_ref()
                .and_then(|e| e.for_region("us-east-2")),
            Some("http://127.0.0.1:5000")
        );
        let per_region = VALID.replace(
            "alarm_prefix =",
            "endpoint_url = { us-east-1 = \"http://127.0.0.1:1\", us-east-2 = \"http://127.0.0.1:2\" }\nalarm_prefix =",
        );
        let pairs = parse(&per_region).unwrap();
        let endpoint = pairs[0].endpoint_url.as_ref().unwrap();
        assert_eq!(endpoint.for_region("us-east-1"), Some("http://127.0.0.1:1"));
        assert_eq!(endpoint.for_region("us-east-2"), Some("http://127.0.0.1:2"));
        let message = error_of(&VALID.replace(
            "alarm_prefix =",
            "endpoint_url = \"ftp://x\"\nalarm_prefix =",
        ));
        assert!(
            message.starts_with("drtui.toml:8:16: endpoint_url `ftp://x` must start"),
            "{message}"
        );
        let message = error_of(&VALID.replace(
            "alarm_prefix =",
            "endpoint_url = { eu-west-1 = \"http://x\" }\nalarm_prefix =",
        ));
        assert!(message.contains("names region eu-west-1"), "{message}");
    }

    /// A pair-level key written below a region table becomes a "region" of it: refused.
    #[test]
    fn a_region_table_names_only_the_pairs_regions() {
        let message = error_of(&VALID.replace(
            "[pairs.prod.clusters]",
            "[pairs.prod.health_checks]\nus-east-1 = \"hc\"\nparameter_path = \"/x/\"\n\n[pairs.prod.clusters]",
        ));
        assert!(
            message.contains(
                "`health_checks` names `parameter_path`, which is not one of pair `prod`'s regions (us-east-1, us-east-2)"
            ),
            "{message}"
        );
        assert!(message.starts_with("drtui.toml:"), "{message}");
    }

    #[test]
    fn demo_name_is_reserved() {
        assert!(error_of(&VALID.replace("pairs.prod", "pairs.demo")).contains("reserved"));
    }

    #[test]
    fn unknown_pair_lists_known_pairs() {
        let catalog = PairCatalog {
            file: None,
            pairs: vec![RegionPair::demo()],
        };
        let message = catalog.get("prdo").expect_err("unknown").to_string();
        assert_eq!(message, "unknown region pair `prdo`; known pairs: demo");
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncé\nx", 7), (3, 1));
        assert_eq!(line_column("ab\ncé", 4), (2, 2));
    }
}
