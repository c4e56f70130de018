//! Wall-clock figures of the real binary: start to first frame in a pseudo-terminal, and
//! `drtui status --format json`, on `demo`, or on the pair named by the arguments (an emulator
//! pair: `cargo bench --bench startup -- --config PATH --region-pair NAME`, as
//! benches/compare.sh runs it). Prints medians and the first complete frame over `status`.

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

/// Spawns the dashboard in a 100x30 PTY; returns (first frame, first complete frame: both
/// regions' data and a verdict, nothing still loading).
fn time_to_first_frame(binary: &str, pair_args: &[String]) -> (Duration, Duration) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("pty");
    let mut command = CommandBuilder::new(binary);
    command.args(pair_args);
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
        let verdict = ["READY", "DEGRADED"]
            .iter()
            .any(|verdict| screen.contains(verdict));
        if screen.contains("reader") && verdict && !screen.contains("loading…") {
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
    // `cargo bench` adds `--bench`; everything else goes to drtui.
    let pair_args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    let (mut first, mut full): (Vec<_>, Vec<_>) = (0..RUNS)
        .map(|_| time_to_first_frame(binary, &pair_args))
        .unzip();
    let mut status: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let began = Instant::now();
            let output = Command::new(binary)
                .args(&pair_args)
                .args(["status", "--format", "json"])
                .stdout(Stdio::null())
                .status()
                .expect("status runs");
            assert!(output.success());
            began.elapsed()
        })
        .collect();
    let ratio =
        percentile(&mut full, 0.5).as_secs_f64() / percentile(&mut status, 0.5).as_secs_f64();
    for (name, samples) in [
        ("start to first frame", &mut first),
        ("start to first complete frame", &mut full),
        ("drtui status --format json", &mut status),
    ] {
        println!(
            "{name}: median {:.1} ms, p90 {:.1} ms over {RUNS} runs",
            percentile(samples, 0.5).as_secs_f64() * 1000.0,
            percentile(samples, 0.9).as_secs_f64() * 1000.0
        );
    }
    println!("first complete frame / status: {ratio:.2}x (medians)");
}
