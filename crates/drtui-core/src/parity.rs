//! Can the standby carry the business as the writer's region does? The same code, the same
//! configuration, enough capacity and the same engine, compared region against region (as AWS
//! ARC Region switch evaluates its plans). Read slowly (`parity_interval`), judged here, pure.
//!
//! A name is matched to its twin in the other region by its *shape*: the name with each
//! region's name and role word (`us-east-1`, `primary`) taken out, so
//! `payment-validation-primary-prod` is the twin of `payment-validation-secondary-prod`.

use serde::{Deserialize, Serialize};

use crate::model::Role;

/// What one region says about the things that must match (one read of `Source::Parity`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionParity {
    /// The pair's payment functions (`lambda:GetFunction`).
    pub functions: Vec<FunctionConfig>,
    /// The region's Aurora cluster's instances (`rds:DescribeDBInstances`); `None` unread.
    pub instances: Option<Vec<DbInstance>>,
    /// The account's Lambda concurrency limit in the region (`lambda:GetAccountSettings`).
    pub concurrency_limit: Option<i64>,
    /// The region's API stages and their default throttling (`apigateway:GET` stages).
    pub stages: Vec<StageThrottle>,
    /// The pair's SSM parameters under its path (`ssm:GetParametersByPath`); `None` unread or
    /// not configured.
    pub parameters: Option<Vec<Parameter>>,
    /// What could not be read, and why: never taken for a match.
    pub unread: Vec<Unread>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionConfig {
    pub name: String,
    pub code_sha256: String,
    pub runtime: Option<String>,
    pub architecture: Option<String>,
    pub memory_mb: Option<i32>,
    pub timeout_s: Option<i32>,
    /// Only the names: values are secrets or regional.
    pub environment_names: Vec<String>,
    pub reserved_concurrency: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DbInstance {
    pub id: String,
    /// `db.r6g.large`, `db.serverless`.
    pub class: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageThrottle {
    pub api: String,
    pub stage: String,
    pub rate_limit: Option<f64>,
    pub burst_limit: Option<i32>,
}

impl StageThrottle {
    /// `rate 1000 burst 2000` (`unset` for a limit the stage does not set).
    pub fn limits(&self) -> String {
        let value = |v: Option<String>| v.unwrap_or_else(|| "unset".to_owned());
        format!(
            "rate {} burst {}",
            value(self.rate_limit.map(|r| r.to_string())),
            value(self.burst_limit.map(|b| b.to_string()))
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    /// `String`, `StringList`, `SecureString` (whose value is compared by name only).
    pub kind: String,
    pub value: String,
}

/// A part of a region's parity that could not be read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unread {
    pub part: Part,
    /// The function, API or path asked for.
    pub name: String,
    pub why: String,
}

/// Which check a part feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Function,
    Instances,
    AccountSettings,
    Stage,
    Parameters,
}

/// How the two regions are named, so a name can be matched to its twin.
#[derive(Clone, Debug, PartialEq)]
pub struct Naming {
    /// Each side's region name, by [`Role::index`].
    pub regions: [String; 2],
}

impl Naming {
    /// `name` with each region's name and role word replaced by a placeholder: the same for a
    /// name and its twin.
    pub fn shape(&self, name: &str) -> String {
        let mut shape = name.to_owned();
        for role in Role::BOTH {
            shape = shape.replace(self.regions[role.index()].as_str(), "<region>");
        }
        for role in Role::BOTH {
            shape = shape.replace(role.as_str(), "<role>");
        }
        shape
    }
}

/// The calls one read of a region's parity makes on `pair`: a `GetFunction` per function,
/// `DescribeDBInstances`, `GetAccountSettings`, `GetRestApis` and `GetStages` when the region
/// names its API, `GetParametersByPath` when the pair has a path (one page each).
pub fn calls_per_read(pair: &crate::config::RegionPair, role: Role) -> usize {
    pair.lambda_functions_in(role).len()
        + 2
        + if pair.api_names.contains_key(pair.region(role)) {
            2
        } else {
            0
        }
        + usize::from(pair.parameter_path.is_some())
}

/// One difference: what differs, said in one phrase naming it.
pub type Difference = String;

/// How bad what was found is: differences slow or break the standby (`Warn`), a missing
/// twin or a headless cluster leaves it unable to serve (`Fail`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Findings {
    /// The standby cannot serve as the writer does.
    pub blocking: Vec<Difference>,
    /// It would serve differently (older code, less capacity, other settings).
    pub differing: Vec<Difference>,
    /// What could not be compared, and why.
    pub unknown: Vec<Difference>,
}

impl Findings {
    fn unread(&mut self, region: &str, parity: &RegionParity, parts: &[Part]) {
        for unread in parity.unread.iter().filter(|u| parts.contains(&u.part)) {
            self.unknown.push(format!(
                "{} in {region} unread: {}",
                unread.name, unread.why
            ));
        }
    }
}

/// One side of the comparison: its region and what it said.
#[derive(Clone, Copy, Debug)]
pub struct Side<'a> {
    pub region: &'a str,
    pub parity: &'a RegionParity,
}

