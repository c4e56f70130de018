//! `drtui discover`: read the estate's CloudFormation stack outputs in both regions and write
//! the pair's config section, so nobody copies ids by hand at 03:00.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::clients::Clients;
use super::{AwsBackend, BackendError};
use drtui_core::model::Role;

/// Stack outputs of one region: stack name -> (output key -> value).
pub type Outputs = BTreeMap<String, BTreeMap<String, String>>;

impl AwsBackend {
    /// Every stack whose name starts with `prefix`, with its outputs.
    pub async fn stack_outputs(&self, role: Role, prefix: &str) -> Result<Outputs, BackendError> {
        Ok(self
            .all_stacks(role)
            .await?
            .iter()
            .filter_map(|stack| {
                let name = stack.stack_name().filter(|name| name.starts_with(prefix))?;
                let values = stack
                    .outputs()
                    .iter()
                    .filter_map(|output| {
                        Some((
                            output.output_key()?.to_owned(),
                            output.output_value()?.to_owned(),
                        ))
                    })
                    .collect();
                Some((name.to_owned(), values))
            })
            .collect())
    }

    pub fn clients(&self) -> &Clients {
        &self.clients
    }
}

fn find(outputs: &Outputs, matches: impl Fn(&str) -> bool) -> Vec<(&str, &str)> {
    outputs
        .values()
        .flatten()
        .filter(|(key, _)| matches(&key.to_ascii_lowercase()))
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect()
}

/// The replicated stores beside Aurora: the global tables (an output named `…TableName`, the
/// lock table aside) and each bucket whose stack names its replication rule and destination
/// (`BucketName`, `ReplicationRuleId`, `ReplicationDestinationBucket`), read in its region.
fn stores(out: &mut String, regions: [&str; 2], outputs: [&Outputs; 2], all: &Outputs) {
    let tables: Vec<String> = find(all, |key| {
        key.ends_with("tablename") && !key.contains("lock")
    })
    .iter()
    .map(|(_, table)| toml_string(table))
    .collect();
    if !tables.is_empty() {
        let _ = writeln!(
            out,
            "dynamodb_tables = [{}]  # from the database stack's outputs",
            tables.join(", ")
        );
    }
    let secrets: Vec<String> = find(all, |key| key.ends_with("secretname"))
        .iter()
        .map(|(_, secret)| toml_string(secret))
        .collect();
    if !secrets.is_empty() {
        let _ = writeln!(
            out,
            "replicated_secrets = [{}]  # from the database stack's outputs",
            secrets.join(", ")
        );
    }
    let mut rules = Vec::new();
    for (region, outputs) in regions.iter().zip(outputs) {
        for values in outputs.values() {
            let value = |wanted: &str| {
                values
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(wanted))
                    .map(|(_, value)| toml_string(value))
            };
            if let (Some(source), Some(destination), Some(rule)) = (
                value("BucketName"),
                value("ReplicationDestinationBucket"),
                value("ReplicationRuleId"),
            ) {
                rules.push(format!(
                    "{{ source = {source}, destination = {destination}, rule_id = {rule}, from = {} }}",
                    toml_string(region)
                ));
            }
        }
    }
    if !rules.is_empty() {
        let _ = writeln!(
            out,
            "replicated_buckets = [{}]  # from the storage stacks' outputs",
            rules.join(", ")
        );
    }
}

/// The pair's SSM path (config parity): a parameters stack's `ParameterPath`
/// (`/payment-dr/prod/primary/`) without its role part.
fn parameter_path(out: &mut String, all: &Outputs) {
    let Some((from, path)) = find(all, |key| key == "parameterpath").first().copied() else {
        return;
    };
    let Some((parent, _role)) = path.trim_end_matches('/').rsplit_once('/') else {
        return;
    };
    let _ = writeln!(
        out,
        "parameter_path = {}  # from output {from}, its role part taken off",
        toml_string(&format!("{parent}/"))
    );
}

/// A TOML basic string (JSON string escaping is valid TOML for it).
pub fn toml_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| format!("\"{}\"", value.escape_default()))
}

