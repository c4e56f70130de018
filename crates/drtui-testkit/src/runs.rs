//! Runbooks played in-process against the demo estate: the helpers every run test shares.

use std::collections::BTreeSet;

use drtui_core::model::{Source, SourceData};
use drtui_core::ports::{ActBackend, StatusBackend};
use drtui_core::runbook::journal::{Event, Record, StepOutcome};
use drtui_core::runbook::step::Runbook;
use drtui_engine::catalog;
use drtui_engine::engine::{Approvals, Engine, Outcome};
use drtui_engine::playback::Playback;

use crate::DemoEstate;

/// How a played run ended, with its journal.
pub struct Played {
    pub outcome: Outcome,
    pub run_id: String,
    pub records: Vec<Record>,
}

/// The run of `runbook` on the demo estate, not yet started.
pub fn playback<'a>(
    estate: &'a DemoEstate,
    runbook: &'a Runbook,
    hash: String,
    approvals: Approvals,
    read_only: bool,
    act: &'a dyn ActBackend,
    state: &std::path::Path,
) -> Playback<'a> {
    Playback {
        engine: Engine {
            pair: &estate.pair,
            runbook,
            status: &estate.backend,
            act,
            clock: estate.clock.as_ref(),
            operator: "tester@test".to_owned(),
            approvals,
            read_only,
            gatekeeper: None,
            pause: None,
        },
        runbook_hash: hash,
        state: state.to_path_buf(),
        remote_lock: None,
        hold: None,
    }
}

/// A run of `runbook` with every gate approved and a pause flag the test sets.
pub fn pausable<'a>(
    estate: &'a DemoEstate,
    runbook: &'a Runbook,
    hash: String,
    state: &std::path::Path,
) -> (Playback<'a>, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let pause = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut player = playback(
        estate,
        runbook,
        hash,
        approve_all(),
        false,
        &estate.backend,
        state,
    );
    player.engine.pause = Some(std::sync::Arc::clone(&pause));
    (player, pause)
}

/// Plays a runbook (by name or path) to its outcome, journal in `state`.
///
/// # Panics
/// When the runbook is unknown or the journal cannot be written: the test fails there.
pub async fn play(
    estate: &DemoEstate,
    runbook: &str,
    approvals: Approvals,
    read_only: bool,
    act: &dyn ActBackend,
    state: &std::path::Path,
) -> Played {
    let (_, runbook, hash) = match catalog::find_with_hash(runbook) {
        Ok(found) => found,
        Err(error) => panic!("runbook {runbook}: {error}"),
    };
    let player = playback(estate, &runbook, hash, approvals, read_only, act, state);
    let mut records = Vec::new();
    match player
        .play(None, &mut |record| records.push(record.clone()))
        .await
    {
        Ok((run_id, outcome)) => Played {
            outcome,
            run_id,
            records,
        },
        Err(error) => panic!("the run could not be played: {error}"),
    }
}

/// Plays a runbook with every gate approved, or says why it was refused before it began
/// (the permission preflight, a held lock).
pub async fn try_play_approved(
    estate: &DemoEstate,
    runbook: &str,
    state: &std::path::Path,
) -> Result<Played, drtui_engine::playback::PlaybackError> {
    let (_, found, hash) = match catalog::find_with_hash(runbook) {
        Ok(found) => found,
        Err(error) => panic!("runbook {runbook}: {error}"),
    };
    let player = playback(
        estate,
        &found,
        hash,
        approve_all(),
        false,
        &estate.backend,
        state,
    );
    let mut records = Vec::new();
    let (run_id, outcome) = player
        .play(None, &mut |record| records.push(record.clone()))
        .await?;
    Ok(Played {
        outcome,
        run_id,
        records,
    })
}

/// Plays a runbook with every gate approved against the demo estate itself: the common run.
pub async fn play_approved(estate: &DemoEstate, runbook: &str, state: &std::path::Path) -> Played {
    play(
        estate,
        runbook,
        approve_all(),
        false,
        &estate.backend,
        state,
    )
    .await
}

/// Every gate approved, as `--approve-all`.
pub fn approve_all() -> Approvals {
    Approvals {
        all: true,
        ids: BTreeSet::new(),
    }
}

/// Where the demo's writer is now.
pub async fn writer(estate: &DemoEstate) -> Option<String> {
    match estate.backend.fetch(Source::GlobalCluster).await {
        Ok(SourceData::GlobalCluster(global)) => global.writer_region().map(str::to_owned),
        _ => None,
    }
}

/// The demo's weights now, primary then secondary.
pub async fn weights(estate: &DemoEstate) -> (Option<u64>, Option<u64>) {
    match estate.backend.fetch(Source::Dns).await {
        Ok(SourceData::Dns(dns)) => (
            dns.weights.get("us-east-1").copied().flatten(),
            dns.weights.get("us-east-2").copied().flatten(),
        ),
        _ => (None, None),
    }
}

/// The steps that finished ok, in order.
pub fn finished_ok(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|record| match &record.event {
            Event::StepFinished {
                step,
                outcome: StepOutcome::Ok,
                ..
            } => Some(step.clone()),
            _ => None,
        })
        .collect()
}
