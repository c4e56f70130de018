//! The binary as a script or a user calls it: flags, config errors, exit codes, and the
//! status JSON contract.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const VALID_CONFIG: &str = r#"
[pairs.prod]
primary = "us-east-1"
secondary = "us-east-2"
global_cluster = "payment-global-prod"
hosted_zone_id = "Z123"
record_name = "api.example.com"
alarm_prefix = "PaymentDR"

[pairs.prod.clusters]
us-east-1 = "payment-primary-prod"
us-east-2 = "payment-secondary-prod"

[pairs.prod.set_identifiers]
us-east-1 = "primary"
us-east-2 = "secondary"
"#;

/// Runs drtui with no stdin, an empty config dir, and no inherited config variables.
fn drtui(args: &[&str]) -> Output {
    let config_home = tempfile::tempdir().expect("temp dir");
    Command::new(env!("CARGO_BIN_EXE_drtui"))
        .args(args)
        .env("XDG_CONFIG_HOME", config_home.path())
        .env("DRTUI_STATE_DIR", config_home.path().join("state"))
        .env_remove("DRTUI_CONFIG")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("drtui runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", stdout(output)))
}

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("drtui.toml");
    std::fs::write(&path, text).expect("write config");
    path.display().to_string()
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn assert_has(value: &Value, expected: &[&str]) {
    let present = keys(value);
    for key in expected {
        assert!(present.contains(key), "missing `{key}` in {value:#}");
    }
}

