//! The AWS backend against a local moto server (tests/moto/launcher.py): every seeded fact
//! reaches `drtui status --format json` and the dashboard, broken regions fail alone, the
//! launcher's Aurora failover extension behaves like AWS, and `discover` writes a usable pair.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

mod support;

use std::time::{Duration, Instant};

use drtui_core::clock::Clock;
use drtui_core::model::{Role, Source, SourceData};
use drtui_core::ports::StatusBackend;
use drtui_engine::clock::SystemClock;
use serde_json::Value;
use support::emulated::{InProcess, in_process, status_json, write_config};
use support::{closed_port, drtui, moto, pair_config, silent_listener};

fn alarm<'a>(region: &'a Value, suffix: &str) -> &'a Value {
    region["alarms"]
        .as_array()
        .expect("alarms")
        .iter()
        .find(|alarm| {
            alarm["name"]
                .as_str()
                .is_some_and(|name| name.ends_with(suffix))
        })
        .unwrap_or_else(|| panic!("no alarm *{suffix} in {region:#}"))
}

#[test]
fn status_json_reports_every_seeded_fact() {
    let moto = moto();
    let seeded = moto.seed("st");
    let (_dir, config) = write_config(&pair_config(
        "st",
        &seeded,
        &format!("\"{}\"", moto.url),
        true,
        "3s",
    ));
    let (code, report, stderr) = status_json(&config, "st");
    assert_eq!(code, Some(0), "{stderr}\n{report:#}");
    assert_eq!(report["complete"], true, "{report:#}");
    let [primary, secondary] = [&report["regions"][0], &report["regions"][1]];
    assert_eq!(primary["aurora"]["status"], "available");
    assert_eq!(primary["aurora"]["is_writer"], true);
    assert_eq!(secondary["aurora"]["is_writer"], false);
    assert_eq!(secondary["aurora"]["replication_lag_ms"], 850.0);
    assert_eq!(report["readiness"]["data_at_risk_ms"], 850.0);
    assert_eq!(
        primary["metrics"]["api_5xx_rate_pct"], 2.0,
        "20 of 1000 requests"
    );
    assert_eq!(
        primary["metrics"]["lambda_error_rate_pct"], 2.0,
        "6 errors in 300 invocations"
    );
    assert_eq!(primary["metrics"]["db_connections"], 42.0);
    assert_eq!(primary["metrics"]["api_latency_ms"], 85.0);
    // Health from the Route 53 metrics that ride in us-east-1's GetMetricData.
    assert_eq!(primary["health_checks"][0]["healthy"], true);
    assert_eq!(secondary["health_checks"][0]["healthy"], false);
    assert_eq!(secondary["health_checks"][0]["percent_healthy"], 12.5);
    assert_eq!(alarm(primary, "api-5xx-rate")["state"], "ALARM");
    assert!(
        alarm(primary, "api-5xx-rate")["reason"]
            .as_str()
            .is_some_and(|r| r.contains("seeded"))
    );
    assert_eq!(alarm(secondary, "api-5xx-rate")["state"], "OK");
    assert_eq!(report["dns"]["weights"]["us-east-1"], 100);
    assert_eq!(report["dns"]["weights"]["us-east-2"], 0);
    assert_eq!(report["global_cluster"]["writer_region"], "us-east-1");
    assert_eq!(
        report["failover_state_machine"]["last_execution"]["name"],
        "gameday-seeded"
    );
    assert_eq!(primary["stacks"][0]["name"], "TapStackst-primary");
    assert_eq!(primary["stacks"][0]["status"], "CREATE_COMPLETE");
    assert_eq!(report["identity"], "arn:aws:sts::123456789012:user/moto");
    // One GetMetricData per region per poll, health metrics included.
    assert_eq!(
        report["api_calls"]["cloudwatch"]["GetMetricData"], 2,
        "{:#}",
        report["api_calls"]
    );
    assert_eq!(
        report["api_calls"]["route53"].get("GetHealthCheckStatus"),
        None
    );
    // The secondary's endpoint fails its health check: it cannot take traffic.
    assert_eq!(report["readiness"]["verdict"], "not_ready");
}

#[test]
fn health_checks_come_from_the_weighted_records_when_not_configured() {
    let moto = moto();
    let seeded = moto.seed("hc");
    let (_dir, config) = write_config(&pair_config(
        "hc",
        &seeded,
        &format!("\"{}\"", moto.url),
        false,
        "3s",
    ));
    let (code, report, stderr) = status_json(&config, "hc");
    assert_eq!(code, Some(0), "{stderr}");
    for (index, region) in ["us-east-1", "us-east-2"].iter().enumerate() {
        let check = &report["regions"][index]["health_checks"][0];
        assert_eq!(check["id"], seeded["health_checks"][region], "{report:#}");
        // The first poll has no ids for the metrics call yet: GetHealthCheckStatus answers.
        assert_eq!(check["checkers_total"], 1);
    }
    assert_eq!(report["api_calls"]["route53"]["GetHealthCheckStatus"], 2);
}

