//! Files that are not what they seem: a FIFO where a config, a runbook or a journal should be
//! never hangs drtui (it is refused, or passed over, at once), and a journal line that is not
//! text loses nothing (see `run_crashes.rs`).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failed expectation is the test failing"
)]

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "support/run_binary.rs"]
mod run_binary;

fn mkfifo(path: &std::path::Path) {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Runs `command` to its end, failing the test (and killing it) if it takes over 20 s: a hang
/// is the bug these tests look for.
fn finishes(mut command: Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("hung for 20 s on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn a_fifo_as_config_or_runbook_is_refused_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    let fifo_toml = dir.path().join("f.toml");
    mkfifo(&fifo_toml);
    let config = fifo_toml.display().to_string();
    let output = finishes(run_binary::drtui(
        dir.path(),
        &["--config", &config, "pairs"],
    ));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");

    let fifo_yaml = dir.path().join("r.yaml");
    mkfifo(&fifo_yaml);
    let runbook = fifo_yaml.display().to_string();
    let output = finishes(run_binary::drtui(
        dir.path(),
        &["runbook", "validate", &runbook],
    ));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

/// A FIFO among the user's runbooks and among the journals is passed over: the catalogue and
/// the runs still list.
#[test]
fn a_fifo_among_runbooks_or_journals_is_passed_over() {
    let dir = tempfile::tempdir().expect("dir");
    let config_home = dir.path().join("config");
    let runbooks = config_home.join("drtui/runbooks");
    std::fs::create_dir_all(&runbooks).expect("runbooks dir");
    mkfifo(&runbooks.join("stuck.yaml"));
    let state = dir.path().join("state");
    std::fs::create_dir_all(state.join("runs")).expect("runs dir");
    mkfifo(&state.join("runs/stuck.jsonl"));
    for args in [["runbook", "list"], ["runs", "list"]] {
        let mut command = run_binary::drtui(&state, &args);
        command.env("XDG_CONFIG_HOME", &config_home);
        let output = finishes(command);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// drtui changes the mode of nothing it did not create: a shared 1777 directory stays 1777
/// when a log file is written into it, and a bare file name works (its directory is the
/// current one); the log file itself is created 0600.
#[test]
fn a_log_file_in_a_shared_or_the_current_directory() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("dir");
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).expect("shared");
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).expect("1777");
    let log = shared.join("a.log");
    let output = finishes(run_binary::drtui(
        dir.path(),
        &["--log-file", &log.display().to_string(), "pairs"],
    ));
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode(&shared), 0o1777, "the shared directory keeps its mode");
    assert_eq!(mode(&log), 0o600);
    let mut bare = run_binary::drtui(dir.path(), &["--log-file", "bare.log", "pairs"]);
    bare.current_dir(dir.path());
    let output = finishes(bare);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("bare.log").is_file());
}

/// The lock refusal names the pair in the command it prints, and that command runs as printed
/// (`lock show --region-pair` works after the subcommand too).
#[test]
fn the_printed_lock_commands_run_as_printed() {
    let state = tempfile::tempdir().expect("state");
    let locks = state.path().join("locks");
    std::fs::create_dir_all(&locks).expect("locks");
    // Held by a process on another host: never judged stale from here.
    std::fs::write(
        locks.join("demo.lock"),
        r#"{"run_id":"switchover-elsewhere","operator":"them","host":"another-host","pid":4242,"since":"now"}"#,
    )
    .expect("lock");
    let output = finishes(run_binary::drtui(
        state.path(),
        &["run", "switchover", "--approve-all"],
    ));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    let command = stderr
        .split('`')
        .find(|part| part.starts_with("drtui lock break"))
        .unwrap_or_else(|| panic!("no lock break command in {stderr}"));
    assert!(command.contains("--region-pair demo"), "{command}");
    let show = finishes(run_binary::drtui(
        state.path(),
        &["lock", "show", "--region-pair", "demo"],
    ));
    assert!(
        String::from_utf8_lossy(&show.stdout).contains("switchover-elsewhere"),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let broken = finishes(run_binary::drtui(state.path(), &args));
    assert_eq!(
        broken.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
    assert!(!locks.join("demo.lock").exists());
}

/// The unexpected gets one clean report, even with RUST_BACKTRACE set and escape codes in the
/// file that caused it: `drtui: what failed: why`, one line, no colour, no backtrace.
#[test]
fn an_unexpected_error_is_one_clean_line() {
    let state = tempfile::tempdir().expect("state");
    let locks = state.path().join("locks");
    std::fs::create_dir_all(&locks).expect("locks");
    std::fs::write(locks.join("demo.lock"), b"garbage\x1b[31m").expect("lock");
    let mut command = run_binary::drtui(state.path(), &["lock", "show"]);
    command.env("RUST_BACKTRACE", "1");
    let output = finishes(command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("drtui: the lock file ") && stderr.contains("cannot be read"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\u{FFFD}') && !stderr.contains("BACKTRACE"),
        "{stderr}"
    );
}
