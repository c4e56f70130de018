//! `drtui` with no command: the live dashboard, which needs an interactive terminal.
//! Opens the backend and hands the TUI its ports: status, act, fault control, run session.

use std::io::IsTerminal;

use color_eyre::eyre::Result;
use drtui_core::config;

use super::{Opened, UsageError, clock_for, open_backend, select_pair};
use crate::cli::GlobalArgs;
use crate::exit::Exit;

pub async fn run(global: &GlobalArgs) -> Result<Exit> {
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        return Err(UsageError(format!(
            "the dashboard needs an interactive terminal; for scripts use `drtui status --region-pair {}`",
            global.region_pair.join(" --region-pair ")
        ))
        .into());
    }
    let pair = select_pair(global)?;
    let clock = clock_for(&pair);
    let opened = open_backend(&pair, global, &clock).await?;
    let operator = opened.operator().await;
    let Opened {
        status,
        act,
        faults,
        remote_lock,
    } = opened;
    drtui_tui::run(drtui_tui::Dashboard {
        pair,
        backend: status,
        faults,
        clock,
        act,
        state_dir: config::state_dir(),
        operator,
        remote_lock,
        read_only: global.read_only,
        color: !(global.no_color
            || std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())),
    })
    .await?;
    Ok(Exit::Ok)
}
