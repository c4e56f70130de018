//! `drtui plan RUNBOOK`: every step with the exact API calls it would make, and whether the
//! caller may make each one (IAM's policy simulator, on the pair's own ARNs). It changes
//! nothing and locks nothing: safe to run against production at any time.

use crate::output::out;
use color_eyre::eyre::Result;
use drtui_backend::aws::ClientPool;
use drtui_core::runbook::plan;
use drtui_engine::catalog;

use super::{clock_for, open_backend, select_pair};
use crate::cli::GlobalArgs;
use crate::exit::Exit;

pub async fn run(global: &GlobalArgs, name: &str) -> Result<Exit> {
    let pair = select_pair(global)?;
    let (_, runbook) = catalog::find(name)?;
    let steps = plan::plan(&runbook, &pair);
    let clock = clock_for(&pair);
    let opened = open_backend(&pair, global, &clock, &ClientPool::default()).await?;
    let preflight = drtui_engine::preflight::check(
        opened.status.as_ref(),
        &runbook,
        &pair,
        &Default::default(),
        pair.call_timeout * 2,
    )
    .await;
    out!(
        "{}",
        drtui::present::plan_text::render(&runbook, &pair, &steps, Some(&preflight))
    );
    Ok(Exit::Ok)
}
