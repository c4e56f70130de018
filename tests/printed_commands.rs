//! Every command drtui prints as a next step runs as printed: the commands `status` recommends
//! (text and JSON) in each of the demo's states, and those printed by a gate stop, a loss cap,
//! a signal stop, a lock refusal, an unreadable lock, a read-only refusal and a dashboard
//! without a terminal are collected and each is run exactly as printed, in the state that
//! printed it. Accepted means parsed and acted on: any exit but 2 (bad usage).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failed expectation is the test failing"
)]

use std::process::{Output, Stdio};

#[path = "support/run_binary.rs"]
mod run_binary;
use run_binary::{drtui, run_signalled_when};

/// The `drtui …` commands in `text`: those in backticks, and those that end a line after a
/// colon or stand alone on it; each split into its words as a shell would (single quotes).
fn commands_in(text: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("drtui ") {
            let before = rest[..at].trim_end();
            let quoted = before.ends_with('`');
            let after = &rest[at..];
            let command = if quoted {
                after.split('`').next().unwrap_or_default()
            } else if before.is_empty() || before.ends_with(':') {
                after
            } else {
                ""
            };
            let words = shell_words(command);
            // "drtui status: demo at …" is a heading, not a command.
            if words.len() > 1 && !words[1].ends_with(':') {
                found.push(words);
            }
            rest = &after["drtui ".len()..];
        }
    }
    found
}

fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in command.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs each command as printed in `state`; returns what was refused as bad usage.
fn run_each(state: &std::path::Path, commands: &[Vec<String>], context: &str) -> Vec<String> {
    let mut refused = Vec::new();
    for command in commands {
        let args: Vec<&str> = command[1..].iter().map(String::as_str).collect();
        let output = drtui(state, &args).output().expect("run");
        if output.status.code() == Some(2) {
            refused.push(format!(
                "{context}: `{}` exited 2: {}",
                command.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
    }
    refused
}

/// `status` in text and JSON under each demo state: every recommended command runs.
#[test]
fn what_status_recommends_runs_as_printed_in_every_demo_state() {
    let scenarios = [
        "",
        "primary-outage",
        "lag-spike",
        "api-5xx-burst",
        "secondary-degraded",
        "hung-primary",
        "hung-state-machine",
        "throttled-control-plane",
        "dynamodb-replication-stall",
        "s3-replication-backlog",
    ];
    let refused: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = scenarios
            .iter()
            .map(|scenario| {
                scope.spawn(move || {
                    let state = tempfile::tempdir().expect("state");
                    let mut args = vec!["status"];
                    if !scenario.is_empty() {
                        args.extend(["--scenario", scenario]);
                    }
                    let plain = drtui(state.path(), &args).output().expect("status");
                    let mut commands = commands_in(&text(&plain));
                    args.extend(["--format", "json"]);
                    let json = drtui(state.path(), &args).output().expect("status");
                    let report: serde_json::Value =
                        serde_json::from_slice(&json.stdout).expect("json");
                    if let Some(command) = report["readiness"]["recommendation"]["command"].as_str()
                    {
                        commands.push(shell_words(command));
                    }
                    run_each(state.path(), &commands, &format!("status {scenario}"))
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("thread"))
            .collect()
    });
    assert!(refused.is_empty(), "{refused:#?}");
}

/// A run stopped at a gate, over the loss cap, by a signal; then what `status` recommends
/// for the unfinished run: each printed command runs.
#[test]
fn what_a_stopped_run_prints_runs_as_printed() {
    let mut refused = Vec::new();
    // A gate stop, then status's "resume" for the unfinished run.
    let state = tempfile::tempdir().expect("state");
    let gate = drtui(
        state.path(),
        &["run", "failover", "--scenario", "primary-outage"],
    )
    .output()
    .expect("run");
    assert_eq!(gate.status.code(), Some(4), "{}", text(&gate));
    let printed = commands_in(&text(&gate));
    assert!(
        printed.iter().any(|command| command[1] == "resume"
            && command.contains(&"primary-outage".to_owned())),
        "the resume repeats the scenario: {printed:?}"
    );
    let status = drtui(state.path(), &["status", "--scenario", "primary-outage"])
        .output()
        .expect("status");
    let mut commands = printed;
    commands.extend(commands_in(&text(&status)));
    refused.extend(run_each(state.path(), &commands, "gate stop"));
    // Over the loss cap.
    let state = tempfile::tempdir().expect("state");
    let capped = drtui(
        state.path(),
        &[
            "run",
            "failover",
            "--approve-all",
            "--scenario",
            "lag-spike",
        ],
    )
    .output()
    .expect("run");
    assert_eq!(capped.status.code(), Some(4), "{}", text(&capped));
    refused.extend(run_each(
        state.path(),
        &commands_in(&text(&capped)),
        "over the cap",
    ));
    // A signal's safe stop.
    let state = tempfile::tempdir().expect("state");
    let (_, stopped) =
        run_signalled_when(state.path(), "failover", "TERM", |_, started| started == 2);
    let printed = commands_in(&String::from_utf8_lossy(&stopped.stderr));
    assert!(!printed.is_empty(), "{}", text(&stopped));
    refused.extend(run_each(state.path(), &printed, "SIGTERM"));
    assert!(refused.is_empty(), "{refused:#?}");
}

/// Refusals: another run holds the pair, the lock file is garbage, `--read-only` on a
/// mutating runbook, the dashboard without a terminal; each printed command runs.
#[test]
fn what_a_refusal_prints_runs_as_printed() {
    let mut refused = Vec::new();
    // A live holder: a failover whose state machine never ends holds the pair for a while.
    let state = tempfile::tempdir().expect("state");
    let mut holder = drtui(
        state.path(),
        &[
            "run",
            "failover",
            "--approve-all",
            "--max-data-loss",
            "1h",
            "--scenario",
            "primary-outage,hung-state-machine",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("holder");
    let lock = state.path().join("locks").join("demo.lock");
    let began = std::time::Instant::now();
    while !lock.exists() && began.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = drtui(
        state.path(),
        &["run", "failover", "--scenario", "primary-outage"],
    )
    .output()
    .expect("second");
    assert_eq!(second.status.code(), Some(5), "{}", text(&second));
    let printed = commands_in(&text(&second));
    assert!(
        printed.iter().any(|command| command[1] == "lock"),
        "{printed:?}"
    );
    // The resume first (refused as locked while the holder lives), then the lock break.
    let mut ordered = printed;
    ordered.sort_by_key(|command| command[1] == "lock");
    refused.extend(run_each(state.path(), &ordered, "lock held"));
    let _ = holder.kill();
    let _ = holder.wait();
    // An unreadable lock file.
    let state = tempfile::tempdir().expect("state");
    std::fs::create_dir_all(state.path().join("locks")).expect("locks");
    std::fs::write(state.path().join("locks").join("demo.lock"), "garbage").expect("lock");
    let unreadable = drtui(state.path(), &["run", "failover"])
        .output()
        .expect("run");
    let printed = commands_in(&text(&unreadable));
    assert_eq!(
        printed.len(),
        2,
        "lock show and lock break: {}",
        text(&unreadable)
    );
    refused.extend(run_each(state.path(), &printed, "unreadable lock"));
    // Read-only, and the dashboard without a terminal.
    for args in [
        &["run", "failover", "--read-only"][..],
        &["--scenario", "lag-spike"][..],
    ] {
        let state = tempfile::tempdir().expect("state");
        let output = drtui(state.path(), args).output().expect("run");
        let printed = commands_in(&text(&output));
        assert!(!printed.is_empty(), "{args:?}: {}", text(&output));
        refused.extend(run_each(state.path(), &printed, &args.join(" ")));
    }
    assert!(refused.is_empty(), "{refused:#?}");
}
