//! Where "now" comes from: the wall clock in the product, a hand-driven clock in tests,
//! so that the simulator and every age on screen are reproducible.

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

    /// Waits `duration` of this clock's time (a manual clock just moves forward).
    fn sleep(
        &self,
        duration: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now()
    }
}

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

    fn sleep(
        &self,
        duration: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }
}

/// Wall-clock time running `speed` times faster from the moment it was made: the demo world
/// at game-day pace in seconds (`DRTUI_DEMO_SPEED`), and end-to-end tests that finish fast.
#[derive(Debug)]
pub struct ScaledClock {
    origin: Timestamp,
    started: std::time::Instant,
    speed: f64,
}

impl ScaledClock {
    pub fn new(speed: f64) -> Self {
        Self {
            origin: chrono::Utc::now(),
            started: std::time::Instant::now(),
            speed: speed.max(1.0),
        }
    }
}

impl Clock for ScaledClock {
    fn speed(&self) -> f64 {
        self.speed
    }

    fn now(&self) -> Timestamp {
        let scaled = self.started.elapsed().mul_f64(self.speed);
        self.origin + chrono::Duration::from_std(scaled).unwrap_or_default()
    }

    fn sleep(
        &self,
        duration: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration.div_f64(self.speed)))
    }
}

/// Non-negative elapsed time between two instants (zero when `later` is earlier).
pub fn elapsed(earlier: Timestamp, later: Timestamp) -> Duration {
    (later - earlier).to_std().unwrap_or(Duration::ZERO)
}
