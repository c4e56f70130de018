//! Runbook files: the built-ins validate and plan; a corpus of broken runbooks each yields
//! its error at the right file:line:column, through the CLI with exit code 2.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use std::process::Command;

fn drtui(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_drtui"))
        .args(args)
        .env_remove("DRTUI_CONFIG")
        .env(
            "DRTUI_STATE_DIR",
            std::env::temp_dir().join("drtui-runbook-tests-state"),
        )
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("drtui-runbook-tests-empty"),
        )
        .output()
        .expect("drtui runs")
}

#[test]
fn every_broken_runbook_is_rejected_with_its_position() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/runbooks/broken");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus")
        .flatten()
        .map(|entry| entry.path())
        .collect();
    files.sort();
    assert!(files.len() >= 15, "the corpus shrank: {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let expected = text
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("# expect: "))
            .expect("an `# expect:` first line");
        let path = file.display().to_string();
        let output = drtui(&["runbook", "validate", &path]);
        assert_eq!(output.status.code(), Some(2), "{path}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let (position, message) =
            expected.split_at(expected.find(": ").expect("line:col: message"));
        assert!(
            stderr.starts_with(&format!("{path}:{position}:"))
                && stderr.contains(message.trim_start_matches(": ")),
            "{path}: expected {expected:?}, got {stderr:?}"
        );
        // `plan` cannot be reached with it: the same diagnostic, no plan printed.
        let plan = drtui(&["plan", &path]);
        assert_eq!(plan.status.code(), Some(2), "plan {path}");
        assert!(plan.stdout.is_empty(), "plan {path} printed a plan");
        let stderr = String::from_utf8_lossy(&plan.stderr);
        assert!(
            stderr.contains(&format!("{path}:{position}:"))
                && stderr.contains(message.trim_start_matches(": ")),
            "plan {path}: expected {expected:?}, got {stderr:?}"
        );
    }
}

#[test]
fn built_in_runbooks_validate_and_list() {
    let root = env!("CARGO_MANIFEST_DIR");
    let files: Vec<String> = ["switchover", "failover", "failback", "drill", "provision"]
        .iter()
        .map(|name| format!("{root}/runbooks/{name}.yaml"))
        .collect();
    let mut args = vec!["runbook", "validate"];
    args.extend(files.iter().map(String::as_str));
    let output = drtui(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list = String::from_utf8_lossy(&drtui(&["runbook", "list"]).stdout).into_owned();
    for name in ["switchover", "failover", "failback", "drill", "provision"] {
        assert!(
            list.lines()
                .any(|line| line.starts_with(name) && line.contains("built-in")),
            "{list}"
        );
    }
}

#[test]
fn schema_describes_the_format() {
    let output = drtui(&["runbook", "schema"]);
    assert_eq!(output.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(schema["title"], "Runbook");
    let step = schema["$defs"]["Step"]["properties"]
        .as_object()
        .expect("step properties");
    for field in [
        "id",
        "kind",
        "check",
        "action",
        "allow_data_loss",
        "on_failure",
        "when",
        "unless",
    ] {
        assert!(step.contains_key(field), "schema lacks {field}");
    }
}

#[test]
fn plan_shows_calls_and_stops_without_touching_anything() {
    let output = drtui(&["plan", "switchover", "--region-pair", "demo"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Stops for a person at: announce, approve-switchover"),
        "{text}"
    );
    assert!(
        text.contains(
            "rds:SwitchoverGlobalCluster (in us-east-2) GlobalClusterIdentifier=payment-global-demo"
        ),
        "{text}"
    );
    assert!(
        !text.contains("WARN"),
        "graceful mode raises no impaired-region warning: {text}"
    );
    let unknown = drtui(&["plan", "nonesuch", "--region-pair", "demo"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("unknown runbook `nonesuch`; known: switchover, failover, failback, drill")
    );
}
