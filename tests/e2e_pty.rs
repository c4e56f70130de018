//! End to end: the built binary in a real pseudo-terminal, keys in, screen text out, and the
//! terminal restored afterwards (checked by `stty` in the same terminal).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 30;
const COLS: u16 = 100;

struct Session {
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Session {
    fn start(script: &str) -> Session {
        Session::start_with(script, &[])
    }

    fn start_with(script: &str, env: &[(&str, &str)]) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open pty");
        let mut command = CommandBuilder::new("sh");
        command.args(["-c", script]);
        command.env("TERM", "xterm-256color");
        command.env_remove("DRTUI_CONFIG");
        let config_home = std::env::temp_dir().join(format!("drtui-e2e-{}", std::process::id()));
        command.env("XDG_CONFIG_HOME", &config_home);
        command.env("DRTUI_STATE_DIR", config_home.join("state"));
        for (key, value) in env {
            command.env(key, value);
        }
        let child = pty.slave.spawn_command(command).expect("spawn");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZero::new(ROWS).expect("rows"),
            std::num::NonZero::new(COLS).expect("cols"),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        // Drain the PTY on its own thread so the child never blocks on a full buffer.
        let (screen_in, raw_in) = (Arc::clone(&screen), Arc::clone(&raw));
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(read) = reader.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                screen_in.lock().expect("screen").process(&buffer[..read]);
                raw_in
                    .lock()
                    .expect("raw")
                    .extend_from_slice(&buffer[..read]);
            }
        });
        Session {
            screen,
            raw,
            writer,
            child,
            master: pty.master,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().expect("screen").screen().contents()
    }

    fn wait_for(&self, what: &str, condition: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let contents = self.contents();
            if condition(&contents) {
                return contents;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{contents}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&mut self, keys: &[u8]) {
        self.writer.write_all(keys).expect("write keys");
        self.writer.flush().expect("flush keys");
    }

    /// Resizes the terminal (the child gets SIGWINCH) and the screen model with it.
    fn resize(&self, rows: u16, cols: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
        self.screen.lock().expect("screen").screen_mut().set_size(
            std::num::NonZero::new(rows).expect("rows"),
            std::num::NonZero::new(cols).expect("cols"),
        );
    }

    fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().expect("raw")).into_owned()
    }
}

#[test]
fn dashboard_shows_both_regions_help_opens_closes_and_q_restores_the_terminal() {
    let binary = env!("CARGO_BIN_EXE_drtui");
    let mut session = Session::start(&format!(
        "stty sane; '{binary}'; echo \"EXIT=$?\"; stty -a; echo END-OF-SESSION"
    ));

    let first = session.wait_for("both regions", |screen| {
        screen.contains("us-east-1 · primary")
            && screen.contains("us-east-2 · secondary")
            && screen.contains("READY")
    });
    assert!(first.contains("Failover readiness"), "{first}");

    session.send(b"?");
    session.wait_for("help overlay", |screen| {
        screen.contains("Keys · Esc to close")
    });
    session.send(b"\x1b");
    session.wait_for("help closed", |screen| {
        !screen.contains("Keys · Esc to close")
    });

    session.send(b"q");
    let after = session.wait_for("shell after drtui", |screen| {
        screen.contains("END-OF-SESSION")
    });
    assert!(after.contains("EXIT=0"), "{after}");
    let status = session.child.wait().expect("wait");
    assert!(status.success());

    let raw = session.raw_text();
    let entered = raw
        .rfind("\x1b[?1049h")
        .expect("entered the alternate screen");
    let left = raw.rfind("\x1b[?1049l").expect("left the alternate screen");
    assert!(left > entered, "alternate screen left after it was entered");
    assert!(raw[entered..].contains("\x1b[?25h"), "cursor shown again");
    // `stty -a` after drtui: canonical mode and echo are back (raw mode would print -icanon -echo).
    let stty = &raw[left..];
    assert!(
        stty.contains(" icanon") && !stty.contains("-icanon"),
        "{stty}"
    );
    assert!(
        stty.contains(" echo ") && !stty.contains("-echo "),
        "{stty}"
    );
}

