//! `drtui status`: one snapshot of both regions and the verdict, as text or JSON, or refreshed
//! at the poll interval with `--watch`; for one pair, several (`--region-pair` repeated) or all
//! (`--all-pairs`), polled concurrently.

use crate::output;
use std::io::IsTerminal;
use std::sync::Arc;

use color_eyre::eyre::Result;
use drtui_core::clock::Clock;
use drtui_core::config::RegionPair;
use drtui_core::model::{Snapshot, Source, SourceUpdate, calls_between};
use drtui_core::ports::StatusBackend;
use drtui_core::report::StatusReport;
use drtui_core::settle::Settled;
use drtui_core::share::SharedPoll;
use drtui_core::{readiness, report};
use drtui_engine::{journal_file, poll, share};

use super::{clock_for, open_backend};
use crate::cli::{Format, GlobalArgs};
use crate::exit::Exit;
use drtui_backend::aws::ClientPool;

/// One pair being watched: its backend, what has been seen, and the settled verdict.
struct Watched {
    pair: RegionPair,
    backend: Arc<dyn StatusBackend>,
    clock: Arc<dyn Clock>,
    snapshot: Snapshot,
    settled: Settled,
    /// The crowd's shared poller, on a shared pair.
    shared: Option<Arc<dyn SharedPoll>>,
    /// Watching a shared pair: the shared poller's control and what it sends.
    feed: Option<(poll::PollControl, tokio::sync::mpsc::Receiver<SourceUpdate>)>,
    /// The backend's call counts at the last report: each report says what was called since
    /// (a shared pair's poller calls between reports).
    calls_reported: drtui_core::model::CallCounts,
}

impl Watched {
    /// One read of every source for a one-shot report: a concurrent poll, or on a shared pair
    /// the crowd's snapshot when a live poller wrote one (one read of the table). Says where
    /// it came from on a shared pair.
    async fn read_once(&self) -> (Vec<SourceUpdate>, Option<String>) {
        let timeout = self.pair.call_timeout;
        let polled = poll::poll_once(self.backend.as_ref(), self.clock.as_ref(), timeout);
        let Some(table) = &self.shared else {
            return (polled.await, None);
        };
        if let Some((updates, from)) =
            share::read_once(table.as_ref(), self.clock.as_ref(), timeout).await
        {
            return (updates, Some(from.line(self.clock.now())));
        }
        let said = "shared: no live poller, read AWS directly".to_owned();
        (polled.await, Some(said))
    }

    /// Watching: the dashboard's pollers, each source at its own cadence (or, on a shared
    /// pair, the crowd's shared poller, which this process may become).
    fn start_feed(&self) -> (poll::PollControl, tokio::sync::mpsc::Receiver<SourceUpdate>) {
        let (sender, inbox) = tokio::sync::mpsc::channel(256);
        let cancel = tokio_util::sync::CancellationToken::new();
        let (backend, clock) = (Arc::clone(&self.backend), Arc::clone(&self.clock));
        let (cadence, timeout) = (poll::Cadence::of(&self.pair), self.pair.call_timeout);
        let control = match self.shared.clone() {
            Some(table) => share::spawn_shared_pollers(
                share::Polling {
                    backend,
                    clock,
                    cadence,
                    timeout,
                },
                share::Shared {
                    table,
                    me: share::this_process(self.clock.as_ref()),
                },
                sender,
                cancel,
            ),
            None => poll::spawn_pollers(backend, clock, cadence, timeout, sender, cancel),
        };
        (control, inbox)
    }

    /// What came in since the last report (the first report waits for a first round).
    async fn gather(&mut self, watch: bool) -> (Vec<SourceUpdate>, Option<String>) {
        if !watch {
            return self.read_once().await;
        }
        let first = self.feed.is_none();
        if first {
            self.feed = Some(self.start_feed());
        }
        let Some((control, inbox)) = self.feed.as_mut() else {
            return (Vec::new(), None);
        };
        let mut updates = Vec::new();
        let until = tokio::time::Instant::now() + self.pair.call_timeout * 2;
        while first && updates.len() < Source::all().len() {
            match tokio::time::timeout_at(until, inbox.recv()).await {
                Ok(Some(update)) => updates.push(update),
                _ => break,
            }
        }
        while let Ok(update) = inbox.try_recv() {
            updates.push(update);
        }
        (updates, control.sharing().line(self.clock.now()))
    }

