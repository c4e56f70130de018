//! The `drtui` binary running runbooks through what an incident does to a process: `kill -9`
//! and signals mid-run followed by `resume` (each action exactly once), two operators at once,
//! a refused gate, a failed step retried or skipped, a state dir or stdout that fails.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use drtui_backend::sim::read_action_log;
use drtui_core::ports::Mutation;
use drtui_core::runbook::journal::{self, Event};

#[path = "support/run_binary.rs"]
mod run_binary;
use run_binary::{drtui, kill_9_at, run_signalled_when};

#[test]
fn a_second_operator_is_refused_by_name_while_a_run_holds_the_pair() {
    let state = tempfile::tempdir().expect("state");
    let holder =
        |run: &str| drtui_engine::lock::this_process(run, &format!("{run}@host"), "now".to_owned());
    let demo = drtui_core::config::RegionPair::demo().commands();
    let first = drtui_engine::lock::acquire(state.path(), &demo, holder("alice")).expect("first");
    let refused =
        drtui_engine::lock::acquire(state.path(), &demo, holder("bob")).expect_err("refused");
    assert!(
        refused
            .to_string()
            .contains("locked by run alice of alice@host"),
        "{refused}"
    );
    drop(first);
    assert!(
        drtui_engine::lock::acquire(state.path(), &demo, holder("bob")).is_ok(),
        "released on drop"
    );
}

#[test]
fn kill_9_mid_failover_then_resume_performs_each_action_exactly_once() {
    let state = tempfile::tempdir().expect("state");
    // Kill it while it waits for the writer to move, right after the promote was issued.
    // Killed once the writer moved, before the traffic did.
    let run_id = kill_9_at(
        state.path(),
        "failover",
        |event| matches!(event, Event::StepStarted { step, .. } if step == "shift-traffic-sfn"),
    );
    let resumed = drtui(state.path(), &["resume", &run_id, "--approve-all"])
        .output()
        .expect("resume");
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&resumed.stdout),
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(
        String::from_utf8_lossy(&resumed.stderr).contains("was in flight; it is re-checked"),
        "the step cut short is said"
    );
    let actions = read_action_log(&state.path().join("demo-actions.jsonl"));
    let performed = |kind: &str| {
        actions
            .iter()
            .filter(|record| {
                record.changed
                    && serde_json::to_value(&record.mutation).expect("json")["mutation"] == kind
            })
            .count()
    };
    assert_eq!(performed("aurora_failover"), 1, "{actions:#?}");
    assert_eq!(performed("start_execution"), 1, "{actions:#?}");
    let listed = String::from_utf8_lossy(
        &drtui(state.path(), &["runs", "list"])
            .output()
            .expect("list")
            .stdout,
    )
    .into_owned();
    assert!(
        listed
            .lines()
            .any(|line| line.starts_with(&run_id) && line.contains("completed")),
        "{listed}"
    );
    let shown = drtui(state.path(), &["runs", "show", &run_id, "--markdown"])
        .output()
        .expect("show");
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("| promote-secondary | action | ok |") && text.contains("active time (RTO)"),
        "{text}"
    );
}