#[test]
fn tiny_terminal_says_it_is_too_small_instead_of_drawing_garbage() {
    let binary = env!("CARGO_BIN_EXE_drtui");
    let mut session = Session::start(&format!(
        "stty rows 20 cols 60; '{binary}'; echo END-OF-SESSION"
    ));
    session.wait_for("size message", |screen| {
        screen.contains("Terminal too small: 60x20")
    });
    session.send(b"q");
    session.wait_for("exit", |screen| screen.contains("END-OF-SESSION"));
    assert!(session.child.wait().expect("wait").success());
}

#[test]
fn no_color_draws_without_any_colour_but_keeps_every_symbol() {
    let binary = env!("CARGO_BIN_EXE_drtui");
    let mut session = Session::start_with(
        &format!("'{binary}' --scenario primary-outage; echo END-OF-SESSION"),
        &[("NO_COLOR", "1")],
    );
    let screen = session.wait_for("outage shown", |screen| {
        screen.contains("UNHEALTHY") && screen.contains("ALARM")
    });
    assert!(screen.contains("✖ UNHEALTHY"), "{screen}");
    session.send(b"q");
    session.wait_for("exit", |screen| screen.contains("END-OF-SESSION"));
    let raw = session.raw_text();
    for colour in ["\x1b[38;", "\x1b[48;", "\x1b[31m", "\x1b[32m", "\x1b[33m"] {
        assert!(
            !raw.contains(colour),
            "colour escape {colour:?} drawn despite NO_COLOR"
        );
    }
}