    /// The sources gathered, folded in; the report for them.
    async fn report(&mut self, settle: bool, watch: bool) -> StatusReport {
        let (updates, shared) = self.gather(watch).await;
        for update in updates {
            self.snapshot.apply(update);
        }
        let calls_now = self.backend.call_counts();
        let calls = calls_between(&self.calls_reported, &calls_now);
        self.calls_reported = calls_now;
        let now = self.clock.now();
        // The journal decides "an unfinished run"; without a state dir there is none to find.
        let unfinished = super::state_dir()
            .ok()
            .and_then(|state| journal_file::newest_unfinished(&state, &self.pair.name));
        let fresh = readiness::assess_with(
            &self.snapshot,
            now,
            &self.pair.policy(),
            unfinished.as_ref(),
        );
        if let Some((control, _)) = &self.feed {
            control.set_settled(fresh.phase.rests() && unfinished.is_none());
        }
        // Watching, the verdict settles as on the dashboard; one snapshot is shown as it is.
        let readiness = if settle {
            self.settled.settle(fresh, now, self.pair.poll_interval)
        } else {
            self.settled.provisional(fresh)
        };
        let mut report = report::build(&self.pair, &self.snapshot, &readiness, now, calls);
        report.shared = shared;
        report
    }
}

/// The pairs asked for: every configured one with `--all-pairs`, else each `--region-pair`.
pub fn selected(global: &GlobalArgs, all_pairs: bool) -> Result<Vec<RegionPair>> {
    let catalog = super::catalog(global)?;
    let pairs: Vec<RegionPair> = if all_pairs {
        let configured: Vec<RegionPair> = catalog
            .pairs
            .iter()
            .filter(|pair| !pair.is_demo())
            .cloned()
            .collect();
        if configured.is_empty() {
            catalog.pairs.clone()
        } else {
            configured
        }
    } else {
        global
            .pair_names()
            .into_iter()
            .map(|name| catalog.get(name).cloned())
            .collect::<Result<_, _>>()?
    };
    super::scenario_only_on_demo(global, &pairs)?;
    Ok(pairs)
}

pub async fn run(global: &GlobalArgs, format: Format, watch: bool) -> Result<Exit> {
    let all_pairs = global.all_pairs;
    let pairs = selected(global, all_pairs)?;
    let many = all_pairs || pairs.len() > 1;
    // Every pair's backend is opened at once (clients shared per region and profile,
    // credentials checked once per profile), then polled at once.
    let pool = ClientPool::default();
    let pool = &pool;
    let opened = futures::future::join_all(pairs.into_iter().map(|pair| async move {
        let clock = clock_for(&pair);
        let opened = open_backend(&pair, global, &clock, pool).await?;
        Ok::<_, color_eyre::Report>(Watched {
            snapshot: pair.empty_snapshot(),
            pair,
            backend: opened.status,
            clock,
            settled: Settled::default(),
            shared: opened.shared,
            feed: None,
            calls_reported: drtui_core::model::CallCounts::new(),
        })
    }))
    .await;
    let mut watched = opened.into_iter().collect::<Result<Vec<_>>>()?;
    let interval = watched
        .iter()
        .map(|watched| watched.pair.poll_interval)
        .min()
        .unwrap_or_default();
    let mut first = true;
    loop {
        let settle = watch && !first;
        first = false;
        let reports: Vec<StatusReport> = futures::future::join_all(
            watched
                .iter_mut()
                .map(|watched| watched.report(settle, watch)),
        )
        .await;
        if watch && format == Format::Text && std::io::stdout().is_terminal() {
            output::raw("\x1b[2J\x1b[H");
        }
        print(&reports, format, watch, many)?;
        if output::stdout_closed() {
            // Nobody reads any more (`status --watch | head`): stop quietly.
            return Ok(Exit::Ok);
        }
        if !watch {
            // The worst of them: any incomplete snapshot makes the whole answer incomplete.
            return Ok(if reports.iter().all(|report| report.complete) {
                Exit::Ok
            } else {
                Exit::Incomplete
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = tokio::signal::ctrl_c() => return Ok(Exit::Ok),
        }
    }
}

/// One pair: its object (JSON) or block (text); several: a JSON array, or blocks one after
/// the other.
fn print(reports: &[StatusReport], format: Format, watch: bool, many: bool) -> Result<()> {
    match format {
        Format::Json => {
            let value = if many {
                serde_json::to_value(reports)?
            } else {
                serde_json::to_value(reports.first())?
            };
            let text = if watch {
                serde_json::to_string(&value)?
            } else {
                serde_json::to_string_pretty(&value)?
            };
            output::json(&(text + "\n"));
        }
        Format::Text => {
            let blocks: Vec<String> = reports
                .iter()
                .map(drtui::present::status_text::render_text)
                .collect();
            output::text(&blocks.join("\n"));
        }
    }
    Ok(())
}