#[test]
fn gate_refusal_in_playback_exits_4_and_says_how_to_continue() {
    let state = tempfile::tempdir().expect("state");
    let output = drtui(state.path(), &["run", "failover", "--approve", "announce"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--approve confirm-primary-serving")
            && stderr.contains("drtui resume failover-"),
        "{stderr}"
    );
    assert!(
        read_action_log(&state.path().join("demo-actions.jsonl")).is_empty(),
        "nothing changed"
    );
}

#[test]
fn a_failed_step_is_retried_on_resume_or_skipped_with_a_recorded_reason() {
    let state = tempfile::tempdir().expect("state");
    let failed = drtui(
        state.path(),
        &[
            "run",
            "failover",
            "--approve-all",
            "--scenario",
            "secondary-degraded",
        ],
    )
    .output()
    .expect("run");
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    let listed = String::from_utf8_lossy(
        &drtui(state.path(), &["runs", "list"])
            .output()
            .expect("list")
            .stdout,
    )
    .into_owned();
    let run_id = listed
        .lines()
        .nth(1)
        .and_then(|line| line.split_whitespace().next())
        .expect("a run")
        .to_owned();
    // Retrying while the cause persists fails the same way.
    let retried = drtui(
        state.path(),
        &[
            "resume",
            &run_id,
            "--approve-all",
            "--scenario",
            "secondary-degraded",
        ],
    )
    .output()
    .expect("resume");
    assert_eq!(retried.status.code(), Some(1));
    let skip = drtui(
        state.path(),
        &[
            "resume",
            &run_id,
            "--approve-all",
            "--skip",
            "secondary-healthy",
        ],
    )
    .output()
    .expect("resume");
    assert_eq!(skip.status.code(), Some(2), "--skip needs --reason");
    let skipped = drtui(
        state.path(),
        &[
            "resume",
            &run_id,
            "--approve-all",
            "--skip",
            "secondary-healthy",
            "--reason",
            "checked the endpoint by hand",
        ],
    )
    .output()
    .expect("resume");
    assert_eq!(
        skipped.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&skipped.stderr)
    );
    let shown = String::from_utf8_lossy(
        &drtui(state.path(), &["runs", "show", &run_id])
            .output()
            .expect("show")
            .stdout,
    )
    .into_owned();
    assert!(
        shown.contains("skipped") && shown.contains("checked the endpoint by hand"),
        "{shown}"
    );
}

#[test]
fn a_typo_in_approve_and_read_only_are_refused_before_anything_runs() {
    let state = tempfile::tempdir().expect("state");
    let output = drtui(state.path(), &["run", "failover", "--approve", "anounce"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--approve anounce")
            && stderr.contains("announce, confirm-primary-serving, approve-promote"),
        "{stderr}"
    );
    let output = drtui(
        state.path(),
        &["--read-only", "run", "switchover", "--approve-all"],
    )
    .output()
    .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--read-only refuses runbook `switchover`")
            && stderr.contains("switchover-writer"),
        "{stderr}"
    );
    assert!(
        drtui_engine::journal_file::list(state.path()).is_empty(),
        "nothing journalled: {:?}",
        drtui_engine::journal_file::list(state.path())
    );
}

/// Eight operators start the same failover at the same instant on one machine: exactly one
/// acts, every other is refused by name with exit 5, and the demo estate saw one promote.
#[test]
fn simultaneous_starts_on_one_machine_let_exactly_one_act() {
    let state = tempfile::tempdir().expect("state");
    let children: Vec<_> = (0..8)
        .map(|_| {
            drtui(
                state.path(),
                &[
                    "run",
                    "failover",
                    "--scenario",
                    "primary-outage",
                    "--approve-all",
                    "--max-data-loss",
                    "1h",
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|child| child.wait_with_output().expect("wait"))
        .collect();
    let codes: Vec<Option<i32>> = outputs.iter().map(|output| output.status.code()).collect();
    assert_eq!(
        codes.iter().filter(|code| **code == Some(0)).count(),
        1,
        "{codes:?}"
    );
    for output in outputs
        .iter()
        .filter(|output| output.status.code() != Some(0))
    {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(5), "{stderr}");
        assert!(stderr.contains("is locked by run failover-"), "{stderr}");
    }
    let promotes = read_action_log(&state.path().join("demo-actions.jsonl"))
        .iter()
        .filter(|record| matches!(record.mutation, Mutation::AuroraFailover { .. }))
        .count();
    assert_eq!(promotes, 1);
}

/// SIGTERM, SIGINT or SIGHUP while a failover waits for the writer: the run stops at the next
/// safe point, releases the lock, says how to resume, exits 128 + the signal; the resume then
/// finishes with each action done exactly once.
#[test]
fn a_signal_stops_the_run_at_a_safe_point_and_resume_finishes_it() {
    for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let state = tempfile::tempdir().expect("state");
        let (run_id, output) = run_signalled_when(
            state.path(),
            "failover",
            signal,
            |record, _| matches!(&record.event, Event::StepStarted { step, .. } if step == "wait-writer"),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        let run_id = run_id.expect("run id");
        assert_eq!(output.status.code(), Some(code), "SIG{signal}: {stderr}");
        assert!(
            stderr.contains("stopped the run at a safe point")
                && stderr.contains(&format!("drtui resume {run_id}")),
            "SIG{signal}: {stderr}"
        );
        assert!(
            !state.path().join("locks/demo.lock").exists(),
            "SIG{signal}: the lock is released"
        );
        let resumed = drtui(state.path(), &["resume", &run_id, "--approve-all"])
            .output()
            .expect("resume");
        assert_eq!(
            resumed.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&resumed.stderr)
        );
        assert_eq!(promotes(state.path()), 1, "SIG{signal}");
    }
}

/// The demo world cannot write down an action (here its log is a directory; a full disk does
/// the same): the action is undone and refused, the run stops failed with exit 1, and nothing
/// claims the writer moved.
#[test]
fn an_action_that_cannot_be_recorded_is_not_taken() {
    let state = tempfile::tempdir().expect("state");
    std::fs::create_dir_all(state.path().join("demo-actions.jsonl")).expect("block the log");
    let output = drtui(
        state.path(),
        &[
            "run",
            "failover",
            "--scenario",
            "primary-outage",
            "--approve-all",
            "--max-data-loss",
            "1h",
        ],
    )
    .output()
    .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("failed at `promote-secondary`")
            && stderr.contains("cannot record the demo action"),
        "{stderr}"
    );
    let status = drtui(state.path(), &["status", "--format", "json"])
        .output()
        .expect("status");
    let report: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(report["global_cluster"]["writer_region"], "us-east-1");
}