/// `drtui ARGS` against the state dir `state`: its standard output.
fn drtui_in(state: &std::path::Path, args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_drtui"))
        .args(args)
        .env("DRTUI_STATE_DIR", state)
        .output()
        .expect("drtui runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The id of the run of `runbook` that `runs list` shows as completed.
fn completed_run(state: &std::path::Path, runbook: &str) -> String {
    let listed = drtui_in(state, &["runs", "list"]);
    listed
        .lines()
        .find(|line| line.starts_with(&format!("{runbook}-")) && line.contains("completed"))
        .and_then(|line| line.split_whitespace().next())
        .unwrap_or_else(|| panic!("no completed {runbook} run:\n{listed}"))
        .to_owned()
}

#[test]
fn a_runbook_runs_from_the_dashboard_and_each_gate_needs_the_pair_name() {
    let binary = env!("CARGO_BIN_EXE_drtui");
    let state = std::env::temp_dir().join(format!("drtui-e2e-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let state_text = state.display().to_string();
    let mut session = Session::start_with(
        &format!("'{binary}'; echo END-OF-SESSION"),
        &[
            ("DRTUI_STATE_DIR", state_text.as_str()),
            ("DRTUI_DEMO_SPEED", "20"),
        ],
    );
    session.wait_for("dashboard", |screen| {
        screen.contains("us-east-2 · secondary")
    });
    session.send(b"r");
    session.wait_for("runbook picker", |screen| {
        screen.contains("Runbooks · Esc to close")
    });
    session.send(b"\r");
    session.wait_for("first gate", |screen| screen.contains("Gate: announce"));
    // A wrong answer does not pass the gate.
    session.send(b"prod\r");
    session.wait_for("refusal", |screen| {
        screen.contains("type the pair name `demo` exactly")
    });
    for _ in 0..4 {
        session.send(b"\x7f");
    }
    session.send(b"demo\r");
    session.wait_for("second gate", |screen| {
        screen.contains("Gate: approve-switchover")
    });
    session.send(b"demo\r");
    // The run view says completed once its postconditions held against live state; the
    // strip shows the writer moved from the next assessed poll (a loaded machine may draw a
    // frame between the two).
    session.wait_for("run completed and the writer shown moved", |screen| {
        screen.contains("completed: every step done") && screen.contains("writer us-east-2")
    });
    session.send(b"q");
    session.wait_for("exit", |screen| screen.contains("END-OF-SESSION"));
    completed_run(&state, "switchover");
    let _ = std::fs::remove_dir_all(&state);
}

/// A resize storm (a tiling window manager, a laptop docking): a hundred sizes from tiny to
/// huge in a second never crash the dashboard, it settles on the last size, and q still
/// restores the terminal.
#[test]
fn a_resize_storm_never_breaks_the_dashboard() {
    let binary = env!("CARGO_BIN_EXE_drtui");
    let mut session = Session::start(&format!(
        "stty sane; '{binary}'; echo \"EXIT=$?\"; echo END-OF-SESSION"
    ));
    session.wait_for("the dashboard", |screen| {
        screen.contains("Failover readiness")
    });
    let sizes = [
        (10, 20),
        (60, 200),
        (24, 80),
        (5, 5),
        (40, 120),
        (1, 1),
        (30, 79),
    ];
    for round in 0..100 {
        let (rows, cols) = sizes[round % sizes.len()];
        session.resize(rows, cols);
        std::thread::sleep(Duration::from_millis(10));
    }
    session.resize(ROWS, COLS);
    session.wait_for("the dashboard again at full size", |screen| {
        screen.contains("Failover readiness") && screen.contains("us-east-2 · secondary")
    });
    session.send(b"q");
    let after = session.wait_for("shell after drtui", |screen| {
        screen.contains("END-OF-SESSION")
    });
    assert!(after.contains("EXIT=0"), "{after}");
}

/// SIGTERM (a session killed, a terminal closed with SIGHUP) ends the dashboard like `q`: the
/// terminal is restored, never left in raw mode on the alternate screen.
#[test]
fn sigterm_restores_the_terminal() {
    let binary = env!("CARGO_BIN_EXE_drtui");
    let session = Session::start(&format!(
        "stty sane; '{binary}'; echo \"EXIT=$?\"; stty -a; echo END-OF-SESSION"
    ));
    session.wait_for("the dashboard", |screen| {
        screen.contains("Failover readiness")
    });
    let shell = session.child.process_id().expect("shell pid");
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("children of the shell");
    let drtui = children
        .split_whitespace()
        .next()
        .expect("drtui's pid")
        .to_owned();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &drtui])
        .status()
        .expect("kill");
    assert!(killed.success());
    let after = session.wait_for("shell after drtui", |screen| {
        screen.contains("END-OF-SESSION")
    });
    assert!(after.contains("EXIT=0"), "{after}");
    let raw = session.raw_text();
    let left = raw.rfind("\x1b[?1049l").expect("left the alternate screen");
    let stty = &raw[left..];
    assert!(
        stty.contains(" icanon") && !stty.contains("-icanon"),
        "{stty}"
    );
}

/// The fleet view: several pairs, one line each; Enter opens a pair's dashboard, Esc returns
/// to the list, q quits and restores the terminal.
#[test]
fn fleet_view_opens_a_pair_and_esc_returns() {
    let binary = env!("CARGO_BIN_EXE_drtui");
    let mut session = Session::start(&format!(
        "stty sane; '{binary}' --region-pair demo --region-pair demo; echo \"EXIT=$?\"; echo END-OF-SESSION"
    ));
    session.wait_for("the fleet list", |screen| {
        screen.contains("fleet · 2 pairs") && screen.contains("steady")
    });
    session.send(b"\r");
    session.wait_for("a pair's dashboard", |screen| {
        screen.contains("Failover readiness")
    });
    session.send(b"\x1b");
    session.wait_for("the fleet list again", |screen| {
        screen.contains("fleet · 2 pairs")
    });
    session.send(b"q");
    let after = session.wait_for("shell after drtui", |screen| {
        screen.contains("END-OF-SESSION")
    });
    assert!(after.contains("EXIT=0"), "{after}");
}

/// The incident's second operator: a failover was stopped (SIGTERM) right after it promoted
/// the secondary. The dashboard says so when it opens; an alarm's detail opens with Enter and
/// closes with Esc; R resumes the run here and it completes, proven against live state.
#[test]
fn a_stopped_run_is_announced_an_alarm_detail_opens_and_r_resumes_the_run() {
    use std::io::BufRead;
    let binary = env!("CARGO_BIN_EXE_drtui");
    let state = std::env::temp_dir().join(format!("drtui-e2e-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let mut run = std::process::Command::new(binary)
        .args([
            "run",
            "failover",
            "--approve-all",
            "--scenario",
            "primary-outage",
            "--max-data-loss",
            "1h",
        ])
        .env("DRTUI_STATE_DIR", &state)
        .env("DRTUI_DEMO_SPEED", "10")
        .env_remove("DRTUI_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run");
    let stdout = run.stdout.take().expect("stdout");
    let mut promoted = false;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if line.contains("✔ promote-secondary") {
            promoted = true;
            break;
        }
    }
    assert!(promoted, "the run promoted the secondary");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    assert_eq!(run.wait().expect("exit").code(), Some(143));

    let state_text = state.display().to_string();
    let mut session = Session::start_with(
        &format!("'{binary}' --scenario primary-outage; echo END-OF-SESSION"),
        &[
            ("DRTUI_STATE_DIR", state_text.as_str()),
            ("DRTUI_DEMO_SPEED", "10"),
        ],
    );
    session.wait_for("the stopped run's banner", |screen| {
        screen.contains("STOPPED RUN (R resumes") && screen.contains("failover-")
    });
    // Tab to the alarms, Enter: the first (most urgent) alarm in full; Esc closes it.
    session.send(b"\t\t\t\r");
    let detail = session.wait_for("an alarm's detail", |screen| {
        screen.contains("alarm PaymentDR-demo-") && screen.contains("Esc closes")
    });
    assert!(detail.contains("rule"), "{detail}");
    session.send(b"\x1b");
    session.wait_for("the detail closed", |screen| !screen.contains("Esc closes"));
    session.send(b"R");
    let done = session.wait_for("the resumed run completed", |screen| {
        screen.contains("completed: every step done")
    });
    assert!(done.contains("writer us-east-2"), "{done}");
    session.send(b"q");
    session.wait_for("exit", |screen| screen.contains("END-OF-SESSION"));
    // One run, resumed to completion; the incident review shows its steps and what the
    // dashboard saw the estate do.
    let run_id = completed_run(&state, "failover");
    let review = drtui_in(&state, &["runs", "show", &run_id, "--markdown"]);
    assert!(review.contains("## What the estate did"), "{review}");
    assert!(
        review.contains("| run | ") && review.contains("postconditions ok"),
        "the resumed steps, as the dashboard saw them:\n{review}"
    );
    let _ = std::fs::remove_dir_all(&state);
}

/// Provisioning from the dashboard in a real terminal: the picker's `provision`, its gate, a
/// stack that fails and rolls back with the failing resource on screen; the fault cleared from
/// the fault menu, `R` resumes the stopped run and it completes.
#[test]
fn provision_fails_on_a_stack_shows_why_and_resumes_from_the_dashboard() {
    let binary = env!("CARGO_BIN_EXE_drtui");
    let state = std::env::temp_dir().join(format!("drtui-e2e-provision-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let state_text = state.display().to_string();
    let mut session = Session::start_with(
        &format!("'{binary}' --scenario stack-update-fails; echo END-OF-SESSION"),
        &[
            ("DRTUI_STATE_DIR", state_text.as_str()),
            ("DRTUI_DEMO_SPEED", "20"),
        ],
    );
    session.wait_for("dashboard", |screen| {
        screen.contains("us-east-2 · secondary")
    });
    session.send(b"r");
    session.wait_for("runbook picker", |screen| screen.contains("provision"));
    session.send(b"\x1b[B\x1b[B\x1b[B\x1b[B\r");
    session.wait_for("opening gate", |screen| {
        screen.contains("Gate: approve-provision")
    });
    session.send(b"demo\r");
    let failed = session.wait_for("the failed stack", |screen| {
        screen.contains("UPDATE_FAILED") && screen.contains("STOPPED RUN")
    });
    assert!(
        failed.contains("primary-api") && failed.contains("HealthMethod"),
        "{failed}"
    );
    // The cause fixed (the fault turned off), R resumes the stopped run.
    session.send(b"f");
    session.wait_for("fault menu", |screen| screen.contains("Inject faults"));
    session.send(b"\x1b[B\x1b[B\x1b[B\x1b[B\x1b[B\x1b[B\x1b[B\r");
    session.wait_for("fault cleared", |screen| {
        screen.contains("[ ] stack-update-fails")
    });
    session.send(b"\x1b");
    session.wait_for("fault menu closed", |screen| {
        !screen.contains("Inject faults")
    });
    session.send(b"R");
    // Approvals given before a failure are asked again: resuming is a fresh decision.
    session.wait_for("the gate again", |screen| {
        screen.contains("Gate: approve-provision")
    });
    session.send(b"demo\r");
    session.wait_for("resumed run completed", |screen| {
        screen.contains("completed: every step done")
    });
    session.send(b"q");
    session.wait_for("exit", |screen| screen.contains("END-OF-SESSION"));
    let _ = std::fs::remove_dir_all(&state);
}
