//! `drtui status`: one snapshot of both regions and the verdict, as text or JSON, or refreshed
//! at the poll interval with `--watch`.

use crate::output;
use std::io::IsTerminal;

use color_eyre::eyre::Result;
use drtui_core::clock::Clock;
use drtui_core::config::RegionPair;
use drtui_core::model::calls_between;
use drtui_core::ports::StatusBackend;
use drtui_core::settle::Settled;
use drtui_core::{readiness, report};
use drtui_engine::{journal_file, poll};

use super::{clock_for, open_backend, select_pair};
use crate::cli::{Format, GlobalArgs};
use crate::exit::Exit;

pub async fn run(global: &GlobalArgs, format: Format, watch: bool) -> Result<Exit> {
    let pair = select_pair(global)?;
    let clock = clock_for(&pair);
    let backend = open_backend(&pair, global, &clock).await?.status;
    loop_reports(&pair, backend.as_ref(), clock.as_ref(), format, watch).await
}

async fn loop_reports(
    pair: &RegionPair,
    backend: &dyn StatusBackend,
    clock: &dyn Clock,
    format: Format,
    watch: bool,
) -> Result<Exit> {
    let mut snapshot = pair.empty_snapshot();
    let mut settled = Settled::default();
    let mut first = true;
    loop {
        let calls_before = backend.call_counts();
        for update in poll::poll_once(backend, clock, pair.call_timeout).await {
            snapshot.apply(update);
        }
        let calls = calls_between(&calls_before, &backend.call_counts());
        let now = clock.now();
        // The journal decides "an unfinished run"; without a state dir there is none to find.
        let unfinished = super::state_dir()
            .ok()
            .and_then(|state| journal_file::newest_unfinished(&state, &pair.name));
        let fresh = readiness::assess_with(&snapshot, now, &pair.policy(), unfinished.as_ref());
        // Watching, the verdict settles as on the dashboard; one snapshot is shown as it is.
        let readiness = if watch && !first {
            settled.settle(fresh, now, pair.poll_interval)
        } else {
            settled.provisional(fresh)
        };
        first = false;
        let report = report::build(pair, &snapshot, &readiness, now, calls);
        let output = match (format, watch) {
            (Format::Json, true) => serde_json::to_string(&report)? + "\n",
            (Format::Json, false) => serde_json::to_string_pretty(&report)? + "\n",
            (Format::Text, _) => report::render_text(&report),
        };
        if watch && format == Format::Text && std::io::stdout().is_terminal() {
            output::raw("\x1b[2J\x1b[H");
        }
        match format {
            Format::Json => output::json(&output),
            Format::Text => output::text(&output),
        }
        if output::stdout_closed() {
            // Nobody reads any more (`status --watch | head`): stop quietly.
            return Ok(Exit::Ok);
        }
        if !watch {
            return Ok(if report.complete {
                Exit::Ok
            } else {
                Exit::Incomplete
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(pair.poll_interval) => {}
            _ = tokio::signal::ctrl_c() => return Ok(Exit::Ok),
        }
    }
}
