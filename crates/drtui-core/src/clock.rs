//! Where "now" comes from: the `Clock` port, and the hand-driven clock of tests and benches,
//! so that the simulator and every age on screen are reproducible (wall clocks: the engine).

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub type Timestamp = DateTime<Utc>;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;

    /// How many of this clock's seconds pass per wall-clock second.
    fn speed(&self) -> f64 {
        1.0
    }

    /// Waits `duration` of this clock's time (a manual clock just moves forward). The core
    /// names no runtime: the engine's clocks sleep on tokio.
    fn sleep(&self, duration: Duration) -> SleepFuture<'_>;
}

/// What [`Clock::sleep`] returns: a runtime-agnostic boxed future.
pub type SleepFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

/// A clock that only moves when told to (tests, benchmarks, deterministic playback).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::zero());
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn sleep(&self, duration: Duration) -> SleepFuture<'_> {
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }
}

/// Non-negative elapsed time between two instants (zero when `later` is earlier).
pub fn elapsed(earlier: Timestamp, later: Timestamp) -> Duration {
    (later - earlier).to_std().unwrap_or(Duration::ZERO)
}
