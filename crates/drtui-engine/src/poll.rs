//! Fetching: every source of both regions concurrently, each bounded by a timeout, results
//! streamed over a channel so one hung region costs one timeout and never the screen.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use drtui_core::clock::Clock;
use drtui_core::model::{Source, SourceUpdate};
use drtui_core::ports::{BackendError, StatusBackend};

/// Retries of a throttled read within one fetch.
const THROTTLE_RETRIES: usize = 2;

/// One bounded fetch of one source, stamped with the time it finished.
pub async fn fetch_one(
    backend: &dyn StatusBackend,
    clock: &dyn Clock,
    source: Source,
    timeout: Duration,
) -> SourceUpdate {
    let began = std::time::Instant::now();
    // A throttled read is tried again after a short pause, within the same timeout: one lost
    // call should not leave a source without a fresh value for a whole poll.
    let attempts = async {
        // Pauses of a tenth, then a fifth of the timeout: the retries fit inside it.
        let mut pause = timeout / 10;
        for _ in 0..THROTTLE_RETRIES {
            match backend.fetch(source).await {
                Err(error) if error.is_throttling() => {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                other => return other,
            }
        }
        backend.fetch(source).await
    };
    let result = match tokio::time::timeout(timeout, attempts).await {
        Ok(result) => result,
        Err(_) => Err(BackendError::Timeout(timeout)),
    };
    tracing::debug!(
        source = ?source,
        elapsed_ms = began.elapsed().as_secs_f64() * 1000.0,
        ok = result.is_ok(),
        "fetched"
    );
    SourceUpdate {
        source,
        at: clock.now(),
        result: result.map_err(|error| error.to_string()),
    }
}

/// Fetches every source once, concurrently; returns when all have answered or timed out.
/// Sources whose data rides in other calls (health checks in us-east-1's `GetMetricData`)
/// go second, so a one-shot snapshot reads them from this poll rather than a fallback.
pub async fn poll_once(
    backend: &dyn StatusBackend,
    clock: &dyn Clock,
    timeout: Duration,
) -> Vec<SourceUpdate> {
    let (later, first): (Vec<Source>, Vec<Source>) = Source::all()
        .into_iter()
        .partition(|source| source.rides_on_others());
    let mut updates = futures::future::join_all(
        first
            .into_iter()
            .map(|source| fetch_one(backend, clock, source, timeout)),
    )
    .await;
    updates.extend(
        futures::future::join_all(
            later
                .into_iter()
                .map(|source| fetch_one(backend, clock, source, timeout)),
        )
        .await,
    );
    updates
}

/// Starts one polling task per source; each sends its updates until `cancel` fires or the
/// receiver is gone. A slow source skips missed ticks instead of queueing them.
pub fn spawn_pollers(
    backend: Arc<dyn StatusBackend>,
    clock: Arc<dyn Clock>,
    interval: Duration,
    timeout: Duration,
    updates: mpsc::Sender<SourceUpdate>,
    cancel: CancellationToken,
) {
    // A faster clock (the demo at game-day speed) polls as often in its own time.
    let interval = interval.div_f64(clock.speed().max(1.0));
    let timeout = timeout.div_f64(clock.speed().max(1.0));
    for source in Source::all() {
        let backend = Arc::clone(&backend);
        let clock = Arc::clone(&clock);
        let updates = updates.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = ticker.tick() => {}
                }
                let update = tokio::select! {
                    _ = cancel.cancelled() => break,
                    update = fetch_one(backend.as_ref(), clock.as_ref(), source, timeout) => update,
                };
                if updates.send(update).await.is_err() {
                    break;
                }
            }
        });
    }
}