/// `code_parity`: each function of the writer's region has a twin in the standby with the
/// same code, runtime, architecture, memory, timeout, environment names and reserved
/// concurrency.
pub fn code(writer: Side, standby: Side, naming: &Naming) -> Findings {
    let mut findings = Findings::default();
    findings.unread(writer.region, writer.parity, &[Part::Function]);
    findings.unread(standby.region, standby.parity, &[Part::Function]);
    let unread_in_standby = |shape: &str| {
        standby
            .parity
            .unread
            .iter()
            .any(|unread| unread.part == Part::Function && naming.shape(&unread.name) == shape)
    };
    for function in &writer.parity.functions {
        let shape = naming.shape(&function.name);
        let twin = standby
            .parity
            .functions
            .iter()
            .find(|twin| naming.shape(&twin.name) == shape);
        match twin {
            Some(twin) => {
                let fields = function_differences(function, twin);
                if !fields.is_empty() {
                    findings.differing.push(format!(
                        "{} differs from {} in {}",
                        twin.name,
                        function.name,
                        fields.join(", ")
                    ));
                }
            }
            None if unread_in_standby(&shape) => {}
            None => findings.blocking.push(format!(
                "{} has no twin in {} (a function named like it)",
                function.name, standby.region
            )),
        }
    }
    findings
}

/// The fields in which `twin` differs from `function`, each with both values.
fn function_differences(function: &FunctionConfig, twin: &FunctionConfig) -> Vec<String> {
    let mut fields = Vec::new();
    if function.code_sha256 != twin.code_sha256 {
        fields.push(format!(
            "code (CodeSha256 {} here, {} in the writer's region)",
            short_hash(&twin.code_sha256),
            short_hash(&function.code_sha256)
        ));
    }
    let mut differ = |field: &str, writer: String, standby: String| {
        if writer != standby {
            fields.push(format!(
                "{field} ({standby} here, {writer} in the writer's region)"
            ));
        }
    };
    let shown = |value: Option<String>| value.unwrap_or_else(|| "unset".to_owned());
    differ(
        "runtime",
        shown(function.runtime.clone()),
        shown(twin.runtime.clone()),
    );
    differ(
        "architecture",
        shown(function.architecture.clone()),
        shown(twin.architecture.clone()),
    );
    differ(
        "memory",
        shown(function.memory_mb.map(|mb| format!("{mb} MB"))),
        shown(twin.memory_mb.map(|mb| format!("{mb} MB"))),
    );
    differ(
        "timeout",
        shown(function.timeout_s.map(|s| format!("{s} s"))),
        shown(twin.timeout_s.map(|s| format!("{s} s"))),
    );
    differ(
        "reserved concurrency",
        shown(function.reserved_concurrency.map(|n| n.to_string())),
        shown(twin.reserved_concurrency.map(|n| n.to_string())),
    );
    let names = |of: &FunctionConfig| {
        let mut names = of.environment_names.clone();
        names.sort();
        names
    };
    let (writer_names, standby_names) = (names(function), names(twin));
    if writer_names != standby_names {
        let only = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter().filter(|name| !b.contains(name)).cloned().collect()
        };
        let missing = only(&writer_names, &standby_names);
        let extra = only(&standby_names, &writer_names);
        let mut said = Vec::new();
        if !missing.is_empty() {
            said.push(format!("missing {}", missing.join(" ")));
        }
        if !extra.is_empty() {
            said.push(format!("extra {}", extra.join(" ")));
        }
        fields.push(format!("environment ({})", said.join("; ")));
    }
    fields
}