/// CloudWatch answers, but its newest datapoints are 14 minutes old: no figure is shown as
/// current. The API and lag figures are null in JSON with how long CloudWatch has been silent,
/// the text says STALE, and the data at risk is unknown rather than the old 850 ms.
#[test]
fn datapoints_14_minutes_old_are_not_shown_as_current() {
    let moto = moto();
    let seeded = moto.seed_with("stale", &["stale-metrics"]);
    let text = pair_config("stale", &seeded, &format!("\"{}\"", moto.url), true, "3s").replacen(
        "poll_interval",
        "dynamodb_tables = [\"payment-transactions-stale\"]\npoll_interval",
        1,
    );
    let (_dir, config) = write_config(&text);
    let (_, report, stderr) = status_json(&config, "stale");
    // 14 minutes, plus up to a minute for the period the datapoint starts, plus a slow run.
    // The global table's figure too: its age, marked stale, never a current lag.
    let table = report["stores"]
        .as_array()
        .expect("stores")
        .iter()
        .find(|store| store["kind"] == "dynamodb" && store["from"] == "us-east-1")
        .expect("table")
        .clone();
    assert_eq!(table["stale"], true, "{table:#}");
    assert!(table["lag_ms"].is_null(), "{table:#}");
    assert!(
        table["age_s"]
            .as_f64()
            .is_some_and(|age| (800.0..=960.0).contains(&age)),
        "{table:#}"
    );
    for region in report["regions"].as_array().expect("regions") {
        let silent = region["metrics_silent_s"].as_f64().expect("silent for");
        assert!(
            (800.0..=960.0).contains(&silent),
            "{silent}: {region:#}\n{stderr}"
        );
        assert!(
            region["metrics"]["api_5xx_rate_pct"].is_null(),
            "{region:#}"
        );
        assert!(
            region["metrics"]["replication_lag_ms"].is_null(),
            "{region:#}"
        );
    }
    assert!(
        report["readiness"]["data_at_risk_ms"].is_null(),
        "{:#}",
        report["readiness"]
    );
    let text = support::drtui(&["status", "--config", &config, "--region-pair", "stale"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("STALE: newest datapoint 1") && !text.contains("850 ms"),
        "{text}"
    );
}

/// A typo in `alarm_prefix` must not look like a quiet estate: zero alarms matched is
/// silence. The alarm checks warn naming the prefix asked for, the answer is incomplete
/// (`complete: false`, exit 3), and the verdict is not READY.
#[test]
fn an_alarm_prefix_matching_nothing_is_not_quiet() {
    let moto = moto();
    let seeded = moto.seed_with("typo", &["healthy-secondary", "healthy-primary"]);
    let text = pair_config("typo", &seeded, &format!("\"{}\"", moto.url), true, "3s").replace(
        "alarm_prefix = \"PaymentDR-typo\"",
        "alarm_prefix = \"PaymentDr-typo\"",
    );
    assert!(text.contains("PaymentDr-typo"), "{text}");
    let (_dir, config) = write_config(&text);
    let (code, report, stderr) = status_json(&config, "typo");
    assert_eq!(code, Some(3), "{stderr}\n{report:#}");
    assert_eq!(report["complete"], false, "{report:#}");
    let checks = report["readiness"]["checks"].as_array().expect("checks");
    let check = |name: &str| {
        checks
            .iter()
            .find(|check| check["id"] == name)
            .unwrap_or_else(|| panic!("{name}: {checks:#?}"))
    };
    assert_eq!(check("secondary_alarms_quiet")["status"], "warn");
    assert!(
        check("secondary_alarms_quiet")["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("no alarm named PaymentDr-typo* in us-east-2")),
        "{:#}",
        check("secondary_alarms_quiet")
    );
    assert_eq!(check("data_fresh")["status"], "warn");
    assert_ne!(report["readiness"]["verdict"], "ready");
}

#[test]
fn dashboard_renders_the_emulated_estate() {
    let InProcess {
        pair,
        runtime,
        backend,
        ..
    } = in_process("ui");
    let clock = SystemClock;
    let mut app = drtui_tui::app::App::new(
        pair.clone(),
        backend.describe(),
        pair.empty_snapshot(),
        clock.now(),
    );
    for update in runtime.block_on(drtui_engine::poll::poll_once(
        &backend,
        &clock,
        pair.call_timeout,
    )) {
        drtui_tui::app::update(&mut app, drtui_tui::app::Msg::Update(Box::new(update)));
    }
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 45)).expect("terminal");
    terminal
        .draw(|frame| drtui_tui::render::render(&app, frame))
        .expect("draw");
    let screen = terminal.backend().to_string();
    for expected in [
        "lag 850ms",
        "✖ 5XX 2.00%",
        "✖ 1 ALARM",
        "✖ UNHEALTHY",
        "WRITER",
        "gameday-seeded",
        "NOT READY",
    ] {
        assert!(screen.contains(expected), "missing {expected:?}:\n{screen}");
    }
}