#[test]
fn status_json_follows_the_contract() {
    let output = drtui(&["status", "--region-pair", "demo", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_has(
        &report,
        &[
            "pair",
            "taken_at",
            "complete",
            "regions",
            "global_cluster",
            "dns",
            "failover_state_machine",
            "readiness",
        ],
    );
    assert_eq!(report["pair"], "demo");
    assert_eq!(report["complete"], true);
    chrono::DateTime::parse_from_rfc3339(report["taken_at"].as_str().expect("string"))
        .expect("RFC 3339");
    let regions = report["regions"].as_array().expect("regions");
    assert_eq!(regions.len(), 2);
    for (region, (name, role)) in regions
        .iter()
        .zip([("us-east-1", "primary"), ("us-east-2", "secondary")])
    {
        assert_has(
            region,
            &[
                "region",
                "configured_role",
                "aurora",
                "health_checks",
                "alarms",
                "metrics",
                "stacks",
                "errors",
            ],
        );
        assert_eq!(region["region"], name);
        assert_eq!(region["configured_role"], role);
        assert_has(
            &region["aurora"],
            &["cluster_id", "is_writer", "status", "replication_lag_ms"],
        );
        assert_eq!(region["aurora"]["status"], "available");
        let check = &region["health_checks"][0];
        assert_has(
            check,
            &["id", "healthy", "checkers_healthy", "checkers_total"],
        );
        assert_eq!(check["healthy"], true);
        let alarms = region["alarms"].as_array().expect("alarms");
        // The secondary also carries the data-plane lever's alarm.
        assert_eq!(alarms.len(), if role == "primary" { 4 } else { 5 });
        for alarm in alarms {
            assert_has(alarm, &["name", "state", "reason"]);
            assert!(
                ["OK", "ALARM", "INSUFFICIENT_DATA"]
                    .contains(&alarm["state"].as_str().expect("state"))
            );
        }
        assert_has(
            &region["metrics"],
            &[
                "api_5xx_rate_pct",
                "lambda_error_rate_pct",
                "db_connections",
            ],
        );
        assert!(region["metrics"]["api_5xx_rate_pct"].is_f64());
        assert_has(&region["stacks"][0], &["name", "status"]);
        assert_eq!(region["errors"], Value::Array(vec![]));
    }
    assert_eq!(regions[0]["aurora"]["is_writer"], true);
    assert_eq!(
        regions[0]["aurora"]["replication_lag_ms"],
        Value::Null,
        "the writer has no lag"
    );
    assert!(regions[1]["aurora"]["replication_lag_ms"].is_f64());
    assert_has(
        &report["global_cluster"],
        &["id", "writer_region", "failover_state"],
    );
    assert_eq!(report["global_cluster"]["writer_region"], "us-east-1");
    assert_eq!(report["global_cluster"]["failover_state"], Value::Null);
    assert_eq!(report["dns"]["weights"]["us-east-1"], 100);
    assert_eq!(report["dns"]["weights"]["us-east-2"], 0);
    assert_has(
        &report["failover_state_machine"],
        &["arn", "last_execution"],
    );
    assert_has(
        &report["failover_state_machine"]["last_execution"],
        &["name", "status", "started_at"],
    );
    let readiness = &report["readiness"];
    assert_has(
        readiness,
        &[
            "verdict",
            "data_at_risk_ms",
            "recommended_runbook",
            "checks",
        ],
    );
    assert_eq!(readiness["verdict"], "ready");
    assert_eq!(readiness["recommended_runbook"], "switchover");
    assert_eq!(readiness["phase"], "steady");
    assert_eq!(readiness["estate"]["writer"], "us-east-1");
    assert_eq!(readiness["estate"]["traffic"], "us-east-1");
    assert_eq!(readiness["recommendation"]["next"], "switchover");
    assert_eq!(
        readiness["recommendation"]["command"],
        "drtui run switchover --region-pair demo"
    );
    for region in readiness["regions"].as_array().expect("regions") {
        assert_eq!(region["condition"], "serving", "{region}");
    }
    for check in readiness["checks"].as_array().expect("checks") {
        assert_has(check, &["id", "status", "detail"]);
        assert_eq!(check["status"], "pass", "{check}");
    }
}

#[test]
fn status_json_reports_a_primary_outage() {
    let output = drtui(&["status", "--format", "json", "--scenario", "primary-outage"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["regions"][0]["health_checks"][0]["healthy"], false);
    assert_eq!(report["readiness"]["recommended_runbook"], "failover");
    assert!(
        report["readiness"]["data_at_risk_ms"]
            .as_f64()
            .expect("lag")
            > 10_000.0
    );
}

#[test]
fn hung_region_makes_status_incomplete_within_the_timeout() {
    let began = Instant::now();
    let output = drtui(&["status", "--format", "json", "--scenario", "hung-primary"]);
    let took = began.elapsed();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        took < Duration::from_secs(8),
        "status took {took:?} with a 3 s call timeout"
    );
    let report = json(&output);
    assert_eq!(report["complete"], false);
    let errors = report["regions"][0]["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|error| error["source"] == "aurora"
            && error["message"]
                .as_str()
                .is_some_and(|m| m.contains("timed out"))),
        "{errors:?}"
    );
    assert_eq!(
        report["regions"][0]["aurora"]["status"],
        Value::Null,
        "unknown is null, never invented"
    );
    assert_eq!(report["dns"]["weights"]["us-east-1"], Value::Null);
    assert_eq!(
        report["regions"][1]["aurora"]["status"], "available",
        "the secondary still answers"
    );
}

#[test]
fn status_text_is_a_compact_table() {
    let output = drtui(&["status"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(
        text.contains("VERDICT READY  recommended: switchover"),
        "{text}"
    );
    assert!(
        text.contains("us-east-1 (primary)") && text.contains("us-east-2 (secondary)"),
        "{text}"
    );
    assert!(text.contains("PASS secondary_cluster_available"), "{text}");
    assert!(!text.contains('\x1b'), "no escape codes when piped");
    assert!(
        !text.contains("FIRING ALARMS"),
        "nothing fires when healthy:\n{text}"
    );
}

/// In an outage the text says which alarms fire and why, and the failing checks come first
/// with what they found: not only "2 ALARM".
#[test]
fn status_text_names_firing_alarms_with_their_reasons_and_failing_checks_first() {
    let output = drtui(&["status", "--scenario", "primary-outage"]);
    let text = stdout(&output);
    let firing = text
        .split("FIRING ALARMS\n")
        .nth(1)
        .expect("a FIRING ALARMS section");
    assert!(
        firing.contains("us-east-1 PaymentDR-demo-us-east-1-api-5xx-rate since "),
        "{text}"
    );
    assert!(firing.contains("API 5XX rate"), "the reason:\n{text}");
    let checks = text.split("CHECKS\n").nth(1).expect("CHECKS");
    let first = checks.lines().next().unwrap_or_default();
    assert!(
        first.trim_start().starts_with("WARN") || first.trim_start().starts_with("FAIL"),
        "failing checks first:\n{checks}"
    );
}

#[test]
fn unknown_pair_exits_2_and_lists_known_pairs() {
    let output = drtui(&["status", "--region-pair", "prdo"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown region pair `prdo`; known pairs: demo"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn invalid_config_exits_2_with_file_line_column_and_suggestion() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_config(
        dir.path(),
        &VALID_CONFIG.replace("record_name", "record_nme"),
    );
    let output = drtui(&["pairs", "--config", &path]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains(&format!("{path}:7:1: unknown field `record_nme`")),
        "{message}"
    );
    assert!(message.contains("did you mean `record_name`?"), "{message}");
}

/// The parity keys are checked where they are written: a path that is not a path, an
/// interval that is not a duration.
#[test]
fn a_bad_parity_key_names_its_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (line, expected) in [
        (
            "parameter_path = \"payment-dr/prod/\"",
            "parameter_path `payment-dr/prod/` must start with /",
        ),
        ("parity_interval = \"often\"", "often"),
    ] {
        let text = VALID_CONFIG.replacen("[pairs.prod]\n", &format!("[pairs.prod]\n{line}\n"), 1);
        let path = write_config(dir.path(), &text);
        let output = drtui(&["pairs", "--config", &path]);
        assert_eq!(output.status.code(), Some(2), "{line}");
        let message = stderr(&output);
        assert!(message.contains(&format!("{path}:3:")), "{message}");
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn missing_config_file_exits_2() {
    let output = drtui(&["pairs", "--config", "/nonexistent/drtui.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read config file /nonexistent/drtui.toml"));
}

#[test]
fn pairs_lists_built_in_and_file_pairs_with_origin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_config(dir.path(), VALID_CONFIG);
    let output = Command::new(env!("CARGO_BIN_EXE_drtui"))
        .arg("pairs")
        .env("DRTUI_CONFIG", &path)
        .env("DRTUI_STATE_DIR", dir.path().join("state"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.lines()
            .any(|line| line.starts_with("demo") && line.ends_with("built-in")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|line| line.starts_with("prod") && line.ends_with(&format!("{path}:2"))),
        "{text}"
    );
}

#[test]
fn scenario_needs_the_demo_pair() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_config(dir.path(), VALID_CONFIG);
    let output = drtui(&[
        "status",
        "--config",
        &path,
        "--region-pair",
        "prod",
        "--scenario",
        "lag-spike",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--scenario"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_flags_exit_2_and_help_documents_exit_codes() {
    assert_eq!(
        drtui(&["status", "--format", "yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        drtui(&["--scenario", "meteor", "status"]).status.code(),
        Some(2)
    );
    let help = drtui(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = stdout(&help);
    assert!(text.contains("3  data incomplete"), "{text}");
    assert!(text.contains("--region-pair"), "{text}");
    let version = drtui(&["--version"]);
    assert_eq!(
        stdout(&version).trim(),
        format!("drtui {}", env!("CARGO_PKG_VERSION"))
    );
    // Every command's help lists the exit codes it can end with, and only those.
    for (command, codes, not) in [
        (
            &["status"][..],
            &["0  ok", "3  data incomplete"][..],
            "4  a runbook",
        ),
        (
            &["run"][..],
            &["4  a runbook stopped", "5  another run", "143  stopped"][..],
            "3  data",
        ),
        (&["resume"][..], &["4  a runbook stopped"][..], "3  data"),
        (
            &["pairs"][..],
            &["0  ok", "2  bad usage"][..],
            "4  a runbook",
        ),
        (&["runs", "show"][..], &["2  bad usage"][..], "5  another"),
        (&["completions"][..], &["0  ok"][..], "3  data"),
    ] {
        let help = drtui(&[command, &["--help"]].concat());
        assert_eq!(help.status.code(), Some(0), "{command:?} --help");
        let text = stdout(&help);
        for code in codes {
            assert!(
                text.contains(code),
                "{command:?}: {code:?} missing:\n{text}"
            );
        }
        assert!(
            !text.contains(not),
            "{command:?} cannot end with {not:?}:\n{text}"
        );
    }
}

/// Completion is dynamic: the shell hook calls drtui back, which offers the configured pair
/// names and the runbook catalogue, not only flags.
#[test]
fn completions_offer_pairs_from_the_config_and_runbooks_from_the_catalogue() {
    let output = drtui(&["completions", "bash"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout(&output).contains("COMPLETE=\"bash\""),
        "{}",
        stdout(&output)
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_config(dir.path(), VALID_CONFIG);
    let complete = |words: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_drtui"))
            .args(["--", "drtui"])
            .args(words)
            .env("COMPLETE", "fish")
            .env("DRTUI_CONFIG", &path)
            .output()
            .expect("complete");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let pairs = complete(&["status", "--region-pair", "p"]);
    assert!(
        pairs.lines().any(|line| line.starts_with("prod\t")),
        "{pairs}"
    );
    let runbooks = complete(&["run", "fail"]);
    assert!(
        runbooks.lines().any(|line| line.starts_with("failover\t")),
        "{runbooks}"
    );
    assert!(
        runbooks.lines().any(|line| line.starts_with("failback\t")),
        "{runbooks}"
    );
}

/// A flag given where it means nothing is an error, not silently ignored.
#[test]
fn a_flag_where_it_means_nothing_exits_2() {
    let output = drtui(&["--scenario", "lag-spike", "runs", "list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--scenario / --seed means nothing to `drtui runs`"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        drtui(&["runs", "list", "--region-pair", "prod"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        drtui(&["completions", "bash", "--seed", "1"]).status.code(),
        Some(2)
    );
}

#[test]
fn dashboard_without_a_terminal_exits_2_pointing_to_status() {
    let output = drtui(&[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("drtui status --region-pair demo"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn log_file_records_the_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("drtui.log");
    let output = drtui(&["status", "--log-file", log.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&log)
            .expect("log written")
            .contains("drtui started")
    );
}

#[test]
fn shipped_example_config_is_valid() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/drtui.example.toml");
    let output = drtui(&["pairs", "--config", example]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output)
            .lines()
            .any(|line| line.starts_with("prod ") && line.contains("aws"))
    );
}

#[test]
fn status_watch_streams_one_json_object_per_line() {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_drtui"))
        .args(["status", "--watch", "--format", "json"])
        .env_remove("DRTUI_CONFIG")
        .env(
            "DRTUI_STATE_DIR",
            std::env::temp_dir().join(format!("drtui-watch-{}", std::process::id())),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut taken_at = Vec::new();
    for _ in 0..2 {
        let line = lines.next().expect("a line").expect("utf-8");
        let report: Value = serde_json::from_str(&line).expect("one JSON object per line");
        taken_at.push(report["taken_at"].as_str().expect("taken_at").to_owned());
    }
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(taken_at[0] < taken_at[1], "refreshed: {taken_at:?}");
}

/// No credentials is not an outage: one short message naming what was tried and how to log
/// in, exit 2, before any call, for `status` and `run` alike (and nothing journalled).
#[test]
fn missing_credentials_are_one_short_usage_error() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("drtui.toml");
    std::fs::write(
        &config,
        r#"[pairs.x]
primary = "us-east-1"
secondary = "us-east-2"
endpoint_url = "http://127.0.0.1:9"
global_cluster = "g"
hosted_zone_id = "Z"
record_name = "r"
alarm_prefix = "p"
profile = "payments-prod"
[pairs.x.clusters]
us-east-1 = "a"
us-east-2 = "b"
[pairs.x.set_identifiers]
us-east-1 = "a"
us-east-2 = "b"
"#,
    )
    .expect("config");
    for args in [vec!["status"], vec!["run", "switchover", "--approve-all"]] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_drtui"))
            .args([
                "--config",
                config.to_str().expect("utf8"),
                "--region-pair",
                "x",
            ])
            .args(&args)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent/drtui-test")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/drtui-test")
            .env("DRTUI_STATE_DIR", dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("drtui");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("no usable AWS credentials for pair `x`")
                && stderr.contains("aws sso login --profile payments-prod"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.len() < 400, "{} bytes: {stderr}", stderr.len());
        assert!(!dir.path().join("runs").exists(), "nothing journalled");
    }
}

/// Escape sequences, DEL, C1 and bidi overrides in a runbook file never reach the terminal,
/// whatever prints them: validate, plan, run's progress and its errors, runs show.
#[test]
fn hostile_runbook_text_never_reaches_the_terminal() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("evil.yaml");
    std::fs::write(
        &path,
        "name: \"evil\\e[2J\\u202e\"\ndescription: \"desc \\e]0;pwned\\a \\x7f \\u009b31m\"\nsteps:\n  - id: look\n    title: \"title \\e[31mred\\u202e\"\n    kind: check\n    check: writer_in\n    region: secondary\n",
    )
    .expect("runbook");
    let path = path.to_str().expect("utf8");
    let outputs = [
        drtui(&["runbook", "validate", path]),
        drtui(&["plan", path]),
        std::process::Command::new(env!("CARGO_BIN_EXE_drtui"))
            .args(["run", path])
            .env("DRTUI_STATE_DIR", dir.path())
            .env("DRTUI_DEMO_SPEED", "10")
            .env_remove("DRTUI_CONFIG")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run"),
    ];
    for output in &outputs {
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text
                    .chars()
                    .any(|c| drtui_core::text::is_unsafe(c) && c != '\n' && c != '\t'),
                "{text:?}"
            );
        }
    }
    // The run failed its check (the writer is in the primary) and says so, cleanly.
    assert_eq!(outputs[2].status.code(), Some(1));
    assert!(String::from_utf8_lossy(&outputs[2].stderr).contains("failed at `look`"));
}

/// `drtui config schema`: the JSON Schema of the config file, with every pair key and no
/// unknown key allowed, as the parser does.
#[test]
fn config_schema_describes_every_pair_key() {
    let output = drtui(&["config", "schema"]);
    assert_eq!(output.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let pair = &schema["$defs"]["PairFile"];
    for key in [
        "primary",
        "secondary",
        "global_cluster",
        "metrics_interval",
        "traffic_lever",
        "lock_table",
        "environment",
    ] {
        assert!(pair["properties"].get(key).is_some(), "{key}: {pair}");
    }
    assert_eq!(pair["additionalProperties"], false);
}

#[test]
fn scenario_help_names_every_fault_the_simulator_has() {
    let help = stdout(&drtui(&["status", "--help"]));
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for fault in drtui_core::fault::Fault::ALL {
        assert!(
            flat.contains(fault.name()),
            "--scenario help lacks {fault}:\n{help}"
        );
    }
}

#[test]
fn discover_update_needs_the_pair_and_excludes_write() {
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config(
        dir.path(),
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/drtui.example.toml"))
            .expect("example"),
    );
    let both = drtui(&[
        "discover",
        "--region-pair",
        "prod",
        "--stack-prefix",
        "TapStackprod",
        "--config",
        &config,
        "--write",
        "--update",
    ]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    let missing = drtui(&[
        "discover",
        "--region-pair",
        "staging",
        "--stack-prefix",
        "TapStackstaging",
        "--config",
        &config,
        "--update",
    ]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("staging"), "{}", stderr(&missing));
}

/// A deployment the pair cannot name is refused before the first gate, with exit 2 and the
/// config key to fix; nothing is asked of AWS.
#[test]
fn provision_on_a_pair_without_environment_suffix_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().expect("dir");
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/drtui.example.toml"))
            .expect("example");
    let text: String = example
        .lines()
        .filter(|line| !line.starts_with("environment_suffix"))
        .map(|line| format!("{line}\n"))
        .collect();
    let config = write_config(dir.path(), &text);
    let output = drtui(&[
        "run",
        "provision",
        "--config",
        &config,
        "--region-pair",
        "prod",
        "--approve-all",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("runbook `provision` cannot run on pair `prod`: step `primary-network`: EnvironmentSuffix: pair `prod` has no environment_suffix"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn iam_policy_prints_the_pairs_least_privilege_policy() {
    let output = drtui(&["iam", "policy", "--role", "operator"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let policy = json(&output);
    let text = policy.to_string();
    assert!(
        text.contains("arn:aws:rds::000000000000:global-cluster:payment-global-demo"),
        "{policy:#}"
    );
    let wrong = drtui(&["iam", "policy", "--role", "admin"]);
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
}