/// The first 12 characters of a hash: enough to tell two builds apart on one line (here and
/// on the dashboard).
pub fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// `capacity_parity`: the standby's cluster has an instance, its largest not smaller than the
/// writer's largest; the account's Lambda concurrency there is at least the writer region's;
/// the API stages throttle alike.
pub fn capacity(writer: Side, standby: Side, naming: &Naming) -> Findings {
    let mut findings = Findings::default();
    let parts = [Part::Instances, Part::AccountSettings, Part::Stage];
    findings.unread(writer.region, writer.parity, &parts);
    findings.unread(standby.region, standby.parity, &parts);
    instances(&mut findings, writer, standby);
    if let (Some(writer_limit), Some(standby_limit)) = (
        writer.parity.concurrency_limit,
        standby.parity.concurrency_limit,
    ) && standby_limit < writer_limit
    {
        findings.differing.push(format!(
            "Lambda concurrency limit {standby_limit} in {} < {writer_limit} in {}",
            standby.region, writer.region
        ));
    }
    for stage in &writer.parity.stages {
        let shape = naming.shape(&stage.api);
        let twin = standby
            .parity
            .stages
            .iter()
            .find(|twin| naming.shape(&twin.api) == shape && twin.stage == stage.stage);
        match twin {
            Some(twin)
                if twin.rate_limit != stage.rate_limit || twin.burst_limit != stage.burst_limit =>
            {
                findings.differing.push(format!(
                    "{} stage {} throttles at {} (the writer's region: {})",
                    twin.api,
                    twin.stage,
                    twin.limits(),
                    stage.limits()
                ));
            }
            Some(_) => {}
            None => findings.differing.push(format!(
                "{} stage {} has no twin in {}",
                stage.api, stage.stage, standby.region
            )),
        }
    }
    findings
}

/// The clusters' instances: none in the standby is blocking (a promote would leave a writer
/// with nothing to serve it); a smaller largest instance is a difference.
fn instances(findings: &mut Findings, writer: Side, standby: Side) {
    let Some(standby_instances) = &standby.parity.instances else {
        return;
    };
    if standby_instances.is_empty() {
        findings.blocking.push(format!(
            "the cluster in {} has no instance: a promoted writer would have nothing to serve it",
            standby.region
        ));
        return;
    }
    let largest = |instances: &[DbInstance]| -> Option<(u32, String)> {
        instances
            .iter()
            .filter_map(|instance| {
                size_rank(&instance.class).map(|rank| (rank, instance.class.clone()))
            })
            .max()
    };
    let Some(writer_instances) = &writer.parity.instances else {
        return;
    };
    if let (Some((writer_rank, writer_class)), Some((standby_rank, standby_class))) =
        (largest(writer_instances), largest(standby_instances))
        && standby_rank < writer_rank
    {
        findings.differing.push(format!(
            "the largest instance in {} is {standby_class}, smaller than {writer_class} in {}",
            standby.region, writer.region
        ));
    }
}

