//! `provision` on an unprovisioned emulator account: every template deployed by change set,
//! then `discover --update` and `status` read a complete estate.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

mod support;

use serde_json::Value;
use support::emulated::write_config;
use support::{drtui, moto};

/// The pair `provision` starts from: names only (the hosted zone does not exist yet, so its id
/// is a placeholder until `discover` writes the real pair).
fn unprovisioned_pair(suffix: &str, url: &str) -> String {
    let stacks = |role: &str| {
        [
            "Vpc",
            "Database",
            "Lambda",
            "Api",
            "Storage",
            "Monitoring",
            "Parameters",
        ]
        .iter()
        .map(|kind| format!("\"PaymentDR-{kind}-{role}-{suffix}\""))
        .collect::<Vec<_>>()
    };
    let mut primary = stacks("primary");
    primary.push(format!("\"PaymentDR-Route53-{suffix}\""));
    primary.push(format!("\"PaymentDR-Failover-{suffix}\""));
    format!(
        r#"[pairs.{suffix}]
primary = "us-east-1"
secondary = "us-east-2"
endpoint_url = "{url}"
environment_suffix = "{suffix}"
global_cluster = "payment-global-{suffix}"
hosted_zone_id = "ZNOTPROVISIONEDYET"
record_name = "api.payments-{suffix}.example.com"
alarm_prefix = "PaymentDR-{suffix}"
poll_interval = "1s"
call_timeout = "3s"

[pairs.{suffix}.clusters]
us-east-1 = "payment-primary-{suffix}"
us-east-2 = "payment-secondary-{suffix}"

[pairs.{suffix}.set_identifiers]
us-east-1 = "primary"
us-east-2 = "secondary"

[pairs.{suffix}.stacks]
us-east-1 = [{}]
us-east-2 = [{}]
"#,
        primary.join(", "),
        stacks("secondary").join(", ")
    )
}

/// Resource types moto's CloudFormation accepts in a change set but never creates.
const MOTO_SKIPS: [&str; 4] = [
    "AWS::RDS::DBCluster",
    "AWS::CloudWatch::Alarm",
    "AWS::DynamoDB::GlobalTable",
    "AWS::SecretsManager::Secret",
];

#[test]
fn provision_deploys_every_template_then_discover_and_status_read_a_complete_estate() {
    let moto = moto();
    let (dir, config) = write_config(&unprovisioned_pair("prov", &moto.url));
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "provision",
            "--config",
            &config,
            "--region-pair",
            "prov",
            "--approve-all",
        ];
        args.extend_from_slice(extra);
        drtui(&args)
    };
    let first = run(&[]);
    let text = String::from_utf8_lossy(&first.stdout).into_owned();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    for stack in [
        "Vpc-primary",
        "Database-primary",
        "Lambda-primary",
        "Api-primary",
        "Storage-primary",
        "Monitoring-primary",
        "Parameters-primary",
        "Vpc-secondary",
        "Database-secondary",
        "Lambda-secondary",
        "Api-secondary",
        "Storage-secondary",
        "Monitoring-secondary",
        "Parameters-secondary",
        "Route53",
        "Failover",
    ] {
        let name = format!("stack PaymentDR-{stack}-prov CREATE_COMPLETE");
        assert!(text.contains(&name), "{name} missing:\n{text}");
    }
    // Each change set lists what it adds, streamed as the run goes.
    assert!(
        text.contains("primary-network │ change set (create)"),
        "{text}"
    );
    assert!(text.contains("Vpc AWS::EC2::VPC CREATE_COMPLETE"), "{text}");
    // The secondary's bucket gets its rule back once the primary's exists: planned as an
    // update of the secondary's storage stack (moto computes it empty).
    assert!(
        text.contains("secondary-storage-back │ change set (update)"),
        "{text}"
    );
    // What moto skipped: planned in the change sets, absent from the emulator.
    for skipped in MOTO_SKIPS {
        assert!(
            text.contains(&format!("({skipped})")),
            "{skipped} not planned:\n{text}"
        );
    }
    moto.boto(
        "ids = [c['DBClusterIdentifier'] for c in client('rds', 'us-east-1').describe_db_clusters()['DBClusters']]\n\
         assert 'payment-primary-prov' not in ids, ids\n\
         assert not client('cloudwatch', 'us-east-2').describe_alarms(AlarmNamePrefix='PaymentDR-prov')['MetricAlarms']\n",
    );
    eprintln!(
        "moto's CloudFormation skipped {}; seeding fills them",
        MOTO_SKIPS.join(", ")
    );
    // Again: every change set is empty, nothing is executed.
    let second = run(&[]);
    let again = String::from_utf8_lossy(&second.stdout).into_owned();
    assert_eq!(second.status.code(), Some(0), "{again}");
    assert_eq!(again.matches("nothing to do").count(), 17, "{again}");
    assert!(
        !again.contains("ExecuteChangeSet") && !again.contains("_IN_PROGRESS"),
        "{again}"
    );

    moto.seed_with(
        "prov",
        &["provisioned", "healthy-primary", "healthy-secondary"],
    );
    // The pair written before provisioning takes the ids the stacks made, in place.
    let updated = drtui(&[
        "discover",
        "--region-pair",
        "prov",
        "--stack-prefix",
        "PaymentDR-",
        "--config",
        &config,
        "--update",
    ]);
    let said = String::from_utf8_lossy(&updated.stderr).into_owned();
    assert_eq!(updated.status.code(), Some(0), "{said}");
    assert!(
        said.contains("updated pair `prov`") && said.contains("hosted_zone_id"),
        "{said}"
    );
    let section = std::fs::read_to_string(&config).expect("config");
    assert!(
        !section.contains("ZNOTPROVISIONEDYET")
            && section.contains("environment_suffix = \"prov\"")
            && section.contains("poll_interval = \"1s\""),
        "placeholders replaced, the pair's own settings kept:\n{section}"
    );
    // Every id the pair needs, from stack outputs alone.
    for expected in [
        "global_cluster = \"payment-global-prov\"",
        "record_name = \"api.payments-prov.example.com\"",
        "alarm_prefix = \"PaymentDR-prov\"",
        "stateMachine:PaymentDR-failover-prov",
        "lock_table = \"drtui-locks-prov\"",
        "PaymentDR-prov-primary-traffic-off",
        "us-east-1 = \"payment-primary-prov\"",
        "us-east-2 = \"payment-api-secondary-prov\"",
        "[pairs.prov.health_checks]",
        "\"payment-validation-primary-prov\"",
        "\"notification-secondary-prov\"",
        "\"PaymentDR-Database-secondary-prov\"",
        // (dynamodb_tables comes from the global table's output, which moto skips.)
        "replicated_secrets = [\"payment-db-credentials-prov\"]",
        "rule_id = \"to-secondary\", from = \"us-east-1\"",
        // (the rule back, `to-primary`, is added by a parameter-only update, which moto's
        // change sets leave empty: the demo and the discover unit test cover it.)
    ] {
        assert!(section.contains(expected), "{expected} missing:\n{section}");
    }
    let output = drtui(&[
        "status",
        "--config",
        &config,
        "--region-pair",
        "prov",
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["complete"], true, "{report:#}");
    assert_eq!(report["global_cluster"]["writer_region"], "us-east-1");
    // The stores discover found, read: the bucket's seeded backlog is the data at risk.
    assert_eq!(
        report["readiness"]["data_at_risk_store"], "s3 payment-documents-primary-prov-123456789012",
        "{:#}",
        report["stores"]
    );
    for region in 0..2 {
        let stacks = report["regions"][region]["stacks"]
            .as_array()
            .expect("stacks");
        assert!(!stacks.is_empty(), "{report:#}");
        assert!(
            stacks
                .iter()
                .all(|stack| stack["status"] == "CREATE_COMPLETE"),
            "{report:#}"
        );
        assert_eq!(
            report["regions"][region]["health_checks"][0]["healthy"], true,
            "{report:#}"
        );
    }
    drop(dir);
}

