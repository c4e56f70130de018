//! drtui's test kit (a dev-dependency only): a deterministic `demo` estate on a hand-driven
//! clock, shared by tests, snapshot tests and benchmarks so they all observe the simulator alike.

pub mod runs;

use std::sync::Arc;
use std::time::Duration;

use drtui_backend::sim::{Fault, FaultControl, SimBackend, SimOptions};
use drtui_core::clock::{Clock, ManualClock, Timestamp};
use drtui_core::config::RegionPair;
use drtui_core::model::{Snapshot, SourceUpdate};
use drtui_core::ports::StatusBackend;
use drtui_core::readiness::{self, Readiness};
use drtui_tui::app::{self, App, Msg};

/// A fixed instant (2027-01-15T08:00:00Z) so snapshots and ages never drift.
pub fn start() -> Timestamp {
    chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

/// The `demo` pair's simulator, without simulated latency, on a manual clock.
pub struct DemoEstate {
    pub pair: RegionPair,
    pub clock: Arc<ManualClock>,
    pub backend: SimBackend,
    /// Per-call timeout of [`DemoEstate::poll`]: short, because a hung region waits it out.
    pub timeout: Duration,
}

impl DemoEstate {
    /// Puts the estate in the failed-over state (writer and traffic in us-east-2), as a
    /// failover would leave it, and lets a minute pass.
    pub async fn fail_over_by_hand(&self) {
        use drtui_core::ports::{ActBackend, Mutation};
        for mutation in [
            Mutation::AuroraFailover {
                target: drtui_core::model::Role::Secondary,
                allow_data_loss: true,
            },
            Mutation::SetWeights {
                primary: 0,
                secondary: 100,
            },
        ] {
            if let Err(error) = self.backend.act(&mutation).await {
                panic!("the simulator refused {mutation:?}: {error}");
            }
        }
        self.clock.advance(Duration::from_secs(60));
    }

    /// The estate under `scenario` (seed 42) whose polls give up on a hung region after
    /// 200 ms: what a test that only observes wants.
    pub fn observed_under(scenario: &[Fault]) -> Self {
        Self {
            timeout: Duration::from_millis(200),
            ..Self::new(42, scenario)
        }
    }

    pub fn new(seed: u64, scenario: &[Fault]) -> Self {
        let pair = RegionPair::demo();
        let clock = Arc::new(ManualClock::new(start()));
        let options = SimOptions {
            seed,
            scenario: scenario.to_vec(),
            latency: false,
            ..SimOptions::default()
        };
        let backend = SimBackend::new(&pair, Arc::clone(&clock) as Arc<dyn Clock>, &options);
        Self {
            pair,
            clock,
            backend,
            timeout: Duration::from_millis(100),
        }
    }

    /// One concurrent fetch of every source.
    pub async fn poll(&self) -> Vec<SourceUpdate> {
        drtui_engine::poll::poll_once(&self.backend, self.clock.as_ref(), self.timeout).await
    }

    /// A fresh snapshot from one poll, and its verdict.
    pub async fn observe(&self) -> (Snapshot, Readiness) {
        let mut snapshot = self.pair.empty_snapshot();
        for update in self.poll().await {
            snapshot.apply(update);
        }
        let readiness = readiness::assess(&snapshot, self.clock.now(), &self.pair.policy());
        (snapshot, readiness)
    }

    /// The dashboard state after one poll, one second later.
    pub async fn app(&self) -> App {
        let mut app = App::new(
            self.pair.clone(),
            self.backend.describe(),
            self.pair.empty_snapshot(),
            self.clock.now(),
        );
        app.faults = Some(self.backend.faults());
        for update in self.poll().await {
            app::update(&mut app, Msg::Update(Box::new(update)));
        }
        self.clock.advance(Duration::from_secs(1));
        app::update(&mut app, Msg::Tick(self.clock.now()));
        app
    }
}
