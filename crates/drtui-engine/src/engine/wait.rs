//! A wait step: re-check until the check holds, the timeout passes, or the run is paused.

use std::time::Duration;

use drtui_core::clock::elapsed;
use drtui_core::runbook::step::Check;

use super::Engine;
use super::observe::{Memory, credentials_failure};

/// How a wait ended.
pub(super) enum Waited {
    /// The check held (what it saw, and after how long).
    Held(String),
    /// It did not hold in time.
    Failed(String),
    /// The credentials were refused: the observation was blind.
    Blind(String),
    /// The run was paused while it waited.
    Paused,
}

impl Engine<'_> {
    /// Re-checks `check` every `interval` (at most the pair's poll interval) until it holds,
    /// `timeout` passes, or the run is paused.
    pub(super) async fn wait(
        &self,
        check: &Check,
        interval: Duration,
        timeout: Duration,
        memory: &Memory,
    ) -> Waited {
        let interval = interval.min(self.pair.poll_interval);
        let began = self.clock.now();
        loop {
            let (snapshot, readiness) = self.observe(memory).await;
            if let Some(reason) = credentials_failure(&snapshot) {
                return Waited::Blind(reason);
            }
            let last = match self.evaluate(check, &snapshot, &readiness) {
                Ok(detail) => {
                    return Waited::Held(format!(
                        "{detail} after {:.1} s",
                        elapsed(began, self.clock.now()).as_secs_f64()
                    ));
                }
                Err(reason) => reason,
            };
            if elapsed(began, self.clock.now()) >= timeout {
                return Waited::Failed(format!(
                    "still not true after {}: {last}",
                    humantime::format_duration(timeout)
                ));
            }
            if self.paused() {
                return Waited::Paused;
            }
            self.clock.sleep(interval).await;
        }
    }
}
