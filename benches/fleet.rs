//! Pairs in one account share their reads (issue 24). For 1, 10 and 100 pairs of one config
//! (`benches/fleet.sh` seeds them in the emulator behind the latency proxy), one poll of what a
//! dashboard reads every poll (the poll- and metrics-paced sources, the health checks after
//! the metrics they ride on) for every pair at once: its wall time (median over rounds) and
//! its calls (every pair's, each shared call counted once, by the pair that made it). Then
//! every pair's pollers for a while with the estate not settled (weights read every poll): the
//! Route 53 requests a second of the whole process.
//!
//! Run: cargo bench --bench fleet -- CONFIG [ROUNDS] [SECONDS]   (benches/fleet.sh does)

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark: a failed expectation ends it"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use drtui_backend::aws::{AwsBackend, ClientPool, Clients, Overrides};
use drtui_core::config::RegionPair;
use drtui_core::model::{CallCounts, Pace, Source};
use drtui_core::ports::StatusBackend;
use drtui_engine::clock::SystemClock;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let [config, rest @ ..] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench fleet -- CONFIG [ROUNDS] [SECONDS]");
        std::process::exit(2);
    };
    let rounds: usize = rest.first().map_or(5, |n| n.parse().expect("ROUNDS"));
    let seconds: u64 = rest.get(1).map_or(60, |n| n.parse().expect("SECONDS"));
    let catalog = drtui_engine::config_file::load_catalog(Some(std::path::Path::new(config)))
        .expect("config");
    let pairs: Vec<RegionPair> = catalog
        .pairs
        .iter()
        .filter(|pair| !pair.is_demo())
        .cloned()
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        // The 5 s poll (control-plane reads), and the minute's metrics tick on its own.
        for (what, paces) in [("poll", &[Pace::Poll][..]), ("metrics tick", &[Pace::Metrics][..])] {
            let mut one = None;
            for n in [1, 10, 100].into_iter().filter(|n| *n <= pairs.len()) {
                let (wall, calls, route53) = polls(&pairs[..n], rounds, paces).await;
                let (one_wall, one_calls) = *one.get_or_insert((wall, calls));
                println!(
                    "pairs {n:>3}, one {what}: {:7.1} ms ({:.2}x one pair), {calls:>4} calls ({:.2}x), Route 53 {route53}",
                    wall.as_secs_f64() * 1000.0,
                    wall.as_secs_f64() / one_wall.as_secs_f64(),
                    f64::from(calls) / f64::from(one_calls),
                );
            }
        }
        for settled in [false, true] {
            let how_long = Duration::from_secs(seconds);
            let (calls, sent, rate) = pollers_for(&pairs, how_long, settled).await;
            let polls = how_long.as_secs_f64() / pairs[0].poll_interval.as_secs_f64();
            println!(
                "{} pairs' pollers for {seconds} s, {}: {:.1} calls per poll, Route 53 {sent} requests, {rate:.2}/s",
                pairs.len(),
                if settled { "settled (weights and executions every 30 s)" } else { "moving (weights every poll)" },
                f64::from(calls) / polls,
            );
        }
    });
}

fn total(counts: &CallCounts) -> u32 {
    counts
        .values()
        .flat_map(|operations| operations.values())
        .map(|count| u32::try_from(*count).unwrap_or(u32::MAX))
        .sum()
}

fn route53(counts: &CallCounts) -> u32 {
    counts.get("route53").map_or(0, |operations| {
        operations
            .values()
            .map(|count| u32::try_from(*count).unwrap_or(u32::MAX))
            .sum()
    })
}

async fn open(pairs: &[RegionPair], pool: &ClientPool) -> Vec<Arc<AwsBackend>> {
    futures::future::join_all(pairs.iter().map(|pair| async move {
        let clients = Clients::load(pair, &Overrides::default(), pool).await;
        Arc::new(AwsBackend::new(pair, clients, Arc::new(SystemClock)))
    }))
    .await
}

/// One dashboard poll of one pair: the `paces` sources at once, then those riding on them.
async fn poll(backend: &AwsBackend, paces: &[Pace]) {
    let polled = |rides: bool| {
        Source::all().into_iter().filter(move |source| {
            paces.contains(&source.pace()) && source.rides_on_others() == rides
        })
    };
    futures::future::join_all(polled(false).map(|source| backend.fetch(source))).await;
    futures::future::join_all(polled(true).map(|source| backend.fetch(source))).await;
}

/// The median wall time of one poll of every pair at once (the `paces` sources), the calls of
/// the last one, and of those, Route 53's.
async fn polls(pairs: &[RegionPair], rounds: usize, paces: &[Pace]) -> (Duration, u32, u32) {
    let pool = ClientPool::default();
    let backends = open(pairs, &pool).await;
    let counts = || {
        backends
            .iter()
            .map(|backend| backend.call_counts())
            .fold((0, 0), |(all, r53), counts| {
                (all + total(&counts), r53 + route53(&counts))
            })
    };
    // Warm-up: connections open, credentials resolved, health-check ids learnt.
    futures::future::join_all(backends.iter().map(|backend| poll(backend, paces))).await;
    let mut walls = Vec::with_capacity(rounds);
    let mut last = (0, 0);
    for _ in 0..rounds {
        // A new poll interval: the Route 53 budget's second has passed.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let before = counts();
        let began = Instant::now();
        futures::future::join_all(backends.iter().map(|backend| poll(backend, paces))).await;
        walls.push(began.elapsed());
        let after = counts();
        last = (after.0 - before.0, after.1 - before.1);
    }
    walls.sort();
    (walls[walls.len() / 2], last.0, last.1)
}

/// Every pair's pollers for `how_long` after their first round, the estate `settled` or not:
/// every call they made, the process's Route 53 requests, and a second's worth.
async fn pollers_for(pairs: &[RegionPair], how_long: Duration, settled: bool) -> (u32, u64, f64) {
    let pool = ClientPool::default();
    let backends = open(pairs, &pool).await;
    let cancel = tokio_util::sync::CancellationToken::new();
    let (updates, mut inbox) = tokio::sync::mpsc::channel(4096);
    let budget = pool.route53_budget();
    for (backend, pair) in backends.iter().zip(pairs) {
        let control = drtui_engine::poll::spawn_pollers(
            Arc::clone(backend) as Arc<dyn StatusBackend>,
            Arc::new(SystemClock),
            drtui_engine::poll::Cadence::of(pair),
            pair.call_timeout,
            updates.clone(),
            cancel.clone(),
        );
        control.set_settled(settled);
    }
    let drain = tokio::spawn(async move { while inbox.recv().await.is_some() {} });
    // The first round reads everything once (parity, permissions): not a poll.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let calls = |backends: &[Arc<AwsBackend>]| -> u32 {
        backends
            .iter()
            .map(|backend| total(&backend.call_counts()))
            .sum()
    };
    let (calls_before, before) = (calls(&backends), budget.sent());
    tokio::time::sleep(how_long).await;
    let (calls_after, after) = (calls(&backends), budget.sent());
    cancel.cancel();
    drain.abort();
    let sent = (after.reads + after.acts) - (before.reads + before.acts);
    #[allow(clippy::cast_precision_loss, reason = "a few hundred requests")]
    let rate = sent as f64 / how_long.as_secs_f64();
    (calls_after - calls_before, sent, rate)
}
