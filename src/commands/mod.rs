//! One module per command, and what several commands share: choosing the pair, opening its
//! backend (read-only wrapped, with the operator's name), the clock, the state dir.

pub mod completions;
pub mod dashboard;
pub mod discover;
pub mod iam;
pub mod lock;
pub mod pairs;
pub mod plan;
pub mod run;
pub mod runbook;
pub mod runs;
pub mod status;

use std::sync::Arc;

use color_eyre::eyre::Result;
use drtui_backend::aws::{AwsBackend, ClientPool, Clients, Overrides};
use drtui_backend::sim::{SimBackend, SimOptions};
use drtui_core::clock::Clock;
use drtui_core::config::{self, BackendKind, RegionPair};
use drtui_core::fault::FaultControl;
use drtui_core::model::{Source, SourceData};
use drtui_core::ports::{ActBackend, ReadOnly, StatusBackend};
use drtui_engine::clock::{ScaledClock, SystemClock};

use crate::cli::GlobalArgs;

/// Bad usage or input: reported plainly, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Where the demo estate's runbook actions are kept, in the state dir.
pub const DEMO_ACTION_LOG: &str = "demo-actions.jsonl";

/// The config's pairs, each knowing how this command line reached it (the config file named,
/// `--profile`, `--endpoint-url`, the demo's `--scenario`/`--seed`), so every command drtui
/// prints for a pair repeats them and runs as printed.
pub fn catalog(global: &GlobalArgs) -> Result<config::PairCatalog> {
    let mut catalog = drtui_engine::config_file::load_catalog(global.config.as_deref())?;
    for pair in &mut catalog.pairs {
        pair.reach = if pair.is_demo() {
            drtui_core::commands::Reach {
                scenario: global
                    .scenario
                    .iter()
                    .map(|fault| fault.name().to_owned())
                    .collect(),
                seed: (global.seed != SimOptions::default().seed).then_some(global.seed),
                ..drtui_core::commands::Reach::default()
            }
        } else {
            drtui_core::commands::Reach {
                config: global.config.clone(),
                profile: global.profile.clone(),
                endpoint_url: global.endpoint_url.clone(),
                ..drtui_core::commands::Reach::default()
            }
        };
    }
    Ok(catalog)
}

/// The pair named by `--region-pair`, with `--scenario` allowed only on the demo.
pub fn select_pair(global: &GlobalArgs) -> Result<RegionPair> {
    let catalog = catalog(global)?;
    let pair = catalog.get(global.pair_name()?)?.clone();
    scenario_only_on_demo(global, std::slice::from_ref(&pair))?;
    Ok(pair)
}

/// `--scenario` injects simulated faults: it makes sense for the demo pair only.
pub fn scenario_only_on_demo(global: &GlobalArgs, pairs: &[RegionPair]) -> Result<()> {
    if !global.scenario.is_empty() && pairs.iter().any(|pair| !pair.is_demo()) {
        return Err(UsageError(format!(
            "--scenario injects simulated faults and works only with --region-pair {}",
            config::DEMO_PAIR
        ))
        .into());
    }
    Ok(())
}

/// An open backend: the read side, the act side (the refusing one under `--read-only`), and
/// fault control when the backend is the simulator.
#[derive(Clone)]
pub struct Opened {
    pub status: Arc<dyn StatusBackend>,
    pub act: Arc<dyn ActBackend>,
    pub faults: Option<Arc<dyn FaultControl>>,
    /// The pair's cross-machine run lock (its `lock_table`), on AWS.
    pub remote_lock: Option<Arc<dyn drtui_core::ports::RemoteLock>>,
    /// The crowd's shared poller lease and snapshot (`share = true`), on AWS.
    pub shared: Option<Arc<dyn drtui_core::share::SharedPoll>>,
}

/// The operator as recorded when STS does not say who the caller is.
pub const UNKNOWN_CALLER: &str = "unknown AWS caller";

impl Opened {
    /// Who approvals are recorded as: `user@host` on the simulator, the STS caller on AWS
    /// (asked only by commands that record approvals).
    pub async fn operator(&self) -> String {
        if self.faults.is_some() {
            return format!("{}@{}", user(), drtui_engine::lock::host_name());
        }
        match self.status.fetch(Source::Identity).await {
            Ok(SourceData::Identity(arn)) => arn,
            _ => UNKNOWN_CALLER.to_owned(),
        }
    }
}

pub fn overrides(global: &GlobalArgs) -> Overrides {
    Overrides {
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
        static_credentials: None,
    }
}

/// Opens the pair's backend. Read-only is enforced here, where actions are performed: the act
/// side itself is replaced, not only hidden in the UI.
pub async fn open_backend(
    pair: &RegionPair,
    global: &GlobalArgs,
    clock: &Arc<dyn Clock>,
    pool: &ClientPool,
) -> Result<Opened> {
    let opened = match pair.backend {
        BackendKind::Simulator => {
            let options = SimOptions {
                seed: global.seed,
                scenario: global.scenario.clone(),
                action_log: drtui_engine::config_file::state_dir()
                    .map(|dir| dir.join(DEMO_ACTION_LOG)),
                ..SimOptions::default()
            };
            let sim = Arc::new(SimBackend::new(pair, Arc::clone(clock), &options));
            Opened {
                status: sim.clone(),
                act: sim.clone(),
                faults: Some(sim),
                remote_lock: None,
                shared: None,
            }
        }
        BackendKind::Aws => {
            let clients = Clients::load(pair, &overrides(global), pool).await;
            clients
                .check_credentials(pair, pool)
                .await
                .map_err(|error| UsageError(error.to_string()))?;
            let aws = Arc::new(AwsBackend::new(pair, clients, Arc::clone(clock)));
            let remote_lock = aws
                .remote_lock()
                .map(|lock| Arc::new(lock) as Arc<dyn drtui_core::ports::RemoteLock>);
            let shared = aws
                .shared_poll()
                .map(|shared| Arc::new(shared) as Arc<dyn drtui_core::share::SharedPoll>);
            Opened {
                status: aws.clone(),
                act: aws,
                faults: None,
                remote_lock,
                shared,
            }
        }
    };
    Ok(if global.read_only {
        Opened {
            act: Arc::new(ReadOnly),
            ..opened
        }
    } else {
        opened
    })
}

/// The local user's name, for journals.
pub fn user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "operator".to_owned())
}

/// The demo world's clock: wall time, or `DRTUI_DEMO_SPEED` times faster (game days in
/// seconds, and fast end-to-end tests).
pub fn clock_for(pair: &RegionPair) -> Arc<dyn Clock> {
    let speed = std::env::var("DRTUI_DEMO_SPEED")
        .ok()
        .and_then(|speed| speed.parse::<f64>().ok());
    match speed {
        Some(speed) if pair.is_demo() && speed > 1.0 => Arc::new(ScaledClock::new(speed)),
        _ => Arc::new(SystemClock),
    }
}

/// Where journals, locks and the demo action log live.
pub fn state_dir() -> Result<std::path::PathBuf> {
    drtui_engine::config_file::state_dir().ok_or_else(|| {
        UsageError("no state directory on this platform: set DRTUI_STATE_DIR".to_owned()).into()
    })
}