/// How big an instance class is, from its size word (`db.r6g.2xlarge` → 16); `None` for a
/// class that has no size word (`db.serverless`), which is not compared.
pub fn size_rank(class: &str) -> Option<u32> {
    let size = class.rsplit('.').next()?;
    let fixed = match size {
        "nano" => Some(1),
        "micro" => Some(2),
        "small" => Some(3),
        "medium" => Some(4),
        "large" => Some(6),
        "xlarge" => Some(8),
        "metal" => Some(10_000),
        _ => None,
    };
    fixed.or_else(|| {
        let times: u32 = size.strip_suffix("xlarge")?.parse().ok()?;
        Some(times.saturating_mul(8))
    })
}

/// `config_parity`: the same parameter names in both regions (role and region taken out of
/// the name); values alike once each region's name, role word and its own cluster are taken
/// out, except where the name says region or role, or the value names its own region (an
/// endpoint). Secure strings are compared by name only.
pub fn config(writer: Side, standby: Side, naming: &Naming) -> Findings {
    let mut findings = Findings::default();
    findings.unread(writer.region, writer.parity, &[Part::Parameters]);
    findings.unread(standby.region, standby.parity, &[Part::Parameters]);
    let (Some(writer_parameters), Some(standby_parameters)) =
        (&writer.parity.parameters, &standby.parity.parameters)
    else {
        return findings;
    };
    let twin_of = |parameter: &Parameter, among: &[Parameter]| -> Option<Parameter> {
        let shape = naming.shape(&parameter.name);
        among
            .iter()
            .find(|other| naming.shape(&other.name) == shape)
            .cloned()
    };
    for parameter in writer_parameters {
        match twin_of(parameter, standby_parameters) {
            None => findings.differing.push(format!(
                "{} has no twin in {}",
                parameter.name, standby.region
            )),
            Some(twin) if values_differ(parameter, &twin, naming) => {
                findings.differing.push(format!(
                    "{} = {:?} in {}, {:?} in the writer's region",
                    twin.name,
                    crate::text::sanitize(&twin.value),
                    standby.region,
                    crate::text::sanitize(&parameter.value)
                ));
            }
            Some(_) => {}
        }
    }
    for parameter in standby_parameters {
        if twin_of(parameter, writer_parameters).is_none() {
            findings.differing.push(format!(
                "{} has no twin in {}",
                parameter.name, writer.region
            ));
        }
    }
    findings
}

