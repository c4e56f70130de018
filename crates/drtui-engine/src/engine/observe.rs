//! What a run sees: a fresh poll folded into what it saw before, throttled reads retried.

use std::time::Duration;

use drtui_core::model::{FetchFailure, Snapshot, SourceUpdate};
use drtui_core::ports::BackendError;
use drtui_core::readiness::{self, Readiness};
use drtui_core::runbook::evaluate::{self, Observation};
use drtui_core::runbook::step::Check;

use super::Engine;

/// Rounds, a second apart, in which an observation reads again what is still throttled.
const THROTTLED_ROUNDS: usize = 3;

/// What a run has seen so far, refreshed by every observation, and the executions this
/// process started (or found already started) for it.
#[derive(Default)]
pub(super) struct Memory {
    seen: std::sync::Mutex<Option<Snapshot>>,
    pub(super) executions: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

/// The update failed because the service throttled it (after the fetch's own retries).
fn is_throttled(update: &SourceUpdate) -> bool {
    update
        .result
        .as_ref()
        .err()
        .is_some_and(BackendError::is_throttling)
}

/// The credentials failure of an observation, if any of its reads was refused for them.
pub(super) fn credentials_failure(snapshot: &Snapshot) -> Option<String> {
    snapshot.credentials_failure().map(FetchFailure::message)
}

impl Engine<'_> {
    /// A check on one observation.
    pub(super) fn evaluate(
        &self,
        check: &Check,
        snapshot: &Snapshot,
        readiness: &Readiness,
    ) -> Result<String, String> {
        let seen = Observation {
            pair: self.pair,
            runbook: self.runbook,
            snapshot,
            readiness,
            now: self.clock.now(),
        };
        evaluate::evaluate(check, &seen)
    }

    /// A fresh poll folded into what this run saw before: a source whose refresh fails (one
    /// throttled call) keeps its last value while that is within the pair's staleness, exactly
    /// as on the dashboard, instead of turning a check to "unknown".
    pub(super) async fn observe(&self, memory: &Memory) -> (Snapshot, Readiness) {
        let mut snapshot = memory
            .seen
            .lock()
            .ok()
            .and_then(|seen| seen.clone())
            .unwrap_or_else(|| self.pair.empty_snapshot());
        // A faster demo clock gets proportionally shorter timeouts, so a hung region costs the
        // same share of a step at any speed.
        let timeout = self.pair.call_timeout.div_f64(self.clock.speed().max(1.0));
        let mut throttled = Vec::new();
        for update in crate::poll::poll_once(self.status, self.clock, timeout).await {
            if is_throttled(&update) {
                throttled.push(update.source);
            }
            snapshot.apply(update);
        }
        // A source still throttled after the fetch's own retries is read again a second later
        // (a run would rather wait than judge on nothing); a timeout is not, so a hung region
        // costs one timeout per observation.
        for _ in 0..THROTTLED_ROUNDS {
            if throttled.is_empty() {
                break;
            }
            self.clock.sleep(Duration::from_secs(1)).await;
            let retries = throttled
                .drain(..)
                .map(|source| crate::poll::fetch_one(self.status, self.clock, source, timeout));
            for update in futures::future::join_all(retries).await {
                if is_throttled(&update) {
                    throttled.push(update.source);
                }
                snapshot.apply(update);
            }
        }
        let readiness = readiness::assess(&snapshot, self.clock.now(), &self.pair.policy());
        if let Ok(mut seen) = memory.seen.lock() {
            *seen = Some(snapshot.clone());
        }
        (snapshot, readiness)
    }
}
