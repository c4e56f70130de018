//! The estate as code (`assets/`): the CloudFormation templates pass cfn-lint, carry every name
//! the example config expects, and the IAM policies allow exactly the calls drtui makes.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failed expectation is the test failing"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use drtui_core::calls::{Access, Operation};
use drtui_core::model::Role;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn templates() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("assets/cfn"))
        .expect("assets/cfn")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    paths
}

/// Every template as deployed for `role` of environment `prod`: the `!Sub` names resolved.
fn rendered(role: Role, region: &str) -> String {
    templates()
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("template"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("${EnvironmentSuffix}", "prod")
        .replace("${RegionRole}", role.as_str())
        .replace("${AWS::Region}", region)
        .replace("${DomainName}", "payments.example.com")
}

#[test]
fn every_concern_has_its_template() {
    let names: BTreeSet<String> = templates()
        .iter()
        .filter_map(|path| path.file_stem()?.to_str().map(str::to_owned))
        .collect();
    for concern in [
        "network",
        "database",
        "lambda",
        "api",
        "storage",
        "monitoring",
        "parameters",
        "route53",
        "failover",
    ] {
        assert!(names.contains(concern), "no assets/cfn/{concern}.yaml");
    }
}

/// cfn-lint (installed by ./scripts/test into the emulator venv) finds no error and no warning.
#[test]
fn cfn_lint_passes_every_template() {
    let python = std::env::var("DRTUI_PYTHON")
        .expect("DRTUI_PYTHON is not set: run ./scripts/test, which installs cfn-lint into .venv");
    // The console script next to the venv's python.
    let cfn_lint = Path::new(&python).with_file_name("cfn-lint");
    let output = std::process::Command::new(&cfn_lint)
        .args(["--format", "parseable"])
        .args(templates())
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run {}: {error}; ./scripts/test installs cfn-lint into .venv",
                cfn_lint.display()
            )
        });
    assert!(
        output.status.success(),
        "cfn-lint (exit {:?}):\n{}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_name_the_example_config_expects_is_in_the_templates() {
    let catalog = drtui_engine::config_file::load_catalog(Some(&root().join("drtui.example.toml")))
        .expect("config");
    let pair = catalog.get("prod").expect("the example pair");
    for role in Role::BOTH {
        let region = pair.region(role);
        let text = rendered(role, region);
        let mut expected = vec![
            pair.cluster(role).to_owned(),
            pair.global_cluster.clone(),
            pair.api_names[region].clone(),
            format!("PaymentDR-{}-prod", role.as_str()),
            pair.set_identifiers[region].clone(),
            pair.record_name.clone(),
        ];
        expected.extend(pair.lambda_functions[region].iter().cloned());
        for suffix in [
            "rds-replication-lag",
            "lambda-error-rate",
            "api-5xx-rate",
            "db-connections",
        ] {
            expected.push(format!("{}-{region}-{suffix}", pair.alarm_prefix));
        }
        for name in expected {
            assert!(text.contains(&name), "{name} ({region}) is in no template");
        }
    }
    let all = rendered(Role::Secondary, "us-east-2");
    let machine = pair.state_machine.as_deref().expect("state machine");
    let machine = machine.rsplit(':').next().expect("name");
    let lever = pair.traffic_lever.as_ref().expect("lever");
    let lock = pair.lock_table.as_deref().expect("lock table");
    for name in [machine, &lever.alarm, &lever.namespace, &lever.metric, lock] {
        assert!(all.contains(name), "{name} is in no template");
    }
    assert!(
        lever.alarm.starts_with(&pair.alarm_prefix),
        "the lever's alarm shows with the pair's alarms"
    );
}

fn actions(policy: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("assets/iam").join(policy)).expect("policy");
    let policy: Value = serde_json::from_str(&text).expect("JSON");
    policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .inspect(|statement| assert_eq!(statement["Effect"], "Allow", "{policy:?}"))
        .flat_map(|statement| {
            statement["Action"]
                .as_array()
                .expect("an action list")
                .iter()
                .map(|action| action.as_str().expect("a string").to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn iam_policies_allow_exactly_the_calls_drtui_makes() {
    let wanted = |accesses: &[Access]| -> BTreeSet<String> {
        Operation::ALL
            .iter()
            .filter(|operation| accesses.contains(&operation.access()))
            .map(|operation| operation.iam_action())
            .collect()
    };
    let readonly = actions("drtui-readonly.json");
    let operator = actions("drtui-operator.json");
    for (name, policy) in [("readonly", &readonly), ("operator", &operator)] {
        assert!(
            policy.iter().all(|action| !action.contains('*')),
            "{name}: no wildcard action: {policy:?}"
        );
    }
    assert_eq!(
        readonly,
        wanted(&[Access::Read]),
        "readonly: nothing missing, nothing extra"
    );
    assert_eq!(
        operator,
        wanted(&[Access::Read, Access::Act, Access::Lock]),
        "operator: nothing missing, nothing extra"
    );
    let provisioner = actions("drtui-provisioner.json");
    assert!(
        provisioner.contains("cloudformation:ExecuteChangeSet")
            && !provisioner.contains("rds:FailoverGlobalCluster"),
        "provisioner: change sets, no promote: {provisioner:?}"
    );
}

/// The shipped policies are what `drtui iam policy` prints for the reference estate.
#[test]
fn the_shipped_policies_are_the_reference_estates_generated_ones() {
    let catalog = drtui_engine::config_file::load_catalog(Some(&root().join("drtui.example.toml")))
        .expect("example config");
    let pair = catalog.get("prod").expect("prod");
    for role in drtui_core::iam::PolicyRole::ALL {
        let file = format!("drtui-{}.json", role.name());
        let text = std::fs::read_to_string(root().join("assets/iam").join(&file)).expect("policy");
        let shipped: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            shipped,
            drtui_core::iam::policy(pair, role),
            "{file} differs from `drtui --config drtui.example.toml iam policy --region-pair prod --role {}`",
            role.name()
        );
    }
}
