//! `drtui` with no command: the live dashboard, which needs an interactive terminal.
//! Opens each pair's backend and hands the TUI its ports: status, act, fault control, run
//! session. Several pairs (`--all-pairs`, or `--region-pair` repeated) open the fleet view.

use std::io::IsTerminal;

use color_eyre::eyre::Result;
use drtui_backend::aws::ClientPool;
use drtui_core::config::RegionPair;

use super::{Opened, UsageError, clock_for, open_backend};
use crate::cli::GlobalArgs;
use crate::exit::Exit;

pub async fn run(global: &GlobalArgs) -> Result<Exit> {
    let pairs = super::status::selected(global, global.all_pairs)?;
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        let commands: Vec<String> = pairs
            .iter()
            .map(|pair| format!("`{}`", pair.commands().status()))
            .collect();
        return Err(UsageError(format!(
            "the dashboard needs an interactive terminal; for scripts use {}",
            commands.join(" or ")
        ))
        .into());
    }
    // Opened at once, sharing clients per region and profile.
    let pool = ClientPool::default();
    let dashboards = futures::future::join_all(
        pairs
            .into_iter()
            .map(|pair| dashboard_of(global, pair, &pool)),
    )
    .await
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    drtui_tui::run_fleet(dashboards).await?;
    Ok(Exit::Ok)
}

/// One pair's dashboard, its backend opened.
async fn dashboard_of(
    global: &GlobalArgs,
    pair: RegionPair,
    pool: &ClientPool,
) -> Result<drtui_tui::Dashboard> {
    let clock = clock_for(&pair);
    let opened = open_backend(&pair, global, &clock, pool).await?;
    // On AWS the caller is asked in the background: the first frame does not wait for STS.
    let operator = drtui_engine::session::Operator::new(super::UNKNOWN_CALLER);
    let asking = opened.clone();
    let learnt = operator.clone();
    let learn = async move { learnt.set(asking.operator().await) };
    if opened.faults.is_some() {
        learn.await;
    } else {
        tokio::spawn(learn);
    }
    let Opened {
        status,
        act,
        faults,
        remote_lock,
        shared,
    } = opened;
    Ok(drtui_tui::Dashboard {
        pair,
        backend: status,
        faults,
        clock,
        act,
        state_dir: drtui_engine::config_file::state_dir(),
        operator,
        remote_lock,
        shared,
        read_only: global.read_only,
        color: !(global.no_color
            || std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())),
    })
}
