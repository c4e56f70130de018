//! `drtui plan RUNBOOK`: every step with the exact API calls it would make; no call, no lock.
//! The plan is pure (`drtui_core::runbook::plan`): safe to run against production at any time.

use crate::output::out;
use color_eyre::eyre::Result;
use drtui_core::runbook::plan;
use drtui_engine::catalog;

use super::select_pair;
use crate::cli::GlobalArgs;
use crate::exit::Exit;

pub fn run(global: &GlobalArgs, name: &str) -> Result<Exit> {
    let pair = select_pair(global)?;
    let (_, runbook) = catalog::find(name)?;
    let steps = plan::plan(&runbook, &pair);
    out!(
        "{}",
        drtui::present::plan_text::render(&runbook, &pair, &steps)
    );
    Ok(Exit::Ok)
}