#[test]
fn a_refused_region_fails_alone_and_status_exits_3() {
    let moto = moto();
    let seeded = moto.seed("rf");
    let endpoint = format!(
        "{{ us-east-1 = \"{}\", us-east-2 = \"http://127.0.0.1:{}\" }}",
        moto.url,
        closed_port()
    );
    let (_dir, config) = write_config(&pair_config("rf", &seeded, &endpoint, true, "2s"));
    let began = Instant::now();
    let (code, report, stderr) = status_json(&config, "rf");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "took {:?}",
        began.elapsed()
    );
    assert_eq!(report["complete"], false);
    assert_eq!(
        report["regions"][0]["aurora"]["status"], "available",
        "the primary still answers"
    );
    assert_eq!(report["regions"][0]["metrics"]["db_connections"], 42.0);
    let errors = report["regions"][1]["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|error| error["source"] == "aurora"
            && error["message"]
                .as_str()
                .is_some_and(|m| m.contains("cannot reach"))),
        "{errors:#?}"
    );
    assert_eq!(report["regions"][1]["aurora"]["status"], Value::Null);
}

#[test]
fn a_hung_region_costs_one_timeout_and_status_exits_3() {
    let moto = moto();
    let seeded = moto.seed("hg");
    let endpoint = format!(
        "{{ us-east-1 = \"{}\", us-east-2 = \"http://127.0.0.1:{}\" }}",
        moto.url,
        silent_listener()
    );
    let (_dir, config) = write_config(&pair_config("hg", &seeded, &endpoint, true, "1s"));
    let began = Instant::now();
    let (code, report, stderr) = status_json(&config, "hg");
    let took = began.elapsed();
    assert_eq!(code, Some(3), "{stderr}");
    // Two rounds at most (health checks go second), each bounded by the 1 s call timeout.
    assert!(
        took < Duration::from_secs(5),
        "a hung region cost {took:?} with a 1 s call timeout"
    );
    let errors = report["regions"][1]["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|error| error["source"] == "metrics"
            && error["message"]
                .as_str()
                .is_some_and(|m| m.contains("timed out"))),
        "{errors:#?}"
    );
    assert_eq!(report["regions"][0]["aurora"]["status"], "available");
    assert_eq!(
        report["dns"]["weights"]["us-east-1"], 100,
        "Route 53 (us-east-1) still answers"
    );
    // The global cluster is asked of the primary too when the secondary does not answer.
    assert_eq!(
        report["global_cluster"]["writer_region"], "us-east-1",
        "{:#}",
        report["global_cluster"]
    );
}

fn rds(url: &str, region: &str) -> aws_sdk_rds::Client {
    let config = aws_sdk_rds::Config::builder()
        .behavior_version(aws_sdk_rds::config::BehaviorVersion::latest())
        .region(aws_sdk_rds::config::Region::new(region.to_owned()))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_rds::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    aws_sdk_rds::Client::from_conf(config)
}

