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

use std::sync::Arc;
use std::time::{Duration, Instant};

use drtui_backend::aws::{AwsBackend, ClientPool, Clients, Overrides};
use drtui_core::clock::Clock;
use drtui_core::model::{Role, Source, SourceData};
use drtui_core::ports::StatusBackend;
use drtui_engine::clock::SystemClock;
use serde_json::Value;
use support::{closed_port, drtui, moto, pair_config, silent_listener};

fn write_config(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("drtui.toml");
    std::fs::write(&path, text).expect("write config");
    (dir, path.display().to_string())
}

fn status_json(config: &str, pair: &str) -> (Option<i32>, Value, String) {
    let output = drtui(&[
        "status",
        "--config",
        config,
        "--region-pair",
        pair,
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}; stdout {}; stderr {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (output.status.code(), report, stderr)
}

/// An in-process AWS backend on the seeded estate `suffix`, with its runtime.
struct InProcess {
    _dir: tempfile::TempDir,
    pair: drtui_core::config::RegionPair,
    runtime: tokio::runtime::Runtime,
    backend: AwsBackend,
}

fn in_process(suffix: &str) -> InProcess {
    let moto = moto();
    let seeded = moto.seed(suffix);
    let (dir, config) = write_config(&pair_config(
        suffix,
        &seeded,
        &format!("\"{}\"", moto.url),
        true,
        "3s",
    ));
    let catalog =
        drtui_core::config::load_catalog(Some(std::path::Path::new(&config))).expect("config");
    let pair = catalog.get(suffix).expect("pair").clone();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let overrides = Overrides {
        static_credentials: Some(("testing".into(), "testing".into())),
        ..Overrides::default()
    };
    let clients = runtime.block_on(Clients::load(&pair, &overrides, &ClientPool::default()));
    let backend = AwsBackend::new(&pair, clients, Arc::new(SystemClock));
    InProcess {
        _dir: dir,
        pair,
        runtime,
        backend,
    }
}

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
    let output = drtui(&[
        "status",
        "--config",
        &config,
        "--region-pair",
        "found",
        "--endpoint-url",
        &moto.url,
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["global_cluster"]["writer_region"], "us-east-1");
    assert_eq!(report["regions"][0]["metrics"]["api_5xx_rate_pct"], 2.0);
    assert_eq!(report["regions"][1]["health_checks"][0]["healthy"], false);
}

/// An in-process backend on a freshly seeded estate, with a state dir for run journals.
struct Emulated {
    run: InProcess,
    state: std::path::PathBuf,
}

fn emulated(suffix: &str, seed_options: &[&str], state_machine: bool) -> Emulated {
    let moto = moto();
    let seeded = moto.seed_with(suffix, seed_options);
    let text = pair_config(suffix, &seeded, &format!("\"{}\"", moto.url), true, "3s")
        .lines()
        .filter(|line| state_machine || !line.starts_with("state_machine"))
        .collect::<Vec<_>>()
        .join("\n");
    let (dir, config) = write_config(&text);
    let catalog_pairs =
        drtui_core::config::load_catalog(Some(std::path::Path::new(&config))).expect("config");
    let pair = catalog_pairs.get(suffix).expect("pair").clone();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let overrides = Overrides {
        static_credentials: Some(("testing".into(), "testing".into())),
        ..Overrides::default()
    };
    let backend = AwsBackend::new(
        &pair,
        runtime.block_on(Clients::load(&pair, &overrides, &ClientPool::default())),
        Arc::new(SystemClock),
    );
    let state = dir.path().join("state");
    Emulated {
        run: InProcess {
            _dir: dir,
            pair,
            runtime,
            backend,
        },
        state,
    }
}

/// Plays (or resumes) a built-in runbook on the emulated estate; returns how it ended, its
/// run id and its journal records.
fn play_on(
    emulated: &Emulated,
    runbook: &str,
    approvals: drtui_engine::engine::Approvals,
    resume: Option<&drtui_engine::playback::Resumable>,
) -> (
    drtui_engine::engine::Outcome,
    String,
    Vec<drtui_core::runbook::journal::Record>,
) {
    use drtui_engine::engine::Engine;
    use drtui_engine::playback::Playback;
    let (_, runbook, hash) =
        drtui_core::runbook::catalog::find_with_hash(runbook).expect("runbook");
    let run = &emulated.run;
    let player = Playback {
        engine: Engine {
            pair: &run.pair,
            runbook: &runbook,
            status: &run.backend,
            act: &run.backend,
            clock: &SystemClock,
            operator: "arn:aws:sts::123456789012:user/moto".into(),
            approvals,
            read_only: false,
            gatekeeper: None,
            pause: None,
        },
        runbook_hash: hash,
        state: emulated.state.clone(),
        remote_lock: None,
    };
    let mut records = Vec::new();
    let (run_id, outcome) = run
        .runtime
        .block_on(player.play(resume, &mut |record| records.push(record.clone())))
        .expect("played");
    (outcome, run_id, records)
}

fn approve_all() -> drtui_engine::engine::Approvals {
    drtui_engine::engine::Approvals {
        all: true,
        ids: Default::default(),
    }
}

/// The mutating calls the backend made, one entry per call.
fn mutating_calls(backend: &AwsBackend) -> Vec<String> {
    backend
        .call_counts()
        .iter()
        .flat_map(|(service, operations)| {
            operations
                .iter()
                .map(move |(operation, count)| (format!("{service}:{operation}"), *count))
        })
        .filter(|(call, _)| MUTATING.contains(&call.as_str()))
        .flat_map(|(call, count)| std::iter::repeat_n(call, count as usize))
        .collect()
}

/// Runs a built-in runbook in-process against the emulator (a healthy estate, no state
/// machine: moto does not run Lambda tasks, so traffic moves by set_weights); returns the
/// outcome, the mutating calls `plan` listed and those the backend made.
fn run_on_emulator(
    suffix: &str,
    runbook: &str,
) -> (
    drtui_engine::engine::Outcome,
    Vec<String>,
    Vec<String>,
    InProcess,
) {
    let emulated = emulated(suffix, &["healthy-secondary", "healthy-primary"], false);
    let (_, spec, _) = drtui_core::runbook::catalog::find_with_hash(runbook).expect("runbook");
    let planned: Vec<String> = drtui_core::runbook::plan::plan(&spec, &emulated.run.pair)
        .iter()
        .flat_map(|step| step.calls.iter())
        .map(|call| call.operation.to_string().replace("states:", "sfn:"))
        .filter(|call| MUTATING.contains(&call.as_str()))
        .collect();
    let (outcome, _, _) = play_on(&emulated, runbook, approve_all(), None);
    let made = mutating_calls(&emulated.run.backend);
    (outcome, planned, made, emulated.run)
}

const MUTATING: [&str; 7] = [
    "route53:ChangeResourceRecordSets",
    "cloudwatch:PutMetricData",
    "rds:SwitchoverGlobalCluster",
    "rds:FailoverGlobalCluster",
    "sfn:StartExecution",
    "cloudwatch:EnableAlarmActions",
    "cloudwatch:DisableAlarmActions",
];

fn sorted(mut calls: Vec<String>) -> Vec<String> {
    calls.sort();
    calls
}

#[test]
fn switchover_on_the_emulator_moves_writer_and_weights_with_exactly_the_planned_calls() {
    let (outcome, planned, made, run) = run_on_emulator("rs", "switchover");
    assert_eq!(outcome, drtui_engine::engine::Outcome::Completed);
    // The rollback-only restore step is planned but never runs on success.
    let mut expected = planned.clone();
    expected.retain(|call| call != "route53:ChangeResourceRecordSets");
    expected.push("route53:ChangeResourceRecordSets".to_owned());
    assert_eq!(sorted(made), sorted(expected), "plan listed {planned:?}");
    assert_writer_and_traffic_in_the_secondary(run);
}

#[test]
fn failover_on_the_emulator_promotes_the_secondary_and_moves_traffic() {
    let (outcome, planned, made, run) = run_on_emulator("rf2", "failover");
    assert_eq!(outcome, drtui_engine::engine::Outcome::Completed);
    // Without a state machine the start_execution step is skipped; everything else as planned.
    let expected: Vec<String> = planned
        .into_iter()
        .filter(|call| call != "sfn:StartExecution")
        .collect();
    assert_eq!(sorted(made), sorted(expected));
    assert_writer_and_traffic_in_the_secondary(run);
}

/// The estate after a completed switchover or failover, read back from the emulator.
fn assert_writer_and_traffic_in_the_secondary(run: InProcess) {
    let InProcess {
        runtime, backend, ..
    } = run;
    match runtime.block_on(backend.fetch(Source::GlobalCluster)) {
        Ok(SourceData::GlobalCluster(global)) => {
            assert_eq!(global.writer_region(), Some("us-east-2"))
        }
        other => panic!("{other:?}"),
    }
    match runtime.block_on(backend.fetch(Source::Dns)) {
        Ok(SourceData::Dns(dns)) => assert_eq!(
            (dns.weights["us-east-1"], dns.weights["us-east-2"]),
            (Some(0), Some(100))
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn deploy_stack_creates_the_stack_from_assets_and_waits_for_it() {
    use drtui_core::ports::{ActBackend, Mutation};
    let InProcess {
        runtime, backend, ..
    } = in_process("ds");
    let mutation = Mutation::DeployStack {
        role: Role::Secondary,
        stack: "drtui-drill-marker-ds".to_owned(),
        template: "drill-marker.yaml".to_owned(),
        parameters: std::collections::BTreeMap::new(),
        change_set: "drtui-test-ds".to_owned(),
    };
    let preview = runtime
        .block_on(backend.preview(&mutation))
        .expect("previewed")
        .expect("a deployment has a preview");
    assert!(
        !preview.exists && !preview.changes.is_empty(),
        "{preview:?}"
    );
    let outcome = runtime.block_on(backend.act(&mutation)).expect("deployed");
    assert!(outcome.changed, "{outcome:?}");
    assert!(outcome.detail.contains("CREATE_COMPLETE"), "{outcome:?}");
    let counts = backend.call_counts();
    assert_eq!(counts["cloudformation"]["CreateChangeSet"], 1);
    assert_eq!(counts["cloudformation"]["ExecuteChangeSet"], 1);
    let again = runtime
        .block_on(backend.preview(&mutation))
        .expect("previewed")
        .expect("a deployment has a preview");
    assert!(again.exists && again.changes.is_empty(), "{again:?}");
    let missing = runtime.block_on(backend.act(&Mutation::DeployStack {
        role: Role::Secondary,
        stack: "x".to_owned(),
        template: "../etc/passwd".to_owned(),
        parameters: std::collections::BTreeMap::new(),
        change_set: "drtui-test-x".to_owned(),
    }));
    assert!(
        missing
            .expect_err("refused")
            .to_string()
            .contains("must be a path under assets/")
    );
}

#[test]
fn switchover_with_an_impaired_primary_stops_before_its_first_gate() {
    // The default seed: the primary answers 2 % of its API calls with 5XX (alarm at 1 %).
    let emulated = emulated("rsi", &["healthy-secondary"], false);
    let (outcome, _, records) = play_on(&emulated, "switchover", approve_all(), None);
    match &outcome {
        drtui_engine::engine::Outcome::Failed { step, reason, .. } => {
            assert_eq!(step, "primary-serving");
            assert!(
                reason.contains("API 5XX 2.0 %") && reason.contains("use failover"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !records.iter().any(|record| matches!(
            record.event,
            drtui_core::runbook::journal::Event::Approved { .. }
        )),
        "no gate was reached"
    );
    assert!(mutating_calls(&emulated.run.backend).is_empty());
}

#[test]
fn after_a_failover_the_old_primarys_lag_is_read_and_feeds_failback() {
    let emulated = emulated("rlag", &["healthy-secondary", "healthy-primary"], false);
    let (outcome, _, _) = play_on(&emulated, "failover", approve_all(), None);
    assert_eq!(outcome, drtui_engine::engine::Outcome::Completed);
    // As AWS does after a failover, the old primary (now the reader) publishes the lag.
    moto().boto(
        "at = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) - datetime.timedelta(minutes=2)\n\
         client('cloudwatch', 'us-east-1').put_metric_data(Namespace='AWS/RDS', MetricData=[{'MetricName': 'AuroraGlobalDBRPOLag', \
         'Dimensions': [{'Name': 'DBClusterIdentifier', 'Value': 'payment-primary-rlag'}], 'Timestamp': at, 'Value': 177.0, 'Unit': 'Milliseconds'}])\n",
    );
    let run = &emulated.run;
    let mut snapshot = run.pair.empty_snapshot();
    for update in run.runtime.block_on(drtui_engine::poll::poll_once(
        &run.backend,
        &SystemClock,
        Duration::from_secs(3),
    )) {
        snapshot.apply(update);
    }
    let readiness = drtui_core::readiness::assess(&snapshot, SystemClock.now(), &run.pair.policy());
    let primary_lag = snapshot
        .region(Role::Primary)
        .metrics
        .value
        .as_ref()
        .and_then(|metrics| metrics.replication_lag_ms);
    assert_eq!(primary_lag, Some(177.0));
    assert_eq!(readiness.phase, drtui_core::phase::Phase::FailedOver);
    assert_eq!(
        readiness.data_at_risk_ms,
        Some(177.0),
        "the reader now is the old primary, not the seeded secondary's 850 ms"
    );
    assert!(
        readiness.recommendation.reason.contains("177 ms"),
        "{}",
        readiness.recommendation.reason
    );
}

#[test]
fn a_skipped_state_machine_step_is_covered_by_the_direct_weights_step() {
    use drtui_core::runbook::journal::{Event, Record, StepOutcome};
    let emulated = emulated("rskip", &["healthy-secondary"], true);
    let announce = drtui_engine::engine::Approvals {
        all: false,
        ids: ["announce".to_owned()].into(),
    };
    let (outcome, run_id, _) = play_on(&emulated, "failover", announce, None);
    assert_eq!(
        outcome,
        drtui_engine::engine::Outcome::Blocked {
            step: "approve-promote".to_owned()
        }
    );
    // The operator skips the state machine (say it hangs), with a reason, then resumes.
    let mut journal =
        drtui_engine::journal_file::Journal::open(&emulated.state, &run_id).expect("journal");
    journal
        .append(&Record {
            at: SystemClock.now(),
            run_id: run_id.clone(),
            event: Event::StepFinished {
                step: "shift-traffic-sfn".into(),
                outcome: StepOutcome::Skipped,
                detail: "skipped by tester: the execution hangs".into(),
            },
        })
        .expect("skip");
    let resumable = drtui_engine::playback::resumable(&emulated.state, &run_id).expect("resume");
    let (outcome, _, records) = play_on(&emulated, "failover", approve_all(), Some(&resumable));
    assert_eq!(
        outcome,
        drtui_engine::engine::Outcome::Completed,
        "{records:#?}"
    );
    let made = mutating_calls(&emulated.run.backend);
    assert!(
        made.contains(&"route53:ChangeResourceRecordSets".to_owned()),
        "{made:?}"
    );
    assert!(!made.contains(&"sfn:StartExecution".to_owned()), "{made:?}");
    assert_writer_and_traffic_in_the_secondary(emulated.run);
}

/// A pair with `lock_table`, seeded with its table, as a config file; returns (dir, config).
fn locked_pair(suffix: &str) -> (tempfile::TempDir, String) {
    let moto = moto();
    let seeded = moto.seed_with(suffix, &["healthy-secondary", "healthy-primary"]);
    moto.boto(&format!(
        "client('dynamodb', 'us-east-2').create_table(TableName='drtui-locks-{suffix}', \
         KeySchema=[{{'AttributeName': 'LockID', 'KeyType': 'HASH'}}], \
         AttributeDefinitions=[{{'AttributeName': 'LockID', 'AttributeType': 'S'}}], \
         BillingMode='PAY_PER_REQUEST')\n"
    ));
    let text = pair_config(suffix, &seeded, &format!("\"{}\"", moto.url), true, "3s")
        .lines()
        .filter(|line| !line.starts_with("state_machine"))
        .map(|line| {
            if line.starts_with("alarm_prefix") {
                format!("{line}\nlock_table = \"drtui-locks-{suffix}\"")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    write_config(&text)
}

/// `drtui run switchover` on `suffix` from its own home: nothing shared with another
/// operator's process but the AWS endpoint.
fn run_from_own_home(config: &str, suffix: &str) -> std::process::Child {
    let home = tempfile::tempdir().expect("home").keep();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_drtui"));
    command
        .args(["--config", config, "--region-pair", suffix])
        .args(["run", "switchover", "--approve-all"])
        .env("HOME", &home)
        .env("DRTUI_STATE_DIR", home.join("state"))
        .env_remove("DRTUI_CONFIG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (key, value) in support::AWS_TEST_ENV {
        command.env(key, value);
    }
    command.spawn().expect("drtui")
}

/// Two operators on two machines (two homes, separate state dirs) start the same switchover
/// at once: the DynamoDB lock lets exactly one proceed; the other exits 5 naming the holder;
/// the lock is released when the holder ends.
#[test]
fn two_homes_share_one_lock_in_dynamodb() {
    let (_dir, config) = locked_pair("rlk");
    let children = [
        run_from_own_home(&config, "rlk"),
        run_from_own_home(&config, "rlk"),
    ];
    let outputs: Vec<_> = children
        .into_iter()
        .map(|child| child.wait_with_output().expect("wait"))
        .collect();
    let codes: Vec<Option<i32>> = outputs.iter().map(|output| output.status.code()).collect();
    let stderr: Vec<String> = outputs
        .iter()
        .map(|output| String::from_utf8_lossy(&output.stderr).into_owned())
        .collect();
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(5)),
        "{codes:?} {stderr:#?}"
    );
    let refused = &stderr[codes
        .iter()
        .position(|code| *code == Some(5))
        .expect("refused")];
    assert!(
        refused.contains(
            "is locked in DynamoDB table drtui-locks-rlk in us-east-2 by run switchover-"
        ),
        "{refused}"
    );
    // Released by the holder when it ended: a third operator gets it (and finds nothing to do).
    let third = run_from_own_home(&config, "rlk")
        .wait_with_output()
        .expect("third");
    assert_ne!(
        third.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&third.stderr)
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
    assert_eq!(again.matches("nothing to do").count(), 16, "{again}");
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