fn values_differ(writer: &Parameter, standby: &Parameter, naming: &Naming) -> bool {
    if writer.kind == "SecureString" || standby.kind == "SecureString" {
        return false;
    }
    let leaf = writer.name.rsplit('/').next().unwrap_or(&writer.name);
    let regional_name = leaf.contains("region") || leaf.contains("role");
    let names_its_region = |value: &str| {
        naming
            .regions
            .iter()
            .any(|region| value.contains(region.as_str()))
    };
    if regional_name || names_its_region(&writer.value) || names_its_region(&standby.value) {
        return false;
    }
    naming.shape(&writer.value) != naming.shape(&standby.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naming() -> Naming {
        Naming {
            regions: ["us-east-1".to_owned(), "us-east-2".to_owned()],
        }
    }

    fn function(name: &str, sha: &str) -> FunctionConfig {
        FunctionConfig {
            name: name.to_owned(),
            code_sha256: sha.to_owned(),
            runtime: Some("python3.12".to_owned()),
            architecture: Some("arm64".to_owned()),
            memory_mb: Some(512),
            timeout_s: Some(30),
            environment_names: vec!["TABLE".to_owned(), "REGION_ROLE".to_owned()],
            reserved_concurrency: Some(100),
        }
    }

    fn side<'a>(region: &'a str, parity: &'a RegionParity) -> Side<'a> {
        Side { region, parity }
    }

    #[test]
    fn twins_are_matched_by_shape() {
        let naming = naming();
        assert_eq!(
            naming.shape("payment-validation-primary-prod"),
            naming.shape("payment-validation-secondary-prod")
        );
        assert_eq!(
            naming.shape("/payment-dr/prod/primary/db-cluster"),
            naming.shape("/payment-dr/prod/secondary/db-cluster")
        );
        assert_ne!(
            naming.shape("notification-primary"),
            naming.shape("payment-validation-secondary")
        );
    }

    #[test]
    fn code_parity_names_the_function_and_every_field_that_differs() {
        let writer = RegionParity {
            functions: vec![
                function(
                    "transaction-processing-primary-prod",
                    "a1b2c3d4e5f6a7b8c9d0",
                ),
                function("notification-primary-prod", "ffff"),
            ],
            ..RegionParity::default()
        };
        let mut older = function("transaction-processing-secondary-prod", "0011223344556677");
        older.memory_mb = Some(256);
        older.environment_names = vec!["TABLE".to_owned(), "LEGACY".to_owned()];
        let standby = RegionParity {
            functions: vec![older, function("notification-secondary-prod", "ffff")],
            ..RegionParity::default()
        };
        let findings = code(
            side("us-east-1", &writer),
            side("us-east-2", &standby),
            &naming(),
        );
        assert!(findings.blocking.is_empty(), "{findings:?}");
        assert_eq!(findings.differing.len(), 1, "{findings:?}");
        let said = &findings.differing[0];
        for part in [
            "transaction-processing-secondary-prod differs from transaction-processing-primary-prod",
            "code (CodeSha256 001122334455 here, a1b2c3d4e5f6 in the writer's region)",
            "memory (256 MB here, 512 MB in the writer's region)",
            "environment (missing REGION_ROLE; extra LEGACY)",
        ] {
            assert!(said.contains(part), "{said}");
        }
    }

    #[test]
    fn a_function_without_twin_blocks_but_one_unread_is_unknown() {
        let writer = RegionParity {
            functions: vec![function("payment-validation-primary-prod", "aa")],
            ..RegionParity::default()
        };
        let empty = RegionParity::default();
        let findings = code(
            side("us-east-1", &writer),
            side("us-east-2", &empty),
            &naming(),
        );
        assert_eq!(
            findings.blocking,
            vec![
                "payment-validation-primary-prod has no twin in us-east-2 (a function named like it)"
            ]
        );
        let unread = RegionParity {
            unread: vec![Unread {
                part: Part::Function,
                name: "payment-validation-secondary-prod".to_owned(),
                why: "AccessDeniedException: not authorized".to_owned(),
            }],
            ..RegionParity::default()
        };
        let findings = code(
            side("us-east-1", &writer),
            side("us-east-2", &unread),
            &naming(),
        );
        assert!(findings.blocking.is_empty(), "{findings:?}");
        assert_eq!(findings.unknown.len(), 1, "{findings:?}");
    }

    #[test]
    fn a_headless_standby_blocks_and_a_smaller_one_differs() {
        let cluster = |classes: &[&str]| RegionParity {
            instances: Some(
                classes
                    .iter()
                    .enumerate()
                    .map(|(index, class)| DbInstance {
                        id: format!("i{index}"),
                        class: (*class).to_owned(),
                    })
                    .collect(),
            ),
            concurrency_limit: Some(1000),
            ..RegionParity::default()
        };
        let writer = cluster(&["db.r6g.2xlarge", "db.r6g.large"]);
        let headless = cluster(&[]);
        let findings = capacity(
            side("us-east-1", &writer),
            side("us-east-2", &headless),
            &naming(),
        );
        assert_eq!(findings.blocking.len(), 1);
        assert!(
            findings.blocking[0].contains("us-east-2 has no instance"),
            "{findings:?}"
        );
        let mut smaller = cluster(&["db.r6g.xlarge"]);
        smaller.concurrency_limit = Some(100);
        let findings = capacity(
            side("us-east-1", &writer),
            side("us-east-2", &smaller),
            &naming(),
        );
        assert!(findings.blocking.is_empty());
        assert_eq!(
            findings.differing,
            vec![
                "the largest instance in us-east-2 is db.r6g.xlarge, smaller than db.r6g.2xlarge in us-east-1",
                "Lambda concurrency limit 100 in us-east-2 < 1000 in us-east-1",
            ]
        );
        let same = cluster(&["db.r7g.2xlarge"]);
        let findings = capacity(
            side("us-east-1", &writer),
            side("us-east-2", &same),
            &naming(),
        );
        assert_eq!(findings, Findings::default());
    }

    #[test]
    fn instance_sizes_order_as_aws_sizes_them() {
        let ranks: Vec<Option<u32>> = [
            "db.t4g.medium",
            "db.r6g.large",
            "db.r6g.xlarge",
            "db.r6g.2xlarge",
            "db.r6g.16xlarge",
            "db.serverless",
        ]
        .iter()
        .map(|class| size_rank(class))
        .collect();
        assert_eq!(
            ranks,
            vec![Some(4), Some(6), Some(8), Some(16), Some(128), None]
        );
    }

    #[test]
    fn stage_throttling_must_match() {
        let stage = |api: &str, rate: f64| StageThrottle {
            api: api.to_owned(),
            stage: "prod".to_owned(),
            rate_limit: Some(rate),
            burst_limit: Some(200),
        };
        let writer = RegionParity {
            stages: vec![stage("payment-api-primary-prod", 100.0)],
            ..RegionParity::default()
        };
        let standby = RegionParity {
            stages: vec![stage("payment-api-secondary-prod", 10.0)],
            ..RegionParity::default()
        };
        let findings = capacity(
            side("us-east-1", &writer),
            side("us-east-2", &standby),
            &naming(),
        );
        assert_eq!(
            findings.differing,
            vec![
                "payment-api-secondary-prod stage prod throttles at rate 10 burst 200 (the writer's region: rate 100 burst 200)"
            ]
        );
    }

    #[test]
    fn config_parity_swaps_the_role_and_allows_regional_values() {
        let parameter = |name: &str, value: &str| Parameter {
            name: name.to_owned(),
            kind: "String".to_owned(),
            value: value.to_owned(),
        };
        let writer = RegionParity {
            parameters: Some(vec![
                parameter("/payment-dr/prod/primary/region-role", "primary"),
                parameter(
                    "/payment-dr/prod/primary/db-cluster",
                    "payment-primary-prod",
                ),
                parameter(
                    "/payment-dr/prod/primary/api-host",
                    "abc.execute-api.us-east-1.amazonaws.com",
                ),
                parameter(
                    "/payment-dr/prod/primary/transactions-table",
                    "payment-transactions-prod",
                ),
                parameter("/payment-dr/prod/primary/fraud-threshold", "0.8"),
            ]),
            ..RegionParity::default()
        };
        let standby = RegionParity {
            parameters: Some(vec![
                parameter("/payment-dr/prod/secondary/region-role", "secondary"),
                parameter(
                    "/payment-dr/prod/secondary/db-cluster",
                    "payment-secondary-prod",
                ),
                parameter(
                    "/payment-dr/prod/secondary/api-host",
                    "def.execute-api.us-east-2.amazonaws.com",
                ),
                parameter(
                    "/payment-dr/prod/secondary/transactions-table",
                    "payment-transactions-prod",
                ),
                parameter("/payment-dr/prod/secondary/fraud-threshold", "0.5"),
                parameter("/payment-dr/prod/secondary/legacy-flag", "on"),
            ]),
            ..RegionParity::default()
        };
        let findings = config(
            side("us-east-1", &writer),
            side("us-east-2", &standby),
            &naming(),
        );
        assert_eq!(
            findings.differing,
            vec![
                "/payment-dr/prod/secondary/fraud-threshold = \"0.5\" in us-east-2, \"0.8\" in the writer's region",
                "/payment-dr/prod/secondary/legacy-flag has no twin in us-east-1",
            ]
        );
    }
}