#[test]
fn launcher_moves_the_writer_with_a_transient_failover_state() {
    let moto = moto();
    let InProcess {
        runtime, backend, ..
    } = in_process("fo");
    let global = || match runtime.block_on(backend.fetch(Source::GlobalCluster)) {
        Ok(SourceData::GlobalCluster(global)) => global,
        other => panic!("{other:?}"),
    };
    let secondary_arn = "arn:aws:rds:us-east-2:123456789012:cluster:payment-secondary-fo";
    let client = rds(&moto.url, "us-east-2");
    runtime
        .block_on(
            client
                .switchover_global_cluster()
                .global_cluster_identifier("payment-global-fo")
                .target_db_cluster_identifier(secondary_arn)
                .send(),
        )
        .expect("switchover accepted");
    let during = global();
    let state = during
        .failover_state
        .clone()
        .expect("a switchover in progress is reported");
    assert_eq!(state.status, "switching-over");
    assert_eq!(state.is_data_loss_allowed, Some(false));
    assert_eq!(state.from_region.as_deref(), Some("us-east-1"));
    assert_eq!(state.to_region.as_deref(), Some("us-east-2"));
    assert_eq!(
        during.writer_region(),
        Some("us-east-1"),
        "the writer moves only when the switchover completes"
    );
    // A second request while one is in flight is refused, as on AWS.
    let again = runtime.block_on(
        client
            .switchover_global_cluster()
            .global_cluster_identifier("payment-global-fo")
            .target_db_cluster_identifier(secondary_arn)
            .send(),
    );
    assert!(again.is_err());
    std::thread::sleep(Duration::from_millis(1_500));
    let after = global();
    assert_eq!(after.writer_region(), Some("us-east-2"));
    assert_eq!(after.failover_state, None);

    // An unplanned failover back, allowing data loss.
    let primary_arn = "arn:aws:rds:us-east-1:123456789012:cluster:payment-primary-fo";
    runtime
        .block_on(
            client
                .failover_global_cluster()
                .global_cluster_identifier("payment-global-fo")
                .target_db_cluster_identifier(primary_arn)
                .allow_data_loss(true)
                .send(),
        )
        .expect("failover accepted");
    let state = global().failover_state.expect("failover in progress");
    assert_eq!(
        (state.status.as_str(), state.is_data_loss_allowed),
        ("failing-over", Some(true))
    );
    assert_eq!(state.from_db_cluster_arn.as_deref(), Some(secondary_arn));
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(global().writer_region(), Some("us-east-1"));
    let _ = Role::Primary;
}

