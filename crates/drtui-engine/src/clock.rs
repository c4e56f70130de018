//! The wall clocks of the product: real time, and real time sped up for the demo world
//! (`DRTUI_DEMO_SPEED`); both sleep on tokio, which is why they live in the engine.

use std::time::Duration;

use chrono::Utc;
use drtui_core::clock::{Clock, SleepFuture, Timestamp};

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now()
    }

    fn sleep(&self, duration: Duration) -> SleepFuture<'_> {
        Box::pin(tokio::time::sleep(duration))
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

    fn sleep(&self, duration: Duration) -> SleepFuture<'_> {
        Box::pin(tokio::time::sleep(duration.div_f64(self.speed)))
    }
}
