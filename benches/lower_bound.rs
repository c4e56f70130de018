//! The lower bound of `drtui status` against an estate: every source's chain of calls (one
//! fetch, with its pagination and retries) timed alone, with nothing else in flight, after one
//! warm-up poll (connections open, credentials resolved). `status` fetches the sources at once,
//! then the health checks that ride on the metrics; so the bound is the slowest first-phase
//! chain plus the slowest second-phase chain.
//!
//! Run: cargo bench --bench lower_bound -- CONFIG PAIR [ROUNDS]   (benches/compare.sh does)
//! Prints `lower_bound_s <median over rounds>` and the slowest source of each round.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark: a failed expectation ends it"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use drtui_backend::aws::{AwsBackend, ClientPool, Clients, Overrides};
use drtui_core::model::Source;
use drtui_core::ports::StatusBackend;
use drtui_engine::clock::SystemClock;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let [config, pair_name, rest @ ..] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench lower_bound -- CONFIG PAIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = rest.first().map_or(10, |n| n.parse().expect("ROUNDS"));
    let catalog = drtui_engine::config_file::load_catalog(Some(std::path::Path::new(config)))
        .expect("config");
    let pair = catalog.get(pair_name).expect("pair").clone();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let pool = ClientPool::default();
        let clients = Clients::load(&pair, &Overrides::default(), &pool).await;
        let backend = AwsBackend::new(&pair, clients, Arc::new(SystemClock));
        let (later, first): (Vec<Source>, Vec<Source>) = Source::all()
            .into_iter()
            .partition(|source| source.rides_on_others());
        // Warm-up: every source once, as `status` would.
        for source in first.iter().chain(&later) {
            let _ = backend.fetch(*source).await;
        }
        let mut bounds = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let (slowest_first, first_s) = slowest(&backend, &first).await;
            let (slowest_later, later_s) = slowest(&backend, &later).await;
            println!(
                "round: {} {:.1} ms + {} {:.1} ms",
                slowest_first.name(),
                first_s.as_secs_f64() * 1000.0,
                slowest_later.name(),
                later_s.as_secs_f64() * 1000.0
            );
            bounds.push(first_s + later_s);
        }
        bounds.sort();
        println!(
            "lower_bound_s {:.4}",
            bounds[bounds.len() / 2].as_secs_f64()
        );
    });
}

/// Each source fetched alone, one after the other; the slowest and its time.
async fn slowest(backend: &AwsBackend, sources: &[Source]) -> (Source, Duration) {
    let mut worst = (sources[0], Duration::ZERO);
    for source in sources {
        let started = Instant::now();
        let _ = backend.fetch(*source).await;
        let took = started.elapsed();
        if took > worst.1 {
            worst = (*source, took);
        }
    }
    worst
}