#[test]
fn discover_writes_a_pair_that_status_then_reads() {
    let moto = moto();
    moto.seed("dc");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("drtui.toml").display().to_string();
    let printed = drtui(&[
        "discover",
        "--region-pair",
        "found",
        "--stack-prefix",
        "TapStackdc",
        "--endpoint-url",
        &moto.url,
    ]);
    assert_eq!(
        printed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let text = String::from_utf8_lossy(&printed.stdout);
    assert!(
        text.contains("global_cluster = \"payment-global-dc\""),
        "{text}"
    );
    let written = drtui(&[
        "discover",
        "--region-pair",
        "found",
        "--stack-prefix",
        "TapStackdc",
        "--endpoint-url",
        &moto.url,
        "--config",
        &config,
        "--write",
    ]);
    assert_eq!(
        written.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let again = drtui(&[
        "discover",
        "--region-pair",
        "found",
        "--stack-prefix",
        "TapStackdc",
        "--endpoint-url",
        &moto.url,
        "--config",
        &config,
        "--write",
    ]);
    assert_eq!(again.status.code(), Some(2), "a pair is never overwritten");
    // The --endpoint-url it was discovered with is the pair's own now: status needs no flag.
    let output = drtui(&[
        "status",
        "--config",
        &config,
        "--region-pair",
        "found",
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["global_cluster"]["writer_region"], "us-east-1");
    assert_eq!(report["regions"][0]["metrics"]["api_5xx_rate_pct"], 2.0);
    assert_eq!(report["regions"][1]["health_checks"][0]["healthy"], false);
}

/// `discover --update` on a config reached through a symlink writes the target (the link
/// stays a link, the target keeps its mode) and fills in what was missing.
#[test]
fn discover_updates_a_symlinked_config_in_place() {
    use std::os::unix::fs::PermissionsExt as _;
    let moto = moto();
    moto.seed("du");
    let dir = tempfile::tempdir().expect("temp dir");
    let real = dir.path().join("real.toml");
    let written = drtui(&[
        "discover",
        "--region-pair",
        "found",
        "--stack-prefix",
        "TapStackdu",
        "--endpoint-url",
        &moto.url,
        "--config",
        &real.display().to_string(),
        "--write",
    ]);
    assert_eq!(
        written.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let text = std::fs::read_to_string(&real).expect("config");
    assert!(
        text.contains("global_cluster = \"payment-global-du\""),
        "{text}"
    );
    std::fs::write(
        &real,
        text.replace(
            "global_cluster = \"payment-global-du\"",
            "global_cluster = \"\"",
        ),
    )
    .expect("blank it");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).expect("mode");
    let link = dir.path().join("link.toml");
    std::os::unix::fs::symlink(&real, &link).expect("link");
    let updated = drtui(&[
        "discover",
        "--region-pair",
        "found",
        "--stack-prefix",
        "TapStackdu",
        "--config",
        &link.display().to_string(),
        "--update",
    ]);
    assert_eq!(
        updated.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&updated.stderr)
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    let text = std::fs::read_to_string(&real).expect("config");
    assert!(
        text.contains("global_cluster = \"payment-global-du\""),
        "{text}"
    );
    assert_eq!(
        std::fs::metadata(&real).expect("meta").permissions().mode() & 0o777,
        0o640
    );
}

/// Several estates at once: `status --all-pairs` polls every configured pair concurrently and
/// prints a JSON array of the same per-pair objects; one pair is one object, as before.
#[test]
fn status_of_all_pairs_is_an_array_of_the_per_pair_objects() {
    let moto = moto();
    let endpoint = format!("\"{}\"", moto.url);
    let text = ["rpa", "rpb"]
        .iter()
        .map(|suffix| {
            let seeded = moto.seed_with(suffix, &["healthy-secondary", "healthy-primary"]);
            pair_config(suffix, &seeded, &endpoint, true, "3s")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (_dir, config) = write_config(&text);
    let output = drtui(&[
        "status",
        "--config",
        &config,
        "--all-pairs",
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let reports: Value = serde_json::from_slice(&output.stdout).expect("json");
    let pairs: Vec<&str> = reports
        .as_array()
        .expect("an array")
        .iter()
        .map(|report| report["pair"].as_str().expect("pair"))
        .collect();
    assert_eq!(pairs, ["rpa", "rpb"]);
    for report in reports.as_array().expect("array") {
        assert_eq!(report["readiness"]["phase"], "steady", "{report}");
        assert!(report["cost"]["usd_per_day"].as_f64().expect("cost") <= 0.60);
    }
    let (code, one, _) = status_json(&config, "rpa");
    assert_eq!(code, Some(0));
    assert!(one.is_object(), "one pair stays one object");
}

/// The stores beside Aurora through moto's CloudWatch: the global table's latency each way
/// and the S3 rule's backlog, asked with every dimension in the region that publishes them;
/// the worst (the bucket's 40 s) is the data at risk, over the RPO budget, named.
#[test]
fn the_stores_replication_is_read_with_its_dimensions() {
    let moto = moto();
    let seeded = moto.seed_with("sto", &["healthy-secondary", "healthy-primary"]);
    let mut text = pair_config("sto", &seeded, &format!("\"{}\"", moto.url), true, "3s");
    text = text.replacen(
        "poll_interval",
        "dynamodb_tables = [\"payment-transactions-sto\"]\n\
         replicated_buckets = [{ source = \"payment-documents-primary-sto-123456789012\", destination = \"payment-documents-secondary-sto-123456789012\", rule_id = \"to-secondary\", from = \"us-east-1\" }]\n\
         replicated_secrets = [\"payment-db-credentials-sto\"]\n\
         poll_interval",
        1,
    );
    let (_dir, config) = write_config(&text);
    let (_, report, stderr) = status_json(&config, "sto");
    let stores = report["stores"].as_array().expect("stores");
    let find = |kind: &str, from: &str| {
        stores
            .iter()
            .find(|store| store["kind"] == kind && store["from"] == from)
            .unwrap_or_else(|| panic!("{kind} from {from}: {stores:#?}\n{stderr}"))
    };
    assert_eq!(find("dynamodb", "us-east-1")["lag_ms"], 1200.0);
    assert_eq!(find("dynamodb", "us-east-2")["lag_ms"], 900.0);
    let bucket = find("s3", "us-east-1");
    assert_eq!(bucket["lag_ms"], 40_000.0, "S3 reports seconds");
    assert_eq!(bucket["pending_operations"], 3000.0);
    assert_eq!(bucket["pending_bytes"], 4.5e9);
    assert_eq!(bucket["failed_operations"], 2.0);
    assert_eq!(bucket["stale"], false);
    assert_eq!(report["readiness"]["data_at_risk_ms"], 40_000.0);
    assert_eq!(
        report["readiness"]["data_at_risk_store"],
        "s3 payment-documents-primary-sto-123456789012"
    );
    // The secret replicated with ReplicateSecretToRegions: its replica's status, in sync.
    let secret = find("secret", "us-east-1");
    assert_eq!(secret["to"], "us-east-2", "{secret:#}");
    assert_eq!(secret["status"], "InSync", "{secret:#}");
    assert_eq!(report["complete"], true, "{report:#}");
    let checks = report["readiness"]["checks"].as_array().expect("checks");
    let s3 = checks
        .iter()
        .find(|check| check["id"] == "s3_replication")
        .expect("s3 check");
    assert_eq!(s3["status"], "warn", "{s3}");
    assert!(
        s3["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("2 operations failed")),
        "{s3}"
    );
}
