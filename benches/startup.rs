//! Wall-clock figures of the real binary: start to first frame in a pseudo-terminal, and
//! `drtui status --format json` on `demo`. Prints medians; run with `cargo bench --bench startup`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const RUNS: usize = 20;

fn percentile(samples: &mut [Duration], fraction: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * fraction).round() as usize]
}

/// Spawns the dashboard in a 100x30 PTY; returns (first frame, first frame with both regions' data).
fn time_to_first_frame(binary: &str) -> (Duration, Duration) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("pty");
    let mut command = CommandBuilder::new(binary);
    command.env("TERM", "xterm-256color");
    let began = Instant::now();
    let mut child = pty.slave.spawn_command(command).expect("spawn");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let mut writer = pty.master.take_writer().expect("writer");
    let parser = Arc::new(Mutex::new(vt100::Parser::new(
        std::num::NonZero::new(30).expect("rows"),
        std::num::NonZero::new(100).expect("cols"),
        0,
    )));
    let feed = Arc::clone(&parser);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        while let Ok(read) = reader.read(&mut buffer) {
            if read == 0 {
                break;
            }
            feed.lock().expect("parser").process(&buffer[..read]);
        }
    });
    let (mut first, mut full) = (None, None);
    while full.is_none() && began.elapsed() < Duration::from_secs(10) {
        let screen = parser.lock().expect("parser").screen().contents();
        if first.is_none() && screen.contains("Failover readiness") {
            first = Some(began.elapsed());
        }
        if screen.contains("reader") && screen.contains("READY") {
            full = Some(began.elapsed());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    std::io::Write::write_all(&mut writer, b"q").expect("quit");
    child.wait().expect("exit");
    (first.expect("first frame"), full.expect("full frame"))
}

fn main() {
    let binary = env!("CARGO_BIN_EXE_drtui");
    let (mut first, mut full): (Vec<_>, Vec<_>) =
        (0..RUNS).map(|_| time_to_first_frame(binary)).unzip();
    let mut status: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let began = Instant::now();
            let output = Command::new(binary)
                .args(["status", "--format", "json"])
                .stdout(Stdio::null())
                .status()
                .expect("status runs");
            assert!(output.success());
            began.elapsed()
        })
        .collect();
    for (name, samples) in [
        ("start to first frame", &mut first),
        ("start to first frame with both regions' data", &mut full),
        ("drtui status --format json (demo)", &mut status),
    ] {
        println!(
            "{name}: median {:.1} ms, p90 {:.1} ms over {RUNS} runs",
            percentile(samples, 0.5).as_secs_f64() * 1000.0,
            percentile(samples, 0.9).as_secs_f64() * 1000.0
        );
    }
}