/// SIGKILL and SIGTERM at every step of a failover (13 steps, the final postcondition check
/// included), each followed by `resume`: the run completes and the promote and the state
/// machine execution each happened exactly once.
#[test]
fn a_kill_or_term_at_every_step_of_failover_then_resume_acts_exactly_once() {
    let trials: Vec<(usize, &str)> = (0..13)
        .flat_map(|step| [(step, "KILL"), (step, "TERM")])
        .collect();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = trials
            .iter()
            .map(|&(step, signal)| scope.spawn(move || kill_at_step_then_resume(step, signal)))
            .collect();
        handles
            .into_iter()
            .filter_map(|handle| handle.join().expect("trial").err())
            .collect()
    });
    assert!(failures.is_empty(), "{failures:#?}");
}

fn kill_at_step_then_resume(step: usize, signal: &str) -> Result<(), String> {
    let state = tempfile::tempdir().expect("state");
    let (run_id, _) = run_signalled_when(state.path(), "failover", signal, |record, started| {
        matches!(record.event, Event::StepStarted { .. }) && started == step
    });
    let run_id = run_id.ok_or("no run id")?;
    let resumed = drtui(state.path(), &["resume", &run_id, "--approve-all"])
        .output()
        .expect("resume");
    let label = format!("SIG{signal} at step {step}");
    if resumed.status.code() != Some(0) {
        return Err(format!(
            "{label}: resume exit {:?}: {}",
            resumed.status.code(),
            String::from_utf8_lossy(&resumed.stderr)
        ));
    }
    let actions = read_action_log(&state.path().join("demo-actions.jsonl"));
    let changed = |wanted: fn(&Mutation) -> bool| {
        actions
            .iter()
            .filter(|record| record.changed && wanted(&record.mutation))
            .count()
    };
    let promotes = changed(|mutation| matches!(mutation, Mutation::AuroraFailover { .. }));
    let executions = changed(|mutation| matches!(mutation, Mutation::StartExecution { .. }));
    if (promotes, executions) != (1, 1) {
        return Err(format!(
            "{label}: {promotes} promotes and {executions} executions"
        ));
    }
    Ok(())
}