/// The README's new-account path as written: `drtui.example.toml` copied unchanged (its
/// `profile`, its `lock_table` that `provision` itself creates), `run provision` against the
/// emulator, then `discover --update`. The first provision runs under this machine's lock and
/// says so in one line; the second takes the table's lock; the update keeps the comments.
#[test]
fn the_new_account_path_works_from_the_example_config() {
    let moto = moto();
    let example = std::fs::read_to_string(support::manifest_dir().join("drtui.example.toml"))
        .expect("example");
    let (dir, config) = write_config(&example);
    // The example's profile, as the operator's AWS config would hold it.
    let aws = dir.path().join("aws");
    std::fs::create_dir_all(&aws).expect("aws dir");
    std::fs::write(
        aws.join("credentials"),
        "[payments-prod]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )
    .expect("credentials");
    std::fs::write(
        aws.join("config"),
        "[profile payments-prod]\nregion = us-east-1\n",
    )
    .expect("aws config");
    let state = dir.path().join("state");
    let drtui_as_operator = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_drtui"));
        command
            .args(args)
            .args(["--config", &config, "--endpoint-url", &moto.url])
            .stdin(std::process::Stdio::null())
            .env_remove("DRTUI_CONFIG")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", aws.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", aws.join("credentials"))
            .env("DRTUI_STATE_DIR", &state);
        command.output().expect("drtui")
    };
    let provision = ["run", "provision", "--region-pair", "prod", "--approve-all"];
    let first = drtui_as_operator(&provision);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(first.status.code(), Some(0), "{said}");
    assert_eq!(
        said.matches("does not exist yet (this run's stacks create it): the run holds this machine's lock only")
            .count(),
        1,
        "{said}"
    );
    assert!(!said.contains("ServiceError"), "no debug dump: {said}");
    // The table exists now: the second provision takes its lock and changes nothing.
    let second = drtui_as_operator(&provision);
    let again = String::from_utf8_lossy(&second.stdout);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{again}{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(!again.contains("does not exist yet"), "{again}");
    let updated = drtui_as_operator(&[
        "discover",
        "--region-pair",
        "prod",
        "--stack-prefix",
        "TapStackprod",
        "--update",
    ]);
    assert_eq!(
        updated.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&updated.stderr)
    );
    let written = std::fs::read_to_string(&config).expect("config");
    for comment in [
        "# The run lock shared by every operator's machine",
        "# Per-call timeout: a hung region costs this much per poll",
        "# AWS credentials profile (else AWS_PROFILE / the default chain).",
    ] {
        assert!(written.contains(comment), "{comment} lost:\n{written}");
    }
    assert!(
        written.contains("lock_table = \"drtui-locks-prod\""),
        "{written}"
    );
}
