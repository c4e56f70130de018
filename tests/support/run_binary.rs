//! The `drtui` binary on the demo with its own state dir, started and stopped by signal at a
//! journalled event: what the crash and resume tests share.

#![allow(dead_code, clippy::expect_used, reason = "test code")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use drtui_core::runbook::journal::{self, Event};

/// The binary, with its own state dir and the demo world 10x faster.
pub fn drtui(state: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_drtui"));
    command
        .args(args)
        .env("DRTUI_STATE_DIR", state)
        .env("DRTUI_DEMO_SPEED", "10")
        .env_remove("DRTUI_CONFIG")
        .stdin(Stdio::null());
    command
}

/// Starts `drtui run RUNBOOK --approve-all` and kills it (SIGKILL) as soon as it journals an
/// event `at` matches; returns the run id.
pub fn kill_9_at(state: &std::path::Path, runbook: &str, at: impl Fn(&Event) -> bool) -> String {
    run_signalled_when(state, runbook, "KILL", |record, _| at(&record.event))
        .0
        .expect("a run id")
}

/// Starts `drtui run failover --approve-all --format json`, reads its journal records until
/// `stop(record, steps started before it)` holds, sends `signal` (`KILL`, `TERM`, …) and waits.
/// Returns the run id and the process's output.
pub fn run_signalled_when(
    state: &std::path::Path,
    runbook: &str,
    signal: &str,
    stop: impl Fn(&journal::Record, usize) -> bool,
) -> (Option<String>, std::process::Output) {
    let mut child = drtui(
        state,
        &["run", runbook, "--approve-all", "--format", "json"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("run");
    let stdout = child.stdout.take().expect("stdout");
    let mut run_id = None;
    let mut started = 0;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let record: journal::Record = serde_json::from_str(&line).expect("a record per line");
        run_id = Some(record.run_id.clone());
        if stop(&record, started) {
            break;
        }
        if matches!(record.event, Event::StepStarted { .. }) {
            started += 1;
        }
    }
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status();
    (run_id, child.wait_with_output().expect("wait"))
}

/// The arguments of the `drtui …` command a message prints after ": " on a line holding
/// `marker` (a next step the test then runs as printed).
///
/// # Panics
/// When no line prints such a command: the test fails there.
pub fn printed_command<'a>(stderr: &'a str, marker: &str) -> Vec<&'a str> {
    stderr
        .lines()
        .find_map(|line| {
            line.split(": drtui ")
                .nth(1)
                .filter(|rest| rest.contains(marker))
        })
        .unwrap_or_else(|| panic!("no command with {marker} in {stderr}"))
        .split_whitespace()
        .collect()
}