/// A state directory that cannot be written is an I/O failure (exit 1, saying which path),
/// never "another run holds the lock" (exit 5); nothing is done to the estate.
#[test]
fn an_unwritable_state_dir_is_an_io_error_not_a_lock_refusal() {
    let dir = tempfile::tempdir().expect("dir");
    let not_a_dir = dir.path().join("state");
    std::fs::write(&not_a_dir, "a file where the state dir should be").expect("file");
    let output = drtui(&not_a_dir, &["run", "switchover", "--approve-all"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write the lock"), "{stderr}");
    assert!(!stderr.contains("is locked by"), "{stderr}");
}

/// `drtui run … --format json | head -1`: the reader goes away after one line; the run goes
/// on to its end and its journal says so (no panic, no half-done run).
#[test]
fn a_closed_stdout_never_stops_a_run() {
    let state = tempfile::tempdir().expect("state");
    let mut child = drtui(
        state.path(),
        &["run", "switchover", "--approve-all", "--format", "json"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("run");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("one line");
    // The reader is dropped here: stdout is closed.
    let output = child.wait_with_output().expect("wait");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let record: journal::Record = serde_json::from_str(&first).expect("a record");
    let replay = drtui_engine::journal_file::read(
        &drtui_engine::journal_file::journal_path(state.path(), &record.run_id).expect("path"),
    )
    .expect("journal");
    assert!(replay.records.iter().any(|record| matches!(
        &record.event,
        Event::RunFinished {
            outcome: journal::RunOutcomeKind::Completed,
            ..
        }
    )));
}

/// `runs show` of a run killed mid-wait and resumed 30 s later: the 30 s are idle time, not the
/// RTO (the run's journal, as a killed process leaves it, written by the engine's own journal).
#[test]
fn runs_show_counts_the_time_a_killed_run_was_dead_as_idle() {
    let state = tempfile::tempdir().expect("state");
    let run_id = "failover-20270115T080000Z-1";
    let at = |secs: i64| chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("a time");
    let event = |secs: i64, event: Event| journal::Record {
        at: at(secs),
        run_id: run_id.to_owned(),
        event,
    };
    let step = |secs: i64, id: &str, kind: &str| {
        event(
            secs,
            Event::StepStarted {
                step: id.to_owned(),
                kind: kind.to_owned(),
                inputs: serde_json::Value::Null,
            },
        )
    };
    let done = |secs: i64, id: &str| {
        event(
            secs,
            Event::StepFinished {
                step: id.to_owned(),
                outcome: drtui_core::runbook::journal::StepOutcome::Ok,
                detail: "ok".to_owned(),
            },
        )
    };
    let records = [
        event(
            0,
            Event::RunStarted {
                runbook: "failover".into(),
                runbook_hash: "h".into(),
                pair: "demo".into(),
                operator: "me".into(),
                mode: "ungraceful".into(),
                source: None,
            },
        ),
        step(0, "secondary-available", "check"),
        done(4, "secondary-available"),
        step(4, "wait-writer", "wait"),
        // kill -9 here; resumed 30 s later.
        event(34, Event::Resumed { by: "me".into() }),
        step(34, "wait-writer", "wait"),
        done(40, "wait-writer"),
    ];
    let mut journal =
        drtui_engine::journal_file::Journal::open(state.path(), run_id).expect("journal");
    for record in &records {
        journal.append(record).expect("append");
    }
    let shown = drtui(state.path(), &["runs", "show", run_id])
        .output()
        .expect("show");
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("idle 30.0 s") && text.contains("active 10.0 s"),
        "{text}"
    );
}

/// A journal with bytes that are not text after a promote (a disk error, a stray write): the
/// line is damaged, not the run. `runs list` and `runs show` still show it, `status` still
/// recommends resuming it, and the command `status` prints runs as printed and finishes it.
#[test]
fn a_journal_line_that_is_not_text_loses_nothing_and_the_printed_resume_runs() {
    let state = tempfile::tempdir().expect("state");
    let run_id = kill_9_at(
        state.path(),
        "failover",
        |event| matches!(event, Event::StepStarted { step, .. } if step == "wait-writer"),
    );
    let path = drtui_engine::journal_file::journal_path(state.path(), &run_id).expect("path");
    let mut bytes = std::fs::read(&path).expect("journal");
    let promoted = bytes
        .windows(b"\"wait-writer\"".len())
        .rposition(|window| window == b"\"wait-writer\"")
        .expect("the wait's end");
    let line_start = bytes[..promoted]
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |newline| newline + 1);
    bytes.splice(
        line_start..line_start,
        b"\x00\x00\xff\xfe\n".iter().copied(),
    );
    std::fs::write(&path, &bytes).expect("damage");
    let list = drtui(state.path(), &["runs", "list"])
        .output()
        .expect("list");
    assert!(String::from_utf8_lossy(&list.stdout).contains(&run_id));
    let show = drtui(state.path(), &["runs", "show", &run_id])
        .output()
        .expect("show");
    assert_eq!(
        show.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    assert!(String::from_utf8_lossy(&show.stdout).contains("promote-secondary"));
    // The promote it started finishes on its own (12 demo seconds, which a new demo process
    // counts from its own start): until then, "wait".
    let mut report = serde_json::Value::Null;
    for _ in 0..40 {
        let status = drtui(state.path(), &["status", "--format", "json"])
            .output()
            .expect("status");
        report = serde_json::from_slice(&status.stdout).expect("json");
        if report["readiness"]["recommendation"]["next"] != "wait" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let recommendation = &report["readiness"]["recommendation"];
    assert_eq!(recommendation["next"], "resume", "{recommendation:#}");
    let command = recommendation["command"].as_str().expect("a command");
    assert_eq!(command, format!("drtui resume {run_id}"));
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let resumed = drtui(state.path(), &args).output().expect("resume");
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&resumed.stdout),
        String::from_utf8_lossy(&resumed.stderr)
    );
}

/// The journal cannot grow mid-run (a full disk; here a file-size limit, which fails the
/// write the same way): the run stops with one line naming the run and why, and the resume
/// command it prints then runs as printed and finishes the run, each action once.
#[test]
fn a_journal_that_cannot_grow_mid_run_says_how_to_resume() {
    let state = tempfile::tempdir().expect("state");
    let first = drtui(
        state.path(),
        &["run", "failover", "--scenario", "primary-outage"],
    )
    .output()
    .expect("run");
    assert_eq!(first.status.code(), Some(4), "stops at its gate");
    let journal = std::fs::read_dir(state.path().join("runs"))
        .expect("runs")
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .expect("a journal");
    let run_id = journal
        .file_stem()
        .and_then(|stem| stem.to_str())
        .expect("id")
        .to_owned();
    // Room for about two more records, in 512-byte blocks; SIGXFSZ ignored so the write
    // fails with an error, as on a full disk, instead of killing the process.
    let blocks = std::fs::metadata(&journal).expect("size").len() / 512 + 2;
    let limited = std::process::Command::new("sh")
        .args([
            "-c",
            &format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\""),
            env!("CARGO_BIN_EXE_drtui"),
            "resume",
            &run_id,
            "--approve-all",
            "--max-data-loss",
            "1h",
        ])
        .env("DRTUI_STATE_DIR", state.path())
        .env("DRTUI_DEMO_SPEED", "10")
        .env_remove("DRTUI_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("resume");
    let stderr = String::from_utf8_lossy(&limited.stderr);
    assert_eq!(limited.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("drtui: run {run_id} stopped: journal:")),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{fffd}') && !stderr.contains("Location:"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("was in flight"),
        "a gate the run stopped at waits for approval; nothing was cut short: {stderr}"
    );
    let command = run_binary::printed_command(&stderr, &run_id);
    assert_eq!(command[..2], ["resume", run_id.as_str()], "{stderr}");
    let mut args = command.clone();
    args.extend(["--approve-all", "--max-data-loss", "1h"]);
    let resumed = drtui(state.path(), &args).output().expect("resume");
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(promotes(state.path()), 1);
}

/// How many times the demo world promoted the secondary (changes only, not no-op retries).
fn promotes(state: &std::path::Path) -> usize {
    read_action_log(&state.join("demo-actions.jsonl"))
        .iter()
        .filter(|record| {
            matches!(record.mutation, Mutation::AuroraFailover { .. }) && record.changed
        })
        .count()
}
