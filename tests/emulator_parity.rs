//! Parity and permissions against the moto emulator: functions deployed in both regions with
//! different code, a parameter missing in one region, a cluster with no instance, each named
//! by its check; and an IAM user without `rds:FailoverGlobalCluster`, whose `plan` marks the
//! call and whose `run failover` is refused before its first gate, naming the call and the
//! global cluster's ARN (the launcher answers SimulatePrincipalPolicy from moto's IAM).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

mod support;

use serde_json::Value;
use support::emulated::{status_json, write_config};
use support::{drtui, drtui_as, moto, pair_config};

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["readiness"]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|check| check["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

fn config_for(suffix: &str, options: &[&str]) -> (tempfile::TempDir, String) {
    let moto = moto();
    let seeded = moto.seed_with(suffix, options);
    let mut text = pair_config(suffix, &seeded, &format!("\"{}\"", moto.url), true, "3s");
    // The data-plane lever: its metric is granted only in its namespace, a condition the
    // simulation must be given the context for.
    text.push_str(&format!(
        "\n[pairs.{suffix}.traffic_lever]\nalarm = \"PaymentDR-{suffix}-primary-traffic-off\"\n\
         namespace = \"PaymentDR/Failover\"\nmetric = \"PrimaryTrafficOff\"\n"
    ));
    write_config(&text)
}

#[test]
fn a_twin_estate_passes_every_parity_check() {
    let (_dir, config) = config_for("pty", &["healthy-secondary", "healthy-primary"]);
    let (_, report, stderr) = status_json(&config, "pty");
    for id in [
        "code_parity",
        "capacity_parity",
        "config_parity",
        "engine_parity",
        "operator_permissions",
    ] {
        assert_eq!(
            check(&report, id)["status"],
            "pass",
            "{id}: {stderr}\n{:#}",
            check(&report, id)
        );
    }
    let detail = check(&report, "code_parity")["detail"].as_str().unwrap();
    assert!(detail.starts_with("3 function(s) in us-east-2"), "{detail}");
    let detail = check(&report, "operator_permissions")["detail"]
        .as_str()
        .unwrap();
    assert!(
        detail.starts_with("arn:aws:iam::123456789012:user/moto may make every call"),
        "{detail}"
    );
}

#[test]
fn older_code_a_missing_parameter_and_a_headless_cluster_are_named() {
    let (_dir, config) = config_for(
        "pdr",
        &[
            "healthy-secondary",
            "healthy-primary",
            "code-drift",
            "missing-parameter",
            "headless-secondary",
        ],
    );
    let (code, report, stderr) = status_json(&config, "pdr");
    let code_parity = check(&report, "code_parity");
    assert_eq!(code_parity["status"], "warn", "{code_parity:#}");
    let detail = code_parity["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("transaction-processing-secondary-pdr differs from transaction-processing-primary-pdr in code (CodeSha256 "),
        "{detail}"
    );
    let capacity = check(&report, "capacity_parity");
    assert_eq!(capacity["status"], "fail", "{capacity:#}");
    assert!(
        capacity["detail"]
            .as_str()
            .unwrap()
            .contains("the cluster in us-east-2 has no instance"),
        "{capacity:#}"
    );
    let config_parity = check(&report, "config_parity");
    assert_eq!(config_parity["status"], "warn", "{config_parity:#}");
    assert_eq!(
        config_parity["detail"], "/payment-dr/pdr/primary/fraud-threshold has no twin in us-east-2",
        "{config_parity:#}"
    );
    assert_eq!(report["readiness"]["verdict"], "not_ready", "{stderr}");
    assert_eq!(code, Some(0), "{stderr}");
}

/// An IAM user of the emulator with the pair's own operator policy less the promote: its
/// access key id and secret, space-separated.
fn user_without_the_promote(config: &str, suffix: &str) -> String {
    // The pair's own operator policy, less the promote.
    let policy = drtui(&[
        "iam",
        "policy",
        "--config",
        config,
        "--region-pair",
        suffix,
        "--role",
        "operator",
    ]);
    assert!(
        policy.status.success(),
        "{}",
        String::from_utf8_lossy(&policy.stderr)
    );
    let mut policy: Value = serde_json::from_slice(&policy.stdout).expect("policy JSON");
    for statement in policy["Statement"].as_array_mut().unwrap() {
        statement["Action"]
            .as_array_mut()
            .unwrap()
            .retain(|action| action != "rds:FailoverGlobalCluster");
    }
    moto().boto_output(&format!(
        "iam = client('iam', 'us-east-1')\n\
         iam.create_user(UserName='junior-{suffix}')\n\
         iam.put_user_policy(UserName='junior-{suffix}', PolicyName='operator-less-promote', PolicyDocument={:?})\n\
         key = iam.create_access_key(UserName='junior-{suffix}')['AccessKey']\n\
         print(key['AccessKeyId'], key['SecretAccessKey'])\n",
        policy.to_string()
    ))
}

#[test]
fn an_operator_without_the_promote_is_refused_before_the_first_gate() {
    let (_dir, config) = config_for("pfo", &["healthy-secondary"]);
    let keys = user_without_the_promote(&config, "pfo");
    let (key_id, secret) = keys.trim().split_once(' ').expect("keys");
    let global = "arn:aws:rds::123456789012:global-cluster:payment-global-pfo";
    // drtui as that user, on the pair.
    let as_junior = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--config", &config, "--region-pair", "pfo"]);
        drtui_as(&args, key_id, secret)
    };

    let plan = as_junior(&["plan", "failover"]);
    let text = String::from_utf8_lossy(&plan.stdout);
    // Shown with --nocapture: the proof of what an under-privileged operator reads.
    eprintln!("{text}");
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    assert!(
        text.contains("Permissions: arn:aws:iam::123456789012:user/junior-pfo is DENIED 3 call(s)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "DENY  rds:FailoverGlobalCluster on {global} (implicitDeny)"
        )),
        "{text}"
    );

    let run = as_junior(&["run", "failover", "--approve-all"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("drtui: permission preflight: arn:aws:iam::123456789012:user/junior-pfo may not make 3 call(s) runbook `failover` needs on this pair:"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "rds:FailoverGlobalCluster on {global} (implicitDeny)"
        )),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "",
        "nothing ran or was journalled, not even the first check"
    );
    // The dashboard's check says the same.
    let output = as_junior(&["status", "--format", "json"]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let permissions = check(&report, "operator_permissions");
    assert_eq!(permissions["status"], "fail", "{permissions:#}");
    assert!(
        permissions["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("rds:FailoverGlobalCluster on {global}")),
        "{permissions:#}"
    );
}