/// Writes the `[pairs.NAME]` section from both regions' outputs. Keys are recognised by the
/// names the reference CDK app uses for its outputs (GlobalClusterIdentifier, HostedZoneId,
/// HealthCheckId, StateMachineArn, ApiName, FunctionName, ...); what cannot be found is left
/// empty with a comment, so `drtui pairs` points at it (line and column) until it is filled in.
#[expect(
    clippy::too_many_lines,
    reason = "the config section line by line, in the order the file shows it"
)]
pub fn pair_section(name: &str, regions: [&str; 2], outputs: [&Outputs; 2]) -> String {
    let [primary, secondary] = regions;
    let all: Outputs = outputs
        .iter()
        .flat_map(|outputs| (*outputs).clone())
        .collect();
    let mut out = format!(
        "[pairs.{name}]\nprimary = {}\nsecondary = {}\n",
        toml_string(primary),
        toml_string(secondary)
    );
    let single =
        |out: &mut String, key: &str, pattern: &dyn Fn(&str) -> bool| match find(&all, pattern)
            .first()
        {
            Some((from, value)) => {
                let _ = writeln!(out, "{key} = {}  # from output {from}", toml_string(value));
            }
            None => {
                let _ = writeln!(out, "{key} = \"\"  # not found in stack outputs: fill in");
            }
        };
    single(&mut out, "global_cluster", &|key| {
        key.contains("globalcluster")
    });
    single(&mut out, "hosted_zone_id", &|key| {
        key.contains("hostedzone")
    });
    single(&mut out, "record_name", &|key| {
        key.contains("recordname") || key.contains("domainname")
    });
    single(&mut out, "alarm_prefix", &|key| key.contains("alarmprefix"));
    parameter_path(&mut out, &all);
    if let Some((from, arn)) = find(&all, |key| key.contains("statemachine")).first() {
        let _ = writeln!(
            out,
            "state_machine = {}  # from output {from}",
            toml_string(arn)
        );
    }
    if let Some((from, table)) = find(&all, |key| key.contains("locktable")).first() {
        let _ = writeln!(
            out,
            "lock_table = {}  # from output {from}",
            toml_string(table)
        );
    }
    stores(&mut out, regions, outputs, &all);
    // The data-plane lever: its alarm (in the secondary), and the metric it watches.
    let lever = |part: &str| {
        find(&all, |key| {
            key.contains("trafficlever") && key.contains(part)
        })
        .first()
        .map(|(_, value)| (*value).to_owned())
    };
    if let (Some(alarm), Some(namespace), Some(metric)) =
        (lever("alarm"), lever("namespace"), lever("metric"))
    {
        let _ = writeln!(
            out,
            "traffic_lever = {{ alarm = {}, namespace = {}, metric = {} }}  # from the monitoring stack's outputs",
            toml_string(&alarm),
            toml_string(&namespace),
            toml_string(&metric)
        );
    }
    let per_region = |out: &mut String, table: &str, pattern: &dyn Fn(&str) -> bool| {
        let _ = writeln!(out, "\n[pairs.{name}.{table}]");
        for (region, outputs) in regions.iter().zip(outputs) {
            match find(outputs, pattern).first() {
                Some((from, value)) => {
                    let _ = writeln!(
                        out,
                        "{region} = {}  # from output {from}",
                        toml_string(value)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "{region} = \"\"  # not found in {region} stack outputs: fill in"
                    );
                }
            }
        }
    };
    per_region(&mut out, "clusters", &|key| {
        !key.contains("global")
            && (key.ends_with("clusteridentifier") || key.ends_with("clusterid"))
    });
    let _ = writeln!(out, "\n[pairs.{name}.set_identifiers]");
    for (region, side) in regions.iter().zip(["primary", "secondary"]) {
        let _ = writeln!(out, "{region} = {}", toml_string(side));
    }
    // Route 53 is global: its stack (in either region) may carry both health checks.
    let checks = find(&all, |key| key.contains("healthcheck"));
    if !checks.is_empty() {
        let _ = writeln!(out, "\n[pairs.{name}.health_checks]");
        for (region, side) in regions.iter().zip(["primary", "secondary"]) {
            if let Some((from, id)) = checks
                .iter()
                .find(|(key, _)| key.to_ascii_lowercase().contains(side))
            {
                let _ = writeln!(out, "{region} = {}  # from output {from}", toml_string(id));
            }
        }
    }
    per_region(&mut out, "api_names", &|key| key.contains("apiname"));
    let _ = writeln!(out, "\n[pairs.{name}.lambda_functions]");
    for (region, outputs) in regions.iter().zip(outputs) {
        let functions: Vec<String> = find(outputs, |key| key.contains("functionname"))
            .iter()
            .map(|(_, value)| toml_string(value))
            .collect();
        let _ = writeln!(out, "{region} = [{}]", functions.join(", "));
    }
    let _ = writeln!(out, "\n[pairs.{name}.stacks]");
    for (region, outputs) in regions.iter().zip(outputs) {
        let stacks: Vec<String> = outputs.keys().map(|stack| toml_string(stack)).collect();
        let _ = writeln!(out, "{region} = [{}]", stacks.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(stacks: &[(&str, &[(&str, &str)])]) -> Outputs {
        stacks
            .iter()
            .map(|(stack, values)| {
                (
                    (*stack).to_owned(),
                    values
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                )
            })
            .collect()
    }

    /// Both regions' outputs as the reference stacks carry them.
    fn reference_outputs() -> (Outputs, Outputs) {
        let primary = outputs(&[
            (
                "TapStackprod-Database-primary",
                &[
                    ("GlobalClusterIdentifier", "payment-global-prod"),
                    ("DbClusterIdentifier", "payment-primary-prod"),
                    ("TransactionsTableName", "payment-transactions-prod"),
                    ("DatabaseSecretName", "payment-db-credentials-prod"),
                ],
            ),
            (
                "TapStackprod-Storage-primary",
                &[
                    ("BucketName", "docs-primary"),
                    ("ReplicationRuleId", "to-secondary"),
                    ("ReplicationDestinationBucket", "docs-secondary"),
                ],
            ),
            (
                "TapStackprod-Route53",
                &[
                    ("HostedZoneId", "Z123"),
                    ("RecordName", "api.example.com"),
                    ("PrimaryHealthCheckId", "hc-1"),
                    ("SecondaryHealthCheckId", "hc-2"),
                ],
            ),
            (
                "TapStackprod-Failover",
                &[(
                    "StateMachineArn",
                    "arn:aws:states:us-east-1:1:stateMachine:fo",
                )],
            ),
            (
                "TapStackprod-Lambda-primary",
                &[
                    ("ValidationFunctionName", "validate-p"),
                    ("ProcessingFunctionName", "process-p"),
                ],
            ),
            (
                "TapStackprod-Monitoring-primary",
                &[("AlarmPrefix", "PaymentDR-prod")],
            ),
            (
                "TapStackprod-Parameters-primary",
                &[("ParameterPath", "/payment-dr/prod/primary/")],
            ),
        ]);
        let secondary = outputs(&[
            (
                "TapStackprod-Storage-secondary",
                &[
                    ("BucketName", "docs-secondary"),
                    ("ReplicationRuleId", "to-primary"),
                    ("ReplicationDestinationBucket", "docs-primary"),
                ],
            ),
            (
                "TapStackprod-Database-secondary",
                &[
                    ("DbClusterIdentifier", "payment-secondary-prod"),
                    ("LockTable", "drtui-locks-prod"),
                ],
            ),
            (
                "TapStackprod-Monitoring-secondary",
                &[
                    (
                        "TrafficLeverAlarmName",
                        "PaymentDR-prod-primary-traffic-off",
                    ),
                    ("TrafficLeverNamespace", "PaymentDR/Failover"),
                    ("TrafficLeverMetric", "PrimaryTrafficOff"),
                ],
            ),
        ]);
        (primary, secondary)
    }

    #[test]
    fn section_from_outputs_parses_as_a_valid_pair() {
        let (primary, secondary) = reference_outputs();
        let text = pair_section("prod", ["us-east-1", "us-east-2"], [&primary, &secondary]);
        let pairs = drtui_core::config::parse_pairs(&text, std::path::Path::new("discovered.toml"))
            .expect(&text);
        let pair = &pairs[0];
        assert_eq!(pair.global_cluster, "payment-global-prod");
        assert_eq!(pair.cluster(Role::Secondary), "payment-secondary-prod");
        assert_eq!(
            pair.health_checks.get("us-east-2").map(String::as_str),
            Some("hc-2")
        );
        assert_eq!(
            pair.lambda_functions_in(Role::Primary),
            ["process-p", "validate-p"]
        );
        assert_eq!(pair.stacks_in(Role::Primary).len(), 7, "{text}");
        assert_eq!(
            pair.stacks_in(Role::Secondary),
            [
                "TapStackprod-Database-secondary",
                "TapStackprod-Monitoring-secondary",
                "TapStackprod-Storage-secondary"
            ]
        );
        assert_eq!(pair.lock_table.as_deref(), Some("drtui-locks-prod"));
        assert_eq!(pair.dynamodb_tables, ["payment-transactions-prod"]);
        assert_eq!(pair.replicated_secrets, ["payment-db-credentials-prod"]);
        assert_eq!(pair.parameter_path.as_deref(), Some("/payment-dr/prod/"));
        assert_eq!(
            pair.replicated_buckets,
            drtui_core::config::ReplicatedBucket::both_ways(
                ["docs-primary", "docs-secondary"],
                ["us-east-1", "us-east-2"]
            )
        );
        let lever = pair.traffic_lever.as_ref().expect("the lever from outputs");
        assert_eq!(lever.alarm, "PaymentDR-prod-primary-traffic-off");
        assert_eq!(lever.metric, "PrimaryTrafficOff");
        assert!(
            text.contains("api_names]\nus-east-1 = \"\"  # not found"),
            "{text}"
        );
    }
}
